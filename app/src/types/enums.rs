//! `string_enum!`: a closed set of snake_case words, the same in JSON, the database and URLs.
//! With `ssr`, each is also a sea-orm `ActiveEnum`: entity columns hold the enum, not a string.

/// Defines an enum whose variants are written as fixed words, with `ALL`, `as_str`, `FromStr`
/// and `Display`; variants order as declared.
#[macro_export]
macro_rules! string_enum {
    // `$word` is a `tt`, not a `literal`: derive macros (utoipa's, sea-orm's) read a literal
    // passed through a macro as an opaque group and would fall back to the variant's name.
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $word:tt),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
        #[cfg_attr(feature = "ssr", sea_orm(rs_type = "String", db_type = "Text"))]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $word)] #[cfg_attr(feature = "ssr", sea_orm(string_value = $word))] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value's word.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word),+
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($word => Ok($name::$variant),)+
                    _ => Err(format!(
                        "{s:?} is not one of {}",
                        [$($word),+].join(", ")
                    )),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

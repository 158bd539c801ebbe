//! Colours as shops give them (`#rrggbb`): reading one, its contrast with white as WCAG 2.1
//! measures it, and the darker shade a hovered button takes. Pure arithmetic, so the server's
//! check and the settings page's warning in the browser give the same answer.

/// The least contrast with white an accent colour needs: WCAG 2.1 AA for normal text
/// (success criterion 1.4.3). The accent is the background of white button text and the
/// colour of links on white, and contrast is symmetric, so one ratio covers both.
pub const MIN_CONTRAST_WITH_WHITE: f64 = 4.5;

/// The portal's accent when a shop sets none: Tailwind's indigo-600, `#4f46e5`.
pub const DEFAULT_ACCENT: Colour = Colour {
    red: 0x4f,
    green: 0x46,
    blue: 0xe5,
};

/// How much of each channel a hovered accent keeps, in percent: a shade darker.
const HOVER_SHADE_PERCENT: u32 = 85;

/// An opaque sRGB colour, eight bits a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Colour {
    red: u8,
    green: u8,
    blue: u8,
}

impl Colour {
    /// Reads `#rrggbb` (or `rrggbb`) in either case, ignoring spaces around it; `None` for
    /// anything else (`teal`, `#fff`, `rgb(…)`).
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        let hex = raw.strip_prefix('#').unwrap_or(raw);
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        // Every byte is an ASCII digit or letter, so these slices fall on characters.
        let channel = |at: usize| u8::from_str_radix(hex.get(at..at + 2)?, 16).ok();
        Some(Self {
            red: channel(0)?,
            green: channel(2)?,
            blue: channel(4)?,
        })
    }

    /// The colour as `#rrggbb`, in lower case.
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.red, self.green, self.blue)
    }

    /// The relative luminance WCAG 2.1 defines: the sRGB channels linearised, then weighted;
    /// 0 for black, 1 for white.
    pub fn relative_luminance(self) -> f64 {
        fn linear(channel: u8) -> f64 {
            let c = f64::from(channel) / 255.0;
            if c <= 0.040_45 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        }
        0.2126 * linear(self.red) + 0.7152 * linear(self.green) + 0.0722 * linear(self.blue)
    }

    /// The contrast ratio of the colour with white, `(L1 + 0.05) / (L2 + 0.05)` with white's
    /// luminance of 1 as `L1`: from 1 (white itself) to 21 (black).
    pub fn contrast_with_white(self) -> f64 {
        (1.0 + 0.05) / (self.relative_luminance() + 0.05)
    }

    /// Whether white text on it, and it as text on white, reach
    /// [`MIN_CONTRAST_WITH_WHITE`].
    pub fn reads_on_white(self) -> bool {
        self.contrast_with_white() >= MIN_CONTRAST_WITH_WHITE
    }

    /// A shade darker, for a hovered button or link: each channel at 85 %.
    #[must_use]
    pub fn darker(self) -> Self {
        let shade =
            |c: u8| u8::try_from((u32::from(c) * HOVER_SHADE_PERCENT + 50) / 100).unwrap_or(c);
        Self {
            red: shade(self.red),
            green: shade(self.green),
            blue: shade(self.blue),
        }
    }
}

/// The contrast ratio of `hex` (`#rrggbb`) with white; `None` when it is not such a colour.
pub fn contrast_with_white(hex: &str) -> Option<f64> {
    Colour::parse(hex).map(Colour::contrast_with_white)
}

/// A contrast ratio as a person reads it, without the "to 1": one decimal ("1.1"), or two,
/// rounded down, where one would round a ratio below [`MIN_CONTRAST_WITH_WHITE`] up to it
/// ("4.47", never a puzzling "4.5").
pub fn ratio_words(ratio: f64) -> String {
    let one_decimal = (ratio * 10.0).round() / 10.0;
    if ratio < MIN_CONTRAST_WITH_WHITE && one_decimal >= MIN_CONTRAST_WITH_WHITE {
        format!("{:.2}", (ratio * 100.0).floor() / 100.0)
    } else {
        format!("{one_decimal:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ratio(hex: &str) -> f64 {
        contrast_with_white(hex).unwrap()
    }

    #[test]
    fn contrast_with_white_matches_the_published_values() {
        assert!((ratio("#ffffff") - 1.0).abs() < 1e-9);
        assert!((ratio("#000000") - 21.0).abs() < 1e-9);
        assert!(
            (ratio("#4f46e5") - 6.29).abs() < 0.01,
            "{}",
            ratio("#4f46e5")
        );
        assert!(
            (ratio("#ffff00") - 1.07).abs() < 0.01,
            "{}",
            ratio("#ffff00")
        );
        assert!(
            (ratio("#777777") - 4.48).abs() < 0.01,
            "{}",
            ratio("#777777")
        );
        assert!(
            (ratio("#767676") - 4.54).abs() < 0.01,
            "{}",
            ratio("#767676")
        );
    }

    #[test]
    fn the_threshold_falls_between_the_two_greys() {
        let passes = |hex: &str| Colour::parse(hex).unwrap().reads_on_white();
        assert!(passes("#4f46e5"));
        assert!(passes("#767676"));
        assert!(passes("#0f766e"));
        assert!(!passes("#777777"));
        assert!(!passes("#ffff00"));
        assert!(!passes("#ffffff"));
    }

    #[test]
    fn only_six_hex_digits_are_a_colour() {
        assert_eq!(
            Colour::parse(" #4F46E5 ").map(Colour::hex).as_deref(),
            Some("#4f46e5")
        );
        assert_eq!(
            Colour::parse("0f766e").map(Colour::hex).as_deref(),
            Some("#0f766e")
        );
        for bad in [
            "",
            "#",
            "teal",
            "#fff",
            "#4f46e",
            "#4f46e5f",
            "#4g46e5",
            "##4f46e5",
            "#ａｂｃ",
        ] {
            assert_eq!(Colour::parse(bad), None, "{bad}");
            assert_eq!(contrast_with_white(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_default_accent_is_indigo_600() {
        assert_eq!(DEFAULT_ACCENT.hex(), "#4f46e5");
        assert_eq!(Colour::parse("#4f46e5"), Some(DEFAULT_ACCENT));
        assert!(DEFAULT_ACCENT.reads_on_white());
    }

    #[test]
    fn the_hover_shade_keeps_85_percent_of_each_channel() {
        let darker = |hex: &str| Colour::parse(hex).unwrap().darker().hex();
        assert_eq!(darker("#4f46e5"), "#433cc3");
        assert_eq!(darker("#0f766e"), "#0d645e");
        assert_eq!(darker("#000000"), "#000000");
        assert_eq!(darker("#ffffff"), "#d9d9d9");
    }

    #[test]
    fn ratios_read_with_one_decimal_unless_that_would_reach_the_minimum() {
        assert_eq!(ratio_words(ratio("#ffff00")), "1.1");
        assert_eq!(ratio_words(ratio("#4f46e5")), "6.3");
        assert_eq!(ratio_words(ratio("#777777")), "4.47");
        assert_eq!(ratio_words(4.5), "4.5");
        assert_eq!(ratio_words(21.0), "21.0");
    }
}

//! Runtime configuration: flags, then environment, then `Leptos.toml`, then built-in defaults.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use app::db::DatabaseTarget;
use leptos::config::{Env, LeptosOptions};
use serde::Deserialize;

/// The settings file as written: every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct SettingsFile {
    site_root: Option<String>,
    site_pkg_dir: Option<String>,
    output_name: Option<String>,
    site_addr: Option<SocketAddr>,
    data_dir: Option<PathBuf>,
}

/// Settings read from the file (or defaults), before flags and environment apply.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Built site folder.
    pub site_root: String,
    /// Folder of the wasm/JS/CSS inside `site_root`.
    pub site_pkg_dir: String,
    /// Base name of the generated files.
    pub output_name: String,
    /// Listen address.
    pub site_addr: SocketAddr,
    /// Folder of the embedded database (and of emails written as files).
    pub data_dir: PathBuf,
    /// The address end customers reach Patron at (`--public-url`), if given.
    pub public_url: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            site_root: "target/site".to_owned(),
            site_pkg_dir: "pkg".to_owned(),
            output_name: "patron".to_owned(),
            site_addr: SocketAddr::from(([127, 0, 0, 1], 3000)),
            data_dir: PathBuf::from("data"),
            public_url: None,
        }
    }
}

impl Settings {
    /// Reads `path`. A missing file is fine when `required` is false (the defaults apply).
    pub fn load(path: &Path, required: bool) -> anyhow::Result<Self> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
                return Ok(Self::default());
            }
            Err(e) => {
                return Err(e).with_context(|| format!("cannot read {}", path.display()));
            }
        };
        let file: SettingsFile = toml::from_str(&text)
            .map_err(|e| anyhow::anyhow!("{} is not valid: {}", path.display(), e.message()))?;
        let d = Self::default();
        Ok(Self {
            site_root: file.site_root.unwrap_or(d.site_root),
            site_pkg_dir: file.site_pkg_dir.unwrap_or(d.site_pkg_dir),
            output_name: file.output_name.unwrap_or(d.output_name),
            site_addr: file.site_addr.unwrap_or(d.site_addr),
            data_dir: file.data_dir.unwrap_or(d.data_dir),
            public_url: None,
        })
    }

    /// The database: `DATABASE_URL` when given, else the embedded SQLite file.
    pub fn database(
        &self,
        database_url: Option<&str>,
        data_dir: Option<&Path>,
    ) -> anyhow::Result<DatabaseTarget> {
        match database_url.map(str::trim).filter(|u| !u.is_empty()) {
            Some(url) => Ok(DatabaseTarget::from_url(url)?),
            None => Ok(DatabaseTarget::embedded(data_dir.unwrap_or(&self.data_dir))),
        }
    }

    /// The public address: `--public-url` when given, else `http://` and `addr`.
    pub fn public_url_or(&self, addr: &str) -> String {
        self.public_url
            .clone()
            .filter(|u| !u.trim().is_empty())
            .unwrap_or_else(|| format!("http://{addr}"))
    }

    /// Leptos' own options for serving the site.
    pub fn leptos_options(
        &self,
        addr: SocketAddr,
        site_root: Option<&str>,
    ) -> anyhow::Result<LeptosOptions> {
        let site_root = site_root.unwrap_or(&self.site_root).to_owned();
        let site_pkg_dir =
            std::env::var("LEPTOS_SITE_PKG_DIR").unwrap_or(self.site_pkg_dir.clone());
        let output_name = std::env::var("LEPTOS_OUTPUT_NAME").unwrap_or(self.output_name.clone());
        if output_name.trim().is_empty() {
            bail!("output-name must not be empty");
        }
        Ok(LeptosOptions::builder()
            .output_name(output_name)
            .site_root(site_root)
            .site_pkg_dir(site_pkg_dir)
            .site_addr(addr)
            .env(if cfg!(debug_assertions) {
                Env::DEV
            } else {
                Env::PROD
            })
            .build())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_optional_file_gives_the_defaults() {
        let s = Settings::load(Path::new("/nonexistent/Leptos.toml"), false).unwrap();
        assert_eq!(s.site_addr.port(), 3000);
        assert_eq!(s.data_dir, PathBuf::from("data"));
    }

    #[test]
    fn a_missing_required_file_is_an_error_naming_it() {
        let err = Settings::load(Path::new("/nonexistent/Leptos.toml"), true).unwrap_err();
        assert!(format!("{err:#}").contains("/nonexistent/Leptos.toml"));
    }

    #[test]
    fn unknown_keys_and_bad_values_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("Leptos.toml");
        std::fs::write(&path, "site-adr = \"127.0.0.1:1\"\n").unwrap();
        let err = format!("{:#}", Settings::load(&path, true).unwrap_err());
        assert!(err.contains("site-adr"), "{err}");
        std::fs::write(&path, "site-addr = \"nowhere\"\n").unwrap();
        let err = format!("{:#}", Settings::load(&path, true).unwrap_err());
        assert!(err.contains("socket address"), "{err}");
    }

    #[test]
    fn database_url_wins_over_the_embedded_default() {
        let s = Settings::default();
        let t = s
            .database(Some("postgres://u:p@localhost/db"), None)
            .unwrap();
        assert_eq!(t.engine(), app::db::Engine::Postgres);
        let t = s.database(None, Some(Path::new("/tmp/x"))).unwrap();
        assert_eq!(
            t,
            DatabaseTarget::Sqlite {
                path: PathBuf::from("/tmp/x/patron.db")
            }
        );
        let t = s.database(Some("  "), None).unwrap();
        assert_eq!(t.engine(), app::db::Engine::Sqlite);
    }
}

//! Configuration: built-in defaults, then an optional TOML file (`kith.toml`, or the file named
//! by `--config`/`KITH_CONFIG`), then `KITH_*` environment variables, each overriding the last.
//! Every field is documented in docs/configuration.md and shown in kith.example.toml.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use figment::{
    Figment,
    providers::{Env, Format, Serialized, Toml},
};
use serde::{Deserialize, Deserializer, Serialize};

/// The file read when no other is named and it exists.
pub const DEFAULT_CONFIG_FILE: &str = "kith.toml";

/// Kith's settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address and port the HTTP server listens on.
    pub listen: String,
    /// Public host (and port) of the instance: part of every actor id, so never change it once
    /// the instance has federated.
    pub domain: String,
    /// `sqlite://PATH` or `postgres://USER:PASSWORD@HOST/DB`.
    pub database_url: String,
    /// Most pooled database connections; 0 picks a default for the database.
    pub database_max_connections: u32,
    /// The instance's display name.
    pub instance_name: String,
    /// Development mode: plain-http URLs and loopback peers allowed. Never on a public server.
    #[serde(deserialize_with = "lenient_bool")]
    pub dev: bool,
    /// Private addresses Kith may reach outside development mode (a peer on the same network),
    /// comma-separated IPs; every other loopback, private or link-local address is refused.
    pub allowed_private_addresses: String,
    /// Inbox deliveries accepted per sending host per minute, in each process; 0 keeps the
    /// default (1,200).
    pub inbox_per_host_per_minute: u32,
    /// Inbox requests accepted per client address per minute, in each process; 0 keeps the
    /// default (1,200).
    pub inbox_per_ip_per_minute: u32,
    /// Reverse proxies (IP addresses or networks) whose `X-Forwarded-For` names the client; a
    /// list, or one comma-separated text. Empty (the default): the header is ignored.
    #[serde(deserialize_with = "list_or_text")]
    pub trusted_proxies: Vec<String>,
    /// The SMTP server mail is sent through; empty (the default): Kith sends no email.
    pub smtp_host: String,
    /// Its port; 0 picks the usual one for `smtp_security` (587, 465, or 25).
    pub smtp_port: u16,
    /// `starttls` (the default), `tls`, or `none` (a relay on this machine or network only).
    pub smtp_security: kith_federation::actions::mail::Security,
    /// The SMTP login, if the server asks for one.
    pub smtp_username: String,
    /// The SMTP password, with the login.
    pub smtp_password: String,
    /// The `From` of every email: `Kith <kith@example.org>`; empty: `kith@` the domain.
    pub mail_from: String,
    /// The folder uploaded pictures are kept in; empty (the default): a `media` folder beside
    /// the SQLite database file, or `data/media` with PostgreSQL.
    pub media_dir: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".into(),
            domain: "localhost:8080".into(),
            database_url: "sqlite://data/kith.db".into(),
            database_max_connections: 0,
            instance_name: "Kith".into(),
            dev: false,
            allowed_private_addresses: String::new(),
            inbox_per_host_per_minute: 0,
            inbox_per_ip_per_minute: 0,
            trusted_proxies: Vec::new(),
            smtp_host: String::new(),
            smtp_port: 0,
            smtp_security: kith_federation::actions::mail::Security::default(),
            smtp_username: String::new(),
            smtp_password: String::new(),
            mail_from: String::new(),
            media_dir: String::new(),
        }
    }
}

/// The keys that `KITH_*` variables may set (others, like `KITH_PASSWORD`, are not settings).
const FIELDS: &[&str] = &[
    "listen",
    "domain",
    "database_url",
    "database_max_connections",
    "instance_name",
    "dev",
    "allowed_private_addresses",
    "inbox_per_host_per_minute",
    "inbox_per_ip_per_minute",
    "trusted_proxies",
    "smtp_host",
    "smtp_port",
    "smtp_security",
    "smtp_username",
    "smtp_password",
    "mail_from",
    "media_dir",
];

impl Config {
    /// The parsed `allowed_private_addresses`.
    pub fn allowed_private_ips(&self) -> anyhow::Result<Vec<std::net::IpAddr>> {
        self.allowed_private_addresses
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse().with_context(|| {
                    format!("allowed_private_addresses: {s:?} is not an IP address")
                })
            })
            .collect()
    }

    /// The parsed `trusted_proxies`.
    pub fn trusted_proxies(&self) -> anyhow::Result<kith_web::TrustedProxies> {
        kith_web::TrustedProxies::parse(&self.trusted_proxies)
            .map_err(|reason| anyhow::anyhow!("trusted_proxies: {reason}"))
    }

    /// The folder pictures are kept in: `media_dir`, or a `media` folder beside the SQLite
    /// database file (so a backup of its folder holds both), or `data/media`.
    pub fn media_dir(&self) -> std::path::PathBuf {
        use std::path::{Path, PathBuf};
        if !self.media_dir.trim().is_empty() {
            return PathBuf::from(self.media_dir.trim());
        }
        let file = self
            .database_url
            .strip_prefix("sqlite://")
            .or_else(|| self.database_url.strip_prefix("sqlite:"))
            .map(|rest| rest.split('?').next().unwrap_or(rest));
        match file.and_then(|f| Path::new(f).parent()) {
            Some(folder) => folder.join("media"),
            None => PathBuf::from("data/media"),
        }
    }

    /// The mail settings; `None` when no SMTP server is configured (no email is sent).
    pub fn mail_settings(
        &self,
    ) -> anyhow::Result<Option<kith_federation::actions::mail::MailSettings>> {
        use kith_federation::actions::mail::{MailSettings, Security};
        let host = self.smtp_host.trim();
        if host.is_empty() {
            return Ok(None);
        }
        let port = match (self.smtp_port, self.smtp_security) {
            (0, Security::Starttls) => 587,
            (0, Security::Tls) => 465,
            (0, Security::None) => 25,
            (port, _) => port,
        };
        let from = if self.mail_from.trim().is_empty() {
            let domain = self.domain.split(':').next().unwrap_or(&self.domain);
            format!("kith@{domain}")
        } else {
            self.mail_from.trim().to_owned()
        };
        if !kith_federation::actions::mail::is_mailbox(&from) {
            bail!("mail_from: {from:?} is not an email address");
        }
        let login = Some(self.smtp_username.clone()).filter(|u| !u.is_empty());
        Ok(Some(MailSettings {
            host: host.to_owned(),
            port,
            security: self.smtp_security,
            password: login.as_ref().map(|_| self.smtp_password.clone()),
            username: login,
            from,
        }))
    }

    /// Loads the settings. `file` is the file named on the command line or in `KITH_CONFIG`;
    /// without one, `kith.toml` in the working folder is read when it exists.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Config> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(path) => {
                if !path.exists() {
                    bail!("the configuration file {} does not exist", path.display());
                }
                figment = figment.merge(Toml::file_exact(path));
            }
            None if Path::new(DEFAULT_CONFIG_FILE).exists() => {
                figment = figment.merge(Toml::file_exact(DEFAULT_CONFIG_FILE));
            }
            None => {}
        }
        figment = figment.merge(Env::prefixed("KITH_").only(FIELDS));
        figment.extract().context("reading the configuration")
    }

    /// The configuration file named by `KITH_CONFIG`, if any.
    pub fn file_from_env() -> Option<PathBuf> {
        std::env::var_os("KITH_CONFIG")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    }
}

/// Accepts a list (`["10.0.0.1", "fd00::/8"]` in TOML) or one comma-separated text (what an
/// environment variable holds).
fn list_or_text<'de, D: Deserializer<'de>>(de: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Loose {
        List(Vec<String>),
        Text(String),
    }
    let items = match Loose::deserialize(de)? {
        Loose::List(items) => items,
        Loose::Text(text) => text.split(',').map(str::to_owned).collect(),
    };
    Ok(items
        .into_iter()
        .map(|item| item.trim().to_owned())
        .filter(|item| !item.is_empty())
        .collect())
}

/// Accepts `true`/`false` and the `1`/`0`, `yes`/`no`, `on`/`off` people write in environments.
fn lenient_bool<'de, D: Deserializer<'de>>(de: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Loose {
        Bool(bool),
        Int(i64),
        Text(String),
    }
    match Loose::deserialize(de)? {
        Loose::Bool(b) => Ok(b),
        Loose::Int(i) => Ok(i != 0),
        Loose::Text(s) => match s.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Ok(true),
            "0" | "false" | "no" | "off" | "" => Ok(false),
            other => Err(serde::de::Error::custom(format!(
                "expected true or false, got {other:?}"
            ))),
        },
    }
}

#[cfg(test)]
mod tests {
    // figment's test jail returns its own (large) error type.
    #![allow(clippy::unwrap_used, clippy::result_large_err)]
    use super::*;

    #[test]
    fn files_and_environment_override_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("kith.toml", "domain = \"kith.example\"\ndev = true\n")?;
            jail.set_env("KITH_LISTEN", "0.0.0.0:9000");
            jail.set_env("KITH_DEV", "0");
            jail.set_env("KITH_PASSWORD", "not a setting");
            let config = Config::load(None).unwrap();
            assert_eq!(config.domain, "kith.example");
            assert_eq!(config.listen, "0.0.0.0:9000");
            assert!(!config.dev);
            assert_eq!(config.database_url, Config::default().database_url);
            assert!(config.trusted_proxies.is_empty());
            jail.set_env("KITH_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8");
            let config = Config::load(None).unwrap();
            assert_eq!(config.trusted_proxies, ["127.0.0.1", "10.0.0.0/8"]);
            assert!(config.trusted_proxies().is_ok());
            jail.create_file("list.toml", "trusted_proxies = [\"::1\", \"fd00::/8\"]\n")?;
            jail.set_env("KITH_TRUSTED_PROXIES", "");
            let config = Config::load(Some(Path::new("list.toml"))).unwrap();
            assert!(
                config.trusted_proxies.is_empty(),
                "the variable wins, even empty"
            );
            jail.clear_env();
            let config = Config::load(Some(Path::new("list.toml"))).unwrap();
            assert_eq!(config.trusted_proxies, ["::1", "fd00::/8"]);
            jail.set_env("KITH_TRUSTED_PROXIES", "proxy.example");
            let err = Config::load(None).unwrap().trusted_proxies().unwrap_err();
            assert!(format!("{err:#}").contains("proxy.example"), "{err:#}");
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_and_missing_files_are_errors() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("typo.toml", "domian = \"x\"\n")?;
            let err = Config::load(Some(Path::new("typo.toml"))).unwrap_err();
            assert!(format!("{err:#}").contains("domian"), "{err:#}");
            assert!(Config::load(Some(Path::new("missing.toml"))).is_err());
            jail.set_env("KITH_DEV", "maybe");
            assert!(Config::load(None).is_err());
            Ok(())
        });
    }
}

#[cfg(test)]
mod example_tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// kith.example.toml must show every setting with its real default, and
    /// docs/configuration.md must document every setting.
    #[test]
    fn example_file_and_docs_match_the_defaults() {
        let example: Config = toml::from_str(include_str!("../../../kith.example.toml")).unwrap();
        assert_eq!(
            example,
            Config::default(),
            "kith.example.toml differs from the defaults"
        );
        let text: toml::Table = toml::from_str(include_str!("../../../kith.example.toml")).unwrap();
        let docs = include_str!("../../../docs/configuration.md");
        for field in FIELDS {
            assert!(text.contains_key(*field), "kith.example.toml lacks {field}");
            let env = format!("KITH_{}", field.to_uppercase());
            assert!(
                docs.contains(&format!("`{field}`")),
                "docs/configuration.md lacks {field}"
            );
            assert!(docs.contains(&env), "docs/configuration.md lacks {env}");
        }
        assert_eq!(
            text.len(),
            FIELDS.len(),
            "kith.example.toml has a setting Kith does not know"
        );
    }
}

#[cfg(test)]
mod mail_tests {
    // figment's test jail returns its own (large) error type.
    #![allow(clippy::unwrap_used, clippy::result_large_err)]
    use super::*;
    use kith_federation::actions::mail::Security;

    #[test]
    fn mail_is_off_without_a_host_and_picks_the_usual_port() {
        figment::Jail::expect_with(|jail| {
            let config = Config::load(None).unwrap();
            assert!(config.mail_settings().unwrap().is_none());
            assert_eq!(config.media_dir(), std::path::PathBuf::from("data/media"));
            jail.set_env("KITH_DOMAIN", "kith.example:8443");
            jail.set_env("KITH_SMTP_HOST", "smtp.example");
            jail.set_env("KITH_SMTP_SECURITY", "tls");
            let mail = Config::load(None)
                .unwrap()
                .mail_settings()
                .unwrap()
                .unwrap();
            assert_eq!((mail.port, mail.security), (465, Security::Tls));
            assert_eq!(mail.from, "kith@kith.example");
            assert!(mail.username.is_none());
            jail.set_env("KITH_SMTP_PORT", "2525");
            jail.set_env("KITH_SMTP_USERNAME", "kith");
            jail.set_env("KITH_SMTP_PASSWORD", "secret");
            jail.set_env("KITH_MAIL_FROM", "Runners <runners@example.org>");
            let mail = Config::load(None)
                .unwrap()
                .mail_settings()
                .unwrap()
                .unwrap();
            assert_eq!(mail.port, 2525);
            assert_eq!(mail.password.as_deref(), Some("secret"));
            jail.set_env("KITH_MAIL_FROM", "not an address");
            assert!(Config::load(None).unwrap().mail_settings().is_err());
            jail.set_env("KITH_SMTP_SECURITY", "ssl");
            assert!(
                Config::load(None).is_err(),
                "an unknown security is refused"
            );
            Ok(())
        });
    }
}

//! The settings federation needs from the configuration.

use serde::{Deserialize, Serialize};

use crate::ratelimit::Limits;

/// Settings federation needs from the configuration.
#[derive(Clone, Debug)]
pub struct FederationSettings {
    /// The public host (and port) of this instance, as in actor ids: `kith.example`.
    pub domain: String,
    /// Development mode: plain-http ids and loopback peers are allowed (local federation tests).
    pub dev: bool,
    /// Rate limits and caps.
    pub limits: Limits,
    /// Private addresses outgoing requests may reach outside development mode.
    pub allowed_private_addresses: Vec<std::net::IpAddr>,
    /// Outgoing email; `None`: no mail is queued or sent (`crate::actions::mail`).
    pub mail: Option<MailSettings>,
    /// Where pictures are stored (`crate::media`); `None`: uploads are refused.
    pub media_dir: Option<std::path::PathBuf>,
}

impl FederationSettings {
    /// Settings for `domain` with the default limits.
    pub fn new(domain: impl Into<String>, dev: bool) -> Self {
        FederationSettings {
            domain: domain.into(),
            dev,
            limits: Limits::default(),
            allowed_private_addresses: Vec::new(),
            mail: None,
            media_dir: None,
        }
    }
}

/// How the connection to the SMTP server is protected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// Plain connection upgraded with STARTTLS, required (port 587).
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: a relay on the same machine or network only.
    None,
}

/// Where and as whom mail is sent.
#[derive(Clone, Debug)]
pub struct MailSettings {
    /// The SMTP server's host name.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// STARTTLS, TLS or none.
    pub security: Security,
    /// The login, if the server asks for one.
    pub username: Option<String>,
    /// The password, with the login.
    pub password: Option<String>,
    /// The `From` address: `Kith <kith@example.org>` or `kith@example.org`.
    pub from: String,
}

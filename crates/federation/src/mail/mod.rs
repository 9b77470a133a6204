//! Email (issue 24): notifications, reminders, digests, address confirmation and password
//! resets, sent over SMTP from a queue in the database.
//!
//! What causes a message writes it in its own transaction (`Change::notify`, `compose`): the
//! notification row and the queued message are committed with the state change or not at all.
//! The worker (`send`) claims queued messages with a lease, like deliveries, and retries with
//! backoff while the SMTP server is down, so a message is delayed, never lost. Without SMTP
//! settings nothing is queued and the pages say so.

pub mod account;
pub mod compose;
pub mod digest;
pub mod notify;
pub mod send;

use serde::{Deserialize, Serialize};

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

/// Whether `text` is an address as `From` takes it (`kith@example.org`, `Kith <kith@example.org>`).
pub fn is_mailbox(text: &str) -> bool {
    text.parse::<lettre::message::Mailbox>().is_ok()
}

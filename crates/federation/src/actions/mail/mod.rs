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

pub use crate::context::{MailSettings, Security};

/// Whether `text` is an address as `From` takes it (`kith@example.org`, `Kith <kith@example.org>`).
pub fn is_mailbox(text: &str) -> bool {
    text.parse::<lettre::message::Mailbox>().is_ok()
}

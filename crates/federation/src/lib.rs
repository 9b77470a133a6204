//! Kith's federation layer: what Kith's actors are and how they speak ActivityPub. It owns the
//! group and account logic (who may do what), so that the CLI, the web pages and the inbox all
//! run the same code; storage is reached only through `kith-storage`.

pub mod actions;
pub mod activities;
mod addresses;
pub mod answers;
pub mod authorised_fetch;
pub mod background;
pub mod change;
pub mod client;
mod context;
pub mod deliver;
pub mod delivery;
pub mod documents;
mod error;
pub mod events;
pub mod fetch;
pub mod followers_sync;
pub mod forms;
pub mod group_digest;
pub mod inbox;
pub mod ingress;
pub mod key_lookup;
pub mod keys;
pub mod knock;
pub mod legacy_html;
pub mod mail;
pub mod media;
pub mod names;
pub mod processes;
pub mod protocol;
pub mod ratelimit;
pub mod retention;
pub mod sanitize;
pub mod scheduled;
pub mod signatures;
pub mod software;
pub mod untrusted;
pub mod urls;
pub mod webfinger;

pub use context::{Context, Counters, FederationSettings};
pub use error::{FederationError, Result};
pub use ratelimit::Limits;

/// The media type of ActivityPub documents.
pub const ACTIVITY_JSON: &str = "application/activity+json";

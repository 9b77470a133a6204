//! Kith's federation layer: what Kith's actors are and how they speak ActivityPub. It owns the
//! group and account logic (who may do what), so that the CLI, the web pages and the inbox all
//! run the same code; storage is reached only through `kith-storage`.

pub mod actions;
pub mod context;
mod error;
pub mod events;
pub mod inbound;
pub mod jobs;
pub mod keys;
pub mod media;
pub mod names;
pub mod outbound;
pub mod protocol;
pub mod ratelimit;
pub mod sanitize;
pub(crate) mod scheduled;
pub(crate) mod secrets;
pub mod signatures;
pub mod untrusted;
pub mod urls;

pub use context::{Context, Counters, FederationSettings};
pub use error::{FederationError, Result};
pub use ratelimit::Limits;

/// The media type of ActivityPub documents (activitypub_federation's constant).
pub use activitypub_federation::FEDERATION_CONTENT_TYPE as ACTIVITY_JSON;

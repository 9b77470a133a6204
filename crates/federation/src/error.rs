//! The federation error.

use kith_storage::StorageError;

/// A `Result` whose error is [`FederationError`].
pub type Result<T, E = FederationError> = std::result::Result<T, E>;

/// Everything that can go wrong in federation and in the actions built on it.
#[derive(Debug, thiserror::Error)]
pub enum FederationError {
    /// A person or group name is already used on this instance (they share one namespace).
    #[error("the name {0:?} is already taken on this instance")]
    NameTaken(String),
    /// A name breaks the rules for local names.
    #[error("invalid name {name:?}: {reason}")]
    InvalidName {
        /// The name as given.
        name: String,
        /// Which rule it breaks.
        reason: &'static str,
    },
    /// No local account has this name.
    #[error("no account named {0:?}")]
    UnknownAccount(String),
    /// A password was refused (too short, say) or could not be hashed.
    #[error("password: {0}")]
    Password(String),
    /// Generating or reading a key failed.
    #[error("key: {0}")]
    Key(String),
    /// What was asked for is not here.
    #[error("not found: {0}")]
    NotFound(String),
    /// The request is malformed.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// A request's HTTP signature is missing, malformed, stale or does not verify.
    #[error("signature: {0}")]
    Signature(String),
    /// No valid credentials (an unknown API token).
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// The sender may not do this (an id on another host, a post where posting is closed).
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// This activity id was received before; it has no second effect.
    #[error("activity {0} was already received")]
    Duplicate(String),
    /// A body larger than Kith accepts.
    #[error("body larger than {0} bytes")]
    TooLarge(usize),
    /// The remote resource is gone (HTTP 410).
    #[error("gone: {0}")]
    Gone(String),
    /// Fetching from or delivering to another server failed.
    #[error("remote: {0}")]
    Remote(String),
    /// Too many attempts (failed logins); try again after this many seconds.
    #[error("too many attempts; try again in {0} seconds")]
    RateLimited(u64),
    /// Something inside Kith failed (a queue's writer stopped).
    #[error("internal: {0}")]
    Internal(String),
    /// The storage layer failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

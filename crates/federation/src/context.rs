//! The one context every federation handler and action receives: the database and the settings.

use std::sync::Arc;

use kith_storage::Database;

use crate::urls::Urls;

/// Settings federation needs from the configuration.
#[derive(Clone, Debug)]
pub struct FederationSettings {
    /// The public host (and port) of this instance, as in actor ids: `kith.example`.
    pub domain: String,
    /// Development mode: plain-http ids and loopback peers are allowed (local federation tests).
    pub dev: bool,
}

/// Shared state: cheap to clone, passed to handlers as the federation library's data.
#[derive(Clone, Debug)]
pub struct Context {
    /// The database.
    pub db: Database,
    settings: Arc<FederationSettings>,
    urls: Urls,
}

impl Context {
    /// Builds the context from an open database and the settings.
    pub fn new(db: Database, settings: FederationSettings) -> crate::Result<Self> {
        let urls = Urls::new(&settings.domain, settings.dev)?;
        Ok(Context {
            db,
            settings: Arc::new(settings),
            urls,
        })
    }

    /// The settings.
    pub fn settings(&self) -> &FederationSettings {
        &self.settings
    }

    /// The URLs of this instance's actors and objects.
    pub fn urls(&self) -> &Urls {
        &self.urls
    }
}

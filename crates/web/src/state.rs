//! What every handler receives.

use std::sync::Arc;

use kith_federation::Context;

/// Settings only the web layer uses.
#[derive(Clone, Debug)]
pub struct WebSettings {
    /// The instance's display name (NodeInfo `metadata.nodeName`, page titles).
    pub instance_name: String,
}

/// The handlers' state: the federation context and the web settings. Cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState {
    /// Database, federation settings and URLs.
    pub ctx: Context,
    /// Web settings.
    pub web: Arc<WebSettings>,
}

impl AppState {
    /// Bundles the context and the web settings.
    pub fn new(ctx: Context, web: WebSettings) -> Self {
        AppState {
            ctx,
            web: Arc::new(web),
        }
    }
}

//! What every handler receives.

use std::sync::Arc;
use std::time::Duration;

use kith_federation::Context;

use crate::TrustedProxies;

/// Settings only the web layer uses.
#[derive(Clone, Debug)]
pub struct WebSettings {
    /// The instance's display name (NodeInfo `metadata.nodeName`, page titles).
    pub instance_name: String,
    /// The reverse proxies whose `X-Forwarded-For` names the client (none by default).
    pub trusted_proxies: TrustedProxies,
    /// How long a connection may take to send a request's head, counted from when the server
    /// waits for it (a new connection, or an idle one between requests); then it is closed.
    pub header_timeout: Duration,
}

impl WebSettings {
    /// How long a connection may wait with a request head unsent, by default.
    pub const HEADER_TIMEOUT: Duration = Duration::from_secs(30);

    /// The settings of an instance named `instance_name`: no trusted proxy, the default
    /// header timeout.
    pub fn new(instance_name: impl Into<String>) -> Self {
        WebSettings {
            instance_name: instance_name.into(),
            trusted_proxies: TrustedProxies::default(),
            header_timeout: Self::HEADER_TIMEOUT,
        }
    }
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

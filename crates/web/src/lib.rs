//! Kith's HTTP face: the axum routes. Handlers stay thin; what they do is decided in
//! `kith-federation` and stored through `kith-storage`.

mod access;
mod activitypub;
mod api;
mod atom;
pub mod auth;
mod cache;
mod client_addr;
mod connections;
mod error;
mod events;
mod health;
mod html_errors;
mod media;
mod nodeinfo;
mod pages;
mod run;
mod security_headers;
mod state;
mod webfinger;

use axum::Router;

pub use client_addr::TrustedProxies;
pub use error::ApiError;
pub use run::run;
pub use state::{AppState, WebSettings};

/// Every route Kith serves, behind the cache of public documents (`cache.rs`), with the
/// security headers on every response (`security_headers.rs`).
pub fn router(state: AppState) -> Router {
    let cache = cache::DocumentCache::default();
    Router::new()
        .merge(health::router())
        .merge(nodeinfo::router())
        .merge(webfinger::router())
        .merge(activitypub::router())
        .merge(api::router())
        .merge(api::events::router())
        .merge(api::accounts::router())
        .merge(api::groups::router())
        .merge(api::invitations::router())
        .merge(api::pictures::router())
        .merge(api::safety::router())
        .merge(events::router())
        .merge(pages::router())
        .merge(atom::router())
        .merge(media::router())
        .layer(axum::middleware::from_fn_with_state(cache, cache::layer))
        .layer(axum::middleware::from_fn(html_errors::layer))
        .layer(axum::middleware::map_response(security_headers::add))
        .with_state(state)
}

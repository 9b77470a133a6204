//! Requests through the router, for the web tests.

#![allow(dead_code)] // Each test binary uses part of this module.

use axum::{body::Body, http::Request};
use http_body_util::BodyExt;
use kith_federation::{
    Context, FederationSettings,
    actions::{
        accounts::create_account,
        groups::{NewGroup, create_group},
    },
};
use kith_storage::{Database, JoinPolicy};
use kith_web::{AppState, WebSettings, router};
use serde_json::Value;
use tower::ServiceExt;

#[allow(dead_code)]
/// GETs `uri` and returns the status, the content type and the body as text.
pub async fn get(state: &AppState, uri: &str) -> (u16, String, String) {
    let res = router(state.clone())
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status().as_u16();
    let ctype = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, ctype, String::from_utf8_lossy(&bytes).into_owned())
}

/// The body as JSON, or as a JSON string when it is not JSON.
pub fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|_| Value::String(body.to_owned()))
}

/// An instance at `kith.test` named "Test Kith", with the account `ann` and her open group
/// `runners`.
pub async fn state_with_group(db: &Database) -> AppState {
    let settings = FederationSettings::new("kith.test", false);
    let ctx = Context::new(db.clone(), settings).unwrap();
    create_account(&ctx, "ann", "long enough", false)
        .await
        .unwrap();
    let group = NewGroup {
        name: "runners".into(),
        owner: "ann".into(),
        title: None,
        summary: None,
        join_policy: JoinPolicy::Open,
        visibility: kith_storage::GroupVisibility::Public,
    };
    create_group(&ctx, &group).await.unwrap();
    AppState::new(ctx, WebSettings::new("Test Kith"))
}

/// A response read whole.
pub struct Reply {
    pub status: u16,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Reply {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        json(&self.body)
    }

    /// The `Set-Cookie` headers.
    pub fn cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }

    /// `name=value` of a cookie this response sets.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies()
            .into_iter()
            .find(|c| c.starts_with(&format!("{name}=")))
            .map(|c| c.split(';').next().unwrap().to_owned())
    }
}

/// Sends a request with headers and a body through the router.
pub async fn send(
    state: &AppState,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Reply {
    send_from(state, None, method, uri, headers, body).await
}

/// [`send`] over a connection from `peer` (`ip:port`), as the server passes it to handlers.
pub async fn send_from(
    state: &AppState,
    peer: Option<&str>,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Reply {
    let mut req = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let mut req = req.body(Body::from(body.to_owned())).unwrap();
    if let Some(peer) = peer {
        let peer: std::net::SocketAddr = peer.parse().unwrap();
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(peer));
    }
    let res = router(state.clone()).oneshot(req).await.unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

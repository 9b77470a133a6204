//! Requests through the router, for the web tests.

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
    let settings = FederationSettings {
        domain: "kith.test".into(),
        dev: false,
    };
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
    };
    create_group(&ctx, &group).await.unwrap();
    AppState::new(
        ctx,
        WebSettings {
            instance_name: "Test Kith".into(),
        },
    )
}

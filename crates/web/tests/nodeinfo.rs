//! NodeInfo and health, through the router, on every test database.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use axum::{body::Body, http::Request};
use http_body_util::BodyExt;
use kith_federation::{
    Context, FederationSettings,
    actions::{accounts::create_account, groups::NewGroup, groups::create_group},
};
use kith_storage::{JoinPolicy, testing};
use kith_web::{AppState, WebSettings, router};
use serde_json::Value;
use tower::ServiceExt;

async fn get(state: &AppState, uri: &str) -> (u16, String, Value) {
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
    let body = serde_json::from_slice(&bytes)
        .unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, ctype, body)
}

#[tokio::test]
async fn nodeinfo_reports_software_and_usage() {
    for t in testing::all().await {
        let settings = FederationSettings {
            domain: "kith.test".into(),
            dev: false,
        };
        let ctx = Context::new(t.db.clone(), settings).unwrap();
        create_account(&ctx, "ann", "long enough", false)
            .await
            .unwrap();
        create_group(
            &ctx,
            &NewGroup {
                name: "runners".into(),
                owner: "ann".into(),
                title: None,
                summary: None,
                join_policy: JoinPolicy::Open,
            },
        )
        .await
        .unwrap();
        let state = AppState::new(
            ctx,
            WebSettings {
                instance_name: "Test Kith".into(),
            },
        );

        let (status, _, links) = get(&state, "/.well-known/nodeinfo").await;
        assert_eq!(status, 200);
        assert_eq!(links["links"][0]["href"], "https://kith.test/nodeinfo/2.1");
        assert_eq!(links["links"][1]["href"], "https://kith.test/nodeinfo/2.0");

        let (status, ctype, doc) = get(&state, "/nodeinfo/2.1").await;
        assert_eq!(status, 200, "{}", t.label);
        assert!(ctype.contains("schema/2.1#"), "{ctype}");
        assert_eq!(doc["version"], "2.1");
        assert_eq!(doc["software"]["name"], "kith");
        assert_eq!(doc["protocols"][0], "activitypub");
        assert_eq!(doc["usage"]["users"]["total"], 1);
        assert_eq!(doc["metadata"]["localGroups"], 1);
        assert_eq!(doc["metadata"]["nodeName"], "Test Kith");

        let (status, _, doc) = get(&state, "/nodeinfo/2.0").await;
        assert_eq!(status, 200);
        assert_eq!(doc["version"], "2.0");
        assert!(doc["software"].get("repository").is_none());

        let (status, _, body) = get(&state, "/healthz").await;
        assert_eq!((status, body), (200, Value::String("ok".into())));

        t.db.close().await;
        let (status, _, body) = get(&state, "/healthz").await;
        assert_eq!(status, 503);
        assert_eq!(body["error"], "unavailable");
    }
}

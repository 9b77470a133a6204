//! WebFinger and host-meta through the router, on every test database.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use support::{get, json, state_with_group};

use kith_federation::{
    Context, FederationSettings, outbound::instance_actor::ensure_instance_actor,
};
use kith_storage::testing;
use kith_web::{AppState, WebSettings};
use serde_json::Value;

async fn jrd(state: &AppState, resource: &str) -> (u16, Value) {
    let (status, _, body) = get(
        state,
        &format!("/.well-known/webfinger?resource={resource}"),
    )
    .await;
    (status, json(&body))
}

#[tokio::test]
async fn webfinger_finds_people_groups_and_the_instance_actor() {
    for t in testing::all().await {
        let state = state_with_group(&t.db).await;
        ensure_instance_actor(&state.ctx).await.unwrap();

        let (status, ctype, _) = get(
            &state,
            "/.well-known/webfinger?resource=acct:runners@kith.test",
        )
        .await;
        assert_eq!(
            (status, ctype.as_str()),
            (200, "application/jrd+json"),
            "{}",
            t.label
        );

        for (resource, id) in [
            ("acct:runners@kith.test", "https://kith.test/g/runners"),
            ("acct:RUNNERS@KITH.test", "https://kith.test/g/runners"),
            ("runners@kith.test", "https://kith.test/g/runners"),
            ("@ann@kith.test", "https://kith.test/u/ann"),
            ("https://kith.test/u/ann", "https://kith.test/u/ann"),
            ("acct:kith.test@kith.test", "https://kith.test/actor"),
        ] {
            let (status, doc) = jrd(&state, resource).await;
            assert_eq!(status, 200, "{}: {resource}", t.label);
            let this = doc["links"]
                .as_array()
                .unwrap()
                .iter()
                .find(|l| l["rel"] == "self")
                .unwrap();
            assert_eq!(this["href"], id, "{resource}");
            assert_eq!(this["type"], "application/activity+json");
            assert_eq!(doc["aliases"][0], id);
        }
        let (_, doc) = jrd(&state, "acct:Runners@kith.test").await;
        assert_eq!(
            doc["subject"], "acct:runners@kith.test",
            "the stored name, not the query's case"
        );

        for missing in [
            "acct:nobody@kith.test",
            "acct:runners@elsewhere.test",
            "https://kith.test/u/nobody",
        ] {
            assert_eq!(jrd(&state, missing).await.0, 404, "{missing}");
        }
        assert_eq!(jrd(&state, "acct:no-domain").await.0, 400);
        let (status, _, body) = get(&state, "/.well-known/webfinger").await;
        assert_eq!(status, 400);
        assert!(body.contains("resource"), "{body}");
    }
}

#[tokio::test]
async fn host_meta_points_at_webfinger() {
    let t = testing::sqlite().await;
    let settings = FederationSettings::new("kith.test", false);
    let state = AppState::new(
        Context::new(t.db.clone(), settings).unwrap(),
        WebSettings::new("Kith"),
    );
    let (status, ctype, body) = get(&state, "/.well-known/host-meta").await;
    assert_eq!(status, 200);
    assert!(ctype.starts_with("application/xrd+xml"));
    assert!(
        body.contains("template=\"https://kith.test/.well-known/webfinger?resource={uri}\""),
        "{body}"
    );
}

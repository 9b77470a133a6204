//! NodeInfo and health, through the router, on every test database.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use support::{get, json, state_with_group};

use kith_storage::testing;
use serde_json::Value;

#[tokio::test]
async fn nodeinfo_reports_software_and_usage() {
    for t in testing::all().await {
        let state = state_with_group(&t.db).await;

        let (status, _, links) = get(&state, "/.well-known/nodeinfo").await;
        let links = json(&links);
        assert_eq!(status, 200);
        assert_eq!(links["links"][0]["href"], "https://kith.test/nodeinfo/2.1");
        assert_eq!(links["links"][1]["href"], "https://kith.test/nodeinfo/2.0");

        let (status, ctype, doc) = get(&state, "/nodeinfo/2.1").await;
        let doc = json(&doc);
        assert_eq!(status, 200, "{}", t.label);
        assert!(ctype.contains("schema/2.1#"), "{ctype}");
        assert_eq!(doc["version"], "2.1");
        assert_eq!(doc["software"]["name"], "kith");
        assert_eq!(doc["protocols"][0], "activitypub");
        assert_eq!(doc["usage"]["users"]["total"], 1);
        assert_eq!(doc["metadata"]["localGroups"], 1);
        assert_eq!(doc["metadata"]["nodeName"], "Test Kith");

        let (status, _, doc) = get(&state, "/nodeinfo/2.0").await;
        let doc = json(&doc);
        assert_eq!(status, 200);
        assert_eq!(doc["version"], "2.0");
        assert!(doc["software"].get("repository").is_none());

        let (status, _, body) = get(&state, "/healthz").await;
        assert_eq!((status, json(&body)), (200, Value::String("ok".into())));

        t.db.close().await;
        let (status, _, body) = get(&state, "/healthz").await;
        assert_eq!(status, 503);
        assert_eq!(json(&body)["error"], "unavailable");
    }
}

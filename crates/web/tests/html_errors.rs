//! A browser that follows a link to something missing gets a page, not the API's JSON; API
//! clients and ActivityPub readers keep the JSON error.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use axum::{body::Body, http::Request};
use http_body_util::BodyExt;
use kith_storage::testing;
use kith_web::router;
use tower::ServiceExt;

async fn get_as(state: &kith_web::AppState, uri: &str, accept: &str) -> (u16, String, String) {
    let res = router(state.clone())
        .oneshot(
            Request::get(uri)
                .header("accept", accept)
                .body(Body::empty())
                .unwrap(),
        )
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

#[tokio::test]
async fn a_missing_group_or_post_is_a_page_for_browsers_and_json_for_readers() {
    let t = testing::sqlite().await;
    let state = support::state_with_group(&t.db).await;
    let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    for uri in ["/g/nosuch", "/u/nobody", "/o/01J0000000000000000000000"] {
        let (status, ctype, body) = get_as(&state, uri, browser).await;
        assert_eq!(status, 404, "{uri}");
        assert!(ctype.starts_with("text/html"), "{uri}: {ctype}");
        assert!(body.contains("<h1>Not found</h1>"), "{uri}: {body}");
        assert!(body.contains("href=\"/\""), "{uri}: a way back");
        assert!(!body.contains("\"error\""), "{uri}: {body}");

        let (status, ctype, body) = get_as(&state, uri, "application/activity+json").await;
        assert_eq!(status, 404, "{uri}");
        assert!(ctype.starts_with("application/json"), "{uri}: {ctype}");
        assert!(body.contains("not_found"), "{uri}: {body}");
    }
    // The API stays JSON whatever the client accepts.
    let (status, ctype, _) = get_as(&state, "/api/v1/groups/nosuch", browser).await;
    assert_eq!(status, 404);
    assert!(ctype.starts_with("application/json"), "{ctype}");
}

//! A one-second cache of the public documents other servers fetch most: actor documents,
//! WebFinger answers and outbox pages (docs/performance.md).
//!
//! When a post travels, every server that sees it fetches its group and author within seconds
//! (a fetch storm); each fetch used to cost two database queries. These documents are the same
//! for every anonymous requester (Kith does not vary them by the signer of a GET), so a copy is
//! served for up to [`TTL`], and any write this process handles (every non-GET request,
//! including inbox deliveries) clears the cache, so this process never serves a document older
//! than its own last change. Another process sharing the database may serve one up to `TTL`
//! old; federation tolerates far more (Mastodon refreshes actors after a day).
//!
//! Requests with a cookie or `Authorization` are never served from or stored in the cache, nor
//! is anything but a `200` ActivityPub or JRD answer.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use moka::sync::Cache;

/// How long a cached document may be served.
pub const TTL: Duration = Duration::from_secs(1);

/// Cached documents: larger answers (an outbox page is ~80 kB) are not worth holding.
const MAX_BODY: usize = 256 * 1024;

/// A cached answer: its content type, `Link` header and body.
#[derive(Clone)]
struct Cached {
    content_type: HeaderValue,
    link: Option<HeaderValue>,
    body: Bytes,
}

/// The cache of public documents, shared by every handler of the process.
#[derive(Clone)]
pub struct DocumentCache {
    entries: Cache<String, Arc<Cached>>,
}

impl std::fmt::Debug for DocumentCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DocumentCache")
            .field("entries", &self.entries.entry_count())
            .finish()
    }
}

impl Default for DocumentCache {
    fn default() -> Self {
        DocumentCache {
            entries: Cache::builder()
                .max_capacity(10_000)
                .time_to_live(TTL)
                .build(),
        }
    }
}

/// The cache key of a request that may be cached: path, query and the kind of document asked
/// for; `None` for every other request.
fn key_of(request: &Request) -> Option<String> {
    if request.method() != Method::GET {
        return None;
    }
    let headers = request.headers();
    if headers.contains_key(header::COOKIE) || headers.contains_key(header::AUTHORIZATION) {
        return None;
    }
    let path = request.uri().path();
    let cacheable = path == "/.well-known/webfinger"
        || path == "/actor"
        || is_actor_path(path)
        || (path.starts_with("/g/") && path.ends_with("/outbox"));
    if !cacheable {
        return None;
    }
    let wants = if path == "/.well-known/webfinger" {
        "jrd"
    } else if crate::activitypub::wants_activity_json(headers) {
        "ap"
    } else {
        return None;
    };
    let query = request.uri().query().unwrap_or("");
    Some(format!("{wants} {path}?{query}"))
}

/// `/u/NAME` or `/g/NAME`.
fn is_actor_path(path: &str) -> bool {
    let rest = path
        .strip_prefix("/g/")
        .or_else(|| path.strip_prefix("/u/"));
    rest.is_some_and(|name| !name.is_empty() && !name.contains('/'))
}

/// The middleware: answers from the cache, fills it, and clears it on every write.
pub async fn layer(State(cache): State<DocumentCache>, request: Request, next: Next) -> Response {
    let Some(key) = key_of(&request) else {
        let write = !matches!(*request.method(), Method::GET | Method::HEAD);
        let response = next.run(request).await;
        if write {
            // After the handler: a fetch racing with this write cannot put the old copy back
            // once the write is done.
            cache.entries.invalidate_all();
        }
        return response;
    };
    if let Some(hit) = cache.entries.get(&key) {
        return respond(&hit);
    }
    let response = next.run(request).await;
    if response.status() != StatusCode::OK {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(collected) = body.collect().await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let body = collected.to_bytes();
    if let Some(content_type) = parts.headers.get(header::CONTENT_TYPE)
        && body.len() <= MAX_BODY
    {
        let cached = Cached {
            content_type: content_type.clone(),
            link: parts.headers.get(header::LINK).cloned(),
            body: body.clone(),
        };
        cache.entries.insert(key, Arc::new(cached));
    }
    Response::from_parts(parts, Body::from(body))
}

fn respond(cached: &Cached) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, cached.content_type.clone());
    if let Some(link) = &cached.link {
        headers.insert(header::LINK, link.clone());
    }
    (headers, cached.body.clone()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(path: &str, accept: &str) -> Request {
        Request::builder()
            .uri(path)
            .header(header::ACCEPT, accept)
            .body(Body::empty())
            .unwrap_or_default()
    }

    #[test]
    fn only_public_documents_are_cached() {
        let ap = "application/activity+json";
        assert!(key_of(&get("/g/runners", ap)).is_some());
        assert!(key_of(&get("/u/ann", ap)).is_some());
        assert!(key_of(&get("/g/runners/outbox?page=true", ap)).is_some());
        assert!(key_of(&get("/.well-known/webfinger?resource=acct:a@b", "*/*")).is_some());
        // Pages for people, collections that list members, and anything signed in are not.
        assert!(key_of(&get("/g/runners", "text/html")).is_none());
        assert!(key_of(&get("/g/runners/followers", ap)).is_none());
        let mut with_cookie = get("/g/runners", ap);
        with_cookie
            .headers_mut()
            .insert(header::COOKIE, HeaderValue::from_static("kith_session=x"));
        assert!(key_of(&with_cookie).is_none());
        let mut post = get("/g/runners", ap);
        *post.method_mut() = Method::POST;
        assert!(key_of(&post).is_none());
    }

    #[test]
    fn the_key_tells_documents_apart() {
        let ap = "application/activity+json";
        assert_ne!(
            key_of(&get("/g/runners/outbox?page=true", ap)),
            key_of(&get("/g/runners/outbox", ap))
        );
        assert_ne!(key_of(&get("/g/a", ap)), key_of(&get("/u/a", ap)));
    }
}

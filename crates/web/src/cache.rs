//! A one-second cache of the public documents fetched most: actor documents, WebFinger answers
//! and outbox pages (other servers), post, event and group pages as anonymous visitors see them,
//! and the calendar and Atom feeds (docs/performance.md).
//!
//! When a post travels, every server that sees it fetches its group and author within seconds
//! (a fetch storm); each fetch used to cost two database queries. These documents are the same
//! for every anonymous requester (Kith does not vary them by the signer of a GET), so a copy is
//! served for up to [`TTL`], and any write request this process handles (every non-GET
//! request, including inbox deliveries) clears the cache. Changes made outside a request (the
//! inbox worker applying a queued post, another process sharing the database) show within
//! `TTL`; federation tolerates far more (Mastodon refreshes actors after a day).
//!
//! Requests with a cookie or `Authorization` are never served from or stored in the cache, nor
//! is anything but a `200` answer without `Set-Cookie` and without `Cache-Control: private` or
//! `no-store` (what one person alone may see, such as an event's online link).
//!
//! A few documents take another form for some kinds of server (a group that approves members,
//! for Lemmy; kith-federation `software::reader`): they say so with `Vary: User-Agent,
//! Signature`. The key holds the kind of server the `User-Agent` names, and an answer that
//! varies by signature is neither stored nor served for a signed request whose `User-Agent`
//! names no known server (its form came from the signer).

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use kith_federation::outbound::software::{Dialect, reader::dialect_of_user_agent};
use moka::sync::Cache;

/// How long a cached document may be served.
pub const TTL: Duration = Duration::from_secs(1);

/// Cached documents: larger answers (an outbox page is ~80 kB) are not worth holding.
const MAX_BODY: usize = 256 * 1024;

/// A cached answer: its headers and body.
#[derive(Clone)]
struct Cached {
    headers: HeaderMap,
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
    let wants = if path == "/.well-known/webfinger" {
        "jrd".to_owned()
    } else if is_feed_path(path) {
        "feed".to_owned()
    } else if crate::activitypub::wants_activity_json(headers) {
        if !(path == "/actor" || is_actor_path(path) || is_outbox_path(path)) {
            return None;
        }
        format!("ap {}", user_agent_class(headers).as_str())
    } else if is_actor_path(path) || is_object_path(path) || path == "/thread" {
        // A page as every anonymous visitor sees it, for the exact `Accept` asked with (an
        // event's page answers more than HTML).
        let accept = headers.get(header::ACCEPT)?.to_str().ok()?;
        format!("page {accept}")
    } else {
        return None;
    };
    let query = request.uri().query().unwrap_or("");
    Some(format!("{wants} {path}?{query}"))
}

/// The kind of server a request's `User-Agent` names.
fn user_agent_class(headers: &HeaderMap) -> Dialect {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map_or(Dialect::Unknown, dialect_of_user_agent)
}

/// Whether the form of the answer to this request may have come from its signer: signed, with
/// a `User-Agent` that names no known server.
fn reader_by_signer(headers: &HeaderMap) -> bool {
    user_agent_class(headers) == Dialect::Unknown
        && (headers.contains_key("signature") || headers.contains_key("signature-input"))
}

/// Whether an answer says it varies by the request's signature.
fn varies_by_signature(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::VARY)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.to_ascii_lowercase().contains("signature"))
}

/// `/u/NAME` or `/g/NAME`.
fn is_actor_path(path: &str) -> bool {
    let rest = path
        .strip_prefix("/g/")
        .or_else(|| path.strip_prefix("/u/"));
    rest.is_some_and(|name| !name.is_empty() && !name.contains('/'))
}

/// `/g/NAME/outbox`.
fn is_outbox_path(path: &str) -> bool {
    path.strip_prefix("/g/")
        .and_then(|rest| rest.strip_suffix("/outbox"))
        .is_some_and(|name| !name.is_empty() && !name.contains('/'))
}

/// `/o/KEY`: a local post's or event's page.
fn is_object_path(path: &str) -> bool {
    path.strip_prefix("/o/")
        .is_some_and(|key| !key.is_empty() && !key.contains('/'))
}

/// The calendar and Atom feeds, which calendar apps and feed readers poll.
fn is_feed_path(path: &str) -> bool {
    path == "/events.ics"
        || path.ends_with("/events.ics") && path.starts_with("/g/")
        || path.ends_with("/calendar.ics") && path.starts_with("/o/")
        || path.ends_with("/feed.atom") && path.starts_with("/g/")
}

/// Whether an answer is for its requester alone (`Cache-Control: private` or `no-store`: an
/// event page with its online link, a private calendar).
fn is_private(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            let v = v.to_ascii_lowercase();
            v.contains("private") || v.contains("no-store")
        })
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
    let by_signer = reader_by_signer(request.headers());
    if let Some(hit) = cache.entries.get(&key)
        && !(by_signer && varies_by_signature(&hit.headers))
    {
        return respond(&hit);
    }
    let response = next.run(request).await;
    if response.status() != StatusCode::OK || by_signer && varies_by_signature(response.headers()) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(collected) = body.collect().await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let body = collected.to_bytes();
    // An answer that sets a cookie, or says it is private, belongs to one visitor.
    if body.len() <= MAX_BODY
        && !parts.headers.contains_key(header::SET_COOKIE)
        && !is_private(&parts.headers)
    {
        let cached = Cached {
            headers: parts.headers.clone(),
            body: body.clone(),
        };
        cache.entries.insert(key, Arc::new(cached));
    }
    Response::from_parts(parts, Body::from(body))
}

fn respond(cached: &Cached) -> Response {
    let mut response = Body::from(cached.body.clone()).into_response();
    *response.headers_mut() = cached.headers.clone();
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

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
        // Pages and feeds as anonymous visitors see them.
        assert!(key_of(&get("/g/runners", "text/html")).is_some());
        assert!(key_of(&get("/o/abc", "text/html")).is_some());
        assert!(key_of(&get("/thread?id=x", "text/html")).is_some());
        assert!(key_of(&get("/g/runners/events.ics", "*/*")).is_some());
        assert!(key_of(&get("/g/runners/feed.atom", "*/*")).is_some());
        // Collections that list members, object documents (whose audience may be limited),
        // account pages, and anything signed in are not.
        assert!(key_of(&get("/g/runners/followers", ap)).is_none());
        assert!(key_of(&get("/o/abc", ap)).is_none());
        assert!(key_of(&get("/settings", "text/html")).is_none());
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
        assert_ne!(
            key_of(&get("/o/abc", "text/html")),
            key_of(&get("/o/abc", "text/calendar"))
        );
        assert_ne!(key_of(&get("/g/a", ap)), key_of(&get("/g/a", "text/html")));
        // Servers whose `User-Agent` names a kind Kith serves other forms to get their own copy.
        let mut lemmy = get("/g/a", ap);
        lemmy.headers_mut().insert(
            header::USER_AGENT,
            HeaderValue::from_static("Lemmy/1.0.0; +https://l.example"),
        );
        assert_ne!(key_of(&lemmy), key_of(&get("/g/a", ap)));
    }

    #[test]
    fn answers_chosen_by_the_signer_are_not_shared() {
        let mut signed = HeaderMap::new();
        signed.insert(
            "signature",
            HeaderValue::from_static("keyId=\"https://x/k\""),
        );
        assert!(reader_by_signer(&signed));
        signed.insert(
            header::USER_AGENT,
            HeaderValue::from_static("Lemmy/1.0.0; +https://l.example"),
        );
        assert!(!reader_by_signer(&signed));
        let mut vary = HeaderMap::new();
        vary.insert(
            header::VARY,
            HeaderValue::from_static("Accept, User-Agent, Signature"),
        );
        assert!(varies_by_signature(&vary));
        assert!(!varies_by_signature(&HeaderMap::new()));
    }

    /// A handler answering `visit N` (N counting its calls), with these `Cache-Control`s.
    fn counting_app(cache_control: &'static str) -> axum::Router {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let calls = Arc::new(AtomicUsize::new(0));
        let handler = move || {
            let calls = calls.clone();
            async move {
                let n = calls.fetch_add(1, Ordering::SeqCst);
                (
                    [(header::CACHE_CONTROL, cache_control)],
                    format!("visit {n}"),
                )
            }
        };
        axum::Router::new()
            .route("/o/{key}", axum::routing::get(handler))
            .layer(axum::middleware::from_fn_with_state(
                DocumentCache::default(),
                layer,
            ))
    }

    async fn bodies(app: axum::Router) -> Vec<String> {
        use tower::ServiceExt;
        let mut seen = Vec::new();
        for _ in 0..2 {
            let response = app
                .clone()
                .oneshot(get("/o/abc", "text/html"))
                .await
                .unwrap();
            let body = response.into_body().collect().await.unwrap().to_bytes();
            seen.push(String::from_utf8_lossy(&body).into_owned());
        }
        seen
    }

    #[tokio::test]
    async fn answers_for_one_person_are_never_cached() {
        // A public page is served again from the cache; one that says it is private (an event
        // page with its online link) never is.
        assert_eq!(
            bodies(counting_app("max-age=60")).await,
            ["visit 0", "visit 0"]
        );
        for private in ["private, no-store", "no-store", "private, max-age=300"] {
            assert_eq!(bodies(counting_app(private)).await, ["visit 0", "visit 1"]);
        }
    }
}

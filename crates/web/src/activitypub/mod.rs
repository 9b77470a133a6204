//! ActivityPub endpoints: actor documents and their collections (JSON for servers, a page for
//! people, chosen by `Accept`), and the inboxes.

mod actors;
mod digest;
mod followers_sync;
mod inbox;

use axum::{
    Router,
    http::{HeaderMap, HeaderValue, header},
    response::{Html, IntoResponse, Response},
};
use kith_federation::outbound::software::reader::Reader;
use kith_federation::sanitize::escape_html;
use serde::Serialize;

use crate::AppState;

/// The ActivityPub routes.
pub fn router() -> Router<AppState> {
    actors::router()
        .merge(digest::router())
        .merge(inbox::router())
}

/// The media type Kith answers ActivityPub requests with.
const ACTIVITY_JSON_UTF8: &str = "application/activity+json; charset=utf-8";

/// Whether a request asks for ActivityPub JSON rather than a page: `application/activity+json`
/// or `application/ld+json` (with or without the ActivityStreams profile).
pub fn wants_activity_json(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|media| {
            let media = media.trim().to_ascii_lowercase();
            media.starts_with("application/activity+json")
                || media.starts_with("application/ld+json")
        })
}

/// Who a GET comes from, for the documents some kinds of server are served in another form:
/// the software its `User-Agent` names, else its signing key's host's (kith-federation
/// `software::reader`).
pub async fn reader(state: &AppState, headers: &HeaderMap) -> Reader {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let signature = text("signature").or_else(|| text("signature-input"));
    state
        .ctx
        .reader_of(text(header::USER_AGENT.as_str()), signature)
        .await
}

/// Marks an answer whose form depends on who asks: `Vary` names what it depends on, so that no
/// cache gives one kind of server the form of another (`cache.rs`).
pub fn vary_by_reader(response: &mut Response) {
    response.headers_mut().insert(
        header::VARY,
        HeaderValue::from_static("Accept, User-Agent, Signature"),
    );
}

/// The instance actor's document (served at `/actor`, and at `/` to servers that read an
/// instance from its root, as Lemmy does).
pub async fn instance_actor_json(state: &AppState) -> Result<Response, crate::ApiError> {
    let actor =
        kith_federation::outbound::instance_actor::ensure_instance_actor(&state.ctx).await?;
    let doc = kith_federation::outbound::documents::actor_document(&state.ctx, &actor).await?;
    Ok(activity_json(&doc))
}

/// A document as ActivityPub JSON.
pub fn activity_json(doc: &impl Serialize) -> Response {
    match serde_json::to_vec(doc) {
        Ok(body) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(ACTIVITY_JSON_UTF8),
                ),
                (header::VARY, HeaderValue::from_static("Accept")),
            ],
            body,
        )
            .into_response(),
        Err(e) => crate::ApiError::Internal(e.to_string()).into_response(),
    }
}

/// A plain page for people who open an id in a browser; the web interface replaces it.
pub fn plain_page(title: &str, subtitle: &str, body_html: &str, json_href: &str) -> Response {
    page_with_calendar(title, subtitle, body_html, json_href, None)
}

/// [`plain_page`] that also advertises an iCalendar feed of the events it lists.
pub fn page_with_calendar(
    title: &str,
    subtitle: &str,
    body_html: &str,
    json_href: &str,
    calendar: Option<&str>,
) -> Response {
    let calendar = calendar
        .map(|href| {
            format!(
                "<link rel=\"alternate\" type=\"text/calendar\" title=\"Events\" href=\"{}\">",
                escape_html(href)
            )
        })
        .unwrap_or_default();
    let page = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title>\
         <link rel=\"alternate\" type=\"application/activity+json\" href=\"{href}\">{calendar}</head>\
         <body><main><h1>{title}</h1><p>{subtitle}</p>{body_html}</main></body></html>\n",
        title = escape_html(title),
        subtitle = escape_html(subtitle),
        href = escape_html(json_href),
    );
    (
        [(header::VARY, HeaderValue::from_static("Accept"))],
        Html(page),
    )
        .into_response()
}

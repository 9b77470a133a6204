//! Errors shown to browsers as pages. Handlers that serve both ActivityPub documents and pages
//! (actors, objects, groups) answer a missing or refused resource with the API's JSON error;
//! a person following a link in a browser gets a plain page with the same status and message
//! instead, and a way back. API paths and clients that did not ask for HTML keep the JSON.

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use kith_federation::sanitize::escape_html;

/// The most of an error body read to find its message.
const MAX_ERROR_BODY: usize = 16 * 1024;

/// Replaces a JSON error answer to a browser's page request with an HTML page.
pub async fn layer(request: Request, next: Next) -> Response {
    let wants_page = matches!(*request.method(), Method::GET | Method::HEAD)
        && !request.uri().path().starts_with("/api/")
        && request
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"));
    let response = next.run(request).await;
    let is_json_error = (response.status().is_client_error()
        || response.status().is_server_error())
        && response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("application/json"));
    if !wants_page || !is_json_error {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let message = to_bytes(body, MAX_ERROR_BODY)
        .await
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| v["message"].as_str().map(str::to_owned))
        .unwrap_or_default();
    let html = page(parts.status, &message);
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    Response::from_parts(parts, Body::from(html))
}

fn page(status: StatusCode, message: &str) -> String {
    let heading = match status {
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::GONE => "Gone",
        StatusCode::UNAUTHORIZED => "Please log in",
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::TOO_MANY_REQUESTS => "Slow down",
        s if s.is_client_error() => "That did not work",
        _ => "Something went wrong",
    };
    let message = if message.is_empty() {
        String::new()
    } else {
        format!("<p>{}</p>", escape_html(message))
    };
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{heading}</title><link rel=\"stylesheet\" href=\"/static/kith.css\"></head>\
         <body><main><h1>{heading}</h1>{message}\
         <p><a href=\"/\">Back to the front page</a></p></main></body></html>\n"
    )
}

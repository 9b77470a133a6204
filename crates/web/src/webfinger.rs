//! `/.well-known/webfinger` and `/.well-known/host-meta`.

use axum::{
    Json, Router,
    extract::{Query, State},
    http::header,
    response::{IntoResponse, Response},
    routing::get,
};
use kith_federation::webfinger;
use serde::Deserialize;

use crate::{ApiError, AppState};

/// The discovery routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/.well-known/webfinger", get(get_webfinger))
        .route("/.well-known/host-meta", get(get_host_meta))
}

#[derive(Deserialize)]
struct WebfingerQuery {
    resource: Option<String>,
}

/// The JRD of a local actor, as `application/jrd+json`.
async fn get_webfinger(
    State(state): State<AppState>,
    Query(query): Query<WebfingerQuery>,
) -> Result<Response, ApiError> {
    let resource = query
        .resource
        .ok_or_else(|| ApiError::BadRequest("the resource parameter is missing".into()))?;
    let jrd = webfinger::lookup(&state.ctx, &resource).await?;
    Ok(([(header::CONTENT_TYPE, "application/jrd+json")], Json(jrd)).into_response())
}

/// The XRD pointing at WebFinger.
async fn get_host_meta(State(state): State<AppState>) -> Response {
    let body = webfinger::host_meta(&state.ctx);
    (
        [(header::CONTENT_TYPE, "application/xrd+xml; charset=utf-8")],
        body,
    )
        .into_response()
}

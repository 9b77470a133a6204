//! `POST` to the shared inbox and to each actor's inbox. The body is bounded before it is read
//! (an oversized one is 413, not a dropped connection or a 500); everything else is decided in
//! `kith_federation::inbound::inbox`.

use axum::{
    Router,
    body::Body,
    extract::{Path, Request, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::post,
};
use kith_federation::{Counters, context::client::MAX_BODY, inbound::inbox};
use kith_storage::StorageError;

use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/inbox", post(post_shared_inbox))
        .route("/actor/inbox", post(post_shared_inbox))
        .route("/u/{name}/inbox", post(post_actor_inbox))
        .route("/g/{name}/inbox", post(post_actor_inbox))
}

async fn post_shared_inbox(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, ApiError> {
    receive(&state, request).await
}

async fn post_actor_inbox(
    State(state): State<AppState>,
    Path(name): Path<String>,
    request: Request,
) -> Result<Response, ApiError> {
    match state.ctx.db.local_actor_by_username_cached(&name).await {
        Ok(_) => receive(&state, request).await,
        Err(StorageError::NotFound) => Err(ApiError::NotFound),
        Err(other) => Err(other.into()),
    }
}

pub(super) async fn receive(state: &AppState, request: Request) -> Result<Response, ApiError> {
    let (parts, body) = request.into_parts();
    // Per client address, before anything is read: a flood from one address costs one lookup.
    if let Some(ip) = crate::client_addr::client_ip(&parts, &state.web.trusted_proxies)
        && let Err(wait) = state.ctx.limiter().check_ip(ip)
    {
        Counters::bump(&state.ctx.counters().inbox_throttled);
        tracing::warn!(%ip, "activity refused: over the per-address rate limit");
        return Err(ApiError::from(
            kith_federation::FederationError::RateLimited(wait.as_secs().max(1)),
        ));
    }
    let too_large = || {
        Counters::bump(&state.ctx.counters().inbox_rejected);
        tracing::warn!(path = %parts.uri.path(), "activity refused: body larger than {MAX_BODY} bytes");
        ApiError::TooLarge(format!("the body is larger than {MAX_BODY} bytes"))
    };
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > MAX_BODY) {
        return Err(too_large());
    }
    let body = read_bounded(body).await.map_err(|limited| {
        if limited {
            too_large()
        } else {
            ApiError::BadRequest("the body could not be read".into())
        }
    })?;
    let path = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_owned(), |p| p.as_str().to_owned());
    let request = inbox::InboxRequest {
        path_and_query: &path,
        headers: &parts.headers,
        body: &body,
    };
    inbox::receive(&state.ctx, request).await?;
    Ok(StatusCode::ACCEPTED.into_response())
}

/// Reads at most [`MAX_BODY`] bytes; `Err(true)` when the body is longer.
async fn read_bounded(body: Body) -> Result<axum::body::Bytes, bool> {
    use http_body_util::BodyExt;
    match http_body_util::Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) => Err(e
            .downcast_ref::<http_body_util::LengthLimitError>()
            .is_some()),
    }
}

//! A public group's digest actor (kith-federation `group_digest`): its document, collections,
//! daily posts and inbox. A members-only or hidden group has none: every route here is 404
//! for it, as for a group that does not exist.

use axum::{
    Router,
    body::Body,
    extract::{Path, Request, State},
    http::HeaderMap,
    response::Response,
    routing::{get, post},
};
use kith_federation::{actions::group_digest, outbound::documents};

use super::{activity_json, plain_page, wants_activity_json};
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/g/{name}/digest", get(get_digest))
        .route("/g/{name}/digest/inbox", post(post_digest_inbox))
        .route("/g/{name}/digest/notes/{day}", get(get_digest_note))
        .route("/g/{name}/digest/{collection}", get(get_digest_collection))
}

async fn get_digest(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (group, digest) = group_digest::served(&state.ctx, &name).await?;
    if wants_activity_json(&headers) {
        let doc = documents::actor_document(&state.ctx, &digest).await?;
        return Ok(activity_json(&doc));
    }
    let handle = format!("@{}@{}", digest.username, state.ctx.urls().domain());
    let summary = digest
        .summary
        .as_deref()
        .map(kith_federation::sanitize::plain_to_html)
        .unwrap_or_default();
    let title = group.display_name.as_deref().unwrap_or(&group.username);
    Ok(plain_page(
        &format!("{title}: daily digest"),
        &handle,
        &summary,
        &digest.id,
    ))
}

/// `followers` (a count, as for people) and `outbox` (empty: its posts go to followers).
async fn get_digest_collection(
    State(state): State<AppState>,
    Path((name, which)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (_, digest) = group_digest::served(&state.ctx, &name).await?;
    let doc = match which.as_str() {
        "followers" => documents::followers(&state.ctx, &digest).await?,
        "outbox" => {
            let unknown = kith_federation::outbound::software::Dialect::Unknown;
            let request = documents::PageRequest::default();
            documents::outbox(&state.ctx, &digest, &request, unknown).await?
        }
        _ => return Err(ApiError::NotFound),
    };
    Ok(activity_json(&doc))
}

async fn get_digest_note(
    State(state): State<AppState>,
    Path((name, day)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (_, digest) = group_digest::served(&state.ctx, &name).await?;
    let note = group_digest::stored(&state.ctx, &digest, &day).await?;
    Ok(activity_json(&note))
}

async fn post_digest_inbox(
    State(state): State<AppState>,
    Path(name): Path<String>,
    request: Request<Body>,
) -> Result<Response, ApiError> {
    group_digest::served(&state.ctx, &name).await?;
    super::inbox::receive(&state, request).await
}

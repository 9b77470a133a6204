//! `/.well-known/webfinger` and `/.well-known/host-meta`.

use axum::{
    Json, Router,
    extract::{Query, State},
    http::{HeaderMap, Uri, header},
    response::{IntoResponse, Response},
    routing::get,
};
use kith_federation::inbound::webfinger;
use serde::Deserialize;

use crate::access::{self, Asker};
use crate::auth::MaybeAuthed;
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

/// The JRD of a local actor, as `application/jrd+json`; a hidden group's only to its members,
/// their servers and invitees' servers, or to whoever asks by its secret name (404 to anyone
/// else, as for a name never taken).
async fn get_webfinger(
    State(state): State<AppState>,
    Query(query): Query<WebfingerQuery>,
    MaybeAuthed(account): MaybeAuthed,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    let resource = query
        .resource
        .ok_or_else(|| ApiError::BadRequest("the resource parameter is missing".into()))?;
    let found = webfinger::lookup_actor(&state.ctx, &resource).await?;
    let actor = found.actor;
    let asker = Asker {
        account: account.as_ref(),
        headers: &headers,
        uri: &uri,
    };
    // A group's relay or digest is known to whoever may know of the group; a hidden group to
    // whoever asks by its secret name (Mastodon's look-ups are unsigned).
    let owner = kith_federation::actions::group_services::owner_group(&state.ctx, &actor).await?;
    if !found.by_secret_name {
        access::require_known(&state, owner.as_ref().unwrap_or(&actor), asker).await?;
    }
    let jrd = webfinger::describe(&state.ctx, &actor).await?;
    let response = ([(header::CONTENT_TYPE, "application/jrd+json")], Json(jrd)).into_response();
    Ok(access::mark(&actor, response))
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

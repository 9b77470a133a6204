//! `GET /media/FILE`: stored pictures (kith-federation `media`), at URLs named by their content.
//! A group's avatar and banner are public unless the group is hidden; an event's picture, and
//! anything of a hidden group, only to those who may read the group (`access`), answered 404
//! to everyone else and never cached by anyone but the reader. A hidden group's avatar and
//! banner are also served at `/media/c/CAPABILITY/FILE` to whoever has that unguessable URL
//! (its members' servers, from its documents).

use axum::{
    Router,
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, Uri, header},
    response::{IntoResponse, Response},
    routing::get,
};
use kith_federation::media;
use kith_storage::PictureRole;

use crate::access::{self, Asker};
use crate::auth::Viewer;
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/media/{file}", get(serve))
        .route("/media/c/{capability}/{file}", get(serve_named))
}

/// `GET /media/c/CAPABILITY/FILE`: a group's avatar or banner to anyone with its unguessable
/// capability (issue 26). A hidden group's documents name its pictures so, for its members'
/// servers, which fetch avatars unsigned (Mastodon); anyone else gets 404, as for a file that
/// does not exist. Never stored by shared caches, never indexed.
async fn serve_named(
    State(state): State<AppState>,
    Path((capability, file)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    if !media::is_capability(&capability) {
        return Err(ApiError::NotFound);
    }
    let picture = state
        .ctx
        .db
        .picture_by_capability(&capability)
        .await?
        .ok_or(ApiError::NotFound)?;
    if !matches!(picture.role.as_str(), "avatar" | "banner")
        || media::file_name(&picture.hash, &picture.content_type) != file
    {
        return Err(ApiError::NotFound);
    }
    let mut response = file_response(
        &state,
        &file,
        &picture.content_type,
        "private, max-age=86400",
    )
    .await?;
    response
        .headers_mut()
        .insert("x-robots-tag", HeaderValue::from_static("noindex"));
    Ok(response)
}

/// The stored file `file` as an answer, with its type and caching.
async fn file_response(
    state: &AppState,
    file: &str,
    content_type: &str,
    cache: &'static str,
) -> Result<Response, ApiError> {
    let dir = media::dir(&state.ctx).map_err(|_| ApiError::NotFound)?;
    let path = media::path_of(dir, file).ok_or(ApiError::NotFound)?;
    let bytes = match tokio::fs::read(&path).await {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(ApiError::NotFound),
        Err(e) => return Err(ApiError::Internal(format!("reading a picture: {e}"))),
    };
    let mut response = bytes.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(response)
}

/// Whether anyone may fetch this use of a picture without asking who they are.
fn public_use(role: PictureRole, group: &kith_storage::Actor) -> bool {
    group.is_public()
        || (matches!(role, PictureRole::Avatar | PictureRole::Banner) && !group.is_hidden())
}

async fn serve(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    uri: Uri,
    Path(file): Path<String>,
) -> Result<Response, ApiError> {
    let hash = file.split('.').next().unwrap_or_default();
    let uses = state.ctx.db.pictures_by_hash(hash).await?;
    let Some(first) = uses.first() else {
        return Err(ApiError::NotFound);
    };
    // The same bytes may be shown by several things: a public use makes the file public; else
    // the one asking must read one of the groups showing it.
    let mut public = false;
    let mut readable = false;
    for used in &uses {
        let group = state.ctx.db.actor(&used.group_id).await?;
        if public_use(used.role, &group) {
            public = true;
            break;
        }
        let asker = Asker {
            account: viewer.account(),
            headers: &headers,
            uri: &uri,
        };
        if !readable && access::may_read(&state, &group, asker).await? {
            readable = true;
        }
    }
    if !public && !readable {
        return Err(ApiError::NotFound);
    }
    if media::file_name(hash, &first.content_type) != file {
        return Err(ApiError::NotFound);
    }
    let cache = if public {
        // The URL names the content: it never changes meaning.
        "public, max-age=31536000, immutable"
    } else {
        "private, no-store"
    };
    file_response(&state, &file, &first.content_type, cache).await
}

//! The JSON API for pictures: an organiser (bearer token or session) uploads, describes or
//! removes a group's avatar or banner and an event's picture, as `multipart/form-data` with the
//! fields `file` (the picture; absent to change only the alt text), `alt` and `remove`. The
//! same action as the pages runs (kith-federation `actions::pictures`: checked by decoding,
//! re-encoded, its `Update` in the same transaction). Answers carry the pictures as the group
//! and event answers do: `{type, url, mediaType, name}`, `name` the alt text.

use axum::{
    Json, Router,
    extract::{DefaultBodyLimit, Multipart, Path, State},
    routing::post,
};
use kith_federation::actions::By;
use kith_federation::actions::pictures::{self, PictureChange, image_ref};
use kith_federation::media::{MAX_UPLOAD, Role};
use kith_federation::protocol::ImageRef;
use kith_storage::PictureRole;
use serde::Serialize;

use crate::auth::Authed;
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/groups/{name}/pictures/{role}", post(group_picture))
        .route("/api/v1/events/{key}/picture", post(event_picture))
        // Room for the largest picture and the other fields; a larger body is refused as read.
        .layer(DefaultBodyLimit::max(MAX_UPLOAD + 64 * 1024))
}

/// A change's fields as sent.
async fn read_change(mut form: Multipart, role: Role) -> Result<PictureChange, ApiError> {
    let mut change = PictureChange {
        role,
        upload: None,
        alt: String::new(),
        remove: false,
    };
    let bad = |e: axum::extract::multipart::MultipartError| {
        ApiError::BadRequest(format!("reading the upload: {}", e.body_text()))
    };
    while let Some(field) = form.next_field().await.map_err(bad)? {
        match field.name().unwrap_or_default() {
            "file" => {
                let bytes = field.bytes().await.map_err(bad)?;
                if !bytes.is_empty() {
                    change.upload = Some(bytes.to_vec());
                }
            }
            "alt" => change.alt = field.text().await.map_err(bad)?,
            "remove" => {
                let value = field.text().await.map_err(bad)?;
                change.remove = matches!(value.trim(), "1" | "true" | "yes" | "on");
            }
            other => {
                return Err(ApiError::BadRequest(format!(
                    "unknown field {other:?} (file, alt, remove)"
                )));
            }
        }
    }
    Ok(change)
}

/// A group's pictures after a change.
#[derive(Serialize)]
struct GroupPictures {
    avatar: Option<ImageRef>,
    banner: Option<ImageRef>,
}

async fn group_picture(
    State(state): State<AppState>,
    Authed(account): Authed,
    Path((name, role)): Path<(String, String)>,
    form: Multipart,
) -> Result<Json<GroupPictures>, ApiError> {
    let role = match Role::parse(&role) {
        Some(role @ (Role::Avatar | Role::Banner)) => role,
        _ => {
            return Err(ApiError::BadRequest(format!(
                "{role:?} is not a group picture (avatar, banner)"
            )));
        }
    };
    let change = read_change(form, role).await?;
    let group =
        pictures::set_group_picture(&state.ctx, &name, By::Account(&account), &change).await?;
    let stored = state.ctx.db.pictures_of(&group.id).await?;
    let of = |role: PictureRole| {
        stored
            .iter()
            .find(|p| p.role == role)
            .map(|p| image_ref(&state.ctx, p))
    };
    Ok(Json(GroupPictures {
        avatar: of(PictureRole::Avatar),
        banner: of(PictureRole::Banner),
    }))
}

/// An event's picture after a change.
#[derive(Serialize)]
struct EventPicture {
    picture: Option<ImageRef>,
}

async fn event_picture(
    State(state): State<AppState>,
    Authed(account): Authed,
    Path(key): Path<String>,
    form: Multipart,
) -> Result<Json<EventPicture>, ApiError> {
    let change = read_change(form, Role::Event).await?;
    let event =
        pictures::set_event_picture(&state.ctx, &key, By::Account(&account), &change).await?;
    let stored = state.ctx.db.pictures_of(&event.object.id).await?;
    Ok(Json(EventPicture {
        picture: stored
            .iter()
            .find(|p| p.role == PictureRole::Event)
            .map(|p| image_ref(&state.ctx, p)),
    }))
}

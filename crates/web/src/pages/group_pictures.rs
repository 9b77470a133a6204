//! A group's avatar and banner from its settings page: a `multipart/form-data` upload run by
//! the action the API would run (`actions::pictures`), which checks the file by decoding it.

use axum::{
    Router,
    extract::{DefaultBodyLimit, Multipart, Path, State},
    response::Response,
    routing::post,
};
use kith_federation::actions::pictures::{self, PictureChange};
use kith_federation::media::{self, MAX_UPLOAD, Role};
use kith_storage::{Picture, PictureRole};

use super::{OrPage, PageError, see_other};
use crate::auth::Viewer;
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/g/{name}/pictures", post(save_picture))
        .route("/o/{key}/picture", post(save_event_picture))
        // Room for the largest picture and the form's other fields; a larger body is refused
        // while it is read.
        .layer(DefaultBodyLimit::max(MAX_UPLOAD + 64 * 1024))
}

/// A picture as the pages show it.
pub struct PictureView {
    /// Where it is served.
    pub url: String,
    /// Its alt text.
    pub alt: String,
}

impl PictureView {
    /// The view of a stored picture.
    pub fn of(state: &AppState, p: &Picture) -> PictureView {
        PictureView {
            url: media::url(&state.ctx, &p.hash, &p.content_type),
            alt: p.alt.clone().unwrap_or_default(),
        }
    }
}

/// One of a group's pictures on its settings page.
pub struct PictureSlot {
    /// `avatar` or `banner`.
    pub role: &'static str,
    /// Its name on the page.
    pub label: &'static str,
    /// What is shown now.
    pub current: Option<PictureView>,
}

impl PictureSlot {
    /// The avatar's and the banner's slots.
    pub fn both(avatar: Option<PictureView>, banner: Option<PictureView>) -> Vec<PictureSlot> {
        vec![
            PictureSlot {
                role: "avatar",
                label: "Avatar",
                current: avatar,
            },
            PictureSlot {
                role: "banner",
                label: "Banner",
                current: banner,
            },
        ]
    }
}

/// A group's avatar and banner, as the pages show them.
pub async fn group_pictures(
    state: &AppState,
    group_id: &str,
) -> Result<(Option<PictureView>, Option<PictureView>), ApiError> {
    let pictures = state.ctx.db.pictures_of(group_id).await?;
    let of = |role: PictureRole| {
        pictures
            .iter()
            .find(|p| p.role == role)
            .map(|p| PictureView::of(state, p))
    };
    Ok((of(PictureRole::Avatar), of(PictureRole::Banner)))
}

/// Something's picture in `role`, as the pages show it.
pub async fn picture_of(
    state: &AppState,
    owner_id: &str,
    role: PictureRole,
) -> Result<Option<PictureView>, ApiError> {
    let pictures = state.ctx.db.pictures_of(owner_id).await?;
    Ok(pictures
        .iter()
        .find(|p| p.role == role)
        .map(|p| PictureView::of(state, p)))
}

/// The fields of the upload form.
#[derive(Default)]
struct Upload {
    csrf: String,
    role: String,
    alt: String,
    remove: bool,
    file: Option<Vec<u8>>,
}

async fn read_form(mut form: Multipart) -> Result<Upload, ApiError> {
    let mut upload = Upload::default();
    let bad = |e: axum::extract::multipart::MultipartError| {
        ApiError::BadRequest(format!("reading the form: {}", e.body_text()))
    };
    while let Some(field) = form.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "file" => {
                let bytes = field.bytes().await.map_err(bad)?;
                // A form sent without choosing a file carries an empty part.
                if !bytes.is_empty() {
                    upload.file = Some(bytes.to_vec());
                }
            }
            "csrf" => upload.csrf = field.text().await.map_err(bad)?,
            "role" => upload.role = field.text().await.map_err(bad)?,
            "alt" => upload.alt = field.text().await.map_err(bad)?,
            "remove" => upload.remove = !field.text().await.map_err(bad)?.is_empty(),
            _ => {}
        }
    }
    Ok(upload)
}

async fn save_picture(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(name): Path<String>,
    form: Multipart,
) -> Result<Response, PageError> {
    let upload = read_form(form).await.or_page(&state, &viewer)?;
    let account = viewer.signed_in(&upload.csrf).or_page(&state, &viewer)?;
    let role = match Role::parse(&upload.role) {
        Some(role @ (Role::Avatar | Role::Banner)) => role,
        _ => {
            return Err(PageError::new(
                &state,
                &viewer,
                ApiError::BadRequest(format!("{:?} is not a group picture", upload.role)),
            ));
        }
    };
    let change = PictureChange {
        role,
        upload: upload.file,
        alt: upload.alt,
        remove: upload.remove,
    };
    let group = pictures::set_group_picture(&state.ctx, &name, Some(account), &change)
        .await
        .or_page(&state, &viewer)?;
    Ok(see_other(&format!("{}/settings?done=saved", group.id)))
}

async fn save_event_picture(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    form: Multipart,
) -> Result<Response, PageError> {
    let upload = read_form(form).await.or_page(&state, &viewer)?;
    let account = viewer.signed_in(&upload.csrf).or_page(&state, &viewer)?;
    let change = PictureChange {
        role: Role::Event,
        upload: upload.file,
        alt: upload.alt,
        remove: upload.remove,
    };
    let event = pictures::set_event_picture(&state.ctx, &key, Some(account), &change)
        .await
        .or_page(&state, &viewer)?;
    Ok(see_other(&format!("{}?done=saved", event.object.id)))
}

//! A group's avatar and banner from its settings page, an event's picture from its page: a
//! `multipart/form-data` upload run by the action the API runs (`actions::pictures`), which
//! checks the file by decoding it. A refused group picture comes back on the settings page with
//! the reason beside its form and the alt text as typed.

use axum::{
    Router,
    extract::{DefaultBodyLimit, Multipart, Path, State},
    response::Response,
    routing::post,
};
use kith_federation::FederationError;
use kith_federation::actions::By;
use kith_federation::actions::membership;
use kith_federation::actions::pictures::{self, PictureChange};
use kith_federation::media::{MAX_UPLOAD, Role};

use super::{OrPage, PageError, group_admin, see_other};
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
    let upload = match read_form(form).await {
        Ok(upload) => upload,
        // Too large, or cut short: nothing typed can be read back, the reason goes above.
        Err(ApiError::BadRequest(reason)) => {
            let account = viewer.require().or_page(&state, &viewer)?;
            let group = membership::moderated_group(&state.ctx, &name, By::Account(account))
                .await
                .or_page(&state, &viewer)?;
            let reason = format!("the picture could not be read ({reason}); at most 5 MB");
            return group_admin::picture_refused(&state, &viewer, &group, None, "", reason)
                .await
                .or_page(&state, &viewer);
        }
        Err(other) => return Err(PageError::new(&state, &viewer, other)),
    };
    let account = viewer.signed_in(&upload.csrf).or_page(&state, &viewer)?;
    let group = membership::moderated_group(&state.ctx, &name, By::Account(account))
        .await
        .or_page(&state, &viewer)?;
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
        alt: upload.alt.clone(),
        remove: upload.remove,
    };
    match pictures::set_group_picture(&state.ctx, &name, By::Account(account), &change).await {
        Ok(group) => Ok(see_other(&format!("{}/settings?done=saved", group.id))),
        // Refused (not a picture, too many pixels, an alt text too long): said in the form.
        Err(FederationError::BadRequest(reason)) => group_admin::picture_refused(
            &state,
            &viewer,
            &group,
            Some(&upload.role),
            &upload.alt,
            reason,
        )
        .await
        .or_page(&state, &viewer),
        Err(other) => Err(PageError::new(&state, &viewer, other)),
    }
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
    let event = pictures::set_event_picture(&state.ctx, &key, By::Account(account), &change)
        .await
        .or_page(&state, &viewer)?;
    Ok(see_other(&format!("{}?done=saved", event.object.id)))
}

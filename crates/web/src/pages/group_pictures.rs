//! Pictures as the pages show them: a group's avatar and banner (and their slots on the
//! settings page), an event's picture. The uploads are `picture_uploads`.

use kith_federation::media;
use kith_storage::Picture;
use kith_storage::PictureRole;

use crate::{ApiError, AppState};

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
    /// Why an upload to this slot was just refused.
    pub problem: Option<String>,
    /// The alt text typed with a refused upload (kept in the form).
    pub typed_alt: Option<String>,
}

impl PictureSlot {
    /// The avatar's and the banner's slots.
    pub fn both(avatar: Option<PictureView>, banner: Option<PictureView>) -> Vec<PictureSlot> {
        vec![
            PictureSlot {
                role: "avatar",
                label: "Avatar",
                current: avatar,
                problem: None,
                typed_alt: None,
            },
            PictureSlot {
                role: "banner",
                label: "Banner",
                current: banner,
                problem: None,
                typed_alt: None,
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

//! A group's avatar and banner (issue 23): uploaded by an organiser, checked and re-encoded by
//! [`crate::media`], and shown in the group's document as `icon` and `image`. The picture, its
//! alt text and the `Update{Group}` telling members' servers commit in one transaction.

use kith_storage::{Actor, Picture, PictureRole};

use crate::actions::acting::By;
pub use crate::media::image_ref;
use crate::media::{self, Role};
use crate::outbound::change::Change;
use crate::{Context, FederationError, Result};

/// The longest alt text.
pub const MAX_ALT: usize = 1_500;

/// A change of one of a group's pictures.
#[derive(Clone, Debug)]
pub struct PictureChange {
    /// `Avatar` or `Banner`.
    pub role: Role,
    /// A new file, as uploaded; none keeps the picture and changes only its alt text.
    pub upload: Option<Vec<u8>>,
    /// Its description for people who cannot see it.
    pub alt: String,
    /// Removes the picture (an upload given with it is ignored).
    pub remove: bool,
}

/// Decodes, checks and stores an upload off the async threads.
async fn process_and_store(ctx: &Context, bytes: &[u8], kind: Role) -> Result<media::Processed> {
    let bytes = bytes.to_vec();
    let processed = tokio::task::spawn_blocking(move || media::process(&bytes, kind))
        .await
        .map_err(|e| FederationError::Internal(format!("processing a picture: {e}")))??;
    media::store(ctx, &processed).await?;
    Ok(processed)
}

/// Sets, describes or removes an event's picture, as one of its group's organisers. The
/// picture is its group's readers' only when the group is not public; the `Update{Event}` to
/// its audience commits with it.
pub async fn set_event_picture(
    ctx: &Context,
    event_id: &str,
    by: By<'_>,
    change: &PictureChange,
) -> Result<kith_storage::StoredEvent> {
    let (event, group) = crate::actions::event_lookup::organised_event(ctx, event_id, by).await?;
    if event.object.deleted_at.is_some() {
        return Err(FederationError::Gone(event.object.id));
    }
    let alt = check_alt(&change.alt)?;
    let current = ctx
        .db
        .pictures_of(&event.object.id)
        .await?
        .into_iter()
        .find(|p| p.role == PictureRole::Event);
    let processed = match (&change.upload, change.remove) {
        (Some(bytes), false) => Some(process_and_store(ctx, bytes, Role::Event).await?),
        _ => None,
    };
    let shown: Option<(String, String)> = if change.remove {
        None
    } else if let Some(p) = &processed {
        Some((p.hash.clone(), p.content_type.to_owned()))
    } else if let Some(p) = &current {
        Some((p.hash.clone(), p.content_type.clone()))
    } else {
        return Err(FederationError::BadRequest(
            "choose a picture to upload".into(),
        ));
    };
    let image = shown
        .as_ref()
        .map(|(hash, content_type)| crate::protocol::ImageRef {
            kind: "Image",
            url: media::url(ctx, hash, content_type),
            media_type: content_type.clone(),
            name: alt.clone(),
        });
    let mut tx_change = Change::begin(ctx).await?;
    if let Some(p) = &processed {
        tx_change
            .tx()
            .add_media(&p.hash, p.content_type, p.dimensions, p.bytes.len())
            .await?;
    }
    tx_change
        .tx()
        .set_picture(
            (&event.object.id, PictureRole::Event, &group.id),
            shown.as_ref().map(|(h, _)| h.as_str()),
            alt.as_deref(),
        )
        .await?;
    crate::actions::event_edits::announce_picture(ctx, &mut tx_change, &event, &group, image)
        .await?;
    tx_change.commit().await?;
    Ok(ctx.db.event(&event.object.id).await?)
}

/// Checks an alt text.
pub fn check_alt(alt: &str) -> Result<Option<String>> {
    let alt = alt.trim();
    if alt.chars().count() > MAX_ALT {
        return Err(FederationError::BadRequest(format!(
            "the description of the picture is longer than {MAX_ALT} characters"
        )));
    }
    Ok((!alt.is_empty()).then(|| alt.to_owned()))
}

/// Sets, describes or removes a group's avatar or banner, as one of its organisers.
pub async fn set_group_picture(
    ctx: &Context,
    name: &str,
    by: By<'_>,
    change: &PictureChange,
) -> Result<Actor> {
    let group = crate::actions::membership::moderated_group(ctx, name, by).await?;
    if change.role == Role::Event {
        return Err(FederationError::BadRequest(
            "a group has an avatar and a banner".into(),
        ));
    }
    let alt = check_alt(&change.alt)?;
    let role = change.role;
    let mut pictures = ctx.db.pictures_of(&group.id).await?;
    let current = pictures.iter().position(|p| p.role == role);
    let processed = match (&change.upload, change.remove) {
        (Some(bytes), false) => Some(process_and_store(ctx, bytes, change.role).await?),
        _ => None,
    };
    // A new picture gets a new capability (a hidden group's members' servers fetch it by
    // that, `media::capability_url`); a new alt text keeps the one it has.
    let shown = match (&processed, current) {
        _ if change.remove => None,
        (Some(p), _) => Some((
            p.hash.clone(),
            p.content_type.to_owned(),
            p.dimensions,
            media::new_capability()?,
        )),
        (None, Some(i)) => {
            let p = &pictures[i];
            let capability = match &p.capability {
                Some(c) => c.clone(),
                None => media::new_capability()?,
            };
            Some((
                p.hash.clone(),
                p.content_type.clone(),
                (p.width as u32, p.height as u32),
                capability,
            ))
        }
        (None, None) => {
            return Err(FederationError::BadRequest(
                "choose a picture to upload".into(),
            ));
        }
    };
    if let Some(i) = current {
        pictures.remove(i);
    }
    if let Some((hash, content_type, (width, height), capability)) = &shown {
        pictures.push(Picture {
            owner_id: group.id.clone(),
            role,
            group_id: group.id.clone(),
            hash: hash.clone(),
            alt: alt.clone(),
            content_type: content_type.clone(),
            width: i64::from(*width),
            height: i64::from(*height),
            capability: Some(capability.clone()),
        });
    }
    let settings = ctx.db.group_settings(&group.id).await?;
    let post_policy = settings.post_policy;
    let plan = crate::actions::group_safety::plan_group_update_showing(
        ctx,
        &group,
        post_policy,
        Some(&pictures),
    )
    .await?;
    // The picture and the `Update{Group}` showing it commit together.
    let mut tx_change = Change::begin(ctx).await?;
    if let Some(p) = &processed {
        tx_change
            .tx()
            .add_media(&p.hash, p.content_type, p.dimensions, p.bytes.len())
            .await?;
    }
    let named = shown
        .as_ref()
        .map(|(h, _, _, c)| (h.as_str(), Some(c.as_str())));
    tx_change
        .tx()
        .set_picture_named((&group.id, role, &group.id), named, alt.as_deref())
        .await?;
    tx_change.queue(plan).await?;
    tx_change.commit().await?;
    Ok(ctx.db.actor(&group.id).await?)
}

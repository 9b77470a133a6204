//! A public group's digest actor (issue 24): a `Service` at `https://DOMAIN/g/NAME/digest`,
//! named `NAME.digest`, that people on other servers follow to get one post a day about the
//! group (its day's new events and busiest threads, titles and links: `note`) instead of every
//! post. It is made on first use (a `GET` of its id or a WebFinger look-up), like the group's
//! relay (`actions::relay`, whose making it shares), with its own key pair. Its followers are
//! its memberships, as for every local actor: a `Follow` is accepted at once
//! (`activities::follow`), an `Undo{Follow}` ends it.
//!
//! Only a public group has one. A members-only or hidden group's content is never in a public
//! post, so for such a group the actor, its WebFinger name, its inbox and its posts are 404, a
//! `Follow` of it is ignored, and nothing is posted (a group that became private keeps its
//! followers' rows, and they get nothing).

mod note;

pub use note::{day_of, note_id, post_day, post_due, stored};

use kith_storage::{Actor, ActorKind, StorageError};

use crate::actions::group_services::{GroupService, ensure_group_service};
use crate::{Context, FederationError, Result};

pub use crate::actions::group_services::{DIGEST_SUFFIX as SUFFIX, digest_id, digest_name};

/// The digest actor of the local group named `group_name`, made on first use; not found
/// (as if it did not exist) unless the group exists and is public.
pub async fn served(ctx: &Context, group_name: &str) -> Result<(Actor, Actor)> {
    let group = match ctx.db.local_actor_by_username(group_name).await {
        Ok(group) if group.kind == ActorKind::Group && group.is_public() => group,
        Ok(_) | Err(StorageError::NotFound) => {
            return Err(FederationError::NotFound(format!(
                "no digest here for {group_name:?}"
            )));
        }
        Err(other) => return Err(other.into()),
    };
    let title = group.display_name.as_deref().unwrap_or(&group.username);
    let service = GroupService {
        id: digest_id(&group),
        name: digest_name(&group),
        display_name: format!("{title} (daily digest)"),
        summary: format!(
            "One post a day about the group {} (@{}@{}): its new events and busiest threads.",
            title,
            group.username,
            ctx.urls().domain()
        ),
        own_inbox: true,
    };
    let digest = ensure_group_service(ctx, &group, service).await?;
    Ok((group, digest))
}

/// The group whose digest actor `actor` is, if it is one (any visibility: the caller decides).
pub async fn group_of(ctx: &Context, actor: &Actor) -> Result<Option<Actor>> {
    if !actor.id.ends_with(&format!("/{SUFFIX}")) {
        return Ok(None);
    }
    Ok(crate::actions::group_services::owner_group(ctx, actor)
        .await?
        .filter(|group| digest_id(group) == actor.id))
}

/// `Ok` unless `actor` is the digest actor of a group that is not public, which does not
/// exist to anyone ([`FederationError::NotFound`]).
pub async fn check_served(ctx: &Context, actor: &Actor) -> Result<()> {
    match group_of(ctx, actor).await? {
        Some(group) if !group.is_public() => Err(FederationError::NotFound(actor.id.clone())),
        _ => Ok(()),
    }
}

/// The group name in a digest actor's name (`NAME.digest` → `NAME`).
pub fn group_name_of(name: &str) -> Option<&str> {
    name.strip_suffix(&format!(".{SUFFIX}"))
        .filter(|n| !n.is_empty() && !n.contains('.'))
}

/// A title for an item: its name, or the start of its text.
pub(crate) fn title(item: &kith_storage::DigestItem) -> String {
    if let Some(name) = item.name.as_deref().filter(|n| !n.trim().is_empty()) {
        return crate::untrusted::clean_name(name);
    }
    let text = item
        .content
        .as_deref()
        .map(|html| crate::sanitize::text_prefix(html, 80).0)
        .unwrap_or_default();
    if text.is_empty() {
        "A post".into()
    } else {
        text
    }
}

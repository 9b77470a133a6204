//! What a group's organisers do to keep it kind, each federated the way FEP-1b12 servers and Lemmy
//! expect (docs/protocol.md, Delivery and moderation): a ban is `Block{target: group}` and lifting
//! it `Undo{Block}`; moderators join and leave the moderators collection with `Add`/`Remove`; a
//! removed post is a `Delete` with the reason in `summary`. The group announces each to its
//! members' FEP-1b12 servers; the microblogs, which understand none of them, get what they do
//! understand: `Undo{Announce}` for a removed post, and for a banned person the group's own
//! `Block{object: person}` (GoToSocial and Mastodon end the person's follow of the group on it;
//! GoToSocial ignores a `Reject{Follow}` of a follow it had accepted) beside `Reject{Follow}`
//! (which Mastodon honours, and GoToSocial for a request still pending). Every action lands in the
//! audit log.

use kith_storage::{Account, Actor, MemberRole, MemberState, StorageError, StoredObject};
use serde_json::json;

use crate::actions::acting::{
    By, acting_actor, acting_name, group_activity, plan_moderation, reason_of, remote_inbox,
};
pub use crate::actions::bans::{ban, unban};
use crate::actions::membership::moderated_group;
use crate::outbound::change::Change;
use crate::outbound::plan::{Form, Plan};
use crate::outbound::software::{Dialect, Readers};
use crate::protocol::{OutgoingActivity, PUBLIC};
use crate::urls::Urls;
use crate::{Context, FederationError, Result, outbound::plan};

/// Only the owner and administrators (and the operator) change who moderates.
async fn owned_group(ctx: &Context, group_name: &str, by: By<'_>) -> Result<Actor> {
    let group = moderated_group(ctx, group_name, by).await?;
    if let By::Account(account) = by
        && !account.is_admin
    {
        let m = ctx.db.membership(&group.id, &account.actor_id).await?;
        if m.role != MemberRole::Owner {
            return Err(FederationError::Forbidden(format!(
                "only the owner of {group_name} changes its moderators"
            )));
        }
    }
    Ok(group)
}

/// Makes a local person a moderator (a member first, if they were not), and announces
/// `Add{object: person, target: moderators}`.
pub async fn add_moderator(
    ctx: &Context,
    group_name: &str,
    user: &str,
    by: By<'_>,
) -> Result<Actor> {
    change_moderator(ctx, group_name, user, by, true).await
}

/// Makes a moderator an ordinary member again, and announces `Remove`.
pub async fn remove_moderator(
    ctx: &Context,
    group_name: &str,
    user: &str,
    by: By<'_>,
) -> Result<Actor> {
    change_moderator(ctx, group_name, user, by, false).await
}

async fn change_moderator(
    ctx: &Context,
    group_name: &str,
    user: &str,
    by: By<'_>,
    add: bool,
) -> Result<Actor> {
    let group = owned_group(ctx, group_name, by).await?;
    let name = user.trim().trim_start_matches('@');
    let name = name
        .strip_suffix(&format!("@{}", ctx.urls().domain()))
        .unwrap_or(name);
    let account = match ctx.db.account_by_username(name).await {
        Ok(a) => a,
        Err(StorageError::NotFound) => {
            return Err(FederationError::UnknownAccount(name.to_owned()));
        }
        Err(other) => return Err(other.into()),
    };
    let person = ctx.db.actor(&account.actor_id).await?;
    let current = match ctx.db.membership(&group.id, &person.id).await {
        Ok(m) => Some(m),
        Err(StorageError::NotFound) => None,
        Err(other) => return Err(other.into()),
    };
    if current
        .as_ref()
        .is_some_and(|m| m.role == MemberRole::Owner)
    {
        return Err(FederationError::BadRequest(format!(
            "{name} owns {group_name}"
        )));
    }
    if ctx.db.is_banned(&group.id, &person.id).await? {
        return Err(FederationError::BadRequest(format!(
            "{name} is banned from {group_name}"
        )));
    }
    let is_moderator = current.as_ref().is_some_and(|m| m.is_moderator());
    if add == is_moderator {
        return Err(FederationError::BadRequest(format!(
            "{name} {} a moderator of {group_name}",
            if add { "is already" } else { "is not" }
        )));
    }
    let role = if add {
        MemberRole::Moderator
    } else {
        MemberRole::Member
    };
    let actor = acting_actor(ctx, &group, by).await?;
    let kind = if add { "Add" } else { "Remove" };
    let mut activity = group_activity(kind, &actor, &group, json!(person.id));
    activity.target = Some(Urls::moderators(&group.id));
    let plan = plan_moderation(ctx, &group, &activity, Vec::new(), None).await?;
    let action = if add {
        "group.moderator.add"
    } else {
        "group.moderator.remove"
    };
    // The role, its announcement and the audit line commit together.
    let mut change = Change::begin(ctx).await?;
    let tx = change.tx();
    tx.upsert_membership(&group.id, &person.id, MemberState::Accepted, role, None)
        .await?;
    tx.audit(acting_name(by), action, &person.id, Some(&group.id), None)
        .await?;
    change.queue(plan).await?;
    change.commit().await?;
    Ok(person)
}

/// Removes a post from a local group: it is deleted here, the group announces a `Delete` with
/// the reason, and withdraws its boost (`Undo{Announce}`) for Mastodon timelines.
pub async fn remove_post(
    ctx: &Context,
    post_url: &str,
    reason: Option<&str>,
    by: By<'_>,
) -> Result<StoredObject> {
    remove_or_delete(ctx, post_url, reason, by, false).await
}

/// An author deletes their own post in a local group: removed as an organiser removes it (the
/// group announces the `Delete` to members' servers), without being an organiser.
pub async fn delete_own_post(ctx: &Context, post_url: &str, by: &Account) -> Result<StoredObject> {
    remove_or_delete(ctx, post_url, None, By::Account(by), true).await
}

async fn remove_or_delete(
    ctx: &Context,
    post_url: &str,
    reason: Option<&str>,
    by: By<'_>,
    author_deleted: bool,
) -> Result<StoredObject> {
    let object = match ctx.db.object(post_url.trim()).await {
        Ok(o) if o.deleted_at.is_none() => o,
        Ok(_) | Err(StorageError::NotFound) => {
            return Err(FederationError::NotFound(format!("no post {post_url}")));
        }
        Err(other) => return Err(other.into()),
    };
    let group_id = object
        .group_id
        .clone()
        .ok_or_else(|| FederationError::BadRequest(format!("{post_url} is in no group")))?;
    let group = ctx.db.actor(&group_id).await?;
    if !group.local {
        return Err(FederationError::BadRequest(format!(
            "{post_url} belongs to {}, whose own moderators remove it",
            group.id
        )));
    }
    let group = match (author_deleted, by) {
        (true, By::Account(author)) if author.actor_id == object.attributed_to => group,
        (true, _) => {
            return Err(FederationError::Forbidden(
                "only its author deletes a post this way".into(),
            ));
        }
        (false, _) => moderated_group(ctx, &group.username, by).await?,
    };
    let reason = reason_of(reason);
    let actor = acting_actor(ctx, &group, by).await?;
    let mut delete = group_activity("Delete", &actor, &group, json!(object.id));
    delete.summary = reason.clone();
    let plan = if object.held_reason.is_none() {
        let delete = serde_json::to_value(&delete).unwrap_or_default();
        // The author hears of it too, member or not (the queue sends each inbox once).
        let author = match ctx.db.actor(&object.attributed_to).await {
            Ok(author) => remote_inbox(&author),
            Err(_) => Vec::new(),
        };
        Some(
            crate::outbound::redistribute::plan_change(ctx, &group, &object, &delete, true, author)
                .await?,
        )
    } else {
        None
    };
    // The removal, what announces it and its audit line commit together.
    let mut change = Change::begin(ctx).await?;
    change.tx().delete_object(&object.id).await?;
    if let Some(plan) = plan {
        change.queue(plan).await?;
    }
    change
        .tx()
        .audit(
            acting_name(by),
            "post.remove",
            &object.id,
            Some(&group.id),
            reason.as_deref(),
        )
        .await?;
    let about = |r: &kith_storage::Report| r.objects().contains(&object.id);
    let resolution = if author_deleted {
        "deleted by its author"
    } else {
        "post removed"
    };
    crate::actions::reports::close_answered(ctx, &mut change, &group.id, about, resolution, by)
        .await?;
    change.commit().await?;
    Ok(object)
}

/// Plans telling members' servers that the group's actor changed (`Update{Group}`, the document
/// inline), as `group` and `post_policy` will be once the change that causes it commits.
pub(crate) async fn plan_group_update(
    ctx: &Context,
    group: &Actor,
    post_policy: kith_storage::PostPolicy,
) -> Result<Plan> {
    plan_group_update_showing(ctx, group, post_policy, None).await
}

/// [`plan_group_update`] with the group's pictures as they will be once the change commits.
pub(crate) async fn plan_group_update_showing(
    ctx: &Context,
    group: &Actor,
    post_policy: kith_storage::PostPolicy,
    pictures: Option<&[kith_storage::Picture]>,
) -> Result<Plan> {
    let mut document = crate::outbound::documents::actor_document(ctx, group).await?;
    document.posting_restricted_to_mods = Some(post_policy == kith_storage::PostPolicy::Moderators);
    if let Some(pictures) = pictures {
        (document.icon, document.image) =
            crate::outbound::documents::group_pictures(ctx, group, pictures);
    }
    let document = serde_json::to_value(&document)
        .map_err(|e| FederationError::BadRequest(format!("serialising the group: {e}")))?;
    let mut update = OutgoingActivity::new(
        "Update",
        Urls::new_activity(&group.id),
        &group.id,
        document,
        vec![PUBLIC.to_owned()],
    );
    update.cc = vec![Urls::followers(&group.id)];
    let inboxes = ctx.db.member_inboxes(&group.id).await?;
    // Lemmy refuses an `Update{Group}` whose actor is not a moderator (a person), and reads
    // the group again by itself; its form of the group would not change anyway.
    let form = Form::for_readers(update, Readers::ALL.without(Dialect::Lemmy));
    plan::plan_forms(ctx, group, &[form], inboxes).await
}

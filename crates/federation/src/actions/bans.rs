//! Bans, and lifting them. A ban is `Block{object: person, target: group}` by the moderator,
//! announced (Lemmy's ban, which also ends the person's subscription there). So that every
//! banned person's server drops their follow of the group, those that do not read the
//! announced form get what ends a follow there, at the person's own inbox: `Reject{Follow}`
//! (Mastodon honours it; GoToSocial for a request still pending) and the group's own
//! `Block{actor: group, object: person}` (GoToSocial ignores a `Reject` of a follow it had
//! accepted but ends every follow between two accounts on a `Block`; Mastodon unfollows on it
//! too). Lemmy gets neither: 0.19 has no `Reject` and refuses a `Block` by a group.

use kith_storage::{Actor, ActorKind, MemberRole, StorageError};
use serde_json::json;

use crate::actions::acting::{
    By, Direct, acting_actor, acting_name, group_activity, plan_moderation, reason_of,
    remote_inbox, resolve_person,
};
use crate::actions::membership::moderated_group;
use crate::outbound::change::Change;
use crate::outbound::follow_answers::follow_answer;
use crate::outbound::plan::Form;
use crate::outbound::software::{Dialect, Readers};
use crate::protocol::OutgoingActivity;
use crate::urls::Urls;
use crate::{Context, FederationError, Result};

/// The group's own `Block` of a banned person, with an id of its own beside the ban's
/// (`ban_id`), so that lifting the ban can undo it.
fn group_block(group: &Actor, person: &Actor, ban_id: &str) -> OutgoingActivity {
    let mut block = OutgoingActivity::new(
        "Block",
        format!("{ban_id}#group"),
        &group.id,
        json!(person.id),
        vec![person.id.clone()],
    );
    block.summary = None;
    block
}

/// Who reads the group's own `Block` of a person: the microblogs (GoToSocial and Mastodon end
/// the person's follow on it) and hosts not known yet. Not Lemmy, which takes bans only from
/// moderators, announced, and refuses a `Block` by a group.
fn group_block_readers() -> Readers {
    Readers::microblogs_and_unknown()
}

/// Bans a person from a group: their membership ends, what they send there is refused from now
/// on, and the group announces `Block{target: group}`. A Mastodon member's follow is ended with
/// `Reject{Follow}`.
pub async fn ban(
    ctx: &Context,
    group_name: &str,
    who: &str,
    reason: Option<&str>,
    by: By<'_>,
) -> Result<Actor> {
    let group = moderated_group(ctx, group_name, by).await?;
    let person = resolve_person(ctx, who).await?;
    if person.id == group.id || person.kind == ActorKind::Group && person.local {
        return Err(FederationError::BadRequest(
            "a group cannot ban a group of its own".into(),
        ));
    }
    let membership = match ctx.db.membership(&group.id, &person.id).await {
        Ok(m) => Some(m),
        Err(StorageError::NotFound) => None,
        Err(other) => return Err(other.into()),
    };
    if membership
        .as_ref()
        .is_some_and(|m| m.role == MemberRole::Owner)
    {
        return Err(FederationError::Forbidden(
            "the owner cannot be banned".into(),
        ));
    }
    if by.account().is_some_and(|a| a.actor_id == person.id) {
        return Err(FederationError::BadRequest(
            "you cannot ban yourself".into(),
        ));
    }
    let reason = reason_of(reason);
    let actor = acting_actor(ctx, &group, by).await?;
    let mut block = group_activity("Block", &actor, &group, json!(person.id));
    block.target = Some(group.id.clone());
    block.summary = reason.clone();
    // The ban, what announces it and its audit line commit together; the announcement is
    // planned inside the transaction, as a second ban keeps the first one's id.
    let mut change = Change::begin(ctx).await?;
    let ban = change
        .tx()
        .ban_from_group(&group.id, &person.id, reason.as_deref(), &block.id)
        .await?;
    block.id = ban.activity_id;
    let mut direct = Vec::new();
    if !person.local {
        // Lemmy 0.19 refuses `Reject` (it has no handler for it); the announced `Block` ends
        // the follow there.
        if let Some(follow_id) = membership.and_then(|m| m.follow_activity_id) {
            let reject = follow_answer("Reject", &group, &person, &follow_id);
            direct.push(Form::for_readers(
                reject,
                Readers::ALL.without(Dialect::Lemmy),
            ));
        }
        direct.push(Form::for_readers(
            group_block(&group, &person, &block.id),
            group_block_readers(),
        ));
    }
    let direct = (!person.local).then(|| Direct {
        inbox: person.inbox_url.clone(),
        forms: &direct,
    });
    let plan = plan_moderation(ctx, &group, &block, remote_inbox(&person), direct).await?;
    change.queue(plan).await?;
    change
        .tx()
        .audit(
            acting_name(by),
            "group.ban",
            &person.id,
            Some(&group.id),
            reason.as_deref(),
        )
        .await?;
    let about = |r: &kith_storage::Report| r.target_id == person.id;
    crate::actions::reports::close_answered(ctx, &mut change, &group.id, about, "banned", by)
        .await?;
    change.commit().await?;
    Ok(person)
}

/// Lifts a ban: the group announces `Undo{Block}`; the person may ask to join again.
pub async fn unban(ctx: &Context, group_name: &str, who: &str, by: By<'_>) -> Result<Actor> {
    let group = moderated_group(ctx, group_name, by).await?;
    let person = resolve_person(ctx, who).await?;
    let actor = acting_actor(ctx, &group, by).await?;
    // Lifting the ban, its announcement and the audit line commit together.
    let mut change = Change::begin(ctx).await?;
    let ban = match change.tx().unban_from_group(&group.id, &person.id).await {
        Ok(ban) => ban,
        Err(StorageError::NotFound) => {
            return Err(FederationError::NotFound(format!(
                "{who} is not banned from {group_name}"
            )));
        }
        Err(other) => return Err(other.into()),
    };
    let mut block = group_activity("Block", &actor, &group, json!(person.id));
    block.id = ban.activity_id;
    block.target = Some(group.id.clone());
    let own_block = group_block(&group, &person, &block.id);
    let block = serde_json::to_value(&block).unwrap_or_default();
    let undo = group_activity("Undo", &actor, &group, block);
    let mut direct = Vec::new();
    if !person.local {
        let own_block = serde_json::to_value(&own_block).unwrap_or_default();
        let mut own_undo = OutgoingActivity::new(
            "Undo",
            Urls::new_activity(&group.id),
            &group.id,
            own_block,
            vec![person.id.clone()],
        );
        own_undo.cc = Vec::new();
        direct.push(Form::for_readers(own_undo, group_block_readers()));
    }
    let direct = (!person.local).then(|| Direct {
        inbox: person.inbox_url.clone(),
        forms: &direct,
    });
    let plan = plan_moderation(ctx, &group, &undo, remote_inbox(&person), direct).await?;
    change.queue(plan).await?;
    change
        .tx()
        .audit(
            acting_name(by),
            "group.unban",
            &person.id,
            Some(&group.id),
            None,
        )
        .await?;
    change.commit().await?;
    Ok(person)
}

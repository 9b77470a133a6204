//! Joining and leaving: `Follow` → `Accept` (or a pending request, or `Reject`), `Undo{Follow}`,
//! and the answers to follows Kith itself sent (`Accept`/`Reject` of a local group's follow).

use kith_storage::{
    Actor, ActorKind, DomainSeverity, JoinPolicy, MemberRole, MemberState, StorageError,
};

use super::Outcome;
use crate::outbound::change::Change;
use crate::outbound::follow_answers::{plan_answer, send_answer};
use crate::protocol::{Activity, id_of};
use crate::{Context, FederationError, Result};

/// A member asks to join a group (or to follow a local person or the instance actor).
pub async fn receive_follow(ctx: &Context, activity: &Activity, sender: &Actor) -> Result<Outcome> {
    let target_id = activity
        .object_id()
        .ok_or_else(|| FederationError::BadRequest("Follow without an object".into()))?;
    let target = match ctx.db.actor(target_id).await {
        Ok(actor) if actor.local => actor,
        Ok(_) | Err(StorageError::NotFound) => {
            return Ok(Outcome::ignored(format!(
                "{target_id} is not a local actor"
            )));
        }
        Err(other) => return Err(other.into()),
    };
    // A group's digest actor: only a public group has one, and whom the group banned may not
    // follow it either.
    if let Some(group) = crate::actions::group_digest::group_of(ctx, &target).await? {
        if !group.is_public() {
            return Ok(Outcome::ignored(format!(
                "{target_id} is not a local actor"
            )));
        }
        if ctx.db.is_banned(&group.id, &sender.id).await? {
            send_answer(ctx, "Reject", &target, sender, &activity.id).await?;
            return Ok(Outcome::Applied);
        }
    }
    let existing = match ctx.db.membership(&target.id, &sender.id).await {
        Ok(m) => Some(m),
        Err(StorageError::NotFound) => None,
        Err(other) => return Err(other.into()),
    };
    let state = existing.as_ref().map(|m| m.state);
    if state == Some(MemberState::Banned) || ctx.db.is_banned(&target.id, &sender.id).await? {
        send_answer(ctx, "Reject", &target, sender, &activity.id).await?;
        return Ok(Outcome::Applied);
    }
    let role = existing.as_ref().map_or(MemberRole::Member, |m| m.role);
    // People from a silenced server always wait for a moderator; someone an organiser invited
    // is let in by the invitation.
    let group = target.kind == ActorKind::Group;
    let invited =
        group && crate::actions::invitations::follow_invited(ctx, &target, sender).await?;
    let needs_approval = group
        && state != Some(MemberState::Accepted)
        && (ctx.db.domain_severity_cached(&sender.domain).await? == Some(DomainSeverity::Silence)
            || (!invited
                && ctx.db.group_settings(&target.id).await?.join_policy == JoinPolicy::Approval));
    let new_state = if needs_approval {
        MemberState::Pending
    } else {
        MemberState::Accepted
    };
    let plan = if needs_approval {
        None
    } else {
        Some(plan_answer(ctx, "Accept", &target, sender, &activity.id).await?)
    };
    // The membership and its `Accept` commit together.
    let mut change = Change::begin(ctx).await?;
    change
        .tx()
        .upsert_membership(&target.id, &sender.id, new_state, role, Some(&activity.id))
        .await?;
    if let Some(plan) = plan {
        change.queue(plan).await?;
    }
    if invited && !needs_approval {
        change.tx().remove_invitee(&target.id, &sender.id).await?;
    }
    if needs_approval && state != Some(MemberState::Pending) {
        change
            .notify_organisers(
                &target.id,
                &crate::actions::mail::notify::join_request(ctx, &target, sender),
            )
            .await?;
    }
    change.commit().await?;
    if needs_approval {
        tracing::info!(group = %target.id, member = %sender.id, "join request waits for a moderator");
    }
    Ok(Outcome::Applied)
}

/// A member leaves: `Undo{Follow}`.
pub async fn receive_undo_follow(
    ctx: &Context,
    activity: &Activity,
    sender: &Actor,
) -> Result<Outcome> {
    let follow = &activity.object;
    let follower = follow.get("actor").and_then(id_of);
    if follower != Some(sender.id.as_str()) {
        return Err(FederationError::Forbidden(
            "an Undo{Follow} must undo the sender's own Follow".into(),
        ));
    }
    let Some(target) = follow.get("object").and_then(id_of) else {
        return Err(FederationError::BadRequest(
            "the Follow has no object".into(),
        ));
    };
    match ctx.db.membership(target, &sender.id).await {
        Ok(m) if m.role == MemberRole::Owner => {
            Ok(Outcome::ignored("the owner cannot leave by Undo"))
        }
        Ok(_) => {
            // With the record of the `Undo` (applied in the inbox, `crate::outbound::change`).
            let mut change = Change::begin(ctx).await?;
            change.tx().delete_membership(target, &sender.id).await?;
            change.commit().await?;
            Ok(Outcome::Applied)
        }
        Err(StorageError::NotFound) => Ok(Outcome::ignored("was not a member")),
        Err(other) => Err(other.into()),
    }
}

/// A remote actor accepted a local actor's `Follow`.
pub async fn receive_accept(ctx: &Context, activity: &Activity, sender: &Actor) -> Result<Outcome> {
    let Some(follow_id) = activity.object_id() else {
        return Err(FederationError::BadRequest(
            "Accept without an object".into(),
        ));
    };
    let mut change = Change::begin(ctx).await?;
    let accepted = change.tx().accept_follow(&sender.id, follow_id).await;
    match accepted {
        Ok(follow) => {
            change.commit().await?;
            tracing::info!(follower = %follow.follower_id, followee = %sender.id, "follow accepted");
            Ok(Outcome::Applied)
        }
        Err(StorageError::NotFound) => Ok(Outcome::ignored("no such follow waits")),
        Err(other) => Err(other.into()),
    }
}

/// A remote actor refused (or ended) a local actor's follow.
pub async fn receive_reject(ctx: &Context, activity: &Activity, sender: &Actor) -> Result<Outcome> {
    let Some(follow_id) = activity.object_id() else {
        return Err(FederationError::BadRequest(
            "Reject without an object".into(),
        ));
    };
    let mut change = Change::begin(ctx).await?;
    let ended = change
        .tx()
        .delete_follow_by_activity(&sender.id, follow_id)
        .await;
    match ended {
        Ok(()) => {
            change.commit().await?;
            Ok(Outcome::Applied)
        }
        Err(StorageError::NotFound) => Ok(Outcome::ignored("no such follow")),
        Err(other) => Err(other.into()),
    }
}

//! What organisers do with members: see who asks to join, approve, refuse or remove them; and
//! make a local group follow a remote group. The CLI acts as the operator (`By::Operator`); the
//! JSON API and the pages as a signed-in account, which must moderate the group.

use kith_storage::{Actor, MemberRole, MemberState, Membership, StorageError};
use serde_json::Value;

use crate::actions::acting::{By, find_actor};
use crate::outbound::change::Change;
use crate::outbound::follow_answers::plan_answer;
use crate::protocol::OutgoingActivity;
use crate::urls::Urls;
use crate::{Context, FederationError, Result, outbound::plan};

/// Someone waiting to join a group.
#[derive(Clone, Debug)]
pub struct JoinRequest {
    /// Who asks.
    pub member: Actor,
    /// When they asked, in milliseconds.
    pub requested_at: i64,
    /// Their answer to the group's question.
    pub answer: Option<String>,
    /// For a members-only or hidden group: whether they would be the first member from their
    /// server, which would then keep copies of everything the group shares (organisers are
    /// warned before approving).
    pub new_server: bool,
}

/// The local group named `name`, if `by` may moderate it (any group for the operator).
pub async fn moderated_group(ctx: &Context, name: &str, by: By<'_>) -> Result<Actor> {
    let group = crate::actions::joining::local_group(ctx, name).await?;
    let By::Account(account) = by else {
        return Ok(group);
    };
    if account.is_admin {
        return Ok(group);
    }
    match ctx.db.membership(&group.id, &account.actor_id).await {
        Ok(m) if m.is_moderator() => Ok(group),
        Ok(_) | Err(StorageError::NotFound) => Err(FederationError::Forbidden(format!(
            "{} does not moderate {name}",
            account.username
        ))),
        Err(other) => Err(other.into()),
    }
}

/// The requests to join a group that wait for a moderator, oldest first.
pub async fn join_requests(
    ctx: &Context,
    group_name: &str,
    by: By<'_>,
) -> Result<Vec<JoinRequest>> {
    let group = moderated_group(ctx, group_name, by).await?;
    let mut requests = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = ctx
            .db
            .members_page(&group.id, MemberState::Pending, after.as_deref(), 100)
            .await?;
        let last = page.len() < 100;
        for m in page {
            after = Some(m.member_id.clone());
            let member = ctx.db.actor(&m.member_id).await?;
            let new_server = !group.is_public()
                && !member.local
                && !ctx
                    .db
                    .host_has_accepted_member(&group.id, &member.domain)
                    .await?;
            requests.push(JoinRequest {
                member,
                requested_at: m.created_at,
                answer: m.answer,
                new_server,
            });
        }
        if last {
            break;
        }
    }
    requests.sort_by_key(|r| r.requested_at);
    Ok(requests)
}

/// A group `by` moderates, an actor, and the actor's membership of it.
async fn group_member(
    ctx: &Context,
    group_name: &str,
    who: &str,
    by: By<'_>,
) -> Result<(Actor, Actor, Membership)> {
    let group = moderated_group(ctx, group_name, by).await?;
    let member = find_actor(ctx, who).await?;
    match ctx.db.membership(&group.id, &member.id).await {
        Ok(membership) => Ok((group, member, membership)),
        Err(StorageError::NotFound) => Err(FederationError::NotFound(format!(
            "{who} is neither in {group_name} nor asking to join"
        ))),
        Err(other) => Err(other.into()),
    }
}

/// Lets a pending member in: the membership is accepted and the `Accept` goes out at once.
pub async fn approve_member(
    ctx: &Context,
    group_name: &str,
    who: &str,
    by: By<'_>,
) -> Result<Actor> {
    let (group, member, membership) = group_member(ctx, group_name, who, by).await?;
    if membership.state != MemberState::Pending {
        return Err(FederationError::BadRequest(format!(
            "{who} is {} in {group_name}, not waiting",
            membership.state
        )));
    }
    let plan = match &membership.follow_activity_id {
        Some(follow_id) if !member.local => {
            Some(plan_answer(ctx, "Accept", &group, &member, follow_id).await?)
        }
        _ => None,
    };
    // The membership and its `Accept` commit together.
    let mut change = Change::begin(ctx).await?;
    change
        .tx()
        .upsert_membership(
            &group.id,
            &member.id,
            MemberState::Accepted,
            MemberRole::Member,
            None,
        )
        .await?;
    if let Some(plan) = plan {
        change.queue(plan).await?;
    }
    change
        .notify(
            &member.id,
            &crate::actions::mail::notify::group_notice(
                ctx,
                crate::actions::mail::notify::Kind::Approved,
                &group,
            ),
        )
        .await?;
    change.commit().await?;
    Ok(member)
}

/// Refuses a pending request or removes a member: the membership ends and `Reject{Follow}`
/// makes the member's server drop its follow (Mastodon unfollows on it).
pub async fn remove_member(
    ctx: &Context,
    group_name: &str,
    who: &str,
    by: By<'_>,
) -> Result<Actor> {
    let (group, member, membership) = group_member(ctx, group_name, who, by).await?;
    if membership.role == MemberRole::Owner {
        return Err(FederationError::Forbidden(
            "the owner cannot be removed".into(),
        ));
    }
    let mut plan = match &membership.follow_activity_id {
        Some(follow_id) if !member.local => {
            Some(plan_answer(ctx, "Reject", &group, &member, follow_id).await?)
        }
        _ => None,
    };
    // GoToSocial ignores `Reject{Follow}` and `Undo{Accept}` once it was accepted; only the
    // group's `Block` ends the follow there. For a members-only group that matters: the removed
    // member's server would otherwise still count as a member's (issue 26).
    if !group.is_public()
        && !member.local
        && let Some(plan) = plan.as_mut()
    {
        let block = OutgoingActivity::new(
            "Block",
            Urls::new_activity(&group.id),
            &group.id,
            Value::String(member.id.clone()),
            vec![member.id.clone()],
        );
        plan.add(
            &group,
            &[plan::Form::for_readers(
                block,
                crate::outbound::software::Readers::of(&[
                    crate::outbound::software::Dialect::GoToSocial,
                ]),
            )],
        )?;
    }
    // The membership ends with its `Reject`, together.
    let mut change = Change::begin(ctx).await?;
    change.tx().delete_membership(&group.id, &member.id).await?;
    if let Some(plan) = plan {
        change.queue(plan).await?;
    }
    if membership.state == MemberState::Pending {
        change
            .notify(
                &member.id,
                &crate::actions::mail::notify::group_notice(
                    ctx,
                    crate::actions::mail::notify::Kind::Refused,
                    &group,
                ),
            )
            .await?;
    }
    change.commit().await?;
    Ok(member)
}

/// Makes a local group follow a remote group (another Kith, a Lemmy community, a Mobilizon or
/// NodeBB group) by handle; what it announces is kept once the remote group accepts. The
/// `Follow` is sent by the group's relay (`relay.rs`), an actor type every server takes as a
/// follower.
pub async fn follow_group(ctx: &Context, group_name: &str, handle: &str) -> Result<Actor> {
    let group = moderated_group(ctx, group_name, By::Operator).await?;
    super::following::follow_remote_group(ctx, &group, handle).await
}

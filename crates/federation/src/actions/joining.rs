//! Joining groups as a person: a local person joins or leaves a local group directly, follows a
//! remote group by handle, and a visitor with an account elsewhere is sent to their own server
//! to follow (the remote-interaction template found by WebFinger: docs/protocol.md, Discovery).

use kith_storage::{
    Account, Actor, ActorKind, JoinPolicy, MemberRole, MemberState, Membership, StorageError,
};
use serde_json::Value;
use url::Url;

use crate::protocol::Handle;
use crate::protocol::{FOLLOW_INTENT_REL, SUBSCRIBE_REL};
use crate::{Context, FederationError, Result, outbound::fetch};

/// A local group by name.
pub async fn local_group(ctx: &Context, name: &str) -> Result<Actor> {
    match ctx.db.local_actor_by_username(name).await {
        Ok(actor) if actor.kind == ActorKind::Group => Ok(actor),
        Ok(_) | Err(StorageError::NotFound) => Err(FederationError::NotFound(format!(
            "no group named {name:?}"
        ))),
        Err(other) => Err(other.into()),
    }
}

/// A local person's membership of a group, if any.
pub async fn membership_of(
    ctx: &Context,
    group: &Actor,
    person_id: &str,
) -> Result<Option<Membership>> {
    match ctx.db.membership(&group.id, person_id).await {
        Ok(m) => Ok(Some(m)),
        Err(StorageError::NotFound) => Ok(None),
        Err(other) => Err(other.into()),
    }
}

/// A local person joins a local group: at once when it is open or they hold an invitation, as
/// a request for its moderators when it needs approval, with the answer to the group's question kept for them.
/// Joining again changes nothing; the banned cannot.
pub async fn join_group(
    ctx: &Context,
    account: &Account,
    name: &str,
    answer: Option<&str>,
) -> Result<Membership> {
    let group = local_group(ctx, name).await?;
    if ctx.db.is_banned(&group.id, &account.actor_id).await? {
        return Err(FederationError::Forbidden(format!(
            "you are banned from {name}"
        )));
    }
    if let Some(m) = membership_of(ctx, &group, &account.actor_id).await? {
        if m.state == MemberState::Banned {
            return Err(FederationError::Forbidden(format!(
                "you cannot join {name}"
            )));
        }
        return Ok(m);
    }
    let settings = ctx.db.group_settings(&group.id).await?;
    // Someone an organiser invited by name is let in by the invitation.
    let invited = ctx
        .db
        .is_invitee(&group.id, &account.actor_id, kith_storage::now_millis())
        .await?;
    let state = match settings.join_policy {
        JoinPolicy::Approval if !invited => MemberState::Pending,
        JoinPolicy::Approval | JoinPolicy::Open => MemberState::Accepted,
    };
    let answer = answer.map(str::trim).filter(|a| !a.is_empty());
    if answer.is_some_and(|a| a.chars().count() > MAX_ANSWER) {
        return Err(FederationError::BadRequest(format!(
            "an answer is at most {MAX_ANSWER} characters"
        )));
    }
    let me = ctx.db.actor(&account.actor_id).await?;
    // The membership and the organisers' notification of a request commit together.
    let mut change = crate::outbound::change::Change::begin(ctx).await?;
    let mut membership = change
        .tx()
        .upsert_membership(
            &group.id,
            &account.actor_id,
            state,
            MemberRole::Member,
            None,
        )
        .await?;
    if invited {
        change
            .tx()
            .remove_invitee(&group.id, &account.actor_id)
            .await?;
    }
    if state == MemberState::Pending {
        change
            .notify_organisers(
                &group.id,
                &crate::actions::mail::notify::join_request(ctx, &group, &me),
            )
            .await?;
    }
    change.commit().await?;
    if let Some(answer) = answer
        && state == MemberState::Pending
    {
        ctx.db
            .set_membership_answer(&group.id, &account.actor_id, answer)
            .await?;
        membership.answer = Some(answer.to_owned());
    }
    Ok(membership)
}

/// The longest answer to a group's join question.
pub const MAX_ANSWER: usize = 1_000;

/// A local person leaves a local group (or withdraws a request). The owner stays: a group
/// needs one.
pub async fn leave_group(ctx: &Context, account: &Account, name: &str) -> Result<()> {
    let group = local_group(ctx, name).await?;
    match membership_of(ctx, &group, &account.actor_id).await? {
        Some(m) if m.role == MemberRole::Owner => Err(FederationError::Forbidden(
            "the owner cannot leave their group".into(),
        )),
        Some(m) if m.state == MemberState::Banned => Ok(()),
        Some(_) => Ok(ctx
            .db
            .delete_membership(&group.id, &account.actor_id)
            .await?),
        None => Ok(()),
    }
}

/// A local person follows a group by handle: a local one is joined, a remote one followed
/// (its posts and events then reach this instance).
pub async fn follow_by_handle(ctx: &Context, account: &Account, handle: &str) -> Result<Actor> {
    let handle = handle.trim().trim_start_matches('@');
    let local_name = if handle.contains('@') {
        let parsed = Handle::parse(handle, ctx.urls().base().scheme())?;
        (parsed.host == ctx.urls().domain()).then_some(parsed.name)
    } else {
        Some(handle.to_owned())
    };
    if let Some(name) = local_name {
        join_group(ctx, account, &name, None).await?;
        return local_group(ctx, &name).await;
    }
    let person = ctx.db.actor(&account.actor_id).await?;
    crate::actions::following::follow_remote_group(ctx, &person, handle).await
}

/// A local person follows a group named by its id (what a remote "follow" button sends).
pub async fn follow_by_id(ctx: &Context, account: &Account, id: &str) -> Result<Actor> {
    let id = id.trim();
    if !(id.starts_with("https://") || id.starts_with("http://")) {
        return follow_by_handle(ctx, account, id).await;
    }
    if let Ok(actor) = ctx.db.actor(id).await
        && actor.local
    {
        return follow_by_handle(ctx, account, &actor.username).await;
    }
    let remote = fetch::resolve_actor(ctx, id, false).await?;
    let person = ctx.db.actor(&account.actor_id).await?;
    crate::actions::following::follow_remote_actor(ctx, &person, remote, id).await
}

/// Where to send a visitor who gave their handle (`name@their.server`) to follow or answer
/// `target` (a local group's or event's id) from their own account: their server's follow
/// intent (FEP-3b86) or remote-interaction template, filled in.
pub async fn remote_interaction_url(ctx: &Context, visitor: &str, target: &str) -> Result<String> {
    let visitor = visitor.trim().trim_start_matches('@');
    if !visitor.contains('@') {
        return Err(FederationError::BadRequest(
            "give your full handle, like name@mastodon.social".into(),
        ));
    }
    // What went wrong on the way (a typo, a server that is down, a refused address) is for the
    // log; the visitor gets what to do about it.
    let jrd = fetch::webfinger(ctx, visitor).await.map_err(|cause| {
        if let FederationError::BadRequest(_) = cause {
            return cause; // a malformed handle: its message says what is wrong
        }
        tracing::info!(%cause, visitor, "remote interaction: the handle could not be looked up");
        FederationError::BadRequest(format!(
            "Kith could not find {visitor}. Check the handle (name@server), or search for \
             {target} on your own server and follow it from there."
        ))
    })?;
    let template = |rel: &str| {
        jrd.get("links")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|l| l.get("rel").and_then(Value::as_str) == Some(rel))
            .and_then(|l| l.get("template").and_then(Value::as_str))
            .map(str::to_owned)
    };
    let filled = if let Some(t) = template(FOLLOW_INTENT_REL) {
        t.replace("{object}", &encode(target))
    } else if let Some(t) = template(SUBSCRIBE_REL) {
        t.replace("{uri}", &encode(target))
    } else {
        return Err(FederationError::BadRequest(format!(
            "{visitor}'s server does not say where to follow from; search for {target} there"
        )));
    };
    // Only a web address is a place to send a browser.
    match Url::parse(&filled) {
        Ok(url) if matches!(url.scheme(), "https" | "http") => Ok(url.to_string()),
        _ => Err(FederationError::Remote(format!(
            "{visitor}'s server gave an unusable follow address"
        ))),
    }
}

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

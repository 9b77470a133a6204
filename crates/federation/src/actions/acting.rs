//! Who acts and how their moderation activities are formed: the name the audit log keeps, the
//! person an activity is sent as, a person named by handle or id, and the FEP-1b12 wrapping the
//! group announces a moderation activity in. Shared by bans, reports and the other moderation
//! actions, which call each other only downwards from here.

use kith_storage::{Account, Actor, StorageError};
use serde_json::Value;

use crate::outbound::announce;
use crate::outbound::plan::{Form, Plan};
use crate::outbound::software::Readers;
use crate::protocol::{Handle, OutgoingActivity, PUBLIC};
use crate::urls::Urls;
use crate::{Context, FederationError, Result, outbound::fetch, outbound::plan};

/// Who takes an action. The instance's operator (the command line, run by whoever runs the
/// server) may do anything an administrator may; an account may do what its roles allow, checked
/// by each action. There is no "nobody": every action names one or the other.
#[derive(Clone, Copy, Debug)]
pub enum By<'a> {
    /// The operator at the command line.
    Operator,
    /// A signed-in account (the pages, the JSON API).
    Account(&'a Account),
}

impl<'a> By<'a> {
    /// The account acting, if it is one.
    pub fn account(self) -> Option<&'a Account> {
        match self {
            By::Operator => None,
            By::Account(account) => Some(account),
        }
    }
}

/// Who the audit log names for an action: the account, or `operator` for the command line.
pub fn acting_name(by: By<'_>) -> &str {
    by.account().map_or("operator", |a| a.username.as_str())
}

/// The person a moderation activity is sent as: the moderator acting, or for the command line
/// the group's owner (Lemmy reads the actor of a mod action as a person of the group's instance).
pub(crate) async fn acting_actor(ctx: &Context, group: &Actor, by: By<'_>) -> Result<Actor> {
    if let By::Account(account) = by {
        return Ok(ctx.db.actor(&account.actor_id).await?);
    }
    match ctx.db.group_owner(&group.id).await? {
        Some(owner) => Ok(ctx.db.actor(&owner).await?),
        None => Ok(group.clone()),
    }
}

/// The inbox of a remote person, to tell them directly; nothing for local people.
pub(crate) fn remote_inbox(person: &Actor) -> Vec<String> {
    if person.local {
        Vec::new()
    } else {
        vec![plan::inbox_of(person)]
    }
}

/// What a moderation activity also sends the person it concerns: `forms` to their own inbox.
pub(crate) struct Direct<'a> {
    pub(crate) inbox: String,
    pub(crate) forms: &'a [Form],
}

/// Plans a moderation activity the FEP-1b12 way: wrapped in the group's `Announce`, to every
/// member's server that reads it (not the microblogs) and to `extra` inboxes (the person
/// concerned), with the `direct` forms in the same batch. Reads only: the caller queues it
/// with the action (`crate::outbound::change`).
pub(crate) async fn plan_moderation(
    ctx: &Context,
    group: &Actor,
    inner: &OutgoingActivity,
    extra: Vec<String>,
    direct: Option<Direct<'_>>,
) -> Result<Plan> {
    let value = serde_json::to_value(inner)
        .map_err(|e| FederationError::BadRequest(format!("serialising {}: {e}", inner.kind)))?;
    let wrapped = announce::announce_activity(group, &value, Urls::new_activity(&group.id));
    let mut announced_to = ctx.db.member_inboxes(&group.id).await?;
    announced_to.extend(extra);
    let mut inboxes = announced_to.clone();
    inboxes.extend(direct.as_ref().map(|d| d.inbox.clone()));
    let mut plan = Plan::new(ctx, inboxes).await?;
    plan.add_to(
        group,
        &[Form::for_readers(wrapped, Readers::groups_and_unknown())],
        &announced_to,
    )?;
    if let Some(direct) = direct {
        plan.add_to(group, direct.forms, std::slice::from_ref(&direct.inbox))?;
    }
    Ok(plan)
}

/// A moderation activity by `actor` in `group`, public, with the group in `cc` and `audience`.
pub(crate) fn group_activity(
    kind: &'static str,
    actor: &Actor,
    group: &Actor,
    object: Value,
) -> OutgoingActivity {
    let mut activity = OutgoingActivity::new(
        kind,
        Urls::new_activity(&actor.id),
        &actor.id,
        object,
        vec![PUBLIC.to_owned()],
    );
    activity.cc = vec![group.id.clone()];
    activity.audience = Some(group.id.clone());
    activity
}

/// An actor named by `@name@host`, id or local name; a remote one not seen before is looked up
/// with WebFinger (a ban can come before the first post).
pub async fn resolve_person(ctx: &Context, who: &str) -> Result<Actor> {
    match find_actor(ctx, who).await {
        Ok(actor) => Ok(actor),
        Err(FederationError::NotFound(_)) if who.trim_start_matches('@').contains('@') => {
            fetch::webfinger_actor(ctx, who).await
        }
        Err(FederationError::NotFound(_)) if who.starts_with("http") => {
            fetch::resolve_actor(ctx, who, false).await
        }
        Err(other) => Err(other),
    }
}

/// A reason as kept: trimmed, and none when blank.
pub(crate) fn reason_of(reason: Option<&str>) -> Option<String> {
    reason
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
}

/// An actor named by id, `@name@host` handle, or local name.
pub async fn find_actor(ctx: &Context, who: &str) -> Result<Actor> {
    let who = who.trim();
    let found = if who.starts_with("https://") || who.starts_with("http://") {
        ctx.db.actor(who).await
    } else if who.trim_start_matches('@').contains('@') {
        let handle = Handle::parse(who, ctx.urls().base().scheme())?;
        if handle.host == ctx.urls().domain() {
            ctx.db.local_actor_by_username(&handle.name).await
        } else {
            ctx.db
                .remote_actor_by_handle(&handle.name, &handle.host)
                .await
        }
    } else {
        ctx.db.local_actor_by_username(who).await
    };
    match found {
        Ok(actor) => Ok(actor),
        Err(StorageError::NotFound) => Err(FederationError::NotFound(format!("no actor {who:?}"))),
        Err(other) => Err(other.into()),
    }
}

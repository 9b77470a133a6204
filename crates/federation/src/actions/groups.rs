//! Local groups: creating them.

use kith_storage::{
    Account, Actor, ActorKind, GroupVisibility, JoinPolicy, PostPolicy, StorageError,
};

pub use super::group_settings::{GroupNow, SettingsChange, change_settings};
use crate::actions::acting::By;
use crate::{Context, FederationError, Result, actions, keys, names};

/// What an organiser gives to create a group.
#[derive(Clone, Debug)]
pub struct NewGroup {
    /// The group's name (its handle: `@name@domain`).
    pub name: String,
    /// The login name of the owner.
    pub owner: String,
    /// A human title; the name is shown where there is none.
    pub title: Option<String>,
    /// A short description (plain text).
    pub summary: Option<String>,
    /// Who may join (a members-only or hidden group always approves each member).
    pub join_policy: JoinPolicy,
    /// Who may see it and what it publishes.
    pub visibility: GroupVisibility,
}

/// Creates a group with its `Group` actor and key pair, its owner as first member.
pub async fn create_group(ctx: &Context, new: &NewGroup) -> Result<Actor> {
    let name = names::normalize(&new.name)?;
    let owner = match ctx.db.account_by_username(&new.owner).await {
        Ok(owner) => owner,
        Err(StorageError::NotFound) => {
            return Err(FederationError::UnknownAccount(new.owner.clone()));
        }
        Err(other) => return Err(other.into()),
    };
    if ctx.db.local_actor_by_username(&name).await.is_ok() {
        return Err(FederationError::NameTaken(name));
    }
    let keys = keys::generate().await?;
    let mut actor = ctx.urls().new_local_actor(
        ctx.urls().group(&name),
        ActorKind::Group,
        &name,
        new.title.clone().filter(|t| !t.trim().is_empty()),
        new.summary.clone().filter(|s| !s.trim().is_empty()),
        keys,
    );
    // Content for members only is worth nothing if anyone can become a member by following.
    let join_policy = if new.visibility == GroupVisibility::Public {
        new.join_policy
    } else {
        JoinPolicy::Approval
    };
    actor.manually_approves_followers = join_policy == JoinPolicy::Approval;
    ctx.db
        .create_group(
            &actor,
            (join_policy, new.visibility),
            &owner.actor_id,
            Some(&owner.id),
        )
        .await
        .map_err(actions::name_taken(&name))
}

/// Changes who may see a group, as one of its organisers. A group that has published or kept
/// anything may not go from public to members-only or hidden: its past was served to everyone
/// and copied by other servers, and calling it private now would mislead its members. A group
/// that becomes private approves each new member from then on (one change:
/// [`change_settings`]).
pub async fn set_visibility(
    ctx: &Context,
    name: &str,
    by: By<'_>,
    visibility: GroupVisibility,
) -> Result<Actor> {
    let change = SettingsChange {
        visibility: Some(visibility.as_str().into()),
        ..SettingsChange::default()
    };
    Ok(change_settings(ctx, name, by, &change).await?.group)
}

/// Sets who may post into a group and its rules (plain text; none clears them), as one of its
/// organisers.
pub async fn set_group_rules(
    ctx: &Context,
    name: &str,
    by: By<'_>,
    post_policy: PostPolicy,
    rules: Option<&str>,
) -> Result<()> {
    let change = SettingsChange {
        post_policy: Some(post_policy.as_str().into()),
        rules: Some(rules.unwrap_or_default().into()),
        ..SettingsChange::default()
    };
    change_settings(ctx, name, by, &change).await?;
    Ok(())
}

/// Changes a group's title and description (plain text), as one of its organisers; members'
/// servers are told with `Update{Group}`, written with the change.
pub async fn set_group_profile(
    ctx: &Context,
    name: &str,
    by: By<'_>,
    title: &str,
    summary: &str,
) -> Result<Actor> {
    let change = SettingsChange {
        title: Some(title.into()),
        summary: Some(summary.into()),
        ..SettingsChange::default()
    };
    Ok(change_settings(ctx, name, by, &change).await?.group)
}

/// A change of a group's policies as people give them (`open`, `approval`, `members`, …);
/// what is left out keeps its value.
#[derive(Clone, Debug, Default)]
pub struct PolicyChange {
    /// `open` or `approval`.
    pub join_policy: Option<String>,
    /// The question for applicants; empty clears it.
    pub join_question: Option<String>,
    /// `members`, `anyone` or `moderators`.
    pub post_policy: Option<String>,
    /// `thread` or `boost`.
    pub reply_policy: Option<String>,
}

/// Changes a group's policies, as one of its organisers (the command line); returns the
/// settings as they now are. A change of join policy is told to members' servers with
/// `Update{Group}` (Mastodon shows "requested" for approval groups).
pub async fn change_policies(
    ctx: &Context,
    name: &str,
    by: By<'_>,
    change: &PolicyChange,
) -> Result<kith_storage::GroupSettings> {
    let change = SettingsChange {
        join_policy: change.join_policy.clone(),
        join_question: change.join_question.clone(),
        post_policy: change.post_policy.clone(),
        reply_policy: change.reply_policy.clone(),
        ..SettingsChange::default()
    };
    Ok(change_settings(ctx, name, by, &change).await?.settings)
}

/// Refuses a new group when `owner` has created as many as the daily cap allows (administrators
/// are not capped): one person cannot flood the directory.
pub async fn check_creation_cap(ctx: &Context, owner: &Account) -> Result<()> {
    if owner.is_admin {
        return Ok(());
    }
    let cap = ctx.settings().limits.groups_per_day;
    let since = kith_storage::now_millis() - 86_400_000;
    if ctx.db.groups_created_since(&owner.id, since).await? >= cap {
        return Err(FederationError::Forbidden(format!(
            "a person may start at most {cap} groups a day"
        )));
    }
    Ok(())
}

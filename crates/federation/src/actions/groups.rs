//! Local groups: creating them.

use kith_storage::{
    Account, Actor, ActorKind, GroupVisibility, JoinPolicy, PostPolicy, StorageError,
};

use crate::change::Change;
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
    let mut actor = actions::local_actor(
        ctx,
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
/// that becomes private approves each new member from then on.
pub async fn set_visibility(
    ctx: &Context,
    name: &str,
    by: Option<&Account>,
    visibility: GroupVisibility,
) -> Result<Actor> {
    let group = crate::actions::membership::moderated_group(ctx, name, by).await?;
    if group.visibility == visibility.as_str() {
        return Ok(group);
    }
    if group.is_public() && ctx.db.group_has_content(&group.id).await? {
        return Err(FederationError::BadRequest(format!(
            "{name} has posts or events that were public: they were served to everyone and \
             copied by other servers, so the group cannot become {visibility} now (create a \
             new {visibility} group instead)"
        )));
    }
    if visibility != GroupVisibility::Public {
        change_policies(
            ctx,
            name,
            by,
            &PolicyChange {
                join_policy: Some(JoinPolicy::Approval.as_str().into()),
                ..PolicyChange::default()
            },
        )
        .await?;
    }
    ctx.db.set_group_visibility(&group.id, visibility).await?;
    Ok(ctx.db.actor(&group.id).await?)
}

/// The longest rules kept.
const MAX_RULES: usize = 5_000;

/// Sets who may post into a group and its rules (plain text), as one of its organisers.
pub async fn set_group_rules(
    ctx: &Context,
    name: &str,
    by: Option<&Account>,
    post_policy: PostPolicy,
    rules: Option<&str>,
) -> Result<()> {
    let group = crate::actions::membership::moderated_group(ctx, name, by).await?;
    let rules = rules.map(str::trim).filter(|r| !r.is_empty());
    if rules.is_some_and(|r| r.chars().count() > MAX_RULES) {
        return Err(FederationError::BadRequest(format!(
            "the rules are longer than {MAX_RULES} characters"
        )));
    }
    Ok(ctx
        .db
        .set_group_rules(&group.id, post_policy, rules)
        .await?)
}

/// The longest group title.
const MAX_GROUP_TITLE: usize = 100;
/// The longest group description.
const MAX_GROUP_SUMMARY: usize = 2_000;

/// Changes a group's title and description (plain text), as one of its organisers; members'
/// servers are told with `Update{Group}`, written with the change.
pub async fn set_group_profile(
    ctx: &Context,
    name: &str,
    by: Option<&Account>,
    title: &str,
    summary: &str,
) -> Result<Actor> {
    let group = crate::actions::membership::moderated_group(ctx, name, by).await?;
    let title = title.trim();
    let summary = summary.trim();
    if title.is_empty() || title.chars().count() > MAX_GROUP_TITLE {
        return Err(FederationError::BadRequest(format!(
            "the title must have 1 to {MAX_GROUP_TITLE} characters"
        )));
    }
    if summary.chars().count() > MAX_GROUP_SUMMARY {
        return Err(FederationError::BadRequest(format!(
            "the description is longer than {MAX_GROUP_SUMMARY} characters"
        )));
    }
    let summary = (!summary.is_empty()).then_some(summary);
    if group.display_name.as_deref() == Some(title) && group.summary.as_deref() == summary {
        return Ok(group);
    }
    let mut changed = group.clone();
    changed.display_name = Some(title.to_owned());
    changed.summary = summary.map(str::to_owned);
    let settings = ctx.db.group_settings(&group.id).await?;
    let post_policy = PostPolicy::parse(&settings.post_policy).unwrap_or(PostPolicy::Members);
    let plan = crate::actions::group_safety::plan_group_update(ctx, &changed, post_policy).await?;
    // The new profile and the `Update{Group}` telling of it commit together.
    let mut change = Change::begin(ctx).await?;
    change
        .tx()
        .set_actor_profile(&group.id, Some(title), summary)
        .await?;
    change.queue(plan).await?;
    change.commit().await?;
    Ok(ctx.db.actor(&group.id).await?)
}

/// The longest join question.
const MAX_QUESTION: usize = 500;

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

fn parse_or<T>(
    given: Option<&str>,
    current: &str,
    what: &str,
    read: fn(&str) -> Option<T>,
) -> Result<T> {
    let value = given.unwrap_or(current);
    read(value).ok_or_else(|| FederationError::BadRequest(format!("{value:?} is not a {what}")))
}

/// Changes a group's policies, as one of its organisers (the command line and the JSON API);
/// returns the settings as they now are. A change of join policy is told to members' servers
/// with `Update{Group}` (Mastodon shows "requested" for approval groups).
pub async fn change_policies(
    ctx: &Context,
    name: &str,
    by: Option<&Account>,
    change: &PolicyChange,
) -> Result<kith_storage::GroupSettings> {
    let group = crate::actions::membership::moderated_group(ctx, name, by).await?;
    let current = ctx.db.group_settings(&group.id).await?;
    let join_policy = parse_or(
        change.join_policy.as_deref(),
        &current.join_policy,
        "join policy",
        JoinPolicy::parse,
    )?;
    let reply_policy = parse_or(
        change.reply_policy.as_deref(),
        &current.reply_policy,
        "reply policy",
        kith_storage::ReplyPolicy::parse,
    )?;
    let post_policy = parse_or(
        change.post_policy.as_deref(),
        &current.post_policy,
        "post policy",
        PostPolicy::parse,
    )?;
    let question = change
        .join_question
        .as_deref()
        .or(current.join_question.as_deref())
        .map(str::trim)
        .filter(|q| !q.is_empty());
    if question.is_some_and(|q| q.chars().count() > MAX_QUESTION) {
        return Err(FederationError::BadRequest(format!(
            "the question is longer than {MAX_QUESTION} characters"
        )));
    }
    if join_policy == JoinPolicy::Open && !group.is_public() {
        return Err(FederationError::BadRequest(
            "a members-only or hidden group approves each member: anyone could otherwise \
             follow it and read everything"
                .into(),
        ));
    }
    let plan = if current.join_policy != join_policy.as_str() {
        let mut changed = group.clone();
        changed.manually_approves_followers = join_policy == JoinPolicy::Approval;
        Some(crate::actions::group_safety::plan_group_update(ctx, &changed, post_policy).await?)
    } else {
        None
    };
    // The policies, the `Update{Group}` telling of them and the audit line commit together.
    let mut tx_change = Change::begin(ctx).await?;
    let tx = tx_change.tx();
    tx.set_group_membership_rules(&group.id, join_policy, question, reply_policy)
        .await?;
    tx.set_group_rules(&group.id, post_policy, current.rules.as_deref())
        .await?;
    if let Some(plan) = plan {
        tx_change
            .tx()
            .set_manually_approves(&group.id, join_policy == JoinPolicy::Approval)
            .await?;
        tx_change.queue(plan).await?;
    }
    tx_change
        .tx()
        .audit(
            crate::actions::group_safety::acting_name(by),
            "group.policy",
            &group.id,
            Some(&group.id),
            Some(join_policy.as_str()),
        )
        .await?;
    tx_change.commit().await?;
    Ok(ctx.db.group_settings(&group.id).await?)
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

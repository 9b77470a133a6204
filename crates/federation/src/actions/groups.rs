//! Local groups: creating them.

use kith_storage::{Account, Actor, ActorKind, JoinPolicy, PostPolicy, StorageError};

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
    /// Who may join.
    pub join_policy: JoinPolicy,
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
    actor.manually_approves_followers = new.join_policy == JoinPolicy::Approval;
    ctx.db
        .create_group(&actor, new.join_policy, &owner.actor_id, Some(&owner.id))
        .await
        .map_err(actions::name_taken(&name))
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

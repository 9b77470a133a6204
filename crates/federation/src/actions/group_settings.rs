//! A group's settings as one change: title, description, rules, who may see, join and post, and
//! how replies go. Everything given is checked before anything is written, and what is written
//! (the settings, the `Update{Group}` telling members' servers, the audit line) commits in one
//! transaction: a refused field leaves the group exactly as it was. The settings page, the JSON
//! API and the command line all come here.

use kith_storage::{Actor, GroupSettings, GroupVisibility, JoinPolicy, PostPolicy, ReplyPolicy};

use crate::actions::acting::By;
use crate::outbound::change::Change;
use crate::{Context, FederationError, Result};

/// The longest group title.
pub const MAX_GROUP_TITLE: usize = 100;
/// The longest group description.
pub const MAX_GROUP_SUMMARY: usize = 2_000;
/// The longest rules kept.
pub const MAX_RULES: usize = 5_000;
/// The longest join question.
pub const MAX_QUESTION: usize = 500;

/// A change of a group's settings as people give them (`open`, `approval`, `members`, …); what
/// is left out keeps its value, and an empty text clears it (except the title, which a group
/// always has).
#[derive(Clone, Debug, Default)]
pub struct SettingsChange {
    /// The title shown instead of the name.
    pub title: Option<String>,
    /// A short description (plain text).
    pub summary: Option<String>,
    /// The rules (plain text).
    pub rules: Option<String>,
    /// `open` or `approval`.
    pub join_policy: Option<String>,
    /// The question for applicants.
    pub join_question: Option<String>,
    /// `members`, `anyone` or `moderators`.
    pub post_policy: Option<String>,
    /// `thread` or `boost`.
    pub reply_policy: Option<String>,
    /// `public`, `members` or `hidden`.
    pub visibility: Option<String>,
}

/// A group and its settings after a change.
#[derive(Clone, Debug)]
pub struct GroupNow {
    /// The group's actor.
    pub group: Actor,
    /// Its settings.
    pub settings: GroupSettings,
}

fn refuse<T>(why: String) -> Result<T> {
    Err(FederationError::BadRequest(why))
}

fn parse_or<T>(
    given: Option<&str>,
    current: T,
    what: &str,
    read: fn(&str) -> Option<T>,
) -> Result<T> {
    let Some(value) = given else {
        return Ok(current);
    };
    read(value).ok_or_else(|| FederationError::BadRequest(format!("{value:?} is not a {what}")))
}

/// A text as given (trimmed, empty as none) no longer than `max` characters, or as it was.
fn text_or(
    given: Option<&str>,
    current: Option<&str>,
    max: usize,
    what: &str,
) -> Result<Option<String>> {
    let Some(given) = given else {
        return Ok(current.map(str::to_owned));
    };
    let given = given.trim();
    if given.chars().count() > max {
        return refuse(format!("the {what} is longer than {max} characters"));
    }
    Ok((!given.is_empty()).then(|| given.to_owned()))
}

/// The settings as they would be, every field checked.
struct Wanted {
    title: Option<String>,
    summary: Option<String>,
    rules: Option<String>,
    join_policy: JoinPolicy,
    question: Option<String>,
    post_policy: PostPolicy,
    reply_policy: ReplyPolicy,
    visibility: GroupVisibility,
}

async fn check(
    ctx: &Context,
    group: &Actor,
    current: &GroupSettings,
    change: &SettingsChange,
) -> Result<Wanted> {
    let title = match change.title.as_deref().map(str::trim) {
        None => group.display_name.clone(),
        Some(t) if t.is_empty() || t.chars().count() > MAX_GROUP_TITLE => {
            return refuse(format!(
                "the title must have 1 to {MAX_GROUP_TITLE} characters"
            ));
        }
        Some(t) => Some(t.to_owned()),
    };
    let summary = text_or(
        change.summary.as_deref(),
        group.summary.as_deref(),
        MAX_GROUP_SUMMARY,
        "description",
    )?;
    let rules = text_or(
        change.rules.as_deref(),
        current.rules.as_deref(),
        MAX_RULES,
        "rules",
    )?;
    let question = text_or(
        change.join_question.as_deref(),
        current.join_question.as_deref(),
        MAX_QUESTION,
        "question",
    )?;
    let post_policy = parse_or(
        change.post_policy.as_deref(),
        current.post_policy,
        "post policy",
        PostPolicy::parse,
    )?;
    let reply_policy = parse_or(
        change.reply_policy.as_deref(),
        current.reply_policy,
        "reply policy",
        ReplyPolicy::parse,
    )?;
    let visibility = parse_or(
        change.visibility.as_deref(),
        group.visibility,
        "visibility",
        GroupVisibility::parse,
    )?;
    let mut join_policy = parse_or(
        change.join_policy.as_deref(),
        current.join_policy,
        "join policy",
        JoinPolicy::parse,
    )?;
    if visibility != GroupVisibility::Public && join_policy == JoinPolicy::Open {
        if change.join_policy.is_some() {
            return refuse(
                "a members-only or hidden group approves each member: anyone could otherwise \
                 follow it and read everything"
                    .into(),
            );
        }
        // Content for members only is worth nothing if anyone can become a member by
        // following: a group made private approves each new member from then on.
        join_policy = JoinPolicy::Approval;
    }
    if group.is_public()
        && visibility != GroupVisibility::Public
        && ctx.db.group_has_content(&group.id).await?
    {
        return refuse(format!(
            "{} has posts or events that were public: they were served to everyone and \
             copied by other servers, so the group cannot become {visibility} now (create a \
             new {visibility} group instead)",
            group.username
        ));
    }
    Ok(Wanted {
        title,
        summary,
        rules,
        join_policy,
        question,
        post_policy,
        reply_policy,
        visibility,
    })
}

/// Changes a group's settings, as one of its organisers (`by`: an account, or the operator at the
/// command line). Every field is checked first; then the settings, one `Update{Group}` to
/// members' servers when what they show changes (title, description, approval, who may post,
/// visibility), and an audit line commit together. Returns the group and settings as they now
/// are.
pub async fn change_settings(
    ctx: &Context,
    name: &str,
    by: By<'_>,
    change: &SettingsChange,
) -> Result<GroupNow> {
    let group = crate::actions::membership::moderated_group(ctx, name, by).await?;
    let current = ctx.db.group_settings(&group.id).await?;
    let w = check(ctx, &group, &current, change).await?;

    let approves = w.join_policy == JoinPolicy::Approval;
    let profile_changed = group.display_name != w.title || group.summary != w.summary;
    let visibility_changed = group.visibility != w.visibility;
    let was_mods_only = current.post_policy == PostPolicy::Moderators;
    let shown_changed = profile_changed
        || visibility_changed
        || group.manually_approves_followers != approves
        || was_mods_only != (w.post_policy == PostPolicy::Moderators);
    let plan = if shown_changed {
        let mut changed = group.clone();
        changed.display_name = w.title.clone();
        changed.summary = w.summary.clone();
        changed.manually_approves_followers = approves;
        changed.visibility = w.visibility;
        Some(crate::actions::group_safety::plan_group_update(ctx, &changed, w.post_policy).await?)
    } else {
        None
    };

    let mut tx_change = Change::begin(ctx).await?;
    let tx = tx_change.tx();
    if profile_changed {
        tx.set_actor_profile(&group.id, w.title.as_deref(), w.summary.as_deref())
            .await?;
    }
    tx.set_group_rules(&group.id, w.post_policy, w.rules.as_deref())
        .await?;
    tx.set_group_membership_rules(
        &group.id,
        w.join_policy,
        w.question.as_deref(),
        w.reply_policy,
    )
    .await?;
    if group.manually_approves_followers != approves {
        tx.set_manually_approves(&group.id, approves).await?;
    }
    if visibility_changed {
        tx.set_group_visibility(&group.id, w.visibility).await?;
    }
    tx.audit(
        crate::actions::acting::acting_name(by),
        "group.policy",
        &group.id,
        Some(&group.id),
        Some(w.join_policy.as_str()),
    )
    .await?;
    if let Some(plan) = plan {
        tx_change.queue(plan).await?;
    }
    tx_change.commit().await?;
    Ok(GroupNow {
        group: ctx.db.actor(&group.id).await?,
        settings: ctx.db.group_settings(&group.id).await?,
    })
}

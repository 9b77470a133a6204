//! Reports: local people report a post or a person; remote servers' `Flag`s arrive through the
//! inbox (`activities::flag`). Both wait in one queue for the group's moderators (reports about
//! a group's posts) or the administrators (everything). Resolving one may forward it to the
//! reported person's server as a `Flag` from the instance actor, as Mastodon does, so the
//! reporter's identity stays here.

use kith_storage::{Account, Actor, NewReport, Report, StorageError, StoredObject};
use serde_json::json;

use crate::actions::acting::{By, acting_name, resolve_person};
use crate::actions::membership::moderated_group;
use crate::outbound::change::Change;
use crate::outbound::plan::Plan;
use crate::protocol::OutgoingActivity;
use crate::urls::Urls;
use crate::{Context, FederationError, Result, outbound::plan};

/// The longest comment kept with a report.
pub const MAX_COMMENT: usize = 2_000;

/// What a local person reports: a post (its author is reported with it) or a person.
#[derive(Clone, Debug, Default)]
pub struct ReportRequest {
    /// A post's id, when a post is reported.
    pub post: Option<String>,
    /// A person (`@name@host`, id or local name), when no post is given.
    pub person: Option<String>,
    /// What is wrong.
    pub comment: String,
}

/// Files a report from a local person.
pub async fn report(ctx: &Context, by: &Account, request: &ReportRequest) -> Result<Report> {
    let comment = request.comment.trim();
    if comment.chars().count() > MAX_COMMENT {
        return Err(FederationError::BadRequest(format!(
            "a report says at most {MAX_COMMENT} characters"
        )));
    }
    let (target, post) = match (&request.post, &request.person) {
        (Some(post), _) => {
            let object = live_object(ctx, post).await?;
            (ctx.db.actor(&object.attributed_to).await?, Some(object))
        }
        (None, Some(person)) => (resolve_person(ctx, person).await?, None),
        (None, None) => {
            return Err(FederationError::BadRequest(
                "a report names a post or a person".into(),
            ));
        }
    };
    if target.id == by.actor_id {
        return Err(FederationError::BadRequest(
            "you cannot report yourself".into(),
        ));
    }
    let group_id = match &post {
        Some(object) => local_group_of(ctx, object).await?,
        None => None,
    };
    // The report and its moderators' notification commit together.
    let mut change = crate::outbound::change::Change::begin(ctx).await?;
    let report = change
        .tx()
        .create_report(&NewReport {
            reporter_id: Some(by.actor_id.clone()),
            target_id: target.id,
            group_id,
            object_ids: post.into_iter().map(|o| o.id).collect(),
            comment: comment.to_owned(),
            activity_id: None,
        })
        .await?;
    crate::actions::mail::notify::report_filed(&mut change, &report).await?;
    change.commit().await?;
    Ok(report)
}

async fn live_object(ctx: &Context, id: &str) -> Result<StoredObject> {
    match ctx.db.object(id.trim()).await {
        Ok(o) if o.deleted_at.is_none() => Ok(o),
        Ok(_) | Err(StorageError::NotFound) => {
            Err(FederationError::NotFound(format!("no post {id}")))
        }
        Err(other) => Err(other.into()),
    }
}

/// The local group a post belongs to, if any.
pub(crate) async fn local_group_of(ctx: &Context, object: &StoredObject) -> Result<Option<String>> {
    let Some(group_id) = &object.group_id else {
        return Ok(None);
    };
    Ok(match ctx.db.actor(group_id).await {
        Ok(group) if group.local => Some(group.id),
        Ok(_) | Err(StorageError::NotFound) => None,
        Err(other) => return Err(other.into()),
    })
}

/// Whether `by` may see and resolve a report: administrators and the operator all of them,
/// a group's moderators those about its posts.
async fn may_handle(ctx: &Context, report: &Report, by: By<'_>) -> Result<bool> {
    let By::Account(account) = by else {
        return Ok(true);
    };
    if account.is_admin {
        return Ok(true);
    }
    let Some(group_id) = &report.group_id else {
        return Ok(false);
    };
    let group = ctx.db.actor(group_id).await?;
    Ok(moderated_group(ctx, &group.username, By::Account(account))
        .await
        .is_ok())
}

/// Closes the open reports of a group that an action answers (`about` tells which: those of a
/// removed post, those about a banned person), in the action's own transaction, so a report
/// closes when its moderator acts on it, wherever they acted (the post, the member list, the
/// report). Returns how many were closed.
pub(crate) async fn close_answered(
    ctx: &Context,
    change: &mut Change<'_>,
    group_id: &str,
    about: impl Fn(&Report) -> bool,
    resolution: &str,
    by: By<'_>,
) -> Result<usize> {
    let mut closed = 0;
    for report in ctx.db.reports(false, 500).await? {
        if report.group_id.as_deref() != Some(group_id) || !about(&report) {
            continue;
        }
        match change
            .tx()
            .resolve_report(&report.id, resolution, acting_name(by), false)
            .await
        {
            Ok(_) => closed += 1,
            // Resolved meanwhile by someone else: nothing left to close.
            Err(StorageError::NotFound) => {}
            Err(other) => return Err(other.into()),
        }
    }
    Ok(closed)
}

/// Reports `by` may handle: open ones only unless `all`, newest first.
pub async fn reports(ctx: &Context, all: bool, by: By<'_>) -> Result<Vec<Report>> {
    let mut list = ctx.db.reports(all, 500).await?;
    if let By::Account(account) = by
        && !account.is_admin
    {
        // The groups they moderate, looked up once rather than per report.
        let groups: Vec<String> = crate::actions::moderation::moderated_groups(ctx, account)
            .await?
            .into_iter()
            .map(|g| g.id)
            .collect();
        list.retain(|r| r.group_id.as_ref().is_some_and(|g| groups.contains(g)));
    }
    Ok(list)
}

/// Resolves a report with what was decided; with `forward`, a report about a remote person is
/// sent to their server as a `Flag` from the instance actor (object: the person, then the posts).
pub async fn resolve(
    ctx: &Context,
    id: &str,
    resolution: &str,
    forward: bool,
    by: By<'_>,
) -> Result<Report> {
    let report = match ctx.db.report(id).await {
        Ok(r) => r,
        Err(StorageError::NotFound) => {
            return Err(FederationError::NotFound(format!("no report {id}")));
        }
        Err(other) => return Err(other.into()),
    };
    if !may_handle(ctx, &report, by).await? {
        return Err(FederationError::Forbidden(
            "only the group's moderators and administrators resolve this report".into(),
        ));
    }
    let target = ctx.db.actor(&report.target_id).await?;
    let forward = forward && !target.local;
    let resolution = resolution.trim();
    let plan = if forward {
        Some(plan_forward(ctx, &report, &target).await?)
    } else {
        None
    };
    // The resolution, the `Flag` forwarding it and the audit line commit together.
    let mut change = Change::begin(ctx).await?;
    let resolved = match change
        .tx()
        .resolve_report(id, resolution, acting_name(by), forward)
        .await
    {
        Ok(r) => r,
        Err(StorageError::NotFound) => {
            return Err(FederationError::BadRequest(format!(
                "report {id} is resolved already"
            )));
        }
        Err(other) => return Err(other.into()),
    };
    if let Some(plan) = plan {
        change.queue(plan).await?;
    }
    change
        .tx()
        .audit(
            acting_name(by),
            if forward {
                "report.forward"
            } else {
                "report.resolve"
            },
            &report.id,
            report.group_id.as_deref(),
            Some(resolution).filter(|r| !r.is_empty()),
        )
        .await?;
    change.commit().await?;
    Ok(resolved)
}

/// Plans the `Flag` forwarding a report to the reported person's server.
async fn plan_forward(ctx: &Context, report: &Report, target: &Actor) -> Result<Plan> {
    let instance = ctx.db.actor(&ctx.urls().instance_actor()).await?;
    let mut objects = vec![json!(target.id)];
    objects.extend(report.objects().into_iter().map(|o| json!(o)));
    let mut flag = OutgoingActivity::new(
        "Flag",
        Urls::new_activity(&instance.id),
        &instance.id,
        json!(objects),
        vec![target.id.clone()],
    );
    flag.content = Some(report.comment.clone());
    plan::plan(ctx, &instance, &flag, vec![target.inbox_url.clone()]).await
}

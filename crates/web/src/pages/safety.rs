//! The moderation page's safety tools — reports, bans, moderators, post removal — and the
//! administrators' server blocks; each form runs the same action as the CLI and the JSON API.

use axum::{Form, Router, extract::State, response::Response, routing::post};
use kith_federation::actions::By;
use kith_federation::actions::{group_safety, instance_safety, reports};
use kith_storage::{Account, Actor, Report};
use serde::Deserialize;

use super::views::{display_name, encode, handle};
use super::{OrPage, PageError, see_other};
use crate::auth::Viewer;
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/report", post(file_report))
        .route("/moderation/reports", post(resolve_report))
        .route("/moderation/bans", post(ban_or_unban))
        .route("/moderation/moderators", post(change_moderator))
        .route("/moderation/remove", post(remove_post))
        .route("/admin/domains", post(domain_block))
}

/// A person as the queue lists them.
pub struct PersonLine {
    /// Actor id (what forms send back).
    pub id: String,
    /// Display name.
    pub name: String,
    /// `@name@host`.
    pub handle: String,
    /// Why (bans).
    pub reason: String,
}

fn person_line(actor: &Actor, reason: Option<String>) -> PersonLine {
    PersonLine {
        id: actor.id.clone(),
        name: display_name(actor),
        handle: handle(actor),
        reason: reason.unwrap_or_default(),
    }
}

/// A group's bans and moderators, for its panel on the moderation page.
pub async fn group_people(
    state: &AppState,
    group: &Actor,
) -> Result<(Vec<PersonLine>, Vec<PersonLine>), ApiError> {
    let db = &state.ctx.db;
    let mut bans = Vec::new();
    for ban in db.group_bans(&group.id).await? {
        bans.push(person_line(&db.actor(&ban.actor_id).await?, ban.reason));
    }
    let mut moderators = Vec::new();
    for id in db.moderators(&group.id).await? {
        moderators.push(person_line(&db.actor(&id).await?, None));
    }
    Ok((bans, moderators))
}

/// A report as the queue shows it.
pub struct ReportLine {
    /// Its id.
    pub id: String,
    /// Who is reported.
    pub target: PersonLine,
    /// Who reported (a person here, or a server).
    pub reporter: String,
    /// The reported posts: their page here and their id.
    pub posts: Vec<(String, String)>,
    /// What they said.
    pub comment: String,
    /// Whether the reported person is elsewhere (the report can be forwarded).
    pub remote: bool,
    /// The name of the local group it is about, when it is (to ban from it).
    pub group: Option<String>,
}

/// The open reports `account` may handle.
pub async fn report_lines(
    state: &AppState,
    account: &Account,
) -> Result<Vec<ReportLine>, ApiError> {
    let mut out = Vec::new();
    for report in reports::reports(&state.ctx, false, By::Account(account)).await? {
        out.push(report_line(state, &report).await?);
    }
    Ok(out)
}

async fn report_line(state: &AppState, report: &Report) -> Result<ReportLine, ApiError> {
    let db = &state.ctx.db;
    let target = db.actor(&report.target_id).await?;
    let reporter = match &report.reporter_id {
        Some(id) => db
            .actor(id)
            .await
            .map(|a| handle(&a))
            .unwrap_or_else(|_| id.clone()),
        None => "someone whose account is gone".into(),
    };
    let group = match &report.group_id {
        Some(id) => db.actor(id).await.ok().map(|g| g.username),
        None => None,
    };
    Ok(ReportLine {
        group,
        id: report.id.clone(),
        remote: !target.local,
        target: person_line(&target, None),
        reporter,
        posts: report
            .objects()
            .into_iter()
            .map(|id| (format!("/thread?id={}", encode(&id)), id))
            .collect(),
        comment: report.comment.clone(),
    })
}

#[derive(Deserialize)]
struct ReportForm {
    csrf: String,
    post: String,
    #[serde(default)]
    comment: String,
}

async fn file_report(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<ReportForm>,
) -> Result<Response, PageError> {
    let account = viewer.signed_in(&form.csrf).or_page(&state, &viewer)?;
    let request = reports::ReportRequest {
        post: Some(form.post.clone()),
        person: None,
        comment: form.comment,
    };
    reports::report(&state.ctx, account, &request)
        .await
        .or_page(&state, &viewer)?;
    Ok(see_other("/?done=reported"))
}

#[derive(Deserialize)]
struct ResolveForm {
    csrf: String,
    report: String,
    #[serde(default)]
    resolution: String,
    forward: Option<String>,
}

async fn resolve_report(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<ResolveForm>,
) -> Result<Response, PageError> {
    let account = viewer.signed_in(&form.csrf).or_page(&state, &viewer)?;
    let forward = form.forward.is_some();
    reports::resolve(
        &state.ctx,
        &form.report,
        &form.resolution,
        forward,
        By::Account(account),
    )
    .await
    .or_page(&state, &viewer)?;
    Ok(see_other("/moderation?done=decided"))
}

#[derive(Deserialize)]
struct BanForm {
    csrf: String,
    group: String,
    who: String,
    reason: Option<String>,
    decision: String,
}

async fn ban_or_unban(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<BanForm>,
) -> Result<Response, PageError> {
    let account = viewer.signed_in(&form.csrf).or_page(&state, &viewer)?;
    let ctx = &state.ctx;
    let result = if form.decision == "unban" {
        group_safety::unban(ctx, &form.group, &form.who, By::Account(account)).await
    } else {
        group_safety::ban(
            ctx,
            &form.group,
            &form.who,
            form.reason.as_deref(),
            By::Account(account),
        )
        .await
    };
    result.or_page(&state, &viewer)?;
    Ok(see_other("/moderation?done=decided"))
}

#[derive(Deserialize)]
struct ModeratorForm {
    csrf: String,
    group: String,
    user: String,
    decision: String,
}

async fn change_moderator(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<ModeratorForm>,
) -> Result<Response, PageError> {
    let account = viewer.signed_in(&form.csrf).or_page(&state, &viewer)?;
    let ctx = &state.ctx;
    let result = if form.decision == "remove" {
        group_safety::remove_moderator(ctx, &form.group, &form.user, By::Account(account)).await
    } else {
        group_safety::add_moderator(ctx, &form.group, &form.user, By::Account(account)).await
    };
    result.or_page(&state, &viewer)?;
    Ok(see_other("/moderation?done=decided"))
}

#[derive(Deserialize)]
struct RemoveForm {
    csrf: String,
    post: String,
    reason: Option<String>,
}

async fn remove_post(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<RemoveForm>,
) -> Result<Response, PageError> {
    let account = viewer.signed_in(&form.csrf).or_page(&state, &viewer)?;
    group_safety::remove_post(
        &state.ctx,
        &form.post,
        form.reason.as_deref(),
        By::Account(account),
    )
    .await
    .or_page(&state, &viewer)?;
    Ok(see_other("/moderation?done=removed"))
}

#[derive(Deserialize)]
struct DomainForm {
    csrf: String,
    domain: String,
    reason: Option<String>,
    decision: String,
}

async fn domain_block(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<DomainForm>,
) -> Result<Response, PageError> {
    let account = viewer.signed_in(&form.csrf).or_page(&state, &viewer)?;
    let ctx = &state.ctx;
    let reason = form.reason.as_deref();
    let result = match form.decision.as_str() {
        "unblock" => instance_safety::unblock_domain(ctx, &form.domain, By::Account(account)).await,
        "silence" => {
            instance_safety::block_domain(ctx, &form.domain, true, reason, By::Account(account))
                .await
                .map(|_| ())
        }
        _ => instance_safety::block_domain(ctx, &form.domain, false, reason, By::Account(account))
            .await
            .map(|_| ()),
    };
    result.or_page(&state, &viewer)?;
    Ok(see_other("/admin?done=saved"))
}

//! `/api/v1` for moderation and safety: group policies, bans, moderators, post removal, reports,
//! domain and person blocks, and the audit log. Handlers stay thin: who may do what is decided in
//! `kith_federation::actions::{group_safety, instance_safety, reports}`.

use axum::{
    Json, Router,
    extract::{Path, Query, State},
    http::StatusCode,
    routing::{delete, get, post, put},
};
use kith_federation::actions::By;
use kith_federation::actions::{group_safety, groups, instance_safety, joining, reports};
use kith_storage::Report;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::auth::Authed;
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/groups/{name}/policy", put(put_policy))
        .route("/api/v1/groups/{name}/settings", put(put_policy))
        .route("/api/v1/groups/{name}/bans", get(bans).post(ban))
        .route("/api/v1/groups/{name}/bans/{who}", delete(unban))
        .route(
            "/api/v1/groups/{name}/moderators",
            get(moderators).post(add_moderator),
        )
        .route(
            "/api/v1/groups/{name}/moderators/{user}",
            delete(remove_moderator),
        )
        .route("/api/v1/posts/remove", post(remove_post))
        .route("/api/v1/reports", get(list_reports).post(file_report))
        .route("/api/v1/reports/{id}/resolve", post(resolve_report))
        .route(
            "/api/v1/admin/domain_blocks",
            get(domain_blocks).post(block_domain),
        )
        .route(
            "/api/v1/admin/domain_blocks/{domain}",
            delete(unblock_domain),
        )
        .route(
            "/api/v1/admin/actor_blocks",
            get(actor_blocks).post(block_actor),
        )
        .route("/api/v1/admin/actor_blocks/{who}", delete(unblock_actor))
        .route("/api/v1/admin/audit", get(audit))
}

/// A group's settings; fields left out keep their value.
#[derive(Deserialize)]
struct PolicyForm {
    title: Option<String>,
    summary: Option<String>,
    rules: Option<String>,
    join_policy: Option<String>,
    join_question: Option<String>,
    post_policy: Option<String>,
    reply_policy: Option<String>,
    /// `public`, `members` or `hidden`; public to private is refused once the group has
    /// content.
    visibility: Option<String>,
}

/// Changes a group's settings as one change: a refused field (400, with the reason) leaves
/// every setting as it was.
async fn put_policy(
    State(state): State<AppState>,
    Authed(account): Authed,
    Path(name): Path<String>,
    Json(form): Json<PolicyForm>,
) -> Result<Json<Value>, ApiError> {
    let change = groups::SettingsChange {
        title: form.title,
        summary: form.summary,
        rules: form.rules,
        join_policy: form.join_policy,
        join_question: form.join_question,
        post_policy: form.post_policy,
        reply_policy: form.reply_policy,
        visibility: form.visibility,
    };
    let now = groups::change_settings(&state.ctx, &name, By::Account(&account), &change).await?;
    Ok(Json(json!({
        "title": now.group.display_name,
        "summary": now.group.summary,
        "rules": now.settings.rules,
        "visibility": now.group.visibility,
        "join_policy": now.settings.join_policy,
        "join_question": now.settings.join_question,
        "post_policy": now.settings.post_policy,
        "reply_policy": now.settings.reply_policy,
    })))
}

#[derive(Deserialize)]
struct BanForm {
    handle: String,
    reason: Option<String>,
}

async fn bans(
    State(state): State<AppState>,
    Authed(account): Authed,
    Path(name): Path<String>,
) -> Result<Json<Vec<Value>>, ApiError> {
    let group = kith_federation::actions::membership::moderated_group(
        &state.ctx,
        &name,
        By::Account(&account),
    )
    .await?;
    let list = state.ctx.db.group_bans(&group.id).await?;
    Ok(Json(
        list.into_iter()
            .map(|b| json!({"actor": b.actor_id, "reason": b.reason, "created_at": b.created_at}))
            .collect(),
    ))
}

async fn ban(
    State(state): State<AppState>,
    Authed(account): Authed,
    Path(name): Path<String>,
    Json(form): Json<BanForm>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let person = group_safety::ban(
        &state.ctx,
        &name,
        &form.handle,
        form.reason.as_deref(),
        By::Account(&account),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"actor": person.id, "banned": true})),
    ))
}

async fn unban(
    State(state): State<AppState>,
    Authed(account): Authed,
    Path((name, who)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let person = group_safety::unban(&state.ctx, &name, &who, By::Account(&account)).await?;
    Ok(Json(json!({"actor": person.id, "banned": false})))
}

#[derive(Deserialize)]
struct ModeratorForm {
    user: String,
}

async fn moderators(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<Vec<String>>, ApiError> {
    let group = joining::local_group(&state.ctx, &name).await?;
    Ok(Json(state.ctx.db.moderators(&group.id).await?))
}

async fn add_moderator(
    State(state): State<AppState>,
    Authed(account): Authed,
    Path(name): Path<String>,
    Json(form): Json<ModeratorForm>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let person =
        group_safety::add_moderator(&state.ctx, &name, &form.user, By::Account(&account)).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"actor": person.id, "moderator": true})),
    ))
}

async fn remove_moderator(
    State(state): State<AppState>,
    Authed(account): Authed,
    Path((name, user)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let person =
        group_safety::remove_moderator(&state.ctx, &name, &user, By::Account(&account)).await?;
    Ok(Json(json!({"actor": person.id, "moderator": false})))
}

#[derive(Deserialize)]
struct RemoveForm {
    id: String,
    reason: Option<String>,
}

async fn remove_post(
    State(state): State<AppState>,
    Authed(account): Authed,
    Json(form): Json<RemoveForm>,
) -> Result<Json<Value>, ApiError> {
    let post = group_safety::remove_post(
        &state.ctx,
        &form.id,
        form.reason.as_deref(),
        By::Account(&account),
    )
    .await?;
    Ok(Json(json!({"id": post.id, "removed": true})))
}

/// A report as the API shows it.
#[derive(Serialize)]
pub struct ReportView {
    id: String,
    reporter: Option<String>,
    target: String,
    group: Option<String>,
    posts: Vec<String>,
    comment: String,
    state: kith_storage::ReportState,
    resolution: Option<String>,
    forwarded: bool,
    created_at: i64,
}

/// The API's view of a report.
pub fn report_view(r: &Report) -> ReportView {
    ReportView {
        id: r.id.clone(),
        reporter: r.reporter_id.clone(),
        target: r.target_id.clone(),
        group: r.group_id.clone(),
        posts: r.objects(),
        comment: r.comment.clone(),
        state: r.state,
        resolution: r.resolution.clone(),
        forwarded: r.forwarded,
        created_at: r.created_at,
    }
}

#[derive(Deserialize)]
struct ReportsQuery {
    #[serde(default)]
    all: bool,
}

async fn list_reports(
    State(state): State<AppState>,
    Authed(account): Authed,
    Query(q): Query<ReportsQuery>,
) -> Result<Json<Vec<ReportView>>, ApiError> {
    let list = reports::reports(&state.ctx, q.all, By::Account(&account)).await?;
    Ok(Json(list.iter().map(report_view).collect()))
}

#[derive(Deserialize)]
struct ReportForm {
    post: Option<String>,
    person: Option<String>,
    #[serde(default)]
    comment: String,
}

async fn file_report(
    State(state): State<AppState>,
    Authed(account): Authed,
    Json(form): Json<ReportForm>,
) -> Result<(StatusCode, Json<ReportView>), ApiError> {
    let request = reports::ReportRequest {
        post: form.post,
        person: form.person,
        comment: form.comment,
    };
    let report = reports::report(&state.ctx, &account, &request).await?;
    Ok((StatusCode::CREATED, Json(report_view(&report))))
}

#[derive(Deserialize)]
struct ResolveForm {
    #[serde(default)]
    resolution: String,
    #[serde(default)]
    forward: bool,
}

async fn resolve_report(
    State(state): State<AppState>,
    Authed(account): Authed,
    Path(id): Path<String>,
    Json(form): Json<ResolveForm>,
) -> Result<Json<ReportView>, ApiError> {
    let report = reports::resolve(
        &state.ctx,
        &id,
        &form.resolution,
        form.forward,
        By::Account(&account),
    )
    .await?;
    Ok(Json(report_view(&report)))
}

#[derive(Deserialize)]
struct DomainForm {
    domain: String,
    #[serde(default)]
    silence: bool,
    reason: Option<String>,
}

async fn domain_blocks(
    State(state): State<AppState>,
    Authed(account): Authed,
) -> Result<Json<Vec<Value>>, ApiError> {
    let list = instance_safety::domain_blocks(&state.ctx, By::Account(&account)).await?;
    Ok(Json(
        list.into_iter()
            .map(|b| json!({"domain": b.domain, "severity": b.severity, "reason": b.reason, "created_at": b.created_at}))
            .collect(),
    ))
}

async fn block_domain(
    State(state): State<AppState>,
    Authed(account): Authed,
    Json(form): Json<DomainForm>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let ended = instance_safety::block_domain(
        &state.ctx,
        &form.domain,
        form.silence,
        form.reason.as_deref(),
        By::Account(&account),
    )
    .await?;
    let domain = instance_safety::normalize_domain(&form.domain)?;
    let severity = if form.silence { "silence" } else { "block" };
    Ok((
        StatusCode::CREATED,
        Json(json!({"domain": domain, "severity": severity, "memberships_ended": ended})),
    ))
}

async fn unblock_domain(
    State(state): State<AppState>,
    Authed(account): Authed,
    Path(domain): Path<String>,
) -> Result<StatusCode, ApiError> {
    instance_safety::unblock_domain(&state.ctx, &domain, By::Account(&account)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct ActorForm {
    handle: String,
    reason: Option<String>,
}

async fn actor_blocks(
    State(state): State<AppState>,
    Authed(account): Authed,
) -> Result<Json<Vec<Value>>, ApiError> {
    let list = instance_safety::actor_blocks(&state.ctx, By::Account(&account)).await?;
    Ok(Json(
        list.into_iter()
            .map(|b| json!({"actor": b.actor_id, "reason": b.reason, "created_at": b.created_at}))
            .collect(),
    ))
}

async fn block_actor(
    State(state): State<AppState>,
    Authed(account): Authed,
    Json(form): Json<ActorForm>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let actor = instance_safety::block_actor(
        &state.ctx,
        &form.handle,
        form.reason.as_deref(),
        By::Account(&account),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"actor": actor.id, "blocked": true})),
    ))
}

async fn unblock_actor(
    State(state): State<AppState>,
    Authed(account): Authed,
    Path(who): Path<String>,
) -> Result<StatusCode, ApiError> {
    instance_safety::unblock_actor(&state.ctx, &who, By::Account(&account)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct AuditQuery {
    before: Option<i64>,
}

async fn audit(
    State(state): State<AppState>,
    Authed(account): Authed,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Vec<Value>>, ApiError> {
    let list = instance_safety::audit_log(&state.ctx, q.before, By::Account(&account)).await?;
    Ok(Json(
        list.into_iter()
            .map(|e| json!({"id": e.id, "actor": e.actor, "action": e.action, "target": e.target, "group": e.group_id, "reason": e.reason, "created_at": e.created_at}))
            .collect(),
    ))
}

//! Administration: registration mode and the about text, applications waiting for approval,
//! invite codes, and what federation did since the process started.

use std::sync::atomic::Ordering;

use askama::Template;
use axum::{
    Form, Router,
    extract::{Query, State},
    response::Response,
    routing::{get, post},
};
use kith_federation::actions::By;
use kith_federation::actions::instance_safety;
use kith_federation::actions::registration::{self, InstanceSettings};
use kith_storage::now_millis;
use serde::Deserialize;

use super::auth::{MODES, parse_mode};
use super::groups::DoneQuery;
use super::{Layout, OrPage, PageError, render, see_other};
use crate::auth::Viewer;
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(admin_page))
        .route("/admin/settings", post(save_settings))
        .route("/admin/accounts", post(decide_account))
        .route("/admin/invites", post(create_invite))
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    layout: Layout,
    modes: Vec<(&'static str, &'static str)>,
    registration: &'static str,
    about: String,
    applications: Vec<(String, String)>,
    invites: Vec<(String, String)>,
    federation: String,
    domains: Vec<(String, kith_storage::DomainSeverity, String)>,
    audit: Vec<(String, String, String, String, String)>,
}

async fn admin_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    let account = viewer.require().or_page(&state, &viewer)?;
    registration::require_admin(account).or_page(&state, &viewer)?;
    let ctx = &state.ctx;
    let settings = registration::instance_settings(ctx)
        .await
        .or_page(&state, &viewer)?;
    let applications = registration::pending_accounts(ctx, account)
        .await
        .or_page(&state, &viewer)?
        .into_iter()
        .map(|a| (a.username, a.application.unwrap_or_default()))
        .collect();
    let invites = ctx
        .db
        .live_invites(now_millis())
        .await
        .or_page(&state, &viewer)?
        .into_iter()
        .map(|i| (i.code, format!("{} of {}", i.uses, i.max_uses)))
        .collect();
    let domains = instance_safety::domain_blocks(ctx, By::Account(account))
        .await
        .or_page(&state, &viewer)?
        .into_iter()
        .map(|b| (b.domain, b.severity, b.reason.unwrap_or_default()))
        .collect();
    let audit = instance_safety::audit_log(ctx, None, By::Account(account))
        .await
        .or_page(&state, &viewer)?
        .into_iter()
        .map(|e| {
            let when = super::views::human_time(e.created_at);
            (
                when,
                e.actor,
                e.action,
                e.target,
                e.reason.unwrap_or_default(),
            )
        })
        .collect();
    let c = ctx.counters();
    let federation = format!(
        "{} activities accepted, {} ignored, {} rejected ({} over a rate limit, {} blocked); \
         {} deliveries made, {} dropped.",
        c.inbox_accepted.load(Ordering::Relaxed),
        c.inbox_ignored.load(Ordering::Relaxed),
        c.inbox_rejected.load(Ordering::Relaxed),
        c.inbox_throttled.load(Ordering::Relaxed),
        c.inbox_blocked.load(Ordering::Relaxed),
        c.delivered.load(Ordering::Relaxed),
        c.delivery_dropped.load(Ordering::Relaxed),
    );
    let page = AdminPage {
        layout: Layout::new(&state, &viewer, "Administration").with_notice(q.done.as_deref()),
        modes: MODES.to_vec(),
        registration: settings.registration.as_str(),
        about: settings.about,
        applications,
        invites,
        federation,
        domains,
        audit,
    };
    render(&viewer, &page).or_page(&state, &viewer)
}

#[derive(Deserialize)]
struct SettingsForm {
    csrf: String,
    registration: String,
    #[serde(default)]
    about: String,
}

async fn save_settings(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<SettingsForm>,
) -> Result<Response, PageError> {
    let account = viewer.signed_in(&form.csrf).or_page(&state, &viewer)?;
    let settings = InstanceSettings {
        registration: parse_mode(&form.registration).or_page(&state, &viewer)?,
        about: form.about,
    };
    registration::update_instance_settings(&state.ctx, account, &settings)
        .await
        .or_page(&state, &viewer)?;
    Ok(see_other("/admin?done=saved"))
}

#[derive(Deserialize)]
struct AccountForm {
    csrf: String,
    username: String,
    decision: String,
}

async fn decide_account(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<AccountForm>,
) -> Result<Response, PageError> {
    let account = viewer.signed_in(&form.csrf).or_page(&state, &viewer)?;
    registration::decide_account(
        &state.ctx,
        account,
        &form.username,
        form.decision == "approve",
    )
    .await
    .or_page(&state, &viewer)?;
    Ok(see_other("/admin?done=decided"))
}

#[derive(Deserialize)]
struct InviteForm {
    csrf: String,
    uses: String,
    days: String,
}

async fn create_invite(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<InviteForm>,
) -> Result<Response, PageError> {
    let account = viewer.signed_in(&form.csrf).or_page(&state, &viewer)?;
    let number = |s: &str| {
        s.trim()
            .parse::<i64>()
            .map_err(|_| ApiError::BadRequest("uses and days are whole numbers".into()))
    };
    let uses = number(&form.uses).or_page(&state, &viewer)?;
    let days = number(&form.days).or_page(&state, &viewer)?;
    registration::create_invite(&state.ctx, account, uses, days)
        .await
        .or_page(&state, &viewer)?;
    Ok(see_other("/admin?done=created"))
}

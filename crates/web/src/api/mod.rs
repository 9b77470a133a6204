//! The JSON API (`/api/v1`) for membership and administration, authenticated with a bearer
//! token (`kith token create`) or a browser session (see `auth`).

pub(crate) mod accounts;
pub(crate) mod events;
pub(crate) mod groups;
pub(crate) mod invitations;
pub(crate) mod pictures;
pub(crate) mod safety;

use axum::{
    Json, Router,
    extract::{Path, State},
    routing::{get, post},
};
use kith_federation::actions::By;
use kith_federation::actions::{membership, post_edits};
use serde::{Deserialize, Serialize};

use crate::auth::Authed;
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/groups/{name}/requests", get(list_join_requests))
        .route(
            "/api/v1/groups/{name}/requests/approve",
            post(approve_join_request),
        )
        .route("/api/v1/groups/{name}/members/remove", post(remove_member))
        .route("/api/v1/posts/edit", post(edit_post))
        .route("/api/v1/admin/federation", get(get_federation_stats))
}

#[derive(Serialize)]
struct JoinRequestView {
    id: String,
    handle: String,
    name: Option<String>,
    requested_at: i64,
    /// A members-only or hidden group's first member from this server (which would keep
    /// copies of everything the group shares).
    first_from_server: bool,
}

async fn list_join_requests(
    State(state): State<AppState>,
    Authed(account): Authed,
    Path(name): Path<String>,
) -> Result<Json<Vec<JoinRequestView>>, ApiError> {
    let requests = membership::join_requests(&state.ctx, &name, By::Account(&account)).await?;
    Ok(Json(
        requests
            .into_iter()
            .map(|r| JoinRequestView {
                handle: format!("@{}@{}", r.member.username, r.member.domain),
                id: r.member.id,
                name: r.member.display_name,
                requested_at: r.requested_at,
                first_from_server: r.new_server,
            })
            .collect(),
    ))
}

#[derive(Deserialize)]
struct MemberBody {
    /// An actor id or `@name@host`.
    member: String,
}

#[derive(Serialize)]
struct MemberResult {
    id: String,
    state: &'static str,
}

async fn approve_join_request(
    State(state): State<AppState>,
    Authed(account): Authed,
    Path(name): Path<String>,
    Json(body): Json<MemberBody>,
) -> Result<Json<MemberResult>, ApiError> {
    let member =
        membership::approve_member(&state.ctx, &name, &body.member, By::Account(&account)).await?;
    Ok(Json(MemberResult {
        id: member.id,
        state: "accepted",
    }))
}

async fn remove_member(
    State(state): State<AppState>,
    Authed(account): Authed,
    Path(name): Path<String>,
    Json(body): Json<MemberBody>,
) -> Result<Json<MemberResult>, ApiError> {
    let member =
        membership::remove_member(&state.ctx, &name, &body.member, By::Account(&account)).await?;
    Ok(Json(MemberResult {
        id: member.id,
        state: "removed",
    }))
}

#[derive(Deserialize)]
struct EditBody {
    /// The post's id.
    post: String,
    /// Its new text (plain text, as a new post is written).
    text: String,
}

/// The author edits their post; every server that has it is told.
async fn edit_post(
    State(state): State<AppState>,
    Authed(account): Authed,
    Json(body): Json<EditBody>,
) -> Result<Json<groups::PostView>, ApiError> {
    let edited = post_edits::edit_own_post(&state.ctx, &body.post, &body.text, &account).await?;
    Ok(Json(groups::post_view(&edited)))
}

/// What the inbox and the delivery queue did since this process started (administrators only).
async fn get_federation_stats(
    State(state): State<AppState>,
    Authed(account): Authed,
) -> Result<Json<serde_json::Value>, ApiError> {
    if !account.is_admin {
        return Err(ApiError::Forbidden("administrators only".into()));
    }
    let c = state.ctx.counters();
    let read = |n: &std::sync::atomic::AtomicU64| n.load(std::sync::atomic::Ordering::Relaxed);
    Ok(Json(serde_json::json!({
        "inbox_accepted": read(&c.inbox_accepted),
        "inbox_queued": read(&c.inbox_queued),
        "inbox_writes": read(&c.inbox_writes),
        "inbox_failed": read(&c.inbox_failed),
        "inbox_timed_out": read(&c.inbox_timed_out),
        "inbox_backlog": state.ctx.db.inbound_backlog().await?,
        "inbox_ignored": read(&c.inbox_ignored),
        "inbox_rejected": read(&c.inbox_rejected),
        "html_flattened": read(&c.html_flattened),
        "html_truncated": read(&c.html_truncated),
        "delivered": read(&c.delivered),
        "delivery_dropped": read(&c.delivery_dropped),
        "delivery_refused": read(&c.delivery_refused),
        "delivery_refused_by": c.refusals_by_software(),
        "delivery_deferred": read(&c.delivery_deferred),
        "host_lookups": read(&c.host_lookups),
        "host_lookups_failed": read(&c.host_lookups_failed),
        "inbox_nanos": read(&c.inbox_nanos),
        "verify_nanos": read(&c.verify_nanos),
        "rfc9421_verified": read(&c.rfc9421_verified),
        "second_knocks": read(&c.second_knocks),
        "refusals": c.refusals(),
        "deliveries_queued": state.ctx.db.pending_deliveries().await?,
    })))
}

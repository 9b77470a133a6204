//! The moderation queue: for each group the viewer organises, who asks to join, posts held by
//! the posting policy, and event answers waiting for approval — each with its decision buttons.

use askama::Template;
use axum::{
    Form, Router,
    extract::{Query, State},
    response::Response,
    routing::{get, post},
};
use kith_federation::actions::By;
use kith_federation::actions::{membership, moderation, rsvp};
use serde::Deserialize;

use super::groups::DoneQuery;
use super::safety::{PersonLine, ReportLine, group_people, report_lines};
use super::views::{PostView, actor_url, display_name, handle, post_views, title};
use super::{Layout, OrPage, PageError, render, see_other};
use crate::auth::Viewer;
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/moderation", get(queue_page))
        .route("/moderation/members", post(decide_member))
        .route("/moderation/posts", post(decide_post))
        .route("/moderation/answers", post(decide_answer))
}

struct Request {
    id: String,
    name: String,
    handle: String,
    answer: String,
    /// The server a first member of a private group would bring in (it keeps copies), if so.
    new_server: Option<String>,
}

struct Held {
    id: String,
    reason: String,
    post: PostView,
}

struct Answer {
    id: String,
    name: String,
    handle: String,
    event_url: String,
    event_title: String,
}

struct GroupQueue {
    name: String,
    url: Option<String>,
    title: String,
    question: String,
    requests: Vec<Request>,
    held: Vec<Held>,
    answers: Vec<Answer>,
    bans: Vec<PersonLine>,
    moderators: Vec<PersonLine>,
}

#[derive(Template)]
#[template(path = "moderation.html")]
struct QueuePage {
    layout: Layout,
    reports: Vec<ReportLine>,
    groups: Vec<GroupQueue>,
}

/// How many things wait for `account` as a moderator: open reports they may handle, requests to
/// join, held posts and answers waiting for approval in the groups they organise (the count
/// the navigation shows).
pub async fn waiting_count(
    state: &AppState,
    account: &kith_storage::Account,
) -> Result<i64, ApiError> {
    let ctx = &state.ctx;
    let groups = moderation::moderated_groups(ctx, account).await?;
    if groups.is_empty() && !account.is_admin {
        return Ok(0);
    }
    let mut waiting = kith_federation::actions::reports::reports(ctx, false, By::Account(account))
        .await?
        .len() as i64;
    for group in &groups {
        waiting += ctx
            .db
            .count_members(&group.id, kith_storage::MemberState::Pending)
            .await?;
        waiting += ctx.db.held_posts(&group.id).await?.len() as i64;
        waiting += moderation::pending_answers(ctx, group).await?.len() as i64;
    }
    Ok(waiting)
}

/// The layout for `viewer`, with the count of what waits for them as a moderator.
pub async fn layout_with_waiting(
    state: &AppState,
    viewer: &Viewer,
    title: impl Into<String>,
) -> Result<Layout, ApiError> {
    let mut layout = Layout::new(state, viewer, title);
    if let Some(account) = viewer.account() {
        layout.waiting = waiting_count(state, account).await?;
    }
    Ok(layout)
}

async fn queue(
    state: &AppState,
    account: &kith_storage::Account,
) -> Result<Vec<GroupQueue>, ApiError> {
    let ctx = &state.ctx;
    let mut out = Vec::new();
    for group in moderation::moderated_groups(ctx, account).await? {
        let requests = membership::join_requests(ctx, &group.username, By::Account(account))
            .await?
            .into_iter()
            .map(|r| Request {
                id: r.member.id.clone(),
                name: display_name(&r.member),
                handle: handle(&r.member),
                answer: r.answer.unwrap_or_default(),
                new_server: r.new_server.then(|| r.member.domain.clone()),
            })
            .collect();
        let objects = ctx.db.held_posts(&group.id).await?;
        let views = post_views(state, &objects).await?;
        let held = objects
            .iter()
            .zip(views)
            .map(|(object, post)| Held {
                id: object.id.clone(),
                reason: object.held_reason.clone().unwrap_or_default(),
                post,
            })
            .collect();
        let answers = moderation::pending_answers(ctx, &group)
            .await?
            .into_iter()
            .map(|(event, who, _)| Answer {
                id: who.id.clone(),
                name: display_name(&who),
                handle: handle(&who),
                event_url: event.object.id.clone(),
                event_title: title(event.object.name.as_deref()).unwrap_or_default(),
            })
            .collect();
        let (bans, moderators) = group_people(state, &group).await?;
        let question = ctx
            .db
            .group_settings(&group.id)
            .await?
            .join_question
            .unwrap_or_default();
        out.push(GroupQueue {
            name: group.username.clone(),
            url: actor_url(&group),
            title: display_name(&group),
            question,
            requests,
            held,
            answers,
            bans,
            moderators,
        });
    }
    Ok(out)
}

async fn queue_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    let account = viewer.require().or_page(&state, &viewer)?;
    let groups = queue(&state, account).await.or_page(&state, &viewer)?;
    let reports = report_lines(&state, account)
        .await
        .or_page(&state, &viewer)?;
    let page = QueuePage {
        reports,
        layout: layout_with_waiting(&state, &viewer, "Moderation")
            .await
            .or_page(&state, &viewer)?
            .with_notice(q.done.as_deref()),
        groups,
    };
    render(&viewer, &page).or_page(&state, &viewer)
}

#[derive(Deserialize)]
struct MemberForm {
    csrf: String,
    group: String,
    member: String,
    decision: String,
}

async fn decide_member(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<MemberForm>,
) -> Result<Response, PageError> {
    let account = viewer.signed_in(&form.csrf).or_page(&state, &viewer)?;
    let ctx = &state.ctx;
    let result = match form.decision.as_str() {
        "approve" => {
            membership::approve_member(ctx, &form.group, &form.member, By::Account(account)).await
        }
        _ => membership::remove_member(ctx, &form.group, &form.member, By::Account(account)).await,
    };
    result.or_page(&state, &viewer)?;
    Ok(see_other("/moderation?done=decided"))
}

#[derive(Deserialize)]
struct PostForm {
    csrf: String,
    group: String,
    post: String,
    decision: String,
}

async fn decide_post(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<PostForm>,
) -> Result<Response, PageError> {
    let account = viewer.signed_in(&form.csrf).or_page(&state, &viewer)?;
    let ctx = &state.ctx;
    let result = match form.decision.as_str() {
        "release" => moderation::release_post(ctx, &form.group, &form.post, account).await,
        _ => moderation::discard_post(ctx, &form.group, &form.post, account).await,
    };
    result.or_page(&state, &viewer)?;
    Ok(see_other("/moderation?done=decided"))
}

#[derive(Deserialize)]
struct AnswerForm {
    csrf: String,
    event: String,
    who: String,
    decision: String,
}

async fn decide_answer(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<AnswerForm>,
) -> Result<Response, PageError> {
    let account = viewer.signed_in(&form.csrf).or_page(&state, &viewer)?;
    rsvp::decide(
        &state.ctx,
        &form.event,
        &form.who,
        form.decision == "approve",
        By::Account(account),
    )
    .await
    .or_page(&state, &viewer)?;
    Ok(see_other("/moderation?done=decided"))
}

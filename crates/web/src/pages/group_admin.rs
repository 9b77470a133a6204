//! A group's settings after creation (title, description, rules, who may join, post and how
//! replies go) and its member list with roles, from which organisers remove or ban people and
//! the owner names moderators. Each form runs the action the CLI and the JSON API run.

use askama::Template;
use axum::{
    Form, Router,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use kith_federation::actions::By;
use kith_federation::actions::{group_safety, groups, membership};
use kith_storage::{Account, Actor, MemberRole, MemberState};
use serde::Deserialize;

use super::group_pictures::{PictureSlot, group_pictures};
use super::groups::DoneQuery;
use super::views::{actor_url, display_name, handle};
use super::{Layout, OrPage, PageError, render, see_other};
use crate::auth::Viewer;
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/g/{name}/settings", get(settings_page).post(save_settings))
        .route("/g/{name}/members", get(members_page))
        .route("/g/{name}/members/decide", post(decide_member))
}

/// The settings form, as stored or as typed.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct SettingsForm {
    csrf: String,
    title: String,
    summary: String,
    rules: String,
    join_policy: String,
    join_question: String,
    post_policy: String,
    reply_policy: String,
    visibility: String,
}

#[derive(Template)]
#[template(path = "group_settings.html")]
struct SettingsPage {
    layout: Layout,
    group_url: String,
    group_title: String,
    v: SettingsForm,
    problem: Option<String>,
    /// The avatar's and the banner's forms.
    slots: Vec<PictureSlot>,
}

async fn settings_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(name): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    let account = viewer.require().or_page(&state, &viewer)?;
    let group = membership::moderated_group(&state.ctx, &name, By::Account(account))
        .await
        .or_page(&state, &viewer)?;
    let (avatar, banner) = group_pictures(&state, &group.id)
        .await
        .or_page(&state, &viewer)?;
    let v = stored_form(&state, &group).await.or_page(&state, &viewer)?;
    let page = SettingsPage {
        layout: Layout::new(&state, &viewer, "Group settings").with_notice(q.done.as_deref()),
        group_url: group.id.clone(),
        group_title: display_name(&group),
        v,
        problem: None,
        slots: PictureSlot::both(avatar, banner),
    };
    render(&viewer, &page).or_page(&state, &viewer)
}

/// The settings form as stored.
async fn stored_form(state: &AppState, group: &Actor) -> Result<SettingsForm, ApiError> {
    let settings = state.ctx.db.group_settings(&group.id).await?;
    Ok(SettingsForm {
        title: display_name(group),
        summary: group.summary.clone().unwrap_or_default(),
        rules: settings.rules.unwrap_or_default(),
        join_policy: settings.join_policy.to_string(),
        join_question: settings.join_question.unwrap_or_default(),
        post_policy: settings.post_policy.to_string(),
        reply_policy: settings.reply_policy.to_string(),
        visibility: group.visibility.to_string(),
        ..SettingsForm::default()
    })
}

/// The settings page after a refused picture upload (status 400): the reason beside the
/// picture's form (`role`), or above the page when the upload could not be read at all, and
/// the alt text as typed; nothing was stored.
pub(super) async fn picture_refused(
    state: &AppState,
    viewer: &Viewer,
    group: &Actor,
    role: Option<&str>,
    alt: &str,
    problem: String,
) -> Result<Response, ApiError> {
    let (avatar, banner) = group_pictures(state, &group.id).await?;
    let mut slots = PictureSlot::both(avatar, banner);
    let mut page_problem = Some(problem);
    if let Some(slot) = slots.iter_mut().find(|s| Some(s.role) == role) {
        slot.problem = page_problem.take();
        slot.typed_alt = Some(alt.to_owned());
    }
    let page = SettingsPage {
        layout: Layout::new(state, viewer, "Group settings"),
        group_url: group.id.clone(),
        group_title: display_name(group),
        v: stored_form(state, group).await?,
        problem: page_problem,
        slots,
    };
    Ok((StatusCode::BAD_REQUEST, render(viewer, &page)?).into_response())
}

/// Saves the settings as one change: a refused field leaves every setting as it was.
async fn apply(
    state: &AppState,
    name: &str,
    account: &Account,
    form: &SettingsForm,
) -> Result<(), kith_federation::FederationError> {
    let change = groups::SettingsChange {
        title: Some(form.title.clone()),
        summary: Some(form.summary.clone()),
        rules: Some(form.rules.clone()),
        join_policy: Some(form.join_policy.clone()),
        join_question: Some(form.join_question.clone()),
        post_policy: Some(form.post_policy.clone()),
        reply_policy: Some(form.reply_policy.clone()),
        // A form without the field (an older page) leaves the visibility as it is.
        visibility: Some(form.visibility.clone()).filter(|v| !v.is_empty()),
    };
    groups::change_settings(&state.ctx, name, By::Account(account), &change).await?;
    Ok(())
}

async fn save_settings(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(name): Path<String>,
    Form(form): Form<SettingsForm>,
) -> Result<Response, PageError> {
    let account = viewer.signed_in(&form.csrf).or_page(&state, &viewer)?;
    let group = membership::moderated_group(&state.ctx, &name, By::Account(account))
        .await
        .or_page(&state, &viewer)?;
    let problem = match apply(&state, &name, account, &form).await {
        Ok(()) => return Ok(see_other(&format!("{}/settings?done=saved", group.id))),
        Err(kith_federation::FederationError::BadRequest(reason)) => reason,
        Err(other) => return Err(PageError::new(&state, &viewer, other)),
    };
    let (avatar, banner) = group_pictures(&state, &group.id)
        .await
        .or_page(&state, &viewer)?;
    let page = SettingsPage {
        layout: Layout::new(&state, &viewer, "Group settings"),
        group_url: group.id.clone(),
        group_title: display_name(&group),
        v: form,
        problem: Some(problem),
        slots: PictureSlot::both(avatar, banner),
    };
    let html = render(&viewer, &page).or_page(&state, &viewer)?;
    Ok((StatusCode::BAD_REQUEST, html).into_response())
}

/// A member as the list shows them.
struct MemberLine {
    id: String,
    username: String,
    name: String,
    handle: String,
    url: Option<String>,
    role: &'static str,
    local: bool,
    owner: bool,
    moderator: bool,
}

#[derive(Template)]
#[template(path = "group_members.html")]
struct MembersPage {
    layout: Layout,
    group_url: String,
    group_title: String,
    members: Vec<MemberLine>,
    /// The viewer organises the group: remove and ban are offered.
    can_moderate: bool,
    /// The viewer owns the group: naming moderators is offered.
    is_owner: bool,
}

/// A role in words.
fn role_words(role: MemberRole) -> &'static str {
    match role {
        MemberRole::Owner => "owner",
        MemberRole::Moderator => "moderator",
        MemberRole::Member => "member",
    }
}

/// The group's accepted members, organisers first.
async fn member_lines(state: &AppState, group: &Actor) -> Result<Vec<MemberLine>, ApiError> {
    let db = &state.ctx.db;
    let mut lines = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = db
            .members_page(&group.id, MemberState::Accepted, after.as_deref(), 200)
            .await?;
        let last = page.len() < 200;
        for m in page {
            after = Some(m.member_id.clone());
            let actor = db.actor(&m.member_id).await?;
            lines.push(MemberLine {
                id: actor.id.clone(),
                username: actor.username.clone(),
                name: display_name(&actor),
                handle: handle(&actor),
                url: actor_url(&actor),
                role: role_words(m.role),
                local: actor.local,
                owner: m.role == MemberRole::Owner,
                moderator: m.role == MemberRole::Moderator,
            });
        }
        if last {
            break;
        }
    }
    lines.sort_by_key(|l| (!l.owner, !l.moderator, l.name.to_lowercase()));
    Ok(lines)
}

async fn members_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(name): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    let account = viewer.require().or_page(&state, &viewer)?;
    let group = kith_federation::actions::joining::local_group(&state.ctx, &name)
        .await
        .or_page(&state, &viewer)?;
    let mine =
        kith_federation::actions::joining::membership_of(&state.ctx, &group, &account.actor_id)
            .await
            .or_page(&state, &viewer)?;
    let accepted = mine
        .as_ref()
        .is_some_and(|m| m.state == MemberState::Accepted);
    let can_moderate =
        accepted && mine.as_ref().is_some_and(|m| m.is_moderator()) || account.is_admin;
    // The list is for the group's members (and the instance's administrators).
    if !accepted && !account.is_admin {
        return Err(PageError::new(
            &state,
            &viewer,
            ApiError::Forbidden("the member list is for the group's members".into()),
        ));
    }
    let is_owner = mine.as_ref().is_some_and(|m| m.role == MemberRole::Owner) || account.is_admin;
    let members = member_lines(&state, &group)
        .await
        .or_page(&state, &viewer)?;
    let page = MembersPage {
        layout: Layout::new(&state, &viewer, "Members").with_notice(q.done.as_deref()),
        group_url: group.id.clone(),
        group_title: display_name(&group),
        members,
        can_moderate,
        is_owner,
    };
    render(&viewer, &page).or_page(&state, &viewer)
}

#[derive(Deserialize)]
struct DecideForm {
    csrf: String,
    /// The member's actor id.
    who: String,
    /// `remove`, `ban`, `moderator` or `member`.
    decision: String,
    #[serde(default)]
    reason: String,
}

async fn decide_member(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(name): Path<String>,
    Form(form): Form<DecideForm>,
) -> Result<Response, PageError> {
    let account = viewer.signed_in(&form.csrf).or_page(&state, &viewer)?;
    let ctx = &state.ctx;
    let by = By::Account(account);
    let reason = Some(form.reason.trim()).filter(|r| !r.is_empty());
    let done = match form.decision.as_str() {
        "remove" => membership::remove_member(ctx, &name, &form.who, by)
            .await
            .map(|_| "member-removed"),
        "ban" => group_safety::ban(ctx, &name, &form.who, reason, by)
            .await
            .map(|_| "banned"),
        "moderator" => group_safety::add_moderator(ctx, &name, &form.who, by)
            .await
            .map(|_| "saved"),
        "member" => group_safety::remove_moderator(ctx, &name, &form.who, by)
            .await
            .map(|_| "saved"),
        other => {
            return Err(PageError::new(
                &state,
                &viewer,
                ApiError::BadRequest(format!("{other:?} is not a decision")),
            ));
        }
    }
    .or_page(&state, &viewer)?;
    let group = kith_federation::actions::joining::local_group(ctx, &name)
        .await
        .or_page(&state, &viewer)?;
    Ok(see_other(&format!("{}/members?done={done}", group.id)))
}

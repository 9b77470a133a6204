//! Group pages: the group (summary, rules, join, posts, coming events), starting a group,
//! joining and leaving, posting, and "join from your fediverse account".

use askama::Template;
use axum::{
    Form, Router,
    extract::{Path, State},
    response::Response,
    routing::{get, post},
};
use kith_federation::actions::By;
use kith_federation::actions::groups::{self, NewGroup};
use kith_federation::actions::{joining, posts};
use kith_storage::{
    Actor, CalendarScope, JoinPolicy, MemberRole, MemberState, PostPolicy, now_millis,
};
use serde::Deserialize;

use super::views::{EventItem, PostView, display_name, event_items, paragraphs, post_views};
use super::{Alternate, CsrfForm, HandleForm, Layout, OrPage, PageError, render, see_other};
use crate::auth::Viewer;
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/groups/new", get(new_group_page))
        .route("/groups", post(create_group))
        .route("/g/{name}/join", post(join))
        .route("/g/{name}/leave", post(leave))
        .route("/g/{name}/posts", post(write_post))
        .route("/g/{name}/remote-join", post(remote_join))
        .merge(super::people::router())
}

/// What a group page shows about the group.
pub struct GroupView {
    url: String,
    title: String,
    handle: String,
    summary: String,
    rules: String,
    members: i64,
    approval: bool,
    /// A public group's digest actor, to follow for one post a day (none for a private one).
    digest_handle: Option<String>,
}

#[derive(Template)]
#[template(path = "group.html")]
struct GroupPage {
    layout: Layout,
    group: GroupView,
    membership: String,
    is_moderator: bool,
    is_owner: bool,
    can_post: bool,
    posts: Vec<PostView>,
    events: Vec<EventItem>,
    /// Whether the viewer may read the group's content (always, for a public group).
    readable: bool,
    /// Whether the group is members-only or hidden (the page says what that means).
    private: bool,
    /// For a private group's organisers: the servers that hold members, with how many each.
    member_hosts: Vec<(String, i64)>,
    /// The group's avatar and banner.
    avatar: Option<super::group_pictures::PictureView>,
    banner: Option<super::group_pictures::PictureView>,
}

#[derive(Deserialize, Default)]
pub struct DoneQuery {
    pub done: Option<String>,
}

/// How many posts a group page shows.
const POSTS_ON_PAGE: i64 = 30;

/// The page of a local group (served at its id to browsers). `readable`: whether the viewer
/// may read its content (`crate::access`); a members-only group shows others its name,
/// description, rules, join button and member count alone.
pub async fn group_page(
    state: &AppState,
    viewer: &Viewer,
    group: &Actor,
    (done, readable): (Option<&str>, bool),
) -> Result<Response, ApiError> {
    let ctx = &state.ctx;
    let settings = ctx.db.group_settings(&group.id).await?;
    let members = ctx
        .db
        .count_members(&group.id, MemberState::Accepted)
        .await?;
    let membership = match viewer.account() {
        Some(a) => joining::membership_of(ctx, group, &a.actor_id).await?,
        None => None,
    };
    // A ban ends the membership and is kept on its own: a banned person is told so rather
    // than offered Join again.
    let banned = match viewer.account() {
        Some(a) => ctx.db.is_banned(&group.id, &a.actor_id).await?,
        None => false,
    };
    let state_of = match banned {
        true => Some(MemberState::Banned),
        false => membership.as_ref().map(|m| m.state),
    };
    let accepted = state_of == Some(MemberState::Accepted);
    let is_moderator = accepted && membership.as_ref().is_some_and(|m| m.is_moderator())
        || viewer.account().is_some_and(|a| a.is_admin);
    let is_owner = membership
        .as_ref()
        .is_some_and(|m| m.role == MemberRole::Owner);
    let can_post = viewer.account().is_some()
        && state_of != Some(MemberState::Banned)
        && match settings.post_policy {
            PostPolicy::Anyone => true,
            PostPolicy::Moderators => is_moderator,
            PostPolicy::Members => accepted,
        };
    let (objects, events) = if readable {
        let objects = ctx
            .db
            .group_posts_page(&group.id, None, POSTS_ON_PAGE)
            .await?;
        let events = ctx
            .db
            .calendar_events(CalendarScope::Group(&group.id), now_millis(), 60)
            .await?;
        (objects, events)
    } else {
        (Vec::new(), Vec::new())
    };
    let member_hosts = if !group.is_public() && is_moderator {
        ctx.db.member_hosts(&group.id).await?
    } else {
        Vec::new()
    };
    let mut layout = super::layout_with_waiting(state, viewer, display_name(group))
        .await?
        .with_notice(done);
    layout.json_href = Some(group.id.clone());
    layout.noindex = !group.is_public();
    layout.alternates = if !readable {
        Vec::new()
    } else {
        vec![
            Alternate {
                media_type: "application/atom+xml",
                title: format!("{} posts", display_name(group)),
                href: format!("{}/feed.atom", group.id),
            },
            Alternate {
                media_type: "text/calendar",
                title: format!("{} events", display_name(group)),
                href: format!("{}/events.ics", group.id),
            },
        ]
    };
    let (avatar, banner) = super::group_pictures::group_pictures(state, &group.id).await?;
    let page = GroupPage {
        avatar,
        banner,
        layout,
        group: GroupView {
            // A local group: its page is its id.
            url: group.id.clone(),
            title: display_name(group),
            // A hidden group is shown (to its members) by the name its people elsewhere
            // follow it by.
            handle: format!(
                "@{}@{}",
                kith_federation::actions::invitations::follow_name(ctx, group).await?,
                group.domain
            ),
            summary: paragraphs(group.summary.as_deref()),
            rules: paragraphs(settings.rules.as_deref()),
            members,
            approval: settings.join_policy == JoinPolicy::Approval,
            digest_handle: group.is_public().then(|| {
                format!(
                    "@{}@{}",
                    kith_federation::actions::group_digest::digest_name(group),
                    group.domain
                )
            }),
        },
        membership: state_of.map_or_else(String::new, |s| s.as_str().to_owned()),
        is_moderator,
        is_owner,
        can_post,
        posts: {
            let mut posts = post_views(state, &objects).await?;
            let me = viewer.account().map(|a| a.actor_id.as_str());
            posts.iter_mut().for_each(|p| p.allow(me, is_moderator));
            posts
        },
        events: event_items(&events, 10),
        readable,
        private: !group.is_public(),
        member_hosts,
    };
    super::render_with_remote_form(state, viewer, &page)
}

#[derive(Template)]
#[template(path = "group_form.html")]
struct NewGroupPage {
    layout: Layout,
    domain: String,
    /// The choices the form starts with (the fields it shares with the settings form).
    v: NewGroupChoices,
}

/// A new group's first choices: public, members post.
struct NewGroupChoices {
    visibility: &'static str,
    post_policy: &'static str,
}

async fn new_group_page(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, PageError> {
    viewer.require().or_page(&state, &viewer)?;
    let page = NewGroupPage {
        layout: Layout::new(&state, &viewer, "Start a group"),
        domain: state.ctx.urls().domain().to_owned(),
        v: NewGroupChoices {
            visibility: "public",
            post_policy: "members",
        },
    };
    render(&viewer, &page).or_page(&state, &viewer)
}

/// What the new-group form sends (the API takes the same fields as JSON).
#[derive(Deserialize)]
pub struct GroupForm {
    #[serde(default)]
    csrf: String,
    /// The handle.
    pub name: String,
    /// A title.
    pub title: Option<String>,
    /// What it is about.
    pub summary: Option<String>,
    /// Its rules.
    pub rules: Option<String>,
    /// `open` or `approval`.
    pub join_policy: Option<String>,
    /// `members`, `anyone` or `moderators`.
    pub post_policy: Option<String>,
    /// `public` (the default), `members` or `hidden`.
    pub visibility: Option<String>,
}

/// Creates a group from the form's fields, owned by `owner`.
pub async fn create_group_from(
    state: &AppState,
    owner: &kith_storage::Account,
    form: &GroupForm,
) -> Result<Actor, ApiError> {
    let join = form.join_policy.as_deref().unwrap_or("open");
    let join_policy = JoinPolicy::parse(join)
        .ok_or_else(|| ApiError::BadRequest(format!("{join:?} is not a join policy")))?;
    let posting = form.post_policy.as_deref().unwrap_or("members");
    let post_policy = PostPolicy::parse(posting)
        .ok_or_else(|| ApiError::BadRequest(format!("{posting:?} is not a post policy")))?;
    let seen = form.visibility.as_deref().unwrap_or("public");
    let visibility = kith_storage::GroupVisibility::parse(seen)
        .ok_or_else(|| ApiError::BadRequest(format!("{seen:?} is not a visibility")))?;
    groups::check_creation_cap(&state.ctx, owner).await?;
    let group = groups::create_group(
        &state.ctx,
        &NewGroup {
            name: form.name.clone(),
            owner: owner.username.clone(),
            title: form.title.clone(),
            summary: form.summary.clone(),
            join_policy,
            visibility,
        },
    )
    .await?;
    groups::set_group_rules(
        &state.ctx,
        &group.username,
        By::Account(owner),
        post_policy,
        form.rules.as_deref(),
    )
    .await?;
    Ok(group)
}

async fn create_group(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<GroupForm>,
) -> Result<Response, PageError> {
    let owner = viewer.signed_in(&form.csrf).or_page(&state, &viewer)?;
    let group = create_group_from(&state, owner, &form)
        .await
        .or_page(&state, &viewer)?;
    Ok(see_other(&format!("{}?done=created", group.id)))
}

/// The join button's form, with the answer to the group's question when it asks one.
#[derive(Deserialize)]
struct JoinForm {
    csrf: String,
    answer: Option<String>,
}

async fn join(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(name): Path<String>,
    Form(form): Form<JoinForm>,
) -> Result<Response, PageError> {
    let account = viewer.signed_in(&form.csrf).or_page(&state, &viewer)?;
    let m = joining::join_group(&state.ctx, account, &name, form.answer.as_deref())
        .await
        .or_page(&state, &viewer)?;
    let done = if m.state == MemberState::Pending {
        "requested"
    } else {
        "joined"
    };
    Ok(see_other(&format!(
        "{}?done={done}",
        state.ctx.urls().group(&name)
    )))
}

async fn leave(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(name): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    let account = viewer.signed_in(&form.csrf).or_page(&state, &viewer)?;
    joining::leave_group(&state.ctx, account, &name)
        .await
        .or_page(&state, &viewer)?;
    Ok(see_other(&format!(
        "{}?done=left",
        state.ctx.urls().group(&name)
    )))
}

#[derive(Deserialize)]
struct PostForm {
    csrf: String,
    text: String,
}

async fn write_post(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(name): Path<String>,
    Form(form): Form<PostForm>,
) -> Result<Response, PageError> {
    let account = viewer.signed_in(&form.csrf).or_page(&state, &viewer)?;
    let ctx = &state.ctx;
    let group = joining::local_group(ctx, &name)
        .await
        .or_page(&state, &viewer)?;
    let author = ctx
        .db
        .actor(&account.actor_id)
        .await
        .or_page(&state, &viewer)?;
    let post = posts::post_to_group(ctx, &author, &group, &form.text, None)
        .await
        .or_page(&state, &viewer)?;
    let done = if post.held_reason.is_some() {
        "held"
    } else {
        "posted"
    };
    Ok(see_other(&format!("{}?done={done}", group.id)))
}

async fn remote_join(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(name): Path<String>,
    Form(form): Form<HandleForm>,
) -> Result<Response, PageError> {
    viewer.check_csrf(&form.csrf).or_page(&state, &viewer)?;
    let group = joining::local_group(&state.ctx, &name)
        .await
        .or_page(&state, &viewer)?;
    let to = joining::remote_interaction_url(&state.ctx, &form.handle, &group.id)
        .await
        .or_page(&state, &viewer)?;
    Ok(see_other(&to))
}

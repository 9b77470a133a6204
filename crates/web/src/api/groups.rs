//! The JSON API for groups and posts: the directory, starting a group, joining and leaving,
//! posting and replying, threads, following remote groups, the remote-follow look-up, and the
//! moderation queue's held posts. Every action here is one a page offers too.

use axum::{
    Json, Router,
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode, Uri},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use kith_federation::actions::By;
use kith_federation::actions::{joining, moderation, posts};
use kith_storage::{Actor, CalendarScope, MemberState, StoredObject, now_millis};
use serde::{Deserialize, Serialize};

use crate::access::{self, Asker};
use crate::auth::{Authed, MaybeAuthed};
use crate::pages::groups::{GroupForm, create_group_from};
use crate::pages::views::{display_name, handle};
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/groups", get(directory).post(create_group))
        .route("/api/v1/groups/{name}", get(group))
        .route("/api/v1/groups/{name}/join", post(join))
        .route("/api/v1/groups/{name}/leave", post(leave))
        .route(
            "/api/v1/groups/{name}/posts",
            get(group_posts).post(write_post),
        )
        .route("/api/v1/groups/{name}/held", get(held))
        .route("/api/v1/groups/{name}/held/release", post(release))
        .route("/api/v1/groups/{name}/held/discard", post(discard))
        .route("/api/v1/thread", get(thread))
        .route("/api/v1/follows", post(follow))
        .route("/api/v1/remote-interaction", post(remote_interaction))
        .route("/api/v1/events", get(coming_events))
}

#[derive(Serialize)]
struct GroupView {
    id: String,
    name: String,
    handle: String,
    title: String,
    summary: Option<String>,
    members: i64,
    /// `public`, `members` or `hidden`.
    visibility: kith_storage::GroupVisibility,
}

fn group_view(g: &Actor, members: i64) -> GroupView {
    GroupView {
        id: g.id.clone(),
        name: g.username.clone(),
        handle: handle(g),
        title: display_name(g),
        summary: g.summary.clone(),
        members,
        visibility: g.visibility,
    }
}

#[derive(Deserialize)]
struct SearchQuery {
    #[serde(default)]
    q: String,
}

async fn directory(
    State(state): State<AppState>,
    Query(query): Query<SearchQuery>,
) -> Result<Json<Vec<GroupView>>, ApiError> {
    let list = state.ctx.db.search_local_groups(&query.q, 100).await?;
    Ok(Json(
        list.iter()
            .map(|l| group_view(&l.group, l.members))
            .collect(),
    ))
}

async fn create_group(
    State(state): State<AppState>,
    Authed(account): Authed,
    Json(form): Json<GroupForm>,
) -> Result<(StatusCode, Json<GroupView>), ApiError> {
    let group = create_group_from(&state, &account, &form).await?;
    Ok((StatusCode::CREATED, Json(group_view(&group, 1))))
}

#[derive(Serialize)]
struct GroupDetail {
    #[serde(flatten)]
    group: GroupView,
    rules: Option<String>,
    join_policy: kith_storage::JoinPolicy,
    post_policy: kith_storage::PostPolicy,
    /// The avatar and banner (`{type, url, mediaType, name}`, `name` the alt text), if any.
    avatar: Option<kith_federation::protocol::ImageRef>,
    banner: Option<kith_federation::protocol::ImageRef>,
}

async fn group(
    State(state): State<AppState>,
    Path(name): Path<String>,
    MaybeAuthed(account): MaybeAuthed,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    let ctx = &state.ctx;
    let g = joining::local_group(ctx, &name).await?;
    let asker = Asker {
        account: account.as_ref(),
        headers: &headers,
        uri: &uri,
    };
    access::require_known(&state, &g, asker).await?;
    let settings = ctx.db.group_settings(&g.id).await?;
    let members = ctx.db.count_members(&g.id, MemberState::Accepted).await?;
    let pictures = ctx.db.pictures_of(&g.id).await?;
    let picture = |role: kith_storage::PictureRole| {
        pictures
            .iter()
            .find(|p| p.role == role)
            .map(|p| kith_federation::actions::pictures::image_ref(ctx, p))
    };
    let detail = Json(GroupDetail {
        avatar: picture(kith_storage::PictureRole::Avatar),
        banner: picture(kith_storage::PictureRole::Banner),
        group: group_view(&g, members),
        rules: settings.rules,
        join_policy: settings.join_policy,
        post_policy: settings.post_policy,
    });
    Ok(access::mark(&g, detail.into_response()))
}

/// A person's membership of a group.
#[derive(Serialize)]
pub(crate) struct MembershipView {
    pub(crate) group: String,
    pub(crate) state: kith_storage::MemberState,
    pub(crate) role: kith_storage::MemberRole,
}

#[derive(Deserialize, Default)]
struct JoinForm {
    answer: Option<String>,
}

async fn join(
    State(state): State<AppState>,
    Authed(account): Authed,
    Path(name): Path<String>,
    form: Option<Json<JoinForm>>,
) -> Result<Json<MembershipView>, ApiError> {
    let answer = form.and_then(|Json(f)| f.answer);
    let m = joining::join_group(&state.ctx, &account, &name, answer.as_deref()).await?;
    Ok(Json(MembershipView {
        group: m.group_id,
        state: m.state,
        role: m.role,
    }))
}

async fn leave(
    State(state): State<AppState>,
    Authed(account): Authed,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    joining::leave_group(&state.ctx, &account, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A post as the API shows it.
#[derive(Serialize)]
pub(crate) struct PostView {
    id: String,
    author: String,
    in_reply_to: Option<String>,
    content: Option<String>,
    published_at: i64,
    held: Option<String>,
}

pub(crate) fn post_view(o: &StoredObject) -> PostView {
    PostView {
        id: o.id.clone(),
        author: o.attributed_to.clone(),
        in_reply_to: o.in_reply_to.clone(),
        content: o.content.clone(),
        published_at: o.published_at,
        held: o.held_reason.clone(),
    }
}

#[derive(Deserialize)]
struct PageQuery {
    before: Option<i64>,
}

async fn group_posts(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(page): Query<PageQuery>,
    MaybeAuthed(account): MaybeAuthed,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    let g = joining::local_group(&state.ctx, &name).await?;
    let asker = Asker {
        account: account.as_ref(),
        headers: &headers,
        uri: &uri,
    };
    access::require_read(&state, &g, asker).await?;
    let list = state
        .ctx
        .db
        .group_posts_page(&g.id, page.before, 50)
        .await?;
    let list = Json(list.iter().map(post_view).collect::<Vec<_>>());
    Ok(access::mark(&g, list.into_response()))
}

#[derive(Deserialize)]
struct PostBody {
    text: String,
    in_reply_to: Option<String>,
}

async fn write_post(
    State(state): State<AppState>,
    Authed(account): Authed,
    Path(name): Path<String>,
    Json(body): Json<PostBody>,
) -> Result<(StatusCode, Json<PostView>), ApiError> {
    let ctx = &state.ctx;
    let g = joining::local_group(ctx, &name).await?;
    let author = ctx.db.actor(&account.actor_id).await?;
    let post =
        posts::post_to_group(ctx, &author, &g, &body.text, body.in_reply_to.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(post_view(&post))))
}

#[derive(Deserialize)]
struct IdQuery {
    id: String,
}

async fn thread(
    State(state): State<AppState>,
    Query(q): Query<IdQuery>,
    MaybeAuthed(account): MaybeAuthed,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    let ctx = &state.ctx;
    let object = ctx.db.object(&q.id).await?;
    let Some(group_id) = object.group_id.as_deref() else {
        return Err(ApiError::NotFound);
    };
    let group = ctx.db.actor_by_id_cached(group_id).await?;
    let asker = Asker {
        account: account.as_ref(),
        headers: &headers,
        uri: &uri,
    };
    access::require_read(&state, &group, asker).await?;
    let remote_private = access::require_remote_visible(&state, &object, account.as_ref()).await?;
    let (root, replies) = posts::thread(ctx, object).await?;
    let (replies, thread_private) =
        access::visible_thread(&state, &root, replies, account.as_ref()).await?;
    let mut list = vec![post_view(&root)];
    list.extend(replies.iter().map(post_view));
    let response = access::mark(&group, Json(list).into_response());
    Ok(access::mark_private(
        response,
        remote_private || thread_private,
    ))
}

async fn held(
    State(state): State<AppState>,
    Authed(account): Authed,
    Path(name): Path<String>,
) -> Result<Json<Vec<PostView>>, ApiError> {
    let g = kith_federation::actions::membership::moderated_group(
        &state.ctx,
        &name,
        By::Account(&account),
    )
    .await?;
    let list = state.ctx.db.held_posts(&g.id).await?;
    Ok(Json(list.iter().map(post_view).collect()))
}

#[derive(Deserialize)]
struct HeldBody {
    post: String,
}

async fn release(
    State(state): State<AppState>,
    Authed(account): Authed,
    Path(name): Path<String>,
    Json(body): Json<HeldBody>,
) -> Result<StatusCode, ApiError> {
    moderation::release_post(&state.ctx, &name, &body.post, &account).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn discard(
    State(state): State<AppState>,
    Authed(account): Authed,
    Path(name): Path<String>,
    Json(body): Json<HeldBody>,
) -> Result<StatusCode, ApiError> {
    moderation::discard_post(&state.ctx, &name, &body.post, &account).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct FollowBody {
    /// `name@host`, or a group's id.
    group: String,
}

async fn follow(
    State(state): State<AppState>,
    Authed(account): Authed,
    Json(body): Json<FollowBody>,
) -> Result<(StatusCode, Json<GroupView>), ApiError> {
    let g = joining::follow_by_id(&state.ctx, &account, &body.group).await?;
    Ok((StatusCode::ACCEPTED, Json(group_view(&g, 0))))
}

#[derive(Deserialize)]
struct InteractionBody {
    /// The visitor's handle on their own server.
    handle: String,
    /// The local group or event to follow or answer.
    target: String,
}

#[derive(Serialize)]
struct InteractionView {
    url: String,
}

async fn remote_interaction(
    State(state): State<AppState>,
    Json(body): Json<InteractionBody>,
) -> Result<Json<InteractionView>, ApiError> {
    let ctx = &state.ctx;
    let local = ctx
        .db
        .actor(&body.target)
        .await
        .map(|a| a.local)
        .unwrap_or(false)
        || ctx
            .db
            .object(&body.target)
            .await
            .map(|o| o.local)
            .unwrap_or(false);
    if !local {
        return Err(ApiError::NotFound);
    }
    let url = joining::remote_interaction_url(ctx, &body.handle, &body.target).await?;
    Ok(Json(InteractionView { url }))
}

#[derive(Serialize)]
struct EventItem {
    id: String,
    title: Option<String>,
    summary: Option<String>,
    start: Option<i64>,
    end: Option<i64>,
    status: kith_storage::EventStatus,
}

async fn coming_events(State(state): State<AppState>) -> Result<Json<Vec<EventItem>>, ApiError> {
    let list = state
        .ctx
        .db
        .calendar_events(CalendarScope::Instance, now_millis(), 200)
        .await?;
    Ok(Json(
        list.into_iter()
            .map(|e| EventItem {
                id: e.object.id,
                title: e.object.name,
                summary: e.object.summary,
                start: e.object.start_time,
                end: e.object.end_time,
                status: e.fields.status,
            })
            .collect(),
    ))
}

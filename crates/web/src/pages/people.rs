//! People and threads: a person's page, a post with its replies, replying, following a remote
//! group by handle, and the page other servers send their people to ("follow from Kith").

use askama::Template;
use axum::{
    Form, Router,
    extract::{Query, State},
    response::Response,
    routing::{get, post},
};
use kith_federation::actions::{joining, posts};
use kith_storage::{Actor, FollowState, MemberRole, MemberState, StoredObject};
use serde::Deserialize;

use super::views::{GroupCard, PostView, display_name, group_card, handle, paragraphs, post_views};
use super::{Layout, OrPage, PageError, render, see_other};
use crate::auth::Viewer;
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/thread", get(remote_thread))
        .route("/thread/reply", post(reply))
        .route("/follow", post(follow))
        .route("/settings/memberships", post(show_memberships))
        .route(
            "/authorize_interaction",
            get(authorize_page).post(authorize),
        )
}

#[derive(Template)]
#[template(path = "person.html")]
struct PersonPage {
    layout: Layout,
    name: String,
    handle: String,
    summary: String,
    groups: Vec<GroupCard>,
    posts: Vec<PostView>,
    is_self: bool,
    /// Whether the person shows their memberships to others (their choice; never those of
    /// members-only or hidden groups).
    memberships_shown: bool,
}

/// The page of a local person (served at their id to browsers).
pub async fn person_page(
    state: &AppState,
    viewer: &Viewer,
    person: &Actor,
    done: Option<&str>,
) -> Result<Response, ApiError> {
    let ctx = &state.ctx;
    let is_self = viewer.account().is_some_and(|a| a.actor_id == person.id);
    let memberships_shown = ctx.db.memberships_shown(&person.id).await?;
    let mut groups = Vec::new();
    let listed = if is_self || memberships_shown {
        ctx.db.memberships_of(&person.id).await?
    } else {
        Vec::new()
    };
    for (group, m) in listed {
        // Who asked to join what is between them and the group's organisers: a stranger
        // learning who applied to a support circle is the harm (issue 26).
        let pending = m.state == MemberState::Pending;
        if pending && !is_self {
            continue;
        }
        // A members-only group's members are for its members to know; a hidden group is
        // unknown to anyone else.
        if !group.is_public() && !is_self {
            continue;
        }
        let note = if pending {
            "asked to join"
        } else if m.role == MemberRole::Owner {
            "owner"
        } else if m.role == MemberRole::Moderator {
            "organiser"
        } else {
            ""
        };
        groups.push(group_card(&group, 0, note));
    }
    let followed = if is_self || memberships_shown {
        ctx.db.followed_groups(&person.id).await?
    } else {
        Vec::new()
    };
    for (group, follow_state) in followed {
        if follow_state != FollowState::Accepted && !is_self {
            continue;
        }
        let note = if follow_state == FollowState::Accepted {
            "elsewhere"
        } else {
            "follow requested"
        };
        groups.push(group_card(&group, 0, note));
    }
    let objects = ctx.db.posts_by_author(&person.id, 30).await?;
    let mut layout = Layout::new(state, viewer, display_name(person)).with_notice(done);
    layout.json_href = Some(person.id.clone());
    let page = PersonPage {
        layout,
        name: display_name(person),
        handle: handle(person),
        summary: paragraphs(person.summary.as_deref()),
        groups,
        posts: post_views(state, &objects).await?,
        is_self,
        memberships_shown,
    };
    render(viewer, &page)
}

/// The choice on a person's own page: show their group memberships to others or not.
#[derive(Deserialize)]
struct MembershipsForm {
    csrf: String,
    /// `yes` or `no`.
    show: String,
}

async fn show_memberships(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<MembershipsForm>,
) -> Result<Response, PageError> {
    let account = viewer.signed_in(&form.csrf).or_page(&state, &viewer)?;
    state
        .ctx
        .db
        .set_memberships_shown(&account.actor_id, form.show == "yes")
        .await
        .map_err(ApiError::from)
        .or_page(&state, &viewer)?;
    Ok(see_other(&account.actor_id))
}

#[derive(Template)]
#[template(path = "thread.html")]
struct ThreadPage {
    layout: Layout,
    group_url: Option<String>,
    group_title: String,
    root_id: String,
    posts: Vec<PostView>,
    can_reply: bool,
    /// What a remote event's group wrote to the viewer alone about it (its online link).
    messages: Vec<super::event_messages::MessageView>,
    /// A remote event's time and place, and its page on its own server.
    event: Option<RemoteEventView>,
}

/// When and where a remote event is, as its thread shows it (never its online link, which
/// reaches people here only as a message to them alone).
struct RemoteEventView {
    item: super::views::EventItem,
    /// The place's address, when it has one.
    address: Option<String>,
}

/// The time and place of a thread's first post, when it is a remote event.
async fn remote_event_view(
    state: &AppState,
    root: &StoredObject,
) -> Result<Option<RemoteEventView>, ApiError> {
    if root.local || root.kind != kith_storage::ObjectKind::Event {
        return Ok(None);
    }
    match state.ctx.db.event(&root.id).await {
        Ok(event) => Ok(Some(RemoteEventView {
            address: super::views::title(event.fields.place_address.as_deref()),
            item: super::views::event_item(&event),
        })),
        Err(kith_storage::StorageError::NotFound) => Ok(None),
        Err(other) => Err(other.into()),
    }
}

/// A post and every reply in its thread (a local post's page is at its id; others at
/// `/thread?id=…`).
pub async fn thread_page(
    state: &AppState,
    viewer: &Viewer,
    object: &StoredObject,
    done: Option<&str>,
) -> Result<Response, ApiError> {
    let ctx = &state.ctx;
    let (root, replies) = posts::thread(ctx, object.clone()).await?;
    let (replies, private) =
        crate::access::visible_thread(state, &root, replies, viewer.account()).await?;
    let group = match &root.group_id {
        Some(id) => Some(ctx.db.actor(id).await?),
        None => None,
    };
    let mut all = Vec::with_capacity(replies.len() + 1);
    all.push(root.clone());
    all.extend(replies);
    let list = post_views(state, &all).await?;
    let messages = super::event_messages::for_viewer(state, &root, viewer).await?;
    let can_reply = viewer.account().is_some() && group.is_some();
    let mut layout =
        Layout::new(state, viewer, format!("Post by {}", list[0].author_name)).with_notice(done);
    if root.local {
        layout.json_href = Some(root.id.clone());
    }
    layout.noindex = group.as_ref().is_some_and(|g| !g.is_public());
    let page = ThreadPage {
        layout,
        group_url: group.as_ref().and_then(super::views::actor_url),
        group_title: group.as_ref().map(display_name).unwrap_or_default(),
        root_id: root.id.clone(),
        posts: list,
        can_reply,
        messages,
        event: remote_event_view(state, &root).await?,
    };
    // A page with a message to the viewer alone is theirs alone: no cache keeps it.
    let private = private || !page.messages.is_empty();
    Ok(crate::access::mark_private(render(viewer, &page)?, private))
}

#[derive(Deserialize)]
struct IdQuery {
    id: String,
    done: Option<String>,
}

async fn remote_thread(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<IdQuery>,
    headers: axum::http::HeaderMap,
    uri: axum::http::Uri,
) -> Result<Response, PageError> {
    let object = state.ctx.db.object(&q.id).await.or_page(&state, &viewer)?;
    let Some(group_id) = object.group_id.as_deref() else {
        return Err(PageError::new(&state, &viewer, ApiError::NotFound));
    };
    // A members-only or hidden group's thread: its members alone.
    let group = state
        .ctx
        .db
        .actor_by_id_cached(group_id)
        .await
        .or_page(&state, &viewer)?;
    let asker = crate::access::Asker {
        account: viewer.account(),
        headers: &headers,
        uri: &uri,
    };
    crate::access::require_read(&state, &group, asker)
        .await
        .or_page(&state, &viewer)?;
    let remote_private = crate::access::require_remote_visible(&state, &object, viewer.account())
        .await
        .or_page(&state, &viewer)?;
    let mut page = thread_page(&state, &viewer, &object, q.done.as_deref())
        .await
        .or_page(&state, &viewer)?;
    if remote_private {
        page.headers_mut().insert(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("private, no-store"),
        );
    }
    Ok(crate::access::mark(&group, page))
}

#[derive(Deserialize)]
struct ReplyForm {
    csrf: String,
    in_reply_to: String,
    text: String,
}

async fn reply(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<ReplyForm>,
) -> Result<Response, PageError> {
    let account = viewer.signed_in(&form.csrf).or_page(&state, &viewer)?;
    let object = reply_as(&state, account, &form.in_reply_to, &form.text)
        .await
        .or_page(&state, &viewer)?;
    let parent = state
        .ctx
        .db
        .object(&form.in_reply_to)
        .await
        .or_page(&state, &viewer)?;
    let done = if object.held_reason.is_some() {
        "held"
    } else {
        "posted"
    };
    let url = super::views::thread_url(&parent);
    let sep = if url.contains('?') { '&' } else { '?' };
    Ok(see_other(&format!("{url}{sep}done={done}")))
}

/// A local person replies to a post of a group (the group the post belongs to).
pub async fn reply_as(
    state: &AppState,
    account: &kith_storage::Account,
    in_reply_to: &str,
    text: &str,
) -> Result<StoredObject, ApiError> {
    let ctx = &state.ctx;
    let parent = ctx.db.object(in_reply_to).await?;
    let group_id = parent
        .group_id
        .clone()
        .ok_or_else(|| ApiError::BadRequest("that post is not in a group".into()))?;
    let group = ctx.db.actor(&group_id).await?;
    let author = ctx.db.actor(&account.actor_id).await?;
    Ok(posts::post_to_group(ctx, &author, &group, text, Some(&parent.id)).await?)
}

#[derive(Deserialize)]
struct FollowForm {
    csrf: String,
    handle: String,
}

async fn follow(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<FollowForm>,
) -> Result<Response, PageError> {
    let account = viewer.signed_in(&form.csrf).or_page(&state, &viewer)?;
    let group = joining::follow_by_handle(&state.ctx, account, &form.handle)
        .await
        .or_page(&state, &viewer)?;
    let done = if group.local { "joined" } else { "following" };
    Ok(see_other(&format!("/u/{}?done={done}", account.username)))
}

#[derive(Deserialize)]
struct UriQuery {
    #[serde(default)]
    uri: String,
}

#[derive(Template)]
#[template(path = "authorize.html")]
struct AuthorizePage {
    layout: Layout,
    uri: String,
    target: Option<String>,
}

/// Where other servers' "follow" buttons send people of this instance (the subscribe template
/// in Kith's WebFinger answers): asks them to log in, then to confirm.
async fn authorize_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<UriQuery>,
) -> Result<Response, PageError> {
    if viewer.account().is_none() {
        let back = format!(
            "/authorize_interaction?uri={}",
            super::views::encode(&q.uri)
        );
        return Ok(see_other(&format!(
            "/login?next={}",
            super::views::encode(&back)
        )));
    }
    let uri = q.uri.trim().trim_start_matches("acct:").to_owned();
    let page = AuthorizePage {
        layout: Layout::new(&state, &viewer, "Follow"),
        target: (!uri.is_empty()).then(|| uri.clone()),
        uri,
    };
    render(&viewer, &page).or_page(&state, &viewer)
}

#[derive(Deserialize)]
struct AuthorizeForm {
    csrf: String,
    uri: String,
}

async fn authorize(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<AuthorizeForm>,
) -> Result<Response, PageError> {
    let account = viewer.signed_in(&form.csrf).or_page(&state, &viewer)?;
    let group = joining::follow_by_id(&state.ctx, account, &form.uri)
        .await
        .or_page(&state, &viewer)?;
    let done = if group.local { "joined" } else { "following" };
    Ok(see_other(&format!("/u/{}?done={done}", account.username)))
}

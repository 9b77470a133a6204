//! An Atom feed of each group's posts (`/g/NAME/feed.atom`), for feed readers; group pages
//! advertise it with `<link rel="alternate">`. Written with the `atom_syndication` crate.

use atom_syndication::{Content, Entry, Feed, FixedDateTime, Link, Person, Text};
use axum::{
    Router,
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, Uri, header},
    response::{IntoResponse, Response},
    routing::get,
};
use kith_storage::{StorageError, StoredObject};

use crate::access::{self, Asker};
use crate::auth::MaybeAuthed;
use crate::pages::views::{display_name, thread_url};
use crate::{ApiError, AppState};

/// How many posts the feed carries.
const FEED_POSTS: i64 = 50;

pub fn router() -> Router<AppState> {
    Router::new().route("/g/{name}/feed.atom", get(group_feed))
}

fn time(millis: i64) -> FixedDateTime {
    chrono::DateTime::from_timestamp_millis(millis)
        .unwrap_or_default()
        .fixed_offset()
}

fn link(href: String, rel: &str, media_type: Option<&str>) -> Link {
    Link {
        href,
        rel: rel.into(),
        mime_type: media_type.map(str::to_owned),
        ..Link::default()
    }
}

async fn entry(state: &AppState, object: &StoredObject) -> Result<Entry, ApiError> {
    let author = match state.ctx.db.actor(&object.attributed_to).await {
        Ok(a) => Person {
            name: display_name(&a),
            uri: Some(a.url.clone().unwrap_or(a.id)),
            ..Person::default()
        },
        Err(StorageError::NotFound) => Person {
            name: object.attributed_to.clone(),
            ..Person::default()
        },
        Err(other) => return Err(other.into()),
    };
    let page = thread_url(object);
    let page = if page.starts_with('/') {
        format!(
            "{}{}",
            state.ctx.urls().base().as_str().trim_end_matches('/'),
            page
        )
    } else {
        page
    };
    let title = object.name.clone().unwrap_or_else(|| {
        // Read from the stored (bounded) HTML in one pass that stops after the title's length.
        let (mut t, more) =
            kith_federation::sanitize::text_prefix(object.content.as_deref().unwrap_or(""), 80);
        if more {
            t.push('…');
        }
        if t.trim().is_empty() {
            format!("Post by {}", author.name)
        } else {
            t
        }
    });
    Ok(Entry {
        id: object.id.clone(),
        title: Text::plain(title),
        updated: time(object.updated_at.unwrap_or(object.published_at)),
        published: Some(time(object.published_at)),
        authors: vec![author],
        links: vec![link(page, "alternate", Some("text/html"))],
        content: Some(Content {
            value: object.content.clone(),
            content_type: Some("html".into()),
            ..Content::default()
        }),
        ..Entry::default()
    })
}

async fn group_feed(
    State(state): State<AppState>,
    Path(name): Path<String>,
    MaybeAuthed(account): MaybeAuthed,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    let ctx = &state.ctx;
    let group = kith_federation::actions::joining::local_group(ctx, &name).await?;
    let asker = Asker {
        account: account.as_ref(),
        headers: &headers,
        uri: &uri,
    };
    access::require_read(&state, &group, asker).await?;
    let posts = ctx.db.group_posts_page(&group.id, None, FEED_POSTS).await?;
    let mut entries = Vec::with_capacity(posts.len());
    for post in &posts {
        entries.push(entry(&state, post).await?);
    }
    let updated = posts
        .iter()
        .map(|p| p.updated_at.unwrap_or(p.published_at))
        .max()
        .unwrap_or(group.created_at);
    let feed = Feed {
        id: format!("{}/feed.atom", group.id),
        title: Text::plain(display_name(&group)),
        subtitle: group.summary.clone().map(Text::plain),
        updated: time(updated),
        links: vec![
            link(
                format!("{}/feed.atom", group.id),
                "self",
                Some("application/atom+xml"),
            ),
            link(group.id.clone(), "alternate", Some("text/html")),
        ],
        entries,
        ..Feed::default()
    };
    let response = (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/atom+xml; charset=utf-8"),
        )],
        feed.to_string(),
    )
        .into_response();
    Ok(access::mark(&group, response))
}

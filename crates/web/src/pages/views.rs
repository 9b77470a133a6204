//! What templates show, built from stored rows: posts, events, groups, people. Text from other
//! servers was sanitised when it was stored, and local text was written as HTML by Kith from
//! plain text, so `content` is safe to insert; everything else is escaped by the templates.
//! Links and names from stored rows go through `untrusted` again here, as they are rendered: a
//! link that is not http(s) is no link (the name is shown as text), and names lose bidi and
//! zero-width characters.

use std::collections::HashMap;

use kith_federation::events::when_line;
use kith_federation::protocol::rfc3339;
use kith_federation::sanitize::plain_to_html;
use kith_federation::untrusted::{clean_name, safe_link, safe_link_of};
use kith_storage::{Actor, EventStatus, ObjectKind, StoredEvent, StoredObject};

use crate::{ApiError, AppState};

/// A post or reply as a page lists it.
#[derive(Clone, Debug)]
pub struct PostView {
    /// Its id.
    pub id: String,
    /// The page of its thread.
    pub url: String,
    /// Its author's display name.
    pub author_name: String,
    /// `@name@host`.
    pub author_handle: String,
    /// The author's page (here) or profile (elsewhere), when it is a web link.
    pub author_url: Option<String>,
    /// A title, for posts that have one (Lemmy).
    pub title: Option<String>,
    /// Sanitised HTML.
    pub content: String,
    /// The content warning: the content stays folded until the reader opens it.
    pub warning: Option<String>,
    /// When, for people.
    pub published: String,
    /// When, for machines.
    pub published_iso: String,
    /// How many replies it has.
    pub replies: i64,
    /// Its author's actor id.
    pub author_id: String,
    /// A post (not an event, whose organisers manage it on its page).
    pub is_post: bool,
    /// The viewer organises its group: a Remove button is shown.
    pub can_remove: bool,
    /// The viewer wrote it: Edit and Delete are offered.
    pub can_delete: bool,
    /// Its text as its author edits it (set only for them).
    pub text: String,
}

impl PostView {
    /// Offers the viewer what they may do with the post: organisers remove, authors delete.
    pub fn allow(&mut self, viewer_actor: Option<&str>, organiser: bool) {
        self.can_remove = organiser && self.is_post;
        self.can_delete = self.is_post && viewer_actor == Some(self.author_id.as_str());
        if self.can_delete {
            self.text = kith_federation::sanitize::text(&self.content);
        }
    }
}

/// `@name@host` of an actor.
pub fn handle(actor: &Actor) -> String {
    format!("@{}@{}", clean_name(&actor.username), actor.domain)
}

/// An actor's display name, or their username.
pub fn display_name(actor: &Actor) -> String {
    actor
        .display_name
        .as_deref()
        .map(clean_name)
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| clean_name(&actor.username))
}

/// Where to send people who click an actor: local pages here, remote profiles there (their
/// `url`, else their id), or nowhere when neither is a web link.
pub fn actor_url(actor: &Actor) -> Option<String> {
    safe_link_of(actor.url.as_deref()).or_else(|| safe_link(&actor.id))
}

/// A stored title (a post's, an event's) as pages show it.
pub fn title(name: Option<&str>) -> Option<String> {
    name.map(clean_name).filter(|n| !n.is_empty())
}

/// The page of a post's thread here.
pub fn thread_url(object: &StoredObject) -> String {
    if object.local {
        object.id.clone()
    } else {
        format!("/thread?id={}", encode(&object.id))
    }
}

/// Percent-encodes a query value.
pub fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A time for people: `5 Dec 2026, 09:30 UTC`.
pub fn human_time(millis: i64) -> String {
    chrono::DateTime::from_timestamp_millis(millis)
        .map(|t| t.format("%-d %b %Y, %H:%M UTC").to_string())
        .unwrap_or_default()
}

/// A post's view, from its author and reply count.
fn view_of(object: &StoredObject, author: Option<&Actor>, replies: i64) -> PostView {
    PostView {
        id: object.id.clone(),
        url: thread_url(object),
        author_name: author.map(display_name).unwrap_or_default(),
        author_handle: author.map(handle).unwrap_or_default(),
        author_url: match author {
            Some(author) => actor_url(author),
            None => safe_link(&object.attributed_to),
        },
        title: title(object.name.as_deref()).filter(|_| object.kind != ObjectKind::Note),
        content: super::linkify::linkify(object.content.as_deref().unwrap_or_default()),
        warning: content_warning(object),
        published: human_time(object.published_at),
        published_iso: rfc3339(object.published_at),
        replies,
        author_id: object.attributed_to.clone(),
        is_post: !matches!(object.kind, ObjectKind::Event | ObjectKind::Question),
        can_remove: false,
        can_delete: false,
        text: String::new(),
    }
}

/// A post's content warning: Mastodon's `summary` on notes, or a plain one for posts marked
/// `sensitive` without a text (on Lemmy pages and articles `summary` is a summary, not a warning).
pub fn content_warning(object: &StoredObject) -> Option<String> {
    let text = object.summary.as_deref().map(str::trim).filter(|s| {
        !s.is_empty() && matches!(object.kind, ObjectKind::Note | ObjectKind::Question)
    });
    match text {
        Some(text) => Some(text.to_owned()),
        None if object.sensitive => Some("Sensitive content".to_owned()),
        None => None,
    }
}

/// Views of several posts, in order: their authors and reply counts are read in two queries,
/// not two per post (a thread page of 50 replies made 100 queries).
pub async fn post_views(
    state: &AppState,
    objects: &[StoredObject],
) -> Result<Vec<PostView>, ApiError> {
    let author_ids: Vec<&str> = objects.iter().map(|o| o.attributed_to.as_str()).collect();
    let authors: HashMap<String, Actor> = state
        .ctx
        .db
        .actors_by_ids(&author_ids)
        .await?
        .into_iter()
        .map(|a| (a.id.clone(), a))
        .collect();
    let ids: Vec<&str> = objects.iter().map(|o| o.id.as_str()).collect();
    let replies = state.ctx.db.reply_counts(&ids).await?;
    Ok(objects
        .iter()
        .map(|o| {
            let author = authors.get(&o.attributed_to);
            view_of(o, author, replies.get(&o.id).copied().unwrap_or(0))
        })
        .collect())
}

/// An event in a list.
#[derive(Clone, Debug)]
pub struct EventItem {
    /// Its page (here) or its page elsewhere, when it is a web link.
    pub url: Option<String>,
    /// Its title.
    pub title: String,
    /// When, in the event's zone, with the zone named.
    pub when: String,
    /// The start, for machines.
    pub start_iso: String,
    /// Where.
    pub place: String,
    /// Whether it is cancelled.
    pub cancelled: bool,
    /// The event's own zone (the script adds the viewer's time when theirs differs).
    pub zone: String,
    /// One date of a repeating series, listed once with its next dates.
    pub repeats: bool,
    /// The series' next dates after this one (at most [`NEXT_DATES`]).
    pub next: Vec<NextDate>,
}

/// A later date of a series in a list.
#[derive(Clone, Debug)]
pub struct NextDate {
    /// Its page.
    pub url: Option<String>,
    /// The day, in the series' zone (`Tue 8 Dec`).
    pub day: String,
    /// Whether that date is cancelled.
    pub cancelled: bool,
}

/// How many later dates of a series a list shows.
pub const NEXT_DATES: usize = 4;

/// Events as lists show them, soonest first, at most `limit` entries: a repeating series is
/// one entry (its soonest date) with its next dates, not one entry per date.
pub fn event_items(events: &[StoredEvent], limit: usize) -> Vec<EventItem> {
    let mut items: Vec<EventItem> = Vec::new();
    let mut series_at: HashMap<&str, usize> = HashMap::new();
    for event in events {
        let series = event
            .fields
            .series_id
            .as_deref()
            .filter(|_| event.object.local);
        if let Some(at) = series.and_then(|s| series_at.get(s)) {
            let item = &mut items[*at];
            if item.next.len() < NEXT_DATES {
                let o = &event.object;
                let when = when_line(
                    o.start_time.unwrap_or_default(),
                    o.start_time.unwrap_or_default(),
                    &event.fields.timezone,
                );
                item.next.push(NextDate {
                    url: Some(o.id.clone()),
                    // `Tue 8 Dec 2026, 18:30–18:30`: the day, without the year.
                    day: when
                        .split(", ")
                        .next()
                        .map(|d| d.rsplit_once(' ').map_or(d, |(day, _)| day))
                        .unwrap_or_default()
                        .to_owned(),
                    cancelled: event.fields.status == EventStatus::Cancelled,
                });
            }
            continue;
        }
        if items.len() == limit {
            continue;
        }
        let mut item = event_item(event);
        if let Some(series) = series {
            item.repeats = true;
            series_at.insert(series, items.len());
        }
        items.push(item);
    }
    items
}

/// An event as lists show it.
pub fn event_item(event: &StoredEvent) -> EventItem {
    let o = &event.object;
    let f = &event.fields;
    let start = o.start_time.unwrap_or_default();
    let end = o.end_time.unwrap_or(start);
    EventItem {
        url: if o.local {
            Some(o.id.clone())
        } else {
            safe_link_of(o.url.as_deref()).or_else(|| safe_link(&o.id))
        },
        title: title(o.name.as_deref()).unwrap_or_else(|| "Event".into()),
        when: format!("{} ({})", when_line(start, end, &f.timezone), f.timezone),
        start_iso: rfc3339(start),
        place: title(f.place_name.as_deref())
            .or_else(|| f.online_url.as_ref().map(|_| "Online".to_owned()))
            .unwrap_or_default(),
        cancelled: f.status == EventStatus::Cancelled,
        zone: f.timezone.clone(),
        repeats: false,
        next: Vec::new(),
    }
}

/// A group in the directory or on a person's page.
#[derive(Clone, Debug)]
pub struct GroupCard {
    /// Its page, when it is a web link.
    pub url: Option<String>,
    /// Its title.
    pub title: String,
    /// Its handle.
    pub handle: String,
    /// Its description, plain.
    pub summary: String,
    /// Accepted members.
    pub members: i64,
    /// A word about the viewer's standing ("organiser", "request sent").
    pub note: String,
}

/// A group's card.
pub fn group_card(group: &Actor, members: i64, note: &str) -> GroupCard {
    GroupCard {
        url: actor_url(group),
        title: display_name(group),
        handle: handle(group),
        summary: group.summary.clone().unwrap_or_default(),
        members,
        note: note.to_owned(),
    }
}

/// Plain text as HTML paragraphs (descriptions, rules, the about text).
pub fn paragraphs(text: Option<&str>) -> String {
    text.filter(|t| !t.trim().is_empty())
        .map(plain_to_html)
        .unwrap_or_default()
}

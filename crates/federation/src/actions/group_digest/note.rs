//! The digest actor's daily post: once per UTC day with something new in a public group, one
//! public `Create{Note}` to the actor's followers listing that day's new events and busiest
//! threads (titles and links only; only public objects: kith-storage `group_digest`). Run by
//! the hourly scheduled mail job (`mail::digest::run`, one process for all); the day's record
//! and the deliveries are written in one transaction, and a second run for the same day finds
//! the record and writes nothing, so each follower gets the day's post once, or not at all if
//! the day had nothing.

use jiff::Timestamp;
use kith_storage::{Actor, DigestItem};
use serde_json::{Value, json};

use crate::outbound::change::Change;
use crate::protocol::{OutgoingActivity, PUBLIC, rfc3339};
use crate::sanitize::escape_html;
use crate::urls::Urls;
use crate::{Context, FederationError, Result, outbound::plan};

/// A day in milliseconds.
const DAY_MS: i64 = 24 * 3600 * 1000;
/// Threads a post lists at most.
const THREADS: i64 = 5;

/// The UTC day (`YYYY-MM-DD`) that `millis` falls in.
pub fn day_of(millis: i64) -> String {
    Timestamp::from_millisecond(millis)
        .map(|t| t.strftime("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// Posts the digest of the last whole UTC day before `now` for every public group whose digest
/// actor has followers and did not post it yet; returns how many posts were sent.
pub async fn post_due(ctx: &Context, now: i64) -> Result<usize> {
    post_day(ctx, now.div_euclid(DAY_MS) * DAY_MS - DAY_MS, now).await
}

/// Posts the digest of the UTC day starting at `day_start` (see [`post_due`]).
pub async fn post_day(ctx: &Context, day_start: i64, now: i64) -> Result<usize> {
    let day = day_of(day_start);
    let mut sent = 0;
    for due in ctx.db.due_group_digests(&day).await? {
        let digest = ctx.db.actor(&due.actor_id).await?;
        let group = ctx.db.actor(&due.group_id).await?;
        // Read again: the group may have stopped being public since the list was read.
        if !group.is_public() {
            continue;
        }
        if post_one(ctx, (&group, &digest), &day, (day_start, now)).await? {
            sent += 1;
        }
    }
    Ok(sent)
}

/// Writes one digest actor's record of `day`, with its post and the post's deliveries when the
/// day had something; `true` when a post was queued.
async fn post_one(
    ctx: &Context,
    (group, digest): (&Actor, &Actor),
    day: &str,
    (day_start, now): (i64, i64),
) -> Result<bool> {
    let until = day_start + DAY_MS;
    let events = ctx
        .db
        .group_digest_events(&group.id, day_start, until)
        .await?;
    let threads = ctx
        .db
        .group_digest_threads(&group.id, day_start, until, THREADS)
        .await?;
    if events.is_empty() && threads.is_empty() {
        let mut change = Change::begin(ctx).await?;
        change
            .tx()
            .digest_note_written(&digest.id, day, None)
            .await?;
        change.commit().await?;
        return Ok(false);
    }
    let note = note(group, digest, day, (&events, &threads), now);
    let note_text = note.to_string();
    let create = create(digest, note);
    // Planned before the transaction (reads only), queued with the day's record.
    let inboxes = ctx.db.member_inboxes(&digest.id).await?;
    let plan = plan::plan(ctx, digest, &create, inboxes).await?;
    let mut change = Change::begin(ctx).await?;
    if !change
        .tx()
        .digest_note_written(&digest.id, day, Some(&note_text))
        .await?
    {
        // Posted meanwhile by another process: dropping the change writes nothing.
        return Ok(false);
    }
    change.queue(plan).await?;
    change.commit().await?;
    tracing::info!(digest = %digest.id, day, "daily digest posted");
    Ok(true)
}

/// The id of a digest actor's post for `day`.
pub fn note_id(digest_id: &str, day: &str) -> String {
    format!("{digest_id}/notes/{day}")
}

/// The day's post: public, to the digest actor's followers, titles and links only.
fn note(
    group: &Actor,
    digest: &Actor,
    day: &str,
    (events, threads): (&[DigestItem], &[DigestItem]),
    now: i64,
) -> Value {
    let title =
        crate::untrusted::clean_name(group.display_name.as_deref().unwrap_or(&group.username));
    let mut html = format!(
        "<p>New in <a href=\"{}\">{}</a> on {day}</p>",
        escape_html(&group.id),
        escape_html(&title)
    );
    for (heading, items) in [("New events", events), ("Busiest threads", threads)] {
        if items.is_empty() {
            continue;
        }
        let lines: Vec<String> = items
            .iter()
            .map(|item| {
                format!(
                    "<a href=\"{}\">{}</a>",
                    escape_html(&item.id),
                    escape_html(&super::title(item))
                )
            })
            .collect();
        html.push_str(&format!("<p>{heading}:<br>{}</p>", lines.join("<br>")));
    }
    json!({
        "id": note_id(&digest.id, day),
        "type": "Note",
        "attributedTo": digest.id,
        "to": [PUBLIC],
        "cc": [Urls::followers(&digest.id)],
        "content": html,
        "url": group.id,
        "published": rfc3339(now),
    })
}

/// The `Create` of a day's post.
fn create(digest: &Actor, note: Value) -> OutgoingActivity {
    let id = format!("{}#create", note["id"].as_str().unwrap_or_default());
    let mut create = OutgoingActivity::new("Create", id, &digest.id, note, vec![PUBLIC.into()]);
    create.cc = vec![Urls::followers(&digest.id)];
    create
}

/// The stored post of a digest actor for `day`, with its context, as served at its id.
pub async fn stored(ctx: &Context, digest: &Actor, day: &str) -> Result<Value> {
    let text = ctx
        .db
        .digest_note(&digest.id, day)
        .await?
        .ok_or_else(|| FederationError::NotFound(note_id(&digest.id, day)))?;
    let mut note: Value = serde_json::from_str(&text)
        .map_err(|e| FederationError::BadRequest(format!("a stored digest post: {e}")))?;
    note["@context"] = crate::protocol::context();
    Ok(note)
}

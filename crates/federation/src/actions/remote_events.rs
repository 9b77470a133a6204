//! Keeping events from other servers: an event document stored (or its stored copy refreshed)
//! and listed under the followed actor that published or announced it. Called by the inbox's
//! handlers (`inbound::activities::remote_events`) and when a local person answers an event not
//! seen yet (`rsvp`).

use kith_storage::{Actor, NewObject, StorageError, now_millis};
use serde_json::Value;

use crate::events::incoming::parse_event;
use crate::protocol::host_of;
use crate::{Context, FederationError, Result, outbound::fetch};

/// What keeping an event document did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kept {
    /// Stored, or the stored copy refreshed.
    Stored,
    /// The id is this server's: a local event comes from the database, not the network.
    Local,
}

/// Stores an event document from another server, or refreshes the stored copy. `group` is the
/// followed actor that published or announced it (the event is listed under it).
pub async fn keep(ctx: &Context, doc: &Value, group: Option<&Actor>) -> Result<Kept> {
    let mut event = parse_event(doc, ctx.counters()).map_err(FederationError::BadRequest)?;
    if host_of(&event.id) != host_of(&event.attributed_to) {
        return Err(FederationError::Forbidden(format!(
            "{} is attributed to an actor on another host",
            event.id
        )));
    }
    if host_of(&event.id).as_deref() == Some(ctx.urls().domain()) {
        return Ok(Kept::Local);
    }
    let author = fetch::resolve_actor(ctx, &event.attributed_to, false).await?;
    // The organiser is kept only when their actor can be stored (it is referenced by id).
    if let Some(organizer) = event.fields.organizer_id.clone() {
        let known =
            organizer == author.id || fetch::resolve_actor(ctx, &organizer, false).await.is_ok();
        if !known {
            event.fields.organizer_id = None;
        }
    }
    let group_id = group
        .map(|g| g.id.clone())
        .unwrap_or_else(|| author.id.clone());
    match ctx.db.event(&event.id).await {
        Ok(stored) => {
            ctx.db
                .update_event(
                    &stored.object.id,
                    &event.name,
                    doc.get("summary")
                        .and_then(Value::as_str)
                        .unwrap_or_default(),
                    event.content.as_deref(),
                    event.start,
                    event.end,
                    &doc.to_string(),
                    &event.fields,
                )
                .await?;
            tracing::info!(event = %event.id, status = %event.fields.status, "remote event updated");
            return Ok(Kept::Stored);
        }
        Err(StorageError::NotFound) => {}
        Err(other) => return Err(other.into()),
    }
    let new = NewObject {
        id: event.id.clone(),
        kind: kith_storage::ObjectKind::Event,
        local: false,
        attributed_to: author.id.clone(),
        group_id: Some(group_id),
        in_reply_to: None,
        thread_root: None,
        visibility: event.visibility,
        url: event.url.clone(),
        name: Some(event.name.clone()),
        summary: doc
            .get("summary")
            .and_then(Value::as_str)
            .map(str::to_owned),
        content: event.content.clone(),
        sensitive: false,
        start_time: Some(event.start),
        end_time: Some(event.end),
        data: doc.to_string(),
        published_at: event.published.unwrap_or_else(now_millis),
        announce_id: None,
        activity: None,
        held_reason: None,
    };
    match ctx.db.insert_event(&new, &event.fields).await {
        Ok(()) | Err(StorageError::Conflict { .. }) => {
            tracing::info!(event = %event.id, "remote event kept");
            Ok(Kept::Stored)
        }
        Err(other) => Err(other.into()),
    }
}

//! A remote event's group writing to local people alone about the event (another Kith sends the
//! online link of an event this way to each person going: `actions::online_link`). Such a
//! `Create{Note}` is direct (no `Public`, no followers collection) and answers the event, or the
//! event's poll while naming the event as its `context`. It is kept for each local person it
//! is addressed to who answered that event, apart from every other object (storage
//! `event_messages`), and shown to that person alone on the event's page; a notification
//! (saying only that there is a message) links them there.

use kith_storage::ActorKind;
use kith_storage::{Actor, EventMessage, StorageError, StoredEvent, Visibility, now_millis};
use serde_json::Value;

use super::Outcome;
use crate::actions::posting;
use crate::outbound::change::Change;
use crate::protocol::IncomingObject;
use crate::{Context, Result, sanitize};

/// Keeps a direct message about a remote event for the local people it is addressed to who
/// answered that event; anything else is ignored (a direct message to a person is not Kith's
/// to show: Kith has no private messages between people).
pub async fn receive(
    ctx: &Context,
    post: &IncomingObject,
    document: &Value,
    sender: &Actor,
) -> Result<Outcome> {
    if posting::visibility(post, sender) != Visibility::Direct {
        return Ok(Outcome::ignored("not addressed to a local group"));
    }
    let Some(event) = event_of(ctx, post, document, sender).await? else {
        return Ok(Outcome::ignored(
            "a direct message that is not about an event of its sender",
        ));
    };
    let mut recipients = Vec::new();
    for id in post.to.iter().chain(&post.cc) {
        if recipients.contains(id) {
            continue;
        }
        let person = match ctx.db.actor(id).await {
            Ok(actor) if actor.local && actor.kind == ActorKind::Person => actor,
            Ok(_) | Err(StorageError::NotFound) => continue,
            Err(other) => return Err(other.into()),
        };
        // Only someone who answered the event hears from its group this way: a message to
        // anyone else would be a way to write to any local person.
        match ctx.db.rsvp(&event.object.id, &person.id).await {
            Ok(_) => recipients.push(person.id),
            Err(StorageError::NotFound) => {}
            Err(other) => return Err(other.into()),
        }
    }
    if recipients.is_empty() {
        return Ok(Outcome::ignored(
            "a direct message about an event to no local person who answered it",
        ));
    }
    let content = sanitize::html(
        ctx.counters(),
        &post.id,
        post.content.as_deref().unwrap_or_default(),
    );
    let received_at = now_millis();
    let notice = crate::actions::mail::notify::event_message(ctx, &event);
    // The messages and the notices telling each person where to read theirs commit together.
    let mut change = Change::begin(ctx).await?;
    for recipient_id in recipients {
        let message = EventMessage {
            id: post.id.clone(),
            event_id: event.object.id.clone(),
            recipient_id,
            sender_id: sender.id.clone(),
            content: content.clone(),
            received_at,
        };
        if change.tx().keep_event_message(&message).await? {
            change.notify(&message.recipient_id, &notice).await?;
        }
    }
    change.commit().await?;
    tracing::info!(event = %event.object.id, note = %post.id, "a private message about an event kept");
    Ok(Outcome::Applied)
}

/// The remote event the message is about: the one it answers, else its `context` (Kith's
/// message answers the event's poll, which other Kith servers do not keep), when the sender is
/// that event's author or group.
async fn event_of(
    ctx: &Context,
    post: &IncomingObject,
    document: &Value,
    sender: &Actor,
) -> Result<Option<StoredEvent>> {
    let context = document.get("context").and_then(crate::protocol::id_of);
    for id in post.in_reply_to.as_deref().into_iter().chain(context) {
        let event = match ctx.db.event(id).await {
            Ok(event) => event,
            Err(StorageError::NotFound) => continue,
            Err(other) => return Err(other.into()),
        };
        let from_its_group = event.object.attributed_to == sender.id
            || event.object.group_id.as_deref() == Some(sender.id.as_str());
        if !event.object.local && from_its_group {
            return Ok(Some(event));
        }
    }
    Ok(None)
}

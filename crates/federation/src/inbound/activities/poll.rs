//! One-click RSVP for Mastodon members, who cannot send `Join`: each local event that takes
//! answers has a poll (Going / Maybe / Not going). A vote arrives as
//! `Create{Note{name: <option>, inReplyTo: <poll>}}` and becomes an answer like any other.
//! Mastodon allows one vote per poll, so to change their mind a member replies "going",
//! "maybe" or "not going" to the poll, to the event, or to the group's message confirming their
//! answer; the latest answer counts (FEDERATION.md).

use kith_storage::{Actor, ObjectKind, RsvpStatus, RsvpVia, StorageError, StoredEvent, Visibility};
use serde_json::Value;

use super::Outcome;
use crate::actions::posting;
use crate::actions::rsvp::{Answer, answer_local};
use crate::events::document::POLL_OPTIONS;
use crate::protocol::{Activity, id_of};
use crate::{Context, FederationError, Result};

/// What a reply's `inReplyTo` points at.
enum Target {
    /// The event's poll, or the group's message about an answer.
    Poll(StoredEvent),
    /// The event itself: a reply without an answer in it is an ordinary comment.
    Event(StoredEvent),
}

async fn target(ctx: &Context, id: &str) -> Result<Option<Target>> {
    match ctx.db.event_by_question(id).await {
        Ok(event) => return Ok(Some(Target::Poll(event))),
        Err(StorageError::NotFound) => {}
        Err(other) => return Err(other.into()),
    }
    let object = match ctx.db.object(id).await {
        Ok(object) if object.local => object,
        Ok(_) | Err(StorageError::NotFound) => return Ok(None),
        Err(other) => return Err(other.into()),
    };
    if object.kind == ObjectKind::Event {
        return Ok(Some(Target::Event(ctx.db.event(&object.id).await?)));
    }
    // The group's direct message confirming an answer replies to the poll or the event.
    if object.kind == ObjectKind::Note
        && object.visibility == Visibility::Direct
        && let Some(parent) = &object.in_reply_to
    {
        return Ok(match Box::pin(target(ctx, parent)).await? {
            Some(Target::Event(event) | Target::Poll(event)) => Some(Target::Poll(event)),
            None => None,
        });
    }
    Ok(None)
}

/// The answer in a poll option's name or a reply's text: "going", "maybe", "not going" (also
/// "yes" and "no"), after any @mentions.
pub fn answer_in(text: &str) -> Option<RsvpStatus> {
    // The answer is in the first words: only they are read, however long the reply.
    let (plain, _) = crate::sanitize::text_prefix(text, 64);
    let plain = plain.to_lowercase();
    let words: Vec<&str> = plain
        .split_whitespace()
        .filter(|w| !w.starts_with('@'))
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric() && c != '\''))
        .filter(|w| !w.is_empty())
        .collect();
    match words.as_slice() {
        ["not", "going", ..] | ["no", ..] | ["can't", ..] | ["cannot", ..] => {
            Some(RsvpStatus::NotGoing)
        }
        ["going", ..] | ["yes", ..] => Some(RsvpStatus::Going),
        ["maybe", ..] => Some(RsvpStatus::Maybe),
        _ => None,
    }
}

/// Applies a vote or an answering reply; `None` when the `Create` is not one.
pub async fn receive(
    ctx: &Context,
    activity: &Activity,
    sender: &Actor,
) -> Result<Option<Outcome>> {
    let Some(parent) = activity.object.get("inReplyTo").and_then(id_of) else {
        return Ok(None);
    };
    let Some(target) = target(ctx, parent).await? else {
        return Ok(None);
    };
    let document = posting::verified_object(ctx, &activity.object, sender).await?;
    if document.get("attributedTo").and_then(id_of) != Some(sender.id.as_str()) {
        return Err(FederationError::Forbidden(
            "a vote must be sent by its author".into(),
        ));
    }
    let text = |key: &str| document.get(key).and_then(Value::as_str);
    let vote = text("name").and_then(|name| {
        POLL_OPTIONS
            .iter()
            .find(|(option, _)| option.eq_ignore_ascii_case(name.trim()))
            .map(|(_, status)| *status)
    });
    let answer = vote.or_else(|| text("content").and_then(answer_in));
    let (event, answer) = match (target, answer) {
        (Target::Poll(event) | Target::Event(event), Some(answer)) => (event, answer),
        (Target::Event(_), None) => return Ok(None),
        (Target::Poll(_), None) => {
            return Ok(Some(Outcome::ignored(
                "a reply to an event poll without an answer",
            )));
        }
    };
    Ok(Some(
        match answer_local(ctx, &event, sender, Some(answer), None, RsvpVia::Poll).await? {
            Answer::Recorded(_) => Outcome::Applied,
            Answer::Ignored(reason) | Answer::Refused(reason) => Outcome::ignored(reason),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_from_replies() {
        let reply = "<p><span class=\"h-card\"><a href=\"https://k/g/run\">@<span>run</span></a></span> Not going, sorry</p>";
        assert_eq!(answer_in(reply), Some(RsvpStatus::NotGoing));
        assert_eq!(
            answer_in("@run@kith.example maybe!"),
            Some(RsvpStatus::Maybe)
        );
        assert_eq!(answer_in("Going"), Some(RsvpStatus::Going));
        assert_eq!(answer_in("What time is it?"), None);
    }
}

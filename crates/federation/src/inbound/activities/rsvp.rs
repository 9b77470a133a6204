//! Answers to local events from other servers, in every form servers send
//! (docs/protocol.md, Events): `Join`, `Leave`,
//! `Undo{Join}` (Mobilizon); `Accept`/`TentativeAccept`/`Reject` of the Event and
//! `Undo{Accept}` (Friendica, Hubzilla); `Accept{Invite{Event}}`. All go through
//! [`answer_local`], so capacity and the waitlist hold on every path.

use kith_storage::{Actor, RsvpStatus, RsvpVia, StorageError, StoredEvent};
use serde_json::Value;

use super::Outcome;
use crate::actions::rsvp::{Answer, answer_local};
use crate::protocol::{Activity, id_of};
use crate::{Context, Result};

/// The local event an RSVP activity is about: its object, or the Event inside an `Invite`.
async fn local_event(ctx: &Context, object: &Value) -> Result<Option<StoredEvent>> {
    let inner = match object.get("type").and_then(Value::as_str) {
        Some("Invite") => object.get("object").unwrap_or(&Value::Null),
        _ => object,
    };
    let Some(id) = id_of(inner) else {
        return Ok(None);
    };
    match ctx.db.event(id).await {
        Ok(event) if event.object.local => Ok(Some(event)),
        Ok(_) | Err(StorageError::NotFound) => Ok(None),
        Err(other) => Err(other.into()),
    }
}

/// Applies `Join`, `Leave`, or `Accept`/`TentativeAccept`/`Reject` when its object is a local
/// event; `None` when it is about something else (a follow, a remote event).
pub async fn receive(
    ctx: &Context,
    activity: &Activity,
    sender: &Actor,
) -> Result<Option<Outcome>> {
    let Some(event) = local_event(ctx, &activity.object).await? else {
        return Ok(None);
    };
    let (wanted, via) = match activity.kind.as_str() {
        "Join" => (Some(RsvpStatus::Going), RsvpVia::Join),
        "Leave" => (None, RsvpVia::Join),
        "Accept" => (Some(RsvpStatus::Going), RsvpVia::Accept),
        "TentativeAccept" => (Some(RsvpStatus::Maybe), RsvpVia::Accept),
        "Reject" => (Some(RsvpStatus::NotGoing), RsvpVia::Accept),
        _ => return Ok(None),
    };
    let activity_id = (via == RsvpVia::Join).then_some(activity.id.as_str());
    let answer = answer_local(ctx, &event, sender, wanted, activity_id, via).await?;
    Ok(Some(outcome(&answer)))
}

/// `Undo{Join}`, `Undo{Accept}`, `Undo{TentativeAccept}` of a local event: the answer is
/// withdrawn (and a place may pass to the waitlist).
pub async fn receive_undo(
    ctx: &Context,
    activity: &Activity,
    sender: &Actor,
) -> Result<Option<Outcome>> {
    let inner = &activity.object;
    if inner.get("actor").and_then(id_of) != Some(sender.id.as_str()) {
        return Ok(None);
    }
    let Some(event) = local_event(ctx, inner.get("object").unwrap_or(&Value::Null)).await? else {
        return Ok(None);
    };
    let via = match activity.object_kind() {
        Some("Join") => RsvpVia::Join,
        _ => RsvpVia::Accept,
    };
    let answer = answer_local(ctx, &event, sender, None, None, via).await?;
    Ok(Some(outcome(&answer)))
}

fn outcome(answer: &Answer) -> Outcome {
    match answer {
        Answer::Recorded(_) => Outcome::Applied,
        Answer::Ignored(reason) | Answer::Refused(reason) => Outcome::ignored(reason.clone()),
    }
}

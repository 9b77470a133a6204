//! What Kith does with each activity it receives, and the activities it sends in answer. The
//! inbox (`crate::inbound::inbox`) has already checked the signature, the sender and the ids; these
//! handlers apply one verified activity.

mod create;
mod delete;
mod event_messages;
mod flag;
pub(crate) mod follow;
mod followed;
mod invite;
mod poll;
mod private_posts;
pub(crate) mod remote_events;
mod rsvp;
mod update;

use kith_storage::Actor;

use crate::protocol::Activity;
use crate::{Context, Result};

/// What became of an activity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// It was applied.
    Applied,
    /// It was understood but had nothing to do here; the reason is logged.
    Ignored(String),
    /// It was checked and queued for the inbox worker (`crate::inbound::queue`).
    Queued,
}

impl Outcome {
    fn ignored(reason: impl Into<String>) -> Self {
        Outcome::Ignored(reason.into())
    }
}

/// Applies one verified activity sent by `sender`.
pub async fn apply(ctx: &Context, activity: &Activity, sender: &Actor) -> Result<Outcome> {
    match activity.kind.as_str() {
        "Follow" => follow::receive_follow(ctx, activity, sender).await,
        "Undo" => receive_undo(ctx, activity, sender).await,
        "Join" | "Leave" | "TentativeAccept" => match rsvp::receive(ctx, activity, sender).await? {
            Some(outcome) => Ok(outcome),
            None => Ok(Outcome::ignored(format!(
                "{} of something other than a local event",
                activity.kind
            ))),
        },
        "Accept" | "Reject" | "Ignore" => receive_answer(ctx, activity, sender).await,
        "Create" => create::receive_create(ctx, activity, sender).await,
        "Update" => update::receive_update(ctx, activity, sender).await,
        "Delete" => delete::receive_delete(ctx, activity, sender).await,
        "Announce" => followed::receive_announce(ctx, activity, sender).await,
        "Flag" => flag::receive_flag(ctx, activity, sender).await,
        "Invite" => invite::receive_invite(ctx, activity, sender).await,
        other => Ok(Outcome::ignored(format!(
            "{other} activities are not handled"
        ))),
    }
}

/// `Accept`, `Reject` and `Ignore` answer many things: an RSVP to a local event (Friendica),
/// an invitation, a local person's `Join` of a remote event, or a local actor's `Follow`.
async fn receive_answer(ctx: &Context, activity: &Activity, sender: &Actor) -> Result<Outcome> {
    if let Some(outcome) = rsvp::receive(ctx, activity, sender).await? {
        return Ok(outcome);
    }
    if let Some(outcome) = remote_events::receive_join_answer(ctx, activity, sender).await? {
        return Ok(outcome);
    }
    match activity.kind.as_str() {
        "Accept" => follow::receive_accept(ctx, activity, sender).await,
        "Reject" => follow::receive_reject(ctx, activity, sender).await,
        _ => Ok(Outcome::ignored("Ignore of something other than a Join")),
    }
}

async fn receive_undo(ctx: &Context, activity: &Activity, sender: &Actor) -> Result<Outcome> {
    match activity.object_kind() {
        Some("Follow") => follow::receive_undo_follow(ctx, activity, sender).await,
        Some("Join" | "Accept" | "TentativeAccept") => {
            match rsvp::receive_undo(ctx, activity, sender).await? {
                Some(outcome) => Ok(outcome),
                None => Ok(Outcome::ignored("Undo of an answer to no local event")),
            }
        }
        Some(kind) => Ok(Outcome::ignored(format!("Undo of {kind} is not handled"))),
        None => Ok(Outcome::ignored("Undo without an embedded object")),
    }
}

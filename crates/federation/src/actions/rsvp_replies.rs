//! Telling people what became of their answers, the way they answered: `Accept{Join}`,
//! `Reject{Join}` or `Ignore{Join}` for `Join`, a direct message from the group for poll votes
//! (and for Friendica's answers when they wait). Replies go to the participant and the
//! organiser only, never to the other participants (docs/protocol.md, Events).
//!
//! Each reply is queued in the transaction of the answer it tells of (`crate::outbound::change`): reads
//! (who answers, the inboxes) happen while it is open, writes only through it.

use kith_storage::{Actor, Rsvp, RsvpStatus, RsvpVia, StoredEvent, now_millis};
use serde_json::json;

use super::online_link;
use crate::actions::event_notes::note;
use crate::outbound::change::Change;
use crate::protocol::{OutgoingActivity, rfc3339};
use crate::urls::Urls;
use crate::{Context, Result, outbound::plan};

/// What became of an answer to a local event.
#[derive(Clone, Debug)]
pub enum Answer {
    /// Recorded (the status may be `waitlisted` or `pending` rather than what was asked).
    Recorded(Box<kith_storage::RsvpChange>),
    /// The event takes no answers here (join mode external or none): `Ignore{Join}`.
    Ignored(String),
    /// Refused: the event is cancelled, over or deleted: `Reject{Join}`.
    Refused(String),
}

/// Tells the answering person what became of their answer, and the promoted ones theirs.
pub(crate) async fn tell(
    ctx: &Context,
    change: &mut Change<'_>,
    event: &StoredEvent,
    person: &Actor,
    activity_id: Option<&str>,
    via: RsvpVia,
    answer: &Answer,
) -> Result<()> {
    if person.local {
        if let Answer::Recorded(recorded) = answer {
            tell_promoted(ctx, change, event, &recorded.promoted).await?;
        }
        return Ok(());
    }
    match (answer, via) {
        (Answer::Recorded(recorded), _) => {
            let status = recorded.after.as_ref().map(|r| r.status);
            match (via, status) {
                (RsvpVia::Join, Some(RsvpStatus::Going)) if recorded.changed() => {
                    answer_join(ctx, change, event, "Accept", person, activity_id).await?;
                }
                (RsvpVia::Join, _) => {}
                (RsvpVia::Poll, _) => {
                    note(ctx, change, event, person, &status_text(event, status)).await?
                }
                (_, Some(RsvpStatus::Waitlisted | RsvpStatus::Pending)) => {
                    note(ctx, change, event, person, &status_text(event, status)).await?;
                }
                _ => {}
            }
            if status == Some(RsvpStatus::Going) && recorded.changed() {
                online_link::tell_going(ctx, change, event, person).await?;
            }
            tell_promoted(ctx, change, event, &recorded.promoted).await?;
        }
        (Answer::Refused(_), RsvpVia::Join) => {
            answer_join(ctx, change, event, "Reject", person, activity_id).await?;
        }
        (Answer::Ignored(_), RsvpVia::Join) => {
            answer_join(ctx, change, event, "Ignore", person, activity_id).await?;
        }
        (Answer::Refused(reason) | Answer::Ignored(reason), _) => {
            note(
                ctx,
                change,
                event,
                person,
                &format!("Your answer was not recorded: {reason}."),
            )
            .await?;
        }
    }
    Ok(())
}

/// Tells people who moved up from the waitlist that they have a place.
pub async fn tell_promoted(
    ctx: &Context,
    change: &mut Change<'_>,
    event: &StoredEvent,
    promoted: &[Rsvp],
) -> Result<()> {
    for rsvp in promoted {
        let Ok(person) = ctx.db.actor(&rsvp.actor_id).await else {
            continue;
        };
        tracing::info!(event = %event.object.id, person = %person.id, "moved up from the waitlist");
        change
            .notify(
                &person.id,
                &crate::actions::mail::notify::promoted(ctx, event),
            )
            .await?;
        if person.local {
            continue;
        }
        match rsvp.via {
            RsvpVia::Join => {
                answer_join(
                    ctx,
                    change,
                    event,
                    "Accept",
                    &person,
                    rsvp.activity_id.as_deref(),
                )
                .await?;
            }
            _ => {
                let text = format!(
                    "A place opened up: {}",
                    status_text(event, Some(RsvpStatus::Going))
                );
                note(ctx, change, event, &person, &text).await?;
            }
        }
        online_link::tell_going(ctx, change, event, &person).await?;
    }
    Ok(())
}

/// The local actor who answers for an event: its organiser, else its group.
pub(crate) async fn answerer(ctx: &Context, event: &StoredEvent) -> Result<Actor> {
    if let Some(id) = &event.fields.organizer_id
        && let Ok(actor) = ctx.db.actor(id).await
        && actor.local
    {
        return Ok(actor);
    }
    Ok(ctx
        .db
        .actor(event.object.group_id.as_deref().unwrap_or_default())
        .await?)
}

/// `Accept{Join}`, `Reject{Join}` or `Ignore{Join}`, addressed to the participant (and the
/// organiser) only: never to the other participants (docs/protocol.md, Events).
pub(crate) async fn answer_join(
    ctx: &Context,
    change: &mut Change<'_>,
    event: &StoredEvent,
    kind: &'static str,
    person: &Actor,
    join_id: Option<&str>,
) -> Result<()> {
    let from = answerer(ctx, event).await?;
    let join = json!({
        "id": join_id,
        "type": "Join",
        "actor": person.id,
        "object": event.object.id,
    });
    let mut answer = OutgoingActivity::new(
        kind,
        Urls::new_activity(&from.id),
        &from.id,
        join,
        vec![person.id.clone()],
    );
    answer.cc = event
        .fields
        .organizer_id
        .iter()
        .filter(|o| **o != from.id)
        .cloned()
        .collect();
    answer.published = Some(rfc3339(now_millis()));
    let plan = plan::plan(ctx, &from, &answer, vec![person.inbox_url.clone()]).await?;
    change.queue(plan).await?;
    Ok(())
}

pub(crate) fn status_text(event: &StoredEvent, status: Option<RsvpStatus>) -> String {
    let what = match status {
        Some(RsvpStatus::Going) => "you are going to",
        Some(RsvpStatus::Maybe) => "you might come to",
        Some(RsvpStatus::NotGoing) => "you are not going to",
        Some(RsvpStatus::Waitlisted) => "the event is full: you are on the waitlist for",
        Some(RsvpStatus::Pending) => "an organiser will confirm your place at",
        Some(RsvpStatus::Rejected) => "an organiser declined your place at",
        None => "your answer was withdrawn for",
    };
    format!(
        "Noted: {what} {}.",
        event.object.name.as_deref().unwrap_or("the event")
    )
}

//! Answers to events. One path decides every answer to a local event, however it came (a local
//! person, `Join`, `Accept` on the Event, a poll vote), so capacity, approval and the waitlist
//! hold the same everywhere; people are told back the way they answered. Local people answer
//! remote events with `Join`/`Leave` (Mobilizon, Kith) or `Accept`/`TentativeAccept`/`Reject`
//! (Friendica).

use std::collections::HashMap;

use kith_storage::{
    Account, Actor, EventStatus, JoinMode, Rsvp, RsvpStatus, RsvpStyle, RsvpVia, StorageError,
    StoredEvent, now_millis,
};
use serde_json::{Value, json};

use crate::actions::acting::By;
use crate::actions::acting::find_actor;
use crate::actions::event_lookup::organised_event;
use crate::actions::event_notes::note;
use crate::actions::membership::moderated_group;
use crate::actions::online_link;
pub use crate::actions::rsvp_replies::Answer;
pub use crate::actions::rsvp_replies::tell_promoted;
use crate::actions::rsvp_replies::{answer_join, status_text, tell};
use crate::outbound::change::Change;
use crate::protocol::{OutgoingActivity, rfc3339};
use crate::urls::Urls;
use crate::{Context, FederationError, Result, outbound::fetch, outbound::plan};

/// Decides and records an answer to a local event, and tells whoever needs to hear.
pub async fn answer_local(
    ctx: &Context,
    event: &StoredEvent,
    person: &Actor,
    wanted: Option<RsvpStatus>,
    activity_id: Option<&str>,
    via: RsvpVia,
) -> Result<Answer> {
    let o = &event.object;
    let coming = matches!(wanted, Some(RsvpStatus::Going | RsvpStatus::Maybe));
    let refusal = if let Some(reason) =
        online_link::answer_refusal(ctx, o.group_id.as_deref(), &person.id).await?
    {
        Some(reason)
    } else if o.deleted_at.is_some() {
        Some("the event was deleted")
    } else if event.fields.status == EventStatus::Cancelled {
        Some("the event is cancelled")
    } else if o.end_time.is_some_and(|end| end < now_millis()) {
        Some("the event is over")
    } else {
        None
    };
    // The answer and the replies telling of it commit together.
    let mut change = Change::begin(ctx).await?;
    let answer = match (refusal, event.fields.join_mode) {
        (Some(reason), _) if coming => Answer::Refused(reason.into()),
        (_, JoinMode::External | JoinMode::None) if coming => {
            Answer::Ignored("the event takes no registrations here".into())
        }
        (_, mode) => {
            let status = match wanted {
                Some(RsvpStatus::Going) if mode == JoinMode::Approval => Some(RsvpStatus::Pending),
                other => other,
            };
            let recorded = change
                .tx()
                .answer_event(&o.id, &person.id, status, activity_id, via)
                .await?;
            Answer::Recorded(Box::new(recorded))
        }
    };
    tell(ctx, &mut change, event, person, activity_id, via, &answer).await?;
    if let Answer::Recorded(recorded) = &answer {
        crate::actions::mail::notify::new_answer(&mut change, event, person, recorded).await?;
    }
    change.commit().await?;
    Ok(answer)
}

/// A local person's answer to any event, local or remote (`status: None` withdraws it).
pub async fn rsvp(
    ctx: &Context,
    account: &Account,
    event_ref: &str,
    status: Option<RsvpStatus>,
) -> Result<Option<Rsvp>> {
    let person = ctx.db.actor(&account.actor_id).await?;
    let id = if event_ref.contains('/') {
        event_ref.to_owned()
    } else {
        ctx.urls().object(event_ref)
    };
    let event = match ctx.db.event(&id).await {
        Ok(event) => event,
        Err(StorageError::NotFound) if !id.starts_with(ctx.urls().base().as_str()) => {
            let doc = fetch::fetch_json(ctx, &id).await?;
            crate::actions::remote_events::keep(ctx, &doc, None).await?;
            ctx.db.event(&id).await?
        }
        Err(StorageError::NotFound) => {
            return Err(FederationError::NotFound(format!("no event {id}")));
        }
        Err(other) => return Err(other.into()),
    };
    if event.object.local {
        return match answer_local(ctx, &event, &person, status, None, RsvpVia::Local).await? {
            Answer::Recorded(change) => Ok(change.after.clone()),
            Answer::Ignored(reason) | Answer::Refused(reason) => {
                Err(FederationError::BadRequest(reason))
            }
        };
    }
    answer_remote(ctx, &event, &person, status).await
}

/// Sends a local person's answer to a remote event, in the form its server understands.
async fn answer_remote(
    ctx: &Context,
    event: &StoredEvent,
    person: &Actor,
    status: Option<RsvpStatus>,
) -> Result<Option<Rsvp>> {
    let event_id = &event.object.id;
    let host = ctx.db.actor(&event.object.attributed_to).await?;
    let mut to = vec![host.id.clone()];
    to.extend(
        event
            .fields
            .organizer_id
            .iter()
            .filter(|o| **o != host.id)
            .cloned(),
    );
    let mut inboxes = vec![plan::inbox_of(&host)];
    for id in &to[1..] {
        if let Ok(actor) = fetch::resolve_actor(ctx, id, false).await {
            inboxes.push(plan::inbox_of(&actor));
        }
    }
    let style = event.fields.rsvp_style;
    let activity_id = Urls::new_activity(&person.id);
    let previous = ctx.db.rsvp(event_id, &person.id).await.ok();
    let (kind, object, recorded, via): (&'static str, Value, RsvpStatus, RsvpVia) =
        match (style, status) {
            (RsvpStyle::Join, Some(RsvpStatus::Going)) => {
                ("Join", json!(event_id), RsvpStatus::Pending, RsvpVia::Join)
            }
            (RsvpStyle::Join, Some(RsvpStatus::Maybe)) => {
                // Join-style servers know no "maybe": it stays in this person's calendar only.
                return Ok(Some(
                    ctx.db
                        .record_rsvp(
                            event_id,
                            &person.id,
                            RsvpStatus::Maybe,
                            None,
                            RsvpVia::Local,
                        )
                        .await?,
                ));
            }
            (RsvpStyle::Join, _) => (
                "Leave",
                json!(event_id),
                RsvpStatus::NotGoing,
                RsvpVia::Join,
            ),
            (RsvpStyle::Accept, Some(RsvpStatus::Going)) => (
                "Accept",
                json!(event_id),
                RsvpStatus::Going,
                RsvpVia::Accept,
            ),
            (RsvpStyle::Accept, Some(RsvpStatus::Maybe)) => (
                "TentativeAccept",
                json!(event_id),
                RsvpStatus::Maybe,
                RsvpVia::Accept,
            ),
            (RsvpStyle::Accept, _) => (
                "Reject",
                json!(event_id),
                RsvpStatus::NotGoing,
                RsvpVia::Accept,
            ),
        };
    if kind == "Leave" && previous.is_none() {
        return Ok(None);
    }
    let mut activity = OutgoingActivity::new(kind, activity_id.clone(), &person.id, object, to);
    activity.published = Some(rfc3339(now_millis()));
    let plan = plan::plan(ctx, person, &activity, inboxes).await?;
    // The answer recorded and the answer sent commit together.
    let mut change = Change::begin(ctx).await?;
    let rsvp = change
        .tx()
        .record_rsvp(
            event_id,
            &person.id,
            recorded,
            (kind == "Join").then_some(activity_id.as_str()),
            via,
        )
        .await?;
    change.queue(plan).await?;
    change.commit().await?;
    Ok(Some(rsvp))
}

/// An organiser accepts or declines someone waiting for approval (approval join mode).
pub async fn decide(
    ctx: &Context,
    event_ref: &str,
    who: &str,
    approve: bool,
    by: By<'_>,
) -> Result<Rsvp> {
    let (event, _group) = organised_event(ctx, event_ref, by).await?;
    let person = find_actor(ctx, who).await?;
    let current = match ctx.db.rsvp(&event.object.id, &person.id).await {
        Ok(r) => r,
        Err(StorageError::NotFound) => {
            return Err(FederationError::NotFound(format!("{who} has not answered")));
        }
        Err(other) => return Err(other.into()),
    };
    let via = current.via;
    let wanted = if approve {
        RsvpStatus::Going
    } else {
        RsvpStatus::Rejected
    };
    // The decision and the replies telling of it commit together.
    let mut change = Change::begin(ctx).await?;
    let decided = change
        .tx()
        .answer_event(&event.object.id, &person.id, Some(wanted), None, via)
        .await?;
    let after = decided
        .after
        .clone()
        .ok_or_else(|| FederationError::NotFound(who.into()))?;
    let join_id = current.activity_id.as_deref();
    if !person.local {
        match (via, approve, after.status) {
            (RsvpVia::Join, true, RsvpStatus::Going) => {
                answer_join(ctx, &mut change, &event, "Accept", &person, join_id).await?
            }
            (RsvpVia::Join, false, _) => {
                answer_join(ctx, &mut change, &event, "Reject", &person, join_id).await?
            }
            (RsvpVia::Join, _, _) => {}
            _ => {
                note(
                    ctx,
                    &mut change,
                    &event,
                    &person,
                    &status_text(&event, Some(after.status)),
                )
                .await?
            }
        }
    }
    if approve && decided.changed() && after.status == RsvpStatus::Going {
        online_link::tell_going(ctx, &mut change, &event, &person).await?;
    }
    tell_promoted(ctx, &mut change, &event, &decided.promoted).await?;
    change.commit().await?;
    Ok(after)
}

/// Everyone who answered a local event, with their answer (organisers only).
pub async fn answers(
    ctx: &Context,
    event_ref: &str,
    by: By<'_>,
) -> Result<(StoredEvent, Vec<(Actor, Rsvp)>)> {
    let (event, _group) = organised_event(ctx, event_ref, by).await?;
    let list = answers_with_people(ctx, &event).await?;
    Ok((event, list))
}

/// The answers to an event already read, for an organiser of its group (`by`, checked against
/// `group`): what the event page shows. `None` when `by` does not organise the group.
pub async fn answers_for_organiser(
    ctx: &Context,
    event: &StoredEvent,
    group: &Actor,
    by: By<'_>,
) -> Result<Option<Vec<(Actor, Rsvp)>>> {
    match moderated_group(ctx, &group.username, by).await {
        Ok(_) => Ok(Some(answers_with_people(ctx, event).await?)),
        Err(FederationError::Forbidden(_)) => Ok(None),
        Err(other) => Err(other),
    }
}

/// Every answer with the person who gave it (one answer per person and event), going first and
/// refused last: one query per status and one for all the people, however many answered.
async fn answers_with_people(ctx: &Context, event: &StoredEvent) -> Result<Vec<(Actor, Rsvp)>> {
    let mut rsvps = Vec::new();
    for status in [
        RsvpStatus::Going,
        RsvpStatus::Waitlisted,
        RsvpStatus::Pending,
        RsvpStatus::Maybe,
        RsvpStatus::NotGoing,
        RsvpStatus::Rejected,
    ] {
        rsvps.extend(ctx.db.rsvps_with_status(&event.object.id, status).await?);
    }
    let ids: Vec<&str> = rsvps.iter().map(|r| r.actor_id.as_str()).collect();
    let mut people: HashMap<String, Actor> = ctx
        .db
        .actors_by_ids(&ids)
        .await?
        .into_iter()
        .map(|a| (a.id.clone(), a))
        .collect();
    Ok(rsvps
        .into_iter()
        .filter_map(|r| Some((people.remove(&r.actor_id)?, r)))
        .collect())
}

//! Answers to events. One path decides every answer to a local event, however it came (a local
//! person, `Join`, `Accept` on the Event, a poll vote), so capacity, approval and the waitlist
//! hold the same everywhere; people are told back the way they answered. Local people answer
//! remote events with `Join`/`Leave` (Mobilizon, Kith) or `Accept`/`TentativeAccept`/`Reject`
//! (Friendica).

use kith_storage::{
    Account, Actor, EventStatus, JoinMode, NewObject, Rsvp, RsvpChange, RsvpStatus, RsvpStyle,
    RsvpVia, StorageError, StoredEvent, Visibility, now_millis,
};
use serde_json::{Value, json};

use crate::actions::events::organised_event;
use crate::actions::membership::find_actor;
use crate::documents::escape_html;
use crate::protocol::{OutgoingActivity, rfc3339};
use crate::urls::Urls;
use crate::{Context, FederationError, Result, deliver, fetch};

/// What became of an answer to a local event.
#[derive(Clone, Debug)]
pub enum Answer {
    /// Recorded (the status may be `waitlisted` or `pending` rather than what was asked).
    Recorded(Box<RsvpChange>),
    /// The event takes no answers here (join mode external or none): `Ignore{Join}`.
    Ignored(String),
    /// Refused: the event is cancelled, over or deleted: `Reject{Join}`.
    Refused(String),
}

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
    let refusal = if o.deleted_at.is_some() {
        Some("the event was deleted")
    } else if event.fields.status == EventStatus::Cancelled.as_str() {
        Some("the event is cancelled")
    } else if o.end_time.is_some_and(|end| end < now_millis()) {
        Some("the event is over")
    } else {
        None
    };
    let answer = match (refusal, JoinMode::parse(&event.fields.join_mode)) {
        (Some(reason), _) if coming => Answer::Refused(reason.into()),
        (_, Some(JoinMode::External | JoinMode::None)) if coming => {
            Answer::Ignored("the event takes no registrations here".into())
        }
        (_, mode) => {
            let status = match wanted {
                Some(RsvpStatus::Going) if mode == Some(JoinMode::Approval) => {
                    Some(RsvpStatus::Pending)
                }
                other => other,
            };
            let change = ctx
                .db
                .answer_event(&o.id, &person.id, status, activity_id, via)
                .await?;
            Answer::Recorded(Box::new(change))
        }
    };
    tell(ctx, event, person, activity_id, via, &answer).await?;
    Ok(answer)
}

/// Tells the answering person what became of their answer, and the promoted ones theirs.
async fn tell(
    ctx: &Context,
    event: &StoredEvent,
    person: &Actor,
    activity_id: Option<&str>,
    via: RsvpVia,
    answer: &Answer,
) -> Result<()> {
    if person.local {
        if let Answer::Recorded(change) = answer {
            tell_promoted(ctx, event, &change.promoted).await?;
        }
        return Ok(());
    }
    match (answer, via) {
        (Answer::Recorded(change), _) => {
            let status = change
                .after
                .as_ref()
                .and_then(|r| RsvpStatus::parse(&r.status));
            match (via, status) {
                (RsvpVia::Join, Some(RsvpStatus::Going)) if change.changed() => {
                    answer_join(ctx, event, "Accept", person, activity_id).await?;
                }
                (RsvpVia::Join, _) => {}
                (RsvpVia::Poll, _) => note(ctx, event, person, &status_text(event, status)).await?,
                (_, Some(RsvpStatus::Waitlisted | RsvpStatus::Pending)) => {
                    note(ctx, event, person, &status_text(event, status)).await?;
                }
                _ => {}
            }
            tell_promoted(ctx, event, &change.promoted).await?;
        }
        (Answer::Refused(_), RsvpVia::Join) => {
            answer_join(ctx, event, "Reject", person, activity_id).await?;
        }
        (Answer::Ignored(_), RsvpVia::Join) => {
            answer_join(ctx, event, "Ignore", person, activity_id).await?;
        }
        (Answer::Refused(reason) | Answer::Ignored(reason), _) => {
            note(
                ctx,
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
pub async fn tell_promoted(ctx: &Context, event: &StoredEvent, promoted: &[Rsvp]) -> Result<()> {
    for rsvp in promoted {
        let Ok(person) = ctx.db.actor(&rsvp.actor_id).await else {
            continue;
        };
        tracing::info!(event = %event.object.id, person = %person.id, "moved up from the waitlist");
        if person.local {
            continue;
        }
        match RsvpVia::parse(&rsvp.via) {
            Some(RsvpVia::Join) => {
                answer_join(ctx, event, "Accept", &person, rsvp.activity_id.as_deref()).await?;
            }
            _ => {
                let text = format!(
                    "A place opened up: {}",
                    status_text(event, Some(RsvpStatus::Going))
                );
                note(ctx, event, &person, &text).await?;
            }
        }
    }
    Ok(())
}

/// The local actor who answers for an event: its organiser, else its group.
async fn answerer(ctx: &Context, event: &StoredEvent) -> Result<Actor> {
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
/// organiser) only: never to the other participants (DESIGN §6).
async fn answer_join(
    ctx: &Context,
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
    deliver::enqueue(ctx, &from, &answer, vec![person.inbox_url.clone()]).await?;
    Ok(())
}

fn status_text(event: &StoredEvent, status: Option<RsvpStatus>) -> String {
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

/// A direct message from the group to a person about their answer (how poll voters, who
/// cannot receive `Accept{Join}`, hear back). Replying "going", "maybe" or "not going" to it
/// changes the answer.
async fn note(ctx: &Context, event: &StoredEvent, person: &Actor, text: &str) -> Result<()> {
    let group = ctx
        .db
        .actor(event.object.group_id.as_deref().unwrap_or_default())
        .await?;
    let id = ctx.urls().new_object();
    let handle = format!("@{}@{}", person.username, person.domain);
    let content = format!(
        "<p><span class=\"h-card\"><a href=\"{}\" class=\"u-url mention\">{}</a></span> {} \
         <a href=\"{}\">{}</a></p><p>Changed your mind? Reply “going”, “maybe” or “not going”.</p>",
        escape_html(person.url.as_deref().unwrap_or(&person.id)),
        escape_html(&handle),
        escape_html(text),
        escape_html(&event.object.id),
        escape_html(&event.object.summary.clone().unwrap_or_default()),
    );
    let in_reply_to = event
        .fields
        .question_id
        .clone()
        .unwrap_or_else(|| event.object.id.clone());
    let published = now_millis();
    let doc = json!({
        "id": id,
        "type": "Note",
        "attributedTo": group.id,
        "to": [person.id],
        "inReplyTo": in_reply_to,
        "content": content,
        "published": rfc3339(published),
        "tag": [{"type": "Mention", "href": person.id, "name": handle}],
    });
    ctx.db
        .insert_object(&NewObject {
            id: id.clone(),
            kind: "Note".into(),
            local: true,
            attributed_to: group.id.clone(),
            group_id: None,
            in_reply_to: Some(in_reply_to),
            thread_root: None,
            visibility: Visibility::Direct,
            url: Some(id.clone()),
            name: None,
            summary: None,
            content: Some(content),
            sensitive: false,
            start_time: None,
            end_time: None,
            data: doc.to_string(),
            published_at: published,
            announce_id: None,
            activity: None,
            held_reason: None,
        })
        .await?;
    let create = OutgoingActivity::new(
        "Create",
        format!("{id}/activity"),
        &group.id,
        doc,
        vec![person.id.clone()],
    );
    deliver::enqueue(ctx, &group, &create, vec![person.inbox_url.clone()]).await?;
    Ok(())
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
            crate::activities::remote_events::import(ctx, &doc, None).await?;
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
    let mut inboxes = vec![deliver::inbox_of(&host)];
    for id in &to[1..] {
        if let Ok(actor) = fetch::resolve_actor(ctx, id, false).await {
            inboxes.push(deliver::inbox_of(&actor));
        }
    }
    let style = RsvpStyle::parse(&event.fields.rsvp_style).unwrap_or(RsvpStyle::Join);
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
    let rsvp = ctx
        .db
        .record_rsvp(
            event_id,
            &person.id,
            recorded,
            (kind == "Join").then_some(activity_id.as_str()),
            via,
        )
        .await?;
    deliver::enqueue(ctx, person, &activity, inboxes).await?;
    Ok(Some(rsvp))
}

/// An organiser accepts or declines someone waiting for approval (approval join mode).
pub async fn decide(
    ctx: &Context,
    event_ref: &str,
    who: &str,
    approve: bool,
    by: Option<&Account>,
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
    let via = RsvpVia::parse(&current.via).unwrap_or(RsvpVia::Local);
    let wanted = if approve {
        RsvpStatus::Going
    } else {
        RsvpStatus::Rejected
    };
    let change = ctx
        .db
        .answer_event(&event.object.id, &person.id, Some(wanted), None, via)
        .await?;
    let after = change
        .after
        .clone()
        .ok_or_else(|| FederationError::NotFound(who.into()))?;
    let join_id = current.activity_id.as_deref();
    if !person.local {
        match (via, approve, after.status.as_str()) {
            (RsvpVia::Join, true, "going") => {
                answer_join(ctx, &event, "Accept", &person, join_id).await?
            }
            (RsvpVia::Join, false, _) => {
                answer_join(ctx, &event, "Reject", &person, join_id).await?
            }
            (RsvpVia::Join, _, _) => {}
            _ => {
                note(
                    ctx,
                    &event,
                    &person,
                    &status_text(&event, RsvpStatus::parse(&after.status)),
                )
                .await?
            }
        }
    }
    tell_promoted(ctx, &event, &change.promoted).await?;
    Ok(after)
}

/// Everyone who answered a local event, with their answer (organisers only).
pub async fn answers(
    ctx: &Context,
    event_ref: &str,
    by: Option<&Account>,
) -> Result<(StoredEvent, Vec<(Actor, Rsvp)>)> {
    let (event, _group) = organised_event(ctx, event_ref, by).await?;
    let mut list = Vec::new();
    for status in [
        RsvpStatus::Going,
        RsvpStatus::Waitlisted,
        RsvpStatus::Pending,
        RsvpStatus::Maybe,
        RsvpStatus::NotGoing,
        RsvpStatus::Rejected,
    ] {
        for rsvp in ctx.db.rsvps_with_status(&event.object.id, status).await? {
            list.push((ctx.db.actor(&rsvp.actor_id).await?, rsvp));
        }
    }
    Ok((event, list))
}

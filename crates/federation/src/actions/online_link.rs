//! An event's online link reaches only the people it is promised to: those going (accepted, not
//! waitlisted nor waiting for approval, and still allowed to answer the group's events) and its
//! organisers (the organiser and the group's moderators). It is never in the event's public
//! document (served to anyone, sent to followers), the public feeds or pages for anyone else.
//! A remote person who becomes "going" gets it in a direct `Create{Note}` from the group,
//! addressed to them alone, and again whenever the link changes (FEDERATION.md, events).
//!
//! Who may answer a group's events is decided here too: not someone the group banned, not
//! someone whose request to join waits for approval, and in a group that approves members, not
//! someone outside it (else withdrawing a pending request would be the way round).

use kith_storage::{Actor, JoinPolicy, MemberState, RsvpStatus, StorageError, StoredEvent};

use crate::actions::event_notes::note_html;
use crate::outbound::change::Change;
use crate::sanitize::escape_html;
use crate::{Context, Result};

/// Why `person_id` may not answer the events of `group_id` (a local group), if they may not.
pub async fn answer_refusal(
    ctx: &Context,
    group_id: Option<&str>,
    person_id: &str,
) -> Result<Option<&'static str>> {
    let Some(group_id) = group_id else {
        return Ok(None);
    };
    if ctx.db.is_banned(group_id, person_id).await? {
        return Ok(Some("you are banned from the group"));
    }
    let state = match ctx.db.membership(group_id, person_id).await {
        Ok(m) => Some(m.state),
        Err(StorageError::NotFound) => None,
        Err(other) => return Err(other.into()),
    };
    match state {
        Some(MemberState::Accepted) => Ok(None),
        Some(MemberState::Banned) => Ok(Some("you are banned from the group")),
        Some(MemberState::Pending) => Ok(Some(
            "your request to join the group is waiting for an organiser's approval",
        )),
        None => {
            let approval = match ctx.db.group_settings(group_id).await {
                Ok(s) => s.join_policy == JoinPolicy::Approval,
                // A remote group: its own server decides who comes.
                Err(StorageError::NotFound) => false,
                Err(other) => return Err(other.into()),
            };
            Ok(approval
                .then_some("the group's events are for its members: ask to join the group first"))
        }
    }
}

/// Whether `viewer` may see the event's online link: its organiser, a moderator of its group,
/// or someone going who may still answer the group's events.
pub async fn may_see_link(ctx: &Context, event: &StoredEvent, viewer: &str) -> Result<bool> {
    if event.fields.online_url.is_none() {
        return Ok(false);
    }
    if event.fields.organizer_id.as_deref() == Some(viewer) {
        return Ok(true);
    }
    let group_id = event.object.group_id.as_deref();
    if let Some(group_id) = group_id
        && ctx
            .db
            .moderators(group_id)
            .await?
            .iter()
            .any(|m| m == viewer)
    {
        return Ok(true);
    }
    let going = match ctx.db.rsvp(&event.object.id, viewer).await {
        Ok(r) => r.status == RsvpStatus::Going,
        Err(StorageError::NotFound) => false,
        Err(other) => return Err(other.into()),
    };
    Ok(going && answer_refusal(ctx, group_id, viewer).await?.is_none())
}

/// The event's online link if `viewer` (none: an anonymous reader) may see it.
pub async fn online_link_for(
    ctx: &Context,
    event: &StoredEvent,
    viewer: Option<&str>,
) -> Result<Option<String>> {
    match viewer {
        Some(viewer) if may_see_link(ctx, event, viewer).await? => {
            Ok(event.fields.online_url.clone())
        }
        _ => Ok(None),
    }
}

/// Tells a person who has just become "going" to a local event its online link: a remote one
/// by a direct message from the group (a local one sees it on the page and in their calendar),
/// written in the caller's `change`. The answer itself is in that uncommitted change, so it is
/// taken as given here; what else decides (a ban, a pending request) is read as committed.
pub(crate) async fn tell_going(
    ctx: &Context,
    change: &mut Change<'_>,
    event: &StoredEvent,
    person: &Actor,
) -> Result<()> {
    if person.local || !event.object.local {
        return Ok(());
    }
    let Some(link) = &event.fields.online_url else {
        return Ok(());
    };
    let group_id = event.object.group_id.as_deref();
    if answer_refusal(ctx, group_id, &person.id).await?.is_some() {
        return Ok(());
    }
    send(ctx, change, event, person, link).await
}

/// After an edit: when the online link changed, every remote person going gets the new one.
pub(crate) async fn link_changed(
    ctx: &Context,
    change: &mut Change<'_>,
    before: &StoredEvent,
    after: &StoredEvent,
) -> Result<()> {
    let Some(link) = after.fields.online_url.as_deref() else {
        return Ok(());
    };
    if before.fields.online_url.as_deref() == Some(link) {
        return Ok(());
    }
    let going = ctx
        .db
        .rsvps_with_status(&after.object.id, RsvpStatus::Going)
        .await?;
    for rsvp in going {
        let person = ctx.db.actor(&rsvp.actor_id).await?;
        if !person.local && may_see_link(ctx, after, &person.id).await? {
            send(ctx, change, after, &person, link).await?;
        }
    }
    Ok(())
}

/// The direct message itself (stored as a direct object: never served nor listed).
async fn send(
    ctx: &Context,
    change: &mut Change<'_>,
    event: &StoredEvent,
    person: &Actor,
    link: &str,
) -> Result<()> {
    let Some(link) = crate::untrusted::safe_link(link) else {
        return Ok(());
    };
    let title = event.object.name.as_deref().unwrap_or("the event");
    let html = format!(
        "the online link for {} (for you only, please do not share it): <a href=\"{}\">{}</a>",
        escape_html(title),
        escape_html(&link),
        escape_html(&link),
    );
    tracing::info!(event = %event.object.id, person = %person.id, "online link sent");
    note_html(ctx, change, event, person, &html).await
}

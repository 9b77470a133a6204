//! Direct messages from a group to one person about an event: how poll voters, who cannot
//! receive `Accept{Join}`, hear what became of their answer, and how a remote person going hears
//! the online link. Stored as direct objects, never served nor listed among replies.

use kith_storage::{Actor, StoredEvent};

use crate::outbound::change::Change;
use crate::outbound::direct_note::direct_note;
use crate::sanitize::escape_html;
use crate::{Context, Result, outbound::plan};

/// A direct message from the group to a person about their answer (how poll voters, who
/// cannot receive `Accept{Join}`, hear back). Replying "going", "maybe" or "not going" to it
/// changes the answer.
pub(crate) async fn note(
    ctx: &Context,
    change: &mut Change<'_>,
    event: &StoredEvent,
    person: &Actor,
    text: &str,
) -> Result<()> {
    note_html(ctx, change, event, person, &escape_html(text)).await
}

/// [`note`] with `html` (already escaped) after the mention. The note is stored as a direct
/// object, which is never served nor listed among replies (it may hold an online link).
pub(crate) async fn note_html(
    ctx: &Context,
    change: &mut Change<'_>,
    event: &StoredEvent,
    person: &Actor,
    html: &str,
) -> Result<()> {
    let group = ctx
        .db
        .actor(event.object.group_id.as_deref().unwrap_or_default())
        .await?;
    let body = format!(
        "{html} <a href=\"{}\">{}</a></p><p>Changed your mind? Reply “going”, “maybe” or \
         “not going”.</p>",
        escape_html(&event.object.id),
        escape_html(&event.object.summary.clone().unwrap_or_default()),
    );
    let in_reply_to = event
        .fields
        .question_id
        .clone()
        .unwrap_or_else(|| event.object.id.clone());
    // `context`: the event it is about, for servers that do not keep the poll it answers
    // (another Kith keeps it for the person on that event's page: `activities::event_messages`).
    let note = direct_note(
        ctx,
        &group,
        person,
        &body,
        Some(&in_reply_to),
        Some(&event.object.id),
    );
    change.tx().insert_object(&note.row).await?;
    let create = note.create;
    let plan = plan::plan(ctx, &group, &create, vec![person.inbox_url.clone()]).await?;
    change.queue(plan).await?;
    Ok(())
}

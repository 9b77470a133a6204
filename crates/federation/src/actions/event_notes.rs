//! Direct messages from a group to one person about an event: how poll voters, who cannot
//! receive `Accept{Join}`, hear what became of their answer, and how a remote person going hears
//! the online link. Stored as direct objects, never served nor listed among replies.

use kith_storage::{Actor, NewObject, ObjectKind, StoredEvent, Visibility, now_millis};
use serde_json::json;

use crate::outbound::change::Change;
use crate::protocol::{OutgoingActivity, rfc3339};
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
    let id = ctx.urls().new_object();
    let handle = format!("@{}@{}", person.username, person.domain);
    let content = format!(
        "<p><span class=\"h-card\"><a href=\"{}\" class=\"u-url mention\">{}</a></span> {} \
         <a href=\"{}\">{}</a></p><p>Changed your mind? Reply “going”, “maybe” or “not going”.</p>",
        escape_html(
            &crate::untrusted::safe_link_of(person.url.as_deref())
                .unwrap_or_else(|| person.id.clone())
        ),
        escape_html(&handle),
        html,
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
        // The event it is about, for servers that do not keep the poll it answers (another
        // Kith keeps it for the person on that event's page: `activities::event_messages`).
        "context": event.object.id,
        "content": content,
        "published": rfc3339(published),
        "tag": [{"type": "Mention", "href": person.id, "name": handle}],
    });
    change
        .tx()
        .insert_object(&NewObject {
            in_reply_to: Some(in_reply_to),
            visibility: Visibility::Direct,
            content: Some(content),
            ..NewObject::local(&id, ObjectKind::Note, &group.id, doc.to_string(), published)
        })
        .await?;
    let create = OutgoingActivity::new(
        "Create",
        format!("{id}/activity"),
        &group.id,
        doc,
        vec![person.id.clone()],
    );
    let plan = plan::plan(ctx, &group, &create, vec![person.inbox_url.clone()]).await?;
    change.queue(plan).await?;
    Ok(())
}

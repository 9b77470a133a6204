//! A group's direct message to one person: a `Note` addressed to them alone (no `Public`, no
//! followers collection), opening with a mention of them that Mastodon renders, stored as a
//! direct object (never served nor listed) and sent as the group's `Create`. What the group
//! says is the caller's: the answer to a poll vote, an online link, a refused public post, an
//! invitation.

use kith_storage::{Actor, NewObject, ObjectKind, Visibility, now_millis};
use serde_json::{Value, json};

use crate::protocol::{OutgoingActivity, rfc3339};
use crate::sanitize::escape_html;
use crate::{Context, untrusted};

/// A direct message built, not yet stored nor queued.
#[derive(Debug)]
pub(crate) struct DirectNote {
    /// The row to store with the change that sends it.
    pub(crate) row: NewObject,
    /// The group's `Create` of it, to the person alone.
    pub(crate) create: OutgoingActivity,
}

/// The group's note to `person`: `<p>` and the mention, then `body` (HTML, already escaped,
/// closing the paragraph), answering `in_reply_to` and naming `context` when given.
pub(crate) fn direct_note(
    ctx: &Context,
    group: &Actor,
    person: &Actor,
    body: &str,
    in_reply_to: Option<&str>,
    context: Option<&str>,
) -> DirectNote {
    let id = ctx.urls().new_object();
    let handle = format!("@{}@{}", person.username, person.domain);
    let link = untrusted::safe_link_of(person.url.as_deref()).unwrap_or_else(|| person.id.clone());
    let content = format!(
        "<p><span class=\"h-card\"><a href=\"{}\" class=\"u-url mention\">{}</a></span> {body}",
        escape_html(&link),
        escape_html(&handle),
    );
    let published = now_millis();
    let mut doc = json!({
        "id": id,
        "type": "Note",
        "attributedTo": group.id,
        "to": [person.id],
        "content": content,
        "published": rfc3339(published),
        "tag": [{"type": "Mention", "href": person.id, "name": handle}],
    });
    if let Some(parent) = in_reply_to {
        doc["inReplyTo"] = Value::String(parent.to_owned());
    }
    if let Some(about) = context {
        doc["context"] = Value::String(about.to_owned());
    }
    let row = NewObject {
        in_reply_to: in_reply_to.map(str::to_owned),
        visibility: Visibility::Direct,
        content: Some(content),
        ..NewObject::local(&id, ObjectKind::Note, &group.id, doc.to_string(), published)
    };
    let create = OutgoingActivity::new(
        "Create",
        format!("{id}/activity"),
        &group.id,
        doc,
        vec![person.id.clone()],
    );
    DirectNote { row, create }
}

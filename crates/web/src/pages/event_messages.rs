//! What a remote event's group wrote to the viewer alone about the event (such as its online
//! link: kith-federation `activities::event_messages`), shown on that event's page to the
//! viewer and to nobody else; a page showing one is sent `Cache-Control: private, no-store`.

use kith_storage::ObjectKind;
use kith_storage::StoredObject;

use crate::auth::Viewer;
use crate::{ApiError, AppState};

/// One message, as the page shows it.
pub struct MessageView {
    /// Its sanitised HTML (cleaned when it arrived).
    pub content: String,
    /// When it arrived, in words.
    pub received: String,
    /// When it arrived, RFC 3339 (the viewer's zone is shown by the page's script).
    pub received_iso: String,
}

/// The messages about `root` (a remote event) sent to the signed-in viewer; none for anyone
/// else, for a local event (its page shows its link itself) or for anything but an event.
pub async fn for_viewer(
    state: &AppState,
    root: &StoredObject,
    viewer: &Viewer,
) -> Result<Vec<MessageView>, ApiError> {
    let Some(account) = viewer.account() else {
        return Ok(Vec::new());
    };
    if root.local || root.kind != ObjectKind::Event {
        return Ok(Vec::new());
    }
    let messages = state
        .ctx
        .db
        .event_messages_for(&root.id, &account.actor_id)
        .await?;
    Ok(messages
        .into_iter()
        .map(|m| MessageView {
            content: m.content,
            received: super::views::human_time(m.received_at),
            received_iso: kith_federation::protocol::rfc3339(m.received_at),
        })
        .collect())
}

//! The documents of local events as they are served and sent: the `Event` and its poll with
//! their answers counted live, and the activities a group publishes them in.

use kith_storage::PictureRole;
use kith_storage::{Actor, StoredEvent, now_millis};
use serde_json::Value;

use crate::events::document::{EventContext, event_document, question_document};
use crate::protocol::{OutgoingActivity, PUBLIC, rfc3339};
use crate::urls::Urls;
use crate::{Context, FederationError, Result};

/// An activity by the group, public, to its followers, with the group as its audience.
pub(crate) fn group_activity(kind: &'static str, group: &Actor, object: Value) -> OutgoingActivity {
    let mut activity = OutgoingActivity::new(
        kind,
        Urls::new_activity(&group.id),
        &group.id,
        object,
        vec![PUBLIC.to_owned()],
    );
    activity.cc = vec![Urls::followers(&group.id)];
    activity.audience = Some(group.id.clone());
    activity.published = Some(rfc3339(now_millis()));
    activity
}

pub(crate) fn to_value(activity: &OutgoingActivity) -> Result<Value> {
    serde_json::to_value(activity).map_err(|e| FederationError::BadRequest(e.to_string()))
}

/// The document of a local event with its current answers counted.
pub async fn live_event_document(
    ctx: &Context,
    event: &StoredEvent,
    previous_start: Option<i64>,
) -> Result<Value> {
    let pictures = ctx.db.pictures_of(&event.object.id).await?;
    let picture = pictures
        .iter()
        .find(|p| p.role == PictureRole::Event)
        .map(|p| crate::media::image_ref(ctx, p));
    live_event_document_showing(ctx, event, previous_start, picture).await
}

/// [`live_event_document`] with the picture as it will be once the change that sets it
/// commits.
pub async fn live_event_document_showing(
    ctx: &Context,
    event: &StoredEvent,
    previous_start: Option<i64>,
    picture: Option<crate::protocol::ImageRef>,
) -> Result<Value> {
    let counts = ctx.db.rsvp_counts(&event.object.id).await?;
    let group_id = event.object.group_id.clone().unwrap_or_default();
    Ok(event_document(
        event,
        &EventContext {
            group_id: &group_id,
            counts,
            previous_start,
            picture,
        },
    ))
}

/// The document of a local event's poll with its current votes.
pub async fn live_question_document(ctx: &Context, question_id: &str) -> Result<Value> {
    let event = ctx.db.event_by_question(question_id).await?;
    let counts = ctx.db.rsvp_counts(&event.object.id).await?;
    let group_id = event.object.group_id.clone().unwrap_or_default();
    Ok(question_document(&event, question_id, &group_id, counts))
}

//! Which forms of an event each kind of server gets (`software`, `events::forms`):
//!
//! | form | read by |
//! |---|---|
//! | the group's `Create`/`Update{Event}` (the common document) | Mastodon and microblogs, Kith and NodeBB, hosts not known yet |
//! | the same with GoToSocial's document (no content warning) | GoToSocial |
//! | the group's `Announce{<event id>}` | hosts not known yet (Mobilizon lists announced events) |
//! | the group's `Announce{Create/Update{Event}}` by the organiser | Lemmy, PieFed, Mbin |
//! | the poll, `Create{Question}` | Mastodon, GoToSocial and microblogs, hosts not known yet |
//!
//! A deletion is the group's `Delete{Tombstone}` for all but Lemmy, which gets the organiser's
//! announced `Delete` of the event. An event organised by the group alone (no organiser) has no
//! Lemmy form: Lemmy takes posts from people only.

use kith_storage::{Actor, ActorKind, StoredEvent};
use serde_json::Value;

use crate::events::forms::{gotosocial_event, lemmy_activity, lemmy_event};
use crate::outbound::announce::announce_activity;
use crate::outbound::plan::Form;
use crate::outbound::software::{Dialect, Readers};
use crate::protocol::OutgoingActivity;
use crate::urls::Urls;
use crate::{Context, Result};

/// The kinds of server the group's own activity on the common document goes to.
fn common_readers() -> Readers {
    Readers::of(&[Dialect::Microblog, Dialect::Groups, Dialect::Unknown])
}

/// The organiser the Lemmy form names: the event's organiser when a local person.
pub(crate) async fn organiser_person(ctx: &Context, event: &StoredEvent) -> Result<Option<Actor>> {
    let Some(id) = event.fields.organizer_id.as_deref() else {
        return Ok(None);
    };
    match ctx.db.actor(id).await {
        Ok(actor) if actor.local && actor.kind == ActorKind::Person => Ok(Some(actor)),
        Ok(_) | Err(kith_storage::StorageError::NotFound) => Ok(None),
        Err(other) => Err(other.into()),
    }
}

/// An event's document as a `reader` fetching it is served it.
pub async fn event_document_for(
    ctx: &Context,
    event: &StoredEvent,
    doc: Value,
    reader: Dialect,
) -> Result<Value> {
    Ok(match reader {
        Dialect::GoToSocial => gotosocial_event(&doc),
        Dialect::Lemmy => match organiser_person(ctx, event).await? {
            Some(organiser) => {
                let group = event.object.group_id.as_deref().unwrap_or_default();
                lemmy_event(&doc, &organiser.id, group)
            }
            None => doc,
        },
        _ => doc,
    })
}

/// The forms of the group's `kind` (`Create`, `Update`) of the event `doc`: the common one (as
/// `activity`), GoToSocial's, and Lemmy's when there is an organiser.
pub(crate) fn change_forms(
    group: &Actor,
    activity: &OutgoingActivity,
    doc: &Value,
    organiser: Option<&Actor>,
) -> Vec<Form> {
    let mut gotosocial = activity.clone();
    gotosocial.id = Urls::new_activity(&group.id);
    gotosocial.object = gotosocial_event(doc);
    let mut forms = vec![
        Form::for_readers(activity.clone(), common_readers()),
        Form::for_readers(gotosocial, Readers::of(&[Dialect::GoToSocial])),
    ];
    if let Some(organiser) = organiser {
        let event = lemmy_event(doc, &organiser.id, &group.id);
        let inner = lemmy_activity(activity.kind, event, &organiser.id, &group.id);
        forms.push(lemmy_form(group, &inner));
    }
    forms
}

/// The forms of a deletion: the group's `Delete` of each of `tombstones` (the event and its
/// poll) for all but Lemmy, and the organiser's `Delete` of the event for Lemmy.
pub(crate) fn deletion_forms(
    group: &Actor,
    deletes: Vec<OutgoingActivity>,
    event_id: &str,
    organiser: Option<&Actor>,
) -> Vec<Form> {
    let mut forms: Vec<Form> = deletes
        .into_iter()
        .map(|d| Form::for_readers(d, Readers::ALL.without(Dialect::Lemmy)))
        .collect();
    if let Some(organiser) = organiser {
        let inner = lemmy_activity("Delete", event_id.into(), &organiser.id, &group.id);
        forms.push(lemmy_form(group, &inner));
    }
    forms
}

/// The group's `Announce` of an organiser's activity, for Lemmy only.
fn lemmy_form(group: &Actor, inner: &Value) -> Form {
    let announce = announce_activity(group, inner, Urls::new_activity(&group.id));
    Form::for_readers(announce, Readers::of(&[Dialect::Lemmy]))
}

/// The `Announce{<event id>}` Mobilizon lists events by, for hosts not known yet.
pub(crate) fn announce_form(announce: OutgoingActivity) -> Form {
    Form::for_readers(announce, Readers::of(&[Dialect::Unknown]))
}

/// The poll, for the microblogs (whose people cannot send `Join`) and hosts not known yet.
pub(crate) fn poll_form(create: OutgoingActivity) -> Form {
    Form::for_readers(create, Readers::microblogs_and_unknown())
}

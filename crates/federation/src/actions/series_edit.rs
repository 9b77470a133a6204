//! Editing a repeating series from one of its dates: an organiser changes "this and all later
//! dates" (title, description, time of day, place, online link, places, answers). Every date
//! from the chosen one on that the edit changes is written with its own `Update`, and the
//! series' template (with how far its dates are moved, and how long they last) is changed so
//! the dates created later follow; all of it in one transaction. Earlier dates stay as they are.

use kith_storage::StoredEvent;

use crate::actions::acting::By;
use crate::actions::event_edits::{edited, update_event, write_and_announce_in};
use crate::actions::event_lookup::organised_event;
use crate::events::patch::{EventPatch, patched};
use crate::events::{CheckedEvent, EventDraft, local_rfc3339};
use crate::outbound::change::Change;
use crate::{Context, FederationError, Result};

/// Which dates of a series an edit changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeriesScope {
    /// The chosen date alone.
    ThisDate,
    /// The chosen date and every later one, with those created from now on.
    ThisAndLater,
}

impl SeriesScope {
    /// Reads a form's or request's spelling: `this` or `later`.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "" | "this" => Ok(SeriesScope::ThisDate),
            "later" => Ok(SeriesScope::ThisAndLater),
            other => Err(FederationError::BadRequest(format!(
                "{other:?} is not a choice of dates (this, later)"
            ))),
        }
    }
}

/// Edits the date `id` of a series, and with [`SeriesScope::ThisAndLater`] every later date
/// too: moved by as much as the chosen date moves (its time of day, or its day), each lasting
/// as long as the chosen date now does, with the other fields the patch gives. An event that
/// is not a date of a series is edited alone. Returns the chosen date as edited.
pub async fn update_dates(
    ctx: &Context,
    id: &str,
    by: By<'_>,
    patch: &EventPatch,
    scope: SeriesScope,
) -> Result<StoredEvent> {
    let (event, group) = organised_event(ctx, id, by).await?;
    let series_id = match (&event.fields.series_id, scope) {
        (Some(series_id), SeriesScope::ThisAndLater) => series_id.clone(),
        _ => return update_event(ctx, id, by, patch).await,
    };
    if event.object.deleted_at.is_some() {
        return Err(FederationError::Gone(event.object.id));
    }
    let zone = event.fields.timezone.clone();
    if patch.timezone.as_deref().is_some_and(|z| z.trim() != zone) {
        return Err(FederationError::BadRequest(
            "the time zone of a repeating event is changed one date at a time".into(),
        ));
    }
    let series = ctx.db.series(&series_id).await?;
    let chosen = edited(&event, patch)?;
    let old_start = event.object.start_time.unwrap_or_default();
    let shift = chosen.start - old_start;
    let duration = chosen.end - chosen.start;
    // What every other date takes from the patch: all but the times, which each moves by
    // `shift` from its own, and the status (a cancelled date stays cancelled).
    let others = EventPatch {
        start: None,
        end: None,
        timezone: None,
        status: None,
        ..patch.clone()
    };
    let template: EventDraft = serde_json::from_str(&series.template)
        .map_err(|e| FederationError::BadRequest(format!("series template: {e}")))?;
    let template = serde_json::to_string(&patched(template, &others))
        .map_err(|e| FederationError::BadRequest(e.to_string()))?;

    // Every date changed, its `Update`, and the series' template commit together.
    let mut change = Change::begin(ctx).await?;
    let ids = change
        .tx()
        .series_events_from(&series_id, old_start)
        .await?;
    let mut updated_chosen = None;
    let mut changed = 0;
    for date_id in ids {
        let date = change.tx().event(&date_id).await?;
        let edit = if date_id == event.object.id {
            chosen.clone()
        } else {
            let start = date.object.start_time.unwrap_or_default() + shift;
            let patch = EventPatch {
                start: Some(local_rfc3339(start, &zone)),
                end: Some(local_rfc3339(start + duration, &zone)),
                ..others.clone()
            };
            edited(&date, &patch)?
        };
        if unchanged(&date, &edit) {
            continue;
        }
        let updated = write_and_announce_in(ctx, &mut change, &date, &group, edit).await?;
        changed += 1;
        if date_id == event.object.id {
            updated_chosen = Some(updated);
        }
    }
    change
        .tx()
        .set_series_template(&series_id, &template, duration, series.start_shift + shift)
        .await?;
    change.commit().await?;
    tracing::info!(series = %series_id, from = %event.object.id, changed, "series edited from a date on");
    match updated_chosen {
        Some(updated) => Ok(updated),
        None => Ok(ctx.db.event(&event.object.id).await?),
    }
}

/// Whether the edit leaves the date as it is (no `Update` is sent for it).
fn unchanged(date: &StoredEvent, edit: &CheckedEvent) -> bool {
    let o = &date.object;
    o.name.as_deref() == Some(edit.title.as_str())
        && o.content == edit.content
        && o.start_time == Some(edit.start)
        && o.end_time == Some(edit.end)
        && date.fields == edit.fields
}

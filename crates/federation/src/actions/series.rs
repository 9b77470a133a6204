//! Recurring events: each occurrence of a series is created ahead, as its own event published
//! like any other (the rule itself is only emitted in iCalendar feeds).

use kith_storage::{EventSeries, StorageError};

use crate::actions::events::publish_new;
use crate::events::{EventDraft, local_rfc3339, recurrence};
use crate::{Context, FederationError, Result};

/// Creates the occurrences of every open series that fall within the horizon; returns how many.
pub async fn extend_all_series(ctx: &Context, now: i64) -> Result<usize> {
    let mut created = 0;
    for series in ctx.db.open_series().await? {
        match extend_series(ctx, &series, now).await {
            Ok(n) => created += n,
            Err(e) => tracing::warn!(series = %series.id, error = %e, "series not extended"),
        }
    }
    Ok(created)
}

/// Creates a series' missing occurrences between now and the horizon. Another process doing the
/// same at once is harmless: an occurrence is stored once (unique per series and start), and
/// only the process that stored it publishes it.
pub async fn extend_series(ctx: &Context, series: &EventSeries, now: i64) -> Result<usize> {
    let from = now.max(series.first_start);
    let (starts, more) = recurrence::occurrences(
        series,
        from,
        now + recurrence::HORIZON_MS,
        recurrence::MAX_AHEAD,
    )?;
    let existing = ctx.db.series_occurrences(&series.id).await?;
    let group = ctx.db.actor(&series.group_id).await?;
    let template: EventDraft = serde_json::from_str(&series.template)
        .map_err(|e| FederationError::BadRequest(format!("series template: {e}")))?;
    let organiser = series
        .organizer_id
        .clone()
        .unwrap_or_else(|| group.id.clone());
    let mut created = 0;
    for start in starts.into_iter().filter(|s| !existing.contains(s)) {
        let draft = EventDraft {
            start: local_rfc3339(start, &series.timezone),
            end: local_rfc3339(start + series.duration, &series.timezone),
            repeat: None,
            ..template.clone()
        };
        match publish_new(ctx, &group, &organiser, &draft, Some((&series.id, start))).await {
            Ok(_) => created += 1,
            Err(FederationError::Storage(StorageError::Conflict { .. })) => {}
            Err(other) => return Err(other),
        }
    }
    if !more {
        ctx.db.end_series(&series.id).await?;
    }
    Ok(created)
}

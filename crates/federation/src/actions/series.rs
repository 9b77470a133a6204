//! Recurring events: each occurrence of a series is created ahead as its own event, served at
//! its id, listed in the group's calendars (the rule itself is emitted in iCalendar feeds). A
//! series is announced once: the dates created with it are one change, and only the first of
//! them is delivered to members; the dates created later by the hourly run are quiet (members'
//! timelines get one post per series, not one per date; FEDERATION.md, Recurring events).

use std::time::Duration;

use kith_storage::{Actor, EventSeries, StorageError, StoredEvent};
use tokio::sync::watch;

use crate::actions::event_publish::{Occurrence, publish_in, publish_new};
use crate::events::{EventDraft, local_rfc3339, recurrence};
use crate::outbound::change::Change;
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

/// Creates a series' missing occurrences between now and the horizon, each in a transaction of
/// its own. Another process doing the same at once is harmless: an occurrence is stored once
/// (unique per series and start), and only the process that stored it publishes it.
pub async fn extend_series(ctx: &Context, series: &EventSeries, now: i64) -> Result<usize> {
    let due = due_occurrences(ctx, series, now).await?;
    let mut created = 0;
    for (start, draft) in &due.drafts {
        let occurrence = Some(Occurrence {
            series_id: &series.id,
            start: *start,
            announced: false,
        });
        match publish_new(ctx, &due.group, &due.organiser, draft, occurrence).await {
            Ok(_) => created += 1,
            Err(FederationError::Storage(StorageError::Conflict { .. })) => {}
            Err(other) => return Err(other),
        }
    }
    if !due.more {
        ctx.db.end_series(&series.id).await?;
    }
    Ok(created)
}

/// Creates a new series' first occurrences in `change`, the transaction that stores the series;
/// returns the first one.
pub(crate) async fn start_series(
    ctx: &Context,
    change: &mut Change<'_>,
    series: &EventSeries,
    now: i64,
) -> Result<Option<StoredEvent>> {
    // Nothing of the series is stored yet: every occurrence is due.
    let due = due_occurrences(ctx, series, now).await?;
    let mut first = None;
    for (start, draft) in &due.drafts {
        let occurrence = Some(Occurrence {
            series_id: &series.id,
            start: *start,
            announced: first.is_none(),
        });
        let event = publish_in(ctx, change, &due.group, &due.organiser, draft, occurrence).await?;
        first.get_or_insert(event);
    }
    if !due.more {
        change.tx().end_series(&series.id).await?;
    }
    Ok(first)
}

/// The occurrences of a series still to create, with who publishes them.
struct Due {
    group: Actor,
    organiser: String,
    drafts: Vec<(i64, EventDraft)>,
    /// Whether the rule has occurrences beyond these.
    more: bool,
}

async fn due_occurrences(ctx: &Context, series: &EventSeries, now: i64) -> Result<Due> {
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
    let drafts = starts
        .into_iter()
        .filter(|s| !existing.contains(s))
        .map(|start| {
            // Moved as an edit of "this and all later dates" moved the dates before it; the
            // rule's own date stays the occurrence's key.
            let moved = start + series.start_shift;
            let draft = EventDraft {
                start: local_rfc3339(moved, &series.timezone),
                end: local_rfc3339(moved + series.duration, &series.timezone),
                repeat: None,
                ..template.clone()
            };
            (start, draft)
        })
        .collect();
    Ok(Due {
        group,
        organiser,
        drafts,
        more,
    })
}

/// Creates due occurrences of every open series now, then every `interval` until `shutdown`;
/// with several processes sharing the database, one of them does it each time
/// ([`crate::scheduled`]).
pub async fn run(ctx: Context, interval: Duration, shutdown: watch::Receiver<bool>) {
    crate::scheduled::run_once_per(ctx, JOB, interval, shutdown, |ctx| async move {
        let created = extend_all_series(&ctx, kith_storage::now_millis()).await?;
        if created > 0 {
            tracing::info!(created, "created occurrences of recurring events");
        }
        Ok(())
    })
    .await;
}

/// The recurring-event task's name among the jobs one process runs for all.
pub const JOB: &str = "recurring-events";

//! Reports from other servers: `Flag`. Mastodon sends it from its instance actor with `object` an
//! array (the reported account, then the reported statuses) or a single account id and the
//! comment in `content`; Lemmy sends a person's `Flag` of one post with the reason in `summary`.
//! Only reports about local people or posts in local groups are kept; a redelivered `Flag` is
//! one report.

use kith_storage::{Actor, NewReport, StorageError};
use serde_json::Value;

use super::Outcome;
use crate::actions::reports::{MAX_COMMENT, local_group_of};
use crate::outbound::change::Change;
use crate::protocol::{Activity, id_of};
use crate::{Context, Result};

/// Files a remote report into the moderation queue.
pub async fn receive_flag(ctx: &Context, activity: &Activity, sender: &Actor) -> Result<Outcome> {
    let ids: Vec<&str> = match &activity.object {
        Value::Array(items) => items.iter().filter_map(id_of).collect(),
        other => id_of(other).into_iter().collect(),
    };
    let mut target: Option<String> = None;
    let mut posts = Vec::new();
    let mut group_id = None;
    for id in ids.iter().take(50) {
        if let Ok(object) = ctx.db.object(id).await {
            if group_id.is_none() {
                group_id = local_group_of(ctx, &object).await?;
            }
            target.get_or_insert(object.attributed_to.clone());
            posts.push(object.id);
            continue;
        }
        match ctx.db.actor(id).await {
            Ok(actor) if target.is_none() => target = Some(actor.id),
            Ok(_) | Err(StorageError::NotFound) => {}
            Err(other) => return Err(other.into()),
        }
    }
    let Some(target_id) = target else {
        return Ok(Outcome::ignored("a report of nothing known here"));
    };
    let target = ctx.db.actor(&target_id).await?;
    if !target.local && group_id.is_none() {
        return Ok(Outcome::ignored(
            "a report of a remote actor's posts outside local groups",
        ));
    }
    let raw = &activity.raw;
    let comment = ["content", "summary"]
        .iter()
        .find_map(|k| raw.get(*k).and_then(Value::as_str))
        .unwrap_or_default();
    // Cleaned first (bounded, counted), so every character reference is decoded.
    let cleaned = crate::sanitize::html(ctx.counters(), &activity.id, comment);
    let comment: String = crate::sanitize::text(&cleaned)
        .chars()
        .take(MAX_COMMENT)
        .collect();
    let new = NewReport {
        reporter_id: Some(sender.id.clone()),
        target_id,
        group_id,
        object_ids: posts,
        comment,
        activity_id: Some(activity.id.clone()),
    };
    // The report and the record of the `Flag` received commit together (`crate::outbound::change`).
    let mut change = Change::begin(ctx).await?;
    let created = change.tx().create_report(&new).await;
    match created {
        Ok(report) => {
            crate::actions::mail::notify::report_filed(&mut change, &report).await?;
            change.commit().await?;
            tracing::info!(report = %report.id, from = %sender.id, "report received");
            Ok(Outcome::Applied)
        }
        Err(StorageError::Conflict { .. }) => Ok(Outcome::ignored("this Flag was received before")),
        Err(other) => Err(other.into()),
    }
}

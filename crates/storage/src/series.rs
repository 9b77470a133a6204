//! Recurring events: a rule kept here, from which each occurrence is created ahead of time as an
//! event of its own (there is no standard for sending a rule over ActivityPub: docs/protocol.md, Events).

use sqlx::FromRow;

use crate::{Database, Result, StorageError, now_millis};

/// A recurring event's rule and what every occurrence copies.
#[derive(Clone, Debug, FromRow)]
pub struct EventSeries {
    /// Its id (a ULID).
    pub id: String,
    /// The organising local group.
    pub group_id: String,
    /// The person who set it up.
    pub organizer_id: Option<String>,
    /// The RFC 5545 `RRULE` value, e.g. `FREQ=WEEKLY;COUNT=12`.
    pub rule: String,
    /// The first occurrence's start, in milliseconds.
    pub first_start: i64,
    /// How long each occurrence lasts, in milliseconds.
    pub duration: i64,
    /// The IANA zone the rule is read in (a weekly 18:30 stays 18:30 across daylight saving).
    pub timezone: String,
    /// The occurrence template as JSON.
    pub template: String,
    /// No occurrence is left to create.
    #[sqlx(try_from = "crate::bool_column::BoolColumn")]
    pub ended: bool,
    /// When it was set up.
    pub created_at: i64,
    /// How far the dates created from now on are moved from where the rule puts them, in
    /// milliseconds (an edit of "this and all later dates" that moved them).
    pub start_shift: i64,
}

macro_rules! series_columns {
    () => {
        "id, group_id, organizer_id, rule, first_start, duration, timezone, template, ended, \
         created_at, start_shift"
    };
}

impl Database {
    /// Stores a new series.
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_series(
        &self,
        id: &str,
        group_id: &str,
        organizer_id: Option<&str>,
        rule: &str,
        first_start: i64,
        duration: i64,
        timezone: &str,
        template: &str,
    ) -> Result<EventSeries> {
        let mut tx = self.begin().await?;
        let series = tx
            .insert_series(
                id,
                group_id,
                organizer_id,
                rule,
                first_start,
                duration,
                timezone,
                template,
            )
            .await?;
        tx.commit().await?;
        Ok(series)
    }

    /// One series.
    pub async fn series(&self, id: &str) -> Result<EventSeries> {
        sqlx::query_as(concat!(
            "SELECT ",
            series_columns!(),
            " FROM event_series WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StorageError::NotFound)
    }

    /// The series that may still need occurrences created.
    pub async fn open_series(&self) -> Result<Vec<EventSeries>> {
        Ok(sqlx::query_as(concat!(
            "SELECT ",
            series_columns!(),
            " FROM event_series WHERE ended = $1 ORDER BY created_at"
        ))
        .bind(false)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Marks a series finished (its rule has no occurrence left, or it was stopped).
    pub async fn end_series(&self, id: &str) -> Result<()> {
        sqlx::query("UPDATE event_series SET ended = $1 WHERE id = $2")
            .bind(true)
            .bind(id)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }

    /// The series starts (occurrences) already created.
    pub async fn series_occurrences(&self, series_id: &str) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT occurrence FROM events WHERE series_id = $1 AND occurrence IS NOT NULL \
             ORDER BY occurrence",
        )
        .bind(series_id)
        .fetch_all(&self.pool)
        .await?)
    }
}

impl crate::Tx {
    /// The ids of a series' dates starting at or after `from` (milliseconds) and not deleted,
    /// earliest first.
    pub async fn series_events_from(&mut self, series_id: &str, from: i64) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT e.object_id FROM events e JOIN objects o ON o.id = e.object_id \
             WHERE e.series_id = $1 AND o.start_time >= $2 AND o.deleted_at IS NULL \
             ORDER BY o.start_time, e.object_id",
        )
        .bind(series_id)
        .bind(from)
        .fetch_all(self.conn())
        .await?)
    }

    /// What the dates of a series created from now on copy: the template, how long each lasts
    /// and how far each is moved from where the rule puts it.
    pub async fn set_series_template(
        &mut self,
        id: &str,
        template: &str,
        duration: i64,
        start_shift: i64,
    ) -> Result<()> {
        let done = sqlx::query(
            "UPDATE event_series SET template = $1, duration = $2, start_shift = $3 WHERE id = $4",
        )
        .bind(template)
        .bind(duration)
        .bind(start_shift)
        .bind(id)
        .execute(self.conn())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StorageError::NotFound);
        }
        Ok(())
    }

    /// [`Database::insert_series`] inside this transaction, with its first occurrences.
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_series(
        &mut self,
        id: &str,
        group_id: &str,
        organizer_id: Option<&str>,
        rule: &str,
        first_start: i64,
        duration: i64,
        timezone: &str,
        template: &str,
    ) -> Result<EventSeries> {
        Ok(sqlx::query_as(concat!(
            "INSERT INTO event_series (id, group_id, organizer_id, rule, first_start, duration, \
             timezone, template, ended, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ",
            series_columns!()
        ))
        .bind(id)
        .bind(group_id)
        .bind(organizer_id)
        .bind(rule)
        .bind(first_start)
        .bind(duration)
        .bind(timezone)
        .bind(template)
        .bind(false)
        .bind(now_millis())
        .fetch_one(self.conn())
        .await?)
    }

    /// [`Database::end_series`] inside this transaction.
    pub async fn end_series(&mut self, id: &str) -> Result<()> {
        sqlx::query("UPDATE event_series SET ended = $1 WHERE id = $2")
            .bind(true)
            .bind(id)
            .execute(self.conn())
            .await?;
        Ok(())
    }
}

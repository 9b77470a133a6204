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
    #[sqlx(try_from = "crate::flag::Flag")]
    pub ended: bool,
    /// When it was set up.
    pub created_at: i64,
}

macro_rules! series_columns {
    () => {
        "id, group_id, organizer_id, rule, first_start, duration, timezone, template, ended, \
         created_at"
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

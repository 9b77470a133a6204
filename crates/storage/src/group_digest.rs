//! What a public group's digest actor posts once a day (migration 0025; kith-federation
//! `group_digest`): the day's new events and busiest threads of the group, public objects only
//! (the post is public, so nothing unlisted, followers-only, held or deleted goes in), and the
//! record of each day's post, which is also what makes it once a day.

use crate::digest::{events_sql, threads_sql};
use crate::{Database, DigestItem, Result, Tx};

/// Only what is listed to everyone: public, not held, not deleted.
const LISTED: &str = "o.deleted_at IS NULL AND o.held_reason IS NULL AND o.visibility = 'public'";

/// A digest actor with followers whose day was not looked at yet.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct DueGroupDigest {
    /// The digest actor's id.
    pub actor_id: String,
    /// Its group's id.
    pub group_id: String,
}

impl Database {
    /// The digest actors of public local groups that have accepted followers and no record for
    /// `day` (`YYYY-MM-DD`). A members-only or hidden group's digest actor is never due.
    pub async fn due_group_digests(&self, day: &str) -> Result<Vec<DueGroupDigest>> {
        Ok(sqlx::query_as(
            "SELECT d.id AS actor_id, g.id AS group_id FROM actors g \
             JOIN local_groups lg ON lg.actor_id = g.id \
             JOIN actors d ON d.id = g.id || '/digest' \
             WHERE g.visibility = 'public' AND d.local AND d.kind = 'Service' \
             AND EXISTS (SELECT 1 FROM memberships m WHERE m.group_id = d.id \
                         AND m.state = 'accepted') \
             AND NOT EXISTS (SELECT 1 FROM digest_notes n WHERE n.actor_id = d.id \
                             AND n.day = $1) \
             ORDER BY d.id",
        )
        .bind(day)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Public events published in a group in `[since, until)`, soonest first.
    pub async fn group_digest_events(
        &self,
        group_id: &str,
        since: i64,
        until: i64,
    ) -> Result<Vec<DigestItem>> {
        Ok(
            sqlx::query_as(sqlx::AssertSqlSafe(events_sql("= $1", LISTED)))
                .bind(group_id)
                .bind(since)
                .bind(until)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// A group's public threads with the most posts in `[since, until)`, busiest first.
    pub async fn group_digest_threads(
        &self,
        group_id: &str,
        since: i64,
        until: i64,
        limit: i64,
    ) -> Result<Vec<DigestItem>> {
        Ok(
            sqlx::query_as(sqlx::AssertSqlSafe(threads_sql("= $1", LISTED)))
                .bind(group_id)
                .bind(since)
                .bind(until)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// The Note a digest actor posted for `day`, as JSON; `None` when it posted none.
    pub async fn digest_note(&self, actor_id: &str, day: &str) -> Result<Option<String>> {
        let note: Option<Option<String>> =
            sqlx::query_scalar("SELECT note FROM digest_notes WHERE actor_id = $1 AND day = $2")
                .bind(actor_id)
                .bind(day)
                .fetch_optional(&self.pool)
                .await?;
        Ok(note.flatten())
    }
}

impl Tx {
    /// Records a digest actor's `day` with the Note posted (`None`: nothing to tell); `false`
    /// when the day was recorded already (by another process), and nothing is written.
    pub async fn digest_note_written(
        &mut self,
        actor_id: &str,
        day: &str,
        note: Option<&str>,
    ) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO digest_notes (actor_id, day, note, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (actor_id, day) DO NOTHING",
        )
        .bind(actor_id)
        .bind(day)
        .bind(note)
        .bind(crate::now_millis())
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() > 0)
    }
}

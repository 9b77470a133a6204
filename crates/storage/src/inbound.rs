//! The inbound queue: activities the inbox verified and answered `202 Accepted` for, waiting for
//! the inbox worker to apply them (migration 0006). Mastodon's inbox works the same way (it
//! verifies, hands the activity to a job queue and answers at once): a burst of deliveries is
//! taken in at the speed of a signature check and one batched write, not at the speed of
//! applying each activity.
//!
//! Recording an activity as received (the duplicate guard) and queueing it happen atomically
//! (one statement on PostgreSQL, one transaction on SQLite), so an activity is never queued
//! twice nor remembered without being queued.

use std::collections::HashSet;

use sqlx::FromRow;

use crate::db::placeholders;
use crate::inbound_writer::Kept;
use crate::{Backend, Database, Result, now_millis};

/// Activities written by one statement on SQLite (each row binds four values; PostgreSQL takes
/// a whole batch as one JSON parameter).
const ACCEPT_BATCH: usize = 80;

/// A verified activity to queue.
#[derive(Clone, Debug)]
pub struct NewInbound {
    /// The activity's id (the duplicate guard's key).
    pub activity_id: String,
    /// The verified sender.
    pub actor_id: String,
    /// The activity's type, remembered with its id.
    pub kind: String,
    /// The activity as received.
    pub body: String,
}

/// A claimed queued activity.
#[derive(Clone, Debug, FromRow)]
pub struct Inbound {
    /// Row id (the queue's order).
    pub id: i64,
    /// The activity's id.
    pub activity_id: String,
    /// The verified sender.
    pub actor_id: String,
    /// The activity as received.
    pub body: String,
    /// Attempts made before this one.
    pub attempts: i64,
}

/// Picks due, unclaimed rows in arrival order for the process `$4` (`processes.rs`); the caller
/// closes the sub-select.
macro_rules! claim_inbound_sql {
    () => {
        "UPDATE inbound_activities SET claimed_until = $1, claimed_by = $4 WHERE id IN (\
         SELECT id FROM inbound_activities WHERE next_attempt_at <= $2 \
         AND (claimed_until IS NULL OR claimed_until < $2) ORDER BY id LIMIT $3"
    };
}

impl Database {
    /// Records each activity as received and queues those not seen before, atomically; says
    /// for each whether it was new (`false`: a duplicate, not queued). Of several copies in one
    /// batch, the first is the one queued.
    pub async fn accept_inbound(&self, batch: &[NewInbound]) -> Result<Vec<bool>> {
        self.accept_inbound_through(batch, None).await
    }

    /// [`Database::accept_inbound`], on PostgreSQL through `kept` connections when given
    /// (`inbound_writer.rs`).
    pub(crate) async fn accept_inbound_through(
        &self,
        batch: &[NewInbound],
        kept: Option<&Kept>,
    ) -> Result<Vec<bool>> {
        let mut firsts: HashSet<&str> = HashSet::new();
        let unique: Vec<&NewInbound> = batch
            .iter()
            .filter(|new| firsts.insert(new.activity_id.as_str()))
            .collect();
        let fresh = match self.backend() {
            Backend::Postgres => self.accept_postgres(&unique, kept).await?,
            Backend::Sqlite => self.accept_sqlite(&unique).await?,
        };
        let mut fresh: HashSet<String> = fresh;
        Ok(batch
            .iter()
            .map(|new| fresh.remove(&new.activity_id))
            .collect())
    }

    /// One statement, whose first half records the ids and whose second queues the rows the
    /// first found new: one round trip, where a transaction of two inserts took four (and the
    /// inbox's batches wait on each other). The rows travel as one JSON parameter, so the
    /// statement's text is the same whatever the batch's size: PostgreSQL prepares and plans it
    /// once per connection, where a `VALUES` list of as many rows as the batch had was a new
    /// statement for each size, parsed and planned again (docs/performance.md, fourth round).
    async fn accept_postgres(
        &self,
        unique: &[&NewInbound],
        kept: Option<&Kept>,
    ) -> Result<HashSet<String>> {
        #[derive(serde::Serialize)]
        struct Row<'a> {
            activity_id: &'a str,
            actor_id: &'a str,
            kind: &'a str,
            body: &'a str,
        }
        if unique.is_empty() {
            return Ok(HashSet::new());
        }
        let rows: Vec<Row> = unique
            .iter()
            .map(|new| Row {
                activity_id: &new.activity_id,
                actor_id: &new.actor_id,
                kind: &new.kind,
                body: &new.body,
            })
            .collect();
        // Strings only: this cannot fail, but an error is still an error, not a panic.
        let rows = serde_json::to_string(&rows).map_err(|e| sqlx::Error::Encode(e.into()))?;
        let mut conn = match kept {
            Some(kept) => kept.write(self).await?,
            None => self.write().await?,
        };
        let queued: Vec<String> = sqlx::query_scalar(
            "WITH v AS (SELECT * FROM ROWS FROM (json_to_recordset($2::json) \
             AS (activity_id TEXT, actor_id TEXT, kind TEXT, body TEXT)) WITH ORDINALITY \
             AS r (activity_id, actor_id, kind, body, n)), \
             fresh AS (INSERT INTO received_activities (id, actor_id, kind, received_at) \
             SELECT activity_id, actor_id, kind, $1 FROM v \
             ON CONFLICT (id) DO NOTHING RETURNING id) \
             INSERT INTO inbound_activities (activity_id, actor_id, body, next_attempt_at, \
             received_at) SELECT v.activity_id, v.actor_id, v.body, $1, $1 \
             FROM v JOIN fresh ON fresh.id = v.activity_id ORDER BY v.n RETURNING activity_id",
        )
        .bind(now_millis())
        .bind(rows)
        .fetch_all(&mut *conn)
        .await?;
        if let Some(kept) = kept {
            kept.keep(conn);
        }
        Ok(queued.into_iter().collect())
    }

    /// SQLite has no inserts inside `WITH`: the ids first, then the new rows, in one
    /// transaction (on its one local connection a statement is no network round trip).
    async fn accept_sqlite(&self, unique: &[&NewInbound]) -> Result<HashSet<String>> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let mut fresh: HashSet<String> = HashSet::new();
        for chunk in unique.chunks(ACCEPT_BATCH) {
            let rows = (0..chunk.len())
                .map(|i| {
                    let b = i * 4;
                    format!("(${}, ${}, ${}, ${})", b + 1, b + 2, b + 3, b + 4)
                })
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "INSERT INTO received_activities (id, actor_id, kind, received_at) VALUES {rows} \
                 ON CONFLICT (id) DO NOTHING RETURNING id"
            );
            let mut query = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql));
            for new in chunk {
                query = query
                    .bind(&new.activity_id)
                    .bind(&new.actor_id)
                    .bind(&new.kind)
                    .bind(now);
            }
            fresh.extend(query.fetch_all(&mut *tx).await?);
        }
        let new_rows: Vec<&&NewInbound> = unique
            .iter()
            .filter(|new| fresh.contains(&new.activity_id))
            .collect();
        for chunk in new_rows.chunks(ACCEPT_BATCH) {
            // $1 is the time, shared by every row.
            let rows = (0..chunk.len())
                .map(|i| format!("(${}, ${}, ${}, $1, $1)", i * 3 + 2, i * 3 + 3, i * 3 + 4))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "INSERT INTO inbound_activities (activity_id, actor_id, body, next_attempt_at, \
                 received_at) VALUES {rows}"
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(now);
            for new in chunk {
                query = query
                    .bind(&new.activity_id)
                    .bind(&new.actor_id)
                    .bind(&new.body);
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(fresh)
    }

    /// Claims up to `limit` due queued activities for `lease_ms`, oldest first, in this
    /// process's name ([`Database::process_id`]). Several processes sharing PostgreSQL take
    /// different rows; the claims of a process that dies are taken back once it is found gone
    /// (`processes.rs`), or else when they run out.
    pub async fn claim_inbound(&self, limit: i64, lease_ms: i64) -> Result<Vec<Inbound>> {
        let now = now_millis();
        let sql = match self.backend() {
            Backend::Postgres => concat!(
                claim_inbound_sql!(),
                " FOR UPDATE SKIP LOCKED) RETURNING id, activity_id, actor_id, body, attempts"
            ),
            Backend::Sqlite => concat!(
                claim_inbound_sql!(),
                ") RETURNING id, activity_id, actor_id, body, attempts"
            ),
        };
        let mut rows: Vec<Inbound> = sqlx::query_as(sql)
            .bind(now + lease_ms)
            .bind(now)
            .bind(limit)
            .bind(self.process_id())
            .fetch_all(&mut *self.write().await?)
            .await?;
        // RETURNING gives no order.
        rows.sort_by_key(|r| r.id);
        Ok(rows)
    }

    /// Removes applied (or given up) activities from the queue, in one statement per few
    /// hundred (rows removed already, with their effects, are no matter).
    pub async fn finish_inbound(&self, ids: &[i64]) -> Result<()> {
        for chunk in ids.chunks(crate::db::BIND_BATCH) {
            let sql = format!(
                "DELETE FROM inbound_activities WHERE id IN ({})",
                placeholders(chunk.len())
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                query = query.bind(*id);
            }
            query.execute(&mut *self.write().await?).await?;
        }
        Ok(())
    }

    /// Puts a claimed activity back to be tried again at `at` (milliseconds).
    pub async fn retry_inbound(&self, id: i64, at: i64) -> Result<()> {
        sqlx::query(
            "UPDATE inbound_activities SET attempts = attempts + 1, next_attempt_at = $1, \
             claimed_until = NULL WHERE id = $2",
        )
        .bind(at)
        .bind(id)
        .execute(&mut *self.write().await?)
        .await?;
        Ok(())
    }

    /// How many activities wait in the queue (claimed or not).
    pub async fn inbound_backlog(&self) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM inbound_activities")
                .fetch_one(&self.pool)
                .await?,
        )
    }
}

impl crate::Tx {
    /// Removes one applied activity from the queue in the transaction that wrote its effects:
    /// a crash leaves both or neither.
    pub async fn finish_inbound(&mut self, id: i64) -> Result<()> {
        sqlx::query("DELETE FROM inbound_activities WHERE id = $1")
            .bind(id)
            .execute(self.conn())
            .await?;
        Ok(())
    }
}

//! Activities already received, so that a redelivered activity has no second effect; ids older
//! than any sender retries are forgotten in bounded batches (`kith_federation::jobs::retention`).

use crate::{Database, Result, now_millis};

impl Database {
    /// Records that an activity id was received; `false` when it had been already (a replay or a
    /// redelivery), in which case the caller must not apply it again.
    pub async fn record_received_activity(
        &self,
        id: &str,
        actor_id: &str,
        kind: &str,
    ) -> Result<bool> {
        record_in(&mut *self.write().await?, (id, actor_id, kind)).await
    }

    /// Forgets at most `limit` of the received ids recorded before `before` (milliseconds),
    /// oldest first; returns how many went. Senders stop retrying long before, so old ids no
    /// longer guard against anything. One bounded statement through the received-time index,
    /// so a large table is pruned in short writes rather than one long one.
    pub async fn prune_received_activities(&self, before: i64, limit: i64) -> Result<u64> {
        let done = sqlx::query(
            "DELETE FROM received_activities WHERE id IN (SELECT id FROM received_activities \
             WHERE received_at < $1 ORDER BY received_at LIMIT $2)",
        )
        .bind(before)
        .bind(limit)
        .execute(&mut *self.write().await?)
        .await?;
        Ok(done.rows_affected())
    }

    /// Forgets one received id, so that a sender's retry is applied after handling failed on
    /// our side (an activity recorded but not applied would otherwise be lost).
    pub async fn forget_received_activity(&self, id: &str) -> Result<()> {
        sqlx::query("DELETE FROM received_activities WHERE id = $1")
            .bind(id)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }

    /// Whether an activity with this id was received (and is still remembered).
    pub async fn was_received(&self, id: &str) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM received_activities WHERE id = $1")
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
        Ok(n > 0)
    }
}

impl crate::Tx {
    /// [`Database::record_received_activity`] inside this transaction, which holds the
    /// activity's effects: a crash leaves both or neither. A copy recorded by another
    /// transaction at the same time is `false` once that one commits (the unique id waits
    /// for it on PostgreSQL; SQLite has one writer).
    pub async fn record_received_activity(
        &mut self,
        id: &str,
        actor_id: &str,
        kind: &str,
    ) -> Result<bool> {
        record_in(self.conn(), (id, actor_id, kind)).await
    }
}

async fn record_in(
    conn: &mut sqlx::AnyConnection,
    (id, actor_id, kind): (&str, &str, &str),
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO received_activities (id, actor_id, kind, received_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING",
    )
    .bind(id)
    .bind(actor_id)
    .bind(kind)
    .bind(now_millis())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

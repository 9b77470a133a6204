//! The outgoing delivery queue. Each activity is stored once; each target inbox gets a row that a
//! worker claims with a lease in its process's name, so a crashed worker's rows come due again
//! (at-least-once: at once when its process is found gone, `processes.rs`) and two processes
//! sharing a PostgreSQL database never send the same row at the same time.

use std::collections::BTreeSet;

use sqlx::FromRow;

use crate::db::{BIND_BATCH, placeholders};
use crate::{Database, Result, StorageError, now_millis};

/// An activity to deliver, and where.
#[derive(Clone, Debug)]
pub struct NewDelivery {
    /// The activity's id.
    pub activity_id: String,
    /// The local actor that signs it.
    pub actor_id: String,
    /// The JSON body, exactly as it will be sent.
    pub body: String,
    /// Target inboxes; duplicates are dropped (shared inboxes are listed once).
    pub inboxes: Vec<String>,
}

/// One claimed delivery: an activity to one inbox.
#[derive(Clone, Debug, FromRow)]
pub struct Delivery {
    /// Row id.
    pub id: i64,
    /// The activity's id.
    pub activity_id: String,
    /// Where it goes.
    pub inbox_url: String,
    /// The inbox's host (and port), for per-host limits.
    pub host: String,
    /// Attempts made before this one.
    pub attempts: i64,
}

/// The host (and port, where given) an inbox is on, spelled as everywhere else
/// (`domains.rs`): deliveries are paced, and dropped by a block, per host.
fn host_of_inbox(inbox: &str) -> Result<String> {
    crate::domains::host_of(inbox).ok_or_else(|| StorageError::Invalid {
        constraint: format!("inbox URL {inbox:?}"),
    })
}

impl Database {
    /// Queues an activity for its inboxes, all in one transaction; returns how many deliveries
    /// were queued. Due at once.
    pub async fn enqueue_delivery(&self, new: &NewDelivery) -> Result<usize> {
        self.enqueue_deliveries(std::slice::from_ref(new), &[])
            .await
    }

    /// Queues several activities (the forms of one change, each for the inboxes that read it)
    /// and notes `new_hosts` for a software look-up, all in one transaction; returns how many
    /// deliveries were queued.
    pub async fn enqueue_deliveries(
        &self,
        activities: &[NewDelivery],
        new_hosts: &[String],
    ) -> Result<usize> {
        let mut tx = self.begin().await?;
        let queued = tx.enqueue_deliveries(activities, new_hosts).await?;
        tx.commit().await?;
        Ok(queued)
    }

    /// Claims up to `limit` due deliveries for `lease_ms` milliseconds, in this process's name
    /// ([`Database::process_id`]). Claimed rows are not handed out again until the lease runs
    /// out or their process is found gone (`processes.rs`), so a worker that dies loses nothing.
    pub async fn claim_deliveries(&self, limit: i64, lease_ms: i64) -> Result<Vec<Delivery>> {
        let now = now_millis();
        let sql = claim_due_sql!(
            self.backend(),
            "deliveries",
            "id, activity_id, inbox_url, host, attempts"
        );
        Ok(sqlx::query_as(sql)
            .bind(now + lease_ms)
            .bind(now)
            .bind(limit)
            .bind(self.process_id())
            .fetch_all(&mut *self.write().await?)
            .await?)
    }

    /// The signing actor and body of a queued activity.
    pub async fn outgoing_activity(&self, activity_id: &str) -> Result<(String, String)> {
        sqlx::query_as("SELECT actor_id, body FROM outgoing_activities WHERE id = $1")
            .bind(activity_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StorageError::NotFound)
    }

    /// Removes a delivery that succeeded or failed for good, and its activity once no delivery
    /// of it is left.
    pub async fn finish_delivery(&self, delivery: &Delivery) -> Result<()> {
        self.finish_deliveries(std::slice::from_ref(delivery)).await
    }

    /// [`Database::finish_delivery`] for many at once, in one transaction: the worker finishes
    /// deliveries in batches, since one write per delivery is what made fan-out to a thousand
    /// hosts wait on the database (docs/performance.md).
    pub async fn finish_deliveries(&self, done: &[Delivery]) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for chunk in done.chunks(BIND_BATCH) {
            let sql = format!(
                "DELETE FROM deliveries WHERE id IN ({})",
                placeholders(chunk.len())
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for delivery in chunk {
                query = query.bind(delivery.id);
            }
            query.execute(&mut *tx).await?;
        }
        let activities: BTreeSet<&str> = done.iter().map(|d| d.activity_id.as_str()).collect();
        let activities: Vec<&str> = activities.into_iter().collect();
        for chunk in activities.chunks(BIND_BATCH) {
            let sql = format!(
                "DELETE FROM outgoing_activities WHERE id IN ({}) AND NOT EXISTS \
                 (SELECT 1 FROM deliveries WHERE deliveries.activity_id = outgoing_activities.id)",
                placeholders(chunk.len())
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                query = query.bind(*id);
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Puts a failed delivery back in the queue, due at `next_attempt_at`.
    pub async fn retry_delivery(
        &self,
        delivery: &Delivery,
        next_attempt_at: i64,
        error: &str,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE deliveries SET attempts = attempts + 1, next_attempt_at = $1, \
             claimed_until = NULL, last_error = $2 WHERE id = $3",
        )
        .bind(next_attempt_at)
        .bind(error)
        .bind(delivery.id)
        .execute(&mut *self.write().await?)
        .await?;
        Ok(())
    }

    /// Hands a claimed delivery back unsent, due at `next_attempt_at`, without counting an
    /// attempt (its host was busy).
    pub async fn release_delivery(&self, delivery: &Delivery, next_attempt_at: i64) -> Result<()> {
        sqlx::query(
            "UPDATE deliveries SET next_attempt_at = $1, claimed_until = NULL WHERE id = $2",
        )
        .bind(next_attempt_at)
        .bind(delivery.id)
        .execute(&mut *self.write().await?)
        .await?;
        Ok(())
    }

    /// Puts a delivery back unsent until `next_attempt_at` without counting an attempt: its
    /// host asked to be retried later (`429` or `503` with `Retry-After`), which is not a
    /// failure of the delivery. A host that keeps asking is bounded by its failing time (it is
    /// marked dead after days), not by the attempts.
    pub async fn defer_delivery(
        &self,
        delivery: &Delivery,
        next_attempt_at: i64,
        reason: &str,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE deliveries SET next_attempt_at = $1, claimed_until = NULL, last_error = $2 \
             WHERE id = $3",
        )
        .bind(next_attempt_at)
        .bind(reason)
        .bind(delivery.id)
        .execute(&mut *self.write().await?)
        .await?;
        Ok(())
    }

    /// How many deliveries wait in the queue (claimed or not).
    pub async fn pending_deliveries(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM deliveries")
            .fetch_one(&self.pool)
            .await?)
    }
}

impl crate::Tx {
    /// [`Database::enqueue_deliveries`] inside this transaction: the activities of a change
    /// are queued only if the change is committed, and with it.
    pub async fn enqueue_deliveries(
        &mut self,
        activities: &[NewDelivery],
        new_hosts: &[String],
    ) -> Result<usize> {
        let mut queued = 0;
        for new in activities {
            queued += enqueue_delivery_in(self.conn(), new).await?;
        }
        crate::software::note_hosts_in(self.conn(), new_hosts).await?;
        Ok(queued)
    }
}

/// Queues one activity for its inboxes inside a transaction the caller holds (so that a change
/// and the activities it causes can be written together); returns how many deliveries were
/// queued.
pub(crate) async fn enqueue_delivery_in(
    conn: &mut sqlx::AnyConnection,
    new: &NewDelivery,
) -> Result<usize> {
    let now = now_millis();
    let inboxes: BTreeSet<&str> = new.inboxes.iter().map(String::as_str).collect();
    if inboxes.is_empty() {
        return Ok(0);
    }
    sqlx::query(
        "INSERT INTO outgoing_activities (id, actor_id, body, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(&new.activity_id)
    .bind(&new.actor_id)
    .bind(&new.body)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    let rows = inboxes
        .iter()
        .map(|inbox| Ok((*inbox, host_of_inbox(inbox)?)))
        .collect::<Result<Vec<_>>>()?;
    // One statement per chunk of rows, not one per inbox: a post into a group on a hundred
    // servers is one round trip to the database, not a hundred.
    for chunk in rows.chunks(BIND_BATCH / 2) {
        let values = (0..chunk.len())
            .map(|i| format!("($1, ${}, ${}, $2, $2)", 3 + 2 * i, 4 + 2 * i))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO deliveries (activity_id, inbox_url, host, next_attempt_at, created_at) \
             VALUES {values}"
        );
        // Only placeholders are formatted in; every value is bound.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&new.activity_id)
            .bind(now);
        for (inbox, host) in chunk {
            query = query.bind(*inbox).bind(host.as_str());
        }
        query.execute(&mut *conn).await?;
    }
    Ok(inboxes.len())
}

//! Kith server processes sharing the database, and the claims each holds (migration 0015).
//!
//! Deliveries (`delivery.rs`) and queued inbound activities (`inbound.rs`) are claimed with a
//! two-minute lease, and every claim names the process that made it. A serving process
//! registers ([`Database::register_process`]) and beats every [`HEARTBEAT`]
//! ([`Database::beat`]); the claims of a process that is gone are taken back at once instead of
//! when their leases run out:
//!
//! - **a successor**: a process that registers at the same *node* (host name, network namespace
//!   and listening address) as one registered before takes that one's claims back as it
//!   registers. It could bind the address, so the one before no longer listens there: it died
//!   (a `kill -9`, a crash restarted by systemd), or it is stopping gracefully — then it said so
//!   ([`Database::process_stopping`]) and hands its claims back itself;
//! - **a stale heartbeat**: a process whose last beat is older than [`STALE_AFTER`] is taken for
//!   dead by any live process at its next beat, which takes its claims back and removes it;
//! - **the lease** stays, for a process that hangs but still beats.
//!
//! Handles that never register (the admin commands beside `kith serve`) claim nothing and take
//! nothing back. Heartbeats are the database's clock, so processes on machines whose clocks
//! disagree still agree on who is stale. A claim taken back from a process that was in fact
//! alive (one stalled for longer than [`STALE_AFTER`]) may be sent twice: delivery is at least
//! once, never at most once.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::{Backend, Database, Result, StorageError};

/// How often a serving process records that it lives.
pub const HEARTBEAT: Duration = Duration::from_secs(2);

/// A process whose heartbeat is older than this is taken for dead, and its claims taken back.
/// Five missed beats: long enough for a busy process on a loaded machine, short enough that a
/// dead one's deliveries wait seconds, not the two minutes of their lease.
pub const STALE_AFTER: Duration = Duration::from_secs(10);

/// This process as registered: the id its claims carry.
#[derive(Debug)]
pub(crate) struct Registered {
    id: i64,
    node: String,
    started_at: i64,
}

/// The registration shared by every clone of one [`Database`] (set once).
pub(crate) type Registration = Arc<OnceLock<Registered>>;

/// What was taken back from processes that are gone.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TakenBack {
    /// Processes found gone (and removed from the registry).
    pub processes: usize,
    /// Deliveries they held, due again now.
    pub deliveries: u64,
    /// Queued inbound activities they held, due again now.
    pub inbound: u64,
}

impl TakenBack {
    /// Whether anything was claimed.
    pub fn any(&self) -> bool {
        self.deliveries > 0 || self.inbound > 0
    }

    fn add(&mut self, other: TakenBack) {
        self.processes += other.processes;
        self.deliveries += other.deliveries;
        self.inbound += other.inbound;
    }
}

/// The database's clock in milliseconds, as SQL.
pub(crate) fn db_now(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)",
        Backend::Sqlite => "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)",
    }
}

/// A random id for a new process (positive, so it reads plainly in logs).
fn new_process_id() -> i64 {
    let random = ulid::Ulid::new().random() as u64;
    i64::try_from(random >> 1).unwrap_or(i64::MAX)
}

impl Database {
    /// The id this process's claims carry; `None` until [`Database::register_process`].
    pub fn process_id(&self) -> Option<i64> {
        self.registration.get().map(|r| r.id)
    }

    /// Registers this process as serving at `node` (its host name, network namespace and
    /// listening address), once per database handle and its clones; first takes back what a
    /// process registered at the same node left claimed, unless that one is stopping.
    pub async fn register_process(&self, node: &str) -> Result<TakenBack> {
        if self.registration.get().is_some() {
            return Err(StorageError::Invalid {
                constraint: "this process is registered already".into(),
            });
        }
        let before: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM processes WHERE node = $1 AND stopping_at IS NULL")
                .bind(node)
                .fetch_all(&self.pool)
                .await?;
        let mut taken = TakenBack::default();
        for id in before {
            taken.add(self.take_back_from(id).await?);
        }
        let registered = Registered {
            id: new_process_id(),
            node: node.to_owned(),
            started_at: crate::now_millis(),
        };
        self.insert_process(&registered).await?;
        let _ = self.registration.set(registered);
        Ok(taken)
    }

    async fn insert_process(&self, process: &Registered) -> Result<()> {
        let sql = format!(
            "INSERT INTO processes (id, node, pid, started_at, heartbeat_at) \
             VALUES ($1, $2, $3, $4, {})",
            db_now(self.backend())
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(process.id)
            .bind(&process.node)
            .bind(i64::from(std::process::id()))
            .bind(process.started_at)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }

    /// Records that this process lives, then takes back the claims of every process whose
    /// heartbeat is older than `stale_after` ([`STALE_AFTER`] in `kith serve`). Should another
    /// have taken this process for dead meanwhile (and its claims back), it registers again.
    pub async fn beat(&self, stale_after: Duration) -> Result<TakenBack> {
        let Some(me) = self.registration.get() else {
            return Ok(TakenBack::default());
        };
        let now = db_now(self.backend());
        let sql = format!("UPDATE processes SET heartbeat_at = {now} WHERE id = $1");
        let beat = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(me.id)
            .execute(&mut *self.write().await?)
            .await?;
        if beat.rows_affected() == 0 {
            tracing::warn!(
                process = me.id,
                "another process took this one for dead (no heartbeat for {}s) and took its \
                 claims back; registering again",
                stale_after.as_secs()
            );
            self.insert_process(me).await?;
        }
        let stale_ms = i64::try_from(stale_after.as_millis()).unwrap_or(i64::MAX);
        let sql = format!("SELECT id FROM processes WHERE heartbeat_at < {now} - $1 AND id <> $2");
        let stale: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(stale_ms)
            .bind(me.id)
            .fetch_all(&self.pool)
            .await?;
        let mut taken = TakenBack::default();
        for id in stale {
            taken.add(self.take_back_from(id).await?);
        }
        Ok(taken)
    }

    /// Marks this process as stopping gracefully: a successor at the same node leaves its
    /// claims to it, since it hands them back itself ([`Database::deregister_process`]).
    pub async fn process_stopping(&self) -> Result<()> {
        let Some(me) = self.registration.get() else {
            return Ok(());
        };
        let sql = format!(
            "UPDATE processes SET stopping_at = {} WHERE id = $1",
            db_now(self.backend())
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(me.id)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }

    /// Hands back whatever this process still holds (due again at once for the others) and
    /// removes it from the registry: the end of a graceful stop.
    pub async fn deregister_process(&self) -> Result<TakenBack> {
        match self.registration.get() {
            Some(me) => self.take_back_from(me.id).await,
            None => Ok(TakenBack::default()),
        }
    }

    /// Takes back every claim `process` holds and removes it, in one transaction. Without an
    /// index on `claimed_by` this reads the whole queue: it happens once per process gone,
    /// where an index would be written by every claim on the hot path.
    async fn take_back_from(&self, process: i64) -> Result<TakenBack> {
        let mut tx = self.begin_write().await?;
        let deliveries = sqlx::query(
            "UPDATE deliveries SET claimed_until = NULL, claimed_by = NULL \
             WHERE claimed_by = $1 AND claimed_until IS NOT NULL",
        )
        .bind(process)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let inbound = sqlx::query(
            "UPDATE inbound_activities SET claimed_until = NULL, claimed_by = NULL \
             WHERE claimed_by = $1 AND claimed_until IS NOT NULL",
        )
        .bind(process)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        // Mail claims too (migration 0020); not counted apart: a message is sent at most a
        // lease later otherwise.
        sqlx::query(
            "UPDATE mail_queue SET claimed_until = NULL, claimed_by = NULL \
             WHERE claimed_by = $1 AND claimed_until IS NOT NULL",
        )
        .bind(process)
        .execute(&mut *tx)
        .await?;
        let gone = sqlx::query("DELETE FROM processes WHERE id = $1")
            .bind(process)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(TakenBack {
            processes: usize::try_from(gone).unwrap_or(0),
            deliveries,
            inbound,
        })
    }

    /// The processes registered: (id, node, whether stopping), for operators and tests.
    pub async fn registered_processes(&self) -> Result<Vec<(i64, String, bool)>> {
        let rows: Vec<(i64, String, Option<i64>)> =
            sqlx::query_as("SELECT id, node, stopping_at FROM processes ORDER BY started_at, id")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .into_iter()
            .map(|(id, node, stopping)| (id, node, stopping.is_some()))
            .collect())
    }
}

//! Jobs that one process runs for all (migration 0016): the recurring-event task, and any
//! other periodic work that several Kith processes sharing a PostgreSQL database must not each
//! do, nor do at the same time.
//!
//! A process that wants to run a job asks for its turn ([`Database::take_turn`]); it gets the
//! turn when no process took it within the job's period, as one conditional write (the
//! database decides, so two processes asking at once cannot both win). On PostgreSQL the turn
//! is also held under a transaction-scoped advisory lock (`pg_try_advisory_xact_lock`) until
//! [`Turn::finish`]: another process asking meanwhile is answered at once without waiting,
//! and a turn whose job fails (the turn dropped unfinished: rolled back as its connection goes
//! back to the pool) or whose process dies (its connection closed) is not counted, so the next
//! process to ask runs the job. SQLite has one server process, so nothing is held there: the turn is
//! recorded at once.

use std::time::Duration;

use sqlx::{Any, Transaction};

use crate::processes::db_now;
use crate::{Backend, Database, Result};

/// The first key of Kith's advisory locks ("KITH"), beside a hash of the job's name, so that
/// they cannot meet another application's locks on a shared server.
const LOCK_SPACE: i32 = 0x4B49_5448;

/// A job's turn, taken by this process; [`Turn::finish`] once the job is done.
#[derive(Debug)]
#[must_use = "a turn is given back (and on PostgreSQL, not counted) unless finished"]
pub struct Turn {
    /// PostgreSQL: the transaction holding the lock and the recorded turn.
    held: Option<Transaction<'static, Any>>,
}

impl Turn {
    /// Records that the job ran: no other process runs it before its period is over. A turn
    /// dropped without this is not counted on PostgreSQL (another process may run the job at
    /// once); on SQLite it was counted when taken.
    pub async fn finish(self) -> Result<()> {
        if let Some(held) = self.held {
            held.commit().await?;
        }
        Ok(())
    }
}

impl Database {
    /// Takes `job`'s turn, unless a process (this one or another) took it less than `every`
    /// ago, or holds it now; `None` then.
    pub async fn take_turn(&self, job: &str, every: Duration) -> Result<Option<Turn>> {
        let every_ms = i64::try_from(every.as_millis()).unwrap_or(i64::MAX);
        let sql = format!(
            "INSERT INTO job_turns (name, started_at, process_id) VALUES ($1, {}, $2) \
             ON CONFLICT (name) DO UPDATE SET started_at = excluded.started_at, \
             process_id = excluded.process_id \
             WHERE job_turns.started_at <= excluded.started_at - $3 RETURNING name",
            db_now(self.backend())
        );
        let take = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql))
            .bind(job)
            .bind(self.process_id())
            .bind(every_ms);
        match self.backend() {
            Backend::Sqlite => {
                let taken = take.fetch_optional(&mut *self.write().await?).await?;
                Ok(taken.map(|_| Turn { held: None }))
            }
            Backend::Postgres => {
                // Straight from the pool, not through the write write_order: the transaction stays
                // open while the job runs, and holds nothing that requests wait on.
                let mut tx = self.writer.begin().await?;
                let locked: bool =
                    sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1, hashtext($2))")
                        .bind(LOCK_SPACE)
                        .bind(job)
                        .fetch_one(&mut *tx)
                        .await?;
                if !locked {
                    return Ok(None);
                }
                let taken = take.fetch_optional(&mut *tx).await?;
                Ok(taken.map(|_| Turn { held: Some(tx) }))
            }
        }
    }
}

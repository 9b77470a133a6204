//! The inbound queue's writer: the one writer that keeps its database connections between
//! statements.
//!
//! The inbox records what it accepted in batches (kith-federation's inbound batching), and
//! in a burst it writes one every few milliseconds. sqlx checks a connection with a round trip
//! to the server every time one goes back to its pool; a writer that writes that often would
//! pay that round trip once per batch. So on PostgreSQL this writer keeps its connections
//! checked out between batches ([`Kept`]), on pools of its own whose commits do not wait for
//! the WAL flush ([`Database::inbound_writer_with_own_pools`]). Nothing else holds a kept
//! connection, so no other write looks for one. Why and what it gave: docs/performance.md.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use sqlx::pool::PoolConnection;
use sqlx::{Any, Connection};

use crate::db::{CHECK_IF_IDLE_FOR, Commits};
use crate::write::WriteConn;
use crate::{Backend, Database, NewInbound, Result};

/// Records verified activities as received and queues them ([`Database::accept_inbound`]),
/// for the inbox's batched writes. Cheap to clone; clones share their kept connections.
#[derive(Clone, Debug)]
pub struct InboundWriter {
    db: Database,
    /// On PostgreSQL with pools of its own: connections kept between statements.
    kept: Option<Arc<Kept>>,
}

impl Database {
    /// A writer of the inbound queue through this handle's own pools: every write durable,
    /// each taking a pooled connection like any other write.
    pub fn inbound_writer(&self) -> InboundWriter {
        InboundWriter {
            db: self.clone(),
            kept: None,
        }
    }

    /// A writer of the inbound queue for the thread that does nothing else (see
    /// [`Database::for_other_runtime`]). On PostgreSQL it has pools of its own, with at most
    /// `max_connections` connections, whose commits return before the WAL reaches the disk
    /// (`synchronous_commit = off`) — the durability SQLite gives every write in WAL mode with
    /// `synchronous = NORMAL`: a crash of the database server or its machine may forget the
    /// last fraction of a second of received activities (never half of one: the database
    /// stays consistent); a crash of Kith forgets nothing. It keeps its connections between
    /// batches. On SQLite it is [`Database::inbound_writer`]: its one write connection answers
    /// from a thread of its own already.
    pub fn inbound_writer_with_own_pools(&self, max_connections: u32) -> InboundWriter {
        match self.backend() {
            Backend::Sqlite => self.inbound_writer(),
            Backend::Postgres => InboundWriter {
                db: self.other_pools(max_connections, Commits::Relaxed),
                kept: Some(Arc::default()),
            },
        }
    }
}

impl InboundWriter {
    /// [`Database::accept_inbound`] through this writer's connections.
    pub async fn accept_inbound(&self, batch: &[NewInbound]) -> Result<Vec<bool>> {
        self.db
            .accept_inbound_through(batch, self.kept.as_deref())
            .await
    }

    /// Gives back its kept connections and closes its pools (on the runtime that drives them).
    /// A writer made by [`Database::inbound_writer`], or on SQLite, shares the pools of the
    /// handle it came from: closing it closes them.
    pub async fn close(&self) {
        // Kept connections first: closing a pool waits for every connection to come back.
        if let Some(kept) = &self.kept {
            kept.clear();
        }
        self.db.close().await;
    }
}

/// Write connections kept checked out between statements, each with when it was last used.
#[derive(Debug, Default)]
pub(crate) struct Kept {
    idle: Mutex<Vec<(PoolConnection<Any>, Instant)>>,
}

impl Kept {
    /// Gives every kept connection back to its pool (before the pool is closed).
    fn clear(&self) {
        drop(std::mem::take(&mut *self.lock()));
    }

    fn lock(&self) -> MutexGuard<'_, Vec<(PoolConnection<Any>, Instant)>> {
        // A panic elsewhere while holding the lock leaves nothing half-done in a Vec.
        self.idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The most recently used kept connection, checked first if unused for a while (as the
    /// pool checks its idle ones): one the server dropped is closed, and the next tried.
    async fn take(&self) -> Option<PoolConnection<Any>> {
        loop {
            let (mut conn, used) = self.lock().pop()?;
            if used.elapsed() < CHECK_IF_IDLE_FOR || conn.ping().await.is_ok() {
                return Some(conn);
            }
            conn.close_on_drop();
        }
    }

    /// The write connection for one statement of `db` (through the write gate, as every
    /// write): a kept one if any, else one from the pool.
    pub(crate) async fn write(&self, db: &Database) -> Result<WriteConn> {
        let pass = db.pass().await;
        let conn = match self.take().await {
            Some(conn) => conn,
            None => db.writer.acquire().await?,
        };
        Ok(WriteConn { conn, _pass: pass })
    }

    /// The statement on `conn` succeeded: the connection is kept for the next write. (One
    /// whose statement failed is dropped instead and goes back to the pool, which checks it
    /// and closes it if broken.)
    pub(crate) fn keep(&self, conn: WriteConn) {
        self.lock().push((conn.conn, Instant::now()));
    }
}

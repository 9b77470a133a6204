//! The write connection, taken through the gate (`write_order.rs`): on SQLite the one connection
//! that writes, handed to requests before background work; on PostgreSQL a pooled connection,
//! which background work takes when busy requests leave it a turn.
//!
//! A write holds its pass for one statement or, through [`WriteTx`], for its transaction.
//!
//! [`Tx`] is that transaction held by another crate: a state change and the activities it
//! causes (delivery rows, hosts noted) are written through it and committed together, so a
//! crash leaves either all of them or none (issue 21). While a caller holds one it writes
//! through it only: on SQLite it holds the one write connection.
//!
//! One writer keeps its connections out of the pool between statements: the inbound queue's,
//! and only through its own handle (`inbound_writer.rs`); every other write takes a pooled
//! connection here.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, Transaction};

use crate::write_order::Pass;
use crate::{Database, Result};

/// The write connection, for one statement.
#[derive(Debug)]
pub(crate) struct WriteConn {
    pub(crate) conn: PoolConnection<Any>,
    pub(crate) _pass: Option<Pass>,
}

impl Deref for WriteConn {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.conn
    }
}

impl DerefMut for WriteConn {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.conn
    }
}

/// A transaction on the write connection; rolled back if dropped before [`WriteTx::commit`].
#[derive(Debug)]
pub(crate) struct WriteTx {
    tx: Transaction<'static, Any>,
    _pass: Option<Pass>,
}

impl WriteTx {
    /// Commits, then lets the next write in.
    pub(crate) async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        Ok(())
    }
}

impl Deref for WriteTx {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.tx
    }
}

impl DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }
}

/// A write transaction held across several storage operations (the `_in`-style methods on
/// it, in each module): a state change and the activities it causes, committed together.
/// Dropped before [`Tx::commit`], none of it was written.
#[derive(Debug)]
pub struct Tx {
    tx: WriteTx,
    /// The in-memory copies (`lookup_cache.rs`), and the actors to forget there once committed.
    lookups: Arc<crate::lookup_cache::LookupCache>,
    changed_actors: Vec<String>,
}

impl Tx {
    /// Commits everything written through this transaction at once (then forgets the
    /// in-memory copies of the actors it changed).
    pub async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        for id in &self.changed_actors {
            self.lookups.forget_actor(id);
        }
        Ok(())
    }

    /// Notes an actor changed by this transaction, forgotten in memory once it commits.
    pub(crate) fn changed_actor(&mut self, id: &str) {
        self.changed_actors.push(id.to_owned());
    }

    /// The transaction's connection, for the statements of each module.
    pub(crate) fn conn(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }

    /// The transaction itself, for modules whose helpers take one.
    pub(crate) fn write_tx(&mut self) -> &mut WriteTx {
        &mut self.tx
    }
}

impl Database {
    /// Begins a write transaction for a caller that writes a change and its activities
    /// together. Nothing else may be written through this handle until it is committed or
    /// dropped (on SQLite that would wait for the connection the transaction holds).
    pub async fn begin(&self) -> Result<Tx> {
        Ok(Tx {
            tx: self.begin_write().await?,
            lookups: self.lookups.clone(),
            changed_actors: Vec::new(),
        })
    }

    /// The write connection for one statement: `.execute(&mut *self.write().await?)`.
    pub(crate) async fn write(&self) -> Result<WriteConn> {
        let pass = self.pass().await;
        Ok(WriteConn {
            conn: self.writer.acquire().await?,
            _pass: pass,
        })
    }

    /// A transaction on the write connection.
    pub(crate) async fn begin_write(&self) -> Result<WriteTx> {
        let pass = self.pass().await;
        Ok(WriteTx {
            tx: self.writer.begin().await?,
            _pass: pass,
        })
    }
}

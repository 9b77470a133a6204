//! The write connection, taken through the gate (`gate.rs`): on SQLite the one connection
//! that writes, handed to requests before background work; on PostgreSQL a pooled connection,
//! which background work takes when busy requests leave it a turn.
//!
//! A write holds its pass for one statement or, through [`WriteTx`], for its transaction.

use std::ops::{Deref, DerefMut};

use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, Transaction};

use crate::gate::Pass;
use crate::{Database, Result};

/// The write connection, for one statement.
#[derive(Debug)]
pub(crate) struct WriteConn {
    conn: PoolConnection<Any>,
    _pass: Option<Pass>,
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

impl Database {
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

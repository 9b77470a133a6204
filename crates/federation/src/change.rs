//! A state change and the activities it causes, written in one transaction (issue 21).
//!
//! A handler plans where its activities go first (reads only: [`Plan::new`]), then opens a
//! [`Change`], writes its rows through [`Change::tx`], queues its plans with
//! [`Change::queue`] and commits: the change, the delivery rows and the hosts they note are
//! committed together or not at all. The delivery worker is woken only after the commit, so it
//! never looks for rows that are not there yet.
//!
//! Applied from the inbound queue (`crate::ingress`), the first change an activity commits also
//! removes the activity's row from the queue, in the same transaction: a crash leaves the
//! activity either wholly applied and gone from the queue, or not applied and applied again.
//!
//! While a change is open nothing else is written through `ctx.db` by the same task: on SQLite
//! the transaction holds the one write connection.

use kith_storage::Tx;

use crate::deliver::Plan;
use crate::{Context, Result, ingress};

/// One transaction holding a state change and the activities it causes.
#[derive(Debug)]
pub struct Change<'c> {
    ctx: &'c Context,
    tx: Tx,
    queued: usize,
    new_hosts: Vec<String>,
}

impl<'c> Change<'c> {
    /// Opens the transaction.
    pub async fn begin(ctx: &'c Context) -> Result<Change<'c>> {
        Ok(Change {
            ctx,
            tx: ctx.db.begin().await?,
            queued: 0,
            new_hosts: Vec::new(),
        })
    }

    /// The transaction, for the change's own rows.
    pub fn tx(&mut self) -> &mut Tx {
        &mut self.tx
    }

    /// Queues a plan's deliveries (and notes its new hosts) in this transaction; returns how
    /// many deliveries were queued.
    pub async fn queue(&mut self, plan: Plan) -> Result<usize> {
        let (deliveries, new_hosts) = plan.into_parts();
        if deliveries.is_empty() {
            return Ok(0);
        }
        let queued = self.tx.enqueue_deliveries(&deliveries, &new_hosts).await?;
        self.queued += queued;
        self.new_hosts.extend(new_hosts);
        Ok(queued)
    }

    /// Commits the change with its activities (and, when applying a queued activity, the
    /// removal of its row), then wakes the delivery worker; returns how many deliveries were
    /// queued.
    pub async fn commit(mut self) -> Result<usize> {
        if let Some(row) = ingress::take_applying_row() {
            self.tx.finish_inbound(row).await?;
        }
        self.tx.commit().await?;
        if self.queued > 0 {
            self.ctx.hosts_noted(&self.new_hosts).await;
            self.ctx.wake_delivery();
        }
        Ok(self.queued)
    }
}

//! A state change and the activities it causes, written in one transaction (issue 21).
//!
//! A handler plans where its activities go first (reads only: [`Plan::new`]), then opens a
//! [`Change`], writes its rows through [`Change::tx`], queues its plans with
//! [`Change::queue`] and commits: the change, the delivery rows and the hosts they note are
//! committed together or not at all. The delivery worker is woken only after the commit, so it
//! never looks for rows that are not there yet.
//!
//! Applied from the inbound queue (`crate::inbound::queue`), the first change an activity commits also
//! removes the activity's row from the queue, in the same transaction: a crash leaves the
//! activity either wholly applied and gone from the queue, or not applied and applied again.
//!
//! Applied in the inbox before the answer (`crate::inbound::inbox`), the first change an activity opens
//! records the activity's id as received, in the same transaction: a crash leaves the effects
//! and the record together or neither, so the sender's retry is applied rather than answered
//! as a duplicate. Two copies applied at once both try to record the id; the second waits for
//! the first on the unique key and finds it taken (a duplicate, nothing of it written).
//!
//! While a change is open nothing else is written through `ctx.db` by the same task: on SQLite
//! the transaction holds the one write connection.

use std::cell::{Cell, RefCell};
use std::future::Future;

use kith_storage::Tx;

use crate::outbound::plan::Plan;
use crate::{Context, FederationError, Result};

/// An activity being applied in the inbox, whose id is recorded by the first change that
/// commits ([`receiving`]).
#[derive(Clone, Debug)]
pub(crate) struct Received {
    /// The activity's id.
    pub id: String,
    /// Who sent it.
    pub actor_id: String,
    /// Its type.
    pub kind: String,
    /// Whether a committed change recorded it.
    pub recorded: bool,
}

tokio::task_local! {
    static RECEIVING: RefCell<Received>;
}

/// Runs `apply` with `received` recorded by the first change it commits; returns what it
/// returned and whether the id was recorded.
pub(crate) async fn receiving<T>(received: Received, apply: impl Future<Output = T>) -> (T, bool) {
    RECEIVING
        .scope(RefCell::new(received), async {
            let out = apply.await;
            let recorded = RECEIVING.try_with(|r| r.borrow().recorded).unwrap_or(false);
            (out, recorded)
        })
        .await
}

/// The activity this task applies in the inbox, while no committed change recorded it.
fn unrecorded() -> Option<Received> {
    RECEIVING
        .try_with(|r| Some(r.borrow().clone()).filter(|r| !r.recorded))
        .ok()
        .flatten()
}

tokio::task_local! {
    /// The inbound queue's row of the activity this task is applying, until a change takes it
    /// to remove in its own transaction.
    static APPLYING: Cell<Option<i64>>;
}

/// Runs `apply`, the applying of the inbound queue's row `row`: the first change it commits
/// removes the row in its own transaction, so the activity's effect and the row's removal are
/// committed together or not at all.
pub(crate) async fn applying<T>(row: i64, apply: impl Future<Output = T>) -> T {
    APPLYING.scope(Cell::new(Some(row)), apply).await
}

/// Takes the inbound queue's row of the activity being applied, if any and not taken yet.
fn take_applying_row() -> Option<i64> {
    APPLYING.try_with(Cell::take).ok().flatten()
}

/// One transaction holding a state change and the activities it causes.
#[derive(Debug)]
pub struct Change<'c> {
    ctx: &'c Context,
    tx: Tx,
    queued: usize,
    new_hosts: Vec<String>,
    /// Whether this transaction records the received id of the activity being applied.
    records_received: bool,
    /// Whether mail was queued (`crate::actions::mail::notify`): the mail worker is woken after commit.
    mail_queued: bool,
}

impl<'c> Change<'c> {
    /// Opens the transaction; applying an activity in the inbox, records its id first (a
    /// copy recorded already is [`FederationError::Duplicate`], and nothing is written).
    pub async fn begin(ctx: &'c Context) -> Result<Change<'c>> {
        let mut tx = ctx.db.begin().await?;
        let received = unrecorded();
        if let Some(r) = &received
            && !tx
                .record_received_activity(&r.id, &r.actor_id, &r.kind)
                .await?
        {
            return Err(FederationError::Duplicate(r.id.clone()));
        }
        Ok(Change {
            ctx,
            tx,
            queued: 0,
            new_hosts: Vec::new(),
            records_received: received.is_some(),
            mail_queued: false,
        })
    }

    /// The context the change was opened with.
    pub(crate) fn ctx(&self) -> &'c Context {
        self.ctx
    }

    /// Notes that mail was queued in this change: the mail worker is woken once it commits.
    pub(crate) fn mail_queued(&mut self) {
        self.mail_queued = true;
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
        if let Some(row) = take_applying_row() {
            self.tx.finish_inbound(row).await?;
        }
        self.tx.commit().await?;
        if self.records_received {
            // Dropped without committing, a change leaves the record to the next one.
            let _ = RECEIVING.try_with(|r| r.borrow_mut().recorded = true);
        }
        if self.mail_queued {
            self.ctx.wake_mail();
        }
        if self.queued > 0 {
            self.ctx.hosts_noted(&self.new_hosts).await;
            self.ctx.wake_delivery();
        }
        Ok(self.queued)
    }
}

/// Writes `plan`'s deliveries (and the new hosts, for a look-up) in a transaction of their own
/// and wakes the workers; returns how many deliveries were queued. For activities that no state
/// change goes with (a change's go through [`Change::queue`]).
pub async fn queue_alone(ctx: &Context, plan: Plan) -> Result<usize> {
    if plan.is_empty() {
        return Ok(0);
    }
    let mut change = Change::begin(ctx).await?;
    change.queue(plan).await?;
    change.commit().await
}

//! The delivery worker (docs/protocol.md, Delivery and moderation): it claims due rows from the database queue with a lease,
//! sends each with a few concurrent requests per host, and records the result — done, retry
//! with backoff, or given up. Several workers (in several processes sharing PostgreSQL) can run
//! at once; a worker that dies loses nothing: its process's claims are taken back once it is
//! found gone (`crate::jobs::processes`), or else its leases run out, and the rows come due again.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use kith_storage::{Delivery, now_millis};
use moka::future::Cache;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::context::Counters;
use crate::outbound::answers::{self, Failure};
use crate::{Context, FederationError, Result, signatures};

/// How the worker paces itself. The defaults suit production; tests shorten the delays.
#[derive(Clone, Debug)]
pub struct DeliverySettings {
    /// Concurrent requests to one host.
    pub per_host: usize,
    /// Deliveries held in memory at once (claimed, waiting or in flight).
    pub max_claimed: usize,
    /// Deliveries of one host held in memory; more are handed back so a backlogged host never
    /// fills the worker.
    pub max_claimed_per_host: usize,
    /// How long a claim lasts before another worker may take the row.
    pub lease: Duration,
    /// How often to look for due rows when not woken.
    pub poll: Duration,
    /// The first retry's delay; each next one is four times longer, up to a day.
    pub first_retry: Duration,
    /// Attempts before a delivery is given up (the default spans about a week).
    pub max_attempts: i64,
    /// A host failing for this long is marked dead and skipped until heard from.
    pub dead_after: Duration,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        DeliverySettings {
            per_host: 4,
            max_claimed: 256,
            max_claimed_per_host: 32,
            lease: Duration::from_secs(120),
            poll: Duration::from_secs(1),
            first_retry: Duration::from_secs(30),
            max_attempts: 13,
            dead_after: Duration::from_secs(3 * 24 * 60 * 60),
        }
    }
}

impl DeliverySettings {
    /// The delay before retry number `attempts + 1`.
    pub fn backoff(&self, attempts: i64) -> Duration {
        let factor = 4u32.saturating_pow(attempts.clamp(0, 15) as u32);
        self.first_retry
            .saturating_mul(factor)
            .min(Duration::from_secs(24 * 60 * 60))
    }
}

/// Runs the worker until `shutdown` completes; sends in flight are given a few seconds to end.
pub async fn run(ctx: Context, settings: DeliverySettings, shutdown: impl Future<Output = ()>) {
    let settings = Arc::new(settings);
    // One activity goes to many inboxes: read its body once, not once per inbox.
    let bodies: Bodies = Cache::builder()
        .max_capacity(1_000)
        .time_to_live(Duration::from_secs(300))
        .build();
    let mut hosts: HashMap<String, (Arc<Semaphore>, usize)> = HashMap::new();
    let mut tasks: JoinSet<(String, Option<Delivery>)> = JoinSet::new();
    // Deliveries that are done (sent, or given up), removed from the queue in batches.
    let mut done: Vec<Delivery> = Vec::new();
    tokio::pin!(shutdown);
    loop {
        while let Some(joined) = tasks.try_join_next() {
            finish_task(&mut hosts, &mut done, joined);
        }
        flush(&ctx, &mut done).await;
        let room = settings.max_claimed.saturating_sub(tasks.len());
        let claimed = if room == 0 {
            Vec::new()
        } else {
            let lease = settings.lease.as_millis() as i64;
            match ctx.db.claim_deliveries(room as i64, lease).await {
                Ok(rows) => rows,
                Err(error) => {
                    tracing::error!(%error, "claiming deliveries failed");
                    Vec::new()
                }
            }
        };
        let idle = claimed.is_empty();
        for delivery in claimed {
            let entry = hosts
                .entry(delivery.host.clone())
                .or_insert_with(|| (Arc::new(Semaphore::new(settings.per_host)), 0));
            if entry.1 >= settings.max_claimed_per_host {
                let again = now_millis() + 1_000;
                if let Err(error) = ctx.db.release_delivery(&delivery, again).await {
                    tracing::error!(%error, "handing back a delivery failed");
                }
                continue;
            }
            entry.1 += 1;
            let permit = entry.0.clone();
            let (ctx, settings, bodies) = (ctx.clone(), settings.clone(), bodies.clone());
            tasks.spawn(async move {
                let host = delivery.host.clone();
                let finished = match permit.acquire_owned().await {
                    Ok(_permit) => deliver_one(&ctx, &settings, &bodies, &delivery).await,
                    Err(_) => false,
                };
                (host, finished.then_some(delivery))
            });
        }
        if idle {
            tokio::select! {
                _ = &mut shutdown => break,
                _ = ctx.delivery_woken() => {}
                _ = tokio::time::sleep(settings.poll) => {}
                Some(joined) = tasks.join_next() => finish_task(&mut hosts, &mut done, joined),
            }
        } else if tasks.len() >= settings.max_claimed {
            tokio::select! {
                _ = &mut shutdown => break,
                Some(joined) = tasks.join_next() => finish_task(&mut hosts, &mut done, joined),
            }
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(joined) = tasks.join_next().await {
            finish_task(&mut hosts, &mut done, joined);
        }
    })
    .await;
    tasks.abort_all();
    flush(&ctx, &mut done).await;
}

type Joined = std::result::Result<(String, Option<Delivery>), tokio::task::JoinError>;

fn finish_task(
    hosts: &mut HashMap<String, (Arc<Semaphore>, usize)>,
    done: &mut Vec<Delivery>,
    joined: Joined,
) {
    let Ok((host, finished)) = joined else {
        return;
    };
    done.extend(finished);
    if let Some(entry) = hosts.get_mut(&host) {
        entry.1 = entry.1.saturating_sub(1);
        if entry.1 == 0 {
            hosts.remove(&host);
        }
    }
}

/// Removes finished deliveries from the queue, all in one transaction. Should that fail, the
/// rows stay claimed until their lease runs out and are sent again: at least once, never lost.
async fn flush(ctx: &Context, done: &mut Vec<Delivery>) {
    if done.is_empty() {
        return;
    }
    if let Err(error) = ctx.db.finish_deliveries(done).await {
        tracing::error!(%error, count = done.len(), "recording finished deliveries failed");
    }
    done.clear();
}

/// Sends one delivery and records what came of it; returns whether it is done with (sent or
/// given up), for the worker to remove it from the queue with others.
async fn deliver_one(
    ctx: &Context,
    settings: &DeliverySettings,
    bodies: &Bodies,
    delivery: &Delivery,
) -> bool {
    let counters = ctx.counters();
    // A host that answered within the last minute is not dead: no need to ask the database.
    let dead = if ctx.host_recently_healthy(&delivery.host) {
        Ok(false)
    } else {
        ctx.db.host_is_dead(&delivery.host).await
    };
    let outcome = match dead {
        Ok(true) => Err(Failure::Permanent(format!(
            "{} is marked dead",
            delivery.host
        ))),
        // The host asked for a pause (`Retry-After`): wait for it without a request.
        Ok(false) => match ctx.host_paused_until(&delivery.host).await {
            Some(until) => Err(Failure::Deferred(until, "the host asked to wait".into())),
            None => send_unless_blocked(ctx, bodies, delivery).await,
        },
        Err(error) => Err(Failure::Temporary(error.to_string())),
    };
    match outcome {
        Ok(()) => {
            Counters::bump(&counters.delivered);
            if let Err(error) = ctx.host_answered(&delivery.host).await {
                tracing::error!(%error, host = %delivery.host, "recording a host's health failed");
            }
            true
        }
        Err(Failure::Permanent(reason)) => {
            Counters::bump(&counters.delivery_dropped);
            tracing::warn!(inbox = %delivery.inbox_url, %reason, "delivery given up");
            true
        }
        Err(Failure::Refused(status, answer)) => {
            let software = ctx.software_name_cached(&delivery.host).await;
            counters.refused_by(&software);
            Counters::bump(&counters.delivery_dropped);
            tracing::warn!(inbox = %delivery.inbox_url, activity = %delivery.activity_id,
                status, %software, %answer, "delivery refused by the receiving server");
            true
        }
        Err(Failure::Deferred(until, reason)) => {
            match defer(ctx, settings, delivery, until, &reason).await {
                Ok(given_up) => given_up,
                Err(error) => {
                    tracing::error!(%error, inbox = %delivery.inbox_url, "recording a delivery failed");
                    false
                }
            }
        }
        Err(Failure::Temporary(reason)) => match retry(ctx, settings, delivery, &reason).await {
            Ok(given_up) => given_up,
            Err(error) => {
                tracing::error!(%error, inbox = %delivery.inbox_url, "recording a delivery failed");
                false
            }
        },
    }
}

/// Schedules the next attempt; returns whether the delivery was given up instead.
async fn retry(
    ctx: &Context,
    settings: &DeliverySettings,
    delivery: &Delivery,
    reason: &str,
) -> kith_storage::Result<bool> {
    ctx.host_failed(&delivery.host).await;
    let now = now_millis();
    let dead_before = now - settings.dead_after.as_millis() as i64;
    let dead = ctx
        .db
        .record_host_failure(&delivery.host, now, dead_before)
        .await?;
    if dead || delivery.attempts + 1 >= settings.max_attempts {
        Counters::bump(&ctx.counters().delivery_dropped);
        tracing::warn!(inbox = %delivery.inbox_url, %reason, dead, "delivery given up");
        return Ok(true);
    }
    let delay = settings.backoff(delivery.attempts).as_millis() as i64;
    tracing::info!(inbox = %delivery.inbox_url, %reason, attempts = delivery.attempts + 1,
        "delivery failed, will retry");
    ctx.db.retry_delivery(delivery, now + delay, reason).await?;
    Ok(false)
}

/// Puts a delivery off until the time its host asked for, without counting an attempt; the
/// host is paused in this process meanwhile, and still counts as failing (a host that asks to
/// wait for days is marked dead like any other). Returns whether the delivery was given up.
async fn defer(
    ctx: &Context,
    settings: &DeliverySettings,
    delivery: &Delivery,
    until: i64,
    reason: &str,
) -> kith_storage::Result<bool> {
    ctx.pause_host(&delivery.host, until).await;
    ctx.host_failed(&delivery.host).await;
    let now = now_millis();
    let dead_before = now - settings.dead_after.as_millis() as i64;
    if ctx
        .db
        .record_host_failure(&delivery.host, now, dead_before)
        .await?
    {
        Counters::bump(&ctx.counters().delivery_dropped);
        tracing::warn!(inbox = %delivery.inbox_url, %reason, "delivery given up: the host is dead");
        return Ok(true);
    }
    Counters::bump(&ctx.counters().delivery_deferred);
    tracing::info!(inbox = %delivery.inbox_url, %reason, wait_ms = until - now,
        "delivery put off as the host asked");
    ctx.db.defer_delivery(delivery, until, reason).await?;
    Ok(false)
}

/// Sends, unless the inbox's server was blocked since the delivery was queued. A block drops
/// what is queued for the server, but not what a worker already holds in memory (claimed, or
/// waiting for the host's turn) in this process or another; those are dropped here: at once
/// for a block made through this process, within `BLOCKS_TTL` for one made through another
/// (kith-storage `lookup_cache.rs`).
async fn send_unless_blocked(
    ctx: &Context,
    bodies: &Bodies,
    delivery: &Delivery,
) -> std::result::Result<(), Failure> {
    match ctx.db.domain_severity_cached(&delivery.host).await {
        Ok(Some(kith_storage::DomainSeverity::Block)) => {
            Err(Failure::Permanent(format!("{} is blocked", delivery.host)))
        }
        Ok(_) => send(ctx, bodies, delivery).await,
        Err(error) => Err(Failure::Temporary(error.to_string())),
    }
}

async fn send(
    ctx: &Context,
    bodies: &Bodies,
    delivery: &Delivery,
) -> std::result::Result<(), Failure> {
    let prepared = prepare(ctx, bodies, delivery).await.map_err(|e| match e {
        FederationError::Storage(_) => Failure::Temporary(e.to_string()),
        other => Failure::Permanent(other.to_string()),
    })?;
    let (url, key, body, sync) = prepared;
    // Signed in the scheme the host reads, knocking twice if refused (`crate::outbound::knock`).
    let extra = sync.map(|value| (crate::outbound::followers_sync::HEADER, value));
    let response = crate::outbound::knock::post_with_header(ctx, key, &url, body, extra)
        .await
        .map_err(|e| match e {
            // No usable signing key will not mend by waiting.
            FederationError::Key(_) => Failure::Permanent(e.to_string()),
            other => Failure::Temporary(other.to_string()),
        })?;
    answers::outcome(response).await
}

/// Where, signed by whom, what, and a members-only group's FEP-8fcf header for the inbox's
/// server (`crate::outbound::followers_sync`).
type Prepared = (
    url::Url,
    Arc<signatures::SigningKey>,
    Arc<str>,
    Option<String>,
);

/// Bodies of queued activities by id: (signing actor, JSON).
type Bodies = Cache<String, Arc<(String, String)>>;

async fn prepare(ctx: &Context, bodies: &Bodies, delivery: &Delivery) -> Result<Prepared> {
    let url = url::Url::parse(&delivery.inbox_url)
        .map_err(|e| FederationError::BadRequest(format!("{}: {e}", delivery.inbox_url)))?;
    ctx.guard().check_url(&url)?;
    let stored = match bodies.get(&delivery.activity_id).await {
        Some(stored) => stored,
        None => {
            let stored = Arc::new(ctx.db.outgoing_activity(&delivery.activity_id).await?);
            bodies
                .insert(delivery.activity_id.clone(), stored.clone())
                .await;
            stored
        }
    };
    let key = ctx.signing_key_of(&stored.0).await?;
    let sync = crate::outbound::followers_sync::header(ctx, &stored.0, &delivery.inbox_url).await?;
    Ok((url, key, Arc::from(stored.1.as_str()), sync))
}

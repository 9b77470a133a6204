//! Counts of what the inbox, the sanitiser and the delivery queue did since start, read by
//! administrators' pages and the benchmarks.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::signatures::Reason;

/// Counts of what the inbox and the delivery queue did since start.
#[derive(Debug, Default)]
pub struct Counters {
    /// Activities applied (at once, or by the inbox worker).
    pub inbox_accepted: AtomicU64,
    /// Activities answered `202` and queued for the inbox worker.
    pub inbox_queued: AtomicU64,
    /// Batched writes that queued them (group commit: `inbox_queued / inbox_writes` activities
    /// share each statement and commit).
    pub inbox_writes: AtomicU64,
    /// Queued activities the worker could not apply (logged, then forgotten).
    pub inbox_failed: AtomicU64,
    /// Queued activities set aside for taking longer than their time budget to apply (put
    /// back to be tried later, like a passing failure).
    pub inbox_timed_out: AtomicU64,
    /// Remote HTML documents nested deeper than the sanitiser's bound, flattened.
    pub html_flattened: AtomicU64,
    /// Remote HTML documents longer than the sanitiser's bound, cut.
    pub html_truncated: AtomicU64,
    /// Requests refused (bad signature, malformed, forbidden, duplicate, too large).
    pub inbox_rejected: AtomicU64,
    /// Requests refused for going over a rate limit.
    pub inbox_throttled: AtomicU64,
    /// Requests refused because the sender's server or the sender is blocked.
    pub inbox_blocked: AtomicU64,
    /// Activities of types Kith does not handle, answered 202 and dropped.
    pub inbox_ignored: AtomicU64,
    /// Deliveries that succeeded.
    pub delivered: AtomicU64,
    /// Deliveries given up on (permanent failure, dead host, too many attempts).
    pub delivery_dropped: AtomicU64,
    /// Deliveries a remote server refused (a `4xx` answer other than 408 and 429), each logged
    /// with the answer; counted by software in [`Counters::refusals_by_software`] too.
    pub delivery_refused: AtomicU64,
    /// Deliveries put off because the host answered `429` or `503` with `Retry-After`.
    pub delivery_deferred: AtomicU64,
    /// Look-ups of hosts' software (NodeInfo) made.
    pub host_lookups: AtomicU64,
    /// Of those, the ones that found no software (no NodeInfo, or it did not answer).
    pub host_lookups_failed: AtomicU64,
    /// Refused deliveries by the refusing host's software (`unknown` when not known), so that
    /// an operator sees which kind of server refuses what Kith sends.
    delivery_refusals: std::sync::Mutex<std::collections::BTreeMap<String, u64>>,
    /// Nanoseconds spent handling inbox requests, from the body in hand to the outcome.
    pub inbox_nanos: AtomicU64,
    /// Nanoseconds of that spent verifying signatures (the RSA step alone), so an operator
    /// (and the benchmark) sees what share of the inbox's time the cryptography takes.
    pub verify_nanos: AtomicU64,
    /// Signatures and keys refused, by reason (`signatures::Reason::label`).
    refusals: std::sync::Mutex<std::collections::BTreeMap<&'static str, u64>>,
    /// Requests signed with RFC 9421 that verified.
    pub rfc9421_verified: AtomicU64,
    /// Deliveries and fetches sent again in the other signature scheme after a refusal.
    pub second_knocks: AtomicU64,
}

impl Counters {
    /// Adds one to a counter.
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a refused signature or key under its reason.
    pub fn refused(&self, reason: Reason) {
        if let Ok(mut refusals) = self.refusals.lock() {
            *refusals.entry(reason.label()).or_default() += 1;
        }
    }

    /// Refused signatures and keys so far, by reason.
    pub fn refusals(&self) -> std::collections::BTreeMap<&'static str, u64> {
        self.refusals
            .lock()
            .map(|refusals| refusals.clone())
            .unwrap_or_default()
    }

    /// Counts a refused delivery against the refusing host's software.
    pub fn refused_by(&self, software: &str) {
        Counters::bump(&self.delivery_refused);
        if let Ok(mut refusals) = self.delivery_refusals.lock() {
            *refusals.entry(software.to_owned()).or_default() += 1;
        }
    }

    /// The refused deliveries by software, for the administrators' counters.
    pub fn refusals_by_software(&self) -> std::collections::BTreeMap<String, u64> {
        self.delivery_refusals
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
    }

    /// Adds the time since `start` to a nanosecond counter.
    pub fn add_elapsed(counter: &AtomicU64, start: std::time::Instant) {
        let nanos = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        counter.fetch_add(nanos, Ordering::Relaxed);
    }
}

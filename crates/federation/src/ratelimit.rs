//! Rate limits on the inbox, per sending host and per client address (docs/protocol.md, Untrusted input), with
//! governor's GCRA limiter: a burst up to the per-minute quota, then a steady rate. The state
//! lives in each process, which is what a flood from one host costs: each Kith process admits
//! at most its own quota.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Limits an administrator may tune; the defaults suit a community instance.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Inbox deliveries accepted per sending host per minute.
    pub inbox_per_host_per_minute: u32,
    /// Inbox requests accepted per client address per minute.
    pub inbox_per_ip_per_minute: u32,
    /// Mentions one post may carry (more is spam: refused).
    pub mentions_per_post: usize,
    /// Groups one account may create per day (administrators are not limited).
    pub groups_per_day: i64,
    /// How long the inbox worker gives one queued activity before setting it aside (see
    /// `ingress`), so that one sender cannot hold up the others'.
    pub apply_budget: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            // Mastodon flushes a busy account's queue in bursts; 20/s per host is far above
            // what one community's members send, and far below what hurts.
            inbox_per_host_per_minute: 1200,
            inbox_per_ip_per_minute: 1200,
            mentions_per_post: 20,
            groups_per_day: 5,
            // Room for the fetches an activity may need (each gives up after 15 s), and well
            // inside the two-minute lease on a claimed row.
            apply_budget: Duration::from_secs(30),
        }
    }
}

/// The inbox limiters.
pub struct InboxLimiter {
    hosts: DefaultKeyedRateLimiter<String>,
    ips: DefaultKeyedRateLimiter<IpAddr>,
    checks: AtomicU64,
}

impl std::fmt::Debug for InboxLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InboxLimiter").finish_non_exhaustive()
    }
}

fn per_minute(n: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN))
}

impl InboxLimiter {
    /// Limiters with these quotas.
    pub fn new(limits: &Limits) -> Self {
        InboxLimiter {
            hosts: RateLimiter::keyed(per_minute(limits.inbox_per_host_per_minute)),
            ips: RateLimiter::keyed(per_minute(limits.inbox_per_ip_per_minute)),
            checks: AtomicU64::new(0),
        }
    }

    /// Counts one request from `host`; `Err(wait)` when over the quota.
    pub fn check_host(&self, host: &str) -> Result<(), Duration> {
        self.tidy();
        self.hosts
            .check_key(&host.to_owned())
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    /// Counts one request from a client address; `Err(wait)` when over the quota.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), Duration> {
        self.tidy();
        self.ips
            .check_key(&ip)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    /// Forgets keys whose quota has refilled, now and then, so memory stays bounded.
    fn tidy(&self) {
        if self.checks.fetch_add(1, Ordering::Relaxed) % 10_000 == 9_999 {
            self.hosts.retain_recent();
            self.ips.retain_recent();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_over_its_quota_waits_while_others_go_on() {
        let limits = Limits {
            inbox_per_host_per_minute: 3,
            ..Limits::default()
        };
        let limiter = InboxLimiter::new(&limits);
        for _ in 0..3 {
            assert!(limiter.check_host("flood.example").is_ok());
        }
        let wait = limiter.check_host("flood.example").unwrap_err();
        assert!(wait > Duration::from_secs(1) && wait <= Duration::from_secs(20));
        assert!(limiter.check_host("calm.example").is_ok());
    }
}

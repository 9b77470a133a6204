//! Scenario 2, fan-out: one post in a group whose members live on 1,000 hosts; seconds until
//! every host has verified the group's `Announce`, and Kith's resident memory at the peak.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context as _, bail};
use serde_json::{Value, json};

use crate::Scale;
use crate::procs::Kith;
use crate::seed::Seeded;
use crate::sink::{Sink, now_us};

/// One post's fan-out.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FanoutPost {
    /// From the API call to the last host's verified delivery.
    pub seconds: f64,
    /// From the API call to the first host's.
    pub first_seconds: f64,
    /// Deliveries Kith made (and signed: one signature each, as each names its inbox's host).
    pub deliveries: u64,
    /// Hosts reached.
    pub hosts: usize,
    /// Deliveries the sink refused (should be none).
    pub refused: u64,
    /// Kith's CPU seconds spent on it.
    pub cpu_seconds: f64,
}

/// Every fan-out, and the memory peak across them.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Fanout {
    pub posts: Vec<FanoutPost>,
    pub peak_rss_mb: f64,
}

impl Fanout {
    /// The median post by time to the last host.
    pub fn median(&self) -> Option<&FanoutPost> {
        let mut sorted: Vec<&FanoutPost> = self.posts.iter().collect();
        sorted.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
        sorted.get(sorted.len() / 2).copied()
    }
}

impl Sink {
    /// Posts `scale.fanout_posts` times into the fan-out group, one after the other.
    pub async fn fan_out(
        &self,
        kith: &Kith,
        seeded: &Seeded,
        scale: Scale,
    ) -> anyhow::Result<Fanout> {
        let mut result = Fanout::default();
        for n in 0..scale.fanout_posts {
            kith.drain(Duration::from_secs(120)).await?;
            self.reset().await?;
            let before = kith.counters().await?;
            let before_refused = self.stats().await?.refused;
            let cpu = kith.cpu_seconds()?;
            let (peak, stop) = watch_peak(kith);
            let start = now_us();
            let id = write_post(kith, seeded, n).await?;
            self.expect(&id).await?;
            let stats = loop {
                let stats = self.stats().await?;
                if stats.hosts_reached >= scale.fanout_hosts {
                    break stats;
                }
                if now_us() - start > 120_000_000 {
                    bail!(
                        "post {n} reached {} of {} hosts in 120 s",
                        stats.hosts_reached,
                        scale.fanout_hosts
                    );
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            };
            stop.store(true, Ordering::Relaxed);
            let peak = peak.await??;
            let after = kith.counters().await?;
            let post = FanoutPost {
                seconds: (stats.last_us - start) as f64 / 1e6,
                first_seconds: (stats.first_us.saturating_sub(start)) as f64 / 1e6,
                deliveries: delta(&before, &after, "delivered"),
                hosts: stats.hosts_reached,
                refused: stats.refused - before_refused,
                cpu_seconds: kith.cpu_seconds()? - cpu,
            };
            println!(
                "fan-out {n}: {} hosts in {:.3} s (first after {:.3} s), {} deliveries, \
                 {:.2} CPU s, peak {:.1} MB",
                post.hosts,
                post.seconds,
                post.first_seconds,
                post.deliveries,
                post.cpu_seconds,
                peak
            );
            result.peak_rss_mb = result.peak_rss_mb.max(peak);
            result.posts.push(post);
        }
        Ok(result)
    }
}

/// Samples Kith's resident memory every 5 ms until told to stop; the task returns the peak.
fn watch_peak(
    kith: &Kith,
) -> (
    tokio::task::JoinHandle<anyhow::Result<f64>>,
    Arc<AtomicBool>,
) {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let first = kith.rss_mb();
    let pid_status = kith.status_path();
    let task = tokio::spawn(async move {
        let mut peak = first?;
        while !flag.load(Ordering::Relaxed) {
            peak = peak.max(crate::procs::rss_mb_at(&pid_status)?);
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        Ok(peak)
    });
    (task, stop)
}

async fn write_post(kith: &Kith, seeded: &Seeded, n: usize) -> anyhow::Result<String> {
    let text = format!(
        "Clean-up #{n} this Saturday: meet at the east gate at 9:30, gloves and bags provided. \
         Bring a friend!"
    );
    let response = kith
        .client()
        .post(format!(
            "{}/api/v1/groups/{}/posts",
            kith.base, seeded.fanout_group
        ))
        .bearer_auth(&kith.token)
        .json(&json!({ "text": text }))
        .send()
        .await?;
    if !response.status().is_success() {
        bail!("posting: HTTP {}", response.status());
    }
    let post: Value = response.json().await?;
    Ok(post["id"].as_str().context("the post's id")?.to_owned())
}

/// How much a counter grew.
pub fn delta(before: &Value, after: &Value, name: &str) -> u64 {
    let read = |v: &Value| v[name].as_u64().unwrap_or(0);
    read(after).saturating_sub(read(before))
}

//! Scenario 3, reads: requests per second and p99 for what remote servers and people fetch most,
//! each beside the bare axum server answering a document of the same size in the same run, so
//! the ratio holds however busy the machine is.

use std::sync::Arc;
use std::time::Duration;

use anyhow::bail;

use crate::Scale;
use crate::load::{self, LoadResult, Mode};
use crate::procs::{Child, Kith};
use crate::seed::Seeded;

/// One endpoint's figures.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Read {
    pub name: &'static str,
    pub path: String,
    pub bytes: usize,
    pub kith_rps: f64,
    pub kith_p50_ms: f64,
    pub kith_p99_ms: f64,
    pub bare_rps: f64,
    pub bare_p99_ms: f64,
    /// Kith's throughput over the bare server's.
    pub ratio: f64,
    /// What issue 7 asks of the ratio, where it asks.
    pub target: Option<f64>,
    /// Answers that were not 2xx, and connection errors.
    pub failures: u64,
}

/// Measures every endpoint, Kith and bare server taking turns.
pub async fn measure(
    kith: &Kith,
    bare: &Child,
    seeded: &Seeded,
    scale: Scale,
) -> anyhow::Result<Vec<Read>> {
    let host = kith.addr.to_string();
    let thread_path = seeded
        .thread_id
        .strip_prefix(&kith.base)
        .unwrap_or(&seeded.thread_id)
        .to_owned();
    let group = &seeded.read_group;
    let endpoints: [(&'static str, String, &str, Option<f64>); 5] = [
        (
            "WebFinger",
            format!("/.well-known/webfinger?resource=acct:{group}@{host}"),
            "application/jrd+json",
            Some(0.5),
        ),
        (
            "group actor",
            format!("/g/{group}"),
            "application/activity+json",
            Some(0.5),
        ),
        (
            "outbox page",
            format!("/g/{group}/outbox?page=true"),
            "application/activity+json",
            Some(0.25),
        ),
        ("thread page", thread_path, "text/html", Some(0.25)),
        (
            "iCalendar feed",
            format!("/g/{group}/events.ics"),
            "text/calendar",
            None,
        ),
    ];
    let bare_addr: std::net::SocketAddr = format!("127.0.0.1:{}", bare.port("port")?).parse()?;
    let mut reads = Vec::new();
    for (name, path, accept, target) in endpoints {
        let request = Arc::new(vec![load::get_request(&host, &path, accept)]);
        let probe = load::run(kith.addr, request.clone(), 1, Mode::Once).await?;
        if probe.ok() != 1 {
            bail!("{name} ({path}) answered {:?}", probe.statuses);
        }
        let bytes = probe.body_bytes;
        let bare_request = Arc::new(vec![load::get_request(
            &bare_addr.to_string(),
            &format!("/{bytes}"),
            accept,
        )]);
        let warm = Mode::For(Duration::from_millis(500));
        let timed = Mode::For(scale.read_time);
        let conns = scale.read_connections;
        load::run(bare_addr, bare_request.clone(), conns, warm).await?;
        let bare_run = load::run(bare_addr, bare_request, conns, timed).await?;
        load::run(kith.addr, request.clone(), conns, warm).await?;
        let kith_run = load::run(kith.addr, request, conns, timed).await?;
        let read = Read {
            name,
            path,
            bytes,
            kith_rps: kith_run.per_second(),
            kith_p50_ms: kith_run.percentile_ms(0.5),
            kith_p99_ms: kith_run.percentile_ms(0.99),
            bare_rps: bare_run.per_second(),
            bare_p99_ms: bare_run.percentile_ms(0.99),
            ratio: kith_run.per_second() / bare_run.per_second().max(1e-9),
            target,
            failures: failures(&kith_run),
        };
        println!(
            "{name}: {:.0} req/s (p99 {:.2} ms) vs bare {:.0} req/s: {:.0}% ({} bytes)",
            read.kith_rps,
            read.kith_p99_ms,
            read.bare_rps,
            read.ratio * 100.0,
            bytes
        );
        reads.push(read);
    }
    Ok(reads)
}

fn failures(run: &LoadResult) -> u64 {
    let all: u64 = run.statuses.values().sum();
    all - run.ok() + run.errors
}

//! Kith's performance harness (issue 7; how to run it and what it found: docs/performance.md).
//!
//! `cargo bench -p kith --bench federation [-- --db sqlite|postgres|all] [--quick]
//! [--only reads|fanout|inbox]`
//!
//! It starts everything it measures itself, on loopback: the real `kith serve` binary on a fresh
//! database, a *sink* process (1,000 remote "hosts", each its own port, that verify every
//! signature Kith sends and serve the remote actors Kith fetches), and a *bare* axum process that
//! answers a fixed document of a given size, the yardstick for reads. This process seeds the
//! database, drives the load and prints the table, also written to `target/bench/`.
//!
//! The same executable plays the sink and the bare server when started with `KITH_BENCH_ROLE`.

mod cpu;
mod fanout;
mod ingest;
mod load;
mod procs;
mod reads;
mod report;
mod seed;
mod sink;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, bail};

use crate::procs::{Kith, Role};
use crate::report::{Report, Run};

/// How big each scenario is.
#[derive(Clone, Copy, Debug)]
pub struct Scale {
    /// Members of the group the inbox scenario posts into (each one a remote actor that joins
    /// with a signed `Follow`, so Kith fetches and caches every key first).
    pub ingest_members: usize,
    /// Remote hosts those members live on.
    pub ingest_hosts: usize,
    /// Signed `Create{Note}` activities posted in the timed part.
    pub ingest_activities: usize,
    /// Concurrent connections posting them.
    pub ingest_connections: usize,
    /// Members of the fan-out group.
    pub fanout_members: usize,
    /// Hosts they are spread over (one sink port each).
    pub fanout_hosts: usize,
    /// Posts fanned out, one after the other (the figures are their median).
    pub fanout_posts: usize,
    /// Concurrent connections for reads.
    pub read_connections: usize,
    /// How long each read measurement lasts.
    pub read_time: Duration,
}

impl Scale {
    /// The sizes issue 7 asks for.
    const FULL: Scale = Scale {
        ingest_members: 1_000,
        ingest_hosts: 10,
        ingest_activities: 10_000,
        ingest_connections: 32,
        fanout_members: 10_000,
        fanout_hosts: 1_000,
        fanout_posts: 5,
        read_connections: 64,
        read_time: Duration::from_secs(4),
    };

    /// A smoke run: every path exercised in a few seconds.
    const QUICK: Scale = Scale {
        ingest_members: 100,
        ingest_hosts: 5,
        ingest_activities: 2_000,
        ingest_connections: 16,
        fanout_members: 500,
        fanout_hosts: 50,
        fanout_posts: 2,
        read_connections: 16,
        read_time: Duration::from_millis(500),
    };
}

struct Options {
    databases: Vec<&'static str>,
    scale: Scale,
    quick: bool,
    /// Scenarios to run (all unless `--only` names one): for profiling one at a time.
    scenarios: Vec<&'static str>,
}

const SCENARIOS: [&str; 3] = ["reads", "fanout", "inbox"];

fn options() -> anyhow::Result<Options> {
    let mut databases = vec!["sqlite", "postgres"];
    let mut quick = false;
    let mut scenarios = SCENARIOS.to_vec();
    let mut inbox_connections = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            // cargo bench passes this to every bench target.
            "--bench" => {}
            "--quick" => quick = true,
            "--db" => {
                databases = match args.next().as_deref() {
                    Some("sqlite") => vec!["sqlite"],
                    Some("postgres") => vec!["postgres"],
                    Some("all") => vec!["sqlite", "postgres"],
                    other => bail!("--db sqlite|postgres|all, not {other:?}"),
                }
            }
            "--only" => {
                let name = args.next().unwrap_or_default();
                match SCENARIOS.iter().find(|s| **s == name) {
                    Some(s) => scenarios = vec![s],
                    None => bail!("--only reads|fanout|inbox, not {name:?}"),
                }
            }
            "--inbox-connections" => {
                let n = args.next().unwrap_or_default();
                inbox_connections = Some(n.parse::<usize>().ok().filter(|n| *n > 0).with_context(
                    || format!("--inbox-connections takes a positive number, not {n:?}"),
                )?);
            }
            other => bail!(
                "unknown argument {other:?} (--db sqlite|postgres|all, --quick, --only SCENARIO, \
                 --inbox-connections N)"
            ),
        }
    }
    let mut scale = if quick { Scale::QUICK } else { Scale::FULL };
    if let Some(n) = inbox_connections {
        scale.ingest_connections = n;
    }
    Ok(Options {
        databases,
        scale,
        quick,
        scenarios,
    })
}

fn main() -> anyhow::Result<()> {
    let role = std::env::var(procs::ROLE_VAR).ok();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match role.as_deref() {
        Some("sink") => return runtime.block_on(sink::main()),
        Some("bare") => return runtime.block_on(load::bare_main()),
        Some(other) => bail!("unknown {} {other:?}", procs::ROLE_VAR),
        None => {}
    }
    let options = options()?;
    runtime.block_on(run(options))
}

/// Where results and logs go: `target/bench/` of the workspace.
fn out_dir() -> anyhow::Result<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir.canonicalize()?)
}

async fn run(options: Options) -> anyhow::Result<()> {
    let out = out_dir()?;
    let scale = options.scale;
    println!("kith bench: results and logs in {}", out.display());
    let bare = procs::spawn_role(Role::Bare, &[], &out).await?;
    let mut report = Report::new(scale, options.quick);
    for database in &options.databases {
        let run = run_on(database, scale, &options.scenarios, &out, &bare).await?;
        report.push(run);
    }
    let written = report.write(&out)?;
    println!("\n{}", report.markdown());
    println!("written to {}", written.display());
    Ok(())
}

/// Every scenario against one fresh database.
async fn run_on(
    database: &str,
    scale: Scale,
    scenarios: &[&str],
    out: &std::path::Path,
    bare: &procs::Child,
) -> anyhow::Result<Run> {
    println!("\n== {database} ==");
    let store = procs::Store::fresh(database, out).await?;
    let keys = ingest::keys(4).await?;
    let sink = sink::Sink::start(scale, &keys, out).await?;
    let port = procs::free_port()?;
    let domain = format!("127.0.0.1:{port}");
    let started = std::time::Instant::now();
    let seeded = seed::seed(&store.url, &domain, &sink, scale).await?;
    println!(
        "seeded {} fan-out members on {} hosts and the read fixtures in {:.1} s",
        scale.fanout_members,
        scale.fanout_hosts,
        started.elapsed().as_secs_f64()
    );
    let kith = Kith::start(&store.url, port, out, database, &seeded.token).await?;
    let mut run = Run::new(database);
    tokio::time::sleep(Duration::from_secs(2)).await;
    run.idle_rss_mb = kith.rss_mb()?;
    println!("idle: {:.1} MB resident", run.idle_rss_mb);

    if scenarios.contains(&"reads") {
        run.reads = reads::measure(&kith, bare, &seeded, scale).await?;
    }
    if scenarios.contains(&"fanout") {
        run.fanout = sink.fan_out(&kith, &seeded, scale).await?;
    }
    if scenarios.contains(&"inbox") {
        run.ingest = ingest::measure(&kith, &sink, &keys, &seeded, scale).await?;
    }
    run.kith_log = kith.log_path().display().to_string();
    kith.stop().await?;
    sink.stop().await?;
    store.drop_database().await?;
    Ok(run)
}

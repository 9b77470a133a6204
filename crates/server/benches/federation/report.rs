//! The results table: printed, and written to `target/bench/` as Markdown and JSON.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::Scale;
use crate::fanout::Fanout;
use crate::ingest::Ingest;
use crate::reads::Read;

/// Everything measured on one database.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Run {
    pub database: String,
    pub idle_rss_mb: f64,
    pub reads: Vec<Read>,
    pub fanout: Fanout,
    pub ingest: Ingest,
    pub kith_log: String,
}

impl Run {
    /// An empty run on `database`.
    pub fn new(database: &str) -> Run {
        Run {
            database: database.into(),
            idle_rss_mb: 0.0,
            reads: Vec::new(),
            fanout: Fanout::default(),
            ingest: Ingest::default(),
            kith_log: String::new(),
        }
    }
}

/// The whole report.
#[derive(Debug, serde::Serialize)]
pub struct Report {
    #[serde(skip)]
    scale: Scale,
    quick: bool,
    machine: String,
    commit: String,
    runs: Vec<Run>,
}

fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    format!("{cores} cores, {model}")
}

fn commit() -> String {
    std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}

fn mark(ok: bool) -> &'static str {
    if ok { "met" } else { "**missed**" }
}

impl Report {
    /// An empty report for runs at `scale`.
    pub fn new(scale: Scale, quick: bool) -> Report {
        Report {
            scale,
            quick,
            machine: machine(),
            commit: commit(),
            runs: Vec::new(),
        }
    }

    /// Adds one database's run.
    pub fn push(&mut self, run: Run) {
        self.runs.push(run);
    }

    /// The tables, in Markdown.
    pub fn markdown(&self) -> String {
        let s = &self.scale;
        let mut md = String::new();
        let _ = writeln!(
            md,
            "Kith benchmark at {} on {}{}.\n",
            self.commit,
            self.machine,
            if self.quick {
                " (quick run: small sizes, not the targets' sizes)"
            } else {
                ""
            }
        );
        let _ = writeln!(
            md,
            "Inbox: {} members on {} hosts, {} signed `Create{{Note}}` over {} connections. \
             Fan-out: {} members on {} hosts, {} posts (median shown). Reads: {} connections, \
             {:?} each.\n",
            s.ingest_members,
            s.ingest_hosts,
            s.ingest_activities,
            s.ingest_connections,
            s.fanout_members,
            s.fanout_hosts,
            s.fanout_posts,
            s.read_connections,
            s.read_time
        );
        md.push_str("| measure | target |");
        for run in &self.runs {
            let _ = write!(md, " {} |", run.database);
        }
        md.push_str("\n|---|---|");
        md.push_str(&"---|".repeat(self.runs.len()));
        md.push('\n');
        self.rows(&mut md);
        md
    }

    fn row(&self, md: &mut String, name: &str, target: &str, cell: impl Fn(&Run) -> String) {
        let _ = write!(md, "| {name} | {target} |");
        for run in &self.runs {
            let _ = write!(md, " {} |", cell(run));
        }
        md.push('\n');
    }

    fn rows(&self, md: &mut String) {
        if self.runs.iter().all(|r| r.ingest.sent == 0) {
            return self.later_rows(md);
        }
        self.row(md, "inbox: accepted/s", "≥ 5,000", |r| {
            let v = r.ingest.accepted_per_second;
            format!("{v:.0} ({})", mark(v >= 5_000.0))
        });
        self.row(
            md,
            "inbox: applied/s (until the last was applied)",
            "",
            |r| format!("{:.0}", r.ingest.applied_per_second),
        );
        self.row(md, "inbox: p50 / p99 latency", "p99 < 50 ms", |r| {
            let i = &r.ingest;
            format!(
                "{:.1} / {:.1} ms ({})",
                i.p50_ms,
                i.p99_ms,
                mark(i.p99_ms < 50.0)
            )
        });
        self.row(
            md,
            "inbox: share of Kith CPU verifying signatures",
            "",
            |r| format!("{:.1}%", r.ingest.verify_share * 100.0),
        );
        self.row(md, "inbox: activities per batched write", "", |r| {
            format!("{:.1}", r.ingest.per_write)
        });
        self.row(
            md,
            "inbox: CPU of Kith / of the machine (cores of 2)",
            "",
            |r| format!("{:.2} / {:.2}", r.ingest.cpu_cores, r.ingest.machine_cores),
        );
        self.row(md, "inbox: cores by part", "", |r| {
            r.ingest.cores_by_part.clone()
        });
        self.row(
            md,
            "inbox: announces delivered meanwhile / queued after",
            "",
            |r| format!("{} / {}", r.ingest.delivered, r.ingest.queued_after),
        );
        self.row(md, "inbox: joins (Follow + actor fetch)/s", "", |r| {
            format!("{:.0}", r.ingest.joins_per_second)
        });
        self.later_rows(md);
    }

    /// The rows after the inbox's (those of a run with `--only` another scenario).
    fn later_rows(&self, md: &mut String) {
        self.row(md, "fan-out: to every host", "≤ 1 s", |r| {
            match r.fanout.median() {
                Some(p) => format!("{:.3} s ({})", p.seconds, mark(p.seconds <= 1.0)),
                None => "–".into(),
            }
        });
        self.row(
            md,
            "fan-out: deliveries (= signatures)/s",
            "",
            |r| match r.fanout.median() {
                Some(p) => format!("{:.0}", p.deliveries as f64 / p.seconds.max(1e-9)),
                None => "–".into(),
            },
        );
        self.row(md, "fan-out: refused by the sinks", "0", |r| {
            let refused: u64 = r.fanout.posts.iter().map(|p| p.refused).sum();
            format!("{refused}")
        });
        for (i, name) in self
            .runs
            .first()
            .map(|r| r.reads.iter().map(|x| x.name).collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .enumerate()
        {
            let target = self.runs[0].reads[i]
                .target
                .map_or(String::new(), |t| format!("≥ {:.0}% of bare", t * 100.0));
            self.row(md, &format!("read: {name} req/s (p99)"), &target, |r| {
                let Some(x) = r.reads.get(i) else {
                    return "–".into();
                };
                let verdict = x.target.map_or("", |t| mark(x.ratio >= t));
                format!(
                    "{:.0} ({:.1} ms) = {:.0}% of {:.0} {verdict}",
                    x.kith_rps,
                    x.kith_p99_ms,
                    x.ratio * 100.0,
                    x.bare_rps
                )
            });
        }
        self.row(md, "memory: idle RSS", "≤ 50 MB", |r| {
            format!("{:.1} MB ({})", r.idle_rss_mb, mark(r.idle_rss_mb <= 50.0))
        });
        self.row(md, "memory: RSS at fan-out peak", "≤ 200 MB", |r| {
            if r.fanout.posts.is_empty() {
                return "–".into();
            }
            let p = r.fanout.peak_rss_mb;
            format!("{p:.1} MB ({})", mark(p <= 200.0))
        });
    }

    /// Writes `latest.md`, `latest.json` and a dated copy; returns the Markdown file.
    pub fn write(&self, out: &Path) -> anyhow::Result<PathBuf> {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let md = self.markdown();
        std::fs::write(out.join(format!("results-{stamp}.md")), &md)?;
        std::fs::write(out.join("latest.json"), serde_json::to_vec_pretty(self)?)?;
        let latest = out.join("latest.md");
        std::fs::write(&latest, md)?;
        Ok(latest)
    }
}

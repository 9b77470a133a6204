//! The processes the harness starts: Kith itself (the real binary), its own helper roles, and a
//! throwaway database; and what it reads of them (resident memory, CPU time, counters).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context as _, bail};
use serde_json::Value;
use sqlx::{Connection, Executor};
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{ChildStdout, Command};

/// The variable that makes this executable play a helper role.
pub const ROLE_VAR: &str = "KITH_BENCH_ROLE";

/// A helper role of this executable.
pub enum Role {
    Sink,
    Bare,
}

/// A port free right now on loopback (Kith's domain must be known before it starts).
pub fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// A started helper: its process, and the first line it printed (its ports, as JSON).
pub struct Child {
    process: tokio::process::Child,
    /// What the helper announced when ready.
    pub ready: Value,
    _lines: Lines<BufReader<ChildStdout>>,
}

/// Starts this executable in `role`, with `env`, and waits for its ready line.
pub async fn spawn_role(role: Role, env: &[(&str, String)], out: &Path) -> anyhow::Result<Child> {
    let name = match role {
        Role::Sink => "sink",
        Role::Bare => "bare",
    };
    let log = std::fs::File::create(out.join(format!("{name}.log")))?;
    let mut command = Command::new(std::env::current_exe()?);
    command
        .env(ROLE_VAR, name)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::piped())
        .stderr(log)
        .kill_on_drop(true);
    let mut process = command
        .spawn()
        .with_context(|| format!("starting the {name}"))?;
    let stdout = process.stdout.take().context("the helper's output")?;
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(Duration::from_secs(120), lines.next_line())
        .await
        .with_context(|| format!("the {name} did not get ready"))??
        .with_context(|| format!("the {name} exited; see {name}.log"))?;
    let ready = serde_json::from_str(&line).with_context(|| format!("{name} said {line:?}"))?;
    Ok(Child {
        process,
        ready,
        _lines: lines,
    })
}

impl Child {
    /// Ends the helper.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.process.kill().await?;
        Ok(())
    }

    /// A port the helper announced under `key`.
    pub fn port(&self, key: &str) -> anyhow::Result<u16> {
        self.ready[key]
            .as_u64()
            .and_then(|p| u16::try_from(p).ok())
            .with_context(|| format!("no {key} in {}", self.ready))
    }
}

/// A fresh database for one run: a SQLite file, or a new database on a PostgreSQL server
/// (`KITH_BENCH_POSTGRES_URL`, else a throwaway cluster started with `scripts/pg-cluster` with
/// PostgreSQL's default durability).
pub struct Store {
    /// The URL Kith is given.
    pub url: String,
    cluster: Option<PathBuf>,
}

fn pg_cluster_script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/pg-cluster")
}

impl Store {
    /// A new, empty database of kind `kind` (`sqlite` or `postgres`).
    pub async fn fresh(kind: &str, out: &Path) -> anyhow::Result<Store> {
        if kind == "sqlite" {
            let dir = out.join("sqlite");
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir)?;
            return Ok(Store {
                url: format!("sqlite://{}", dir.join("kith.db").display()),
                cluster: None,
            });
        }
        let (server, cluster) = match std::env::var("KITH_BENCH_POSTGRES_URL") {
            Ok(url) if !url.is_empty() => (url, None),
            _ => {
                let dir = out.join("pg");
                let _ = std::process::Command::new(pg_cluster_script())
                    .args(["stop", &dir.display().to_string()])
                    .status();
                let started = std::process::Command::new(pg_cluster_script())
                    .args(["start", &dir.display().to_string()])
                    .env("PG_CLUSTER_DURABLE", "1")
                    .output()?;
                if !started.status.success() {
                    bail!(
                        "scripts/pg-cluster: {}",
                        String::from_utf8_lossy(&started.stderr)
                    );
                }
                (
                    String::from_utf8(started.stdout)?.trim().to_owned(),
                    Some(dir),
                )
            }
        };
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(&server).await?;
        let name = format!("kith_bench_{}", std::process::id());
        conn.execute(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name}"
        )))
        .await?;
        conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await?;
        conn.close().await?;
        let mut url = url::Url::parse(&server)?;
        url.set_path(&format!("/{name}"));
        Ok(Store {
            url: url.to_string(),
            cluster,
        })
    }

    /// Stops the throwaway cluster, if the harness started one.
    pub async fn drop_database(self) -> anyhow::Result<()> {
        if let Some(dir) = self.cluster {
            std::process::Command::new(pg_cluster_script())
                .args(["stop", &dir.display().to_string()])
                .status()?;
        }
        Ok(())
    }
}

/// Seconds the machine's CPUs were busy since boot, summed over CPUs (`/proc/stat`): what
/// every process on the machine used, to set Kith's share beside.
pub fn machine_busy_seconds() -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string("/proc/stat")?;
    let line = stat.lines().next().context("/proc/stat")?;
    // cpu user nice system idle iowait irq softirq steal ...: all but idle and iowait are busy.
    let fields: Vec<f64> = line
        .split_whitespace()
        .skip(1)
        .map(|f| f.parse::<f64>())
        .collect::<Result<_, _>>()?;
    // (guest time is counted in user time already: the first eight fields only.)
    let busy: f64 = fields
        .iter()
        .take(8)
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 4)
        .map(|(_, v)| v)
        .sum();
    Ok(busy / 100.0)
}

/// The Kith server under test: `kith serve`, the binary cargo built for this bench.
pub struct Kith {
    process: tokio::process::Child,
    pid: u32,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// `127.0.0.1:PORT`: the instance's domain and address.
    pub addr: std::net::SocketAddr,
    log: PathBuf,
    client: reqwest::Client,
    /// An administrator's API token (set after seeding).
    pub token: String,
}

impl Kith {
    /// Starts Kith on `port` over the database at `url` and waits until it answers.
    pub async fn start(
        url: &str,
        port: u16,
        out: &Path,
        label: &str,
        token: &str,
    ) -> anyhow::Result<Kith> {
        let log = out.join(format!("kith-{label}.log"));
        let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse()?;
        let process = Command::new(env!("CARGO_BIN_EXE_kith"))
            .arg("serve")
            .env("KITH_LISTEN", addr.to_string())
            .env("KITH_DOMAIN", addr.to_string())
            .env("KITH_DATABASE_URL", url)
            .env("KITH_DEV", "true")
            // The senders are a handful of loopback hosts; the default quota (1,200 a minute per
            // host and per address) would measure the rate limiter, not the inbox.
            .env("KITH_INBOX_PER_HOST_PER_MINUTE", "100000000")
            .env("KITH_INBOX_PER_IP_PER_MINUTE", "100000000")
            .env(
                "RUST_LOG",
                std::env::var("KITH_BENCH_LOG").unwrap_or("warn".into()),
            )
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log)?)
            .kill_on_drop(true)
            .spawn()
            .context("starting kith serve")?;
        let pid = process.id().context("kith's pid")?;
        let client = reqwest::Client::builder().no_proxy().build()?;
        let kith = Kith {
            process,
            pid,
            base: format!("http://{addr}"),
            addr,
            log,
            client,
            token: token.to_owned(),
        };
        for _ in 0..600 {
            if let Ok(r) = kith
                .client
                .get(format!("{}/healthz", kith.base))
                .send()
                .await
                && r.status().is_success()
            {
                return Ok(kith);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!(
            "kith did not answer within 30 s; see {}",
            kith.log.display()
        )
    }

    /// Kith's log file.
    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// Resident memory now, in MB.
    pub fn rss_mb(&self) -> anyhow::Result<f64> {
        rss_mb_at(&self.status_path())
    }

    /// `/proc/PID/status` of the process.
    pub fn status_path(&self) -> PathBuf {
        PathBuf::from(format!("/proc/{}/status", self.pid))
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// CPU seconds (user + system) the process has used so far.
    pub fn cpu_seconds(&self) -> anyhow::Result<f64> {
        let (_, seconds) =
            crate::cpu::read_stat(&format!("/proc/{}/stat", self.pid)).context("/proc stat")?;
        Ok(seconds)
    }

    /// Starts `perf record -g` on Kith when `KITH_BENCH_PERF` names a directory: a profile of
    /// one timed part, `<dir>/<label>.data`, written when the returned guard is finished.
    pub fn profile(&self, label: &str) -> anyhow::Result<Option<Profile>> {
        let Some(dir) = std::env::var_os("KITH_BENCH_PERF") else {
            return Ok(None);
        };
        std::fs::create_dir_all(&dir)?;
        let data = PathBuf::from(dir).join(format!("{label}.data"));
        // KITH_BENCH_PERF_ALL=1 records every process (the harness, the sink, PostgreSQL).
        let target = match std::env::var_os("KITH_BENCH_PERF_ALL") {
            Some(_) => vec!["-a".to_owned()],
            None => vec!["-p".to_owned(), self.pid.to_string()],
        };
        let child = std::process::Command::new("perf")
            .args(["record", "-g", "-q", "-o"])
            .arg(&data)
            .args(&target)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting perf (is it installed?)")?;
        // perf needs a moment to attach before the load starts.
        std::thread::sleep(Duration::from_millis(300));
        Ok(Some(Profile { child, data }))
    }

    /// The federation counters (`GET /api/v1/admin/federation`).
    pub async fn counters(&self) -> anyhow::Result<Value> {
        let response = self
            .client
            .get(format!("{}/api/v1/admin/federation", self.base))
            .bearer_auth(&self.token)
            .send()
            .await?;
        if !response.status().is_success() {
            bail!("counters: HTTP {}", response.status());
        }
        Ok(response.json().await?)
    }

    /// Waits until the delivery queue is empty; returns how long that took.
    pub async fn drain(&self, limit: Duration) -> anyhow::Result<Duration> {
        let start = std::time::Instant::now();
        while start.elapsed() < limit {
            if self.counters().await?["deliveries_queued"].as_i64() == Some(0) {
                return Ok(start.elapsed());
            }
            // Not timed: waits between parts (see `applied` for why not more often).
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("the delivery queue did not empty within {limit:?}")
    }

    /// Waits until the inbox worker has applied every queued activity; returns how long ago
    /// the last one was applied, within the polling interval (so the caller can tell when).
    pub async fn applied(&self, limit: Duration) -> anyhow::Result<Duration> {
        let start = std::time::Instant::now();
        while start.elapsed() < limit {
            let checked = std::time::Instant::now();
            if self.counters().await?["inbox_backlog"].as_i64() == Some(0) {
                return Ok(checked.elapsed());
            }
            // Each look counts two queues (a scan of each on PostgreSQL, ~20 ms with 100,000
            // deliveries queued): asked every 10 ms, the harness kept a core of the database busy
            // and slowed what it measured.
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("the inbound queue did not empty within {limit:?}")
    }

    /// A plain client for API calls.
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Stops Kith.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.process.kill().await?;
        Ok(())
    }
}

/// A running `perf record`; [`Profile::finish`] stops it and waits for the file.
pub struct Profile {
    child: std::process::Child,
    data: PathBuf,
}

impl Profile {
    /// Stops recording (SIGINT, as perf expects) and says where the profile is.
    pub fn finish(mut self) -> anyhow::Result<()> {
        let status = std::process::Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()?;
        if !status.success() {
            bail!("could not stop perf");
        }
        self.child.wait()?;
        println!("profile written to {}", self.data.display());
        Ok(())
    }
}

/// Resident memory (`VmRSS`) read from a `/proc/PID/status` file, in MB.
pub fn rss_mb_at(status: &Path) -> anyhow::Result<f64> {
    let text = std::fs::read_to_string(status)?;
    let line = text
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .with_context(|| format!("VmRSS in {}", status.display()))?;
    let kb: f64 = line
        .split_whitespace()
        .nth(1)
        .context("a number")?
        .parse()?;
    Ok(kb / 1024.0)
}

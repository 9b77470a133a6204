//! Running the `kith` binary from tests: admin commands, and servers on 127.0.0.1:0.

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Output, Stdio},
    sync::mpsc,
    time::Duration,
};

use serde_json::Value;

/// A database for a test, with the folder the commands run in.
pub struct TestSite {
    pub url: String,
    pub label: &'static str,
    pub dir: tempfile::TempDir,
}

/// SQLite always; PostgreSQL when `KITH_TEST_DATABASE_URL` is set.
pub async fn sites() -> Vec<TestSite> {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("data/kith.db").display());
    let mut sites = vec![TestSite {
        url,
        label: "sqlite",
        dir,
    }];
    if let Some(url) = kith_storage::testing::postgres_url().await {
        sites.push(TestSite {
            url,
            label: "postgres",
            dir: tempfile::tempdir().unwrap(),
        });
    }
    sites
}

/// `kith ARGS` with only the given settings (no stray KITH_* from the environment).
pub fn kith(cwd: &Path, db_url: &str, args: &[&str]) -> Output {
    command(cwd, Some(db_url))
        .args(args)
        .output()
        .expect("run kith")
}

/// `kith` in `cwd` with test settings; without `db_url`, Kith's default database is used.
pub fn command(cwd: &Path, db_url: Option<&str>) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kith"));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("KITH_") {
            cmd.env_remove(key);
        }
    }
    if let Some(url) = db_url {
        cmd.env("KITH_DATABASE_URL", url);
    }
    cmd.current_dir(cwd)
        .env("KITH_DOMAIN", "kith.test")
        .env("KITH_PASSWORD", "a long password")
        .env("RUST_LOG", "info")
        .stdin(Stdio::null());
    cmd
}

/// Standard output and error of a finished command, for assertion messages.
pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A running `kith serve`; killed when dropped.
pub struct Server {
    child: Child,
    pub base: String,
    logs: mpsc::Receiver<String>,
}

impl Server {
    /// Starts `kith serve` on a free loopback port and waits until it listens.
    pub fn start(cwd: &Path, db_url: &str) -> Server {
        Server::start_with(cwd, Some(db_url))
    }

    /// Like [`Server::start`]; without `db_url` Kith uses its default database.
    pub fn start_with(cwd: &Path, db_url: Option<&str>) -> Server {
        let mut serve = command(cwd, db_url);
        serve.env("KITH_LISTEN", "127.0.0.1:0");
        Server::spawn(serve)
    }

    /// `kith serve` on `127.0.0.1:PORT`, in development mode (plain http, loopback peers)
    /// as the instance at `domain` (several processes of one instance share it), with the
    /// inbox's rate limits out of the way of a burst.
    pub fn start_at(cwd: &Path, db_url: &str, port: u16, domain: &str) -> Server {
        Server::spawn(instance_command(cwd, db_url, domain, port))
    }

    /// Starts `kith serve` with the settings of `cmd` and waits until it listens.
    fn spawn(mut cmd: Command) -> Server {
        let mut child = cmd
            .args(["serve"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn kith serve");
        let stderr = child.stderr.take().unwrap();
        let (tx, logs) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut seen = Vec::new();
        loop {
            let Ok(line) = logs.recv_timeout(Duration::from_secs(60)) else {
                let _ = child.kill();
                let _ = child.wait();
                panic!("kith serve did not start:\n{}", seen.join("\n"));
            };
            if let Some(at) = line.find("listening on http://") {
                let addr = line[at + "listening on http://".len()..]
                    .split_whitespace()
                    .next();
                let base = format!("http://{}", addr.unwrap_or_default());
                return Server { child, base, logs };
            }
            seen.push(line);
        }
    }

    /// GETs a path and returns the status and JSON body.
    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let res = reqwest::get(format!("{}{path}", self.base)).await.unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// Log lines written since the last call (or since it listened).
    pub fn new_logs(&self) -> Vec<String> {
        self.logs.try_iter().collect()
    }

    /// Kills it with SIGKILL (no graceful stop: a crash) and waits until it is gone.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Sends SIGTERM and waits; returns whether it exited cleanly, and its later log lines.
    pub fn terminate(mut self) -> (bool, Vec<String>) {
        let pid = self.child.id().to_string();
        let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(killed.success());
        let status = self.child.wait().unwrap();
        // The reader thread may still be forwarding the last lines: read until it hangs up at
        // the end of the output (bounded, should it never come).
        let mut lines = Vec::new();
        while let Ok(line) = self.logs.recv_timeout(Duration::from_secs(10)) {
            lines.push(line);
        }
        (status.success(), lines)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The path of the SQLite file behind a `sqlite://` URL.
pub fn sqlite_file(url: &str) -> PathBuf {
    PathBuf::from(url.trim_start_matches("sqlite://"))
}

/// `kith` with the settings of one process of the instance at `domain` listening on `port`
/// (see [`Server::start_at`]); admin commands run with the same settings reach the same instance.
pub fn instance_command(cwd: &Path, db_url: &str, domain: &str, port: u16) -> Command {
    let mut cmd = command(cwd, Some(db_url));
    cmd.env("KITH_LISTEN", format!("127.0.0.1:{port}"))
        .env("KITH_DOMAIN", domain)
        .env("KITH_DEV", "true")
        .env("KITH_INBOX_PER_HOST_PER_MINUTE", "100000")
        .env("KITH_INBOX_PER_IP_PER_MINUTE", "100000");
    cmd
}

/// A loopback port free a moment ago, for a server that must come back on the same one.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

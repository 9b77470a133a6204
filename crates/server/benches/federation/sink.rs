//! The sink: every remote server Kith talks to in the benchmark, in one helper process.
//!
//! It listens on one loopback port per remote host (a host is `127.0.0.1:PORT`, so 1,000 ports
//! are 1,000 hosts to Kith: per-host queues, connections and signatures). On each it serves the
//! remote people Kith fetches (`/users/N`, with a public key) and takes deliveries at the shared
//! inbox, verifying every signature with the key it fetched from Kith, as Mastodon would. A
//! control port tells the harness when a given post has reached every host.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::routing::{get, post};
use axum::{Json, Router};
use kith_federation::signatures;
use kith_federation::signatures::VerifyingKey;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::Scale;
use crate::procs::{self, Child, Role};

/// Microseconds since the epoch: the sink and the harness are different processes on one clock.
pub fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// The harness's handle on the sink process.
pub struct Sink {
    child: Child,
    fanout: Vec<u16>,
    ingest: Vec<u16>,
    public_pems: Vec<String>,
    control: String,
    client: reqwest::Client,
}

impl Sink {
    /// Starts the sink with hosts for both scenarios; `keys` are the ingest actors' key pairs.
    pub async fn start(
        scale: Scale,
        keys: &[kith_federation::keys::KeyPair],
        out: &std::path::Path,
    ) -> anyhow::Result<Sink> {
        let public_pems: Vec<String> = keys.iter().map(|k| k.public_pem.clone()).collect();
        let keys_file = out.join("sink-keys.json");
        std::fs::write(&keys_file, serde_json::to_vec(&public_pems)?)?;
        let env = [
            ("KITH_BENCH_FANOUT_HOSTS", scale.fanout_hosts.to_string()),
            ("KITH_BENCH_INGEST_HOSTS", scale.ingest_hosts.to_string()),
            ("KITH_BENCH_KEYS", keys_file.display().to_string()),
        ];
        let child = procs::spawn_role(Role::Sink, &env, out).await?;
        let ports = |key: &str| -> anyhow::Result<Vec<u16>> {
            Ok(serde_json::from_value(child.ready[key].clone())?)
        };
        let (fanout, ingest) = (ports("fanout")?, ports("ingest")?);
        let control = format!("http://127.0.0.1:{}", child.port("control")?);
        Ok(Sink {
            child,
            fanout,
            ingest,
            public_pems,
            control,
            client: reqwest::Client::builder().no_proxy().build()?,
        })
    }

    /// The fan-out group's hosts.
    pub fn fanout_ports(&self) -> &[u16] {
        &self.fanout
    }

    /// The hosts the inbox scenario's senders live on.
    pub fn ingest_ports(&self) -> &[u16] {
        &self.ingest
    }

    /// Public key number `n` (remote actor `n` uses key `n % keys`).
    pub fn public_pem(&self, n: usize) -> &str {
        &self.public_pems[n % self.public_pems.len()]
    }

    /// Tells the sink which post to watch for; deliveries already in count too.
    pub async fn expect(&self, needle: &str) -> anyhow::Result<()> {
        self.client
            .post(format!("{}/expect", self.control))
            .json(&json!({ "needle": needle }))
            .send()
            .await?
            .error_for_status()?;
        Ok(())
    }

    /// Forgets past deliveries.
    pub async fn reset(&self) -> anyhow::Result<()> {
        self.client
            .post(format!("{}/reset", self.control))
            .send()
            .await?
            .error_for_status()?;
        Ok(())
    }

    /// What the sink has seen since the last reset.
    pub async fn stats(&self) -> anyhow::Result<Stats> {
        Ok(self
            .client
            .get(format!("{}/stats", self.control))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?)
    }

    /// Ends the sink.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.child.stop().await
    }
}

/// The sink's counts.
#[derive(Clone, Debug, Default, Deserialize, serde::Serialize)]
pub struct Stats {
    /// Deliveries whose signature verified.
    pub verified: u64,
    /// Deliveries refused (no signature, bad digest, wrong key).
    pub refused: u64,
    /// Hosts that have received the watched post.
    pub hosts_reached: usize,
    /// When the first and the last of them received it (µs since the epoch).
    pub first_us: u64,
    pub last_us: u64,
}

// ---- the sink process ----

#[derive(Default)]
struct Watch {
    needle: Option<String>,
    /// Every delivery since the last reset: (host port, arrival µs, body).
    arrivals: Vec<(u16, u64, Bytes)>,
    reached: HashMap<u16, u64>,
}

struct SinkState {
    public_pems: Vec<String>,
    /// Deliveries are kept (for `/expect`) only on the fan-out hosts: the inbox scenario's
    /// hundreds of thousands would fill memory.
    watched_ports: std::collections::HashSet<u16>,
    kith_keys: Mutex<HashMap<String, Arc<VerifyingKey>>>,
    client: reqwest::Client,
    verified: AtomicU64,
    refused: AtomicU64,
    watch: Mutex<Watch>,
}

type Shared = Arc<SinkState>;

/// The sink role's entry point: binds every port, prints them as JSON, serves until killed.
pub async fn main() -> anyhow::Result<()> {
    let count = |var: &str| -> anyhow::Result<usize> {
        std::env::var(var)
            .with_context(|| var.to_owned())?
            .parse()
            .with_context(|| var.to_owned())
    };
    let keys_file = std::env::var("KITH_BENCH_KEYS").context("KITH_BENCH_KEYS")?;
    let ports = |n: usize| async move {
        let mut bound = Vec::new();
        for _ in 0..n {
            bound.push(TcpListener::bind("127.0.0.1:0").await?);
        }
        anyhow::Ok(bound)
    };
    let port_of = |l: &TcpListener| l.local_addr().map(|a| a.port()).unwrap_or(0);
    let fanout = ports(count("KITH_BENCH_FANOUT_HOSTS")?).await?;
    let ingest = ports(count("KITH_BENCH_INGEST_HOSTS")?).await?;
    let state = Arc::new(SinkState {
        public_pems: serde_json::from_slice(&std::fs::read(keys_file)?)?,
        watched_ports: fanout.iter().map(port_of).collect(),
        kith_keys: Mutex::default(),
        client: reqwest::Client::builder().no_proxy().build()?,
        verified: AtomicU64::new(0),
        refused: AtomicU64::new(0),
        watch: Mutex::default(),
    });
    let hosts = Router::new()
        .route("/users/{n}", get(actor))
        .route("/inbox", post(inbox))
        .route("/users/{n}/inbox", post(inbox))
        .with_state(state.clone());
    let control = Router::new()
        .route("/expect", post(expect))
        .route("/reset", post(reset))
        .route("/stats", get(stats))
        .with_state(state);
    let control_listener = TcpListener::bind("127.0.0.1:0").await?;
    let ready = json!({
        "control": port_of(&control_listener),
        "fanout": fanout.iter().map(port_of).collect::<Vec<_>>(),
        "ingest": ingest.iter().map(port_of).collect::<Vec<_>>(),
    });
    let mut servers = tokio::task::JoinSet::new();
    for listener in fanout.into_iter().chain(ingest) {
        servers.spawn(axum::serve(listener, hosts.clone()).into_future());
    }
    servers.spawn(axum::serve(control_listener, control).into_future());
    println!("{ready}");
    while let Some(done) = servers.join_next().await {
        done??;
    }
    Ok(())
}

async fn actor(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(n): Path<usize>,
) -> Json<Value> {
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let id = format!("http://{host}/users/{n}");
    let pem = &state.public_pems[n % state.public_pems.len().max(1)];
    Json(json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": id,
        "type": "Person",
        "preferredUsername": format!("member{n}"),
        "name": format!("Member {n}"),
        "inbox": format!("{id}/inbox"),
        "outbox": format!("{id}/outbox"),
        "followers": format!("{id}/followers"),
        "endpoints": { "sharedInbox": format!("http://{host}/inbox") },
        "publicKey": { "id": format!("{id}#main-key"), "owner": id, "publicKeyPem": pem },
    }))
}

async fn inbox(
    State(state): State<Shared>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let port = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.rsplit_once(':'))
        .and_then(|(_, p)| p.parse().ok())
        .unwrap_or(0);
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let authority = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let target = signatures::Target {
        method: "POST",
        scheme: "http",
        authority,
        path_and_query: path,
    };
    let verified = match signatures::check_request(&target, &headers, Some(&body)) {
        Ok(check) => match kith_key(&state, &check.key_id).await {
            Some(key) => check.verify(&key).is_ok(),
            None => false,
        },
        Err(_) => false,
    };
    if !verified {
        state.refused.fetch_add(1, Ordering::Relaxed);
        return StatusCode::UNAUTHORIZED;
    }
    state.verified.fetch_add(1, Ordering::Relaxed);
    let at = now_us();
    if let Ok(mut watch) = state.watch.lock() {
        let hit = watch
            .needle
            .as_deref()
            .is_some_and(|n| contains(&body, n.as_bytes()));
        if hit {
            watch.reached.entry(port).or_insert(at);
        }
        if state.watched_ports.contains(&port) {
            watch.arrivals.push((port, at, body));
        }
    }
    StatusCode::ACCEPTED
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Kith's public key for `key_id`, fetched once (unsigned GET of the actor, as Kith serves it).
async fn kith_key(state: &SinkState, key_id: &str) -> Option<Arc<VerifyingKey>> {
    if let Some(key) = state.kith_keys.lock().ok()?.get(key_id) {
        return Some(key.clone());
    }
    let actor_url = key_id.split('#').next()?;
    let doc: Value = state
        .client
        .get(actor_url)
        .header("accept", "application/activity+json")
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    let pem = doc["publicKey"]["publicKeyPem"].as_str()?;
    let key = Arc::new(signatures::parse_public_key(pem).ok()?);
    state
        .kith_keys
        .lock()
        .ok()?
        .insert(key_id.to_owned(), key.clone());
    Some(key)
}

#[derive(Deserialize)]
struct ExpectBody {
    needle: String,
}

async fn expect(State(state): State<Shared>, Json(body): Json<ExpectBody>) -> StatusCode {
    if let Ok(mut watch) = state.watch.lock() {
        let needle = body.needle.into_bytes();
        let hits: Vec<(u16, u64)> = watch
            .arrivals
            .iter()
            .filter(|(_, _, b)| contains(b, &needle))
            .map(|(p, t, _)| (*p, *t))
            .collect();
        for (port, at) in hits {
            watch.reached.entry(port).or_insert(at);
        }
        watch.needle = String::from_utf8(needle).ok();
    }
    StatusCode::NO_CONTENT
}

async fn reset(State(state): State<Shared>) -> StatusCode {
    if let Ok(mut watch) = state.watch.lock() {
        *watch = Watch::default();
    }
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct NoQuery {}

async fn stats(State(state): State<Shared>, Query(_): Query<NoQuery>) -> Json<Stats> {
    let (hosts_reached, first_us, last_us) = state.watch.lock().map_or((0, 0, 0), |w| {
        let times = w.reached.values();
        (
            w.reached.len(),
            times.clone().copied().min().unwrap_or(0),
            times.copied().max().unwrap_or(0),
        )
    });
    Json(Stats {
        verified: state.verified.load(Ordering::Relaxed),
        refused: state.refused.load(Ordering::Relaxed),
        hosts_reached,
        first_us,
        last_us,
    })
}

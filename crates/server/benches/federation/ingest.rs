//! Scenario 1, inbox ingestion: remote members post signed `Create{Note}`s into a group of
//! 1,000. First every member joins with a signed `Follow` (so Kith fetches each actor and its
//! key once, as it would in life); then the timed part posts activities as fast as Kith takes
//! them. Kith redistributes each accepted post to the members' hosts meanwhile, as it must.

use std::sync::Arc;
use std::time::Duration;

use anyhow::bail;
use kith_federation::keys::{self, KeyPair};
use kith_federation::signatures::{self, SigningKey};
use serde_json::json;

use crate::Scale;
use crate::fanout::delta;
use crate::load::{self, LoadResult, Mode};
use crate::procs::Kith;
use crate::seed::Seeded;
use crate::sink::Sink;

/// The inbox figures.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Ingest {
    /// Follows answered per second while members joined (each fetches an actor first).
    pub joins_per_second: f64,
    /// Activities in the timed part, and how many were accepted (202).
    pub sent: usize,
    pub accepted: u64,
    pub accepted_per_second: f64,
    /// Activities per second from the first sent until the inbox worker had applied the
    /// last (Kith answers 202 once an activity is checked and queued, and applies it after).
    pub applied_per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Share of Kith's CPU time in the timed part spent verifying signatures (the counters
    /// time the RSA verification alone).
    pub verify_share: f64,
    /// Activities queued per batched write (group commit), on average.
    pub per_write: f64,
    /// Kith's CPU use during the timed part, in cores (of 2).
    pub cpu_cores: f64,
    /// The whole machine's CPU use then (Kith, the harness sending, the sink, PostgreSQL).
    pub machine_cores: f64,
    /// Cores used by each part of the machine during the timed part (`cpu.rs`).
    pub cores_by_part: String,
    /// Deliveries made while the posts came in, and those still queued after the last one
    /// (each accepted post is announced to every member host; the queue absorbs the burst).
    pub delivered: u64,
    pub queued_after: i64,
}

/// `n` key pairs for the remote members (member `i` uses key `i % n`).
pub async fn keys(n: usize) -> anyhow::Result<Vec<KeyPair>> {
    let mut pairs = Vec::with_capacity(n);
    for _ in 0..n {
        pairs.push(keys::generate().await?);
    }
    Ok(pairs)
}

struct Member {
    id: String,
    key: Arc<SigningKey>,
}

fn members(sink: &Sink, keys: &[KeyPair], scale: Scale) -> anyhow::Result<Vec<Member>> {
    let per_host = scale.ingest_members.div_ceil(scale.ingest_hosts);
    (0..scale.ingest_members)
        .map(|n| {
            let port = sink.ingest_ports()[n / per_host];
            let id = format!("http://127.0.0.1:{port}/users/{n}");
            let pair = &keys[n % keys.len()];
            let key = SigningKey::from_pem(&format!("{id}#main-key"), &pair.private_pem)?;
            Ok(Member {
                id,
                key: Arc::new(key),
            })
        })
        .collect()
}

/// Builds signed POSTs of `activities` (each with its member) to `inbox_url`, on both cores.
async fn signed_requests(
    inbox_url: &str,
    activities: Vec<(Arc<SigningKey>, serde_json::Value)>,
) -> anyhow::Result<Vec<Vec<u8>>> {
    let url = url::Url::parse(inbox_url)?;
    let all = Arc::new(activities);
    let half = all.len().div_ceil(2);
    let sign = |range: std::ops::Range<usize>| {
        let (all, url) = (all.clone(), url.clone());
        tokio::task::spawn_blocking(move || {
            all[range]
                .iter()
                .map(|(key, activity)| signed_request(&url, key, activity))
                .collect::<anyhow::Result<Vec<_>>>()
        })
    };
    let (first, second) = (sign(0..half), sign(half..all.len()));
    let mut signed = first.await??;
    signed.extend(second.await??);
    Ok(signed)
}

fn signed_request(
    url: &url::Url,
    key: &SigningKey,
    activity: &serde_json::Value,
) -> anyhow::Result<Vec<u8>> {
    let body = serde_json::to_vec(activity)?;
    let headers = signatures::sign_post(key, url, &body)?;
    let mut request = format!("POST {} HTTP/1.1\r\n", url.path());
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!(
        "content-length: {}\r\nuser-agent: kith-bench\r\n\r\n",
        body.len()
    ));
    let mut bytes = request.into_bytes();
    bytes.extend_from_slice(&body);
    Ok(bytes)
}

/// Runs the scenario.
pub async fn measure(
    kith: &Kith,
    sink: &Sink,
    keys: &[KeyPair],
    seeded: &Seeded,
    scale: Scale,
) -> anyhow::Result<Ingest> {
    let members = members(sink, keys, scale)?;
    let group_id = format!("{}/g/{}", kith.base, seeded.ingest_group);
    let inbox = format!("{group_id}/inbox");
    let follows = members
        .iter()
        .enumerate()
        .map(|(n, m)| {
            let follow = json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": format!("{}#follows/{n}", m.id),
                "type": "Follow",
                "actor": m.id,
                "object": group_id,
            });
            (m.key.clone(), follow)
        })
        .collect();
    let follows = Arc::new(signed_requests(&inbox, follows).await?);
    let joined = load::run(kith.addr, follows, 16, Mode::Once).await?;
    expect_all(&joined, scale.ingest_members, "follows")?;
    let mut result = Ingest {
        joins_per_second: joined.per_second(),
        ..Ingest::default()
    };
    println!(
        "{} members joined at {:.0}/s",
        joined.ok(),
        result.joins_per_second
    );
    kith.drain(Duration::from_secs(120)).await?;

    let run = std::process::id();
    let posts = (0..scale.ingest_activities)
        .map(|n| {
            let member = &members[n % members.len()];
            let note = format!("{}/statuses/{run}-{n}", member.id);
            let create = json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": format!("{note}/activity"),
                "type": "Create",
                "actor": member.id,
                "to": [group_id, "https://www.w3.org/ns/activitystreams#Public"],
                "cc": [format!("{}/followers", member.id)],
                "object": {
                    "id": note,
                    "type": "Note",
                    "attributedTo": member.id,
                    "to": [group_id, "https://www.w3.org/ns/activitystreams#Public"],
                    "cc": [format!("{}/followers", member.id)],
                    "content": format!("<p>Run #{n}: 5 km along the canal, back by 8. Who is in? \
                        <a href=\"{group_id}\" class=\"u-url mention\">@runners</a></p>"),
                    "tag": [{ "type": "Mention", "href": group_id }],
                    "published": "2026-11-21T07:00:00Z",
                },
            });
            (member.key.clone(), create)
        })
        .collect();
    let posts = Arc::new(signed_requests(&inbox, posts).await?);
    let before = kith.counters().await?;
    let profile = kith.profile("inbox")?;
    let cpu = kith.cpu_seconds()?;
    let machine = crate::procs::machine_busy_seconds()?;
    let parts = crate::cpu::snapshot(kith.pid());
    let started = std::time::Instant::now();
    let timed = load::run(kith.addr, posts, scale.ingest_connections, Mode::Once).await?;
    let cpu = kith.cpu_seconds()? - cpu;
    let machine = crate::procs::machine_busy_seconds()? - machine;
    let parts = crate::cpu::cores(
        &parts,
        &crate::cpu::snapshot(kith.pid()),
        timed.elapsed.as_secs_f64(),
    );
    if let Some(profile) = profile {
        profile.finish()?;
    }
    let after = kith.counters().await?;
    let applied = kith.applied(Duration::from_secs(600)).await?;
    result.applied_per_second =
        scale.ingest_activities as f64 / (started.elapsed() - applied).as_secs_f64();
    expect_all(&timed, scale.ingest_activities, "posts")?;
    result.sent = scale.ingest_activities;
    result.accepted = timed.ok();
    result.accepted_per_second = timed.per_second();
    result.p50_ms = timed.percentile_ms(0.5);
    result.p99_ms = timed.percentile_ms(0.99);
    result.verify_share = delta(&before, &after, "verify_nanos") as f64 / 1e9 / cpu.max(1e-9);
    result.per_write = delta(&before, &after, "inbox_queued") as f64
        / delta(&before, &after, "inbox_writes").max(1) as f64;
    result.cpu_cores = cpu / timed.elapsed.as_secs_f64();
    result.machine_cores = machine / timed.elapsed.as_secs_f64();
    result.cores_by_part = crate::cpu::describe(&parts);
    result.delivered = delta(&before, &after, "delivered");
    result.queued_after = after["deliveries_queued"].as_i64().unwrap_or(0);
    println!(
        "inbox: {} accepted at {:.0}/s (applied at {:.0}/s), p50 {:.2} ms, p99 {:.2} ms, \
         {:.1}% verifying, {:.1} a write, {:.2} cores (machine {:.2}); {} delivered meanwhile, \
         {} queued",
        result.accepted,
        result.accepted_per_second,
        result.applied_per_second,
        result.p50_ms,
        result.p99_ms,
        result.verify_share * 100.0,
        result.per_write,
        result.cpu_cores,
        result.machine_cores,
        result.delivered,
        result.queued_after
    );
    println!("inbox: cores by part: {}", result.cores_by_part);
    Ok(result)
}

fn expect_all(run: &LoadResult, sent: usize, what: &str) -> anyhow::Result<()> {
    if run.ok() as usize != sent {
        bail!(
            "{what}: {} of {sent} accepted; answers {:?}, {} connection errors",
            run.ok(),
            run.statuses,
            run.errors
        );
    }
    Ok(())
}

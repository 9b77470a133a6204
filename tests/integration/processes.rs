//! Two `kith serve` processes of one instance on one PostgreSQL database, as behind a reverse
//! proxy (docs/self-hosting.md), with traffic spread over both: every member host gets each
//! post and no inbox gets an activity twice; both processes deliver; the hourly job runs once;
//! a domain block made through one process holds in the other within `BLOCKS_TTL`; while both
//! live neither takes the other's claims, and when one is killed the other sends what it held
//! within `STALE_AFTER` and a heartbeat.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::members::{
    Host, announces, claimed, host, id, join_all, key_id, make_group, pool, post_by, still_there,
};
use crate::support::{Server, free_port, instance_command, text};

/// Members per host.
const MEMBERS: usize = 3;
/// Posts each member sends, half through each process.
const POSTS_EACH: u32 = 8;

/// Activities each inbox of `host` received more than once: (path, activity id) → times.
fn received_twice(host: &Host) -> Vec<(String, String, usize)> {
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    for r in host.peer.received() {
        let activity = r.body["id"].as_str().unwrap_or_default().to_owned();
        *seen.entry((r.path.clone(), activity)).or_default() += 1;
    }
    seen.into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|((path, activity), n)| (path, activity, n))
        .collect()
}

/// The admin API's count of deliveries a process made.
async fn delivered(server: &Server, token: &str) -> u64 {
    let stats: Value = reqwest::Client::new()
        .get(format!("{}/api/v1/admin/federation", server.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    stats["delivered"].as_u64().unwrap()
}

#[tokio::test]
async fn two_processes_on_one_postgresql_share_the_work_and_send_nothing_twice() {
    let Some(url) = kith_storage::testing::postgres_url().await else {
        return; // several processes share PostgreSQL only
    };
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let (port1, port2) = (free_port(), free_port());
    let domain = format!("127.0.0.1:{port1}");
    make_group(dir, &url, &domain, port1);
    let cli = |args: &[&str]| {
        let out = instance_command(dir, &url, &domain, port1)
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out));
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    cli(&["user", "create", "admin1", "--admin"]);
    let token = cli(&["token", "create", "admin1"]);
    let one = Server::start_at(dir, &url, port1, &domain);
    let two = Server::start_at(dir, &url, port2, &domain);
    let mut logs = Vec::new();

    // Members join through either process, and post through both in turn.
    let hosts = vec![host(MEMBERS).await, host(MEMBERS).await];
    let group = format!("http://{domain}/g/runners");
    let group_inboxes = [&one, &two].map(|s| format!("{}/g/runners/inbox", s.base));
    join_all(&hosts, &group, &group_inboxes).await;
    let shared_inboxes = [&one, &two].map(|s| format!("{}/inbox", s.base));
    let handle = format!("@runners@{domain}");
    let mut sends = tokio::task::JoinSet::new();
    for host in &hosts {
        for member in host.members.clone() {
            let (peer, group, handle) = (host.peer.clone(), group.clone(), handle.clone());
            let inboxes = shared_inboxes.clone();
            sends.spawn(async move {
                let mut notes = Vec::new();
                for n in 0..POSTS_EACH {
                    let post = post_by(&peer, &member, &group, &handle, n);
                    let inbox = &inboxes[n as usize % 2];
                    assert_eq!(peer.send(&key_id(&member), inbox, &post).await, 202);
                    notes.push(id(&post["object"]));
                }
                notes
            });
        }
    }
    let mut notes = Vec::new();
    while let Some(sent) = sends.join_next().await {
        notes.extend(sent.unwrap());
    }

    // Every member host gets each post.
    let deadline = Instant::now() + Duration::from_secs(30);
    for host in &hosts {
        loop {
            let received = host.peer.received();
            let missing = notes
                .iter()
                .filter(|n| !received.iter().any(|r| announces(&r.body, n)))
                .count();
            if missing == 0 {
                break;
            }
            assert!(Instant::now() < deadline, "{missing} posts not announced");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let db = pool(&url).await;
    crate::instance::eventually("the delivery queue to drain", || async {
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM deliveries")
            .fetch_one(&db)
            .await
            .unwrap();
        (left == 0).then_some(())
    })
    .await;
    // No inbox got the same activity twice, and both processes delivered: each delivery was
    // made by one of them.
    for host in &hosts {
        assert_eq!(received_twice(host), Vec::new(), "{}", host.peer.base);
    }
    let receipts: usize = hosts.iter().map(|h| h.peer.received().len()).sum();
    let (by_one, by_two) = (delivered(&one, &token).await, delivered(&two, &token).await);
    assert!(by_one > 0 && by_two > 0, "{by_one} and {by_two}");
    assert_eq!(by_one + by_two, receipts as u64);

    // The hourly job ran once, in one of the two.
    logs.extend(one.new_logs());
    logs.extend(two.new_logs());
    let runs = logs
        .iter()
        .filter(|l| l.contains("this one's turn") && l.contains("recurring-events"))
        .count();
    assert_eq!(runs, 1, "{logs:#?}");

    block_through_one_holds_in_the_other(&hosts[1], &one, &two, &token, &group).await;
    let survivor = claims_live_kept_dead_taken_back(&hosts[0], one, two, &db, &group).await;
    survivor.terminate();
}

/// A domain blocked through `one` is refused there at once, and by `two` within the bound
/// of its in-memory copy (`BLOCKS_TTL`).
async fn block_through_one_holds_in_the_other(
    blocked: &Host,
    one: &Server,
    two: &Server,
    token: &str,
    group: &str,
) {
    let member = &blocked.members[0];
    let handle = format!("@runners@{}", group.split('/').nth(2).unwrap());
    let host = blocked.peer.base.trim_start_matches("http://").to_owned();
    // The other process has a fresh copy of the block list (it just checked this host).
    let post = post_by(&blocked.peer, member, group, &handle, 100);
    let to_two = format!("{}/inbox", two.base);
    assert_eq!(
        blocked.peer.send(&key_id(member), &to_two, &post).await,
        202
    );
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/admin/domain_blocks", one.base))
        .bearer_auth(token)
        .json(&json!({"domain": host}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
    let blocked_at = Instant::now();
    let post = post_by(&blocked.peer, member, group, &handle, 101);
    let to_one = format!("{}/inbox", one.base);
    assert_eq!(
        blocked.peer.send(&key_id(member), &to_one, &post).await,
        403,
        "at once through the process that blocked"
    );
    let mut n = 102;
    loop {
        let post = post_by(&blocked.peer, member, group, &handle, n);
        n += 1;
        if blocked.peer.send(&key_id(member), &to_two, &post).await == 403 {
            break;
        }
        assert!(
            blocked_at.elapsed() < kith_storage::BLOCKS_TTL + Duration::from_secs(1),
            "the other process still takes a blocked host's posts {:?} later",
            blocked_at.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "a block through one process held in the other {:?} later",
        blocked_at.elapsed()
    );
}

/// With `host` holding deliveries, both processes hold claims; past the staleness limit
/// neither has taken the other's. Then the one holding more is killed, and the other sends
/// what it held within `STALE_AFTER` and a heartbeat. Returns the survivor.
async fn claims_live_kept_dead_taken_back(
    host: &Host,
    one: Server,
    two: Server,
    db: &sqlx::AnyPool,
    group: &str,
) -> Server {
    host.peer.hold(true);
    let before = host.peer.received().len();
    let handle = format!("@runners@{}", group.split('/').nth(2).unwrap());
    let holders = || async {
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT claimed_by, COUNT(*) FROM deliveries WHERE claimed_until > $1 \
             AND claimed_by IS NOT NULL GROUP BY claimed_by ORDER BY COUNT(*) DESC",
        )
        .bind(kith_storage::now_millis())
        .fetch_all(db)
        .await
        .unwrap();
        rows
    };
    // Posts one at a time through each process in turn: the process that takes one applies it
    // and claims its announces at once, so both come to hold deliveries.
    let mut n = 200;
    while holders().await.len() < 2 {
        assert!(n < 240, "both processes to hold deliveries");
        let member = &host.members[n as usize % host.members.len()];
        let post = post_by(&host.peer, member, group, &handle, n);
        let server = if n % 2 == 0 { &one } else { &two };
        let inbox = format!("{}/inbox", server.base);
        assert_eq!(host.peer.send(&key_id(member), &inbox, &post).await, 202);
        n += 1;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Past the staleness limit, each still holds its own: live claims are not taken.
    // (Kith gives up on a request after 15 s: the window ends before the first does.)
    let started = Instant::now();
    while started.elapsed() < kith_federation::jobs::processes::RECOVERY_BOUND {
        assert_eq!(
            received_twice(host),
            Vec::new(),
            "a live process's claims were taken"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(holders().await.len(), 2);
    assert!(
        host.peer.received().len() > before,
        "deliveries are in flight"
    );

    // The one holding more is killed; the other takes its claims back and sends them.
    let victim_id = holders().await[0].0;
    let node_of_victim: String = sqlx::query_scalar("SELECT node FROM processes WHERE id = $1")
        .bind(victim_id)
        .fetch_one(db)
        .await
        .unwrap();
    let held: Vec<i64> = claimed(db, "deliveries").await;
    let (victim, survivor) = if node_of_victim.ends_with(&format!(":{}", port_of(&one))) {
        (one, two)
    } else {
        (two, one)
    };
    let held_by_victim: Vec<i64> = {
        let mut ids = Vec::new();
        for id in held {
            let by: Option<i64> =
                sqlx::query_scalar("SELECT claimed_by FROM deliveries WHERE id = $1")
                    .bind(id)
                    .fetch_one(db)
                    .await
                    .unwrap();
            if by == Some(victim_id) {
                ids.push(id);
            }
        }
        ids
    };
    victim.kill();
    let killed = Instant::now();
    host.peer.hold(false);
    // The survivor's next beat after the heartbeat goes stale, then the sends themselves.
    let bound = kith_federation::jobs::processes::RECOVERY_BOUND + Duration::from_secs(3);
    loop {
        let left = still_there(db, "deliveries", &held_by_victim).await;
        if left == 0 {
            break;
        }
        assert!(
            killed.elapsed() < bound,
            "{left} deliveries of the killed process still wait {:?} after the kill",
            killed.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "{} deliveries held by the killed process sent by the other {:?} after the kill",
        held_by_victim.len(),
        killed.elapsed()
    );
    survivor
}

fn port_of(server: &Server) -> u16 {
    server.base.rsplit(':').next().unwrap().parse().unwrap()
}

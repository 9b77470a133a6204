//! Member hosts and queue reads shared by the crash test (`recovery.rs`) and the two-process
//! test (`processes.rs`): loopback hosts of Mastodon-shaped people who join a group and post
//! into it, an instance's group made through the admin commands, and the claimed rows of the
//! queues as the database holds them.

use std::path::Path;
use std::sync::Arc;

use serde_json::{Value, json};
use sqlx::AnyPool;

use crate::mastodon::{follow, post_mentioning};
use crate::peer::Peer;
use crate::support::{instance_command, text};

/// One host of members: a peer serving `MEMBERS` people who share its inbox.
pub struct Host {
    pub peer: Arc<Peer>,
    pub members: Vec<Value>,
}

/// A Mastodon-like host with `n` people, each a copy of the fixture account under its own name.
pub async fn host(n: usize) -> Host {
    let peer = Peer::start(&["https://mastodon.madrid", "https://masto.asonix.dog"]).await;
    let members = (0..n)
        .map(|i| {
            let text = peer.fixture("mastodon/person.json").to_string();
            let mut person: Value =
                serde_json::from_str(&text.replace("felix", &format!("member{i}"))).unwrap();
            person["publicKey"]["publicKeyPem"] = json!(peer.public_pem);
            peer.serve(&person);
            person
        })
        .collect();
    Host {
        peer: Arc::new(peer),
        members,
    }
}

pub fn key_id(actor: &Value) -> String {
    actor["publicKey"]["id"].as_str().unwrap().to_owned()
}

pub fn id(value: &Value) -> String {
    value["id"].as_str().unwrap().to_owned()
}

/// Every member of `hosts` follows the group through `inboxes` (in turn) and is accepted.
pub async fn join_all(hosts: &[Host], group: &str, inboxes: &[String]) {
    let mut turn = 0;
    for host in hosts {
        for member in &host.members {
            let mut join = follow(&host.peer, member, group);
            join["id"] = json!(format!("{}#join", id(member)));
            let inbox = &inboxes[turn % inboxes.len()];
            turn += 1;
            assert_eq!(host.peer.send(&key_id(member), inbox, &join).await, 202);
            host.peer
                .wait_for("the Accept", |b| {
                    b["type"] == "Accept" && b["object"]["id"] == join["id"]
                })
                .await;
        }
    }
}

/// `member`'s public post number `n` mentioning the group, as Mastodon sends it.
pub fn post_by(peer: &Peer, member: &Value, group: &str, handle: &str, n: u32) -> Value {
    let mut post = post_mentioning(peer, member, group, handle, n);
    post["actor"] = member["id"].clone();
    post["object"]["attributedTo"] = member["id"].clone();
    post
}

/// Whether `body` is a group's announce of the note `note` (the `Announce{id}` Mastodon reads,
/// or the FEP-1b12 `Announce{Create}`).
pub fn announces(body: &Value, note: &str) -> bool {
    body["type"] == "Announce"
        && (body["object"] == note
            || body["object"]["object"] == note
            || body["object"]["object"]["id"] == note)
}

/// Creates the group's owner and the group through the admin commands.
pub fn make_group(cwd: &Path, db_url: &str, domain: &str, port: u16) {
    for args in [
        &["user", "create", "olga"][..],
        &["group", "create", "runners", "--owner", "olga"][..],
    ] {
        let out = instance_command(cwd, db_url, domain, port)
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out));
    }
}

/// A pool on the site's database, for reading the queues as they are.
pub async fn pool(url: &str) -> AnyPool {
    sqlx::any::install_default_drivers();
    AnyPool::connect(url).await.unwrap()
}

/// Ids of the rows of `table` claimed now (a lease still running).
pub async fn claimed(pool: &AnyPool, table: &str) -> Vec<i64> {
    let sql = format!("SELECT id FROM {table} WHERE claimed_until > $1");
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(kith_storage::now_millis())
        .fetch_all(pool)
        .await
        .unwrap()
}

/// How many of `ids` are still in `table`.
pub async fn still_there(pool: &AnyPool, table: &str, ids: &[i64]) -> usize {
    if ids.is_empty() {
        return 0;
    }
    let list = ids
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    // Only integers are formatted in.
    let sql = format!("SELECT COUNT(*) FROM {table} WHERE id IN ({list})");
    let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .fetch_one(pool)
        .await
        .unwrap();
    usize::try_from(n).unwrap()
}

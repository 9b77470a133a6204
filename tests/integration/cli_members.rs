//! `kith group requests|approve|remove` and `kith token create`: what they change, and that the
//! answers they send wait in the database queue for the server to deliver.

use kith_storage::{ActorKind, Database, MemberRole, MemberState, NewActor};

use crate::support::{kith, sites, text};

pub fn remote_person(name: &str) -> NewActor {
    let id = format!("https://mastodon.test/users/{name}");
    NewActor {
        id: id.clone(),
        kind: ActorKind::Person,
        local: false,
        username: name.into(),
        domain: "mastodon.test".into(),
        display_name: None,
        summary: None,
        url: None,
        inbox_url: format!("{id}/inbox"),
        shared_inbox_url: Some("https://mastodon.test/inbox".into()),
        outbox_url: None,
        followers_url: None,
        key_id: format!("{id}#main-key"),
        public_key_pem: "unused".into(),
        private_key_pem: None,
        manually_approves_followers: false,
        data: None,
    }
}

#[tokio::test]
async fn organisers_answer_join_requests_from_the_command_line() {
    for site in sites().await {
        let (dir, url) = (site.dir.path(), site.url.as_str());
        assert!(kith(dir, url, &["user", "create", "olga"]).status.success());
        let out = kith(
            dir,
            url,
            &["group", "create", "circle", "--owner", "olga", "--approval"],
        );
        assert!(out.status.success(), "{}: {}", site.label, text(&out));

        let db = Database::connect(url).await.unwrap();
        let group = db.local_actor_by_username("circle").await.unwrap();
        for name in ["sam", "kim"] {
            let member = db.upsert_remote_actor(&remote_person(name)).await.unwrap();
            let follow = format!("{}/follows/1", member.id);
            db.upsert_membership(
                &group.id,
                &member.id,
                MemberState::Pending,
                MemberRole::Member,
                Some(&follow),
            )
            .await
            .unwrap();
        }

        let out = kith(dir, url, &["group", "requests", "circle"]);
        assert!(text(&out).contains("@sam@mastodon.test"), "{}", text(&out));
        assert!(text(&out).contains("@kim@mastodon.test"), "{}", text(&out));

        let out = kith(
            dir,
            url,
            &["group", "approve", "circle", "@sam@mastodon.test"],
        );
        assert!(out.status.success(), "{}", text(&out));
        let sam = db
            .membership(&group.id, "https://mastodon.test/users/sam")
            .await
            .unwrap();
        assert_eq!(sam.state, MemberState::Accepted);
        let out = kith(
            dir,
            url,
            &[
                "group",
                "remove",
                "circle",
                "https://mastodon.test/users/kim",
            ],
        );
        assert!(out.status.success(), "{}", text(&out));
        assert!(
            db.membership(&group.id, "https://mastodon.test/users/kim")
                .await
                .is_err()
        );
        assert_eq!(
            db.pending_deliveries().await.unwrap(),
            2,
            "an Accept and a Reject wait"
        );

        let out = kith(
            dir,
            url,
            &["group", "approve", "circle", "@nobody@mastodon.test"],
        );
        assert!(!out.status.success());
        assert!(text(&out).contains("no actor"), "{}", text(&out));

        let out = kith(dir, url, &["token", "create", "olga"]);
        assert!(out.status.success(), "{}", text(&out));
        assert!(text(&out).starts_with("kith_"), "{}", text(&out));
        db.close().await;
    }
}

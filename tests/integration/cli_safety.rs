//! The moderation commands on both databases: what they change, what they queue, and that each
//! is in the audit log.

use kith_storage::{Database, DomainSeverity, JoinPolicy, MemberRole, MemberState};

use crate::cli_members::remote_person;
use crate::support::{kith, sites, text};

#[tokio::test]
async fn moderation_commands_change_state_and_are_audited() {
    for site in sites().await {
        let (dir, url) = (site.dir.path(), site.url.as_str());
        for user in ["olga", "mo"] {
            let out = kith(dir, url, &["user", "create", user]);
            assert!(out.status.success(), "{}", text(&out));
        }
        assert!(
            kith(dir, url, &["group", "create", "circle", "--owner", "olga"])
                .status
                .success()
        );
        let db = Database::connect(url).await.unwrap();
        let group = db.local_actor_by_username("circle").await.unwrap();
        let sam = db.upsert_remote_actor(&remote_person("sam")).await.unwrap();
        let follow = format!("{}/follows/1", sam.id);
        db.upsert_membership(
            &group.id,
            &sam.id,
            MemberState::Accepted,
            MemberRole::Member,
            Some(&follow),
        )
        .await
        .unwrap();

        let out = kith(
            dir,
            url,
            &[
                "group",
                "policy",
                "circle",
                "--join",
                "approval",
                "--question",
                "Why join?",
            ],
        );
        assert!(out.status.success(), "{}: {}", site.label, text(&out));
        let settings = db.group_settings(&group.id).await.unwrap();
        assert_eq!(settings.join_policy, JoinPolicy::Approval);
        assert_eq!(settings.join_question.as_deref(), Some("Why join?"));

        let out = kith(dir, url, &["group", "moderator", "add", "circle", "mo"]);
        assert!(out.status.success(), "{}", text(&out));
        assert!(db.moderators(&group.id).await.unwrap().len() == 2);

        let out = kith(
            dir,
            url,
            &["group", "ban", "circle", &sam.id, "--reason", "spam"],
        );
        assert!(out.status.success(), "{}", text(&out));
        assert!(db.is_banned(&group.id, &sam.id).await.unwrap());
        assert!(db.membership(&group.id, &sam.id).await.is_err());
        assert!(
            db.pending_deliveries().await.unwrap() > 0,
            "the Reject and the Block wait for the server"
        );
        assert!(
            kith(dir, url, &["group", "unban", "circle", &sam.id])
                .status
                .success()
        );
        assert!(!db.is_banned(&group.id, &sam.id).await.unwrap());

        let out = kith(
            dir,
            url,
            &[
                "domain",
                "block",
                "mastodon.test",
                "--silence",
                "--reason",
                "waves",
            ],
        );
        assert!(out.status.success(), "{}", text(&out));
        assert_eq!(
            db.domain_severity("mastodon.test").await.unwrap(),
            Some(DomainSeverity::Silence)
        );
        assert!(
            text(&kith(dir, url, &["domain", "list"])).contains("mastodon.test\tsilence\twaves")
        );
        assert!(
            kith(dir, url, &["domain", "unblock", "mastodon.test"])
                .status
                .success()
        );
        assert!(
            !kith(dir, url, &["domain", "unblock", "mastodon.test"])
                .status
                .success(),
            "not blocked any more"
        );

        assert!(text(&kith(dir, url, &["report", "list"])).contains("no reports wait"));
        let audit = text(&kith(dir, url, &["audit"]));
        for action in [
            "group.policy",
            "group.moderator.add",
            "group.ban",
            "group.unban",
            "domain.silence",
            "domain.unblock",
        ] {
            assert!(audit.contains(action), "{action} in {audit}");
        }
        assert!(audit.contains("operator"));
    }
}

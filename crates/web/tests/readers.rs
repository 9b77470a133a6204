//! Documents every server can read (issue 20): an instance actor whose name holds no `:` on a
//! domain with a port (an earlier one is renamed), served at `/` too; a group that approves its
//! members as Lemmy 1.0 must read it; on every test database.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use kith_federation::actions::By;
use kith_federation::actions::groups::{PolicyChange, change_policies};
use kith_federation::{
    Context, FederationSettings, keys, names, outbound::instance_actor::ensure_instance_actor,
};
use kith_storage::{ActorKind, JoinPolicy, NewActor, testing};
use kith_web::{AppState, WebSettings};
use support::send;

const AP: &str = "application/activity+json";

async fn state(db: &kith_storage::Database, domain: &str) -> AppState {
    let ctx = Context::new(db.clone(), FederationSettings::new(domain, false)).unwrap();
    AppState::new(ctx, WebSettings::new("Test Kith"))
}

/// The instance actor as an earlier Kith made it on `domain`: named after the whole domain.
async fn old_instance_actor(state: &AppState, domain: &str) {
    let id = state.ctx.urls().instance_actor();
    let keys = keys::generate().await.unwrap();
    state
        .ctx
        .db
        .insert_actor(&NewActor {
            url: Some(id.clone()),
            inbox_url: format!("{id}/inbox"),
            shared_inbox_url: Some(state.ctx.urls().shared_inbox()),
            outbox_url: Some(format!("{id}/outbox")),
            followers_url: Some(format!("{id}/followers")),
            key_id: format!("{id}#main-key"),
            id,
            kind: ActorKind::Application,
            local: true,
            username: domain.to_owned(),
            domain: domain.to_owned(),
            display_name: Some(domain.to_owned()),
            summary: None,
            public_key_pem: keys.public_pem,
            private_key_pem: Some(keys.private_pem),
            manually_approves_followers: false,
            data: None,
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn an_instance_actor_named_host_port_is_renamed_and_found_under_its_new_name() {
    for t in testing::all().await {
        let domain = "kith.test:3000";
        let state = state(&t.db, domain).await;
        old_instance_actor(&state, domain).await;
        let before = state
            .ctx
            .db
            .actor("https://kith.test:3000/actor")
            .await
            .unwrap();
        assert_eq!(before.username, domain, "{}", t.label);

        let actor = ensure_instance_actor(&state.ctx).await.unwrap();
        assert_eq!(actor.id, before.id, "{}: the id stays", t.label);
        assert_eq!(actor.key_id, before.key_id);
        assert_eq!(actor.public_key_pem, before.public_key_pem);
        assert_eq!(actor.username, "kith.test");

        // Its document, at /actor and at /, carries a name GoToSocial reads.
        for path in ["/actor", "/"] {
            let reply = send(&state, "GET", path, &[("accept", AP)], "").await;
            assert_eq!(reply.status, 200, "{}: {path}", t.label);
            let doc = reply.json();
            assert_eq!(doc["id"], "https://kith.test:3000/actor", "{path}");
            assert_eq!(doc["type"], "Application");
            let name = doc["preferredUsername"].as_str().unwrap();
            assert!(names::is_plain(name) && !name.contains(':'), "{name}");
        }
        // A browser still gets the front page at /.
        let page = send(&state, "GET", "/", &[("accept", "text/html")], "").await;
        assert!(page.body.contains("<html"), "{}", t.label);

        // WebFinger finds it under the new name, and no longer under the old one.
        let new = "/.well-known/webfinger?resource=acct:kith.test@kith.test:3000";
        let reply = send(&state, "GET", new, &[], "").await;
        assert_eq!(reply.status, 200, "{}", t.label);
        assert_eq!(reply.json()["aliases"][0], "https://kith.test:3000/actor");
        let old = "/.well-known/webfinger?resource=acct:kith.test:3000@kith.test:3000";
        assert_eq!(send(&state, "GET", old, &[], "").await.status, 404);

        // Starting again changes nothing.
        let again = ensure_instance_actor(&state.ctx).await.unwrap();
        assert_eq!(again.username, "kith.test");
    }
}

#[tokio::test]
async fn a_group_that_approves_members_is_public_to_lemmy_and_approving_to_others() {
    for t in testing::all().await {
        let state = support::state_with_group(&t.db).await;
        let change = PolicyChange {
            join_policy: Some(JoinPolicy::Approval.as_str().into()),
            ..PolicyChange::default()
        };
        change_policies(&state.ctx, "runners", By::Operator, &change)
            .await
            .unwrap();
        let lemmy = [
            ("accept", AP),
            ("user-agent", "Lemmy/1.0.0; +https://l.example"),
        ];
        let mastodon = [
            ("accept", AP),
            (
                "user-agent",
                "http.rb/5.2.0 (Mastodon/4.5.0; +https://m.example/)",
            ),
        ];
        let reply = send(&state, "GET", "/g/runners", &lemmy, "").await;
        assert_eq!(
            reply.json()["manuallyApprovesFollowers"],
            false,
            "{}",
            t.label
        );
        let vary = reply.headers["vary"].to_str().unwrap().to_owned();
        assert!(
            vary.contains("User-Agent") && vary.contains("Signature"),
            "{vary}"
        );
        let reply = send(&state, "GET", "/g/runners", &mastodon, "").await;
        assert_eq!(
            reply.json()["manuallyApprovesFollowers"],
            true,
            "{}",
            t.label
        );
        let reply = send(&state, "GET", "/g/runners", &[("accept", AP)], "").await;
        assert_eq!(
            reply.json()["manuallyApprovesFollowers"],
            true,
            "{}",
            t.label
        );
        // A server that names no software but signs with a key of a host known to run Lemmy.
        t.db.record_host_software("lemmy.example", Some(("lemmy", Some("1.0.0"))), i64::MAX)
            .await
            .unwrap();
        let signed = [
            ("accept", AP),
            (
                "signature",
                "keyId=\"https://lemmy.example/#main-key\",algorithm=\"hs2019\",\
                 headers=\"(request-target) host date\",signature=\"x\"",
            ),
        ];
        let reply = send(&state, "GET", "/g/runners", &signed, "").await;
        assert_eq!(
            reply.json()["manuallyApprovesFollowers"],
            false,
            "{}",
            t.label
        );
    }
}

//! Personal invitations (issue 26): an organiser invites one person by address. A person on
//! another Kith gets an `Invite`, is told in their notifications, follows from there, and the
//! hidden group (which their server could not look up before) accepts them. A Mastodon-family
//! server gets the group's direct message naming the secret name to follow, and no `Invite`;
//! a server not known yet both. A local person's invitation link is theirs alone. An `Invite`
//! from someone who is neither the group nor on its server is ignored.

use kith_federation::FederationError;
use kith_federation::actions::By;
use kith_federation::actions::{bans, invitations, invite_person, tokens};
use kith_federation::outbound::{fetch, software::Dialect};
use kith_storage::{
    Database, FollowState, GroupVisibility, JoinPolicy, MemberState, NotificationKind,
};
use serde_json::{Value, json};
use std::sync::atomic::Ordering;

use crate::cli_members::remote_person;
use crate::event_pages::Browser;
use crate::forms::{all_sent, join, looked_up, of_type};
use crate::instance::{Instance, eventually};
use crate::peer::Peer;
use crate::private_groups::private_group;
use crate::shapes::Shape;
use crate::support::{kith, sites, text};

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// The value of `uri` in a link's query.
fn uri_of(link: &str) -> String {
    let url = url::Url::parse(link).unwrap();
    url.query_pairs()
        .find(|(k, _)| k == "uri")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("no uri in {link}"))
}

/// Waits until Kith speaks `dialect` to the peer's host (the look-up's row is written a moment
/// before this process's copy of it is).
async fn known_as(kith: &Instance, peer: &Peer, dialect: Dialect) {
    looked_up(kith, peer).await;
    eventually("the peer's software known", || async {
        (kith.ctx.dialect_of(&peer.host()).await.unwrap() == dialect).then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_person_on_another_kith_invited_to_a_hidden_group_follows_it_and_is_accepted() {
    // B, where Bob is, on PostgreSQL when the suite has one.
    let mut databases = kith_storage::testing::all().await;
    let b = Instance::start_on(databases.pop().unwrap()).await;
    let a = Instance::start().await;
    eprintln!("instance A runs on {}, B on {}", a.label, b.label);
    let olga = a.person("olga").await;
    let group = private_group(&a, "circle", "olga", GroupVisibility::Hidden).await;
    let bob = b.person("bob").await;

    // Before the invitation, B cannot look the hidden group up.
    match fetch::resolve_actor(&b.ctx, &group.id, true).await {
        Err(FederationError::NotFound(_)) => {}
        other => panic!("B looked the hidden group up uninvited: {other:?}"),
    }

    let address = format!("bob@{}", b.domain());
    let invited = invite_person::invite_person(&a.ctx, "circle", &address, By::Account(&olga))
        .await
        .unwrap();
    assert_eq!(
        invited.invitation.invitee_id.as_deref(),
        Some(bob.actor_id.as_str())
    );
    assert_eq!(invited.invitation.max_uses, 1);

    // Bob is told on B, with a link to follow the group from there.
    let notice = eventually("Bob's notification on B", || async {
        let list = b.ctx.db.notifications(&bob.id, 10).await.unwrap();
        list.into_iter()
            .find(|n| n.kind == NotificationKind::Invited)
    })
    .await;
    assert!(
        notice.summary.contains("The circle") && notice.summary.contains(a.domain()),
        "{}",
        notice.summary
    );
    assert!(
        notice
            .link
            .starts_with(&format!("{}/authorize_interaction?uri=", b.base)),
        "{}",
        notice.link
    );
    let target = uri_of(&notice.link);
    assert_eq!(target, group.id);

    // He follows through the page the notification leads to; A accepts him without an
    // organiser.
    let browser = Browser::of(&b, &bob).await;
    let path = notice.link.strip_prefix(&b.base).unwrap();
    let (status, page) = browser.get(&b, path).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains(&group.id), "{page}");
    let (status, location, _) = browser
        .post(&b, "/authorize_interaction", &[("uri", &target)])
        .await;
    assert_eq!(status, 303, "{location}");
    assert!(location.contains("done=following"), "{location}");
    let membership = eventually("Bob accepted in the circle on A", || async {
        let m = a.ctx.db.membership(&group.id, &bob.actor_id).await.ok()?;
        (m.state == MemberState::Accepted).then_some(m)
    })
    .await;
    assert_eq!(membership.state, MemberState::Accepted);
    eventually("the Accept on B", || async {
        let follow = b.ctx.db.follow(&bob.actor_id, &group.id).await.ok()?;
        (follow.state == FollowState::Accepted).then_some(())
    })
    .await;
    // The invitation was for Bob: his follow used up his look (his membership gives it now).
    assert!(
        !a.ctx
            .db
            .is_invitee(&group.id, &bob.actor_id, kith_storage::now_millis())
            .await
            .unwrap()
    );
    // Nothing left undone on either side (B got the direct message too: A did not know yet
    // that B runs Kith, and a host not known gets every form).
    all_sent(&a).await;
    b.settled().await;
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn a_mastodon_person_gets_the_groups_direct_message_an_unknown_server_both_lemmy_neither() {
    for db in kith_storage::testing::all().await {
        let kith = Instance::start_on(db).await;
        eprintln!("on {}", kith.label);
        let olga = kith.person("olga").await;
        let open = kith.group("runners", "olga", JoinPolicy::Open).await;
        let group = private_group(&kith, "circle", "olga", GroupVisibility::Hidden).await;
        // Known to Kith through the open group first, so their software is looked up.
        let mastodon = join(&open, Shape::Mastodon).await;
        let unknown = join(&open, Shape::Unknown).await;
        let lemmy = join(&open, Shape::Lemmy10).await;
        known_as(&kith, &mastodon.peer, Dialect::Microblog).await;
        known_as(&kith, &lemmy.peer, Dialect::Lemmy).await;
        assert_eq!(looked_up(&kith, &unknown.peer).await, Dialect::Unknown);
        for who in [&mastodon, &unknown, &lemmy] {
            invite_person::invite_person(&kith.ctx, "circle", who.id(), By::Account(&olga))
                .await
                .unwrap();
        }
        all_sent(&kith).await;
        let name = invitations::follow_name(&kith.ctx, &group).await.unwrap();
        let handle = format!("@{name}@{}", kith.domain());
        assert_ne!(name, "circle", "a hidden group's secret name");

        for who in [&mastodon, &unknown] {
            let note = of_type(&who.peer, "Create")
                .into_iter()
                .find(|c| c["actor"] == group.id.as_str())
                .unwrap_or_else(|| panic!("no direct message to {}", who.id()));
            let object = &note["object"];
            assert_eq!(note["to"], json!([who.id()]), "{note}");
            assert_eq!(object["to"], json!([who.id()]), "{note}");
            assert!(object.get("cc").is_none_or(|cc| cc == &json!([])), "{note}");
            assert!(!note.to_string().contains(PUBLIC), "{note}");
            assert!(!note.to_string().contains("/followers"), "{note}");
            assert_eq!(object["attributedTo"], group.id.as_str());
            assert_eq!(object["tag"][0]["type"], "Mention");
            assert_eq!(object["tag"][0]["href"], who.id());
            let content = object["content"].as_str().unwrap();
            assert!(content.contains(&handle), "{content}");
        }
        assert_eq!(of_type(&mastodon.peer, "Invite"), Vec::<Value>::new());
        // Lemmy reads neither (a `Note` only as a comment, no `Invite`): nothing is sent.
        let to_lemmy: Vec<Value> = lemmy
            .peer
            .received()
            .into_iter()
            .map(|r| r.body)
            .filter(|b| b["type"] != "Accept")
            .collect();
        assert_eq!(to_lemmy, Vec::<Value>::new());
        let invites = of_type(&unknown.peer, "Invite");
        assert_eq!(invites.len(), 1, "{invites:?}");
        let invite = &invites[0];
        // Smithereen's shape: the inviting person, the group, to the invitee alone.
        assert_eq!(invite["actor"], kith.actor("olga").await.id.as_str());
        assert_eq!(invite["object"], group.id.as_str());
        assert_eq!(invite["to"], json!([unknown.id()]));
        assert_eq!(invite["cc"], json!([group.id]));

        // The Mastodon person follows by the secret name's actor: accepted at once.
        let key_id = mastodon.actor["publicKey"]["id"].as_str().unwrap();
        let follow = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}/follows/circle", mastodon.id()),
            "type": "Follow",
            "actor": mastodon.id(),
            "object": group.id,
        });
        assert_eq!(
            mastodon.peer.send(key_id, &group.inbox_url, &follow).await,
            202
        );
        mastodon
            .peer
            .wait_for("the Accept of the circle", |b| {
                b["type"] == "Accept" && b["actor"] == group.id.as_str()
            })
            .await;
        kith.stop().await;
    }
}

#[tokio::test]
async fn a_local_persons_invitation_is_theirs_alone_and_the_excluded_are_not_invited() {
    for db in kith_storage::testing::all().await {
        let kith = Instance::start_on(db).await;
        let olga = kith.person("olga").await;
        let bob = kith.person("bob").await;
        let carol = kith.person("carol").await;
        kith.person("dan").await;
        private_group(&kith, "circle", "olga", GroupVisibility::Hidden).await;
        let group = kith.ctx.db.local_actor_by_username("circle").await.unwrap();

        invite_person::invite_person(&kith.ctx, "circle", "bob", By::Account(&olga))
            .await
            .unwrap();
        let notices = kith.ctx.db.notifications(&bob.id, 10).await.unwrap();
        let notice = notices
            .iter()
            .find(|n| n.kind == NotificationKind::Invited)
            .expect("Bob's notification");
        assert!(notice.summary.contains("The circle"), "{}", notice.summary);
        let prefix = format!("{}/invite/", kith.base);
        let secret = notice.link.strip_prefix(&prefix).unwrap().to_owned();

        // Carol holds Bob's link: it is not hers.
        match invitations::join(&kith.ctx, &carol, &secret).await {
            Err(FederationError::Forbidden(_)) => {}
            other => panic!("carol used bob's invitation: {other:?}"),
        }
        assert!(
            kith.ctx
                .db
                .membership(&group.id, &carol.actor_id)
                .await
                .is_err()
        );
        // Not by the page either.
        let browser = Browser::of(&kith, &carol).await;
        let (status, _, _) = browser
            .post(&kith, &format!("/invite/{secret}/join"), &[])
            .await;
        assert_eq!(status, 403);
        assert!(
            kith.ctx
                .db
                .membership(&group.id, &carol.actor_id)
                .await
                .is_err()
        );

        // Bob joins by it.
        let (_, m) = invitations::join(&kith.ctx, &bob, &secret).await.unwrap();
        assert_eq!(m.state, MemberState::Accepted);

        // A member already, the banned, and an organiser's place are refused.
        match invite_person::invite_person(&kith.ctx, "circle", "bob", By::Account(&olga)).await {
            Err(FederationError::BadRequest(m)) => assert!(m.contains("member already"), "{m}"),
            other => panic!("{other:?}"),
        }
        bans::ban(&kith.ctx, "circle", "dan", None, By::Account(&olga))
            .await
            .unwrap();
        match invite_person::invite_person(&kith.ctx, "circle", "dan", By::Account(&olga)).await {
            Err(FederationError::Forbidden(_)) => {}
            other => panic!("{other:?}"),
        }
        match invite_person::invite_person(&kith.ctx, "circle", "dan", By::Account(&carol)).await {
            Err(FederationError::Forbidden(_)) => {}
            other => panic!("{other:?}"),
        }
        // Someone whose request waits is approved, not invited.
        let fay = kith.person("fay").await;
        kith_federation::actions::joining::join_group(&kith.ctx, &fay, "circle", None)
            .await
            .unwrap();
        match invite_person::invite_person(&kith.ctx, "circle", "fay", By::Account(&olga)).await {
            Err(FederationError::BadRequest(m)) => assert!(m.contains("approve"), "{m}"),
            other => panic!("{other:?}"),
        }
        match invite_person::invite_person(&kith.ctx, "circle", "nobody", By::Account(&olga)).await
        {
            Err(FederationError::BadRequest(_)) => {}
            other => panic!("{other:?}"),
        }

        // The JSON API: `address` makes a personal invitation, without a link to show.
        let token = tokens::create_token(&kith.ctx, "olga", "t").await.unwrap();
        let api = format!("{}/api/v1/groups/circle/invitations", kith.base);
        let client = reqwest::Client::new();
        let answer = client
            .post(&api)
            .bearer_auth(&token)
            .json(&json!({"address": "carol"}))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status().as_u16(), 201);
        let made: Value = answer.json().await.unwrap();
        assert_eq!(made["invitee"], kith.actor("carol").await.id.as_str());
        assert_eq!(made["max_uses"], 1);
        assert!(made.get("url").is_none(), "{made}");
        let notices = kith.ctx.db.notifications(&carol.id, 10).await.unwrap();
        assert_eq!(notices.len(), 1, "{notices:?}");
        let mixed = client
            .post(&api)
            .bearer_auth(&token)
            .json(&json!({"address": "carol", "days": 3}))
            .send()
            .await
            .unwrap();
        assert_eq!(mixed.status().as_u16(), 400);

        // The organisers' page: a second form invites one person, and says to whom.
        kith.person("erin").await;
        let organiser = Browser::of(&kith, &olga).await;
        let (status, _, page) = organiser
            .post(
                &kith,
                "/g/circle/invitations/person",
                &[("address", "erin")],
            )
            .await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("Invitation sent to"), "{page}");
        let (status, _, page) = organiser
            .post(&kith, "/g/circle/invitations/person", &[("address", "bob")])
            .await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("is a member already"), "{page}");
        kith.stop().await;
    }
}

#[tokio::test]
async fn an_invite_from_the_group_is_kept_and_one_from_a_stranger_ignored() {
    let kith = Instance::start().await;
    kith.person("olga").await;
    let bob = kith.person("bob").await;
    let bob_id = kith.actor("bob").await.id;
    let open = kith.group("runners", "olga", JoinPolicy::Open).await;
    // A group on a server of its own (as Smithereen would send it), and a stranger elsewhere.
    let home = Peer::start(&["https://enterprise.lemmy.ml"]).await;
    let group = home.serve_actor("lemmy/group.json");
    let group_id = group["id"].as_str().unwrap().to_owned();
    let group_key = group["publicKey"]["id"].as_str().unwrap().to_owned();
    let stranger = join(&open, Shape::Unknown).await;
    let stranger_key = stranger.actor["publicKey"]["id"].as_str().unwrap();
    let invite = |actor: &str, n: u32| {
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{actor}/invites/{n}"),
            "type": "Invite",
            "actor": actor,
            "object": group_id,
            "to": [bob_id],
            "cc": [group_id],
        })
    };

    let ignored = kith.ctx.counters().inbox_ignored.load(Ordering::Relaxed);
    let status = stranger
        .peer
        .send(stranger_key, &open.inbox_url, &invite(stranger.id(), 1))
        .await;
    assert!((200..300).contains(&status), "{status}");
    kith.settled().await;
    assert_eq!(
        kith.ctx.counters().inbox_ignored.load(Ordering::Relaxed),
        ignored + 1
    );
    let notices = kith.ctx.db.notifications(&bob.id, 10).await.unwrap();
    assert!(notices.is_empty(), "{notices:?}");

    // The group's own: Bob is told, and led to follow it.
    let status = home
        .send(&group_key, &open.inbox_url, &invite(&group_id, 2))
        .await;
    assert!((200..300).contains(&status), "{status}");
    kith.settled().await;
    let notices = kith.ctx.db.notifications(&bob.id, 10).await.unwrap();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(notices[0].kind, NotificationKind::Invited);
    assert!(notices[0].summary.contains("invited you to join"));
    assert_eq!(uri_of(&notices[0].link), group_id);
    kith.stop().await;
}

#[tokio::test]
async fn the_command_line_invites_one_person() {
    for site in sites().await {
        let (dir, url) = (site.dir.path(), site.url.as_str());
        assert!(kith(dir, url, &["user", "create", "olga"]).status.success());
        let create = [
            "group",
            "create",
            "circle",
            "--owner",
            "olga",
            "--visibility",
            "hidden",
        ];
        assert!(kith(dir, url, &create).status.success());
        let db = Database::connect(url).await.unwrap();
        let sam = db.upsert_remote_actor(&remote_person("sam")).await.unwrap();
        let group = db.local_actor_by_username("circle").await.unwrap();

        let invite = [
            "group",
            "invite",
            "circle",
            "--person",
            "@sam@mastodon.test",
        ];
        let out = kith(dir, url, &invite);
        assert!(out.status.success(), "{}: {}", site.label, text(&out));
        assert!(
            text(&out).contains("invited @sam@mastodon.test to circle"),
            "{}",
            text(&out)
        );
        let now = kith_storage::now_millis();
        assert!(db.is_invitee(&group.id, &sam.id, now).await.unwrap());
        // Queued for the server to send: the `Invite` and the direct message (a host not
        // known yet gets both).
        assert_eq!(db.pending_deliveries().await.unwrap(), 2);
        let open = db.open_invitations(&group.id, now).await.unwrap();
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].invitee_id.as_deref(), Some(sam.id.as_str()));

        let both = [
            "group",
            "invite",
            "circle",
            "--person",
            "sam@mastodon.test",
            "--uses",
            "3",
        ];
        assert!(!kith(dir, url, &both).status.success());
    }
}

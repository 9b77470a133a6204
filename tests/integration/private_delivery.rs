//! What a members-only group sends (issue 26): to accepted members alone, never `Public`, the
//! group's followers collection in `to`; Mastodon-family servers (and servers not known yet)
//! get the group's own followers-only `Create{Note}` naming the author, never an `Announce` of
//! a non-public post; Lemmy and the other group servers get the FEP-1b12 `Announce{Create}`
//! addressed to the followers only. The copy is served at its id to members' servers alone.

use kith_federation::actions::By;
use kith_federation::actions::{events, membership, posts};
use kith_federation::outbound::software::Dialect;
use kith_storage::{GroupVisibility, MemberState, Visibility};
use serde_json::Value;

use crate::events::draft;
use crate::forms::{Member, all_sent, join, looked_up, of_type, refusals};
use crate::instance::{Instance, eventually};
use crate::private_groups::private_group;
use crate::shapes::Shape;

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// Whether an activity, its object or the object's object is addressed to everyone.
fn addressed_publicly(body: &Value) -> bool {
    let levels = [body, &body["object"], &body["object"]["object"]];
    levels.iter().any(|doc| {
        ["to", "cc", "bto", "bcc"].iter().any(|field| {
            let text = doc[*field].to_string();
            text.contains(PUBLIC) || text.contains("\"as:Public\"") || text.contains("\"Public\"")
        })
    })
}

pub(crate) async fn let_in(kith: &Instance, group: &str, group_id: &str, member: &Member) {
    eventually("the request to join", || async {
        let m = kith.ctx.db.membership(group_id, member.id()).await.ok()?;
        (m.state == MemberState::Pending).then_some(())
    })
    .await;
    // Each peer is its own server: the organisers are warned it would keep copies.
    let requests = membership::join_requests(&kith.ctx, group, By::Operator)
        .await
        .unwrap();
    let request = requests
        .iter()
        .find(|r| r.member.id == member.id())
        .unwrap();
    assert!(request.new_server, "{}", member.id());
    membership::approve_member(&kith.ctx, group, member.id(), By::Operator)
        .await
        .unwrap();
}

#[tokio::test]
async fn members_get_the_groups_own_copy_or_a_followers_only_announce_and_nothing_public() {
    let kith = Instance::start().await;
    let olga_account = kith.person("olga").await;
    let group = private_group(&kith, "circle", "olga", GroupVisibility::Members).await;
    let followers = format!("{}/followers", group.id);
    let mastodon = join(&group, Shape::Mastodon).await;
    let gotosocial = join(&group, Shape::GoToSocial).await;
    let lemmy = join(&group, Shape::Lemmy10).await;
    let nodebb = join(&group, Shape::NodeBB).await;
    let unknown = join(&group, Shape::Unknown).await;
    for m in [&mastodon, &gotosocial, &lemmy, &nodebb, &unknown] {
        let_in(&kith, "circle", &group.id, m).await;
    }
    assert_eq!(looked_up(&kith, &mastodon.peer).await, Dialect::Microblog);
    assert_eq!(looked_up(&kith, &lemmy.peer).await, Dialect::Lemmy);
    assert_eq!(looked_up(&kith, &nodebb.peer).await, Dialect::Groups);
    assert_eq!(looked_up(&kith, &unknown.peer).await, Dialect::Unknown);
    let olga = kith.actor("olga").await;
    let post = posts::post_to_group(&kith.ctx, &olga, &group, "Tuesday we meet again", None)
        .await
        .unwrap();
    let event = events::create_event(
        &kith.ctx,
        "circle",
        By::Account(&olga_account),
        &draft("Quiet walk", 3, None),
    )
    .await
    .unwrap();
    all_sent(&kith).await;

    for member in [&mastodon, &gotosocial, &lemmy, &nodebb, &unknown] {
        for got in member.peer.received() {
            assert!(
                !addressed_publicly(&got.body),
                "{}: {}",
                member.id(),
                got.body
            );
        }
    }
    for member in [&mastodon, &gotosocial, &unknown] {
        assert_eq!(
            of_type(&member.peer, "Announce"),
            Vec::<Value>::new(),
            "no Announce of a non-public post to a Mastodon-family host"
        );
        let creates = of_type(&member.peer, "Create");
        let copy = creates
            .iter()
            .find(|c| c["object"]["type"] == "Note")
            .unwrap_or_else(|| panic!("{}: {creates:?}", member.id()));
        // The group's own post, followers in `to` (never only in `cc`), naming the author.
        assert_eq!(copy["actor"], group.id.as_str());
        assert_eq!(copy["object"]["attributedTo"], group.id.as_str());
        assert_eq!(copy["to"][0], followers.as_str(), "{copy}");
        assert_eq!(copy["object"]["to"][0], followers.as_str(), "{copy}");
        let content = copy["object"]["content"].as_str().unwrap();
        assert!(content.contains("Tuesday we meet again"), "{content}");
        assert!(
            content.contains(&post.id),
            "links to the original: {content}"
        );
        assert!(content.contains("@olga@"), "{content}");
        assert_eq!(copy["object"]["tag"][0]["href"], olga.id.as_str());
        let policy = &copy["object"]["interactionPolicy"];
        assert_eq!(
            policy["canAnnounce"]["automaticApproval"][0],
            group.id.as_str()
        );
        assert_eq!(
            policy["canQuote"]["automaticApproval"][0],
            group.id.as_str()
        );
        assert_eq!(policy["canReply"]["automaticApproval"][0], PUBLIC);
        // The event, the group's own too.
        assert!(
            creates
                .iter()
                .any(|c| c["object"]["id"] == event.object.id.as_str()),
            "{}: {creates:?}",
            member.id()
        );
    }
    for member in [&lemmy, &nodebb] {
        let announces = of_type(&member.peer, "Announce");
        let shared = announces
            .iter()
            .find(|a| {
                a["object"]["object"]["content"]
                    .as_str()
                    .is_some_and(|c| c.contains("Tuesday we meet again"))
            })
            .unwrap_or_else(|| {
                panic!(
                    "{}: {announces:?} {:?} {:?}",
                    member.id(),
                    member.peer.received(),
                    refusals(&member.peer)
                )
            });
        assert_eq!(shared["to"], serde_json::json!([followers]), "{shared}");
        assert_eq!(shared["object"]["type"], "Create");
        assert_eq!(shared["object"]["actor"], olga.id.as_str());
        assert!(
            of_type(&member.peer, "Create")
                .iter()
                .all(|c| c["object"]["type"] != "Note")
        );
    }
    assert_eq!(refusals(&lemmy.peer), Vec::<String>::new());

    // Removed, the GoToSocial member's follow is ended the one way GoToSocial honours once it
    // accepted: the group's `Block` (it ignores `Reject{Follow}` then).
    assert_eq!(
        looked_up(&kith, &gotosocial.peer).await,
        Dialect::GoToSocial
    );
    membership::remove_member(&kith.ctx, "circle", gotosocial.id(), By::Operator)
        .await
        .unwrap();
    all_sent(&kith).await;
    let blocks = of_type(&gotosocial.peer, "Block");
    assert_eq!(blocks.len(), 1, "{blocks:?}");
    assert_eq!(blocks[0]["object"], gotosocial.id());
    assert!(of_type(&mastodon.peer, "Block").is_empty());
    kith.stop().await;
}

#[tokio::test]
async fn a_members_public_post_is_not_shared_and_its_author_is_told_but_mentioned_only_is() {
    let kith = Instance::start().await;
    let olga = kith.person("olga").await;
    let group = private_group(&kith, "circle", "olga", GroupVisibility::Members).await;
    let followers = format!("{}/followers", group.id);
    let author = join(&group, Shape::Mastodon).await;
    let other = join(&group, Shape::GoToSocial).await;
    for m in [&author, &other] {
        let_in(&kith, "circle", &group.id, m).await;
    }
    all_sent(&kith).await;
    let key = author.actor["publicKey"]["id"].as_str().unwrap().to_owned();
    let handle = format!("@circle@{}", kith.domain());

    // Public (Mastodon's default): not kept, not shared; the author is told, alone.
    let public =
        crate::mastodon::post_mentioning(&author.peer, &author.actor, &group.id, &handle, 1);
    let public_id = public["object"]["id"].as_str().unwrap().to_owned();
    assert_eq!(author.peer.send(&key, &group.inbox_url, &public).await, 202);
    kith.settled().await;
    all_sent(&kith).await;
    assert!(kith.ctx.db.object(&public_id).await.is_err(), "kept");
    let told = of_type(&author.peer, "Create")
        .into_iter()
        .find(|c| c["object"]["inReplyTo"] == public_id.as_str())
        .expect("the author is told");
    assert_eq!(told["to"], serde_json::json!([author.id()]), "{told}");
    assert!(
        told["object"]["content"]
            .as_str()
            .unwrap()
            .contains("mentioned people only")
    );
    assert!(
        of_type(&other.peer, "Create").is_empty(),
        "the other member got nothing of it"
    );

    // "Mentioned people only", to the group: shared with the members as the group's copy.
    let mut direct =
        crate::mastodon::post_mentioning(&author.peer, &author.actor, &group.id, &handle, 2);
    direct["to"] = serde_json::json!([group.id]);
    direct["cc"] = serde_json::json!([]);
    direct["object"]["to"] = serde_json::json!([group.id]);
    direct["object"]["cc"] = serde_json::json!([]);
    let direct_id = direct["object"]["id"].as_str().unwrap().to_owned();
    assert_eq!(author.peer.send(&key, &group.inbox_url, &direct).await, 202);
    kith.settled().await;
    all_sent(&kith).await;
    let kept = kith.ctx.db.object(&direct_id).await.unwrap();
    assert_eq!(kept.visibility, Visibility::Direct);
    let copy = of_type(&other.peer, "Create")
        .into_iter()
        .find(|c| c["object"]["url"] == direct_id.as_str())
        .expect("the other member gets the group's copy");
    assert_eq!(copy["object"]["attributedTo"], group.id.as_str());
    assert_eq!(copy["to"][0], followers.as_str());
    assert!(!addressed_publicly(&copy));
    assert!(of_type(&other.peer, "Announce").is_empty());
    // Kept here, the member's post reads as the group's content: to a local member, and to
    // nobody outside.
    let url = format!("{}/thread?id={direct_id}", kith.base);
    let olga_cookie = crate::outsiders::cookie(&kith, &olga).await;
    let (status, cache, body) =
        crate::online_link::get(&url, &[("accept", "text/html"), ("cookie", &olga_cookie)]).await;
    assert_eq!(status, 200, "a local member reads it: {body}");
    assert!(cache.contains("no-store"), "{cache}");
    let (status, _, _) = crate::online_link::get(&url, &[("accept", "text/html")]).await;
    assert_eq!(status, 404, "an outsider does not");
    kith.stop().await;
}

#[tokio::test]
async fn a_members_non_public_post_sent_by_id_is_fetched_signed_as_the_group() {
    let kith = Instance::start().await;
    kith.person("olga").await;
    let group = private_group(&kith, "circle", "olga", GroupVisibility::Members).await;
    let author = join(&group, Shape::Mastodon).await;
    let_in(&kith, "circle", &group.id, &author).await;
    all_sent(&kith).await;
    let key = author.actor["publicKey"]["id"].as_str().unwrap().to_owned();
    let handle = format!("@circle@{}", kith.domain());
    let mut create =
        crate::mastodon::post_mentioning(&author.peer, &author.actor, &group.id, &handle, 3);
    for doc in ["to", "cc"] {
        let value = if doc == "to" {
            serde_json::json!([group.id])
        } else {
            serde_json::json!([])
        };
        create[doc] = value.clone();
        create["object"][doc] = value;
    }
    let note_id = create["object"]["id"].as_str().unwrap().to_owned();
    // Served, as Mastodon serves a "mentioned people only" post, to the group alone.
    author.peer.serve_only_to(&create["object"], &group.id);
    create["object"] = serde_json::json!(note_id);
    assert_eq!(author.peer.send(&key, &group.inbox_url, &create).await, 202);
    kith.settled().await;
    let kept = kith.ctx.db.object(&note_id).await;
    assert!(kept.is_ok(), "fetched signed as the group: {kept:?}");
    assert!(
        author
            .peer
            .gets(reqwest::Url::parse(&note_id).unwrap().path())
            >= 2
    );
    kith.stop().await;
}

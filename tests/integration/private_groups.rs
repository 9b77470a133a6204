//! Members-only and hidden groups (issue 26): chosen when a group is made, kept, told in the
//! JSON API; a public group with content cannot become private.

use kith_federation::actions::By;
use kith_federation::actions::{groups, posts};
use kith_storage::{GroupVisibility, JoinPolicy, ObjectKind};
use serde_json::Value;

use crate::instance::Instance;
use crate::online_link::get;
use crate::support::{kith, sites, text};

/// A group of `owner` with this visibility, asked to be open to anyone.
pub async fn private_group(
    kith: &Instance,
    name: &str,
    owner: &str,
    visibility: GroupVisibility,
) -> kith_storage::Actor {
    let new = groups::NewGroup {
        name: name.into(),
        owner: owner.into(),
        title: Some(format!("The {name}")),
        summary: Some("We talk about hard things.".into()),
        join_policy: JoinPolicy::Open,
        visibility,
    };
    groups::create_group(&kith.ctx, &new).await.unwrap()
}

#[tokio::test]
async fn the_command_line_makes_members_only_and_hidden_groups() {
    for site in sites().await {
        let (dir, url) = (site.dir.path(), site.url.as_str());
        assert!(kith(dir, url, &["user", "create", "ann"]).status.success());
        for visibility in ["members", "hidden", "public"] {
            let name = format!("g{visibility}");
            let args = [
                "group",
                "create",
                &name,
                "--owner",
                "ann",
                "--visibility",
                visibility,
            ];
            let out = kith(dir, url, &args);
            assert!(out.status.success(), "{}: {}", site.label, text(&out));
            assert!(
                text(&out).contains(&format!("created {visibility} group @{name}@")),
                "{}",
                text(&out)
            );
        }
        let out = kith(
            dir,
            url,
            &[
                "group",
                "create",
                "x",
                "--owner",
                "ann",
                "--visibility",
                "secret",
            ],
        );
        assert!(!out.status.success(), "{}", text(&out));
    }
}

#[tokio::test]
async fn visibility_is_kept_told_and_private_groups_approve_members() {
    let kith = Instance::start().await;
    let ann = kith.person("ann").await;
    for visibility in [GroupVisibility::Members, GroupVisibility::Hidden] {
        let name = format!("circle_{visibility}");
        let group = private_group(&kith, &name, "ann", visibility).await;
        assert_eq!(group.visibility, visibility);
        assert!(
            group.manually_approves_followers,
            "asked open, made approval"
        );
        let settings = kith.ctx.db.group_settings(&group.id).await.unwrap();
        assert_eq!(settings.join_policy, JoinPolicy::Approval);
        // Opening it to anyone is refused: anyone could follow and read everything.
        let open = groups::change_policies(
            &kith.ctx,
            &name,
            By::Account(&ann),
            &groups::PolicyChange {
                join_policy: Some("open".into()),
                ..Default::default()
            },
        )
        .await;
        assert!(open.is_err(), "{open:?}");
    }
    // The API tells a member (the owner) the visibility.
    let session = crate::outsiders::cookie(&kith, &ann).await;
    let (status, _, body) = get(
        &format!("{}/api/v1/groups/circle_members", kith.base),
        &[("cookie", &session)],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let doc: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(doc["visibility"], "members");
    assert_eq!(doc["join_policy"], "approval");
    kith.stop().await;
}

#[tokio::test]
async fn a_public_group_with_content_cannot_become_private() {
    let kith = Instance::start().await;
    let ann = kith.person("ann").await;
    let empty = kith.group("quiet", "ann", JoinPolicy::Open).await;
    let busy = kith.group("busy", "ann", JoinPolicy::Open).await;
    let author = kith.ctx.db.actor(&ann.actor_id).await.unwrap();
    posts::post_to_group(&kith.ctx, &author, &busy, "hello everyone", None)
        .await
        .unwrap();
    let refused = groups::set_visibility(
        &kith.ctx,
        "busy",
        By::Account(&ann),
        GroupVisibility::Members,
    )
    .await
    .unwrap_err();
    assert!(
        refused.to_string().contains("copied by other servers"),
        "{refused}"
    );
    let still = kith.ctx.db.actor(&busy.id).await.unwrap();
    assert_eq!(still.visibility, GroupVisibility::Public);
    // Without content it may, and then approves each member; back to public is always allowed.
    let quiet = groups::set_visibility(
        &kith.ctx,
        "quiet",
        By::Account(&ann),
        GroupVisibility::Hidden,
    )
    .await
    .unwrap();
    assert_eq!(quiet.visibility, GroupVisibility::Hidden);
    assert!(quiet.manually_approves_followers);
    assert_eq!(
        kith.ctx
            .db
            .group_settings(&empty.id)
            .await
            .unwrap()
            .join_policy,
        JoinPolicy::Approval
    );
    let back = groups::set_visibility(
        &kith.ctx,
        "quiet",
        By::Account(&ann),
        GroupVisibility::Public,
    )
    .await
    .unwrap();
    assert_eq!(back.visibility, GroupVisibility::Public);
    kith.stop().await;
}

#[tokio::test]
async fn a_followed_remote_groups_followers_only_post_is_shown_to_its_local_followers_alone() {
    use kith_storage::{ActorKind, FollowState, NewActor, NewObject, Visibility};
    let kith = Instance::start().await;
    let olga = kith.person("olga").await;
    let nina = kith.person("nina").await;
    let remote = |name: &str, kind| NewActor {
        id: format!("https://lemmy.test/c/{name}"),
        kind,
        local: false,
        username: name.into(),
        domain: "lemmy.test".into(),
        display_name: None,
        summary: None,
        url: None,
        inbox_url: format!("https://lemmy.test/c/{name}/inbox"),
        shared_inbox_url: None,
        outbox_url: None,
        followers_url: Some(format!("https://lemmy.test/c/{name}/followers")),
        key_id: format!("https://lemmy.test/c/{name}#main-key"),
        public_key_pem: "PEM".into(),
        private_key_pem: None,
        manually_approves_followers: true,
        data: None,
    };
    let db = &kith.ctx.db;
    let community = db
        .upsert_remote_actor(&remote("quiet", ActorKind::Group))
        .await
        .unwrap();
    let author = db
        .upsert_remote_actor(&remote("ann", ActorKind::Person))
        .await
        .unwrap();
    let id = "https://lemmy.test/post/1";
    db.insert_object(&NewObject {
        local: false,
        group_id: Some(community.id.clone()),
        visibility: Visibility::Followers,
        content: Some("<p>quietremoteword</p>".into()),
        ..NewObject::local(id, ObjectKind::Note, &author.id, "{}".into(), 1)
    })
    .await
    .unwrap();
    db.upsert_follow(&olga.actor_id, &community.id, FollowState::Accepted, "f1")
        .await
        .unwrap();
    let url = format!("{}/thread?id={id}", kith.base);
    let (status, _, body) = get(&url, &[("accept", "text/html")]).await;
    assert_eq!(status, 404);
    assert!(!body.contains("quietremoteword"));
    let nina_cookie = crate::outsiders::cookie(&kith, &nina).await;
    let (status, _, body) = get(&url, &[("accept", "text/html"), ("cookie", &nina_cookie)]).await;
    assert_eq!(status, 404, "a local person who does not follow it");
    assert!(!body.contains("quietremoteword"));
    let olga_cookie = crate::outsiders::cookie(&kith, &olga).await;
    let (status, cache, body) =
        get(&url, &[("accept", "text/html"), ("cookie", &olga_cookie)]).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("quietremoteword"));
    assert!(cache.contains("no-store"), "{cache}");

    // The same kind of reply in a public thread: left out for everyone but those who may see it.
    let root = "https://lemmy.test/post/2";
    db.insert_object(&NewObject {
        local: false,
        group_id: Some(community.id.clone()),
        visibility: Visibility::Public,
        content: Some("<p>openrootword</p>".into()),
        ..NewObject::local(root, ObjectKind::Note, &author.id, "{}".into(), 2)
    })
    .await
    .unwrap();
    db.insert_object(&NewObject {
        local: false,
        group_id: Some(community.id.clone()),
        visibility: Visibility::Followers,
        in_reply_to: Some(root.into()),
        thread_root: Some(root.into()),
        content: Some("<p>quietreplyword</p>".into()),
        ..NewObject::local(
            "https://lemmy.test/post/3",
            ObjectKind::Note,
            &author.id,
            "{}".into(),
            3,
        )
    })
    .await
    .unwrap();
    let url = format!("{}/thread?id={root}", kith.base);
    let api = format!("{}/api/v1/thread?id={root}", kith.base);
    for round in 0..2 {
        for (url, accept) in [(&url, "text/html"), (&api, "application/json")] {
            let (status, _, body) = get(url, &[("accept", accept)]).await;
            assert_eq!(status, 200, "{url} ({round}): {body}");
            assert!(body.contains("openrootword"), "{url}: {body}");
            assert!(
                !body.contains("quietreplyword"),
                "anonymous {url} ({round})"
            );
            let (_, _, body) = get(url, &[("accept", accept), ("cookie", &nina_cookie)]).await;
            assert!(!body.contains("quietreplyword"), "nina {url} ({round})");
        }
    }
    let (status, cache, body) =
        get(&url, &[("accept", "text/html"), ("cookie", &olga_cookie)]).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("quietreplyword"), "{body}");
    assert!(cache.contains("no-store"), "{cache}");
    kith.stop().await;
}

#[tokio::test]
async fn a_person_chooses_whether_their_groups_show_and_private_ones_never_do() {
    let kith = Instance::start().await;
    let olga = kith.person("olga").await;
    kith.group("openrunners", "olga", JoinPolicy::Open).await;
    private_group(&kith, "quietcircle", "olga", GroupVisibility::Members).await;
    let page = |query: &'static str| {
        let url = format!("{}{query}", olga.actor_id);
        async move { get(&url, &[("accept", "text/html")]).await.2 }
    };
    let body = page("").await;
    assert!(body.contains("openrunners"), "{body}");
    assert!(
        !body.contains("quietcircle"),
        "a members-only group on a person's page"
    );
    kith.ctx
        .db
        .set_memberships_shown(&olga.actor_id, false)
        .await
        .unwrap();
    // (Another address than the first visit's: the change was made outside a request, which
    // the one-second cache of anonymous pages would not know of.)
    let body = page("?after").await;
    assert!(!body.contains("openrunners"), "hidden by her choice");
    let session = crate::outsiders::cookie(&kith, &olga).await;
    let (_, _, body) = get(
        &olga.actor_id,
        &[("accept", "text/html"), ("cookie", &session)],
    )
    .await;
    assert!(
        body.contains("openrunners") && body.contains("quietcircle"),
        "she sees hers"
    );
    assert!(body.contains("Show my groups to others"));
    kith.stop().await;
}

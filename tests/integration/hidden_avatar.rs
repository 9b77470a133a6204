//! A hidden group's avatar on its members' servers (issue 26). Mastodon fetches avatars
//! unsigned, so a picture only members may fetch would never show there. A hidden group's
//! documents — which reach only its members and their servers — name each picture by an
//! unguessable capability URL that answers anyone who has it; the plain URL stays its
//! members' only, a wrong or old capability is 404, and a members-only group (whose avatar is
//! public anyway) keeps the plain URL.

use kith_storage::GroupVisibility;
use serde_json::Value;

use crate::event_pages::Browser;
use crate::forms::{all_sent, join, of_type};
use crate::instance::Instance;
use crate::pictures::{picture, upload};
use crate::private_delivery::let_in;
use crate::private_groups::private_group;
use crate::private_leaks::signed_get;
use crate::shapes::Shape;

async fn avatar_of(kith: &Instance, organiser: &Browser, group: &str, red: u8) {
    let mut img = image::load_from_memory(&picture(32, 32, image::ImageFormat::Png))
        .unwrap()
        .into_rgba8();
    img.put_pixel(0, 0, image::Rgba([red, 0, 0, 255]));
    let mut bytes = Vec::new();
    img.write_to(
        &mut std::io::Cursor::new(&mut bytes),
        image::ImageFormat::Png,
    )
    .unwrap();
    let (status, _, page) = upload(
        kith,
        organiser,
        group,
        &[("role", "avatar"), ("alt", "our logo")],
        Some(("a.png", &bytes)),
    )
    .await;
    assert_eq!(status, 303, "{page}");
    all_sent(kith).await;
}

#[tokio::test]
async fn a_hidden_groups_avatar_reaches_its_members_servers_by_an_unguessable_url_alone() {
    for test_db in kith_storage::testing::all().await {
        avatar_on(Instance::start_on(test_db).await).await;
    }
}

async fn avatar_on(kith: Instance) {
    let olga = kith.person("olga").await;
    let organiser = Browser::of(&kith, &olga).await;
    let group = private_group(&kith, "secret", "olga", GroupVisibility::Hidden).await;
    let member = join(&group, Shape::Mastodon).await;
    let_in(&kith, "secret", &group.id, &member).await;
    avatar_of(&kith, &organiser, "secret", 1).await;

    // The member's server is told of the avatar by its capability URL.
    let update = of_type(&member.peer, "Update")
        .into_iter()
        .rfind(|u| u["object"]["id"] == group.id.as_str())
        .expect("Update{Group} to the member's server");
    let icon = update["object"]["icon"]["url"].as_str().unwrap().to_owned();
    assert!(icon.contains("/media/c/"), "{icon}");
    // Fetched as Mastodon fetches avatars: unsigned.
    let fetched = reqwest::get(&icon).await.unwrap();
    assert_eq!(fetched.status(), 200, "{icon}");
    assert_eq!(fetched.headers()["content-type"], "image/png");
    assert!(
        fetched.headers()["cache-control"]
            .to_str()
            .unwrap()
            .starts_with("private")
    );
    assert_eq!(fetched.headers()["x-robots-tag"], "noindex");
    let bytes = fetched.bytes().await.unwrap();
    assert!(image::load_from_memory(&bytes).is_ok());
    // The same URL in the group's document served to the member's server.
    let key = member.actor["publicKey"]["id"].as_str().unwrap();
    let (status, body) =
        signed_get(&member.peer, key, &group.id, "application/activity+json").await;
    assert_eq!(status, 200, "{body}");
    let doc: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(doc["icon"]["url"], icon.as_str());

    // Anyone else: the group is not there, the plain URL is the members' alone, and a
    // capability guessed or altered names nothing.
    assert_eq!(reqwest::get(&group.id).await.unwrap().status(), 404);
    let stored = &kith.ctx.db.pictures_of(&group.id).await.unwrap()[0];
    let plain = kith_federation::media::url(&kith.ctx, &stored.hash, &stored.content_type);
    assert_eq!(reqwest::get(&plain).await.unwrap().status(), 404);
    let cap = stored.capability.clone().unwrap();
    let altered_cap = format!(
        "{}{}",
        &cap[..31],
        if cap.ends_with('0') { '1' } else { '0' }
    );
    for wrong in [
        icon.replace(&cap, &altered_cap),
        icon.replace(&cap, "..%2f..%2f"),
        icon.replace(&stored.hash, &"0".repeat(64)),
    ] {
        assert_eq!(reqwest::get(&wrong).await.unwrap().status(), 404, "{wrong}");
    }

    // A new avatar has a new capability: the old URL names nothing any more.
    avatar_of(&kith, &organiser, "secret", 2).await;
    assert_eq!(reqwest::get(&icon).await.unwrap().status(), 404);
    let newer = &kith.ctx.db.pictures_of(&group.id).await.unwrap()[0];
    assert_ne!(newer.capability.as_deref(), Some(cap.as_str()));

    // A members-only group's avatar is public: its document keeps the plain URL.
    private_group(&kith, "circle", "olga", GroupVisibility::Members).await;
    avatar_of(&kith, &organiser, "circle", 3).await;
    let circle = kith.actor("circle").await;
    let (_, doc) = crate::instance::get_activity_json(&circle.id).await;
    let url = doc["icon"]["url"].as_str().unwrap();
    assert!(!url.contains("/media/c/"), "{url}");
    kith.stop().await;
}

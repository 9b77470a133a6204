//! A group's avatar and banner (issue 23): uploaded from the settings page, checked by decoding
//! (never by the file's name), refused when too large in bytes or in pixels (a decompression
//! bomb is refused from its header, before its pixels are allocated), resized and encoded again
//! without the file's metadata, served at content-named URLs with long caching, and shown in the
//! group's ActivityPub document as `icon` and `image`. A hidden group's pictures are its
//! members' only.

use std::io::Cursor;

use kith_federation::actions::By;
use kith_federation::actions::{events, groups};
use kith_storage::{GroupVisibility, JoinPolicy, PictureRole};

use crate::event_pages::Browser;
use crate::instance::{Instance, get_activity_json};

/// A picture of `w` × `h` pixels in `format` (RGBA for PNG, so it keeps its transparency).
pub fn picture(w: u32, h: u32, format: image::ImageFormat) -> Vec<u8> {
    let mut out = Vec::new();
    let img = if format == image::ImageFormat::Png {
        image::DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(
            w,
            h,
            image::Rgba([10, 120, 200, 128]),
        ))
    } else {
        image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(w, h, image::Rgb([200, 30, 30])))
    };
    img.write_to(&mut Cursor::new(&mut out), format).unwrap();
    out
}

const SECRET: &[u8] = b"GPS 48.8584 N 2.2945 E secret-camera-serial";

/// A JPEG carrying an EXIF segment (APP1) right after its start marker.
fn jpeg_with_exif(w: u32, h: u32) -> Vec<u8> {
    let plain = picture(w, h, image::ImageFormat::Jpeg);
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend_from_slice(SECRET);
    let len = u16::try_from(payload.len() + 2).unwrap();
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&plain[2..]);
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A tiny PNG whose header claims 60 000 × 60 000 pixels (14 GB decoded).
fn bomb() -> Vec<u8> {
    let mut png = picture(1, 1, image::ImageFormat::Png);
    // The IHDR chunk: length (4), "IHDR" (4), width (4), height (4), … then its CRC.
    let ihdr = 8;
    png[ihdr + 8..ihdr + 12].copy_from_slice(&60_000u32.to_be_bytes());
    png[ihdr + 12..ihdr + 16].copy_from_slice(&60_000u32.to_be_bytes());
    let crc = crc32(&png[ihdr + 4..ihdr + 8 + 13]);
    png[ihdr + 8 + 13..ihdr + 8 + 17].copy_from_slice(&crc.to_be_bytes());
    assert!(png.len() < 200);
    png
}

/// Posts a group's picture form as a browser does (`multipart/form-data`).
pub(crate) async fn upload(
    kith: &Instance,
    who: &Browser,
    group: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, &[u8])>,
) -> (u16, String, String) {
    upload_to(kith, who, &format!("/g/{group}/pictures"), fields, file).await
}

/// Posts a picture form at `path`: status, redirect, body.
async fn upload_to(
    kith: &Instance,
    who: &Browser,
    path: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, &[u8])>,
) -> (u16, String, String) {
    let boundary = "kith-test-boundary-7d1c";
    let mut body = Vec::new();
    let mut part = |head: String, content: &[u8]| {
        body.extend_from_slice(format!("--{boundary}\r\n{head}\r\n\r\n").as_bytes());
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    };
    part(
        "Content-Disposition: form-data; name=\"csrf\"".into(),
        who.csrf.as_bytes(),
    );
    for (name, value) in fields {
        part(
            format!("Content-Disposition: form-data; name=\"{name}\""),
            value.as_bytes(),
        );
    }
    if let Some((filename, bytes)) = file {
        part(
            format!(
                "Content-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n\
                 Content-Type: image/png"
            ),
            bytes,
        );
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}{path}", kith.base))
        .header("cookie", &who.cookie)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, location, response.text().await.unwrap_or_default())
}

fn files_in(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |d| d.count())
}

#[tokio::test]
async fn an_organiser_uploads_a_groups_avatar_and_banner_and_bad_files_are_refused() {
    let kith = Instance::start().await;
    let olga = kith.person("olga").await;
    let group = kith.group("runners", "olga", JoinPolicy::Open).await;
    let organiser = Browser::of(&kith, &olga).await;
    let avatar = [("role", "avatar"), ("alt", "A running shoe")];

    // Refused: text named .png, more than 5 MB, a bomb; nothing is stored.
    let (status, _, page) = upload(
        &kith,
        &organiser,
        "runners",
        &avatar,
        Some(("shoe.png", b"not a picture at all")),
    )
    .await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("not a PNG, JPEG, WebP or GIF"), "{page}");
    // Said on the settings page, beside the avatar's field, with the alt text as typed.
    assert!(page.contains("<h1>Group settings</h1>"), "{page}");
    assert!(page.contains("id=\"avatar-error\""), "{page}");
    assert!(
        page.contains("id=\"avatar-alt\" name=\"alt\" maxlength=\"1500\" value=\"A running shoe\""),
        "{page}"
    );
    assert!(!page.contains("id=\"banner-error\""));
    let mut big = picture(8, 8, image::ImageFormat::Png);
    big.resize(5 * 1024 * 1024 + 10, 0);
    let (status, _, page) = upload(
        &kith,
        &organiser,
        "runners",
        &avatar,
        Some(("big.png", &big)),
    )
    .await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("larger than 5 MB"), "{page}");
    let (status, _, page) = upload(
        &kith,
        &organiser,
        "runners",
        &avatar,
        Some(("bomb.png", &bomb())),
    )
    .await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("too large"), "{page}");
    assert!(kith.ctx.db.pictures_of(&group.id).await.unwrap().is_empty());
    assert_eq!(files_in(kith.media.path()), 0);

    // A member who does not organise is refused.
    let mia = kith.person("mia").await;
    let member = Browser::of(&kith, &mia).await;
    let png = picture(64, 64, image::ImageFormat::Png);
    let (status, _, _) = upload(&kith, &member, "runners", &avatar, Some(("a.png", &png))).await;
    assert_eq!(status, 403);

    // Accepted: an avatar (transparent: kept as PNG) and a large banner carrying EXIF.
    let (status, location, page) =
        upload(&kith, &organiser, "runners", &avatar, Some(("a.png", &png))).await;
    assert_eq!(status, 303, "{page}");
    assert!(location.ends_with("/g/runners/settings?done=saved"));
    let banner = [("role", "banner"), ("alt", "The river at dawn")];
    let jpeg = jpeg_with_exif(3000, 1000);
    assert!(jpeg.windows(SECRET.len()).any(|w| w == SECRET));
    let (status, _, page) = upload(
        &kith,
        &organiser,
        "runners",
        &banner,
        Some(("photo.jpg", &jpeg)),
    )
    .await;
    assert_eq!(status, 303, "{page}");
    let pictures = kith.ctx.db.pictures_of(&group.id).await.unwrap();
    assert_eq!(pictures.len(), 2);
    let stored_banner = pictures
        .iter()
        .find(|p| p.role == PictureRole::Banner)
        .unwrap();
    assert_eq!((stored_banner.width, stored_banner.height), (1500, 500));
    assert_eq!(stored_banner.content_type, "image/jpeg");

    // The group's document carries them; Mastodon and Mobilizon read `icon` and `image`.
    let (_, doc) = get_activity_json(&group.id).await;
    assert_eq!(doc["icon"]["type"], "Image");
    assert_eq!(doc["icon"]["mediaType"], "image/png");
    assert_eq!(doc["icon"]["name"], "A running shoe");
    assert_eq!(doc["image"]["mediaType"], "image/jpeg");
    assert_eq!(doc["image"]["name"], "The river at dawn");
    let banner_url = doc["image"]["url"].as_str().unwrap().to_owned();
    assert!(banner_url.starts_with(&format!("{}/media/", kith.base)));

    // The JSON API gives them too.
    let api: serde_json::Value = reqwest::get(format!("{}/api/v1/groups/runners", kith.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(api["banner"]["url"], banner_url.as_str());
    assert_eq!(api["avatar"]["name"], "A running shoe");

    // Served with long caching, its type and nosniff; re-encoded without the EXIF segment.
    let response = reqwest::get(&banner_url).await.unwrap();
    assert_eq!(response.status(), 200);
    let h = response.headers().clone();
    assert_eq!(h["content-type"], "image/jpeg");
    assert_eq!(h["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(h["x-content-type-options"], "nosniff");
    let bytes = response.bytes().await.unwrap();
    assert!(!bytes.windows(SECRET.len()).any(|w| w == SECRET));
    let decoded = image::load_from_memory(&bytes).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (1500, 500));
    // An unknown or malformed name is 404.
    let unknown = format!("{}/media/{}.jpg", kith.base, "0".repeat(64));
    assert_eq!(reqwest::get(&unknown).await.unwrap().status(), 404);
    let sneaky = format!("{}/media/..%2Fkith.db", kith.base);
    assert_eq!(reqwest::get(&sneaky).await.unwrap().status(), 404);

    // The group page and the settings page show them with their alt text.
    let (_, page) = organiser.get(&kith, "/g/runners").await;
    assert!(page.contains("alt=\"The river at dawn\""), "{page}");
    assert!(page.contains("alt=\"A running shoe\""), "{page}");
    let (_, page) = organiser.get(&kith, "/g/runners/settings").await;
    assert!(page.contains("value=\"The river at dawn\""), "{page}");

    // Alt text alone changes; removing takes the picture off the document.
    let (status, _, _) = upload(
        &kith,
        &organiser,
        "runners",
        &[("role", "banner"), ("alt", "Mist on the river")],
        None,
    )
    .await;
    assert_eq!(status, 303);
    let (_, doc) = get_activity_json(&group.id).await;
    assert_eq!(doc["image"]["name"], "Mist on the river");
    assert_eq!(doc["image"]["url"], banner_url.as_str());
    let (status, _, _) = upload(
        &kith,
        &organiser,
        "runners",
        &[("role", "banner"), ("remove", "1")],
        None,
    )
    .await;
    assert_eq!(status, 303);
    let (_, doc) = get_activity_json(&group.id).await;
    assert!(doc.get("image").is_none(), "{doc}");
    assert_eq!(reqwest::get(&banner_url).await.unwrap().status(), 404);
    kith.stop().await;
}

#[tokio::test]
async fn a_members_only_groups_avatar_is_public_and_a_hidden_groups_is_its_members_only() {
    let kith = Instance::start().await;
    let olga = kith.person("olga").await;
    let organiser = Browser::of(&kith, &olga).await;
    let png = picture(32, 32, image::ImageFormat::Png);
    let mut urls = Vec::new();
    for (name, visibility) in [
        ("circle", GroupVisibility::Members),
        ("secret", GroupVisibility::Hidden),
    ] {
        kith.group(name, "olga", JoinPolicy::Approval).await;
        groups::set_visibility(&kith.ctx, name, By::Operator, visibility)
            .await
            .unwrap();
        // Different pixels for each, so the two are different files.
        let mut img = image::load_from_memory(&png).unwrap().into_rgba8();
        img.put_pixel(0, 0, image::Rgba([u8::from(name == "secret"), 0, 0, 255]));
        let mut bytes = Vec::new();
        img.write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Png)
            .unwrap();
        let (status, _, page) = upload(
            &kith,
            &organiser,
            name,
            &[("role", "avatar"), ("alt", name)],
            Some(("a.png", &bytes)),
        )
        .await;
        assert_eq!(status, 303, "{page}");
        let group = kith.actor(name).await;
        let picture = &kith.ctx.db.pictures_of(&group.id).await.unwrap()[0];
        urls.push(kith_federation::media::url(
            &kith.ctx,
            &picture.hash,
            &picture.content_type,
        ));
    }
    let anonymous = reqwest::get(&urls[0]).await.unwrap();
    assert_eq!(
        anonymous.status(),
        200,
        "a members-only group's avatar is public"
    );
    assert_eq!(
        anonymous.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(
        reqwest::get(&urls[1]).await.unwrap().status(),
        404,
        "a hidden group's avatar is for its members"
    );
    let member = reqwest::Client::new()
        .get(&urls[1])
        .header("cookie", &organiser.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(member.status(), 200);
    assert_eq!(member.headers()["cache-control"], "private, no-store");
    kith.stop().await;
}

/// An event's picture is its `image` and first `Document` attachment (Mobilizon's picture,
/// Mastodon's media attachment); a members-only group's event picture is its readers' only.
#[tokio::test]
async fn an_events_picture_is_in_its_document_and_a_members_only_groups_is_its_readers_only() {
    let kith = Instance::start().await;
    let olga = kith.person("olga").await;
    let organiser = Browser::of(&kith, &olga).await;
    kith.group("runners", "olga", JoinPolicy::Open).await;
    kith.group("circle", "olga", JoinPolicy::Approval).await;
    groups::set_visibility(&kith.ctx, "circle", By::Operator, GroupVisibility::Members)
        .await
        .unwrap();
    let mut urls = Vec::new();
    for (group, red) in [("runners", 10u8), ("circle", 20u8)] {
        let event = events::create_event(
            &kith.ctx,
            group,
            By::Operator,
            &crate::events::draft("Evening run", 3, None),
        )
        .await
        .unwrap();
        let id = event.object.id.clone();
        let key = id.rsplit('/').next().unwrap().to_owned();
        let mut img = image::RgbImage::from_pixel(2400, 1600, image::Rgb([red, 90, 40]));
        img.put_pixel(0, 0, image::Rgb([red, 0, 0]));
        let mut jpeg = Vec::new();
        image::DynamicImage::ImageRgb8(img)
            .write_to(&mut Cursor::new(&mut jpeg), image::ImageFormat::Jpeg)
            .unwrap();
        // A member who does not organise is refused; a bomb is refused.
        let (status, _, page) = upload_to(
            &kith,
            &organiser,
            &format!("/o/{key}/picture"),
            &[("alt", "Runners at the start")],
            Some(("bomb.png", &bomb())),
        )
        .await;
        assert_eq!(status, 400, "{page}");
        let (status, location, page) = upload_to(
            &kith,
            &organiser,
            &format!("/o/{key}/picture"),
            &[("alt", "Runners at the start")],
            Some(("run.jpg", &jpeg)),
        )
        .await;
        assert_eq!(status, 303, "{page}");
        assert!(location.starts_with(&id), "{location}");
        let stored = kith.ctx.db.object(&id).await.unwrap();
        let doc: serde_json::Value = serde_json::from_str(&stored.data).unwrap();
        let first = &doc["attachment"][0];
        assert_eq!(first["type"], "Document", "{doc}");
        assert_eq!(first["mediaType"], "image/jpeg");
        assert_eq!(first["name"], "Runners at the start");
        assert_eq!(doc["image"]["url"], first["url"]);
        let url = first["url"].as_str().unwrap().to_owned();
        let (_, page) = organiser.get(&kith, &format!("/o/{key}")).await;
        assert!(page.contains("alt=\"Runners at the start\""), "{page}");
        urls.push((id, url));
    }
    // The public group's event: served to anyone, its document carries the picture.
    let (_, doc) = get_activity_json(&urls[0].0).await;
    assert_eq!(doc["attachment"][0]["url"], urls[0].1.as_str());
    let public = reqwest::get(&urls[0].1).await.unwrap();
    assert_eq!(public.status(), 200);
    assert_eq!(
        public.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let decoded = image::load_from_memory(&public.bytes().await.unwrap()).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (1200, 800));
    // The members-only group's event picture: 404 to others, served privately to members.
    assert_eq!(reqwest::get(&urls[1].1).await.unwrap().status(), 404);
    let sam = kith.person("sam").await;
    let stranger = Browser::of(&kith, &sam).await;
    let seen = reqwest::Client::new()
        .get(&urls[1].1)
        .header("cookie", &stranger.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(seen.status(), 404, "a signed-in non-member");
    let member = reqwest::Client::new()
        .get(&urls[1].1)
        .header("cookie", &organiser.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(member.status(), 200);
    assert_eq!(member.headers()["cache-control"], "private, no-store");
    kith.stop().await;
}

//! Pictures through the JSON API (issue 23): an organiser with a token uploads a group's avatar
//! and an event's picture (`multipart/form-data`: file, alt, remove), the same checks refuse a
//! bad file or someone who does not organise, and the event answer carries its `picture` —
//! to those who may read the group only: a members-only group's event (and so its picture's
//! address) is 404 to anyone else.

use kith_federation::actions::By;
use kith_federation::actions::{events, groups, tokens};
use kith_storage::{GroupVisibility, JoinPolicy, MemberRole, MemberState};
use serde_json::Value;

use crate::events::draft;
use crate::instance::Instance;
use crate::pictures::picture;

/// POSTs a multipart body with a bearer token: status and JSON (or text) answer.
async fn post_multipart(
    url: &str,
    token: &str,
    fields: &[(&str, &str)],
    file: Option<&[u8]>,
) -> (u16, String) {
    let boundary = "kith-api-boundary-41";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    if let Some(bytes) = file {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; \
                 filename=\"p.png\"\r\nContent-Type: image/png\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let response = reqwest::Client::new()
        .post(url)
        .bearer_auth(token)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn get_json(url: &str, token: Option<&str>) -> (u16, Value) {
    let mut request = reqwest::Client::new().get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn organisers_upload_pictures_by_the_api_and_event_answers_carry_them_to_readers_only() {
    let kith = Instance::start().await;
    kith.person("olga").await;
    let bea = kith.person("bea").await;
    let sam = kith.person("sam").await;
    let group = kith.group("runners", "olga", JoinPolicy::Open).await;
    let circle = kith.group("circle", "olga", JoinPolicy::Approval).await;
    groups::set_visibility(&kith.ctx, "circle", By::Operator, GroupVisibility::Members)
        .await
        .unwrap();
    for g in [&group.id, &circle.id] {
        kith.ctx
            .db
            .upsert_membership(
                g,
                &bea.actor_id,
                MemberState::Accepted,
                MemberRole::Member,
                None,
            )
            .await
            .unwrap();
    }
    let olga_token = tokens::create_token(&kith.ctx, "olga", "t").await.unwrap();
    let bea_token = tokens::create_token(&kith.ctx, "bea", "t").await.unwrap();
    let sam_token = tokens::create_token(&kith.ctx, &sam.username, "t")
        .await
        .unwrap();
    let png = picture(600, 600, image::ImageFormat::Png);
    let avatar_url = format!("{}/api/v1/groups/runners/pictures/avatar", kith.base);

    // Refused: a text file, a role groups do not have, someone who does not organise.
    let (status, body) = post_multipart(
        &avatar_url,
        &olga_token,
        &[("alt", "A shoe")],
        Some(b"not a picture"),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(kith.ctx.db.pictures_of(&group.id).await.unwrap().is_empty());
    let cover = format!("{}/api/v1/groups/runners/pictures/cover", kith.base);
    let (status, _) = post_multipart(&cover, &olga_token, &[], Some(&png)).await;
    assert_eq!(status, 400);
    let (status, _) = post_multipart(&avatar_url, &bea_token, &[], Some(&png)).await;
    assert_eq!(status, 403);

    // The organiser's avatar: stored at 400 × 400, served, in the group's answer.
    let (status, body) = post_multipart(
        &avatar_url,
        &olga_token,
        &[("alt", "A running shoe")],
        Some(&png),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["avatar"]["name"], "A running shoe");
    assert_eq!(answer["avatar"]["mediaType"], "image/png");
    let served = reqwest::get(answer["avatar"]["url"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(served.status(), 200);
    let (_, detail) = get_json(&format!("{}/api/v1/groups/runners", kith.base), None).await;
    assert_eq!(detail["avatar"]["url"], answer["avatar"]["url"]);
    // Only the alt text changes; then removed.
    let (status, body) =
        post_multipart(&avatar_url, &olga_token, &[("alt", "A red shoe")], None).await;
    assert_eq!(status, 200, "{body}");
    let changed: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(changed["avatar"]["url"], answer["avatar"]["url"]);
    assert_eq!(changed["avatar"]["name"], "A red shoe");
    let (_, body) = post_multipart(&avatar_url, &olga_token, &[("remove", "1")], None).await;
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["avatar"],
        Value::Null
    );

    // An event's picture, in a public group and in a members-only one.
    for (name, public) in [("runners", true), ("circle", false)] {
        let event = events::create_event(&kith.ctx, name, By::Operator, &draft("Evening", 3, None))
            .await
            .unwrap();
        let key = event.object.id.rsplit('/').next().unwrap().to_owned();
        let api = format!("{}/api/v1/events/{key}", kith.base);
        let (status, _) = get_json(&api, None).await;
        assert_eq!(status, if public { 200 } else { 404 }, "{name}");
        let (status, body) = post_multipart(
            &format!("{api}/picture"),
            &olga_token,
            &[("alt", "The meeting point")],
            Some(&picture(2400, 1600, image::ImageFormat::Jpeg)),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let set: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(set["picture"]["name"], "The meeting point");
        let url = set["picture"]["url"].as_str().unwrap().to_owned();

        // A reader sees the picture in the event's answer.
        let (status, seen) = get_json(&api, Some(&bea_token)).await;
        assert_eq!(status, 200, "{name}");
        assert_eq!(seen["picture"]["url"], url.as_str());
        assert_eq!(seen["picture"]["name"], "The meeting point");
        // Outsiders: the event's answer, and so the picture's address, only for a public group.
        for token in [None, Some(sam_token.as_str())] {
            let (status, seen) = get_json(&api, token).await;
            if public {
                assert_eq!(status, 200);
                assert_eq!(seen["picture"]["url"], url.as_str());
            } else {
                assert_eq!(status, 404, "{name}: {seen}");
                assert!(!seen.to_string().contains(&url));
            }
        }
    }
    kith.stop().await;
}

//! Invitation links to a group (issue 26), used as their holders would: an organiser makes a
//! link through the JSON API; local people join by it (a link's uses are counted, its last use
//! goes to one person however many try at once, the banned are refused, an approval group lets
//! the link's holders in at once, and accepts the waiting request of a person elsewhere who
//! uses it); a person elsewhere gives their address on the link's page like a browser (the helpers here, used by `invitation_peers.rs` and `invitation_leaks.rs`).

use kith_federation::actions::{By, bans, tokens};
use kith_storage::{GroupVisibility, JoinPolicy, MemberState};
use serde_json::{Value, json};

use crate::instance::Instance;

/// A bearer token of the local account `name`, for the JSON API.
pub async fn token(kith: &Instance, name: &str) -> String {
    tokens::create_token(&kith.ctx, name, "test").await.unwrap()
}

/// An invitation link to `group` made through the JSON API by the holder of `token`:
/// its id and its URL.
pub async fn make_link(
    kith: &Instance,
    token: &str,
    group: &str,
    max_uses: i64,
    days: i64,
) -> (String, String) {
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/groups/{group}/invitations", kith.base))
        .bearer_auth(token)
        .json(&json!({"max_uses": max_uses, "days": days}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let made: Value = response.json().await.unwrap();
    let url = made["url"].as_str().unwrap().to_owned();
    assert!(url.starts_with(&format!("{}/invite/", kith.base)), "{made}");
    (made["id"].as_str().unwrap().to_owned(), url)
}

/// Revokes an invitation through the JSON API.
pub async fn revoke(kith: &Instance, token: &str, group: &str, id: &str) {
    let status = reqwest::Client::new()
        .delete(format!(
            "{}/api/v1/groups/{group}/invitations/{id}",
            kith.base
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 204);
}

/// The secret of a link (`BASE/invite/SECRET`).
pub fn secret_of(link: &str) -> &str {
    link.rsplit('/').next().unwrap()
}

/// `POST /api/v1/invitations/SECRET/join` as the holder of `token`: status and answer.
pub async fn join_by_api(kith: &Instance, token: &str, link: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!(
            "{}/api/v1/invitations/{}/join",
            kith.base,
            secret_of(link)
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

/// An answer of the link's pages, with the headers that keep it private.
#[derive(Debug)]
pub struct PageAnswer {
    pub status: u16,
    pub cache_control: String,
    pub robots: String,
    pub body: String,
}

impl PageAnswer {
    async fn of(response: reqwest::Response) -> PageAnswer {
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        let (cache_control, robots) = (header("cache-control"), header("x-robots-tag"));
        PageAnswer {
            status: response.status().as_u16(),
            cache_control,
            robots,
            body: response.text().await.unwrap(),
        }
    }

    /// Asserts the answer is for its reader alone: never stored by a cache, never indexed.
    pub fn assert_private(&self, what: &str) {
        assert_eq!(self.cache_control, "private, no-store", "{what}");
        assert_eq!(self.robots, "noindex", "{what}");
    }

    /// The name the page says to search for and follow (`@NAME@DOMAIN`), if it says one.
    pub fn follow_name(&self) -> Option<String> {
        let at = self.body.find("id=\"follow-name\">")? + "id=\"follow-name\">".len();
        let name = self.body[at..].split('<').next()?;
        Some(name.trim_start_matches('@').to_owned())
    }
}

/// GETs a link's page as an anonymous browser.
pub async fn open_link(link: &str) -> PageAnswer {
    PageAnswer::of(reqwest::get(link).await.unwrap()).await
}

/// What an anonymous browser does with a link's page: opens it (its CSRF cookie and the
/// form's token), then gives `address` in the form for accounts elsewhere.
pub async fn give_address(link: &str, address: &str) -> PageAnswer {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = client.get(link).send().await.unwrap();
    assert_eq!(page.status(), 200, "{link}");
    let cookies: Vec<String> = page
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .collect();
    let body = page.text().await.unwrap();
    let at = body.find("name=\"csrf\" value=\"").expect("a form") + 19;
    let csrf = body[at..].split('"').next().unwrap();
    let form = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([("csrf", csrf), ("address", address)])
        .finish();
    let response = client
        .post(format!("{link}/remote"))
        .header("cookie", cookies.join("; "))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    PageAnswer::of(response).await
}

#[tokio::test]
async fn a_links_uses_are_counted_and_its_last_use_goes_to_one_person() {
    for test_db in kith_storage::testing::all().await {
        let kith = Instance::start_on(test_db).await;
        kith.person("olga").await;
        let group = kith.group("runners", "olga", JoinPolicy::Open).await;
        let olga = token(&kith, "olga").await;
        let mut people = Vec::new();
        for name in ["ann", "ben", "cat", "dan", "eve"] {
            let account = kith.person(name).await;
            people.push((account.actor_id, token(&kith, name).await));
        }

        // Two uses: two people join, the third is refused and stays out.
        let (_, link) = make_link(&kith, &olga, "runners", 2, 7).await;
        for (id, person) in &people[..2] {
            let (status, answer) = join_by_api(&kith, person, &link).await;
            assert_eq!(status, 200, "{} {answer}", kith.label);
            assert_eq!(answer["state"], "accepted");
            let m = kith.ctx.db.membership(&group.id, id).await.unwrap();
            assert_eq!(m.state, MemberState::Accepted);
        }
        // Joining again as a member takes no use (nor is it refused).
        let (status, _) = join_by_api(&kith, &people[0].1, &link).await;
        assert_eq!(status, 404, "{}: the link is used up", kith.label);
        let (status, _) = join_by_api(&kith, &people[2].1, &link).await;
        assert_eq!(status, 404, "{}: a third use", kith.label);
        assert!(
            kith.ctx
                .db
                .membership(&group.id, &people[2].0)
                .await
                .is_err()
        );
        let listed: Value = reqwest::Client::new()
            .get(format!("{}/api/v1/groups/runners/invitations", kith.base))
            .bearer_auth(&olga)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(listed, json!([]), "a used-up link is no longer open");

        // One use left, two people at once: exactly one gets in.
        let (_, link) = make_link(&kith, &olga, "runners", 2, 7).await;
        let (status, _) = join_by_api(&kith, &people[2].1, &link).await;
        assert_eq!(status, 200);
        let (a, b) = tokio::join!(
            join_by_api(&kith, &people[3].1, &link),
            join_by_api(&kith, &people[4].1, &link)
        );
        let mut statuses = [a.0, b.0];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 404], "{}: {a:?} {b:?}", kith.label);
        let mut members = 0;
        for (id, _) in &people[3..] {
            members += usize::from(kith.ctx.db.membership(&group.id, id).await.is_ok());
        }
        assert_eq!(members, 1, "{}", kith.label);
        kith.stop().await;
    }
}

#[tokio::test]
async fn a_banned_person_cannot_use_a_link_and_takes_no_use_of_it() {
    let kith = Instance::start().await;
    kith.person("olga").await;
    let group = kith.group("runners", "olga", JoinPolicy::Open).await;
    let olga = token(&kith, "olga").await;
    let nina = kith.person("nina").await;
    let nina_token = token(&kith, "nina").await;
    let (status, _) = join_by_api(
        &kith,
        &nina_token,
        &make_link(&kith, &olga, "runners", 1, 7).await.1,
    )
    .await;
    assert_eq!(status, 200);
    bans::ban(&kith.ctx, "runners", &nina.actor_id, None, By::Operator)
        .await
        .unwrap();
    let (_, link) = make_link(&kith, &olga, "runners", 1, 7).await;
    let (status, answer) = join_by_api(&kith, &nina_token, &link).await;
    assert_eq!(status, 403, "{answer}");
    assert!(
        kith.ctx
            .db
            .membership(&group.id, &nina.actor_id)
            .await
            .is_err()
    );
    assert!(
        kith.ctx
            .db
            .is_banned(&group.id, &nina.actor_id)
            .await
            .unwrap()
    );
    // The link is still open for someone else.
    kith.person("sam").await;
    let (status, _) = join_by_api(&kith, &token(&kith, "sam").await, &link).await;
    assert_eq!(status, 200);
    kith.stop().await;
}

#[tokio::test]
async fn a_link_lets_a_local_person_into_an_approval_or_hidden_group_at_once() {
    let kith = Instance::start().await;
    kith.person("olga").await;
    let approval = kith.group("circle", "olga", JoinPolicy::Approval).await;
    let hidden =
        crate::private_groups::private_group(&kith, "hush", "olga", GroupVisibility::Hidden).await;
    let olga = token(&kith, "olga").await;
    let nina = kith.person("nina").await;
    let nina_token = token(&kith, "nina").await;
    for group in [&approval, &hidden] {
        let (_, link) = make_link(&kith, &olga, &group.username, 1, 1).await;
        let (status, answer) = join_by_api(&kith, &nina_token, &link).await;
        assert_eq!(status, 200, "{answer}");
        let m = kith
            .ctx
            .db
            .membership(&group.id, &nina.actor_id)
            .await
            .unwrap();
        assert_eq!(m.state, MemberState::Accepted, "{}", group.username);
    }
    // Without a link, the same group holds a request for the organisers.
    let sam = kith.person("sam").await;
    kith_federation::actions::joining::join_group(&kith.ctx, &sam, "circle", None)
        .await
        .unwrap();
    let m = kith
        .ctx
        .db
        .membership(&approval.id, &sam.actor_id)
        .await
        .unwrap();
    assert_eq!(m.state, MemberState::Pending);
    kith.stop().await;
}

#[tokio::test]
async fn a_link_accepts_the_waiting_request_of_who_uses_it() {
    for test_db in kith_storage::testing::all().await {
        let kith = Instance::start_on(test_db).await;
        kith.person("olga").await;
        let group =
            crate::private_groups::private_group(&kith, "circle", "olga", GroupVisibility::Members)
                .await;
        // A Mastodon person asked to join; the organisers have not answered.
        let member = crate::forms::join(&group, crate::shapes::Shape::Mastodon).await;
        let waiting = kith
            .ctx
            .db
            .membership(&group.id, member.id())
            .await
            .unwrap();
        assert_eq!(waiting.state, MemberState::Pending);

        let (_, link) = make_link(&kith, &token(&kith, "olga").await, "circle", 1, 7).await;
        let name = member.actor["preferredUsername"].as_str().unwrap();
        let page = give_address(&link, &format!("{name}@{}", member.peer.host())).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("id=\"accepted\""), "{}", page.body);
        let now = kith
            .ctx
            .db
            .membership(&group.id, member.id())
            .await
            .unwrap();
        assert_eq!(now.state, MemberState::Accepted, "{}", kith.label);
        // Their server is told: the Accept of the follow that waited.
        let accept = member
            .peer
            .wait_for("the Accept", |b| b["type"] == "Accept")
            .await;
        assert_eq!(
            accept.body["object"]["id"].as_str(),
            waiting.follow_activity_id.as_deref()
        );
        kith.stop().await;
    }
}

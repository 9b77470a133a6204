//! Invitation links in a real headless Chromium (issue 26): an organiser of a hidden group
//! makes a link on the group's invitations page, a second local account opens it and joins at
//! once; a visitor who is not logged in is offered the form for an address elsewhere instead.
//! Skipped like the other browser tests when Chromium is missing (required in CI).

use fantoccini::{Client, Locator};
use kith_federation::actions::accounts;
use kith_storage::{GroupVisibility, MemberState};

use crate::browser::{browser, click, driver, log_in, log_out, page_text, shot, submit};
use crate::instance::{Instance, eventually};
use crate::private_groups::private_group;

/// The value of the field `css` once the page shows it.
async fn value_of(client: &Client, css: &str) -> String {
    let field = eventually(&format!("{css} on the page"), || async {
        client.find(Locator::Css(css)).await.ok()
    })
    .await;
    field.prop("value").await.unwrap().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organiser_makes_a_link_and_a_second_account_joins_by_it_in_a_browser() {
    let Some(driver) = driver().await else { return };
    let kith = Instance::start().await;
    accounts::create_account(&kith.ctx, "olga", "olga password", false)
        .await
        .unwrap();
    let nina = accounts::create_account(&kith.ctx, "nina", "nina password", false)
        .await
        .unwrap();
    let group = private_group(&kith, "hush", "olga", GroupVisibility::Hidden).await;
    let client = browser(&driver).await;

    // Olga makes a link for two people.
    log_in(&client, &kith.base, "olga", "olga password").await;
    client
        .goto(&format!("{}/invitations", group.id))
        .await
        .unwrap();
    let text = page_text(&client).await;
    assert!(text.contains("This group is hidden"), "{text}");
    let max_uses = client.find(Locator::Css("#max_uses")).await.unwrap();
    max_uses.clear().await.unwrap();
    max_uses.send_keys("2").await.unwrap();
    click(
        &client,
        "form[action$='/g/hush/invitations'] button[type=submit]",
    )
    .await;
    let link = value_of(&client, "#new-link").await;
    assert!(
        link.starts_with(&format!("{}/invite/", kith.base)),
        "{link}"
    );
    let text = page_text(&client).await;
    assert!(text.contains("used 0 of 2"), "{text}");
    shot(&client, "invitations").await;
    log_out(&client).await;

    // Not logged in, the link's page asks for an address elsewhere.
    client.goto(&link).await.unwrap();
    let text = page_text(&client).await;
    assert!(text.contains("You are invited to The hush"), "{text}");
    client.find(Locator::Css("#address")).await.unwrap();

    // Nina logs in, opens the link and joins at once.
    log_in(&client, &kith.base, "nina", "nina password").await;
    client.goto(&link).await.unwrap();
    shot(&client, "invitation").await;
    submit(&client, "form[action$='/join'] button[type=submit]").await;
    let url = client.current_url().await.unwrap();
    assert!(url.as_str().starts_with(&group.id), "{url}");
    let member = kith
        .ctx
        .db
        .membership(&group.id, &nina.actor_id)
        .await
        .unwrap();
    assert_eq!(member.state, MemberState::Accepted);
    let text = page_text(&client).await;
    assert!(text.contains("The hush"), "{text}");
    kith.stop().await;
}

//! The web interface in a real headless Chromium, driven over WebDriver (chromedriver): an
//! administrator opens registration, a newcomer registers, starts a group, posts, announces an
//! event and answers it; then a visitor joins from their account on a second Kith through the
//! remote-follow redirect. Screenshots of the main pages go to `target/screenshots/`.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them and sets
//! `KITH_REQUIRE_BROWSER=1`, so CI fails rather than skips when they are missing).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use kith_federation::actions::accounts;
use kith_storage::{FollowState, MemberState};
use serde_json::json;

use crate::instance::{Instance, eventually};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// chromedriver on a free loopback port, stopped when dropped.
pub(crate) struct Driver {
    child: Child,
    url: String,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts chromedriver, or `None` (skipping) when it is not installed and not required.
pub(crate) async fn driver() -> Option<Driver> {
    let found =
        std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists();
    if !found {
        assert!(
            std::env::var_os("KITH_REQUIRE_BROWSER").is_none(),
            "KITH_REQUIRE_BROWSER is set but {CHROMEDRIVER} or {CHROMIUM} is missing \
             (apt-get install chromium chromium-driver)"
        );
        eprintln!("browser tests skipped: install chromium and chromium-driver to run them");
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        // The browser's own zone, whatever the machine's: pages compare it with events' zones.
        .env("TZ", "UTC")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let url = format!("http://127.0.0.1:{port}");
    let status = format!("{url}/status");
    eventually("chromedriver to listen", || {
        let status = status.clone();
        async move {
            reqwest::get(&status)
                .await
                .ok()
                .filter(|r| r.status().is_success())
        }
    })
    .await;
    Some(Driver {
        child,
        url,
        _profile: tempfile::tempdir().unwrap(),
    })
}

/// A headless Chromium the size of a phone, with the flags this closed network needs.
pub(crate) async fn browser(driver: &Driver) -> Client {
    let profile = driver._profile.path().display().to_string();
    let caps = json!({
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=412,915",
                format!("--user-data-dir={profile}"),
            ]
        }
    });
    let serde_json::Value::Object(caps) = caps else {
        unreachable!()
    };
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a WebDriver session")
}

/// Where screenshots go: `target/screenshots/` of the workspace.
fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub(crate) async fn shot(client: &Client, name: &str) {
    let png = client.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"), "{name} is a PNG");
    std::fs::write(screenshot_dir().join(format!("{name}.png")), png).unwrap();
}

pub(crate) async fn fill(client: &Client, css: &str, text: &str) {
    let field = client.find(Locator::Css(css)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

pub(crate) async fn click(client: &Client, css: &str) {
    client
        .find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// Clicks a submit button or link and waits for the next page to load.
pub(crate) async fn submit(client: &Client, css: &str) {
    let before = client.current_url().await.unwrap();
    click(client, css).await;
    eventually(&format!("a new page after {css}"), || async {
        let now = client.current_url().await.ok()?;
        let ready = client
            .execute("return document.readyState", vec![])
            .await
            .ok()?;
        (now != before && ready == json!("complete")).then_some(())
    })
    .await;
}

pub(crate) async fn page_text(client: &Client) -> String {
    client
        .find(Locator::Css("main"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Sets a field's value from script (date pickers do not take typed text the same way in
/// every locale).
async fn set_value(client: &Client, id: &str, value: &str) {
    client
        .execute(
            "document.getElementById(arguments[0]).value = arguments[1];",
            vec![json!(id), json!(value)],
        )
        .await
        .unwrap();
}

pub(crate) async fn log_in(client: &Client, base: &str, name: &str, password: &str) {
    client.goto(&format!("{base}/login")).await.unwrap();
    fill(client, "#username", name).await;
    fill(client, "#password", password).await;
    submit(client, "form[action='/login'] button[type=submit]").await;
}

pub(crate) async fn log_out(client: &Client) {
    click(client, "form[action='/logout'] button").await;
    eventually("the logged-out page", || async {
        client
            .find(Locator::Css("header a[href='/login']"))
            .await
            .ok()
    })
    .await;
}

/// Under the Content-Security-Policy, Kith's own script ran (it shows the event's time in the
/// viewer's zone) and its stylesheet applied.
async fn assert_own_script_and_style_run(client: &Client) {
    let shown = client
        .execute(
            "var el = document.querySelector('.viewer-time'); \
             return el && !el.hidden ? el.textContent : null;",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        shown.as_str().is_some_and(|t| t.starts_with("Your time")),
        "kith.js did not run: {shown}"
    );
    let style = client
        .execute(
            "return getComputedStyle(document.querySelector('header.site')).borderBottomStyle;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(style, json!("solid"), "kith.css did not apply");
}

/// What a script link or an injected inline script would do on an administrator's page is
/// refused by the browser under Kith's policy: a `javascript:` link clicked, and a `<script>`
/// added to the page, run nothing.
async fn assert_scripts_from_the_page_are_refused(client: &Client) {
    let title = client.title().await.unwrap();
    client
        .execute(
            "var a = document.createElement('a'); a.id = 'hostile'; \
             a.href = \"javascript:document.title='scripted'\"; a.textContent = 'felix'; \
             document.querySelector('main').appendChild(a); \
             var s = document.createElement('script'); \
             s.textContent = \"document.body.dataset.scripted = 'yes'\"; \
             document.body.appendChild(s);",
            vec![],
        )
        .await
        .unwrap();
    click(client, "#hostile").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        client.title().await.unwrap(),
        title,
        "the javascript: link ran"
    );
    let scripted = client
        .execute("return document.body.dataset.scripted || null;", vec![])
        .await
        .unwrap();
    assert_eq!(scripted, serde_json::Value::Null, "the inline script ran");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newcomer_registers_starts_a_group_posts_announces_and_answers_in_a_browser() {
    let Some(driver) = driver().await else { return };
    let a = Instance::start().await;
    let b = Instance::start().await;
    accounts::create_account(&a.ctx, "ada", "admin password", true)
        .await
        .unwrap();
    accounts::create_account(&b.ctx, "bob", "bob password", false)
        .await
        .unwrap();
    let client = browser(&driver).await;

    // The administrator opens registration to everyone.
    log_in(&client, &a.base, "ada", "admin password").await;
    client.goto(&format!("{}/admin", a.base)).await.unwrap();
    shot(&client, "admin").await;
    assert_scripts_from_the_page_are_refused(&client).await;
    client
        .find(Locator::Css("#registration option[value='open']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    fill(&client, "#about", "A home for local running crews.").await;
    submit(&client, "form[action='/admin/settings'] button").await;
    assert!(page_text(&client).await.contains("Saved."));
    log_out(&client).await;

    // A newcomer registers and lands on their page, logged in.
    client.goto(&format!("{}/register", a.base)).await.unwrap();
    shot(&client, "register").await;
    fill(&client, "#username", "dana").await;
    fill(&client, "#password", "dana's password").await;
    submit(&client, "form[action='/register'] button").await;
    let text = page_text(&client).await;
    assert!(text.contains("Your account is ready"), "{text}");
    assert!(
        client
            .current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/u/dana")
    );

    // They start a group.
    submit(&client, "a[href='/groups/new']").await;
    fill(&client, "#name", "runners").await;
    fill(&client, "#title", "Riverside Runners").await;
    fill(&client, "#summary", "Easy 5k every Saturday.").await;
    fill(&client, "#rules", "Nobody is left behind.").await;
    submit(&client, "form[action='/groups'] button").await;
    let url = client.current_url().await.unwrap();
    assert_eq!(url.path(), "/g/runners");
    let text = page_text(&client).await;
    assert!(
        text.contains("Riverside Runners") && text.contains("Nobody is left behind."),
        "{text}"
    );
    assert!(
        text.contains("You are a member and an organiser."),
        "{text}"
    );

    // They post into it.
    fill(
        &client,
        "#text",
        "First run this Saturday, see you at the bridge!",
    )
    .await;
    submit(&client, "form[action$='/g/runners/posts'] button").await;
    let text = page_text(&client).await;
    assert!(
        text.contains("Posted.") && text.contains("see you at the bridge"),
        "{text}"
    );
    shot(&client, "group").await;

    // They announce an event a week ahead, in London time.
    submit(&client, "a[href$='/g/runners/events/new']").await;
    let start = jiff::Zoned::now()
        .with_time_zone(jiff::tz::TimeZone::get("Europe/London").unwrap())
        .checked_add(jiff::Span::new().days(7))
        .unwrap()
        .date();
    fill(&client, "#title", "Saturday 5k").await;
    fill(&client, "#description", "Meet by the bridge.").await;
    set_value(&client, "start", &format!("{start}T09:30")).await;
    set_value(&client, "end", &format!("{start}T10:30")).await;
    set_value(&client, "timezone", "Europe/London").await;
    fill(&client, "#place", "Riverside bridge").await;
    fill(&client, "#address", "Thames Path, London").await;
    fill(&client, "#capacity", "12").await;
    shot(&client, "new-event").await;
    submit(
        &client,
        "form[action$='/g/runners/events'] button[type=submit]",
    )
    .await;
    let text = page_text(&client).await;
    assert!(
        text.contains("Saturday 5k") && text.contains("09:30–10:30"),
        "{text}"
    );
    assert!(
        text.contains("Europe/London time") && text.contains("0 going of 12 places"),
        "{text}"
    );
    assert_own_script_and_style_run(&client).await;
    let event_url = client.current_url().await.unwrap();
    assert!(event_url.path().starts_with("/o/"));

    // They answer: going.
    submit(&client, "button[value='going']").await;
    let text = page_text(&client).await;
    assert!(
        text.contains("Your answer: going") && text.contains("1 going of 12 places"),
        "{text}"
    );
    // Organisers see names.
    assert!(
        text.contains("Who answered") && text.contains("@dana@"),
        "{text}"
    );
    let stored = a
        .ctx
        .db
        .event(&format!("{}{}", a.base, event_url.path()))
        .await
        .unwrap();
    assert_eq!(
        a.ctx.db.rsvp_counts(&stored.object.id).await.unwrap().going,
        1
    );
    shot(&client, "event").await;
    client.goto(&format!("{}/", a.base)).await.unwrap();
    let text = page_text(&client).await;
    assert!(
        text.contains("A home for local running crews.") && text.contains("Saturday 5k"),
        "{text}"
    );
    shot(&client, "front").await;
    log_out(&client).await;

    // A visitor with an account on B joins from there: their handle sends them to B's follow
    // page (found by WebFinger), which asks them to log in, then to confirm.
    client.goto(&format!("{}/g/runners", a.base)).await.unwrap();
    fill(&client, "#handle", &format!("bob@{}", b.domain())).await;
    submit(&client, "form[action$='/remote-join'] button").await;
    let landed = client.current_url().await.unwrap();
    assert_eq!(
        landed.origin().ascii_serialization(),
        b.base,
        "sent to B: {landed}"
    );
    assert_eq!(landed.path(), "/login");
    fill(&client, "#username", "bob").await;
    fill(&client, "#password", "bob password").await;
    submit(&client, "form[action='/login'] button[type=submit]").await;
    let confirm = client.current_url().await.unwrap();
    assert_eq!(confirm.path(), "/authorize_interaction");
    assert!(
        page_text(&client)
            .await
            .contains(&format!("{}/g/runners", a.base))
    );
    shot(&client, "remote-follow").await;
    submit(&client, "form[action='/authorize_interaction'] button").await;
    assert!(page_text(&client).await.contains("Follow request sent"));

    // The follow crosses over and A's open group accepts it.
    let bob = b.actor("bob").await;
    let group_id = format!("{}/g/runners", a.base);
    eventually("A's group to accept bob's follow", || {
        let db = b.ctx.db.clone();
        let (bob, group_id) = (bob.id.clone(), group_id.clone());
        async move {
            db.follow(&bob, &group_id)
                .await
                .ok()
                .filter(|f| f.state == FollowState::Accepted)
        }
    })
    .await;
    let group = a.ctx.db.actor(&group_id).await.unwrap();
    let member = a.ctx.db.membership(&group.id, &bob.id).await.unwrap();
    assert_eq!(member.state, MemberState::Accepted);

    client.close().await.unwrap();
    drop(driver);
    tokio::time::sleep(Duration::from_millis(10)).await;
    a.stop().await;
    b.stop().await;
}

/// Nothing on the page is wider than the window (no sideways scrolling on a phone).
async fn assert_fits(client: &Client, what: &str) {
    let wider = client
        .execute(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(wider, json!(0), "{what} is wider than the window");
}

/// Sets the window's width (the height stays a phone's or a laptop's).
async fn width(client: &Client, px: u32) {
    let height = if px < 600 { 844 } else { 900 };
    client.set_window_size(px, height).await.unwrap();
}

/// An organiser manages an event from the pages (issue 23), at laptop and phone width: a
/// form with a mistake comes back with the problem beside its field and what was typed kept;
/// fixed, the event repeats weekly; then it is edited, cancelled and deleted from its page;
/// then the group is renamed in its settings and its member list shown; then a member answers
/// the series' next date and sees their answer pressed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organiser_fixes_a_mistake_repeats_edits_cancels_and_deletes_an_event() {
    let Some(driver) = driver().await else { return };
    let a = Instance::start().await;
    accounts::create_account(&a.ctx, "olga", "olga password", false)
        .await
        .unwrap();
    let group = a
        .group("runners", "olga", kith_storage::JoinPolicy::Open)
        .await;
    let mia = accounts::create_account(&a.ctx, "mia", "mia password", false)
        .await
        .unwrap();
    a.ctx
        .db
        .upsert_membership(
            &group.id,
            &mia.actor_id,
            kith_storage::MemberState::Accepted,
            kith_storage::MemberRole::Member,
            None,
        )
        .await
        .unwrap();
    let client = browser(&driver).await;
    width(&client, 1280).await;
    log_in(&client, &a.base, "olga", "olga password").await;

    client
        .goto(&format!("{}/g/runners/events/new", a.base))
        .await
        .unwrap();
    let day = jiff::Zoned::now()
        .with_time_zone(jiff::tz::TimeZone::get("Europe/Paris").unwrap())
        .checked_add(jiff::Span::new().days(3))
        .unwrap()
        .date();
    fill(&client, "#title", "Evening run").await;
    fill(&client, "#description", "Easy pace, all welcome.").await;
    set_value(&client, "start", &format!("{day}T18:30")).await;
    set_value(&client, "end", &format!("{day}T17:30")).await;
    set_value(&client, "timezone", "Europe/Paris").await;
    submit(
        &client,
        "form[action$='/g/runners/events'] button[type=submit]",
    )
    .await;
    let error = client
        .find(Locator::Css("#end-error"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(error, "the end must come after the start");
    let kept = client
        .find(Locator::Css("#title"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(kept.as_deref(), Some("Evening run"));
    shot(&client, "event-form-problem-1280").await;
    width(&client, 390).await;
    shot(&client, "event-form-problem-390").await;
    assert_fits(&client, "the event form with a problem").await;
    width(&client, 1280).await;

    set_value(&client, "end", &format!("{day}T19:30")).await;
    client
        .find(Locator::Css("#repeat option[value='weekly']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    fill(&client, "#repeat_count", "3").await;
    submit(
        &client,
        "form[action$='/g/runners/events'] button[type=submit]",
    )
    .await;
    let text = page_text(&client).await;
    assert!(
        text.contains("Evening run") && text.contains("18:30–19:30"),
        "{text}"
    );
    shot(&client, "event-organiser-1280").await;

    // Edited: renamed and moved half an hour later.
    submit(&client, "a[href$='/edit']").await;
    fill(&client, "#title", "Evening run (new time)").await;
    set_value(&client, "start", &format!("{day}T19:00")).await;
    set_value(&client, "end", &format!("{day}T20:00")).await;
    submit(&client, "form[action$='/edit'] button[type=submit]").await;
    let text = page_text(&client).await;
    assert!(
        text.contains("Evening run (new time)") && text.contains("19:00–20:00"),
        "{text}"
    );

    // On a phone: cancelled, then deleted.
    width(&client, 390).await;
    shot(&client, "event-organiser-390").await;
    submit(&client, "form[action$='/cancel'] button").await;
    assert!(
        page_text(&client)
            .await
            .contains("This event is cancelled.")
    );
    click(&client, "details summary").await;
    submit(&client, "form[action$='/delete'] button").await;
    assert_eq!(client.current_url().await.unwrap().path(), "/g/runners");
    let text = page_text(&client).await;
    assert!(text.contains("The event is deleted."), "{text}");
    // The series' other dates: one entry, with the viewer's time (UTC) beside Paris time.
    assert!(text.contains("Repeats · next:"), "{text}");
    let shown = client
        .execute(
            "var el = document.querySelector('li .viewer-time'); \
             return el && !el.hidden ? el.textContent : null;",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        shown
            .as_str()
            .is_some_and(|t| t.starts_with("Your time (UTC)")),
        "{shown}"
    );
    shot(&client, "event-deleted-390").await;

    // The group's settings and member list, on the phone.
    submit(&client, "a[href$='/g/runners/settings']").await;
    fill(&client, "#title", "Riverside Runners").await;
    fill(&client, "#rules", "Nobody is left behind.").await;
    shot(&client, "group-settings-390").await;
    submit(&client, "form[action$='/settings'] button[type=submit]").await;
    assert!(page_text(&client).await.contains("Saved."));
    submit(&client, "a[href$='/g/runners/members']").await;
    let text = page_text(&client).await;
    assert!(text.contains("@olga@") && text.contains("owner"), "{text}");
    shot(&client, "group-members-390").await;
    assert_fits(&client, "the member list").await;

    // A member, on the phone: the series' next date, answered "maybe", shows that pressed.
    log_out(&client).await;
    log_in(&client, &a.base, "mia", "mia password").await;
    client.goto(&format!("{}/g/runners", a.base)).await.unwrap();
    submit(&client, "li.event a").await;
    submit(&client, "button[value='maybe']").await;
    let pressed = client
        .find(Locator::Css("button[aria-pressed='true']"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(pressed.ends_with("Maybe"), "{pressed}");
    assert!(
        page_text(&client)
            .await
            .contains("Your answer is recorded.")
    );
    shot(&client, "event-member-390").await;
    assert_fits(&client, "the event page").await;

    client.close().await.unwrap();
    drop(driver);
    tokio::time::sleep(Duration::from_millis(10)).await;
    a.stop().await;
}

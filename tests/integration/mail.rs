//! Email against a real SMTP server: Python's aiosmtpd (`tests/peers/smtp/server.py`, installed
//! from PyPI into a venv under `target/` once), started on a free loopback port and writing each
//! message it receives as a JSON file the test reads. Mail queued while the server is down
//! arrives once it is up; each notification reaches the right person with its subject and
//! link; the one-click unsubscribe and the link work without logging in; address
//! confirmation and password reset work end to end; a day of activity is one digest.
//!
//! Skipped with a message when python3 with venv is missing, unless `KITH_REQUIRE_SMTP` is set
//! (`.ci/run` sets it, so CI fails rather than skips).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;

use kith_federation::actions::By;
use kith_federation::actions::mail::{MailSettings, Security, account, digest};
use kith_federation::actions::{events, joining, membership, posts, reports, rsvp};
use kith_storage::{
    Digest, JoinPolicy, NotificationKind, NotificationSettings, RsvpStatus, RsvpVia,
};
use serde_json::Value;

use crate::instance::{Instance, eventually};
use crate::support::free_port;

fn peer_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/peers/smtp")
}

/// The venv's python with aiosmtpd, made once (one test at a time).
fn install() -> Option<PathBuf> {
    static INSTALL: Mutex<()> = Mutex::new(());
    let _one = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/smtp-venv");
    let python = venv.join("bin/python3");
    let stamp = venv.join("installed.txt");
    let wanted = std::fs::read_to_string(peer_dir().join("requirements.txt")).ok()?;
    if python.exists() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(&wanted) {
        return Some(python);
    }
    let made = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .output()
        .and_then(|out| {
            if !out.status.success() {
                return Ok(out);
            }
            Command::new(&python)
                .args(["-m", "pip", "install", "-q", "-r"])
                .arg(peer_dir().join("requirements.txt"))
                .output()
        });
    match made {
        Ok(out) if out.status.success() => {
            std::fs::write(&stamp, wanted).ok()?;
            Some(python)
        }
        other => {
            let why = match other {
                Ok(out) => String::from_utf8_lossy(&out.stderr).into_owned(),
                Err(e) => e.to_string(),
            };
            assert!(
                std::env::var_os("KITH_REQUIRE_SMTP").is_none(),
                "KITH_REQUIRE_SMTP is set but installing aiosmtpd failed: {why}"
            );
            eprintln!(
                "mail tests skipped: installing aiosmtpd into target/smtp-venv failed: {why}"
            );
            None
        }
    }
}

/// The SMTP server, stopped when dropped.
struct Smtp {
    child: Child,
    dir: tempfile::TempDir,
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Smtp {
    fn start(python: &Path, port: u16) -> Smtp {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(python)
            .arg(peer_dir().join("server.py"))
            .arg(port.to_string())
            .arg(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready", "the SMTP server did not start");
        Smtp { child, dir }
    }

    /// Every message received so far, in order.
    fn received(&self) -> Vec<Value> {
        let mut names: Vec<_> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
            .collect()
    }

    /// Waits for a message to `to` whose subject contains `subject`.
    async fn wait_for(&self, to: &str, subject: &str) -> Value {
        eventually(&format!("mail to {to}: {subject}"), || async {
            self.received().into_iter().find(|m| {
                m["rcpt"][0] == to && m["subject"].as_str().unwrap_or("").contains(subject)
            })
        })
        .await
    }
}

/// The first link in a message's body starting with `prefix`.
fn link(mail: &Value, prefix: &str) -> String {
    let body = mail["body"].as_str().unwrap();
    body.split_whitespace()
        .find(|w| w.starts_with(prefix))
        .unwrap_or_else(|| panic!("no link {prefix} in {body}"))
        .to_owned()
}

fn settings(port: u16) -> MailSettings {
    MailSettings {
        host: "127.0.0.1".into(),
        port,
        security: Security::None,
        username: None,
        password: None,
        from: "Kith <kith@kith.test>".into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_reach_people_by_email_after_the_server_comes_up_and_unsubscribe_works() {
    let Some(python) = install() else { return };
    for test_db in kith_storage::testing::all().await {
        mail_journey(&python, test_db).await;
    }
}

async fn mail_journey(python: &Path, test_db: kith_storage::testing::TestDatabase) {
    let port = free_port();
    let inst = Instance::start_with_mail(test_db, settings(port)).await;
    let ctx = &inst.ctx;
    let ann = inst.person("ann").await;
    let bob = inst.person("bob").await;
    inst.group("runners", "ann", JoinPolicy::Approval).await;

    // The SMTP server is down: the confirmation links wait in the queue, and fail at least once.
    account::request_confirmation(ctx, &ann, "ann@mail.test")
        .await
        .unwrap();
    account::request_confirmation(ctx, &bob, "bob@mail.test")
        .await
        .unwrap();
    eventually("a failed attempt", || async {
        let (queued, failed) = ctx.db.pending_mail().await.unwrap();
        (queued == 2 && failed > 0).then_some(())
    })
    .await;
    let smtp = Smtp::start(python, port);
    let client = reqwest::Client::new();
    for (who, to) in [("ann", "ann@mail.test"), ("bob", "bob@mail.test")] {
        let mail = smtp.wait_for(to, "Confirm your email address").await;
        assert!(mail["headers"].get("List-Unsubscribe").is_none());
        let verify = link(&mail, &format!("{}/mail/verify/", inst.base));
        let page = client.get(&verify).send().await.unwrap();
        assert_eq!(page.status(), 200, "{who}");
        assert!(page.text().await.unwrap().contains(to));
        // Used once.
        assert_eq!(client.get(&verify).send().await.unwrap().status(), 404);
    }

    // A join request reaches the organiser; the approval reaches the member.
    joining::join_group(ctx, &bob, "runners", None)
        .await
        .unwrap();
    let request = smtp.wait_for("ann@mail.test", "bob@").await;
    assert!(
        request["subject"]
            .as_str()
            .unwrap()
            .contains("asks to join")
    );
    assert!(link(&request, &inst.base).ends_with("/moderation"));
    membership::approve_member(ctx, "runners", "bob", By::Account(&ann))
        .await
        .unwrap();
    let approved = smtp.wait_for("bob@mail.test", "You are now a member").await;
    assert!(link(&approved, &inst.base).ends_with("/g/runners"));
    assert_eq!(
        approved["headers"]["List-Unsubscribe-Post"],
        "List-Unsubscribe=One-Click"
    );
    let notes = ctx.db.notifications(&bob.id, 10).await.unwrap();
    assert_eq!(notes[0].kind, NotificationKind::Approved);

    // A reply to bob's post.
    let group = inst.actor("runners").await;
    let post = posts::post_to_group(
        ctx,
        &inst.actor("bob").await,
        &group,
        "Who runs on Sunday?",
        None,
    )
    .await
    .unwrap();
    posts::post_to_group(
        ctx,
        &inst.actor("ann").await,
        &group,
        "I do",
        Some(&post.id),
    )
    .await
    .unwrap();
    let reply = smtp.wait_for("bob@mail.test", "replied to your post").await;
    assert!(link(&reply, &inst.base).starts_with(&post.id));

    // One-click unsubscribe, without a session: nothing more is queued for bob.
    let header = approved["headers"]["List-Unsubscribe"].as_str().unwrap();
    let url = header.trim_start_matches('<').trim_end_matches('>');
    let done = client
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 200);
    assert!(
        !ctx.db
            .notification_settings(&bob.id)
            .await
            .unwrap()
            .email_each
    );
    eventually("the queue empty", || async {
        (ctx.db.pending_mail().await.unwrap().0 == 0).then_some(())
    })
    .await;
    posts::post_to_group(
        ctx,
        &inst.actor("ann").await,
        &group,
        "Me too",
        Some(&post.id),
    )
    .await
    .unwrap();
    assert_eq!(
        ctx.db.pending_mail().await.unwrap().0,
        0,
        "bob unsubscribed"
    );
    assert_eq!(
        ctx.db.notifications(&bob.id, 10).await.unwrap()[0].kind,
        NotificationKind::Reply
    );
    // The link in the body shows a page with the button.
    let body_link = link(&reply, &format!("{}/mail/unsubscribe/", inst.base));
    let page = client.get(&body_link).send().await.unwrap();
    assert_eq!(page.status(), 200);

    // Password reset by email, end to end.
    account::request_reset(ctx, "ANN@mail.test").await.unwrap();
    let reset = smtp.wait_for("ann@mail.test", "Reset your password").await;
    let reset_link = link(&reset, &format!("{}/password/reset/", inst.base));
    assert_eq!(client.get(&reset_link).send().await.unwrap().status(), 200);
    let token = reset_link.rsplit('/').next().unwrap();
    account::reset_password(ctx, token, "a brand new password")
        .await
        .unwrap();
    let ann_now = ctx.db.account_by_username("ann").await.unwrap();
    assert!(kith_federation::actions::accounts::verify_password(
        "a brand new password",
        &ann_now.password_hash
    ));
    assert!(
        account::reset_password(ctx, token, "another new password")
            .await
            .is_err()
    );
    inst.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_day_of_activity_is_one_digest() {
    let Some(python) = install() else { return };
    for test_db in kith_storage::testing::all().await {
        one_digest(&python, test_db).await;
    }
}

async fn one_digest(python: &Path, test_db: kith_storage::testing::TestDatabase) {
    let port = free_port();
    let smtp = Smtp::start(python, port);
    let inst = Instance::start_with_mail(test_db, settings(port)).await;
    let ctx = &inst.ctx;
    inst.person("ann").await;
    let bob = inst.person("bob").await;
    let group = inst.group("runners", "ann", JoinPolicy::Open).await;
    joining::join_group(ctx, &bob, "runners", None)
        .await
        .unwrap();
    ctx.db
        .confirm_email(&bob.id, "bob@mail.test")
        .await
        .unwrap();
    let quiet = NotificationSettings {
        email_each: false,
        rsvp_alerts: false,
        digest: Digest::Daily,
    };
    ctx.db
        .set_notification_settings(&bob.id, quiet)
        .await
        .unwrap();
    let busy = posts::post_to_group(
        ctx,
        &inst.actor("ann").await,
        &group,
        "Route for Sunday",
        None,
    )
    .await
    .unwrap();
    for text in ["Looks good", "Can we start later?", "Fine by me"] {
        posts::post_to_group(ctx, &inst.actor("ann").await, &group, text, Some(&busy.id))
            .await
            .unwrap();
    }
    posts::post_to_group(ctx, &inst.actor("ann").await, &group, "A quiet one", None)
        .await
        .unwrap();
    assert_eq!(
        ctx.db.pending_mail().await.unwrap().0,
        0,
        "no mail per post"
    );

    let tomorrow = kith_storage::now_millis() + 24 * 3600 * 1000 + 1;
    assert_eq!(digest::send_digests(ctx, tomorrow).await.unwrap(), 1);
    assert_eq!(
        digest::send_digests(ctx, tomorrow).await.unwrap(),
        0,
        "once a day"
    );
    let mail = smtp.wait_for("bob@mail.test", "Your daily digest").await;
    let body = mail["body"].as_str().unwrap();
    assert!(
        body.contains("Route for Sunday (runners): 4 new posts"),
        "{body}"
    );
    assert!(body.contains("A quiet one (runners): 1 new post"), "{body}");
    assert!(
        body.find("Route for Sunday") < body.find("A quiet one"),
        "busiest first"
    );
    assert!(mail["headers"].get("List-Unsubscribe").is_some());
    assert_eq!(smtp.received().len(), 1, "one message for the day");
    inst.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_waitlists_reminders_cancellations_and_reports_are_mailed() {
    let Some(python) = install() else { return };
    for test_db in kith_storage::testing::all().await {
        event_journey(&python, test_db).await;
    }
}

async fn event_journey(python: &Path, test_db: kith_storage::testing::TestDatabase) {
    let port = free_port();
    let smtp = Smtp::start(python, port);
    let inst = Instance::start_with_mail(test_db, settings(port)).await;
    let ctx = &inst.ctx;
    let ann = inst.person("ann").await;
    let bob = inst.person("bob").await;
    let cat = inst.person("cat").await;
    let group = inst.group("runners", "ann", JoinPolicy::Open).await;
    for (account, address) in [
        (&ann, "ann@mail.test"),
        (&bob, "bob@mail.test"),
        (&cat, "cat@mail.test"),
    ] {
        joining::join_group(ctx, account, "runners", None)
            .await
            .ok();
        ctx.db.confirm_email(&account.id, address).await.unwrap();
    }
    let alerts = NotificationSettings {
        rsvp_alerts: true,
        ..Default::default()
    };
    ctx.db
        .set_notification_settings(&ann.id, alerts)
        .await
        .unwrap();

    // Starts in two hours, one place, with an online link only those going may see.
    let mut draft = crate::events::draft("Evening run", 0, Some(1));
    let start = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(2);
    draft.start = start.to_string();
    draft.end = (start + jiff::SignedDuration::from_mins(60)).to_string();
    draft.online_url = Some("https://meet.example/secret-room".into());
    let event = events::create_event(ctx, "runners", By::Account(&ann), &draft)
        .await
        .unwrap();
    let bob_actor = inst.actor("bob").await;
    let cat_actor = inst.actor("cat").await;
    rsvp::answer_local(
        ctx,
        &event,
        &bob_actor,
        Some(RsvpStatus::Going),
        None,
        RsvpVia::Join,
    )
    .await
    .unwrap();
    let going = smtp.wait_for("ann@mail.test", "bob@").await;
    assert!(
        going["subject"]
            .as_str()
            .unwrap()
            .contains("is going to Evening run")
    );
    assert!(link(&going, &inst.base).starts_with(&event.object.id));
    rsvp::answer_local(
        ctx,
        &event,
        &cat_actor,
        Some(RsvpStatus::Going),
        None,
        RsvpVia::Join,
    )
    .await
    .unwrap();
    smtp.wait_for("ann@mail.test", "is on the waitlist of")
        .await;

    // Bob withdraws: Cat moves up.
    rsvp::answer_local(ctx, &event, &bob_actor, None, None, RsvpVia::Join)
        .await
        .unwrap();
    let place = smtp.wait_for("cat@mail.test", "A place opened up").await;
    assert!(link(&place, &inst.base).starts_with(&event.object.id));

    // The reminder goes once, to the one going.
    let now = kith_storage::now_millis();
    assert_eq!(digest::send_reminders(ctx, now).await.unwrap(), 1);
    assert_eq!(digest::send_reminders(ctx, now).await.unwrap(), 0);
    smtp.wait_for("cat@mail.test", "Reminder: Evening run")
        .await;

    // Cancelled: Cat hears of it.
    events::cancel_event(ctx, &event.object.id, By::Account(&ann))
        .await
        .unwrap();
    smtp.wait_for("cat@mail.test", "Cancelled: Evening run")
        .await;

    // A report reaches the group's organiser, saying nothing of what it says.
    let post = posts::post_to_group(ctx, &inst.actor("ann").await, &group, "Hello", None)
        .await
        .unwrap();
    let request = reports::ReportRequest {
        post: Some(post.id.clone()),
        person: None,
        comment: "Something private".into(),
    };
    reports::report(ctx, &bob, &request).await.unwrap();
    let report = smtp.wait_for("ann@mail.test", "A report to review").await;
    assert!(link(&report, &inst.base).ends_with("/moderation"));

    // A report of a person, tied to no group, reaches the instance's administrators.
    let dan = kith_federation::actions::accounts::create_account(ctx, "dan", "correct horse", true)
        .await
        .unwrap();
    ctx.db
        .confirm_email(&dan.id, "dan@mail.test")
        .await
        .unwrap();
    let request = reports::ReportRequest {
        post: None,
        person: Some("cat".into()),
        comment: "Something private".into(),
    };
    reports::report(ctx, &bob, &request).await.unwrap();
    let report = smtp.wait_for("dan@mail.test", "A report to review").await;
    assert!(link(&report, &inst.base).ends_with("/moderation"));
    let told = ctx.db.notifications(&dan.id, 10).await.unwrap();
    assert_eq!(told.len(), 1, "one notification for the administrator");

    eventually("every message sent", || async {
        (ctx.db.pending_mail().await.unwrap().0 == 0).then_some(())
    })
    .await;
    for mail in smtp.received() {
        let text = mail.to_string();
        assert!(!text.contains("secret-room"), "an online link in {text}");
        assert!(
            !text.contains("Something private"),
            "a report's text in {text}"
        );
    }
    inst.stop().await;
}

/// A visitor with cookies, through the pages' forms (the CSRF token read from each page).
struct Visitor {
    client: reqwest::Client,
    base: String,
    cookies: std::collections::BTreeMap<String, String>,
}

impl Visitor {
    fn new(base: &str) -> Visitor {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Visitor {
            client,
            base: base.to_owned(),
            cookies: Default::default(),
        }
    }

    fn keep(&mut self, res: &reqwest::Response) {
        for value in res.headers().get_all("set-cookie") {
            let pair = value.to_str().unwrap().split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            self.cookies.insert(name.to_owned(), value.to_owned());
        }
    }

    fn cookie(&self) -> String {
        let pairs: Vec<String> = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        pairs.join("; ")
    }

    /// GETs a page (a path or a whole URL): status, body.
    async fn get(&mut self, path: &str) -> (u16, String) {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        };
        let res = self
            .client
            .get(url)
            .header("cookie", self.cookie())
            .send()
            .await
            .unwrap();
        self.keep(&res);
        (res.status().as_u16(), res.text().await.unwrap())
    }

    /// Posts a form with the CSRF token of the page `from`: status, `Location`, body.
    async fn post(
        &mut self,
        from: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> (u16, String, String) {
        let (_, page) = self.get(from).await;
        let at = page
            .find("name=\"csrf\" value=\"")
            .expect("a form with a CSRF token")
            + 19;
        let csrf = page[at..].split('"').next().unwrap().to_owned();
        let mut form: Vec<(&str, &str)> = vec![("csrf", &csrf)];
        form.extend_from_slice(fields);
        let url = if action.starts_with("http") {
            action.to_owned()
        } else {
            format!("{}{action}", self.base)
        };
        let res = self
            .client
            .post(url)
            .header("cookie", self.cookie())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(encoded(&form))
            .send()
            .await
            .unwrap();
        self.keep(&res);
        let status = res.status().as_u16();
        let location = res
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (status, location, res.text().await.unwrap())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_confirm_an_address_save_settings_and_reset_a_password() {
    let Some(python) = install() else { return };
    let port = free_port();
    let smtp = Smtp::start(&python, port);
    let inst =
        Instance::start_with_mail(kith_storage::testing::sqlite().await, settings(port)).await;
    let bob = inst.person("bob").await;
    let mut web = Visitor::new(&inst.base);
    let (status, location, _) = web
        .post(
            "/login",
            "/login",
            &[
                ("username", "bob"),
                ("password", "correct horse"),
                ("next", "/"),
            ],
        )
        .await;
    assert_eq!((status, location.as_str()), (303, "/"));

    let (_, page) = web.get("/settings/notifications").await;
    assert!(page.contains("no confirmed address"), "{page}");
    let (status, location, _) = web
        .post(
            "/settings/notifications",
            "/settings/email",
            &[("email", "bob@mail.test")],
        )
        .await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/settings/notifications?done=confirm_sent")
    );
    let confirm = smtp.wait_for("bob@mail.test", "Confirm").await;
    let (status, _) = web
        .get(&link(&confirm, &format!("{}/mail/verify/", inst.base)))
        .await;
    assert_eq!(status, 200);
    let (_, page) = web.get("/settings/notifications").await;
    assert!(
        page.contains("Mail goes to <strong>bob@mail.test</strong>"),
        "{page}"
    );

    let (status, _, _) = web
        .post(
            "/settings/notifications",
            "/settings/notifications",
            &[("email_each", "on"), ("digest", "weekly")],
        )
        .await;
    assert_eq!(status, 303);
    let saved = inst.ctx.db.notification_settings(&bob.id).await.unwrap();
    assert_eq!(
        (saved.email_each, saved.rsvp_alerts, saved.digest),
        (true, false, Digest::Weekly)
    );
    let (_, page) = web.get("/notifications").await;
    assert!(page.contains("Nothing yet."), "{page}");

    // Logged out, a forgotten password is reset through the emailed link.
    let mut stranger = Visitor::new(&inst.base);
    let (status, _, answer) = stranger
        .post(
            "/password/forgot",
            "/password/forgot",
            &[("email", "bob@mail.test")],
        )
        .await;
    assert_eq!(status, 200);
    assert!(answer.contains("If an account has this address"));
    let (_, _, same) = stranger
        .post(
            "/password/forgot",
            "/password/forgot",
            &[("email", "nobody@mail.test")],
        )
        .await;
    assert!(
        same.contains("If an account has this address"),
        "the same answer"
    );
    let reset = smtp.wait_for("bob@mail.test", "Reset your password").await;
    let reset_link = link(&reset, &format!("{}/password/reset/", inst.base));
    let (status, location, _) = stranger
        .post(&reset_link, &reset_link, &[("new", "a brand new password")])
        .await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/login?done=password_reset")
    );
    let (status, _) = stranger.get(&reset_link).await;
    assert_eq!(status, 200, "the page says the link is used");
    let mut again = Visitor::new(&inst.base);
    let (status, location, _) = again
        .post(
            "/login",
            "/login",
            &[
                ("username", "bob"),
                ("password", "a brand new password"),
                ("next", "/"),
            ],
        )
        .await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/"),
        "the new password works"
    );
    // The old session ended with the reset.
    let (status, _) = web.get("/notifications").await;
    assert_ne!(status, 200);
    // Asked again and again, at most three reset links go within their hour.
    for _ in 0..3 {
        stranger
            .post(
                "/password/forgot",
                "/password/forgot",
                &[("email", "bob@mail.test")],
            )
            .await;
    }
    eventually("every message sent", || async {
        (inst.ctx.db.pending_mail().await.unwrap().0 == 0).then_some(())
    })
    .await;
    let resets = smtp
        .received()
        .into_iter()
        .filter(|m| m["subject"] == "Reset your password");
    assert_eq!(resets.count(), 3);
    inst.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_smtp_settings_the_pages_say_no_email_is_sent() {
    let inst = Instance::start().await;
    let mut web = Visitor::new(&inst.base);
    let (_, page) = web.get("/password/forgot").await;
    assert!(page.contains("This server does not send email"), "{page}");
    inst.person("ann").await;
    web.post(
        "/login",
        "/login",
        &[
            ("username", "ann"),
            ("password", "correct horse"),
            ("next", "/"),
        ],
    )
    .await;
    let (_, page) = web.get("/settings/notifications").await;
    assert!(page.contains("This server does not send email"), "{page}");
    assert!(!page.contains("/settings/email"), "no address form");
    let (status, _, _) = web
        .post(
            "/settings/notifications",
            "/settings/email",
            &[("email", "ann@mail.test")],
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(inst.ctx.db.pending_mail().await.unwrap().0, 0);

    // Notifications are kept all the same, and counted beside Notifications until seen.
    let badge = "title=\"1 unread\"";
    let (_, page) = web.get("/").await;
    assert!(!page.contains("unread"), "{page}");
    let ctx = &inst.ctx;
    let ann = inst.actor("ann").await;
    let bob = inst.person("bob").await;
    let group = inst.group("runners", "ann", JoinPolicy::Open).await;
    joining::join_group(ctx, &bob, "runners", None)
        .await
        .unwrap();
    let first = posts::post_to_group(ctx, &ann, &group, "Route for Sunday", None)
        .await
        .unwrap();
    let bob = inst.actor("bob").await;
    posts::post_to_group(ctx, &bob, &group, "Looks good", Some(&first.id))
        .await
        .unwrap();
    let (_, page) = web.get("/").await;
    assert!(page.contains(badge), "{page}");
    let (_, page) = web.get("/notifications").await;
    assert!(!page.contains(badge), "seen on this page: {page}");
    let (_, page) = web.get("/").await;
    assert!(!page.contains("unread"), "{page}");
    inst.stop().await;
}

/// A form's fields, `application/x-www-form-urlencoded`.
fn encoded(fields: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
}

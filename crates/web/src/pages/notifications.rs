//! Notifications and email (issue 24): the notifications page, what a person is told and how,
//! their address (confirmed by a link), the password reset by email, and the unsubscribe link
//! that works without logging in (the token in the link is the proof; the one-click `POST` of
//! RFC 8058 comes from mail clients with no session and no CSRF token).

use askama::Template;
use axum::{
    Form, Router,
    extract::{Path, State},
    response::Response,
    routing::{get, post},
};
use kith_federation::actions::mail::account;
use kith_storage::{Digest, NotificationSettings};
use serde::Deserialize;

use super::{Layout, OrPage, PageError, render, see_other};
use crate::AppState;
use crate::auth::Viewer;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/notifications", get(notifications_page))
        .route(
            "/settings/notifications",
            get(settings_page).post(save_settings),
        )
        .route("/settings/email", post(change_email))
        .route("/mail/verify/{token}", get(verify))
        .route(
            "/mail/unsubscribe/{token}",
            get(unsubscribe_page).post(unsubscribe),
        )
        .route("/password/forgot", get(forgot_page).post(forgot))
        .route("/password/reset/{token}", get(reset_page).post(reset))
}

/// A notification as the page lists it.
struct Item {
    summary: String,
    link: String,
    when: String,
    unread: bool,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    layout: Layout,
    items: Vec<Item>,
}

async fn notifications_page(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, PageError> {
    let account = viewer.require().or_page(&state, &viewer)?;
    let db = &state.ctx.db;
    let rows = db
        .notifications(&account.id, 100)
        .await
        .or_page(&state, &viewer)?;
    db.mark_notifications_read(&account.id)
        .await
        .or_page(&state, &viewer)?;
    let items = rows
        .into_iter()
        .map(|n| Item {
            summary: n.summary,
            link: n.link,
            when: kith_federation::actions::mail::compose::when(n.created_at),
            unread: n.read_at.is_none(),
        })
        .collect();
    // Seen now: the count beside Notifications is gone from this page on.
    let mut layout = Layout::new(&state, &viewer, "Notifications");
    layout.unread = 0;
    let page = NotificationsPage { layout, items };
    render(&viewer, &page).or_page(&state, &viewer)
}

#[derive(Template)]
#[template(path = "notification_settings.html")]
struct SettingsPage {
    layout: Layout,
    mail_on: bool,
    email: Option<String>,
    email_each: bool,
    rsvp_alerts: bool,
    digest: &'static str,
}

async fn settings_page(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::extract::Query(q): axum::extract::Query<Done>,
) -> Result<Response, PageError> {
    let account = viewer.require().or_page(&state, &viewer)?;
    let db = &state.ctx.db;
    let settings = db
        .notification_settings(&account.id)
        .await
        .or_page(&state, &viewer)?;
    let email = db
        .confirmed_email(&account.id)
        .await
        .or_page(&state, &viewer)?;
    let page = SettingsPage {
        layout: Layout::new(&state, &viewer, "Notifications and email")
            .with_notice(q.done.as_deref()),
        mail_on: state.ctx.mail_on(),
        email,
        email_each: settings.email_each,
        rsvp_alerts: settings.rsvp_alerts,
        digest: settings.digest.as_str(),
    };
    render(&viewer, &page).or_page(&state, &viewer)
}

#[derive(Deserialize)]
struct Done {
    done: Option<String>,
}

#[derive(Deserialize)]
struct SettingsForm {
    csrf: String,
    email_each: Option<String>,
    rsvp_alerts: Option<String>,
    digest: Option<String>,
}

async fn save_settings(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<SettingsForm>,
) -> Result<Response, PageError> {
    let account = viewer.signed_in(&form.csrf).or_page(&state, &viewer)?;
    let digest = match form.digest.as_deref() {
        None => Digest::Off,
        Some(text) => Digest::parse(text)
            .ok_or_else(|| crate::ApiError::BadRequest(format!("no digest {text:?}")))
            .or_page(&state, &viewer)?,
    };
    let settings = NotificationSettings {
        email_each: form.email_each.is_some(),
        rsvp_alerts: form.rsvp_alerts.is_some(),
        digest,
    };
    state
        .ctx
        .db
        .set_notification_settings(&account.id, settings)
        .await
        .or_page(&state, &viewer)?;
    Ok(see_other("/settings/notifications?done=saved"))
}

#[derive(Deserialize)]
struct EmailForm {
    csrf: String,
    email: String,
}

async fn change_email(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<EmailForm>,
) -> Result<Response, PageError> {
    let account = viewer.signed_in(&form.csrf).or_page(&state, &viewer)?;
    account::request_confirmation(&state.ctx, account, &form.email)
        .await
        .or_page(&state, &viewer)?;
    Ok(see_other("/settings/notifications?done=confirm_sent"))
}

#[derive(Template)]
#[template(path = "mail_message.html")]
struct MessagePage {
    layout: Layout,
    message: String,
    action: Option<String>,
    button: &'static str,
}

fn message(state: &AppState, viewer: &Viewer, title: &str, text: String) -> MessagePage {
    MessagePage {
        layout: Layout::new(state, viewer, title),
        message: text,
        action: None,
        button: "",
    }
}

async fn verify(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let address = account::confirm(&state.ctx, &token)
        .await
        .or_page(&state, &viewer)?;
    let page = message(
        &state,
        &viewer,
        "Address confirmed",
        format!("Your email address is now {address}."),
    );
    render(&viewer, &page).or_page(&state, &viewer)
}

async fn unsubscribe_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let open = account::unsubscribe_link_open(&state.ctx, &token)
        .await
        .or_page(&state, &viewer)?;
    let mut page = message(
        &state,
        &viewer,
        "Unsubscribe",
        if open {
            "Stop every notification email and digest from this server?".into()
        } else {
            "This link has expired. Log in to change what you are sent.".into()
        },
    );
    if open {
        page.action = Some(format!("/mail/unsubscribe/{token}"));
        page.button = "Unsubscribe";
    }
    render(&viewer, &page).or_page(&state, &viewer)
}

/// The one-click unsubscribe (RFC 8058: a `POST` of `List-Unsubscribe=One-Click`, from a mail
/// client) and the page's button alike.
async fn unsubscribe(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    account::unsubscribe(&state.ctx, &token)
        .await
        .or_page(&state, &viewer)?;
    let page = message(
        &state,
        &viewer,
        "Unsubscribed",
        "You will get no more notification emails or digests. Your notifications stay on \
         your notifications page."
            .into(),
    );
    render(&viewer, &page).or_page(&state, &viewer)
}

#[derive(Template)]
#[template(path = "password_forgot.html")]
struct ForgotPage {
    layout: Layout,
    mail_on: bool,
}

async fn forgot_page(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    let page = ForgotPage {
        layout: Layout::new(&state, &viewer, "Forgot your password?"),
        mail_on: state.ctx.mail_on(),
    };
    render(&viewer, &page).or_page(&state, &viewer)
}

async fn forgot(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<EmailForm>,
) -> Result<Response, PageError> {
    viewer.check_csrf(&form.csrf).or_page(&state, &viewer)?;
    account::request_reset(&state.ctx, &form.email)
        .await
        .or_page(&state, &viewer)?;
    // The same answer whether or not an account has the address.
    let page = message(
        &state,
        &viewer,
        "Check your email",
        "If an account has this address, a link to choose a new password is on its way. \
         It works for an hour."
            .into(),
    );
    render(&viewer, &page).or_page(&state, &viewer)
}

#[derive(Template)]
#[template(path = "password_reset.html")]
struct ResetPage {
    layout: Layout,
    token: String,
}

async fn reset_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    if !account::reset_link_open(&state.ctx, &token)
        .await
        .or_page(&state, &viewer)?
    {
        let page = message(
            &state,
            &viewer,
            "Link expired",
            "This link is used or expired. Ask for a new one.".into(),
        );
        return render(&viewer, &page).or_page(&state, &viewer);
    }
    let page = ResetPage {
        layout: Layout::new(&state, &viewer, "Choose a new password"),
        token,
    };
    render(&viewer, &page).or_page(&state, &viewer)
}

#[derive(Deserialize)]
struct ResetForm {
    csrf: String,
    new: String,
}

async fn reset(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
    Form(form): Form<ResetForm>,
) -> Result<Response, PageError> {
    viewer.check_csrf(&form.csrf).or_page(&state, &viewer)?;
    account::reset_password(&state.ctx, &token, &form.new)
        .await
        .or_page(&state, &viewer)?;
    Ok(see_other("/login?done=password_reset"))
}

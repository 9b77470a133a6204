//! Logging in and out, registering, and account settings (password, private calendar link).

use askama::Template;
use axum::{
    Form, Router,
    extract::{Query, State},
    http::{HeaderValue, header},
    response::Response,
    routing::{get, post},
};
use kith_federation::actions::registration::{self, Registration, RegistrationMode};
use kith_federation::actions::{sessions, tokens};
use serde::Deserialize;

use super::{CsrfForm, Layout, OrPage, PageError, render, see_other};
use crate::auth::{SESSION_COOKIE, Viewer, cookie};
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/register", get(register_page).post(register))
        .route("/settings", get(settings_page))
        .route("/settings/password", post(change_password))
        .route("/settings/calendar", post(calendar_link))
}

/// Adds a `Set-Cookie` to a response.
pub fn with_cookie(
    mut response: Response,
    c: &axum_extra::extract::cookie::Cookie<'_>,
) -> Response {
    if let Ok(value) = HeaderValue::from_str(&c.to_string()) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// The session cookie for a new session.
pub fn session_cookie(
    state: &AppState,
    new: &sessions::NewSession,
) -> axum_extra::extract::cookie::Cookie<'static> {
    cookie(
        state,
        SESSION_COOKIE,
        new.secret.clone(),
        Some(sessions::SESSION_DAYS * 86_400),
    )
}

/// Where to go after login: `next` only when it stays on this site once read the way a
/// browser reads it — the WHATWG URL parser of the `url` crate resolves it against the site's
/// own base (dropping tabs and newlines, reading a backslash as a slash, resolving `.` and `..`),
/// and the origin must not change. The normalised path and query are sent back (never `next` as
/// it came), and a path that a browser would read as another host (`//host`) is refused too.
/// Anything else goes to the front page: no open redirect.
fn local_path(base: &url::Url, next: &str) -> String {
    let Ok(url) = base.join(next) else {
        return "/".into();
    };
    if url.origin() != base.origin() || url.path().starts_with("//") {
        return "/".into();
    }
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    }
}

#[derive(Deserialize, Default)]
struct NextQuery {
    #[serde(default)]
    next: String,
    #[serde(default)]
    invite: String,
    done: Option<String>,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    next: String,
    username: String,
}

async fn login_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<NextQuery>,
) -> Result<Response, PageError> {
    let page = LoginPage {
        layout: Layout::new(&state, &viewer, "Log in").with_notice(q.done.as_deref()),
        next: q.next,
        username: String::new(),
    };
    render(&viewer, &page).or_page(&state, &viewer)
}

#[derive(Deserialize)]
struct LoginForm {
    csrf: String,
    username: String,
    password: String,
    #[serde(default)]
    next: String,
}

async fn login(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<LoginForm>,
) -> Result<Response, PageError> {
    viewer.check_csrf(&form.csrf).or_page(&state, &viewer)?;
    let new = sessions::login(&state.ctx, &form.username, &form.password, &viewer.client)
        .await
        .or_page(&state, &viewer)?;
    let response = see_other(&local_path(state.ctx.urls().base(), &form.next));
    Ok(with_cookie(response, &session_cookie(&state, &new)))
}

async fn logout(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    viewer.check_csrf(&form.csrf).or_page(&state, &viewer)?;
    if let Some(secret) = &viewer.secret {
        sessions::logout(&state.ctx, secret)
            .await
            .or_page(&state, &viewer)?;
    }
    let gone = cookie(&state, SESSION_COOKIE, String::new(), Some(0));
    Ok(with_cookie(see_other("/"), &gone))
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    layout: Layout,
    mode: &'static str,
    domain: String,
    username: String,
    invite: String,
}

async fn register_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<NextQuery>,
) -> Result<Response, PageError> {
    let settings = registration::instance_settings(&state.ctx)
        .await
        .or_page(&state, &viewer)?;
    let page = RegisterPage {
        layout: Layout::new(&state, &viewer, "Register"),
        mode: settings.registration.as_str(),
        domain: state.ctx.urls().domain().to_owned(),
        username: String::new(),
        invite: q.invite,
    };
    render(&viewer, &page).or_page(&state, &viewer)
}

#[derive(Deserialize)]
struct RegisterForm {
    csrf: String,
    username: String,
    password: String,
    invite: Option<String>,
    application: Option<String>,
}

async fn register(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<RegisterForm>,
) -> Result<Response, PageError> {
    viewer.check_csrf(&form.csrf).or_page(&state, &viewer)?;
    let ctx = &state.ctx;
    let account = registration::register(
        ctx,
        &Registration {
            username: form.username,
            password: form.password,
            invite: form.invite,
            application: form.application,
        },
    )
    .await
    .or_page(&state, &viewer)?;
    if !account.approved {
        return Ok(see_other("/login?done=applied"));
    }
    let new = sessions::open_session(ctx, account)
        .await
        .or_page(&state, &viewer)?;
    let to = format!("/u/{}?done=registered", new.account.username);
    Ok(with_cookie(see_other(&to), &session_cookie(&state, &new)))
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    layout: Layout,
    calendar_link: Option<String>,
}

async fn settings_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<NextQuery>,
) -> Result<Response, PageError> {
    viewer.require().or_page(&state, &viewer)?;
    let page = SettingsPage {
        layout: Layout::new(&state, &viewer, "Settings").with_notice(q.done.as_deref()),
        calendar_link: None,
    };
    render(&viewer, &page).or_page(&state, &viewer)
}

#[derive(Deserialize)]
struct PasswordForm {
    csrf: String,
    current: String,
    new: String,
}

async fn change_password(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<PasswordForm>,
) -> Result<Response, PageError> {
    let account = viewer.signed_in(&form.csrf).or_page(&state, &viewer)?;
    sessions::change_password(
        &state.ctx,
        account,
        &form.current,
        &form.new,
        viewer.secret.as_deref(),
    )
    .await
    .or_page(&state, &viewer)?;
    Ok(see_other("/settings?done=password"))
}

async fn calendar_link(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    let account = viewer.signed_in(&form.csrf).or_page(&state, &viewer)?;
    let link = tokens::create_calendar_link(&state.ctx, account)
        .await
        .map_err(ApiError::from)
        .or_page(&state, &viewer)?;
    // Shown once, on this response, rather than carried through a redirect.
    let page = SettingsPage {
        layout: Layout::new(&state, &viewer, "Settings"),
        calendar_link: Some(link),
    };
    render(&viewer, &page).or_page(&state, &viewer)
}

/// What the registration select offers administrators.
pub const MODES: [(&str, &str); 4] = [
    ("open", "Open: anyone may register"),
    (
        "approval",
        "Approval: an administrator approves each application",
    ),
    ("invite", "Invite codes only"),
    ("closed", "Closed"),
];

/// Reads a mode from a form.
pub fn parse_mode(value: &str) -> Result<RegistrationMode, ApiError> {
    RegistrationMode::parse(value)
        .ok_or_else(|| ApiError::BadRequest(format!("{value:?} is not a registration mode")))
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn next_stays_on_the_site_as_a_browser_reads_it() {
        let base = url::Url::parse("https://kith.example/").unwrap();
        for (next, to) in [
            ("/g/runners", "/g/runners"),
            ("/g/x?y=1", "/g/x?y=1"),
            (
                "/authorize_interaction?uri=https%3A%2F%2Fa.example%2Fg%2Fx",
                "/authorize_interaction?uri=https%3A%2F%2Fa.example%2Fg%2Fx",
            ),
            ("https://kith.example/settings", "/settings"),
            ("/a/../b", "/b"),
            ("/%2F%2Fevil", "/%2F%2Fevil"),
            ("", "/"),
            // Browsers drop tabs and newlines, and read a backslash as a slash.
            ("/\t/evil.example/phish", "/"),
            ("/\n/evil.example", "/"),
            ("/\\evil.example", "/"),
            ("\\\\evil.example", "/"),
            ("//evil.example", "/"),
            (" //evil.example", "/"),
            ("https://evil.example/", "/"),
            ("http://kith.example/", "/"),
            ("https://kith.example:8443/", "/"),
            ("javascript:alert(1)", "/"),
            ("/.//evil.example", "/"),
            ("/x/..//evil.example", "/"),
        ] {
            assert_eq!(local_path(&base, next), to, "{next:?}");
        }
    }
}

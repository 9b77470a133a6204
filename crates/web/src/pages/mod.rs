//! The web interface: pages rendered on the server from askama templates (`templates/`), with
//! plain HTML forms (each carrying a CSRF token) and one small optional script. Pages live at
//! the ids of what they show (`/g/NAME`, `/u/NAME`, `/o/KEY`), where content negotiation sends
//! servers the JSON instead.

mod admin;
mod auth;
/// Cookie and form helpers the JSON API shares with the pages.
pub mod auth_cookies {
    pub use super::auth::{parse_mode, session_cookie, with_cookie};
}
mod event_forms;
mod event_messages;
mod events;
mod group_admin;
mod group_pictures;
pub mod groups;
mod home;
mod invitations;
pub mod linkify;
mod moderation;
mod notifications;
mod people;
mod picture_uploads;
mod post_actions;
mod safety;
pub mod views;

use askama::Template;
use axum::{
    Router,
    http::{HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Redirect, Response},
    routing::get,
};

use crate::auth::Viewer;
use crate::{ApiError, AppState};

pub use events::event_page;
pub use groups::group_page;
pub use moderation::layout_with_waiting;
pub use people::{person_page, thread_page};

/// Every page route that is not also an ActivityPub id (those are routed in `activitypub`).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/static/kith.css", get(stylesheet))
        .route("/static/kith.js", get(script))
        .merge(home::router())
        .merge(auth::router())
        .merge(groups::router())
        .merge(events::router())
        .merge(event_forms::router())
        .merge(group_admin::router())
        .merge(invitations::router())
        .merge(picture_uploads::router())
        .merge(post_actions::router())
        .merge(moderation::router())
        .merge(admin::router())
        .merge(safety::router())
        .merge(notifications::router())
}

async fn stylesheet() -> Response {
    static_file(
        "text/css; charset=utf-8",
        include_str!("../../static/kith.css"),
    )
}

async fn script() -> Response {
    static_file(
        "text/javascript; charset=utf-8",
        include_str!("../../static/kith.js"),
    )
}

fn static_file(media_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(media_type)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("max-age=3600"),
            ),
        ],
        body,
    )
        .into_response()
}

/// A form that carries only its CSRF token (join, leave, log out).
#[derive(serde::Deserialize)]
pub struct CsrfForm {
    /// The page's CSRF token.
    pub csrf: String,
}

/// A form that asks a visitor for their handle elsewhere (remote join, remote answer).
#[derive(serde::Deserialize)]
pub struct HandleForm {
    /// The page's CSRF token.
    pub csrf: String,
    /// `name@their.server`.
    pub handle: String,
}

/// A `<link rel="alternate">` of a page.
#[derive(Clone, Debug)]
pub struct Alternate {
    /// Its media type.
    pub media_type: &'static str,
    /// A title for feed readers.
    pub title: String,
    /// Where it is.
    pub href: String,
}

/// What the layout around every page shows.
#[derive(Clone, Debug)]
pub struct Layout {
    /// The page's title.
    pub title: String,
    /// The instance's name.
    pub instance: String,
    /// The logged-in person's name.
    pub user: Option<String>,
    /// Whether they administer the instance.
    pub is_admin: bool,
    /// The CSRF token forms carry.
    pub csrf: String,
    /// The ActivityPub document of the page, when it has one.
    pub json_href: Option<String>,
    /// Feeds of the page.
    pub alternates: Vec<Alternate>,
    /// A message after an action ("You joined.").
    pub notice: Option<String>,
    /// Asks search engines not to index the page (a members-only or hidden group's pages).
    pub noindex: bool,
    /// How many things wait for the viewer as a moderator (shown beside Moderation).
    pub waiting: i64,
    /// The viewer's unread notifications (shown beside Notifications).
    pub unread: i64,
}

impl Layout {
    /// The layout for `viewer` with a title.
    pub fn new(state: &AppState, viewer: &Viewer, title: impl Into<String>) -> Self {
        Layout {
            title: title.into(),
            instance: state.web.instance_name.clone(),
            user: viewer.account().map(|a| a.username.clone()),
            is_admin: viewer.account().is_some_and(|a| a.is_admin),
            csrf: viewer.csrf.clone(),
            json_href: None,
            alternates: Vec::new(),
            notice: None,
            noindex: false,
            waiting: 0,
            unread: viewer.unread,
        }
    }

    /// Shows the message a redirect after an action named (`?done=…`).
    pub fn with_notice(mut self, done: Option<&str>) -> Self {
        self.notice = done.and_then(notice_text).map(str::to_owned);
        self
    }
}

/// The messages an action's redirect may ask for; only these are shown (no text from the URL
/// reaches the page).
fn notice_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "joined" => "Welcome! You are a member now.",
        "requested" => "Your request to join was sent to the organisers.",
        "left" => "You left the group.",
        "posted" => "Posted.",
        "held" => "Your post is held for the organisers: it appears once one of them approves it.",
        "answered" => "Your answer is recorded.",
        "created" => "Created.",
        "updated" => "The event is updated; members and people who answered are told.",
        "cancelled" => "The event is cancelled; members and people who answered are told.",
        "deleted" => "The event is deleted.",
        "member-removed" => "The member is removed; their server is told.",
        "banned" => "The person is banned from the group.",
        "post-deleted" => "Your post is deleted; the group's members' servers are told.",
        "registered" => "Welcome! Your account is ready.",
        "applied" => {
            "Thank you. An administrator will read your application; log in once it is approved."
        }
        "password" => "Your password is changed; other sessions were logged out.",
        "following" => {
            "Follow request sent; the group's posts and events will reach you once it accepts."
        }
        "saved" => "Saved.",
        "decided" => "Done.",
        "reported" => "Thank you. The moderators will look at your report.",
        "removed" => "The post is removed; the group's members' servers are told.",
        "confirm_sent" => "A confirmation link is on its way to that address.",
        "password_reset" => "Your password is changed. Log in with it.",
        _ => return None,
    })
}

/// Renders a template as a page, setting the visitor's CSRF cookie when it is new and the page
/// has a form that sends it. A page without one (a thread as an anonymous visitor sees it) then
/// sets no cookie, so it is the same for every such visitor and the document cache may hold it.
pub fn render(viewer: &Viewer, page: &impl Template) -> Result<Response, ApiError> {
    let html = page
        .render()
        .map_err(|e| ApiError::Internal(format!("template: {e}")))?;
    let needs_csrf = html.contains(viewer.csrf.as_str());
    let mut response = (
        [(header::VARY, HeaderValue::from_static("Accept, Cookie"))],
        Html(html),
    )
        .into_response();
    if needs_csrf {
        set_csrf_cookie(viewer, &mut response);
    }
    Ok(response)
}

/// [`render`] for the pages that offer visitors not logged in a form to answer or join from
/// their own server, which answers with a redirect there: the page's `form-action` allows it.
pub fn render_with_remote_form(
    state: &AppState,
    viewer: &Viewer,
    page: &impl Template,
) -> Result<Response, ApiError> {
    let mut response = render(viewer, page)?;
    if viewer.account().is_none() {
        crate::security_headers::allow_forms_to_other_servers(
            &mut response,
            state.ctx.settings().dev,
        );
    }
    Ok(response)
}

/// Adds the visitor's new CSRF cookie to a response, if they had none.
pub fn set_csrf_cookie(viewer: &Viewer, response: &mut Response) {
    if let Some(cookie) = &viewer.new_csrf_cookie
        && let Ok(value) = HeaderValue::from_str(&cookie.to_string())
    {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

/// A redirect after a form (303, so the browser GETs the page).
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// An error page: a page's failures are shown as HTML with the same status the API would give.
pub struct PageError {
    error: ApiError,
    layout: Box<Layout>,
    /// What to say in place of the error's own message.
    message: Option<String>,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    layout: &'a Layout,
    heading: &'a str,
    message: String,
}

impl PageError {
    /// Wraps an error to show it in the layout of `viewer`.
    pub fn new(state: &AppState, viewer: &Viewer, error: impl Into<ApiError>) -> Self {
        PageError {
            error: error.into(),
            layout: Box::new(Layout::new(state, viewer, "Something is wrong")),
            message: None,
        }
    }

    /// The same page saying `message` instead of the error's own (a bare "not found" that
    /// can tell the visitor more).
    pub fn saying(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = self.error.status();
        let heading = match status {
            StatusCode::NOT_FOUND => "Not found",
            StatusCode::UNAUTHORIZED => "Please log in",
            StatusCode::FORBIDDEN => "Not allowed",
            StatusCode::TOO_MANY_REQUESTS => "Slow down",
            s if s.is_client_error() => "That did not work",
            _ => "Something went wrong",
        };
        let message = match &self.message {
            Some(message) => message.clone(),
            None => self.error.public_message(),
        };
        if let ApiError::Internal(cause) = &self.error {
            tracing::error!(%cause, "page failed");
        }
        let page = ErrorPage {
            layout: &self.layout,
            heading,
            message,
        };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => self.error.into_response(),
        }
    }
}

/// Runs a page handler's body, turning its error into an error page.
pub(crate) trait OrPage<T> {
    /// The value, or an error page in the viewer's layout.
    fn or_page(self, state: &AppState, viewer: &Viewer) -> Result<T, PageError>;
}

impl<T, E: Into<ApiError>> OrPage<T> for Result<T, E> {
    fn or_page(self, state: &AppState, viewer: &Viewer) -> Result<T, PageError> {
        self.map_err(|e| PageError::new(state, viewer, e))
    }
}

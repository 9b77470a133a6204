//! Who is asking: the session cookie (pages, and the API from a browser) or a bearer token
//! (the API from scripts), and the CSRF checks that go with cookies.
//!
//! Session cookies are `HttpOnly`, `SameSite=Lax` (a link from another site still arrives
//! signed in, which the remote-follow page needs; a form posted from another site does not
//! carry the cookie) and `Secure` unless the instance runs in development mode. Every form
//! carries a CSRF token as well: the session's, or before login a random one kept in a cookie
//! of its own (double submit), so login and registration forms are covered too.

use axum::{
    extract::FromRequestParts,
    http::{HeaderMap, Method, header, request::Parts},
};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use kith_federation::actions::{sessions, tokens};
use kith_storage::{Account, Session};

use crate::{ApiError, AppState};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "kith_session";
/// The cookie that carries the CSRF token of visitors not logged in.
pub const CSRF_COOKIE: &str = "kith_csrf";
/// The header cookie-authenticated API calls send the CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The person looking at a page: their session when logged in, and the CSRF token their
/// forms must carry either way.
#[derive(Clone, Debug)]
pub struct Viewer {
    /// The live session, when logged in.
    pub session: Option<Session>,
    /// The session cookie's secret, when logged in (to log out or keep it on password change).
    pub secret: Option<String>,
    /// The token forms carry.
    pub csrf: String,
    /// A new CSRF cookie to set with the response, when the visitor had none.
    pub new_csrf_cookie: Option<Cookie<'static>>,
    /// The client's address, for throttling logins (see `client_addr`).
    pub client: String,
    /// How many of the logged-in person's notifications are unread (0 for a visitor): one
    /// count per signed-in request, shown beside Notifications.
    pub unread: i64,
}

impl Viewer {
    /// The account, when logged in.
    pub fn account(&self) -> Option<&Account> {
        self.session.as_ref().map(|s| &s.account)
    }

    /// The account, or [`ApiError::Unauthorized`].
    pub fn require(&self) -> Result<&Account, ApiError> {
        self.account()
            .ok_or_else(|| ApiError::Unauthorized("log in first".into()))
    }

    /// The account behind a form that needs one: the form's CSRF token checked, then the
    /// session.
    pub fn signed_in(&self, csrf: &str) -> Result<&Account, ApiError> {
        self.check_csrf(csrf)?;
        self.require()
    }

    /// Checks a form's CSRF token.
    pub fn check_csrf(&self, sent: &str) -> Result<(), ApiError> {
        if !sent.is_empty() && constant_time_eq(sent.as_bytes(), self.csrf.as_bytes()) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(
                "the form expired or came from another site; reload the page and try again".into(),
            ))
        }
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let jar = CookieJar::from_headers(&parts.headers);
        let client = crate::client_addr::client_address(parts, &state.web.trusted_proxies);
        let secret = jar.get(SESSION_COOKIE).map(|c| c.value().to_owned());
        let session = match &secret {
            Some(secret) => sessions::session(&state.ctx, secret).await?,
            None => None,
        };
        if let Some(session) = session {
            let unread = state
                .ctx
                .db
                .unread_notifications(&session.account.id)
                .await?;
            return Ok(Viewer {
                unread,
                csrf: session.csrf_token.clone(),
                session: Some(session),
                secret,
                new_csrf_cookie: None,
                client,
            });
        }
        let (csrf, new_csrf_cookie) = match jar.get(CSRF_COOKIE) {
            Some(c) if c.value().len() >= 16 => (c.value().to_owned(), None),
            _ => {
                let token = tokens::secret_of(24)?;
                let cookie = cookie(state, CSRF_COOKIE, token.clone(), None);
                (token, Some(cookie))
            }
        };
        Ok(Viewer {
            session: None,
            secret: None,
            csrf,
            new_csrf_cookie,
            client,
            unread: 0,
        })
    }
}

/// A cookie with Kith's flags; `max_age` in seconds (`None`: until the browser closes).
pub fn cookie(
    state: &AppState,
    name: &str,
    value: String,
    max_age: Option<i64>,
) -> Cookie<'static> {
    let mut c = Cookie::build((name.to_owned(), value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(!state.ctx.settings().dev);
    if let Some(secs) = max_age {
        c = c.max_age(time::Duration::seconds(secs));
    }
    c.build()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The account behind an API request: `Authorization: Bearer …`, or the session cookie — then
/// anything but GET must also send the session's CSRF token in `X-CSRF-Token`.
pub struct Authed(pub Account);

impl FromRequestParts<AppState> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(Authed(authenticate(parts, state).await?.account))
    }
}

/// [`Authed`] when the request names an account, else anonymous: for reads whose answer depends
/// on who asks (an event's online link). A bearer token or session that does not check out is
/// refused, not taken as anonymous.
pub struct MaybeAuthed(pub Option<Account>);

impl FromRequestParts<AppState> for MaybeAuthed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let jar = CookieJar::from_headers(&parts.headers);
        if bearer(&parts.headers).is_none() && jar.get(SESSION_COOKIE).is_none() {
            return Ok(MaybeAuthed(None));
        }
        Ok(MaybeAuthed(Some(authenticate(parts, state).await?.account)))
    }
}

/// [`Authed`] with the session cookie's secret, for the calls that end or keep the session
/// (logout, password change); `secret` is `None` for bearer tokens.
pub struct AuthedSession {
    /// The account.
    pub account: Account,
    /// The session cookie's secret.
    pub secret: Option<String>,
}

impl FromRequestParts<AppState> for AuthedSession {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        authenticate(parts, state).await
    }
}

/// The bearer token's account, or the session's after its CSRF header is checked.
async fn authenticate(parts: &Parts, state: &AppState) -> Result<AuthedSession, ApiError> {
    if let Some(token) = bearer(&parts.headers) {
        return Ok(AuthedSession {
            account: tokens::account_for_token(&state.ctx, token).await?,
            secret: None,
        });
    }
    let jar = CookieJar::from_headers(&parts.headers);
    let Some(secret) = jar.get(SESSION_COOKIE) else {
        return Err(ApiError::Unauthorized(
            "a bearer token or a session is required".into(),
        ));
    };
    let session = sessions::session(&state.ctx, secret.value())
        .await?
        .ok_or_else(|| ApiError::Unauthorized("the session has ended; log in again".into()))?;
    if parts.method != Method::GET && parts.method != Method::HEAD {
        let sent = parts
            .headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !constant_time_eq(sent.as_bytes(), session.csrf_token.as_bytes()) {
            return Err(ApiError::Forbidden(
                "send the session's CSRF token in X-CSRF-Token".into(),
            ));
        }
    }
    Ok(AuthedSession {
        account: session.account,
        secret: Some(secret.value().to_owned()),
    })
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
}

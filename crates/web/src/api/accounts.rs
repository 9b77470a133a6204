//! The JSON API for accounts: registering, logging in and out (a session cookie for browser
//! scripts; scripts elsewhere use bearer tokens), the signed-in account, password changes, and
//! administration (registration mode, about text, applications, invite codes).

use axum::{
    Json, Router,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use kith_federation::actions::registration::{self, InstanceSettings, Registration};
use kith_federation::actions::sessions;
use kith_storage::{Account, now_millis};
use serde::{Deserialize, Serialize};

use crate::auth::{Authed, AuthedSession, SESSION_COOKIE, Viewer, cookie};
use crate::pages::auth_cookies::{session_cookie, with_cookie};
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/accounts", post(register))
        .route("/api/v1/sessions", post(login).delete(logout))
        .route("/api/v1/me", get(me))
        .route("/api/v1/me/password", post(change_password))
        .route(
            "/api/v1/admin/settings",
            get(get_settings).put(put_settings),
        )
        .route("/api/v1/admin/applications", get(applications))
        .route("/api/v1/admin/applications/approve", post(approve))
        .route("/api/v1/admin/applications/reject", post(reject))
        .route("/api/v1/admin/invites", get(invites).post(create_invite))
}

/// An account as the API shows it.
#[derive(Serialize)]
pub struct AccountView {
    username: String,
    handle: String,
    id: String,
    is_admin: bool,
    approved: bool,
}

fn account_view(state: &AppState, a: &Account) -> AccountView {
    AccountView {
        handle: format!("@{}@{}", a.username, state.ctx.urls().domain()),
        username: a.username.clone(),
        id: a.actor_id.clone(),
        is_admin: a.is_admin,
        approved: a.approved,
    }
}

#[derive(Deserialize)]
struct RegisterBody {
    username: String,
    password: String,
    invite: Option<String>,
    application: Option<String>,
}

async fn register(
    State(state): State<AppState>,
    Json(body): Json<RegisterBody>,
) -> Result<(StatusCode, Json<AccountView>), ApiError> {
    let account = registration::register(
        &state.ctx,
        &Registration {
            username: body.username,
            password: body.password,
            invite: body.invite,
            application: body.application,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(account_view(&state, &account))))
}

#[derive(Deserialize)]
struct LoginBody {
    username: String,
    password: String,
}

#[derive(Serialize)]
struct SessionView {
    account: AccountView,
    /// Send it back in `X-CSRF-Token` with every call that changes something.
    csrf_token: String,
    expires_at: i64,
}

async fn login(
    State(state): State<AppState>,
    viewer: Viewer,
    Json(body): Json<LoginBody>,
) -> Result<Response, ApiError> {
    let new = sessions::login(&state.ctx, &body.username, &body.password, &viewer.client).await?;
    let view = SessionView {
        account: account_view(&state, &new.account),
        csrf_token: new.csrf_token.clone(),
        expires_at: new.expires_at,
    };
    let response = (StatusCode::CREATED, Json(view)).into_response();
    Ok(with_cookie(response, &session_cookie(&state, &new)))
}

async fn logout(
    State(state): State<AppState>,
    // Checks the CSRF header, so another site cannot log people out.
    authed: AuthedSession,
) -> Result<Response, ApiError> {
    if let Some(secret) = &authed.secret {
        sessions::logout(&state.ctx, secret).await?;
    }
    let gone = cookie(&state, SESSION_COOKIE, String::new(), Some(0));
    Ok(with_cookie(StatusCode::NO_CONTENT.into_response(), &gone))
}

async fn me(State(state): State<AppState>, Authed(account): Authed) -> Json<AccountView> {
    Json(account_view(&state, &account))
}

#[derive(Deserialize)]
struct PasswordBody {
    current: String,
    new: String,
}

async fn change_password(
    State(state): State<AppState>,
    authed: AuthedSession,
    Json(body): Json<PasswordBody>,
) -> Result<StatusCode, ApiError> {
    sessions::change_password(
        &state.ctx,
        &authed.account,
        &body.current,
        &body.new,
        authed.secret.as_deref(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, Deserialize)]
struct SettingsBody {
    registration: String,
    #[serde(default)]
    about: String,
}

async fn get_settings(
    State(state): State<AppState>,
    Authed(account): Authed,
) -> Result<Json<SettingsBody>, ApiError> {
    registration::require_admin(&account)?;
    let s = registration::instance_settings(&state.ctx).await?;
    Ok(Json(SettingsBody {
        registration: s.registration.as_str().into(),
        about: s.about,
    }))
}

async fn put_settings(
    State(state): State<AppState>,
    Authed(account): Authed,
    Json(body): Json<SettingsBody>,
) -> Result<Json<SettingsBody>, ApiError> {
    let settings = InstanceSettings {
        registration: crate::pages::auth_cookies::parse_mode(&body.registration)?,
        about: body.about,
    };
    registration::update_instance_settings(&state.ctx, &account, &settings).await?;
    get_settings(State(state), Authed(account)).await
}

#[derive(Serialize)]
struct ApplicationView {
    username: String,
    application: Option<String>,
    created_at: i64,
}

async fn applications(
    State(state): State<AppState>,
    Authed(account): Authed,
) -> Result<Json<Vec<ApplicationView>>, ApiError> {
    let list = registration::pending_accounts(&state.ctx, &account).await?;
    Ok(Json(
        list.into_iter()
            .map(|a| ApplicationView {
                username: a.username,
                application: a.application,
                created_at: a.created_at,
            })
            .collect(),
    ))
}

#[derive(Deserialize)]
struct UsernameBody {
    username: String,
}

async fn approve(
    State(state): State<AppState>,
    Authed(account): Authed,
    Json(body): Json<UsernameBody>,
) -> Result<StatusCode, ApiError> {
    registration::decide_account(&state.ctx, &account, &body.username, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn reject(
    State(state): State<AppState>,
    Authed(account): Authed,
    Json(body): Json<UsernameBody>,
) -> Result<StatusCode, ApiError> {
    registration::decide_account(&state.ctx, &account, &body.username, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize)]
struct InviteView {
    code: String,
    uses: i64,
    max_uses: i64,
    expires_at: Option<i64>,
}

async fn invites(
    State(state): State<AppState>,
    Authed(account): Authed,
) -> Result<Json<Vec<InviteView>>, ApiError> {
    registration::require_admin(&account)?;
    let list = state.ctx.db.live_invites(now_millis()).await?;
    Ok(Json(
        list.into_iter()
            .map(|i| InviteView {
                code: i.code,
                uses: i.uses,
                max_uses: i.max_uses,
                expires_at: i.expires_at,
            })
            .collect(),
    ))
}

#[derive(Deserialize)]
struct InviteBody {
    #[serde(default = "one")]
    uses: i64,
    #[serde(default = "seven")]
    days: i64,
}

fn one() -> i64 {
    1
}

fn seven() -> i64 {
    7
}

async fn create_invite(
    State(state): State<AppState>,
    Authed(account): Authed,
    Json(body): Json<InviteBody>,
) -> Result<(StatusCode, Json<InviteView>), ApiError> {
    let i = registration::create_invite(&state.ctx, &account, body.uses, body.days).await?;
    Ok((
        StatusCode::CREATED,
        Json(InviteView {
            code: i.code,
            uses: i.uses,
            max_uses: i.max_uses,
            expires_at: i.expires_at,
        }),
    ))
}

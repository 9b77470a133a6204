//! Logging in and out: password checks throttled per client address, per name from one
//! address, and per name from every address together (so guesses spread over many addresses
//! still end); browser sessions (a random secret in a cookie, its hash in the database, a CSRF
//! token beside it), and password changes, which end the account's other sessions.

use kith_storage::{Account, Session, StorageError, now_millis};

use crate::actions::accounts::{hash_password, verify_password};
use crate::secrets::{hash, secret_of};
use crate::{Context, FederationError, Result};

/// How long a session lasts without logging in again.
pub const SESSION_DAYS: i64 = 30;
/// The window failed logins are counted in.
const WINDOW_MS: i64 = 15 * 60 * 1000;
/// Failed logins allowed per client address and name in the window.
const MAX_PER_NAME: i64 = 5;
/// Failed logins allowed per client address in the window, whatever the name.
const MAX_PER_CLIENT: i64 = 20;
/// Failed logins allowed per name in the window, from all addresses together. The name is then
/// refused for the rest of the window even with the right password (sessions already open stay
/// open): the price of a cap that rotating addresses cannot escape.
const MAX_PER_ACCOUNT: i64 = 10;

/// A session just made: the secret goes in the cookie, and is not kept.
#[derive(Clone, Debug)]
pub struct NewSession {
    /// The cookie's value.
    pub secret: String,
    /// The CSRF token forms carry.
    pub csrf_token: String,
    /// The account logged in.
    pub account: Account,
    /// When it ends, in milliseconds.
    pub expires_at: i64,
}

/// Checks a name and password and opens a session. `client` (the address the request came
/// from) and the name key the throttle, so neither one address nor many can try passwords
/// without end. Whether the name exists makes no difference to the throttle.
pub async fn login(
    ctx: &Context,
    username: &str,
    password: &str,
    client: &str,
) -> Result<NewSession> {
    let name = username.trim().trim_start_matches('@').to_lowercase();
    let now = now_millis();
    let keys = [
        format!("client:{client}"),
        format!("name:{client}:{name}"),
        format!("account:{name}"),
    ];
    for (key, max) in keys
        .iter()
        .zip([MAX_PER_CLIENT, MAX_PER_NAME, MAX_PER_ACCOUNT])
    {
        let (failures, since) = ctx.db.login_failures(key, now - WINDOW_MS).await?;
        if failures >= max {
            let wait = (since + WINDOW_MS - now).max(1000) / 1000;
            return Err(FederationError::RateLimited(wait as u64));
        }
    }
    let account = match ctx.db.account_by_username(&name).await {
        Ok(account) if verify_password(password, &account.password_hash) => Some(account),
        Ok(_) | Err(StorageError::NotFound) => None,
        Err(other) => return Err(other.into()),
    };
    let Some(account) = account else {
        for key in &keys {
            ctx.db
                .record_login_failure(key, now, now - WINDOW_MS)
                .await?;
        }
        return Err(FederationError::Unauthorized(
            "that name and password do not match".into(),
        ));
    };
    if !account.approved {
        return Err(FederationError::Forbidden(
            "your application waits for an administrator's approval".into(),
        ));
    }
    // The count per name from every address stays: a login does not give guessers a new
    // allowance.
    ctx.db.clear_login_failures(&keys[1]).await?;
    ctx.db.touch_account(&account.id).await?;
    open_session(ctx, account).await
}

/// Opens a session for an account (after login or registration).
pub async fn open_session(ctx: &Context, account: Account) -> Result<NewSession> {
    let secret = secret_of(32)?;
    let csrf_token = secret_of(24)?;
    let now = now_millis();
    let expires_at = now + SESSION_DAYS * 86_400_000;
    ctx.db
        .create_session(&hash(&secret), &account.id, &csrf_token, now, expires_at)
        .await?;
    Ok(NewSession {
        secret,
        csrf_token,
        account,
        expires_at,
    })
}

/// The session a cookie's secret belongs to, if it is live.
pub async fn session(ctx: &Context, secret: &str) -> Result<Option<Session>> {
    match ctx.db.session(&hash(secret), now_millis()).await {
        Ok(session) if session.account.approved => Ok(Some(session)),
        Ok(_) | Err(StorageError::NotFound) => Ok(None),
        Err(other) => Err(other.into()),
    }
}

/// Ends the session of this secret.
pub async fn logout(ctx: &Context, secret: &str) -> Result<()> {
    Ok(ctx.db.delete_session(&hash(secret)).await?)
}

/// Changes a password after checking the current one; every other session of the account ends
/// (the one given by `keep_secret`, when there is one, stays).
pub async fn change_password(
    ctx: &Context,
    account: &Account,
    current: &str,
    new: &str,
    keep_secret: Option<&str>,
) -> Result<()> {
    if !verify_password(current, &account.password_hash) {
        return Err(FederationError::Forbidden(
            "the current password is not right".into(),
        ));
    }
    let new_hash = hash_password(new)?;
    ctx.db.set_password_hash(&account.id, &new_hash).await?;
    let keep = keep_secret.map(hash).unwrap_or_default();
    ctx.db
        .delete_other_sessions(&account.id, &keep, now_millis())
        .await?;
    Ok(())
}

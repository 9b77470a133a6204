//! Bearer tokens for the JSON API: made from the CLI, shown once, stored only as a SHA-256.

use aws_lc_rs::digest;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use kith_storage::{Account, StorageError};

use crate::{Context, FederationError, Result};

/// Makes a token for the account named `username`; the token is returned once and not kept.
pub async fn create_token(ctx: &Context, username: &str, label: &str) -> Result<String> {
    let account = match ctx.db.account_by_username(username).await {
        Ok(account) => account,
        Err(StorageError::NotFound) => {
            return Err(FederationError::UnknownAccount(username.to_owned()));
        }
        Err(other) => return Err(other.into()),
    };
    let token = format!("kith_{}", secret()?);
    ctx.db
        .create_api_token(&hash(&token), &account.id, label)
        .await?;
    Ok(token)
}

/// The account a bearer token belongs to.
pub async fn account_for_token(ctx: &Context, token: &str) -> Result<Account> {
    match ctx.db.account_by_token_hash(&hash(token.trim())).await {
        Ok(account) => Ok(account),
        Err(StorageError::NotFound) => Err(FederationError::Unauthorized("unknown token".into())),
        Err(other) => Err(other.into()),
    }
}

/// 32 random bytes, URL-safe base64.
fn secret() -> Result<String> {
    secret_of(32)
}

/// `len` random bytes (at most 64), URL-safe base64: session secrets, CSRF tokens, invite codes.
pub fn secret_of(len: usize) -> Result<String> {
    let mut buf = [0u8; 64];
    let bytes = &mut buf[..len.min(64)];
    SystemRandom::new()
        .fill(bytes)
        .map_err(|_| FederationError::Key("no randomness".into()))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// Makes a new secret link to a person's private calendar (what they answered), replacing the
/// previous link; the link is returned once and only its hash is kept.
pub async fn create_calendar_link(ctx: &Context, account: &Account) -> Result<String> {
    let token = secret()?;
    ctx.db
        .set_calendar_token(&account.id, &hash(&token))
        .await?;
    Ok(format!("{}calendar/{token}", ctx.urls().base()))
}

/// The account a private calendar link's token belongs to.
pub async fn account_for_calendar(ctx: &Context, token: &str) -> Result<Account> {
    match ctx.db.account_by_calendar_token(&hash(token.trim())).await {
        Ok(account) => Ok(account),
        Err(StorageError::NotFound) => Err(FederationError::NotFound("no such calendar".into())),
        Err(other) => Err(other.into()),
    }
}

/// The SHA-256 of a secret, in hex: what is stored in place of tokens and session secrets.
pub fn hash(token: &str) -> String {
    digest::digest(&digest::SHA256, token.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

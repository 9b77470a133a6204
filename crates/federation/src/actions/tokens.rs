//! Bearer tokens for the JSON API: made from the CLI, shown once, stored only as a SHA-256.

use kith_storage::{Account, StorageError};

pub use crate::secrets::{hash, secret_of};
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

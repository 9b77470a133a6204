//! Email on accounts: an address confirmed by a link, a password reset by email, and the
//! unsubscribe link. The confirmed address is set only when its link is opened; until then the
//! address being confirmed lives in the token.

use kith_storage::{Account, StorageError};

use crate::actions::mail::compose::{self, RESET_FOR_MS, VERIFY_FOR_MS};
use crate::secrets::hash;
use crate::{Context, FederationError, Result};

/// The longest address accepted.
const MAX_ADDRESS: usize = 254;
/// Confirmation links an account may have open at once (each lives two days): someone else's
/// address cannot be flooded from one account.
const MAX_OPEN_CONFIRMATIONS: i64 = 5;
/// Reset links an account may be sent within their hour: a stranger asking again and again does
/// not flood the person's mailbox.
const MAX_OPEN_RESETS: i64 = 3;

/// Checks an address's shape (one `@`, something either side, no spaces or angle brackets):
/// whether it exists is what the confirmation link finds out.
pub fn check_address(address: &str) -> Result<String> {
    let address = address.trim();
    let bad = || FederationError::BadRequest(format!("{address:?} is not an email address"));
    if address.len() > MAX_ADDRESS
        || address.chars().any(|c| c.is_whitespace() || c.is_control())
        || address.contains(['<', '>', ',', ';'])
    {
        return Err(bad());
    }
    match address.split_once('@') {
        Some((local, domain))
            if !local.is_empty() && domain.contains('.') && !domain.contains('@') =>
        {
            Ok(address.to_owned())
        }
        _ => Err(bad()),
    }
}

/// Sends a confirmation link to `address` for `account`; the address becomes the account's once
/// the link is opened. Refused when this instance sends no mail.
pub async fn request_confirmation(ctx: &Context, account: &Account, address: &str) -> Result<()> {
    if !ctx.mail_on() {
        return Err(FederationError::BadRequest(
            "this server sends no email".into(),
        ));
    }
    let address = check_address(address)?;
    if ctx.db.open_mail_tokens(&account.id, "verify").await? >= MAX_OPEN_CONFIRMATIONS {
        return Err(FederationError::RateLimited(3600));
    }
    let mut tx = ctx.db.begin().await?;
    let link = compose::secret_link(
        ctx,
        &mut tx,
        &account.id,
        "verify",
        &address,
        VERIFY_FOR_MS,
        "mail/verify",
    )
    .await?;
    let text = format!(
        "Hello {},\n\nTo use this address for your account on {}, open:\n{link}\n\n\
         If you did not ask for this, ignore this email.",
        account.username,
        ctx.settings().domain
    );
    tx.queue_mail(&compose::required_mail(
        &address,
        "Confirm your email address",
        &text,
    ))
    .await?;
    tx.commit().await?;
    ctx.wake_mail();
    Ok(())
}

/// Opens a confirmation link: the address becomes the account's; returns it.
pub async fn confirm(ctx: &Context, token: &str) -> Result<String> {
    let (account_id, address) = match ctx.db.use_mail_token(&hash(token), "verify").await {
        Ok(found) => found,
        Err(StorageError::NotFound) => {
            return Err(FederationError::NotFound(
                "this link is used or expired".into(),
            ));
        }
        Err(other) => return Err(other.into()),
    };
    match ctx.db.confirm_email(&account_id, &address).await {
        Ok(()) => Ok(address),
        Err(StorageError::Conflict { .. }) => Err(FederationError::BadRequest(
            "another account uses this address".into(),
        )),
        Err(other) => Err(other.into()),
    }
}

/// Sends a password reset link to the account whose confirmed address is `address`, if there
/// is one. Says nothing either way (the page answers the same), so it does not tell who has an
/// account.
pub async fn request_reset(ctx: &Context, address: &str) -> Result<()> {
    if !ctx.mail_on() {
        return Err(FederationError::BadRequest(
            "this server sends no email".into(),
        ));
    }
    let Some(recipient) = ctx.db.recipient_by_email(address.trim()).await? else {
        tracing::info!("password reset asked for an address no account confirmed");
        return Ok(());
    };
    let Some(to) = recipient.email.clone() else {
        return Ok(());
    };
    if ctx
        .db
        .open_mail_tokens(&recipient.account_id, "reset")
        .await?
        >= MAX_OPEN_RESETS
    {
        tracing::info!(account = %recipient.account_id, "password reset asked too often; not sent");
        return Ok(());
    }
    let mut tx = ctx.db.begin().await?;
    let link = compose::secret_link(
        ctx,
        &mut tx,
        &recipient.account_id,
        "reset",
        "",
        RESET_FOR_MS,
        "password/reset",
    )
    .await?;
    let text = format!(
        "Hello {},\n\nTo choose a new password for your account on {}, open within an hour:\n\
         {link}\n\nIf you did not ask for this, ignore this email: your password is unchanged.",
        recipient.username,
        ctx.settings().domain
    );
    tx.queue_mail(&compose::required_mail(&to, "Reset your password", &text))
        .await?;
    tx.commit().await?;
    ctx.wake_mail();
    Ok(())
}

/// Whether a reset link is still good (before the form is shown).
pub async fn reset_link_open(ctx: &Context, token: &str) -> Result<bool> {
    Ok(ctx.db.mail_token_open(&hash(token), "reset").await?)
}

/// Uses a reset link: sets the new password and ends every session of the account.
pub async fn reset_password(ctx: &Context, token: &str, password: &str) -> Result<()> {
    // The new password is checked (and hashed) before the link is used up.
    let password_hash = crate::actions::accounts::hash_password(password)?;
    let (account_id, _) = match ctx.db.use_mail_token(&hash(token), "reset").await {
        Ok(found) => found,
        Err(StorageError::NotFound) => {
            return Err(FederationError::NotFound(
                "this link is used or expired".into(),
            ));
        }
        Err(other) => return Err(other.into()),
    };
    ctx.db
        .set_password_hash(&account_id, &password_hash)
        .await?;
    ctx.db
        .delete_other_sessions(&account_id, "", kith_storage::now_millis())
        .await?;
    Ok(())
}

/// Whether an unsubscribe link is good.
pub async fn unsubscribe_link_open(ctx: &Context, token: &str) -> Result<bool> {
    Ok(ctx.db.mail_token_open(&hash(token), "unsubscribe").await?)
}

/// Uses an unsubscribe link: every email the person may opt out of stops.
pub async fn unsubscribe(ctx: &Context, token: &str) -> Result<()> {
    let (account_id, _) = match ctx.db.use_mail_token(&hash(token), "unsubscribe").await {
        Ok(found) => found,
        Err(StorageError::NotFound) => {
            return Err(FederationError::NotFound("this link is expired".into()));
        }
        Err(other) => return Err(other.into()),
    };
    ctx.db.unsubscribe_all(&account_id).await?;
    Ok(())
}

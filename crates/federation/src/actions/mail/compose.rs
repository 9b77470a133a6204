//! Messages as people read them: plain text, the page to look at, why they got it and how to
//! stop it. Links to secrets (confirm, reset, unsubscribe) carry a random token whose SHA-256
//! alone is stored (`mail_tokens`), so they work without logging in and a leaked database
//! does not leak working links.

use jiff::Timestamp;
use kith_storage::{NewMail, Tx, now_millis};

use crate::secrets::{hash, secret_of};
use crate::{Context, Result};

/// How long an unsubscribe link keeps working.
const UNSUBSCRIBE_FOR_MS: i64 = 365 * 24 * 3600 * 1000;
/// How long an address confirmation link works.
pub const VERIFY_FOR_MS: i64 = 48 * 3600 * 1000;
/// How long a password reset link works.
pub const RESET_FOR_MS: i64 = 3600 * 1000;

/// Makes a secret for `purpose`, stores its hash in `tx` and returns the link to `path/TOKEN`.
pub async fn secret_link(
    ctx: &Context,
    tx: &mut Tx,
    account_id: &str,
    purpose: &str,
    email: &str,
    valid_ms: i64,
    path: &str,
) -> Result<String> {
    let token = secret_of(24)?;
    tx.create_mail_token(
        &hash(&token),
        account_id,
        purpose,
        email,
        now_millis() + valid_ms,
    )
    .await?;
    Ok(format!("{}{path}/{token}", ctx.urls().base()))
}

/// An absolute link to a local page (`path` starts without a slash: `g/runners`).
pub fn page(ctx: &Context, path: &str) -> String {
    format!("{}{}", ctx.urls().base(), path.trim_start_matches('/'))
}

/// A message a person may opt out of: the text, the page, and the footer with the settings
/// page and a one-click unsubscribe link (also in the headers, RFC 8058).
pub async fn optional_mail(
    ctx: &Context,
    tx: &mut Tx,
    account_id: &str,
    to: &str,
    subject: &str,
    text: &str,
) -> Result<NewMail> {
    let unsubscribe = secret_link(
        ctx,
        tx,
        account_id,
        "unsubscribe",
        "",
        UNSUBSCRIBE_FOR_MS,
        "mail/unsubscribe",
    )
    .await?;
    let settings = page(ctx, "settings/notifications");
    let body_text = format!(
        "{text}\n\n-- \nYou get this email because of your notification settings on {domain}:\n\
         {settings}\nTo stop every email from {domain}, open:\n{unsubscribe}\n",
        domain = ctx.settings().domain,
    );
    Ok(NewMail {
        to: to.to_owned(),
        subject: subject.to_owned(),
        body_text,
        unsubscribe_url: unsubscribe,
    })
}

/// A message a person asked for and cannot opt out of (a confirmation or reset link).
pub fn required_mail(to: &str, subject: &str, text: &str) -> NewMail {
    NewMail {
        to: to.to_owned(),
        subject: subject.to_owned(),
        body_text: format!("{text}\n"),
        unsubscribe_url: String::new(),
    }
}

/// The page showing an object: a local object's id is its page; a remote one is read on the
/// thread page.
pub fn object_page(ctx: &Context, id: &str) -> String {
    let base = ctx.urls().base().as_str();
    if id.starts_with(base) {
        id.to_owned()
    } else {
        let escaped: String = url::form_urlencoded::byte_serialize(id.as_bytes()).collect();
        format!("{base}thread?id={escaped}")
    }
}

/// A time as people read it in an email (UTC, to the minute).
pub fn when(millis: i64) -> String {
    Timestamp::from_millisecond(millis)
        .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

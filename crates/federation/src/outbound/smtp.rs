//! The mail worker: claims queued messages with a lease in this process's name (so several
//! processes sharing a PostgreSQL database never send the same one at once), sends each over
//! SMTP, removes it once the server took it, and puts it back with a growing delay when the
//! server cannot be reached or answers a passing failure. A message the server refuses for
//! good (a `5xx` answer to it) is dropped and logged.

use std::time::Duration;

use kith_storage::{QueuedMail, now_millis};
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tokio::sync::watch;

use crate::context::{MailSettings, Security};
use crate::{Context, FederationError, Result};

/// How long a claim lasts: a message not sent by then is another worker's to send.
const LEASE_MS: i64 = 120_000;
/// Messages claimed at once.
const BATCH: i64 = 20;
/// The first retry's delay; each further one doubles, up to [`MAX_DELAY_MS`].
const FIRST_DELAY_MS: i64 = 2_000;
/// The longest delay between attempts.
const MAX_DELAY_MS: i64 = 30 * 60_000;
/// Attempts before a message is given up (at the longest delay, about two days).
const MAX_ATTEMPTS: i64 = 100;
/// How long the worker sleeps with nothing due, at most (rows queued by another process are
/// found within this).
const IDLE: Duration = Duration::from_secs(15);

/// The delay before the next attempt after `attempts` failed ones.
pub fn backoff_ms(attempts: i64) -> i64 {
    let shift = u32::try_from(attempts.clamp(0, 20)).unwrap_or(20);
    FIRST_DELAY_MS.saturating_mul(1 << shift).min(MAX_DELAY_MS)
}

/// Runs the mail worker until `shutdown`; returns at once when mail is off.
pub async fn run(ctx: Context, mut shutdown: watch::Receiver<bool>) {
    let Some(settings) = ctx.settings().mail.clone() else {
        return;
    };
    let transport = match transport(&settings, &ctx.settings().domain) {
        Ok(transport) => transport,
        Err(error) => {
            tracing::error!(%error, "the SMTP settings are not usable; no mail is sent");
            return;
        }
    };
    let from: Mailbox = match settings.from.parse() {
        Ok(from) => from,
        Err(error) => {
            tracing::error!(%error, from = %settings.from, "mail_from is not an address");
            return;
        }
    };
    loop {
        let claimed = match ctx.db.claim_mail(BATCH, LEASE_MS).await {
            Ok(claimed) => claimed,
            Err(error) => {
                tracing::warn!(%error, "claiming mail failed");
                Vec::new()
            }
        };
        let busy = !claimed.is_empty();
        for mail in claimed {
            send_one(&ctx, &transport, &from, mail).await;
        }
        if busy {
            continue;
        }
        let wait = match ctx.db.next_mail_due().await {
            Ok(Some(due)) => {
                Duration::from_millis(u64::try_from((due - now_millis()).max(0)).unwrap_or(0))
                    .min(IDLE)
            }
            _ => IDLE,
        };
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = ctx.mail_woken() => {}
            _ = shutdown.changed() => return,
        }
    }
}

async fn send_one(
    ctx: &Context,
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    from: &Mailbox,
    mail: QueuedMail,
) {
    let message = match message(from, &mail) {
        Ok(message) => message,
        Err(error) => {
            tracing::warn!(%error, id = mail.id, "a queued message cannot be built; dropped");
            let _ = ctx.db.finish_mail(mail.id).await;
            return;
        }
    };
    let outcome = transport.send(message).await;
    let result = match outcome {
        Ok(_) => {
            tracing::info!(id = mail.id, "mail sent");
            ctx.db.finish_mail(mail.id).await
        }
        Err(error) if error.is_permanent() || mail.attempts + 1 >= MAX_ATTEMPTS => {
            tracing::warn!(%error, id = mail.id, attempts = mail.attempts + 1, "mail given up");
            ctx.db.finish_mail(mail.id).await
        }
        Err(error) => {
            let delay = backoff_ms(mail.attempts);
            tracing::warn!(%error, id = mail.id, delay_ms = delay, "mail not sent; will retry");
            ctx.db
                .retry_mail(mail.id, now_millis() + delay, &error.to_string())
                .await
        }
    };
    if let Err(error) = result {
        tracing::warn!(%error, id = mail.id, "recording a message's outcome failed");
    }
}

/// The SMTP transport the settings describe.
pub fn transport(
    settings: &MailSettings,
    domain: &str,
) -> Result<AsyncSmtpTransport<Tokio1Executor>> {
    let bad = |e: lettre::transport::smtp::Error| FederationError::Internal(e.to_string());
    let builder = match settings.security {
        Security::Starttls => {
            AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&settings.host).map_err(bad)?
        }
        Security::Tls => {
            AsyncSmtpTransport::<Tokio1Executor>::relay(&settings.host).map_err(bad)?
        }
        Security::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host),
    };
    // The EHLO name is the instance's host, without a port.
    let hello = domain.split(':').next().unwrap_or(domain).to_owned();
    let mut builder = builder
        .port(settings.port)
        .hello_name(ClientId::Domain(hello))
        .timeout(Some(Duration::from_secs(30)));
    if let (Some(user), Some(password)) = (&settings.username, &settings.password) {
        builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
    }
    Ok(builder.build())
}

/// The message as sent: plain text, and the unsubscribe headers of RFC 2369 and RFC 8058 when
/// the person may opt out of it.
pub fn message(from: &Mailbox, mail: &QueuedMail) -> Result<Message> {
    let to: Mailbox = mail
        .to_address
        .parse()
        .map_err(|e| FederationError::BadRequest(format!("recipient address: {e}")))?;
    let mut builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(mail.subject.clone());
    if !mail.unsubscribe_url.is_empty() {
        builder = builder
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{}>", mail.unsubscribe_url),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".to_owned(),
            ));
    }
    builder
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_PLAIN)
                .body(mail.body_text.clone()),
        )
        .map_err(|e| FederationError::Internal(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_its_cap() {
        assert_eq!(backoff_ms(0), 2_000);
        assert_eq!(backoff_ms(1), 4_000);
        assert_eq!(backoff_ms(50), MAX_DELAY_MS);
    }
}

//! The outgoing mail queue (migration 0020). Each row is one rendered message, written in the
//! transaction of the change that causes it ([`Tx::queue_mail`]) and claimed by a worker with a
//! lease in its process's name, like deliveries (`delivery.rs`): a crashed worker's rows come
//! due again, and two processes sharing a PostgreSQL database never send the same row at once
//! (`SKIP LOCKED`). Sending is at least once: a crash between the SMTP server's answer and the
//! row's removal sends that message again.

use sqlx::FromRow;

use crate::{Database, Result, Tx, now_millis};

/// A message to queue.
#[derive(Clone, Debug, Default)]
pub struct NewMail {
    /// The recipient's address.
    pub to: String,
    /// The subject line.
    pub subject: String,
    /// The plain-text body, complete (links and the unsubscribe line included).
    pub body_text: String,
    /// The one-click unsubscribe URL (RFC 8058); empty for mail a person cannot opt out of
    /// (confirming an address, resetting a password).
    pub unsubscribe_url: String,
}

/// A claimed message.
#[derive(Clone, Debug, FromRow)]
pub struct QueuedMail {
    /// Row id.
    pub id: i64,
    /// The recipient's address.
    pub to_address: String,
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub body_text: String,
    /// The one-click unsubscribe URL, or empty.
    pub unsubscribe_url: String,
    /// Attempts made before this one.
    pub attempts: i64,
}

impl Database {
    /// Queues one message on its own (what no other state change goes with).
    pub async fn queue_mail(&self, mail: &NewMail) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.queue_mail(mail).await?;
        tx.commit().await
    }

    /// Claims up to `limit` due messages for `lease_ms` milliseconds in this process's name.
    pub async fn claim_mail(&self, limit: i64, lease_ms: i64) -> Result<Vec<QueuedMail>> {
        let now = now_millis();
        let sql = claim_due_sql!(
            self.backend(),
            "mail_queue",
            "id, to_address, subject, body_text, unsubscribe_url, attempts"
        );
        Ok(sqlx::query_as(sql)
            .bind(now + lease_ms)
            .bind(now)
            .bind(limit)
            .bind(self.process_id())
            .fetch_all(&mut *self.write().await?)
            .await?)
    }

    /// Removes a message that was sent (or refused for good).
    pub async fn finish_mail(&self, id: i64) -> Result<()> {
        sqlx::query("DELETE FROM mail_queue WHERE id = $1")
            .bind(id)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }

    /// Puts a message that could not be sent back in the queue, due at `next_attempt_at`.
    pub async fn retry_mail(&self, id: i64, next_attempt_at: i64, error: &str) -> Result<()> {
        sqlx::query(
            "UPDATE mail_queue SET attempts = attempts + 1, next_attempt_at = $1, \
             claimed_until = NULL, claimed_by = NULL, last_error = $2 WHERE id = $3",
        )
        .bind(next_attempt_at)
        .bind(error)
        .bind(id)
        .execute(&mut *self.write().await?)
        .await?;
        Ok(())
    }

    /// When the next unclaimed message is due, if any (the worker sleeps until then).
    pub async fn next_mail_due(&self) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT MIN(next_attempt_at) FROM mail_queue WHERE claimed_until IS NULL",
        )
        .fetch_one(&self.pool)
        .await?)
    }

    /// How many messages wait (claimed or not), and how many of them failed at least once.
    pub async fn pending_mail(&self) -> Result<(i64, i64)> {
        Ok(sqlx::query_as(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN attempts > 0 THEN 1 ELSE 0 END), 0) \
             FROM mail_queue",
        )
        .fetch_one(&self.pool)
        .await?)
    }
}

impl Tx {
    /// Queues a message in this transaction: it is sent only if the change it belongs to is
    /// committed. Due at once.
    pub async fn queue_mail(&mut self, mail: &NewMail) -> Result<()> {
        let now = now_millis();
        sqlx::query(
            "INSERT INTO mail_queue (to_address, subject, body_text, unsubscribe_url, \
             next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .bind(&mail.to)
        .bind(&mail.subject)
        .bind(&mail.body_text)
        .bind(&mail.unsubscribe_url)
        .bind(now)
        .execute(self.conn())
        .await?;
        Ok(())
    }
}

//! What the scheduled mail jobs read (migration 0020): the digests that are due and what each
//! covers (new events and the busiest threads of a person's groups), and the reminders of
//! tomorrow's events not sent yet. Only what the person could see on the group's page goes in:
//! public and unlisted objects, not held, not deleted, in groups they are an accepted member of.

use sqlx::FromRow;

use crate::notifications::Recipient;
use crate::{Database, Result, Tx};

/// A due digest: who, and from when it covers.
#[derive(Clone, Debug)]
pub struct DueDigest {
    /// The person.
    pub recipient: Recipient,
    /// Their actor id.
    pub actor_id: String,
    /// What the last digest covered up to.
    pub since: i64,
}

/// An event or thread a digest lists.
#[derive(Clone, Debug, FromRow)]
pub struct DigestItem {
    /// The object's id.
    pub id: String,
    /// Its title, if it has one.
    pub name: Option<String>,
    /// Its HTML content (the caller makes plain text of it).
    pub content: Option<String>,
    /// The group's name (`preferredUsername`).
    pub group_name: String,
    /// Events: when it starts.
    pub start_time: Option<i64>,
    /// Threads: posts in the thread within the digest's time.
    pub posts: i64,
}

/// A reminder to send: a local person going to an event that starts soon.
#[derive(Clone, Debug, FromRow)]
pub struct DueReminder {
    /// The event's id.
    pub event_id: String,
    /// Its title.
    pub name: Option<String>,
    /// When it starts.
    pub start_time: i64,
    /// The person's actor id.
    pub actor_id: String,
}

/// The groups a person is an accepted member of, as a sub-select on `$1` (their actor id).
const MY_GROUPS: &str =
    "SELECT group_id FROM memberships WHERE member_id = $1 AND state = 'accepted'";

/// What a person may read in a digest: shown on the group's page to anyone.
const VISIBLE: &str = "o.deleted_at IS NULL AND o.held_reason IS NULL \
     AND o.visibility IN ('public', 'unlisted')";

/// The events published in `[$2, $3)` in the groups `o.group_id {groups}` names (`$1`), for
/// the email digest and the groups' digest actors (`group_digest.rs`).
pub(crate) fn events_sql(groups: &str, visible: &str) -> String {
    format!(
        "SELECT o.id, o.name, o.content, g.username AS group_name, o.start_time, \
         CAST(1 AS BIGINT) AS posts FROM objects o JOIN actors g ON g.id = o.group_id \
         JOIN events e ON e.object_id = o.id \
         WHERE o.kind = 'Event' AND o.group_id {groups} AND {visible} \
         AND e.status <> 'cancelled' AND o.published_at >= $2 AND o.published_at < $3 \
         ORDER BY o.start_time, o.id LIMIT 20"
    )
}

/// The `$4` threads with the most posts in `[$2, $3)` in the groups `p.group_id {groups}`
/// names (`$1`), busiest first; only threads whose first post is `visible`.
pub(crate) fn threads_sql(groups: &str, visible: &str) -> String {
    format!(
        "SELECT o.id, o.name, o.content, g.username AS group_name, o.start_time, t.posts \
         FROM (SELECT COALESCE(p.thread_root, p.id) AS root, COUNT(*) AS posts \
               FROM objects p WHERE p.kind <> 'Event' AND p.group_id {groups} \
               AND p.deleted_at IS NULL AND p.held_reason IS NULL \
               AND p.published_at >= $2 AND p.published_at < $3 \
               GROUP BY COALESCE(p.thread_root, p.id)) t \
         JOIN objects o ON o.id = t.root JOIN actors g ON g.id = o.group_id \
         WHERE o.kind <> 'Event' AND {visible} \
         ORDER BY t.posts DESC, o.id LIMIT $4"
    )
}

impl Database {
    /// The digests due at `now`: people with a digest, a confirmed address, and a period
    /// passed since the last one.
    pub async fn due_digests(&self, now: i64) -> Result<Vec<DueDigest>> {
        let rows: Vec<(String, Option<i64>)> = sqlx::query_as(
            "SELECT a.actor_id, s.digest_through FROM accounts a \
             JOIN notification_settings s ON s.account_id = a.id \
             WHERE s.digest <> 'off' AND a.email_verified_at IS NOT NULL AND \
             COALESCE(s.digest_through, 0) <= $1 - CASE s.digest WHEN 'daily' THEN 86400000 \
             ELSE 604800000 END ORDER BY a.id",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        let mut due = Vec::with_capacity(rows.len());
        for (actor_id, through) in rows {
            if let Some(recipient) = self.recipient(&actor_id).await? {
                let period = recipient.settings.digest.period_ms().unwrap_or(0);
                due.push(DueDigest {
                    recipient,
                    actor_id,
                    since: through.unwrap_or(now - period),
                });
            }
        }
        Ok(due)
    }

    /// Events published in a person's groups in `[since, until)`, soonest first.
    pub async fn digest_events(
        &self,
        actor_id: &str,
        since: i64,
        until: i64,
    ) -> Result<Vec<DigestItem>> {
        let sql = events_sql(&format!("IN ({MY_GROUPS})"), VISIBLE);
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(actor_id)
            .bind(since)
            .bind(until)
            .fetch_all(&self.pool)
            .await?)
    }

    /// The threads of a person's groups with the most posts in `[since, until)`, busiest first.
    pub async fn digest_threads(
        &self,
        actor_id: &str,
        since: i64,
        until: i64,
        limit: i64,
    ) -> Result<Vec<DigestItem>> {
        let sql = threads_sql(&format!("IN ({MY_GROUPS})"), VISIBLE);
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(actor_id)
            .bind(since)
            .bind(until)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    /// Local people going to events that start in `[from, until)` and were not reminded yet.
    pub async fn due_reminders(&self, from: i64, until: i64) -> Result<Vec<DueReminder>> {
        Ok(sqlx::query_as(
            "SELECT o.id AS event_id, o.name, o.start_time, r.actor_id FROM objects o \
             JOIN events e ON e.object_id = o.id JOIN rsvps r ON r.event_id = o.id \
             JOIN accounts a ON a.actor_id = r.actor_id \
             WHERE o.kind = 'Event' AND o.deleted_at IS NULL AND e.status <> 'cancelled' \
             AND o.start_time >= $1 AND o.start_time < $2 AND r.status = 'going' \
             AND NOT EXISTS (SELECT 1 FROM event_reminders m \
                             WHERE m.event_id = o.id AND m.account_id = a.id) \
             ORDER BY o.start_time, o.id, r.actor_id LIMIT 500",
        )
        .bind(from)
        .bind(until)
        .fetch_all(&self.pool)
        .await?)
    }
}

impl Tx {
    /// Records that a person's digest covered everything up to `through`.
    pub async fn digest_sent(&mut self, account_id: &str, through: i64) -> Result<()> {
        sqlx::query("UPDATE notification_settings SET digest_through = $1 WHERE account_id = $2")
            .bind(through)
            .bind(account_id)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Records that a person was reminded of an event; `false` when they were already.
    pub async fn reminder_sent(&mut self, event_id: &str, account_id: &str) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO event_reminders (event_id, account_id, sent_at) VALUES ($1, $2, $3) \
             ON CONFLICT (event_id, account_id) DO NOTHING",
        )
        .bind(event_id)
        .bind(account_id)
        .bind(crate::now_millis())
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() > 0)
    }
}

//! Notifications (migration 0020): what happened to a person, as their notifications page lists
//! it, and what they asked to be told by email. Rows are written in the transaction of the
//! change that causes them ([`Tx::add_notification`]).

use sqlx::FromRow;

use crate::text_enum::text_enum;
use crate::{Database, Result, StorageError, Tx, now_millis};

text_enum! {
    /// What a notification is about.
    NotificationKind {
        /// A join request was approved.
        Approved = "approved",
        /// A join request was refused.
        Refused = "refused",
        /// Moved up from an event's waitlist.
        Promoted = "promoted",
        /// An event the person answered changed.
        EventChanged = "event_changed",
        /// An event the person answered was cancelled.
        EventCancelled = "event_cancelled",
        /// An event the person is going to starts within a day.
        Reminder = "reminder",
        /// Someone replied to the person's post.
        Reply = "reply",
        /// Organisers: someone asked to join.
        JoinRequest = "join_request",
        /// Organisers who asked for it: someone answered an event.
        NewRsvp = "new_rsvp",
        /// Organisers: a report to review.
        Report = "report",
        /// A remote event's group wrote to the person alone (such as its online link): the
        /// notice says only that, and links to the event's page, where they alone see it.
        EventMessage = "event_message",
        /// A group invited the person to join it (an organiser here, or a remote group's
        /// `Invite`): the link leads to joining or following it.
        Invited = "invited",
    }
}

text_enum! {
    /// How often a person gets a digest of their groups.
    Digest {
        /// Never.
        Off = "off",
        /// Once a day.
        Daily = "daily",
        /// Once a week.
        Weekly = "weekly",
    }
}

impl Digest {
    /// The time one digest covers, in milliseconds; `None` when off.
    pub fn period_ms(self) -> Option<i64> {
        match self {
            Digest::Off => None,
            Digest::Daily => Some(24 * 3600 * 1000),
            Digest::Weekly => Some(7 * 24 * 3600 * 1000),
        }
    }
}

/// What a person asked to be told by email.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotificationSettings {
    /// One email per notification.
    pub email_each: bool,
    /// Organisers: a notification for each new answer to their events.
    pub rsvp_alerts: bool,
    /// The digest.
    pub digest: Digest,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        NotificationSettings {
            email_each: true,
            rsvp_alerts: false,
            digest: Digest::Off,
        }
    }
}

#[derive(FromRow)]
struct SettingsRow {
    #[sqlx(try_from = "crate::bool_column::BoolColumn")]
    email_each: bool,
    #[sqlx(try_from = "crate::bool_column::BoolColumn")]
    rsvp_alerts: bool,
    digest: Digest,
}

impl From<SettingsRow> for NotificationSettings {
    fn from(row: SettingsRow) -> Self {
        NotificationSettings {
            email_each: row.email_each,
            rsvp_alerts: row.rsvp_alerts,
            digest: row.digest,
        }
    }
}

/// One notification, as the page lists it.
#[derive(Clone, Debug, FromRow)]
pub struct Notification {
    /// Row id.
    pub id: i64,
    /// What kind of thing happened.
    pub kind: NotificationKind,
    /// One line.
    pub summary: String,
    /// Where to look, or empty.
    pub link: String,
    /// When.
    pub created_at: i64,
    /// When the person saw it on their page.
    pub read_at: Option<i64>,
}

/// A local person who may be notified: their account, confirmed address and settings.
#[derive(Clone, Debug)]
pub struct Recipient {
    /// The account's id.
    pub account_id: String,
    /// The login name.
    pub username: String,
    /// The confirmed address, if any (mail goes only there).
    pub email: Option<String>,
    /// What they asked for.
    pub settings: NotificationSettings,
}

#[derive(FromRow)]
struct RecipientRow {
    id: String,
    username: String,
    email: Option<String>,
    email_verified_at: Option<i64>,
    email_each: Option<crate::bool_column::BoolColumn>,
    rsvp_alerts: Option<crate::bool_column::BoolColumn>,
    digest: Option<Digest>,
}

impl From<RecipientRow> for Recipient {
    fn from(row: RecipientRow) -> Self {
        let defaults = NotificationSettings::default();
        Recipient {
            account_id: row.id,
            username: row.username,
            email: row.email.filter(|_| row.email_verified_at.is_some()),
            settings: NotificationSettings {
                email_each: row.email_each.map_or(defaults.email_each, bool::from),
                rsvp_alerts: row.rsvp_alerts.map_or(defaults.rsvp_alerts, bool::from),
                digest: row.digest.unwrap_or(defaults.digest),
            },
        }
    }
}

macro_rules! recipient_select {
    () => {
        "SELECT a.id, a.username, a.email, a.email_verified_at, s.email_each, s.rsvp_alerts, \
         s.digest FROM accounts a LEFT JOIN notification_settings s ON s.account_id = a.id "
    };
}

impl Database {
    /// A person's notification settings (the defaults until they change them).
    pub async fn notification_settings(&self, account_id: &str) -> Result<NotificationSettings> {
        let row: Option<SettingsRow> = sqlx::query_as(
            "SELECT email_each, rsvp_alerts, digest FROM notification_settings \
             WHERE account_id = $1",
        )
        .bind(account_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(Into::into).unwrap_or_default())
    }

    /// Replaces a person's notification settings. Choosing a digest starts it now (the first
    /// covers what happens from here).
    pub async fn set_notification_settings(
        &self,
        account_id: &str,
        settings: NotificationSettings,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO notification_settings (account_id, email_each, rsvp_alerts, digest, \
             digest_through) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account_id) DO UPDATE SET \
             email_each = excluded.email_each, rsvp_alerts = excluded.rsvp_alerts, \
             digest = excluded.digest, digest_through = CASE \
             WHEN notification_settings.digest = excluded.digest \
             THEN notification_settings.digest_through ELSE excluded.digest_through END",
        )
        .bind(account_id)
        .bind(settings.email_each)
        .bind(settings.rsvp_alerts)
        .bind(settings.digest.as_str())
        .bind(now_millis())
        .execute(&mut *self.write().await?)
        .await?;
        Ok(())
    }

    /// A person's latest notifications, newest first.
    pub async fn notifications(&self, account_id: &str, limit: i64) -> Result<Vec<Notification>> {
        Ok(sqlx::query_as(
            "SELECT id, kind, summary, link, created_at, read_at FROM notifications \
             WHERE account_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
        )
        .bind(account_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// How many of a person's notifications they have not seen.
    pub async fn unread_notifications(&self, account_id: &str) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM notifications WHERE account_id = $1 AND read_at IS NULL",
        )
        .bind(account_id)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Marks every notification of a person seen.
    pub async fn mark_notifications_read(&self, account_id: &str) -> Result<()> {
        sqlx::query(
            "UPDATE notifications SET read_at = $1 WHERE account_id = $2 AND read_at IS NULL",
        )
        .bind(now_millis())
        .bind(account_id)
        .execute(&mut *self.write().await?)
        .await?;
        Ok(())
    }

    /// The local person behind an actor id, as a recipient; `None` for a remote actor.
    pub async fn recipient(&self, actor_id: &str) -> Result<Option<Recipient>> {
        let row: Option<RecipientRow> =
            sqlx::query_as(concat!(recipient_select!(), "WHERE a.actor_id = $1"))
                .bind(actor_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(Into::into))
    }

    /// Turns off every email to a person but what they cannot opt out of (the unsubscribe link).
    pub async fn unsubscribe_all(&self, account_id: &str) -> Result<()> {
        self.set_notification_settings(
            account_id,
            NotificationSettings {
                email_each: false,
                rsvp_alerts: self.notification_settings(account_id).await?.rsvp_alerts,
                digest: Digest::Off,
            },
        )
        .await
    }
}

impl Tx {
    /// The local person behind an actor id, read in this transaction; `None` for a remote actor.
    pub async fn recipient(&mut self, actor_id: &str) -> Result<Option<Recipient>> {
        let row: Option<RecipientRow> =
            sqlx::query_as(concat!(recipient_select!(), "WHERE a.actor_id = $1"))
                .bind(actor_id)
                .fetch_optional(self.conn())
                .await?;
        Ok(row.map(Into::into))
    }

    /// Adds a notification in this transaction.
    pub async fn add_notification(
        &mut self,
        account_id: &str,
        kind: NotificationKind,
        summary: &str,
        link: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO notifications (account_id, kind, summary, link, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(account_id)
        .bind(kind)
        .bind(summary)
        .bind(link)
        .bind(now_millis())
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Stores the hash of a secret sent by email (`purpose`: `verify`, `reset`, `unsubscribe`).
    pub async fn create_mail_token(
        &mut self,
        token_hash: &str,
        account_id: &str,
        purpose: &str,
        email: &str,
        expires_at: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO mail_tokens (token_hash, account_id, purpose, email, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(account_id)
        .bind(purpose)
        .bind(email)
        .bind(expires_at)
        .execute(self.conn())
        .await?;
        Ok(())
    }
}

impl Database {
    /// The account and address of an unexpired secret sent by email for `purpose`. A `verify`
    /// or `reset` secret works once (used up here); an `unsubscribe` one keeps working until
    /// it expires.
    pub async fn use_mail_token(
        &self,
        token_hash: &str,
        purpose: &str,
    ) -> Result<(String, String)> {
        let now = now_millis();
        let once = purpose != "unsubscribe";
        let row: Option<(String, String)> = sqlx::query_as(
            "UPDATE mail_tokens SET used_at = CASE WHEN $4 THEN $3 ELSE used_at END \
             WHERE token_hash = $1 AND purpose = $2 AND expires_at > $3 \
             AND (used_at IS NULL OR NOT $4) RETURNING account_id, email",
        )
        .bind(token_hash)
        .bind(purpose)
        .bind(now)
        .bind(once)
        .fetch_optional(&mut *self.write().await?)
        .await?;
        row.ok_or(StorageError::NotFound)
    }

    /// Whether a `reset` secret is unused and unexpired, without using it (the form page).
    pub async fn mail_token_open(&self, token_hash: &str, purpose: &str) -> Result<bool> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM mail_tokens WHERE token_hash = $1 AND purpose = $2 \
             AND expires_at > $3 AND used_at IS NULL",
        )
        .bind(token_hash)
        .bind(purpose)
        .bind(now_millis())
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.is_some())
    }

    /// Sets an account's confirmed address; an address another account has confirmed is
    /// [`StorageError::Conflict`].
    pub async fn confirm_email(&self, account_id: &str, email: &str) -> Result<()> {
        sqlx::query("UPDATE accounts SET email = $1, email_verified_at = $2 WHERE id = $3")
            .bind(email)
            .bind(now_millis())
            .bind(account_id)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }

    /// The account whose confirmed address is `email` (compared without case).
    pub async fn recipient_by_email(&self, email: &str) -> Result<Option<Recipient>> {
        let row: Option<RecipientRow> = sqlx::query_as(concat!(
            recipient_select!(),
            "WHERE LOWER(a.email) = LOWER($1) AND a.email_verified_at IS NOT NULL"
        ))
        .bind(email)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(Into::into))
    }

    /// The confirmed address of an account, if any.
    pub async fn confirmed_email(&self, account_id: &str) -> Result<Option<String>> {
        let row: Option<(Option<String>, Option<i64>)> =
            sqlx::query_as("SELECT email, email_verified_at FROM accounts WHERE id = $1")
                .bind(account_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.and_then(|(email, at)| email.filter(|_| at.is_some())))
    }
}

impl Tx {
    /// The instance's administrators who may log in (actor ids), read in this transaction.
    pub async fn instance_admins(&mut self) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT actor_id FROM accounts WHERE is_admin = $1 AND approved = $1 \
             ORDER BY actor_id",
        )
        .bind(true)
        .fetch_all(self.conn())
        .await?)
    }

    /// The local owner and moderators of a group (actor ids), read in this transaction.
    pub async fn group_organisers(&mut self, group_id: &str) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT m.member_id FROM memberships m JOIN accounts a ON a.actor_id = m.member_id \
             WHERE m.group_id = $1 AND m.state = 'accepted' \
             AND m.role IN ('owner', 'moderator') ORDER BY m.member_id",
        )
        .bind(group_id)
        .fetch_all(self.conn())
        .await?)
    }
}

impl Tx {
    /// The local people who answered an event and still wait for it or go (going, maybe,
    /// waitlisted, waiting for approval), read in this transaction.
    pub async fn local_answerers(&mut self, event_id: &str) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT r.actor_id FROM rsvps r JOIN accounts a ON a.actor_id = r.actor_id \
             WHERE r.event_id = $1 AND r.status IN ('going', 'maybe', 'waitlisted', 'pending') \
             ORDER BY r.actor_id",
        )
        .bind(event_id)
        .fetch_all(self.conn())
        .await?)
    }
}

impl Tx {
    /// Who wrote an object, read in this transaction; `None` when it is not stored.
    pub async fn object_author(&mut self, id: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT attributed_to FROM objects WHERE id = $1")
                .bind(id)
                .fetch_optional(self.conn())
                .await?,
        )
    }
}

impl Database {
    /// How many unexpired secrets of `purpose` an account has (how many were sent lately: a
    /// reset link lives an hour, a confirmation link two days), to bound how often they go.
    pub async fn open_mail_tokens(&self, account_id: &str, purpose: &str) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM mail_tokens WHERE account_id = $1 AND purpose = $2 \
             AND expires_at > $3",
        )
        .bind(account_id)
        .bind(purpose)
        .bind(now_millis())
        .fetch_one(&self.pool)
        .await?)
    }

    /// Forgets secrets expired before `now`; returns how many.
    pub async fn prune_mail_tokens(&self, now: i64) -> Result<u64> {
        let done = sqlx::query("DELETE FROM mail_tokens WHERE expires_at <= $1")
            .bind(now)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(done.rows_affected())
    }
}

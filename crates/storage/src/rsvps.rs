//! RSVPs: who answered an event, and how.

use sqlx::FromRow;

use crate::{Database, Result, StorageError, now_millis, text_enum::text_enum};

text_enum!(
    /// An answer to an event.
    RsvpStatus {
        /// Coming.
        Going = "going",
        /// Perhaps coming.
        Maybe = "maybe",
        /// Not coming.
        NotGoing = "not_going",
        /// Wants to come, but the event is full.
        Waitlisted = "waitlisted",
        /// Waits for an organiser's approval.
        Pending = "pending",
        /// Refused by an organiser.
        Rejected = "rejected",
    }
);

/// One actor's answer to an event.
#[derive(Clone, Debug, FromRow)]
pub struct Rsvp {
    /// The event's object id.
    pub event_id: String,
    /// Who answered.
    pub actor_id: String,
    /// [`RsvpStatus`] as stored.
    pub status: String,
    /// The activity that carried the answer.
    pub activity_id: Option<String>,
    /// When they first answered.
    pub created_at: i64,
    /// When the answer last changed.
    pub updated_at: i64,
}

macro_rules! rsvp_columns {
    () => {
        "event_id, actor_id, status, activity_id, created_at, updated_at"
    };
}

impl Database {
    /// Records an answer, or changes an earlier one.
    pub async fn upsert_rsvp(
        &self,
        event_id: &str,
        actor_id: &str,
        status: RsvpStatus,
        activity_id: Option<&str>,
    ) -> Result<Rsvp> {
        Ok(sqlx::query_as(concat!(
            "INSERT INTO rsvps (event_id, actor_id, status, activity_id, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (event_id, actor_id) DO UPDATE SET \
             status = excluded.status, activity_id = excluded.activity_id, \
             updated_at = excluded.updated_at RETURNING ",
            rsvp_columns!()
        ))
        .bind(event_id)
        .bind(actor_id)
        .bind(status.as_str())
        .bind(activity_id)
        .bind(now_millis())
        .fetch_one(&self.pool)
        .await?)
    }

    /// One actor's answer to an event.
    pub async fn rsvp(&self, event_id: &str, actor_id: &str) -> Result<Rsvp> {
        sqlx::query_as(concat!(
            "SELECT ",
            rsvp_columns!(),
            " FROM rsvps WHERE event_id = $1 AND actor_id = $2"
        ))
        .bind(event_id)
        .bind(actor_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StorageError::NotFound)
    }

    /// How many answered an event this way.
    pub async fn count_rsvps(&self, event_id: &str, status: RsvpStatus) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM rsvps WHERE event_id = $1 AND status = $2")
                .bind(event_id)
                .bind(status.as_str())
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// The answers to an event in this state, first come first.
    pub async fn rsvps_with_status(&self, event_id: &str, status: RsvpStatus) -> Result<Vec<Rsvp>> {
        Ok(sqlx::query_as(concat!(
            "SELECT ",
            rsvp_columns!(),
            " FROM rsvps WHERE event_id = $1 AND status = $2 \
             ORDER BY created_at, actor_id"
        ))
        .bind(event_id)
        .bind(status.as_str())
        .fetch_all(&self.pool)
        .await?)
    }
}

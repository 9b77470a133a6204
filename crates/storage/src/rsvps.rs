//! RSVPs: who answered an event, and how.

use sqlx::FromRow;

use crate::{Database, Result, StorageError, now_millis, text_enum::text_enum};

text_enum!(
    /// How an answer arrived, and so how the person is told of changes.
    RsvpVia {
        /// A local person, on this server.
        Local = "local",
        /// `Join` (Mobilizon, Kith): answered with `Accept{Join}` / `Reject{Join}`.
        Join = "join",
        /// `Accept`/`TentativeAccept`/`Reject` of the Event (Friendica, Hubzilla).
        Accept = "accept",
        /// A vote in the event's poll (Mastodon): told by direct message.
        Poll = "poll",
    }
);

/// What one answer changed: the row before and after, and who moved up from the waitlist.
#[derive(Clone, Debug, Default)]
pub struct RsvpChange {
    /// The answer before (`None`: there was none).
    pub before: Option<Rsvp>,
    /// The answer after (`None`: it was withdrawn).
    pub after: Option<Rsvp>,
    /// Waitlisted people who now have a place, in the order they waited.
    pub promoted: Vec<Rsvp>,
}

impl RsvpChange {
    /// Whether the stored status changed.
    pub fn changed(&self) -> bool {
        self.before.as_ref().map(|r| r.status) != self.after.as_ref().map(|r| r.status)
    }
}

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
    /// The answer.
    pub status: RsvpStatus,
    /// The activity that carried the answer.
    pub activity_id: Option<String>,
    /// When they first answered.
    pub created_at: i64,
    /// When the answer last changed (the waitlist is served in this order).
    pub updated_at: i64,
    /// How it arrived.
    pub via: RsvpVia,
}

macro_rules! rsvp_columns {
    () => {
        "event_id, actor_id, status, activity_id, created_at, updated_at, via"
    };
}

impl Database {
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

    /// Records an answer as given, without capacity rules: for local people answering a
    /// remote event, whose own server decides.
    pub async fn record_rsvp(
        &self,
        event_id: &str,
        actor_id: &str,
        status: RsvpStatus,
        activity_id: Option<&str>,
        via: RsvpVia,
    ) -> Result<Rsvp> {
        record_rsvp_on(
            &mut *self.write().await?,
            event_id,
            actor_id,
            status,
            activity_id,
            via,
            now_millis(),
        )
        .await
    }

    /// The answer a local person sent to a remote event with this activity id (`Join`).
    pub async fn rsvp_by_activity(&self, activity_id: &str) -> Result<Rsvp> {
        sqlx::query_as(concat!(
            "SELECT ",
            rsvp_columns!(),
            " FROM rsvps WHERE activity_id = $1"
        ))
        .bind(activity_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StorageError::NotFound)
    }

    /// Everything a person answered, soonest event first.
    pub async fn rsvps_of(&self, actor_id: &str) -> Result<Vec<Rsvp>> {
        Ok(sqlx::query_as(concat!(
            "SELECT ",
            rsvp_columns!(),
            " FROM rsvps WHERE actor_id = $1 ORDER BY created_at"
        ))
        .bind(actor_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Records an answer, bound by the event's capacity: `Going` becomes `Waitlisted` when the
    /// event is full, and anyone who gives up a place hands it to the first person waiting.
    /// Answers to one event are decided one at a time across processes (the event row is
    /// written first, which locks it on PostgreSQL and takes SQLite's write lock), so
    /// concurrent joins never overfill an event. `status: None` withdraws the answer.
    pub async fn answer_event(
        &self,
        event_id: &str,
        actor_id: &str,
        status: Option<RsvpStatus>,
        activity_id: Option<&str>,
        via: RsvpVia,
    ) -> Result<RsvpChange> {
        let mut tx = self.begin().await?;
        let done = tx
            .answer_event(event_id, actor_id, status, activity_id, via)
            .await?;
        tx.commit().await?;
        Ok(done)
    }

    /// Gives free places to the people waiting, first come first (after an organiser raised
    /// the capacity or approved someone).
    pub async fn fill_from_waitlist(&self, event_id: &str) -> Result<Vec<Rsvp>> {
        let mut tx = self.begin().await?;
        let done = tx.fill_from_waitlist(event_id).await?;
        tx.commit().await?;
        Ok(done)
    }

    /// Counts of an event's answers: (going, maybe, waitlisted, pending).
    pub async fn rsvp_counts(&self, event_id: &str) -> Result<RsvpCounts> {
        let rows: Vec<(RsvpStatus, i64)> = sqlx::query_as(
            "SELECT status, COUNT(*) FROM rsvps WHERE event_id = $1 GROUP BY status",
        )
        .bind(event_id)
        .fetch_all(&self.pool)
        .await?;
        let mut counts = RsvpCounts::default();
        for (status, n) in rows {
            match status {
                RsvpStatus::Going => counts.going = n,
                RsvpStatus::Maybe => counts.maybe = n,
                RsvpStatus::NotGoing => counts.not_going = n,
                RsvpStatus::Waitlisted => counts.waitlisted = n,
                RsvpStatus::Pending => counts.pending = n,
                RsvpStatus::Rejected => {}
            }
        }
        Ok(counts)
    }
}

/// How many answered an event each way.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RsvpCounts {
    /// Coming.
    pub going: i64,
    /// Perhaps coming.
    pub maybe: i64,
    /// Not coming.
    pub not_going: i64,
    /// Waiting for a place.
    pub waitlisted: i64,
    /// Waiting for an organiser.
    pub pending: i64,
}

type WriteTx = crate::write::WriteTx;

async fn going_count(tx: &mut WriteTx, event_id: &str) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM rsvps WHERE event_id = $1 AND status = 'going'")
            .bind(event_id)
            .fetch_one(&mut **tx)
            .await?,
    )
}

async fn has_room(tx: &mut WriteTx, event_id: &str, capacity: Option<i64>) -> Result<bool> {
    Ok(match capacity {
        None => true,
        Some(capacity) => going_count(tx, event_id).await? < capacity,
    })
}

/// Moves waitlisted people to going while there is room.
async fn promote(tx: &mut WriteTx, event_id: &str, capacity: Option<i64>) -> Result<Vec<Rsvp>> {
    let free = match capacity {
        None => i64::MAX,
        Some(capacity) => capacity - going_count(tx, event_id).await?,
    };
    if free <= 0 {
        return Ok(Vec::new());
    }
    let waiting: Vec<Rsvp> = sqlx::query_as(concat!(
        "SELECT ",
        rsvp_columns!(),
        " FROM rsvps WHERE event_id = $1 AND status = 'waitlisted' \
         ORDER BY updated_at, actor_id LIMIT $2"
    ))
    .bind(event_id)
    .bind(free.min(10_000))
    .fetch_all(&mut **tx)
    .await?;
    let now = now_millis();
    let mut promoted = Vec::with_capacity(waiting.len());
    for mut rsvp in waiting {
        sqlx::query(
            "UPDATE rsvps SET status = 'going', updated_at = $1 \
             WHERE event_id = $2 AND actor_id = $3",
        )
        .bind(now)
        .bind(event_id)
        .bind(&rsvp.actor_id)
        .execute(&mut **tx)
        .await?;
        rsvp.status = RsvpStatus::Going;
        rsvp.updated_at = now;
        promoted.push(rsvp);
    }
    Ok(promoted)
}

impl crate::Tx {
    /// [`Database::answer_event`] inside this transaction, with the replies it causes.
    pub async fn answer_event(
        &mut self,
        event_id: &str,
        actor_id: &str,
        status: Option<RsvpStatus>,
        activity_id: Option<&str>,
        via: RsvpVia,
    ) -> Result<RsvpChange> {
        let tx = self.write_tx();
        let capacity: Option<Option<i64>> = sqlx::query_scalar(
            "UPDATE events SET rsvp_lock = rsvp_lock + 1 WHERE object_id = $1 RETURNING capacity",
        )
        .bind(event_id)
        .fetch_optional(&mut **tx)
        .await?;
        let capacity = capacity.ok_or(StorageError::NotFound)?;
        let before: Option<Rsvp> = sqlx::query_as(concat!(
            "SELECT ",
            rsvp_columns!(),
            " FROM rsvps WHERE event_id = $1 AND actor_id = $2"
        ))
        .bind(event_id)
        .bind(actor_id)
        .fetch_optional(&mut **tx)
        .await?;
        let was = before.as_ref().map(|r| r.status);
        let status = match status {
            // A person with a place keeps it however often they say they come.
            Some(RsvpStatus::Going | RsvpStatus::Pending) if was == Some(RsvpStatus::Going) => {
                Some(RsvpStatus::Going)
            }
            Some(RsvpStatus::Going) if was == Some(RsvpStatus::Waitlisted) => {
                Some(RsvpStatus::Waitlisted)
            }
            Some(RsvpStatus::Going) if !has_room(tx, event_id, capacity).await? => {
                Some(RsvpStatus::Waitlisted)
            }
            other => other,
        };
        let now = now_millis();
        let after = match status {
            None => {
                sqlx::query("DELETE FROM rsvps WHERE event_id = $1 AND actor_id = $2")
                    .bind(event_id)
                    .bind(actor_id)
                    .execute(&mut **tx)
                    .await?;
                None
            }
            Some(status) if Some(status) == was => {
                // Unchanged: keep the place in the waitlist (ordered by updated_at).
                sqlx::query(
                    "UPDATE rsvps SET activity_id = COALESCE($1, activity_id), via = $2 \
                     WHERE event_id = $3 AND actor_id = $4",
                )
                .bind(activity_id)
                .bind(via.as_str())
                .bind(event_id)
                .bind(actor_id)
                .execute(&mut **tx)
                .await?;
                before.clone()
            }
            Some(status) => {
                Some(record_rsvp_on(tx, event_id, actor_id, status, activity_id, via, now).await?)
            }
        };
        let promoted = promote(tx, event_id, capacity).await?;
        Ok(RsvpChange {
            before,
            after,
            promoted,
        })
    }

    /// [`Database::fill_from_waitlist`] inside this transaction, with the replies it causes.
    pub async fn fill_from_waitlist(&mut self, event_id: &str) -> Result<Vec<Rsvp>> {
        let tx = self.write_tx();
        let capacity: Option<Option<i64>> = sqlx::query_scalar(
            "UPDATE events SET rsvp_lock = rsvp_lock + 1 WHERE object_id = $1 RETURNING capacity",
        )
        .bind(event_id)
        .fetch_optional(&mut **tx)
        .await?;
        let promoted = promote(tx, event_id, capacity.ok_or(StorageError::NotFound)?).await?;
        Ok(promoted)
    }

    /// [`Database::record_rsvp`] inside this transaction, with the answer it sends.
    pub async fn record_rsvp(
        &mut self,
        event_id: &str,
        actor_id: &str,
        status: RsvpStatus,
        activity_id: Option<&str>,
        via: RsvpVia,
    ) -> Result<Rsvp> {
        record_rsvp_on(
            self.conn(),
            event_id,
            actor_id,
            status,
            activity_id,
            via,
            now_millis(),
        )
        .await
    }
}

/// Writes an answer as given (an earlier answer's activity id kept when none is given), on a
/// connection or inside a transaction: the `record_rsvp`s, and `answer_event` once it has
/// decided the status.
async fn record_rsvp_on(
    conn: &mut sqlx::AnyConnection,
    event_id: &str,
    actor_id: &str,
    status: RsvpStatus,
    activity_id: Option<&str>,
    via: RsvpVia,
    now: i64,
) -> Result<Rsvp> {
    Ok(sqlx::query_as(concat!(
        "INSERT INTO rsvps (event_id, actor_id, status, activity_id, created_at, updated_at, \
         via) VALUES ($1, $2, $3, $4, $5, $5, $6) ON CONFLICT (event_id, actor_id) DO UPDATE \
         SET status = excluded.status, \
         activity_id = COALESCE(excluded.activity_id, rsvps.activity_id), \
         updated_at = excluded.updated_at, via = excluded.via RETURNING ",
        rsvp_columns!()
    ))
    .bind(event_id)
    .bind(actor_id)
    .bind(status.as_str())
    .bind(activity_id)
    .bind(now)
    .bind(via.as_str())
    .fetch_one(conn)
    .await?)
}

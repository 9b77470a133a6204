//! Private messages about remote events (migration 0021): what an event's group sent one local
//! person alone (the online link of an event they are going to). Read only for that person, on
//! that event's page: no listing of objects, feed, collection or API answer reads this table.

use sqlx::FromRow;

use crate::{Database, Result};

/// One message, as its recipient is shown it.
#[derive(Clone, Debug, FromRow)]
pub struct EventMessage {
    /// The direct `Note`'s id.
    pub id: String,
    /// The event it is about.
    pub event_id: String,
    /// The local person it was sent to.
    pub recipient_id: String,
    /// Who sent it (the event's group).
    pub sender_id: String,
    /// Its sanitised HTML.
    pub content: String,
    /// When it arrived.
    pub received_at: i64,
}

/// The most messages an event's page shows one person (the newest).
pub const SHOWN_MESSAGES: i64 = 5;

impl Database {
    /// The messages `recipient_id` received about `event_id`, newest first (at most
    /// [`SHOWN_MESSAGES`]). Nobody else's are ever read: the recipient is part of the key.
    pub async fn event_messages_for(
        &self,
        event_id: &str,
        recipient_id: &str,
    ) -> Result<Vec<EventMessage>> {
        Ok(sqlx::query_as(
            "SELECT id, event_id, recipient_id, sender_id, content, received_at \
             FROM event_messages WHERE event_id = $1 AND recipient_id = $2 \
             ORDER BY received_at DESC, id DESC LIMIT $3",
        )
        .bind(event_id)
        .bind(recipient_id)
        .bind(SHOWN_MESSAGES)
        .fetch_all(&self.pool)
        .await?)
    }
}

impl crate::Tx {
    /// Keeps a message for its recipient (`false`: it was kept before, a redelivery).
    pub async fn keep_event_message(&mut self, message: &EventMessage) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO event_messages \
             (id, event_id, recipient_id, sender_id, content, received_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id, recipient_id) DO NOTHING",
        )
        .bind(&message.id)
        .bind(&message.event_id)
        .bind(&message.recipient_id)
        .bind(&message.sender_id)
        .bind(&message.content)
        .bind(message.received_at)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Forgets every message about an event that was deleted (its page is gone, and what it
    /// told people alone is kept no longer than the event).
    pub async fn delete_event_messages(&mut self, event_id: &str) -> Result<u64> {
        let done = sqlx::query("DELETE FROM event_messages WHERE event_id = $1")
            .bind(event_id)
            .execute(self.conn())
            .await?;
        Ok(done.rows_affected())
    }
}

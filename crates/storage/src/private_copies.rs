//! Where a members-only or hidden group's own copies of posts went (issue 26; migration 0026).
//!
//! Mastodon-family members' servers get the group's own followers-only copy of each post
//! (kith-federation `activities::private_copy`), each server its own. An edit or a deletion
//! of the post must reach every copy, and no other server: the inboxes that received a copy
//! are recorded in the transaction that queues it, and read back when the post changes.
//! Also the members a server holds, for FEP-8fcf followers synchronization.

use crate::{Database, Result, Tx};

impl Database {
    /// The inboxes that received the group's copy of a post (empty for a public group's post,
    /// or one shared before copies were recorded), in a stable order.
    pub async fn copy_inboxes(&self, object_id: &str) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT inbox FROM private_copy_inboxes WHERE object_id = $1 ORDER BY inbox",
        )
        .bind(object_id)
        .fetch_all(&self.pool)
        .await?)
    }
}

impl Tx {
    /// Records that the group's copy of a post was queued for `inboxes`, with the deliveries
    /// (an inbox recorded twice is kept once).
    pub async fn record_copy_inboxes(&mut self, object_id: &str, inboxes: &[String]) -> Result<()> {
        for inbox in inboxes {
            sqlx::query(
                "INSERT INTO private_copy_inboxes (object_id, inbox) VALUES ($1, $2) \
                 ON CONFLICT (object_id, inbox) DO NOTHING",
            )
            .bind(object_id)
            .bind(inbox)
            .execute(self.conn())
            .await?;
        }
        Ok(())
    }
}

impl Database {
    /// The ids of a group's accepted members whose ids begin with `prefix` (a server's
    /// `scheme://authority/`): the partial followers collection FEP-8fcf gives that server,
    /// sorted as Mastodon sorts it.
    pub async fn member_ids_under(&self, group_id: &str, prefix: &str) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT member_id FROM memberships WHERE group_id = $1 AND state = 'accepted' \
             AND substr(member_id, 1, length($2)) = $3 ORDER BY member_id",
        )
        .bind(group_id)
        .bind(prefix)
        .bind(prefix)
        .fetch_all(&self.pool)
        .await?)
    }
}

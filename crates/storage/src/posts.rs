//! Posts in local groups as the group redistributes them: the outbox of announced posts, the
//! queue of posts held for moderators, and lookups by the group's `Announce` id.

use std::collections::HashMap;

use crate::db::{BIND_BATCH, placeholders};
use crate::{Database, Result, StorageError, objects::StoredObject, objects::object_columns};

impl Database {
    /// The object a local group's `Announce` id stands for.
    pub async fn object_by_announce_id(&self, announce_id: &str) -> Result<StoredObject> {
        sqlx::query_as(concat!(
            "SELECT ",
            object_columns!(),
            " FROM objects WHERE announce_id = $1"
        ))
        .bind(announce_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StorageError::NotFound)
    }

    /// A page of what a group announced (posts and replies), newest first, published before
    /// `before`: the group's outbox.
    pub async fn group_outbox_page(
        &self,
        group_id: &str,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<StoredObject>> {
        Ok(sqlx::query_as(concat!(
            "SELECT ",
            object_columns!(),
            " FROM objects WHERE group_id = $1 AND announce_id IS NOT NULL \
             AND deleted_at IS NULL AND published_at < $2 \
             ORDER BY published_at DESC, id DESC LIMIT $3"
        ))
        .bind(group_id)
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// How many live posts a group announced.
    pub async fn count_group_outbox(&self, group_id: &str) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM objects WHERE group_id = $1 AND announce_id IS NOT NULL \
             AND deleted_at IS NULL",
        )
        .bind(group_id)
        .fetch_one(&self.pool)
        .await?)
    }

    /// How many live, visible replies an object has (direct messages are not counted).
    pub async fn count_replies(&self, object_id: &str) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM objects WHERE in_reply_to = $1 AND deleted_at IS NULL \
             AND held_reason IS NULL AND visibility <> 'direct'",
        )
        .bind(object_id)
        .fetch_one(&self.pool)
        .await?)
    }

    /// How many visible replies each of these objects has (objects without replies are absent).
    pub async fn reply_counts(&self, object_ids: &[&str]) -> Result<HashMap<String, i64>> {
        let mut counts = HashMap::new();
        for chunk in object_ids.chunks(BIND_BATCH) {
            let sql = format!(
                "SELECT in_reply_to, COUNT(*) FROM objects WHERE in_reply_to IN ({}) \
                 AND deleted_at IS NULL AND held_reason IS NULL AND visibility <> 'direct' \
                 GROUP BY in_reply_to",
                placeholders(chunk.len())
            );
            let mut query = sqlx::query_as::<_, (String, i64)>(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                query = query.bind(*id);
            }
            counts.extend(query.fetch_all(&self.pool).await?);
        }
        Ok(counts)
    }

    /// The posts of a group that wait for a moderator, oldest first.
    pub async fn held_posts(&self, group_id: &str) -> Result<Vec<StoredObject>> {
        Ok(sqlx::query_as(concat!(
            "SELECT ",
            object_columns!(),
            " FROM objects WHERE group_id = $1 AND held_reason IS NOT NULL \
             AND deleted_at IS NULL ORDER BY published_at, id"
        ))
        .bind(group_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Makes a post visible and records the group's `Announce` of it (`None` for a reply the
    /// group keeps in its thread without boosting).
    pub async fn publish_object(&self, id: &str, announce_id: Option<&str>) -> Result<()> {
        publish_object_in(&mut *self.write().await?, id, announce_id).await
    }

    /// Takes a post out of its group without deleting it (a local author's post that a remote
    /// group's moderators removed): it stays on the author's page only.
    pub async fn detach_from_group(&self, id: &str) -> Result<()> {
        sqlx::query("UPDATE objects SET group_id = NULL, announce_id = NULL WHERE id = $1")
            .bind(id)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }

    /// How many groups an account created since `since` (milliseconds), for the creation cap.
    pub async fn groups_created_since(&self, account_id: &str, since: i64) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM local_groups WHERE created_by = $1 AND created_at >= $2",
        )
        .bind(account_id)
        .bind(since)
        .fetch_one(&self.pool)
        .await?)
    }
}

impl crate::Tx {
    /// [`Database::publish_object`] inside this transaction, with the announces it queues.
    pub async fn publish_object(&mut self, id: &str, announce_id: Option<&str>) -> Result<()> {
        publish_object_in(self.conn(), id, announce_id).await
    }
}

async fn publish_object_in(
    conn: &mut sqlx::AnyConnection,
    id: &str,
    announce_id: Option<&str>,
) -> Result<()> {
    let done = sqlx::query(
        "UPDATE objects SET held_reason = NULL, announce_id = $1 \
         WHERE id = $2 AND deleted_at IS NULL",
    )
    .bind(announce_id)
    .bind(id)
    .execute(conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StorageError::NotFound);
    }
    Ok(())
}

//! Remote HTML already stored, read in pages by id and replaced where it is unchanged since it
//! was read: Kith cleans again, once, the rows an older version stored before its sanitiser
//! bounded nesting and size (kith-federation's `legacy_html`).

use crate::{Database, Result};

impl Database {
    /// Ids and content of remote objects with content, after `after` in id order, at most
    /// `limit`.
    pub async fn remote_content_after(
        &self,
        after: &str,
        limit: i64,
    ) -> Result<Vec<(String, String)>> {
        Ok(sqlx::query_as(
            "SELECT id, content FROM objects WHERE local = FALSE AND content IS NOT NULL \
             AND id > $1 ORDER BY id LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Replaces a remote object's content with `new` if it is still `old` (an edit that came
    /// in meanwhile is kept); whether it was replaced. `updated_at` is left alone: the post
    /// was not edited.
    pub async fn replace_remote_content(&self, id: &str, old: &str, new: &str) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE objects SET content = $1 WHERE id = $2 AND content = $3 AND local = FALSE",
        )
        .bind(new)
        .bind(id)
        .bind(old)
        .execute(&mut *self.write().await?)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}

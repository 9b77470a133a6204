//! Members-only and hidden groups (issue 26): changing a group's visibility, and the reads that
//! decide who may see a non-public group's content (never cached: a leave or ban counts at
//! once).

use crate::{Database, Result, StorageError, groups::GroupVisibility, now_millis};

impl Database {
    /// Whether a group has anything it published or kept: a post, reply, event or poll (live,
    /// held or deleted). A public group with content may not become private: its past was
    /// already served to everyone and copied by other servers.
    pub async fn group_has_content(&self, group_id: &str) -> Result<bool> {
        let found: Option<String> =
            sqlx::query_scalar("SELECT id FROM objects WHERE group_id = $1 LIMIT 1")
                .bind(group_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(found.is_some())
    }

    /// Changes who may see a local group (the rules about when are kith-federation's).
    pub async fn set_group_visibility(
        &self,
        group_id: &str,
        visibility: GroupVisibility,
    ) -> Result<()> {
        let done = sqlx::query(
            "UPDATE actors SET visibility = $1, updated_at = $2 WHERE id = $3 AND local \
             AND kind = 'Group'",
        )
        .bind(visibility.as_str())
        .bind(now_millis())
        .bind(group_id)
        .execute(&mut *self.write().await?)
        .await?;
        self.lookups.forget_actor(group_id);
        if done.rows_affected() == 0 {
            return Err(StorageError::NotFound);
        }
        Ok(())
    }

    /// Whether an actor is an accepted member of a group (read on every request for a
    /// non-public group's content, never from a cache: a leave or ban counts at once).
    pub async fn is_accepted_member(&self, group_id: &str, member_id: &str) -> Result<bool> {
        let found: Option<String> = sqlx::query_scalar(
            "SELECT member_id FROM memberships WHERE group_id = $1 AND member_id = $2 \
             AND state = 'accepted'",
        )
        .bind(group_id)
        .bind(member_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.is_some())
    }

    /// Whether a server (by host, as in actor ids) holds at least one accepted member of a
    /// group: the servers that may fetch a non-public group's documents (as Lemmy grants its
    /// private communities' content to instances with an accepted follower).
    pub async fn host_has_accepted_member(&self, group_id: &str, host: &str) -> Result<bool> {
        let found: Option<String> = sqlx::query_scalar(
            "SELECT m.member_id FROM memberships m JOIN actors a ON a.id = m.member_id \
             WHERE m.group_id = $1 AND m.state = 'accepted' AND a.domain = $2 LIMIT 1",
        )
        .bind(group_id)
        .bind(host)
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.is_some())
    }

    /// The servers holding accepted members of a group, with how many each holds, most first
    /// (what an organiser of a non-public group is shown: each keeps copies of its content).
    pub async fn member_hosts(&self, group_id: &str) -> Result<Vec<(String, i64)>> {
        Ok(sqlx::query_as(
            "SELECT a.domain, COUNT(*) AS n FROM memberships m JOIN actors a \
             ON a.id = m.member_id WHERE m.group_id = $1 AND m.state = 'accepted' \
             GROUP BY a.domain ORDER BY n DESC, a.domain",
        )
        .bind(group_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Whether a local person may see what a followed remote group shared with its followers
    /// only (a private community's posts, a followers-only event): they follow it themselves,
    /// or they are an accepted member of a local group that follows it (through its relay,
    /// `{group}/relay`, or as itself). Read on each request.
    pub async fn may_see_remote_private(
        &self,
        remote_group_id: &str,
        person_id: &str,
    ) -> Result<bool> {
        let found: Option<String> = sqlx::query_scalar(
            "SELECT f.follower_id FROM follows f WHERE f.followee_id = $1 \
             AND f.state = 'accepted' AND (f.follower_id = $2 OR f.follower_id IN \
             (SELECT m.group_id FROM memberships m WHERE m.member_id = $2 \
             AND m.state = 'accepted') OR f.follower_id IN \
             (SELECT m.group_id || '/relay' FROM memberships m WHERE m.member_id = $2 \
             AND m.state = 'accepted')) LIMIT 1",
        )
        .bind(remote_group_id)
        .bind(person_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.is_some())
    }

    /// Whether a person shows their group memberships on their page (the default) or chose
    /// not to.
    pub async fn memberships_shown(&self, actor_id: &str) -> Result<bool> {
        let hidden: Option<String> =
            sqlx::query_scalar("SELECT actor_id FROM hidden_memberships WHERE actor_id = $1")
                .bind(actor_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(hidden.is_none())
    }

    /// Records whether a person shows their group memberships on their page.
    pub async fn set_memberships_shown(&self, actor_id: &str, shown: bool) -> Result<()> {
        let mut conn = self.write().await?;
        if shown {
            sqlx::query("DELETE FROM hidden_memberships WHERE actor_id = $1")
                .bind(actor_id)
                .execute(&mut *conn)
                .await?;
        } else {
            sqlx::query(
                "INSERT INTO hidden_memberships (actor_id, created_at) VALUES ($1, $2) \
                 ON CONFLICT (actor_id) DO NOTHING",
            )
            .bind(actor_id)
            .bind(now_millis())
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }
}

impl crate::Tx {
    /// [`Database::set_group_visibility`] inside this transaction (the group's copy in memory
    /// forgotten once it commits).
    pub async fn set_group_visibility(
        &mut self,
        group_id: &str,
        visibility: GroupVisibility,
    ) -> Result<()> {
        let done = sqlx::query(
            "UPDATE actors SET visibility = $1, updated_at = $2 WHERE id = $3 AND local \
             AND kind = 'Group'",
        )
        .bind(visibility.as_str())
        .bind(now_millis())
        .bind(group_id)
        .execute(self.conn())
        .await?;
        self.changed_actor(group_id);
        if done.rows_affected() == 0 {
            return Err(StorageError::NotFound);
        }
        Ok(())
    }
}

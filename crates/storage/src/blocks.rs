//! Who is kept out: people banned from a group, servers blocked or silenced by the instance, and
//! single remote actors blocked instance-wide. These checks read the database, so a block made
//! by the CLI in another process applies at once to them; the inbox's checks on every request
//! use a copy in memory that sees it within [`crate::BLOCKS_TTL`] (`lookup_cache.rs`).
//!
//! A server's block covers the names under it and, when it names no port, every port
//! (`domains.rs`); where several blocks cover a host, the strongest applies.

use sqlx::FromRow;

use crate::domains::{covered_condition, covering_names};
use crate::{Database, Result, StorageError, now_millis, text_enum::text_enum};

text_enum!(
    /// How strongly a server is kept out.
    DomainSeverity {
        /// Nothing is delivered to it or accepted from it; its memberships end.
        Block = "block",
        /// Accepted, but its posts are held for moderators and its joins wait for approval.
        Silence = "silence",
    }
);

impl DomainSeverity {
    /// The strongest of several blocks covering one host (a block outweighs a silence).
    pub fn strongest(found: impl IntoIterator<Item = DomainSeverity>) -> Option<DomainSeverity> {
        found
            .into_iter()
            .max_by_key(|s| matches!(s, DomainSeverity::Block))
    }
}

/// A person banned from a local group.
#[derive(Clone, Debug, FromRow)]
pub struct GroupBan {
    /// The group's actor id.
    pub group_id: String,
    /// The banned actor's id.
    pub actor_id: String,
    /// Why, as the moderator said.
    pub reason: Option<String>,
    /// The id of the `Block` that announced it (undone when the ban is lifted).
    pub activity_id: String,
    /// When.
    pub created_at: i64,
}

/// A server blocked or silenced by the instance.
#[derive(Clone, Debug, FromRow)]
pub struct DomainBlock {
    /// The host, with `:port` where servers differ only by port.
    pub domain: String,
    /// How strongly it is kept out.
    pub severity: DomainSeverity,
    /// Why.
    pub reason: Option<String>,
    /// When.
    pub created_at: i64,
}

/// A remote actor blocked instance-wide.
#[derive(Clone, Debug, FromRow)]
pub struct ActorBlock {
    /// The actor's id.
    pub actor_id: String,
    /// Why.
    pub reason: Option<String>,
    /// When.
    pub created_at: i64,
}

impl Database {
    /// Bans an actor from a group and ends their membership, in one transaction. A second ban
    /// keeps the first one's activity id and updates the reason.
    pub async fn ban_from_group(
        &self,
        group_id: &str,
        actor_id: &str,
        reason: Option<&str>,
        activity_id: &str,
    ) -> Result<GroupBan> {
        let mut tx = self.begin().await?;
        let ban = tx
            .ban_from_group(group_id, actor_id, reason, activity_id)
            .await?;
        tx.commit().await?;
        Ok(ban)
    }

    /// Lifts a ban; returns it, or `NotFound` when there was none.
    pub async fn unban_from_group(&self, group_id: &str, actor_id: &str) -> Result<GroupBan> {
        unban_in(&mut *self.write().await?, group_id, actor_id).await
    }

    /// Whether an actor is banned from a group.
    pub async fn is_banned(&self, group_id: &str, actor_id: &str) -> Result<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM group_bans WHERE group_id = $1 AND actor_id = $2",
        )
        .bind(group_id)
        .bind(actor_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }

    /// A group's bans, newest first.
    pub async fn group_bans(&self, group_id: &str) -> Result<Vec<GroupBan>> {
        Ok(sqlx::query_as(
            "SELECT group_id, actor_id, reason, activity_id, created_at FROM group_bans \
             WHERE group_id = $1 ORDER BY created_at DESC, actor_id",
        )
        .bind(group_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Blocks or silences a server (or changes how strongly). A block also ends every
    /// membership its actors hold here and drops what waits to be delivered to it; returns
    /// how many memberships ended.
    pub async fn block_domain(
        &self,
        domain: &str,
        severity: DomainSeverity,
        reason: Option<&str>,
    ) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO domain_blocks (domain, severity, reason, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (domain) \
             DO UPDATE SET severity = excluded.severity, reason = excluded.reason",
        )
        .bind(domain)
        .bind(severity.as_str())
        .bind(reason)
        .bind(now_millis())
        .execute(&mut *tx)
        .await?;
        let mut ended = 0;
        if severity == DomainSeverity::Block {
            // The servers under the name and on its other ports too (`domains.rs`).
            let (covered, values) = covered_condition("domain", domain, 1);
            let sql = format!(
                "DELETE FROM memberships WHERE member_id IN \
                 (SELECT id FROM actors WHERE {covered} AND NOT local)"
            );
            // Only placeholders are formatted in; every value is bound.
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for value in &values {
                query = query.bind(value.as_str());
            }
            ended = query.execute(&mut *tx).await?.rows_affected();
            let (covered, values) = covered_condition("host", domain, 1);
            let sql = format!("DELETE FROM deliveries WHERE {covered}");
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for value in &values {
                query = query.bind(value.as_str());
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        self.lookups.clear_blocks();
        Ok(ended)
    }

    /// Lifts a server's block or silence; `NotFound` when there was none.
    pub async fn unblock_domain(&self, domain: &str) -> Result<()> {
        let done = sqlx::query("DELETE FROM domain_blocks WHERE domain = $1")
            .bind(domain)
            .execute(&mut *self.write().await?)
            .await?;
        self.lookups.clear_blocks();
        if done.rows_affected() == 0 {
            return Err(StorageError::NotFound);
        }
        Ok(())
    }

    /// How a server (a canonical host, `domains::host_of`) is kept out, if it is: by a block
    /// of its name, of a name above it, or of its port.
    pub async fn domain_severity(&self, domain: &str) -> Result<Option<DomainSeverity>> {
        let names = covering_names(domain);
        let sql = format!(
            "SELECT severity FROM domain_blocks WHERE domain IN ({})",
            crate::db::placeholders(names.len())
        );
        // Only placeholders are formatted in; every value is bound.
        let mut query = sqlx::query_scalar::<_, DomainSeverity>(sqlx::AssertSqlSafe(sql));
        for name in &names {
            query = query.bind(name.as_str());
        }
        let found = query.fetch_all(&self.pool).await?;
        Ok(DomainSeverity::strongest(found))
    }

    /// Every blocked or silenced server, by name.
    pub async fn domain_blocks(&self) -> Result<Vec<DomainBlock>> {
        Ok(sqlx::query_as(
            "SELECT domain, severity, reason, created_at FROM domain_blocks ORDER BY domain",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Blocks a remote actor instance-wide and ends its memberships; returns how many ended.
    pub async fn block_actor(&self, actor_id: &str, reason: Option<&str>) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO actor_blocks (actor_id, reason, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (actor_id) DO UPDATE SET reason = excluded.reason",
        )
        .bind(actor_id)
        .bind(reason)
        .bind(now_millis())
        .execute(&mut *tx)
        .await?;
        let ended = sqlx::query("DELETE FROM memberships WHERE member_id = $1")
            .bind(actor_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        self.lookups.clear_blocks();
        Ok(ended)
    }

    /// Lifts an instance-wide block of an actor; `NotFound` when there was none.
    pub async fn unblock_actor(&self, actor_id: &str) -> Result<()> {
        let done = sqlx::query("DELETE FROM actor_blocks WHERE actor_id = $1")
            .bind(actor_id)
            .execute(&mut *self.write().await?)
            .await?;
        self.lookups.clear_blocks();
        if done.rows_affected() == 0 {
            return Err(StorageError::NotFound);
        }
        Ok(())
    }

    /// Whether an actor is blocked instance-wide.
    pub async fn is_actor_blocked(&self, actor_id: &str) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM actor_blocks WHERE actor_id = $1")
            .bind(actor_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(n > 0)
    }

    /// Every actor blocked instance-wide, newest first.
    pub async fn actor_blocks(&self) -> Result<Vec<ActorBlock>> {
        Ok(sqlx::query_as(
            "SELECT actor_id, reason, created_at FROM actor_blocks \
             ORDER BY created_at DESC, actor_id",
        )
        .fetch_all(&self.pool)
        .await?)
    }
}

impl crate::Tx {
    /// [`Database::ban_from_group`] inside this transaction (with what announces the ban).
    pub async fn ban_from_group(
        &mut self,
        group_id: &str,
        actor_id: &str,
        reason: Option<&str>,
        activity_id: &str,
    ) -> Result<GroupBan> {
        let conn = self.conn();
        sqlx::query("DELETE FROM memberships WHERE group_id = $1 AND member_id = $2")
            .bind(group_id)
            .bind(actor_id)
            .execute(&mut *conn)
            .await?;
        Ok(sqlx::query_as(
            "INSERT INTO group_bans (group_id, actor_id, reason, activity_id, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (group_id, actor_id) \
             DO UPDATE SET reason = excluded.reason \
             RETURNING group_id, actor_id, reason, activity_id, created_at",
        )
        .bind(group_id)
        .bind(actor_id)
        .bind(reason)
        .bind(activity_id)
        .bind(now_millis())
        .fetch_one(conn)
        .await?)
    }

    /// [`Database::unban_from_group`] inside this transaction.
    pub async fn unban_from_group(&mut self, group_id: &str, actor_id: &str) -> Result<GroupBan> {
        unban_in(self.conn(), group_id, actor_id).await
    }
}

async fn unban_in(
    conn: &mut sqlx::AnyConnection,
    group_id: &str,
    actor_id: &str,
) -> Result<GroupBan> {
    sqlx::query_as(
        "DELETE FROM group_bans WHERE group_id = $1 AND actor_id = $2 \
         RETURNING group_id, actor_id, reason, activity_id, created_at",
    )
    .bind(group_id)
    .bind(actor_id)
    .fetch_optional(conn)
    .await?
    .ok_or(StorageError::NotFound)
}

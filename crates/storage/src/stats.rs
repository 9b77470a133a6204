//! Usage counts for NodeInfo.

use crate::{Database, Result, now_millis};

/// How much this instance is used, as NodeInfo reports it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UsageStats {
    /// Local accounts.
    pub users_total: i64,
    /// Local accounts active in the last 30 days.
    pub users_active_month: i64,
    /// Local accounts active in the last 180 days.
    pub users_active_halfyear: i64,
    /// Live posts, replies and events published here, but for hidden groups'.
    pub local_posts: i64,
    /// Groups hosted here, but for hidden ones.
    pub local_groups: i64,
}

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

impl Database {
    /// Counts accounts, active accounts, local posts and local groups.
    pub async fn usage_stats(&self) -> Result<UsageStats> {
        let now = now_millis();
        let (users_total, users_active_month, users_active_halfyear): (i64, i64, i64) =
            sqlx::query_as(
                "SELECT COUNT(*), \
                 COALESCE(SUM(CASE WHEN last_active_at >= $1 THEN 1 ELSE 0 END), 0), \
                 COALESCE(SUM(CASE WHEN last_active_at >= $2 THEN 1 ELSE 0 END), 0) \
                 FROM accounts",
            )
            .bind(now - 30 * DAY_MS)
            .bind(now - 180 * DAY_MS)
            .fetch_one(&self.pool)
            .await?;
        let local_posts: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM objects WHERE local = TRUE AND deleted_at IS NULL \
             AND (group_id IS NULL OR group_id NOT IN \
             (SELECT id FROM actors WHERE local AND visibility = 'hidden'))",
        )
        .fetch_one(&self.pool)
        .await?;
        // A hidden group is unknown to anyone but its members: not even counted.
        let local_groups: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM local_groups g JOIN actors a ON a.id = g.actor_id \
             WHERE a.visibility <> 'hidden'",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(UsageStats {
            users_total,
            users_active_month,
            users_active_halfyear,
            local_posts,
            local_groups,
        })
    }
}

//! What delivery knows of remote hosts: which are failing, and which are dead (no success for
//! days) and skipped until they are heard from again.

use crate::{Database, Result, flag::Flag};

impl Database {
    /// Notes that a host answered (a delivery succeeded, or it sent us an activity): it is no
    /// longer failing or dead. Reads first, so the common case — a healthy host — writes nothing.
    pub async fn record_host_success(&self, host: &str) -> Result<()> {
        let failing: Option<Option<i64>> =
            sqlx::query_scalar("SELECT failing_since FROM delivery_hosts WHERE host = $1")
                .bind(host)
                .fetch_optional(&self.pool)
                .await?;
        if matches!(failing, Some(Some(_))) {
            sqlx::query(
                "UPDATE delivery_hosts SET failing_since = NULL, dead = $1, last_success_at = $2 \
                 WHERE host = $3",
            )
            .bind(false)
            .bind(crate::now_millis())
            .bind(host)
            .execute(&mut *self.write().await?)
            .await?;
        }
        Ok(())
    }

    /// Notes a failed delivery to a host at `now`; a host failing since before `dead_before` is
    /// marked dead. Returns whether it is dead.
    pub async fn record_host_failure(
        &self,
        host: &str,
        now: i64,
        dead_before: i64,
    ) -> Result<bool> {
        sqlx::query(
            "INSERT INTO delivery_hosts (host, failing_since, dead) VALUES ($1, $2, $3) \
             ON CONFLICT (host) DO UPDATE SET \
             failing_since = COALESCE(delivery_hosts.failing_since, excluded.failing_since)",
        )
        .bind(host)
        .bind(now)
        .bind(false)
        .execute(&mut *self.write().await?)
        .await?;
        sqlx::query("UPDATE delivery_hosts SET dead = $1 WHERE host = $2 AND failing_since < $3")
            .bind(true)
            .bind(host)
            .bind(dead_before)
            .execute(&mut *self.write().await?)
            .await?;
        self.host_is_dead(host).await
    }

    /// Whether a host is marked dead.
    pub async fn host_is_dead(&self, host: &str) -> Result<bool> {
        let dead: Option<Flag> =
            sqlx::query_scalar("SELECT dead FROM delivery_hosts WHERE host = $1")
                .bind(host)
                .fetch_optional(&self.pool)
                .await?;
        Ok(dead.is_some_and(bool::from))
    }
}

//! What delivery knows of remote hosts: which are failing, which are dead (no success for
//! days) and skipped until they are heard from again, and which HTTP signature scheme each is
//! sent (draft-cavage unless it asked for RFC 9421 by refusing draft-cavage).

use crate::{Database, Result, bool_column::BoolColumn};

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
        let dead: Option<BoolColumn> =
            sqlx::query_scalar("SELECT dead FROM delivery_hosts WHERE host = $1")
                .bind(host)
                .fetch_optional(&self.pool)
                .await?;
        Ok(dead.is_some_and(bool::from))
    }

    /// The signature scheme remembered for a host (`Some("rfc9421")`), or `None` for the
    /// default, draft-cavage.
    pub async fn host_signature_scheme(&self, host: &str) -> Result<Option<String>> {
        let scheme: Option<Option<String>> =
            sqlx::query_scalar("SELECT signature_scheme FROM delivery_hosts WHERE host = $1")
                .bind(host)
                .fetch_optional(&self.pool)
                .await?;
        Ok(scheme.flatten())
    }

    /// Remembers the signature scheme a host accepts (`None`: back to draft-cavage).
    pub async fn set_host_signature_scheme(&self, host: &str, scheme: Option<&str>) -> Result<()> {
        sqlx::query(
            "INSERT INTO delivery_hosts (host, dead, signature_scheme) VALUES ($1, $2, $3) \
             ON CONFLICT (host) DO UPDATE SET signature_scheme = excluded.signature_scheme",
        )
        .bind(host)
        .bind(false)
        .bind(scheme)
        .execute(&mut *self.write().await?)
        .await?;
        Ok(())
    }
}

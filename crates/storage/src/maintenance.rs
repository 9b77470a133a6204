//! One-off upkeep of stored data (`maintenance_runs`, migration 0009, records what was done):
//! hosts stored before every host was spelled one way (`domains.rs`) are spelled again, once,
//! when the migrations are applied ([`Database::respell_stored_hosts`]). Periodic jobs that one
//! process runs for all take turns instead (`turns.rs`).

use crate::domains::{host_of, respell_stored};
use crate::{Database, DomainBlock, Result, now_millis};

/// The one-off task that spelled stored hosts again.
const RESPELL_TASK: &str = "respell-hosts";

impl Database {
    /// Spells the hosts stored before every host was spelled one way (`domains.rs`): server
    /// blocks (two spellings of one server become one block, the stronger), actors' domains,
    /// queued deliveries' and delivery health's hosts. Once per database, on the first start
    /// of a version that spells hosts so; repeating it (two processes starting at once) is
    /// harmless.
    pub async fn respell_stored_hosts(&self) -> Result<()> {
        let done: Option<i64> =
            sqlx::query_scalar("SELECT last_run_at FROM maintenance_runs WHERE task = $1")
                .bind(RESPELL_TASK)
                .fetch_optional(&self.pool)
                .await?;
        if done.is_some() {
            return Ok(());
        }
        // Only rows that may be spelled otherwise: upper case, trailing dots, ports, IPv6.
        let odd = |column: &str| {
            format!("({column} <> lower({column}) OR {column} LIKE '%.' OR {column} LIKE '%:%')")
        };
        let blocks: Vec<DomainBlock> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT domain, severity, reason, created_at FROM domain_blocks WHERE {}",
            odd("domain")
        )))
        .fetch_all(&self.pool)
        .await?;
        let actors: Vec<(String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT id, domain FROM actors WHERE {}",
            odd("domain")
        )))
        .fetch_all(&self.pool)
        .await?;
        let deliveries: Vec<(i64, String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT id, inbox_url, host FROM deliveries WHERE {}",
            odd("host")
        )))
        .fetch_all(&self.pool)
        .await?;
        let health: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT host FROM delivery_hosts WHERE {}",
            odd("host")
        )))
        .fetch_all(&self.pool)
        .await?;

        let mut tx = self.begin_write().await?;
        let mut changed = 0;
        for block in blocks {
            let Some(spelled) = respell_stored(&block.domain).filter(|d| *d != block.domain) else {
                continue;
            };
            sqlx::query("DELETE FROM domain_blocks WHERE domain = $1")
                .bind(&block.domain)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO domain_blocks (domain, severity, reason, created_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (domain) DO UPDATE SET severity = \
                 CASE WHEN excluded.severity = 'block' THEN 'block' \
                 ELSE domain_blocks.severity END",
            )
            .bind(&spelled)
            .bind(block.severity)
            .bind(&block.reason)
            .bind(block.created_at)
            .execute(&mut *tx)
            .await?;
            changed += 1;
        }
        for (id, domain) in actors {
            if let Some(spelled) = host_of(&id).filter(|d| *d != domain) {
                sqlx::query("UPDATE actors SET domain = $1 WHERE id = $2")
                    .bind(spelled)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                changed += 1;
            }
        }
        for (id, inbox, host) in deliveries {
            if let Some(spelled) = host_of(&inbox).filter(|h| *h != host) {
                sqlx::query("UPDATE deliveries SET host = $1 WHERE id = $2")
                    .bind(spelled)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                changed += 1;
            }
        }
        for host in health {
            if respell_stored(&host).is_some_and(|h| h != host) {
                // Health is learnt again from the next delivery under the new spelling.
                sqlx::query("DELETE FROM delivery_hosts WHERE host = $1")
                    .bind(host)
                    .execute(&mut *tx)
                    .await?;
                changed += 1;
            }
        }
        sqlx::query(
            "INSERT INTO maintenance_runs (task, last_run_at) VALUES ($1, $2) \
             ON CONFLICT (task) DO NOTHING",
        )
        .bind(RESPELL_TASK)
        .bind(now_millis())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        if changed > 0 {
            tracing::info!(changed, "stored host names spelled one way");
        }
        Ok(())
    }
}

#[cfg(all(test, feature = "test-util"))]
mod tests {
    #![allow(clippy::unwrap_used)]

    use crate::{ActorKind, DomainSeverity, NewActor, testing};

    fn remote(id: &str, domain: &str) -> NewActor {
        NewActor {
            id: id.into(),
            kind: ActorKind::Person,
            local: false,
            username: "x".into(),
            domain: domain.into(),
            display_name: None,
            summary: None,
            url: None,
            inbox_url: format!("{id}/inbox"),
            shared_inbox_url: None,
            outbox_url: None,
            followers_url: None,
            key_id: format!("{id}#main-key"),
            public_key_pem: "PEM".into(),
            private_key_pem: None,
            manually_approves_followers: false,
            data: None,
        }
    }

    #[tokio::test]
    async fn hosts_stored_in_old_spellings_are_spelled_once() {
        for t in testing::all().await {
            let db = &t.db;
            // What earlier versions stored: the url crate's host, trailing dot and all.
            for (domain, severity) in [
                ("spam.example.", DomainSeverity::Silence),
                ("spam.example", DomainSeverity::Block),
                ("[::ffff:7f00:1]:19082", DomainSeverity::Block),
                ("quiet.example", DomainSeverity::Silence),
            ] {
                db.block_domain(domain, severity, Some("old"))
                    .await
                    .unwrap();
            }
            let mapped = remote(
                "http://[::ffff:7f00:1]:19082/users/x",
                "[::ffff:7f00:1]:19082",
            );
            let dotted = remote("https://spam.example./users/x", "spam.example.");
            for actor in [&mapped, &dotted] {
                db.upsert_remote_actor(actor).await.unwrap();
            }
            db.record_host_failure("spam.example.", 1, 0).await.unwrap();
            db.record_host_failure("quiet.example", 1, 0).await.unwrap();
            sqlx::query("DELETE FROM maintenance_runs")
                .execute(&db.pool)
                .await
                .unwrap();

            db.respell_stored_hosts().await.unwrap();
            let blocks: Vec<(String, String)> = db
                .domain_blocks()
                .await
                .unwrap()
                .into_iter()
                .map(|b| (b.domain, b.severity.as_str().to_owned()))
                .collect();
            let expected = [
                ("127.0.0.1:19082", "block"),
                ("quiet.example", "silence"),
                ("spam.example", "block"),
            ]
            .map(|(d, s)| (d.to_owned(), s.to_owned()));
            assert_eq!(blocks, expected, "{}", t.label);
            assert_eq!(
                db.actor(&mapped.id).await.unwrap().domain,
                "127.0.0.1:19082"
            );
            assert_eq!(db.actor(&dotted.id).await.unwrap().domain, "spam.example");
            assert!(!db.host_is_dead("spam.example.").await.unwrap());
            let health: Vec<String> = sqlx::query_scalar("SELECT host FROM delivery_hosts")
                .fetch_all(&db.pool)
                .await
                .unwrap();
            assert_eq!(health, ["quiet.example"], "{}", t.label);

            // Once: a row stored in an old spelling afterwards is left as it is.
            db.block_domain("late.example.", DomainSeverity::Block, None)
                .await
                .unwrap();
            db.respell_stored_hosts().await.unwrap();
            assert!(db.domain_severity("late.example.").await.unwrap().is_some());
        }
    }
}

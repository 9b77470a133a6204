//! What software remote hosts run (their NodeInfo `software.name` and `version`), kept per host
//! so that the activities queued for a host can be the forms it reads. Hosts are noted when
//! something is first queued for them and looked up later by a background task; the rows say
//! when each is due to be looked up (again).

use sqlx::FromRow;

use crate::db::{BIND_BATCH, placeholders};
use crate::{Backend, Database, Result, now_millis};

/// One host's software as last looked up.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct HostSoftware {
    /// The host (and port, where given), as in `host_of` of its URLs.
    pub host: String,
    /// NodeInfo `software.name`, lower-case; `None` until a look-up found one.
    pub software: Option<String>,
    /// NodeInfo `software.version`, when given.
    pub version: Option<String>,
    /// When the host was last looked up (found or not).
    pub checked_at: Option<i64>,
    /// When it is due to be looked up (again).
    pub refresh_at: i64,
}

macro_rules! software_columns {
    () => {
        "host, software, version, checked_at, refresh_at"
    };
}

/// Picks due hosts; the caller closes the sub-select (with a row lock where there is one).
macro_rules! claim_hosts_sql {
    () => {
        "UPDATE host_software SET refresh_at = $1 WHERE host IN (\
         SELECT host FROM host_software WHERE refresh_at <= $2 ORDER BY refresh_at, host LIMIT $3"
    };
}

impl Database {
    /// The rows of those of `hosts` that were ever noted, in no particular order (one query per
    /// few hundred hosts: the delivery queue asks for all the hosts of a fan-out at once).
    pub async fn host_software(&self, hosts: &[String]) -> Result<Vec<HostSoftware>> {
        let mut found = Vec::with_capacity(hosts.len());
        for chunk in hosts.chunks(BIND_BATCH) {
            let sql = format!(
                concat!(
                    "SELECT ",
                    software_columns!(),
                    " FROM host_software WHERE host IN ({})"
                ),
                placeholders(chunk.len())
            );
            let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql));
            for host in chunk {
                query = query.bind(host.as_str());
            }
            found.extend(query.fetch_all(&self.pool).await?);
        }
        Ok(found)
    }

    /// Notes hosts to look up, due at once; hosts noted before are left as they are.
    pub async fn note_hosts(&self, hosts: &[String]) -> Result<()> {
        if hosts.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        note_hosts_in(&mut tx, hosts).await?;
        tx.commit().await
    }

    /// Claims up to `limit` hosts due for a look-up: they are not due again for `lease_ms`, so
    /// that another process (or a crash before the answer is recorded) does not lose them.
    pub async fn claim_host_lookups(&self, limit: i64, lease_ms: i64) -> Result<Vec<String>> {
        let now = now_millis();
        let sql = match self.backend() {
            Backend::Postgres => {
                concat!(
                    claim_hosts_sql!(),
                    " FOR UPDATE SKIP LOCKED) RETURNING host"
                )
            }
            Backend::Sqlite => concat!(claim_hosts_sql!(), ") RETURNING host"),
        };
        Ok(sqlx::query_scalar(sql)
            .bind(now + lease_ms)
            .bind(now)
            .bind(limit)
            .fetch_all(&mut *self.write().await?)
            .await?)
    }

    /// Records a look-up of `host`: with `found` (name, version) the software is replaced; a
    /// failed look-up keeps what was known before (a host down for an hour still runs what it
    /// ran). Due again at `refresh_at` either way.
    pub async fn record_host_software(
        &self,
        host: &str,
        found: Option<(&str, Option<&str>)>,
        refresh_at: i64,
    ) -> Result<()> {
        let now = now_millis();
        let mut conn = self.write().await?;
        match found {
            Some((software, version)) => {
                sqlx::query(
                    "INSERT INTO host_software (host, software, version, checked_at, refresh_at) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (host) DO UPDATE SET \
                     software = excluded.software, version = excluded.version, \
                     checked_at = excluded.checked_at, refresh_at = excluded.refresh_at",
                )
                .bind(host)
                .bind(software.to_lowercase())
                .bind(version)
                .bind(now)
                .bind(refresh_at)
                .execute(&mut *conn)
                .await?;
            }
            None => {
                sqlx::query(
                    "INSERT INTO host_software (host, checked_at, refresh_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (host) DO UPDATE SET checked_at = excluded.checked_at, \
                     refresh_at = excluded.refresh_at",
                )
                .bind(host)
                .bind(now)
                .bind(refresh_at)
                .execute(&mut *conn)
                .await?;
            }
        }
        Ok(())
    }
}

/// [`Database::note_hosts`] inside a transaction the caller holds (the delivery queue notes the
/// hosts of what it queues in the same transaction).
pub(crate) async fn note_hosts_in(conn: &mut sqlx::AnyConnection, hosts: &[String]) -> Result<()> {
    let now = now_millis();
    for chunk in hosts.chunks(BIND_BATCH) {
        let values = (0..chunk.len())
            .map(|i| format!("(${}, $1)", i + 2))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO host_software (host, refresh_at) VALUES {values} \
             ON CONFLICT (host) DO NOTHING"
        );
        // Only placeholders are formatted in; every value is bound.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(now);
        for host in chunk {
            query = query.bind(host.as_str());
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

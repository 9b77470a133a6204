//! The database handle: connecting to SQLite or PostgreSQL and applying migrations.

use std::{path::PathBuf, str::FromStr, time::Duration};

use sqlx::{AnyConnection, AnyPool, Connection, Executor, any::AnyPoolOptions, migrate::Migrator};
use url::Url;

use crate::error::{Result, StorageError};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/postgres");

/// Which database a [`Database`] talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// An SQLite file: the embedded default.
    Sqlite,
    /// A PostgreSQL server: the scale-out store that several Kith processes can share.
    Postgres,
}

impl Backend {
    /// Tells the backend from a database URL's scheme.
    pub fn from_url(url: &str) -> Result<Self> {
        let scheme = url.split(':').next().unwrap_or_default();
        match scheme {
            "sqlite" => Ok(Backend::Sqlite),
            "postgres" | "postgresql" => Ok(Backend::Postgres),
            _ => Err(StorageError::BadUrl {
                url: redact(url),
                reason: "it must start with sqlite:// or postgres://".into(),
            }),
        }
    }
}

/// One handle to the database, cheap to clone; every query in this crate is a method on it.
#[derive(Clone, Debug)]
pub struct Database {
    /// Reads (and, on PostgreSQL, writes).
    pub(crate) pool: AnyPool,
    /// Writes. On SQLite a pool of one connection: SQLite takes one writer at a time, and
    /// writers on several connections wait for its lock in a busy handler that sleeps up to
    /// 100 ms a try, so concurrent writers wait far longer than their writes take
    /// (docs/performance.md). With one writing connection they wait in the pool's queue, in
    /// order, and are handed the connection the moment it is free. Readers are not held up
    /// (WAL). On PostgreSQL the same pool as reads.
    pub(crate) writer: AnyPool,
    backend: Backend,
    /// In-memory copies of the inbox's per-request look-ups (`lookup_cache.rs`).
    pub(crate) lookups: std::sync::Arc<crate::lookup_cache::LookupCache>,
    /// The order in which writes go: requests' before background work's (`write_order.rs`).
    pub(crate) write_order: std::sync::Arc<crate::write_order::WriteOrder>,
    /// This handle does background work: its writes let requests' writes go first.
    pub(crate) background: bool,
    /// This process in the registry, once it serves (`processes.rs`): the id claims carry.
    pub(crate) registration: crate::processes::Registration,
}

impl Database {
    /// Opens `sqlite://PATH` (the file and its folder are created when missing) or
    /// `postgres://…`, and brings its schema up to date.
    pub async fn connect(url: &str) -> Result<Self> {
        Self::connect_with(url, 0).await
    }

    /// Like [`Database::connect`], with at most `max_connections` pooled connections
    /// (0 picks a default that suits the backend).
    pub async fn connect_with(url: &str, max_connections: u32) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let (url, default_max) = match backend {
            Backend::Sqlite => (prepare_sqlite_url(url)?, 8),
            Backend::Postgres => (url.to_owned(), 16),
        };
        let max = if max_connections == 0 {
            default_max
        } else {
            max_connections
        };
        // One direct connection first: the pool would retry a refused or misconfigured
        // connection until its timeout and then report only that it timed out.
        let probe = AnyConnection::connect(&url)
            .await
            .map_err(|e| connect_error(&url, e))?;
        probe.close().await.ok();
        let pool = pool_options(backend, max, Commits::Durable)
            .connect(&url)
            .await
            .map_err(|e| connect_error(&url, e))?;
        let writer = match backend {
            Backend::Sqlite => pool_options(backend, 1, Commits::Durable)
                .connect(&url)
                .await
                .map_err(|e| connect_error(&url, e))?,
            Backend::Postgres => pool.clone(),
        };
        let db = Database {
            pool,
            writer,
            backend,
            lookups: Default::default(),
            write_order: std::sync::Arc::new(crate::write_order::WriteOrder::new(
                backend == Backend::Postgres,
            )),
            background: false,
            registration: Default::default(),
        };
        db.migrate().await?;
        Ok(db)
    }

    /// A handle for work on another async runtime (Kith runs its workers on one of their own,
    /// and the inbox's batched writes on a thread of their own; docs/architecture.md). On
    /// PostgreSQL it has pools of its own, with at most `max_connections` connections, opened
    /// when first used: a connection belongs to the runtime that opened it, and a request
    /// waiting on a connection another runtime drives would wait for that runtime's turn.
    /// SQLite connections have threads of their own and are shared, so there stays one writer.
    /// The in-memory copies (`lookup_cache.rs`) and the write gate (`write_order.rs`) are shared either way, so
    /// a write through one handle clears the copies for both.
    pub fn for_other_runtime(&self, max_connections: u32) -> Database {
        self.other_pools(max_connections, Commits::Durable)
    }

    /// This handle with pools of its own on PostgreSQL (`commits` saying whether they wait
    /// for the WAL flush); itself on SQLite.
    pub(crate) fn other_pools(&self, max_connections: u32, commits: Commits) -> Database {
        match self.backend {
            Backend::Sqlite => self.clone(),
            Backend::Postgres => {
                let options = self.pool.connect_options().as_ref().clone();
                let pool = pool_options(self.backend, max_connections.max(1), commits)
                    .connect_lazy_with(options);
                Database {
                    writer: pool.clone(),
                    pool,
                    ..self.clone()
                }
            }
        }
    }

    /// This handle for background work: its writes let requests' writes go first (`write_order.rs`).
    pub fn for_background_work(self) -> Database {
        Database {
            background: true,
            ..self
        }
    }

    /// Applies the migrations this build knows that the database has not seen yet, then the
    /// one-off changes SQL cannot make (hosts stored in other spellings, `maintenance.rs`).
    pub async fn migrate(&self) -> Result<()> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&self.writer).await?;
        self.respell_stored_hosts().await
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Waits for pooled connections to finish and closes them (on shutdown).
    pub async fn close(&self) {
        self.pool.close().await;
        self.writer.close().await;
    }

    /// Checks that the database answers (for `/healthz`).
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }
}

/// Whether a PostgreSQL pool's commits wait for the WAL flush.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Commits {
    Durable,
    /// See [`Database::inbound_writer_with_own_pools`].
    Relaxed,
}

/// A pooled connection idle for less than this is handed out without first checking that it
/// still answers. sqlx checks every connection it hands out by default: a round trip to
/// PostgreSQL (or to an SQLite connection's thread) before each statement, on top of the one it
/// makes as the connection is given back. A connection in use moments ago is alive (HikariCP
/// skips the check for 500 ms); one idle longer may have been dropped by a restarted server or
/// a firewall, and is still checked, and replaced if it does not answer.
pub(crate) const CHECK_IF_IDLE_FOR: Duration = Duration::from_secs(1);

/// The pool settings: SQLite connections are put in WAL mode as they open.
fn pool_options(backend: Backend, max: u32, commits: Commits) -> AnyPoolOptions {
    let options = AnyPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(30))
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= CHECK_IF_IDLE_FOR {
                    conn.ping().await?;
                }
                Ok(true)
            })
        });
    let options = match backend {
        // Each SQLite connection has a thread, which takes the priority of the thread that
        // opened it: all are opened at start, by the server, and kept, so that none is
        // reopened by a background thread at its lower priority (kith_federation::context::background).
        Backend::Sqlite => options
            .min_connections(max)
            .idle_timeout(None)
            .max_lifetime(None),
        Backend::Postgres => options,
    };
    options.after_connect(move |conn, _meta| {
        Box::pin(async move {
            if backend == Backend::Sqlite {
                // WAL lets readers (and the admin commands run beside `kith serve`) work
                // while one connection writes; NORMAL sync is safe under WAL.
                // sqlx already turns foreign keys on and sets a 5 s busy timeout.
                conn.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")
                    .await?;
            } else if commits == Commits::Relaxed {
                conn.execute("SET synchronous_commit = off").await?;
            }
            Ok(())
        })
    })
}

/// Says why a database could not be opened, naming it without its password.
fn connect_error(url: &str, err: sqlx::Error) -> StorageError {
    let reason = match err {
        sqlx::Error::Configuration(reason) => reason.to_string(),
        sqlx::Error::Io(io) => io.to_string(),
        sqlx::Error::Tls(tls) => format!("TLS: {tls}"),
        sqlx::Error::Database(db) => db.message().to_owned(),
        other => return StorageError::from(other),
    };
    StorageError::BadUrl {
        url: redact(url),
        reason,
    }
}

/// Returns the file path of an SQLite URL (`sqlite://data/kith.db`, `sqlite:kith.db`).
/// Values bound in one statement by the batched queries (well under SQLite's and
/// PostgreSQL's parameter limits).
pub(crate) const BIND_BATCH: usize = 500;

/// `$1, $2, …, $n`, for `IN (…)` lists and multi-row inserts.
pub(crate) fn placeholders(n: usize) -> String {
    (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn sqlite_path(url: &str) -> Result<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Err(StorageError::BadUrl {
            url: url.to_owned(),
            reason: "Kith needs an SQLite file path, e.g. sqlite://data/kith.db".into(),
        });
    }
    PathBuf::from_str(path).map_err(|e| StorageError::BadUrl {
        url: url.to_owned(),
        reason: e.to_string(),
    })
}

/// Creates the folder of an SQLite file and asks sqlx to create the file itself when missing.
fn prepare_sqlite_url(url: &str) -> Result<String> {
    let path = sqlite_path(url)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| StorageError::Io {
            context: format!("creating the database folder {}", dir.display()),
            source,
        })?;
    }
    if url.contains("mode=") {
        Ok(url.to_owned())
    } else if url.contains('?') {
        Ok(format!("{url}&mode=rwc"))
    } else {
        Ok(format!("{url}?mode=rwc"))
    }
}

/// The URL with its password replaced, for error messages and logs.
pub(crate) fn redact(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("****"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_is_told_by_scheme() {
        assert_eq!(
            Backend::from_url("sqlite://x.db").ok(),
            Some(Backend::Sqlite)
        );
        assert_eq!(
            Backend::from_url("postgres://u@h/db").ok(),
            Some(Backend::Postgres)
        );
        assert_eq!(
            Backend::from_url("postgresql://u@h/db").ok(),
            Some(Backend::Postgres)
        );
        assert!(matches!(
            Backend::from_url("mysql://h/db"),
            Err(StorageError::BadUrl { .. })
        ));
    }

    #[test]
    fn sqlite_paths_are_read_from_both_url_forms() {
        assert_eq!(
            sqlite_path("sqlite://data/k.db").ok(),
            Some(PathBuf::from("data/k.db"))
        );
        assert_eq!(
            sqlite_path("sqlite:k.db?mode=rw").ok(),
            Some(PathBuf::from("k.db"))
        );
        assert!(sqlite_path("sqlite::memory:").is_err());
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://kith:secret@db/kith"),
            "postgres://kith:****@db/kith"
        );
    }
}

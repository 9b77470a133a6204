//! Throwaway databases for tests: a fresh SQLite file always, and a fresh PostgreSQL database
//! whenever `KITH_TEST_DATABASE_URL` points at a server (CI starts one).

#![allow(clippy::expect_used)] // test scaffolding: a database that cannot be made is a failed test

use sqlx::{Connection, Executor};
use tempfile::TempDir;

use crate::Database;

/// The variable naming the PostgreSQL server tests may create databases on.
pub const TEST_DATABASE_URL_VAR: &str = "KITH_TEST_DATABASE_URL";

/// A migrated, empty database that lives as long as this value (SQLite) or the test cluster
/// (PostgreSQL).
pub struct TestDatabase {
    /// The handle.
    pub db: Database,
    /// Its URL, for code under test that opens its own connection (the CLI, a second process).
    pub url: String,
    /// `"sqlite"` or `"postgres"`, for assertion messages.
    pub label: &'static str,
    _dir: Option<TempDir>,
}

/// A fresh SQLite database in a temporary folder.
pub async fn sqlite() -> TestDatabase {
    let dir = tempfile::tempdir().expect("temporary folder");
    let url = format!("sqlite://{}", dir.path().join("kith.db").display());
    let db = Database::connect(&url)
        .await
        .expect("open test SQLite database");
    TestDatabase {
        db,
        url,
        label: "sqlite",
        _dir: Some(dir),
    }
}

/// A URL for a fresh, empty PostgreSQL database, when `KITH_TEST_DATABASE_URL` is set.
pub async fn postgres_url() -> Option<String> {
    let base = std::env::var(TEST_DATABASE_URL_VAR)
        .ok()
        .filter(|u| !u.is_empty())?;
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&base)
        .await
        .expect("connect to KITH_TEST_DATABASE_URL");
    let name = format!("kith_test_{}", ulid::Ulid::new().to_string().to_lowercase());
    conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .expect("create test database");
    conn.close().await.ok();
    let mut url = url::Url::parse(&base).expect("KITH_TEST_DATABASE_URL is a URL");
    url.set_path(&format!("/{name}"));
    Some(url.to_string())
}

/// A fresh PostgreSQL database, when `KITH_TEST_DATABASE_URL` is set.
pub async fn postgres() -> Option<TestDatabase> {
    let url = postgres_url().await?;
    let db = Database::connect(&url)
        .await
        .expect("open test PostgreSQL database");
    Some(TestDatabase {
        db,
        url,
        label: "postgres",
        _dir: None,
    })
}

/// Every database the suite runs against: SQLite, and PostgreSQL when configured.
pub async fn all() -> Vec<TestDatabase> {
    let mut dbs = vec![sqlite().await];
    dbs.extend(postgres().await);
    dbs
}

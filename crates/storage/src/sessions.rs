//! Browser sessions and login throttling. A session is found by the hash of its cookie's
//! secret, so a leaked database does not leak working sessions; failed logins are counted in
//! the database so every Kith process sharing it sees the same count.

use crate::{Database, Result, StorageError, accounts::Account, accounts::account_columns};

/// A live session: whose it is and the token its forms must carry.
#[derive(Clone, Debug)]
pub struct Session {
    /// The signed-in account.
    pub account: Account,
    /// The CSRF token every form and cookie-authenticated API call must send back.
    pub csrf_token: String,
    /// When the session ends, in milliseconds.
    pub expires_at: i64,
}

impl Database {
    /// Stores a new session.
    pub async fn create_session(
        &self,
        token_hash: &str,
        account_id: &str,
        csrf_token: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, account_id, csrf_token, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(account_id)
        .bind(csrf_token)
        .bind(now)
        .bind(expires_at)
        .execute(&mut *self.write().await?)
        .await?;
        Ok(())
    }

    /// The session with this hash, if it has not expired.
    pub async fn session(&self, token_hash: &str, now: i64) -> Result<Session> {
        let row: Option<(String, i64)> = sqlx::query_as(
            "SELECT csrf_token, expires_at FROM sessions WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        let (csrf_token, expires_at) = row.ok_or(StorageError::NotFound)?;
        let account: Account = sqlx::query_as(concat!(
            "SELECT ",
            account_columns!(),
            " FROM accounts WHERE id = (SELECT account_id FROM sessions WHERE token_hash = $1)"
        ))
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StorageError::NotFound)?;
        Ok(Session {
            account,
            csrf_token,
            expires_at,
        })
    }

    /// Ends one session (logging out).
    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }

    /// Ends every session of an account but one (after a password change), and expired ones.
    pub async fn delete_other_sessions(
        &self,
        account_id: &str,
        keep_hash: &str,
        now: i64,
    ) -> Result<u64> {
        let done = sqlx::query(
            "DELETE FROM sessions WHERE (account_id = $1 AND token_hash <> $2) OR expires_at <= $3",
        )
        .bind(account_id)
        .bind(keep_hash)
        .bind(now)
        .execute(&mut *self.write().await?)
        .await?;
        Ok(done.rows_affected())
    }

    /// Counts a failed login for `key` and returns the failures within the window that starts
    /// at `window_start` (an older count starts again from one).
    pub async fn record_login_failure(
        &self,
        key: &str,
        now: i64,
        window_start: i64,
    ) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO login_failures (key, failures, window_start) VALUES ($1, 1, $2) \
             ON CONFLICT (key) DO UPDATE SET \
             failures = CASE WHEN login_failures.window_start < $3 THEN 1 \
                        ELSE login_failures.failures + 1 END, \
             window_start = CASE WHEN login_failures.window_start < $3 THEN $2 \
                        ELSE login_failures.window_start END \
             RETURNING failures",
        )
        .bind(key)
        .bind(now)
        .bind(window_start)
        .fetch_one(&mut *self.write().await?)
        .await?)
    }

    /// The failed logins for `key` since `window_start`, and when the oldest of them was.
    pub async fn login_failures(&self, key: &str, window_start: i64) -> Result<(i64, i64)> {
        let row: Option<(i64, i64)> = sqlx::query_as(
            "SELECT failures, window_start FROM login_failures \
             WHERE key = $1 AND window_start >= $2",
        )
        .bind(key)
        .bind(window_start)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.unwrap_or((0, 0)))
    }

    /// Forgets the failures for `key` (after a successful login).
    pub async fn clear_login_failures(&self, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM login_failures WHERE key = $1")
            .bind(key)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }
}

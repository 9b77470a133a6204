//! Instance settings an administrator changes from the web, and invite codes.

use sqlx::FromRow;

use crate::{Database, Result, StorageError, now_millis};

/// An invite code for registration by invitation.
#[derive(Clone, Debug, FromRow)]
pub struct Invite {
    /// The code people type (or follow in a link).
    pub code: String,
    /// The account that made it.
    pub created_by: Option<String>,
    /// How many accounts it may create.
    pub max_uses: i64,
    /// How many it has created.
    pub uses: i64,
    /// When it stops working, in milliseconds.
    pub expires_at: Option<i64>,
    /// When it was made.
    pub created_at: i64,
}

impl Database {
    /// A setting's value, if set.
    pub async fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT value FROM instance_settings WHERE key = $1")
                .bind(key)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Sets a setting.
    pub async fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO instance_settings (key, value, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, \
             updated_at = excluded.updated_at",
        )
        .bind(key)
        .bind(value)
        .bind(now_millis())
        .execute(&mut *self.write().await?)
        .await?;
        Ok(())
    }

    /// Stores a new invite code.
    pub async fn create_invite(&self, invite: &Invite) -> Result<()> {
        sqlx::query(
            "INSERT INTO invites (code, created_by, max_uses, uses, expires_at, created_at) \
             VALUES ($1, $2, $3, 0, $4, $5)",
        )
        .bind(&invite.code)
        .bind(&invite.created_by)
        .bind(invite.max_uses)
        .bind(invite.expires_at)
        .bind(invite.created_at)
        .execute(&mut *self.write().await?)
        .await?;
        Ok(())
    }

    /// Invite codes that still work at `now`, newest first.
    pub async fn live_invites(&self, now: i64) -> Result<Vec<Invite>> {
        Ok(sqlx::query_as(
            "SELECT code, created_by, max_uses, uses, expires_at, created_at FROM invites \
             WHERE uses < max_uses AND (expires_at IS NULL OR expires_at > $1) \
             ORDER BY created_at DESC, code",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Uses an invite once, if it still works; [`StorageError::NotFound`] otherwise. One
    /// conditional update, so two people racing for the last use cannot both have it.
    pub async fn use_invite(&self, code: &str, now: i64) -> Result<()> {
        let done = sqlx::query(
            "UPDATE invites SET uses = uses + 1 WHERE code = $1 AND uses < max_uses \
             AND (expires_at IS NULL OR expires_at > $2)",
        )
        .bind(code)
        .bind(now)
        .execute(&mut *self.write().await?)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StorageError::NotFound);
        }
        Ok(())
    }

    /// Gives back a use taken by [`Database::use_invite`] when the account then failed.
    pub async fn release_invite(&self, code: &str) -> Result<()> {
        sqlx::query("UPDATE invites SET uses = uses - 1 WHERE code = $1 AND uses > 0")
            .bind(code)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }

    /// Withdraws an invite code.
    pub async fn delete_invite(&self, code: &str) -> Result<()> {
        sqlx::query("DELETE FROM invites WHERE code = $1")
            .bind(code)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }
}

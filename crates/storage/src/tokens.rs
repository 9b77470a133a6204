//! Bearer tokens for the JSON API. Only a hash of each token is stored, so a leaked database
//! does not leak working tokens.

use crate::{
    Database, Result, StorageError, accounts::Account, accounts::account_columns, now_millis,
};

impl Database {
    /// Stores the hash of a new token for an account.
    pub async fn create_api_token(
        &self,
        token_hash: &str,
        account_id: &str,
        label: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO api_tokens (token_hash, account_id, label, created_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(account_id)
        .bind(label)
        .bind(now_millis())
        .execute(&mut *self.write().await?)
        .await?;
        Ok(())
    }

    /// The account a token hash belongs to, noting the use.
    pub async fn account_by_token_hash(&self, token_hash: &str) -> Result<Account> {
        let done = sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE token_hash = $2")
            .bind(now_millis())
            .bind(token_hash)
            .execute(&mut *self.write().await?)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StorageError::NotFound);
        }
        sqlx::query_as(concat!(
            "SELECT ",
            account_columns!(),
            " FROM accounts WHERE id = (SELECT account_id FROM api_tokens WHERE token_hash = $1)"
        ))
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StorageError::NotFound)
    }
}

impl Database {
    /// Sets the hash of a person's private calendar link, replacing the previous one (which
    /// stops working).
    pub async fn set_calendar_token(&self, account_id: &str, token_hash: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO calendar_tokens (token_hash, account_id, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (account_id) DO UPDATE SET token_hash = excluded.token_hash, \
             created_at = excluded.created_at",
        )
        .bind(token_hash)
        .bind(account_id)
        .bind(now_millis())
        .execute(&mut *self.write().await?)
        .await?;
        Ok(())
    }

    /// The account a private calendar link belongs to.
    pub async fn account_by_calendar_token(&self, token_hash: &str) -> Result<Account> {
        sqlx::query_as(concat!(
            "SELECT ",
            account_columns!(),
            " FROM accounts WHERE id = \
             (SELECT account_id FROM calendar_tokens WHERE token_hash = $1)"
        ))
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StorageError::NotFound)
    }
}

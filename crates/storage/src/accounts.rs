//! Accounts: the people who log in to this instance, each with a local `Person` actor.

use sqlx::FromRow;

use crate::{Database, NewActor, Result, StorageError, actors::insert_actor_in, now_millis};

/// A new account and the actor that represents it on the fediverse.
#[derive(Clone, Debug)]
pub struct NewAccount {
    /// The local actor (a `Person`) of the account.
    pub actor: NewActor,
    /// An email address, when given.
    pub email: Option<String>,
    /// The PHC string of the password hash (argon2id).
    pub password_hash: String,
    /// Whether the account administers the instance.
    pub is_admin: bool,
    /// Whether it may log in; `false` while an application waits for an administrator.
    pub approved: bool,
    /// Why they want to join, when registration needs approval.
    pub application: Option<String>,
}

/// A stored account.
#[derive(Clone, Debug, FromRow)]
pub struct Account {
    /// A ULID.
    pub id: String,
    /// The id of its `Person` actor.
    pub actor_id: String,
    /// The login name, the same as the actor's `preferredUsername`.
    pub username: String,
    /// Email address.
    pub email: Option<String>,
    /// The PHC string of the password hash.
    pub password_hash: String,
    /// Whether the account administers the instance.
    #[sqlx(try_from = "crate::bool_column::BoolColumn")]
    pub is_admin: bool,
    /// When it was created.
    pub created_at: i64,
    /// When it was last seen active (a login or an action).
    pub last_active_at: Option<i64>,
    /// Whether it may log in (an application may wait for an administrator).
    #[sqlx(try_from = "crate::bool_column::BoolColumn")]
    pub approved: bool,
    /// Why they want to join, as they wrote it when applying.
    pub application: Option<String>,
}

macro_rules! account_columns {
    () => {
        "id, actor_id, username, email, password_hash, is_admin, created_at, last_active_at, \
         approved, application"
    };
}
pub(crate) use account_columns;

impl Database {
    /// Creates an account and its actor together; a name already taken by a person or a group
    /// is [`StorageError::Conflict`].
    pub async fn create_account(&self, new: &NewAccount) -> Result<Account> {
        let mut tx = self.begin_write().await?;
        let actor = insert_actor_in(&mut tx, &new.actor).await?;
        let account: Account = sqlx::query_as(concat!(
            "INSERT INTO accounts (id, actor_id, username, email, password_hash, is_admin, \
             created_at, approved, application) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             RETURNING ",
            account_columns!()
        ))
        .bind(ulid::Ulid::new().to_string())
        .bind(&actor.id)
        .bind(&actor.username)
        .bind(&new.email)
        .bind(&new.password_hash)
        .bind(new.is_admin)
        .bind(now_millis())
        .bind(new.approved)
        .bind(&new.application)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(account)
    }

    /// The account with this login name.
    pub async fn account_by_username(&self, username: &str) -> Result<Account> {
        sqlx::query_as(concat!(
            "SELECT ",
            account_columns!(),
            " FROM accounts WHERE username = $1"
        ))
        .bind(username.to_lowercase())
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StorageError::NotFound)
    }

    /// Notes that the account was active now (counts towards NodeInfo's active users).
    pub async fn touch_account(&self, account_id: &str) -> Result<()> {
        sqlx::query("UPDATE accounts SET last_active_at = $1 WHERE id = $2")
            .bind(now_millis())
            .bind(account_id)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }

    /// The account with this id.
    pub async fn account(&self, id: &str) -> Result<Account> {
        sqlx::query_as(concat!(
            "SELECT ",
            account_columns!(),
            " FROM accounts WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StorageError::NotFound)
    }

    /// The account of a local person actor.
    pub async fn account_by_actor(&self, actor_id: &str) -> Result<Account> {
        sqlx::query_as(concat!(
            "SELECT ",
            account_columns!(),
            " FROM accounts WHERE actor_id = $1"
        ))
        .bind(actor_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StorageError::NotFound)
    }

    /// Replaces an account's password hash.
    pub async fn set_password_hash(&self, account_id: &str, password_hash: &str) -> Result<()> {
        sqlx::query("UPDATE accounts SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(account_id)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }

    /// Accounts whose applications wait for an administrator, oldest first.
    pub async fn pending_accounts(&self) -> Result<Vec<Account>> {
        Ok(sqlx::query_as(concat!(
            "SELECT ",
            account_columns!(),
            " FROM accounts WHERE approved = $1 ORDER BY created_at, id"
        ))
        .bind(false)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Lets a waiting account log in.
    pub async fn approve_account(&self, account_id: &str) -> Result<Account> {
        sqlx::query_as(concat!(
            "UPDATE accounts SET approved = $1 WHERE id = $2 RETURNING ",
            account_columns!()
        ))
        .bind(true)
        .bind(account_id)
        .fetch_optional(&mut *self.write().await?)
        .await?
        .ok_or(StorageError::NotFound)
    }

    /// Deletes a waiting account and its actor (a refused application leaves nothing behind).
    pub async fn delete_pending_account(&self, account_id: &str) -> Result<()> {
        let done = sqlx::query(
            "DELETE FROM actors WHERE id = \
             (SELECT actor_id FROM accounts WHERE id = $1 AND approved = $2)",
        )
        .bind(account_id)
        .bind(false)
        .execute(&mut *self.write().await?)
        .await?;
        self.lookups.clear_actors();
        if done.rows_affected() == 0 {
            return Err(StorageError::NotFound);
        }
        Ok(())
    }
}

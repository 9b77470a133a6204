//! Invitations to local groups and hidden groups' secret WebFinger names (issue 26; migration
//! 0042). An invitation is open while it has uses left and has not expired; revoking deletes
//! it. An invitee is a person an invitation was used for or sent to: while their row lives, the
//! rules in kith-federation let their server look the group up and accept their follow.

use sqlx::FromRow;

use crate::{Database, Result, StorageError, Tx};

/// An invitation to a group: a link (`invitee_id` empty) or a personal one.
#[derive(Clone, Debug, FromRow, PartialEq, Eq)]
pub struct Invitation {
    /// Local id (ULID), what organisers revoke it by; never the link's secret.
    pub id: String,
    /// The group's actor id.
    pub group_id: String,
    /// For a personal invitation, the one person it is for.
    pub invitee_id: Option<String>,
    /// The organiser who made it.
    pub created_by: Option<String>,
    /// How many people may use it.
    pub max_uses: i64,
    /// How many did.
    pub uses: i64,
    /// Milliseconds since the epoch.
    pub created_at: i64,
    /// Milliseconds since the epoch; from then on it is closed.
    pub expires_at: i64,
}

/// An invitation row's columns, spelled once for every query that reads one.
macro_rules! columns {
    () => {
        "id, group_id, invitee_id, created_by, max_uses, uses, created_at, expires_at"
    };
}

impl Database {
    /// A group's open invitations, newest first.
    pub async fn open_invitations(&self, group_id: &str, now: i64) -> Result<Vec<Invitation>> {
        Ok(sqlx::query_as(concat!(
            "SELECT ",
            columns!(),
            " FROM group_invitations WHERE group_id = $1 AND expires_at > $2 \
             AND uses < max_uses ORDER BY created_at DESC, id DESC"
        ))
        .bind(group_id)
        .bind(now)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The open invitation whose secret hashes to `token_hash`; [`StorageError::NotFound`]
    /// for an unknown, used-up or expired one.
    pub async fn open_invitation(&self, token_hash: &str, now: i64) -> Result<Invitation> {
        sqlx::query_as(concat!(
            "SELECT ",
            columns!(),
            " FROM group_invitations WHERE token_hash = $1 AND expires_at > $2 \
             AND uses < max_uses"
        ))
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StorageError::NotFound)
    }

    /// Revokes one of a group's invitations, and with it the looks it granted to invitees who
    /// have not joined.
    pub async fn delete_invitation(&self, group_id: &str, id: &str) -> Result<()> {
        let mut conn = self.write().await?;
        // Deleted explicitly rather than by the foreign key: SQLite enforces it only with
        // `foreign_keys` on, and an invitee left behind would keep its server's look.
        sqlx::query("DELETE FROM group_invitees WHERE invitation_id = $1 AND group_id = $2")
            .bind(id)
            .bind(group_id)
            .execute(&mut *conn)
            .await?;
        let done = sqlx::query("DELETE FROM group_invitations WHERE id = $1 AND group_id = $2")
            .bind(id)
            .bind(group_id)
            .execute(&mut *conn)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StorageError::NotFound);
        }
        Ok(())
    }

    /// Whether a server (by host, as in actor ids) holds a person with an open invitation to
    /// the group: it may look the group up, so that the person can follow it.
    pub async fn host_has_invitee(&self, group_id: &str, domain: &str, now: i64) -> Result<bool> {
        let found: Option<String> = sqlx::query_scalar(
            "SELECT actor_id FROM group_invitees WHERE group_id = $1 AND domain = $2 \
             AND expires_at > $3 LIMIT 1",
        )
        .bind(group_id)
        .bind(domain)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.is_some())
    }

    /// Whether a person holds an open invitation to the group.
    pub async fn is_invitee(&self, group_id: &str, actor_id: &str, now: i64) -> Result<bool> {
        let found: Option<String> = sqlx::query_scalar(
            "SELECT actor_id FROM group_invitees WHERE group_id = $1 AND actor_id = $2 \
             AND expires_at > $3",
        )
        .bind(group_id)
        .bind(actor_id)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.is_some())
    }

    /// A hidden group's secret WebFinger name, made from `fresh` the first time it is asked
    /// for (a name once given stays: members' servers know the group by it).
    pub async fn group_handle(&self, group_id: &str, fresh: &str, now: i64) -> Result<String> {
        if let Some(handle) = self.stored_handle(group_id).await? {
            return Ok(handle);
        }
        sqlx::query(
            "INSERT INTO group_handles (group_id, handle, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (group_id) DO NOTHING",
        )
        .bind(group_id)
        .bind(fresh)
        .bind(now)
        .execute(&mut *self.write().await?)
        .await?;
        // Another process may have given it one first: whichever is stored is the name.
        self.stored_handle(group_id)
            .await?
            .ok_or(StorageError::NotFound)
    }

    async fn stored_handle(&self, group_id: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT handle FROM group_handles WHERE group_id = $1")
                .bind(group_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// The group whose secret WebFinger name this is.
    pub async fn group_of_handle(&self, handle: &str) -> Result<String> {
        sqlx::query_scalar("SELECT group_id FROM group_handles WHERE handle = $1")
            .bind(handle)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StorageError::NotFound)
    }
}

impl Tx {
    /// Keeps a new invitation; only `token_hash`, the SHA-256 of its secret, is stored.
    pub async fn create_invitation(&mut self, inv: &Invitation, token_hash: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO group_invitations (id, group_id, token_hash, invitee_id, created_by, \
             max_uses, uses, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&inv.id)
        .bind(&inv.group_id)
        .bind(token_hash)
        .bind(&inv.invitee_id)
        .bind(&inv.created_by)
        .bind(inv.max_uses)
        .bind(inv.uses)
        .bind(inv.created_at)
        .bind(inv.expires_at)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Takes one use of the open invitation whose secret hashes to `token_hash` (checked and
    /// counted in one statement, so two people cannot both take its last use);
    /// [`StorageError::NotFound`] when it is not open.
    pub async fn use_invitation(&mut self, token_hash: &str, now: i64) -> Result<Invitation> {
        sqlx::query_as(concat!(
            "UPDATE group_invitations SET uses = uses + 1 WHERE token_hash = $1 \
             AND expires_at > $2 AND uses < max_uses RETURNING ",
            columns!()
        ))
        .bind(token_hash)
        .bind(now)
        .fetch_optional(self.conn())
        .await?
        .ok_or(StorageError::NotFound)
    }

    /// Records a person an invitation was used for or sent to, until `expires_at` (a second
    /// invitation for the same person replaces the first).
    pub async fn add_invitee(
        &mut self,
        invitation: &Invitation,
        actor_id: &str,
        domain: &str,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO group_invitees (group_id, actor_id, domain, invitation_id, created_at, \
             expires_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (group_id, actor_id) \
             DO UPDATE SET domain = $3, invitation_id = $4, created_at = $5, expires_at = $6",
        )
        .bind(&invitation.group_id)
        .bind(actor_id)
        .bind(domain)
        .bind(&invitation.id)
        .bind(now)
        .bind(invitation.expires_at)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Forgets an invitee: they joined (or were refused), and their server needs no look any
    /// more than its membership gives it.
    pub async fn remove_invitee(&mut self, group_id: &str, actor_id: &str) -> Result<()> {
        sqlx::query("DELETE FROM group_invitees WHERE group_id = $1 AND actor_id = $2")
            .bind(group_id)
            .bind(actor_id)
            .execute(self.conn())
            .await?;
        Ok(())
    }
}

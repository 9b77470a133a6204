//! The keys actors publish (migration 0011): an actor may have several — an RSA `publicKey`,
//! several of them, FEP-521a `assertionMethod` Multikeys (Ed25519) — each found by its id, the
//! `keyId` an HTTP signature names. A remote actor's keys are replaced together with the actor,
//! in one transaction, each time it is fetched.

use sqlx::FromRow;

use crate::{Actor, Database, NewActor, Result, StorageError, now_millis};

/// A key an actor publishes, to store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewKey {
    /// The key's id (`publicKey.id`, `assertionMethod[].id`).
    pub key_id: String,
    /// As published: an SPKI PEM (`publicKeyPem`) or a multibase key (`publicKeyMultibase`).
    pub public_key: String,
}

/// A stored key.
#[derive(Clone, Debug, FromRow)]
pub struct ActorKey {
    /// The key's id.
    pub key_id: String,
    /// The actor that publishes it.
    pub actor_id: String,
    /// As published (PEM or multibase).
    pub public_key: String,
}

impl Database {
    /// Stores a remote actor, or refreshes the stored copy, with every key it publishes
    /// (keys it no longer publishes are forgotten), in one transaction. A local actor is never
    /// overwritten, nor are its keys.
    pub async fn upsert_remote_actor_with_keys(
        &self,
        actor: &NewActor,
        keys: &[NewKey],
    ) -> Result<Actor> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        crate::actors::upsert_remote_in(&mut tx, actor, now).await?;
        sqlx::query(
            "DELETE FROM actor_keys WHERE actor_id = $1 \
             AND actor_id IN (SELECT id FROM actors WHERE local = FALSE)",
        )
        .bind(&actor.id)
        .execute(&mut *tx)
        .await?;
        for key in keys {
            sqlx::query(
                "INSERT INTO actor_keys (key_id, actor_id, public_key, created_at) \
                 SELECT $1, $2, $3, $4 WHERE EXISTS \
                 (SELECT 1 FROM actors WHERE id = $2 AND local = FALSE) \
                 ON CONFLICT (key_id) DO UPDATE SET actor_id = excluded.actor_id, \
                 public_key = excluded.public_key",
            )
            .bind(&key.key_id)
            .bind(&actor.id)
            .bind(&key.public_key)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        self.lookups.forget_actor(&actor.id);
        // Read back after the forget, so that a change made meanwhile is what is kept.
        let stored = self.actor(&actor.id).await?;
        if !stored.local {
            self.lookups
                .keep_stored_actor(format!("key {}", stored.key_id), &stored);
        }
        Ok(stored)
    }

    /// The key with this id.
    pub async fn actor_key(&self, key_id: &str) -> Result<ActorKey> {
        sqlx::query_as("SELECT key_id, actor_id, public_key FROM actor_keys WHERE key_id = $1")
            .bind(key_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StorageError::NotFound)
    }

    /// Every key an actor publishes, by id.
    pub async fn keys_of_actor(&self, actor_id: &str) -> Result<Vec<ActorKey>> {
        Ok(sqlx::query_as(
            "SELECT key_id, actor_id, public_key FROM actor_keys WHERE actor_id = $1 \
             ORDER BY key_id",
        )
        .bind(actor_id)
        .fetch_all(&self.pool)
        .await?)
    }
}

/// Records a key of a new actor inside its transaction.
pub(crate) async fn insert_key_in(
    conn: &mut sqlx::AnyConnection,
    actor_id: &str,
    key: &NewKey,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO actor_keys (key_id, actor_id, public_key, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(&key.key_id)
    .bind(actor_id)
    .bind(&key.public_key)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

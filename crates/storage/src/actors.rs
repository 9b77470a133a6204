//! Actors: local people, local groups, the instance actor, and remote actors.

use sqlx::FromRow;

use crate::db::{BIND_BATCH, placeholders};
use crate::text_enum::text_enum;
use crate::{Database, GroupVisibility, Result, StorageError, now_millis};

text_enum!(
    /// The ActivityStreams type of an actor, as stored and as sent.
    ActorKind {
        /// A person.
        Person = "Person",
        /// A group (a Kith group, a Lemmy community, a Mobilizon group).
        Group = "Group",
        /// An instance actor.
        Application = "Application",
        /// A bot or service account.
        Service = "Service",
        /// An organisation.
        Organization = "Organization",
    }
);

/// An actor to store, local or remote.
#[derive(Clone, Debug)]
pub struct NewActor {
    /// The ActivityPub id.
    pub id: String,
    /// Its type.
    pub kind: ActorKind,
    /// Whether this instance hosts it.
    pub local: bool,
    /// `preferredUsername`; lower-case for local actors.
    pub username: String,
    /// Host (and port, where not the default) of the id.
    pub domain: String,
    /// `name`.
    pub display_name: Option<String>,
    /// `summary` (HTML).
    pub summary: Option<String>,
    /// `url`: the page for people.
    pub url: Option<String>,
    /// `inbox`.
    pub inbox_url: String,
    /// `endpoints.sharedInbox`.
    pub shared_inbox_url: Option<String>,
    /// `outbox`.
    pub outbox_url: Option<String>,
    /// `followers`.
    pub followers_url: Option<String>,
    /// `publicKey.id`.
    pub key_id: String,
    /// `publicKey.publicKeyPem`.
    pub public_key_pem: String,
    /// The private key, for local actors only.
    pub private_key_pem: Option<String>,
    /// `manuallyApprovesFollowers`.
    pub manually_approves_followers: bool,
    /// The remote actor document as received.
    pub data: Option<String>,
}

/// A stored actor.
#[derive(Clone, Debug, FromRow)]
pub struct Actor {
    /// The ActivityPub id.
    pub id: String,
    /// Its type.
    pub kind: ActorKind,
    /// Whether this instance hosts it.
    #[sqlx(try_from = "crate::bool_column::BoolColumn")]
    pub local: bool,
    /// `preferredUsername`.
    pub username: String,
    /// Host (and port) of the id.
    pub domain: String,
    /// `name`.
    pub display_name: Option<String>,
    /// `summary`.
    pub summary: Option<String>,
    /// `url`.
    pub url: Option<String>,
    /// `inbox`.
    pub inbox_url: String,
    /// `endpoints.sharedInbox`.
    pub shared_inbox_url: Option<String>,
    /// `outbox`.
    pub outbox_url: Option<String>,
    /// `followers`.
    pub followers_url: Option<String>,
    /// `publicKey.id`.
    pub key_id: String,
    /// `publicKey.publicKeyPem`.
    pub public_key_pem: String,
    /// The private key of a local actor.
    pub private_key_pem: Option<String>,
    /// `manuallyApprovesFollowers`.
    #[sqlx(try_from = "crate::bool_column::BoolColumn")]
    pub manually_approves_followers: bool,
    /// The remote document as received.
    pub data: Option<String>,
    /// When a remote actor was last fetched.
    pub fetched_at: Option<i64>,
    /// When the row was created.
    pub created_at: i64,
    /// When the row last changed.
    pub updated_at: i64,
    /// Who may see a local group; public for every other actor.
    pub visibility: GroupVisibility,
}

impl Actor {
    /// Whether everyone may see this actor and what it publishes: every actor but a local
    /// group whose visibility is `members` or `hidden`. (A stored value this build does not
    /// know is refused as the row is read: never served to everyone by mistake.)
    pub fn is_public(&self) -> bool {
        self.visibility == GroupVisibility::Public
    }

    /// Whether this actor is a `hidden` group: unknown to anyone but its members and their
    /// servers.
    pub fn is_hidden(&self) -> bool {
        self.visibility == GroupVisibility::Hidden
    }
}

macro_rules! actor_columns {
    () => {
        "id, kind, local, username, domain, display_name, summary, url, \
    inbox_url, shared_inbox_url, outbox_url, followers_url, key_id, public_key_pem, \
    private_key_pem, manually_approves_followers, data, fetched_at, created_at, updated_at, visibility"
    };
}

impl Database {
    /// Stores a new actor; a taken id or local name is [`StorageError::Conflict`].
    pub async fn insert_actor(&self, actor: &NewActor) -> Result<Actor> {
        let mut tx = self.begin_write().await?;
        let stored = insert_actor_in(&mut tx, actor).await?;
        tx.commit().await?;
        self.lookups.forget_actor(&stored.id);
        Ok(stored)
    }

    /// Stores a remote actor, or refreshes the stored copy of it, with its main key as its
    /// only key (see [`Database::upsert_remote_actor_with_keys`] for actors with several).
    pub async fn upsert_remote_actor(&self, actor: &NewActor) -> Result<Actor> {
        let key = crate::NewKey {
            key_id: actor.key_id.clone(),
            public_key: actor.public_key_pem.clone(),
        };
        self.upsert_remote_actor_with_keys(actor, std::slice::from_ref(&key))
            .await
    }

    /// Changes whether a local actor approves its followers (a group's join policy changed).
    pub async fn set_manually_approves(&self, id: &str, approves: bool) -> Result<()> {
        set_manually_approves_in(&mut *self.write().await?, id, approves).await?;
        self.lookups.forget_actor(id);
        Ok(())
    }

    /// Gives a local actor another name, keeping its id (the instance actor, whose earlier name
    /// other servers could not read); a name taken by another local actor is
    /// [`StorageError::Conflict`], an unknown id [`StorageError::NotFound`].
    pub async fn rename_local_actor(&self, id: &str, username: &str) -> Result<Actor> {
        let done = sqlx::query(
            "UPDATE actors SET username = $1, updated_at = $2 WHERE id = $3 AND local = TRUE",
        )
        .bind(username.to_lowercase())
        .bind(now_millis())
        .bind(id)
        .execute(&mut *self.write().await?)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StorageError::NotFound);
        }
        self.lookups.forget_actor(id);
        self.actor(id).await
    }

    /// The actor with this ActivityPub id.
    pub async fn actor(&self, id: &str) -> Result<Actor> {
        sqlx::query_as(concat!(
            "SELECT ",
            actor_columns!(),
            " FROM actors WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StorageError::NotFound)
    }

    /// The actors with these ids that are known, in no particular order: one query per few
    /// hundred ids, for pages that show many authors.
    pub async fn actors_by_ids(&self, ids: &[&str]) -> Result<Vec<Actor>> {
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let mut found = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(BIND_BATCH) {
            let sql = format!(
                concat!("SELECT ", actor_columns!(), " FROM actors WHERE id IN ({})"),
                placeholders(chunk.len())
            );
            let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                query = query.bind(*id);
            }
            found.extend(query.fetch_all(&self.pool).await?);
        }
        Ok(found)
    }

    /// The local actor (person, group or instance actor) with this name.
    pub async fn local_actor_by_username(&self, username: &str) -> Result<Actor> {
        sqlx::query_as(concat!(
            "SELECT ",
            actor_columns!(),
            " FROM actors WHERE local = TRUE AND username = $1"
        ))
        .bind(username.to_lowercase())
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StorageError::NotFound)
    }

    /// The remote actor known by this name on this domain (for `@name@domain` handles).
    pub async fn remote_actor_by_handle(&self, username: &str, domain: &str) -> Result<Actor> {
        sqlx::query_as(concat!(
            "SELECT ",
            actor_columns!(),
            " FROM actors \
             WHERE local = FALSE AND domain = $1 AND lower(username) = lower($2) \
             ORDER BY updated_at DESC LIMIT 1"
        ))
        .bind(domain)
        .bind(username)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StorageError::NotFound)
    }

    /// The actor that publishes the key with this id (`keyId` of an HTTP signature), among
    /// all the keys it publishes (`actor_keys`).
    pub async fn actor_by_key_id(&self, key_id: &str) -> Result<Actor> {
        sqlx::query_as(concat!(
            "SELECT ",
            actor_columns!(),
            " FROM actors WHERE id = (SELECT actor_id FROM actor_keys WHERE key_id = $1)"
        ))
        .bind(key_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StorageError::NotFound)
    }

    /// The local actor of this kind, oldest first (finds the instance actor).
    pub async fn local_actors_of_kind(&self, kind: ActorKind) -> Result<Vec<Actor>> {
        Ok(sqlx::query_as(concat!(
            "SELECT ",
            actor_columns!(),
            " FROM actors WHERE local = TRUE AND kind = $1 \
             ORDER BY created_at, id"
        ))
        .bind(kind.as_str())
        .fetch_all(&self.pool)
        .await?)
    }
}
pub(crate) use actor_columns;

/// Inserts an actor inside a transaction (group creation adds its settings in the same one).
pub(crate) async fn insert_actor_in(
    conn: &mut sqlx::AnyConnection,
    actor: &NewActor,
) -> Result<Actor> {
    let now = now_millis();
    let username = if actor.local {
        actor.username.to_lowercase()
    } else {
        actor.username.clone()
    };
    let stored: Actor = sqlx::query_as(concat!(
        "INSERT INTO actors (id, kind, local, username, domain, display_name, summary, url, \
         inbox_url, shared_inbox_url, outbox_url, followers_url, key_id, public_key_pem, \
         private_key_pem, manually_approves_followers, data, fetched_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
         $18, $19, $19) RETURNING ",
        actor_columns!()
    ))
    .bind(&actor.id)
    .bind(actor.kind.as_str())
    .bind(actor.local)
    .bind(username)
    .bind(&actor.domain)
    .bind(&actor.display_name)
    .bind(&actor.summary)
    .bind(&actor.url)
    .bind(&actor.inbox_url)
    .bind(&actor.shared_inbox_url)
    .bind(&actor.outbox_url)
    .bind(&actor.followers_url)
    .bind(&actor.key_id)
    .bind(&actor.public_key_pem)
    .bind(&actor.private_key_pem)
    .bind(actor.manually_approves_followers)
    .bind(&actor.data)
    .bind((!actor.local).then_some(now))
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    crate::keys::insert_key_in(
        conn,
        &actor.id,
        &crate::NewKey {
            key_id: actor.key_id.clone(),
            public_key: actor.public_key_pem.clone(),
        },
        now,
    )
    .await?;
    Ok(stored)
}

/// Inserts a remote actor or refreshes the stored copy, inside a transaction (its keys are
/// written in the same one); a local actor with that id is left alone.
pub(crate) async fn upsert_remote_in(
    conn: &mut sqlx::AnyConnection,
    actor: &NewActor,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO actors (id, kind, local, username, domain, display_name, summary, url, \
         inbox_url, shared_inbox_url, outbox_url, followers_url, key_id, public_key_pem, \
         private_key_pem, manually_approves_followers, data, fetched_at, created_at, updated_at) \
         VALUES ($1, $2, FALSE, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, NULL, $14, $15, \
         $16, $16, $16) \
         ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, username = excluded.username, \
         display_name = excluded.display_name, summary = excluded.summary, url = excluded.url, \
         inbox_url = excluded.inbox_url, shared_inbox_url = excluded.shared_inbox_url, \
         outbox_url = excluded.outbox_url, followers_url = excluded.followers_url, \
         key_id = excluded.key_id, public_key_pem = excluded.public_key_pem, \
         manually_approves_followers = excluded.manually_approves_followers, \
         data = excluded.data, fetched_at = excluded.fetched_at, \
         updated_at = excluded.updated_at \
         WHERE actors.local = FALSE",
    )
    .bind(&actor.id)
    .bind(actor.kind.as_str())
    .bind(&actor.username)
    .bind(&actor.domain)
    .bind(&actor.display_name)
    .bind(&actor.summary)
    .bind(&actor.url)
    .bind(&actor.inbox_url)
    .bind(&actor.shared_inbox_url)
    .bind(&actor.outbox_url)
    .bind(&actor.followers_url)
    .bind(&actor.key_id)
    .bind(&actor.public_key_pem)
    .bind(actor.manually_approves_followers)
    .bind(&actor.data)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

impl crate::Tx {
    /// Changes a local actor's display name and description (a group's settings), in this
    /// transaction; the copy in memory is forgotten once it commits.
    pub async fn set_actor_profile(
        &mut self,
        id: &str,
        display_name: Option<&str>,
        summary: Option<&str>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE actors SET display_name = $1, summary = $2, updated_at = $3 \
             WHERE id = $4 AND local = TRUE",
        )
        .bind(display_name)
        .bind(summary)
        .bind(now_millis())
        .bind(id)
        .execute(self.conn())
        .await?;
        self.changed_actor(id);
        Ok(())
    }

    /// [`Database::set_manually_approves`] inside this transaction (the actor's copy in memory
    /// forgotten once it commits).
    pub async fn set_manually_approves(&mut self, id: &str, approves: bool) -> Result<()> {
        set_manually_approves_in(self.conn(), id, approves).await?;
        self.changed_actor(id);
        Ok(())
    }
}

async fn set_manually_approves_in(
    conn: &mut sqlx::AnyConnection,
    id: &str,
    approves: bool,
) -> Result<()> {
    sqlx::query(
        "UPDATE actors SET manually_approves_followers = $1, updated_at = $2 WHERE id = $3",
    )
    .bind(approves)
    .bind(now_millis())
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

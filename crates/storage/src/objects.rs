//! Objects: posts, replies and events, local and remote, kept with the JSON they were published as.

use sqlx::FromRow;

use crate::{Database, Result, StorageError, now_millis, text_enum::text_enum};

text_enum!(
    /// Who an object was addressed to, as Mastodon distinguishes it.
    Visibility {
        /// `Public` in `to`.
        Public = "public",
        /// `Public` in `cc` only.
        Unlisted = "unlisted",
        /// The author's followers only.
        Followers = "followers",
        /// Only the actors mentioned.
        Direct = "direct",
    }
);

text_enum!(
    /// The ActivityStreams type of a stored object: the kinds of post Kith keeps, and events.
    ObjectKind {
        /// A short post.
        Note = "Note",
        /// A long post with a title.
        Article = "Article",
        /// A titled post (Lemmy).
        Page = "Page",
        /// A poll.
        Question = "Question",
        /// An event.
        Event = "Event",
    }
);

/// An object to store.
#[derive(Clone, Debug)]
pub struct NewObject {
    /// The ActivityPub id.
    pub id: String,
    /// The ActivityStreams type.
    pub kind: ObjectKind,
    /// Whether it was published here.
    pub local: bool,
    /// The author's actor id.
    pub attributed_to: String,
    /// The local group it was posted to, if any.
    pub group_id: Option<String>,
    /// The id of the object it answers.
    pub in_reply_to: Option<String>,
    /// The id of the first post of its thread.
    pub thread_root: Option<String>,
    /// Who it was addressed to.
    pub visibility: Visibility,
    /// `url`.
    pub url: Option<String>,
    /// `name` (titles of articles and events).
    pub name: Option<String>,
    /// `summary` (content warning, or an event's one-line summary).
    pub summary: Option<String>,
    /// `content` (sanitised HTML).
    pub content: Option<String>,
    /// `sensitive`.
    pub sensitive: bool,
    /// An event's start, in milliseconds.
    pub start_time: Option<i64>,
    /// An event's end, in milliseconds.
    pub end_time: Option<i64>,
    /// The JSON document.
    pub data: String,
    /// `published`, in milliseconds.
    pub published_at: i64,
    /// The id of the group's `Announce` of it, when a local group redistributed it.
    pub announce_id: Option<String>,
    /// The author's `Create` as received (re-sent unchanged inside FEP-1b12 announces).
    pub activity: Option<String>,
    /// Why it waits for a moderator; `None` when it is visible.
    pub held_reason: Option<String>,
}

impl NewObject {
    /// A public object published here, with nothing but its id, type, author, document and
    /// time filled in; callers set the rest.
    pub fn local(
        id: &str,
        kind: ObjectKind,
        attributed_to: &str,
        data: String,
        published_at: i64,
    ) -> Self {
        NewObject {
            id: id.to_owned(),
            kind,
            local: true,
            attributed_to: attributed_to.to_owned(),
            group_id: None,
            in_reply_to: None,
            thread_root: None,
            visibility: Visibility::Public,
            url: Some(id.to_owned()),
            name: None,
            summary: None,
            content: None,
            sensitive: false,
            start_time: None,
            end_time: None,
            data,
            published_at,
            announce_id: None,
            activity: None,
            held_reason: None,
        }
    }
}

/// A stored object.
#[derive(Clone, Debug, FromRow)]
pub struct StoredObject {
    /// The ActivityPub id.
    pub id: String,
    /// The ActivityStreams type.
    pub kind: ObjectKind,
    /// Whether it was published here.
    #[sqlx(try_from = "crate::bool_column::BoolColumn")]
    pub local: bool,
    /// The author's actor id.
    pub attributed_to: String,
    /// The local group it belongs to.
    pub group_id: Option<String>,
    /// The object it answers.
    pub in_reply_to: Option<String>,
    /// The first post of its thread.
    pub thread_root: Option<String>,
    /// Who it was addressed to.
    pub visibility: Visibility,
    /// `url`.
    pub url: Option<String>,
    /// `name`.
    pub name: Option<String>,
    /// `summary`.
    pub summary: Option<String>,
    /// `content`.
    pub content: Option<String>,
    /// `sensitive`.
    #[sqlx(try_from = "crate::bool_column::BoolColumn")]
    pub sensitive: bool,
    /// An event's start.
    pub start_time: Option<i64>,
    /// An event's end.
    pub end_time: Option<i64>,
    /// The JSON document.
    pub data: String,
    /// `published`.
    pub published_at: i64,
    /// When it was last edited.
    pub updated_at: Option<i64>,
    /// When it was deleted (a tombstone is served from then on).
    pub deleted_at: Option<i64>,
    /// The id of the group's `Announce` of it.
    pub announce_id: Option<String>,
    /// The author's `Create` as received.
    pub activity: Option<String>,
    /// Why it waits for a moderator.
    pub held_reason: Option<String>,
}

/// The columns of [`StoredObject`], in order.
macro_rules! object_columns {
    () => {
        "id, kind, local, attributed_to, group_id, in_reply_to, \
    thread_root, visibility, url, name, summary, content, sensitive, start_time, end_time, data, \
    published_at, updated_at, deleted_at, announce_id, activity, held_reason"
    };
}
pub(crate) use object_columns;

impl Database {
    /// Stores a new object; an id already stored is [`StorageError::Conflict`].
    pub async fn insert_object(&self, object: &NewObject) -> Result<StoredObject> {
        insert_object_in(&mut *self.write().await?, object).await
    }

    /// The object with this id, deleted or not.
    pub async fn object(&self, id: &str) -> Result<StoredObject> {
        sqlx::query_as(concat!(
            "SELECT ",
            object_columns!(),
            " FROM objects WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StorageError::NotFound)
    }

    /// Replaces an object's content after an edit.
    pub async fn update_object_content(
        &self,
        id: &str,
        name: Option<&str>,
        summary: Option<&str>,
        content: Option<&str>,
        data: &str,
    ) -> Result<()> {
        let edit = (name, summary, content, data);
        update_object_content_in(&mut *self.write().await?, id, edit).await
    }

    /// Marks an object deleted; its content is dropped and only the tombstone stays.
    pub async fn delete_object(&self, id: &str) -> Result<()> {
        delete_object_in(&mut *self.write().await?, id).await
    }

    /// A page of a group's live top-level posts, newest first, published before `before`. A
    /// repeating series is there once, as its first date: the later dates are listed in the
    /// group's calendar, not its timeline (they are not announced either).
    pub async fn group_posts_page(
        &self,
        group_id: &str,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<StoredObject>> {
        Ok(sqlx::query_as(concat!(
            "SELECT ",
            object_columns!(),
            " FROM objects WHERE group_id = $1 AND in_reply_to IS NULL \
             AND deleted_at IS NULL AND held_reason IS NULL AND published_at < $2 \
             AND NOT EXISTS (SELECT 1 FROM events later WHERE later.object_id = objects.id \
               AND later.series_id IS NOT NULL AND later.occurrence > (SELECT MIN(earliest.occurrence) \
               FROM events earliest WHERE earliest.series_id = later.series_id)) \
             ORDER BY published_at DESC, id DESC LIMIT $3"
        ))
        .bind(group_id)
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// A page of the live replies to an object, oldest first, published after `after`; direct
    /// messages (the group's answers to one person, which may hold an online link) are not listed.
    pub async fn replies_page(
        &self,
        object_id: &str,
        after: Option<i64>,
        limit: i64,
    ) -> Result<Vec<StoredObject>> {
        Ok(sqlx::query_as(concat!(
            "SELECT ",
            object_columns!(),
            " FROM objects WHERE in_reply_to = $1 AND deleted_at IS NULL \
             AND held_reason IS NULL AND visibility <> 'direct' \
             AND published_at > $2 ORDER BY published_at, id LIMIT $3"
        ))
        .bind(object_id)
        .bind(after.unwrap_or(i64::MIN))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}

impl crate::Tx {
    /// [`Database::insert_object`] inside this transaction.
    pub async fn insert_object(&mut self, object: &NewObject) -> Result<StoredObject> {
        insert_object_in(self.conn(), object).await
    }

    /// Stores a new object unless its id is stored already (`None`: the row is left as it is,
    /// and the transaction goes on, where a refused insert would end it on PostgreSQL).
    pub async fn insert_object_if_new(
        &mut self,
        object: &NewObject,
    ) -> Result<Option<StoredObject>> {
        if object_exists(self.conn(), &object.id).await? {
            return Ok(None);
        }
        Ok(Some(insert_object_in(self.conn(), object).await?))
    }

    /// [`Database::update_object_content`] inside this transaction.
    pub async fn update_object_content(
        &mut self,
        id: &str,
        name: Option<&str>,
        summary: Option<&str>,
        content: Option<&str>,
        data: &str,
    ) -> Result<()> {
        update_object_content_in(self.conn(), id, (name, summary, content, data)).await
    }

    /// [`Database::delete_object`] inside this transaction.
    pub async fn delete_object(&mut self, id: &str) -> Result<()> {
        delete_object_in(self.conn(), id).await
    }
}

async fn object_exists(conn: &mut sqlx::AnyConnection, id: &str) -> Result<bool> {
    let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM objects WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(found.is_some())
}

/// An edit's new name, summary, content and document.
type Edit<'a> = (Option<&'a str>, Option<&'a str>, Option<&'a str>, &'a str);

async fn update_object_content_in(
    conn: &mut sqlx::AnyConnection,
    id: &str,
    (name, summary, content, data): Edit<'_>,
) -> Result<()> {
    let done = sqlx::query(
        "UPDATE objects SET name = $1, summary = $2, content = $3, data = $4, \
         updated_at = $5 WHERE id = $6 AND deleted_at IS NULL",
    )
    .bind(name)
    .bind(summary)
    .bind(content)
    .bind(data)
    .bind(now_millis())
    .bind(id)
    .execute(conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StorageError::NotFound);
    }
    Ok(())
}

async fn delete_object_in(conn: &mut sqlx::AnyConnection, id: &str) -> Result<()> {
    let done = sqlx::query(
        "UPDATE objects SET deleted_at = $1, content = NULL, summary = NULL, name = NULL, \
         data = '{}' WHERE id = $2 AND deleted_at IS NULL",
    )
    .bind(now_millis())
    .bind(id)
    .execute(conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StorageError::NotFound);
    }
    Ok(())
}

/// Inserts an object through any executor (the pool, or a transaction that writes more rows).
pub(crate) async fn insert_object_in<'e, E>(executor: E, object: &NewObject) -> Result<StoredObject>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(concat!(
        "INSERT INTO objects (id, kind, local, attributed_to, group_id, in_reply_to, \
         thread_root, visibility, url, name, summary, content, sensitive, start_time, \
         end_time, data, published_at, announce_id, activity, held_reason) VALUES ($1, $2, \
         $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20) \
         RETURNING ",
        object_columns!()
    ))
    .bind(&object.id)
    .bind(object.kind)
    .bind(object.local)
    .bind(&object.attributed_to)
    .bind(&object.group_id)
    .bind(&object.in_reply_to)
    .bind(&object.thread_root)
    .bind(object.visibility.as_str())
    .bind(&object.url)
    .bind(&object.name)
    .bind(&object.summary)
    .bind(&object.content)
    .bind(object.sensitive)
    .bind(object.start_time)
    .bind(object.end_time)
    .bind(&object.data)
    .bind(object.published_at)
    .bind(&object.announce_id)
    .bind(&object.activity)
    .bind(&object.held_reason)
    .fetch_one(executor)
    .await?)
}

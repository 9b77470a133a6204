//! Pictures (issue 23): the files in the media folder (named by their SHA-256, written by
//! kith-federation's `media`) and what shows them: a group's avatar and banner, an event's
//! picture, each with its alt text and the group whose readers may fetch it.

use sqlx::FromRow;

use crate::{Database, Result, now_millis, text_enum::text_enum};

text_enum!(
    /// What a picture is to what shows it.
    PictureRole {
        /// A group's avatar (square-ish, small).
        Avatar = "avatar",
        /// A group's banner (wide).
        Banner = "banner",
        /// An event's picture.
        Event = "event",
    }
);

/// A stored picture file.
#[derive(Clone, Debug, FromRow)]
pub struct Media {
    /// The SHA-256 of its bytes, in lower-case hex (its name on disk and in its URL).
    pub hash: String,
    /// `image/png`, `image/jpeg`, …
    pub content_type: String,
    /// Its width in pixels.
    pub width: i64,
    /// Its height in pixels.
    pub height: i64,
    /// Its size in bytes.
    pub size: i64,
    /// When it was first stored.
    pub created_at: i64,
}

/// A picture as something shows it.
#[derive(Clone, Debug, FromRow)]
pub struct Picture {
    /// What shows it: a local group's actor id or an event's object id.
    pub owner_id: String,
    /// What it is to its owner.
    pub role: PictureRole,
    /// The group whose readers may see it.
    pub group_id: String,
    /// The file.
    pub hash: String,
    /// Its description for people who cannot see it.
    pub alt: Option<String>,
    /// The file's type.
    pub content_type: String,
    /// Its width.
    pub width: i64,
    /// Its height.
    pub height: i64,
    /// The unguessable name a hidden group's avatar or banner is also served under to anyone
    /// who has it (migration 0027, `picture_capabilities`): its members' servers, which fetch avatars
    /// unsigned.
    pub capability: Option<String>,
}

impl Database {
    /// The pictures something shows (a group's avatar and banner, an event's picture).
    pub async fn pictures_of(&self, owner_id: &str) -> Result<Vec<Picture>> {
        Ok(sqlx::query_as(
            "SELECT p.owner_id, p.role, p.group_id, p.hash, p.alt, m.content_type, m.width, \
             m.height, c.capability FROM pictures p JOIN media m ON m.hash = p.hash \
             LEFT JOIN picture_capabilities c ON c.owner_id = p.owner_id AND c.role = p.role \
             WHERE p.owner_id = $1 ORDER BY p.role",
        )
        .bind(owner_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Every use of a file: who may fetch it is decided by these.
    pub async fn pictures_by_hash(&self, hash: &str) -> Result<Vec<Picture>> {
        Ok(sqlx::query_as(
            "SELECT p.owner_id, p.role, p.group_id, p.hash, p.alt, m.content_type, m.width, \
             m.height, c.capability FROM pictures p JOIN media m ON m.hash = p.hash \
             LEFT JOIN picture_capabilities c ON c.owner_id = p.owner_id AND c.role = p.role \
             WHERE p.hash = $1",
        )
        .bind(hash)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The picture a capability names, if any.
    pub async fn picture_by_capability(&self, capability: &str) -> Result<Option<Picture>> {
        Ok(sqlx::query_as(
            "SELECT p.owner_id, p.role, p.group_id, p.hash, p.alt, m.content_type, m.width, \
             m.height, c.capability FROM picture_capabilities c JOIN pictures p \
             ON p.owner_id = c.owner_id AND p.role = c.role JOIN media m ON m.hash = p.hash \
             WHERE c.capability = $1",
        )
        .bind(capability)
        .fetch_optional(&self.pool)
        .await?)
    }
}

impl crate::Tx {
    /// Records a stored file (once: the same bytes are the same file).
    pub async fn add_media(
        &mut self,
        hash: &str,
        content_type: &str,
        (width, height): (u32, u32),
        size: usize,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO media (hash, content_type, width, height, size, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (hash) DO NOTHING",
        )
        .bind(hash)
        .bind(content_type)
        .bind(i64::from(width))
        .bind(i64::from(height))
        .bind(i64::try_from(size).unwrap_or(i64::MAX))
        .bind(now_millis())
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Shows a file as `owner_id`'s `role` picture (replacing the one before), with its alt
    /// text; `hash` none removes the picture.
    pub async fn set_picture(
        &mut self,
        owner: (&str, PictureRole, &str),
        hash: Option<&str>,
        alt: Option<&str>,
    ) -> Result<()> {
        self.set_picture_named(owner, hash.map(|h| (h, None)), alt)
            .await
    }

    /// [`Tx::set_picture`], the file also named by an unguessable `capability` (a group's
    /// avatar and banner).
    pub async fn set_picture_named(
        &mut self,
        (owner_id, role, group_id): (&str, PictureRole, &str),
        shown: Option<(&str, Option<&str>)>,
        alt: Option<&str>,
    ) -> Result<()> {
        sqlx::query("DELETE FROM pictures WHERE owner_id = $1 AND role = $2")
            .bind(owner_id)
            .bind(role)
            .execute(self.conn())
            .await?;
        sqlx::query("DELETE FROM picture_capabilities WHERE owner_id = $1 AND role = $2")
            .bind(owner_id)
            .bind(role)
            .execute(self.conn())
            .await?;
        if let Some((_, Some(capability))) = shown {
            sqlx::query(
                "INSERT INTO picture_capabilities (owner_id, role, capability) \
                 VALUES ($1, $2, $3)",
            )
            .bind(owner_id)
            .bind(role)
            .bind(capability)
            .execute(self.conn())
            .await?;
        }
        if let Some((hash, _)) = shown {
            sqlx::query(
                "INSERT INTO pictures (owner_id, role, group_id, hash, alt) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(owner_id)
            .bind(role)
            .bind(group_id)
            .bind(hash)
            .bind(alt)
            .execute(self.conn())
            .await?;
        }
        Ok(())
    }
}

//! What the web pages list: the group directory, a person's posts and groups, whole threads.

use crate::{
    Actor, Database, Membership, Result, StoredObject, actors::actor_columns,
    objects::object_columns,
};

/// A local group as the directory shows it.
#[derive(Clone, Debug)]
pub struct GroupListing {
    /// The group's actor.
    pub group: Actor,
    /// How many accepted members it has.
    pub members: i64,
}

/// Escapes `%`, `_` and `\` so a search term matches itself in `LIKE … ESCAPE '\'`.
fn like_pattern(term: &str) -> String {
    let mut pattern = String::from("%");
    for c in term.trim().to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The actor columns prefixed with `actors.`, for joins whose other table shares names.
fn qualified_actor_columns() -> String {
    actor_columns!()
        .split(", ")
        .map(|c| format!("actors.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Database {
    /// Local groups whose name, title or description contains `term` (all when it is empty),
    /// largest first; never a hidden group (unknown to anyone but its members).
    pub async fn search_local_groups(&self, term: &str, limit: i64) -> Result<Vec<GroupListing>> {
        let sql = format!(
            "SELECT {cols}, (SELECT COUNT(*) FROM memberships m WHERE m.group_id = actors.id \
             AND m.state = 'accepted') AS members FROM actors \
             WHERE kind = 'Group' AND local AND visibility <> 'hidden' AND (LOWER(username) LIKE $1 ESCAPE '\\' \
             OR LOWER(COALESCE(display_name, '')) LIKE $1 ESCAPE '\\' \
             OR LOWER(COALESCE(summary, '')) LIKE $1 ESCAPE '\\') \
             ORDER BY members DESC, username LIMIT $2",
            cols = actor_columns!()
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(like_pattern(term))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                use sqlx::{FromRow, Row};
                Ok(GroupListing {
                    group: Actor::from_row(row)?,
                    members: row.try_get("members")?,
                })
            })
            .collect()
    }

    /// A person's latest public posts and replies, newest first; none in a members-only or
    /// hidden group.
    pub async fn posts_by_author(&self, actor_id: &str, limit: i64) -> Result<Vec<StoredObject>> {
        Ok(sqlx::query_as(concat!(
            "SELECT ",
            object_columns!(),
            " FROM objects WHERE attributed_to = $1 AND kind IN ('Note', 'Page', 'Article') \
             AND visibility = 'public' AND deleted_at IS NULL AND held_reason IS NULL \
             AND (group_id IS NULL OR group_id NOT IN \
             (SELECT id FROM actors WHERE visibility <> 'public')) \
             ORDER BY published_at DESC, id DESC LIMIT $2"
        ))
        .bind(actor_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Every live reply in a thread (by its first post's id), oldest first.
    pub async fn thread_replies(&self, root_id: &str, limit: i64) -> Result<Vec<StoredObject>> {
        Ok(sqlx::query_as(concat!(
            "SELECT ",
            object_columns!(),
            " FROM objects WHERE thread_root = $1 AND id <> $1 AND deleted_at IS NULL \
             AND held_reason IS NULL ORDER BY published_at, id LIMIT $2"
        ))
        .bind(root_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The local groups an actor belongs to or asked to join, with the membership.
    pub async fn memberships_of(&self, member_id: &str) -> Result<Vec<(Actor, Membership)>> {
        let sql = format!(
            "SELECT {cols}, m.group_id AS m_group_id, m.state AS m_state, m.role AS m_role, \
             m.created_at AS m_created_at FROM memberships m JOIN actors ON actors.id = m.group_id \
             WHERE m.member_id = $1 AND m.state <> 'banned' ORDER BY actors.username",
            cols = qualified_actor_columns()
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(member_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                use sqlx::{FromRow, Row};
                let group = Actor::from_row(row)?;
                let membership = Membership {
                    group_id: row.try_get("m_group_id")?,
                    member_id: member_id.to_owned(),
                    state: row.try_get("m_state")?,
                    role: row.try_get("m_role")?,
                    follow_activity_id: None,
                    created_at: row.try_get("m_created_at")?,
                    updated_at: row.try_get("m_created_at")?,
                    answer: None,
                };
                Ok((group, membership))
            })
            .collect()
    }

    /// Remote groups a local actor follows (or asked to), by actor.
    pub async fn followed_groups(
        &self,
        follower_id: &str,
    ) -> Result<Vec<(Actor, crate::FollowState)>> {
        let sql = format!(
            "SELECT {cols}, f.state AS f_state FROM follows f JOIN actors ON actors.id = f.followee_id \
             WHERE f.follower_id = $1 ORDER BY actors.username",
            cols = qualified_actor_columns()
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(follower_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                use sqlx::{FromRow, Row};
                Ok((Actor::from_row(row)?, row.try_get("f_state")?))
            })
            .collect()
    }
}

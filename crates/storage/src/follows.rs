//! Local actors following remote ones: a local group following a remote group or community,
//! whose announces it then keeps.

use sqlx::FromRow;

use crate::{Database, Result, StorageError, now_millis, text_enum::text_enum};

text_enum!(
    /// Where a follow stands.
    FollowState {
        /// Sent, not yet accepted.
        Pending = "pending",
        /// Accepted by the remote actor.
        Accepted = "accepted",
    }
);

/// A local actor's follow of a remote actor.
#[derive(Clone, Debug, FromRow)]
pub struct Follow {
    /// The local follower.
    pub follower_id: String,
    /// The remote actor followed.
    pub followee_id: String,
    /// Where it stands.
    pub state: FollowState,
    /// The id of the `Follow` activity sent.
    pub activity_id: String,
    /// When it was sent.
    pub created_at: i64,
    /// When it last changed.
    pub updated_at: i64,
}

macro_rules! follow_columns {
    () => {
        "follower_id, followee_id, state, activity_id, created_at, updated_at"
    };
}

impl Database {
    /// Records a follow, or restarts one (a new `Follow` activity, pending again).
    pub async fn upsert_follow(
        &self,
        follower_id: &str,
        followee_id: &str,
        state: FollowState,
        activity_id: &str,
    ) -> Result<Follow> {
        let row = (follower_id, followee_id, state, activity_id);
        upsert_follow_in(&mut *self.write().await?, row).await
    }

    /// One follow.
    pub async fn follow(&self, follower_id: &str, followee_id: &str) -> Result<Follow> {
        sqlx::query_as(concat!(
            "SELECT ",
            follow_columns!(),
            " FROM follows WHERE follower_id = $1 AND followee_id = $2"
        ))
        .bind(follower_id)
        .bind(followee_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StorageError::NotFound)
    }

    /// Marks the follow sent as `activity_id` accepted; `NotFound` when no such follow waits.
    pub async fn accept_follow(&self, followee_id: &str, activity_id: &str) -> Result<Follow> {
        accept_follow_in(&mut *self.write().await?, followee_id, activity_id).await
    }

    /// Ends a follow; `NotFound` when there was none.
    pub async fn delete_follow(&self, follower_id: &str, followee_id: &str) -> Result<()> {
        let done = sqlx::query("DELETE FROM follows WHERE follower_id = $1 AND followee_id = $2")
            .bind(follower_id)
            .bind(followee_id)
            .execute(&mut *self.write().await?)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StorageError::NotFound);
        }
        Ok(())
    }

    /// The local actors whose follow of `followee_id` was accepted.
    pub async fn accepted_followers_of(&self, followee_id: &str) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT follower_id FROM follows WHERE followee_id = $1 AND state = 'accepted' \
             ORDER BY follower_id",
        )
        .bind(followee_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Ends the follow that was sent as `activity_id` to `followee_id` (it was rejected).
    pub async fn delete_follow_by_activity(
        &self,
        followee_id: &str,
        activity_id: &str,
    ) -> Result<()> {
        delete_follow_by_activity_in(&mut *self.write().await?, followee_id, activity_id).await
    }
}

impl crate::Tx {
    /// [`Database::accept_follow`] inside this transaction (with the record of the `Accept`).
    pub async fn accept_follow(&mut self, followee_id: &str, activity_id: &str) -> Result<Follow> {
        accept_follow_in(self.conn(), followee_id, activity_id).await
    }

    /// [`Database::delete_follow_by_activity`] inside this transaction (with the record of the
    /// `Reject`).
    pub async fn delete_follow_by_activity(
        &mut self,
        followee_id: &str,
        activity_id: &str,
    ) -> Result<()> {
        delete_follow_by_activity_in(self.conn(), followee_id, activity_id).await
    }

    /// [`Database::upsert_follow`] inside this transaction (with the `Follow` it sends).
    pub async fn upsert_follow(
        &mut self,
        follower_id: &str,
        followee_id: &str,
        state: FollowState,
        activity_id: &str,
    ) -> Result<Follow> {
        let row = (follower_id, followee_id, state, activity_id);
        upsert_follow_in(self.conn(), row).await
    }
}

async fn upsert_follow_in(
    conn: &mut sqlx::AnyConnection,
    (follower_id, followee_id, state, activity_id): (&str, &str, FollowState, &str),
) -> Result<Follow> {
    Ok(sqlx::query_as(concat!(
        "INSERT INTO follows (follower_id, followee_id, state, activity_id, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $5) \
         ON CONFLICT (follower_id, followee_id) DO UPDATE SET state = excluded.state, \
         activity_id = excluded.activity_id, updated_at = excluded.updated_at RETURNING ",
        follow_columns!()
    ))
    .bind(follower_id)
    .bind(followee_id)
    .bind(state.as_str())
    .bind(activity_id)
    .bind(now_millis())
    .fetch_one(conn)
    .await?)
}

async fn accept_follow_in(
    conn: &mut sqlx::AnyConnection,
    followee_id: &str,
    activity_id: &str,
) -> Result<Follow> {
    sqlx::query_as(concat!(
        "UPDATE follows SET state = 'accepted', updated_at = $1 \
         WHERE followee_id = $2 AND activity_id = $3 RETURNING ",
        follow_columns!()
    ))
    .bind(now_millis())
    .bind(followee_id)
    .bind(activity_id)
    .fetch_optional(conn)
    .await?
    .ok_or(StorageError::NotFound)
}

async fn delete_follow_by_activity_in(
    conn: &mut sqlx::AnyConnection,
    followee_id: &str,
    activity_id: &str,
) -> Result<()> {
    let done = sqlx::query("DELETE FROM follows WHERE followee_id = $1 AND activity_id = $2")
        .bind(followee_id)
        .bind(activity_id)
        .execute(conn)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StorageError::NotFound);
    }
    Ok(())
}

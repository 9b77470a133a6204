//! Local groups: their settings and their memberships (a group's followers, with state and role).

use sqlx::FromRow;

use crate::{
    Actor, Database, NewActor, Result, StorageError, actors::insert_actor_in, now_millis,
    text_enum::text_enum,
};

text_enum!(
    /// Who may join a group.
    JoinPolicy {
        /// Anyone who follows is accepted at once.
        Open = "open",
        /// An organiser approves each request.
        Approval = "approval",
    }
);

text_enum!(
    /// Who may see a local group and what it publishes (stored on its actor row).
    GroupVisibility {
        /// Everyone: its pages, feeds and documents are public, its activities are addressed
        /// to `Public`.
        Public = "public",
        /// Its name, description, rules, join button and member count are public; its posts,
        /// replies, events, members and feeds are for accepted members and their servers.
        Members = "members",
        /// As `Members`, and the group itself answers 404 to anyone else.
        Hidden = "hidden",
    }
);

text_enum!(
    /// Who may post into a group.
    PostPolicy {
        /// Accepted members.
        Members = "members",
        /// Anyone; posts from non-members are held for review.
        Anyone = "anyone",
        /// Moderators and the owner only.
        Moderators = "moderators",
    }
);

text_enum!(
    /// What a group does with replies to its posts.
    ReplyPolicy {
        /// Replies stay in the thread (served and forwarded to group-aware servers), not boosted.
        Thread = "thread",
        /// Replies are also boosted to microblog followers.
        Boost = "boost",
    }
);

text_enum!(
    /// Where a membership stands.
    MemberState {
        /// Asked to join; waits for an organiser.
        Pending = "pending",
        /// A member.
        Accepted = "accepted",
        /// Banned from the group.
        Banned = "banned",
    }
);

text_enum!(
    /// What a member may do in a group.
    MemberRole {
        /// An ordinary member.
        Member = "member",
        /// A moderator.
        Moderator = "moderator",
        /// The owner.
        Owner = "owner",
    }
);

/// The settings of a local group.
#[derive(Clone, Debug, FromRow)]
pub struct GroupSettings {
    /// The group's actor id.
    pub actor_id: String,
    /// Who may join.
    pub join_policy: JoinPolicy,
    /// Who may post.
    pub post_policy: PostPolicy,
    /// What happens to replies.
    pub reply_policy: ReplyPolicy,
    /// The group's rules, as text.
    pub rules: Option<String>,
    /// The account that created it.
    pub created_by: Option<String>,
    /// When it was created.
    pub created_at: i64,
    /// The question put to people asking to join (approval groups).
    pub join_question: Option<String>,
}

/// One actor's membership of a local group.
#[derive(Clone, Debug, FromRow)]
pub struct Membership {
    /// The group's actor id.
    pub group_id: String,
    /// The member's actor id.
    pub member_id: String,
    /// Where it stands.
    pub state: MemberState,
    /// What the member may do.
    pub role: MemberRole,
    /// The id of the `Follow` that asked to join, to answer it.
    pub follow_activity_id: Option<String>,
    /// When it began.
    pub created_at: i64,
    /// When it last changed.
    pub updated_at: i64,
    /// The applicant's answer to the group's join question.
    pub answer: Option<String>,
}

impl Membership {
    /// Whether this is an accepted owner or moderator of the group.
    pub fn is_moderator(&self) -> bool {
        self.state == MemberState::Accepted
            && matches!(self.role, MemberRole::Owner | MemberRole::Moderator)
    }
}

macro_rules! membership_columns {
    () => {
        "group_id, member_id, state, role, follow_activity_id, created_at, updated_at, answer"
    };
}

impl Database {
    /// Creates a local group with its owner as first member, all or nothing. A name already
    /// taken by a person or a group is [`StorageError::Conflict`].
    pub async fn create_group(
        &self,
        actor: &NewActor,
        (join_policy, visibility): (JoinPolicy, GroupVisibility),
        owner_actor_id: &str,
        created_by: Option<&str>,
    ) -> Result<Actor> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let mut group = insert_actor_in(&mut tx, actor).await?;
        if visibility != GroupVisibility::Public {
            sqlx::query("UPDATE actors SET visibility = $1 WHERE id = $2")
                .bind(visibility.as_str())
                .bind(&group.id)
                .execute(&mut *tx)
                .await?;
            group.visibility = visibility;
        }
        sqlx::query(
            "INSERT INTO local_groups (actor_id, join_policy, created_by, created_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(&group.id)
        .bind(join_policy.as_str())
        .bind(created_by)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO memberships (group_id, member_id, state, role, created_at, updated_at) \
             VALUES ($1, $2, 'accepted', 'owner', $3, $3)",
        )
        .bind(&group.id)
        .bind(owner_actor_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(group)
    }

    /// Changes who may post into a local group and its rules.
    pub async fn set_group_rules(
        &self,
        group_id: &str,
        post_policy: PostPolicy,
        rules: Option<&str>,
    ) -> Result<()> {
        set_group_rules_in(&mut *self.write().await?, group_id, post_policy, rules).await
    }

    /// Changes who may join a local group, the question applicants answer, and what happens to
    /// replies.
    pub async fn set_group_membership_rules(
        &self,
        group_id: &str,
        join_policy: JoinPolicy,
        question: Option<&str>,
        reply_policy: ReplyPolicy,
    ) -> Result<()> {
        let rules = (join_policy, question, reply_policy);
        set_group_membership_rules_in(&mut *self.write().await?, group_id, rules).await
    }

    /// Keeps an applicant's answer to the join question.
    pub async fn set_membership_answer(
        &self,
        group_id: &str,
        member_id: &str,
        answer: &str,
    ) -> Result<()> {
        sqlx::query("UPDATE memberships SET answer = $1 WHERE group_id = $2 AND member_id = $3")
            .bind(answer)
            .bind(group_id)
            .bind(member_id)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }

    /// The settings of a local group.
    pub async fn group_settings(&self, group_id: &str) -> Result<GroupSettings> {
        sqlx::query_as(
            "SELECT actor_id, join_policy, post_policy, reply_policy, rules, created_by, \
             created_at, join_question FROM local_groups WHERE actor_id = $1",
        )
        .bind(group_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StorageError::NotFound)
    }

    /// Records a membership, or changes the state and role of an existing one.
    pub async fn upsert_membership(
        &self,
        group_id: &str,
        member_id: &str,
        state: MemberState,
        role: MemberRole,
        follow_activity_id: Option<&str>,
    ) -> Result<Membership> {
        let row = (group_id, member_id, state, role, follow_activity_id);
        upsert_membership_in(&mut *self.write().await?, row).await
    }

    /// One actor's membership of a group.
    pub async fn membership(&self, group_id: &str, member_id: &str) -> Result<Membership> {
        sqlx::query_as(concat!(
            "SELECT ",
            membership_columns!(),
            " FROM memberships WHERE group_id = $1 AND member_id = $2"
        ))
        .bind(group_id)
        .bind(member_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StorageError::NotFound)
    }

    /// Ends a membership (a member leaves); `NotFound` when there was none.
    pub async fn delete_membership(&self, group_id: &str, member_id: &str) -> Result<()> {
        delete_membership_in(&mut *self.write().await?, group_id, member_id).await
    }

    /// How many memberships of a group are in this state.
    pub async fn count_members(&self, group_id: &str, state: MemberState) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM memberships WHERE group_id = $1 AND state = $2",
        )
        .bind(group_id)
        .bind(state.as_str())
        .fetch_one(&self.pool)
        .await?)
    }

    /// A page of a group's memberships in this state, ordered by member id, after the
    /// member id `after` (keyset paging for the followers collection).
    pub async fn members_page(
        &self,
        group_id: &str,
        state: MemberState,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Membership>> {
        Ok(sqlx::query_as(concat!(
            "SELECT ",
            membership_columns!(),
            " FROM memberships \
             WHERE group_id = $1 AND state = $2 AND member_id > $3 \
             ORDER BY member_id LIMIT $4"
        ))
        .bind(group_id)
        .bind(state.as_str())
        .bind(after.unwrap_or(""))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The actor id of a group's owner, if it has one.
    pub async fn group_owner(&self, group_id: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar(
            "SELECT member_id FROM memberships WHERE group_id = $1 AND role = 'owner' \
             AND state = 'accepted' ORDER BY created_at LIMIT 1",
        )
        .bind(group_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The actor ids of a group's owner and moderators.
    pub async fn moderators(&self, group_id: &str) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT member_id FROM memberships WHERE group_id = $1 AND state = 'accepted' \
             AND role IN ('owner', 'moderator') ORDER BY member_id",
        )
        .bind(group_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Ends every membership of an actor (it was deleted); returns how many ended.
    pub async fn delete_memberships_of(&self, member_id: &str) -> Result<u64> {
        let done = sqlx::query("DELETE FROM memberships WHERE member_id = $1")
            .bind(member_id)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(done.rows_affected())
    }
}

impl crate::Tx {
    /// [`Database::upsert_membership`] inside this transaction (with the `Accept` it causes).
    pub async fn upsert_membership(
        &mut self,
        group_id: &str,
        member_id: &str,
        state: MemberState,
        role: MemberRole,
        follow_activity_id: Option<&str>,
    ) -> Result<Membership> {
        let row = (group_id, member_id, state, role, follow_activity_id);
        upsert_membership_in(self.conn(), row).await
    }

    /// [`Database::delete_membership`] inside this transaction.
    pub async fn delete_membership(&mut self, group_id: &str, member_id: &str) -> Result<()> {
        delete_membership_in(self.conn(), group_id, member_id).await
    }
}

/// A membership's group, member, state, role and the `Follow` that asked for it.
type MembershipRow<'a> = (&'a str, &'a str, MemberState, MemberRole, Option<&'a str>);

async fn upsert_membership_in(
    conn: &mut sqlx::AnyConnection,
    (group_id, member_id, state, role, follow_activity_id): MembershipRow<'_>,
) -> Result<Membership> {
    let now = now_millis();
    Ok(sqlx::query_as(concat!(
        "INSERT INTO memberships (group_id, member_id, state, role, follow_activity_id, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) \
         ON CONFLICT (group_id, member_id) DO UPDATE SET state = excluded.state, \
         role = excluded.role, \
         follow_activity_id = COALESCE(excluded.follow_activity_id, \
         memberships.follow_activity_id), updated_at = excluded.updated_at \
         RETURNING ",
        membership_columns!()
    ))
    .bind(group_id)
    .bind(member_id)
    .bind(state.as_str())
    .bind(role.as_str())
    .bind(follow_activity_id)
    .bind(now)
    .fetch_one(conn)
    .await?)
}

async fn delete_membership_in(
    conn: &mut sqlx::AnyConnection,
    group_id: &str,
    member_id: &str,
) -> Result<()> {
    let done = sqlx::query("DELETE FROM memberships WHERE group_id = $1 AND member_id = $2")
        .bind(group_id)
        .bind(member_id)
        .execute(conn)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StorageError::NotFound);
    }
    Ok(())
}

impl crate::Tx {
    /// [`Database::set_group_rules`] inside this transaction.
    pub async fn set_group_rules(
        &mut self,
        group_id: &str,
        post_policy: PostPolicy,
        rules: Option<&str>,
    ) -> Result<()> {
        set_group_rules_in(self.conn(), group_id, post_policy, rules).await
    }

    /// [`Database::set_group_membership_rules`] inside this transaction (with the
    /// `Update{Group}` a change of join policy sends).
    pub async fn set_group_membership_rules(
        &mut self,
        group_id: &str,
        join_policy: JoinPolicy,
        question: Option<&str>,
        reply_policy: ReplyPolicy,
    ) -> Result<()> {
        let rules = (join_policy, question, reply_policy);
        set_group_membership_rules_in(self.conn(), group_id, rules).await
    }
}

async fn set_group_rules_in(
    conn: &mut sqlx::AnyConnection,
    group_id: &str,
    post_policy: PostPolicy,
    rules: Option<&str>,
) -> Result<()> {
    let done =
        sqlx::query("UPDATE local_groups SET post_policy = $1, rules = $2 WHERE actor_id = $3")
            .bind(post_policy.as_str())
            .bind(rules)
            .bind(group_id)
            .execute(conn)
            .await?;
    if done.rows_affected() == 0 {
        return Err(StorageError::NotFound);
    }
    Ok(())
}

async fn set_group_membership_rules_in(
    conn: &mut sqlx::AnyConnection,
    group_id: &str,
    (join_policy, question, reply_policy): (JoinPolicy, Option<&str>, ReplyPolicy),
) -> Result<()> {
    let done = sqlx::query(
        "UPDATE local_groups SET join_policy = $1, join_question = $2, reply_policy = $3 \
         WHERE actor_id = $4",
    )
    .bind(join_policy.as_str())
    .bind(question)
    .bind(reply_policy.as_str())
    .bind(group_id)
    .execute(conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StorageError::NotFound);
    }
    Ok(())
}

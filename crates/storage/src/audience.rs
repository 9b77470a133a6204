//! The inboxes a group's posts go to, kept in memory while the group's members stay the same.
//!
//! Every post into a group is announced to each of its remote members' inboxes. Listing them is
//! a join of the group's memberships with their actors, which grows with the group and was the
//! largest share of the database's work while a burst of posts was applied (the measurements are
//! in docs/performance.md, fourth round).
//!
//! Migration 0007 gives each local group a `member_version` that triggers raise whenever its
//! audience could change (a membership added, removed, or changed in state or role; a member's
//! inboxes changed). The list is kept with the version it was read at, and used while the
//! stored version is the same: one look-up by primary key instead of the join, and no process
//! ever uses a list another has made stale. The version is read before the list, so a change
//! between the two reads only makes the next call read the list again.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::{Database, Result};

/// Groups whose lists are held at most; emptied when full (it refills as posts come).
const MAX_GROUPS: usize = 10_000;

/// A group's list of inboxes and the `member_version` it was read at.
type Held = (i64, Vec<String>);

/// The lists, by group id.
#[derive(Debug, Default)]
pub(crate) struct Audiences(Mutex<HashMap<String, Held>>);

impl Database {
    /// The inboxes that reach a group's accepted remote members: each member's shared inbox
    /// where it has one, else its own, each listed once.
    pub async fn member_inboxes(&self, group_id: &str) -> Result<Vec<String>> {
        let version: Option<i64> =
            sqlx::query_scalar("SELECT member_version FROM local_groups WHERE actor_id = $1")
                .bind(group_id)
                .fetch_optional(&self.pool)
                .await?;
        let Some(version) = version else {
            // Not a local group: nothing keeps a version, so nothing is kept.
            return self.read_member_inboxes(group_id).await;
        };
        let audiences = &self.lookups.audiences.0;
        if let Ok(held) = audiences.lock()
            && let Some((at, inboxes)) = held.get(group_id)
            && *at == version
        {
            return Ok(inboxes.clone());
        }
        let inboxes = self.read_member_inboxes(group_id).await?;
        if let Ok(mut held) = audiences.lock() {
            if held.len() >= MAX_GROUPS {
                held.clear();
            }
            held.insert(group_id.to_owned(), (version, inboxes.clone()));
        }
        Ok(inboxes)
    }

    async fn read_member_inboxes(&self, group_id: &str) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT DISTINCT COALESCE(a.shared_inbox_url, a.inbox_url) FROM memberships m \
             JOIN actors a ON a.id = m.member_id \
             WHERE m.group_id = $1 AND m.state = 'accepted' AND NOT a.local",
        )
        .bind(group_id)
        .fetch_all(&self.pool)
        .await?)
    }
}

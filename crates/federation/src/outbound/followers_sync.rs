//! FEP-8fcf followers collection synchronization for members-only and hidden groups (issue 26;
//! FEDERATION.md, Non-public groups).
//!
//! Mastodon delivers a followers-only post to every local account its database says follows
//! the author. Should its idea of who follows a members-only group drift from the group's (a
//! lost `Reject`, a restored backup), it would show the group's posts to someone who is no
//! longer a member. Every delivery such a group sends carries a signed
//! `Collection-Synchronization` header: the group's followers collection, the digest of the
//! members on the *receiving* server (XOR of the SHA-256 of each member's id whose
//! `scheme://authority/` is the inbox's), and the URL of the partial collection listing them.
//! A receiver whose digest differs fetches that URL signed; it is answered only to a server
//! holding members, and lists that server's own members alone (never other servers'), as
//! Mastodon's `FollowersSynchronizationsController` does for its accounts.

use aws_lc_rs::digest;
use kith_storage::ActorKind;
use kith_storage::{Actor, StorageError};
use serde_json::{Value, json};

use crate::protocol::context;
use crate::urls::Urls;
use crate::{Context, Result};

/// The header's name.
pub const HEADER: &str = "collection-synchronization";

/// A server's part of a collection: the `scheme://authority/` its actors' ids begin with (the
/// FEP's rule), from any of its URLs (an inbox, an actor id).
pub fn server_prefix(url: &str) -> Option<String> {
    let url = url::Url::parse(url).ok()?;
    let host = url.host_str()?;
    Some(match url.port() {
        Some(port) => format!("{}://{host}:{port}/", url.scheme()),
        None => format!("{}://{host}/", url.scheme()),
    })
}

/// The partial collection digest: the SHA-256 of each id XORed together, in hex (64 zeros for
/// none).
pub fn digest_of<S: AsRef<str>>(ids: &[S]) -> String {
    let mut sum = [0u8; 32];
    for id in ids {
        let hash = digest::digest(&digest::SHA256, id.as_ref().as_bytes());
        for (acc, byte) in sum.iter_mut().zip(hash.as_ref()) {
            *acc ^= byte;
        }
    }
    sum.iter().map(|b| format!("{b:02x}")).collect()
}

/// Where a group's partial followers collection is served.
pub fn sync_url(group_id: &str) -> String {
    format!("{group_id}/followers_synchronization")
}

/// The `Collection-Synchronization` header for a delivery signed by `actor_id` to `inbox`:
/// for a local members-only or hidden group only (`None` for anyone else). The signer is read
/// from memory (`actor_by_id_cached`): every delivery asks, and a public group's cost nothing
/// more than that; a header left out while a copy is stale is only a check skipped.
pub async fn header(ctx: &Context, actor_id: &str, inbox: &str) -> Result<Option<String>> {
    let actor = match ctx.db.actor_by_id_cached(actor_id).await {
        Ok(actor) => actor,
        Err(StorageError::NotFound) => return Ok(None),
        Err(other) => return Err(other.into()),
    };
    if !(actor.local && actor.kind == ActorKind::Group && !actor.is_public()) {
        return Ok(None);
    }
    let Some(prefix) = server_prefix(inbox) else {
        return Ok(None);
    };
    let members = ctx.db.member_ids_under(&actor.id, &prefix).await?;
    Ok(Some(format!(
        "collectionId=\"{}\", url=\"{}\", digest=\"{}\"",
        Urls::followers(&actor.id),
        sync_url(&actor.id),
        digest_of(&members)
    )))
}

/// The partial followers collection of a non-public `group` for the server of `signer` (the
/// caller checked that server holds members): its own members, no one else.
pub async fn partial_collection(ctx: &Context, group: &Actor, signer: &Actor) -> Result<Value> {
    let prefix = server_prefix(&signer.id).unwrap_or_default();
    let members = ctx.db.member_ids_under(&group.id, &prefix).await?;
    Ok(json!({
        "@context": context(),
        "id": sync_url(&group.id),
        "type": "OrderedCollection",
        "totalItems": members.len(),
        "orderedItems": members,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_feps_example_digest() {
        // FEP-8fcf, "Partial follower collection digest".
        let ids = [
            "https://testing.example.org/users/1",
            "https://testing.example.org/users/2",
        ];
        assert_eq!(
            digest_of(&ids),
            "c33f48cd341ef046a206b8a72ec97af65079f9a3a9b90eef79c5920dce45c61f"
        );
        assert_eq!(digest_of::<&str>(&[]), "0".repeat(64));
    }

    #[test]
    fn a_servers_prefix_keeps_its_port() {
        assert_eq!(
            server_prefix("https://m.example/inbox").as_deref(),
            Some("https://m.example/")
        );
        assert_eq!(
            server_prefix("http://127.0.0.1:8080/users/a").as_deref(),
            Some("http://127.0.0.1:8080/")
        );
    }
}

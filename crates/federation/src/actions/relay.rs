//! A local group's relay: a `Service` actor that follows other servers' groups on the group's
//! behalf. Lemmy 0.19 refuses a `Follow` whose actor is a `Group` (its followers must be a
//! `Person`, `Service` or `Organization`: LemmyNet/lemmy `crates/apub/src/protocol/activities/
//! following/follow.rs` and `protocol/objects/person.rs`), Lemmy 1.0 accepts a group follower but
//! delivers nothing to it (its community deliveries go to followers who are people), and NodeBB
//! takes followers of the types `Application`, `Organization`, `Person` and `Service`
//! (NodeBB/NodeBB `src/activitypub/index.js`, `acceptableActorTypes`). A `Service` is read as a
//! follower by all of them, by Mobilizon, Mastodon, GoToSocial and Kith.
//!
//! The follow stays the group's: the relay only sends the `Follow` (and is the actor the remote
//! group delivers to, through the shared inbox); the answer is matched by the `Follow`'s id, and
//! what the followed group announces is kept for the local group, as when the group itself
//! followed. The relay is `https://DOMAIN/g/NAME/relay`, named `NAME.relay` (a name no person
//! or group can take, since theirs hold no dot), made when the group first follows something.

use kith_storage::Actor;

use super::group_services::{GroupService, ensure_group_service};
pub use super::group_services::{relay_id, relay_name};
use crate::{Context, Result};

/// The relay of a local group, made on first use.
pub async fn ensure_relay(ctx: &Context, group: &Actor) -> Result<Actor> {
    let title = group.display_name.as_deref().unwrap_or(&group.username);
    let service = GroupService {
        id: relay_id(group),
        name: relay_name(group),
        display_name: format!("{title} (relay)"),
        summary: format!(
            "Follows other servers' groups for the group {} (@{}@{}).",
            title,
            group.username,
            ctx.urls().domain()
        ),
        // It receives through the shared inbox.
        own_inbox: false,
    };
    ensure_group_service(ctx, group, service).await
}

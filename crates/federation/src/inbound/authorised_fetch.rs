//! Who may fetch a non-public group's documents (issue 26): a `GET` signed by an actor on a
//! server that holds at least one accepted member of the group, the signer not banned from the
//! group nor blocked, its server not blocked. This is the rule Lemmy applies to its private
//! communities and Smithereen (FEP-db0e) to its closed groups: access is granted per member
//! *server*, because Mastodon fetches threads and refreshes polls as its instance actor, not
//! as the member (docs/protocol.md). The signature is checked exactly as an inbox `POST`'s is
//! (`crate::signatures`, the key found by `crate::inbound::key_lookup`), without a body.
//!
//! Answered on every request, from the database: a leave or ban counts at once.

use http::HeaderMap;
use kith_storage::{Actor, DomainSeverity};

use crate::signatures::{self, Target};
use crate::{Context, Result, inbound::inbox};

/// The remote actor whose valid signature a `GET` carries; `None` when unsigned, or when the
/// signature does not verify (counted under its reason, as the inbox counts them).
pub async fn signer_of_get(
    ctx: &Context,
    path_and_query: &str,
    headers: &HeaderMap,
) -> Option<Actor> {
    if !headers.contains_key("signature") && !headers.contains_key("signature-input") {
        return None;
    }
    let target = Target {
        method: "GET",
        scheme: ctx.urls().base().scheme(),
        authority: ctx.urls().domain(),
        path_and_query,
    };
    let check = match signatures::check_request(&target, headers, None) {
        Ok(check) => check,
        Err(refusal) => {
            ctx.counters().refused(refusal.reason);
            tracing::info!(
                path = path_and_query,
                "signed fetch refused: {}",
                refusal.error
            );
            return None;
        }
    };
    match inbox::verify_signer(ctx, &check, false).await {
        Ok(signer) => signer,
        Err(refusal) => {
            ctx.counters().refused(refusal.reason);
            tracing::info!(
                path = path_and_query,
                "signed fetch refused: {}",
                refusal.error
            );
            None
        }
    }
}

/// What a remote actor's server may do with a non-public group.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServerStanding {
    /// Read its content: the server holds an accepted member.
    pub read: bool,
    /// Know that it exists (a hidden group's WebFinger answer and actor document): it may
    /// read, or holds someone with an open invitation, who must look the group up to follow
    /// it (`crate::actions::invitations`).
    pub know: bool,
}

/// What this remote actor may do with a non-public group: nothing when it or its server is
/// blocked here or it is banned from the group; else as its server's members and invitees
/// allow ([`ServerStanding`]).
pub async fn server_standing(
    ctx: &Context,
    group: &Actor,
    signer: &Actor,
) -> Result<ServerStanding> {
    if ctx.db.domain_severity_cached(&signer.domain).await? == Some(DomainSeverity::Block)
        || ctx.db.is_actor_blocked_cached(&signer.id).await?
        || ctx.db.is_banned(&group.id, &signer.id).await?
    {
        return Ok(ServerStanding::default());
    }
    if ctx
        .db
        .host_has_accepted_member(&group.id, &signer.domain)
        .await?
    {
        return Ok(ServerStanding {
            read: true,
            know: true,
        });
    }
    let invited = ctx
        .db
        .host_has_invitee(&group.id, &signer.domain, kith_storage::now_millis())
        .await?;
    Ok(ServerStanding {
        read: false,
        know: invited,
    })
}

/// Whether this remote actor may read a non-public group's content ([`server_standing`]).
pub async fn server_may_read(ctx: &Context, group: &Actor, signer: &Actor) -> Result<bool> {
    Ok(server_standing(ctx, group, signer).await?.read)
}

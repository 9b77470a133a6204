//! Invitations to a local group (issue 26; FEDERATION.md, Invitations): how a hidden group,
//! which nobody else can find, gains members, and how any group lets someone in without the
//! organisers approving them one by one.
//!
//! An organiser makes a **link** (`/invite/SECRET`, good for a number of uses and days) or
//! sends a **personal invitation** to one person (`Invite`, `actions::invite_person`). Whoever
//! holds an open link may read the group's name, description and rules on the link's page, and
//! then joins at once with an account here, or gives the address of their account elsewhere:
//! that person becomes an *invitee*, whose server may look the group up (WebFinger and actor)
//! while the invitation is open, and whose `Follow` is accepted without an organiser.
//!
//! A hidden group is known to Mastodon-family servers by a secret name, [`follow_name`]:
//! Mastodon confirms every actor by an unsigned WebFinger look-up of its `preferredUsername`,
//! which Kith can only answer to anyone, so the name asked must be one only members and
//! invitees hold.

use kith_storage::{
    Account, Actor, Invitation, MemberRole, MemberState, Membership, StorageError, now_millis,
};

use crate::actions::acting::By;
use crate::actions::membership::moderated_group;
use crate::outbound::change::Change;
use crate::{Context, FederationError, Result, secrets};

/// How many days an invitation may stay open, at most.
pub const MAX_DAYS: i64 = 90;
/// How many people one link may let in, at most.
pub const MAX_USES: i64 = 1_000;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// A new invitation link: its row, and the link itself (shown once: only a hash is kept).
#[derive(Clone, Debug)]
pub struct NewLink {
    /// The stored invitation.
    pub invitation: Invitation,
    /// `/invite/SECRET` on this instance.
    pub url: String,
}

/// An organiser makes an invitation link to the group, good for `max_uses` people within
/// `days` days.
pub async fn create_link(
    ctx: &Context,
    group_name: &str,
    max_uses: i64,
    days: i64,
    by: By<'_>,
) -> Result<NewLink> {
    let group = moderated_group(ctx, group_name, by).await?;
    if !(1..=MAX_USES).contains(&max_uses) || !(1..=MAX_DAYS).contains(&days) {
        return Err(FederationError::BadRequest(format!(
            "an invitation is good for 1 to {MAX_USES} people and 1 to {MAX_DAYS} days"
        )));
    }
    let (invitation, secret) = new_invitation(&group, None, max_uses, days, by)?;
    let mut change = Change::begin(ctx).await?;
    change
        .tx()
        .create_invitation(&invitation, &secrets::hash(&secret))
        .await?;
    change.commit().await?;
    Ok(NewLink {
        url: link(ctx, &secret),
        invitation,
    })
}

/// The link of an invitation secret.
pub(crate) fn link(ctx: &Context, secret: &str) -> String {
    format!("{}invite/{secret}", ctx.urls().base())
}

/// A new invitation row and its secret (not yet stored).
pub(crate) fn new_invitation(
    group: &Actor,
    invitee: Option<&str>,
    max_uses: i64,
    days: i64,
    by: By<'_>,
) -> Result<(Invitation, String)> {
    let now = now_millis();
    let invitation = Invitation {
        id: ulid::Ulid::new().to_string(),
        group_id: group.id.clone(),
        invitee_id: invitee.map(str::to_owned),
        created_by: match by {
            By::Account(account) => Some(account.actor_id.clone()),
            By::Operator => None,
        },
        max_uses,
        uses: 0,
        created_at: now,
        expires_at: now + days * DAY_MS,
    };
    Ok((invitation, secrets::secret_of(16)?))
}

/// A group's open invitations, for its organisers.
pub async fn open_invitations(
    ctx: &Context,
    group_name: &str,
    by: By<'_>,
) -> Result<Vec<Invitation>> {
    let group = moderated_group(ctx, group_name, by).await?;
    Ok(ctx.db.open_invitations(&group.id, now_millis()).await?)
}

/// An organiser revokes an invitation: it opens nothing any more, and the servers of those
/// who used it without joining yet lose their look at a hidden group.
pub async fn revoke(ctx: &Context, group_name: &str, id: &str, by: By<'_>) -> Result<()> {
    let group = moderated_group(ctx, group_name, by).await?;
    match ctx.db.delete_invitation(&group.id, id).await {
        Err(StorageError::NotFound) => Err(FederationError::NotFound(format!(
            "no invitation {id:?} to {group_name}"
        ))),
        other => Ok(other?),
    }
}

/// The open invitation a link's secret names, and its group; [`FederationError::NotFound`]
/// for an unknown, used-up, expired or revoked one (all alike to whoever holds it).
pub async fn opened(ctx: &Context, secret: &str) -> Result<(Invitation, Actor)> {
    let closed =
        || FederationError::NotFound("this invitation is unknown, used up or expired".into());
    let invitation = match ctx
        .db
        .open_invitation(&secrets::hash(secret), now_millis())
        .await
    {
        Err(StorageError::NotFound) => return Err(closed()),
        other => other?,
    };
    let group = ctx.db.actor(&invitation.group_id).await?;
    Ok((invitation, group))
}

/// A personal invitation is for its invitee alone.
fn check_for(invitation: &Invitation, person_id: &str) -> Result<()> {
    match &invitation.invitee_id {
        Some(invitee) if invitee != person_id => Err(FederationError::Forbidden(
            "this invitation is for someone else".into(),
        )),
        _ => Ok(()),
    }
}

/// A local person joins by an invitation link: an accepted member at once, whatever the
/// group's join rule (an organiser chose to let the link's holders in). Already a member: the
/// link is not used up. The banned cannot.
pub async fn join(ctx: &Context, account: &Account, secret: &str) -> Result<(Actor, Membership)> {
    let (invitation, group) = opened(ctx, secret).await?;
    check_for(&invitation, &account.actor_id)?;
    if ctx.db.is_banned(&group.id, &account.actor_id).await? {
        return Err(FederationError::Forbidden(
            "you cannot join this group".into(),
        ));
    }
    let existing = crate::actions::joining::membership_of(ctx, &group, &account.actor_id).await?;
    match existing {
        Some(m) if m.state == MemberState::Banned => {
            return Err(FederationError::Forbidden(
                "you cannot join this group".into(),
            ));
        }
        Some(m) if m.state == MemberState::Accepted => return Ok((group, m)),
        _ => {}
    }
    // The use and the membership commit together: a crash leaves neither.
    let mut change = Change::begin(ctx).await?;
    let tx = change.tx();
    used(
        tx.use_invitation(&secrets::hash(secret), now_millis())
            .await,
    )?;
    tx.remove_invitee(&group.id, &account.actor_id).await?;
    let membership = tx
        .upsert_membership(
            &group.id,
            &account.actor_id,
            MemberState::Accepted,
            MemberRole::Member,
            None,
        )
        .await?;
    change.commit().await?;
    Ok((group, membership))
}

/// A used-up link between reading and using it (another took its last use) reads as closed.
fn used(taken: kith_storage::Result<Invitation>) -> Result<Invitation> {
    match taken {
        Err(StorageError::NotFound) => Err(FederationError::NotFound(
            "this invitation was used up a moment ago".into(),
        )),
        other => Ok(other?),
    }
}

/// What giving an address elsewhere on a link's page did.
#[derive(Clone, Debug)]
pub struct RemoteInvitee {
    /// The group.
    pub group: Actor,
    /// The name to follow it by (`NAME@DOMAIN`; a hidden group's secret name).
    pub follow: String,
    /// The person had asked to join already, and the link let them in at once (their server
    /// is sent the `Accept` of that request).
    pub accepted: bool,
}

/// Someone holding a link gives the address of their account on another server
/// (`name@server`): they become an invitee, so that their server may look the group up and
/// their follow is accepted; or, when their request to join waits already, it is accepted.
pub async fn invite_remote(ctx: &Context, secret: &str, address: &str) -> Result<RemoteInvitee> {
    let (invitation, group) = opened(ctx, secret).await?;
    let address = address.trim().trim_start_matches('@');
    if !address.contains('@') {
        return Err(FederationError::BadRequest(
            "give your full address, like name@mastodon.social".into(),
        ));
    }
    let person = person_named(ctx, address).await?;
    if person.kind == kith_storage::ActorKind::Group {
        return Err(FederationError::BadRequest(format!(
            "{address} is a group: give the address of your own account"
        )));
    }
    if person.local {
        return Err(FederationError::BadRequest(
            "that account is on this server: log in and open the invitation again".into(),
        ));
    }
    check_for(&invitation, &person.id)?;
    if ctx.db.is_banned(&group.id, &person.id).await? {
        return Err(FederationError::Forbidden(
            "that account cannot join this group".into(),
        ));
    }
    // A follow that waits for an organiser: the link is their yes (planned before the change,
    // which only writes).
    let waiting = match crate::actions::joining::membership_of(ctx, &group, &person.id).await? {
        Some(m) if m.state == MemberState::Pending => m.follow_activity_id,
        _ => None,
    };
    let accept = match &waiting {
        Some(follow_id) => Some(
            crate::outbound::follow_answers::plan_answer(ctx, "Accept", &group, &person, follow_id)
                .await?,
        ),
        None => None,
    };
    let now = now_millis();
    // The use, and the invitee or the accepted membership with its `Accept`, commit together.
    let mut change = Change::begin(ctx).await?;
    let tx = change.tx();
    let invitation = used(tx.use_invitation(&secrets::hash(secret), now).await)?;
    let accepted = accept.is_some();
    if let Some(accept) = accept {
        tx.upsert_membership(
            &group.id,
            &person.id,
            MemberState::Accepted,
            MemberRole::Member,
            None,
        )
        .await?;
        change.queue(accept).await?;
    } else {
        tx.add_invitee(&invitation, &person.id, &person.domain, now)
            .await?;
    }
    change.commit().await?;
    let name = follow_name(ctx, &group).await?;
    Ok(RemoteInvitee {
        follow: format!("{name}@{}", ctx.urls().domain()),
        group,
        accepted,
    })
}

/// The actor an invitation's address names (`name@server`, or a local name): known here, or
/// looked up; what went wrong on the way is for the log, the one asking is told what to check.
pub(crate) async fn person_named(ctx: &Context, address: &str) -> Result<Actor> {
    crate::actions::acting::resolve_person(ctx, address)
        .await
        .map_err(|cause| {
            tracing::info!(%cause, address, "invitation: the address could not be looked up");
            FederationError::BadRequest(format!(
                "Kith could not find {address}. Check the address (name@server)."
            ))
        })
}

/// The name a group is followed by from other servers: its own, or for a hidden group its
/// secret name (`NAME.RANDOM`, 80 random bits; made the first time it is needed and kept).
pub async fn follow_name(ctx: &Context, group: &Actor) -> Result<String> {
    if !group.is_hidden() {
        return Ok(group.username.clone());
    }
    let fresh = format!("{}.{}", group.username, secrets::name_secret(16)?);
    Ok(ctx.db.group_handle(&group.id, &fresh, now_millis()).await?)
}

/// Whether a remote person's follow of a group is let in by an open invitation.
pub async fn follow_invited(ctx: &Context, group: &Actor, follower: &Actor) -> Result<bool> {
    Ok(ctx
        .db
        .is_invitee(&group.id, &follower.id, now_millis())
        .await?)
}

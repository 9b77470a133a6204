//! Personal invitations (issue 26; FEDERATION.md, Personal invitations): an organiser invites
//! one person by address. The invitation (for that person alone, one use, [`DAYS`] days) and
//! what reaches the person are written in one change:
//!
//! - a local person gets a notification linking to the invitation's page (`/invite/SECRET`,
//!   which refuses anyone else: `invitations::check_for`);
//! - a remote person becomes an invitee (their server may look the group up, their `Follow`
//!   is accepted without an organiser) and is sent an `Invite` in Smithereen's shape
//!   (`{"actor": INVITER, "object": GROUP, "to": [INVITEE], "cc": [GROUP]}`; Smithereen's
//!   `InviteGroupHandler` reads the actor as a person and `to` as exactly the invitee) to the
//!   servers that read one (Kith, NodeBB and servers not known yet), and a direct message from
//!   the group naming the name to follow it by to the microblogs (Mastodon, GoToSocial,
//!   Misskey and Friendica have no `Invite`; a server not known yet gets both). Lemmy reads
//!   neither: a Lemmy user learns of an invitation from whoever sends them its link.
//!
//! The `Invite` is sent as the organiser who invites (for the command line, the group's owner,
//! as moderation activities are: `acting::acting_actor`), because Smithereen refuses an
//! `Invite` whose actor is not a person; the receiving Kith accepts an `Invite` from the group
//! or from a person on the group's own server (`crate::inbound::activities::invite`).

use kith_storage::{Actor, ActorKind, Invitation, MemberState, NewObject};
use kith_storage::{StorageError, now_millis};
use serde_json::Value;

use crate::actions::acting::{By, acting_actor};
use crate::actions::invitations::{follow_name, link, new_invitation, person_named};
use crate::actions::mail::notify::{Kind, Notice};
use crate::actions::membership::moderated_group;
use crate::outbound::change::Change;
use crate::outbound::direct_note::{DirectNote, direct_note};
use crate::outbound::plan::{Form, Plan, inbox_of};
use crate::outbound::software::{Dialect, Readers};
use crate::protocol::OutgoingActivity;
use crate::sanitize::escape_html;
use crate::urls::Urls;
use crate::{Context, FederationError, Result, secrets};

/// How many days a personal invitation stays open.
pub const DAYS: i64 = 14;

/// A personal invitation made: its row and the person it is for.
#[derive(Clone, Debug)]
pub struct Invited {
    /// The stored invitation (`invitee_id` set, one use).
    pub invitation: Invitation,
    /// The person invited.
    pub person: Actor,
}

/// An organiser invites one person, named by `name@server` (or a local name), to a group they
/// moderate. Refused for someone who is not a person, is banned from the group or is a member
/// already.
pub async fn invite_person(
    ctx: &Context,
    group_name: &str,
    address: &str,
    by: By<'_>,
) -> Result<Invited> {
    let group = moderated_group(ctx, group_name, by).await?;
    let address = address.trim().trim_start_matches('@');
    if address.is_empty() {
        return Err(FederationError::BadRequest(
            "give the address of the person to invite, like name@mastodon.social".into(),
        ));
    }
    let person = person_named(ctx, address).await?;
    if person.kind != ActorKind::Person {
        return Err(FederationError::BadRequest(format!(
            "{address} is not a person"
        )));
    }
    refuse_the_excluded(ctx, &group, &person, address).await?;
    let (invitation, secret) = new_invitation(&group, Some(&person.id), 1, DAYS, by)?;
    // Planned before the change opens (planning only reads: `crate::outbound::change`).
    let plan = if person.local {
        None
    } else {
        let inviter = acting_actor(ctx, &group, by).await?;
        let name = follow_name(ctx, &group).await?;
        Some(plan_remote(ctx, &group, &inviter, &person, &name).await?)
    };
    let mut change = Change::begin(ctx).await?;
    change
        .tx()
        .create_invitation(&invitation, &secrets::hash(&secret))
        .await?;
    match plan {
        Some((plan, note)) => {
            change
                .tx()
                .add_invitee(&invitation, &person.id, &person.domain, now_millis())
                .await?;
            // Kept as a direct object, never served nor listed (as the group's other direct
            // messages: `actions::event_notes`).
            change.tx().insert_object(&note).await?;
            change.queue(plan).await?;
        }
        None => {
            let notice = Notice {
                kind: Kind::Invited,
                summary: format!("You are invited to join {}", group_title(&group)),
                link: link(ctx, &secret),
            };
            change.notify(&person.id, &notice).await?;
        }
    }
    change.commit().await?;
    tracing::info!(group = %group.id, person = %person.id, "personal invitation sent");
    Ok(Invited { invitation, person })
}

/// The banned, those already in the group and those whose request waits are not invited.
async fn refuse_the_excluded(
    ctx: &Context,
    group: &Actor,
    person: &Actor,
    address: &str,
) -> Result<()> {
    if ctx.db.is_banned(&group.id, &person.id).await? {
        return Err(FederationError::Forbidden(format!(
            "{address} is banned from this group"
        )));
    }
    match ctx.db.membership(&group.id, &person.id).await {
        Ok(m) if m.state == MemberState::Banned => Err(FederationError::Forbidden(format!(
            "{address} is banned from this group"
        ))),
        Ok(m) if m.state == MemberState::Accepted => Err(FederationError::BadRequest(format!(
            "{address} is a member already"
        ))),
        // Their server's follow waits already: an invitation would not answer it.
        Ok(m) if m.state == MemberState::Pending => Err(FederationError::BadRequest(format!(
            "{address} asked to join already: approve their request instead"
        ))),
        Ok(_) | Err(StorageError::NotFound) => Ok(()),
        Err(other) => Err(other.into()),
    }
}

/// What reaches a remote person: the `Invite` for the servers that read one, the group's
/// direct message for the others (both for a server not known yet), and the message's row.
async fn plan_remote(
    ctx: &Context,
    group: &Actor,
    inviter: &Actor,
    person: &Actor,
    name: &str,
) -> Result<(Plan, NewObject)> {
    let mut invite = OutgoingActivity::new(
        "Invite",
        Urls::new_activity(&inviter.id),
        &inviter.id,
        Value::String(group.id.clone()),
        vec![person.id.clone()],
    );
    invite.cc = vec![group.id.clone()];
    let note = invitation_note(ctx, group, person, name);
    let mut plan = Plan::new(ctx, vec![inbox_of(person)]).await?;
    let invite_readers = Readers::of(&[Dialect::Groups, Dialect::Unknown]);
    plan.add(inviter, &[Form::for_readers(invite, invite_readers)])?;
    // Lemmy is left out: it reads a `Note` only as a comment under a post, and its private
    // messages are `ChatMessage`s between people, which a group cannot send.
    let note_readers = Readers::microblogs_and_unknown();
    plan.add(group, &[Form::for_readers(note.create, note_readers)])?;
    Ok((plan, note.row))
}

/// The group's direct message to the invitee (to them alone, mentioning them), with the name
/// to follow the group by.
fn invitation_note(ctx: &Context, group: &Actor, person: &Actor, name: &str) -> DirectNote {
    let follow = format!("@{name}@{}", ctx.urls().domain());
    let body = format!(
        "You are invited to join {}. To join, follow <strong>{}</strong> from your account: \
         your follow will be accepted at once. The invitation is open for {DAYS} days.</p>",
        escape_html(&group_title(group)),
        escape_html(&follow),
    );
    direct_note(ctx, group, person, &body, None, None)
}

/// A group's display name, or its name.
fn group_title(group: &Actor) -> String {
    group
        .display_name
        .as_deref()
        .filter(|n| !n.trim().is_empty())
        .map_or_else(|| group.username.clone(), crate::untrusted::clean_name)
}

/// The receiving side: a remote group invited local people (`Invite`, checked in
/// `crate::inbound::activities::invite`). Each gets a notification whose link leads to
/// following the group from here (`/authorize_interaction`, which asks them to confirm).
pub(crate) async fn invited_here(ctx: &Context, group: &Actor, people: &[Actor]) -> Result<()> {
    let summary = format!(
        "{} on {} invited you to join",
        group_title(group),
        crate::untrusted::clean_name(&group.domain)
    );
    let target: String = url::form_urlencoded::byte_serialize(group.id.as_bytes()).collect();
    let notice = Notice::new(
        ctx,
        Kind::Invited,
        summary,
        &format!("authorize_interaction?uri={target}"),
    );
    let mut change = Change::begin(ctx).await?;
    for person in people {
        change.notify(&person.id, &notice).await?;
    }
    change.commit().await?;
    Ok(())
}

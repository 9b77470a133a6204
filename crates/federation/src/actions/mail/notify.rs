//! Notifications: a row on the person's notifications page and, if they asked for it and
//! confirmed an address, an email, both written in the transaction of the change that causes
//! them ([`Change::notify`]). Remote people are told by their own servers, through the
//! activities Kith sends; only local people get notifications.
//!
//! What a notification says is what its recipient could see on the page it links to: a title
//! and a time, never an event's online link or a post's text from a group they cannot read.

use crate::actions::mail::compose;
use crate::outbound::change::Change;
use crate::{Context, Result};

/// What happened.
pub use kith_storage::NotificationKind as Kind;

/// A notification to one local person.
#[derive(Clone, Debug)]
pub struct Notice {
    /// What happened.
    pub kind: Kind,
    /// One line: the page's entry and the email's subject.
    pub summary: String,
    /// The page to look at, absolute.
    pub link: String,
}

impl Notice {
    /// A notice of `kind` linking to the local page at `path` (`g/runners`).
    pub fn new(ctx: &Context, kind: Kind, summary: impl Into<String>, path: &str) -> Notice {
        Notice {
            kind,
            summary: summary.into(),
            link: compose::page(ctx, path),
        }
    }
}

impl Change<'_> {
    /// Tells the local person `actor_id` (nothing for a remote one) in this change's
    /// transaction: the notification row, and the email when they want one per notification,
    /// mail is on and their address is confirmed. New answers reach organisers only if they
    /// asked for them.
    pub async fn notify(&mut self, actor_id: &str, notice: &Notice) -> Result<()> {
        let Some(recipient) = self.tx().recipient(actor_id).await? else {
            return Ok(());
        };
        if notice.kind == Kind::NewRsvp && !recipient.settings.rsvp_alerts {
            return Ok(());
        }
        self.tx()
            .add_notification(
                &recipient.account_id,
                notice.kind,
                &notice.summary,
                &notice.link,
            )
            .await?;
        let ctx = self.ctx();
        if let Some(email) = recipient.email.as_deref().filter(|_| ctx.mail_on())
            && recipient.settings.email_each
        {
            let text = format!(
                "Hello {},\n\n{}\n\n{}",
                recipient.username, notice.summary, notice.link
            );
            let mail = compose::optional_mail(
                ctx,
                self.tx(),
                &recipient.account_id,
                email,
                &notice.summary,
                &text,
            )
            .await?;
            self.tx().queue_mail(&mail).await?;
            self.mail_queued();
        }
        Ok(())
    }

    /// [`Change::notify`] for every local owner and moderator of a group.
    pub async fn notify_organisers(&mut self, group_id: &str, notice: &Notice) -> Result<()> {
        for organiser in self.tx().group_organisers(group_id).await? {
            self.notify(&organiser, notice).await?;
        }
        Ok(())
    }
}

/// "You are in GROUP" or "Your request to join GROUP was refused", linking to the group.
pub fn group_notice(ctx: &Context, kind: Kind, group: &kith_storage::Actor) -> Notice {
    let name = group_name(group);
    let summary = match kind {
        Kind::Approved => format!("You are now a member of {name}"),
        _ => format!("Your request to join {name} was not accepted"),
    };
    Notice::new(ctx, kind, summary, &format!("g/{}", group.username))
}

/// "Someone asks to join GROUP", for its organisers, linking to the group's moderation page.
pub fn join_request(
    ctx: &Context,
    group: &kith_storage::Actor,
    who: &kith_storage::Actor,
) -> Notice {
    let summary = format!(
        "{} asks to join {}",
        crate::untrusted::clean_name(&handle(who)),
        group_name(group)
    );
    Notice::new(ctx, Kind::JoinRequest, summary, "moderation")
}

/// A group's display name, or its name.
fn group_name(group: &kith_storage::Actor) -> String {
    group
        .display_name
        .as_deref()
        .filter(|n| !n.trim().is_empty())
        .map_or_else(|| group.username.clone(), crate::untrusted::clean_name)
}

/// `name@host` of an actor.
fn handle(actor: &kith_storage::Actor) -> String {
    format!("{}@{}", actor.username, actor.domain)
}

/// Tells the local people who answered an event that it changed or was cancelled (the title
/// and the time: what the event's page shows everyone).
pub async fn event_changed(
    change: &mut Change<'_>,
    before: &kith_storage::StoredEvent,
    after: &kith_storage::StoredEvent,
) -> Result<()> {
    let ctx = change.ctx();
    let cancelled = kith_storage::EventStatus::Cancelled;
    let title = event_title(after);
    let (kind, summary) = if after.fields.status == cancelled && before.fields.status != cancelled {
        (Kind::EventCancelled, format!("Cancelled: {title}"))
    } else {
        let when = after
            .object
            .start_time
            .map(crate::actions::mail::compose::when)
            .unwrap_or_default();
        (Kind::EventChanged, format!("Changed: {title}, now {when}"))
    };
    let notice = Notice {
        kind,
        summary,
        link: compose::object_page(ctx, &after.object.id),
    };
    for person in change.tx().local_answerers(&after.object.id).await? {
        change.notify(&person, &notice).await?;
    }
    Ok(())
}

/// "A place opened up" for a local person moved up from an event's waitlist.
pub fn promoted(ctx: &Context, event: &kith_storage::StoredEvent) -> Notice {
    Notice {
        kind: Kind::Promoted,
        summary: format!("A place opened up: you are going to {}", event_title(event)),
        link: compose::object_page(ctx, &event.object.id),
    }
}

/// "A message for you about EVENT" for a local person a remote event's group wrote to alone
/// (never what it says: that is on the event's page, for them).
pub fn event_message(ctx: &Context, event: &kith_storage::StoredEvent) -> Notice {
    Notice {
        kind: Kind::EventMessage,
        summary: format!(
            "A message for you alone about {}, from its group",
            event_title(event)
        ),
        link: compose::object_page(ctx, &event.object.id),
    }
}

/// An event's title as a line of text.
fn event_title(event: &kith_storage::StoredEvent) -> String {
    event
        .object
        .name
        .as_deref()
        .map_or_else(|| "an event".to_owned(), crate::untrusted::clean_name)
}

/// Tells who handles a report that there is one to review (nothing of what it says: that is on
/// the moderation page, for them): a group's organisers, or for a report not tied to a group
/// (a person, a remote server's report of someone here) the instance's administrators.
pub async fn report_filed(change: &mut Change<'_>, report: &kith_storage::Report) -> Result<()> {
    let notice = Notice::new(
        change.ctx(),
        Kind::Report,
        "A report to review",
        "moderation",
    );
    match report.group_id.clone() {
        Some(group_id) => change.notify_organisers(&group_id, &notice).await,
        None => {
            for admin in change.tx().instance_admins().await? {
                change.notify(&admin, &notice).await?;
            }
            Ok(())
        }
    }
}

/// Tells the author of the post `reply` answers, when it is someone else, that they have a
/// reply (who, and the thread's page).
pub async fn replied(
    change: &mut Change<'_>,
    reply: &kith_storage::StoredObject,
    author: &kith_storage::Actor,
) -> Result<()> {
    let Some(parent_id) = reply.in_reply_to.as_deref() else {
        return Ok(());
    };
    let Some(parent_author) = change.tx().object_author(parent_id).await? else {
        return Ok(());
    };
    if parent_author == author.id {
        return Ok(());
    }
    let ctx = change.ctx();
    let notice = Notice {
        kind: Kind::Reply,
        summary: format!(
            "{} replied to your post",
            crate::untrusted::clean_name(&handle(author))
        ),
        link: compose::object_page(ctx, reply.thread_root.as_deref().unwrap_or(parent_id)),
    };
    change.notify(&parent_author, &notice).await
}

/// [`replied`] for a post whose author is read from the database (a remote reply).
pub async fn replied_by_id(
    change: &mut Change<'_>,
    reply: &kith_storage::StoredObject,
) -> Result<()> {
    match change.ctx().db.actor(&reply.attributed_to).await {
        Ok(author) => replied(change, reply, &author).await,
        Err(_) => Ok(()),
    }
}

/// Tells an event's organiser, if they asked for it, of a new or changed answer ("going",
/// "maybe", or waiting for approval).
pub async fn new_answer(
    change: &mut Change<'_>,
    event: &kith_storage::StoredEvent,
    person: &kith_storage::Actor,
    recorded: &kith_storage::RsvpChange,
) -> Result<()> {
    let Some(organiser) = event.fields.organizer_id.clone() else {
        return Ok(());
    };
    let Some(after) = recorded.after.as_ref().filter(|_| recorded.changed()) else {
        return Ok(());
    };
    if organiser == person.id {
        return Ok(());
    }
    use kith_storage::RsvpStatus;
    let answer = match after.status {
        RsvpStatus::Going => "is going to",
        RsvpStatus::Maybe => "may go to",
        RsvpStatus::Pending => "asks to go to",
        RsvpStatus::Waitlisted => "is on the waitlist of",
        RsvpStatus::NotGoing | RsvpStatus::Rejected => return Ok(()),
    };
    let ctx = change.ctx();
    let notice = Notice {
        kind: Kind::NewRsvp,
        summary: format!(
            "{} {answer} {}",
            crate::untrusted::clean_name(&handle(person)),
            event_title(event)
        ),
        link: compose::object_page(ctx, &event.object.id),
    };
    change.notify(&organiser, &notice).await
}

//! Notifications: a row on the person's notifications page and, if they asked for it and
//! confirmed an address, an email, both written in the transaction of the change that causes
//! them ([`Change::notify`]). Remote people are told by their own servers, through the
//! activities Kith sends; only local people get notifications.
//!
//! What a notification says is what its recipient could see on the page it links to: a title
//! and a time, never an event's online link or a post's text from a group they cannot read.

use crate::change::Change;
use crate::mail::compose;
use crate::{Context, Result};

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A join request was approved.
    Approved,
    /// A join request was refused.
    Refused,
    /// Moved up from an event's waitlist.
    Promoted,
    /// An event the person answered changed.
    EventChanged,
    /// An event the person answered was cancelled.
    EventCancelled,
    /// An event the person is going to starts within a day.
    Reminder,
    /// Someone replied to the person's post.
    Reply,
    /// Organisers: someone asked to join.
    JoinRequest,
    /// Organisers who asked for it: someone answered an event.
    NewRsvp,
    /// Organisers: a report to review.
    Report,
}

impl Kind {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Approved => "approved",
            Kind::Refused => "refused",
            Kind::Promoted => "promoted",
            Kind::EventChanged => "event_changed",
            Kind::EventCancelled => "event_cancelled",
            Kind::Reminder => "reminder",
            Kind::Reply => "reply",
            Kind::JoinRequest => "join_request",
            Kind::NewRsvp => "new_rsvp",
            Kind::Report => "report",
        }
    }
}

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
                notice.kind.as_str(),
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

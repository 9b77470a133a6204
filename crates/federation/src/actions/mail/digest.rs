//! Scheduled mail, run by one process for all (`crate::scheduled`): reminders of tomorrow's
//! events (a notification, and an email as the person's settings say), and digests (one email
//! a day or a week with the new events and busiest threads of a person's groups, in place of a
//! message per post). Each reminder and each digest is written with the record that it was
//! sent, in one transaction, so neither goes twice nor is lost.

use std::time::Duration;

use kith_storage::{DueDigest, now_millis};
use tokio::sync::watch;

use crate::actions::group_digest::title;
use crate::actions::mail::compose::{self, when};
use crate::actions::mail::notify::{Kind, Notice};
use crate::outbound::change::Change;
use crate::{Context, Result};

/// How far ahead a reminder is sent.
const REMIND_AHEAD_MS: i64 = 24 * 3600 * 1000;
/// Threads a digest lists at most.
const THREADS: i64 = 5;

/// Runs the reminders and digests every `every` (by one process of those sharing the
/// database) until `shutdown`.
pub async fn run(ctx: Context, every: Duration, shutdown: watch::Receiver<bool>) {
    crate::scheduled::run_once_per(ctx, "mail", every, shutdown, |ctx| async move {
        let now = now_millis();
        ctx.db.prune_mail_tokens(now).await?;
        send_reminders(&ctx, now).await?;
        if ctx.mail_on() {
            send_digests(&ctx, now).await?;
        }
        // The groups' digest actors post to their followers on other servers, mail or not.
        crate::actions::group_digest::post_due(&ctx, now).await?;
        Ok(())
    })
    .await;
}

/// Reminds the local people going to events that start within a day; returns how many.
pub async fn send_reminders(ctx: &Context, now: i64) -> Result<usize> {
    let due = ctx.db.due_reminders(now, now + REMIND_AHEAD_MS).await?;
    let mut sent = 0;
    for reminder in due {
        let Some(recipient) = ctx.db.recipient(&reminder.actor_id).await? else {
            continue;
        };
        let name = reminder.name.as_deref().unwrap_or("An event");
        let notice = Notice {
            kind: Kind::Reminder,
            summary: format!("Reminder: {name} starts {}", when(reminder.start_time)),
            link: compose::object_page(ctx, &reminder.event_id),
        };
        let mut change = Change::begin(ctx).await?;
        if change
            .tx()
            .reminder_sent(&reminder.event_id, &recipient.account_id)
            .await?
        {
            change.notify(&reminder.actor_id, &notice).await?;
            sent += 1;
        }
        change.commit().await?;
    }
    Ok(sent)
}

/// Sends every digest due at `now`; returns how many were sent (a person with nothing new
/// gets none, and their next digest starts from now all the same).
pub async fn send_digests(ctx: &Context, now: i64) -> Result<usize> {
    let mut sent = 0;
    for due in ctx.db.due_digests(now).await? {
        if send_digest(ctx, &due, now).await? {
            sent += 1;
        }
    }
    Ok(sent)
}

async fn send_digest(ctx: &Context, due: &DueDigest, now: i64) -> Result<bool> {
    let events = ctx.db.digest_events(&due.actor_id, due.since, now).await?;
    let threads = ctx
        .db
        .digest_threads(&due.actor_id, due.since, now, THREADS)
        .await?;
    let mut tx = ctx.db.begin().await?;
    tx.digest_sent(&due.recipient.account_id, now).await?;
    let Some(to) = due.recipient.email.as_deref() else {
        tx.commit().await?;
        return Ok(false);
    };
    if events.is_empty() && threads.is_empty() {
        tx.commit().await?;
        return Ok(false);
    }
    let mut text = format!(
        "Hello {},\n\nWhat happened in your groups since {}:\n",
        due.recipient.username,
        when(due.since)
    );
    if !events.is_empty() {
        text.push_str("\nNew events\n");
        for event in &events {
            text.push_str(&format!(
                "- {} ({}), {}\n  {}\n",
                title(event),
                event.group_name,
                event.start_time.map(when).unwrap_or_default(),
                compose::object_page(ctx, &event.id)
            ));
        }
    }
    if !threads.is_empty() {
        text.push_str("\nBusiest threads\n");
        for thread in &threads {
            text.push_str(&format!(
                "- {} ({}): {} new post{}\n  {}\n",
                title(thread),
                thread.group_name,
                thread.posts,
                if thread.posts == 1 { "" } else { "s" },
                compose::object_page(ctx, &thread.id)
            ));
        }
    }
    let period = match due.recipient.settings.digest {
        kith_storage::Digest::Weekly => "weekly",
        _ => "daily",
    };
    let subject = format!("Your {period} digest from {}", ctx.settings().domain);
    let mail = compose::optional_mail(ctx, &mut tx, &due.recipient.account_id, to, &subject, &text)
        .await?;
    tx.queue_mail(&mail).await?;
    tx.commit().await?;
    ctx.wake_mail();
    Ok(true)
}

//! Event commands. They act as the instance operator (any group), optionally as a named
//! organiser; what they publish waits in the delivery queue for the running server.

use anyhow::{Context as _, bail};
use kith_federation::Context;
use kith_federation::actions::By;
use kith_federation::actions::{events, rsvp, tokens};
use kith_federation::events::patch::{EventPatch, patched};
use kith_federation::events::{EventDraft, local_rfc3339};
use kith_storage::{Account, RsvpStatus};

use crate::admin::open_context;
use crate::cli::{EventCommand, EventFieldArgs};
use crate::config::Config;

/// Runs one `kith event …` command.
pub async fn run(config: &Config, command: EventCommand) -> anyhow::Result<()> {
    let ctx = open_context(config).await?;
    match command {
        EventCommand::Create(args) => {
            let by = organiser(&ctx, &args.fields).await?;
            let f = &args.fields;
            for (value, name) in [
                (&f.title, "title"),
                (&f.start, "start"),
                (&f.end, "end"),
                (&f.timezone, "timezone"),
            ] {
                if value.is_none() {
                    bail!("--{name} is required");
                }
            }
            let draft = EventDraft {
                repeat: args.repeat,
                ..patched(EventDraft::default(), &patch_of(args.fields))
            };
            let event = events::create_event(
                &ctx,
                &args.group,
                by.as_ref().map_or(By::Operator, By::Account),
                &draft,
            )
            .await?;
            println!("{}", event.object.id);
        }
        EventCommand::Update(args) => {
            let by = organiser(&ctx, &args.fields).await?;
            let patch = patch_of(args.fields);
            let event = events::update_event(
                &ctx,
                &args.id,
                by.as_ref().map_or(By::Operator, By::Account),
                &patch,
            )
            .await?;
            println!(
                "{} updated: {}",
                event.object.id,
                event.object.summary.unwrap_or_default()
            );
        }
        EventCommand::Cancel(e) => {
            let event = events::cancel_event(&ctx, &e.id, By::Operator).await?;
            println!("{} is cancelled", event.object.id);
        }
        EventCommand::Delete(e) => {
            events::delete_event(&ctx, &e.id, By::Operator).await?;
            println!("{} is deleted", e.id);
        }
        EventCommand::Show { id } => show(&ctx, &id).await?,
        EventCommand::Approve(m) => {
            let r = rsvp::decide(&ctx, &m.id, &m.member, true, By::Operator).await?;
            println!("{} is now {}", r.actor_id, r.status);
        }
        EventCommand::Reject(m) => {
            let r = rsvp::decide(&ctx, &m.id, &m.member, false, By::Operator).await?;
            println!("{} is now {}", r.actor_id, r.status);
        }
        EventCommand::Rsvp {
            user,
            event,
            answer,
        } => {
            let account = account(&ctx, &user).await?;
            let status = match answer.as_str() {
                "going" => Some(RsvpStatus::Going),
                "maybe" => Some(RsvpStatus::Maybe),
                "not-going" | "not_going" => Some(RsvpStatus::NotGoing),
                "none" => None,
                other => bail!("{other:?}: answer going, maybe, not-going or none"),
            };
            match rsvp::rsvp(&ctx, &account, &event, status).await? {
                Some(r) => println!("{user}: {} ({})", r.status, r.event_id),
                None => println!("{user}: no answer to {event}"),
            }
        }
    }
    Ok(())
}

/// The options given, as changes (create applies them to an empty draft).
fn patch_of(f: EventFieldArgs) -> EventPatch {
    EventPatch {
        title: f.title,
        description: f.description,
        start: f.start,
        end: f.end,
        timezone: f.timezone,
        place: f.place,
        address: f.address,
        latitude: f.latitude,
        longitude: f.longitude,
        online_url: f.online_url,
        capacity: f.capacity,
        join_mode: f.join_mode,
        external_url: f.external_url,
        category: f.category,
        tags: (!f.tags.is_empty()).then_some(f.tags),
        status: f.status,
    }
}

async fn account(ctx: &Context, user: &str) -> anyhow::Result<Account> {
    ctx.db
        .account_by_username(user)
        .await
        .with_context(|| format!("no account named {user:?}"))
}

/// The organiser named by `--as`, checked against the group; the operator when absent.
async fn organiser(ctx: &Context, f: &EventFieldArgs) -> anyhow::Result<Option<Account>> {
    match &f.as_user {
        Some(user) => Ok(Some(account(ctx, user).await?)),
        None => Ok(None),
    }
}

async fn show(ctx: &Context, id: &str) -> anyhow::Result<()> {
    let (event, answers) = rsvp::answers(ctx, id, By::Operator).await?;
    let o = &event.object;
    let f = &event.fields;
    println!("{}", o.name.as_deref().unwrap_or_default());
    println!("  id        {}", o.id);
    println!("  when      {}", o.summary.as_deref().unwrap_or_default());
    println!(
        "  start     {}",
        local_rfc3339(o.start_time.unwrap_or_default(), &f.timezone)
    );
    println!(
        "  end       {}",
        local_rfc3339(o.end_time.unwrap_or_default(), &f.timezone)
    );
    println!("  status    {}   join mode {}", f.status, f.join_mode);
    if let Some(capacity) = f.capacity {
        println!("  capacity  {capacity}");
    }
    println!("  calendar  {}/calendar.ics", o.id);
    for (actor, rsvp) in answers {
        println!("  {:<11} @{}@{}", rsvp.status, actor.username, actor.domain);
    }
    Ok(())
}

/// `kith calendar link USER`.
pub async fn calendar_link(config: &Config, user: &str) -> anyhow::Result<()> {
    let ctx = open_context(config).await?;
    let account = account(&ctx, user).await?;
    println!("{}", tokens::create_calendar_link(&ctx, &account).await?);
    eprintln!("keep this link private: it lists what {user} answered (making a new one ends it)");
    Ok(())
}

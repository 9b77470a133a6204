//! The database Kith starts on: an administrator and their API token, the fan-out group's
//! members on the sink's hosts, and a group with posts, a thread and events for the reads.
//!
//! Seeding goes through Kith's own actions and storage (the same code `kith serve` runs) so the
//! rows are exactly what federation would have written; only the 10,000 fan-out members are
//! written directly, since having 10,000 remote actors follow one by one is not what is measured.

use anyhow::Context as _;
use kith_federation::actions::By;
use kith_federation::actions::{accounts, events, groups, posts, tokens};
use kith_federation::events::EventDraft;
use kith_federation::outbound::instance_actor;
use kith_federation::{Context, FederationSettings};
use kith_storage::{ActorKind, Database, JoinPolicy, MemberRole, MemberState, NewActor};

use crate::Scale;
use crate::sink::Sink;

/// What the scenarios need to know of the seeded data.
pub struct Seeded {
    /// An administrator's API token (the fan-out posts are written with it).
    pub token: String,
    /// The group remote members post into.
    pub ingest_group: String,
    /// The group with 10,000 members.
    pub fanout_group: String,
    /// The group the reads look at: posts, a thread, events.
    pub read_group: String,
    /// The id of a post with replies (its thread page is read).
    pub thread_id: String,
}

/// Posts and events in the read group: an outbox page and a calendar of realistic size.
const READ_POSTS: usize = 40;
const THREAD_REPLIES: usize = 12;
const READ_EVENTS: usize = 20;

/// Seeds a fresh database for an instance at `domain`.
pub async fn seed(url: &str, domain: &str, sink: &Sink, scale: Scale) -> anyhow::Result<Seeded> {
    let db = Database::connect(url)
        .await
        .context("opening the database")?;
    let ctx = Context::new(db, FederationSettings::new(domain, true))?;
    instance_actor::ensure_instance_actor(&ctx).await?;
    let admin = accounts::create_account(&ctx, "organiser", "bench-password-1", true).await?;
    let token = tokens::create_token(&ctx, &admin.username, "bench").await?;
    let seeded = Seeded {
        token,
        ingest_group: "runners".into(),
        fanout_group: "cleanup".into(),
        read_group: "readers".into(),
        thread_id: String::new(),
    };
    for name in [
        &seeded.ingest_group,
        &seeded.fanout_group,
        &seeded.read_group,
    ] {
        groups::create_group(
            &ctx,
            &groups::NewGroup {
                name: name.clone(),
                owner: admin.username.clone(),
                title: Some(format!("Bench {name}")),
                summary: Some("A group the benchmark fills.".into()),
                join_policy: JoinPolicy::Open,
                visibility: kith_storage::GroupVisibility::Public,
            },
        )
        .await?;
    }
    seed_members(&ctx, &seeded.fanout_group, sink, scale).await?;
    let thread_id = seed_reads(&ctx, &seeded.read_group, &admin.username).await?;
    ctx.db.close().await;
    Ok(Seeded {
        thread_id,
        ..seeded
    })
}

/// The fan-out group's members: `fanout_members` remote people spread evenly over the sink's
/// hosts, each host with a shared inbox (as Mastodon and Lemmy have).
async fn seed_members(ctx: &Context, group: &str, sink: &Sink, scale: Scale) -> anyhow::Result<()> {
    let group_id = ctx.urls().group(group);
    let per_host = scale.fanout_members.div_ceil(scale.fanout_hosts);
    let pem = sink.public_pem(0).to_owned();
    let mut pending = tokio::task::JoinSet::new();
    for (h, port) in sink.fanout_ports().iter().enumerate() {
        let (db, group_id, pem, port) = (ctx.db.clone(), group_id.clone(), pem.clone(), *port);
        pending.spawn(async move {
            for n in 0..per_host {
                let actor = remote_person(port, h * per_host + n, &pem);
                db.upsert_remote_actor(&actor).await?;
                db.upsert_membership(
                    &group_id,
                    &actor.id,
                    MemberState::Accepted,
                    MemberRole::Member,
                    None,
                )
                .await?;
            }
            anyhow::Ok(())
        });
        // A few hosts at a time: enough to keep PostgreSQL busy, one writer for SQLite anyway.
        while pending.len() >= 8 {
            pending.join_next().await.context("a seeding task")???;
        }
    }
    while let Some(done) = pending.join_next().await {
        done??;
    }
    Ok(())
}

/// A remote person as Kith stores one it fetched: `http://127.0.0.1:PORT/users/N`.
pub fn remote_person(port: u16, n: usize, public_pem: &str) -> NewActor {
    let base = format!("http://127.0.0.1:{port}");
    let id = format!("{base}/users/{n}");
    NewActor {
        key_id: format!("{id}#main-key"),
        inbox_url: format!("{id}/inbox"),
        shared_inbox_url: Some(format!("{base}/inbox")),
        outbox_url: Some(format!("{id}/outbox")),
        followers_url: Some(format!("{id}/followers")),
        url: Some(format!("{base}/@{n}")),
        kind: ActorKind::Person,
        local: false,
        username: format!("member{n}"),
        domain: format!("127.0.0.1:{port}"),
        display_name: Some(format!("Member {n}")),
        summary: None,
        public_key_pem: public_pem.to_owned(),
        private_key_pem: None,
        manually_approves_followers: false,
        data: None,
        id,
    }
}

/// Posts, one thread with replies and upcoming events in the read group; returns the thread's
/// first post.
async fn seed_reads(ctx: &Context, group: &str, author: &str) -> anyhow::Result<String> {
    let group_actor = ctx.db.local_actor_by_username(group).await?;
    let person = ctx.db.local_actor_by_username(author).await?;
    let text = "Saturday's litter pick went well: 14 bags from the canal path, two trolleys, \
                and a heron that watched the whole time. Thanks all! Next one is on the map.";
    for n in 0..READ_POSTS {
        posts::post_to_group(ctx, &person, &group_actor, &format!("{n}. {text}"), None).await?;
    }
    let first =
        posts::post_to_group(ctx, &person, &group_actor, "Who is bringing gloves?", None).await?;
    for n in 0..THREAD_REPLIES {
        let reply = format!("Reply {n}: I can bring a box of gloves and some grabbers.");
        posts::post_to_group(ctx, &person, &group_actor, &reply, Some(&first.id)).await?;
    }
    for n in 0..READ_EVENTS {
        let day = n % 28 + 1;
        let draft = EventDraft {
            title: format!("Canal clean-up #{n}"),
            description: Some(text.into()),
            start: format!("2027-03-{day:02}T09:30:00Z"),
            end: format!("2027-03-{day:02}T11:00:00Z"),
            timezone: "Europe/London".into(),
            place: Some("Victoria Park, east gate".into()),
            address: Some("Grove Road, London E3 5TB".into()),
            latitude: Some(51.5362),
            longitude: Some(-0.0388),
            capacity: Some(40),
            ..EventDraft::default()
        };
        events::create_event(ctx, group, By::Operator, &draft).await?;
    }
    Ok(first.id)
}

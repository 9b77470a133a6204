//! Queueing outgoing activities. Everything Kith sends goes through the database queue
//! (docs/protocol.md, Delivery and moderation); the delivery worker is woken at once, so replies
//! such as `Accept` leave immediately.
//!
//! One change may have several forms, each read by some kinds of server (`software`): a post is
//! `Announce{id}` for Mastodon and `Announce{Create}` for Lemmy. The forms are chosen per host
//! when queued, from the software the host is known to run (a copy in memory, else one database
//! query for all the hosts of a batch), so each host gets the forms it reads, once; a host not
//! known yet gets every form, and is noted for a look-up in the same transaction that queues
//! the deliveries. Planning only reads ([`Plan::new`]), so that it happens before the
//! transaction that writes a change and its activities together (`crate::outbound::change`).

use std::collections::{BTreeSet, HashMap};

use kith_storage::{Actor, ActorKind, NewDelivery};

use crate::outbound::software::{Dialect, Readers};
use crate::protocol::dialect::Known;
use crate::protocol::{OutgoingActivity, host_of};
use crate::{Context, FederationError, Result};

/// One form of an outgoing activity, and the kinds of server that read it.
#[derive(Clone, Debug)]
pub struct Form {
    /// The activity as sent.
    pub activity: OutgoingActivity,
    /// Who reads it.
    pub readers: Readers,
}

impl Form {
    /// A form every server reads.
    pub fn for_all(activity: OutgoingActivity) -> Form {
        Form {
            activity,
            readers: Readers::ALL,
        }
    }

    /// A form only `readers` read.
    pub fn for_readers(activity: OutgoingActivity, readers: Readers) -> Form {
        Form { activity, readers }
    }
}

/// Where a batch of activities goes: the remote inboxes, the dialect each one's host speaks,
/// and the hosts seen for the first time.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    inboxes: Vec<(String, Dialect)>,
    new_hosts: Vec<String>,
    deliveries: Vec<NewDelivery>,
}

impl Plan {
    /// Looks up where `inboxes` are: local ones and blocked servers are left out, duplicates
    /// sent once. Reads only.
    pub async fn new(ctx: &Context, inboxes: Vec<String>) -> Result<Plan> {
        let inboxes: BTreeSet<String> = inboxes
            .into_iter()
            .filter(|inbox| !is_local(ctx, inbox))
            .collect();
        if inboxes.is_empty() {
            return Ok(Plan::default());
        }
        let with_hosts: Vec<(String, String)> = inboxes
            .into_iter()
            .filter_map(|inbox| host_of(&inbox).map(|host| (inbox, host)))
            .collect();
        let mut hosts: Vec<String> = with_hosts.iter().map(|(_, h)| h.clone()).collect();
        hosts.sort();
        hosts.dedup();
        // Nothing goes to a blocked server, whatever list the caller built.
        let blocked = ctx.db.blocked_among_cached(&hosts).await?;
        hosts.retain(|h| !blocked.contains(h));
        let known: HashMap<String, Known> = ctx.known_hosts(&hosts).await?;
        let new_hosts = hosts
            .iter()
            .filter(|h| known.get(*h).is_none_or(|k| *k == Known::Unnoted))
            .cloned()
            .collect();
        let inboxes = with_hosts
            .into_iter()
            .filter(|(_, host)| !blocked.contains(host))
            .map(|(inbox, host)| {
                let dialect = known.get(&host).map_or(Dialect::Unknown, Known::dialect);
                (inbox, dialect)
            })
            .collect();
        Ok(Plan {
            inboxes,
            new_hosts,
            deliveries: Vec::new(),
        })
    }

    /// Adds the forms `actor` sends: each to the inboxes whose host reads it.
    pub fn add(&mut self, actor: &Actor, forms: &[Form]) -> Result<()> {
        self.add_where(actor, forms, |_| true)
    }

    /// Adds forms for `only` those of the planned inboxes (the members, when the plan also
    /// reaches someone who is not one).
    pub fn add_to(&mut self, actor: &Actor, forms: &[Form], only: &[String]) -> Result<()> {
        let only: BTreeSet<&str> = only.iter().map(String::as_str).collect();
        self.add_where(actor, forms, |inbox| only.contains(inbox))
    }

    fn add_where(
        &mut self,
        actor: &Actor,
        forms: &[Form],
        include: impl Fn(&str) -> bool,
    ) -> Result<()> {
        // A members-only or hidden group never boosts to a Mastodon-family server (or one
        // that may be: Mastodon and GoToSocial drop an `Announce` of a non-public post), and
        // never addresses anyone but its members (`activities::private_copy`).
        let private = actor.local && actor.kind == ActorKind::Group && !actor.is_public();
        for form in forms {
            let boost = private && form.activity.kind == "Announce";
            let inboxes: Vec<String> = self
                .inboxes
                .iter()
                .filter(|(inbox, dialect)| {
                    form.readers.contains(*dialect)
                        && include(inbox)
                        && (!boost || matches!(dialect, Dialect::Lemmy | Dialect::Groups))
                })
                .map(|(inbox, _)| inbox.clone())
                .collect();
            if inboxes.is_empty() {
                continue;
            }
            let body = if private {
                let mut value = serde_json::to_value(&form.activity).map_err(|e| {
                    FederationError::BadRequest(format!("serialising an activity: {e}"))
                })?;
                crate::outbound::addressing::address_to_members(&mut value, &actor.id);
                value.to_string()
            } else {
                serde_json::to_string(&form.activity).map_err(|e| {
                    FederationError::BadRequest(format!("serialising an activity: {e}"))
                })?
            };
            self.deliveries.push(NewDelivery {
                activity_id: form.activity.id.clone(),
                actor_id: actor.id.clone(),
                body,
                inboxes,
            });
        }
        Ok(())
    }

    /// The dialect of each inbox, for callers that build a form per recipient.
    pub fn dialects(&self) -> impl Iterator<Item = (&str, Dialect)> {
        self.inboxes.iter().map(|(inbox, d)| (inbox.as_str(), *d))
    }

    /// Whether nothing was added for any inbox.
    pub fn is_empty(&self) -> bool {
        self.deliveries.is_empty()
    }

    /// The deliveries and the hosts to note, for `Change::queue`.
    pub(crate) fn into_parts(self) -> (Vec<NewDelivery>, Vec<String>) {
        (self.deliveries, self.new_hosts)
    }
}

/// Plans `activity`, signed by the local `actor`, for `inboxes`: a form every server reads,
/// to be queued with the change that causes it (`Change::queue`).
pub async fn plan(
    ctx: &Context,
    actor: &Actor,
    activity: &OutgoingActivity,
    inboxes: Vec<String>,
) -> Result<Plan> {
    plan_forms(ctx, actor, &[Form::for_all(activity.clone())], inboxes).await
}

/// Plans the `forms` of one change for `inboxes`, each inbox the forms its host reads.
pub async fn plan_forms(
    ctx: &Context,
    actor: &Actor,
    forms: &[Form],
    inboxes: Vec<String>,
) -> Result<Plan> {
    let mut plan = Plan::new(ctx, inboxes).await?;
    plan.add(actor, forms)?;
    Ok(plan)
}

/// The inbox that reaches a remote actor: its shared inbox where it has one.
pub fn inbox_of(actor: &Actor) -> String {
    actor
        .shared_inbox_url
        .clone()
        .unwrap_or_else(|| actor.inbox_url.clone())
}

/// Local actors are never sent anything over HTTP: their state is already in the database.
fn is_local(ctx: &Context, inbox: &str) -> bool {
    host_of(inbox).as_deref() == Some(ctx.urls().domain())
}

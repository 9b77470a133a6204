//! What other servers are, as far as the forms Kith sends them go. Servers read group activity in
//! a few different ways (FEDERATION.md, "Servers"): Mastodon boosts an `Announce` of a post id
//! and ignores an announced activity; Lemmy reads only FEP-1b12 `Announce{Create}` and refuses
//! the rest; GoToSocial shows `summary` as a content warning. Each host's NodeInfo
//! `software.name` is looked up in the background ([`lookup`]) and kept in the database per host;
//! the delivery queue reads it (through a copy in memory) to send each host the forms its
//! software reads, and a host not known yet gets every form ([`Dialect::Unknown`]).

pub mod lookup;
pub mod reader;

use std::collections::HashMap;

use crate::protocol::dialect::Known;
pub use crate::protocol::dialect::{Dialect, Readers};
use crate::{Context, Result};

impl Context {
    /// What is known of each of `hosts`, from the copy in memory, else in one database query
    /// for all of those missing from it.
    pub(crate) async fn known_hosts(&self, hosts: &[String]) -> Result<HashMap<String, Known>> {
        let copy = self.software_copy();
        let mut known = HashMap::with_capacity(hosts.len());
        let mut missing = Vec::new();
        for host in hosts {
            match copy.get(host).await {
                Some(k) => {
                    known.insert(host.clone(), k);
                }
                None => missing.push(host.clone()),
            }
        }
        if missing.is_empty() {
            return Ok(known);
        }
        let rows = self.db.host_software(&missing).await?;
        let mut rows: HashMap<String, Known> = rows
            .iter()
            .map(|r| (r.host.clone(), Known::of_row(r)))
            .collect();
        for host in missing {
            let k = rows.remove(&host).unwrap_or(Known::Unnoted);
            copy.insert(host.clone(), k.clone()).await;
            known.insert(host, k);
        }
        Ok(known)
    }

    /// The dialect Kith speaks to `host` (unknown hosts: [`Dialect::Unknown`]).
    pub async fn dialect_of(&self, host: &str) -> Result<Dialect> {
        let known = self.known_hosts(&[host.to_owned()]).await?;
        Ok(known.get(host).map_or(Dialect::Unknown, Known::dialect))
    }

    /// The software name of `host` as far as this process knows it without asking anyone:
    /// for logs and counters on paths that must not wait on the database.
    pub(crate) async fn software_name_cached(&self, host: &str) -> String {
        match self.software_copy().get(host).await {
            Some(k) => k.name().to_owned(),
            None => "unknown".to_owned(),
        }
    }

    /// Marks hosts as noted in the copy and wakes the look-up task.
    pub(crate) async fn hosts_noted(&self, hosts: &[String]) {
        if hosts.is_empty() {
            return;
        }
        for host in hosts {
            self.software_copy()
                .insert(host.clone(), Known::Pending)
                .await;
        }
        self.wake_lookups();
    }
}

//! In-memory copies of what the inbox reads on every request: the actor owning a signature's
//! key, the local actor whose inbox it is, and the instance's domain and actor blocks
//! (docs/performance.md).
//!
//! Four reads per request, each a hand-off to a database connection, were most of what the
//! inbox did besides the one write it must make; applying a post and queueing its deliveries
//! read the blocks twice more. These copies answer from memory instead:
//!
//! - every write through this process's [`Database`] that could change an answer clears the
//!   copy at once: of that actor when it is known (an actor stored or changed), or all of it
//!   (an actor removed by a statement that does not name it; a block added or lifted). A
//!   remote actor just stored is kept in the copy, under its key: it was most likely fetched to
//!   check a signature, and its next activity follows within seconds;
//! - a write by another process (the CLI beside `kith serve`, a second server on PostgreSQL)
//!   is seen once the copy ages out: [`BLOCKS_TTL`] for blocks, [`KEYS_TTL`] for actors. A stale
//!   key only ever fails to verify, and the inbox then fetches the actor again.
//!
//! A load that began before a clear is not stored after it (a generation count), so a clear is
//! never undone by a slow read.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use crate::{Actor, Database, DomainSeverity, Result};

/// How long another process's block may go unseen.
pub const BLOCKS_TTL: Duration = Duration::from_secs(5);
/// How long an actor (a key's owner, a local inbox's owner) is answered from memory.
pub const KEYS_TTL: Duration = Duration::from_secs(60);
/// Actors held at most; the copy is emptied when full (it refills from the next requests).
const MAX_ACTORS: usize = 50_000;

/// The copies, shared by every clone of one [`Database`].
#[derive(Debug, Default)]
pub(crate) struct LookupCache {
    /// Actors by what they were looked up by (`key ID`, `local NAME`).
    actors: Mutex<HashMap<String, (Instant, Actor)>>,
    actors_generation: AtomicU64,
    blocks: RwLock<Option<Arc<Blocks>>>,
    blocks_generation: AtomicU64,
    /// One reload at a time: a burst of requests finding the copy stale waits for one read.
    reloading: tokio::sync::Mutex<()>,
    /// The inboxes groups' posts go to (`audience.rs`, checked against the database).
    pub(crate) audiences: crate::audience::Audiences,
}

#[derive(Debug)]
struct Blocks {
    loaded: Instant,
    domains: HashMap<String, DomainSeverity>,
    actors: HashSet<String>,
}

impl Blocks {
    /// The strongest block covering a host: each name it would be blocked by is one look-up
    /// in the set (`domains::covering_names`), none at all while nothing is blocked.
    fn severity(&self, host: &str) -> Option<DomainSeverity> {
        if self.domains.is_empty() {
            return None;
        }
        DomainSeverity::strongest(
            crate::domains::covering_names(host)
                .iter()
                .filter_map(|name| self.domains.get(name.as_str()).copied()),
        )
    }
}

impl LookupCache {
    /// Forgets one actor (it was stored or changed), under whatever it was looked up by. Every
    /// actor was forgotten when any one changed, so that in a busy inbox each new or updated
    /// remote profile sent the next request of every sender to the database.
    pub(crate) fn forget_actor(&self, id: &str) {
        self.actors_generation.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut actors) = self.actors.lock() {
            actors.retain(|_, (_, actor)| actor.id != id);
        }
    }

    /// Keeps `actor` under `key`, just stored and read back by this process, unless the copy
    /// holds a newer version of it. Not held back by other actors' clears, as a load is: a
    /// burst of joins stores an actor every few milliseconds, and with that check nearly half
    /// of them were not kept.
    pub(crate) fn keep_stored_actor(&self, key: String, actor: &Actor) {
        if let Ok(mut actors) = self.actors.lock() {
            if actors
                .get(&key)
                .is_some_and(|(_, held)| held.id == actor.id && held.updated_at > actor.updated_at)
            {
                return;
            }
            hold(&mut actors, key, actor);
        }
    }

    /// Forgets every actor (one was removed by a statement that does not name it).
    pub(crate) fn clear_actors(&self) {
        self.actors_generation.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut actors) = self.actors.lock() {
            actors.clear();
        }
    }

    /// Forgets the blocks (one was added, changed or lifted).
    pub(crate) fn clear_blocks(&self) {
        self.blocks_generation.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut blocks) = self.blocks.write() {
            *blocks = None;
        }
    }

    fn fresh_blocks(&self) -> Option<Arc<Blocks>> {
        let blocks = self.blocks.read().ok()?;
        blocks
            .as_ref()
            .filter(|b| b.loaded.elapsed() < BLOCKS_TTL)
            .cloned()
    }
}

impl Database {
    /// Like [`Database::actor_by_key_id`], answered from memory when asked within
    /// [`KEYS_TTL`] (the inbox's look-up of a signature's key).
    pub async fn actor_by_key_id_cached(&self, key_id: &str) -> Result<Actor> {
        self.actor_cached(format!("key {key_id}"), self.actor_by_key_id(key_id))
            .await
    }

    /// Like [`Database::local_actor_by_username`], from memory within [`KEYS_TTL`] (the inbox
    /// of `/u/NAME` and `/g/NAME` checks that its owner exists).
    pub async fn local_actor_by_username_cached(&self, username: &str) -> Result<Actor> {
        let load = self.local_actor_by_username(username);
        self.actor_cached(format!("local {}", username.to_lowercase()), load)
            .await
    }

    /// Like [`Database::actor`], from memory within [`KEYS_TTL`]: the group of an object
    /// served at its id, whose visibility decides who may read it (a group's visibility
    /// changes only from private to public, or while it has no content; this process forgets
    /// its copy at once).
    pub async fn actor_by_id_cached(&self, id: &str) -> Result<Actor> {
        self.actor_cached(format!("id {id}"), self.actor(id)).await
    }

    /// An actor from the copy, or from `load` (stored unless the copy was cleared meanwhile).
    /// Misses are not kept: a new actor is found at once.
    async fn actor_cached(
        &self,
        key: String,
        load: impl Future<Output = Result<Actor>>,
    ) -> Result<Actor> {
        let hot = &self.lookups;
        if let Ok(actors) = hot.actors.lock()
            && let Some((at, actor)) = actors.get(&key)
            && at.elapsed() < KEYS_TTL
        {
            return Ok(actor.clone());
        }
        let generation = hot.actors_generation.load(Ordering::SeqCst);
        let actor = load.await?;
        if let Ok(mut actors) = hot.actors.lock()
            && hot.actors_generation.load(Ordering::SeqCst) == generation
        {
            hold(&mut actors, key, &actor);
        }
        Ok(actor)
    }

    /// Like [`Database::domain_severity`] (blocks of the host's name, of the names above it,
    /// of its port), from a copy of the block list at most [`BLOCKS_TTL`] old (and never
    /// older than this process's own last change to it).
    pub async fn domain_severity_cached(&self, domain: &str) -> Result<Option<DomainSeverity>> {
        Ok(self.blocks_copy().await?.severity(domain))
    }

    /// Of these hosts, the ones blocked outright (nothing is delivered to them), from the same
    /// copy.
    pub async fn blocked_among_cached(&self, hosts: &[String]) -> Result<Vec<String>> {
        let blocks = self.blocks_copy().await?;
        Ok(hosts
            .iter()
            .filter(|h| blocks.severity(h) == Some(DomainSeverity::Block))
            .cloned()
            .collect())
    }

    /// Like [`Database::is_actor_blocked`], from the same copy.
    pub async fn is_actor_blocked_cached(&self, actor_id: &str) -> Result<bool> {
        Ok(self.blocks_copy().await?.actors.contains(actor_id))
    }

    async fn blocks_copy(&self) -> Result<Arc<Blocks>> {
        let hot = &self.lookups;
        if let Some(blocks) = hot.fresh_blocks() {
            return Ok(blocks);
        }
        let _one = hot.reloading.lock().await;
        if let Some(blocks) = hot.fresh_blocks() {
            return Ok(blocks);
        }
        let generation = hot.blocks_generation.load(Ordering::SeqCst);
        let loaded = Instant::now();
        let domains = self
            .domain_blocks()
            .await?
            .into_iter()
            .map(|b| (b.domain, b.severity))
            .collect();
        let actors = self
            .actor_blocks()
            .await?
            .into_iter()
            .map(|b| b.actor_id)
            .collect();
        let blocks = Arc::new(Blocks {
            loaded,
            domains,
            actors,
        });
        if let Ok(mut slot) = hot.blocks.write()
            && hot.blocks_generation.load(Ordering::SeqCst) == generation
        {
            *slot = Some(blocks.clone());
        }
        Ok(blocks)
    }
}

/// Puts `actor` in the copy under `key`, emptying the copy first when full.
fn hold(actors: &mut HashMap<String, (Instant, Actor)>, key: String, actor: &Actor) {
    if actors.len() >= MAX_ACTORS {
        actors.clear();
    }
    actors.insert(key, (Instant::now(), actor.clone()));
}

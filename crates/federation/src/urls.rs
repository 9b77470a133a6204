//! The URL scheme of this instance. Actor ids never change once published, so every id is made
//! here and nowhere else.

use url::Url;

use kith_storage::{ActorKind, NewActor};

use crate::keys::KeyPair;
use crate::{FederationError, Result};

/// Builds the ids of local actors and their endpoints.
#[derive(Clone, Debug)]
pub struct Urls {
    base: Url,
    domain: String,
}

impl Urls {
    /// The stored form of a new local actor with the usual endpoints.
    pub(crate) fn new_local_actor(
        &self,
        id: String,
        kind: ActorKind,
        username: &str,
        display_name: Option<String>,
        summary: Option<String>,
        keys: KeyPair,
    ) -> NewActor {
        NewActor {
            url: Some(id.clone()),
            inbox_url: Self::inbox(&id),
            shared_inbox_url: Some(self.shared_inbox()),
            outbox_url: Some(Self::outbox(&id)),
            followers_url: Some(Self::followers(&id)),
            key_id: Self::key_id(&id),
            id,
            kind,
            local: true,
            username: username.to_owned(),
            domain: self.domain().to_owned(),
            display_name,
            summary,
            public_key_pem: keys.public_pem,
            private_key_pem: Some(keys.private_pem),
            manually_approves_followers: false,
            data: None,
        }
    }

    /// The scheme for `domain` (host and optional port); `http` in development mode, else `https`.
    pub fn new(domain: &str, dev: bool) -> Result<Self> {
        let scheme = if dev { "http" } else { "https" };
        let base = Url::parse(&format!("{scheme}://{domain}/")).map_err(|e| {
            FederationError::InvalidName {
                name: domain.to_owned(),
                reason: domain_reason(e),
            }
        })?;
        if base.path() != "/" || base.query().is_some() || base.fragment().is_some() {
            return Err(FederationError::InvalidName {
                name: domain.to_owned(),
                reason: "give the host (and port) only, without a path",
            });
        }
        // Spelled as every other host is (`protocol::host_of`), so ids compare with it; the
        // base keeps the `url` crate's spelling, which ids have always had.
        let domain = kith_storage::domains::canonical_host(&base).ok_or_else(|| {
            FederationError::InvalidName {
                name: domain.to_owned(),
                reason: "not a valid host name",
            }
        })?;
        Ok(Urls { base, domain })
    }

    /// The public host and port as configured, spelled as [`crate::protocol::host_of`]
    /// spells hosts (lower case, no trailing dot, no default port).
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The instance's base URL, ending in `/`.
    pub fn base(&self) -> &Url {
        &self.base
    }

    fn join(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A local person's id: `/u/NAME`.
    pub fn person(&self, name: &str) -> String {
        self.join(&format!("u/{name}"))
    }

    /// A local group's id: `/g/NAME`.
    pub fn group(&self, name: &str) -> String {
        self.join(&format!("g/{name}"))
    }

    /// The instance actor's id: `/actor`.
    pub fn instance_actor(&self) -> String {
        self.join("actor")
    }

    /// A new id for a local object (a post): `/o/<ULID>`.
    pub fn new_object(&self) -> String {
        self.join(&format!(
            "o/{}",
            ulid::Ulid::new().to_string().to_lowercase()
        ))
    }

    /// A local object's id from its path segment.
    pub fn object(&self, key: &str) -> String {
        self.join(&format!("o/{key}"))
    }

    /// The shared inbox: `/inbox`.
    pub fn shared_inbox(&self) -> String {
        self.join("inbox")
    }

    /// An actor's inbox.
    pub fn inbox(actor_id: &str) -> String {
        format!("{actor_id}/inbox")
    }

    /// An actor's outbox.
    pub fn outbox(actor_id: &str) -> String {
        format!("{actor_id}/outbox")
    }

    /// An actor's followers collection.
    pub fn followers(actor_id: &str) -> String {
        format!("{actor_id}/followers")
    }

    /// A group's pinned posts (`featured`).
    pub fn featured(actor_id: &str) -> String {
        format!("{actor_id}/featured")
    }

    /// A group's moderators collection (its `attributedTo`, FEP-1b12).
    pub fn moderators(actor_id: &str) -> String {
        format!("{actor_id}/moderators")
    }

    /// The replies collection a group keeps for a post in one of its threads.
    pub fn replies(group_id: &str, object_id: &str) -> String {
        let mut url = format!("{group_id}/replies?object=");
        url.extend(url::form_urlencoded::byte_serialize(object_id.as_bytes()));
        url
    }

    /// A new id for an activity of a local actor: `<actor>/activities/<ULID>`.
    pub fn new_activity(actor_id: &str) -> String {
        format!(
            "{actor_id}/activities/{}",
            ulid::Ulid::new().to_string().to_lowercase()
        )
    }

    /// The id of an actor's public key.
    pub fn key_id(actor_id: &str) -> String {
        format!("{actor_id}#main-key")
    }
}

fn domain_reason(e: url::ParseError) -> &'static str {
    match e {
        url::ParseError::EmptyHost => "the domain is empty",
        url::ParseError::InvalidPort => "the port is not a number",
        _ => "not a valid host name",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_the_scheme() -> Result<()> {
        let urls = Urls::new("kith.example", false)?;
        assert_eq!(urls.group("runners"), "https://kith.example/g/runners");
        assert_eq!(urls.person("ann"), "https://kith.example/u/ann");
        let dev = Urls::new("127.0.0.1:8080", true)?;
        assert_eq!(dev.instance_actor(), "http://127.0.0.1:8080/actor");
        assert_eq!(
            Urls::key_id(&dev.group("x")),
            "http://127.0.0.1:8080/g/x#main-key"
        );
        assert_eq!(
            Urls::new("Kith.Example.:443", false)?.domain(),
            "kith.example"
        );
        assert!(Urls::new("bad host", false).is_err());
        assert!(Urls::new("kith.example/x", false).is_err());
        Ok(())
    }
}

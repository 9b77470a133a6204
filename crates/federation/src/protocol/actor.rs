//! Actor documents: the ones Kith serves for its people, groups and instance actor (docs/protocol.md, Actors),
//! and the fields Kith reads from remote actors.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{deserialize_first_id, deserialize_list};

/// `publicKey` of an actor.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicKey {
    /// `<actor>#main-key`.
    pub id: String,
    /// The actor.
    pub owner: String,
    /// SPKI PEM.
    pub public_key_pem: String,
}

/// `endpoints` of an actor.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoints {
    /// The instance's shared inbox.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_inbox: Option<String>,
}

/// A local actor as served at its id.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActorDocument {
    /// See [`super::context`].
    #[serde(rename = "@context")]
    pub context: Value,
    /// The actor id.
    pub id: String,
    /// `Group`, `Person` or `Application`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The name in handles (`@runners@kith.example`).
    pub preferred_username: String,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// HTML description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// The page for people (same host as `id`).
    pub url: String,
    /// Personal inbox.
    pub inbox: String,
    /// Outbox (Lemmy requires one).
    pub outbox: String,
    /// Followers collection (a group's members).
    pub followers: String,
    /// Pinned posts (Mastodon's `featured`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub featured: Option<String>,
    /// A group's moderators collection (FEP-1b12).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributed_to: Option<String>,
    /// Shared inbox.
    pub endpoints: Endpoints,
    /// Whether joining needs a moderator's approval (Mastodon shows "requested").
    pub manually_approves_followers: bool,
    /// Whether the actor may be listed in directories.
    pub discoverable: bool,
    /// Lemmy's flag for groups where only moderators post.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub posting_restricted_to_mods: Option<bool>,
    /// A group's avatar (Mastodon and Mobilizon read `icon.url`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icon: Option<ImageRef>,
    /// A group's banner (Mastodon's header, Mobilizon's banner: `image.url`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageRef>,
    /// The key that signs the actor's requests.
    pub public_key: PublicKey,
    /// When the actor was created.
    pub published: String,
}

/// A picture in a document: `{"type": "Image", "url", "mediaType", "name"}` (`name` is the alt
/// text, as Mastodon and Mobilizon read it on attachments).
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ImageRef {
    /// `Image` (an actor's icon and image) or `Document` (an attachment).
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Where it is served.
    pub url: String,
    /// Its type.
    pub media_type: String,
    /// Its description for people who cannot see it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// What Kith reads of a remote actor; everything else is ignored.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteActor {
    /// The actor id.
    pub id: String,
    /// Its type.
    #[serde(rename = "type")]
    pub kind: String,
    /// The name in handles.
    #[serde(default)]
    pub preferred_username: Option<String>,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// HTML description.
    #[serde(default)]
    pub summary: Option<String>,
    /// Profile page (a string, a `Link`, or several of them).
    #[serde(default, deserialize_with = "deserialize_first_id")]
    pub url: Option<String>,
    /// Inbox.
    pub inbox: String,
    /// Outbox.
    #[serde(default)]
    pub outbox: Option<String>,
    /// Followers collection.
    #[serde(default)]
    pub followers: Option<String>,
    /// Shared inbox.
    #[serde(default)]
    pub endpoints: Option<Endpoints>,
    /// The signing key (a list of keys on some servers).
    #[serde(default, deserialize_with = "deserialize_list")]
    pub public_key: Vec<Value>,
    /// FEP-521a keys (`Multikey`s: Ed25519, RSA), beside `publicKey`.
    #[serde(default, deserialize_with = "deserialize_list")]
    pub assertion_method: Vec<Value>,
    /// Whether the actor approves followers by hand.
    #[serde(default)]
    pub manually_approves_followers: Option<bool>,
}

/// A key an actor publishes, as published.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublishedKey {
    /// The key's id (`keyId` in signatures).
    pub id: String,
    /// `publicKeyPem` (SPKI PEM) or `publicKeyMultibase`.
    pub public_key: String,
}

impl RemoteActor {
    /// Every key the actor publishes as its own: `publicKey` entries (object or array) with a
    /// `publicKeyPem`, then `assertionMethod` entries with a `publicKeyMultibase` (FEP-521a).
    /// A key naming another `owner` or `controller`, or with an id on another host than the
    /// actor, is not the actor's and is left out; an actor whose id has no host has none.
    pub fn published_keys(&self) -> Vec<PublishedKey> {
        // Two ids without a host are not on the same host.
        let Some(host) = super::host_of(&self.id) else {
            return Vec::new();
        };
        let entries = self
            .public_key
            .iter()
            .map(|k| (k, "owner", "publicKeyPem"))
            .chain(
                self.assertion_method
                    .iter()
                    .map(|k| (k, "controller", "publicKeyMultibase")),
            );
        let mut keys: Vec<PublishedKey> = Vec::new();
        for (entry, owner_field, key_field) in entries {
            let text = |name: &str| entry.get(name).and_then(Value::as_str);
            let (Some(id), Some(public_key)) = (text("id"), text(key_field)) else {
                continue;
            };
            let owner = text(owner_field).unwrap_or(&self.id);
            if owner != self.id
                || super::host_of(id).as_ref() != Some(&host)
                || keys.iter().any(|k| k.id == id)
            {
                continue;
            }
            keys.push(PublishedKey {
                id: id.to_owned(),
                public_key: public_key.to_owned(),
            });
        }
        keys
    }

    /// The first well-formed public key the actor publishes.
    pub fn main_key(&self) -> Option<PublicKey> {
        self.public_key
            .iter()
            .find_map(|k| serde_json::from_value(k.clone()).ok())
    }
}

/// The owner a key document names, for a `keyId` that is not its owner's actor document:
/// a key object with a top-level `owner` (or a FEP-521a `controller`), or a stub actor whose
/// `publicKey` (object or array) holds the key with its `owner` (GoToSocial answers its
/// `/main-key` URLs this way, with no `inbox`).
pub fn key_owner(doc: &Value, key_id: &str) -> Option<String> {
    let text = |v: &Value, name: &str| v.get(name).and_then(Value::as_str).map(str::to_owned);
    if let Some(owner) = text(doc, "owner").or_else(|| text(doc, "controller")) {
        return Some(owner);
    }
    ["publicKey", "assertionMethod"]
        .iter()
        .filter_map(|field| doc.get(*field))
        .flat_map(|keys| match keys {
            Value::Array(items) => items.clone(),
            other => vec![other.clone()],
        })
        .filter(|k| k.get("id").and_then(Value::as_str) == Some(key_id))
        .find_map(|k| text(&k, "owner").or_else(|| text(&k, "controller")))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn actor(id: &str, key_id: &str) -> RemoteActor {
        serde_json::from_value(json!({
            "id": id,
            "type": "Person",
            "inbox": "https://a.example/inbox",
            "publicKey": {"id": key_id, "owner": id, "publicKeyPem": "pem"},
        }))
        .unwrap()
    }

    #[test]
    fn keys_are_published_on_the_actors_host_only() {
        let ann = actor(
            "https://a.example/u/ann",
            "https://a.example/u/ann#main-key",
        );
        assert_eq!(ann.published_keys().len(), 1);
        let elsewhere = actor("https://a.example/u/ann", "https://b.example/k");
        assert!(elsewhere.published_keys().is_empty());
        // Found by the property tests (`tests/fuzz_documents.rs`): an id without a host and a
        // key id without one were taken as "on the same host".
        assert!(actor("x", "").published_keys().is_empty());
        assert!(actor("x", "x#main-key").published_keys().is_empty());
    }
}

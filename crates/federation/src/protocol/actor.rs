//! Actor documents: the ones Kith serves for its people, groups and instance actor (DESIGN §3),
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
    /// The key that signs the actor's requests.
    pub public_key: PublicKey,
    /// When the actor was created.
    pub published: String,
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
    /// The signing key (a list of keys on some servers: the first is used).
    #[serde(deserialize_with = "deserialize_list")]
    pub public_key: Vec<Value>,
    /// Whether the actor approves followers by hand.
    #[serde(default)]
    pub manually_approves_followers: Option<bool>,
}

impl RemoteActor {
    /// The first well-formed public key the actor publishes.
    pub fn main_key(&self) -> Option<PublicKey> {
        self.public_key
            .iter()
            .find_map(|k| serde_json::from_value(k.clone()).ok())
    }
}

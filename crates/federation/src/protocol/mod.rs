//! Wire types: the JSON Kith sends and the JSON it accepts, as plain serde structs. Incoming
//! documents are read as plain JSON with known keys (docs/protocol.md, Untrusted input): `@context` is never fetched or
//! interpreted, and every field other servers may send as a string, an object or an array is
//! read through the helpers here.

mod activity;
mod actor;
mod collection;
pub(crate) mod dialect;
mod envelope;
mod handle;
mod object;

pub use activity::{Activity, OutgoingActivity};
pub use actor::{
    ActorDocument, Endpoints, ImageRef, PublicKey, PublishedKey, RemoteActor, key_owner,
};
pub use collection::{Collection, CollectionPage};
pub use envelope::Envelope;
pub use handle::Handle;
pub use object::{IncomingObject, POST_KINDS};

use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};

/// The ActivityStreams namespace.
pub const ACTIVITY_STREAMS: &str = "https://www.w3.org/ns/activitystreams";
/// The public collection, as Kith writes it.
pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// The `@context` of every document Kith sends: only the two contexts every server has built in,
/// and every other term defined inline, so no receiver needs to fetch anything.
pub fn context() -> Value {
    json!([
        ACTIVITY_STREAMS,
        "https://w3id.org/security/v1",
        {
            "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
            "sensitive": "as:sensitive",
            "Hashtag": "as:Hashtag",
            "toot": "http://joinmastodon.org/ns#",
            "featured": {"@id": "toot:featured", "@type": "@id"},
            "discoverable": "toot:discoverable",
            "lemmy": "https://join-lemmy.org/ns#",
            "postingRestrictedToMods": "lemmy:postingRestrictedToMods",
        }
    ])
}

/// Whether an addressing entry means "public" in any of the three spellings servers use.
pub fn is_public(id: &str) -> bool {
    matches!(id, PUBLIC | "as:Public" | "Public")
}

/// The id in a value that may be a string or an object with an `id` (or a `Link` with `href`).
pub fn id_of(value: &Value) -> Option<&str> {
    match value {
        Value::String(s) => Some(s),
        Value::Object(map) => map
            .get("id")
            .or_else(|| map.get("href"))
            .and_then(Value::as_str),
        _ => None,
    }
}

/// Every id in a value that may be one item or an array of them; items without an id are skipped.
pub fn ids_of(value: &Value) -> Vec<String> {
    match value {
        Value::Array(items) => items.iter().filter_map(id_of).map(str::to_owned).collect(),
        other => id_of(other).map(str::to_owned).into_iter().collect(),
    }
}

/// Deserialises a field that may be one id (or object) or an array of them into a list of ids.
pub fn deserialize_ids<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(ids_of(&Value::deserialize(d)?))
}

/// Deserialises a field that may be an id or an object (or an array: the first id counts).
pub fn deserialize_first_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(ids_of(&Value::deserialize(d)?).into_iter().next())
}

/// Deserialises a field that may be one item or an array into a list, keeping items as JSON.
pub fn deserialize_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Value>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Array(items) => items,
        Value::Null => Vec::new(),
        other => vec![other],
    })
}

/// The WebFinger relation of the remote-follow template (OStatus, still what Mastodon offers).
pub const SUBSCRIBE_REL: &str = "http://ostatus.org/schema/1.0/subscribe";
/// The FEP-3b86 intent relation for following.
pub const FOLLOW_INTENT_REL: &str = "https://w3id.org/fep/3b86/Follow";

/// The canonical host (and port, unless the scheme's default) of a URL: what "same server"
/// means for ids, blocks, rate limits, delivery and stored actors' `domain`. One spelling per
/// server (IDNA, lower case, no trailing dot, one form of each IP address; see
/// `kith_storage::domains`, which storage shares for the hosts it keeps).
pub use kith_storage::domains::host_of;

/// Milliseconds since the epoch as RFC 3339 (`published`, `updated`).
pub fn rfc3339(millis: i64) -> String {
    jiff::Timestamp::from_millisecond(millis)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// An RFC 3339 time as milliseconds since the epoch.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    text.parse::<jiff::Timestamp>()
        .ok()
        .map(|t| t.as_millisecond())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_come_from_strings_objects_and_arrays() {
        let v = json!(["https://a.example/1", {"id": "https://a.example/2"}, {"type": "Mention",
            "href": "https://a.example/3"}, 7]);
        assert_eq!(ids_of(&v).len(), 3);
        assert_eq!(ids_of(&json!("https://x/")), vec!["https://x/".to_owned()]);
        assert!(ids_of(&json!(null)).is_empty());
        assert_eq!(
            host_of("http://127.0.0.1:8080/u/a").as_deref(),
            Some("127.0.0.1:8080")
        );
        assert_eq!(
            host_of("http://[::ffff:7f00:1]:8080/u/a").as_deref(),
            Some("127.0.0.1:8080")
        );
        assert!(is_public("as:Public"));
        assert_eq!(
            parse_rfc3339(&rfc3339(1_700_000_000_123)),
            Some(1_700_000_000_123)
        );
    }
}

//! Activities: the envelope Kith reads from inboxes and the one it sends.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{deserialize_first_id, deserialize_ids};

/// An incoming activity. Only the envelope is typed; `object` stays JSON because its shape
/// depends on the activity (an id, an embedded object, or another activity).
#[derive(Clone, Debug, Deserialize)]
pub struct Activity {
    /// The activity id.
    pub id: String,
    /// Its type (`Follow`, `Create`, …).
    #[serde(rename = "type")]
    pub kind: String,
    /// Who did it.
    #[serde(default, deserialize_with = "deserialize_first_id")]
    pub actor: Option<String>,
    /// What it was done to.
    #[serde(default)]
    pub object: Value,
    /// Primary audience.
    #[serde(default, deserialize_with = "deserialize_ids")]
    pub to: Vec<String>,
    /// Secondary audience.
    #[serde(default, deserialize_with = "deserialize_ids")]
    pub cc: Vec<String>,
    /// The group it belongs to (FEP-1b12).
    #[serde(default, deserialize_with = "deserialize_ids")]
    pub audience: Vec<String>,
    /// The whole document as received (re-sent unchanged inside FEP-1b12 announces).
    #[serde(skip)]
    pub raw: Value,
}

impl Activity {
    /// Reads an activity from JSON, keeping the document, which must be an object (serde reads
    /// a struct from an array too, field by field in order).
    pub fn from_value(raw: Value) -> Result<Self, serde_json::Error> {
        if !raw.is_object() {
            return Err(serde::de::Error::invalid_type(
                serde::de::Unexpected::Other("a JSON value other than an object"),
                &"an activity object",
            ));
        }
        // Read from a borrow: the worker reads every queued activity here, and a clone of the
        // whole tree only to be consumed was an allocation per key and value.
        let mut activity = Activity::deserialize(&raw)?;
        activity.raw = raw;
        Ok(activity)
    }

    /// The id of `object`, whether it was sent as an id or embedded.
    pub fn object_id(&self) -> Option<&str> {
        super::id_of(&self.object)
    }

    /// The type of an embedded `object`, if it was embedded.
    pub fn object_kind(&self) -> Option<&str> {
        self.object.get("type").and_then(Value::as_str)
    }
}

/// An activity Kith sends.
#[derive(Clone, Debug, Serialize)]
pub struct OutgoingActivity {
    /// See [`super::context`].
    #[serde(rename = "@context")]
    pub context: Value,
    /// The activity id.
    pub id: String,
    /// Its type.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The local actor doing it.
    pub actor: String,
    /// What it is done to.
    pub object: Value,
    /// Primary audience.
    pub to: Vec<String>,
    /// Secondary audience.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cc: Vec<String>,
    /// The group it belongs to (FEP-1b12), for Lemmy, PieFed and NodeBB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    /// When it was published.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// Where it happens: the group of a ban, the moderators collection of `Add`/`Remove`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The reason a moderator gave (Lemmy reads it from `summary`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// What a report says (Mastodon reads a `Flag`'s comment from `content`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
}

impl OutgoingActivity {
    /// An activity of `kind` by `actor` on `object`, addressed to `to`.
    pub fn new(
        kind: &'static str,
        id: String,
        actor: &str,
        object: Value,
        to: Vec<String>,
    ) -> Self {
        OutgoingActivity {
            context: super::context(),
            id,
            kind,
            actor: actor.to_owned(),
            object,
            to,
            cc: Vec::new(),
            audience: None,
            published: None,
            target: None,
            summary: None,
            content: None,
        }
    }
}

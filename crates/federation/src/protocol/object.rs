//! Posts as other servers send them: `Note` (Mastodon), `Page` (Lemmy), `Article`, `Question`.

use serde::Deserialize;
use serde_json::Value;

use super::{deserialize_first_id, deserialize_ids, deserialize_list, id_of};

/// The object types Kith accepts as posts into a group.
pub const POST_KINDS: [&str; 4] = ["Note", "Article", "Page", "Question"];

/// What Kith reads of an incoming post.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IncomingObject {
    /// The object id.
    pub id: String,
    /// Its type.
    #[serde(rename = "type")]
    pub kind: String,
    /// The author (the first actor when several are listed).
    #[serde(default, deserialize_with = "deserialize_first_id")]
    pub attributed_to: Option<String>,
    /// Primary audience.
    #[serde(default, deserialize_with = "deserialize_ids")]
    pub to: Vec<String>,
    /// Secondary audience.
    #[serde(default, deserialize_with = "deserialize_ids")]
    pub cc: Vec<String>,
    /// The group it was posted to (FEP-1b12).
    #[serde(default, deserialize_with = "deserialize_ids")]
    pub audience: Vec<String>,
    /// Mentions, hashtags, emoji.
    #[serde(default, deserialize_with = "deserialize_list")]
    pub tag: Vec<Value>,
    /// The object it answers.
    #[serde(default, deserialize_with = "deserialize_first_id")]
    pub in_reply_to: Option<String>,
    /// Title (Lemmy's `Page`, articles).
    #[serde(default)]
    pub name: Option<String>,
    /// Content warning.
    #[serde(default)]
    pub summary: Option<String>,
    /// HTML body.
    #[serde(default)]
    pub content: Option<String>,
    /// Whether it is marked sensitive.
    #[serde(default)]
    pub sensitive: Option<bool>,
    /// The page for people.
    #[serde(default, deserialize_with = "deserialize_first_id")]
    pub url: Option<String>,
    /// RFC 3339 publication time.
    #[serde(default)]
    pub published: Option<String>,
}

impl IncomingObject {
    /// Every actor the object is addressed to or mentions.
    pub fn recipients(&self) -> impl Iterator<Item = &str> {
        let mentions = self.tag.iter().filter_map(|t| {
            (t.get("type").and_then(Value::as_str) == Some("Mention"))
                .then(|| id_of(t))
                .flatten()
        });
        self.to
            .iter()
            .chain(&self.cc)
            .chain(&self.audience)
            .map(String::as_str)
            .chain(mentions)
    }
}

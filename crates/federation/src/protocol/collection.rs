//! Ordered collections and their pages (followers, outbox, featured, moderators, replies).

use serde::Serialize;
use serde_json::Value;

/// An `OrderedCollection`: the count, and the first page (or, for short lists, every item).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Collection {
    /// See [`super::context`].
    #[serde(rename = "@context")]
    pub context: Value,
    /// The collection's id.
    pub id: String,
    /// `OrderedCollection`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// How many items it has.
    pub total_items: i64,
    /// The first page's id, for paged collections.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first: Option<String>,
    /// The items, for short unpaged collections (featured, moderators).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ordered_items: Option<Vec<Value>>,
}

/// An `OrderedCollectionPage`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CollectionPage {
    /// See [`super::context`].
    #[serde(rename = "@context")]
    pub context: Value,
    /// The page's id.
    pub id: String,
    /// `OrderedCollectionPage`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The collection it belongs to.
    pub part_of: String,
    /// How many items the whole collection has.
    pub total_items: i64,
    /// The next page, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// This page's items.
    pub ordered_items: Vec<Value>,
}

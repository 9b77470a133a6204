//! What the inbox reads of an activity before it knows where the activity goes.
//!
//! Most of what arrives (`Create`, `Update`, `Delete`, `Announce`) is only checked and queued,
//! and the worker reads it in full later. Reading the whole document into a `Value` tree first
//! (and then into an [`super::Activity`], which cloned the tree) cost the inbox an allocation per
//! key and value of an embedded post; the envelope reads four fields and skips the rest in place.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// The fields of an activity the inbox needs to check and route it.
#[derive(Debug, Deserialize)]
pub struct Envelope {
    /// The activity id.
    pub id: String,
    /// Its type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Who did it (the first id, if sent as an array).
    #[serde(default, deserialize_with = "first_id")]
    pub actor: Option<String>,
    /// The id of what it was done to, whether sent as an id or embedded.
    #[serde(default, deserialize_with = "first_id", rename = "object")]
    pub object_id: Option<String>,
}

impl Envelope {
    /// Reads the envelope of a JSON document, which must be an object: serde reads a struct
    /// from an array too, field by field in order, and `["id", "Create", …]` is no activity.
    pub fn from_slice(body: &[u8]) -> Result<Self, serde_json::Error> {
        if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
            return Err(de::Error::invalid_type(
                de::Unexpected::Seq,
                &"an activity object",
            ));
        }
        serde_json::from_slice(body)
    }
}

/// The same reading as [`super::ids_of`]'s first id — a string, an object's `id` (else a
/// `Link`'s `href`), or the first item of an array that has one — without building the value.
fn first_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Reading::Field.deserialize(d)
}

/// Where a value is met, which says what counts as its id; anything else is skipped in place.
#[derive(Clone, Copy)]
enum Reading {
    /// The field itself: an id, an object, or an array of them.
    Field,
    /// An item of that array: an id or an object (a nested array has none, as in `ids_of`).
    Item,
    /// The value of an object's `id` or `href`: only a string counts.
    Id,
}

impl<'de> DeserializeSeed<'de> for Reading {
    type Value = Option<String>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Reading {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(v.to_owned()))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        if let Reading::Id = self {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            return Ok(None);
        }
        // `id` when the key is there (a non-string `id` means none, as in `id_of`), else `href`.
        let (mut id, mut href) = (None, None);
        while let Some(key) = map.next_key::<KeyName>()? {
            match key {
                KeyName::Id => id = Some(map.next_value_seed(Reading::Id)?),
                KeyName::Href => href = map.next_value_seed(Reading::Id)?,
                KeyName::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(id.unwrap_or(href))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut first = None;
        if let Reading::Field = self {
            while let Some(item) = seq.next_element_seed(Reading::Item)? {
                first = first.or(item);
            }
        } else {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
        }
        Ok(first)
    }
}

/// The keys an id may be under.
enum KeyName {
    Id,
    Href,
    Other,
}

impl<'de> Deserialize<'de> for KeyName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = KeyName;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<KeyName, E> {
                Ok(match v {
                    "id" => KeyName::Id,
                    "href" => KeyName::Href,
                    _ => KeyName::Other,
                })
            }
        }
        d.deserialize_identifier(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::protocol::{Activity, ids_of};

    /// The envelope reads the same ids as the full reading, whatever shape they come in.
    #[test]
    fn reads_what_the_full_reading_reads() {
        let objects = [
            json!("https://a.example/notes/1"),
            json!({"id": "https://a.example/notes/1", "type": "Note", "tag": [{"href": "x"}]}),
            json!({"type": "Link", "href": "https://a.example/l"}),
            json!({"id": 7, "href": "https://a.example/h"}),
            json!({"type": "Note"}),
            json!([{"type": "Note"}, [1, 2], "https://a.example/second"]),
            json!(["https://a.example/first", "https://a.example/second"]),
            json!([]),
            json!(null),
            json!(12),
            json!({"id": {"nested": true}, "content": [1, {"a": null}]}),
        ];
        for object in objects {
            let doc = json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": "https://a.example/activities/1",
                "type": "Create",
                "actor": [{"id": "https://a.example/users/a", "type": "Person"}],
                "object": object,
            });
            let body = serde_json::to_vec(&doc).unwrap();
            let envelope = Envelope::from_slice(&body).unwrap();
            let full = Activity::from_value(doc.clone()).unwrap();
            assert_eq!(envelope.id, full.id);
            assert_eq!(envelope.kind, full.kind);
            assert_eq!(envelope.actor, full.actor);
            assert_eq!(
                envelope.object_id,
                ids_of(&doc["object"]).into_iter().next(),
                "{object}"
            );
        }
    }

    #[test]
    fn an_envelope_without_id_or_type_is_refused() {
        for doc in [json!({"type": "Create"}), json!({"id": "x"}), json!([1])] {
            let body = serde_json::to_vec(&doc).unwrap();
            assert!(Envelope::from_slice(&body).is_err(), "{doc}");
        }
        // serde reads a struct from an array, field by field; an activity is an object (found
        // by the property tests, `tests/fuzz_documents.rs`).
        let array = json!([
            "https://a.example/1",
            "Create",
            "https://a.example/u/a",
            "x"
        ]);
        let body = serde_json::to_vec(&array).unwrap();
        let error = Envelope::from_slice(&body).unwrap_err();
        assert!(error.is_data(), "{error}");
        assert!(Envelope::from_slice(b" \n[\"x\", \"Create\"]").is_err());
        assert!(Activity::from_value(array).is_err());
        assert!(Envelope::from_slice(b"{\"id\": \"x\", \"type\": ").is_err());
        // A field the inbox routes by, given twice, is ambiguous: refused, not guessed.
        let twice = br#"{"id": "x", "type": "Create", "actor": "a", "actor": "b"}"#;
        assert!(Envelope::from_slice(twice).is_err());
        let absent: Value = json!({"id": "x", "type": "Delete"});
        let envelope = Envelope::from_slice(&serde_json::to_vec(&absent).unwrap()).unwrap();
        assert_eq!((envelope.actor, envelope.object_id), (None, None));
    }
}

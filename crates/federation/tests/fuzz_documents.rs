//! Property tests of the readers of remote JSON documents: the inbox's envelope, activities,
//! posts, actors and their keys, key documents, and WebFinger answers. Each is given arbitrary
//! bytes, arbitrary JSON, and valid-shaped documents with fields replaced by wrong types, huge
//! or deeply nested values, hostile strings and nulls.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fuzz_support;

use fuzz_support::{config, garbled, json, mutated, strings, url_like};
use kith_federation::outbound::fetch::actor_link;
use kith_federation::protocol::{
    Activity, Envelope, IncomingObject, RemoteActor, host_of, ids_of, key_owner,
};
use proptest::prelude::*;
use serde_json::{Value, json};

fn activity_doc() -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "https://a.example/activities/1",
        "type": "Create",
        "actor": "https://a.example/users/ann",
        "object": {"id": "https://a.example/notes/1", "type": "Note", "content": "<p>hi</p>"},
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": "https://b.example/g/runners",
        "audience": {"id": "https://b.example/g/runners"},
    })
}

const ACTIVITY_FIELDS: &[&str] = &["id", "type", "actor", "object", "to", "cc", "audience"];

fn actor_doc() -> Value {
    json!({
        "id": "https://a.example/users/ann",
        "type": "Person",
        "preferredUsername": "ann",
        "name": "Ann",
        "summary": "<p>runner</p>",
        "url": "https://a.example/@ann",
        "inbox": "https://a.example/users/ann/inbox",
        "outbox": "https://a.example/users/ann/outbox",
        "followers": "https://a.example/users/ann/followers",
        "endpoints": {"sharedInbox": "https://a.example/inbox"},
        "publicKey": {
            "id": "https://a.example/users/ann#main-key",
            "owner": "https://a.example/users/ann",
            "publicKeyPem": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
        },
        "assertionMethod": [{
            "id": "https://a.example/users/ann#ed25519-key",
            "type": "Multikey",
            "controller": "https://a.example/users/ann",
            "publicKeyMultibase": "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
        }],
        "manuallyApprovesFollowers": false,
    })
}

const ACTOR_FIELDS: &[&str] = &[
    "id",
    "type",
    "preferredUsername",
    "name",
    "url",
    "inbox",
    "endpoints",
    "publicKey",
    "assertionMethod",
    "manuallyApprovesFollowers",
];

/// Keys as servers publish them, with their fields replaced by anything.
fn key_entry() -> impl Strategy<Value = Value> {
    let base = json!({
        "id": "https://a.example/users/ann#main-key",
        "owner": "https://a.example/users/ann",
        "controller": "https://a.example/users/ann",
        "publicKeyPem": "pem",
        "publicKeyMultibase": "z6Mk",
    });
    prop_oneof![
        mutated(
            base,
            &[
                "id",
                "owner",
                "controller",
                "publicKeyPem",
                "publicKeyMultibase"
            ]
        ),
        url_like().prop_map(|id| json!({"id": id, "publicKeyPem": "pem"})),
        json(),
    ]
}

proptest! {
    #![proptest_config(config(1))]

    /// Arbitrary bytes and garbled activities: the envelope is read or refused, never a panic.
    #[test]
    fn envelope_reads_or_refuses_any_bytes(
        bytes in prop::collection::vec(any::<u8>(), 0..512),
        garbled in garbled(activity_doc()),
    ) {
        let _ = Envelope::from_slice(&bytes);
        let _ = Envelope::from_slice(&garbled);
    }

    /// The envelope reads what the full reading reads: the same documents, the same ids.
    #[test]
    fn envelope_agrees_with_the_full_reading(
        doc in prop_oneof![mutated(activity_doc(), ACTIVITY_FIELDS), json()],
    ) {
        let bytes = serde_json::to_vec(&doc).unwrap();
        let envelope = Envelope::from_slice(&bytes);
        let Ok(parsed) = serde_json::from_slice::<Value>(&bytes) else {
            // Deeper than serde_json reads: nothing reads it.
            prop_assert!(envelope.is_err());
            return Ok(());
        };
        let full = Activity::from_value(parsed);
        prop_assert_eq!(envelope.is_ok(), full.is_ok(), "{}", doc);
        if let (Ok(envelope), Ok(full)) = (envelope, full) {
            prop_assert_eq!(&envelope.id, &full.id);
            prop_assert_eq!(&envelope.kind, &full.kind);
            prop_assert_eq!(&envelope.actor, &full.actor);
            prop_assert_eq!(envelope.object_id, ids_of(&doc["object"]).into_iter().next());
            let _ = (full.object_id(), full.object_kind());
        }
    }

    /// Posts: any object is read or refused; what is read has the id and type it was sent
    /// with, and every recipient is a string the document held.
    #[test]
    fn incoming_objects_read_or_refuse(
        doc in prop_oneof![mutated(activity_doc()["object"].clone(), &[
            "id", "type", "attributedTo", "to", "cc", "audience", "tag", "inReplyTo", "name",
            "summary", "content", "sensitive", "url", "published",
        ]), json()],
    ) {
        // Posts are read from objects only (`activities::post::verified_object`): serde would
        // read a struct from an array, field by field.
        if !doc.is_object() {
            return Ok(());
        }
        if let Ok(object) = serde_json::from_value::<IncomingObject>(doc.clone()) {
            prop_assert_eq!(Some(object.id.as_str()), doc["id"].as_str());
            let held = strings(&doc);
            for recipient in object.recipients() {
                prop_assert!(held.contains(&recipient), "{}", recipient);
            }
        }
    }

    /// Remote actors: every published key is the actor's own — on its host, owned by it, listed
    /// once — whatever the document says.
    #[test]
    fn actors_publish_only_their_own_keys(
        doc in mutated(actor_doc(), ACTOR_FIELDS),
        keys in prop::collection::vec(key_entry(), 0..5),
        in_assertion in any::<bool>(),
    ) {
        let mut doc = doc;
        if !keys.is_empty() && doc.is_object() {
            let field = if in_assertion { "assertionMethod" } else { "publicKey" };
            doc[field] = Value::Array(keys);
        }
        let Ok(actor) = serde_json::from_value::<RemoteActor>(doc.clone()) else {
            return Ok(());
        };
        let published = actor.published_keys();
        let host = host_of(&actor.id);
        for (n, key) in published.iter().enumerate() {
            prop_assert_eq!(host_of(&key.id), host.clone(), "{}", key.id);
            prop_assert!(host.is_some());
            prop_assert!(published[..n].iter().all(|k| k.id != key.id), "listed twice");
        }
        let _ = actor.main_key();
    }

    /// Key documents: the owner named is one the document holds as a string.
    #[test]
    fn key_owners_come_from_the_document(
        doc in prop_oneof![
            mutated(json!({"id": "https://a.example/k", "owner": "https://a.example/u"}),
                &["id", "owner", "controller", "publicKey", "assertionMethod"]),
            mutated(actor_doc(), ACTOR_FIELDS),
            json(),
        ],
        key_id in url_like(),
    ) {
        for key_id in [key_id.as_str(), "https://a.example/users/ann#main-key"] {
            if let Some(owner) = key_owner(&doc, key_id) {
                prop_assert!(strings(&doc).contains(&owner.as_str()), "{}", owner);
            }
        }
    }

    /// WebFinger answers: the actor link is the `href` of a `self` link of an ActivityPub type.
    #[test]
    fn webfinger_actor_link_is_a_self_link(
        links in prop::collection::vec(prop_oneof![
            mutated(json!({
                "rel": "self", "type": "application/activity+json",
                "href": "https://a.example/users/ann",
            }), &["rel", "type", "href"]),
            json(),
        ], 0..4),
        other in json(),
        as_array in any::<bool>(),
    ) {
        let jrd = if as_array {
            json!({"subject": "acct:ann@a.example", "links": links})
        } else {
            json!({"subject": other, "links": links.first().cloned().unwrap_or(Value::Null)})
        };
        let _ = actor_link(&other);
        if let Some(href) = actor_link(&jrd) {
            let link = jrd["links"].as_array().unwrap().iter().find(|l| {
                l["rel"] == "self" && l["href"].as_str() == Some(href)
            });
            prop_assert!(link.is_some(), "{}", jrd);
        }
    }
}

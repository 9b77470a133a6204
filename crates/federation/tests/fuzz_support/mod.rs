//! Strategies shared by the property tests (`fuzz_*.rs`): hostile text, arbitrary JSON, and
//! valid-shaped documents with some of their fields replaced by anything.
//!
//! The case count is proptest's: 256 by default (`cargo test`), `PROPTEST_CASES` for more
//! (`scripts/fuzz`). Failing cases are written to `proptest-regressions/` and replayed first.

#![allow(dead_code)]

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use serde_json::{Map, Value};

/// The configuration of a property: proptest's defaults (`PROPTEST_CASES` honoured), with the
/// count divided by `cost` for properties whose cases are large.
pub fn config(cost: u32) -> ProptestConfig {
    let default = ProptestConfig::default();
    ProptestConfig {
        cases: (default.cases / cost).max(8),
        // Beside the test file (`tests/fuzz_documents.proptest-regressions`), committed.
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..default
    }
}

/// Characters that parsers trip on: delimiters of URLs, headers, HTML and JSON, controls, bidi
/// and zero-width characters, full-width look-alikes of `/ ? # @`, and non-ASCII letters.
const TRICKY: &[char] = &[
    '/',
    '?',
    '#',
    '@',
    ':',
    ';',
    ',',
    '=',
    '"',
    '\'',
    '\\',
    '<',
    '>',
    '&',
    '%',
    '[',
    ']',
    ' ',
    '\t',
    '\n',
    '\r',
    '\0',
    '\u{7f}',
    '\u{85}',
    '\u{a0}',
    '\u{202e}',
    '\u{2066}',
    '\u{200b}',
    '\u{feff}',
    '\u{ff0f}',
    '\u{ff1f}',
    '\u{ff03}',
    '\u{ff20}',
    'é',
    'ß',
    'İ',
    '\u{10ffff}',
    '😀',
];

/// Fragments of hostile or near-valid values.
const PIECES: &[&str] = &[
    "https://",
    "http://",
    "javascript:",
    "JaVaScRiPt:",
    "java\tscript:",
    "data:text/html,",
    "//",
    "a.example",
    "b.example:8443",
    "[::1]",
    "127.0.0.1",
    "xn--",
    "acct:",
    "%2F",
    "%00",
    "&#x6a;",
    "<script>",
    "-----BEGIN PUBLIC KEY-----",
    "z6Mk",
    "sha-256=:",
    "keyId=\"",
    "2026-01-01T00:00:00Z",
    "Sun, 06 Nov 1994 08:49:37 GMT",
];

/// Text mixing ordinary characters, [`TRICKY`] ones and [`PIECES`].
pub fn text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => "[a-zA-Z0-9._~-]{1,8}",
        2 => prop::sample::select(TRICKY).prop_map(String::from),
        2 => prop::sample::select(PIECES).prop_map(str::to_owned),
        1 => any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..12).prop_map(|parts| parts.concat())
}

/// A string that is usually a URL, sometimes a hostile one, sometimes anything.
pub fn url_like() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => ("(https?)://[a-z]{1,6}\\.example(:[0-9]{1,5})?", "(/[a-z0-9@%._-]{0,6}){0,3}")
            .prop_map(|(origin, path)| format!("{origin}{path}")),
        2 => text(),
        1 => (prop::sample::select(PIECES), text()).prop_map(|(a, b)| format!("{a}{b}")),
    ]
}

/// Any JSON value, nested a few levels, with strings from [`text`] and [`url_like`].
pub fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(Value::from)),
        text().prop_map(Value::from),
        url_like().prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..6)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

/// Object keys: the ones ActivityPub readers look for, or anything.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(&[
            "id", "type", "href", "name", "owner", "controller", "publicKeyPem",
            "publicKeyMultibase", "rel", "content", "url", "actor", "object",
        ][..]).prop_map(str::to_owned),
        1 => text(),
    ]
}

/// A value nested `depth` levels deep in arrays or objects. Documents arrive as bytes, which
/// serde_json reads at most 128 levels deep, so [`field_value`] stays under that.
pub fn deep(depth: usize, in_objects: bool, leaf: Value) -> Value {
    let mut value = leaf;
    for _ in 0..depth {
        value = if in_objects {
            Value::Object(Map::from_iter([("id".to_owned(), value)]))
        } else {
            Value::Array(vec![value])
        };
    }
    value
}

/// Replacement values for a field of a valid-shaped document: anything, a wrong type, a huge
/// string, a deep nesting, or the field removed (`None`).
pub fn field_value() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        4 => json().prop_map(Some),
        1 => Just(None),
        1 => Just(Some(Value::Null)),
        1 => (1usize..200_000).prop_map(|n| Some(Value::from("x".repeat(n)))),
        1 => (50usize..126, any::<bool>()).prop_map(|(d, o)| Some(deep(d, o, Value::from("https://a.example/x")))),
    ]
}

/// A valid-shaped document with some of `fields` replaced (or removed) by [`field_value`]s.
pub fn mutated(base: Value, fields: &'static [&'static str]) -> impl Strategy<Value = Value> {
    prop::collection::vec((prop::sample::select(fields), field_value()), 0..4).prop_map(
        move |edits| {
            let mut doc = base.clone();
            if let Value::Object(map) = &mut doc {
                for (field, value) in edits {
                    match value {
                        Some(v) => map.insert(field.to_owned(), v),
                        None => map.remove(field),
                    };
                }
            }
            doc
        },
    )
}

/// The bytes of a JSON value with a few bytes overwritten, inserted or cut.
pub fn garbled(doc: Value) -> impl Strategy<Value = Vec<u8>> {
    let bytes = serde_json::to_vec(&doc).unwrap_or_default();
    let len = bytes.len().max(1);
    prop::collection::vec((0..len, any::<u8>(), 0u8..3), 1..6).prop_map(move |edits| {
        let mut out = bytes.clone();
        for (at, byte, how) in edits {
            let at = at.min(out.len());
            match how {
                0 if at < out.len() => out[at] = byte,
                1 => out.insert(at, byte),
                _ => out.truncate(at),
            }
        }
        out
    })
}

/// Every string in a JSON value, keys left out.
pub fn strings(value: &Value) -> Vec<&str> {
    match value {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items.iter().flat_map(strings).collect(),
        Value::Object(map) => map.values().flat_map(strings).collect(),
        _ => Vec::new(),
    }
}

//! The shapes of a group's posts that one kind of server needs and the common one does not
//! give it (see `software`). Lemmy reads a community's posts from `Announce{Create{Page}}`: an
//! announced top-level `Note` is read by Lemmy 1.0 as a comment only, and refused without
//! `inReplyTo` (LemmyNet/lemmy `crates/apub/activities/src/create_or_update/note_wrapper.rs`:
//! the community of a `Note` is found through the comment it answers), so a top-level post
//! reaches Lemmy as a `Page` with a `name` and the group as `audience`. Lemmy 0.19 reads the
//! `Page` as well (its `Page` type takes `Page`, `Note`, `Article`, `Video` and `Event`,
//! `crates/apub/src/protocol/objects/page.rs`).

use serde_json::{Map, Value};

/// The longest post title Lemmy keeps (`MAX_TITLE_LENGTH`); longer ones are cut here first.
pub const LEMMY_TITLE_MAX: usize = 200;

/// Object types that Lemmy reads as posts only as `Page`: a `Note` (read as a comment) and a
/// `Question` (not a type Lemmy has).
const NOT_POSTS_FOR_LEMMY: [&str; 2] = ["Note", "Question"];

/// The Lemmy form of a member's `Create` or `Update` of a post in `group_id`: a top-level
/// `Note` or `Question` becomes a `Page` with a `name` (the first line of its text when it has
/// none) and the group as `audience`; replies and other objects stay as they are. The copy
/// drops the member's linked-data `signature`, which no longer matches it (Lemmy ignores such
/// signatures). `None` when the activity needs no change for Lemmy.
pub fn lemmy_post(activity: &Value, group_id: &str) -> Option<Value> {
    let object = activity.get("object")?.as_object()?;
    let kind = object.get("type").and_then(Value::as_str)?;
    let top_level = object.get("inReplyTo").is_none_or(Value::is_null);
    if !top_level || !NOT_POSTS_FOR_LEMMY.contains(&kind) {
        return None;
    }
    let mut page: Map<String, Value> = object.clone();
    page.insert("type".into(), "Page".into());
    page.remove("inReplyTo");
    let has_name = page
        .get("name")
        .and_then(Value::as_str)
        .is_some_and(|n| !n.trim().is_empty());
    if !has_name {
        let content = page.get("content").and_then(Value::as_str).unwrap_or("");
        let title = title_of(content);
        if !title.is_empty() {
            page.insert("name".into(), title.into());
        }
    }
    page.entry("audience").or_insert_with(|| group_id.into());
    // Poll options mean nothing to a `Page`.
    for key in ["oneOf", "anyOf", "votersCount", "endTime", "closed"] {
        page.remove(key);
    }
    let mut converted = activity.as_object()?.clone();
    converted.remove("signature");
    converted.insert("object".into(), Value::Object(page));
    converted
        .entry("audience")
        .or_insert_with(|| group_id.into());
    Some(Value::Object(converted))
}

/// A title for a post that has none: the first non-empty line of its text, without mentions
/// of people or groups at its start, cut to [`LEMMY_TITLE_MAX`] characters.
pub fn title_of(html: &str) -> String {
    let text = plain_text(html);
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let words: Vec<&str> = line
        .split_whitespace()
        .skip_while(|w| w.starts_with('@') || w.starts_with('!'))
        .collect();
    let line = if words.is_empty() {
        line.to_owned()
    } else {
        words.join(" ")
    };
    let mut title: String = line.chars().take(LEMMY_TITLE_MAX).collect();
    if line.chars().count() > LEMMY_TITLE_MAX {
        title.pop();
        title.push('…');
    }
    title
}

/// The text of an HTML fragment: tags dropped, paragraphs and line breaks as new lines, the
/// common entities decoded. Enough for a title; never shown as HTML.
pub fn plain_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('>') else {
            rest = "";
            break;
        };
        let tag = rest[open + 1..open + close].trim().to_ascii_lowercase();
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect();
        if matches!(
            name.as_str(),
            "br" | "p" | "div" | "li" | "h1" | "h2" | "h3"
        ) {
            out.push('\n');
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    decode_entities(&out)
}

fn decode_entities(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&apos;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn create(object: Value) -> Value {
        json!({"id": "https://m.example/a/1", "type": "Create", "actor": "https://m.example/u/a",
               "to": ["https://www.w3.org/ns/activitystreams#Public"], "object": object,
               "signature": {"type": "RsaSignature2017"}})
    }

    #[test]
    fn a_top_level_note_reaches_lemmy_as_a_page_with_a_name() {
        let note = json!({"id": "https://m.example/s/1", "type": "Note",
            "content": "<p><span class=\"h-card\">@runners</span> Saturday &amp; Sunday runs</p><p>Details</p>",
            "attributedTo": "https://m.example/u/a"});
        let page = lemmy_post(&create(note), "https://k.example/g/runners").unwrap();
        assert_eq!(page["object"]["type"], "Page");
        assert_eq!(page["object"]["name"], "Saturday & Sunday runs");
        assert_eq!(page["object"]["audience"], "https://k.example/g/runners");
        assert_eq!(page["object"]["id"], "https://m.example/s/1");
        assert!(page.get("signature").is_none());
        assert_eq!(page["actor"], "https://m.example/u/a");
    }

    #[test]
    fn replies_pages_and_named_posts_are_left_alone_or_kept_named() {
        let reply = json!({"id": "x", "type": "Note", "inReplyTo": "https://k.example/o/1",
                           "content": "hi"});
        assert!(lemmy_post(&create(reply), "g").is_none());
        let page = json!({"id": "x", "type": "Page", "name": "Run", "content": "hi"});
        assert!(lemmy_post(&create(page), "g").is_none());
        let named = json!({"id": "x", "type": "Note", "name": "Own title", "content": "hi"});
        assert_eq!(
            lemmy_post(&create(named), "g").unwrap()["object"]["name"],
            "Own title"
        );
        let delete = json!({"id": "d", "type": "Delete", "object": "https://m.example/s/1"});
        assert!(lemmy_post(&delete, "g").is_none());
    }

    #[test]
    fn a_poll_reaches_lemmy_as_a_page_without_options() {
        let poll = json!({"id": "q", "type": "Question", "content": "<p>Which day?</p>",
                          "oneOf": [{"type": "Note", "name": "Sat"}]});
        let page = lemmy_post(&create(poll), "g").unwrap();
        assert_eq!(page["object"]["type"], "Page");
        assert_eq!(page["object"]["name"], "Which day?");
        assert!(page["object"].get("oneOf").is_none());
    }

    #[test]
    fn titles_are_one_line_and_short() {
        assert_eq!(title_of("<p>One</p><p>Two</p>"), "One");
        assert_eq!(title_of("a<br>b"), "a");
        assert_eq!(title_of(&"x".repeat(500)).chars().count(), LEMMY_TITLE_MAX);
        assert_eq!(title_of(""), "");
    }
}

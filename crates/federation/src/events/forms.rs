//! An event in the shapes two kinds of server need besides the common document
//! (`document.rs`):
//!
//! - **GoToSocial** makes a status of an `Event` from its `content`, and shows its `summary`
//!   (else its `name`) as a content warning (superseriousbusiness/gotosocial
//!   `internal/typeutils/astointernal.go`, "prefer Summary, fall back to Name"), which hides the
//!   date and place behind a click. Its form has neither; the title and the one line with date,
//!   time and place open the `content`. (Mastodon 4.5–4.7 needs no other form: it makes a
//!   status of an `Event` as `<h2>name</h2>`, then `summary`, then the link, with no content
//!   warning — mastodon `app/lib/activitypub/parser/status_parser.rb`, `processed_text`.)
//! - **Lemmy** takes an event as a post only from `Announce{Create{Event}}` whose `Create` is by
//!   a person and whose `Event` is attributed to that person (it refuses `Create{Event}` by a
//!   group, an `Announce` of a bare id, and `Create{Question}`; LemmyNet/lemmy
//!   `crates/apub/src/activities/create_or_update/post.rs` checks the actor against
//!   `attributedTo`). Its form is the organiser's `Create`, the event attributed to them, with
//!   the group as `audience`; the date line opens the `content`, as Lemmy shows no times.

use serde_json::{Map, Value, json};

use crate::protocol::PUBLIC;
use crate::sanitize::escape_html;
use crate::urls::Urls;

/// The first paragraph of both forms: the title (GoToSocial only) and the date line.
fn opening(doc: &Value, with_title: bool) -> String {
    let name = doc.get("name").and_then(Value::as_str).unwrap_or("");
    let line = doc.get("summary").and_then(Value::as_str).unwrap_or("");
    match (with_title && !name.is_empty(), line.is_empty()) {
        (true, false) => format!(
            "<p><strong>{}</strong><br>{}</p>",
            escape_html(name),
            escape_html(line)
        ),
        (true, true) => format!("<p><strong>{}</strong></p>", escape_html(name)),
        (false, false) => format!("<p>{}</p>", escape_html(line)),
        (false, true) => String::new(),
    }
}

fn with_content(doc: &Value, opening: String) -> Map<String, Value> {
    let mut map = doc.as_object().cloned().unwrap_or_default();
    let content = map.get("content").and_then(Value::as_str).unwrap_or("");
    map.insert("content".into(), format!("{opening}{content}").into());
    map
}

/// The GoToSocial form of an event document: no `summary` and no `name` (either would become
/// a content warning); the title and date line open the `content`.
pub fn gotosocial_event(doc: &Value) -> Value {
    let mut map = with_content(doc, opening(doc, true));
    map.remove("summary");
    map.remove("name");
    Value::Object(map)
}

/// The Lemmy form of an event document: attributed to the organiser, addressed to the group
/// and the public, the date line opening the `content`.
pub fn lemmy_event(doc: &Value, organiser: &str, group_id: &str) -> Value {
    let mut map = with_content(doc, opening(doc, false));
    map.insert("attributedTo".into(), organiser.into());
    map.insert("audience".into(), group_id.into());
    map.insert("to".into(), json!([group_id, PUBLIC]));
    map.insert("cc".into(), json!([Urls::followers(group_id)]));
    map.remove("actor");
    map.remove("@context");
    Value::Object(map)
}

/// The organiser's activity (`Create`, `Update`) on the Lemmy form of an event, or their
/// `Delete` of it by id, as the group announces it to Lemmy.
pub fn lemmy_activity(kind: &str, object: Value, organiser: &str, group_id: &str) -> Value {
    json!({
        "id": Urls::new_activity(organiser),
        "type": kind,
        "actor": organiser,
        "to": [group_id, PUBLIC],
        "cc": [],
        "audience": group_id,
        "object": object,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Value {
        json!({"id": "https://k.example/o/1", "type": "Event", "name": "Park <run>",
               "summary": "Sat 5 Dec 2026, 09:30–11:00 (Europe/London) · Victoria Park",
               "content": "<p>Bring water.</p>", "attributedTo": "https://k.example/g/runners",
               "actor": "https://k.example/u/olga"})
    }

    #[test]
    fn gotosocial_gets_no_content_warning_and_the_date_first() {
        let gts = gotosocial_event(&doc());
        assert!(gts.get("summary").is_none() && gts.get("name").is_none());
        let content = gts["content"].as_str().unwrap();
        assert!(content.starts_with(
            "<p><strong>Park &lt;run&gt;</strong><br>Sat 5 Dec 2026, 09:30–11:00 \
             (Europe/London) · Victoria Park</p>"
        ));
        assert!(content.ends_with("<p>Bring water.</p>"));
        assert_eq!(gts["id"], "https://k.example/o/1");
    }

    #[test]
    fn lemmy_gets_the_event_by_its_organiser() {
        let event = lemmy_event(
            &doc(),
            "https://k.example/u/olga",
            "https://k.example/g/runners",
        );
        assert_eq!(event["attributedTo"], "https://k.example/u/olga");
        assert_eq!(event["audience"], "https://k.example/g/runners");
        assert_eq!(event["name"], "Park <run>");
        assert!(
            event["content"]
                .as_str()
                .unwrap()
                .starts_with("<p>Sat 5 Dec")
        );
        let create = lemmy_activity(
            "Create",
            event,
            "https://k.example/u/olga",
            "https://k.example/g/runners",
        );
        assert_eq!(create["actor"], create["object"]["attributedTo"]);
        assert_eq!(create["audience"], "https://k.example/g/runners");
    }
}

//! What a members-only or hidden group sends is addressed to its members alone: every delivery
//! such a group queues (`plan`) and every document served to its members' servers goes through
//! [`address_to_members`], so no form of anything it sends reaches a server addressed to
//! everyone.

use serde_json::Value;

use crate::protocol::PUBLIC;
use crate::urls::Urls;

/// The spellings of the public collection that servers send.
const PUBLIC_SPELLINGS: [&str; 3] = [PUBLIC, "as:Public", "Public"];

/// Readdresses what a non-public group sends (an activity, and the object it carries) to its
/// members alone: `Public` removed from every audience field, the group's followers collection
/// in `to` (moved there from `cc`). Applied to every delivery such a group queues
/// (`crate::outbound::plan`), so no form of any activity reaches a member's server addressed to
/// everyone, and to the documents served to members' servers.
pub fn address_to_members(doc: &mut Value, group_id: &str) {
    let followers = Urls::followers(group_id);
    readdress(doc, &followers);
    if let Some(object) = doc.get_mut("object").filter(|o| o.is_object()) {
        readdress(object, &followers);
        if let Some(inner) = object.get_mut("object").filter(|o| o.is_object()) {
            readdress(inner, &followers);
        }
    }
}

fn readdress(doc: &mut Value, followers: &str) {
    let Some(map) = doc.as_object_mut() else {
        return;
    };
    const FIELDS: [&str; 4] = ["to", "cc", "bto", "bcc"];
    // Only what was addressed to everyone is readdressed: a direct message (to one person)
    // stays to that person alone, never widened to the followers collection (Mastodon would
    // show it to every member on the recipient's server).
    let was_public = FIELDS.iter().any(|k| {
        map.get(*k).is_some_and(|v| {
            audience(v)
                .iter()
                .any(|a| PUBLIC_SPELLINGS.contains(&a.as_str()))
        })
    });
    if !was_public {
        return;
    }
    for key in FIELDS {
        if let Some(list) = map.get_mut(key) {
            let kept: Vec<Value> = audience(list)
                .into_iter()
                .filter(|a| !PUBLIC_SPELLINGS.contains(&a.as_str()) && a != followers)
                .map(Value::String)
                .collect();
            *list = Value::Array(kept);
        }
    }
    let to = map.entry("to").or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(to) = to {
        to.insert(0, Value::String(followers.to_owned()));
    }
}

/// An audience field's ids, whether sent as one string or a list.
fn audience(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn public_goes_and_the_followers_are_in_to() {
        let group = "https://kith.test/g/circle";
        let mut doc = json!({
            "type": "Announce",
            "to": [PUBLIC],
            "cc": [format!("{group}/followers")],
            "object": {"type": "Create", "to": "as:Public", "cc": [group],
                       "object": {"type": "Note", "to": [group, "Public"], "cc": []}},
        });
        address_to_members(&mut doc, group);
        let followers = format!("{group}/followers");
        assert_eq!(doc["to"], json!([followers]));
        assert_eq!(doc["cc"], json!([]));
        assert_eq!(doc["object"]["to"], json!([followers]));
        assert_eq!(doc["object"]["cc"], json!([group]));
        assert_eq!(doc["object"]["object"]["to"], json!([followers, group]));
        assert!(!doc.to_string().contains("Public"), "{doc}");
    }

    #[test]
    fn a_direct_message_stays_direct() {
        let group = "https://kith.test/g/circle";
        let person = "https://mastodon.test/users/ann";
        let mut doc = json!({"type": "Create", "to": [person],
                             "object": {"type": "Note", "to": [person]}});
        let before = doc.clone();
        address_to_members(&mut doc, group);
        assert_eq!(doc, before);
    }
}

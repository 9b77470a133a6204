//! What kind of server a test peer stands in for: the NodeInfo it serves, and for Lemmy what
//! its shared inbox refuses. The rules are written from Lemmy's code, not taken from it:
//!
//! - 0.19 (`release/v0.19`, `crates/apub/src/activity_lists.rs`): the shared inbox reads
//!   `Follow`, `Accept`, `Undo{Follow}`, a community's `Announce`, and "announcable" activities
//!   (`Create`/`Update` of a post or comment, `Delete`, `Undo` of a delete, vote or block,
//!   `Block`, `Add`/`Remove`, `Like`/`Dislike`, `Lock`); there is no `Reject`. Every one of
//!   those has a person as actor (`ObjectId<ApubPerson>`: `Person`, `Service` or
//!   `Organization`), the `Follow` included. An announced bare object, or an `Announce` whose
//!   object is an id (fetched, it is a post), is `CannotReceivePage`. A post (`Page`, `Article`,
//!   `Note`, `Video`, `Event`) must be attributed to the activity's actor
//!   (`activities/create_or_update/post.rs`); a `Question` is none of them.
//! - 1.0 (`main`, `crates/apub/activities/src/...`): as 0.19, but a group may follow
//!   (`following/follow.rs`), `Reject{Follow}` is read, an announced `Note` is read as a
//!   comment only: one without `inReplyTo` is refused (`create_or_update/note_wrapper.rs`),
//!   and a group with `manuallyApprovesFollowers: true` is a private community whose public
//!   posts are refused (`crates/apub/objects/src/utils/functions.rs`, `verify_visibility`).

use serde_json::Value;

/// The servers a test peer can stand in for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// Whatever it is, it serves no NodeInfo: Kith sends it every form.
    Unknown,
    Mastodon,
    GoToSocial,
    Lemmy019,
    Lemmy10,
    NodeBB,
}

impl Shape {
    /// The NodeInfo document the peer serves (`tests/fixtures/nodeinfo`).
    pub fn nodeinfo(self) -> Option<&'static str> {
        match self {
            Shape::Unknown => None,
            Shape::Mastodon => Some("nodeinfo/mastodon.json"),
            Shape::GoToSocial => Some("nodeinfo/gotosocial.json"),
            Shape::Lemmy019 => Some("nodeinfo/lemmy-0.19.json"),
            Shape::Lemmy10 => Some("nodeinfo/lemmy-1.0.json"),
            Shape::NodeBB => Some("nodeinfo/nodebb.json"),
        }
    }

    /// The NodeInfo schema version its `/.well-known/nodeinfo` links.
    pub fn nodeinfo_schema(self) -> &'static str {
        match self {
            Shape::Mastodon | Shape::NodeBB => "2.0",
            _ => "2.1",
        }
    }

    /// The `User-Agent` it fetches with.
    pub fn user_agent(self, base: &str) -> String {
        match self {
            Shape::Lemmy019 => format!("Lemmy/0.19.20; +{base}"),
            Shape::Lemmy10 => format!("Lemmy/1.0.0; +{base}"),
            Shape::GoToSocial => format!("gotosocial/0.20.0 (+{base})"),
            Shape::Mastodon => format!("http.rb/5.2.0 (Mastodon/4.5.0; +{base}/)"),
            Shape::NodeBB => format!("NodeBB/4.4.3 (+{base})"),
            Shape::Unknown => "test-peer".into(),
        }
    }

    /// Why its inbox refuses `activity` (`None`: taken). `doc_of` gives the document of an
    /// actor the server fetched.
    pub fn refusal(
        self,
        activity: &Value,
        doc_of: &dyn Fn(&str) -> Option<Value>,
    ) -> Option<String> {
        match self {
            Shape::Lemmy019 => lemmy(false, activity, doc_of),
            Shape::Lemmy10 => lemmy(true, activity, doc_of),
            _ => None,
        }
    }

    /// The actors whose types [`Shape::refusal`] needs.
    pub fn actors_to_fetch(self, activity: &Value) -> Vec<String> {
        if !matches!(self, Shape::Lemmy019 | Shape::Lemmy10) {
            return Vec::new();
        }
        let mut ids: Vec<String> = [&activity["actor"], &activity["object"]["actor"]]
            .into_iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        ids.dedup();
        ids
    }
}

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";
const POST_KINDS: [&str; 5] = ["Page", "Article", "Note", "Video", "Event"];

fn is_person(kind: Option<String>) -> bool {
    matches!(kind.as_deref(), Some("Person" | "Service" | "Organization"))
}

fn lemmy(v1: bool, a: &Value, doc_of: &dyn Fn(&str) -> Option<Value>) -> Option<String> {
    let kind_of = |id: &str| doc_of(id).and_then(|d| d["type"].as_str().map(str::to_owned));
    let kind_of = &kind_of;
    let actor = a["actor"].as_str().unwrap_or_default();
    let object_kind = a["object"]["type"].as_str();
    match a["type"].as_str().unwrap_or_default() {
        "Follow" => {
            let kind = kind_of(actor);
            if is_person(kind.clone()) || v1 && kind.as_deref() == Some("Group") {
                None
            } else {
                Some(format!(
                    "InvalidFollow: the follower is a {kind:?}, not a person"
                ))
            }
        }
        "Accept" | "Undo" if object_kind == Some("Follow") => None,
        "Reject" if v1 && object_kind == Some("Follow") => None,
        "Reject" => Some("unknown activity: Lemmy 0.19 has no Reject".into()),
        "Announce" => {
            if kind_of(actor).as_deref() != Some("Group") {
                return Some("an Announce by something else than a community".into());
            }
            let private = doc_of(actor).is_some_and(|g| g["manuallyApprovesFollowers"] == true);
            // Lemmy 1.0 `verify_visibility`: a private community's content must not be public
            // (the announce, the activity, the post), a public one's must be.
            let inner_public = is_public(&a["object"]) || is_public(&a["object"]["object"]);
            if v1 && private && (is_public(a) || inner_public) {
                return Some("ObjectIsNotPrivate: a public Announce in a private community".into());
            }
            match &a["object"] {
                Value::String(_) => Some("CannotReceivePage".into()),
                inner if inner.get("actor").is_none() => Some("CannotReceivePage".into()),
                inner => announcable(v1 && private, v1, inner, kind_of),
            }
        }
        _ => announcable(false, v1, a, kind_of),
    }
}

fn announcable(
    private: bool,
    v1: bool,
    a: &Value,
    kind_of: &dyn Fn(&str) -> Option<String>,
) -> Option<String> {
    let kind = a["type"].as_str().unwrap_or_default();
    let actor = a["actor"].as_str().unwrap_or_default();
    if !is_person(kind_of(actor)) {
        return Some(format!("{kind}: the actor {actor} is not a person"));
    }
    match kind {
        "Create" | "Update" => post_or_comment(private, v1, a, actor),
        "Delete" | "Like" | "Dislike" | "Lock" => None,
        "Block" | "Add" | "Remove" if a.get("target").is_some() => None,
        "Undo" => match a["object"]["type"].as_str() {
            Some("Delete" | "Like" | "Dislike" | "Block" | "Lock") => None,
            other => Some(format!("Undo of {other:?} is not announcable")),
        },
        other => Some(format!("{other} is not announcable")),
    }
}

fn post_or_comment(private: bool, v1: bool, a: &Value, actor: &str) -> Option<String> {
    let object = &a["object"];
    let kind = object["type"].as_str().unwrap_or_default();
    if !POST_KINDS.contains(&kind) {
        return Some(format!("{kind} is neither a post nor a comment"));
    }
    let reply = object.get("inReplyTo").is_some_and(|r| !r.is_null());
    if kind == "Note" && reply {
        return None;
    }
    if kind == "Note" && v1 {
        return Some("a Note without inReplyTo has no community (comments only)".into());
    }
    let creator = match &object["attributedTo"] {
        Value::String(s) => Some(s.as_str()),
        Value::Array(items) => items
            .iter()
            .find(|i| i["type"] == "Person")
            .and_then(|i| i["id"].as_str()),
        _ => None,
    };
    if creator != Some(actor) {
        return Some(format!(
            "the post's creator {creator:?} is not the actor {actor}"
        ));
    }
    if !(private || is_public(object) || is_public(a)) {
        return Some("the post is not public".into());
    }
    None
}

fn is_public(v: &Value) -> bool {
    let public = |v: &Value| match v {
        Value::String(s) => s == PUBLIC,
        Value::Array(items) => items.iter().any(|i| i == PUBLIC),
        _ => false,
    };
    public(&v["to"]) || public(&v["cc"])
}

//! How a members-only or hidden group shares a post with its members (issue 26; FEDERATION.md,
//! Non-public groups). Never to `Public`, always to the group's followers collection in `to`
//! (GoToSocial files a post with the followers collection in `cc` alone as a direct message
//! its members never see), delivered to accepted members' inboxes only:
//!
//! - Mastodon, GoToSocial, Misskey and Friendica drop a group's `Announce` of anyone else's
//!   non-public post (Mastodon `announceable?`, GoToSocial `StatusBoostable`), and drop a
//!   fetched object whose author lives on another host. Their members get the **group's own**
//!   followers-only `Create{Note}`: attributed to the group, naming and mentioning the author,
//!   linking to the original, threaded under the group's copy of the post it answers. It is
//!   served at its id (`/g/NAME/activities/ID`) to members and their servers alone.
//! - Lemmy, PieFed and Kith read FEP-1b12: the member's `Create` announced by the group,
//!   addressed to its followers only (Lemmy 1.0 private communities do the same).
//!
//! Hosts whose software is not known yet get the group's copy: an `Announce` of a non-public
//! post is never sent where it might be a Mastodon-family server.
//!
//! The copy's `interactionPolicy` lets only the group boost or quote it; replies stay open (a
//! restricted `canReply` makes GoToSocial hold members' replies and then lose them).

use kith_storage::{Actor, StoredObject};
use serde_json::{Value, json};

use crate::outbound::forms;
use crate::outbound::plan::Form;
use crate::outbound::software::{Dialect, Readers};
use crate::protocol::{OutgoingActivity, PUBLIC, context, rfc3339};
use crate::sanitize::escape_html;
use crate::urls::Urls;

/// The group's own followers-only copy of a member's post, with id `copy_id` (the group's
/// activity id for the post). `parent_copy`: the group's copy of the post it answers, if any.
pub fn group_copy(
    group: &Actor,
    object: &StoredObject,
    author: Option<&Actor>,
    copy_id: &str,
    parent_copy: Option<&str>,
) -> Value {
    let followers = Urls::followers(&group.id);
    let author_url = author
        .and_then(|a| a.url.clone())
        .unwrap_or_else(|| object.attributed_to.clone());
    let author_name = author.map_or_else(
        || object.attributed_to.clone(),
        |a| format!("@{}@{}", a.username, a.domain),
    );
    let original = object.url.clone().unwrap_or_else(|| object.id.clone());
    let content = format!(
        "<p><span class=\"h-card\"><a href=\"{href}\" class=\"u-url mention\">{name}</a></span> \
         wrote:</p>{body}<p><a href=\"{original}\">The original post</a></p>",
        href = escape_html(&author_url),
        name = escape_html(&author_name),
        body = object.content.as_deref().unwrap_or(""),
        original = escape_html(&original),
    );
    json!({
        "@context": context(),
        "id": copy_id,
        "type": "Note",
        "attributedTo": group.id,
        "to": [followers],
        "cc": [object.attributed_to],
        "audience": group.id,
        "inReplyTo": parent_copy,
        "content": content,
        "name": object.name,
        "summary": object.summary,
        "sensitive": object.sensitive,
        "published": rfc3339(object.published_at),
        // Mastodon applies an `Update` of the copy only when `updated` is later than its
        // last edit (`ProcessStatusUpdateService`): the post's edit time, once edited.
        "updated": object.updated_at.map(rfc3339),
        "url": original,
        "tag": [{"type": "Mention", "href": object.attributed_to, "name": author_name}],
        "interactionPolicy": {
            "canReply": {"automaticApproval": [PUBLIC]},
            "canLike": {"automaticApproval": [PUBLIC]},
            "canAnnounce": {"automaticApproval": [group.id]},
            "canQuote": {"automaticApproval": [group.id]},
        },
    })
}

/// The group's `Create` of its copy, to its followers (the author, a member, is mentioned).
pub fn create_copy(group: &Actor, copy: &Value) -> OutgoingActivity {
    let id = copy["id"].as_str().unwrap_or_default();
    let mut create = OutgoingActivity::new(
        "Create",
        format!("{id}/create"),
        &group.id,
        copy.clone(),
        vec![Urls::followers(&group.id)],
    );
    create.cc = copy["cc"]
        .as_array()
        .map(|cc| {
            cc.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    create.audience = Some(group.id.clone());
    create.published = copy["published"].as_str().map(str::to_owned);
    create
}

/// The FEP-1b12 `Announce` of a member's activity, to the group's followers only.
pub fn announce_to_members(group: &Actor, inner: &Value, id: String) -> OutgoingActivity {
    let mut activity = OutgoingActivity::new(
        "Announce",
        id,
        &group.id,
        inner.clone(),
        vec![Urls::followers(&group.id)],
    );
    activity.audience = Some(group.id.clone());
    activity
}

/// Every form of a post shared by a non-public group: the copy for microblog servers and hosts
/// not known yet, the followers-only `Announce{Create}` for group servers (in Lemmy's shape
/// for Lemmy).
pub fn private_forms(group: &Actor, copy: &Value, create: &Value) -> Vec<Form> {
    let mut all = vec![Form::for_readers(
        create_copy(group, copy),
        Readers::microblogs_and_unknown(),
    )];
    let wrapped = announce_to_members(group, create, Urls::new_activity(&group.id));
    match forms::lemmy_post(create, &group.id) {
        Some(lemmy) => {
            all.push(Form::for_readers(wrapped, Readers::of(&[Dialect::Groups])));
            all.push(Form::for_readers(
                announce_to_members(group, &lemmy, Urls::new_activity(&group.id)),
                Readers::of(&[Dialect::Lemmy]),
            ));
        }
        None => all.push(Form::for_readers(
            wrapped,
            Readers::of(&[Dialect::Lemmy, Dialect::Groups]),
        )),
    }
    all
}

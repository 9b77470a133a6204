//! A group's settings after creation and its member list (issue 23), by form posts with a
//! session cookie: organisers change the title, description, rules and policies; the list shows
//! roles to members; organisers remove and ban from it; the owner names moderators; others are
//! refused.

use kith_storage::{
    GroupSettings, GroupVisibility, JoinPolicy, MemberRole, MemberState, PostPolicy, ReplyPolicy,
    StorageError,
};

use crate::event_pages::Browser;
use crate::instance::Instance;

fn settings<'a>(title: &'a str, join: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("title", title),
        ("summary", "Easy runs by the river."),
        ("rules", "Nobody is left behind."),
        ("join_policy", join),
        ("join_question", "Which run do you like?"),
        ("post_policy", "moderators"),
        ("reply_policy", "boost"),
    ]
}

#[tokio::test]
async fn organisers_change_a_groups_settings_from_its_page() {
    let kith = Instance::start().await;
    let olga = kith.person("olga").await;
    let group = kith.group("runners", "olga", JoinPolicy::Open).await;
    let organiser = Browser::of(&kith, &olga).await;

    let (status, page) = organiser.get(&kith, "/g/runners/settings").await;
    assert_eq!(status, 200);
    assert!(page.contains("<option value=\"open\" selected>"), "{page}");

    let (status, location, _) = organiser
        .post(
            &kith,
            "/g/runners/settings",
            &settings("Riverside Runners", "approval"),
        )
        .await;
    assert_eq!(status, 303);
    assert!(
        location.ends_with("/g/runners/settings?done=saved"),
        "{location}"
    );
    let actor = kith.ctx.db.actor(&group.id).await.unwrap();
    assert_eq!(actor.display_name.as_deref(), Some("Riverside Runners"));
    assert_eq!(actor.summary.as_deref(), Some("Easy runs by the river."));
    assert!(actor.manually_approves_followers);
    let s: GroupSettings = kith.ctx.db.group_settings(&group.id).await.unwrap();
    assert_eq!(s.join_policy, JoinPolicy::Approval);
    assert_eq!(s.join_question.as_deref(), Some("Which run do you like?"));
    assert_eq!(s.post_policy, PostPolicy::Moderators);
    assert_eq!(s.reply_policy, ReplyPolicy::Boost);
    assert_eq!(s.rules.as_deref(), Some("Nobody is left behind."));
    let (_, page) = organiser.get(&kith, "/g/runners/settings").await;
    assert!(page.contains("value=\"Riverside Runners\""));
    assert!(page.contains("<option value=\"approval\" selected>"));

    // A refusal comes back on the form, with what was typed.
    let (status, _, page) = organiser
        .post(&kith, "/g/runners/settings", &settings("", "open"))
        .await;
    assert_eq!(status, 400);
    assert!(
        page.contains("the title must have 1 to 100 characters"),
        "{page}"
    );
    assert!(page.contains("Easy runs by the river."));
    assert_eq!(
        kith.ctx
            .db
            .actor(&group.id)
            .await
            .unwrap()
            .display_name
            .as_deref(),
        Some("Riverside Runners"),
        "nothing changed"
    );

    // A member who does not organise is refused.
    let mia = kith.person("mia").await;
    kith.ctx
        .db
        .upsert_membership(
            &group.id,
            &mia.actor_id,
            MemberState::Accepted,
            MemberRole::Member,
            None,
        )
        .await
        .unwrap();
    let member = Browser::of(&kith, &mia).await;
    let (status, _) = member.get(&kith, "/g/runners/settings").await;
    assert_eq!(status, 403);
    let (status, _, _) = member
        .post(
            &kith,
            "/g/runners/settings",
            &settings("Taken over", "open"),
        )
        .await;
    assert_eq!(status, 403);
    kith.stop().await;
}

#[tokio::test]
async fn the_member_list_shows_roles_and_organisers_remove_ban_and_name_moderators_from_it() {
    let kith = Instance::start().await;
    let olga = kith.person("olga").await;
    let group = kith.group("runners", "olga", JoinPolicy::Open).await;
    let mut people = Vec::new();
    for name in ["mia", "bob", "carl"] {
        let account = kith.person(name).await;
        kith.ctx
            .db
            .upsert_membership(
                &group.id,
                &account.actor_id,
                MemberState::Accepted,
                MemberRole::Member,
                None,
            )
            .await
            .unwrap();
        people.push(account);
    }
    let (mia, bob, carl) = (&people[0], &people[1], &people[2]);
    let owner = Browser::of(&kith, &olga).await;
    let member = Browser::of(&kith, mia).await;

    let (status, page) = member.get(&kith, "/g/runners/members").await;
    assert_eq!(status, 200);
    assert!(page.contains("@bob@") && page.contains(">owner<"), "{page}");
    assert!(
        !page.contains("value=\"remove\""),
        "a member sees no buttons"
    );
    let outsider = kith.person("zed").await;
    let (status, _) = Browser::of(&kith, &outsider)
        .await
        .get(&kith, "/g/runners/members")
        .await;
    assert_eq!(status, 403, "the list is for members");

    // A plain member cannot remove anyone.
    let decide = "/g/runners/members/decide";
    let (status, _, _) = member
        .post(
            &kith,
            decide,
            &[("who", &bob.actor_id), ("decision", "remove")],
        )
        .await;
    assert_eq!(status, 403);

    let (_, page) = owner.get(&kith, "/g/runners/members").await;
    assert!(page.contains("value=\"remove\"") && page.contains("value=\"moderator\""));
    // The owner makes mia a moderator.
    let (status, location, _) = owner
        .post(&kith, decide, &[("who", "mia"), ("decision", "moderator")])
        .await;
    assert_eq!(status, 303, "{location}");
    let m = kith
        .ctx
        .db
        .membership(&group.id, &mia.actor_id)
        .await
        .unwrap();
    assert_eq!(m.role, MemberRole::Moderator);
    let (_, page) = member.get(&kith, "/g/runners/members").await;
    assert!(page.contains(">moderator<"), "{page}");
    assert!(page.contains("value=\"remove\""), "a moderator may remove");
    assert!(
        !page.contains("value=\"moderator\""),
        "only the owner names moderators"
    );

    // The moderator removes bob and bans carl.
    let (status, location, _) = member
        .post(
            &kith,
            decide,
            &[("who", &bob.actor_id), ("decision", "remove")],
        )
        .await;
    assert_eq!(status, 303);
    assert!(
        location.ends_with("/g/runners/members?done=member-removed"),
        "{location}"
    );
    assert!(matches!(
        kith.ctx.db.membership(&group.id, &bob.actor_id).await,
        Err(StorageError::NotFound)
    ));
    let (status, _, _) = member
        .post(
            &kith,
            decide,
            &[
                ("who", &carl.actor_id),
                ("decision", "ban"),
                ("reason", "spam"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let bans = kith.ctx.db.group_bans(&group.id).await.unwrap();
    assert!(
        bans.iter()
            .any(|b| b.actor_id == carl.actor_id && b.reason.as_deref() == Some("spam"))
    );
    let (_, page) = member.get(&kith, "/g/runners/members?done=banned").await;
    assert!(
        !page.contains("@carl@") && !page.contains("@bob@"),
        "{page}"
    );
    assert!(page.contains("The person is banned from the group."));

    // The owner cannot be removed.
    let (status, _, _) = member
        .post(
            &kith,
            decide,
            &[("who", &olga.actor_id), ("decision", "remove")],
        )
        .await;
    assert_eq!(status, 403);
    kith.stop().await;
}

/// Everything the settings form and the API send is checked before anything is written: a
/// refusal in any field leaves every setting (and what members' servers are told) as it was.
#[tokio::test]
async fn a_refused_setting_leaves_every_setting_as_it_was() {
    let kith = Instance::start().await;
    let olga = kith.person("olga").await;
    let group = kith.group("runners", "olga", JoinPolicy::Open).await;
    let organiser = Browser::of(&kith, &olga).await;
    let before = kith.ctx.db.actor(&group.id).await.unwrap();
    let settings_before = kith.ctx.db.group_settings(&group.id).await.unwrap();

    // The page: a new title, rules and policies, and a question too long (the last field
    // checked when the form ran one action after another).
    let long_question = "?".repeat(501);
    let mut form = settings("Riverside Runners", "approval");
    form.retain(|(k, _)| *k != "join_question");
    form.push(("join_question", &long_question));
    let (status, _, page) = organiser.post(&kith, "/g/runners/settings", &form).await;
    assert_eq!(status, 400, "{page}");
    assert!(
        page.contains("the question is longer than 500 characters"),
        "{page}"
    );

    // The API: a new title, members-only, and open joining (refused: a private group
    // approves each member; visibility was written first when it had its own action).
    let token = kith_federation::actions::tokens::create_token(&kith.ctx, "olga", "t")
        .await
        .unwrap();
    let answer = reqwest::Client::new()
        .put(format!("{}/api/v1/groups/runners/settings", kith.base))
        .bearer_auth(&token)
        .json(&serde_json::json!({
            "title": "Taken over",
            "rules": "New rules",
            "visibility": "members",
            "join_policy": "open",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);

    let after = kith.ctx.db.actor(&group.id).await.unwrap();
    assert_eq!(after.display_name, before.display_name);
    assert_eq!(after.summary, before.summary);
    assert_eq!(after.visibility, GroupVisibility::Public);
    assert!(!after.manually_approves_followers);
    let s = kith.ctx.db.group_settings(&group.id).await.unwrap();
    assert_eq!(s.rules, settings_before.rules);
    assert_eq!(s.join_policy, JoinPolicy::Open);
    assert_eq!(s.post_policy, settings_before.post_policy);
    assert_eq!(s.reply_policy, settings_before.reply_policy);

    // The same API change without the refused field is one change: all of it is saved.
    let answer = reqwest::Client::new()
        .put(format!("{}/api/v1/groups/runners/settings", kith.base))
        .bearer_auth(&token)
        .json(&serde_json::json!({
            "title": "Riverside Runners",
            "rules": "New rules",
            "visibility": "members",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let now: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(now["title"], "Riverside Runners");
    assert_eq!(now["rules"], "New rules");
    assert_eq!(now["visibility"], "members");
    assert_eq!(
        now["join_policy"], "approval",
        "a private group approves members"
    );
    kith.stop().await;
}

//! What people and organisers do, as one code path for the CLI, the JSON API and the pages.

pub mod accounts;
pub mod bans;
mod event_documents;
mod event_edits;
mod event_forms;
pub mod events;
pub mod group_safety;
mod group_settings;
pub mod groups;
pub mod instance;
pub mod instance_safety;
pub mod joining;
pub mod membership;
pub mod moderation;
pub mod online_link;
pub mod pictures;
pub mod posts;
pub mod registration;
pub mod relay;
pub mod reports;
pub mod rsvp;
mod rsvp_replies;
pub mod series;
pub mod series_edit;
pub mod sessions;
pub mod tokens;

use kith_storage::{ActorKind, NewActor};

use crate::{Context, keys::KeyPair, urls::Urls};

/// The stored form of a new local actor with the usual endpoints.
pub(crate) fn local_actor(
    ctx: &Context,
    id: String,
    kind: ActorKind,
    username: &str,
    display_name: Option<String>,
    summary: Option<String>,
    keys: KeyPair,
) -> NewActor {
    NewActor {
        url: Some(id.clone()),
        inbox_url: Urls::inbox(&id),
        shared_inbox_url: Some(ctx.urls().shared_inbox()),
        outbox_url: Some(Urls::outbox(&id)),
        followers_url: Some(Urls::followers(&id)),
        key_id: Urls::key_id(&id),
        id,
        kind,
        local: true,
        username: username.to_owned(),
        domain: ctx.urls().domain().to_owned(),
        display_name,
        summary,
        public_key_pem: keys.public_pem,
        private_key_pem: Some(keys.private_pem),
        manually_approves_followers: false,
        data: None,
    }
}

/// Turns a storage conflict on a name into the error people understand.
pub(crate) fn name_taken(
    name: &str,
) -> impl FnOnce(kith_storage::StorageError) -> crate::FederationError {
    let name = name.to_owned();
    move |err| match err {
        kith_storage::StorageError::Conflict { .. } => crate::FederationError::NameTaken(name),
        other => other.into(),
    }
}

//! What people and organisers do, as one code path for the CLI, the JSON API and the pages.

pub mod accounts;
pub mod acting;
pub use acting::By;
pub mod bans;
mod event_documents;
mod event_edits;
mod event_forms;
mod event_lookup;
mod event_notes;
mod event_publish;
pub mod events;
pub mod following;
pub mod group_digest;
pub mod group_safety;
pub mod group_services;
mod group_settings;
pub mod groups;
pub mod instance_safety;
pub mod invitations;
pub mod invite_person;
pub mod joining;
pub mod mail;
pub mod membership;
pub mod moderation;
pub mod online_link;
pub mod pictures;
pub mod post_edits;
pub(crate) mod posting;
pub mod posts;
pub mod registration;
pub mod relay;
pub(crate) mod remote_events;
pub mod reports;
pub mod rsvp;
mod rsvp_replies;
pub mod series;
pub mod series_edit;
pub mod sessions;
pub mod tokens;

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

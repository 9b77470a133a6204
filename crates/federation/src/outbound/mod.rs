//! What leaves this server: a state change and the activities and mails it causes written in one
//! transaction (`change`), the forms each kind of server reads (`plan`, `forms`, `documents`),
//! the delivery queue's worker (`delivery`, `answers`), signed requests (`knock`, `fetch`), what each host runs (`software`) and the SMTP worker (`smtp`).
//! Nothing here decides who may do what; that is `crate::actions`.

pub mod addressing;
pub mod announce;
pub mod answers;
pub(crate) mod change;
pub mod delivery;
pub(crate) mod direct_note;
pub mod documents;
pub mod fetch;
pub(crate) mod follow_answers;
pub mod followers_sync;
pub(crate) mod forms;
pub mod instance_actor;
pub(crate) mod knock;
pub(crate) mod plan;
pub(crate) mod private_changes;
pub(crate) mod private_copy;
pub(crate) mod redistribute;
pub mod smtp;
pub mod software;

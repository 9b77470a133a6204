//! Cross-crate tests of the `kith` binary: the admin commands and a running server, on SQLite
//! and (when `KITH_TEST_DATABASE_URL` is set) PostgreSQL. One test binary for all of them.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod backup;
mod browser;
mod cli;
mod cli_members;
mod cli_safety;
mod connections;
mod delivery;
mod digest_actor;
mod event_fixtures;
mod event_pages;
mod events;
mod fedify;
mod feeds;
mod fixtures;
mod followers_sync;
mod forms;
mod group_pages;
mod hidden_avatar;
mod hostile_html;
mod hostile_peers;
mod inbound;
mod instance;
mod keys;
mod kith_to_kith;
mod lemmy_forms;
mod mail;
mod mastodon;
mod members;
mod moderation;
mod moderation_pages;
mod online_link;
mod online_link_remote;
mod outsiders;
mod peer;
mod peer_rfc9421;
mod pictures;
mod private_delivery;
mod private_edits;
mod private_groups;
mod private_leaks;
mod processes;
mod recovery;
mod rejections;
mod safety;
mod series_pages;
mod serve;
mod server_fixtures;
mod shapes;
mod spellings;
mod state_pages;
mod support;

//! Kith's storage: one [`Database`] handle over sqlx that speaks to SQLite (the embedded default) or
//! PostgreSQL (for larger instances and several Kith processes), applies the matching migrations at
//! start, and offers the rows and queries the other crates need.
//!
//! Queries are checked at run time and written once for both databases (`$1` placeholders, text
//! ids, integer-millisecond timestamps, JSON as text); a dialect branch lives only inside the one
//! function that needs it.

/// The statement that claims up to `$3` due, unclaimed rows of a queue table (deliveries, mail)
/// until `$1` for the process `$4`, `$2` being now, and returns `$returning`. PostgreSQL may have
/// several Kith processes claiming at once: SKIP LOCKED lets each take different rows without
/// waiting. SQLite has one writer at a time, so the single UPDATE is atomic already.
macro_rules! claim_due_sql {
    ($backend:expr, $table:literal, $returning:literal) => {{
        macro_rules! pick {
            ($lock:literal) => {
                concat!(
                    "UPDATE ",
                    $table,
                    " SET claimed_until = $1, claimed_by = $4 WHERE id IN (",
                    "SELECT id FROM ",
                    $table,
                    " WHERE next_attempt_at <= $2 ",
                    "AND (claimed_until IS NULL OR claimed_until < $2) ",
                    "ORDER BY next_attempt_at, id LIMIT $3",
                    $lock,
                    ") RETURNING ",
                    $returning
                )
            };
        }
        match $backend {
            $crate::Backend::Postgres => pick!(" FOR UPDATE SKIP LOCKED"),
            $crate::Backend::Sqlite => pick!(""),
        }
    }};
}

mod accounts;
mod activities;
mod actors;
mod audience;
mod backup;
mod blocks;
mod bool_column;
mod db;
mod delivery;
mod digest;
mod directory;
pub mod domains;
mod error;
mod event_messages;
mod events;
mod follows;
mod group_access;
mod group_digest;
mod groups;
mod hosts;
mod inbound;
mod inbound_writer;
mod invitations;
mod keys;
mod lookup_cache;
mod mail;
mod maintenance;
mod notifications;
mod objects;
mod pictures;
mod posts;
mod private_copies;
mod processes;
mod reports;
mod rsvps;
mod series;
mod sessions;
mod settings;
mod software;
mod stats;
mod stored_html;
#[cfg(feature = "test-util")]
pub mod testing;
mod text_enum;
mod time;
mod tokens;
mod turns;
mod write;
mod write_order;

pub use accounts::{Account, NewAccount};
pub use actors::{Actor, ActorKind, NewActor};
pub use blocks::{ActorBlock, DomainBlock, DomainSeverity, GroupBan};
pub use db::{Backend, Database};
pub use delivery::{Delivery, NewDelivery};
pub use digest::{DigestItem, DueDigest, DueReminder};
pub use directory::GroupListing;
pub use error::{Result, StorageError};
pub use event_messages::{EventMessage, SHOWN_MESSAGES};
pub use events::{CalendarScope, EventFields, EventStatus, JoinMode, RsvpStyle, StoredEvent};
pub use follows::{Follow, FollowState};
pub use group_digest::DueGroupDigest;
pub use groups::{
    GroupSettings, GroupVisibility, JoinPolicy, MemberRole, MemberState, Membership, PostPolicy,
    ReplyPolicy,
};
pub use inbound::{Inbound, NewInbound};
pub use inbound_writer::InboundWriter;
pub use invitations::Invitation;
pub use keys::{ActorKey, NewKey};
pub use lookup_cache::{BLOCKS_TTL, KEYS_TTL};
pub use mail::{NewMail, QueuedMail};
pub use notifications::{Digest, Notification, NotificationKind, NotificationSettings, Recipient};
pub use objects::{NewObject, ObjectKind, StoredObject, Visibility};
pub use pictures::{Media, Picture, PictureRole};
pub use processes::{HEARTBEAT, STALE_AFTER, TakenBack};
pub use reports::{AuditEntry, NewReport, Report, ReportState};
pub use rsvps::{Rsvp, RsvpChange, RsvpCounts, RsvpStatus, RsvpVia};
pub use series::EventSeries;
pub use sessions::Session;
pub use settings::Invite;
pub use software::HostSoftware;
pub use stats::UsageStats;
pub use time::now_millis;
pub use turns::Turn;
pub use write::Tx;
pub use write_order::{RequestBusy, RequestsFirst};

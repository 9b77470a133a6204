//! The moderation and safety commands' arguments (their handlers are in `safety.rs`).

use clap::{Args, Subcommand};

/// `kith group moderator add|remove GROUP USER`.
#[derive(Debug, Subcommand)]
pub enum ModeratorCommand {
    /// Make a local person a moderator (an Add to the moderators collection is announced).
    Add(ModeratorArgs),
    /// Make a moderator an ordinary member again (a Remove is announced).
    Remove(ModeratorArgs),
}

/// A group and a local person.
#[derive(Debug, Args)]
pub struct ModeratorArgs {
    /// The group's name.
    pub group: String,
    /// The local person's login name.
    pub user: String,
}

/// `kith group ban GROUP HANDLE [--reason R]`.
#[derive(Debug, Args)]
pub struct BanArgs {
    /// The group's name.
    pub group: String,
    /// Who: @name@host, or an actor id.
    pub handle: String,
    /// Why (sent with the Block, shown to moderators).
    #[arg(long)]
    pub reason: Option<String>,
}

/// `kith group policy GROUP [...]`: only the options given change.
#[derive(Debug, Args)]
pub struct PolicyArgs {
    /// The group's name.
    pub group: String,
    /// Who may join: open or approval.
    #[arg(long)]
    pub join: Option<String>,
    /// The question applicants answer (approval groups); empty to clear.
    #[arg(long)]
    pub question: Option<String>,
    /// Who may post: members, anyone (held for review) or moderators.
    #[arg(long)]
    pub post: Option<String>,
    /// Replies: thread (kept in the thread) or boost (also boosted to followers).
    #[arg(long)]
    pub replies: Option<String>,
}

/// `kith post …`.
#[derive(Debug, Subcommand)]
pub enum PostCommand {
    /// Remove a post from its group (an announced Delete with the reason).
    Remove {
        /// The post's id URL.
        url: String,
        /// Why.
        #[arg(long)]
        reason: Option<String>,
    },
}

/// `kith domain …`.
#[derive(Debug, Subcommand)]
pub enum DomainCommand {
    /// Block a server (nothing delivered or accepted; its memberships end), or silence it.
    Block {
        /// The host name: it covers the names under it too, and every port unless given as
        /// host:port (where servers differ only by port).
        domain: String,
        /// Silence instead: its posts wait for moderators and its people's joins for approval.
        #[arg(long)]
        silence: bool,
        /// Why.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Lift a block or silence.
    Unblock {
        /// The host name.
        domain: String,
    },
    /// List blocked and silenced servers.
    List,
}

/// `kith person block|unblock HANDLE`: remote people, instance-wide.
#[derive(Debug, Subcommand)]
pub enum PersonCommand {
    /// Block a remote person everywhere on this instance; their memberships end.
    Block {
        /// @name@host, or an actor id.
        handle: String,
        /// Why.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Lift an instance-wide block.
    Unblock {
        /// @name@host, or an actor id.
        handle: String,
    },
}

/// `kith report …`.
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// List open reports (with --all, resolved ones too).
    List {
        /// Include resolved reports.
        #[arg(long)]
        all: bool,
    },
    /// Resolve a report, optionally forwarding it to the reported person's server.
    Resolve {
        /// The report's id.
        id: String,
        /// What was decided.
        #[arg(long, default_value = "")]
        resolution: String,
        /// Send it on as a Flag from this instance.
        #[arg(long)]
        forward: bool,
    },
}

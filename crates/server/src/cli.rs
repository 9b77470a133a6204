//! The command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Kith: a federated ActivityPub server for groups and their events.
#[derive(Debug, Parser)]
#[command(
    name = "kith",
    version,
    about = "Kith: a federated ActivityPub server for groups and their events",
    propagate_version = true,
    after_help = "Every command:
  kith serve                                    run the server
  kith user create NAME [--admin]               create an account (password: KITH_PASSWORD or asked)
  kith group create NAME --owner USER [--title T] [--summary S] [--approval]
                                                create a group owned by USER
  kith group requests GROUP                     list who waits to join GROUP
  kith group approve GROUP MEMBER               let a waiting member in (MEMBER: @name@host or id)
  kith group remove GROUP MEMBER                refuse a request or remove a member
  kith group follow GROUP @name@host            make GROUP follow a remote group and keep its posts
  kith token create USER [--label L]            make a JSON API bearer token for USER
  kith backup PATH                              copy a live SQLite database to PATH

Settings come from kith.toml and KITH_* variables: see docs/configuration.md."
)]
pub struct Cli {
    /// Configuration file (default: kith.toml in the working folder, when it exists).
    #[arg(long, global = true, env = "KITH_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server: HTTP, federation and delivery.
    Serve,
    /// Manage local accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage local groups.
    #[command(subcommand)]
    Group(GroupCommand),
    /// Manage JSON API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Write a consistent copy of a live SQLite database to PATH (PostgreSQL: use pg_dump).
    Backup {
        /// Where to write the copy; must not exist yet.
        path: PathBuf,
    },
}

/// Account commands.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account; the password comes from KITH_PASSWORD, or is asked for.
    Create(CreateUser),
}

/// `kith user create`.
#[derive(Debug, Args)]
pub struct CreateUser {
    /// Login name and handle: 1-30 of a-z, 0-9 and _.
    pub name: String,
    /// Make the account an instance administrator.
    #[arg(long)]
    pub admin: bool,
}

/// Group commands.
#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Create a group owned by an existing account.
    Create(CreateGroup),
    /// List who waits to join a group.
    Requests {
        /// The group's name.
        group: String,
    },
    /// Let a waiting member in; the Accept goes out when the server runs.
    Approve(MemberArgs),
    /// Refuse a request to join, or remove a member (a Reject{Follow} is sent).
    Remove(MemberArgs),
    /// Make a local group follow a remote group (another Kith, a Lemmy community).
    Follow {
        /// The local group's name.
        group: String,
        /// The remote group's handle: @name@host.
        handle: String,
    },
}

/// A group and one of its members.
#[derive(Debug, Args)]
pub struct MemberArgs {
    /// The group's name.
    pub group: String,
    /// The member: @name@host, or an actor id.
    pub member: String,
}

/// Token commands.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Make a bearer token for the JSON API; it is printed once and not stored.
    Create {
        /// The account's login name.
        user: String,
        /// What the token is for.
        #[arg(long, default_value = "cli")]
        label: String,
    },
}

/// `kith group create`.
#[derive(Debug, Args)]
pub struct CreateGroup {
    /// The group's name and handle: 1-30 of a-z, 0-9 and _.
    pub name: String,
    /// The login name of the owner.
    #[arg(long)]
    pub owner: String,
    /// A human title.
    #[arg(long)]
    pub title: Option<String>,
    /// A short description.
    #[arg(long)]
    pub summary: Option<String>,
    /// Members must be approved by an organiser (default: anyone may join).
    #[arg(long)]
    pub approval: bool,
}

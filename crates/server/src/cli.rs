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

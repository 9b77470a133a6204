//! The command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

pub use crate::cli_safety::{
    BanArgs, DomainCommand, ModeratorCommand, PersonCommand, PolicyArgs, PostCommand, ReportCommand,
};

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
  kith group policy GROUP [--join open|approval] [--question Q] [--post members|anyone|moderators]
        [--replies thread|boost]                who may join and post; what replies do
  kith group ban GROUP HANDLE [--reason R]      ban someone (HANDLE: @name@host)
  kith group unban GROUP HANDLE                 lift a ban
  kith group moderator add|remove GROUP USER    change who moderates (owner's decision)
  kith post remove POST_URL [--reason R]        remove a post from its group
  kith domain block DOMAIN [--silence] [--reason R]
                                                block or silence a server (DOMAIN: host or host:port)
  kith domain unblock DOMAIN                    lift it
  kith domain list                              blocked and silenced servers
  kith person block|unblock HANDLE [--reason R] block a remote person instance-wide
  kith report list [--all]                      reports waiting for moderators
  kith report resolve ID [--resolution TEXT] [--forward]
                                                resolve one (forward: send it to their server)
  kith audit                                    the audit log of moderation and admin actions
  kith event create --group NAME --title T --start RFC3339 --end RFC3339 --timezone IANA
        [--place NAME] [--address TEXT] [--latitude N --longitude N] [--online-url URL]
        [--capacity N] [--join-mode free|approval|external|none] [--external-url URL]
        [--category ID] [--tag T]... [--description TEXT] [--repeat RRULE] [--as USER]
                                                create and publish an event; prints its id
  kith event update ID [same options]           edit (reschedule with --start/--end)
  kith event cancel ID                          cancel: it stays listed as CANCELLED
  kith event delete ID                          delete it (and its poll)
  kith event show ID                            details and who answered
  kith event approve|reject ID MEMBER           decide on an answer (approval events)
  kith event rsvp USER EVENT going|maybe|not-going|none
                                                answer an event here or on another server
  kith calendar link USER                       make USER's private calendar link
  kith token create USER [--label L]            make a JSON API bearer token for USER
  kith backup PATH                              copy a live SQLite database to PATH and
                                                its pictures (media_dir) to PATH-media
  kith restore PATH                             put a backup and its pictures back (Kith
                                                stopped, the current database moved aside)

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
    /// Create and manage events.
    #[command(subcommand)]
    Event(Box<EventCommand>),
    /// Calendar links.
    #[command(subcommand)]
    Calendar(CalendarCommand),
    /// Manage JSON API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Moderate posts.
    #[command(subcommand)]
    Post(PostCommand),
    /// Block or silence other servers.
    #[command(subcommand)]
    Domain(DomainCommand),
    /// Block remote people instance-wide.
    #[command(subcommand)]
    Person(PersonCommand),
    /// Reports from people here and from other servers.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Show the audit log, newest first.
    Audit,
    /// Write a consistent copy of a live SQLite database to PATH (PostgreSQL: use pg_dump).
    Backup {
        /// Where to write the copy; must not exist yet (nor `PATH-media`).
        path: PathBuf,
    },
    /// Put an SQLite backup and its pictures back, with Kith stopped.
    Restore {
        /// The backup file (its pictures are in `PATH-media`).
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
    /// Set who may join and post, the question for applicants, and what replies do.
    Policy(PolicyArgs),
    /// Ban someone from a group: their membership ends and what they send is refused.
    Ban(BanArgs),
    /// Lift a ban.
    Unban {
        /// The group's name.
        group: String,
        /// Who: @name@host, or an actor id.
        handle: String,
    },
    /// Change who moderates a group.
    #[command(subcommand)]
    Moderator(ModeratorCommand),
    /// Make an invitation link: whoever opens it joins without waiting for approval (the only
    /// way into a hidden group). With --person, invite one person instead: they are told (a
    /// notification here, a message or `Invite` elsewhere), and only they may use it.
    Invite {
        /// The group's name.
        group: String,
        /// How many people may use it.
        #[arg(long, default_value_t = 1)]
        uses: i64,
        /// For how many days it stays open.
        #[arg(long, default_value_t = 7)]
        days: i64,
        /// Invite this one person (name@server, or a local name) for 14 days.
        #[arg(long, conflicts_with_all = ["uses", "days"])]
        person: Option<String>,
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
    /// Who may see the group: public (everyone), members (its name, description and rules are
    /// public; posts, events and members are for members only) or hidden (as members, and
    /// the group itself is unknown to anyone else). members and hidden always need approval.
    #[arg(long, default_value = "public", value_parser = ["public", "members", "hidden"])]
    pub visibility: String,
}

/// Event commands. They write to the database; a running `kith serve` delivers what they
/// publish within seconds.
#[derive(Debug, Subcommand)]
pub enum EventCommand {
    /// Create and publish an event; prints its id URL.
    Create(CreateEvent),
    /// Edit an event; only the options given change (an empty text clears, capacity 0 lifts
    /// the limit).
    Update(UpdateEvent),
    /// Cancel an event: it stays listed, as CANCELLED.
    Cancel(EventRef),
    /// Delete an event and its poll.
    Delete(EventRef),
    /// Show an event and who answered.
    Show {
        /// The event's id URL (or the last part of it).
        id: String,
    },
    /// Give a place to someone waiting for approval.
    Approve(EventMember),
    /// Decline someone waiting for approval.
    Reject(EventMember),
    /// Answer an event, here or on another server, as a local person.
    Rsvp {
        /// The local person's login name.
        user: String,
        /// The event's id URL.
        event: String,
        /// going, maybe, not-going, or none to withdraw.
        answer: String,
    },
}

/// An event, acted on as an organiser.
#[derive(Debug, Args)]
pub struct EventRef {
    /// The event's id URL (or the last part of it).
    pub id: String,
}

/// An event and someone who answered it.
#[derive(Debug, Args)]
pub struct EventMember {
    /// The event's id URL (or the last part of it).
    pub id: String,
    /// The person: @name@host, or an actor id.
    pub member: String,
}

/// The fields of an event, shared by create and update.
#[derive(Debug, Args)]
pub struct EventFieldArgs {
    /// Title.
    #[arg(long)]
    pub title: Option<String>,
    /// Description, plain text.
    #[arg(long)]
    pub description: Option<String>,
    /// Start, RFC 3339 with offset (2026-12-05T09:30:00+00:00).
    #[arg(long)]
    pub start: Option<String>,
    /// End, RFC 3339 with offset.
    #[arg(long)]
    pub end: Option<String>,
    /// IANA time zone people see the times in (Europe/London).
    #[arg(long)]
    pub timezone: Option<String>,
    /// The place's name.
    #[arg(long)]
    pub place: Option<String>,
    /// The place's address, one line.
    #[arg(long)]
    pub address: Option<String>,
    /// Latitude in degrees.
    #[arg(long, allow_hyphen_values = true)]
    pub latitude: Option<f64>,
    /// Longitude in degrees.
    #[arg(long, allow_hyphen_values = true)]
    pub longitude: Option<f64>,
    /// The link for an online or hybrid event.
    #[arg(long)]
    pub online_url: Option<String>,
    /// How many may come.
    #[arg(long)]
    pub capacity: Option<i64>,
    /// free (default), approval, external or none.
    #[arg(long)]
    pub join_mode: Option<String>,
    /// Where people register, for --join-mode external.
    #[arg(long)]
    pub external_url: Option<String>,
    /// Category id, upper case (SPORTS, MEETING, OUTDOORS_ADVENTURE…).
    #[arg(long)]
    pub category: Option<String>,
    /// A hashtag; repeat for more.
    #[arg(long = "tag")]
    pub tags: Vec<String>,
    /// confirmed (default) or tentative.
    #[arg(long)]
    pub status: Option<String>,
    /// Act as this organiser (default: the group's owner).
    #[arg(long = "as", value_name = "USER")]
    pub as_user: Option<String>,
}

/// `kith event create`.
#[derive(Debug, Args)]
pub struct CreateEvent {
    /// The group's name.
    #[arg(long)]
    pub group: String,
    /// Repeat by an RFC 5545 rule (FREQ=WEEKLY;COUNT=10): each occurrence is its own event.
    #[arg(long)]
    pub repeat: Option<String>,
    /// The fields.
    #[command(flatten)]
    pub fields: EventFieldArgs,
}

/// `kith event update`.
#[derive(Debug, Args)]
pub struct UpdateEvent {
    /// The event's id URL (or the last part of it).
    pub id: String,
    /// The fields to change.
    #[command(flatten)]
    pub fields: EventFieldArgs,
}

/// Calendar commands.
#[derive(Debug, Subcommand)]
pub enum CalendarCommand {
    /// Make a person's private calendar link (what they answered); the old link stops working.
    Link {
        /// The login name.
        user: String,
    },
}

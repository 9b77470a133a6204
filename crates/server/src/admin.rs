//! Admin commands. They open the same database as a running `kith serve` and are safe beside it:
//! SQLite runs in WAL mode with a busy timeout, PostgreSQL takes concurrent writers, and anything
//! they cause to federate is queued in the database for the server to deliver.

use anyhow::{Context as _, bail};
use kith_federation::{
    Context, FederationSettings,
    actions::{accounts, groups},
};
use kith_storage::{Database, GroupVisibility, JoinPolicy};

use crate::{
    cli::{CreateGroup, CreateUser},
    config::Config,
};

/// Opens the database (applying migrations) and builds the federation context.
pub async fn open_context(config: &Config) -> anyhow::Result<Context> {
    let db = Database::connect_with(&config.database_url, config.database_max_connections)
        .await
        .context("opening the database")?;
    let mut settings = FederationSettings::new(config.domain.clone(), config.dev);
    settings.allowed_private_addresses = config.allowed_private_ips()?;
    if config.inbox_per_host_per_minute > 0 {
        settings.limits.inbox_per_host_per_minute = config.inbox_per_host_per_minute;
    }
    if config.inbox_per_ip_per_minute > 0 {
        settings.limits.inbox_per_ip_per_minute = config.inbox_per_ip_per_minute;
    }
    settings.mail = config.mail_settings()?;
    settings.media_dir = Some(config.media_dir());
    Context::new(db, settings).context("the configured domain")
}

/// `kith user create NAME [--admin]`.
pub async fn create_user(config: &Config, args: CreateUser) -> anyhow::Result<()> {
    let password = read_password()?;
    let ctx = open_context(config).await?;
    let account = accounts::create_account(&ctx, &args.name, &password, args.admin).await?;
    let role = if account.is_admin {
        "administrator"
    } else {
        "account"
    };
    println!("created {role} {} ({})", account.username, account.actor_id);
    Ok(())
}

/// `kith group create NAME --owner USER [--title T] [--summary S] [--approval]
/// [--visibility public|members|hidden]`.
pub async fn create_group(config: &Config, args: CreateGroup) -> anyhow::Result<()> {
    let ctx = open_context(config).await?;
    let new = groups::NewGroup {
        name: args.name,
        owner: args.owner,
        title: args.title,
        summary: args.summary,
        join_policy: if args.approval {
            JoinPolicy::Approval
        } else {
            JoinPolicy::Open
        },
        visibility: GroupVisibility::parse(&args.visibility)
            .with_context(|| format!("{:?} is not a visibility", args.visibility))?,
    };
    let group = groups::create_group(&ctx, &new).await?;
    println!(
        "created {} group @{}@{} ({}), owned by {}",
        group.visibility,
        group.username,
        ctx.urls().domain(),
        group.id,
        new.owner
    );
    Ok(())
}

/// The new account's password: `KITH_PASSWORD`, else asked twice on the terminal.
fn read_password() -> anyhow::Result<String> {
    if let Ok(password) = std::env::var("KITH_PASSWORD") {
        return Ok(password);
    }
    if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        bail!("no password: set KITH_PASSWORD, or run the command in a terminal to be asked");
    }
    let first = rpassword::prompt_password("Password: ").context("reading the password")?;
    let second = rpassword::prompt_password("Again: ").context("reading the password")?;
    if first != second {
        bail!("the two passwords differ");
    }
    Ok(first)
}

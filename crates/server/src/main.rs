//! The `kith` binary: reads the configuration, then serves or runs an admin command.

mod admin;
mod backup;
mod cli;
mod cli_safety;
mod config;
mod events;
mod members;
mod safety;
mod serve;

use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use crate::{
    cli::{CalendarCommand, Cli, Command, GroupCommand, TokenCommand, UserCommand},
    config::Config,
};

/// mimalloc rather than the system allocator: handling an inbox request allocates and frees
/// many small values (JSON, headers, strings), where glibc's malloc and free took a large share
/// of Kith's CPU during an inbox burst (docs/performance.md, fourth round).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("error: cannot start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let file = cli.config.or_else(Config::file_from_env);
    let config = Config::load(file.as_deref())?;
    match cli.command {
        Command::Serve => serve::serve(config).await,
        Command::User(UserCommand::Create(args)) => admin::create_user(&config, args).await,
        Command::Group(GroupCommand::Create(args)) => admin::create_group(&config, args).await,
        Command::Group(GroupCommand::Requests { group }) => {
            members::list_requests(&config, &group).await
        }
        Command::Group(GroupCommand::Approve(args)) => members::approve(&config, args).await,
        Command::Group(GroupCommand::Remove(args)) => members::remove(&config, args).await,
        Command::Group(GroupCommand::Follow { group, handle }) => {
            members::follow(&config, &group, &handle).await
        }
        Command::Group(GroupCommand::Policy(args)) => safety::policy(&config, args).await,
        Command::Group(GroupCommand::Ban(args)) => safety::ban(&config, args).await,
        Command::Group(GroupCommand::Unban { group, handle }) => {
            safety::unban(&config, &group, &handle).await
        }
        Command::Group(GroupCommand::Moderator(command)) => {
            safety::moderator(&config, command).await
        }
        Command::Group(GroupCommand::Invite {
            group,
            uses,
            days,
            person,
        }) => match person {
            Some(person) => members::invite_person(&config, &group, &person).await,
            None => members::invite(&config, &group, uses, days).await,
        },
        Command::Post(command) => safety::post(&config, command).await,
        Command::Domain(command) => safety::domain(&config, command).await,
        Command::Person(command) => safety::person(&config, command).await,
        Command::Report(command) => safety::report(&config, command).await,
        Command::Audit => safety::audit(&config).await,
        Command::Token(TokenCommand::Create { user, label }) => {
            members::create_token(&config, &user, &label).await
        }
        Command::Event(command) => events::run(&config, *command).await,
        Command::Calendar(CalendarCommand::Link { user }) => {
            events::calendar_link(&config, &user).await
        }
        Command::Backup { path } => backup::backup(&config, &path).await,
        Command::Restore { path } => backup::restore(&config, &path),
    }
}

/// Logs to standard error, filtered by `RUST_LOG` (default: `info`, without PostgreSQL's
/// routine notices such as "relation _sqlx_migrations already exists").
fn init_tracing() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx::postgres::notice=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

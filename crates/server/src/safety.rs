//! Moderation and safety commands. They act as the instance operator; whatever they federate is
//! queued in the database and delivered by the running server, and each lands in the audit log.

use kith_federation::Context;
use kith_federation::actions::By;
use kith_federation::actions::{group_safety, groups, instance_safety, reports};

use crate::admin::open_context;
use crate::cli::{
    BanArgs, DomainCommand, ModeratorCommand, PersonCommand, PolicyArgs, PostCommand, ReportCommand,
};
use crate::config::Config;

/// `kith group ban GROUP HANDLE [--reason R]`.
pub async fn ban(config: &Config, args: BanArgs) -> anyhow::Result<()> {
    let ctx = open_context(config).await?;
    let person = group_safety::ban(
        &ctx,
        &args.group,
        &args.handle,
        args.reason.as_deref(),
        By::Operator,
    )
    .await?;
    println!("{} is banned from {}", person.id, args.group);
    Ok(())
}

/// `kith group unban GROUP HANDLE`.
pub async fn unban(config: &Config, group: &str, handle: &str) -> anyhow::Result<()> {
    let ctx = open_context(config).await?;
    let person = group_safety::unban(&ctx, group, handle, By::Operator).await?;
    println!("{} may join {group} again", person.id);
    Ok(())
}

/// `kith group moderator add|remove GROUP USER`.
pub async fn moderator(config: &Config, command: ModeratorCommand) -> anyhow::Result<()> {
    let ctx = open_context(config).await?;
    match command {
        ModeratorCommand::Add(args) => {
            group_safety::add_moderator(&ctx, &args.group, &args.user, By::Operator).await?;
            println!("{} now moderates {}", args.user, args.group);
        }
        ModeratorCommand::Remove(args) => {
            group_safety::remove_moderator(&ctx, &args.group, &args.user, By::Operator).await?;
            println!("{} no longer moderates {}", args.user, args.group);
        }
    }
    Ok(())
}

/// `kith group policy GROUP [...]`.
pub async fn policy(config: &Config, args: PolicyArgs) -> anyhow::Result<()> {
    let ctx = open_context(config).await?;
    let change = groups::PolicyChange {
        join_policy: args.join,
        join_question: args.question,
        post_policy: args.post,
        reply_policy: args.replies,
    };
    let now = groups::change_policies(&ctx, &args.group, By::Operator, &change).await?;
    println!(
        "{}: join {}, post {}, replies {}",
        args.group, now.join_policy, now.post_policy, now.reply_policy
    );
    Ok(())
}

/// `kith post remove POST_URL [--reason R]`.
pub async fn post(config: &Config, command: PostCommand) -> anyhow::Result<()> {
    let ctx = open_context(config).await?;
    let PostCommand::Remove { url, reason } = command;
    let post = group_safety::remove_post(&ctx, &url, reason.as_deref(), By::Operator).await?;
    println!("removed {}", post.id);
    Ok(())
}

/// `kith domain block|unblock|list`.
pub async fn domain(config: &Config, command: DomainCommand) -> anyhow::Result<()> {
    let ctx = open_context(config).await?;
    match command {
        DomainCommand::Block {
            domain,
            silence,
            reason,
        } => {
            let ended = instance_safety::block_domain(
                &ctx,
                &domain,
                silence,
                reason.as_deref(),
                By::Operator,
            )
            .await?;
            let what = if silence { "silenced" } else { "blocked" };
            println!("{domain} is {what}; {ended} memberships ended");
        }
        DomainCommand::Unblock { domain } => {
            instance_safety::unblock_domain(&ctx, &domain, By::Operator).await?;
            println!("{domain} is no longer blocked");
        }
        DomainCommand::List => {
            for block in instance_safety::domain_blocks(&ctx, By::Operator).await? {
                println!(
                    "{}\t{}\t{}",
                    block.domain,
                    block.severity,
                    block.reason.unwrap_or_default()
                );
            }
        }
    }
    Ok(())
}

/// `kith person block|unblock HANDLE`.
pub async fn person(config: &Config, command: PersonCommand) -> anyhow::Result<()> {
    let ctx = open_context(config).await?;
    match command {
        PersonCommand::Block { handle, reason } => {
            let actor =
                instance_safety::block_actor(&ctx, &handle, reason.as_deref(), By::Operator)
                    .await?;
            println!("{} is blocked on this instance", actor.id);
        }
        PersonCommand::Unblock { handle } => {
            let actor = instance_safety::unblock_actor(&ctx, &handle, By::Operator).await?;
            println!("{} is no longer blocked", actor.id);
        }
    }
    Ok(())
}

/// `kith report list|resolve`.
pub async fn report(config: &Config, command: ReportCommand) -> anyhow::Result<()> {
    let ctx = open_context(config).await?;
    match command {
        ReportCommand::List { all } => list_reports(&ctx, all).await,
        ReportCommand::Resolve {
            id,
            resolution,
            forward,
        } => {
            let report = reports::resolve(&ctx, &id, &resolution, forward, By::Operator).await?;
            let sent = if report.forwarded {
                ", forwarded to their server"
            } else {
                ""
            };
            println!("report {} resolved{sent}", report.id);
            Ok(())
        }
    }
}

async fn list_reports(ctx: &Context, all: bool) -> anyhow::Result<()> {
    let list = reports::reports(ctx, all, By::Operator).await?;
    if list.is_empty() {
        println!("no reports wait");
    }
    for report in list {
        println!(
            "{}\t{}\t{} reported by {}\t{}\t{}",
            report.id,
            report.state,
            report.target_id,
            report.reporter_id.as_deref().unwrap_or("(deleted)"),
            report.objects().join(" "),
            report.comment.replace('\n', " "),
        );
    }
    Ok(())
}

/// `kith audit`.
pub async fn audit(config: &Config) -> anyhow::Result<()> {
    let ctx = open_context(config).await?;
    for entry in instance_safety::audit_log(&ctx, None, By::Operator).await? {
        let when = kith_federation::protocol::rfc3339(entry.created_at);
        println!(
            "{when}\t{}\t{}\t{}\t{}",
            entry.actor,
            entry.action,
            entry.target,
            entry.reason.unwrap_or_default()
        );
    }
    Ok(())
}

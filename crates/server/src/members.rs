//! Admin commands for membership and tokens. Whatever they send (Accept, Reject, Follow) is
//! queued in the database; the running server's delivery worker sends it within a second.

use kith_federation::actions::By;
use kith_federation::actions::{invitations, invite_person, membership, tokens};

use crate::{admin::open_context, cli::MemberArgs, config::Config};

/// `kith group requests GROUP`.
pub async fn list_requests(config: &Config, group: &str) -> anyhow::Result<()> {
    let ctx = open_context(config).await?;
    let requests = membership::join_requests(&ctx, group, By::Operator).await?;
    if requests.is_empty() {
        println!("nobody waits to join {group}");
    }
    for request in requests {
        let member = request.member;
        let warning = if request.new_server {
            format!(
                "\tfirst member from {}: it will keep copies of everything the group shares",
                member.domain
            )
        } else {
            String::new()
        };
        println!(
            "@{}@{}\t{}{warning}",
            member.username, member.domain, member.id
        );
    }
    Ok(())
}

/// `kith group approve GROUP MEMBER`.
pub async fn approve(config: &Config, args: MemberArgs) -> anyhow::Result<()> {
    let ctx = open_context(config).await?;
    let member = membership::approve_member(&ctx, &args.group, &args.member, By::Operator).await?;
    println!("{} is now a member of {}", member.id, args.group);
    Ok(())
}

/// `kith group remove GROUP MEMBER`.
pub async fn remove(config: &Config, args: MemberArgs) -> anyhow::Result<()> {
    let ctx = open_context(config).await?;
    let member = membership::remove_member(&ctx, &args.group, &args.member, By::Operator).await?;
    println!("{} is no longer in {}", member.id, args.group);
    Ok(())
}

/// `kith group follow GROUP @name@host`.
pub async fn follow(config: &Config, group: &str, handle: &str) -> anyhow::Result<()> {
    let ctx = open_context(config).await?;
    let remote = membership::follow_group(&ctx, group, handle).await?;
    println!("{group} asked to follow {} ({})", handle, remote.id);
    Ok(())
}

/// `kith group invite GROUP [--uses N] [--days D]`: prints the link, shown once.
pub async fn invite(config: &Config, group: &str, uses: i64, days: i64) -> anyhow::Result<()> {
    let ctx = open_context(config).await?;
    let made = invitations::create_link(&ctx, group, uses, days, By::Operator).await?;
    println!("{}", made.url);
    eprintln!(
        "anyone with this link may join {group} without approval ({uses} people, {days} days); \
         it is shown once"
    );
    Ok(())
}

/// `kith group invite GROUP --person ADDRESS`: invites one person, who is told.
pub async fn invite_person(config: &Config, group: &str, address: &str) -> anyhow::Result<()> {
    let ctx = open_context(config).await?;
    let invited = invite_person::invite_person(&ctx, group, address, By::Operator).await?;
    let person = &invited.person;
    println!(
        "invited @{}@{} to {group} for {} days",
        person.username,
        person.domain,
        invite_person::DAYS
    );
    Ok(())
}

/// `kith token create USER [--label L]`.
pub async fn create_token(config: &Config, user: &str, label: &str) -> anyhow::Result<()> {
    let ctx = open_context(config).await?;
    let token = tokens::create_token(&ctx, user, label).await?;
    println!("{token}");
    eprintln!("keep this token: it is shown once (use it as Authorization: Bearer TOKEN)");
    Ok(())
}

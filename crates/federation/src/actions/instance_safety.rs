//! What administrators do to keep the instance safe: block or silence whole servers, block
//! single remote actors, and read the audit log. The command line acts as the operator
//! (`By::Operator`); the web and the JSON API require an administrator.

use kith_storage::{Actor, ActorBlock, AuditEntry, DomainBlock, DomainSeverity, StorageError};

use crate::actions::acting::{By, acting_name, reason_of, resolve_person};
use crate::actions::registration::require_admin;
use crate::{Context, FederationError, Result};

fn admin_or_operator(by: By<'_>) -> Result<()> {
    match by {
        By::Account(account) => require_admin(account),
        By::Operator => Ok(()),
    }
}

/// A server's name as blocks store it: its host spelled as every host is
/// (`protocol::host_of`: IDNA, lower case, no trailing dot, one form of each IP address), with
/// `:port` when one other than https's was given. A URL is reduced to its host; anything else
/// but a host and port is refused. A block covers the names under it, and every port unless it
/// names one (`kith_storage::domains`).
pub fn normalize_domain(input: &str) -> Result<String> {
    let input = input.trim();
    let refused = || FederationError::BadRequest(format!("{input:?} is not a host name"));
    let Some((scheme, rest)) = input.split_once("://") else {
        return kith_storage::domains::parse_host(input, "https").ok_or_else(refused);
    };
    let scheme = scheme.to_ascii_lowercase();
    if !matches!(scheme.as_str(), "http" | "https") {
        return Err(refused());
    }
    kith_storage::domains::parse_host(rest.strip_suffix('/').unwrap_or(rest), &scheme)
        .ok_or_else(refused)
}

/// Blocks a server (nothing delivered, nothing accepted, its members' memberships end) or, with
/// `silence`, silences it (its posts wait for moderators, its people's joins for approval).
/// Returns how many memberships ended.
pub async fn block_domain(
    ctx: &Context,
    domain: &str,
    silence: bool,
    reason: Option<&str>,
    by: By<'_>,
) -> Result<u64> {
    admin_or_operator(by)?;
    let domain = normalize_domain(domain)?;
    if kith_storage::domains::covers(&domain, ctx.urls().domain()) {
        return Err(FederationError::BadRequest(format!(
            "blocking {domain} would block this instance itself"
        )));
    }
    let severity = if silence {
        DomainSeverity::Silence
    } else {
        DomainSeverity::Block
    };
    let reason = reason_of(reason);
    let reason = reason.as_deref();
    let ended = ctx.db.block_domain(&domain, severity, reason).await?;
    let action = if silence {
        "domain.silence"
    } else {
        "domain.block"
    };
    ctx.db
        .audit(acting_name(by), action, &domain, None, reason)
        .await?;
    tracing::info!(%domain, severity = severity.as_str(), memberships_ended = ended, "server kept out");
    Ok(ended)
}

/// Lifts a server's block or silence.
pub async fn unblock_domain(ctx: &Context, domain: &str, by: By<'_>) -> Result<()> {
    admin_or_operator(by)?;
    let domain = normalize_domain(domain)?;
    match ctx.db.unblock_domain(&domain).await {
        Ok(()) => {}
        Err(StorageError::NotFound) => {
            return Err(FederationError::NotFound(format!(
                "{domain} is not blocked"
            )));
        }
        Err(other) => return Err(other.into()),
    }
    ctx.db
        .audit(acting_name(by), "domain.unblock", &domain, None, None)
        .await?;
    Ok(())
}

/// The blocked and silenced servers.
pub async fn domain_blocks(ctx: &Context, by: By<'_>) -> Result<Vec<DomainBlock>> {
    admin_or_operator(by)?;
    Ok(ctx.db.domain_blocks().await?)
}

/// Blocks a remote person instance-wide: their memberships end everywhere here and what they
/// send is refused.
pub async fn block_actor(
    ctx: &Context,
    who: &str,
    reason: Option<&str>,
    by: By<'_>,
) -> Result<Actor> {
    admin_or_operator(by)?;
    let actor = resolve_person(ctx, who).await?;
    if actor.local {
        return Err(FederationError::BadRequest(format!(
            "{who} is on this instance; suspend local accounts instead"
        )));
    }
    let reason = reason_of(reason);
    let reason = reason.as_deref();
    ctx.db.block_actor(&actor.id, reason).await?;
    ctx.db
        .audit(acting_name(by), "actor.block", &actor.id, None, reason)
        .await?;
    Ok(actor)
}

/// Lifts an instance-wide block of a person.
pub async fn unblock_actor(ctx: &Context, who: &str, by: By<'_>) -> Result<Actor> {
    admin_or_operator(by)?;
    let actor = resolve_person(ctx, who).await?;
    match ctx.db.unblock_actor(&actor.id).await {
        Ok(()) => {}
        Err(StorageError::NotFound) => {
            return Err(FederationError::NotFound(format!("{who} is not blocked")));
        }
        Err(other) => return Err(other.into()),
    }
    ctx.db
        .audit(acting_name(by), "actor.unblock", &actor.id, None, None)
        .await?;
    Ok(actor)
}

/// The people blocked instance-wide.
pub async fn actor_blocks(ctx: &Context, by: By<'_>) -> Result<Vec<ActorBlock>> {
    admin_or_operator(by)?;
    Ok(ctx.db.actor_blocks().await?)
}

/// The newest lines of the audit log (administrators only).
pub async fn audit_log(ctx: &Context, before: Option<i64>, by: By<'_>) -> Result<Vec<AuditEntry>> {
    admin_or_operator(by)?;
    Ok(ctx.db.audit_log(before, 100).await?)
}

#[cfg(test)]
mod tests {
    use super::normalize_domain;

    #[test]
    fn domains_are_hosts_with_ports_kept() {
        assert_eq!(normalize_domain("Spam.Example").unwrap(), "spam.example");
        assert_eq!(
            normalize_domain("https://spam.example/").unwrap(),
            "spam.example"
        );
        assert_eq!(
            normalize_domain("127.0.0.1:4000").unwrap(),
            "127.0.0.1:4000"
        );
        assert!(normalize_domain("spam.example/users/x").is_err());
        assert!(normalize_domain("").is_err());
        assert_eq!(normalize_domain("Spam.Example.").unwrap(), "spam.example");
        assert_eq!(
            normalize_domain("[::ffff:7f00:1]:4000").unwrap(),
            "127.0.0.1:4000"
        );
        assert_eq!(
            normalize_domain("spam.example:443").unwrap(),
            "spam.example"
        );
        assert_eq!(
            normalize_domain("https://bücher.example").unwrap(),
            "xn--bcher-kva.example"
        );
        assert!(normalize_domain("https://spam.example/users").is_err());
        assert!(normalize_domain("ftp://spam.example").is_err());
        assert!(normalize_domain("a@spam.example").is_err());
    }
}

//! Rules for the names of local people and groups.

use crate::{FederationError, Result};

/// Names no one may take: they would be mistaken for the instance or its operators.
const RESERVED: &[&str] = &[
    "abuse",
    "admin",
    "administrator",
    "hostmaster",
    "instance",
    "kith",
    "postmaster",
    "root",
    "webmaster",
];

/// Checks a local name and returns it in its stored, lower-case form: 1 to 30 of `a-z`, `0-9`
/// and `_`, as Mastodon allows, so handles work everywhere.
pub fn normalize(name: &str) -> Result<String> {
    let lower = name.trim().to_lowercase();
    let invalid = |reason| {
        Err(FederationError::InvalidName {
            name: name.to_owned(),
            reason,
        })
    };
    if lower.is_empty() || lower.len() > 30 {
        return invalid("use 1 to 30 characters");
    }
    if !lower
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return invalid("use only letters a-z, digits and _");
    }
    if RESERVED.contains(&lower.as_str()) {
        return invalid("that name is reserved");
    }
    Ok(lower)
}

/// Whether `name` is a `preferredUsername` every server reads as a name: 1 to 100 of ASCII
/// letters, digits, `_`, `-` and `.`, starting with a letter or digit. A `:` or `/` is what it
/// must never hold: GoToSocial reads `host:port` as an IRI, finds no name, and answers every
/// signed request from that actor with 500 (`missing username`).
pub fn is_plain(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// Checks the name of an actor Kith serves (see [`is_plain`]).
pub fn check_served(name: &str) -> Result<()> {
    if is_plain(name) {
        Ok(())
    } else {
        Err(FederationError::InvalidName {
            name: name.to_owned(),
            reason: "an actor's name may hold only letters, digits, _, - and .",
        })
    }
}

/// The instance actor's name when no host part of the domain is a plain name (an IPv6 literal).
pub const INSTANCE_ACTOR_FALLBACK: &str = "instance.actor";

/// The instance actor's name on `domain`: the host without its port, as Mastodon names its
/// instance actor after the domain (`kith.example`); the port is left out since a `:` makes the
/// name unreadable to GoToSocial. Such a name, with its dots, is never a person's or a group's.
pub fn instance_actor_name(domain: &str) -> String {
    let host = match domain.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => domain,
    };
    let host = host.to_ascii_lowercase();
    if is_plain(&host) {
        host
    } else {
        INSTANCE_ACTOR_FALLBACK.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_actor_names_are_plain_whatever_the_domain() {
        assert_eq!(instance_actor_name("kith.example"), "kith.example");
        assert_eq!(instance_actor_name("Kith.Example"), "kith.example");
        assert_eq!(instance_actor_name("127.0.0.1:8080"), "127.0.0.1");
        assert_eq!(instance_actor_name("kith.test:3000"), "kith.test");
        assert_eq!(instance_actor_name("localhost"), "localhost");
        assert_eq!(instance_actor_name("[::1]:8080"), INSTANCE_ACTOR_FALLBACK);
        assert_eq!(instance_actor_name("[::1]"), INSTANCE_ACTOR_FALLBACK);
        for domain in [
            "kith.example",
            "127.0.0.1:8080",
            "[::1]:8080",
            "a:b:c",
            "x/y",
        ] {
            let name = instance_actor_name(domain);
            assert!(is_plain(&name), "{domain} → {name}");
            assert!(!name.contains(':') && !name.contains('/'));
        }
    }

    #[test]
    fn plain_names_hold_no_colon_or_slash() {
        assert!(is_plain("runners") && is_plain("kith.example") && is_plain("a-b_c"));
        assert!(!is_plain("127.0.0.1:8080"));
        assert!(!is_plain("a/b") && !is_plain("") && !is_plain(".x") && !is_plain("ü"));
        assert!(check_served("kith.test:3000").is_err());
        assert!(check_served("runners").is_ok());
    }

    #[test]
    fn names_are_lowercased_and_checked() {
        assert_eq!(normalize("Runners_42").ok().as_deref(), Some("runners_42"));
        assert!(normalize("").is_err());
        assert!(normalize("two words").is_err());
        assert!(normalize("ünïcode").is_err());
        assert!(normalize("kith").is_err());
        assert!(normalize(&"x".repeat(31)).is_err());
    }
}

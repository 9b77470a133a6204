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

#[cfg(test)]
mod tests {
    use super::*;

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

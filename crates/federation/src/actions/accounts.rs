//! Local accounts: creating them, and checking their passwords.

use argon2::{
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
    password_hash::{SaltString, rand_core::OsRng},
};
use kith_storage::{Account, ActorKind, NewAccount};

use crate::{Context, FederationError, Result, actions, keys, names};

/// The shortest password accepted.
pub const MIN_PASSWORD_LEN: usize = 8;

/// Creates an account with its `Person` actor and key pair. The name is shared with groups: a
/// name any person or group has already is [`FederationError::NameTaken`].
pub async fn create_account(
    ctx: &Context,
    name: &str,
    password: &str,
    is_admin: bool,
) -> Result<Account> {
    new_account(ctx, name, password, is_admin, None).await
}

/// [`create_account`], with an application: an account made with one waits for an
/// administrator's approval before it can log in.
pub async fn new_account(
    ctx: &Context,
    name: &str,
    password: &str,
    is_admin: bool,
    application: Option<String>,
) -> Result<Account> {
    let name = names::normalize(name)?;
    if ctx.db.local_actor_by_username(&name).await.is_ok() {
        return Err(FederationError::NameTaken(name));
    }
    let password_hash = hash_password(password)?;
    let keys = keys::generate().await?;
    let actor = ctx.urls().new_local_actor(
        ctx.urls().person(&name),
        ActorKind::Person,
        &name,
        None,
        None,
        keys,
    );
    let new = NewAccount {
        actor,
        email: None,
        password_hash,
        is_admin,
        approved: application.is_none(),
        application,
    };
    // The look-up above spares a key generation; the unique index decides races.
    ctx.db
        .create_account(&new)
        .await
        .map_err(actions::name_taken(&name))
}

/// Hashes a password with argon2id and a random salt, as a PHC string.
pub fn hash_password(password: &str) -> Result<String> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(FederationError::Password(format!(
            "use at least {MIN_PASSWORD_LEN} characters"
        )));
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| FederationError::Password(e.to_string()))
}

/// Whether `password` matches a stored PHC hash.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() -> Result<()> {
        let hash = hash_password("correct horse")?;
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong horse", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
        assert!(hash_password("short").is_err());
        Ok(())
    }
}

//! Who may make an account here: the instance's registration mode (open, approval, invite
//! codes), applications waiting for an administrator, invite codes, and the settings an
//! administrator edits from the web.

use kith_storage::{Account, Invite, StorageError, now_millis};

use crate::actions::accounts::new_account;
use crate::{Context, FederationError, Result};

/// How people register on this instance.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RegistrationMode {
    /// Anyone may make an account.
    Open,
    /// Anyone may apply; an administrator approves each account before it can log in.
    #[default]
    Approval,
    /// Only with an invite code.
    Invite,
    /// No registration from the web (accounts come from `kith user create`).
    Closed,
}

impl RegistrationMode {
    /// The stored and API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            RegistrationMode::Open => "open",
            RegistrationMode::Approval => "approval",
            RegistrationMode::Invite => "invite",
            RegistrationMode::Closed => "closed",
        }
    }

    /// Reads the stored spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "open" => RegistrationMode::Open,
            "approval" => RegistrationMode::Approval,
            "invite" => RegistrationMode::Invite,
            "closed" => RegistrationMode::Closed,
            _ => return None,
        })
    }
}

/// Settings an administrator changes from the web.
#[derive(Clone, Debug, Default)]
pub struct InstanceSettings {
    /// How people register.
    pub registration: RegistrationMode,
    /// What the front page says about this instance (plain text).
    pub about: String,
}

const REGISTRATION: &str = "registration";
const ABOUT: &str = "about";
/// The longest about text kept.
const MAX_ABOUT: usize = 5_000;
/// The longest application text kept.
const MAX_APPLICATION: usize = 1_000;

/// The instance's settings; approval is the default until an administrator chooses.
pub async fn instance_settings(ctx: &Context) -> Result<InstanceSettings> {
    let registration = ctx
        .db
        .setting(REGISTRATION)
        .await?
        .and_then(|s| RegistrationMode::parse(&s))
        .unwrap_or_default();
    let about = ctx.db.setting(ABOUT).await?.unwrap_or_default();
    Ok(InstanceSettings {
        registration,
        about,
    })
}

/// Stores new settings (administrators only).
pub async fn update_instance_settings(
    ctx: &Context,
    by: &Account,
    settings: &InstanceSettings,
) -> Result<()> {
    require_admin(by)?;
    if settings.about.chars().count() > MAX_ABOUT {
        return Err(FederationError::BadRequest(format!(
            "the about text is longer than {MAX_ABOUT} characters"
        )));
    }
    ctx.db
        .set_setting(REGISTRATION, settings.registration.as_str())
        .await?;
    ctx.db.set_setting(ABOUT, settings.about.trim()).await?;
    ctx.db
        .audit(
            &by.username,
            "instance.settings",
            settings.registration.as_str(),
            None,
            None,
        )
        .await?;
    Ok(())
}

/// What someone fills in to register.
#[derive(Clone, Debug, Default)]
pub struct Registration {
    /// The name they want (their handle, `@name@domain`).
    pub username: String,
    /// The password.
    pub password: String,
    /// An invite code, when registration is by invitation.
    pub invite: Option<String>,
    /// Why they want to join, when registration needs approval.
    pub application: Option<String>,
}

/// Registers an account as the instance's mode allows; under approval the account exists but
/// cannot log in until an administrator approves it.
pub async fn register(ctx: &Context, form: &Registration) -> Result<Account> {
    let settings = instance_settings(ctx).await?;
    match settings.registration {
        RegistrationMode::Closed => Err(FederationError::Forbidden(
            "registration is closed on this instance".into(),
        )),
        RegistrationMode::Open => {
            new_account(ctx, &form.username, &form.password, false, None).await
        }
        RegistrationMode::Approval => {
            let why = form.application.as_deref().map(str::trim).unwrap_or("");
            if why.is_empty() {
                return Err(FederationError::BadRequest(
                    "say in a few words why you want to join".into(),
                ));
            }
            let why: String = why.chars().take(MAX_APPLICATION).collect();
            new_account(ctx, &form.username, &form.password, false, Some(why)).await
        }
        RegistrationMode::Invite => {
            let code = form.invite.as_deref().map(str::trim).unwrap_or("");
            match ctx.db.use_invite(code, now_millis()).await {
                Ok(()) => {}
                Err(StorageError::NotFound) => {
                    return Err(FederationError::Forbidden(
                        "that invite code is unknown, used up or expired".into(),
                    ));
                }
                Err(other) => return Err(other.into()),
            }
            let made = new_account(ctx, &form.username, &form.password, false, None).await;
            if made.is_err() {
                ctx.db.release_invite(code).await?;
            }
            made
        }
    }
}

/// Makes an invite code usable `max_uses` times for `days` days (administrators only).
pub async fn create_invite(
    ctx: &Context,
    by: &Account,
    max_uses: i64,
    days: i64,
) -> Result<Invite> {
    require_admin(by)?;
    if !(1..=1000).contains(&max_uses) || !(1..=365).contains(&days) {
        return Err(FederationError::BadRequest(
            "an invite is good for 1 to 1000 uses and 1 to 365 days".into(),
        ));
    }
    let now = now_millis();
    let invite = Invite {
        code: crate::actions::tokens::secret_of(12)?,
        created_by: Some(by.id.clone()),
        max_uses,
        uses: 0,
        expires_at: Some(now + days * 86_400_000),
        created_at: now,
    };
    ctx.db.create_invite(&invite).await?;
    ctx.db
        .audit(
            &by.username,
            "invite.create",
            &format!("{max_uses} uses, {days} days"),
            None,
            None,
        )
        .await?;
    Ok(invite)
}

/// Accounts waiting for approval (administrators only).
pub async fn pending_accounts(ctx: &Context, by: &Account) -> Result<Vec<Account>> {
    require_admin(by)?;
    Ok(ctx.db.pending_accounts().await?)
}

/// Approves (`true`) or refuses (`false`, deleting it) a waiting account, by login name.
pub async fn decide_account(
    ctx: &Context,
    by: &Account,
    username: &str,
    approve: bool,
) -> Result<()> {
    require_admin(by)?;
    let account = match ctx.db.account_by_username(username).await {
        Ok(a) if !a.approved => a,
        Ok(_) | Err(StorageError::NotFound) => {
            return Err(FederationError::NotFound(format!(
                "no application from {username:?}"
            )));
        }
        Err(other) => return Err(other.into()),
    };
    if approve {
        ctx.db.approve_account(&account.id).await?;
    } else {
        ctx.db.delete_pending_account(&account.id).await?;
    }
    let action = if approve {
        "account.approve"
    } else {
        "account.reject"
    };
    ctx.db
        .audit(&by.username, action, username, None, None)
        .await?;
    Ok(())
}

/// Refuses anyone who is not an administrator.
pub fn require_admin(account: &Account) -> Result<()> {
    if account.is_admin {
        Ok(())
    } else {
        Err(FederationError::Forbidden("administrators only".into()))
    }
}

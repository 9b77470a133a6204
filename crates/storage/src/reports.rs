//! Reports (from local people and remote `Flag`s) waiting for moderators, and the audit log of
//! every moderation and administration action.

use sqlx::FromRow;

use crate::{Database, Result, StorageError, now_millis, text_enum::text_enum};

text_enum!(
    /// Where a report stands.
    ReportState {
        /// Waiting for a moderator.
        Open = "open",
        /// Decided.
        Resolved = "resolved",
    }
);

/// A report of an actor and some of their posts.
#[derive(Clone, Debug, FromRow)]
pub struct Report {
    /// A ULID.
    pub id: String,
    /// Who reported: a local person, or a remote server's actor (often its instance actor).
    pub reporter_id: Option<String>,
    /// The actor reported.
    pub target_id: String,
    /// The local group the reported posts belong to, when they do (its moderators see it).
    pub group_id: Option<String>,
    /// The ids of the reported posts, as a JSON array.
    pub object_ids: String,
    /// What the reporter said.
    pub comment: String,
    /// The id of the `Flag` it arrived as, for remote reports.
    pub activity_id: Option<String>,
    /// Open or resolved.
    pub state: ReportState,
    /// What the moderator decided.
    pub resolution: Option<String>,
    /// Who resolved it.
    pub resolved_by: Option<String>,
    /// Whether it was forwarded to the reported actor's server.
    #[sqlx(try_from = "crate::bool_column::BoolColumn")]
    pub forwarded: bool,
    /// When it came in.
    pub created_at: i64,
    /// When it was resolved.
    pub resolved_at: Option<i64>,
}

impl Report {
    /// The reported posts' ids.
    pub fn objects(&self) -> Vec<String> {
        serde_json::from_str(&self.object_ids).unwrap_or_default()
    }
}

/// A new report.
#[derive(Clone, Debug)]
pub struct NewReport {
    /// Who reported.
    pub reporter_id: Option<String>,
    /// The actor reported.
    pub target_id: String,
    /// The local group concerned.
    pub group_id: Option<String>,
    /// The reported posts.
    pub object_ids: Vec<String>,
    /// What the reporter said.
    pub comment: String,
    /// The `Flag`'s id for remote reports (a redelivered Flag is one report).
    pub activity_id: Option<String>,
}

/// One line of the audit log.
#[derive(Clone, Debug, FromRow)]
pub struct AuditEntry {
    /// Its number.
    pub id: i64,
    /// Who acted: an account's name, or `operator` for the command line.
    pub actor: String,
    /// What was done (`group.ban`, `domain.block`, …).
    pub action: String,
    /// On what: a handle, an id, a domain.
    pub target: String,
    /// The group concerned, if any.
    pub group_id: Option<String>,
    /// Why, when a reason was given.
    pub reason: Option<String>,
    /// When.
    pub created_at: i64,
}

macro_rules! report_columns {
    () => {
        "id, reporter_id, target_id, group_id, object_ids, comment, activity_id, state, \
         resolution, resolved_by, forwarded, created_at, resolved_at"
    };
}

impl Database {
    /// Stores a report; a `Flag` received twice is `Conflict`.
    pub async fn create_report(&self, new: &NewReport) -> Result<Report> {
        create_report_in(&mut *self.write().await?, new).await
    }

    /// One report.
    pub async fn report(&self, id: &str) -> Result<Report> {
        sqlx::query_as(concat!(
            "SELECT ",
            report_columns!(),
            " FROM reports WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StorageError::NotFound)
    }

    /// Reports, open ones only unless `all`, newest first.
    pub async fn reports(&self, all: bool, limit: i64) -> Result<Vec<Report>> {
        Ok(sqlx::query_as(concat!(
            "SELECT ",
            report_columns!(),
            " FROM reports WHERE state = 'open' OR $1 ORDER BY created_at DESC, id DESC LIMIT $2"
        ))
        .bind(all)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Resolves an open report; `NotFound` when it is not open.
    pub async fn resolve_report(
        &self,
        id: &str,
        resolution: &str,
        resolved_by: &str,
        forwarded: bool,
    ) -> Result<Report> {
        let decision = (resolution, resolved_by, forwarded);
        resolve_report_in(&mut *self.write().await?, id, decision).await
    }

    /// Appends to the audit log.
    pub async fn audit(
        &self,
        actor: &str,
        action: &str,
        target: &str,
        group_id: Option<&str>,
        reason: Option<&str>,
    ) -> Result<()> {
        let line = (actor, action, target, group_id, reason);
        audit_in(&mut *self.write().await?, line).await
    }

    /// The newest lines of the audit log, before the line numbered `before` when given.
    pub async fn audit_log(&self, before: Option<i64>, limit: i64) -> Result<Vec<AuditEntry>> {
        Ok(sqlx::query_as(
            "SELECT id, actor, action, target, group_id, reason, created_at FROM audit_log \
             WHERE id < $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}

impl crate::Tx {
    /// [`Database::create_report`] inside this transaction.
    pub async fn create_report(&mut self, new: &NewReport) -> Result<Report> {
        create_report_in(self.conn(), new).await
    }

    /// [`Database::resolve_report`] inside this transaction (with the `Flag` it forwards).
    pub async fn resolve_report(
        &mut self,
        id: &str,
        resolution: &str,
        resolved_by: &str,
        forwarded: bool,
    ) -> Result<Report> {
        resolve_report_in(self.conn(), id, (resolution, resolved_by, forwarded)).await
    }

    /// [`Database::audit`] inside this transaction: the line is written with the action.
    pub async fn audit(
        &mut self,
        actor: &str,
        action: &str,
        target: &str,
        group_id: Option<&str>,
        reason: Option<&str>,
    ) -> Result<()> {
        audit_in(self.conn(), (actor, action, target, group_id, reason)).await
    }
}

/// An audit line: who, what, on what, in which group, why.
type AuditLine<'a> = (&'a str, &'a str, &'a str, Option<&'a str>, Option<&'a str>);

async fn audit_in(
    conn: &mut sqlx::AnyConnection,
    (actor, action, target, group_id, reason): AuditLine<'_>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (actor, action, target, group_id, reason, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(actor)
    .bind(action)
    .bind(target)
    .bind(group_id)
    .bind(reason)
    .bind(now_millis())
    .execute(conn)
    .await?;
    Ok(())
}

async fn create_report_in(conn: &mut sqlx::AnyConnection, new: &NewReport) -> Result<Report> {
    let ids = serde_json::to_string(&new.object_ids).unwrap_or_else(|_| "[]".into());
    Ok(sqlx::query_as(concat!(
        "INSERT INTO reports (id, reporter_id, target_id, group_id, object_ids, comment, \
         activity_id, state, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8) \
         RETURNING ",
        report_columns!()
    ))
    .bind(ulid::Ulid::new().to_string())
    .bind(&new.reporter_id)
    .bind(&new.target_id)
    .bind(&new.group_id)
    .bind(ids)
    .bind(&new.comment)
    .bind(&new.activity_id)
    .bind(now_millis())
    .fetch_one(conn)
    .await?)
}

async fn resolve_report_in(
    conn: &mut sqlx::AnyConnection,
    id: &str,
    (resolution, resolved_by, forwarded): (&str, &str, bool),
) -> Result<Report> {
    sqlx::query_as(concat!(
        "UPDATE reports SET state = 'resolved', resolution = $1, resolved_by = $2, \
         forwarded = $3, resolved_at = $4 WHERE id = $5 AND state = 'open' RETURNING ",
        report_columns!()
    ))
    .bind(resolution)
    .bind(resolved_by)
    .bind(forwarded)
    .bind(now_millis())
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(StorageError::NotFound)
}

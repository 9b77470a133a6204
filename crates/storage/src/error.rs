//! The storage error: database-specific failures mapped to the same variants on SQLite and
//! PostgreSQL, so callers never look at a driver's error codes.

use sqlx::error::ErrorKind;

/// A `Result` whose error is [`StorageError`].
pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// Everything that can go wrong in storage.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// A row with the same unique key exists already (a taken name, a duplicate id).
    #[error("already exists ({constraint})")]
    Conflict {
        /// The constraint or table the database named, for logs.
        constraint: String,
    },
    /// The row asked for does not exist.
    #[error("not found")]
    NotFound,
    /// The row refers to another row that does not exist (a foreign-key violation).
    #[error("refers to something that does not exist ({constraint})")]
    MissingReference {
        /// The constraint the database named, for logs.
        constraint: String,
    },
    /// A value broke a check constraint (an unknown state or role, say).
    #[error("invalid value ({constraint})")]
    Invalid {
        /// The constraint the database named, for logs.
        constraint: String,
    },
    /// The database URL is neither `sqlite:` nor `postgres:`, cannot be parsed, or names a
    /// database that cannot be reached.
    #[error("cannot open the database {url:?}: {reason}")]
    BadUrl {
        /// The URL as given, with any password removed.
        url: String,
        /// Why it was refused.
        reason: String,
    },
    /// The operation is not offered on this database (a file backup of PostgreSQL, say).
    #[error("{0}")]
    Unsupported(String),
    /// Applying the migrations failed.
    #[error("migrating the database failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A file-system operation around the database failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The cause.
        source: std::io::Error,
    },
    /// Any other database failure: connection lost, timeout, a bug in a query.
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
}

impl From<sqlx::Error> for StorageError {
    fn from(err: sqlx::Error) -> Self {
        if let sqlx::Error::RowNotFound = err {
            return StorageError::NotFound;
        }
        let (kind, constraint) = match &err {
            sqlx::Error::Database(db) => (
                db.kind(),
                db.constraint()
                    .or(db.table())
                    .map(str::to_owned)
                    .unwrap_or_else(|| db.message().to_owned()),
            ),
            _ => return StorageError::Database(err),
        };
        match kind {
            ErrorKind::UniqueViolation => StorageError::Conflict { constraint },
            ErrorKind::ForeignKeyViolation => StorageError::MissingReference { constraint },
            ErrorKind::CheckViolation | ErrorKind::NotNullViolation => {
                StorageError::Invalid { constraint }
            }
            _ => StorageError::Database(err),
        }
    }
}

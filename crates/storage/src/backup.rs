//! Consistent copies of a live database.

use std::path::Path;

use crate::{Backend, Database, Result, StorageError};

impl Database {
    /// Writes a consistent copy of a live SQLite database to `path`, which must not exist yet.
    /// Writers may go on meanwhile: `VACUUM INTO` reads one snapshot. PostgreSQL is backed up
    /// with its own tools.
    pub async fn backup_to(&self, path: &Path) -> Result<()> {
        if self.backend() == Backend::Postgres {
            return Err(StorageError::Unsupported(
                "kith backup copies SQLite databases; back up PostgreSQL with pg_dump \
                 (see docs/self-hosting.md)"
                    .into(),
            ));
        }
        if path.exists() {
            return Err(StorageError::Io {
                context: format!("refusing to overwrite {}", path.display()),
                source: std::io::ErrorKind::AlreadyExists.into(),
            });
        }
        let target = path.to_str().ok_or_else(|| StorageError::Io {
            context: format!("backup path {} is not UTF-8", path.display()),
            source: std::io::ErrorKind::InvalidInput.into(),
        })?;
        sqlx::query("VACUUM INTO $1")
            .bind(target)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }
}

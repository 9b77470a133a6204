//! `kith backup PATH` and `kith restore PATH` (SQLite): the database and the pictures in
//! `media_dir` together. The database copy is written first (SQLite's `VACUUM INTO`, safe beside
//! a running server), then the media folder is copied to `PATH-media`: picture files are named
//! by their content and never changed once written, so a folder copied after the database holds
//! every picture that copy names. Restoring puts both back, with Kith stopped.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

use crate::admin::open_context;
use crate::config::Config;

/// Where a backup at `path` keeps its pictures: `PATH-media`, beside it.
pub fn media_copy_of(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push("-media");
    PathBuf::from(name)
}

/// `kith backup PATH`: the database to `PATH`, then the pictures to `PATH-media`.
pub async fn backup(config: &Config, path: &Path) -> anyhow::Result<()> {
    let media_copy = media_copy_of(path);
    if media_copy.exists() {
        bail!(
            "{} exists already: a backup never overwrites one",
            media_copy.display()
        );
    }
    let ctx = open_context(config).await?;
    ctx.db.backup_to(path).await?;
    println!(
        "wrote a consistent copy of the database to {}",
        path.display()
    );
    let copied = copy_pictures(&config.media_dir(), &media_copy)?;
    println!("copied {copied} picture files to {}", media_copy.display());
    Ok(())
}

/// `kith restore PATH`, with Kith stopped: the backup at `PATH` becomes the database (which must
/// not exist: the current one is moved aside first), and the pictures of `PATH-media` go back
/// into `media_dir` (files there already are kept: the same name is the same picture).
pub fn restore(config: &Config, path: &Path) -> anyhow::Result<()> {
    let url = &config.database_url;
    let Some(rest) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    else {
        bail!(
            "kith restore is for SQLite; restore PostgreSQL with pg_restore \
             (docs/self-hosting.md), then copy the pictures back into media_dir"
        );
    };
    let database = PathBuf::from(rest.split('?').next().unwrap_or(rest));
    if !path.is_file() {
        bail!("{} is not a backup file", path.display());
    }
    for taken in [
        database.clone(),
        with_suffix(&database, "-wal"),
        with_suffix(&database, "-shm"),
    ] {
        if taken.exists() {
            bail!(
                "{} exists: stop Kith and move the current database (and its -wal and -shm \
                 files) aside first",
                taken.display()
            );
        }
    }
    if let Some(folder) = database.parent().filter(|f| !f.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder)
            .with_context(|| format!("creating {}", folder.display()))?;
    }
    std::fs::copy(path, &database)
        .with_context(|| format!("copying {} to {}", path.display(), database.display()))?;
    println!("restored the database to {}", database.display());
    let media_copy = media_copy_of(path);
    if media_copy.is_dir() {
        let copied = copy_pictures(&media_copy, &config.media_dir())?;
        println!(
            "restored {copied} picture files to {}",
            config.media_dir().display()
        );
    } else {
        println!(
            "no pictures beside the backup ({} is missing)",
            media_copy.display()
        );
    }
    Ok(())
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Copies the picture files of `from` into `to` (created), leaving out files being written
/// (their names start with a dot) and files `to` has already; returns how many were copied.
fn copy_pictures(from: &Path, to: &Path) -> anyhow::Result<usize> {
    std::fs::create_dir_all(to).with_context(|| format!("creating {}", to.display()))?;
    let entries = match std::fs::read_dir(from) {
        Ok(entries) => entries,
        // No picture was ever stored.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e).with_context(|| format!("reading {}", from.display())),
    };
    let mut copied = 0;
    for entry in entries {
        let entry = entry.with_context(|| format!("reading {}", from.display()))?;
        let name = entry.file_name();
        let partial = name.to_string_lossy().starts_with('.');
        if partial || !entry.file_type()?.is_file() {
            continue;
        }
        let target = to.join(&name);
        if target.exists() {
            continue;
        }
        std::fs::copy(entry.path(), &target)
            .with_context(|| format!("copying {}", entry.path().display()))?;
        copied += 1;
    }
    Ok(copied)
}

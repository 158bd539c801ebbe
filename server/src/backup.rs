//! `server backup` and `server restore`: a consistent copy of the embedded SQLite database
//! taken while Patron serves, with a manifest that lets a restore refuse what it must not load.
//!
//! A backup is two files: the database copy (`VACUUM INTO`, one read transaction, so it holds
//! exactly the rows committed when it began: writers carry on meanwhile) and beside it
//! `<file>.manifest.json` with the copy's SHA-256, size, schema version and the Patron version
//! that made it. A restore checks the checksum, refuses a schema newer than this build knows
//! and a server still running on the database (each `server serve` holds a shared lock on
//! `<database>.lock`; the restore needs it exclusively), checks the copy's integrity, keeps the
//! database it replaces beside it, and swaps the file in with a rename.
//!
//! PostgreSQL is backed up with `pg_dump` and restored with `pg_restore` (README, Backups);
//! `server restore --check` then says whether the result can be served.

use std::fs::{self, File, TryLockError};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use app::db::{DatabaseTarget, Engine, Migrator, migration};
use chrono::{DateTime, Utc};
use sea_orm::sqlx::sqlite::SqliteJournalMode;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, Statement};
use sea_orm_migration::MigratorTrait;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The manifest's format; a restore refuses any other.
pub const MANIFEST_FORMAT: u32 = 1;

/// What `<file>.manifest.json` says about a backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`MANIFEST_FORMAT`].
    pub format: u32,
    /// Always `sqlite`: what the file is a copy of.
    pub engine: String,
    /// The newest migration applied in the copy.
    pub schema_version: String,
    /// SHA-256 of the database file, lowercase hex.
    pub sha256: String,
    /// The database file's size in bytes.
    pub bytes: u64,
    /// When the copy's snapshot was taken.
    pub created_at: DateTime<Utc>,
    /// The Patron release that made it.
    pub patron_version: String,
}

/// The manifest's path for a backup file: `<file>.manifest.json`.
pub fn manifest_path(file: &Path) -> PathBuf {
    with_suffix(file, ".manifest.json")
}

/// `path` with `suffix` appended to its file name.
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

/// A backup just written, and how long it took.
#[derive(Debug)]
pub struct Written {
    /// The database copy.
    pub file: PathBuf,
    /// What its manifest says.
    pub manifest: Manifest,
    /// The copy, the checks and the checksum together.
    pub elapsed: Duration,
}

/// Writes a consistent copy of the SQLite database `db` to `to` and its manifest beside it.
/// Never overwrites: a name already taken is refused. Nothing is left at `to` unless the whole
/// backup, manifest included, is written.
pub async fn backup(
    db: &DatabaseConnection,
    to: &Path,
    now: DateTime<Utc>,
) -> anyhow::Result<Written> {
    let started = Instant::now();
    if Engine::of(db) != Engine::Sqlite {
        bail!(
            "`server backup` copies the embedded SQLite database; back up PostgreSQL with pg_dump (README: Backups)"
        );
    }
    let manifest_file = manifest_path(to);
    for taken in [to, manifest_file.as_path()] {
        if taken.exists() {
            bail!(
                "{} already exists: a backup never overwrites another, choose a new name",
                taken.display()
            );
        }
    }
    let partial = with_suffix(to, ".partial");
    remove_if_present(&partial)?;
    let Some(partial_text) = partial.to_str() else {
        bail!("the backup path {} is not valid UTF-8", to.display());
    };
    // One read transaction: the copy holds exactly what was committed when it started.
    db.execute_unprepared(&format!(
        "VACUUM INTO '{}'",
        partial_text.replace('\'', "''")
    ))
    .await
    .with_context(|| format!("cannot write the backup to {}", to.display()))?;

    let checked = async {
        let copy = open_file(&partial).await?;
        let result = check_copy(&copy).await;
        copy.close().await.context("cannot close the backup copy")?;
        result
    }
    .await;
    let schema_version = match checked {
        Ok(version) => version,
        Err(e) => {
            remove_if_present(&partial)?;
            return Err(e);
        }
    };
    let (sha256, bytes) = checksum(&partial).await?;
    let manifest = Manifest {
        format: MANIFEST_FORMAT,
        engine: Engine::Sqlite.as_str().to_owned(),
        schema_version,
        sha256,
        bytes,
        created_at: now,
        patron_version: env!("CARGO_PKG_VERSION").to_owned(),
    };
    File::open(&partial)
        .and_then(|f| f.sync_all())
        .context("cannot flush the backup to disk")?;
    write_atomically(&manifest_file, &serde_json::to_vec_pretty(&manifest)?)?;
    fs::rename(&partial, to).with_context(|| format!("cannot name the backup {}", to.display()))?;
    sync_dir(to)?;
    Ok(Written {
        file: to.to_owned(),
        manifest,
        elapsed: started.elapsed(),
    })
}

/// Opens one SQLite file on a single connection in rollback-journal mode: the copy is one
/// self-contained file, never a database with a write-ahead log beside it.
async fn open_file(path: &Path) -> anyhow::Result<DatabaseConnection> {
    let url = format!("sqlite://{}?mode=rw", path.display());
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(1)
        .min_connections(1)
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| o.journal_mode(SqliteJournalMode::Delete));
    Database::connect(options)
        .await
        .with_context(|| format!("cannot open {} as an SQLite database", path.display()))
}

/// `PRAGMA integrity_check` passes and the schema is one this build knows; returns the
/// schema version.
async fn check_copy(copy: &DatabaseConnection) -> anyhow::Result<String> {
    let rows = copy
        .query_all_raw(Statement::from_string(
            copy.get_database_backend(),
            "PRAGMA integrity_check",
        ))
        .await
        .context("the copy is not a readable SQLite database")?;
    let verdicts: Vec<String> = rows
        .iter()
        .filter_map(|r| r.try_get_by_index::<String>(0).ok())
        .collect();
    if verdicts != ["ok"] {
        bail!(
            "the copy fails SQLite's integrity check: {}",
            verdicts.first().map_or("no answer", String::as_str)
        );
    }
    let applied = applied_migrations(copy, "the copy").await?;
    known_schema(
        &applied,
        "the backup",
        "restore it with the Patron release that made it, or a later one",
    )
}

/// The migrations applied to a database, oldest first, read from sea-orm's own table. (The
/// migrator refuses to list a schema with a migration it lacks; this reads a newer build's
/// schema too, so that it can be refused by name.)
async fn applied_migrations(db: &DatabaseConnection, what: &str) -> anyhow::Result<Vec<String>> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT version FROM seaql_migrations ORDER BY version",
        ))
        .await
        .with_context(|| format!("{what} has no Patron schema"))?;
    rows.iter()
        .map(|r| Ok(r.try_get_by_index::<String>(0)?))
        .collect()
}

/// The schema version (the newest applied migration) when every applied migration is one this
/// build knows; otherwise the schema is newer than this build, and refused.
fn known_schema(applied: &[String], what: &str, advice: &str) -> anyhow::Result<String> {
    let known: Vec<String> = Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    if let Some(unknown) = applied.iter().find(|v| !known.contains(v)) {
        bail!(
            "{what}'s schema has a migration this build does not know ({unknown}): it is newer than this build (newest: {}); {advice}",
            migration::latest_known()
        );
    }
    applied
        .last()
        .cloned()
        .with_context(|| format!("{what} has no Patron schema: no migration is applied"))
}

/// SHA-256 (lowercase hex) and size of a file, read in the blocking pool.
async fn checksum(path: &Path) -> anyhow::Result<(String, u64)> {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || -> anyhow::Result<(String, u64)> {
        let mut file =
            File::open(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        let mut bytes = 0u64;
        loop {
            let n = file
                .read(&mut buf)
                .with_context(|| format!("cannot read {}", path.display()))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            bytes += n as u64;
        }
        let hex = hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok((hex, bytes))
    })
    .await
    .context("the checksum task stopped")?
}

/// Writes `bytes` to `path` through a temporary file and a rename, flushed to disk.
fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let partial = with_suffix(path, ".partial");
    let mut file =
        File::create(&partial).with_context(|| format!("cannot write {}", partial.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", partial.display()))?;
    fs::rename(&partial, path).with_context(|| format!("cannot write {}", path.display()))
}

/// Flushes a directory's entries (the renames in it) to disk.
fn sync_dir(file: &Path) -> anyhow::Result<()> {
    let dir = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("cannot flush the folder {}", dir.display()))
}

fn remove_if_present(path: &Path) -> anyhow::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("cannot remove {}", path.display()))
        }
        _ => Ok(()),
    }
}

/// The lock every `server serve` on an SQLite database holds shared while it runs, and a
/// restore takes exclusively: `<database>.lock`.
pub fn lock_path(database: &Path) -> PathBuf {
    with_suffix(database, ".lock")
}

/// Held by a serving process for as long as it runs; released when dropped.
#[derive(Debug)]
pub struct ServingLock(#[allow(dead_code)] File);

/// Takes the lock every command but a restore holds on an SQLite database while it runs
/// (shared: several processes may use one file).
/// `None` for PostgreSQL, which has no file to guard.
pub fn lock_for_serving(target: &DatabaseTarget) -> anyhow::Result<Option<ServingLock>> {
    let DatabaseTarget::Sqlite { path } = target else {
        return Ok(None);
    };
    let file = open_lock(path)?;
    match file.try_lock_shared() {
        Ok(()) => Ok(Some(ServingLock(file))),
        Err(TryLockError::WouldBlock) => bail!(
            "{} is being restored: try again when `server restore` has finished",
            path.display()
        ),
        Err(TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("cannot lock {}", lock_path(path).display()))
        }
    }
}

fn open_lock(database: &Path) -> anyhow::Result<File> {
    let path = lock_path(database);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))
}

/// What a restore did.
#[derive(Debug)]
pub struct Restored {
    /// What the restored backup's manifest said.
    pub manifest: Manifest,
    /// Where the database it replaced now is, if there was one.
    pub kept: Option<PathBuf>,
    /// The checks, the copy and the swap together.
    pub elapsed: Duration,
}

/// Replaces the SQLite database of `target` with the backup `from`, after checking it.
pub async fn restore(
    target: &DatabaseTarget,
    from: &Path,
    now: DateTime<Utc>,
) -> anyhow::Result<Restored> {
    let started = Instant::now();
    let DatabaseTarget::Sqlite { path: database } = target else {
        bail!(
            "`server restore --from` replaces the embedded SQLite database; restore PostgreSQL with pg_restore, then check it with `server restore --check` (README: Backups)"
        );
    };
    if !from.is_file() {
        bail!("there is no backup at {}", from.display());
    }
    let manifest_file = manifest_path(from);
    let text = fs::read(&manifest_file).with_context(|| {
        format!(
            "cannot read {}: restore only what `server backup` wrote, with its manifest beside it",
            manifest_file.display()
        )
    })?;
    let manifest: Manifest = serde_json::from_slice(&text)
        .with_context(|| format!("{} is not a backup manifest", manifest_file.display()))?;
    if manifest.format != MANIFEST_FORMAT || manifest.engine != Engine::Sqlite.as_str() {
        bail!(
            "{} is a manifest this build cannot read (format {}, {})",
            manifest_file.display(),
            manifest.format,
            manifest.engine
        );
    }
    let (sha256, bytes) = checksum(from).await?;
    if sha256 != manifest.sha256 || bytes != manifest.bytes {
        bail!(
            "{} does not match its manifest's checksum: it was changed or cut short after the backup; nothing was restored",
            from.display()
        );
    }
    if !Migrator::migrations()
        .iter()
        .any(|m| m.name() == manifest.schema_version)
    {
        bail!(
            "the backup's schema ({}) is newer than this build knows (newest: {}): restore it with Patron {} or later; nothing was restored",
            manifest.schema_version,
            migration::latest_known(),
            manifest.patron_version
        );
    }

    // No server may run on the database while it is replaced.
    let lock = open_lock(database)?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => bail!(
            "a Patron server is running on {}: stop it first (a restore replaces the database under it); nothing was restored",
            database.display()
        ),
        Err(TryLockError::Error(e)) => {
            return Err(e)
                .with_context(|| format!("cannot lock {}", lock_path(database).display()));
        }
    }

    // Staged beside the database, so the swap is a rename within one file system.
    let staged = with_suffix(database, ".restoring");
    remove_if_present(&staged)?;
    fs::copy(from, &staged)
        .with_context(|| format!("cannot copy {} to {}", from.display(), staged.display()))?;
    let checked = async {
        let copy = open_file(&staged).await?;
        let result = check_copy(&copy).await;
        copy.close()
            .await
            .context("cannot close the restored copy")?;
        result
    }
    .await;
    match checked {
        Ok(version) if version == manifest.schema_version => {}
        Ok(version) => {
            remove_if_present(&staged)?;
            bail!(
                "the backup's schema is {version}, its manifest says {}; nothing was restored",
                manifest.schema_version
            );
        }
        Err(e) => {
            remove_if_present(&staged)?;
            return Err(e);
        }
    }
    File::open(&staged)
        .and_then(|f| f.sync_all())
        .context("cannot flush the restored database to disk")?;

    // The database being replaced is kept under a new name, hard-linked with its journal (a
    // write-ahead log may hold commits not yet in the main file), before anything is removed.
    // Then no journal of the old database is left beside the path: SQLite would play it into
    // the restored file. Last, one rename swaps the restored copy in: the path always names
    // a whole database. A crash midway leaves the old database at the path (without its log,
    // which the kept copy has) and the restore to run again.
    let kept = if database.exists() {
        Some(keep_aside(database, now)?)
    } else {
        None
    };
    for journal in ["-wal", "-shm", "-journal"] {
        remove_if_present(&with_suffix(database, journal))?;
    }
    fs::rename(&staged, database)
        .with_context(|| format!("cannot put the restored database at {}", database.display()))?;
    sync_dir(database)?;
    drop(lock);
    Ok(Restored {
        manifest,
        kept,
        elapsed: started.elapsed(),
    })
}

/// Hard-links `database` and its journals to `<database>.before-restore-<time>` (a new name:
/// never over an earlier kept copy) and returns that name.
fn keep_aside(database: &Path, now: DateTime<Utc>) -> anyhow::Result<PathBuf> {
    let stamp = now.format("%Y%m%dT%H%M%SZ");
    for n in 1..100 {
        let suffix = if n == 1 {
            format!(".before-restore-{stamp}")
        } else {
            format!(".before-restore-{stamp}-{n}")
        };
        let kept = with_suffix(database, &suffix);
        match fs::hard_link(database, &kept) {
            Ok(()) => {
                for journal in ["-wal", "-journal"] {
                    let from = with_suffix(database, journal);
                    if from.exists() {
                        fs::hard_link(&from, with_suffix(&kept, journal)).with_context(|| {
                            format!("cannot keep {} beside the old database", from.display())
                        })?;
                    }
                }
                return Ok(kept);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(e).with_context(|| {
                    format!("cannot keep the current database as {}", kept.display())
                });
            }
        }
    }
    bail!("cannot find a free name to keep the current database under")
}

/// What `server restore --check` found.
#[derive(Debug)]
pub struct Checked {
    /// `sqlite` or `postgres`.
    pub engine: Engine,
    /// The newest applied migration.
    pub schema_version: String,
    /// Migrations this build would still apply.
    pub pending: usize,
    /// Workspaces and customers in the database.
    pub workspaces: i64,
    /// Customers across workspaces.
    pub customers: i64,
}

/// Checks a database (typically one `pg_restore` just filled) can be served by this build:
/// it answers, passes SQLite's integrity check, and has a schema this build knows.
pub async fn check(db: &DatabaseConnection) -> anyhow::Result<Checked> {
    let engine = Engine::of(db);
    if engine == Engine::Sqlite {
        let verdict = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "PRAGMA integrity_check",
            ))
            .await?
            .and_then(|r| r.try_get_by_index::<String>(0).ok());
        if verdict.as_deref() != Some("ok") {
            bail!(
                "the database fails SQLite's integrity check: {}",
                verdict.unwrap_or_default()
            );
        }
    }
    let applied = applied_migrations(db, "the database").await?;
    let version = known_schema(
        &applied,
        "the database",
        "serve it with the Patron release that wrote it, or a later one",
    )?;
    let pending = Migrator::migrations().len().saturating_sub(applied.len());
    let count = |table: &str| {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        async move {
            db.query_one_raw(Statement::from_string(db.get_database_backend(), sql))
                .await?
                .map(|r| r.try_get_by_index::<i64>(0))
                .transpose()?
                .context("the database did not answer a count")
        }
    };
    Ok(Checked {
        engine,
        schema_version: version,
        pending,
        workspaces: count("workspaces").await?,
        customers: count("customers").await?,
    })
}

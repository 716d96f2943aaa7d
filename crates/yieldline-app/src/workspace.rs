//! A workspace: a directory holding `line.toml`, and its store: by default the
//! embedded SQLite file `yieldline.db` in the same directory; with a store URL
//! (`--store URL` or `YIELDLINE_STORE`, `postgres://…`) the workspace's rows in a
//! PostgreSQL database shared by many workspaces, keyed by the URL's `?workspace=NAME`
//! when it has one, else by the workspace directory's canonical absolute path (so two
//! directories never share rows by accident; machines that share one workspace name it
//! with `?workspace=`).

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use yieldline_core::line::Line;
use yieldline_store::{DB_FILE, SqliteStore, Store};
use yieldline_store_postgres::{PgStore, is_postgres_url, redact_url, split_workspace};

use crate::error::{AppError, AppResult};

/// File name of the line definition in a workspace.
pub const LINE_FILE: &str = "line.toml";

/// An open workspace: its validated line and its store.
#[derive(Clone)]
pub struct Workspace {
    /// The workspace directory.
    pub dir: PathBuf,
    /// The validated line.
    pub line: Line,
    /// The store, behind the backend-neutral interface.
    pub store: Arc<dyn Store>,
}

impl std::fmt::Debug for Workspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workspace")
            .field("dir", &self.dir)
            .field("line", &self.line.name)
            .finish()
    }
}

/// The store URL given to this process (`--store`), set once at start.
static STORE_URL: OnceLock<Option<String>> = OnceLock::new();

/// Sets the store URL of every workspace this process opens (`--store URL`); `None`
/// leaves the choice to `YIELDLINE_STORE`, then the embedded file. Only the first call
/// counts.
pub fn set_store_url(url: Option<String>) {
    let _ = STORE_URL.set(url.filter(|u| !u.trim().is_empty()));
}

/// The store URL in force: `--store`, else `YIELDLINE_STORE`, else none (the
/// workspace's `yieldline.db`).
pub fn store_url() -> Option<String> {
    STORE_URL.get().cloned().flatten().or_else(|| {
        std::env::var("YIELDLINE_STORE")
            .ok()
            .filter(|u| !u.trim().is_empty())
    })
}

/// The key of the workspace in `dir` in a shared database (without `?workspace=`): the
/// directory's canonical absolute path.
pub fn workspace_key(dir: &Path) -> AppResult<String> {
    dir.canonicalize()
        .ok()
        .and_then(|p| p.to_str().map(str::to_owned))
        .ok_or_else(|| {
            AppError::invalid(
                "workspace",
                format!(
                    "the workspace directory {} cannot be resolved to a path (as UTF-8) to key it by in the shared store: name the workspace with ?workspace=NAME in the store URL",
                    dir.display()
                ),
            )
        })
}

/// Opens the store of the workspace in `dir`: the one the store URL names, else the
/// embedded `dir/yieldline.db`.
fn open_store(dir: &Path) -> AppResult<Arc<dyn Store>> {
    let Some(url) = store_url() else {
        let db = dir.join(DB_FILE);
        let store = SqliteStore::open(&db).map_err(|e| {
            AppError::from(e).context(format!("cannot open the store {}", db.display()))
        })?;
        return Ok(Arc::new(store));
    };
    if !is_postgres_url(&url) {
        return Err(AppError::invalid(
            "store",
            format!(
                "store {}: not a PostgreSQL URL (postgres://USER@HOST:PORT/DATABASE); leave --store and YIELDLINE_STORE out for the workspace's own {DB_FILE}",
                redact_url(&url)
            ),
        ));
    }
    let (conn, key) = split_workspace(&url);
    let key = match key {
        Some(k) => k,
        None => workspace_key(dir)?,
    };
    let store = PgStore::open(&conn, &key).map_err(|e| {
        AppError::from(e).context(format!(
            "cannot open the store {} (workspace {key})",
            redact_url(&conn)
        ))
    })?;
    Ok(Arc::new(store))
}

impl Workspace {
    /// Opens the workspace in `dir`: reads and validates `line.toml`, opens (creating on
    /// first use) its store: the embedded `dir/yieldline.db`, or the PostgreSQL store
    /// that `--store`/`YIELDLINE_STORE` names (see the module docs).
    pub fn open(dir: &Path) -> AppResult<Self> {
        let line = read_line(dir)?;
        Ok(Self {
            dir: dir.to_owned(),
            line,
            store: open_store(dir)?,
        })
    }

    /// A workspace over a store opened elsewhere.
    pub fn with_store(dir: &Path, line: Line, store: Arc<dyn Store>) -> Self {
        Self {
            dir: dir.to_owned(),
            line,
            store,
        }
    }

    /// The files of this workspace that an output must never overwrite: the line, the
    /// embedded store and its companions.
    pub fn protected_files(&self) -> Vec<PathBuf> {
        let db = self.dir.join(DB_FILE);
        let mut out = vec![self.dir.join(LINE_FILE)];
        for suffix in ["", "-wal", "-shm", "-journal", ".writer"] {
            let mut p = db.as_os_str().to_owned();
            p.push(suffix);
            out.push(PathBuf::from(p));
        }
        out
    }
}

/// Reads and validates `dir/line.toml`.
pub fn read_line(dir: &Path) -> AppResult<Line> {
    let path = dir.join(LINE_FILE);
    if !path.exists() {
        return Err(AppError::not_found(format!(
            "no {LINE_FILE} in {}: run `yieldline init -w {}` to write a template, or `yieldline demo -w DIR` for a demo workspace",
            dir.display(),
            dir.display()
        )));
    }
    let text = std::fs::read_to_string(&path)
        .map_err(|e| AppError::internal(format!("cannot read {}: {e}", path.display())))?;
    Ok(Line::from_toml(&path.display().to_string(), &text)?)
}

/// Refuses an output path that is one of `protected` or `inputs` (the store, its WAL,
/// `line.toml`, or a file the same command reads), however it is spelled.
pub fn check_output(
    option: &str,
    output: &Path,
    protected: &[PathBuf],
    inputs: &[PathBuf],
) -> AppResult<()> {
    let canon = |p: &Path| -> Option<PathBuf> {
        if let Ok(c) = p.canonicalize() {
            return Some(c);
        }
        // Not there yet: its directory, canonical, and its name.
        let parent = p
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        Some(parent.canonicalize().ok()?.join(p.file_name()?))
    };
    let Some(out) = canon(output) else {
        return Ok(());
    };
    let same = |p: &PathBuf| canon(p).is_some_and(|c| c == out);
    if protected.iter().any(same) {
        return Err(AppError::invalid(
            option,
            format!(
                "{option} {}: that is one of the workspace's own files (the store or line.toml); write elsewhere",
                output.display()
            ),
        ));
    }
    if inputs.iter().any(same) {
        return Err(AppError::invalid(
            option,
            format!(
                "{option} {}: that is an input of this command; write elsewhere",
                output.display()
            ),
        ));
    }
    Ok(())
}

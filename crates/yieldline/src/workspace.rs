//! A workspace: a directory holding `line.toml` and the store `yieldline.db`.

use std::path::Path;

use anyhow::{Context, Result, bail};
use yieldline_core::line::Line;
use yieldline_store::{DB_FILE, SqliteStore};

/// File name of the line definition in a workspace.
pub const LINE_FILE: &str = "line.toml";

/// An open workspace.
pub struct Workspace {
    /// The validated line.
    pub line: Line,
    /// The store.
    pub store: SqliteStore,
}

impl Workspace {
    /// Opens the workspace in `dir`: reads and validates `line.toml`, opens (creating on
    /// first use) the store.
    pub fn open(dir: &Path) -> Result<Self> {
        let line = read_line(dir)?;
        let db = dir.join(DB_FILE);
        let store = SqliteStore::open(&db)
            .with_context(|| format!("cannot open the store {}", db.display()))?;
        Ok(Self { line, store })
    }
}

/// Reads and validates `dir/line.toml`.
pub fn read_line(dir: &Path) -> Result<Line> {
    let path = dir.join(LINE_FILE);
    if !path.exists() {
        bail!(
            "no {LINE_FILE} in {}: run `yieldline init -w {}` to write a template, or `yieldline demo -w DIR` for a demo workspace",
            dir.display(),
            dir.display()
        );
    }
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(Line::from_toml(&path.display().to_string(), &text)?)
}

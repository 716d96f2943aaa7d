//! `yieldline erase CONTACT_ID|EMAIL`: the right to be forgotten (DESIGN §12).
//!
//! Removes the person's personal data from the territory and the events in one
//! transaction, keeps every count (so past reports do not change), suppresses the
//! person by salted hash so no later import brings them back, logs the erasure with the
//! hash only, and then compacts the store (WAL checkpoint, `VACUUM`, WAL truncation) so
//! the old bytes are gone from the database files. See `yieldline_store`'s suppression
//! module for the details.

use std::path::Path;

use anyhow::{Result, bail};
use clap::Args;
use yieldline_app::privacy::{self, Erased};

use crate::cmd::suppress::actor;
use crate::workspace::Workspace;

/// Arguments of `yieldline erase`.
#[derive(Debug, Args)]
pub struct EraseArgs {
    /// The person: a contact id or an e-mail address.
    #[arg(value_name = "CONTACT_ID|EMAIL")]
    pub who: String,
    /// Who asks (default: $YIELDLINE_USER, else $USER). Logged.
    #[arg(long, value_name = "WHO")]
    pub by: Option<String>,
    /// Why (e.g. the request's reference). Logged; must not contain personal data
    /// (it is redacted if it names the person).
    #[arg(long, default_value = "erasure request")]
    pub reason: String,
}

/// Erases the person and compacts the store.
pub fn run(dir: &Path, args: &EraseArgs) -> Result<()> {
    let who = args.who.trim();
    if who.is_empty() {
        bail!("name the person to erase: a contact id or an e-mail address");
    }
    let by = actor(args.by.as_deref())?;
    let ws = Workspace::open(dir)?;
    let (erasure, compaction) = match privacy::erase(&ws, who, &by, &args.reason)? {
        Erased::Before(_) => {
            println!(
                "{who:?} was erased before: nothing left to remove; it stays suppressed (store compacted)"
            );
            return Ok(());
        }
        Erased::Now(e, c, files) => {
            for f in &files {
                eprintln!(
                    "warning: {} still names the person: the store no longer does, but this file does (delete or edit it)",
                    f.display()
                );
            }
            (e, c)
        }
    };
    println!(
        "erased: {} territory contact(s) anonymised, {} unit(s) re-keyed, {} event(s) kept without personal data",
        erasure.contacts, erasure.units, erasure.events
    );
    println!("suppressed by hash (so no import brings them back):");
    for h in &erasure.hashes {
        println!("  {h}");
    }
    if compaction.wal_truncated {
        println!("store compacted (VACUUM): the old data is gone from the database files");
    } else {
        eprintln!(
            "warning: another process holds the store open, so its write-ahead log could not be truncated; old pages stay in yieldline.db-wal until its next checkpoint"
        );
    }
    Ok(())
}

//! Yieldline's storage: one SQLite file per workspace (`yieldline.db`), WAL mode,
//! versioned migrations, transactional and idempotent imports.
//!
//! The [`Store`] trait is what the rest of Yieldline relies on: object-safe, backend
//! neutral (no SQLite type in it), reads through `&self` that never write.
//! [`SqliteStore`] is the embedded default; a PostgreSQL backend implements the same
//! trait and runs the same conformance suite (`tests/conformance.rs`).

mod chain;
mod experiments;
mod pages;
mod queries;
mod schema;
pub mod shared;
mod sqlite;
mod suppression;
mod tokens;

use std::collections::HashMap;

use jiff::Timestamp;
use yieldline_core::event::Event;
use yieldline_core::experiment::{ExperimentData, ExperimentDef};
use yieldline_core::line::Line;
use yieldline_core::report::FactLog;
use yieldline_core::suppression::{SuppressionKind, SuppressionList};

pub use queries::UnitRecord;
pub use sqlite::{DEFAULT_LOCK_TIMEOUT_SECS, SqliteStore, lock_timeout};
pub use suppression::{
    Added, Compaction, EraseOutcome, Erasure, IMPORT_ACTOR, SuppressionEntry, SuppressionLogEntry,
};

/// File name of the store inside a workspace directory.
pub const DB_FILE: &str = "yieldline.db";

/// What happened to one record offered to a sink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    /// Stored for the first time.
    New,
    /// Already stored with the same content: nothing changed.
    Duplicate,
    /// Already stored and updated with new attributes (territory only).
    Updated,
    /// Not stored: the record names a person who was erased (territory only).
    Erased,
}

/// Receives validated events inside an import transaction.
pub trait EventSink {
    /// Stores one event. An `event_id` already stored with identical content is a
    /// [`Inserted::Duplicate`]; with different content it is [`StoreError::Conflict`].
    fn insert(&mut self, event: &Event) -> Result<Inserted, StoreError>;
}

/// A territory contact (a person at an account).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contact {
    /// The contact's id.
    pub contact_id: String,
    /// The contact's account.
    pub account_id: String,
    /// Fit tier: 1 best.
    pub fit_tier: Option<u8>,
    /// Given name (personal data).
    pub first_name: Option<String>,
    /// Family name (personal data).
    pub last_name: Option<String>,
    /// E-mail address (personal data).
    pub email: Option<String>,
    /// Job title (personal data).
    pub title: Option<String>,
}

/// Receives territory contacts inside an import transaction.
pub trait ContactSink {
    /// Stores or updates one contact.
    fn upsert(&mut self, contact: &Contact) -> Result<Inserted, StoreError>;
}

/// Counts of one import, kept in the store's import log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportRecord {
    /// `events` or `territory`.
    pub kind: String,
    /// The file imported.
    pub source: String,
    /// Records read.
    pub read: u64,
    /// Records stored for the first time.
    pub imported: u64,
    /// Records already stored unchanged.
    pub duplicates: u64,
    /// Records updated (territory).
    pub updated: u64,
    /// Records rejected (with `--skip-bad`).
    pub rejected: u64,
    /// Records skipped because they name an erased person (territory; not kept in the
    /// store's import log).
    pub erased: u64,
}

/// Store-level failures.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database reported an error (the backend's message).
    #[error("database error: {0}")]
    Backend(String),
    /// Another writer held the store's write lock for longer than the lock timeout.
    #[error(
        "the store is busy: another writer held its write lock{}{}; try again when it is done (the timeout is set by YIELDLINE_LOCK_TIMEOUT, in seconds)",
        if *waited_seconds > 0 { format!(" for more than {waited_seconds} s") } else { String::new() },
        holder.as_deref().map(|h| format!(" ({h})")).unwrap_or_default()
    )]
    Busy {
        /// Seconds waited (0 when SQLite refused without waiting).
        waited_seconds: u64,
        /// What holds the lock, when it is known (process, command, since when).
        holder: Option<String>,
    },
    /// An event id is already stored with different content.
    #[error("event_id {event_id:?} is already stored with different content")]
    Conflict {
        /// The event id.
        event_id: String,
    },
    /// The store was written by a newer Yieldline.
    #[error(
        "the store's schema version {found} is newer than this Yieldline understands ({supported}): use a newer yieldline"
    )]
    TooNew {
        /// Version found in the file.
        found: i64,
        /// Latest version known.
        supported: i64,
    },
    /// Something stored is not what Yieldline wrote.
    #[error("corrupt store: {0}")]
    Corrupt(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                Self::Busy {
                    waited_seconds: 0,
                    holder: None,
                }
            }
            _ => Self::Backend(e.to_string()),
        }
    }
}

/// A stored API token: its name, role and the hash of its secret (never the secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    /// The token's name (unique in the workspace).
    pub name: String,
    /// Its role (`viewer`, `analyst` or `admin`; the application layer decides).
    pub role: String,
    /// The hash of its secret (lower-case hex).
    pub hash: String,
    /// When it was created (RFC 3339, UTC).
    pub created_at: String,
    /// Who created it.
    pub created_by: String,
}

/// What an import's fill function tells the store at its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Keep everything the fill stored.
    Commit,
    /// Leave the store as it was before the transaction.
    Rollback,
}

/// One finished import, as kept in the store's import history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportLogEntry {
    /// When it finished (RFC 3339, UTC).
    pub at: String,
    /// Its counts.
    pub record: ImportRecord,
}

/// What the analyses read together, from one consistent snapshot of the store.
#[derive(Debug)]
pub struct Snapshot {
    /// The event log as facts.
    pub log: FactLog,
    /// The territory's unit ids (see [`Store::territory_units`]).
    pub territory: Vec<u32>,
    /// The unit directory, when asked for (see [`Store::unit_directory`]).
    pub directory: Option<Vec<UnitRecord>>,
}

/// Everything Yieldline needs from a workspace store, whatever the backend.
///
/// Object-safe (used as `dyn Store`) and shareable between threads. Reads take `&self`,
/// never write, and may run at the same time as each other and as a write; writes take
/// `&self` too and queue behind each other (within a bounded, documented lock timeout).
/// The generic conveniences are in [`StoreExt`].
pub trait Store: Send + Sync {
    // -- events and facts ------------------------------------------------------------

    /// Runs `fill` inside one write transaction that receives events; commits when it
    /// returns [`Decision::Commit`], else rolls back, leaving the store as before.
    fn write_events(
        &self,
        fill: &mut dyn FnMut(&mut dyn EventSink) -> Result<Decision, StoreError>,
    ) -> Result<(), StoreError>;

    /// Runs `fill` inside one write transaction that receives territory contacts.
    fn write_territory(
        &self,
        fill: &mut dyn FnMut(&mut dyn ContactSink) -> Result<Decision, StoreError>,
    ) -> Result<(), StoreError>;

    /// Appends a finished import to the store's import history.
    fn log_import(&self, record: &ImportRecord) -> Result<(), StoreError>;

    /// The import history, oldest first.
    fn imports(&self) -> Result<Vec<ImportLogEntry>, StoreError>;

    /// The whole event log, reduced to facts and ordered for pairing.
    fn load_log(&self, line: &Line) -> Result<FactLog, StoreError>;

    /// The log, the territory's units and (when `directory`) the unit directory, read
    /// from one consistent snapshot, so their unit ids agree even while an import runs.
    fn snapshot(&self, line: &Line, directory: bool) -> Result<Snapshot, StoreError>;

    /// Ids of the territory's units (contacts, or accounts when the line's unit is the
    /// account), in the id space of [`Store::load_log`] and [`Store::unit_directory`]:
    /// a territory unit that no event names yet gets an id past every interned one.
    fn territory_units(&self, line: &Line) -> Result<Vec<u32>, StoreError>;

    /// The unit directory, indexed by unit id (`dir[fact.unit]` describes a fact's
    /// unit), territory units without events included (see [`Store::territory_units`]).
    fn unit_directory(&self, line: &Line) -> Result<Vec<UnitRecord>, StoreError>;

    /// Number of events stored.
    fn event_count(&self) -> Result<u64, StoreError>;

    /// Number of territory contacts stored.
    fn contact_count(&self) -> Result<u64, StoreError>;

    /// Every territory contact with its attributes, ordered by contact id.
    fn territory_contacts(&self) -> Result<Vec<Contact>, StoreError>;

    /// The accounts of territory contacts, for those of `contact_ids` that are known.
    fn contact_accounts(
        &self,
        contact_ids: &[String],
    ) -> Result<HashMap<String, String>, StoreError>;

    /// Station ids that stored events name (whether or not the line still has them),
    /// with their event counts.
    fn stored_stations(&self) -> Result<Vec<(String, u64)>, StoreError>;

    /// A number that changes whenever anything stored changes (for caches of results).
    fn generation(&self) -> Result<u64, StoreError>;

    // -- experiments -----------------------------------------------------------------

    /// Stores a new experiment; `false` (nothing changed) when its id is taken.
    fn insert_experiment(&self, def: &ExperimentDef) -> Result<bool, StoreError>;

    /// Replaces an existing experiment's definition; `false` when there is none.
    fn update_experiment(&self, def: &ExperimentDef) -> Result<bool, StoreError>;

    /// The experiment with this id, if any.
    fn experiment(&self, id: &str) -> Result<Option<ExperimentDef>, StoreError>;

    /// Every experiment, by start then id.
    fn experiments(&self) -> Result<Vec<ExperimentDef>, StoreError>;

    /// What the analysis of `def` as of `as_of` needs: the arm-tagged events at its
    /// station in `[start, min(stop, as_of))`, and every `passed`, `optout` and `failed`
    /// event before `as_of` of the units among them, at any station (the analysis
    /// decides which failures count).
    fn experiment_data(
        &self,
        def: &ExperimentDef,
        as_of: Timestamp,
    ) -> Result<ExperimentData, StoreError>;

    // -- suppression and erasure -----------------------------------------------------

    /// Everything suppressed, for dispatch.
    fn suppression_list(&self) -> Result<SuppressionList, StoreError>;

    /// Every suppression entry, ordered by kind then target.
    fn suppression_entries(&self) -> Result<Vec<SuppressionEntry>, StoreError>;

    /// The suppression log, oldest first.
    fn suppression_log(&self) -> Result<Vec<SuppressionLogEntry>, StoreError>;

    /// Suppresses `target` (already canonical), recording who and why; an existing
    /// entry is kept unchanged.
    fn suppress(
        &self,
        kind: SuppressionKind,
        target: &str,
        by: &str,
        reason: &str,
    ) -> Result<Added, StoreError>;

    /// Removes an entry and logs the removal; `None` when there was no such entry.
    fn unsuppress(
        &self,
        kind: SuppressionKind,
        target: &str,
        by: &str,
        reason: &str,
    ) -> Result<Option<SuppressionEntry>, StoreError>;

    /// Erases the person with contact id or e-mail `who`, in one transaction.
    fn erase(&self, who: &str, by: &str, reason: &str) -> Result<EraseOutcome, StoreError>;

    /// Purges deleted data from the backend's files (after an erasure).
    fn compact(&self) -> Result<Compaction, StoreError>;

    /// Removes the event `event_id` (a mistaken one), logging who, when and why; `None`
    /// when no event has that id. Returns the station and instant it had.
    fn remove_event(
        &self,
        event_id: &str,
        by: &str,
        reason: &str,
    ) -> Result<Option<(String, Timestamp)>, StoreError>;

    /// What is wrong with the store's own records, in words (empty when nothing is):
    /// a broken suppression-log chain, a suppression without its log entry or one the
    /// log says is in force but is missing, and the backend's own integrity check.
    fn integrity(&self) -> Result<Vec<String>, StoreError>;

    // -- API tokens ------------------------------------------------------------------

    /// Stores a new API token (its secret's hash only); `false` (nothing changed) when
    /// its name or hash is taken.
    fn insert_token(
        &self,
        name: &str,
        role: &str,
        hash: &str,
        by: &str,
    ) -> Result<bool, StoreError>;

    /// Every API token, by name.
    fn tokens(&self) -> Result<Vec<TokenRecord>, StoreError>;

    /// Removes the API token `name`; `false` when there is none.
    fn revoke_token(&self, name: &str) -> Result<bool, StoreError>;

    /// The API token whose secret hashes to `hash`, if any (a read: it never writes).
    fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRecord>, StoreError>;
}

/// The body of a [`StoreExt`] method: adapts a typed, fallible `fill` to the store's
/// commit-or-rollback callback (`$write`), committing when `fill` returns `Ok`.
macro_rules! run_once {
    ($store:expr, $write:ident, $fill:expr) => {{
        let mut fill = Some($fill);
        let mut result = None;
        $store.$write(&mut |sink| {
            let Some(f) = fill.take() else {
                return Ok(Decision::Rollback);
            };
            let r = f(sink);
            let decision = if r.is_ok() {
                Decision::Commit
            } else {
                Decision::Rollback
            };
            result = Some(r);
            Ok(decision)
        })?;
        result.unwrap_or_else(|| Err(StoreError::Corrupt("the import did not run".into()).into()))
    }};
}

/// Generic conveniences over any [`Store`] (also `dyn Store`).
pub trait StoreExt: Store {
    /// Runs `fill` in one transaction that receives events: committed if it returns
    /// `Ok`, rolled back (the store as before) if it returns `Err`.
    fn import_events<T, E: From<StoreError>>(
        &self,
        fill: impl FnOnce(&mut dyn EventSink) -> Result<T, E>,
    ) -> Result<T, E> {
        run_once!(self, write_events, fill)
    }

    /// Runs `fill` in one transaction that receives territory contacts.
    fn import_territory<T, E: From<StoreError>>(
        &self,
        fill: impl FnOnce(&mut dyn ContactSink) -> Result<T, E>,
    ) -> Result<T, E> {
        run_once!(self, write_territory, fill)
    }

    /// Stores an experiment, replacing any with the same id.
    fn put_experiment(&self, def: &ExperimentDef) -> Result<(), StoreError> {
        if !self.update_experiment(def)? {
            self.insert_experiment(def)?;
        }
        Ok(())
    }
}

impl<S: Store + ?Sized> StoreExt for S {}

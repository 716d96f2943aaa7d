//! Yieldline's storage: one SQLite file per workspace (`yieldline.db`), WAL mode,
//! versioned migrations, transactional and idempotent imports.
//!
//! The [`Store`] trait is what the rest of Yieldline relies on; [`SqliteStore`] is the
//! embedded default. A PostgreSQL backend implements the same trait.

mod experiments;
mod pages;
mod queries;
mod schema;
mod sqlite;
mod suppression;

use yieldline_core::event::Event;
use yieldline_core::line::Line;
use yieldline_core::report::FactLog;

pub use queries::UnitRecord;
pub use sqlite::SqliteStore;
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
    /// The database reported an error.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// An event id is already stored with different content.
    #[error("event_id {event_id:?} is already stored with different content")]
    Conflict {
        /// The event id.
        event_id: String,
    },
    /// The store was written by a newer Yieldline.
    #[error(
        "the store's schema version {found} is newer than this Yieldline understands ({supported})"
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

/// The operations Yieldline needs from a workspace store.
pub trait Store {
    /// Runs `fill` inside one transaction that receives events; commits if it returns
    /// `Ok`, rolls back (leaving the store as before) if it returns `Err`.
    fn import_events<T, E: From<StoreError>>(
        &mut self,
        fill: impl FnOnce(&mut dyn EventSink) -> Result<T, E>,
    ) -> Result<T, E>;

    /// Runs `fill` inside one transaction that receives territory contacts.
    fn import_territory<T, E: From<StoreError>>(
        &mut self,
        fill: impl FnOnce(&mut dyn ContactSink) -> Result<T, E>,
    ) -> Result<T, E>;

    /// Appends a finished import to the store's import log.
    fn log_import(&mut self, record: &ImportRecord) -> Result<(), StoreError>;

    /// The whole event log, reduced to facts and ordered for pairing.
    fn load_log(&self, line: &Line) -> Result<FactLog, StoreError>;

    /// Interned ids of the territory's units (contacts, or accounts when the line's
    /// unit is the account).
    fn territory_units(&mut self, line: &Line) -> Result<Vec<u32>, StoreError>;

    /// Number of events stored.
    fn event_count(&self) -> Result<u64, StoreError>;

    /// Number of territory contacts stored.
    fn contact_count(&self) -> Result<u64, StoreError>;
}

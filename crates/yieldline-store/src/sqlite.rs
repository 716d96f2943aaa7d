//! The embedded SQLite store.
//!
//! # Concurrency
//! One writer at a time, many readers at once (WAL mode). Every write runs in a
//! `BEGIN IMMEDIATE` transaction on the store's one write connection: writers of this
//! process queue on a mutex, writers of other processes wait for SQLite's write lock
//! for at most [`lock_timeout`] (default 600 s, `YIELDLINE_LOCK_TIMEOUT` seconds), and a
//! timeout names the holder (the note `yieldline.db.writer` that each writer leaves
//! beside the file while it holds the lock). Reads run on read-only connections from a
//! small pool, inside one read transaction each (a consistent snapshot), and never
//! write, so they never wait for a writer.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::types::ValueRef;
use rusqlite::{
    Connection, OpenFlags, OptionalExtension, Statement, Transaction, TransactionBehavior, params,
};
use yieldline_core::event::{Event, EventKind};
use yieldline_core::facts::flags_of;
use yieldline_core::line::{Line, UnitKind};
use yieldline_core::report::{Fact, FactLog, NO_STATION};

use crate::pages::{PageWriter, RawFact};
use crate::schema::MIGRATIONS;
use crate::{
    Contact, ContactSink, Decision, EventSink, ImportLogEntry, ImportRecord, Inserted, Snapshot,
    Store, StoreError, UnitRecord,
};

/// Page cache of a connection, KiB (negative: SQLite's "KiB" unit).
const CACHE_KIB: i64 = 131_072;
/// Page cache while importing events: the `event_id` index of a large log is probed and
/// updated at random, and keeping it in memory is what keeps the import fast.
const IMPORT_CACHE_KIB: i64 = 524_288;
/// Page cache of the extra connections that scan the log in parallel (sequential reads
/// gain nothing from a cache).
const SCAN_CACHE_KIB: i64 = 8_192;
/// Below this many events, the log is read on one connection.
const PARALLEL_SCAN_MIN: i64 = if cfg!(test) { 1_000 } else { 200_000 };
/// Idle read connections kept for reuse.
const READER_POOL: usize = 8;
/// Default of [`lock_timeout`], seconds.
pub const DEFAULT_LOCK_TIMEOUT_SECS: u64 = 600;

/// How long a writer waits for another process's write lock: `YIELDLINE_LOCK_TIMEOUT`
/// seconds (1 to 86,400), else [`DEFAULT_LOCK_TIMEOUT_SECS`].
pub fn lock_timeout() -> Duration {
    let secs = std::env::var("YIELDLINE_LOCK_TIMEOUT")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|s| (1..=86_400).contains(s))
        .unwrap_or(DEFAULT_LOCK_TIMEOUT_SECS);
    Duration::from_secs(secs)
}

/// A workspace store in one SQLite file.
pub struct SqliteStore {
    path: Option<PathBuf>,
    // Fields drop in this order: the pooled read-only readers close before the writer,
    // so the last connection to close can checkpoint the WAL into the file.
    readers: Mutex<Vec<Connection>>,
    writer: Mutex<Connection>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish()
    }
}

impl SqliteStore {
    /// Opens (creating and migrating if needed) the store at `path`.
    ///
    /// Several processes may open a new store at once: switching a new file to WAL mode
    /// and migrating it take locks that SQLite may refuse without waiting, so a busy
    /// open is retried until the lock timeout.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let started = std::time::Instant::now();
        let mut pause = Duration::from_millis(10);
        loop {
            let attempt = Connection::open(path)
                .map_err(StoreError::from)
                .and_then(|conn| Self::init(conn, Some(path.to_owned())));
            match attempt {
                Err(StoreError::Busy { holder, .. }) => {
                    if started.elapsed() >= lock_timeout() {
                        return Err(StoreError::Busy {
                            waited_seconds: started.elapsed().as_secs(),
                            holder,
                        });
                    }
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(500));
                }
                other => return other,
            }
        }
    }

    /// An empty store in memory (for tests and simulations).
    pub fn open_in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory()?, None)
    }

    fn init(conn: Connection, path: Option<PathBuf>) -> Result<Self, StoreError> {
        conn.busy_timeout(lock_timeout())?;
        if path.is_some() {
            let mode: String =
                conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(StoreError::Backend(format!(
                    "cannot switch the store to WAL mode (it is in {mode} mode)"
                )));
            }
        }
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        conn.pragma_update(None, "cache_size", -CACHE_KIB)?; // 128 MiB
        let store = Self {
            path,
            writer: Mutex::new(conn),
            readers: Mutex::new(Vec::new()),
        };
        store.migrate()?;
        Ok(store)
    }

    /// The file this store lives in (None in memory).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The schema version of the open store.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.read(|c| Ok(c.pragma_query_value(None, "user_version", |r| r.get(0))?))
    }

    fn migrate(&self) -> Result<(), StoreError> {
        let latest = MIGRATIONS.len() as i64;
        loop {
            let done = self.write(|tx| {
                let current: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
                if current > latest {
                    return Err(StoreError::TooNew {
                        found: current,
                        supported: latest,
                    });
                }
                if current < 0 {
                    return Err(StoreError::Corrupt(format!(
                        "the store's schema version is {current}: the file was changed outside Yieldline; restore it from a backup"
                    )));
                }
                if current == latest {
                    return Ok(true);
                }
                let i = current as usize;
                tx.execute_batch(MIGRATIONS[i]).map_err(|e| {
                    StoreError::Corrupt(format!(
                        "the store says it is at schema version {current}, but migration {} does not apply to it ({e}): the file was changed outside Yieldline; restore it from a backup",
                        i + 1
                    ))
                })?;
                if i + 1 == crate::pages::MIGRATION {
                    crate::pages::rebuild(tx)?;
                }
                if i + 1 == crate::chain::MIGRATION {
                    crate::chain::rebuild(tx)?;
                }
                tx.pragma_update(None, "user_version", i as i64 + 1)?;
                Ok(false)
            })?;
            if done {
                return Ok(());
            }
        }
    }

    /// Runs `f` on a read-only connection inside one read transaction (a consistent
    /// snapshot). In memory, on the one connection.
    pub(crate) fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let Some(path) = &self.path else {
            let conn = self.lock_writer();
            let tx = conn.unchecked_transaction()?;
            let v = f(&tx)?;
            tx.finish()?;
            return Ok(v);
        };
        let pooled = self.lock_readers().pop();
        let conn = match pooled {
            Some(c) => c,
            None => {
                let c = Connection::open_with_flags(
                    path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                c.busy_timeout(Duration::from_secs(30))?;
                c.pragma_update(None, "cache_size", -CACHE_KIB)?;
                c
            }
        };
        let result = (|| {
            let tx = conn.unchecked_transaction()?;
            let v = f(&tx)?;
            tx.finish()?;
            Ok(v)
        })();
        let mut pool = self.lock_readers();
        if pool.len() < READER_POOL {
            pool.push(conn);
        }
        result
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` write transaction: committed if it returns
    /// `Ok`, rolled back if not. Bumps the store's generation.
    pub(crate) fn write<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.write_with(|tx| f(tx).map(|v| (v, Decision::Commit)))
    }

    /// As [`Self::write`], with the caller deciding to commit or roll back.
    fn write_with<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<(T, Decision), StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.lock_writer();
        let tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
            Ok(tx) => tx,
            Err(e) => return Err(self.busy_holder(StoreError::from(e))),
        };
        let note = self.path.as_deref().map(WriterNote::leave);
        let result = f(&tx);
        let out = match result {
            Ok((v, Decision::Commit)) => {
                bump_generation(&tx)?;
                tx.commit()?;
                Ok(v)
            }
            Ok((v, Decision::Rollback)) => {
                tx.rollback()?;
                Ok(v)
            }
            Err(e) => {
                tx.rollback()?;
                Err(e)
            }
        };
        drop(note);
        out
    }

    fn lock_writer(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves no transaction open (the transaction
        // guard rolls back on drop), so the connection is still usable.
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn lock_readers(&self) -> MutexGuard<'_, Vec<Connection>> {
        self.readers.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds what is known of the lock's holder to a busy error.
    fn busy_holder(&self, e: StoreError) -> StoreError {
        match (e, &self.path) {
            // BEGIN IMMEDIATE fails busy only once the busy handler has waited the
            // whole lock timeout.
            (StoreError::Busy { .. }, Some(path)) => StoreError::Busy {
                waited_seconds: lock_timeout().as_secs(),
                holder: WriterNote::read(path),
            },
            (e, _) => e,
        }
    }

    /// The underlying write connection (tests of this crate only).
    #[cfg(test)]
    pub(crate) fn connection(&self) -> MutexGuard<'_, Connection> {
        self.lock_writer()
    }
}

/// Increments the store's generation (migration 6) inside a write transaction.
fn bump_generation(tx: &Transaction<'_>) -> Result<(), StoreError> {
    let has_meta: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'store_meta')",
        [],
        |r| r.get(0),
    )?;
    if has_meta {
        tx.prepare_cached("UPDATE store_meta SET generation = generation + 1 WHERE id = 1")?
            .execute([])?;
    }
    Ok(())
}

/// The note a writer leaves beside the store while it holds the write lock, so that a
/// writer that times out can say who holds it. Removed when the write ends.
struct WriterNote {
    path: PathBuf,
}

impl WriterNote {
    fn note_path(db: &Path) -> PathBuf {
        let mut p = db.as_os_str().to_owned();
        p.push(".writer");
        PathBuf::from(p)
    }

    fn leave(db: &Path) -> Self {
        let path = Self::note_path(db);
        let command: Vec<String> = std::env::args().collect();
        let text = format!(
            "process {} (`{}`) since {}\n",
            std::process::id(),
            command.join(" "),
            jiff::Timestamp::now()
                .round(jiff::Unit::Second)
                .unwrap_or(jiff::Timestamp::now())
        );
        // Best effort: the note only improves an error message.
        let _ = std::fs::write(&path, text);
        Self { path }
    }

    fn read(db: &Path) -> Option<String> {
        let text = std::fs::read_to_string(Self::note_path(db)).ok()?;
        let line = text.lines().next()?.trim().to_owned();
        (!line.is_empty()).then(|| format!("held by {line}"))
    }
}

impl Drop for WriterNote {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Ids of `event_id`s for the given sequence numbers.
fn event_ids(conn: &Connection, seqs: &[i64]) -> Result<HashMap<i64, String>, StoreError> {
    let mut stmt = conn.prepare_cached("SELECT event_id FROM events WHERE seq = ?1")?;
    let mut out = HashMap::with_capacity(seqs.len());
    for &seq in seqs {
        let id: String = stmt.query_row([seq], |r| r.get(0))?;
        out.insert(seq, id);
    }
    Ok(out)
}

/// Station dictionary ids mapped to the line's station indices.
pub(crate) fn station_map(conn: &Connection, line: &Line) -> Result<HashMap<i64, u16>, StoreError> {
    let mut stmt = conn.prepare("SELECT id, name FROM stations")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
    let mut map = HashMap::new();
    for row in rows {
        let (id, name) = row?;
        let idx = line
            .station_index(&name)
            .and_then(|i| u16::try_from(i).ok())
            .unwrap_or(NO_STATION);
        map.insert(id, idx);
    }
    Ok(map)
}

/// The normalised content of an event, hashed to tell duplicates from conflicts.
///
/// The bytes hashed must never change (stored digests are compared with new ones):
/// numbers and dates are written with `Display`, exactly as `to_string` would.
fn digest(e: &Event, buf: &mut Vec<u8>) -> i64 {
    use std::io::Write as _;
    const SEP: u8 = 0x1f;
    buf.clear();
    let put = |buf: &mut Vec<u8>, s: &str| {
        buf.extend_from_slice(s.as_bytes());
        buf.push(SEP);
    };
    // Writing into a Vec cannot fail.
    let _ = write!(
        buf,
        "{}\u{1f}{}\u{1f}",
        e.ts.as_microsecond(),
        e.offset_seconds
    );
    put(buf, &e.unit_id);
    put(buf, &e.account_id);
    put(buf, &e.station);
    put(buf, e.kind.as_str());
    put(buf, e.reason.as_deref().unwrap_or(""));
    if let Some(d) = e.resume_on {
        let _ = write!(buf, "{d}");
    }
    buf.push(SEP);
    put(buf, e.referral_unit_id.as_deref().unwrap_or(""));
    put(buf, e.channel.map(|c| c.as_str()).unwrap_or(""));
    put(buf, e.operator_id.as_deref().unwrap_or(""));
    put(buf, e.operator_kind.map(|o| o.as_str()).unwrap_or(""));
    put(buf, e.arm.as_deref().unwrap_or(""));
    if let Some(c) = e.cost_minutes {
        let _ = write!(buf, "{}", c.to_bits());
    }
    buf.push(SEP);
    xxhash_rust::xxh3::xxh3_64(buf) as i64
}

/// The digest as it was first written (allocating), kept to check the fast one.
#[cfg(test)]
fn digest_reference(e: &Event, buf: &mut Vec<u8>) -> i64 {
    buf.clear();
    let mut put = |s: &str| {
        buf.extend_from_slice(s.as_bytes());
        buf.push(0x1f);
    };
    put(&e.ts.as_microsecond().to_string());
    put(&e.offset_seconds.to_string());
    put(&e.unit_id);
    put(&e.account_id);
    put(&e.station);
    put(e.kind.as_str());
    put(e.reason.as_deref().unwrap_or(""));
    put(&e.resume_on.map(|d| d.to_string()).unwrap_or_default());
    put(e.referral_unit_id.as_deref().unwrap_or(""));
    put(e.channel.map(|c| c.as_str()).unwrap_or(""));
    put(e.operator_id.as_deref().unwrap_or(""));
    put(e.operator_kind.map(|o| o.as_str()).unwrap_or(""));
    put(e.arm.as_deref().unwrap_or(""));
    put(&e
        .cost_minutes
        .map(|c| c.to_bits().to_string())
        .unwrap_or_default());
    xxhash_rust::xxh3::xxh3_64(buf) as i64
}

/// Interned keys already seen in this import (xxh3-hashed: faster than SipHash on the
/// million-key maps of a large import).
type KeyCache = HashMap<Box<str>, i64, xxhash_rust::xxh3::Xxh3DefaultBuilder>;

struct SqliteEventSink<'t> {
    insert: Statement<'t>,
    /// The stored content of an event id, compared field by field on a re-import.
    stored: Statement<'t>,
    intern_unit: Statement<'t>,
    intern_account: Statement<'t>,
    intern_station: Statement<'t>,
    set_unit_account: Statement<'t>,
    units: KeyCache,
    /// The account last written on each unit's row in this import.
    unit_accounts: HashMap<i64, i64, xxhash_rust::xxh3::Xxh3DefaultBuilder>,
    accounts: KeyCache,
    stations: KeyCache,
    buf: Vec<u8>,
    /// Erased persons and opt-outs (see `crate::suppression`).
    privacy: crate::suppression::EventPrivacy<'t>,
    /// The new events' facts, for the fact cache.
    pages: PageWriter<'t>,
    tx: &'t Transaction<'t>,
}

impl<'t> SqliteEventSink<'t> {
    fn new(tx: &'t Transaction<'t>) -> Result<Self, StoreError> {
        Ok(Self {
            insert: tx.prepare(
                "INSERT INTO events (event_id, digest, ts, ts_offset, unit, account, station, kind, flags,
                    reason, resume_on, referral_unit, channel, operator_id, operator_kind, arm, cost_minutes)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)
                 ON CONFLICT (event_id) DO NOTHING",
            )?,
            stored: tx.prepare(
                "SELECT digest, ts, ts_offset, unit, account, station, kind, reason, resume_on,
                    referral_unit, channel, operator_id, operator_kind, arm, cost_minutes
                 FROM events WHERE event_id = ?1",
            )?,
            intern_unit: tx.prepare(
                "INSERT INTO units (key) VALUES (?1) ON CONFLICT (key) DO UPDATE SET key = excluded.key RETURNING id",
            )?,
            intern_account: tx.prepare(
                "INSERT INTO accounts (key) VALUES (?1) ON CONFLICT (key) DO UPDATE SET key = excluded.key RETURNING id",
            )?,
            intern_station: tx.prepare(
                "INSERT INTO stations (name) VALUES (?1) ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id",
            )?,
            set_unit_account: tx.prepare("UPDATE units SET account = ?2 WHERE id = ?1")?,
            units: KeyCache::default(),
            unit_accounts: HashMap::default(),
            accounts: KeyCache::default(),
            stations: KeyCache::default(),
            buf: Vec::with_capacity(256),
            privacy: crate::suppression::EventPrivacy::new(tx)?,
            pages: PageWriter::new(tx)?,
            tx,
        })
    }
}

fn intern(cache: &mut KeyCache, stmt: &mut Statement<'_>, key: &str) -> Result<i64, StoreError> {
    if let Some(&id) = cache.get(key) {
        return Ok(id);
    }
    let id: i64 = stmt.query_row([key], |r| r.get(0))?;
    cache.insert(key.into(), id);
    Ok(id)
}

impl EventSink for SqliteEventSink<'_> {
    fn insert(&mut self, e: &Event) -> Result<Inserted, StoreError> {
        let unit = if self.privacy.has_erasures() && !self.units.contains_key(e.unit_id.as_str()) {
            // An erased person's events are stored under their anonymous key, never the id.
            let key = self.privacy.unit_key(&e.unit_id);
            let id = intern(&mut self.units, &mut self.intern_unit, &key)?;
            self.privacy.note_unit(id, &key);
            id
        } else {
            intern(&mut self.units, &mut self.intern_unit, &e.unit_id)?
        };
        let reason = self.privacy.reason(unit, e.reason.as_deref());
        let referral = self.privacy.referral(e.referral_unit_id.as_deref());
        let account = intern(&mut self.accounts, &mut self.intern_account, &e.account_id)?;
        let station = intern(&mut self.stations, &mut self.intern_station, &e.station)?;
        let digest = digest(e, &mut self.buf);
        // Bound one by one (no `&dyn ToSql` array): every parameter, NULLs included, is
        // rebound for each row.
        let st = &mut self.insert;
        st.raw_bind_parameter(1, e.event_id.as_str())?;
        st.raw_bind_parameter(2, digest)?;
        st.raw_bind_parameter(3, e.ts.as_microsecond())?;
        st.raw_bind_parameter(4, e.offset_seconds)?;
        st.raw_bind_parameter(5, unit)?;
        st.raw_bind_parameter(6, account)?;
        st.raw_bind_parameter(7, station)?;
        st.raw_bind_parameter(8, e.kind as u8)?;
        st.raw_bind_parameter(9, flags_of(e))?;
        st.raw_bind_parameter(10, reason)?;
        st.raw_bind_parameter(11, e.resume_on.map(yieldline_core::calendar::epoch_day))?;
        st.raw_bind_parameter(12, referral.as_deref())?;
        st.raw_bind_parameter(13, e.channel.map(|c| c.as_str()))?;
        st.raw_bind_parameter(14, e.operator_id.as_deref())?;
        st.raw_bind_parameter(15, e.operator_kind.map(|o| o.as_str()))?;
        st.raw_bind_parameter(16, e.arm.as_deref())?;
        st.raw_bind_parameter(17, e.cost_minutes)?;
        let changed = st.raw_execute()?;
        if changed == 1 {
            self.pages.push(&RawFact {
                seq: self.tx.last_insert_rowid(),
                ts: e.ts.as_microsecond(),
                unit,
                station,
                kind: e.kind as u8,
                flags: flags_of(e),
                resume_on: e.resume_on.map(yieldline_core::calendar::epoch_day),
                cost_minutes: e.cost_minutes,
            })?;
            self.privacy.on_new(e, unit)?;
            // Each unit's row carries the account of its latest event (dispatch reads it).
            if self.unit_accounts.insert(unit, account) != Some(account) {
                self.set_unit_account.execute([unit, account])?;
            }
            return Ok(Inserted::New);
        }
        // The id is taken: a duplicate only if every stored field equals what this
        // event would have stored (the digest is a quick first filter, never the proof:
        // two different rows can share a digest).
        let resume_on = e.resume_on.map(yieldline_core::calendar::epoch_day);
        let same = self.stored.query_row([&e.event_id], |r| {
            let same = r.get::<_, i64>(0)? == digest
                && r.get::<_, i64>(1)? == e.ts.as_microsecond()
                && r.get::<_, i64>(2)? == i64::from(e.offset_seconds)
                && r.get::<_, i64>(3)? == unit
                && r.get::<_, i64>(4)? == account
                && r.get::<_, i64>(5)? == station
                && r.get::<_, i64>(6)? == i64::from(e.kind as u8)
                && r.get::<_, Option<String>>(7)?.as_deref() == reason
                && r.get::<_, Option<i64>>(8)? == resume_on.map(i64::from)
                && r.get::<_, Option<String>>(9)?.as_deref() == referral.as_deref()
                && r.get::<_, Option<String>>(10)?.as_deref() == e.channel.map(|c| c.as_str())
                && r.get::<_, Option<String>>(11)?.as_deref() == e.operator_id.as_deref()
                && r.get::<_, Option<String>>(12)?.as_deref()
                    == e.operator_kind.map(|o| o.as_str())
                && r.get::<_, Option<String>>(13)?.as_deref() == e.arm.as_deref()
                && r.get::<_, Option<f64>>(14)?.map(f64::to_bits)
                    == e.cost_minutes.map(f64::to_bits);
            Ok(same)
        })?;
        if same {
            Ok(Inserted::Duplicate)
        } else {
            Err(StoreError::Conflict {
                event_id: e.event_id.clone(),
            })
        }
    }
}

struct SqliteContactSink<'t> {
    select: Statement<'t>,
    upsert: Statement<'t>,
    /// Erased persons' hashes: their rows are never stored again.
    erased: yieldline_core::suppression::SuppressionList,
}

type ContactRow = (
    String,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

impl ContactSink for SqliteContactSink<'_> {
    fn upsert(&mut self, c: &Contact) -> Result<Inserted, StoreError> {
        if self.erased.is_erased(&c.contact_id)
            || c.email.as_deref().is_some_and(|e| self.erased.is_erased(e))
        {
            return Ok(Inserted::Erased);
        }
        let existing: Option<ContactRow> = self
            .select
            .query_row([&c.contact_id], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            })
            .optional()?;
        let new_row: ContactRow = (
            c.account_id.clone(),
            c.fit_tier.map(i64::from),
            c.first_name.clone(),
            c.last_name.clone(),
            c.email.clone(),
            c.title.clone(),
        );
        let outcome = match &existing {
            None => Inserted::New,
            Some(row) if *row == new_row => return Ok(Inserted::Duplicate),
            Some(_) => Inserted::Updated,
        };
        self.upsert.execute(params![
            c.contact_id,
            c.account_id,
            c.fit_tier,
            c.first_name,
            c.last_name,
            c.email,
            c.title
        ])?;
        Ok(outcome)
    }
}

impl SqliteStore {
    /// The log's facts with `seq ≤` the snapshot's last one, read on `conn` (inside its
    /// read transaction) and, for a large file-backed log, on extra read connections.
    pub(crate) fn load_facts(&self, conn: &Connection, line: &Line) -> Result<FactLog, StoreError> {
        let stations = StationLookup::new(station_map(conn, line)?);
        // min() and max() of the rowid in separate sub-queries: each is one B-tree probe.
        let (lo, hi): (Option<i64>, Option<i64>) = conn.query_row(
            "SELECT (SELECT min(seq) FROM events), (SELECT max(seq) FROM events)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let (Some(lo), Some(hi)) = (lo, hi) else {
            return FactLog::new(Vec::new(), |seqs| event_ids(conn, seqs));
        };
        if let Some(facts) = crate::pages::load(conn, lo, hi, &stations)? {
            return FactLog::new(facts, |seqs| event_ids(conn, seqs));
        }
        let span = usize::try_from(hi - lo + 1)
            .map_err(|_| StoreError::Corrupt(format!("sequence range {lo}..{hi}")))?;
        // One slot per possible sequence number (rows may be fewer where some were
        // removed); each scanner fills its own part, the gaps are closed afterwards.
        let mut facts = vec![EMPTY_FACT; span];
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(4);
        let parallel = self.path.is_some() && threads > 1 && hi - lo >= PARALLEL_SCAN_MIN;
        let filled = if parallel {
            let path = self.path.as_deref().unwrap_or(Path::new(""));
            let per = span.div_ceil(threads);
            let lens: Vec<usize> = facts.chunks(per).map(<[Fact]>::len).collect();
            let mut parts: Vec<(i64, &mut [Fact])> = Vec::new();
            let mut start = lo;
            for chunk in facts.chunks_mut(per) {
                let len = chunk.len() as i64;
                parts.push((start, chunk));
                start += len;
            }
            let mut iter = parts.into_iter();
            let Some((first_lo, first)) = iter.next() else {
                return Err(StoreError::Corrupt("an empty sequence range".into()));
            };
            std::thread::scope(|scope| {
                let stations = &stations;
                let handles: Vec<_> = iter
                    .map(|(from, out)| {
                        scope.spawn(move || -> Result<usize, StoreError> {
                            let conn = Connection::open_with_flags(
                                path,
                                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                            )?;
                            conn.busy_timeout(Duration::from_secs(30))?;
                            conn.pragma_update(None, "cache_size", -SCAN_CACHE_KIB)?;
                            scan_facts(&conn, from, stations, out)
                        })
                    })
                    .collect();
                let mut filled = vec![scan_facts(conn, first_lo, stations, first)?];
                for h in handles {
                    filled.push(
                        h.join()
                            .map_err(|_| StoreError::Corrupt("a log scanner panicked".into()))??,
                    );
                }
                Ok::<_, StoreError>(filled.into_iter().zip(lens).collect::<Vec<_>>())
            })?
        } else {
            vec![(scan_facts(conn, lo, &stations, &mut facts)?, span)]
        };
        // Close the gaps left by missing sequence numbers.
        let mut write = 0;
        let mut read = 0;
        for (n, len) in filled {
            facts.copy_within(read..read + n, write);
            write += n;
            read += len;
        }
        facts.truncate(write);
        FactLog::new(facts, |seqs| event_ids(conn, seqs))
    }
}

/// The territory's unit keys with their ids: interned ids where an event named the
/// unit, else ids past the largest interned one, in key order (never stored).
pub(crate) fn territory_ids(
    conn: &Connection,
    line: &Line,
) -> Result<Vec<(String, u32)>, StoreError> {
    let column = match line.unit {
        UnitKind::Contact => "contact_id",
        UnitKind::Account => "account_id",
    };
    let max: Option<i64> = conn.query_row("SELECT max(id) FROM units", [], |r| r.get(0))?;
    let mut next = max.unwrap_or(0) + 1;
    let mut stmt = conn.prepare(&format!(
        "SELECT t.key, u.id FROM (SELECT DISTINCT {column} AS key FROM contacts) t
         LEFT JOIN units u ON u.key = t.key ORDER BY t.key"
    ))?;
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let key: String = r.get(0)?;
        let id: Option<i64> = r.get(1)?;
        let id = id.unwrap_or_else(|| {
            next += 1;
            next - 1
        });
        let id = u32::try_from(id)
            .map_err(|_| StoreError::Corrupt(format!("unit id {id} out of range")))?;
        out.push((key, id));
    }
    Ok(out)
}

impl Store for SqliteStore {
    fn write_events(
        &self,
        fill: &mut dyn FnMut(&mut dyn EventSink) -> Result<Decision, StoreError>,
    ) -> Result<(), StoreError> {
        self.lock_writer()
            .pragma_update(None, "cache_size", -IMPORT_CACHE_KIB)?;
        let result = self.write_with(|tx| {
            let mut sink = SqliteEventSink::new(tx)?;
            let decision = fill(&mut sink)?;
            if decision == Decision::Commit {
                sink.pages.flush()?;
            }
            Ok(((), decision))
        });
        let restored = self
            .lock_writer()
            .pragma_update(None, "cache_size", -CACHE_KIB);
        result?;
        restored?;
        Ok(())
    }

    fn write_territory(
        &self,
        fill: &mut dyn FnMut(&mut dyn ContactSink) -> Result<Decision, StoreError>,
    ) -> Result<(), StoreError> {
        self.write_with(|tx| {
            let mut sink = SqliteContactSink {
                select: tx.prepare(
                    "SELECT account_id, fit_tier, first_name, last_name, email, title FROM contacts WHERE contact_id = ?1",
                )?,
                upsert: tx.prepare(
                    "INSERT INTO contacts (contact_id, account_id, fit_tier, first_name, last_name, email, title)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                     ON CONFLICT (contact_id) DO UPDATE SET account_id = excluded.account_id,
                       fit_tier = excluded.fit_tier, first_name = excluded.first_name,
                       last_name = excluded.last_name, email = excluded.email, title = excluded.title",
                )?,
                erased: crate::suppression::erasures(tx)?,
            };
            let decision = fill(&mut sink)?;
            Ok(((), decision))
        })
    }

    fn log_import(&self, r: &ImportRecord) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO imports (at, kind, source, read, imported, duplicates, updated, rejected)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    jiff::Timestamp::now().to_string(),
                    r.kind,
                    r.source,
                    r.read as i64,
                    r.imported as i64,
                    r.duplicates as i64,
                    r.updated as i64,
                    r.rejected as i64
                ],
            )?;
            Ok(())
        })
    }

    fn imports(&self) -> Result<Vec<ImportLogEntry>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT at, kind, source, read, imported, duplicates, updated, rejected FROM imports ORDER BY id",
            )?;
            let rows = stmt.query_map([], |r| {
                let n = |i: usize| r.get::<_, i64>(i).map(|v| v.max(0) as u64);
                Ok(ImportLogEntry {
                    at: r.get(0)?,
                    record: ImportRecord {
                        kind: r.get(1)?,
                        source: r.get(2)?,
                        read: n(3)?,
                        imported: n(4)?,
                        duplicates: n(5)?,
                        updated: n(6)?,
                        rejected: n(7)?,
                        erased: 0,
                    },
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    fn load_log(&self, line: &Line) -> Result<FactLog, StoreError> {
        self.read(|c| self.load_facts(c, line))
    }

    fn snapshot(&self, line: &Line, directory: bool) -> Result<Snapshot, StoreError> {
        self.read(|c| {
            let territory = territory_ids(c, line)?
                .into_iter()
                .map(|(_, id)| id)
                .collect();
            let directory = if directory {
                Some(crate::queries::unit_directory(c, line)?)
            } else {
                None
            };
            let log = self.load_facts(c, line)?;
            Ok(Snapshot {
                log,
                territory,
                directory,
            })
        })
    }

    fn territory_units(&self, line: &Line) -> Result<Vec<u32>, StoreError> {
        self.read(|c| {
            Ok(territory_ids(c, line)?
                .into_iter()
                .map(|(_, id)| id)
                .collect())
        })
    }

    fn unit_directory(&self, line: &Line) -> Result<Vec<UnitRecord>, StoreError> {
        self.read(|c| crate::queries::unit_directory(c, line))
    }

    fn event_count(&self) -> Result<u64, StoreError> {
        self.read(|c| {
            let n: i64 = c.query_row("SELECT count(*) FROM events", [], |r| r.get(0))?;
            Ok(n as u64)
        })
    }

    fn contact_count(&self) -> Result<u64, StoreError> {
        self.read(|c| {
            let n: i64 = c.query_row("SELECT count(*) FROM contacts", [], |r| r.get(0))?;
            Ok(n as u64)
        })
    }

    fn territory_contacts(&self) -> Result<Vec<Contact>, StoreError> {
        self.read(crate::suppression::territory_contacts)
    }

    fn contact_accounts(
        &self,
        contact_ids: &[String],
    ) -> Result<HashMap<String, String>, StoreError> {
        self.read(|c| crate::experiments::contact_accounts(c, contact_ids))
    }

    fn stored_stations(&self) -> Result<Vec<(String, u64)>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT s.name, (SELECT count(*) FROM events e WHERE e.station = s.id) FROM stations s ORDER BY s.name",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?.max(0) as u64))
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    fn generation(&self) -> Result<u64, StoreError> {
        self.read(|c| {
            let g: i64 =
                c.query_row("SELECT generation FROM store_meta WHERE id = 1", [], |r| {
                    r.get(0)
                })?;
            Ok(g.max(0) as u64)
        })
    }

    fn insert_experiment(
        &self,
        def: &yieldline_core::experiment::ExperimentDef,
    ) -> Result<bool, StoreError> {
        self.write(|tx| crate::experiments::insert(tx, def))
    }

    fn update_experiment(
        &self,
        def: &yieldline_core::experiment::ExperimentDef,
    ) -> Result<bool, StoreError> {
        self.write(|tx| crate::experiments::update(tx, def))
    }

    fn experiment(
        &self,
        id: &str,
    ) -> Result<Option<yieldline_core::experiment::ExperimentDef>, StoreError> {
        self.read(|c| crate::experiments::get(c, id))
    }

    fn experiments(&self) -> Result<Vec<yieldline_core::experiment::ExperimentDef>, StoreError> {
        self.read(crate::experiments::all)
    }

    fn experiment_data(
        &self,
        def: &yieldline_core::experiment::ExperimentDef,
        as_of: jiff::Timestamp,
    ) -> Result<yieldline_core::experiment::ExperimentData, StoreError> {
        self.read(|c| crate::experiments::data(c, def, as_of))
    }

    fn suppression_list(&self) -> Result<yieldline_core::suppression::SuppressionList, StoreError> {
        self.read(crate::suppression::list)
    }

    fn suppression_entries(&self) -> Result<Vec<crate::SuppressionEntry>, StoreError> {
        self.read(crate::suppression::entries)
    }

    fn suppression_log(&self) -> Result<Vec<crate::SuppressionLogEntry>, StoreError> {
        self.read(crate::suppression::log_entries)
    }

    fn suppress(
        &self,
        kind: yieldline_core::suppression::SuppressionKind,
        target: &str,
        by: &str,
        reason: &str,
    ) -> Result<crate::Added, StoreError> {
        self.write(|tx| crate::suppression::suppress(tx, kind, target, by, reason))
    }

    fn unsuppress(
        &self,
        kind: yieldline_core::suppression::SuppressionKind,
        target: &str,
        by: &str,
        reason: &str,
    ) -> Result<Option<crate::SuppressionEntry>, StoreError> {
        self.write(|tx| crate::suppression::unsuppress(tx, kind, target, by, reason))
    }

    fn insert_token(
        &self,
        name: &str,
        role: &str,
        hash: &str,
        by: &str,
    ) -> Result<bool, StoreError> {
        self.write(|tx| crate::tokens::insert(tx, name, role, hash, by))
    }

    fn tokens(&self) -> Result<Vec<crate::TokenRecord>, StoreError> {
        self.read(crate::tokens::all)
    }

    fn revoke_token(&self, name: &str) -> Result<bool, StoreError> {
        self.write(|tx| crate::tokens::revoke(tx, name))
    }

    fn token_by_hash(&self, hash: &str) -> Result<Option<crate::TokenRecord>, StoreError> {
        self.read(|c| crate::tokens::by_hash(c, hash))
    }

    fn erase(&self, who: &str, by: &str, reason: &str) -> Result<crate::EraseOutcome, StoreError> {
        self.lock_writer()
            .pragma_update(None, "secure_delete", true)?;
        let who = yieldline_core::identity::canonical_id(who).into_owned();
        let result = self.write(|tx| crate::suppression::erase_in_tx(tx, &who, by, reason));
        let restored = self
            .lock_writer()
            .pragma_update(None, "secure_delete", false);
        let outcome = result?;
        restored?;
        Ok(outcome)
    }

    fn remove_event(
        &self,
        event_id: &str,
        by: &str,
        reason: &str,
    ) -> Result<Option<(String, jiff::Timestamp)>, StoreError> {
        self.write(|tx| {
            let found: Option<(String, i64)> = tx
                .query_row(
                    "SELECT s.name, e.ts FROM events e JOIN stations s ON s.id = e.station WHERE e.event_id = ?1",
                    [event_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let Some((station, ts)) = found else {
                return Ok(None);
            };
            tx.execute("DELETE FROM events WHERE event_id = ?1", [event_id])?;
            tx.execute(
                "INSERT INTO event_removals (at, event_id, station, ts, who, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![jiff::Timestamp::now().to_string(), event_id, station, ts, by, reason],
            )?;
            let ts = jiff::Timestamp::from_microsecond(ts)
                .map_err(|_| StoreError::Corrupt(format!("timestamp {ts} out of range")))?;
            Ok(Some((station, ts)))
        })
    }

    fn integrity(&self) -> Result<Vec<String>, StoreError> {
        self.read(|c| {
            let mut problems = crate::suppression::integrity(c)?;
            let mut stmt = c.prepare("PRAGMA quick_check")?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            for row in rows {
                let row = row?;
                if row != "ok" {
                    problems.push(format!("the database file is damaged: {row}"));
                }
            }
            Ok(problems)
        })
    }

    fn compact(&self) -> Result<crate::Compaction, StoreError> {
        let conn = self.lock_writer();
        let checkpoint = |c: &Connection| -> Result<bool, StoreError> {
            let busy: i64 = c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
            Ok(busy == 0)
        };
        // Idle pooled readers hold no snapshot, so they do not block the checkpoint.
        checkpoint(&conn)?;
        conn.execute_batch("VACUUM")?;
        let wal_truncated = checkpoint(&conn)?;
        Ok(crate::Compaction { wal_truncated })
    }
}

/// A placeholder fact for slots not yet read.
const EMPTY_FACT: Fact = Fact {
    ts: 0,
    seq: 0,
    unit: 0,
    station: NO_STATION,
    kind: EventKind::Entered,
    flags: 0,
    resume_on: i32::MIN,
    cost_minutes: -1.0,
};

/// Station dictionary ids to line indices: a dense table for the usual small ids.
pub(crate) struct StationLookup {
    dense: Vec<u16>,
    sparse: HashMap<i64, u16>,
}

impl StationLookup {
    pub(crate) fn new(map: HashMap<i64, u16>) -> Self {
        let mut dense = Vec::new();
        let mut sparse = HashMap::new();
        for (id, idx) in map {
            match usize::try_from(id) {
                Ok(i) if i < 4096 => {
                    if dense.len() <= i {
                        dense.resize(i + 1, NO_STATION);
                    }
                    dense[i] = idx;
                }
                _ => {
                    sparse.insert(id, idx);
                }
            }
        }
        Self { dense, sparse }
    }

    pub(crate) fn get(&self, id: i64) -> u16 {
        match usize::try_from(id).ok().and_then(|i| self.dense.get(i)) {
            Some(&idx) => idx,
            None => self.sparse.get(&id).copied().unwrap_or(NO_STATION),
        }
    }
}

/// Reads the facts with `seq` in `from .. from + out.len()` into `out` (in sequence
/// order, from the start of `out`); returns how many were read.
fn scan_facts(
    conn: &Connection,
    from: i64,
    stations: &StationLookup,
    out: &mut [Fact],
) -> Result<usize, StoreError> {
    let to = from + out.len() as i64 - 1;
    let mut stmt = conn.prepare(
        "SELECT seq, ts, unit, station, kind, flags, resume_on, cost_minutes FROM events
         WHERE seq BETWEEN ?1 AND ?2 ORDER BY seq",
    )?;
    let mut rows = stmt.query([from, to])?;
    let mut n = 0;
    while let Some(r) = rows.next()? {
        // The common types are read without conversion; anything else goes through
        // rusqlite's checked conversion (and its error).
        let int = |i: usize| -> Result<i64, StoreError> {
            match r.get_ref(i)? {
                ValueRef::Integer(v) => Ok(v),
                _ => Ok(r.get::<_, i64>(i)?),
            }
        };
        let kind_code = int(4)?;
        let kind = u8::try_from(kind_code)
            .ok()
            .and_then(EventKind::from_code)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown event kind code {kind_code}")))?;
        let unit = int(2)?;
        let resume_on = match r.get_ref(6)? {
            ValueRef::Null => None,
            ValueRef::Integer(v) => Some(v),
            _ => r.get::<_, Option<i64>>(6)?,
        };
        let cost_minutes = match r.get_ref(7)? {
            ValueRef::Null => None,
            ValueRef::Real(v) => Some(v),
            _ => r.get::<_, Option<f64>>(7)?,
        };
        let Some(slot) = out.get_mut(n) else {
            return Err(StoreError::Corrupt(format!(
                "more events than sequence numbers in {from}..={to}"
            )));
        };
        *slot = Fact {
            seq: int(0)?,
            ts: int(1)?,
            unit: u32::try_from(unit)
                .map_err(|_| StoreError::Corrupt(format!("unit id {unit} out of range")))?,
            station: stations.get(int(3)?),
            kind,
            flags: int(5)? as u8,
            resume_on: resume_on.map_or(i32::MIN, |d| d as i32),
            cost_minutes: cost_minutes.map_or(-1.0, |c| c as f32),
        };
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StoreExt;
    use yieldline_core::event::RawEvent;

    fn line() -> Line {
        // Plausible from 1900, so the digest test can store an instant before 1970.
        let text = yieldline_core::line::TEMPLATE.replace("\"2000-01-01\"", "\"1900-01-01\"");
        Line::from_toml("line.toml", &text).expect("template")
    }

    fn event(id: &str, kind: &str, ts: &str) -> Event {
        RawEvent {
            event_id: Some(id.into()),
            ts: Some(ts.into()),
            unit_id: Some("c1".into()),
            account_id: Some("a1".into()),
            station: Some("research".into()),
            kind: Some(kind.into()),
            ..RawEvent::default()
        }
        .validate(&line(), jiff::Timestamp::now())
        .expect("valid")
    }

    #[test]
    fn import_is_idempotent_and_detects_conflicts() {
        let store = SqliteStore::open_in_memory().expect("store");
        let e1 = event("e1", "entered", "2025-03-03T09:00:00Z");
        let e2 = event("e2", "passed", "2025-03-03T10:00:00Z");
        let first = store
            .import_events(|sink| -> Result<_, StoreError> {
                Ok((sink.insert(&e1)?, sink.insert(&e2)?))
            })
            .expect("import");
        assert_eq!(first, (Inserted::New, Inserted::New));
        let again = store
            .import_events(|sink| -> Result<_, StoreError> { sink.insert(&e1) })
            .expect("re-import");
        assert_eq!(again, Inserted::Duplicate);
        assert_eq!(store.event_count().expect("count"), 2);
        let changed = event("e1", "entered", "2025-03-03T09:30:00Z");
        let err = store
            .import_events(|sink| -> Result<_, StoreError> { sink.insert(&changed) })
            .expect_err("conflict");
        assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
    }

    #[test]
    fn the_digest_hashes_the_same_bytes_as_before() {
        let full = RawEvent {
            event_id: Some("e9".into()),
            ts: Some("2025-03-04T09:30:00.25-05:00".into()),
            unit_id: Some("c1".into()),
            account_id: Some("a1".into()),
            station: Some("reply".into()),
            kind: Some("recycled".into()),
            reason: Some("not_now".into()),
            resume_on: Some("2025-06-01".into()),
            referral_unit_id: Some("c2".into()),
            channel: Some("phone".into()),
            operator_id: Some("rep-1".into()),
            operator_kind: Some("human".into()),
            arm: Some("b".into()),
            cost_minutes: Some("2.5".into()),
        }
        .validate(&line(), jiff::Timestamp::now())
        .expect("valid");
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for e in [full, event("e1", "entered", "1969-12-31T23:59:59+01:00")] {
            assert_eq!(digest(&e, &mut a), digest_reference(&e, &mut b));
            assert_eq!(a, b);
        }
    }

    #[test]
    fn a_large_log_is_read_in_parallel_in_sequence_order() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join(crate::DB_FILE);
        let store = SqliteStore::open(&path).expect("store");
        let n = PARALLEL_SCAN_MIN as usize + 1_000;
        let events: Vec<Event> = (0..n)
            .map(|i| {
                let mut e = event(
                    &format!("e{i}"),
                    if i % 2 == 0 { "entered" } else { "passed" },
                    "2025-03-03T09:00:00Z",
                );
                e.unit_id = format!("c{}", i / 2);
                e.ts = jiff::Timestamp::from_second(1_740_000_000 + i as i64).expect("ts");
                e
            })
            .collect();
        store
            .import_events(|sink| -> Result<(), StoreError> {
                for e in &events {
                    sink.insert(e)?;
                }
                Ok(())
            })
            .expect("import");
        // A gap in the sequence numbers, as after a removal.
        store
            .connection()
            .execute("DELETE FROM events WHERE seq = 100", [])
            .expect("delete");
        let log = store.load_log(&line()).expect("log");
        assert_eq!(log.len(), n - 1);
        let mut seqs: Vec<i64> = log.facts().iter().map(|f| f.seq).collect();
        seqs.sort_unstable();
        let expected: Vec<i64> = (1..=n as i64).filter(|&s| s != 100).collect();
        assert_eq!(seqs, expected);
        let in_memory = yieldline_core::facts::log_from_events(
            &line(),
            &events
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != 99)
                .map(|(_, e)| e.clone())
                .collect::<Vec<_>>(),
            &mut yieldline_core::facts::Interner::default(),
        );
        let key = |f: &Fact| (f.ts, f.kind as u8, f.station);
        assert_eq!(
            log.facts().iter().map(key).collect::<Vec<_>>(),
            in_memory.facts().iter().map(key).collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_failed_import_leaves_the_store_unchanged() {
        let store = SqliteStore::open_in_memory().expect("store");
        let e1 = event("e1", "entered", "2025-03-03T09:00:00Z");
        let err = store
            .import_events(|sink| -> Result<(), StoreError> {
                sink.insert(&e1)?;
                Err(StoreError::Corrupt("bad row".into()))
            })
            .expect_err("aborted");
        assert!(err.to_string().contains("bad row"));
        assert_eq!(store.event_count().expect("count"), 0);
    }

    #[test]
    fn the_log_round_trips_and_migrations_are_versioned() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join(crate::DB_FILE);
        {
            let store = SqliteStore::open(&path).expect("store");
            assert_eq!(store.schema_version().expect("v"), MIGRATIONS.len() as i64);
            let e1 = event("e1", "entered", "2025-03-03T09:00:00Z");
            store
                .import_events(|sink| -> Result<_, StoreError> { sink.insert(&e1) })
                .expect("import");
        }
        let store = SqliteStore::open(&path).expect("reopen");
        let log = store.load_log(&line()).expect("log");
        assert_eq!(log.len(), 1);
        assert_eq!(log.facts()[0].station, 0);
        assert_eq!(log.facts()[0].kind, EventKind::Entered);
        store
            .import_territory(|sink| -> Result<_, StoreError> {
                sink.upsert(&Contact {
                    contact_id: "c1".into(),
                    account_id: "a1".into(),
                    ..Contact::default()
                })?;
                sink.upsert(&Contact {
                    contact_id: "c2".into(),
                    account_id: "a1".into(),
                    ..Contact::default()
                })
            })
            .expect("territory");
        let units = store.territory_units(&line()).expect("units");
        assert_eq!(units.len(), 2);
        assert!(units.contains(&log.facts()[0].unit));
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join(crate::DB_FILE);
        {
            let conn = Connection::open(&path).expect("open");
            conn.pragma_update(None, "user_version", 99).expect("set");
        }
        let err = SqliteStore::open(&path).expect_err("too new");
        assert!(matches!(err, StoreError::TooNew { found: 99, .. }));
    }
}

//! The embedded SQLite store.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, Statement, Transaction, params};
use yieldline_core::event::{Event, EventKind};
use yieldline_core::facts::flags_of;
use yieldline_core::line::{Line, UnitKind};
use yieldline_core::report::{Fact, FactLog, NO_STATION};

use crate::schema::MIGRATIONS;
use crate::{Contact, ContactSink, EventSink, ImportRecord, Inserted, Store, StoreError};

/// A workspace store in one SQLite file.
pub struct SqliteStore {
    conn: Connection,
    path: Option<PathBuf>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").field("path", &self.path).finish()
    }
}

impl SqliteStore {
    /// Opens (creating and migrating if needed) the store at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path)?;
        Self::init(conn, Some(path.to_owned()))
    }

    /// An empty store in memory (for tests and simulations).
    pub fn open_in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory()?, None)
    }

    fn init(conn: Connection, path: Option<PathBuf>) -> Result<Self, StoreError> {
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        conn.pragma_update(None, "cache_size", -131_072)?; // 128 MiB
        let mut store = Self { conn, path };
        store.migrate()?;
        Ok(store)
    }

    /// The file this store lives in (None in memory).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The schema version of the open store.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self.conn.pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let current = self.schema_version()?;
        let latest = MIGRATIONS.len() as i64;
        if current > latest {
            return Err(StoreError::TooNew {
                found: current,
                supported: latest,
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", i as i64 + 1)?;
            tx.commit()?;
        }
        Ok(())
    }

    /// The underlying connection, for the crate's query modules.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Ids of `event_id`s for the given sequence numbers.
    fn event_ids(&self, seqs: &[i64]) -> Result<HashMap<i64, String>, StoreError> {
        let mut stmt = self.conn.prepare_cached("SELECT event_id FROM events WHERE seq = ?1")?;
        let mut out = HashMap::with_capacity(seqs.len());
        for &seq in seqs {
            let id: String = stmt.query_row([seq], |r| r.get(0))?;
            out.insert(seq, id);
        }
        Ok(out)
    }

    /// Station dictionary ids mapped to the line's station indices.
    fn station_map(&self, line: &Line) -> Result<HashMap<i64, u16>, StoreError> {
        let mut stmt = self.conn.prepare("SELECT id, name FROM stations")?;
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

    /// The key of an interned unit.
    pub fn unit_key(&self, unit: u32) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT key FROM units WHERE id = ?1", [i64::from(unit)], |r| r.get(0))
            .optional()?)
    }
}

/// The normalised content of an event, hashed to tell duplicates from conflicts.
fn digest(e: &Event, buf: &mut Vec<u8>) -> i64 {
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
    put(&e.cost_minutes.map(|c| c.to_bits().to_string()).unwrap_or_default());
    xxhash_rust::xxh3::xxh3_64(buf) as i64
}

struct SqliteEventSink<'t> {
    insert: Statement<'t>,
    stored_digest: Statement<'t>,
    intern_unit: Statement<'t>,
    intern_account: Statement<'t>,
    intern_station: Statement<'t>,
    units: HashMap<String, i64>,
    accounts: HashMap<String, i64>,
    stations: HashMap<String, i64>,
    buf: Vec<u8>,
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
            stored_digest: tx.prepare("SELECT digest FROM events WHERE event_id = ?1")?,
            intern_unit: tx.prepare(
                "INSERT INTO units (key) VALUES (?1) ON CONFLICT (key) DO UPDATE SET key = excluded.key RETURNING id",
            )?,
            intern_account: tx.prepare(
                "INSERT INTO accounts (key) VALUES (?1) ON CONFLICT (key) DO UPDATE SET key = excluded.key RETURNING id",
            )?,
            intern_station: tx.prepare(
                "INSERT INTO stations (name) VALUES (?1) ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id",
            )?,
            units: HashMap::new(),
            accounts: HashMap::new(),
            stations: HashMap::new(),
            buf: Vec::with_capacity(256),
        })
    }
}

fn intern(cache: &mut HashMap<String, i64>, stmt: &mut Statement<'_>, key: &str) -> Result<i64, StoreError> {
    if let Some(&id) = cache.get(key) {
        return Ok(id);
    }
    let id: i64 = stmt.query_row([key], |r| r.get(0))?;
    cache.insert(key.to_owned(), id);
    Ok(id)
}

impl EventSink for SqliteEventSink<'_> {
    fn insert(&mut self, e: &Event) -> Result<Inserted, StoreError> {
        let unit = intern(&mut self.units, &mut self.intern_unit, &e.unit_id)?;
        let account = intern(&mut self.accounts, &mut self.intern_account, &e.account_id)?;
        let station = intern(&mut self.stations, &mut self.intern_station, &e.station)?;
        let digest = digest(e, &mut self.buf);
        let changed = self.insert.execute(params![
            e.event_id,
            digest,
            e.ts.as_microsecond(),
            e.offset_seconds,
            unit,
            account,
            station,
            e.kind as u8,
            flags_of(e),
            e.reason,
            e.resume_on.map(yieldline_core::calendar::epoch_day),
            e.referral_unit_id,
            e.channel.map(|c| c.as_str()),
            e.operator_id,
            e.operator_kind.map(|o| o.as_str()),
            e.arm,
            e.cost_minutes,
        ])?;
        if changed == 1 {
            return Ok(Inserted::New);
        }
        let stored: i64 = self.stored_digest.query_row([&e.event_id], |r| r.get(0))?;
        if stored == digest {
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
}

type ContactRow = (String, Option<i64>, Option<String>, Option<String>, Option<String>, Option<String>);

impl ContactSink for SqliteContactSink<'_> {
    fn upsert(&mut self, c: &Contact) -> Result<Inserted, StoreError> {
        let existing: Option<ContactRow> = self
            .select
            .query_row([&c.contact_id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
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

impl Store for SqliteStore {
    fn import_events<T, E: From<StoreError>>(
        &mut self,
        fill: impl FnOnce(&mut dyn EventSink) -> Result<T, E>,
    ) -> Result<T, E> {
        let tx = self.conn.transaction().map_err(StoreError::from)?;
        let result = {
            let mut sink = SqliteEventSink::new(&tx)?;
            fill(&mut sink)
        };
        match result {
            Ok(v) => {
                tx.commit().map_err(StoreError::from)?;
                Ok(v)
            }
            Err(e) => {
                tx.rollback().map_err(StoreError::from)?;
                Err(e)
            }
        }
    }

    fn import_territory<T, E: From<StoreError>>(
        &mut self,
        fill: impl FnOnce(&mut dyn ContactSink) -> Result<T, E>,
    ) -> Result<T, E> {
        let tx = self.conn.transaction().map_err(StoreError::from)?;
        let result = {
            let mut sink = SqliteContactSink {
                select: tx
                    .prepare(
                        "SELECT account_id, fit_tier, first_name, last_name, email, title FROM contacts WHERE contact_id = ?1",
                    )
                    .map_err(StoreError::from)?,
                upsert: tx
                    .prepare(
                        "INSERT INTO contacts (contact_id, account_id, fit_tier, first_name, last_name, email, title)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                         ON CONFLICT (contact_id) DO UPDATE SET account_id = excluded.account_id,
                           fit_tier = excluded.fit_tier, first_name = excluded.first_name,
                           last_name = excluded.last_name, email = excluded.email, title = excluded.title",
                    )
                    .map_err(StoreError::from)?,
            };
            fill(&mut sink)
        };
        match result {
            Ok(v) => {
                tx.commit().map_err(StoreError::from)?;
                Ok(v)
            }
            Err(e) => {
                tx.rollback().map_err(StoreError::from)?;
                Err(e)
            }
        }
    }

    fn log_import(&mut self, r: &ImportRecord) -> Result<(), StoreError> {
        self.conn.execute(
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
    }

    fn load_log(&self, line: &Line) -> Result<FactLog, StoreError> {
        let stations = self.station_map(line)?;
        let count = self.event_count()? as usize;
        let mut facts = Vec::with_capacity(count);
        let mut stmt = self
            .conn
            .prepare("SELECT seq, ts, unit, station, kind, flags, resume_on, cost_minutes FROM events")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let kind_code: i64 = r.get(4)?;
            let kind = u8::try_from(kind_code)
                .ok()
                .and_then(EventKind::from_code)
                .ok_or_else(|| StoreError::Corrupt(format!("unknown event kind code {kind_code}")))?;
            let station_id: i64 = r.get(3)?;
            let unit: i64 = r.get(2)?;
            facts.push(Fact {
                seq: r.get(0)?,
                ts: r.get(1)?,
                unit: u32::try_from(unit).map_err(|_| StoreError::Corrupt(format!("unit id {unit} out of range")))?,
                station: stations.get(&station_id).copied().unwrap_or(NO_STATION),
                kind,
                flags: r.get::<_, i64>(5)? as u8,
                resume_on: r.get::<_, Option<i64>>(6)?.map_or(i32::MIN, |d| d as i32),
                cost_minutes: r.get::<_, Option<f64>>(7)?.map_or(-1.0, |c| c as f32),
            });
        }
        FactLog::new(facts, |seqs| self.event_ids(seqs))
    }

    fn territory_units(&mut self, line: &Line) -> Result<Vec<u32>, StoreError> {
        let column = match line.unit {
            UnitKind::Contact => "contact_id",
            UnitKind::Account => "account_id",
        };
        self.conn.execute(
            &format!("INSERT INTO units (key) SELECT DISTINCT {column} FROM contacts WHERE true ON CONFLICT (key) DO NOTHING"),
            [],
        )?;
        let mut stmt = self.conn.prepare(&format!(
            "SELECT DISTINCT u.id FROM units u JOIN contacts c ON c.{column} = u.key"
        ))?;
        let ids = stmt
            .query_map([], |r| r.get::<_, i64>(0))?
            .map(|r| {
                r.map_err(StoreError::from)
                    .and_then(|id| u32::try_from(id).map_err(|_| StoreError::Corrupt(format!("unit id {id} out of range"))))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ids)
    }

    fn event_count(&self) -> Result<u64, StoreError> {
        let n: i64 = self.conn.query_row("SELECT count(*) FROM events", [], |r| r.get(0))?;
        Ok(n as u64)
    }

    fn contact_count(&self) -> Result<u64, StoreError> {
        let n: i64 = self.conn.query_row("SELECT count(*) FROM contacts", [], |r| r.get(0))?;
        Ok(n as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yieldline_core::event::RawEvent;

    fn line() -> Line {
        Line::from_toml("line.toml", yieldline_core::line::TEMPLATE).expect("template")
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
        .validate(&line())
        .expect("valid")
    }

    #[test]
    fn import_is_idempotent_and_detects_conflicts() {
        let mut store = SqliteStore::open_in_memory().expect("store");
        let e1 = event("e1", "entered", "2025-03-03T09:00:00Z");
        let e2 = event("e2", "passed", "2025-03-03T10:00:00Z");
        let first = store
            .import_events(|sink| -> Result<_, StoreError> { Ok((sink.insert(&e1)?, sink.insert(&e2)?)) })
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
    fn a_failed_import_leaves_the_store_unchanged() {
        let mut store = SqliteStore::open_in_memory().expect("store");
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
            let mut store = SqliteStore::open(&path).expect("store");
            assert_eq!(store.schema_version().expect("v"), MIGRATIONS.len() as i64);
            let e1 = event("e1", "entered", "2025-03-03T09:00:00Z");
            store
                .import_events(|sink| -> Result<_, StoreError> { sink.insert(&e1) })
                .expect("import");
        }
        let mut store = SqliteStore::open(&path).expect("reopen");
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

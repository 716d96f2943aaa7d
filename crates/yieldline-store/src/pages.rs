//! The fact cache (migration 5): the log's facts packed 32 bytes each, little-endian, in
//! `seq` order, in pages of up to [`PAGE_FACTS`] facts (table `fact_pages`).
//!
//! A packed fact is the row scan's fact with the station as its `stations` dictionary id
//! (so the cache does not depend on the line; the id is mapped to the line's station
//! index when the log is loaded):
//!
//! ```text
//! 0..8 ts i64 | 8..16 seq i64 | 16..20 unit u32 | 20..22 station id u16 | 22 kind u8
//! 23 flags u8 | 24..28 resume_on i32 (i32::MIN: none) | 28..32 cost_minutes f32 (-1: none)
//! ```
//!
//! Imports write the pages in the same transaction as their events. The cache is used
//! only when its facts are exactly the sequence numbers `min(seq) ..= max(seq)` of the
//! `events` table, each once, in order; triggers drop it whenever an event is removed or
//! a field a fact is made of changes, so the pages can only lag behind the table (a
//! store imported before migration 5, or events written without the sink), never
//! contradict it. When they do not cover the table, the log is read row by row.

use rusqlite::types::ValueRef;
use rusqlite::{Connection, Statement, Transaction, params};
use yieldline_core::event::EventKind;
use yieldline_core::report::Fact;

use crate::StoreError;
use crate::sqlite::StationLookup;

/// Bytes of a packed fact.
pub(crate) const FACT_BYTES: usize = 32;
/// Facts per page (2 MiB of data).
pub(crate) const PAGE_FACTS: usize = if cfg!(test) { 100 } else { 65_536 };

/// A fact as the row scan reads it, before the station is mapped to the line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RawFact {
    pub seq: i64,
    pub ts: i64,
    pub unit: i64,
    pub station: i64,
    pub kind: u8,
    pub flags: u8,
    pub resume_on: Option<i32>,
    pub cost_minutes: Option<f64>,
}

/// Collects the facts of the events an import adds and writes them as pages.
pub(crate) struct PageWriter<'t> {
    insert: Statement<'t>,
    buf: Vec<u8>,
    first: i64,
    last: i64,
    count: usize,
    /// A fact could not be packed (ids out of range) or came out of order: no more pages
    /// are written in this import, so the cache stops covering the log and is not used.
    broken: bool,
}

impl<'t> PageWriter<'t> {
    pub(crate) fn new(tx: &'t Transaction<'t>) -> Result<Self, StoreError> {
        Ok(Self {
            insert: tx.prepare(
                "INSERT INTO fact_pages (first_seq, last_seq, count, data) VALUES (?1, ?2, ?3, ?4)",
            )?,
            buf: Vec::new(),
            first: 0,
            last: 0,
            count: 0,
            broken: false,
        })
    }

    /// Adds the fact of a newly stored event (in the order they are stored).
    pub(crate) fn push(&mut self, f: &RawFact) -> Result<(), StoreError> {
        if self.broken {
            return Ok(());
        }
        let (Ok(unit), Ok(station)) = (u32::try_from(f.unit), u16::try_from(f.station)) else {
            self.break_off();
            return Ok(());
        };
        if self.count > 0 && f.seq <= self.last {
            self.break_off();
            return Ok(());
        }
        if self.count == 0 {
            self.first = f.seq;
            self.buf.reserve(PAGE_FACTS * FACT_BYTES);
        }
        let b = &mut self.buf;
        b.extend_from_slice(&f.ts.to_le_bytes());
        b.extend_from_slice(&f.seq.to_le_bytes());
        b.extend_from_slice(&unit.to_le_bytes());
        b.extend_from_slice(&station.to_le_bytes());
        b.push(f.kind);
        b.push(f.flags);
        b.extend_from_slice(&f.resume_on.unwrap_or(i32::MIN).to_le_bytes());
        b.extend_from_slice(&f.cost_minutes.map_or(-1.0, |c| c as f32).to_le_bytes());
        self.last = f.seq;
        self.count += 1;
        if self.count == PAGE_FACTS {
            self.flush()?;
        }
        Ok(())
    }

    fn break_off(&mut self) {
        self.broken = true;
        self.buf = Vec::new();
        self.count = 0;
    }

    /// Writes the facts collected since the last page (call when the import succeeds).
    pub(crate) fn flush(&mut self) -> Result<(), StoreError> {
        if self.broken || self.count == 0 {
            return Ok(());
        }
        self.insert.execute(params![
            self.first,
            self.last,
            self.count as i64,
            &self.buf[..]
        ])?;
        self.buf.clear();
        self.count = 0;
        Ok(())
    }
}

/// The migration that creates the cache: the pages of the events already stored are
/// written in the same transaction ([`rebuild`]).
pub(crate) const MIGRATION: usize = 5;

/// Writes the pages of every stored event (in a transaction). Rows a fact cannot be
/// packed from leave the cache incomplete (the log is then read row by row, with the row
/// scan's errors).
pub(crate) fn rebuild(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute("DELETE FROM fact_pages", [])?;
    let mut pages = PageWriter::new(tx)?;
    let mut stmt = tx.prepare(
        "SELECT seq, ts, unit, station, kind, flags, resume_on, cost_minutes FROM events ORDER BY seq",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let int = |i: usize| match r.get_ref(i) {
            Ok(ValueRef::Integer(v)) => Some(v),
            _ => None,
        };
        let fact = (|| {
            Some(RawFact {
                seq: int(0)?,
                ts: int(1)?,
                unit: int(2)?,
                station: int(3)?,
                kind: u8::try_from(int(4)?).ok()?,
                flags: int(5)? as u8,
                resume_on: match r.get_ref(6).ok()? {
                    ValueRef::Null => None,
                    ValueRef::Integer(v) => Some(v as i32),
                    _ => return None,
                },
                cost_minutes: match r.get_ref(7).ok()? {
                    ValueRef::Null => None,
                    ValueRef::Real(v) => Some(v),
                    _ => return None,
                },
            })
        })();
        match fact {
            Some(f) => pages.push(&f)?,
            None => {
                pages.break_off();
                return Ok(());
            }
        }
    }
    pages.flush()
}

/// The log's facts from the cache, in `seq` order, or `None` if the cache does not cover
/// the events `lo ..= hi` exactly.
pub(crate) fn load(
    conn: &Connection,
    lo: i64,
    hi: i64,
    stations: &StationLookup,
) -> Result<Option<Vec<Fact>>, StoreError> {
    // Reads only the pages' b-tree leaves (the data column is last, in overflow pages).
    let (total, first, last): (Option<i64>, Option<i64>, Option<i64>) = conn.query_row(
        "SELECT sum(count), min(first_seq), max(last_seq) FROM fact_pages",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    if first != Some(lo) || last != Some(hi) || total != hi.checked_sub(lo).map(|d| d + 1) {
        return Ok(None);
    }
    let Ok(total) = usize::try_from(total.unwrap_or(0)) else {
        return Ok(None);
    };
    let mut facts = Vec::with_capacity(total);
    let mut stmt =
        conn.prepare("SELECT first_seq, last_seq, count, data FROM fact_pages ORDER BY first_seq")?;
    let mut rows = stmt.query([])?;
    let mut prev = lo - 1;
    while let Some(r) = rows.next()? {
        let (first, last, count): (i64, i64, i64) = (r.get(0)?, r.get(1)?, r.get(2)?);
        let ValueRef::Blob(data) = r.get_ref(3)? else {
            return Ok(None);
        };
        let fits = usize::try_from(count)
            .ok()
            .and_then(|n| n.checked_mul(FACT_BYTES))
            .is_some_and(|len| len > 0 && len == data.len());
        if !fits || first <= prev || facts.len() + data.len() / FACT_BYTES > total {
            return Ok(None);
        }
        let before = facts.len();
        for c in data.chunks_exact(FACT_BYTES) {
            let seq = i64::from_le_bytes(word(c, 8));
            let code = c[22];
            // Facts strictly in seq order: with the count equal to the span, every
            // sequence number of the table appears exactly once.
            if seq <= prev {
                return Ok(None);
            }
            prev = seq;
            let kind = EventKind::from_code(code)
                .ok_or_else(|| StoreError::Corrupt(format!("unknown event kind code {code}")))?;
            facts.push(Fact {
                ts: i64::from_le_bytes(word(c, 0)),
                seq,
                unit: u32::from_le_bytes(half(c, 16)),
                station: stations.get(i64::from(u16::from_le_bytes([c[20], c[21]]))),
                kind,
                flags: c[23],
                resume_on: i32::from_le_bytes(half(c, 24)),
                cost_minutes: f32::from_le_bytes(half(c, 28)),
            });
        }
        if facts[before].seq != first || prev != last {
            return Ok(None);
        }
    }
    if facts.len() != total || prev != hi {
        return Ok(None);
    }
    Ok(Some(facts))
}

fn word(c: &[u8], at: usize) -> [u8; 8] {
    let mut w = [0; 8];
    w.copy_from_slice(&c[at..at + 8]);
    w
}

fn half(c: &[u8], at: usize) -> [u8; 4] {
    let mut w = [0; 4];
    w.copy_from_slice(&c[at..at + 4]);
    w
}

#[cfg(test)]
mod tests {
    use yieldline_core::event::{Event, RawEvent};
    use yieldline_core::line::Line;
    use yieldline_core::report::{Period, report};

    use super::*;
    use crate::schema::MIGRATIONS;
    use crate::{SqliteStore, Store, StoreExt};

    fn line() -> Line {
        Line::from_toml("line.toml", yieldline_core::line::TEMPLATE).expect("template")
    }

    /// A seeded log: several units and stations, every kind, shared instants (ties ordered
    /// by `event_id`), recycles with resume dates, costs, referrals and an unknown station.
    fn random_events(seed: u64, n: usize, prefix: &str) -> Vec<Event> {
        let mut s = seed | 1;
        let mut next = move |m: u64| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s % m
        };
        let stations = [
            "research",
            "first-touch",
            "reply",
            "meeting-booked",
            "qualified",
            "meeting-held",
        ];
        let kinds = ["entered", "touch", "passed", "failed", "recycled", "optout"];
        let line = line();
        (0..n)
            .map(|i| {
                let kind = kinds[next(6) as usize];
                let ts = 1_740_000_000 + next(5_000) as i64 * 60;
                RawEvent {
                    event_id: Some(format!("{prefix}-{:x}", next(1 << 40) ^ i as u64).into()),
                    ts: Some(
                        jiff::Timestamp::from_second(ts)
                            .expect("ts")
                            .to_string()
                            .into(),
                    ),
                    unit_id: Some(format!("c{}", next(40)).into()),
                    account_id: Some(format!("a{}", next(10)).into()),
                    station: Some(stations[next(6) as usize].into()),
                    kind: Some(kind.into()),
                    reason: (kind == "failed")
                        .then(|| ["optout", "bounced", "negative", "no_reply"][next(4) as usize])
                        .map(Into::into),
                    resume_on: (kind == "recycled").then(|| "2025-06-01".into()),
                    channel: (kind == "touch").then(|| "email".into()),
                    referral_unit_id: (next(20) == 0).then(|| format!("r{i}").into()),
                    cost_minutes: (next(3) == 0).then(|| format!("{}.25", next(30)).into()),
                    ..RawEvent::default()
                }
                .validate(&line, jiff::Timestamp::now())
                .expect("valid")
            })
            .collect()
    }

    fn import(store: &SqliteStore, events: &[Event]) {
        store
            .import_events(|sink| -> Result<(), StoreError> {
                events.iter().try_for_each(|e| sink.insert(e).map(drop))
            })
            .expect("import");
    }

    fn pages(store: &SqliteStore) -> i64 {
        store
            .connection()
            .query_row("SELECT count(*) FROM fact_pages", [], |r| r.get(0))
            .expect("pages")
    }

    fn cached(store: &SqliteStore) -> Option<Vec<Fact>> {
        cached_for(store, &line())
    }

    fn cached_for(store: &SqliteStore, line: &Line) -> Option<Vec<Fact>> {
        let conn = store.connection();
        let (lo, hi): (i64, i64) = conn
            .query_row("SELECT min(seq), max(seq) FROM events", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .expect("span");
        let stations =
            StationLookup::new(crate::sqlite::station_map(&conn, line).expect("stations"));
        load(&conn, lo, hi, &stations).expect("load")
    }

    /// The log read row by row (the cache dropped in a transaction that is rolled back).
    fn scanned(store: &SqliteStore) -> Vec<Fact> {
        scanned_for(store, &line())
    }

    fn scanned_for(store: &SqliteStore, line: &Line) -> Vec<Fact> {
        let conn = store.connection();
        let tx = conn.unchecked_transaction().expect("tx");
        tx.execute("DELETE FROM fact_pages", []).expect("drop");
        let facts = store.load_facts(&tx, line).expect("scan").facts().to_vec();
        tx.rollback().expect("rollback");
        facts
    }

    #[test]
    fn the_cache_equals_the_row_scan_on_a_random_log() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = SqliteStore::open(&dir.path().join(crate::DB_FILE)).expect("store");
        let first = random_events(7, 3_000, "a");
        import(&store, &first);
        // A second file: some duplicates (not cached twice), then new events.
        let mut second = first[..500].to_vec();
        second.extend(random_events(11, 1_234, "b"));
        import(&store, &second);
        assert_eq!(store.event_count().expect("count"), 4_234);
        assert_eq!(pages(&store), 30 + 13);
        let cached = cached(&store).expect("the cache covers the log");
        assert_eq!(cached.len(), 4_234);
        assert!(cached.windows(2).all(|w| w[0].seq < w[1].seq));
        let log = store.load_log(&line()).expect("log");
        let scan = scanned(&store);
        assert_eq!(pages(&store), 43, "the scan's transaction was rolled back");
        assert_eq!(log.facts(), &scan[..]);
        assert!(log.facts().iter().any(|f| f.cost_minutes < 0.0));
        // A line without one of the stored stations: its facts have no station index.
        let other = Line::from_toml(
            "line.toml",
            &yieldline_core::line::TEMPLATE.replace("id = \"meeting-held\"", "id = \"demo\""),
        )
        .expect("line");
        let log = store.load_log(&other).expect("log");
        assert!(cached_for(&store, &other).is_some());
        assert_eq!(log.facts(), &scanned_for(&store, &other)[..]);
        assert!(
            log.facts()
                .iter()
                .any(|f| f.station == yieldline_core::report::NO_STATION)
        );
        assert!(log.facts().iter().any(|f| f.cost_minutes > 0.0));
        assert!(log.facts().iter().any(|f| f.resume_on != i32::MIN));
    }

    #[test]
    fn the_migration_caches_a_store_from_before_and_partial_pages_are_not_used() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join(crate::DB_FILE);
        let events = random_events(3, 1_500, "a");
        // Imported by the current code, then taken back to schema 4 (no cache).
        let expected = {
            let store = SqliteStore::open(&path).expect("store");
            import(&store, &events);
            let facts = store.load_log(&line()).expect("log").facts().to_vec();
            store
                .connection()
                .execute_batch(
                    "DROP TRIGGER fact_pages_on_delete; DROP TRIGGER fact_pages_on_update;
                     DROP TABLE fact_pages; DROP TABLE store_meta;
                     ALTER TABLE suppression_log DROP COLUMN kind0;
                     ALTER TABLE suppression_log DROP COLUMN target_hash;
                     ALTER TABLE suppression_log DROP COLUMN who_hash;
                     ALTER TABLE suppression_log DROP COLUMN reason_hash;
                     ALTER TABLE suppression_log DROP COLUMN prev_hash;
                     ALTER TABLE suppression_log DROP COLUMN entry_hash;
                     DROP TABLE event_removals; DROP TABLE api_tokens;
                     PRAGMA user_version = 4;",
                )
                .expect("downgrade");
            facts
        };
        let store = SqliteStore::open(&path).expect("migrated");
        assert_eq!(store.schema_version().expect("v"), MIGRATIONS.len() as i64);
        assert_eq!(pages(&store), 15);
        assert!(cached(&store).is_some());
        assert_eq!(store.load_log(&line()).expect("log").facts(), &expected[..]);
        assert_eq!(scanned(&store), expected);
        // An event written without the sink: the pages no longer cover the log.
        store
            .connection()
            .execute_batch(
                "INSERT INTO events (event_id, digest, ts, ts_offset, unit, account, station, kind, flags)
                 VALUES ('raw', 0, 1740000000000000, 0, 1, 1, 1, 0, 0)",
            )
            .expect("raw insert");
        assert!(cached(&store).is_none());
        import(&store, &random_events(5, 300, "b"));
        assert_eq!(pages(&store), 18);
        assert!(cached(&store).is_none());
        let log = store.load_log(&line()).expect("log");
        assert_eq!(log.len(), 1_801);
        assert_eq!(log.facts(), &scanned(&store)[..]);
    }

    #[test]
    fn removing_or_changing_an_event_drops_the_cache() {
        let store = SqliteStore::open_in_memory().expect("store");
        import(&store, &random_events(9, 250, "a"));
        assert_eq!(pages(&store), 3);
        store
            .connection()
            .execute(
                "UPDATE events SET reason = 'redacted' WHERE reason IS NOT NULL",
                [],
            )
            .expect("reason");
        assert_eq!(pages(&store), 3, "not a field of a fact");
        store
            .connection()
            .execute("UPDATE events SET ts = ts + 1 WHERE seq = 7", [])
            .expect("ts");
        assert_eq!(pages(&store), 0);
        import(&store, &random_events(10, 50, "b"));
        assert_eq!(pages(&store), 1);
        assert!(cached(&store).is_none());
        store
            .connection()
            .execute("DELETE FROM events WHERE seq = 3", [])
            .expect("delete");
        assert_eq!(pages(&store), 0);
        assert_eq!(store.load_log(&line()).expect("log").len(), 299);
    }

    #[test]
    fn a_failed_import_writes_no_page() {
        let store = SqliteStore::open_in_memory().expect("store");
        import(&store, &random_events(1, 150, "a"));
        assert_eq!(pages(&store), 2);
        let more = random_events(2, 250, "b");
        store
            .import_events(|sink| -> Result<(), StoreError> {
                more.iter().try_for_each(|e| sink.insert(e).map(drop))?;
                Err(StoreError::Corrupt("bad row".into()))
            })
            .expect_err("aborted");
        assert_eq!(pages(&store), 2);
        assert_eq!(store.event_count().expect("count"), 150);
        assert_eq!(cached(&store).expect("cache").len(), 150);
    }

    #[test]
    fn erasure_keeps_the_cache_and_the_report() {
        let store = SqliteStore::open_in_memory().expect("store");
        store
            .import_territory(|s| -> Result<_, StoreError> {
                (0..40).try_for_each(|i| {
                    s.upsert(&crate::Contact {
                        contact_id: format!("c{i}"),
                        account_id: "a1".into(),
                        email: Some(format!("p{i}@example.com")),
                        ..crate::Contact::default()
                    })
                    .map(drop)
                })
            })
            .expect("territory");
        import(&store, &random_events(4, 600, "a"));
        let line = line();
        let territory = store.territory_units(&line).expect("units");
        let before = report(
            &line,
            &store.load_log(&line).expect("log"),
            &territory,
            Period::default(),
        )
        .expect("report");
        let pages_before = pages(&store);
        let out = store.erase("c3", "dpo", "request").expect("erase");
        assert!(matches!(out, crate::EraseOutcome::Erased(_)), "{out:?}");
        store
            .erase("p5@example.com", "dpo", "request")
            .expect("erase");
        assert_eq!(pages(&store), pages_before);
        assert!(cached(&store).is_some());
        let log = store.load_log(&line).expect("log");
        assert_eq!(log.facts(), &scanned(&store)[..]);
        let territory = store.territory_units(&line).expect("units");
        let after = report(&line, &log, &territory, Period::default()).expect("report");
        assert_eq!(after, before);
    }
}

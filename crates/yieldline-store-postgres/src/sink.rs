//! Imports: events by binary `COPY` into a staging table and one
//! `INSERT … ON CONFLICT DO NOTHING` per import; territory contacts by batched upserts.
//! Both inside the caller's write transaction (so all-or-nothing), which holds the
//! workspace's advisory lock: no other writer of the workspace runs meanwhile, so what
//! the sink reads at its start (ids, dictionaries) stays true until it commits.

use std::collections::{HashMap, HashSet};

use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::Type;
use xxhash_rust::xxh3::{Xxh3DefaultBuilder, xxh3_64};
use yieldline_core::event::Event;
use yieldline_core::facts::flags_of;
use yieldline_core::suppression::{ERASED_PREFIX, SuppressionList, is_optout};
use yieldline_store::shared::{REDACTED_REASON, is_reason_code};
use yieldline_store::{Contact, ContactSink, EventSink, IMPORT_ACTOR, Inserted, StoreError};

use crate::copy::{each_row, literal};
use crate::{Tx, block, db};

/// Rows buffered before they are copied into the staging table.
const CHUNK: usize = 20_000;

type Map<K, V> = HashMap<K, V, Xxh3DefaultBuilder>;

/// One event as stored (dictionary keys already interned).
#[derive(Debug, Clone, PartialEq)]
struct StoredEvent {
    ts: i64,
    ts_offset: i32,
    unit: i64,
    account: i64,
    station: i64,
    kind: i16,
    reason: Option<String>,
    resume_on: Option<i32>,
    referral: Option<String>,
    channel: Option<String>,
    operator_id: Option<String>,
    operator_kind: Option<String>,
    arm: Option<String>,
    /// Compared bit for bit.
    cost_bits: Option<u64>,
}

/// The columns of `events` (and of the staging table), in COPY order.
const COLUMNS: &str = "workspace, seq, event_id, ts, ts_offset, unit, account, station, kind, flags, \
     reason, resume_on, referral_unit, channel, operator_id, operator_kind, arm, cost_minutes";

/// The columns a re-import compares, in [`StoredEvent`] order.
const COMPARED: &str = "ts, ts_offset, unit, account, station, kind, reason, resume_on, referral_unit, \
     channel, operator_id, operator_kind, arm, cost_minutes";

const TYPES: [Type; 18] = [
    Type::TEXT,
    Type::INT8,
    Type::TEXT,
    Type::INT8,
    Type::INT4,
    Type::INT8,
    Type::INT8,
    Type::INT8,
    Type::INT2,
    Type::INT2,
    Type::TEXT,
    Type::INT4,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::FLOAT8,
];

/// A keyed dictionary (units, accounts, stations): keys to ids, new ones numbered on.
#[derive(Default)]
struct Dict {
    ids: Map<Box<str>, i64>,
    next: i64,
    /// New (id, key) pairs not yet written.
    new: Vec<(i64, String)>,
}

impl Dict {
    fn load(tx: &Tx<'_>, table: &str, column: &str, ws: &str) -> Result<Self, StoreError> {
        let mut d = Dict {
            next: 1,
            ..Dict::default()
        };
        each_row(
            tx,
            &format!(
                "SELECT id, {column} FROM {table} WHERE workspace = {}",
                literal(ws)
            ),
            |f| {
                let id: i64 = f.req(0)?;
                let key = f.text(1)?.unwrap_or_default();
                d.next = d.next.max(id + 1);
                d.ids.insert(key.into(), id);
                Ok(())
            },
        )?;
        Ok(d)
    }

    fn intern(&mut self, key: &str) -> (i64, bool) {
        if let Some(&id) = self.ids.get(key) {
            return (id, false);
        }
        let id = self.next;
        self.next += 1;
        self.ids.insert(key.into(), id);
        self.new.push((id, key.to_owned()));
        (id, true)
    }
}

/// The event sink of one import.
pub(crate) struct PgEventSink<'a, 'c> {
    tx: &'a Tx<'c>,
    ws: &'a str,
    /// xxh3 of every stored `event_id` and of those offered so far: a miss means new
    /// for certain; a hit is checked against the stored row.
    known: HashSet<u64, Xxh3DefaultBuilder>,
    units: Dict,
    /// Each unit's account as stored, and as this import leaves it.
    unit_account_stored: Map<i64, Option<i64>>,
    unit_account_now: Map<i64, i64>,
    accounts: Dict,
    stations: Dict,
    erased: SuppressionList,
    next_seq: i64,
    pending: Vec<(i64, String, i16, StoredEvent)>,
    staged: u64,
    optouts: Vec<(String, String)>,
}

impl<'a, 'c> PgEventSink<'a, 'c> {
    pub(crate) fn new(tx: &'a Tx<'c>, ws: &'a str) -> Result<Self, StoreError> {
        tx.batch(
            "CREATE TEMP TABLE stage (LIKE events) ON COMMIT DROP;
             ALTER TABLE stage ADD PRIMARY KEY (event_id);",
        )?;
        let mut known = HashSet::default();
        each_row(
            tx,
            &format!(
                "SELECT event_id FROM events WHERE workspace = {}",
                literal(ws)
            ),
            |f| {
                known.insert(xxh3_64(f.text(0)?.unwrap_or_default().as_bytes()));
                Ok(())
            },
        )?;
        let mut unit_account_stored = Map::default();
        each_row(
            tx,
            &format!(
                "SELECT id, account FROM units WHERE workspace = {}",
                literal(ws)
            ),
            |f| {
                unit_account_stored.insert(f.req(0)?, f.num(1)?);
                Ok(())
            },
        )?;
        let next_seq: i64 = tx
            .query_one(
                "SELECT coalesce(max(seq), 0) + 1 FROM events WHERE workspace = $1",
                &[&ws],
            )?
            .get(0);
        Ok(Self {
            tx,
            ws,
            known,
            units: Dict::load(tx, "units", "key", ws)?,
            unit_account_stored,
            unit_account_now: Map::default(),
            accounts: Dict::load(tx, "accounts", "key", ws)?,
            stations: Dict::load(tx, "stations", "name", ws)?,
            erased: crate::suppress::erasures(tx, ws)?,
            next_seq,
            pending: Vec::new(),
            staged: 0,
            optouts: Vec::new(),
        })
    }

    /// Writes the new dictionary keys and copies the buffered rows into the stage.
    fn flush(&mut self) -> Result<(), StoreError> {
        for (table, column, dict) in [
            ("units", "key", &mut self.units),
            ("accounts", "key", &mut self.accounts),
            ("stations", "name", &mut self.stations),
        ] {
            if dict.new.is_empty() {
                continue;
            }
            let (ids, keys): (Vec<i64>, Vec<String>) = dict.new.drain(..).unzip();
            self.tx.execute(
                &format!(
                    "INSERT INTO {table} (workspace, id, {column}) SELECT $1, * FROM unnest($2::bigint[], $3::text[])"
                ),
                &[&self.ws, &ids, &keys],
            )?;
        }
        if self.pending.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.pending);
        let ws = self.ws;
        let tx = self.tx;
        block(async {
            let sink = tx
                .tx
                .copy_in(&format!("COPY stage ({COLUMNS}) FROM STDIN BINARY"))
                .await
                .map_err(db)?;
            let writer = BinaryCopyInWriter::new(sink, &TYPES);
            futures_util::pin_mut!(writer);
            for (seq, id, flags, e) in &rows {
                let cost = e.cost_bits.map(f64::from_bits);
                writer
                    .as_mut()
                    .write(&[
                        &ws,
                        seq,
                        id,
                        &e.ts,
                        &e.ts_offset,
                        &e.unit,
                        &e.account,
                        &e.station,
                        &e.kind,
                        flags,
                        &e.reason,
                        &e.resume_on,
                        &e.referral,
                        &e.channel,
                        &e.operator_id,
                        &e.operator_kind,
                        &e.arm,
                        &cost,
                    ])
                    .await
                    .map_err(db)?;
            }
            writer.finish().await.map_err(db)
        })?;
        self.staged += rows.len() as u64;
        Ok(())
    }

    /// The stored (or staged) content of `event_id`, if any.
    fn stored(&self, event_id: &str) -> Result<Option<StoredEvent>, StoreError> {
        let row = self.tx.query_opt(
            &format!(
                "SELECT {COMPARED} FROM events WHERE workspace = $1 AND event_id = $2
                 UNION ALL SELECT {COMPARED} FROM stage WHERE event_id = $2 LIMIT 1"
            ),
            &[&self.ws, &event_id],
        )?;
        Ok(row.map(|r| StoredEvent {
            ts: r.get(0),
            ts_offset: r.get(1),
            unit: r.get(2),
            account: r.get(3),
            station: r.get(4),
            kind: r.get(5),
            reason: r.get(6),
            resume_on: r.get(7),
            referral: r.get(8),
            channel: r.get(9),
            operator_id: r.get(10),
            operator_kind: r.get(11),
            arm: r.get(12),
            cost_bits: r.get::<_, Option<f64>>(13).map(f64::to_bits),
        }))
    }

    /// Ends the import (on commit): one `INSERT … ON CONFLICT DO NOTHING` from the
    /// stage, the check that nothing in it conflicts, units' accounts, opt-outs.
    pub(crate) fn finish(mut self) -> Result<(), StoreError> {
        self.flush()?;
        let inserted = self.tx.execute(
            &format!(
                "INSERT INTO events ({COLUMNS}) SELECT {COLUMNS} FROM stage ORDER BY seq
                 ON CONFLICT (workspace, event_id) DO NOTHING"
            ),
            &[],
        )?;
        if inserted != self.staged {
            // Only another writer of the workspace could have stored these ids, and the
            // advisory lock keeps them out; still, every field is compared.
            let clash = self.tx.query_opt(
                &format!(
                    "SELECT s.event_id FROM stage s JOIN events e
                       ON e.workspace = s.workspace AND e.event_id = s.event_id AND e.seq <> s.seq
                     WHERE ({}) IS DISTINCT FROM ({}) LIMIT 1",
                    prefixed("e", COMPARED),
                    prefixed("s", COMPARED)
                ),
                &[],
            )?;
            if let Some(r) = clash {
                return Err(StoreError::Conflict { event_id: r.get(0) });
            }
        }
        let (ids, accounts): (Vec<i64>, Vec<i64>) = self
            .unit_account_now
            .iter()
            .filter(|(u, a)| self.unit_account_stored.get(*u) != Some(&Some(**a)))
            .map(|(u, a)| (*u, *a))
            .unzip();
        if !ids.is_empty() {
            self.tx.execute(
                "UPDATE units u SET account = v.account
                 FROM unnest($2::bigint[], $3::bigint[]) AS v(id, account)
                 WHERE u.workspace = $1 AND u.id = v.id",
                &[&self.ws, &ids, &accounts],
            )?;
        }
        for (unit, event_id) in std::mem::take(&mut self.optouts) {
            crate::suppress::add(
                self.tx,
                self.ws,
                yieldline_core::suppression::SuppressionKind::Contact,
                &unit,
                IMPORT_ACTOR,
                &format!("optout event {event_id}"),
            )?;
        }
        Ok(())
    }
}

/// `cols` with each column prefixed by `alias.`.
fn prefixed(alias: &str, cols: &str) -> String {
    cols.split(',')
        .map(|c| format!("{alias}.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

impl EventSink for PgEventSink<'_, '_> {
    fn insert(&mut self, e: &Event) -> Result<Inserted, StoreError> {
        let key = match self.erased.has_erasures() {
            true => self
                .erased
                .erased_key_of(&e.unit_id)
                .unwrap_or_else(|| e.unit_id.clone()),
            false => e.unit_id.clone(),
        };
        let erased_unit = key.starts_with(ERASED_PREFIX);
        let (unit, _) = self.units.intern(&key);
        let (account, _) = self.accounts.intern(&e.account_id);
        let (station, _) = self.stations.intern(&e.station);
        let reason = match e.reason.as_deref() {
            Some(r) if erased_unit && !is_reason_code(r) => Some(REDACTED_REASON.to_owned()),
            other => other.map(str::to_owned),
        };
        let referral = e
            .referral_unit_id
            .as_deref()
            .map(|r| self.erased.erased_key_of(r).unwrap_or_else(|| r.to_owned()));
        let row = StoredEvent {
            ts: e.ts.as_microsecond(),
            ts_offset: e.offset_seconds,
            unit,
            account,
            station,
            kind: i16::from(e.kind as u8),
            reason,
            resume_on: e.resume_on.map(yieldline_core::calendar::epoch_day),
            referral,
            channel: e.channel.map(|c| c.as_str().to_owned()),
            operator_id: e.operator_id.clone(),
            operator_kind: e.operator_kind.map(|o| o.as_str().to_owned()),
            arm: e.arm.clone(),
            cost_bits: e.cost_minutes.map(f64::to_bits),
        };
        let hash = xxh3_64(e.event_id.as_bytes());
        if !self.known.insert(hash) {
            // Perhaps stored: the stage must hold every row offered before this one.
            self.flush()?;
            if let Some(stored) = self.stored(&e.event_id)? {
                return if stored == row {
                    Ok(Inserted::Duplicate)
                } else {
                    Err(StoreError::Conflict {
                        event_id: e.event_id.clone(),
                    })
                };
            }
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.unit_account_now.insert(unit, account);
        if is_optout(e) && !erased_unit {
            self.optouts
                .push((e.unit_id.trim().to_owned(), e.event_id.clone()));
        }
        self.pending
            .push((seq, e.event_id.clone(), i16::from(flags_of(e)), row));
        if self.pending.len() >= CHUNK {
            self.flush()?;
        }
        Ok(Inserted::New)
    }
}

type ContactRow = (
    String,
    Option<i16>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// The territory sink of one import: contacts compared in memory, upserts batched.
pub(crate) struct PgContactSink<'a, 'c> {
    tx: &'a Tx<'c>,
    ws: &'a str,
    stored: HashMap<String, ContactRow>,
    erased: SuppressionList,
    pending: Vec<(String, ContactRow)>,
}

impl<'a, 'c> PgContactSink<'a, 'c> {
    pub(crate) fn new(tx: &'a Tx<'c>, ws: &'a str) -> Result<Self, StoreError> {
        let mut stored = HashMap::new();
        for r in tx.query(
            "SELECT contact_id, account_id, fit_tier, first_name, last_name, email, title
             FROM contacts WHERE workspace = $1",
            &[&ws],
        )? {
            stored.insert(
                r.get(0),
                (r.get(1), r.get(2), r.get(3), r.get(4), r.get(5), r.get(6)),
            );
        }
        Ok(Self {
            tx,
            ws,
            stored,
            erased: crate::suppress::erasures(tx, ws)?,
            pending: Vec::new(),
        })
    }

    /// Writes the buffered contacts.
    pub(crate) fn flush(&mut self) -> Result<(), StoreError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.pending);
        let mut cols: (Vec<String>, Vec<String>, Vec<Option<i16>>) = Default::default();
        let mut more: [Vec<Option<String>>; 4] = Default::default();
        for (id, (account, tier, first, last, email, title)) in rows {
            cols.0.push(id);
            cols.1.push(account);
            cols.2.push(tier);
            for (v, c) in [first, last, email, title].into_iter().zip(more.iter_mut()) {
                c.push(v);
            }
        }
        self.tx.execute(
            "INSERT INTO contacts (workspace, contact_id, account_id, fit_tier, first_name, last_name, email, title)
             SELECT $1, * FROM unnest($2::text[], $3::text[], $4::smallint[], $5::text[], $6::text[], $7::text[], $8::text[])
             ON CONFLICT (workspace, contact_id) DO UPDATE SET account_id = excluded.account_id,
               fit_tier = excluded.fit_tier, first_name = excluded.first_name,
               last_name = excluded.last_name, email = excluded.email, title = excluded.title",
            &[
                &self.ws, &cols.0, &cols.1, &cols.2, &more[0], &more[1], &more[2], &more[3],
            ],
        )?;
        Ok(())
    }
}

impl ContactSink for PgContactSink<'_, '_> {
    fn upsert(&mut self, c: &Contact) -> Result<Inserted, StoreError> {
        if self.erased.is_erased(&c.contact_id)
            || c.email.as_deref().is_some_and(|e| self.erased.is_erased(e))
        {
            return Ok(Inserted::Erased);
        }
        let row: ContactRow = (
            c.account_id.clone(),
            c.fit_tier.map(i16::from),
            c.first_name.clone(),
            c.last_name.clone(),
            c.email.clone(),
            c.title.clone(),
        );
        let outcome = match self.stored.get(&c.contact_id) {
            None => Inserted::New,
            Some(old) if *old == row => return Ok(Inserted::Duplicate),
            Some(_) => Inserted::Updated,
        };
        self.stored.insert(c.contact_id.clone(), row.clone());
        self.pending.push((c.contact_id.clone(), row));
        if self.pending.len() >= 5_000 {
            self.flush()?;
        }
        Ok(outcome)
    }
}

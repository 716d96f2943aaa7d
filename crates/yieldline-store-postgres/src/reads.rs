//! Reads that feed the domain: the fact log, the territory's units, the unit directory
//! and an experiment's data, each filtered on the workspace.

use std::collections::HashMap;

use jiff::Timestamp;
use yieldline_core::event::EventKind;
use yieldline_core::experiment::{ExperimentData, ExperimentDef, ExperimentEvent};
use yieldline_core::line::{Line, UnitKind};
use yieldline_core::report::{Fact, FactLog, NO_STATION};
use yieldline_store::shared::DirectoryBuilder;
use yieldline_store::{StoreError, UnitRecord};

use crate::Tx;
use crate::copy::{each_row, literal};

fn kind_of(code: i64) -> Result<EventKind, StoreError> {
    u8::try_from(code)
        .ok()
        .and_then(EventKind::from_code)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown event kind code {code}")))
}

/// The log's facts, ordered for pairing.
pub(crate) fn load_log(tx: &Tx<'_>, ws: &str, line: &Line) -> Result<FactLog, StoreError> {
    let mut stations: HashMap<i64, u16> = HashMap::new();
    for r in tx.query("SELECT id, name FROM stations WHERE workspace = $1", &[&ws])? {
        let idx = line
            .station_index(r.get::<_, &str>(1))
            .and_then(|i| u16::try_from(i).ok())
            .unwrap_or(NO_STATION);
        stations.insert(r.get(0), idx);
    }
    let mut facts = Vec::new();
    each_row(
        tx,
        &format!(
            "SELECT seq, ts, unit, station, kind, flags, resume_on, cost_minutes FROM events
             WHERE workspace = {} ORDER BY seq",
            literal(ws)
        ),
        |f| {
            let unit: i64 = f.req(2)?;
            let station: i64 = f.req(3)?;
            facts.push(Fact {
                seq: f.req(0)?,
                ts: f.req(1)?,
                unit: u32::try_from(unit)
                    .map_err(|_| StoreError::Corrupt(format!("unit id {unit} out of range")))?,
                station: stations.get(&station).copied().unwrap_or(NO_STATION),
                kind: kind_of(f.req(4)?)?,
                flags: f.req(5)?,
                resume_on: f.num::<i32>(6)?.unwrap_or(i32::MIN),
                cost_minutes: f.num::<f64>(7)?.map_or(-1.0, |c| c as f32),
            });
            Ok(())
        },
    )?;
    FactLog::new(facts, |seqs| {
        let rows = tx.query(
            "SELECT seq, event_id FROM events WHERE workspace = $1 AND seq = ANY($2)",
            &[&ws, &seqs],
        )?;
        Ok::<_, StoreError>(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    })
}

/// The territory's unit keys with their ids: interned ids where an event named the
/// unit, else ids past the largest interned one, in key order (never stored).
pub(crate) fn territory_ids(
    tx: &Tx<'_>,
    ws: &str,
    line: &Line,
) -> Result<Vec<(String, u32)>, StoreError> {
    let column = match line.unit {
        UnitKind::Contact => "contact_id",
        UnitKind::Account => "account_id",
    };
    let max: Option<i64> = tx
        .query_one("SELECT max(id) FROM units WHERE workspace = $1", &[&ws])?
        .get(0);
    let mut next = max.unwrap_or(0) + 1;
    let rows = tx.query(
        &format!(
            "SELECT t.key, u.id FROM (SELECT DISTINCT {column} AS key FROM contacts WHERE workspace = $1) t
             LEFT JOIN units u ON u.workspace = $1 AND u.key = t.key ORDER BY t.key COLLATE \"C\""
        ),
        &[&ws],
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let id = r.get::<_, Option<i64>>(1).unwrap_or_else(|| {
            next += 1;
            next - 1
        });
        let id = u32::try_from(id)
            .map_err(|_| StoreError::Corrupt(format!("unit id {id} out of range")))?;
        out.push((r.get(0), id));
    }
    Ok(out)
}

/// The unit directory, indexed by unit id (see `Store::unit_directory`).
pub(crate) fn unit_directory(
    tx: &Tx<'_>,
    ws: &str,
    line: &Line,
) -> Result<Vec<UnitRecord>, StoreError> {
    let mut dir = DirectoryBuilder::new(line.unit);
    each_row(
        tx,
        &format!(
            "SELECT u.id, u.key, a.key FROM units u
             LEFT JOIN accounts a ON a.workspace = u.workspace AND a.id = u.account
             WHERE u.workspace = {}",
            literal(ws)
        ),
        |f| {
            let id: i64 = f.req(0)?;
            dir.unit(id, f.text(1)?.unwrap_or_default())?;
            dir.latest_account(id, f.text(2)?.unwrap_or_default());
            Ok(())
        },
    )?;
    for (key, id) in territory_ids(tx, ws, line)? {
        dir.territory_unit(key, id as usize);
    }
    for r in tx.query(
        "SELECT contact_id, account_id, fit_tier, email FROM contacts WHERE workspace = $1
         ORDER BY contact_id COLLATE \"C\"",
        &[&ws],
    )? {
        let tier = r
            .get::<_, Option<i16>>(2)
            .and_then(|t| u8::try_from(t).ok());
        dir.contact(r.get(0), r.get(1), tier, r.get(3));
    }
    Ok(dir.finish())
}

/// What the analysis of `def` as of `as_of` needs (see `Store::experiment_data`).
pub(crate) fn experiment_data(
    tx: &Tx<'_>,
    ws: &str,
    def: &ExperimentDef,
    as_of: Timestamp,
) -> Result<ExperimentData, StoreError> {
    let start = def.start.as_microsecond();
    let as_of_us = as_of.as_microsecond();
    let end = def
        .stop
        .map_or(as_of_us, |s| s.as_microsecond().min(as_of_us));
    let kinds: Vec<i16> = [EventKind::Passed, EventKind::Optout, EventKind::Failed]
        .iter()
        .map(|k| i16::from(*k as u8))
        .collect();
    let rows = tx.query(
        "WITH st AS (SELECT id FROM stations WHERE workspace = $1 AND name = $2)
         SELECT u.key, a.key, e.ts, s.name, e.kind, e.reason, e.arm
         FROM events e
         JOIN units u ON u.workspace = e.workspace AND u.id = e.unit
         JOIN accounts a ON a.workspace = e.workspace AND a.id = e.account
         JOIN stations s ON s.workspace = e.workspace AND s.id = e.station
         WHERE e.workspace = $1
           AND e.unit IN (
                 SELECT unit FROM events
                 WHERE workspace = $1 AND station = (SELECT id FROM st) AND arm IS NOT NULL
                   AND ts >= $3 AND ts < $4)
           AND e.ts < $5
           AND ((e.station = (SELECT id FROM st) AND e.arm IS NOT NULL) OR e.kind = ANY($6))
         ORDER BY e.seq",
        &[&ws, &def.station, &start, &end, &as_of_us, &kinds],
    )?;
    let mut events = Vec::with_capacity(rows.len());
    for r in rows {
        let ts: i64 = r.get(2);
        events.push(ExperimentEvent {
            unit: r.get(0),
            account: r.get(1),
            ts: Timestamp::from_microsecond(ts)
                .map_err(|_| StoreError::Corrupt(format!("timestamp {ts} out of range")))?,
            station: r.get(3),
            kind: kind_of(i64::from(r.get::<_, i16>(4)))?,
            reason: r.get(5),
            arm: r.get(6),
        });
    }
    Ok(ExperimentData { events })
}

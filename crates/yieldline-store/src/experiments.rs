//! Experiment storage (the `experiments` table, migration 2) and the queries their
//! analysis and assignment need. The store only reads and writes; the statistics live in
//! `yieldline_core::experiment`.

use std::collections::HashMap;

use jiff::Timestamp;
use rusqlite::{OptionalExtension, params};
use yieldline_core::event::EventKind;
use yieldline_core::experiment::{ExperimentData, ExperimentDef, ExperimentEvent};

use rusqlite::Connection;

use crate::StoreError;

fn decode(id: &str, json: &str) -> Result<ExperimentDef, StoreError> {
    ExperimentDef::from_json(json)
        .map_err(|e| StoreError::Corrupt(format!("experiment {id:?}: {e}")))
}

/// Stores a new experiment. Returns `false` (and changes nothing) when an experiment
/// with that id already exists.
pub(crate) fn insert(conn: &Connection, def: &ExperimentDef) -> Result<bool, StoreError> {
    {
        let n = conn.execute(
            "INSERT INTO experiments (id, station, start, stop, definition, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (id) DO NOTHING",
            params![
                def.id,
                def.station,
                def.start.as_microsecond(),
                def.stop.map(|s| s.as_microsecond()),
                def.to_json(),
                Timestamp::now().to_string()
            ],
        )?;
        Ok(n == 1)
    }
}

/// Replaces the stored definition of an existing experiment (e.g. to stop it).
/// Returns `false` when there is no experiment with that id.
pub(crate) fn update(conn: &Connection, def: &ExperimentDef) -> Result<bool, StoreError> {
    {
        let n = conn.execute(
            "UPDATE experiments SET station = ?2, start = ?3, stop = ?4, definition = ?5 WHERE id = ?1",
            params![
                def.id,
                def.station,
                def.start.as_microsecond(),
                def.stop.map(|s| s.as_microsecond()),
                def.to_json()
            ],
        )?;
        Ok(n == 1)
    }
}

/// The experiment with this id, if any.
pub(crate) fn get(conn: &Connection, id: &str) -> Result<Option<ExperimentDef>, StoreError> {
    {
        let json: Option<String> = conn
            .query_row(
                "SELECT definition FROM experiments WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
            .optional()?;
        json.map(|j| decode(id, &j)).transpose()
    }
}

/// Every experiment, by start then id.
pub(crate) fn all(conn: &Connection) -> Result<Vec<ExperimentDef>, StoreError> {
    {
        let mut stmt = conn.prepare("SELECT id, definition FROM experiments ORDER BY start, id")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        rows.map(|row| {
            let (id, json) = row?;
            decode(&id, &json)
        })
        .collect()
    }
}

/// The accounts of territory contacts, for those of `contact_ids` that are known.
pub(crate) fn contact_accounts(
    conn: &Connection,
    contact_ids: &[String],
) -> Result<HashMap<String, String>, StoreError> {
    {
        let mut stmt =
            conn.prepare_cached("SELECT account_id FROM contacts WHERE contact_id = ?1")?;
        let mut out = HashMap::with_capacity(contact_ids.len());
        for id in contact_ids {
            if out.contains_key(id) {
                continue;
            }
            let account: Option<String> = stmt.query_row([id], |r| r.get(0)).optional()?;
            if let Some(a) = account {
                out.insert(id.clone(), a);
            }
        }
        Ok(out)
    }
}

/// What the analysis of `def` as of `as_of` needs: the arm-tagged events at its station
/// in `[start, min(stop, as_of))`, and every `passed`, `optout` and `failed` event
/// before `as_of` of the units among them, at any station (which failures count is the
/// analysis's rule, not the store's).
pub(crate) fn data(
    conn: &Connection,
    def: &ExperimentDef,
    as_of: Timestamp,
) -> Result<ExperimentData, StoreError> {
    {
        let start = def.start.as_microsecond();
        let as_of_us = as_of.as_microsecond();
        let end = def
            .stop
            .map_or(as_of_us, |s| s.as_microsecond().min(as_of_us));
        let mut stmt = conn.prepare(
            // One scan of the log, units filtered through the (indexed) arm events;
            // a join on the exposed units would make SQLite loop over the log per unit.
            "WITH st AS (SELECT id FROM stations WHERE name = ?1)
             SELECT u.key, a.key, e.ts, s.name, e.kind, e.reason, e.arm
             FROM events e
             JOIN units u ON u.id = e.unit
             JOIN accounts a ON a.id = e.account
             JOIN stations s ON s.id = e.station
             WHERE e.unit IN (
                     SELECT unit FROM events
                     WHERE station = (SELECT id FROM st) AND arm IS NOT NULL AND ts >= ?2 AND ts < ?3)
               AND e.ts < ?4
               AND ((e.station = (SELECT id FROM st) AND e.arm IS NOT NULL)
                    OR e.kind IN (?5, ?6, ?7))",
        )?;
        let mut rows = stmt.query(params![
            def.station,
            start,
            end,
            as_of_us,
            EventKind::Passed as u8,
            EventKind::Optout as u8,
            EventKind::Failed as u8
        ])?;
        let mut events = Vec::new();
        while let Some(r) = rows.next()? {
            let ts: i64 = r.get(2)?;
            let code: i64 = r.get(4)?;
            let kind = u8::try_from(code)
                .ok()
                .and_then(EventKind::from_code)
                .ok_or_else(|| StoreError::Corrupt(format!("unknown event kind code {code}")))?;
            events.push(ExperimentEvent {
                unit: r.get(0)?,
                account: r.get(1)?,
                ts: Timestamp::from_microsecond(ts)
                    .map_err(|_| StoreError::Corrupt(format!("timestamp {ts} out of range")))?,
                station: r.get(3)?,
                kind,
                reason: r.get(5)?,
                arm: r.get(6)?,
            });
        }
        Ok(ExperimentData { events })
    }
}

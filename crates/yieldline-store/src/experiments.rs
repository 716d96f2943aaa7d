//! Experiment storage (the `experiments` table, migration 2) and the queries their
//! analysis and assignment need. The store only reads and writes; the statistics live in
//! `yieldline_core::experiment`.

use std::collections::HashMap;

use jiff::Timestamp;
use rusqlite::{OptionalExtension, params};
use yieldline_core::event::EventKind;
use yieldline_core::experiment::{ExperimentData, ExperimentDef, ExperimentEvent};

use crate::{SqliteStore, StoreError};

fn decode(id: &str, json: &str) -> Result<ExperimentDef, StoreError> {
    ExperimentDef::from_json(json)
        .map_err(|e| StoreError::Corrupt(format!("experiment {id:?}: {e}")))
}

impl SqliteStore {
    /// Stores a new experiment. Returns `false` (and changes nothing) when an experiment
    /// with that id already exists.
    pub fn insert_experiment(&mut self, def: &ExperimentDef) -> Result<bool, StoreError> {
        let n = self.connection().execute(
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

    /// Replaces the stored definition of an existing experiment (e.g. to stop it).
    /// Returns `false` when there is no experiment with that id.
    pub fn update_experiment(&mut self, def: &ExperimentDef) -> Result<bool, StoreError> {
        let n = self.connection().execute(
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

    /// Stores an experiment, replacing any with the same id.
    pub fn put_experiment(&mut self, def: &ExperimentDef) -> Result<(), StoreError> {
        if !self.update_experiment(def)? {
            self.insert_experiment(def)?;
        }
        Ok(())
    }

    /// The experiment with this id, if any.
    pub fn experiment(&self, id: &str) -> Result<Option<ExperimentDef>, StoreError> {
        let json: Option<String> = self
            .connection()
            .query_row(
                "SELECT definition FROM experiments WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
            .optional()?;
        json.map(|j| decode(id, &j)).transpose()
    }

    /// Every experiment, by start then id.
    pub fn experiments(&self) -> Result<Vec<ExperimentDef>, StoreError> {
        let mut stmt = self
            .connection()
            .prepare("SELECT id, definition FROM experiments ORDER BY start, id")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        rows.map(|row| {
            let (id, json) = row?;
            decode(&id, &json)
        })
        .collect()
    }

    /// The accounts of territory contacts, for those of `contact_ids` that are known.
    pub fn contact_accounts(
        &self,
        contact_ids: &[String],
    ) -> Result<HashMap<String, String>, StoreError> {
        let mut stmt = self
            .connection()
            .prepare_cached("SELECT account_id FROM contacts WHERE contact_id = ?1")?;
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

    /// What the analysis of `def` as of `as_of` needs: the arm-tagged events at its
    /// station in `[start, min(stop, as_of))`, and every `passed`, `optout`, and
    /// `failed` (reason `optout` or `negative`) event before `as_of` of the units among
    /// them, at any station.
    pub fn experiment_data(
        &self,
        def: &ExperimentDef,
        as_of: Timestamp,
    ) -> Result<ExperimentData, StoreError> {
        let start = def.start.as_microsecond();
        let as_of_us = as_of.as_microsecond();
        let end = def
            .stop
            .map_or(as_of_us, |s| s.as_microsecond().min(as_of_us));
        let mut stmt = self.connection().prepare(
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
                    OR e.kind IN (?5, ?6)
                    OR (e.kind = ?7 AND e.reason IN ('optout', 'negative')))",
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Contact, Store};
    use yieldline_core::event::RawEvent;
    use yieldline_core::experiment::{ArmDef, RandomizationUnit, analyze};
    use yieldline_core::line::{Line, TEMPLATE};

    fn line() -> Line {
        Line::from_toml("line.toml", TEMPLATE).expect("template")
    }

    fn def() -> ExperimentDef {
        ExperimentDef {
            id: "exp-1".into(),
            station: "first-touch".into(),
            arms: vec![
                ArmDef {
                    name: "human".into(),
                    weight: 1.0,
                },
                ArmDef {
                    name: "auto".into(),
                    weight: 1.0,
                },
            ],
            control: "human".into(),
            unit: RandomizationUnit::Contact,
            salt: "s".into(),
            start: "2025-03-03T00:00:00Z".parse().expect("ts"),
            stop: None,
            guardrails: vec![],
            holdout: None,
            holdout_metric: None,
            tau2: 1e-4,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn event(
        id: &str,
        unit: &str,
        ts: &str,
        station: &str,
        kind: &str,
        reason: &str,
        arm: &str,
    ) -> yieldline_core::Event {
        RawEvent {
            event_id: Some(id.into()),
            ts: Some(ts.into()),
            unit_id: Some(unit.into()),
            account_id: Some("a1".into()),
            station: Some(station.into()),
            kind: Some(kind.into()),
            reason: Some(reason.into()),
            arm: Some(arm.into()),
            ..RawEvent::default()
        }
        .validate(&line(), jiff::Timestamp::now())
        .expect("valid")
    }

    #[test]
    fn experiments_round_trip_and_ids_are_unique() {
        let mut store = SqliteStore::open_in_memory().expect("store");
        let mut d = def();
        assert!(store.insert_experiment(&d).expect("insert"));
        assert!(
            !store.insert_experiment(&d).expect("duplicate"),
            "a duplicate id is refused"
        );
        assert_eq!(store.experiment("exp-1").expect("get"), Some(d.clone()));
        assert_eq!(store.experiment("nope").expect("get"), None);
        d.stop = Some("2025-04-01T00:00:00Z".parse().expect("ts"));
        assert!(store.update_experiment(&d).expect("update"));
        let mut other = def();
        other.id = "exp-0".into();
        other.start = "2025-01-01T00:00:00Z".parse().expect("ts");
        store.put_experiment(&other).expect("put");
        let all = store.experiments().expect("list");
        assert_eq!(
            all.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
            ["exp-0", "exp-1"]
        );
        assert_eq!(all[1].stop, d.stop);
    }

    #[test]
    fn the_analysis_data_holds_arm_events_and_later_outcomes() {
        let mut store = SqliteStore::open_in_memory().expect("store");
        let evs = [
            event(
                "e1",
                "c1",
                "2025-03-04T10:00:00Z",
                "first-touch",
                "entered",
                "",
                "auto",
            ),
            event(
                "e2",
                "c1",
                "2025-03-04T12:00:00Z",
                "first-touch",
                "passed",
                "",
                "auto",
            ),
            event(
                "e3",
                "c1",
                "2025-03-06T12:00:00Z",
                "reply",
                "passed",
                "",
                "",
            ),
            event("e4", "c1", "2025-03-06T12:00:00Z", "reply", "touch", "", ""),
            event(
                "e5",
                "c2",
                "2025-03-04T10:00:00Z",
                "first-touch",
                "failed",
                "negative",
                "human",
            ),
            event(
                "e6",
                "c3",
                "2025-03-04T10:00:00Z",
                "research",
                "passed",
                "",
                "",
            ),
            event(
                "e7",
                "c2",
                "2025-03-01T10:00:00Z",
                "first-touch",
                "passed",
                "",
                "old-arm",
            ),
            event(
                "e8",
                "c1",
                "2025-05-01T10:00:00Z",
                "qualified",
                "passed",
                "",
                "",
            ),
        ];
        store
            .import_events(|sink| -> Result<_, StoreError> {
                for e in &evs {
                    sink.insert(e)?;
                }
                Ok(())
            })
            .expect("import");
        let as_of: Timestamp = "2025-04-01T00:00:00Z".parse().expect("ts");
        let data = store.experiment_data(&def(), as_of).expect("data");
        let mut got: Vec<(String, String, EventKind)> = data
            .events
            .iter()
            .map(|e| (e.unit.clone(), e.station.clone(), e.kind))
            .collect();
        got.sort_by(|a, b| (&a.0, &a.1, a.2).cmp(&(&b.0, &b.1, b.2)));
        assert_eq!(
            got,
            [
                ("c1".into(), "first-touch".into(), EventKind::Entered),
                ("c1".into(), "first-touch".into(), EventKind::Passed),
                ("c1".into(), "reply".into(), EventKind::Passed),
                ("c2".into(), "first-touch".into(), EventKind::Passed),
                ("c2".into(), "first-touch".into(), EventKind::Failed),
            ]
        );
        let a = analyze(&def(), &line(), &data, as_of).expect("analysis");
        assert_eq!((a.arms[1].units, a.arms[1].passed), (1, 1));
        assert_eq!(a.arms[1].downstream["reply"].count, 1);
        assert_eq!(a.arms[0].guardrails["negative_rate"].count, 1);

        store
            .import_territory(|sink| -> Result<_, StoreError> {
                sink.upsert(&Contact {
                    contact_id: "c1".into(),
                    account_id: "a9".into(),
                    ..Contact::default()
                })
            })
            .expect("territory");
        let accounts = store
            .contact_accounts(&["c1".into(), "zz".into()])
            .expect("accounts");
        assert_eq!(accounts.get("c1").map(String::as_str), Some("a9"));
        assert!(!accounts.contains_key("zz"));
    }
}

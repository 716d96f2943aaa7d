//! The `Store` trait on PostgreSQL: every method is one transaction, reads in a
//! read-only snapshot, writes under the workspace's advisory lock.

use std::collections::HashMap;

use jiff::Timestamp;
use yieldline_core::experiment::{ExperimentData, ExperimentDef};
use yieldline_core::line::Line;
use yieldline_core::report::FactLog;
use yieldline_core::suppression::{SuppressionKind, SuppressionList};
use yieldline_store::{
    Added, Compaction, Contact, ContactSink, Decision, EraseOutcome, EventSink, ImportLogEntry,
    ImportRecord, Snapshot, Store, StoreError, SuppressionEntry, SuppressionLogEntry, TokenRecord,
    UnitRecord,
};

use crate::sink::{PgContactSink, PgEventSink};
use crate::{PgStore, Tx, now, reads, suppress};

fn token(r: &tokio_postgres::Row) -> TokenRecord {
    TokenRecord {
        name: r.get(0),
        role: r.get(1),
        hash: r.get(2),
        created_at: r.get(3),
        created_by: r.get(4),
    }
}

fn decode(id: &str, json: &str) -> Result<ExperimentDef, StoreError> {
    ExperimentDef::from_json(json)
        .map_err(|e| StoreError::Corrupt(format!("experiment {id:?}: {e}")))
}

fn count(tx: &Tx<'_>, sql: &str, ws: &str) -> Result<u64, StoreError> {
    let n: i64 = tx.query_one(sql, &[&ws])?.get(0);
    Ok(n.max(0) as u64)
}

/// The next id of a per-workspace numbered table (under the workspace's lock).
fn next_id(tx: &Tx<'_>, table: &str, ws: &str) -> Result<i64, StoreError> {
    Ok(tx
        .query_one(
            &format!("SELECT coalesce(max(id), 0) + 1 FROM {table} WHERE workspace = $1"),
            &[&ws],
        )?
        .get(0))
}

impl Store for PgStore {
    fn write_events(
        &self,
        fill: &mut dyn FnMut(&mut dyn EventSink) -> Result<Decision, StoreError>,
    ) -> Result<(), StoreError> {
        self.write_with(|tx, ws| {
            let mut sink = PgEventSink::new(tx, ws)?;
            let decision = fill(&mut sink)?;
            if decision == Decision::Commit {
                sink.finish()?;
            }
            Ok(((), decision == Decision::Commit))
        })
    }

    fn write_territory(
        &self,
        fill: &mut dyn FnMut(&mut dyn ContactSink) -> Result<Decision, StoreError>,
    ) -> Result<(), StoreError> {
        self.write_with(|tx, ws| {
            let mut sink = PgContactSink::new(tx, ws)?;
            let decision = fill(&mut sink)?;
            if decision == Decision::Commit {
                sink.flush()?;
            }
            Ok(((), decision == Decision::Commit))
        })
    }

    fn log_import(&self, r: &ImportRecord) -> Result<(), StoreError> {
        self.write(|tx, ws| {
            let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
            tx.execute(
                "INSERT INTO imports (workspace, id, at, kind, source, read, imported, duplicates, updated, rejected)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                &[
                    &ws,
                    &next_id(tx, "imports", ws)?,
                    &jiff::Timestamp::now().to_string(),
                    &r.kind,
                    &r.source,
                    &n(r.read),
                    &n(r.imported),
                    &n(r.duplicates),
                    &n(r.updated),
                    &n(r.rejected),
                ],
            )?;
            Ok(())
        })
    }

    fn imports(&self) -> Result<Vec<ImportLogEntry>, StoreError> {
        self.read(|tx, ws| {
            let rows = tx.query(
                "SELECT at, kind, source, read, imported, duplicates, updated, rejected
                 FROM imports WHERE workspace = $1 ORDER BY id",
                &[&ws],
            )?;
            Ok(rows
                .iter()
                .map(|r| {
                    let n = |i: usize| r.get::<_, i64>(i).max(0) as u64;
                    ImportLogEntry {
                        at: r.get(0),
                        record: ImportRecord {
                            kind: r.get(1),
                            source: r.get(2),
                            read: n(3),
                            imported: n(4),
                            duplicates: n(5),
                            updated: n(6),
                            rejected: n(7),
                            erased: 0,
                        },
                    }
                })
                .collect())
        })
    }

    fn load_log(&self, line: &Line) -> Result<FactLog, StoreError> {
        self.read(|tx, ws| reads::load_log(tx, ws, line))
    }

    fn snapshot(&self, line: &Line, directory: bool) -> Result<Snapshot, StoreError> {
        self.read(|tx, ws| {
            let territory = reads::territory_ids(tx, ws, line)?
                .into_iter()
                .map(|(_, id)| id)
                .collect();
            let directory = if directory {
                Some(reads::unit_directory(tx, ws, line)?)
            } else {
                None
            };
            Ok(Snapshot {
                log: reads::load_log(tx, ws, line)?,
                territory,
                directory,
            })
        })
    }

    fn territory_units(&self, line: &Line) -> Result<Vec<u32>, StoreError> {
        self.read(|tx, ws| {
            Ok(reads::territory_ids(tx, ws, line)?
                .into_iter()
                .map(|(_, id)| id)
                .collect())
        })
    }

    fn unit_directory(&self, line: &Line) -> Result<Vec<UnitRecord>, StoreError> {
        self.read(|tx, ws| reads::unit_directory(tx, ws, line))
    }

    fn event_count(&self) -> Result<u64, StoreError> {
        self.read(|tx, ws| count(tx, "SELECT count(*) FROM events WHERE workspace = $1", ws))
    }

    fn contact_count(&self) -> Result<u64, StoreError> {
        self.read(|tx, ws| count(tx, "SELECT count(*) FROM contacts WHERE workspace = $1", ws))
    }

    fn territory_contacts(&self) -> Result<Vec<Contact>, StoreError> {
        self.read(|tx, ws| {
            let rows = tx.query(
                "SELECT contact_id, account_id, fit_tier, first_name, last_name, email, title
                 FROM contacts WHERE workspace = $1 ORDER BY contact_id COLLATE \"C\"",
                &[&ws],
            )?;
            Ok(rows
                .iter()
                .map(|r| Contact {
                    contact_id: r.get(0),
                    account_id: r.get(1),
                    fit_tier: r
                        .get::<_, Option<i16>>(2)
                        .and_then(|t| u8::try_from(t).ok()),
                    first_name: r.get(3),
                    last_name: r.get(4),
                    email: r.get(5),
                    title: r.get(6),
                })
                .collect())
        })
    }

    fn contact_accounts(
        &self,
        contact_ids: &[String],
    ) -> Result<HashMap<String, String>, StoreError> {
        self.read(|tx, ws| {
            let rows = tx.query(
                "SELECT contact_id, account_id FROM contacts WHERE workspace = $1 AND contact_id = ANY($2)",
                &[&ws, &contact_ids],
            )?;
            Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
        })
    }

    fn stored_stations(&self) -> Result<Vec<(String, u64)>, StoreError> {
        self.read(|tx, ws| {
            let rows = tx.query(
                "SELECT s.name, (SELECT count(*) FROM events e WHERE e.workspace = s.workspace AND e.station = s.id)
                 FROM stations s WHERE s.workspace = $1 ORDER BY s.name COLLATE \"C\"",
                &[&ws],
            )?;
            Ok(rows
                .iter()
                .map(|r| (r.get(0), r.get::<_, i64>(1).max(0) as u64))
                .collect())
        })
    }

    fn generation(&self) -> Result<u64, StoreError> {
        self.read(|tx, ws| {
            count(
                tx,
                "SELECT generation FROM workspaces WHERE workspace = $1",
                ws,
            )
        })
    }

    fn insert_experiment(&self, def: &ExperimentDef) -> Result<bool, StoreError> {
        self.write(|tx, ws| {
            let n = tx.execute(
                "INSERT INTO experiments (workspace, id, station, start, stop, definition, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (workspace, id) DO NOTHING",
                &[
                    &ws,
                    &def.id,
                    &def.station,
                    &def.start.as_microsecond(),
                    &def.stop.map(|s| s.as_microsecond()),
                    &def.to_json(),
                    &Timestamp::now().to_string(),
                ],
            )?;
            Ok(n == 1)
        })
    }

    fn update_experiment(&self, def: &ExperimentDef) -> Result<bool, StoreError> {
        self.write(|tx, ws| {
            let n = tx.execute(
                "UPDATE experiments SET station = $3, start = $4, stop = $5, definition = $6
                 WHERE workspace = $1 AND id = $2",
                &[
                    &ws,
                    &def.id,
                    &def.station,
                    &def.start.as_microsecond(),
                    &def.stop.map(|s| s.as_microsecond()),
                    &def.to_json(),
                ],
            )?;
            Ok(n == 1)
        })
    }

    fn experiment(&self, id: &str) -> Result<Option<ExperimentDef>, StoreError> {
        self.read(|tx, ws| {
            tx.query_opt(
                "SELECT definition FROM experiments WHERE workspace = $1 AND id = $2",
                &[&ws, &id],
            )?
            .map(|r| decode(id, r.get(0)))
            .transpose()
        })
    }

    fn experiments(&self) -> Result<Vec<ExperimentDef>, StoreError> {
        self.read(|tx, ws| {
            tx.query(
                "SELECT id, definition FROM experiments WHERE workspace = $1 ORDER BY start, id COLLATE \"C\"",
                &[&ws],
            )?
            .iter()
            .map(|r| decode(r.get(0), r.get(1)))
            .collect()
        })
    }

    fn experiment_data(
        &self,
        def: &ExperimentDef,
        as_of: Timestamp,
    ) -> Result<ExperimentData, StoreError> {
        self.read(|tx, ws| reads::experiment_data(tx, ws, def, as_of))
    }

    fn suppression_list(&self) -> Result<SuppressionList, StoreError> {
        self.read(suppress::list)
    }

    fn suppression_entries(&self) -> Result<Vec<SuppressionEntry>, StoreError> {
        self.read(suppress::entries)
    }

    fn suppression_log(&self) -> Result<Vec<SuppressionLogEntry>, StoreError> {
        self.read(suppress::log_entries)
    }

    fn suppress(
        &self,
        kind: SuppressionKind,
        target: &str,
        by: &str,
        reason: &str,
    ) -> Result<Added, StoreError> {
        self.write(|tx, ws| suppress::suppress(tx, ws, kind, target, by, reason))
    }

    fn unsuppress(
        &self,
        kind: SuppressionKind,
        target: &str,
        by: &str,
        reason: &str,
    ) -> Result<Option<SuppressionEntry>, StoreError> {
        self.write(|tx, ws| suppress::unsuppress(tx, ws, kind, target, by, reason))
    }

    fn erase(&self, who: &str, by: &str, reason: &str) -> Result<EraseOutcome, StoreError> {
        let who = yieldline_core::identity::canonical_id(who).into_owned();
        self.write(|tx, ws| suppress::erase(tx, ws, &who, by, reason))
    }

    fn compact(&self) -> Result<Compaction, StoreError> {
        // VACUUM cannot run in a transaction block: on a connection of its own. It
        // removes the dead row versions an erasure left in the tables and indexes;
        // what PostgreSQL's WAL still holds is ARCHITECTURE.md's subject.
        let client = self.client()?;
        let out = crate::block(
            client.batch_execute("VACUUM contacts, units, events, suppression, suppression_log"),
        )
        .map_err(crate::db);
        let checkpoint = crate::block(client.batch_execute("CHECKPOINT")).is_ok();
        self.give_back(client);
        out?;
        Ok(Compaction {
            wal_truncated: checkpoint,
        })
    }

    fn remove_event(
        &self,
        event_id: &str,
        by: &str,
        reason: &str,
    ) -> Result<Option<(String, Timestamp)>, StoreError> {
        self.write(|tx, ws| {
            let found = tx.query_opt(
                "DELETE FROM events e USING stations s
                 WHERE e.workspace = $1 AND e.event_id = $2 AND s.workspace = e.workspace AND s.id = e.station
                 RETURNING s.name, e.ts",
                &[&ws, &event_id],
            )?;
            let Some(r) = found else {
                return Ok(None);
            };
            let (station, ts): (String, i64) = (r.get(0), r.get(1));
            tx.execute(
                "INSERT INTO event_removals (workspace, id, at, event_id, station, ts, who, reason)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                &[
                    &ws,
                    &next_id(tx, "event_removals", ws)?,
                    &Timestamp::now().to_string(),
                    &event_id,
                    &station,
                    &ts,
                    &by,
                    &reason,
                ],
            )?;
            let ts = Timestamp::from_microsecond(ts)
                .map_err(|_| StoreError::Corrupt(format!("timestamp {ts} out of range")))?;
            Ok(Some((station, ts)))
        })
    }

    fn integrity(&self) -> Result<Vec<String>, StoreError> {
        self.read(suppress::integrity)
    }

    fn insert_token(
        &self,
        name: &str,
        role: &str,
        hash: &str,
        by: &str,
    ) -> Result<bool, StoreError> {
        self.write(|tx, ws| {
            let n = tx.execute(
                "INSERT INTO api_tokens (workspace, name, role, hash, created_at, created_by)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                &[&ws, &name, &role, &hash, &now(), &by],
            )?;
            Ok(n == 1)
        })
    }

    fn tokens(&self) -> Result<Vec<TokenRecord>, StoreError> {
        self.read(|tx, ws| {
            Ok(tx
                .query(
                    "SELECT name, role, hash, created_at, created_by FROM api_tokens
                     WHERE workspace = $1 ORDER BY name COLLATE \"C\"",
                    &[&ws],
                )?
                .iter()
                .map(token)
                .collect())
        })
    }

    fn revoke_token(&self, name: &str) -> Result<bool, StoreError> {
        self.write(|tx, ws| {
            Ok(tx.execute(
                "DELETE FROM api_tokens WHERE workspace = $1 AND name = $2",
                &[&ws, &name],
            )? == 1)
        })
    }

    fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRecord>, StoreError> {
        self.read(|tx, ws| {
            Ok(tx
                .query_opt(
                    "SELECT name, role, hash, created_at, created_by FROM api_tokens
                     WHERE workspace = $1 AND hash = $2",
                    &[&ws, &hash],
                )?
                .map(|r| token(&r)))
        })
    }
}

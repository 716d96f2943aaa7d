//! The peers: DuckDB (Python package, `tools/bench/import_peers.py`) and the `sqlite3`
//! CLI, each importing the same CSV and answering the same per-station counts.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, ensure};
use serde::{Deserialize, Serialize};

use crate::ToolResult;
use crate::measure;

/// Per-station counts, as Yieldline's report and the peers' query give them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StationCounts {
    /// Station id.
    pub id: String,
    /// `entered` events.
    pub entered: u64,
    /// `passed` events.
    pub passed: u64,
    /// `failed` events.
    pub failed: u64,
    /// `recycled` events.
    pub recycled: u64,
    /// `passed + failed + recycled`.
    pub dispositions: u64,
    /// `passed / dispositions`.
    #[serde(rename = "yield")]
    pub yield_: Option<f64>,
}

impl StationCounts {
    /// Events these counts cover.
    pub fn events_counted(&self) -> u64 {
        self.entered + self.dispositions
    }

    /// Same counts and (to rounding) the same yield.
    pub fn same_counts(&self, o: &Self) -> bool {
        self.id == o.id
            && (
                self.entered,
                self.passed,
                self.failed,
                self.recycled,
                self.dispositions,
            ) == (o.entered, o.passed, o.failed, o.recycled, o.dispositions)
            && match (self.yield_, o.yield_) {
                (Some(a), Some(b)) => (a - b).abs() < 1e-9,
                (None, None) => true,
                _ => false,
            }
    }
}

/// The per-station counts of `yieldline report --format json`.
pub fn counts_from_report(report: &serde_json::Value) -> Result<Vec<StationCounts>> {
    let stations = report
        .get("stations")
        .context("the report has no `stations`")?;
    serde_json::from_value::<Vec<StationCounts>>(stations.clone())
        .context("unexpected `stations` in the report")
}

/// A peer's figures and its answer.
pub struct PeerRun {
    /// Timings.
    pub result: ToolResult,
    /// Its per-station counts.
    pub counts: Vec<StationCounts>,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/bench/import_peers.py")
}

#[derive(Deserialize)]
struct DuckImport {
    engine_s: f64,
    rows: u64,
}

#[derive(Deserialize)]
struct DuckQuery {
    engine_s: f64,
    stations: Vec<StationCounts>,
}

/// DuckDB: `CREATE TABLE events AS SELECT * FROM read_csv(...)` into a DuckDB file in one
/// process, then the per-station query in a second process (like `yieldline report`).
pub fn duckdb(out: &Path, csv: &str, events: u64) -> Result<PeerRun> {
    let db = out.join("peer.duckdb");
    let _ = std::fs::remove_file(&db);
    let _ = std::fs::remove_file(out.join("peer.duckdb.wal"));
    let db_str = db.to_str().context("non-UTF-8 path")?;
    let script = script();
    let script_str = script.to_str().context("non-UTF-8 path")?;
    let python = Path::new("python3");
    let stdout = out.join("duckdb-import.json");
    eprintln!("duckdb import ...");
    let import = measure::run(
        out,
        python,
        &[script_str, "duckdb-import", csv, db_str],
        None,
        Some(&stdout),
    )?;
    let imp: DuckImport =
        serde_json::from_slice(&std::fs::read(&stdout)?).context("duckdb-import output")?;
    ensure!(
        imp.rows == events,
        "DuckDB imported {} rows, expected {events}",
        imp.rows
    );
    let stdout = out.join("duckdb-query.json");
    eprintln!("duckdb query ...");
    let query = measure::run(
        out,
        python,
        &[script_str, "duckdb-query", db_str],
        None,
        Some(&stdout),
    )?;
    let q: DuckQuery =
        serde_json::from_slice(&std::fs::read(&stdout)?).context("duckdb-query output")?;
    Ok(PeerRun {
        result: ToolResult {
            tool: "duckdb".into(),
            import,
            import_engine_s: Some(imp.engine_s),
            events_per_s: events as f64 / import.wall_s,
            query,
            query_engine_s: Some(q.engine_s),
            store_bytes: std::fs::metadata(&db).map_or(0, |m| m.len()),
        },
        counts: q.stations,
    })
}

/// The same columns as the CSV (no index: the CLI's `.import` into a plain table).
const SQLITE_SCHEMA: &str = "CREATE TABLE events (event_id TEXT, ts TEXT, unit_id TEXT, account_id TEXT, \
station TEXT, kind TEXT, reason TEXT, resume_on TEXT, referral_unit_id TEXT, channel TEXT, \
operator_id TEXT, operator_kind TEXT, arm TEXT, cost_minutes REAL);";

/// The per-station query in SQLite's dialect (same answer as DuckDB's).
const SQLITE_QUERY: &str = "SELECT station AS id, \
sum(kind = 'entered') AS entered, sum(kind = 'passed') AS passed, sum(kind = 'failed') AS failed, \
sum(kind = 'recycled') AS recycled, sum(kind IN ('passed', 'failed', 'recycled')) AS dispositions, \
CAST(sum(kind = 'passed') AS REAL) / nullif(sum(kind IN ('passed', 'failed', 'recycled')), 0) AS yield \
FROM events GROUP BY station ORDER BY station;";

/// sqlite3 CLI: `.import --csv --skip 1` into a table with the same columns, then the
/// GROUP BY in a second process.
pub fn sqlite3(out: &Path, csv: &str, events: u64) -> Result<PeerRun> {
    let db = out.join("peer.sqlite");
    let _ = std::fs::remove_file(&db);
    let db_str = db.to_str().context("non-UTF-8 path")?;
    let sqlite3 = Path::new("sqlite3");
    let script = out.join("sqlite3-import.sql");
    std::fs::write(
        &script,
        format!("{SQLITE_SCHEMA}\n.import --csv --skip 1 {csv} events\n"),
    )?;
    eprintln!("sqlite3 import ...");
    let import = measure::run(out, sqlite3, &["-bail", db_str], Some(&script), None)?;
    let stdout = out.join("sqlite3-query.json");
    eprintln!("sqlite3 query ...");
    let query = measure::run(
        out,
        sqlite3,
        &["-json", "-readonly", db_str, SQLITE_QUERY],
        None,
        Some(&stdout),
    )?;
    let counts: Vec<StationCounts> =
        serde_json::from_slice(&std::fs::read(&stdout)?).context("sqlite3 -json output")?;
    let total: u64 = counts.iter().map(StationCounts::events_counted).sum();
    ensure!(total > 0, "sqlite3 counted no events");
    Ok(PeerRun {
        result: ToolResult {
            tool: "sqlite3".into(),
            import,
            import_engine_s: None,
            events_per_s: events as f64 / import.wall_s,
            query,
            query_engine_s: None,
            store_bytes: std::fs::metadata(&db).map_or(0, |m| m.len()),
        },
        counts,
    })
}

//! `pg-bench`: the PostgreSQL store at scale, through the real `yieldline` binary.
//! In one run, on the same generated event file (the one `yieldline-bench` makes):
//! Yieldline's import into PostgreSQL against `psql \copy` of the same CSV into a table
//! with the same unique index (`event_id`); the report over PostgreSQL against the
//! report over the SQLite store (whose import is timed too); peak RSS of each; and a
//! check that both reports are the same JSON.
//!
//! `cargo run --release -p yieldline-bench --bin pg-bench -- --store postgres://… [--events N]`

#[path = "../measure.rs"]
mod measure;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail, ensure};
use clap::Parser;
use serde::Serialize;

use measure::Cost;

/// Import and report over PostgreSQL, against `psql \copy` and the SQLite store.
#[derive(Debug, Parser)]
#[command(name = "pg-bench", max_term_width = 100)]
struct Args {
    /// The PostgreSQL database (a fresh workspace key is made in it each run).
    #[arg(long, env = "YIELDLINE_TEST_PG_URL", hide_env_values = true)]
    store: String,
    /// Number of events (`--quick`: 200 000).
    #[arg(long, default_value_t = 1_000_000)]
    events: u64,
    /// Smoke run: 200 000 events.
    #[arg(long, conflicts_with = "events")]
    quick: bool,
    /// Directory of the generated file (shared with `yieldline-bench`) and results.
    #[arg(long, default_value = "bench-out")]
    out: PathBuf,
    /// Seed of the generated log.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// The `psql` client.
    #[arg(long, default_value = "psql")]
    psql: PathBuf,
}

#[derive(Debug, Serialize)]
struct PgResults {
    events: u64,
    loadavg_before: String,
    loadavg_after: String,
    yieldline_import_postgres: Cost,
    psql_copy: Cost,
    yieldline_import_sqlite: Cost,
    report_postgres: Cost,
    report_sqlite: Cost,
    /// psql \copy wall time / Yieldline import wall time (> 1: Yieldline faster).
    copy_over_import: f64,
    /// Report over PostgreSQL / over SQLite, wall time.
    report_pg_over_sqlite: f64,
}

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    if argv.get(1).map(String::as_str) == Some(measure::MEASURE_ARG) {
        if let Err(e) = measure::measurer_main(&argv[2..]) {
            eprintln!("error: {e:#}");
            std::process::exit(1);
        }
        return;
    }
    if let Err(e) = run(Args::parse()) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn sibling(name: &str) -> Result<PathBuf> {
    let me = std::env::current_exe()?;
    let path = me.with_file_name(name);
    ensure!(
        path.exists(),
        "{} is missing: build it (cargo build --release -p yieldline -p yieldline-bench)",
        path.display()
    );
    Ok(path)
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .trim()
        .to_owned()
}

fn psql(args: &Args, sql: &str) -> Result<()> {
    let status = Command::new(&args.psql)
        .args([
            args.store.as_str(),
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            sql,
        ])
        .status()
        .context("cannot run psql")?;
    ensure!(status.success(), "psql failed: {sql}");
    Ok(())
}

fn run(mut args: Args) -> Result<()> {
    if args.quick {
        args.events = 200_000;
    }
    std::fs::create_dir_all(&args.out)?;
    let out = args.out.canonicalize()?;
    let csv = out.join(format!("events-{}-seed{}.csv", args.events, args.seed));
    if !csv.exists() {
        let status = Command::new(sibling("yieldline-bench")?)
            .args(["--generate-only", "--events", &args.events.to_string()])
            .args(["--seed", &args.seed.to_string(), "--out"])
            .arg(&out)
            .status()?;
        ensure!(status.success(), "generating the event file failed");
    }
    let csv_str = csv.to_str().context("non-UTF-8 path")?;
    let yieldline = sibling("yieldline")?;
    let loadavg_before = loadavg();

    // 1. Yieldline into PostgreSQL, a fresh workspace key.
    let pg_ws = out.join("pg-ws");
    fresh_workspace(&pg_ws)?;
    let key = format!(
        "pg-bench-{}-{}",
        args.events,
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_secs()
    );
    let sep = if args.store.contains('?') { '&' } else { '?' };
    let store = format!("{}{sep}workspace={key}", args.store);
    let ws = |p: &Path| p.to_str().map(str::to_owned).context("non-UTF-8 path");
    let pg_ws_str = ws(&pg_ws)?;
    eprintln!("yieldline import into PostgreSQL ...");
    let yieldline_import_postgres = measure::run(
        &out,
        &yieldline,
        &[
            "--store", &store, "-w", &pg_ws_str, "import", "events", csv_str,
        ],
        None,
        None,
    )?;

    // 2. psql \copy of the same file into a table with the same unique index.
    let header = std::io::BufRead::lines(std::io::BufReader::new(std::fs::File::open(&csv)?))
        .next()
        .context("empty event file")??;
    let columns: Vec<String> = header
        .split(',')
        .map(|c| format!("\"{}\" text", c.trim().replace('"', "")))
        .collect();
    ensure!(
        header.split(',').any(|c| c.trim() == "event_id"),
        "the event file has no event_id column"
    );
    psql(
        &args,
        &format!(
            "DROP TABLE IF EXISTS pg_bench_copy; CREATE TABLE pg_bench_copy ({}); CREATE UNIQUE INDEX ON pg_bench_copy (event_id)",
            columns.join(", ")
        ),
    )?;
    eprintln!("psql \\copy ...");
    let copy = format!("\\copy pg_bench_copy FROM '{csv_str}' WITH (FORMAT csv, HEADER true)");
    let psql_copy = measure::run(
        &out,
        &args.psql,
        &[
            args.store.as_str(),
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            &copy,
        ],
        None,
        None,
    )?;
    psql(&args, "DROP TABLE pg_bench_copy")?;

    // 3. The SQLite store, for the report's peer.
    let lite_ws = out.join("sqlite-ws");
    fresh_workspace(&lite_ws)?;
    let lite_ws_str = ws(&lite_ws)?;
    eprintln!("yieldline import into SQLite ...");
    let yieldline_import_sqlite = measure::run(
        &out,
        &yieldline,
        &["-w", &lite_ws_str, "import", "events", csv_str],
        None,
        None,
    )?;

    // 4. The report over each; they must agree.
    let pg_report = out.join("pg-report.json");
    let lite_report = out.join("sqlite-report.json");
    eprintln!("reports ...");
    let report_postgres = measure::run(
        &out,
        &yieldline,
        &[
            "--store", &store, "-w", &pg_ws_str, "report", "--format", "json",
        ],
        None,
        Some(&pg_report),
    )?;
    let report_sqlite = measure::run(
        &out,
        &yieldline,
        &["-w", &lite_ws_str, "report", "--format", "json"],
        None,
        Some(&lite_report),
    )?;
    let a: serde_json::Value = serde_json::from_slice(&std::fs::read(&pg_report)?)?;
    let b: serde_json::Value = serde_json::from_slice(&std::fs::read(&lite_report)?)?;
    if a != b {
        bail!(
            "the reports over PostgreSQL and SQLite differ: compare {} and {}",
            pg_report.display(),
            lite_report.display()
        );
    }

    let r = PgResults {
        events: args.events,
        loadavg_before,
        loadavg_after: loadavg(),
        copy_over_import: psql_copy.wall_s / yieldline_import_postgres.wall_s,
        report_pg_over_sqlite: report_postgres.wall_s / report_sqlite.wall_s,
        yieldline_import_postgres,
        psql_copy,
        yieldline_import_sqlite,
        report_postgres,
        report_sqlite,
    };
    let row = |name: &str, c: &Cost| {
        println!(
            "{name:<34} {:>8.2} s  {:>8.2} cpu-s  {:>7.0} MiB peak RSS",
            c.wall_s,
            c.cpu_s,
            c.rss_mib()
        );
    };
    println!("{} events (load {})", r.events, r.loadavg_before);
    row(
        "yieldline import → PostgreSQL",
        &r.yieldline_import_postgres,
    );
    row("psql \\copy (same unique index)", &r.psql_copy);
    row("yieldline import → SQLite", &r.yieldline_import_sqlite);
    row("yieldline report over PostgreSQL", &r.report_postgres);
    row("yieldline report over SQLite", &r.report_sqlite);
    println!(
        "psql \\copy / yieldline import: {:.2}; report PostgreSQL / SQLite: {:.2} (same JSON)",
        r.copy_over_import, r.report_pg_over_sqlite
    );
    std::fs::write(out.join("pg-results.json"), serde_json::to_vec_pretty(&r)?)?;
    Ok(())
}

fn fresh_workspace(dir: &Path) -> Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("line.toml"), yieldline_core::line::TEMPLATE)?;
    Ok(())
}

//! `yieldline-bench`: imports N events (10 M by default) into a fresh workspace through
//! the real `yieldline` binary, reports on them, runs the same import and per-station
//! counts in DuckDB (Python package) and the `sqlite3` CLI on the same file, checks that
//! every tool counted the same thing, and prints the figures and the ratios.
//!
//! Run it with `cargo run --release -p yieldline-bench -- [--quick] [--events N] [--out DIR]`.

mod loggen;
mod measure;
mod peers;
mod sources;

use std::collections::BTreeMap;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail, ensure};
use clap::Parser;
use serde::Serialize;

use measure::Cost;
use peers::StationCounts;

/// Import and report on a large event log, and compare with DuckDB and sqlite3.
#[derive(Debug, Parser)]
#[command(name = "yieldline-bench", max_term_width = 100)]
struct Args {
    /// Smoke run: 200 000 events (CI).
    #[arg(long, conflicts_with = "events")]
    quick: bool,
    /// Number of events to generate.
    #[arg(long, default_value_t = 10_000_000)]
    events: u64,
    /// Directory for the generated file, the workspaces and results.json.
    #[arg(long, default_value = "bench-out")]
    out: PathBuf,
    /// Seed of the generated log.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// The `yieldline` binary (default: the one next to this executable, built with
    /// `cargo build --release -p yieldline` if missing).
    #[arg(long)]
    yieldline: Option<PathBuf>,
    /// Skip DuckDB and sqlite3.
    #[arg(long)]
    no_peers: bool,
    /// Regenerate the event file even if one with the same size and seed exists.
    #[arg(long)]
    regen: bool,
    /// Only generate the event file (e.g. for profiling with `yl-inproc`).
    #[arg(long)]
    generate_only: bool,
}

/// One tool's figures.
#[derive(Debug, Clone, Serialize)]
struct ToolResult {
    tool: String,
    /// Whole import process (start to exit).
    import: Cost,
    /// Time inside the engine, when the tool reports it (DuckDB).
    import_engine_s: Option<f64>,
    events_per_s: f64,
    /// Whole report/query process.
    query: Cost,
    query_engine_s: Option<f64>,
    /// Size of the store on disk after import, bytes.
    store_bytes: u64,
}

#[derive(Debug, Serialize)]
struct Results {
    events: u64,
    units: u64,
    seed: u64,
    csv_bytes: u64,
    machine: String,
    /// `/proc/loadavg` when the run ended.
    loadavg: String,
    generate_s: f64,
    /// The event file was left by an earlier run (same size and seed).
    csv_reused: bool,
    tools: Vec<ToolResult>,
    /// Yieldline's figure divided by the peer's (below 1: Yieldline is faster/smaller).
    ratios: BTreeMap<String, Ratios>,
    targets: Targets,
    stations: Vec<StationCounts>,
}

#[derive(Debug, Serialize)]
struct Ratios {
    import_s: f64,
    query_s: f64,
    /// Against the peer's in-engine query time (excludes the Python start for DuckDB).
    query_vs_engine_s: Option<f64>,
    peak_rss: f64,
}

#[derive(Debug, Serialize)]
struct Targets {
    import_1m_events_per_s: bool,
    report_at_most_1s: bool,
    report_faster_than_duckdb: Option<bool>,
    peak_rss_at_most_1gib: bool,
}

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    if argv.get(1).map(String::as_str) == Some("sources") {
        return sources::run(&argv[2..]).unwrap_or_else(|e| {
            eprintln!("error: {e:#}");
            std::process::exit(1);
        });
    }
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

fn run(args: Args) -> Result<()> {
    let events = if args.quick { 200_000 } else { args.events };
    ensure!(events > 0, "--events must be positive");
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let out = args.out.canonicalize()?;

    // 1. The event file (kept between runs: generation is not what is measured).
    let csv = out.join(format!("events-{events}-seed{}.csv", args.seed));
    let meta_path = csv.with_extension("json");
    let t = Instant::now();
    let mut csv_reused = false;
    let generated = match std::fs::read(&meta_path)
        .ok()
        .and_then(|b| serde_json::from_slice::<GenMeta>(&b).ok())
    {
        Some(m)
            if !args.regen && csv.exists() && m.events == events && m.generator == GENERATOR =>
        {
            eprintln!(
                "using {} ({} events, {} units)",
                csv.display(),
                m.events,
                m.units
            );
            csv_reused = true;
            loggen::Generated {
                events: m.events,
                units: m.units,
            }
        }
        _ => {
            eprintln!("generating {events} events into {} ...", csv.display());
            let file = std::fs::File::create(&csv)
                .with_context(|| format!("cannot create {}", csv.display()))?;
            let g = loggen::generate(events, args.seed, BufWriter::with_capacity(1 << 20, file))?;
            std::fs::write(
                &meta_path,
                serde_json::to_vec(&GenMeta {
                    events: g.events,
                    units: g.units,
                    generator: GENERATOR.to_owned(),
                })?,
            )?;
            g
        }
    };
    let generate_s = t.elapsed().as_secs_f64();
    let csv_bytes = std::fs::metadata(&csv)?.len();
    let csv_str = csv.to_str().context("non-UTF-8 path")?;
    eprintln!(
        "{csv_str}: {:.0} MB, {:.1} s",
        csv_bytes as f64 / 1e6,
        generate_s
    );
    if args.generate_only {
        return Ok(());
    }
    let yieldline = find_yieldline(args.yieldline.as_deref())?;

    // 2. Yieldline, through the real CLI.
    let ws = out.join("yieldline-ws");
    reset_dir(&ws)?;
    std::fs::write(ws.join("line.toml"), yieldline_core::line::TEMPLATE)?;
    let ws_str = ws.to_str().context("non-UTF-8 path")?;
    eprintln!("yieldline import ...");
    let import = measure::run(
        &out,
        &yieldline,
        &["-w", ws_str, "import", "events", csv_str],
        None,
        None,
    )?;
    let report_path = out.join("yieldline-report.json");
    eprintln!("yieldline report ...");
    let query = measure::run(
        &out,
        &yieldline,
        &["-w", ws_str, "report", "--format", "json"],
        None,
        Some(&report_path),
    )?;
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&report_path)?)
        .with_context(|| format!("{} is not JSON", report_path.display()))?;
    let yl_counts = peers::counts_from_report(&report)?;
    let total: u64 = yl_counts.iter().map(StationCounts::events_counted).sum();
    ensure!(total > 0, "the Yieldline report counted no events");
    let mut tools = vec![ToolResult {
        tool: "yieldline".into(),
        import,
        import_engine_s: None,
        events_per_s: generated.events as f64 / import.wall_s,
        query,
        query_engine_s: None,
        store_bytes: dir_bytes(&ws),
    }];

    // 3. and 4. The peers, on the same file, checked against Yieldline's counts.
    if !args.no_peers {
        let duck = peers::duckdb(&out, csv_str, generated.events)?;
        check_same("DuckDB", &yl_counts, &duck.counts)?;
        tools.push(duck.result);
        let lite = peers::sqlite3(&out, csv_str, generated.events)?;
        check_same("sqlite3", &yl_counts, &lite.counts)?;
        tools.push(lite.result);
    }

    let yl = tools[0].clone();
    let mut ratios = BTreeMap::new();
    for t in &tools[1..] {
        ratios.insert(
            t.tool.clone(),
            Ratios {
                import_s: yl.import.wall_s / t.import.wall_s,
                query_s: yl.query.wall_s / t.query.wall_s,
                query_vs_engine_s: t.query_engine_s.map(|e| yl.query.wall_s / e),
                peak_rss: yl.import.rss_mib().max(yl.query.rss_mib())
                    / t.import.rss_mib().max(t.query.rss_mib()),
            },
        );
    }
    let duck_query = tools
        .iter()
        .find(|t| t.tool == "duckdb")
        .map(|t| t.query_engine_s.unwrap_or(t.query.wall_s));
    let targets = Targets {
        import_1m_events_per_s: yl.events_per_s >= 1e6,
        report_at_most_1s: yl.query.wall_s <= 1.0,
        report_faster_than_duckdb: duck_query.map(|d| yl.query.wall_s < d),
        peak_rss_at_most_1gib: yl.import.peak_rss_kib.max(yl.query.peak_rss_kib) <= 1 << 20,
    };
    let results = Results {
        events: generated.events,
        units: generated.units,
        seed: args.seed,
        csv_bytes,
        machine: machine(),
        loadavg: std::fs::read_to_string("/proc/loadavg")
            .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .unwrap_or_default(),
        generate_s,
        csv_reused,
        tools,
        ratios,
        targets,
        stations: yl_counts,
    };
    print_table(&results)?;
    let json_path = out.join("results.json");
    std::fs::write(&json_path, serde_json::to_vec_pretty(&results)?)?;
    eprintln!("wrote {}", json_path.display());
    Ok(())
}

#[derive(serde::Serialize, serde::Deserialize)]
struct GenMeta {
    events: u64,
    units: u64,
    /// Which generator wrote the file (files of another one are regenerated).
    #[serde(default)]
    generator: String,
}

/// The generator of the event file, as recorded next to it.
const GENERATOR: &str = "yieldline-sim bench-line.toml v1";

/// The `yieldline` binary: given, or next to this executable (built if missing).
fn find_yieldline(given: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = given {
        ensure!(p.exists(), "{} does not exist", p.display());
        return Ok(p.to_owned());
    }
    let me = std::env::current_exe()?;
    let dir = me.parent().context("executable without a directory")?;
    let candidate = dir.join("yieldline");
    if !candidate.exists() {
        let profile = dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("release");
        let target_dir = dir.parent().context("no target directory")?;
        eprintln!("building the yieldline binary ({profile}) ...");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "-p", "yieldline", "--bin", "yieldline"])
            .env("CARGO_TARGET_DIR", target_dir);
        if profile == "release" {
            cmd.arg("--release");
        } else if profile != "debug" {
            cmd.args(["--profile", profile]);
        }
        let status = cmd.status().context("cannot run cargo")?;
        if !status.success() || !candidate.exists() {
            bail!(
                "could not build {}; pass --yieldline PATH",
                candidate.display()
            );
        }
    }
    Ok(candidate)
}

fn reset_dir(dir: &Path) -> Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("cannot remove {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir)?;
    Ok(())
}

fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok()?.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

fn check_same(peer: &str, yl: &[StationCounts], other: &[StationCounts]) -> Result<()> {
    let mut a = yl.to_vec();
    let mut b = other.to_vec();
    a.sort_by(|x, y| x.id.cmp(&y.id));
    b.sort_by(|x, y| x.id.cmp(&y.id));
    // Stations with no events at all appear in Yieldline's report but not in a GROUP BY.
    a.retain(|s| s.events_counted() > 0);
    b.retain(|s| s.events_counted() > 0);
    for (x, y) in a.iter().zip(&b) {
        ensure!(
            x.same_counts(y),
            "{peer} disagrees with Yieldline at station {}: Yieldline {x:?}, {peer} {y:?}",
            x.id
        );
    }
    ensure!(
        a.len() == b.len(),
        "{peer} reports {} stations, Yieldline {}",
        b.len(),
        a.len()
    );
    assert!(
        a.iter().zip(&b).all(|(x, y)| x.same_counts(y)),
        "per-station counts must agree"
    );
    Ok(())
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .next()
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|k| k.parse::<u64>().ok())
        })
        .map_or_else(String::new, |kib| {
            format!(", {:.0} GiB", kib as f64 / 1048576.0)
        });
    format!("{cpu}, {cores} cores{mem}")
}

fn print_table(r: &Results) -> Result<()> {
    let stdout = std::io::stdout();
    let mut o = stdout.lock();
    writeln!(
        o,
        "\n{} events, {} units, {:.0} MB CSV ({}); generated in {:.1} s{}",
        r.events,
        r.units,
        r.csv_bytes as f64 / 1e6,
        r.machine,
        r.generate_s,
        if r.csv_reused { " (file reused)" } else { "" }
    )?;
    writeln!(
        o,
        "{:<10} {:>9} {:>9} {:>10} {:>10} {:>8} {:>8} {:>10} {:>9} {:>9}",
        "tool",
        "import s",
        "(cpu s)",
        "events/s",
        "import MiB",
        "query s",
        "(cpu s)",
        "(engine s)",
        "query MiB",
        "store MB"
    )?;
    for t in &r.tools {
        writeln!(
            o,
            "{:<10} {:>9.2} {:>9.2} {:>10.0} {:>10.0} {:>8.3} {:>8.3} {:>10} {:>9.0} {:>9.0}",
            t.tool,
            t.import.wall_s,
            t.import.cpu_s,
            t.events_per_s,
            t.import.rss_mib(),
            t.query.wall_s,
            t.query.cpu_s,
            t.query_engine_s
                .map_or_else(|| "-".into(), |e| format!("{e:.3}")),
            t.query.rss_mib(),
            t.store_bytes as f64 / 1e6
        )?;
    }
    for (peer, x) in &r.ratios {
        writeln!(
            o,
            "yieldline/{peer}: import time ×{:.2}, query time ×{:.2}{}, peak RSS ×{:.2}",
            x.import_s,
            x.query_s,
            x.query_vs_engine_s
                .map_or_else(String::new, |e| format!(" (×{e:.2} vs its in-engine time)")),
            x.peak_rss
        )?;
    }
    let mark = |b: bool| if b { "met" } else { "NOT met" };
    writeln!(
        o,
        "load average at the end: {} (other work on the machine inflates wall times; cpu s does not)",
        r.loadavg
    )?;
    writeln!(
        o,
        "targets: import ≥ 1 M events/s: {}",
        mark(r.targets.import_1m_events_per_s)
    )?;
    writeln!(
        o,
        "         report ≤ 1 s: {}",
        mark(r.targets.report_at_most_1s)
    )?;
    if let Some(b) = r.targets.report_faster_than_duckdb {
        writeln!(
            o,
            "         report faster than DuckDB's query (in-engine): {}",
            mark(b)
        )?;
    }
    writeln!(
        o,
        "         peak RSS ≤ 1 GiB: {}",
        mark(r.targets.peak_rss_at_most_1gib)
    )?;
    Ok(())
}

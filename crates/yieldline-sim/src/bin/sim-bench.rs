//! Benchmark of the territory simulator against its Python peers.
//!
//! Times the Rust engine, then — in the same run — the same model written with numpy
//! (`tools/bench/sim_peers/sim_numpy.py`, vectorized) and with SimPy
//! (`tools/bench/sim_peers/sim_simpy.py`, one process per contact), each reading the
//! same scenario (a JSON dump of the Rust `Scenario`, scaled with
//! `Scenario::scaled_to`). The peers run at smaller sizes; throughput is compared per
//! account·day.
//!
//! Usage: `sim-bench [--quick] [--scenario FILE.toml] [--python python3] [--no-python]`
//! (run from the workspace root, release build).

use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::Instant;

use yieldline_sim::{Scenario, simulate};

struct Row {
    engine: String,
    accounts: u32,
    days: u32,
    seconds: f64,
    touches: u64,
    qualified: u64,
    burned: f64,
}

impl Row {
    fn rate(&self) -> f64 {
        f64::from(self.accounts) * f64::from(self.days) / self.seconds
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let no_python = args.iter().any(|a| a == "--no-python");
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let scenario_path = value("--scenario")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("examples/aggressive-automation.toml"));
    let python = value("--python").unwrap_or_else(|| "python3".into());
    let peers = root.join("tools/bench/sim_peers");

    let text = match std::fs::read_to_string(&scenario_path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{}: {e}", scenario_path.display());
            return ExitCode::FAILURE;
        }
    };
    let base = match Scenario::from_toml_str(&text) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{}: {e}", scenario_path.display());
            return ExitCode::FAILURE;
        }
    };
    let (rust_sizes, numpy_size, simpy_size) = if quick {
        (
            vec![(100_000u32, 120u32)],
            (20_000u32, 120u32),
            (2_000u32, 120u32),
        )
    } else {
        (
            vec![(100_000, 365), (1_000_000, 365)],
            (100_000, 365),
            (10_000, 365),
        )
    };
    println!(
        "scenario {} (capacities scaled with accounts; the days shown include the {}-day warm-up), {} rayon threads",
        scenario_path.display(),
        base.scenario.warmup_days,
        rayon::current_num_threads()
    );
    let mut rows = Vec::new();
    for (accounts, days) in rust_sizes {
        let sc = base.clone().scaled_to(accounts).with_days(days);
        let t0 = Instant::now();
        let out = match simulate(&sc) {
            Ok(o) => o,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        };
        let seconds = t0.elapsed().as_secs_f64();
        rows.push(Row {
            engine: "rust".into(),
            accounts,
            days: days + sc.scenario.warmup_days,
            seconds,
            touches: out.summary.touches,
            qualified: out.summary.qualified,
            burned: out.summary.final_burned_share,
        });
        print_row(rows.last());
    }
    if !no_python {
        for (engine, script, (accounts, days)) in [
            ("numpy", "sim_numpy.py", numpy_size),
            ("simpy", "sim_simpy.py", simpy_size),
        ] {
            let sc = base.clone().scaled_to(accounts).with_days(days);
            let rust_same = {
                let t0 = Instant::now();
                simulate(&sc).ok().map(|o| Row {
                    engine: "rust".into(),
                    accounts,
                    days: days + sc.scenario.warmup_days,
                    seconds: t0.elapsed().as_secs_f64(),
                    touches: o.summary.touches,
                    qualified: o.summary.qualified,
                    burned: o.summary.final_burned_share,
                })
            };
            if let Some(r) = rust_same {
                print_row(Some(&r));
                rows.push(r);
            }
            let json = std::env::temp_dir().join(format!(
                "yieldline-sim-bench-{}-{engine}.json",
                std::process::id()
            ));
            let dumped = serde_json::to_string(&sc)
                .map_err(std::io::Error::other)
                .and_then(|s| std::fs::write(&json, s));
            if let Err(e) = dumped {
                eprintln!("{}: {e}", json.display());
                return ExitCode::FAILURE;
            }
            let res = Command::new(&python)
                .arg(peers.join(script))
                .arg("--scenario")
                .arg(&json)
                .current_dir(&peers)
                .output();
            let _ = std::fs::remove_file(&json);
            match res {
                Ok(o) if o.status.success() => {
                    let line = String::from_utf8_lossy(&o.stdout);
                    match serde_json::from_str::<serde_json::Value>(line.trim()) {
                        Ok(v) => {
                            let row = Row {
                                engine: engine.into(),
                                accounts,
                                days: days + sc.scenario.warmup_days,
                                seconds: v["seconds"].as_f64().unwrap_or(f64::NAN),
                                touches: v["touches"].as_u64().unwrap_or(0),
                                qualified: v["qualified"].as_u64().unwrap_or(0),
                                burned: v["burned_share"].as_f64().unwrap_or(f64::NAN),
                            };
                            print_row(Some(&row));
                            rows.push(row);
                        }
                        Err(e) => eprintln!("{engine}: unreadable output ({e}): {line}"),
                    }
                }
                Ok(o) => eprintln!("{engine} failed: {}", String::from_utf8_lossy(&o.stderr)),
                Err(e) => eprintln!("{engine}: cannot run {python}: {e}"),
            }
        }
    }
    let best_rust = rows
        .iter()
        .filter(|r| r.engine == "rust")
        .map(Row::rate)
        .fold(0.0_f64, f64::max);
    println!("\nthroughput in account·days per second (simulated days include the warm-up):");
    for r in &rows {
        let same = rows
            .iter()
            .find(|x| x.engine == "rust" && x.accounts == r.accounts && x.days == r.days)
            .map_or(f64::NAN, Row::rate);
        let vs = if r.engine == "rust" {
            String::new()
        } else {
            format!(
                "  Rust ×{:.0} faster at the same size, ×{:.0} at its best size",
                same / r.rate(),
                best_rust / r.rate()
            )
        };
        println!(
            "  {:<6} {:>9} accounts × {:>3} days  {:>9.3} s  {:>14.0}{vs}",
            r.engine,
            r.accounts,
            r.days,
            r.seconds,
            r.rate()
        );
    }
    ExitCode::SUCCESS
}

fn print_row(r: Option<&Row>) {
    if let Some(r) = r {
        println!(
            "{:<6} {:>9} accounts × {:>3} days: {:>8.3} s  touches/account {:>6.2}  qualified per 1k accounts {:>7.2}  burned {:>5.1} %",
            r.engine,
            r.accounts,
            r.days,
            r.seconds,
            r.touches as f64 / f64::from(r.accounts),
            r.qualified as f64 * 1000.0 / f64::from(r.accounts),
            r.burned * 100.0
        );
    }
}

//! Runs a scenario file and writes its chart next to it (`x.toml` → `x.svg`), printing
//! the run's summary; `--json` and `--csv` also write the days.
//!
//! Usage: `sim-render <scenario.toml>... [--accounts N] [--days N] [--seed N] [--json] [--csv]`

use std::process::ExitCode;

use yieldline_sim::{Scenario, output::write_days_csv, render_svg, simulate};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut files = Vec::new();
    let (mut accounts, mut days, mut seed) = (None, None, None);
    let (mut json, mut csv) = (false, false);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut num = |name: &str| -> Option<u64> {
            let v = it.next().and_then(|v| v.parse().ok());
            if v.is_none() {
                eprintln!("{name} needs a number");
            }
            v
        };
        match a.as_str() {
            "--accounts" => accounts = num("--accounts"),
            "--days" => days = num("--days"),
            "--seed" => seed = num("--seed"),
            "--json" => json = true,
            "--csv" => csv = true,
            f => files.push(f.to_string()),
        }
    }
    if files.is_empty() {
        eprintln!(
            "usage: sim-render <scenario.toml>... [--accounts N] [--days N] [--seed N] [--json] [--csv]"
        );
        return ExitCode::from(2);
    }
    for f in files {
        let text = match std::fs::read_to_string(&f) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("{f}: {e}");
                return ExitCode::FAILURE;
            }
        };
        let mut sc = match Scenario::from_toml_str(&text) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("{f}: {e}");
                return ExitCode::FAILURE;
            }
        };
        if let Some(a) = accounts {
            sc = sc.with_accounts(a as u32);
        }
        if let Some(d) = days {
            sc = sc.with_days(d as u32);
        }
        if let Some(s) = seed {
            sc = sc.with_seed(s);
        }
        let t0 = std::time::Instant::now();
        let out = match simulate(&sc) {
            Ok(o) => o,
            Err(e) => {
                eprintln!("{f}: {e}");
                return ExitCode::FAILURE;
            }
        };
        let secs = t0.elapsed().as_secs_f64();
        let stem = f.strip_suffix(".toml").unwrap_or(&f).to_string();
        let mut res = std::fs::write(format!("{stem}.svg"), render_svg(&out));
        if json && res.is_ok() {
            res = std::fs::File::create(format!("{stem}.json")).and_then(|w| {
                out.write_json(std::io::BufWriter::new(w))
                    .map_err(std::io::Error::other)
            });
        }
        if csv && res.is_ok() {
            res = std::fs::File::create(format!("{stem}.csv")).and_then(|w| {
                write_days_csv(&out, std::io::BufWriter::new(w)).map_err(std::io::Error::other)
            });
        }
        if let Err(e) = res {
            eprintln!("{stem}: {e}");
            return ExitCode::FAILURE;
        }
        let s = &out.summary;
        println!(
            "{f}: {secs:.2}s  touches {}  qualified {}  peak {:.2}/day on day {}  end {:.2}/day  yield/touch {:.4} -> {:.4}  burned {:.1}%  opt-outs/touch {:.2}% (end {:.2}%)  fresh left {}",
            s.touches,
            s.qualified,
            s.peak_qualified_per_day,
            s.peak_day,
            s.end_qualified_per_day,
            s.start_yield_per_touch,
            s.end_yield_per_touch,
            s.final_burned_share * 100.0,
            s.optout_rate * 100.0,
            s.end_optout_rate * 100.0,
            s.final_fresh_remaining
        );
    }
    ExitCode::SUCCESS
}

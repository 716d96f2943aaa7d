//! `yieldline simulate`: the day-by-day territory simulator.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use yieldline_import::{Format, Options};
use yieldline_sim::{Scenario, SimOptions, render_svg, simulate_with, write_workspace_files};
use yieldline_store::StoreExt;

use crate::output::{self, pct};
use crate::workspace::{LINE_FILE, Workspace};

/// Output formats of `simulate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum SimFormat {
    /// A summary for people.
    #[default]
    Table,
    /// The scenario and every day (JSON).
    Json,
    /// One row per day.
    Csv,
}

/// Arguments of `yieldline simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// The scenario file (see examples/*.toml).
    #[arg(long, value_name = "FILE.toml")]
    scenario: PathBuf,
    /// Override the number of accounts.
    #[arg(long)]
    accounts: Option<u32>,
    /// Override the number of simulated working days.
    #[arg(long)]
    days: Option<u32>,
    /// Override the seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Fit the propensity distribution and fatigue from the workspace's events first.
    #[arg(long)]
    calibrate: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: SimFormat,
    /// Also draw qualified meetings, yield per touch and burned share to this SVG file.
    #[arg(long, value_name = "FILE.svg")]
    plot: Option<PathBuf>,
    /// Also write the simulated territory and event log as a workspace in DIR and import
    /// them, so every other command runs on the simulated line.
    #[arg(long, value_name = "DIR")]
    emit_workspace: Option<PathBuf>,
}

/// Runs `yieldline simulate`.
pub fn run(dir: &Path, args: &SimulateArgs) -> Result<()> {
    let text = std::fs::read_to_string(&args.scenario)
        .with_context(|| format!("cannot read {}", args.scenario.display()))?;
    let mut scenario = Scenario::from_toml_str(&text)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.scenario.display()))?;
    if let Some(n) = args.accounts {
        scenario = scenario.with_accounts(n);
    }
    if let Some(n) = args.days {
        scenario = scenario.with_days(n);
    }
    if let Some(s) = args.seed {
        scenario = scenario.with_seed(s);
    }
    if args.calibrate {
        let fitted = calibration(dir)?;
        fitted.apply_to(&mut scenario);
        eprintln!(
            "calibrated from {}: propensity Beta({:.3}, {:.3}) (mean {:.4})",
            dir.display(),
            fitted.alpha,
            fitted.beta,
            fitted.propensity_mean
        );
    }
    scenario
        .validate()
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.scenario.display()))?;
    let out = simulate_with(
        &scenario,
        SimOptions {
            record_events: args.emit_workspace.is_some(),
        },
    )?;
    if let Some(path) = &args.plot {
        std::fs::write(path, render_svg(&out))
            .with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    if let Some(ws_dir) = &args.emit_workspace {
        emit(ws_dir, &out)?;
    }
    let stdout = std::io::stdout();
    let mut o = stdout.lock();
    match args.format {
        SimFormat::Json => out.write_json(&mut o)?,
        SimFormat::Csv => yieldline_sim::output::write_days_csv(&out, &mut o)?,
        SimFormat::Table => {
            let s = &out.summary;
            writeln!(
                o,
                "{} working days from day 0, after {} warm-up days (not counted below), seed {}",
                s.working_days, s.warmup_days, scenario.scenario.seed
            )?;
            let mut t = output::table(&["", "start", "peak", "end"]);
            t.add_row(vec![
                "qualified per day (smoothed)".to_string(),
                "".into(),
                format!("{:.1} (day {})", s.peak_qualified_per_day, s.peak_day),
                format!("{:.1}", s.end_qualified_per_day),
            ]);
            t.add_row(vec![
                "yield per touch".to_string(),
                pct(Some(s.start_yield_per_touch)),
                "".into(),
                pct(Some(s.end_yield_per_touch)),
            ]);
            t.add_row(vec![
                format!("burned share (of {})", s.burned_share_of),
                "".into(),
                "".into(),
                pct(Some(s.final_burned_share)),
            ]);
            writeln!(o, "{t}")?;
            writeln!(
                o,
                "{} touches, {} qualified meetings (final-station passes from day 0: {} per working day), {} fresh accounts left",
                s.touches,
                s.qualified,
                output::num(s.qualified_per_day, 2),
                s.final_fresh_remaining
            )?;
            if s.warmup_days > 0 {
                writeln!(
                    o,
                    "warm-up: {} more qualified meetings over its {} days; {}",
                    s.warmup_qualified,
                    s.warmup_days,
                    if s.warmup_recorded {
                        format!(
                            "its events are in the log, so an emitted workspace's report counts {} qualified",
                            s.qualified_in_log()
                        )
                    } else {
                        "its events are not logged (the log starts on day 0)".to_owned()
                    }
                )?;
            }
        }
    }
    Ok(())
}

fn emit(dir: &Path, out: &yieldline_sim::SimOutput) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let line_path = dir.join(LINE_FILE);
    if line_path.exists() {
        bail!(
            "{} already exists: --emit-workspace needs a new directory",
            line_path.display()
        );
    }
    let create = |name: &str| -> Result<BufWriter<File>> {
        let p = dir.join(name);
        Ok(BufWriter::new(File::create(&p).with_context(|| {
            format!("cannot write {}", p.display())
        })?))
    };
    write_workspace_files(
        out,
        create(LINE_FILE)?,
        create("territory.csv")?,
        create("events.csv")?,
    )?;
    let ws = Workspace::open(dir)?;
    yieldline_import::import_territory(
        &*ws.store,
        &dir.join("territory.csv"),
        Options::default(),
        &mut |_| {},
    )?;
    let e = yieldline_import::import_events(
        &*ws.store,
        &ws.line,
        &dir.join("events.csv"),
        Format::Csv,
        Options::default(),
        &mut |_| {},
    )?;
    if let Some(def) = &out.experiment {
        ws.store.put_experiment(def)?;
    }
    eprintln!(
        "simulated workspace {}: {} events imported",
        dir.display(),
        e.record.imported
    );
    Ok(())
}

/// The calibration input of a workspace: touches and replies at its touch station.
fn calibration(dir: &Path) -> Result<yieldline_sim::calibrate::Calibration> {
    let ws = Workspace::open(dir)?;
    Ok(yieldline_app::simulate::calibration(&ws)?)
}

//! `yieldline demo`: a complete workspace with realistic synthetic data, and its report.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use anyhow::{Context, Result, bail};
use yieldline_core::report::Period;
use yieldline_import::{Format, Options};
use yieldline_sim::{EventsCsv, write_events_csv, write_territory_csv};
use yieldline_store::StoreExt;

use crate::OutputFormat;
use crate::workspace::{LINE_FILE, Workspace};

/// Runs the simulator's demo scenario, writes its line, territory and events into
/// `dir`, imports them through the ordinary import path, and prints the report.
pub fn run(dir: &Path, seed: u64, format: OutputFormat) -> Result<()> {
    let data = yieldline_sim::demo::run_demo(Some(seed))?;
    let line_toml = data.scenario.line_toml()?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let line_path = dir.join(LINE_FILE);
    match std::fs::read_to_string(&line_path) {
        Ok(existing) if existing != line_toml => bail!(
            "{} exists and is not the demo's line: choose an empty directory for the demo",
            line_path.display()
        ),
        Ok(_) => {}
        Err(_) => std::fs::write(&line_path, &line_toml)
            .with_context(|| format!("cannot write {}", line_path.display()))?,
    }
    let territory_path = dir.join("territory.csv");
    write_territory_csv(&data, BufWriter::new(create(&territory_path)?))
        .with_context(|| format!("cannot write {}", territory_path.display()))?;
    let events_path = dir.join("events.csv");
    write_events_csv(
        &data,
        BufWriter::new(create(&events_path)?),
        EventsCsv::default(),
    )
    .with_context(|| format!("cannot write {}", events_path.display()))?;

    let ws = Workspace::open(dir)?;
    let t = yieldline_import::import_territory(
        &*ws.store,
        &territory_path,
        Options::default(),
        &mut |_| {},
    )?;
    let e = yieldline_import::import_events(
        &*ws.store,
        &ws.line,
        &events_path,
        Format::Csv,
        Options::default(),
        &mut |_| {},
    )?;
    eprintln!(
        "demo workspace {} (seed {seed}): {} contacts, {} events imported ({} already there)",
        dir.display(),
        t.record.imported + t.record.duplicates + t.record.updated,
        e.record.imported,
        e.record.duplicates
    );
    if let Some(def) = &data.experiment {
        ws.store.put_experiment(def)?;
    }
    let r = yieldline_app::analysis::report(&ws, Period::default())?;
    super::report::print(&ws, &r, format)
}

fn create(path: &Path) -> Result<File> {
    File::create(path).with_context(|| format!("cannot write {}", path.display()))
}

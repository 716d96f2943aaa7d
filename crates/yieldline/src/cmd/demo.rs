//! `yieldline demo`: a complete workspace with realistic synthetic data, and its report.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use anyhow::{Context, Result, bail};
use jiff::civil::Date;
use yieldline_core::demo;
use yieldline_core::report::Period;
use yieldline_import::{Format, Options, write_events_csv, write_territory_csv};
use yieldline_store::Contact;

use crate::OutputFormat;
use crate::workspace::{LINE_FILE, Workspace};

/// First day of the demo's activity.
const DEMO_START: Date = Date::constant(2025, 6, 2);

/// Writes the demo's line, territory and events into `dir`, imports them through the
/// ordinary import path, and prints the report.
pub fn run(dir: &Path, seed: u64, format: OutputFormat) -> Result<()> {
    let data = demo::generate(seed, DEMO_START);
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let line_path = dir.join(LINE_FILE);
    match std::fs::read_to_string(&line_path) {
        Ok(existing) if existing != data.line_toml => bail!(
            "{} exists and is not the demo's line: choose an empty directory for the demo",
            line_path.display()
        ),
        Ok(_) => {}
        Err(_) => std::fs::write(&line_path, &data.line_toml)
            .with_context(|| format!("cannot write {}", line_path.display()))?,
    }
    let territory_path = dir.join("territory.csv");
    let contacts: Vec<Contact> = data
        .contacts
        .iter()
        .map(|c| Contact {
            contact_id: c.contact_id.clone(),
            account_id: c.account_id.clone(),
            fit_tier: Some(c.fit_tier),
            first_name: Some(c.first_name.clone()),
            last_name: Some(c.last_name.clone()),
            email: Some(c.email.clone()),
            title: Some(c.title.clone()),
        })
        .collect();
    write_territory_csv(BufWriter::new(create(&territory_path)?), &contacts)
        .with_context(|| format!("cannot write {}", territory_path.display()))?;
    let events_path = dir.join("events.csv");
    write_events_csv(BufWriter::new(create(&events_path)?), &data.events)
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
    let def = super::experiment::demo_definition(&data.experiment)?;
    if !ws.store.update_experiment(&def)? {
        ws.store.insert_experiment(&def)?;
    }
    let r = yieldline_app::analysis::report(&ws, Period::default())?;
    super::report::print(&ws, &r, format)
}

fn create(path: &Path) -> Result<File> {
    File::create(path).with_context(|| format!("cannot write {}", path.display()))
}

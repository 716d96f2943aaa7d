//! `yieldline check` and `yieldline events remove`.

use std::path::Path;

use anyhow::{Result, bail};
use clap::{Args, Subcommand};

use crate::OutputFormat;
use crate::cmd::suppress::actor;
use crate::output;
use crate::workspace::Workspace;

/// Runs `yieldline check`: exit 0 when nothing is wrong, 1 when something is. Anomalies
/// of the events (implied entries, units outside the territory) are listed per unit but
/// do not fail the check: they describe the export, not damage to the store.
pub fn run(dir: &Path, format: OutputFormat) -> Result<()> {
    let ws = Workspace::open(dir)?;
    let c = yieldline_app::check::check(&ws)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match format {
        OutputFormat::Json => output::json(&mut out, &c)?,
        OutputFormat::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record(["area", "problem"])?;
            for p in &c.problems {
                w.write_record([p.area, &yieldline_core::text::csv_safe(&p.message)])?;
            }
            for a in &c.anomalies {
                w.write_record(["anomaly", &yieldline_core::text::csv_safe(&anomaly_text(a))])?;
            }
            w.flush()?;
        }
        OutputFormat::Table => {
            use std::io::Write as _;
            if c.problems.is_empty() {
                writeln!(
                    out,
                    "ok: the store's records are intact and every stored station is in the line"
                )?;
            }
            for p in &c.problems {
                writeln!(out, "{}: {}", p.area, p.message)?;
            }
            if !c.anomalies.is_empty() {
                writeln!(
                    out,
                    "{} units with anomalies (not failures: a touch or disposition without an entry implies the entry, so these units are worked, never fresh):",
                    c.anomalies.len()
                )?;
                for a in &c.anomalies {
                    writeln!(out, "anomaly: {}", anomaly_text(a))?;
                }
            }
        }
    }
    if !c.problems.is_empty() {
        bail!("{} problem(s) found", c.problems.len());
    }
    Ok(())
}

/// One unit's anomalies as a line of text.
fn anomaly_text(a: &yieldline_app::check::UnitAnomaly) -> String {
    let mut parts = Vec::new();
    if a.outcome_without_entry > 0 {
        parts.push(format!(
            "{} outcomes without an entry",
            a.outcome_without_entry
        ));
    }
    if a.outcome_before_entry > 0 {
        parts.push(format!(
            "{} outcomes before their entry",
            a.outcome_before_entry
        ));
    }
    if a.unknown_unit {
        parts.push("not in the territory".to_owned());
    }
    format!("unit {}: {}", a.unit_id, parts.join(", "))
}

/// Subcommands of `yieldline events`.
#[derive(Debug, Subcommand)]
pub enum EventsCmd {
    /// Remove a mistaken event (logged with who, when and why).
    Remove(RemoveArgs),
}

/// Arguments of `events remove`.
#[derive(Debug, Args)]
pub struct RemoveArgs {
    /// The event's id.
    #[arg(long)]
    id: String,
    /// Why (kept in the store's log of removals).
    #[arg(long, required = true)]
    reason: String,
    /// Who removes it (default: $YIELDLINE_USER, else $USER).
    #[arg(long, value_name = "WHO")]
    by: Option<String>,
}

/// Runs an `events` subcommand.
pub fn events(dir: &Path, cmd: EventsCmd) -> Result<()> {
    match cmd {
        EventsCmd::Remove(a) => {
            let who = actor(a.by.as_deref())?;
            let ws = Workspace::open(dir)?;
            let (station, ts) = yieldline_app::check::remove_event(&ws, &a.id, &who, &a.reason)?;
            println!(
                "removed event {} (station {station}, {ts}); logged as removed by {who}: {}",
                a.id.trim(),
                a.reason.trim()
            );
            Ok(())
        }
    }
}

//! `yieldline dispatch`: the day's work orders.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;
use jiff::civil::Date;
use yieldline_core::dispatch::{Dispatch, DispatchInput, UnitInfo, dispatch};
use yieldline_core::text::csv_safe;
use yieldline_core::watch::Status;
use yieldline_store::Store;

use crate::OutputFormat;
use crate::output;
use crate::workspace::Workspace;

/// Arguments of `yieldline dispatch`.
#[derive(Debug, Args)]
pub struct DispatchArgs {
    /// The day to dispatch (YYYY-MM-DD; default: today in the line's time zone).
    #[arg(long)]
    date: Option<Date>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
    /// Write the orders to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// Computes the day's orders for a workspace.
pub fn compute(ws: &mut Workspace, date: Date) -> Result<Dispatch> {
    let log = ws.store.load_log(&ws.line)?;
    let day_before = date.yesterday().unwrap_or(date);
    let recent = super::plan::recent_report(ws, &log, None, Some(day_before))?;
    let plan = super::plan::make(ws, &log, &recent, None, 2_000, 1)
        .context("cannot size the fresh intake from the plan")?;
    let w = super::watch::compute(ws, &log, &recent, 90.0);
    let brake = w
        .signals
        .iter()
        .filter(|s| {
            s.status == Status::Alarm && (s.name == "buyer_harm" || s.name == "territory_burn")
        })
        .map(|s| s.message.clone())
        .reduce(|a, b| format!("{a}; {b}"));
    let suppression = ws
        .store
        .suppression_list()?
        .with_plus_tags(ws.line.identity.plus_tags);
    let units: Vec<UnitInfo> = ws
        .store
        .unit_directory(&ws.line)?
        .into_iter()
        .map(|u| UnitInfo {
            suppressed: false,
            key: u.key,
            account: u.account,
            fit_tier: u.fit_tier,
            in_territory: u.in_territory,
            contacts: u.contacts,
            domains: Vec::new(),
        })
        .collect();
    let input = DispatchInput {
        date,
        fresh_per_day: plan.fresh_per_day,
        yields: plan.stations.iter().map(|s| Some(s.yield_)).collect(),
        brake,
        experiments: super::experiment::running(ws, date)?,
        suppression,
    };
    Ok(dispatch(&ws.line, &log, &units, &input)?)
}

/// Runs `yieldline dispatch`.
pub fn run(dir: &Path, args: &DispatchArgs) -> Result<()> {
    let mut ws = Workspace::open(dir)?;
    let date = args.date.unwrap_or_else(|| {
        jiff::Timestamp::now()
            .to_zoned(ws.line.timezone.clone())
            .date()
    });
    let d = compute(&mut ws, date)?;
    let mut sink: Box<dyn Write> = match &args.out {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot write {}", path.display()))?,
        )),
        None => Box::new(std::io::stdout().lock()),
    };
    match args.format {
        OutputFormat::Json => output::json(&mut sink, &d)?,
        OutputFormat::Csv => {
            let mut w = csv::Writer::from_writer(&mut sink);
            w.write_record([
                "date",
                "station",
                "unit_id",
                "account_id",
                "operator_kind",
                "arm",
                "reason",
            ])?;
            for o in &d.orders {
                // Ids, arms and reasons are text from outside: neutralised as formulas.
                let arm = o.arm.as_deref().unwrap_or_default();
                w.write_record([
                    o.date.to_string().as_str(),
                    &csv_safe(&o.station),
                    &csv_safe(&o.unit_id),
                    &csv_safe(&o.account_id),
                    &csv_safe(&o.operator_kind),
                    &csv_safe(arm),
                    &csv_safe(&o.reason),
                ])?;
            }
            w.flush()?;
        }
        OutputFormat::Table => {
            writeln!(
                sink,
                "work orders for {} ({} orders, {} fresh)",
                d.date,
                d.orders.len(),
                d.fresh_intake
            )?;
            let mut t = output::table(&["station", "orders", "first in queue"]);
            for st in &ws.line.stations {
                let orders: Vec<_> = d.orders.iter().filter(|o| o.station == st.id).collect();
                t.add_row(vec![
                    st.id.clone(),
                    orders.len().to_string(),
                    orders
                        .first()
                        .map_or("–".into(), |o| format!("{} ({})", o.unit_id, o.reason)),
                ]);
            }
            writeln!(sink, "{t}")?;
            for n in &d.notes {
                writeln!(sink, "note: {n}")?;
            }
            let mut excluded: Vec<_> = d.excluded.iter().collect();
            excluded.sort();
            for (why, n) in excluded {
                writeln!(sink, "left out: {n} ({why})")?;
            }
            writeln!(sink, "(use --format csv or json for the orders themselves)")?;
        }
    }
    sink.flush()?;
    if let Some(path) = &args.out {
        eprintln!("wrote {} orders to {}", d.orders.len(), path.display());
    }
    Ok(())
}

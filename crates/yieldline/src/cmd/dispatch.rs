//! `yieldline dispatch`: the day's work orders.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;
use jiff::civil::Date;

use crate::OutputFormat;
use crate::output;
use crate::workspace::Workspace;

/// Arguments of `yieldline dispatch`.
#[derive(Debug, Args)]
pub struct DispatchArgs {
    /// The day to dispatch (YYYY-MM-DD; default: today in the line's time zone).
    #[arg(long)]
    date: Option<Date>,
    /// Output format (default: a table on the terminal; with --out, the file's
    /// extension: .json for JSON, else CSV).
    #[arg(long, value_enum)]
    format: Option<OutputFormat>,
    /// Write the orders themselves to this file (never the summary table).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Tables show every cell on one line, however wide (default: fitted to 100 columns).
    #[arg(long)]
    wide: bool,
}

/// Runs `yieldline dispatch`.
pub fn run(dir: &Path, args: &DispatchArgs) -> Result<()> {
    output::set_wide(args.wide);
    let ws = Workspace::open(dir)?;
    let date = args.date.unwrap_or_else(|| {
        jiff::Timestamp::now()
            .to_zoned(ws.line.timezone.clone())
            .date()
    });
    if let Some(out) = &args.out {
        yieldline_app::check_output("--out", out, &ws.protected_files(), &[])?;
    }
    let d = yieldline_app::analysis::dispatch(&ws, date)?;
    let mut sink: Box<dyn Write> = match &args.out {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot write {}", path.display()))?,
        )),
        None => Box::new(std::io::stdout().lock()),
    };
    let format = match (args.format, &args.out) {
        (Some(f), None) => f,
        (Some(OutputFormat::Table) | None, Some(path)) => {
            let json = path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("json"));
            if json {
                OutputFormat::Json
            } else {
                OutputFormat::Csv
            }
        }
        (Some(f), Some(_)) => f,
        (None, None) => OutputFormat::Table,
    };
    match format {
        OutputFormat::Json => output::json(&mut sink, &d)?,
        OutputFormat::Csv => yieldline_app::render::write_dispatch_csv(&mut sink, &d)?,
        OutputFormat::Table => {
            writeln!(
                sink,
                "work orders for {} ({} orders, {} fresh)",
                d.date,
                d.orders.len(),
                d.fresh_intake
            )?;
            let mut t = output::table(&["station", "orders", "first in queue"]);
            output::left(&mut t, 2);
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

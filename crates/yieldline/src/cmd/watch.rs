//! `yieldline watch`: the toxic-automation watch.

use std::io::Write;
use std::path::Path;

use anyhow::Result;
use clap::Args;
use jiff::civil::Date;
use yieldline_core::watch::Status;

use crate::OutputFormat;
use crate::output;
use crate::workspace::Workspace;

/// Arguments of `yieldline watch`.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// The day to look back from (default: the last event's day).
    #[arg(long)]
    as_of: Option<Date>,
    /// Working days of fresh territory below which the burn signal warns.
    #[arg(long, default_value_t = yieldline_app::analysis::DEFAULT_HORIZON_DAYS)]
    horizon: f64,
    /// Yields of the depletion and dilution signals: period or cohort (entries passed within 30 days); default: cohort when outcomes lag differently.
    #[arg(long, value_enum, default_value_t)]
    basis: output::BasisArg,
    /// Output format (table or json).
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
    /// Tables show every cell on one line, however wide (default: fitted to 100 columns).
    #[arg(long)]
    wide: bool,
}

/// Runs `yieldline watch`.
pub fn run(dir: &Path, args: &WatchArgs) -> Result<()> {
    output::set_wide(args.wide);
    let ws = Workspace::open(dir)?;
    let w = yieldline_app::analysis::watch_on(&ws, args.as_of, args.horizon, args.basis.request())?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match args.format {
        OutputFormat::Json => output::json(&mut out, &w),
        OutputFormat::Csv => {
            let mut wr = csv::Writer::from_writer(out);
            wr.write_record(["signal", "status", "message"])?;
            for s in &w.signals {
                wr.write_record([s.name, status_name(s.status), &s.message])?;
            }
            wr.flush()?;
            Ok(())
        }
        OutputFormat::Table => {
            writeln!(out, "health {} as of {}", w.health.to_uppercase(), w.as_of)?;
            let mut t = output::table(&["signal", "status", "evidence"]);
            output::left(&mut t, 2);
            for s in &w.signals {
                t.add_row(vec![
                    s.name.replace('_', " "),
                    status_name(s.status).to_owned(),
                    s.message.clone(),
                ]);
            }
            writeln!(out, "{t}")?;
            output::basis_lines(&mut out, &w.basis, &w.lag_notes)?;
            writeln!(out, "action: {}", w.action)?;
            Ok(())
        }
    }
}

fn status_name(s: Status) -> &'static str {
    match s {
        Status::Ok => "ok",
        Status::Warn => "warn",
        Status::Alarm => "ALARM",
    }
}

//! `yieldline report`: the line's measurements over a period.

use std::path::Path;

use anyhow::Result;
use clap::Args;
use jiff::civil::Date;
use yieldline_core::report::{Period, Report};

use crate::OutputFormat;
use crate::output;
use crate::workspace::Workspace;

/// Arguments of `yieldline report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// First day of the period (YYYY-MM-DD, in the line's time zone; default: the first event's day).
    #[arg(long)]
    pub from: Option<Date>,
    /// Last day of the period (default: the last event's day).
    #[arg(long)]
    pub to: Option<Date>,
    /// Follow the period's cohorts to the end of this day (default: the latest event's instant).
    #[arg(long)]
    pub as_of: Option<Date>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
    /// Tables show every cell on one line, however wide (default: fitted to 100 columns).
    #[arg(long)]
    pub wide: bool,
}

/// Prints the report.
pub fn run(dir: &Path, args: &ReportArgs) -> Result<()> {
    output::set_wide(args.wide);
    let ws = Workspace::open(dir)?;
    let r = yieldline_app::analysis::report_at(
        &ws,
        Period {
            from: args.from,
            to: args.to,
        },
        args.as_of,
    )?;
    print(&ws, &r, args.format)
}

/// Prints a report in the chosen format.
pub fn print(ws: &Workspace, r: &Report, format: OutputFormat) -> Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match format {
        OutputFormat::Json => output::json(&mut out, r),
        OutputFormat::Csv => output::report_csv(&mut out, r),
        OutputFormat::Table => output::report_table(&mut out, &ws.line, r),
    }
}

//! `yieldline import territory|events FILE...`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::{Args, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use yieldline_app::import::{EventFormat as AppEventFormat, ImportKind, ImportRequest};
use yieldline_core::values::DateFormat as AppDateFormat;

use crate::workspace::Workspace;

/// What to import.
#[derive(Debug, Subcommand)]
pub enum ImportWhat {
    /// Territory contacts: CSV with contact_id,account_id[,fit_tier,first_name,last_name,email,title].
    Territory {
        /// CSV files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[command(flatten)]
        bad: BadRows,
    },
    /// Activity events: CSV with a header, JSON Lines, or an XES log (.xes, .xes.gz) with
    /// --mapping (by extension or --format).
    Events {
        /// Event files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Input format (default: from each file's extension).
        #[arg(long, value_enum)]
        format: Option<EventFormat>,
        /// For XES logs: the mapping (TOML) from activities to stations and event kinds.
        #[arg(long, value_name = "FILE", conflicts_with = "source")]
        mapping: Option<PathBuf>,
        /// IANA time zone of timestamps without an offset and of date-only values
        /// (default: the line's timezone).
        #[arg(long, value_name = "TZ")]
        source_timezone: Option<String>,
        /// How slashed dates are read: iso (refused), dmy (day first) or mdy (month first).
        #[arg(long, value_enum, default_value_t = DateFormat::Iso)]
        date_format: DateFormat,
        /// A tool's export (CSV or JSON Lines): salesforce, hubspot, outreach, salesloft,
        /// apollo, pipedrive, or the path of a source mapping file (README: Sources).
        #[arg(long, value_name = "NAME|FILE", conflicts_with = "format")]
        source: Option<String>,
        #[command(flatten)]
        bad: BadRows,
    },
}

/// How slashed dates (a/b/yyyy) are read.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DateFormat {
    /// ISO 8601 dates only (2025-03-04); slashed dates are refused.
    Iso,
    /// Day first: 04/03/2025 is 4 March 2025.
    Dmy,
    /// Month first: 04/03/2025 is 3 April 2025.
    Mdy,
}

/// Event file formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum EventFormat {
    /// CSV with a header row.
    Csv,
    /// JSON Lines.
    Jsonl,
    /// XES event log, plain or gzip (needs --mapping).
    Xes,
}

/// Handling of bad rows.
#[derive(Debug, Args)]
pub struct BadRows {
    /// Import the good rows and write the bad ones to --rejects instead of refusing the file.
    #[arg(long, requires = "rejects")]
    skip_bad: bool,
    /// Where to write rejected rows (CSV: file,line,field,error,record).
    #[arg(long, value_name = "FILE")]
    rejects: Option<PathBuf>,
    /// Refuse files with columns (or JSON keys) that are not fields of the format (with
    /// --source: that the mapping does not read), instead of ignoring them with a warning.
    #[arg(long)]
    strict: bool,
}

fn progress_bar(path: &Path) -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    if len < 4 << 20 {
        return None;
    }
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {bytes}/{total_bytes} ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(path.display().to_string());
    Some(bar)
}

/// Runs the import of each file, one transaction each.
pub fn run(dir: &Path, what: ImportWhat) -> Result<()> {
    let ws = Workspace::open(dir)?;
    let (kind, files, bad, format, mapping, source, source_timezone, date_format) = match what {
        ImportWhat::Territory { files, bad } => (
            ImportKind::Territory,
            files,
            bad,
            None,
            None,
            None,
            None,
            DateFormat::Iso,
        ),
        ImportWhat::Events {
            files,
            format,
            mapping,
            source,
            source_timezone,
            date_format,
            bad,
        } => (
            ImportKind::Events,
            files,
            bad,
            format,
            mapping,
            source,
            source_timezone,
            date_format,
        ),
    };
    let req = ImportRequest {
        files,
        format: format.map(|f| match f {
            EventFormat::Csv => AppEventFormat::Csv,
            EventFormat::Jsonl => AppEventFormat::Jsonl,
            EventFormat::Xes => AppEventFormat::Xes,
        }),
        mapping,
        source,
        skip_bad: bad.skip_bad,
        rejects: bad.rejects,
        strict: bad.strict,
        source_timezone,
        date_format: match date_format {
            DateFormat::Iso => AppDateFormat::Iso,
            DateFormat::Dmy => AppDateFormat::Dmy,
            DateFormat::Mdy => AppDateFormat::Mdy,
        },
    };
    let mut bar: Option<(PathBuf, Option<ProgressBar>)> = None;
    let report = yieldline_app::import::import(&ws, kind, &req, &mut |path, bytes| {
        if bar.as_ref().is_none_or(|(p, _)| p != path) {
            if let Some((_, Some(b))) = &bar {
                b.finish_and_clear();
            }
            bar = Some((path.to_owned(), progress_bar(path)));
        }
        if let Some((_, Some(b))) = &bar {
            b.set_position(bytes);
        }
    });
    if let Some((_, Some(b))) = &bar {
        b.finish_and_clear();
    }
    let report = report?;
    for f in &report.files {
        let r = &f.outcome.record;
        eprintln!(
            "{}: read {}, imported {}, skipped as duplicates {}{}, rejected {}",
            f.file.display(),
            r.read,
            r.imported,
            r.duplicates,
            if r.kind == "territory" {
                format!(", updated {}, skipped: erased {}", r.updated, r.erased)
            } else {
                String::new()
            },
            r.rejected
        );
        if !f.outcome.ignored_columns.is_empty() {
            eprintln!(
                "{}: warning: ignored columns that are not fields of the format: {} (--strict refuses them)",
                f.file.display(),
                f.outcome.ignored_columns.join(", ")
            );
        }
        if let Some(x) = &f.outcome.xes {
            for l in x.lines() {
                eprintln!("{}: {l}", f.file.display());
            }
        }
        if let Some(s) = &f.outcome.source {
            for l in s.lines() {
                eprintln!("{}: {l}", f.file.display());
            }
        }
    }
    if let Some(a) = report.anomalies.filter(|a| !a.is_empty()) {
        eprintln!(
            "warning: the workspace's events have {} outcomes without an entry and {} before their entry (the entry is implied: those units count as worked, never fresh), and name {} units not in the territory; `yieldline check` lists them per unit",
            a.outcome_without_entry, a.outcome_before_entry, a.unknown_units
        );
    }
    if let Some(path) = &req.rejects
        && !report.rejects.is_empty()
    {
        eprintln!(
            "{} rejected rows written to {}",
            report.rejects.len(),
            path.display()
        );
    }
    match report.failure {
        // A refused file's bad rows: the command line can import the good ones.
        Some(mut e) if e.line.is_some() && !req.skip_bad => {
            e.message
                .push_str(" (use --skip-bad --rejects FILE to import the good rows)");
            Err(e.into())
        }
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

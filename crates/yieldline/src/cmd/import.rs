//! `yieldline import territory|events FILE...`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use yieldline_import::{
    Format, Options, Outcome, RowError, XesMapping, is_xes_path, write_rejects,
};

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
        #[arg(long, value_name = "FILE")]
        mapping: Option<PathBuf>,
        #[command(flatten)]
        bad: BadRows,
    },
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
    let mut ws = Workspace::open(dir)?;
    let (files, bad) = match &what {
        ImportWhat::Territory { files, bad } | ImportWhat::Events { files, bad, .. } => {
            (files, bad)
        }
    };
    let options = Options {
        skip_bad: bad.skip_bad,
    };
    let mapping = match &what {
        ImportWhat::Events {
            mapping: Some(m), ..
        } => {
            let text = yieldline_import::read_text(m)?;
            Some(XesMapping::from_toml(
                &m.display().to_string(),
                &text,
                &ws.line,
            )?)
        }
        _ => None,
    };
    let mut all_rejects: Vec<RowError> = Vec::new();
    let mut failed = None;
    for path in files {
        let bar = progress_bar(path);
        let mut tick = |bytes: u64| {
            if let Some(b) = &bar {
                b.set_position(bytes);
            }
        };
        let result: Result<Outcome> = match &what {
            ImportWhat::Territory { .. } => {
                yieldline_import::import_territory(&mut ws.store, path, options, &mut tick)
                    .map_err(Into::into)
            }
            ImportWhat::Events { format, .. } => {
                let xes = matches!(format, Some(EventFormat::Xes))
                    || (format.is_none() && is_xes_path(path));
                let format = match format {
                    _ if xes => match &mapping {
                        Some(m) => Format::Xes(m),
                        None => bail!(
                            "{}: an XES log needs --mapping FILE: which activity is which station and event is yours \
                             to say (see the README's \"XES event logs\" and examples/bpic2012-mapping.toml)",
                            path.display()
                        ),
                    },
                    Some(EventFormat::Csv) => Format::Csv,
                    Some(EventFormat::Jsonl) => Format::Jsonl,
                    _ => match Format::from_path(path) {
                        Some(f) => f,
                        None => bail!(
                            "{}: cannot tell the format from the extension: use .csv, .jsonl, .xes or .xes.gz, or --format",
                            path.display()
                        ),
                    },
                };
                yieldline_import::import_events(
                    &mut ws.store,
                    &ws.line,
                    path,
                    format,
                    options,
                    &mut tick,
                )
                .map_err(Into::into)
            }
        };
        if let Some(b) = bar {
            b.finish_and_clear();
        }
        match result {
            Ok(out) => {
                let r = &out.record;
                eprintln!(
                    "{}: read {}, imported {}, skipped as duplicates {}{}, rejected {}",
                    path.display(),
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
                if let Some(x) = &out.xes {
                    for l in x.lines() {
                        eprintln!("{}: {l}", path.display());
                    }
                }
                all_rejects.extend(out.rejects);
            }
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
    }
    if let Some(path) = &bad.rejects {
        let file = std::fs::File::create(path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        write_rejects(std::io::BufWriter::new(file), &all_rejects)
            .with_context(|| format!("cannot write {}", path.display()))?;
        if !all_rejects.is_empty() {
            eprintln!(
                "{} rejected rows written to {}",
                all_rejects.len(),
                path.display()
            );
        }
    }
    match failed {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

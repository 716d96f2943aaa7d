//! Imports: territory and event files into the workspace's store, one transaction per
//! file (see `yieldline_import`).

use std::path::{Path, PathBuf};

use yieldline_import::{
    Format, Options, Outcome, RowError, SourceMapping, XesMapping, is_xes_path, write_rejects,
};

use yieldline_core::values::{DateFormat, TimeRules};

use crate::check::AnomalyCounts;
use crate::error::{AppError, AppResult};
use crate::workspace::{Workspace, check_output};

/// What is imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    /// Territory contacts (CSV).
    Territory,
    /// Activity events.
    Events,
}

/// The format of an event file, when not told by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventFormat {
    /// CSV with a header row.
    Csv,
    /// JSON Lines.
    Jsonl,
    /// XES (needs a mapping).
    Xes,
}

/// What an import is asked.
#[derive(Debug, Clone, Default)]
pub struct ImportRequest {
    /// The files, imported in order, each in its own transaction.
    pub files: Vec<PathBuf>,
    /// Event format (default: from each file's extension).
    pub format: Option<EventFormat>,
    /// XES mapping file.
    pub mapping: Option<PathBuf>,
    /// A tool's export: a built-in source (`salesforce`, `hubspot`, `outreach`,
    /// `salesloft`, `apollo`, `pipedrive`) or the path of a source mapping file.
    pub source: Option<String>,
    /// Import the good rows and return the bad ones instead of refusing the file.
    pub skip_bad: bool,
    /// Where the rejected rows are written (CSV).
    pub rejects: Option<PathBuf>,
    /// Refuse files with columns (or JSON keys) that are no field of the format
    /// (default: ignore them, naming them in [`Outcome::ignored_columns`]).
    pub strict: bool,
    /// The IANA zone of offset-less timestamps and date-only values (default: the
    /// line's zone).
    pub source_timezone: Option<String>,
    /// How slashed dates are read (default: ISO dates only).
    pub date_format: DateFormat,
}

/// One file's import.
#[derive(Debug)]
pub struct FileImport {
    /// The file.
    pub file: PathBuf,
    /// What happened.
    pub outcome: Outcome,
}

/// What a whole import did: the files imported before any failure, then the failure.
#[derive(Debug)]
pub struct ImportReport {
    /// Files imported, in order.
    pub files: Vec<FileImport>,
    /// Rejected rows of every file (with `skip_bad`).
    pub rejects: Vec<RowError>,
    /// The failure that stopped the import (that file left nothing in the store).
    pub failure: Option<AppError>,
    /// After an events import: the workspace's anomalies (see [`crate::check::anomalies`]).
    pub anomalies: Option<AnomalyCounts>,
}

impl ImportReport {
    /// The summary of the `i`-th file imported, with the workspace's anomalies.
    pub fn summary(&self, i: usize) -> Option<ImportSummary> {
        self.files.get(i).map(|f| ImportSummary {
            anomalies: self.anomalies,
            ..ImportSummary::from(&f.outcome.record)
        })
    }
}

/// Imports one uploaded file — the server's spooled copy of a request body or a form
/// upload — as `kind`, and returns its summary with the workspace's anomalies. Its
/// messages name the upload `shown_as`, never the spool file's path.
pub fn import_upload(
    ws: &Workspace,
    kind: ImportKind,
    path: &Path,
    format: Option<EventFormat>,
    shown_as: &str,
) -> AppResult<ImportSummary> {
    let req = ImportRequest {
        files: vec![path.to_owned()],
        format,
        ..ImportRequest::default()
    };
    let spool = path.display().to_string();
    let renamed = |mut e: AppError| {
        e.message = e.message.replace(&spool, shown_as);
        e
    };
    let report = import(ws, kind, &req, &mut |_, _| {}).map_err(renamed)?;
    if let Some(e) = report.failure {
        return Err(renamed(e));
    }
    report
        .summary(0)
        .ok_or_else(|| AppError::internal("the import reported no file"))
}

/// The counts of one file's import, as every interface shows them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportSummary {
    /// `events` or `territory`.
    pub kind: String,
    /// Records read.
    pub read: u64,
    /// Records stored for the first time.
    pub imported: u64,
    /// Records already stored unchanged (skipped).
    pub duplicates: u64,
    /// Records updated (territory).
    pub updated: u64,
    /// Records rejected.
    pub rejected: u64,
    /// Records skipped because they name an erased person (territory).
    pub erased: u64,
    /// Events imports: the workspace's anomalies after the import — outcomes without an
    /// entry or before it (the entry is implied; such units are never fresh) and units
    /// outside the territory. `yieldline check` lists them per unit.
    pub anomalies: Option<AnomalyCounts>,
}

impl From<&yieldline_store::ImportRecord> for ImportSummary {
    fn from(r: &yieldline_store::ImportRecord) -> Self {
        Self {
            kind: r.kind.clone(),
            read: r.read,
            imported: r.imported,
            duplicates: r.duplicates,
            updated: r.updated,
            rejected: r.rejected,
            erased: r.erased,
            anomalies: None,
        }
    }
}

/// Imports the files of `req`, reporting each file's bytes read to `progress`.
pub fn import(
    ws: &Workspace,
    kind: ImportKind,
    req: &ImportRequest,
    progress: &mut dyn FnMut(&Path, u64),
) -> AppResult<ImportReport> {
    if let Some(r) = &req.rejects {
        let mut inputs = req.files.clone();
        inputs.extend(req.mapping.clone());
        inputs.extend(source_path(req.source.as_deref()));
        check_output("--rejects", r, &ws.protected_files(), &inputs)?;
    }
    let time = match &req.source_timezone {
        Some(zone) => TimeRules::in_zone(zone, req.date_format)
            .map_err(|why| AppError::invalid("source-timezone", why))?,
        None => TimeRules {
            date_format: req.date_format,
            ..TimeRules::of_line(&ws.line)
        },
    };
    let options = Options {
        skip_bad: req.skip_bad,
        strict: req.strict,
        time: Some(time),
        zone_given: req.source_timezone.is_some(),
    };
    let mapping = match (&req.mapping, kind) {
        (Some(m), ImportKind::Events) => {
            let text = yieldline_import::read_text(m)?;
            Some(XesMapping::from_toml(
                &m.display().to_string(),
                &text,
                &ws.line,
            )?)
        }
        _ => None,
    };
    let source = match (&req.source, kind) {
        (Some(s), ImportKind::Events) => Some(source_mapping(ws, s)?),
        _ => None,
    };
    let mut report = ImportReport {
        files: Vec::new(),
        rejects: Vec::new(),
        failure: None,
        anomalies: None,
    };
    for path in &req.files {
        let mut tick = |bytes: u64| progress(path, bytes);
        let result: AppResult<Outcome> = match kind {
            ImportKind::Territory => {
                yieldline_import::import_territory(&*ws.store, path, options.clone(), &mut tick)
                    .map_err(Into::into)
            }
            ImportKind::Events => match &source {
                Some(m) => Ok(Format::Source(m)),
                None => event_format(path, req.format, mapping.as_ref()),
            }
            .and_then(|f| {
                yieldline_import::import_events(
                    &*ws.store,
                    &ws.line,
                    path,
                    f,
                    options.clone(),
                    &mut tick,
                )
                .map_err(Into::into)
            }),
        };
        match result {
            Ok(mut outcome) => {
                report.rejects.append(&mut outcome.rejects);
                report.files.push(FileImport {
                    file: path.clone(),
                    outcome,
                });
            }
            Err(e) => {
                report.failure = Some(e);
                break;
            }
        }
    }
    if kind == ImportKind::Events && !report.files.is_empty() {
        report.anomalies = Some(AnomalyCounts::of(&crate::check::anomalies(ws)?));
    }
    if let Some(path) = &req.rejects {
        let file = std::fs::File::create(path)
            .map_err(|e| AppError::internal(format!("cannot write {}: {e}", path.display())))?;
        write_rejects(std::io::BufWriter::new(file), &report.rejects)
            .map_err(|e| AppError::internal(format!("cannot write {}: {e}", path.display())))?;
    }
    Ok(report)
}

/// The path a `--source` names, when it is not a built-in source.
fn source_path(source: Option<&str>) -> Option<PathBuf> {
    source
        .filter(|s| yieldline_import::mapping::tabular::builtin(s).is_none())
        .map(PathBuf::from)
}

/// A built-in source by name, or a mapping file (which may extend one) by path.
fn source_mapping(ws: &Workspace, source: &str) -> AppResult<SourceMapping> {
    if yieldline_import::mapping::tabular::builtin(source).is_some() {
        return Ok(SourceMapping::builtin(source, &ws.line)?);
    }
    let path = Path::new(source);
    if !path.exists() {
        return Err(AppError::invalid(
            "source",
            format!(
                "{source:?} is neither a source ({}) nor a mapping file",
                yieldline_import::SOURCES.map(|(n, _)| n).join(", ")
            ),
        ));
    }
    let text = yieldline_import::read_text(path)?;
    Ok(SourceMapping::from_toml(
        &path.display().to_string(),
        &text,
        &ws.line,
    )?)
}

fn event_format<'m>(
    path: &Path,
    format: Option<EventFormat>,
    mapping: Option<&'m XesMapping>,
) -> AppResult<Format<'m>> {
    let xes = matches!(format, Some(EventFormat::Xes)) || (format.is_none() && is_xes_path(path));
    if xes {
        return match mapping {
            Some(m) => Ok(Format::Xes(m)),
            None => Err(AppError::invalid(
                "mapping",
                format!(
                    "{}: an XES log needs --mapping FILE: which activity is which station and event is yours \
                     to say (see the README's \"XES event logs\" and examples/bpic2012-mapping.toml)",
                    path.display()
                ),
            )),
        };
    }
    match format {
        Some(EventFormat::Csv) => Ok(Format::Csv),
        Some(EventFormat::Jsonl) => Ok(Format::Jsonl),
        _ => Format::from_path(path).ok_or_else(|| {
            AppError::invalid(
                "format",
                format!(
                    "{}: cannot tell the format from the extension: use .csv, .jsonl, .xes or .xes.gz, or --format",
                    path.display()
                ),
            )
        }),
    }
}

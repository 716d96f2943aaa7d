//! Importers: event logs (CSV with a header, JSON Lines) and territories (CSV) into a
//! [`Store`], one transaction per file.
//!
//! A bad row refuses the whole file with an error naming the file, the line and the
//! field, and the store is left as it was. With `skip_bad`, good rows are imported and
//! every bad one is returned (for a rejects file). Re-importing a file changes nothing:
//! an `event_id` already stored with the same content is skipped as a duplicate.

use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use yieldline_core::event::{EVENT_FIELDS, RawEvent};
use yieldline_core::line::Line;
use yieldline_core::text::csv_safe;
use yieldline_core::values::TimeRules;
use yieldline_store::{ImportRecord, Inserted, Store, StoreError, StoreExt};

mod csv_events;
mod jsonl;
pub mod mapping;
pub mod tabular;
mod territory;
pub mod xes;
pub use csv_events::REQUIRED_EVENT_FIELDS;
pub use mapping::{SOURCES, SourceMapping, SourceSummary};
pub use territory::{TERRITORY_FIELDS, import_territory, write_territory_csv};
pub use xes::{MappingError, XesMapping, XesSummary, is_xes_path};

use csv_events::Check;

/// Input format of an event file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format<'a> {
    /// CSV with a header row naming the fields.
    Csv,
    /// One JSON object per line.
    Jsonl,
    /// An XES event log (plain or gzip), mapped onto events by a user's mapping.
    Xes(&'a XesMapping),
    /// A tool's tabular export (CSV or JSON Lines), mapped by a source mapping.
    Source(&'a SourceMapping),
}

impl Format<'_> {
    /// The format implied by a file's extension (`.csv`, `.jsonl`, `.ndjson`, `.json`).
    pub fn from_path(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(Self::Csv),
            "jsonl" | "ndjson" | "json" => Some(Self::Jsonl),
            _ => None,
        }
    }
}

/// One rejected row: where it is and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The file.
    pub file: PathBuf,
    /// 1-based line in the file where the row starts.
    pub line: u64,
    /// The offending field, when one is to blame.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
    /// The row as read (CSV fields re-joined, or the JSON line).
    pub record: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: ", self.file.display(), self.line)?;
        if let Some(field) = &self.field {
            write!(f, "field `{field}`: ")?;
        }
        f.write_str(&self.message)
    }
}

/// Why an import failed. Nothing of the file was stored.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file could not be read.
    #[error("cannot read {}", file.display())]
    Io {
        /// The file.
        file: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The header is unusable.
    #[error("{}:1: {message}", file.display())]
    Header {
        /// The file.
        file: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The file is not readable as its format (e.g. malformed XML): nothing was imported.
    #[error("{}:{line}: {message}\nnothing from this file was imported", file.display())]
    Malformed {
        /// The file.
        file: PathBuf,
        /// 1-based line in the file (of the decompressed text for a gzip file).
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// Rows are invalid: the whole file is refused, every bad row listed (the first
    /// [`LISTED_BAD_ROWS`], then a count of the rest).
    #[error("{}", bad_rows_message(file, rows, *more))]
    BadRows {
        /// The file.
        file: PathBuf,
        /// The bad rows listed, in file order.
        rows: Vec<RowError>,
        /// Bad rows past the listed ones.
        more: u64,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How many bad rows a refusal lists; the rest are counted.
pub const LISTED_BAD_ROWS: usize = 100;

fn bad_rows_message(file: &Path, rows: &[RowError], more: u64) -> String {
    let mut out = String::new();
    for r in rows {
        out.push_str(&r.to_string());
        out.push('\n');
    }
    if more > 0 {
        out.push_str(&format!(
            "… and {more} more bad rows (the first {LISTED_BAD_ROWS} are listed)\n"
        ));
    }
    let total = rows.len() as u64 + more;
    out.push_str(&format!(
        "{}: {total} bad row{}: nothing from this file was imported",
        file.display(),
        if total == 1 { "" } else { "s" }
    ));
    out
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Counts, as kept in the store's import log.
    pub record: ImportRecord,
    /// Rows rejected (only with `skip_bad`).
    pub rejects: Vec<RowError>,
    /// For an XES log: what was read and what was skipped, per activity.
    pub xes: Option<XesSummary>,
    /// Columns (CSV) or keys (JSON Lines) that are no field of the format, ignored.
    pub ignored_columns: Vec<String>,
    /// For a tool's export: the object recognised, and what was left out.
    pub source: Option<SourceSummary>,
}

/// Options of an import.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Import the good rows and return the bad ones instead of refusing the file.
    pub skip_bad: bool,
    /// Refuse a file with columns (or JSON keys) that are no field of its format,
    /// instead of ignoring them with a warning.
    pub strict: bool,
    /// How timestamps and dates are read (`--source-timezone`, `--date-format`);
    /// `None`: the line's zone, ISO dates only ([`TimeRules::of_line`]).
    pub time: Option<TimeRules>,
    /// Whether `time`'s zone was given by the user (`--source-timezone`): it then wins
    /// over the zone a source mapping states for an export object.
    pub zone_given: bool,
}

/// Wraps a reader, reporting the bytes read so far to a progress callback.
pub(crate) struct Counting<'p, R> {
    inner: R,
    read: u64,
    progress: &'p mut dyn FnMut(u64),
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        (self.progress)(self.read);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counting<'_, R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, n: usize) {
        self.inner.consume(n);
        self.read += n as u64;
        (self.progress)(self.read);
    }
}

fn open(path: &Path) -> Result<File, ImportError> {
    File::open(path).map_err(|source| ImportError::Io {
        file: path.to_owned(),
        source,
    })
}

/// Collects bad rows: every one with `skip_bad`, else the first [`LISTED_BAD_ROWS`] and
/// a count, for one refusal that lists them all.
pub(crate) struct Rejects {
    skip_bad: bool,
    rows: Vec<RowError>,
    more: u64,
}

impl Rejects {
    pub(crate) fn reject(&mut self, e: RowError) {
        if self.skip_bad || self.rows.len() < LISTED_BAD_ROWS {
            self.rows.push(e);
        } else {
            self.more += 1;
        }
    }

    /// Whether the file will be refused: nothing more of it need be stored.
    pub(crate) fn refusing(&self) -> bool {
        !self.skip_bad && !self.rows.is_empty()
    }

    /// At the end of the file: the refusal listing its bad rows, if it has any and
    /// `skip_bad` is off (the transaction then stores nothing).
    pub(crate) fn refuse_if_bad(&mut self, path: &Path) -> Result<(), ImportError> {
        if self.refusing() {
            return Err(ImportError::BadRows {
                file: path.to_owned(),
                rows: std::mem::take(&mut self.rows),
                more: self.more,
            });
        }
        Ok(())
    }

    pub(crate) fn into_rows(self) -> Vec<RowError> {
        self.rows
    }
}

/// Opens a file for import: its counting reader, the rejects collector and the record.
pub(crate) fn start<'p>(
    path: &Path,
    kind: &str,
    options: &Options,
    progress: &'p mut dyn FnMut(u64),
) -> Result<(Counting<'p, BufReader<File>>, Rejects, ImportRecord), ImportError> {
    let reader = Counting {
        inner: BufReader::with_capacity(1 << 20, open(path)?),
        read: 0,
        progress,
    };
    let rejects = Rejects {
        skip_bad: options.skip_bad,
        rows: Vec::new(),
        more: 0,
    };
    let record = ImportRecord {
        kind: kind.into(),
        source: path.display().to_string(),
        ..ImportRecord::default()
    };
    Ok((reader, rejects, record))
}

/// Imports one event file into the store, in one transaction. A file with bad rows is
/// refused as a whole, listing them ([`ImportError::BadRows`]), unless `skip_bad`.
pub fn import_events<S: Store + ?Sized>(
    store: &S,
    line: &Line,
    path: &Path,
    format: Format<'_>,
    options: Options,
    progress: &mut dyn FnMut(u64),
) -> Result<Outcome, ImportError> {
    let (reader, mut rejects, mut record) = start(path, "events", &options, progress)?;
    let time = options
        .time
        .clone()
        .unwrap_or_else(|| TimeRules::of_line(line));
    let check = Check {
        line,
        // One instant for the whole file: the plausible window ends a fixed time after it.
        now: jiff::Timestamp::now(),
        time: &time,
        strict: options.strict,
    };
    let mut xes_summary = None;
    let mut ignored_columns = Vec::new();
    let mut source_summary = None;
    store.import_events(|sink| -> Result<(), ImportError> {
        // `parsed` is the row read and validated (see `validated`), or why it is bad.
        let mut handle =
            |parsed: Parsed, line_no: u64, text: &dyn Fn() -> String| -> Result<(), ImportError> {
                record.read += 1;
                let bad = |field: Option<String>, message: String| RowError {
                    file: path.to_owned(),
                    line: line_no,
                    field,
                    message,
                    record: text(),
                };
                let event = match parsed {
                    Ok(e) => e,
                    Err((field, message)) => {
                        rejects.reject(bad(field, message));
                        return Ok(());
                    }
                };
                if rejects.refusing() {
                    // The file is refused: the rest is read for its bad rows only.
                    return Ok(());
                }
                match sink.insert(&event) {
                    Ok(Inserted::New) => record.imported += 1,
                    Ok(Inserted::Duplicate | Inserted::Updated | Inserted::Erased) => {
                        record.duplicates += 1
                    }
                    Err(StoreError::Conflict { event_id }) => rejects.reject(bad(
                        Some("event_id".into()),
                        format!("{event_id:?} is already stored with different content"),
                    )),
                    Err(e) => return Err(e.into()),
                }
                Ok(())
            };
        match format {
            Format::Csv => ignored_columns = csv_events::read(reader, path, &check, &mut handle)?,
            Format::Jsonl => ignored_columns = jsonl::read(reader, path, &check, &mut handle)?,
            Format::Xes(mapping) => {
                xes_summary = Some(xes::read_events(
                    reader,
                    path,
                    mapping,
                    line,
                    check.now,
                    &mut handle,
                )?)
            }
            Format::Source(mapping) => {
                source_summary = Some(mapping::read_events(
                    reader,
                    path,
                    mapping,
                    &check,
                    options.zone_given,
                    &mut handle,
                )?)
            }
        }
        rejects.refuse_if_bad(path)
    })?;
    finish(
        store,
        record,
        Outcome {
            rejects: rejects.into_rows(),
            xes: xes_summary,
            ignored_columns,
            source: source_summary,
            ..Outcome::default()
        },
    )
}

/// Logs a finished import with its count of rejected rows and returns its outcome.
pub(crate) fn finish<S: Store + ?Sized>(
    store: &S,
    mut record: ImportRecord,
    outcome: Outcome,
) -> Result<Outcome, ImportError> {
    record.rejected = outcome.rejects.len() as u64;
    store.log_import(&record)?;
    Ok(Outcome { record, ..outcome })
}

/// A row read and validated, or the field to blame (if any) and what is wrong.
type Parsed = Result<yieldline_core::event::Event, (Option<String>, String)>;

/// Validates a deserialised row against the line under the import's time rules; the
/// import's instant ends the plausible window (see [`RawEvent::validate_with`]).
fn validated_with(
    raw: Result<RawEvent<'_>, (Option<String>, String)>,
    check: &Check<'_>,
) -> Parsed {
    raw.and_then(|raw| {
        raw.validate_with(check.line, check.now, check.time)
            .map_err(|e| (Some(e.field.to_owned()), e.message))
    })
}

/// [`validated_with`] under the line's default time rules (XES: its timestamps carry
/// their offsets).
fn validated(
    raw: Result<RawEvent<'_>, (Option<String>, String)>,
    line: &Line,
    now: jiff::Timestamp,
) -> Parsed {
    raw.and_then(|raw| {
        raw.validate(line, now)
            .map_err(|e| (Some(e.field.to_owned()), e.message))
    })
}

fn csv_error(path: &Path, e: csv::Error) -> ImportError {
    ImportError::Header {
        file: path.to_owned(),
        message: match e.kind() {
            csv::ErrorKind::Utf8 { .. } => {
                "the header is not UTF-8 text: save the file as UTF-8 (CSV UTF-8 in Excel)".into()
            }
            _ => format!("cannot read the CSV header: {e}"),
        },
    }
}

/// A row the CSV reader refused, as a bad row naming its line and column (`Err` for an
/// I/O error, which stops the import).
fn csv_row_error(
    path: &Path,
    e: csv::Error,
    names: &csv::StringRecord,
) -> Result<RowError, ImportError> {
    let line = e.position().map_or(0, |p| p.line());
    let (field, message) = match e.kind() {
        csv::ErrorKind::Io(_) => {
            return Err(ImportError::Io {
                file: path.to_owned(),
                source: std::io::Error::other(e.to_string()),
            });
        }
        csv::ErrorKind::Utf8 { err, .. } => (
            names.get(err.field()).map(|n| n.trim().to_owned()),
            "is not UTF-8 text: save the file as UTF-8 (CSV UTF-8 in Excel)".to_owned(),
        ),
        _ => (None, format!("cannot be read as CSV: {e}")),
    };
    Ok(RowError {
        file: path.to_owned(),
        line,
        field,
        message,
        record: String::new(),
    })
}

/// Writes rejected rows as CSV: `file,line,field,error,record`.
pub fn write_rejects(out: impl std::io::Write, rejects: &[RowError]) -> Result<(), csv::Error> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(["file", "line", "field", "error", "record"])?;
    for r in rejects {
        let file = r.file.display().to_string();
        w.write_record([
            csv_safe(&file).as_ref(),
            &r.line.to_string(),
            &csv_safe(r.field.as_deref().unwrap_or_default()),
            &csv_safe(&r.message),
            &csv_safe(&r.record),
        ])?;
    }
    w.flush()?;
    Ok(())
}

/// Reads a whole small file into memory with the same error type (for callers that
/// need the text, e.g. `line.toml`).
pub fn read_text(path: &Path) -> Result<String, ImportError> {
    let mut s = String::new();
    open(path)?
        .read_to_string(&mut s)
        .map_err(|source| ImportError::Io {
            file: path.to_owned(),
            source,
        })?;
    Ok(s)
}

#[cfg(test)]
mod tests;

/// Writes events in Yieldline's own CSV format (the header of [`EVENT_FIELDS`]), which
/// [`import_events`] reads back unchanged.
pub fn write_events_csv(
    out: impl std::io::Write,
    events: &[yieldline_core::event::Event],
) -> Result<(), csv::Error> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(EVENT_FIELDS)?;
    for e in events {
        let offset =
            jiff::tz::Offset::from_seconds(e.offset_seconds).unwrap_or(jiff::tz::Offset::UTC);
        let ts = if e.offset_seconds == 0 {
            e.ts.to_string()
        } else {
            e.ts.display_with_offset(offset).to_string()
        };
        w.write_record([
            e.event_id.as_str(),
            &ts,
            &e.unit_id,
            &e.account_id,
            &e.station,
            e.kind.as_str(),
            e.reason.as_deref().unwrap_or(""),
            &e.resume_on.map(|d| d.to_string()).unwrap_or_default(),
            e.referral_unit_id.as_deref().unwrap_or(""),
            e.channel.map_or("", |c| c.as_str()),
            e.operator_id.as_deref().unwrap_or(""),
            e.operator_kind.map_or("", |o| o.as_str()),
            e.arm.as_deref().unwrap_or(""),
            &e.cost_minutes.map(|c| c.to_string()).unwrap_or_default(),
        ])?;
    }
    w.flush()?;
    Ok(())
}

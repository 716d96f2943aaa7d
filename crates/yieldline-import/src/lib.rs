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
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;

use yieldline_core::event::{EVENT_FIELDS, RawEvent};
use yieldline_core::identity::{canonical_email, canonical_id, clean};
use yieldline_core::line::Line;
use yieldline_core::text::csv_safe;
use yieldline_store::{Contact, ImportRecord, Inserted, Store, StoreError, StoreExt};

pub mod mapping;
pub mod xes;
pub use mapping::{SOURCES, SourceMapping, SourceSummary};
pub use xes::{MappingError, XesMapping, XesSummary, is_xes_path};

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
    /// A row is invalid (the whole file is refused).
    #[error(
        "{0}\nnothing from this file was imported (use --skip-bad --rejects FILE to import the good rows)"
    )]
    BadRow(RowError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
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
    /// For a tool's export: the object recognised, and what was left out.
    pub source: Option<SourceSummary>,
}

/// Options of an import.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Import the good rows and return the bad ones instead of refusing the file.
    pub skip_bad: bool,
}

/// Wraps a reader, reporting the bytes read so far to a progress callback.
struct Counting<'p, R> {
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

fn open(path: &Path) -> Result<File, ImportError> {
    File::open(path).map_err(|source| ImportError::Io {
        file: path.to_owned(),
        source,
    })
}

/// Collects rejects or aborts, depending on the options.
struct Rejects {
    skip_bad: bool,
    rows: Vec<RowError>,
}

impl Rejects {
    fn reject(&mut self, e: RowError) -> Result<(), ImportError> {
        if self.skip_bad {
            self.rows.push(e);
            Ok(())
        } else {
            Err(ImportError::BadRow(e))
        }
    }
}

/// Opens a file for import: its counting reader, the rejects collector and the record.
fn start<'p>(
    path: &Path,
    kind: &str,
    options: Options,
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
    };
    let record = ImportRecord {
        kind: kind.into(),
        source: path.display().to_string(),
        ..ImportRecord::default()
    };
    Ok((reader, rejects, record))
}

/// Imports one event file into the store, in one transaction.
pub fn import_events<S: Store + ?Sized>(
    store: &S,
    line: &Line,
    path: &Path,
    format: Format<'_>,
    options: Options,
    progress: &mut dyn FnMut(u64),
) -> Result<Outcome, ImportError> {
    let (reader, mut rejects, mut record) = start(path, "events", options, progress)?;
    // One instant for the whole file: the plausible window ends a fixed time after it.
    let now = jiff::Timestamp::now();
    let mut xes_summary = None;
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
                    Err((field, message)) => return rejects.reject(bad(field, message)),
                };
                match sink.insert(&event) {
                    Ok(Inserted::New) => record.imported += 1,
                    Ok(Inserted::Duplicate | Inserted::Updated | Inserted::Erased) => {
                        record.duplicates += 1
                    }
                    Err(StoreError::Conflict { event_id }) => {
                        return rejects.reject(bad(
                            Some("event_id".into()),
                            format!("{event_id:?} is already stored with different content"),
                        ));
                    }
                    Err(e) => return Err(e.into()),
                }
                Ok(())
            };
        match format {
            Format::Csv => {
                // Rows are read, deserialised and validated on a second thread, in
                // batches, while this one stores them: same rows, same order, same
                // errors as reading them here, with the parsing off the store's path.
                let Counting {
                    inner, progress, ..
                } = reader;
                let bytes = AtomicU64::new(0);
                let mut rdr =
                    csv::ReaderBuilder::new()
                        .flexible(false)
                        .from_reader(CountingAtomic {
                            inner,
                            read: &bytes,
                        });
                let headers = rdr.headers().map_err(|e| csv_error(path, e))?.clone();
                check_header(
                    path,
                    &headers,
                    &EVENT_FIELDS,
                    &["event_id", "ts", "unit_id", "account_id", "station", "kind"],
                )?;
                std::thread::scope(|scope| -> Result<(), ImportError> {
                    let (tx, rx) = mpsc::sync_channel::<CsvBatch>(8);
                    let (back_tx, back_rx) = mpsc::channel::<Vec<CsvRow>>();
                    scope
                        .spawn(move || read_csv_rows(&mut rdr, &headers, line, now, &tx, &back_rx));
                    for batch in rx {
                        let rows = match batch {
                            CsvBatch::Rows(rows) => rows,
                            CsvBatch::Io(message) => {
                                return Err(ImportError::Io {
                                    file: path.to_owned(),
                                    source: std::io::Error::other(message),
                                });
                            }
                        };
                        progress(bytes.load(Ordering::Relaxed));
                        let mut rows = rows;
                        for row in &mut rows {
                            let parsed = row
                                .parsed
                                .take()
                                .unwrap_or_else(|| Err((None, String::new())));
                            if row.record_is_text {
                                let rec = &row.rec;
                                handle(parsed, row.line_no, &|| {
                                    rec.iter().collect::<Vec<_>>().join(",")
                                })?;
                            } else {
                                handle(parsed, row.line_no, &String::new)?;
                            }
                        }
                        // Hand the batch back so its records' buffers are reused.
                        let _ = back_tx.send(rows);
                    }
                    Ok(())
                })?;
            }
            Format::Jsonl => {
                let mut reader = reader;
                let mut buf = String::new();
                let mut line_no = 0u64;
                loop {
                    buf.clear();
                    let n = reader
                        .read_line_into(&mut buf)
                        .map_err(|source| ImportError::Io {
                            file: path.to_owned(),
                            source,
                        })?;
                    if n == 0 {
                        break;
                    }
                    line_no += 1;
                    let text = buf.trim();
                    if text.is_empty() {
                        continue;
                    }
                    let raw: Result<RawEvent<'_>, _> = serde_json::from_str(text)
                        .map_err(|e| (json_field(&e), format!("invalid JSON object: {e}")));
                    handle(validated(raw, line, now), line_no, &|| text.to_owned())?;
                }
            }
            Format::Xes(mapping) => {
                xes_summary = Some(xes::read_events(
                    reader,
                    path,
                    mapping,
                    line,
                    now,
                    &mut handle,
                )?)
            }
            Format::Source(mapping) => {
                source_summary = Some(mapping::read_events(
                    reader,
                    path,
                    mapping,
                    line,
                    now,
                    &mut handle,
                )?)
            }
        }
        Ok(())
    })?;
    record.rejected = rejects.rows.len() as u64;
    store.log_import(&record)?;
    Ok(Outcome {
        record,
        rejects: rejects.rows,
        xes: xes_summary,
        source: source_summary,
    })
}

/// A row read and validated, or the field to blame (if any) and what is wrong.
type Parsed = Result<yieldline_core::event::Event, (Option<String>, String)>;

/// Validates a deserialised row against the line; `now` is the import's instant (the
/// end of the plausible window is measured from it, see [`RawEvent::validate`]).
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

/// Like [`Counting`], for a reader on another thread: the count is shared.
struct CountingAtomic<'a, R> {
    inner: R,
    read: &'a AtomicU64,
}

impl<R: Read> Read for CountingAtomic<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// One CSV row on its way from the reading thread to the storing one.
struct CsvRow {
    rec: csv::StringRecord,
    line_no: u64,
    /// Whether the row's text is `rec` (false for a row the CSV reader refused).
    record_is_text: bool,
    parsed: Option<Parsed>,
}

enum CsvBatch {
    Rows(Vec<CsvRow>),
    /// An I/O error: the import stops here.
    Io(String),
}

/// Rows per batch sent between the threads.
const CSV_BATCH: usize = 1024;

/// The reading thread: reads, deserialises and validates rows in batches until the end
/// of the file, an I/O error, or the storing thread hanging up (it stopped early).
fn read_csv_rows<R: Read>(
    rdr: &mut csv::Reader<R>,
    headers: &csv::StringRecord,
    line: &Line,
    now: jiff::Timestamp,
    tx: &mpsc::SyncSender<CsvBatch>,
    back: &mpsc::Receiver<Vec<CsvRow>>,
) {
    loop {
        let mut rows = back
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(CSV_BATCH));
        let mut used = 0;
        let mut io_error = None;
        let mut eof = false;
        while used < CSV_BATCH {
            if rows.len() == used {
                rows.push(CsvRow {
                    rec: csv::StringRecord::new(),
                    line_no: 0,
                    record_is_text: true,
                    parsed: None,
                });
            }
            let row = &mut rows[used];
            match rdr.read_record(&mut row.rec) {
                Ok(true) => {
                    row.line_no = row.rec.position().map_or(0, |p| p.line());
                    row.record_is_text = true;
                    let raw: Result<RawEvent<'_>, _> = row
                        .rec
                        .deserialize(Some(headers))
                        .map_err(|e| (None, e.to_string()));
                    row.parsed = Some(validated(raw, line, now));
                }
                Ok(false) => {
                    eof = true;
                    break;
                }
                Err(e) => {
                    if let csv::ErrorKind::Io(_) = e.kind() {
                        io_error = Some(e.to_string());
                        break;
                    }
                    row.line_no = e.position().map_or(0, |p| p.line());
                    row.record_is_text = false;
                    row.parsed = Some(Err((None, e.to_string())));
                }
            }
            used += 1;
        }
        rows.truncate(used);
        if !rows.is_empty() && tx.send(CsvBatch::Rows(rows)).is_err() {
            return;
        }
        if let Some(message) = io_error {
            let _ = tx.send(CsvBatch::Io(message));
            return;
        }
        if eof {
            return;
        }
    }
}

/// Reads lines from a counting reader (a small extension so the JSONL path keeps the
/// byte count for progress).
trait ReadLineInto {
    fn read_line_into(&mut self, buf: &mut String) -> std::io::Result<usize>;
}

impl<R: Read> ReadLineInto for Counting<'_, BufReader<R>> {
    fn read_line_into(&mut self, buf: &mut String) -> std::io::Result<usize> {
        let n = self.inner.read_line(buf)?;
        self.read += n as u64;
        (self.progress)(self.read);
        Ok(n)
    }
}

/// The field named in a serde_json error like "unknown field `x`", if any.
fn json_field(e: &serde_json::Error) -> Option<String> {
    let msg = e.to_string();
    let start = msg.find('`')? + 1;
    let len = msg[start..].find('`')?;
    Some(msg[start..start + len].to_owned())
}

fn csv_error(path: &Path, e: csv::Error) -> ImportError {
    ImportError::Header {
        file: path.to_owned(),
        message: format!("cannot read the CSV header: {e}"),
    }
}

fn check_header(
    path: &Path,
    headers: &csv::StringRecord,
    known: &[&str],
    required: &[&str],
) -> Result<(), ImportError> {
    let names: Vec<&str> = headers.iter().map(str::trim).collect();
    let mut problems = Vec::new();
    for (i, h) in names.iter().enumerate() {
        if !known.contains(h) {
            problems.push(format!("unknown column {h:?}"));
        } else if names[..i].contains(h) {
            problems.push(format!("column {h:?} appears twice"));
        }
    }
    for r in required {
        if !names.contains(r) {
            problems.push(format!("required column {r:?} is missing"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ImportError::Header {
            file: path.to_owned(),
            message: format!(
                "{} (expected columns: {})",
                problems.join("; "),
                known.join(",")
            ),
        })
    }
}

/// Columns of a territory file.
pub use yieldline_core::event::TERRITORY_FIELDS;

/// Imports one territory CSV (`contact_id,account_id` required; `fit_tier`,
/// `first_name`, `last_name`, `email`, `title` optional) in one transaction. A contact
/// already stored is updated with the file's attributes. Ids are stored in their
/// canonical form and e-mail addresses in theirs ([`yieldline_core::identity`]); an
/// e-mail that is not an address is a bad row. A row whose contact id or e-mail hashes
/// to an erased person is skipped (counted in [`ImportRecord::erased`]).
pub fn import_territory<S: Store + ?Sized>(
    store: &S,
    path: &Path,
    options: Options,
    progress: &mut dyn FnMut(u64),
) -> Result<Outcome, ImportError> {
    let (reader, mut rejects, mut record) = start(path, "territory", options, progress)?;
    store.import_territory(|sink| -> Result<(), ImportError> {
        let mut rdr = csv::ReaderBuilder::new()
            .flexible(false)
            .from_reader(reader);
        let headers = rdr.headers().map_err(|e| csv_error(path, e))?.clone();
        check_header(
            path,
            &headers,
            &TERRITORY_FIELDS,
            &["contact_id", "account_id"],
        )?;
        let col = |name: &str| headers.iter().position(|h| h.trim() == name);
        let cols: Vec<Option<usize>> = TERRITORY_FIELDS.iter().map(|f| col(f)).collect();
        let mut rec = csv::StringRecord::new();
        loop {
            match rdr.read_record(&mut rec) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    if let csv::ErrorKind::Io(_) = e.kind() {
                        return Err(ImportError::Io {
                            file: path.to_owned(),
                            source: std::io::Error::other(e.to_string()),
                        });
                    }
                    record.read += 1;
                    rejects.reject(RowError {
                        file: path.to_owned(),
                        line: e.position().map_or(0, |p| p.line()),
                        field: None,
                        message: e.to_string(),
                        record: String::new(),
                    })?;
                    continue;
                }
            }
            record.read += 1;
            let line_no = rec.position().map_or(0, |p| p.line());
            let get = |i: usize| {
                cols[i]
                    .and_then(|c| rec.get(c))
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
            };
            let bad = |field: &str, message: String| RowError {
                file: path.to_owned(),
                line: line_no,
                field: Some(field.to_owned()),
                message,
                record: rec.iter().collect::<Vec<_>>().join(","),
            };
            // Ids in their canonical form (invisible characters removed, trimmed, NFC;
            // letter case kept), as event import stores them.
            let id = |i: usize| {
                get(i)
                    .map(|v| canonical_id(&v).into_owned())
                    .filter(|v| !v.is_empty())
            };
            let Some(contact_id) = id(0) else {
                rejects.reject(bad("contact_id", "is required".into()))?;
                continue;
            };
            let Some(account_id) = id(1) else {
                rejects.reject(bad("account_id", "is required".into()))?;
                continue;
            };
            let fit_tier = match get(2) {
                None => None,
                Some(t) => match t.parse::<u8>() {
                    Ok(v) if (1..=9).contains(&v) => Some(v),
                    _ => {
                        rejects.reject(bad(
                            "fit_tier",
                            format!("{t:?} is not a tier from 1 (best) to 9"),
                        ))?;
                        continue;
                    }
                },
            };
            // The address in its canonical form (display name, mailto:, invisible
            // characters and a trailing dot dropped; NFKC and case folding), so that
            // suppression and erasure find it however it was spelled.
            let email = match get(5).filter(|e| !clean(e).is_empty()) {
                None => None,
                Some(e) => match canonical_email(&e) {
                    Ok(c) => Some(c),
                    Err(why) => {
                        rejects.reject(bad("email", why.to_string()))?;
                        continue;
                    }
                },
            };
            let contact = Contact {
                contact_id,
                account_id,
                fit_tier,
                first_name: get(3),
                last_name: get(4),
                email,
                title: get(6),
            };
            match sink.upsert(&contact)? {
                Inserted::New => record.imported += 1,
                Inserted::Duplicate => record.duplicates += 1,
                Inserted::Updated => record.updated += 1,
                // The row names an erased person: never stored again (counted apart).
                Inserted::Erased => record.erased += 1,
            }
        }
        Ok(())
    })?;
    record.rejected = rejects.rows.len() as u64;
    store.log_import(&record)?;
    Ok(Outcome {
        record,
        rejects: rejects.rows,
        xes: None,
        source: None,
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

/// Writes territory contacts as CSV with every [`TERRITORY_FIELDS`] column.
pub fn write_territory_csv(
    out: impl std::io::Write,
    contacts: &[Contact],
) -> Result<(), csv::Error> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(TERRITORY_FIELDS)?;
    for c in contacts {
        w.write_record([
            c.contact_id.as_str(),
            &c.account_id,
            &c.fit_tier.map(|t| t.to_string()).unwrap_or_default(),
            c.first_name.as_deref().unwrap_or(""),
            c.last_name.as_deref().unwrap_or(""),
            c.email.as_deref().unwrap_or(""),
            c.title.as_deref().unwrap_or(""),
        ])?;
    }
    w.flush()?;
    Ok(())
}

//! Native event files in CSV: the header resolved by [`crate::tabular`], rows read,
//! deserialised and validated on a second thread in batches while the calling thread
//! stores them (same rows, same order, same errors as reading them in one thread).

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;

use yieldline_core::event::{EVENT_FIELDS, RawEvent};
use yieldline_core::line::Line;
use yieldline_core::values::TimeRules;

use crate::tabular::{self, Header};
use crate::{Counting, ImportError, Parsed, csv_error, csv_row_error, validated_with};

/// Columns an event CSV must have.
pub const REQUIRED_EVENT_FIELDS: [&str; 6] =
    ["event_id", "ts", "unit_id", "account_id", "station", "kind"];

/// What the storing side is handed per row: the row read and validated (or why it is
/// bad), its line, and its text for a rejects file.
pub(crate) type Handle<'h> =
    dyn FnMut(Parsed, u64, &dyn Fn() -> String) -> Result<(), ImportError> + 'h;

/// How the rows of one file are checked.
pub(crate) struct Check<'a> {
    pub line: &'a Line,
    pub now: jiff::Timestamp,
    pub time: &'a TimeRules,
    pub strict: bool,
}

/// Reads an event CSV and hands every non-blank row to `handle`; returns the columns
/// ignored (not event fields).
pub(crate) fn read(
    reader: Counting<'_, BufReader<File>>,
    path: &Path,
    check: &Check<'_>,
    handle: &mut Handle<'_>,
) -> Result<Vec<String>, ImportError> {
    let Counting {
        mut inner,
        progress,
        ..
    } = reader;
    let delimiter = tabular::peek_delimiter(&mut inner, path)?;
    let bytes = AtomicU64::new(0);
    let mut rdr = tabular::builder(delimiter).from_reader(CountingAtomic {
        inner,
        read: &bytes,
    });
    let names = rdr.headers().map_err(|e| csv_error(path, e))?.clone();
    let header = Header::resolve(
        path,
        names.iter(),
        &EVENT_FIELDS,
        &REQUIRED_EVENT_FIELDS,
        check.strict,
    )?;
    std::thread::scope(|scope| -> Result<(), ImportError> {
        let (tx, rx) = mpsc::sync_channel::<CsvBatch>(8);
        let (back_tx, back_rx) = mpsc::channel::<Vec<CsvRow>>();
        let reading = Reading {
            header: &header,
            names: &names,
            path,
            check,
        };
        scope.spawn(move || read_rows(&mut rdr, &reading, &tx, &back_rx));
        for batch in rx {
            let mut rows = match batch {
                CsvBatch::Rows(rows) => rows,
                CsvBatch::Failed(e) => return Err(e),
            };
            progress(bytes.load(Ordering::Relaxed));
            for row in &mut rows {
                let Some(parsed) = row.parsed.take() else {
                    continue; // a blank row
                };
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
    Ok(header.ignored)
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
    /// The row read and validated; `None` for a blank row (skipped).
    parsed: Option<Parsed>,
}

enum CsvBatch {
    Rows(Vec<CsvRow>),
    /// The import stops here (an I/O error).
    Failed(ImportError),
}

/// Rows per batch sent between the threads.
const CSV_BATCH: usize = 1024;

/// What the reading thread needs to read a row.
struct Reading<'a> {
    header: &'a Header,
    names: &'a csv::StringRecord,
    path: &'a Path,
    check: &'a Check<'a>,
}

impl Reading<'_> {
    /// A row's event, or why it is bad; `None` for a blank row.
    fn parse(&self, rec: &csv::StringRecord) -> Option<Parsed> {
        if tabular::is_blank(rec) {
            return None;
        }
        if let Some(why) = tabular::width_problem(rec, self.header.width) {
            return Some(Err((None, why)));
        }
        let fields: [&str; EVENT_FIELDS.len()] = std::array::from_fn(|i| {
            self.header.columns[i]
                .and_then(|c| rec.get(c))
                .unwrap_or("")
        });
        let raw = RawEvent::from_row(&fields);
        Some(validated_with(Ok(raw), self.check))
    }
}

/// The reading thread: reads, deserialises and validates rows in batches until the end
/// of the file, an I/O error, or the storing thread hanging up (it stopped early).
fn read_rows<R: Read>(
    rdr: &mut csv::Reader<R>,
    reading: &Reading<'_>,
    tx: &mpsc::SyncSender<CsvBatch>,
    back: &mpsc::Receiver<Vec<CsvRow>>,
) {
    loop {
        let mut rows = back
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(CSV_BATCH));
        let mut used = 0;
        let mut failure = None;
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
                    row.parsed = reading.parse(&row.rec);
                }
                Ok(false) => {
                    eof = true;
                    break;
                }
                Err(e) => match csv_row_error(reading.path, e, reading.names) {
                    Ok(bad) => {
                        row.line_no = bad.line;
                        row.record_is_text = false;
                        row.parsed = Some(Err((bad.field, bad.message)));
                    }
                    Err(fatal) => {
                        failure = Some(fatal);
                        break;
                    }
                },
            }
            used += 1;
        }
        rows.truncate(used);
        if !rows.is_empty() && tx.send(CsvBatch::Rows(rows)).is_err() {
            return;
        }
        if let Some(e) = failure {
            let _ = tx.send(CsvBatch::Failed(e));
            return;
        }
        if eof {
            return;
        }
    }
}

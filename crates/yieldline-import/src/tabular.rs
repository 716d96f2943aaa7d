//! Tabular files as people have them: the delimiter told from the header line (`,`,
//! `;` or tab), header names matched regardless of case, surrounding spaces and inner
//! spaces or hyphens (`Event ID`, ` event-id `, `EVENT_ID` are all `event_id`), a byte
//! order mark and CRLF line ends accepted, blank rows skipped, and unknown columns
//! ignored with a warning (or refused under `--strict`).
//!
//! Every tabular importer (events, territory, and the vendor sources) reads its header
//! through [`Header::resolve`], so one spelling rule holds for all of them.

use std::io::BufRead;
use std::path::Path;

use crate::ImportError;

/// The delimiters a tabular file may use, in the order ties are decided.
pub const DELIMITERS: [u8; 3] = [b',', b';', b'\t'];

/// A header name in its comparable form: byte order mark and surrounding white space
/// dropped, lower case, runs of inner spaces and hyphens as one `_`.
pub fn normalize_header(name: &str) -> String {
    let name = name.trim_start_matches('\u{feff}').trim();
    let mut out = String::with_capacity(name.len());
    let mut gap = false;
    for c in name.chars() {
        if c == ' ' || c == '-' || c == '\t' {
            gap = true;
            continue;
        }
        if gap && !out.is_empty() {
            out.push('_');
        }
        gap = false;
        out.extend(c.to_lowercase());
    }
    out
}

/// The delimiter of a file whose text starts with `head`: the one of [`DELIMITERS`]
/// found most often outside quotes on its first line (`,` when none is).
pub fn sniff_delimiter(head: &[u8]) -> u8 {
    let mut counts = [0usize; DELIMITERS.len()];
    let mut quoted = false;
    for &b in head {
        match b {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => break,
            _ if !quoted => {
                if let Some(i) = DELIMITERS.iter().position(|&d| d == b) {
                    counts[i] += 1;
                }
            }
            _ => {}
        }
    }
    let mut best = 0;
    for i in 1..DELIMITERS.len() {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    DELIMITERS[best]
}

/// The delimiter of a buffered input, told from its first line (peeked, not consumed).
pub fn peek_delimiter<R: BufRead>(input: &mut R, path: &Path) -> Result<u8, ImportError> {
    let head = input.fill_buf().map_err(|source| ImportError::Io {
        file: path.to_owned(),
        source,
    })?;
    Ok(sniff_delimiter(head))
}

/// A CSV reader builder for `delimiter` that reads rows of any width (the width is
/// checked per row, see [`width_problem`]).
pub fn builder(delimiter: u8) -> csv::ReaderBuilder {
    let mut b = csv::ReaderBuilder::new();
    b.delimiter(delimiter).flexible(true);
    b
}

/// A CSV reader over `input` with the delimiter told from its first line.
pub fn csv_reader<R: BufRead>(mut input: R, path: &Path) -> Result<csv::Reader<R>, ImportError> {
    let delimiter = peek_delimiter(&mut input, path)?;
    Ok(builder(delimiter).from_reader(input))
}

/// Whether a row is blank (every cell empty or white space): skipped, not an error.
pub fn is_blank(rec: &csv::StringRecord) -> bool {
    rec.iter().all(|c| c.trim().is_empty())
}

/// Why a row's width is wrong, if it is: more cells than the header (a stray delimiter,
/// or a value with the delimiter in it that is not quoted). Fewer cells are read as
/// empty trailing cells.
pub fn width_problem(rec: &csv::StringRecord, header_width: usize) -> Option<String> {
    let n = rec.len();
    let extra_filled = rec.iter().skip(header_width).any(|c| !c.trim().is_empty());
    (n > header_width && extra_filled).then(|| {
        format!(
            "has {n} cells but the header has {header_width}: a value containing the delimiter must be quoted"
        )
    })
}

/// A header resolved against the fields a format knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// For each known field (in the order given to [`Header::resolve`]), its column.
    pub columns: Vec<Option<usize>>,
    /// Columns that are no field of the format, as written (ignored unless strict).
    pub ignored: Vec<String>,
    /// How many columns the header has.
    pub width: usize,
}

impl Header {
    /// Matches `names` (the header row) to `known` fields by [`normalize_header`].
    /// Refused, with every problem at once: a field twice, a required field missing, and
    /// — when `strict` — any unknown column.
    pub fn resolve<'n>(
        path: &Path,
        names: impl IntoIterator<Item = &'n str>,
        known: &[&str],
        required: &[&str],
        strict: bool,
    ) -> Result<Header, ImportError> {
        let mut columns = vec![None; known.len()];
        let mut ignored = Vec::new();
        let mut problems = Vec::new();
        let mut width = 0;
        for (col, name) in names.into_iter().enumerate() {
            width += 1;
            let norm = normalize_header(name);
            match known.iter().position(|k| *k == norm) {
                Some(i) if columns[i].is_some() => {
                    problems.push(format!("column {:?} appears twice", known[i]))
                }
                Some(i) => columns[i] = Some(col),
                None if norm.is_empty() => ignored.push(format!("(unnamed column {})", col + 1)),
                None => ignored.push(name.trim().trim_start_matches('\u{feff}').to_owned()),
            }
        }
        for r in required {
            if let Some(i) = known.iter().position(|k| k == r)
                && columns[i].is_none()
            {
                problems.push(format!("required column {r:?} is missing"));
            }
        }
        if strict && !ignored.is_empty() {
            let list: Vec<String> = ignored.iter().map(|c| format!("{c:?}")).collect();
            problems.push(format!(
                "unknown columns {} (--strict refuses them; without it they are ignored)",
                list.join(", ")
            ));
        }
        if !strict && !problems.is_empty() && !ignored.is_empty() {
            let list: Vec<String> = ignored.iter().map(|c| format!("{c:?}")).collect();
            problems.push(format!("columns that are no field: {}", list.join(", ")));
        }
        if problems.is_empty() {
            Ok(Header {
                columns,
                ignored,
                width,
            })
        } else {
            Err(ImportError::Header {
                file: path.to_owned(),
                message: format!(
                    "{} (expected columns, in any case and order: {})",
                    problems.join("; "),
                    known.join(",")
                ),
            })
        }
    }

    /// The cell of known field `field` in `rec` (trimmed; `None` when absent or empty).
    pub fn cell<'r>(&self, rec: &'r csv::StringRecord, field: usize) -> Option<&'r str> {
        self.columns[field]
            .and_then(|c| rec.get(c))
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_match_in_any_case_and_spacing() {
        for (raw, norm) in [
            ("event_id", "event_id"),
            ("Event_ID", "event_id"),
            ("  EVENT_ID ", "event_id"),
            ("\u{feff}event_id", "event_id"),
            ("Event ID", "event_id"),
            ("event-id", "event_id"),
            ("Unit  Id", "unit_id"),
        ] {
            assert_eq!(normalize_header(raw), norm, "{raw:?}");
        }
    }

    #[test]
    fn the_delimiter_is_told_from_the_header_line() {
        assert_eq!(sniff_delimiter(b"a,b,c\n1;2;3;4;5\n"), b',');
        assert_eq!(sniff_delimiter(b"a;b;c\r\n1,2\r\n"), b';');
        assert_eq!(sniff_delimiter(b"a\tb\tc\n"), b'\t');
        assert_eq!(
            sniff_delimiter(b"\"a,b\";c;d\n"),
            b';',
            "quoted commas do not count"
        );
        assert_eq!(sniff_delimiter(b"single\n"), b',');
    }

    #[test]
    fn unknown_columns_are_ignored_or_refused_and_duplicates_refused() {
        let p = Path::new("f.csv");
        let known = ["a", "b", "c"];
        let h = Header::resolve(p, ["A", " notes ", "b", ""], &known, &["a"], false).expect("ok");
        assert_eq!(h.columns, vec![Some(0), Some(2), None]);
        assert_eq!(
            h.ignored,
            vec!["notes".to_owned(), "(unnamed column 4)".into()]
        );
        let err = Header::resolve(p, ["a", "notes"], &known, &["a"], true).expect_err("strict");
        assert!(
            err.to_string().contains("unknown columns \"notes\""),
            "{err}"
        );
        let err =
            Header::resolve(p, ["a", "A", "x"], &known, &["a", "c"], false).expect_err("twice");
        let msg = err.to_string();
        assert!(
            msg.contains("column \"a\" appears twice") && msg.contains("\"c\" is missing"),
            "{msg}"
        );
    }
}

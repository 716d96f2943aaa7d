//! Text handed to other programs.
//!
//! # CSV cells and formula injection
//! A spreadsheet opening a CSV runs a cell that starts with `=`, `+`, `-` or `@` as a
//! formula (`=HYPERLINK(…)`, `+cmd|' /C calc'!A0`), and a leading tab or carriage return
//! can smuggle one past a quick look. Unit ids, account ids, reasons and names come from
//! CRMs and imports that anyone may have typed into, so Yieldline neutralises such cells
//! as OWASP recommends ("CSV Injection"): [`csv_safe`] prefixes a `'` to a cell that
//! begins with one of `=`, `+`, `-`, `@`, tab (U+0009) or carriage return (U+000D); the
//! CSV writer then quotes the cell as usual where it needs to.
//!
//! **Which cells.** Every cell whose text came from outside Yieldline — identifiers,
//! names, e-mail addresses, reasons, free text — goes through [`csv_safe`], even when it
//! looks like a number: an id `-3` is written `'-3`. Numbers Yieldline formats itself
//! (counts, rates, durations, dates, sequence numbers) are data and are written as they
//! are, so a negative figure stays `-3` and numeric columns stay numeric. A leading `'`
//! added this way is not part of the value: a program reading the CSV should drop it
//! (or read `--format json`, which is never altered).

use std::borrow::Cow;

/// The characters that make a spreadsheet treat a cell as a formula when it starts
/// with one (OWASP's list).
pub const FORMULA_TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether a cell would be read as a formula: it starts with one of
/// [`FORMULA_TRIGGERS`].
pub fn is_formula_like(cell: &str) -> bool {
    cell.starts_with(FORMULA_TRIGGERS)
}

/// A text cell made safe to open in a spreadsheet: prefixed with `'` when it starts
/// with `=`, `+`, `-`, `@`, tab or carriage return; unchanged (and not copied)
/// otherwise. See the [module docs](self) for which cells it is for.
pub fn csv_safe(cell: &str) -> Cow<'_, str> {
    if is_formula_like(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_prefixed_and_others_borrowed() {
        for (cell, want) in [
            (
                "=HYPERLINK(\"http://x.example\",\"c1\")",
                "'=HYPERLINK(\"http://x.example\",\"c1\")",
            ),
            ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
            ("-2+3", "'-2+3"),
            ("-3", "'-3"),
            ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
        ] {
            assert_eq!(csv_safe(cell), want, "{cell:?}");
        }
        for cell in ["c1", "", "a=b", " =1", "'=1", "ann@example.com", "3-4"] {
            assert!(
                matches!(csv_safe(cell), Cow::Borrowed(c) if c == cell),
                "{cell:?}"
            );
        }
    }

    #[test]
    fn a_written_csv_keeps_the_prefix_inside_the_quotes() {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(
            [csv_safe("=1+1"), csv_safe("ok"), csv_safe("-x,y")]
                .iter()
                .map(|c| c.as_ref()),
        )
        .expect("write");
        let text = String::from_utf8(w.into_inner().expect("flush")).expect("utf8");
        assert_eq!(text, "'=1+1,ok,\"'-x,y\"\n");
    }
}

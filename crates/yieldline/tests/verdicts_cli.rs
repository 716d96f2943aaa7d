//! End-to-end tests of the verdicts' presentation on the demo: tables that fit a
//! 100-column terminal, and dispatch after the data's end.

mod common;

use common::*;

/// Widest line of the tables (the lines drawn with box characters) in `out`.
fn widest_table_line(out: &str) -> usize {
    out.lines()
        .filter(|l| l.starts_with(['┌', '│', '╞', '├', '└']))
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0)
}

#[test]
fn tables_fit_a_100_column_terminal_unless_wide() {
    let dir = tempfile::tempdir().expect("tmp");
    ok(dir.path(), &["demo", "--format", "json"]);
    let commands: [&[&str]; 6] = [
        &["report"],
        &["watch"],
        &["plan"],
        &["drift"],
        &["conversion"],
        &["dispatch", "--date", "2025-10-20"],
    ];
    for args in commands {
        let out = ok(dir.path(), args);
        let w = widest_table_line(&out);
        assert!(w > 0, "{args:?} printed no table:\n{out}");
        assert!(w <= 100, "{args:?}: a table line of {w} columns:\n{out}");
    }
    // --wide shows every cell on one line.
    let wide = ok(dir.path(), &["report", "--wide"]);
    assert!(widest_table_line(&wide) > 100, "{wide}");
    let watch = ok(dir.path(), &["watch", "--wide"]);
    assert!(
        watch
            .lines()
            .any(|l| l.contains("buyer harm") && l.contains("against the")),
        "{watch}"
    );
    // Evidence reads from the left: the evidence cell starts right after its border.
    let watch = ok(dir.path(), &["watch"]);
    let row = watch
        .lines()
        .find(|l| l.contains("buyer harm"))
        .expect("row");
    assert!(row.contains("┆ ok ┆ ") || row.contains("ok ┆ "), "{row}");
    let evidence = row.rsplit('┆').next().expect("cell");
    assert!(
        evidence.starts_with(' ') && !evidence.starts_with("  "),
        "{row}"
    );
}

#[test]
fn dispatch_after_the_data_says_which_date_to_pass() {
    let dir = tempfile::tempdir().expect("tmp");
    ok(dir.path(), &["demo", "--format", "json"]);
    // No --date: today, long after the demo's events (they end on Friday 2025-10-17).
    let err = fails(dir.path(), &["dispatch"]);
    assert!(
        err.contains("the events end on 2025-10-17") && err.contains("--date 2025-10-20"),
        "{err}"
    );
    assert!(!err.contains("--from"), "dispatch has no --from: {err}");
    // A few days after: orders, with a note that the days since are missing.
    let out = ok(dir.path(), &["dispatch", "--date", "2025-10-22"]);
    assert!(out.contains("note: the events end on 2025-10-17"), "{out}");
}

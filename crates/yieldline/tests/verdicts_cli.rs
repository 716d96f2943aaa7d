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

/// Report, plan and watch quote one burned share (of one unit) and one days of fresh
/// territory for one day, whatever period the report covers; plan's current output is
/// the report's production per day over plan's window.
fn figures_agree(dir: &std::path::Path, to: &str) {
    let report = json(dir, &["report", "--to", to, "--format", "json"]);
    let watch = json(dir, &["watch", "--as-of", to, "--format", "json"]);
    let plan = json(
        dir,
        &["plan", "--to", to, "--runs", "100", "--format", "json"],
    );
    let t = &report["territory"];
    let burn = watch["signals"]
        .as_array()
        .expect("signals")
        .iter()
        .find(|s| s["name"] == "territory_burn")
        .expect("burn")["figures"]
        .clone();
    assert_eq!(t["units_are"], "contacts", "{t}");
    assert_eq!(burn["units_are"], t["units_are"]);
    assert_eq!(burn["burned_share"], t["burned_share"], "{burn} vs {t}");
    assert_eq!(
        burn["days_to_exhaustion"], t["days_to_exhaustion"],
        "{burn} vs {t}"
    );
    assert_eq!(
        plan["days_to_exhaustion"], t["days_to_exhaustion"],
        "plan vs {t}"
    );
    let window = json(
        dir,
        &[
            "report",
            "--from",
            plan["window"]["from"].as_str().expect("from"),
            "--to",
            to,
            "--format",
            "json",
        ],
    );
    assert_eq!(
        plan["current_output_per_day"],
        window["production"]["per_day"]
    );
    assert_eq!(
        window["territory"]["days_to_exhaustion"],
        t["days_to_exhaustion"]
    );
}

#[test]
fn report_plan_and_watch_quote_one_figure_each_on_the_demo_and_a_simulated_line() {
    let dir = tempfile::tempdir().expect("tmp");
    ok(dir.path(), &["demo", "--format", "json"]);
    figures_agree(dir.path(), "2025-07-31");
    figures_agree(dir.path(), "2025-10-17");
    let sim = tempfile::tempdir().expect("tmp");
    let ws = sim.path().join("ws");
    let scenario = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/guarded-automation.toml"
    );
    ok(
        sim.path(),
        &[
            "simulate",
            "--scenario",
            scenario,
            "--accounts",
            "2000",
            "--days",
            "40",
            "--emit-workspace",
            ws.to_str().expect("path"),
        ],
    );
    // Ten weeks in, while the simulated territory still has fresh accounts.
    let first: jiff::civil::Date = json(&ws, &["report", "--format", "json"])["from"]
        .as_str()
        .expect("from")
        .parse()
        .expect("date");
    let mid = first.checked_add(jiff::Span::new().days(70)).expect("date");
    figures_agree(&ws, &mid.to_string());
}

/// `simulate`'s summary states its warm-up and what it counts, and its figures
/// reconcile with the report of the workspace it emits.
#[test]
fn the_simulator_summary_reconciles_with_its_workspace_report() {
    let sim = tempfile::tempdir().expect("tmp");
    let ws = sim.path().join("ws");
    let scenario = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/guarded-automation.toml"
    );
    let args = [
        "simulate",
        "--scenario",
        scenario,
        "--accounts",
        "1500",
        "--days",
        "30",
    ];
    let table = ok(sim.path(), &args);
    assert!(table.contains("after 60 warm-up days"), "{table}");
    assert!(table.contains("burned share (of accounts)"), "{table}");
    let mut with_ws = args.to_vec();
    with_ws.extend([
        "--format",
        "json",
        "--emit-workspace",
        ws.to_str().expect("path"),
    ]);
    let out = json(sim.path(), &with_ws);
    let s = &out["summary"];
    assert_eq!(s["warmup_days"], 60);
    assert_eq!(s["working_days"], 30);
    assert_eq!(s["warmup_recorded"], true);
    let stated = s["qualified"].as_u64().expect("q") + s["warmup_qualified"].as_u64().expect("w");
    assert!(s["warmup_qualified"].as_u64() > Some(0), "{s}");
    let report = json(&ws, &["report", "--format", "json"]);
    assert_eq!(report["production"]["total"].as_u64(), Some(stated), "{s}");
    assert_eq!(report["working_days"], 90);
    // And the days counted from day 0 alone: the report from the first simulated day.
    let day0 = out["days"][0]["date"].as_str().expect("date");
    let after = json(&ws, &["report", "--from", day0, "--format", "json"]);
    assert_eq!(after["production"]["total"], s["qualified"]);
    let per_day = s["qualified_per_day"].as_f64().expect("per day");
    let report_per_day = after["production"]["per_day"].as_f64().expect("per day");
    assert!(
        (per_day - report_per_day).abs() < 1e-12,
        "{per_day} vs {report_per_day}"
    );
}

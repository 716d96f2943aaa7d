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
        burn["days_to_exhaustion"], t["days_of_fresh_territory"],
        "{burn} vs {t}"
    );
    assert_eq!(
        plan["days_to_exhaustion"], t["days_of_fresh_territory"],
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
        window["territory"]["days_of_fresh_territory"],
        t["days_of_fresh_territory"]
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

/// A funnel like a real public one: leads enter over six months, wins are recorded about
/// two weeks after entry, losses only through a 180-day timeout (so the latest entries
/// are still open). Period yields read 100 % then near 0; the verdicts must not.
fn late_losses_workspace() -> tempfile::TempDir {
    use std::fmt::Write as _;
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(
        dir.path().join("line.toml"),
        "[line]\nname = \"lead-funnel\"\ntimezone = \"UTC\"\ntarget_per_day = 5\n\n\
         [[station]]\nid = \"deal\"\noperator = \"human\"\ncapacity_per_day = 80\n",
    )
    .expect("line");
    let start = jiff::civil::date(2025, 1, 2).at(9, 0, 0, 0);
    let as_of = jiff::civil::date(2025, 11, 28).at(17, 0, 0, 0);
    let mut csv = String::from("event_id,ts,unit_id,account_id,station,kind,reason\n");
    let mut n = 0;
    for i in 0..4000i64 {
        // 22 leads a calendar day, over 180 days; one in ten is won.
        let entered = start
            .checked_add(jiff::Span::new().minutes(i * 65))
            .expect("ts");
        let unit = format!("l{i:05}");
        let mut push = |ts: jiff::civil::DateTime, kind: &str, reason: &str| {
            n += 1;
            writeln!(csv, "e{n},{ts}Z,{unit},a{i},deal,{kind},{reason}").expect("write");
        };
        push(entered, "entered", "");
        let (days, kind, reason) = if i % 10 == 3 {
            (10 + i % 9, "passed", "")
        } else {
            (180, "failed", "no_response")
        };
        let out = entered
            .checked_add(jiff::Span::new().days(days))
            .expect("ts");
        if out < as_of {
            push(out, kind, reason);
        }
    }
    std::fs::write(dir.path().join("events.csv"), csv).expect("events");
    ok(dir.path(), &["import", "events", "events.csv"]);
    dir
}

#[test]
fn a_funnel_whose_losses_arrive_late_gets_verdicts_on_cohorts() {
    let ws = late_losses_workspace();
    let d = ws.path();
    // The first quarter's period yield is 100 % (only wins recorded yet); its cohort
    // yield states the open ones and is not.
    let q1 = json(
        d,
        &[
            "report",
            "--from",
            "2025-01-01",
            "--to",
            "2025-03-31",
            "--format",
            "json",
        ],
    );
    let s = &q1["stations"][0];
    assert_eq!(s["yield"], 1.0);
    assert!(s["cohort"]["open"].as_u64() > Some(0), "{s}");
    let cohort_yield = s["cohort"]["yield"].as_f64().expect("cohort yield");
    assert!((cohort_yield - 0.1).abs() < 0.02, "{cohort_yield}");
    assert!(s["lag"]["detected"] == true, "{s}");
    // Watch and plan read cohorts, say so, and are not alarmed by the lag.
    let w = json(d, &["watch", "--format", "json"]);
    assert_eq!(w["basis"]["basis"], "cohort", "{w}");
    assert_ne!(w["health"], "red", "{w}");
    let p = json(d, &["plan", "--runs", "200", "--format", "json"]);
    assert_eq!(p["basis"]["basis"], "cohort", "{p}");
    let need = p["stations"][0]["required_dispositions_per_day"]
        .as_f64()
        .expect("need");
    // 5 a day at a 10 % conversion: about 50 dispositions, within the capacity of 80.
    assert!((40.0..60.0).contains(&need), "{need}");
    // Drift: the all-wins start cannot be charted, and the text says so.
    let drift = ok(d, &["drift"]);
    assert!(
        !drift.contains("every station's yield is within"),
        "{drift}"
    );
    assert!(drift.contains("not charted"), "{drift}");
}

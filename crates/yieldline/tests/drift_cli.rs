//! End-to-end tests of `yieldline drift` on real stores.

mod common;

use common::*;

use std::fmt::Write as _;

use serde_json::Value;

/// A research station with 20 dispositions on each of 40 working days from Monday
/// 2025-03-03: yield 0.8 for 25 days, then 0.5.
fn shifted_workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tmp");
    ok(dir.path(), &["init"]);
    let mut csv = String::from("event_id,ts,unit_id,account_id,station,kind,reason\n");
    let mut day = jiff::civil::Date::constant(2025, 3, 3);
    let mut n = 0;
    for d in 0..40 {
        while matches!(
            day.weekday(),
            jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday
        ) {
            day = day.tomorrow().expect("date");
        }
        let passes = if d < 25 { 16 } else { 10 };
        for i in 0..20 {
            n += 1;
            let unit = format!("c{n}");
            writeln!(csv, "e{n}a,{day}T14:00:00Z,{unit},a{n},research,entered,").expect("write");
            if i < passes {
                writeln!(csv, "e{n}b,{day}T16:00:00Z,{unit},a{n},research,passed,").expect("write");
            } else {
                writeln!(
                    csv,
                    "e{n}b,{day}T16:00:00Z,{unit},a{n},research,failed,disqualified"
                )
                .expect("write");
            }
        }
        day = day.tomorrow().expect("date");
    }
    std::fs::write(dir.path().join("events.csv"), csv).expect("events");
    ok(dir.path(), &["import", "events", "events.csv"]);
    dir
}

#[test]
fn a_lasting_drop_is_signalled_with_its_start_and_before_after() {
    let ws = shifted_workspace();
    let json: Value = serde_json::from_str(&ok(
        ws.path(),
        &[
            "drift",
            "--station",
            "research",
            "--chart",
            "p",
            "--baseline",
            "2025-03-03..2025-04-04",
            "--format",
            "json",
        ],
    ))
    .expect("json");
    let st = &json["stations"][0];
    assert_eq!(st["id"], "research");
    assert_eq!(st["chart"], "p");
    assert!((st["center"].as_f64().expect("center") - 0.8).abs() < 1e-12);
    assert_eq!(st["points"].as_array().expect("points").len(), 40);
    let signals = st["signals"].as_array().expect("signals");
    let rule2 = signals
        .iter()
        .find(|s| s["rule"] == 2)
        .expect("a rule-2 signal");
    // The drop starts on the 26th working day: Monday 2025-04-07.
    assert_eq!(rule2["run_start"], "2025-04-07");
    assert!((rule2["before"].as_f64().expect("before") - 0.8).abs() < 1e-9);
    assert!((rule2["after"].as_f64().expect("after") - 0.5).abs() < 1e-9);
    // 0.5 with n = 20 is beyond the 3σ limit (0.8 − 3·0.0894 = 0.532): rule 1 too.
    assert!(
        signals
            .iter()
            .any(|s| s["rule"] == 1 && s["day"] == "2025-04-07")
    );
    // Nothing is signalled inside the stable baseline.
    assert!(
        signals
            .iter()
            .all(|s| s["day"].as_str().expect("day") >= "2025-04-07")
    );
}

#[test]
fn svg_csv_and_table_outputs() {
    let ws = shifted_workspace();
    let svg = ok(
        ws.path(),
        &["drift", "--station", "research", "--format", "svg"],
    );
    assert!(
        svg.starts_with("<svg") || svg.contains("<svg"),
        "{}",
        &svg[..svg.len().min(200)]
    );
    assert!(svg.contains("research"));
    let csv = ok(
        ws.path(),
        &["drift", "--station", "research", "--format", "csv"],
    );
    assert_eq!(csv.lines().count(), 41);
    let table = ok(ws.path(), &["drift"]);
    assert!(
        table.contains("research") && table.contains("rule 2"),
        "{table}"
    );
    // Stations without dispositions are listed with the reason, not a panic or NaN.
    assert!(
        table.contains("first-touch") && table.contains("baseline"),
        "{table}"
    );
    let weekly = ok(
        ws.path(),
        &[
            "drift",
            "--station",
            "research",
            "--period",
            "week",
            "--format",
            "json",
        ],
    );
    assert!(!weekly.contains("NaN"));
}

#[test]
fn bad_input_is_a_clear_error() {
    let ws = shifted_workspace();
    let d = ws.path();
    let err = |args: &[&str]| {
        let out = yieldline(d, args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    assert!(err(&["drift", "--station", "nope"]).contains("unknown station \"nope\""));
    assert!(err(&["drift", "--station", "reply"]).contains("baseline"));
    assert!(err(&["drift", "--baseline", "2025-03-03"]).contains("FROM..TO"));
    assert!(err(&["drift", "--plot", "x.svg"]).contains("--station"));
    // A baseline where every disposition passed has p̄ = 1: the limits are degenerate.
    let all_pass = tempfile::tempdir().expect("tmp");
    ok(all_pass.path(), &["init"]);
    std::fs::write(
        all_pass.path().join("e.csv"),
        "event_id,ts,unit_id,account_id,station,kind\ne1,2025-03-03T15:00:00Z,c1,a1,research,passed\n",
    )
    .expect("write");
    ok(all_pass.path(), &["import", "events", "e.csv"]);
    let out = yieldline(all_pass.path(), &["drift", "--station", "research"]);
    assert_eq!(out.status.code(), Some(1));
    let msg = String::from_utf8_lossy(&out.stderr);
    assert!(msg.contains("station research"), "{msg}");
}

#[test]
fn the_demo_shows_its_reply_drift() {
    let dir = tempfile::tempdir().expect("tmp");
    ok(dir.path(), &["demo", "--format", "json"]);
    let json: Value = serde_json::from_str(&ok(
        dir.path(),
        &[
            "drift",
            "--station",
            "reply",
            "--chart",
            "ewma",
            "--format",
            "json",
        ],
    ))
    .expect("json");
    let signals = json["stations"][0]["signals"].as_array().expect("signals");
    // The template change lands on working day 60 (late August 2025): a lasting drop.
    let drop = signals
        .iter()
        .find(|s| {
            s["run_start"]
                .as_str()
                .is_some_and(|d| ("2025-08-15".."2025-09-15").contains(&d))
        })
        .unwrap_or_else(|| panic!("no signal starting near the drift: {signals:#?}"));
    assert!(
        drop["before"].as_f64().expect("before") > drop["after"].as_f64().expect("after") + 0.08,
        "{drop}"
    );
}

/// A weekly chart whose default baseline is the whole series says so and suggests
/// `--baseline`; its SVG title says weekly; a chart with a baseline has no such note.
#[test]
fn a_weekly_chart_on_its_whole_series_says_so() {
    let ws = shifted_workspace();
    let weekly = |format: &str| {
        let mut args = "drift --station research --period week --format"
            .split(' ')
            .collect::<Vec<_>>();
        args.push(format);
        ok(ws.path(), &args)
    };
    let table = weekly("table");
    assert!(
        table.contains("covers the whole series (8 weeks)") && table.contains("--baseline"),
        "{table}"
    );
    let json: Value = serde_json::from_str(&weekly("json")).expect("json");
    assert!(json["stations"][0]["note"].is_string(), "{json}");
    let svg = weekly("svg");
    assert!(
        svg.contains("of weekly yield") && !svg.contains("daily"),
        "title"
    );
    let daily = ok(
        ws.path(),
        &[
            "drift",
            "--station",
            "research",
            "--baseline",
            "2025-03-03..2025-04-04",
        ],
    );
    assert!(!daily.contains("covers the whole series"), "{daily}");
}

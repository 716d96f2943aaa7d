//! End-to-end tests of the hardening findings: suppression in every ordinary spelling,
//! account units, formula injection in CSV output, implausible times and absurd
//! settings — each a probe that today's binary failed, run against the real binary.

mod common;

use common::*;

use std::path::Path;

use serde_json::Value;

/// A small account line whose every station has dispositions, so `plan` and
/// `dispatch` work on it.
const ACCOUNT_LINE: &str = "\
[line]
name = 'accounts'
unit = 'account'
timezone = 'UTC'
target_per_day = 5

[[station]]
id = 'research'
operator = 'human'
capacity_per_day = 50

[[station]]
id = 'first-touch'
operator = 'automation'
capacity_per_day = 50

[guardrails]
max_active_contacts_per_account = 50
";

/// History: four accounts through both stations, half passing each.
fn history() -> String {
    let mut rows = vec![HEADER.to_owned()];
    let mut n = 0;
    for (i, a) in ["h1", "h2", "h3", "h4"].iter().enumerate() {
        for (s, station) in ["research", "first-touch"].iter().enumerate() {
            let day = 3 + s;
            let (kind, reason) = if i % 2 == 0 {
                ("passed", "")
            } else {
                ("failed", "no_response")
            };
            n += 1;
            rows.push(format!(
                "x{n},2025-03-0{day}T09:00:00Z,{a},{a},{station},entered,,,,,,,,"
            ));
            n += 1;
            rows.push(format!(
                "x{n},2025-03-0{day}T10:00:00Z,{a},{a},{station},{kind},{reason},,,,,,,"
            ));
        }
    }
    rows.join("\n") + "\n"
}

fn account_workspace(territory: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    std::fs::write(d.join("line.toml"), ACCOUNT_LINE).expect("line");
    std::fs::write(d.join("history.csv"), history()).expect("history");
    std::fs::write(d.join("territory.csv"), territory).expect("territory");
    ok(d, &["import", "events", "history.csv"]);
    ok(d, &["import", "territory", "territory.csv"]);
    dir
}

fn ordered(d: &Path, date: &str) -> Vec<String> {
    let v: Value = json(d, &["dispatch", "--date", date, "--format", "json"]);
    v["orders"]
        .as_array()
        .expect("orders")
        .iter()
        .map(|o| o["unit_id"].as_str().expect("unit").to_owned())
        .collect()
}

fn suppress(d: &Path, flag: &str, value: &str) {
    ok(
        d,
        &[
            "suppress", "add", flag, value, "--reason", "asked", "--by", "test",
        ],
    );
}

#[test]
fn suppression_holds_for_every_spelling_of_an_address_and_an_id() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    ok(d, &["demo", "--format", "json"]);
    // Fresh contacts of the best fit, at accounts that sort first; one known to the
    // events as `P5`, to the territory as `p5`.
    std::fs::write(
        d.join("probe.csv"),
        "contact_id,account_id,fit_tier,email\n\
         p1,000-a,1,ann@probe.example.\n\
         p2,000-b,1,bob@probe.example\u{200B}\n\
         p3,000-c,1,Cy Young <cy@probe.example>\n\
         p4,000-d,1,dee@other.example\n\
         p5,000-e,1,eve@third.example\n\
         p6,000-f,1,\u{00C4}ndrea.Olund@other.example\n",
    )
    .expect("probe");
    ok(d, &["import", "territory", "probe.csv"]);
    std::fs::write(
        d.join("probe-events.csv"),
        format!("{HEADER}\npe1,2025-10-17T09:00:00-04:00,P5,000-e,research,entered,,,,,,,,\n"),
    )
    .expect("events");
    ok(d, &["import", "events", "probe-events.csv"]);
    let date = "2025-10-20";
    let before = ordered(d, date);
    for p in ["p1", "p2", "p3", "p4", "P5", "p6"] {
        assert!(
            before.iter().any(|u| u == p),
            "{p} not dispatched: {before:?}"
        );
    }
    suppress(d, "--domain", "probe.example");
    // Stored as typed before canonical forms: with the dot, blocking nothing.
    suppress(d, "--email", "dee@other.example.");
    suppress(d, "--email", "eve@third.example");
    suppress(d, "--email", "ändrea.olund@OTHER.example");
    let after = ordered(d, date);
    for p in ["p1", "p2", "p3", "p4", "p5", "P5", "p6"] {
        assert!(!after.iter().any(|u| u == p), "{p} dispatched: {after:?}");
    }
    assert!(!after.is_empty());
    let list = ok(d, &["suppress", "list", "--format", "csv"]);
    assert!(list.contains("email,dee@other.example,"), "{list}");
    assert!(list.contains("email,ändrea.olund@other.example,"), "{list}");
}

#[test]
fn erase_by_email_finds_a_non_ascii_address() {
    let dir = account_workspace(
        "contact_id,account_id,email\nc1,acme,\u{00C4}ndrea.Olund@acme.example\nc2,acme,bob@acme.example\n",
    );
    let d = dir.path();
    let out = ok(d, &["erase", "ändrea.olund@ACME.example", "--by", "dpo"]);
    assert!(out.contains("1 territory contact(s) anonymised"), "{out}");
}

#[test]
fn an_account_is_not_dispatched_when_its_domain_or_all_its_contacts_are_suppressed() {
    let dir = account_workspace(
        "contact_id,account_id,fit_tier,email\n\
         c1,acme,1,ann@acme.example\n\
         c2,acme,1,bob@acme.example\n\
         c3,initech,1,Peter <peter@initech.example>\n\
         c5,globex,1,hank@globex.example\n\
         c6,globex,1,mindy@globex.example\n",
    );
    let d = dir.path();
    let date = "2025-03-10";
    let before = ordered(d, date);
    for a in ["acme", "initech", "globex"] {
        assert!(
            before.iter().any(|u| u == a),
            "{a} not dispatched: {before:?}"
        );
    }
    suppress(d, "--contact", "C1");
    suppress(d, "--email", "Bob@ACME.example.");
    suppress(d, "--domain", "initech.example");
    suppress(d, "--email", "hank@globex.example");
    let after = ordered(d, date);
    assert!(after.iter().any(|u| u == "globex"), "{after:?}");
    assert!(
        !after.iter().any(|u| u == "acme" || u == "initech"),
        "{after:?}"
    );
}

/// Parses CSV output and returns every cell.
fn cells(text: &str) -> Vec<String> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    r.records()
        .flat_map(|rec| {
            rec.expect("csv")
                .iter()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn formula_cells_are_neutralised_in_csv_output() {
    let evil = "=HYPERLINK(\"http://evil.example\",\"x\")";
    let dir = account_workspace(&format!(
        "contact_id,account_id,fit_tier,email\nc1,\"{}\",1,ann@acme.example\nc2,+cmd|' /C calc'!A0,1,bob@b.example\nc3,-2+3,1,cy@c.example\n",
        evil.replace('"', "\"\"")
    ));
    let d = dir.path();
    let csv_out = ok(d, &["dispatch", "--date", "2025-03-10", "--format", "csv"]);
    let got = cells(&csv_out);
    for bad in [evil, "+cmd|' /C calc'!A0", "-2+3"] {
        assert!(
            got.iter().any(|c| *c == format!("'{bad}")),
            "{bad}: {csv_out}"
        );
    }
    assert!(
        got.iter()
            .all(|c| !c.starts_with(['=', '+', '-', '@', '\t', '\r'])),
        "{csv_out}"
    );
    // JSON is the data, never altered.
    let v: Value = json(d, &["dispatch", "--date", "2025-03-10", "--format", "json"]);
    assert!(
        v["orders"]
            .as_array()
            .expect("orders")
            .iter()
            .any(|o| o["unit_id"] == evil)
    );
    suppress(d, "--contact", "+cmd|' /C calc'!A0");
    suppress(d, "--contact", "@SUM(A1:A2)");
    for args in [
        ["suppress", "log", "--format", "csv"],
        ["suppress", "list", "--format", "csv"],
    ] {
        let out = ok(d, &args);
        let got = cells(&out);
        assert!(got.iter().any(|c| c == "'+cmd|' /C calc'!A0"), "{out}");
        assert!(got.iter().any(|c| c == "'@SUM(A1:A2)"), "{out}");
        assert!(
            got.iter()
                .all(|c| !c.starts_with(['=', '+', '-', '@', '\t', '\r'])),
            "{out}"
        );
    }
}

#[test]
fn an_event_in_an_implausible_year_is_a_bad_row() {
    let dir = account_workspace("contact_id,account_id\nc1,acme\n");
    let d = dir.path();
    for ts in [
        "2205-03-04T09:00:00Z",
        "0000-03-04T09:00:00Z",
        "9999-03-04T09:00:00Z",
    ] {
        std::fs::write(
            d.join("typo.csv"),
            format!("{HEADER}\nt1,{ts},acme,acme,research,entered,,,,,,,,\n"),
        )
        .expect("events");
        let err = fails(d, &["import", "events", "typo.csv"]);
        assert!(
            err.contains("typo.csv:2: field `ts`") && err.contains("outside the plausible range"),
            "{err}"
        );
    }
    // The report's default period is untouched by the refused row.
    let r = json(d, &["report", "--format", "json"]);
    assert_eq!(r["to"], "2025-03-04");
}

#[test]
fn absurd_settings_are_refused_with_key_and_line() {
    let dir = account_workspace("contact_id,account_id\nc1,acme\n");
    let d = dir.path();
    std::fs::write(
        d.join("line.toml"),
        format!("{ACCOUNT_LINE}cooldown_days_after_fail = 106751992\n"),
    )
    .expect("line");
    let err = fails(d, &["report"]);
    assert!(
        err.contains("line.toml:19: guardrails.cooldown_days_after_fail: must be a whole number from 0 to 3650"),
        "{err}"
    );
    let mut many = String::from("[line]\nname='x'\ntimezone='UTC'\ntarget_per_day=1\n");
    for i in 0..70_000 {
        many.push_str(&format!(
            "[[station]]\nid='s{i}'\noperator='human'\ncapacity_per_day=1\n"
        ));
    }
    std::fs::write(d.join("line.toml"), many).expect("line");
    let err = fails(d, &["report"]);
    assert!(err.contains("at most 1000"), "{err}");
}

#[test]
fn plan_runs_and_experiment_dates_are_bounded() {
    let dir = account_workspace("contact_id,account_id\nc1,acme\n");
    let d = dir.path();
    let err = fails(d, &["plan", "--runs", "4294967295"]);
    assert!(err.contains("over the limit of 1000000"), "{err}");
    ok(d, &["plan", "--runs", "1000"]);
    let err = fails(
        d,
        &words("experiment create --id late --station research --arms a,b --start 9999-12-31"),
    );
    assert!(err.contains("outside 2000-01-01 to 2100-12-31"), "{err}");
    let list = ok(d, &["experiment", "list", "--format", "json"]);
    assert!(!list.contains("late"), "{list}");
}

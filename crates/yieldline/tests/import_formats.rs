//! End-to-end: event and territory files as people have them (issue 12, part 4), through
//! the real `yieldline` binary and a real store.

mod common;

use common::*;

use std::path::Path;

fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tmp");
    ok(dir.path(), &["init"]);
    dir
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path.to_str().expect("utf8 path").to_owned()
}

fn events_stored(dir: &Path) -> u64 {
    let report = json(dir, &["report", "--format", "json"]);
    report["stations"][0]["entered"].as_u64().unwrap_or(0)
}

#[test]
fn headers_in_any_case_semicolons_bom_crlf_blank_lines_and_extra_columns_import() {
    let ws = workspace();
    let d = ws.path();
    let file = write(
        d,
        "export.csv",
        "\u{feff} Event_ID ;TS;Unit ID;account_id;Station;KIND;notes\r\n\
         e1;2025-03-03T09:00:00-05:00;c1;a1;research;entered;called twice\r\n\
         \r\n\
         ;;;;;;\r\n\
         e2;2025-03-03 11:00;c2;a1;research;entered;\r\n",
    );
    let err = stderr_of(d, &["import", "events", &file]);
    assert!(
        err.contains("read 2, imported 2")
            && err.contains("ignored columns")
            && err.contains("notes"),
        "{err}"
    );
    let refused = fails(d, &["import", "events", "--strict", &file]);
    assert!(refused.contains("unknown columns \"notes\""), "{refused}");
    let tabs = write(
        d,
        "tabs.csv",
        "event_id\tts\tunit_id\taccount_id\tstation\tkind\ne3\t2025-03-04T09:00:00Z\tc3\ta1\tresearch\tentered\n",
    );
    assert!(stderr_of(d, &["import", "events", &tabs]).contains("imported 1"));
    assert_eq!(events_stored(d), 3);
}

#[test]
fn offset_less_times_take_the_source_zone_and_slashed_dates_need_the_option() {
    let ws = workspace();
    let d = ws.path();
    let file = write(
        d,
        "local.csv",
        "event_id,ts,unit_id,account_id,station,kind\ne1,04/03/2025 09:30,c1,a1,research,entered\n",
    );
    let err = fails(d, &["import", "events", &file]);
    assert!(
        err.contains("local.csv:2: field `ts`")
            && err.contains("--date-format dmy or --date-format mdy"),
        "{err}"
    );
    ok(
        d,
        &[
            "import",
            "events",
            "--date-format",
            "dmy",
            "--source-timezone",
            "Europe/Berlin",
            &file,
        ],
    );
    // 09:30 in Berlin on 4 March 2025 (CET, +01:00) is 08:30 UTC.
    let removed = ok(d, &["events", "remove", "--id", "e1", "--reason", "test"]);
    assert!(removed.contains("2025-03-04T08:30:00Z"), "{removed}");
    let zone = fails(
        d,
        &["import", "events", "--source-timezone", "Mars/Base", &file],
    );
    assert!(zone.contains("unknown time zone \"Mars/Base\""), "{zone}");
}

#[test]
fn a_refused_file_lists_every_bad_row_and_writes_nothing() {
    let ws = workspace();
    let d = ws.path();
    let mut text = String::from("event_id,ts,unit_id,account_id,station,kind\n");
    text.push_str("e0,2025-03-03T09:00:00Z,c0,a1,research,entered\n");
    text.push_str("e1,45720,c1,a1,research,entered\n");
    text.push_str("e2,2025-03-03T09:00:00Z,c2,a1,nowhere,entered\n");
    for i in 0..120 {
        text.push_str(&format!("x{i},2025-03-03T09:00:00Z,u{i},a1,research,won\n"));
    }
    let file = write(d, "bad.csv", &text);
    let err = fails(d, &["import", "events", &file]);
    assert!(
        err.contains("bad.csv:3: field `ts`: \"45720\" looks like an Excel serial date"),
        "{err}"
    );
    assert!(
        err.contains("bad.csv:4: field `station`: unknown station \"nowhere\""),
        "{err}"
    );
    assert!(
        err.contains("bad.csv:5: field `kind`: unknown kind \"won\""),
        "{err}"
    );
    assert!(
        err.contains("bad.csv:102: field `kind`"),
        "the 100th bad row: {err}"
    );
    assert!(!err.contains("bad.csv:103:"), "only 100 listed: {err}");
    assert!(err.contains("and 22 more bad rows"), "{err}");
    assert!(
        err.contains("122 bad rows: nothing from this file was imported"),
        "{err}"
    );
    // The command line says how to import the good rows (the HTTP API does not).
    assert!(
        err.contains("(use --skip-bad --rejects FILE to import the good rows)"),
        "{err}"
    );
    assert!(
        !err.contains("invalid digit"),
        "never a parser's internals: {err}"
    );
    let report = fails(d, &["report"]);
    assert!(
        report.contains("no events yet"),
        "nothing written: {report}"
    );
}

#[test]
fn json_lines_keys_match_like_headers_and_numbers_are_text() {
    let ws = workspace();
    let d = ws.path();
    let file = write(
        d,
        "events.jsonl",
        "{\"Event_ID\":\"e1\",\"ts\":\"2025-03-03\",\"unit_id\":42,\"account_id\":\"a1\",\"station\":\"research\",\"kind\":\"entered\",\"phone\":\"555\"}\n\
         \n\
         {\"event_id\":\"e2\",\"ts\":\"2025-03-03T10:00:00Z\",\"unit_id\":\"42\",\"account_id\":\"a1\",\"station\":\"research\",\"kind\":\"passed\"}\n",
    );
    let err = stderr_of(d, &["import", "events", &file]);
    assert!(
        err.contains("read 2, imported 2") && err.contains("phone"),
        "{err}"
    );
    let refused = fails(d, &["import", "events", "--strict", &file]);
    assert!(
        refused.contains("events.jsonl:1: field `phone`"),
        "{refused}"
    );
}

#[test]
fn territory_tiers_headers_and_bad_rows() {
    let ws = workspace();
    let d = ws.path();
    let file = write(
        d,
        "territory.csv",
        "Contact_ID;Account ID;Fit Tier;Phone\r\nc1;a1;A;555\r\nc2;a1;tier 3;\r\n\r\nc3;a2;9;\r\n",
    );
    let err = stderr_of(d, &["import", "territory", &file]);
    assert!(
        err.contains("read 3, imported 3") && err.contains("Phone"),
        "{err}"
    );
    let bad = write(
        d,
        "bad.csv",
        "contact_id,account_id,fit_tier\nc4,a1,Gold\nc5,,1\nc6,a1,J\n",
    );
    let err = fails(d, &["import", "territory", &bad]);
    assert!(
        err.contains("bad.csv:2: field `fit_tier`: \"Gold\" is not a fit tier: expected 1 (best) to 9, a letter A (best) to I")
            && err.contains("bad.csv:3: field `account_id`: is required")
            && err.contains("bad.csv:4: field `fit_tier`: \"J\"")
            && err.contains("3 bad rows"),
        "{err}"
    );
    let fixed = write(
        d,
        "fixed.csv",
        "contact_id,account_id,fit_tier\nc4,a1,1\nc5,a1,1\nc6,a1,I\n",
    );
    let err = stderr_of(d, &["import", "territory", &fixed]);
    assert!(
        err.contains("read 3, imported 3"),
        "the refused file added no contact: {err}"
    );
}

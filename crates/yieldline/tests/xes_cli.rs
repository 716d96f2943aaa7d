//! End-to-end: the real `yieldline` binary importing a small XES log (written here)
//! through a mapping file.

mod common;

use common::*;

use std::path::Path;

use serde_json::Value;

const LINE: &str = r#"[line]
name = "loans"
timezone = "Europe/Amsterdam"
target_per_day = 1

[[station]]
id = "submitted"
operator = "automation"
capacity_per_day = 100

[[station]]
id = "review"
operator = "human"
capacity_per_day = 20
"#;

const MAPPING: &str = r#"[xes]
lifecycle = ["complete"]

[[rule]]
activity = "A_SUBMITTED"
station = "submitted"
kind = "entered"

[[rule]]
activity = "A_PREACCEPTED"
station = "submitted"
kind = "passed"
enters = "review"

[[rule]]
activity = "A_APPROVED"
station = "review"
kind = "passed"

[[rule]]
activity = "A_DECLINED"
station = "*current"
kind = "failed"
reason = "disqualified"

[[rule]]
activity = "W_Nabellen offertes"
station = "*current"
kind = "touch"
channel = "phone"
"#;

fn event(activity: &str, lifecycle: &str, ts: &str) -> String {
    format!(
        "    <event>\n      <string key=\"org:resource\" value=\"112\"/>\n      <string key=\"lifecycle:transition\" value=\"{lifecycle}\"/>\n      <string key=\"concept:name\" value=\"{activity}\"/>\n      <date key=\"time:timestamp\" value=\"{ts}\"/>\n    </event>\n"
    )
}

fn trace(id: &str, events: &[(&str, &str, &str)]) -> String {
    let body: String = events.iter().map(|(a, l, t)| event(a, l, t)).collect();
    format!("  <trace>\n    <string key=\"concept:name\" value=\"{id}\"/>\n{body}  </trace>\n")
}

fn log() -> String {
    let traces = [
        trace(
            "100",
            &[
                ("A_SUBMITTED", "COMPLETE", "2011-10-03T09:00:00.000+02:00"),
                ("A_PREACCEPTED", "COMPLETE", "2011-10-03T09:05:00.000+02:00"),
                (
                    "W_Nabellen offertes",
                    "START",
                    "2011-10-04T10:00:00.000+02:00",
                ),
                (
                    "W_Nabellen offertes",
                    "COMPLETE",
                    "2011-10-04T10:10:00.000+02:00",
                ),
                ("A_APPROVED", "COMPLETE", "2011-10-05T11:00:00.000+02:00"),
            ],
        ),
        trace(
            "101",
            &[
                ("A_SUBMITTED", "COMPLETE", "2011-10-03T10:00:00.000+02:00"),
                (
                    "A_PARTLYSUBMITTED",
                    "COMPLETE",
                    "2011-10-03T10:00:01.000+02:00",
                ),
                ("A_DECLINED", "COMPLETE", "2011-10-03T10:01:00.000+02:00"),
            ],
        ),
        trace(
            "102",
            &[
                ("A_SUBMITTED", "COMPLETE", "2011-10-04T09:00:00.000+02:00"),
                ("A_PREACCEPTED", "COMPLETE", "2011-10-04T09:30:00.000+02:00"),
            ],
        ),
    ];
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<log xes.version=\"1.0\" xmlns=\"http://www.xes-standard.org/\">\n{}</log>\n",
        traces.concat()
    )
}

fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tmp");
    ok(dir.path(), &["init"]);
    std::fs::write(dir.path().join("line.toml"), LINE).expect("line");
    std::fs::write(dir.path().join("map.toml"), MAPPING).expect("mapping");
    std::fs::write(dir.path().join("log.xes"), log()).expect("log");
    dir
}

fn report_json(dir: &Path) -> Value {
    json(dir, &["report", "--format", "json"])
}

#[test]
fn an_xes_log_imports_through_a_mapping_and_reimporting_changes_nothing() {
    let ws = workspace();
    let d = ws.path();
    let err = stderr_of(d, &["import", "events", "log.xes", "--mapping", "map.toml"]);
    // 100: entered, passed + entered review, touch, passed; 101: entered, failed;
    // 102: entered, passed + entered review.
    assert!(
        err.contains("read 10, imported 10, skipped as duplicates 0, rejected 0"),
        "{err}"
    );
    assert!(
        err.contains("3 traces, 10 XES events → 10 Yieldline events"),
        "{err}"
    );
    assert!(
        err.contains("skipped 1 events of activities not in the mapping: A_PARTLYSUBMITTED (1)"),
        "{err}"
    );
    assert!(err.contains("lifecycle list: start (1)"), "{err}");

    let first = report_json(d);
    let st = &first["stations"];
    assert_eq!(st[0]["entered"], 3, "{first}");
    assert_eq!(st[0]["passed"], 2, "{first}");
    assert_eq!(st[0]["failed"], 1, "{first}");
    assert_eq!(st[1]["entered"], 2, "{first}");
    assert_eq!(st[1]["passed"], 1, "{first}");
    assert_eq!(st[1]["wip"], 1, "{first}");

    let again = stderr_of(
        d,
        &words("import events log.xes --format xes --mapping map.toml"),
    );
    assert!(
        again.contains("imported 0, skipped as duplicates 10"),
        "{again}"
    );
    assert_eq!(report_json(d), first, "re-import changed the report");
}

#[test]
fn a_broken_mapping_names_key_and_line_and_imports_nothing() {
    let ws = workspace();
    let d = ws.path();
    let broken = MAPPING.replace(
        "station = \"review\"\nkind = \"passed\"",
        "station = \"reveiw\"\nkind = \"passed\"",
    );
    std::fs::write(d.join("broken.toml"), broken).expect("write");
    let out = yieldline(
        d,
        &["import", "events", "log.xes", "--mapping", "broken.toml"],
    );
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("broken.toml:17: rule[3].station: unknown station \"reveiw\""),
        "{err}"
    );

    std::fs::write(
        d.join("typo.toml"),
        MAPPING.replace("reason = ", "raeson = "),
    )
    .expect("write");
    let err = stderr(&yieldline(
        d,
        &["import", "events", "log.xes", "--mapping", "typo.toml"],
    ));
    assert!(
        err.contains("typo.toml:24:") && err.contains("raeson"),
        "{err}"
    );

    let err = stderr(&yieldline(d, &["import", "events", "log.xes"]));
    assert!(
        err.contains("log.xes: an XES log needs --mapping FILE"),
        "{err}"
    );
    let report = yieldline(d, &["report"]);
    assert!(
        stderr(&report).contains("the store has no events yet"),
        "nothing imported: {}",
        stderr(&report)
    );
}

#[test]
fn malformed_xml_is_refused_with_its_line() {
    let ws = workspace();
    let d = ws.path();
    let text = log().replacen("    </event>\n", "    </evnt>\n", 1);
    std::fs::write(d.join("bad.xes"), text).expect("write");
    let out = yieldline(d, &["import", "events", "bad.xes", "--mapping", "map.toml"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("bad.xes:10: malformed XML"), "{err}");
}

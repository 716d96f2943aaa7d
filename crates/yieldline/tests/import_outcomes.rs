//! End-to-end: an outcome-only export (no `entered` rows) never re-prospects a worked
//! contact (issue 12, part 3), through the real `yieldline` binary and a real store.

mod common;

use common::*;

use serde_json::Value;

const TERRITORY: &str =
    "contact_id,account_id,fit_tier\nc1,a1,1\nc2,a2,1\nc3,a3,1\nc4,a4,2\nc5,a5,2\nc6,a6,2\n";

/// c1 went all the way to `qualified`, c2 was touched, c3 passed research; x9 is not in
/// the territory. Not one `entered` row.
const OUTCOMES: &str = "event_id,ts,unit_id,account_id,station,kind,reason,channel
o1,2025-03-03T10:00:00Z,c1,a1,research,passed,,
o2,2025-03-04T10:00:00Z,c1,a1,first-touch,touch,,email
o3,2025-03-05T10:00:00Z,c1,a1,first-touch,passed,,
o4,2025-03-06T10:00:00Z,c1,a1,reply,passed,,
o5,2025-03-07T10:00:00Z,c1,a1,meeting-booked,passed,,
o6,2025-03-08T10:00:00Z,c1,a1,meeting-held,passed,,
o7,2025-03-09T10:00:00Z,c1,a1,qualified,passed,,
o8,2025-03-04T10:00:00Z,c2,a2,first-touch,touch,,email
o9,2025-03-03T10:00:00Z,c3,a3,research,passed,,
o10,2025-03-04T10:00:00Z,x9,a9,research,passed,,
";

#[test]
fn outcome_only_events_never_produce_a_fresh_order_for_a_worked_unit() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    ok(d, &["init"]);
    std::fs::write(d.join("territory.csv"), TERRITORY).expect("territory");
    std::fs::write(d.join("outcomes.csv"), OUTCOMES).expect("events");
    ok(d, &["import", "territory", "territory.csv"]);
    let err = stderr_of(d, &["import", "events", "outcomes.csv"]);
    assert!(
        err.contains("9 outcomes without an entry and 0 before their entry")
            && err.contains("name 1 units not in the territory"),
        "the import counts the anomalies: {err}"
    );

    let report = json(d, &["report", "--format", "json"]);
    let t = &report["territory"];
    assert_eq!(t["fresh"], 3, "only c4, c5, c6 are fresh: {t}");
    // c1, c2, c3 were worked, and so was x9 (outside the territory): all done.
    assert_eq!(
        (t["in_line"].as_u64(), t["done"].as_u64()),
        (Some(0), Some(4)),
        "{t}"
    );

    let orders = json(d, &["dispatch", "--date", "2025-03-10", "--format", "json"]);
    let orders = orders["orders"].as_array().expect("orders");
    let order_of = |unit: &str| orders.iter().find(|o| o["unit_id"] == unit);
    for worked in ["c1", "c2", "c3", "x9"] {
        assert!(
            order_of(worked).is_none(),
            "{worked} was ordered: {orders:?}"
        );
    }
    assert!(
        orders
            .iter()
            .filter(|o| o["reason"].as_str().is_some_and(|r| r.starts_with("fresh")))
            .all(|o| ["c4", "c5", "c6"].contains(&o["unit_id"].as_str().unwrap_or(""))),
        "only never-worked units are fresh intake: {orders:?}"
    );

    // `check` lists the anomalies per unit and still passes (they are not damage).
    let check = json(d, &["check", "--format", "json"]);
    assert_eq!(check["problems"], Value::Array(vec![]));
    let units: Vec<(&str, u64, bool)> = check["anomalies"]
        .as_array()
        .expect("anomalies")
        .iter()
        .map(|a| {
            (
                a["unit_id"].as_str().unwrap_or(""),
                a["outcome_without_entry"].as_u64().unwrap_or(0),
                a["unknown_unit"].as_bool().unwrap_or(false),
            )
        })
        .collect();
    assert_eq!(
        units,
        [
            ("c1", 6, false),
            ("c2", 1, false),
            ("c3", 1, false),
            ("x9", 1, true)
        ]
    );
    let table = ok(d, &["check"]);
    assert!(
        table.contains("anomaly: unit x9: 1 outcomes without an entry, not in the territory"),
        "{table}"
    );
    let csv = ok(d, &["check", "--format", "csv"]);
    assert!(
        csv.contains("anomaly,unit c1: 6 outcomes without an entry"),
        "{csv}"
    );
}

#[test]
fn an_outcome_before_its_entry_is_counted_apart() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    ok(d, &["init"]);
    std::fs::write(
        d.join("late.csv"),
        "event_id,ts,unit_id,account_id,station,kind\n\
         l1,2025-03-03T10:00:00Z,c1,a1,research,passed\n\
         l2,2025-03-04T10:00:00Z,c1,a1,research,entered\n",
    )
    .expect("events");
    let err = stderr_of(d, &["import", "events", "late.csv"]);
    assert!(
        err.contains("0 outcomes without an entry and 1 before their entry")
            && err.contains("name 0 units not in the territory"),
        "{err}"
    );
}

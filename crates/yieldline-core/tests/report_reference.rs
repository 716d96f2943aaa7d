//! The report against an independent pandas computation (tools/reference/report_refs.py)
//! on a random log of ~2,400 shuffled events spanning a DST change.

use std::path::Path;

use serde_json::Value;
use yieldline_core::event::RawEvent;
use yieldline_core::facts::{Interner, log_from_events};
use yieldline_core::line::Line;
use yieldline_core::report::{Period, report};

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/report_random")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Compares two JSON values: numbers to 1e-9 relative (1e-12 absolute near zero),
/// everything else exactly. Keys missing from `actual` are failures; extra keys are allowed.
fn assert_close(path: &str, expected: &Value, actual: &Value) {
    match (expected, actual) {
        (Value::Number(e), Value::Number(a)) => {
            let (e, a) = (e.as_f64().expect("f64"), a.as_f64().expect("f64"));
            let tol = 1e-9 * e.abs().max(1e-3);
            assert!((e - a).abs() <= tol, "{path}: expected {e}, got {a}");
        }
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                let av = a.get(k).unwrap_or_else(|| panic!("{path}.{k}: missing"));
                assert_close(&format!("{path}.{k}"), ev, av);
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            assert_eq!(e.len(), a.len(), "{path}: lengths differ");
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                assert_close(&format!("{path}[{i}]"), ev, av);
            }
        }
        _ => assert_eq!(expected, actual, "{path}"),
    }
}

fn check(period: Period, expected_file: &str) {
    let line = Line::from_toml("line.toml", &fixture("line.toml")).expect("line");
    let events_csv = fixture("events.csv");
    let mut rdr = csv::Reader::from_reader(events_csv.as_bytes());
    let headers = rdr.headers().expect("header").clone();
    let events: Vec<_> = rdr
        .records()
        .map(|r| {
            let record = r.expect("row");
            let raw: RawEvent = record.deserialize(Some(&headers)).expect("fields");
            raw.validate(&line, jiff::Timestamp::now()).expect("valid")
        })
        .collect();
    let mut units = Interner::default();
    let log = log_from_events(&line, &events, &mut units);
    let territory_csv = fixture("territory.csv");
    let mut rdr = csv::Reader::from_reader(territory_csv.as_bytes());
    let territory: Vec<u32> = rdr
        .records()
        .map(|r| units.intern(&r.expect("row")[0]))
        .collect();
    let got = serde_json::to_value(report(&line, &log, &territory, period).expect("report"))
        .expect("json");
    let expected: Value = serde_json::from_str(&fixture(expected_file)).expect("expected json");
    assert_close("report", &expected, &got);
}

#[test]
fn default_period_matches_pandas() {
    check(Period::default(), "expected_default.json");
}

#[test]
fn explicit_period_matches_pandas() {
    let d = |s: &str| s.parse().ok();
    check(
        Period {
            from: d("2025-03-10"),
            to: d("2025-04-04"),
        },
        "expected_mar10_apr04.json",
    );
}

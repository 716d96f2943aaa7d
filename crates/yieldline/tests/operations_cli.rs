//! End-to-end tests of `plan`, `watch` and `dispatch` on a demo workspace.

mod common;

use common::*;

use std::path::Path;
use std::sync::OnceLock;

use serde_json::Value;

/// One demo workspace shared by the tests of this file (read-only use).
fn demo() -> &'static Path {
    static DEMO: OnceLock<tempfile::TempDir> = OnceLock::new();
    DEMO.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tmp");
        ok(dir.path(), &["demo", "--format", "json"]);
        dir
    })
    .path()
}

#[test]
fn plan_is_consistent_with_its_own_yields() {
    let p = json(
        demo(),
        &[
            "plan", "--target", "2", "--runs", "4000", "--format", "json",
        ],
    );
    assert_eq!(p["target"], 2.0);
    let stations = p["stations"].as_array().expect("stations");
    assert_eq!(stations.len(), 6);
    // required_passes[s] = target / Π_{k>s} yield_k; dispositions = passes / yield.
    let yields: Vec<f64> = stations
        .iter()
        .map(|s| s["yield"].as_f64().expect("yield"))
        .collect();
    for (i, s) in stations.iter().enumerate() {
        let later: f64 = yields[i + 1..].iter().product();
        let passes = s["required_passes_per_day"].as_f64().expect("passes");
        assert!((passes - 2.0 / later).abs() < 1e-9, "{s}");
        let disp = s["required_dispositions_per_day"]
            .as_f64()
            .expect("dispositions");
        assert!((disp - passes / yields[i]).abs() < 1e-9);
        assert_eq!(
            s["capacity_ok"],
            disp <= s["capacity_per_day"].as_f64().expect("cap")
        );
    }
    let mc = &p["monte_carlo"];
    assert_eq!(mc["runs"], 4000);
    let (p10, p50, p90) = (
        mc["p10"].as_f64().expect("p10"),
        mc["p50"].as_f64().expect("p50"),
        mc["p90"].as_f64().expect("p90"),
    );
    assert!(p10 <= p50 && p50 <= p90);
    let chance = mc["chance_to_hit"].as_f64().expect("chance");
    assert!((0.0..=1.0).contains(&chance));
    // Seeds reproduce results exactly.
    assert_eq!(
        p,
        json(
            demo(),
            &[
                "plan", "--target", "2", "--runs", "4000", "--format", "json"
            ]
        )
    );
    assert!(p["days_to_exhaustion"].as_f64().expect("dte") > 0.0);
}

#[test]
fn watch_reports_seven_signals_and_a_verdict() {
    let w = json(demo(), &["watch", "--format", "json"]);
    assert!(["green", "amber", "red"].contains(&w["health"].as_str().expect("health")));
    let names: Vec<&str> = w["signals"]
        .as_array()
        .expect("signals")
        .iter()
        .map(|s| s["name"].as_str().expect("name"))
        .collect();
    assert_eq!(
        names,
        [
            "marginal_yield_of_automation",
            "low_hanging_fruit_depletion",
            "territory_burn",
            "saturation",
            "quality_dilution",
            "buyer_harm",
            "yield_drift"
        ]
    );
    assert!(!w["action"].as_str().expect("action").is_empty());
    let table = ok(demo(), &["watch"]);
    assert!(
        table.contains("health") && table.contains("action:"),
        "{table}"
    );
}

#[test]
fn watch_sees_the_demo_reply_drift_on_the_control_chart() {
    // The demo's template change drops the reply yield from about 41 % to 29 % at the
    // end of August; the watch used to say nothing of it.
    let w = json(demo(), &["watch", "--format", "json"]);
    let drift = w["signals"]
        .as_array()
        .expect("signals")
        .iter()
        .find(|s| s["name"] == "yield_drift")
        .expect("yield_drift signal");
    assert_eq!(drift["status"], "warn", "{drift}");
    let msg = drift["message"].as_str().expect("message");
    assert!(msg.contains("reply's yield shifted down"), "{msg}");
    let action = w["action"].as_str().expect("action");
    assert!(
        action.contains("find what changed at") && action.contains("reply around"),
        "{action}"
    );
}

#[test]
fn watch_does_not_advise_the_experiment_that_is_running() {
    // On 2025-08-20 the demo's auto-first-touch experiment runs at first-touch.
    let w = json(
        demo(),
        &["watch", "--as-of", "2025-08-20", "--format", "json"],
    );
    let action = w["action"].as_str().expect("action");
    assert!(
        !action.contains("run an experiment on station first-touch"),
        "{action}"
    );
    assert!(action.contains("auto-first-touch"), "{action}");
}

#[test]
fn plan_states_its_window_and_the_current_output() {
    let p = json(demo(), &["plan", "--runs", "200", "--format", "json"]);
    assert_eq!(p["window"]["to"], "2025-10-17");
    assert_eq!(p["window"]["working_days"], 60);
    assert!(p["current_output_per_day"].as_f64().expect("output") > 0.0);
    let table = ok(demo(), &["plan", "--runs", "200"]);
    assert!(
        table.contains("measured over 2025-07-28 to 2025-10-17"),
        "{table}"
    );
}

#[test]
fn dispatch_respects_capacity_and_is_repeatable() {
    let d = json(
        demo(),
        &["dispatch", "--date", "2025-10-20", "--format", "json"],
    );
    let orders = d["orders"].as_array().expect("orders");
    assert!(!orders.is_empty());
    let line = std::fs::read_to_string(demo().join("line.toml")).expect("line");
    let line = yieldline_core::line::Line::from_toml("line.toml", &line).expect("valid");
    for st in &line.stations {
        let n = orders
            .iter()
            .filter(|o| o["station"] == st.id.as_str())
            .count();
        assert!(n as f64 <= st.capacity_per_day, "{}: {n}", st.id);
    }
    for o in orders {
        for key in [
            "date",
            "station",
            "unit_id",
            "account_id",
            "operator_kind",
            "arm",
            "reason",
        ] {
            assert!(o.get(key).is_some(), "{key} missing in {o}");
        }
    }
    assert_eq!(
        d,
        json(
            demo(),
            &["dispatch", "--date", "2025-10-20", "--format", "json"]
        )
    );
    let out = tempfile::tempdir().expect("tmp");
    let file = out.path().join("orders.csv");
    ok(
        demo(),
        &[
            "dispatch",
            "--date",
            "2025-10-20",
            "--format",
            "csv",
            "--out",
            file.to_str().expect("path"),
        ],
    );
    let csv = std::fs::read_to_string(&file).expect("csv");
    assert_eq!(csv.lines().count(), orders.len() + 1);
    assert!(csv.starts_with("date,station,unit_id,account_id,operator_kind,arm,reason"));
}

#[test]
fn bad_input_is_a_clear_error() {
    let out = yieldline(demo(), &["dispatch", "--date", "next tuesday"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--date"));
    // A line whose later stations have no data yet: no plan, so no fresh intake can be sized.
    let dir = tempfile::tempdir().expect("tmp");
    ok(dir.path(), &["init"]);
    std::fs::write(
        dir.path().join("e.csv"),
        "event_id,ts,unit_id,account_id,station,kind\ne1,2025-03-03T15:00:00Z,c1,a1,research,entered\ne2,2025-03-03T16:00:00Z,c1,a1,research,passed\n",
    )
    .expect("write");
    ok(dir.path(), &["import", "events", "e.csv"]);
    let out = yieldline(dir.path(), &["dispatch", "--date", "2025-03-04"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("plan") && err.contains("first-touch"), "{err}");
    let out = yieldline(dir.path(), &["plan"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_suppressed_contact_or_domain_is_never_dispatched_again() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    ok(d, &["demo", "--format", "json"]);
    let before = json(d, &["dispatch", "--date", "2025-10-20", "--format", "json"]);
    let orders = before["orders"].as_array().expect("orders");
    let first = orders[0]["unit_id"].as_str().expect("unit").to_owned();
    let other_account = orders
        .iter()
        .find(|o| o["account_id"] != orders[0]["account_id"])
        .expect("a second account")["account_id"]
        .as_str()
        .expect("account")
        .to_owned();
    // Suppress the first unit by id, and a whole domain: the other account's.
    ok(
        d,
        &[
            "suppress",
            "add",
            "--contact",
            &first,
            "--reason",
            "asked by phone",
            "--by",
            "test",
        ],
    );
    let territory = std::fs::read_to_string(d.join("territory.csv")).expect("territory");
    let domain = territory
        .lines()
        .find(|l| l.split(',').nth(1) == Some(other_account.as_str()))
        .and_then(|l| l.split(',').nth(5))
        .and_then(|email| email.split('@').nth(1))
        .expect("domain")
        .to_owned();
    ok(
        d,
        &[
            "suppress", "add", "--domain", &domain, "--reason", "customer", "--by", "test",
        ],
    );
    let after = json(d, &["dispatch", "--date", "2025-10-20", "--format", "json"]);
    let after_orders = after["orders"].as_array().expect("orders");
    assert!(!after_orders.is_empty());
    assert!(
        after_orders.iter().all(|o| o["unit_id"] != first.as_str()),
        "suppressed contact dispatched"
    );
    assert!(
        after_orders
            .iter()
            .all(|o| o["account_id"] != other_account.as_str()),
        "suppressed domain dispatched"
    );
    // Re-importing the events (with their opt-outs) changes nothing.
    ok(d, &["import", "events", "events.csv"]);
    assert_eq!(
        after,
        json(d, &["dispatch", "--date", "2025-10-20", "--format", "json"])
    );
}

#[test]
fn simulate_calibrates_from_a_workspace() {
    let scenario =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/guarded-automation.toml");
    let out = yieldline(
        demo(),
        &[
            "simulate",
            "--scenario",
            scenario.to_str().expect("path"),
            "--calibrate",
            "--accounts",
            "2000",
            "--days",
            "40",
            "--format",
            "json",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("calibrated from") && err.contains("propensity Beta("),
        "{err}"
    );
    let sim: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(sim["days"].as_array().expect("days").len(), 40);
}

#[test]
fn dispatch_out_writes_the_orders_and_says_when_the_day_is_not_worked() {
    let out_dir = tempfile::tempdir().expect("tmp");
    let csv_path = out_dir.path().join("orders.csv");
    let json_path = out_dir.path().join("orders.json");
    let csv_arg = csv_path.display().to_string();
    let json_arg = json_path.display().to_string();
    ok(
        demo(),
        &["dispatch", "--date", "2025-10-20", "--out", &csv_arg],
    );
    let csv = std::fs::read_to_string(&csv_path).expect("csv");
    assert!(
        csv.starts_with("date,station,unit_id,account_id,operator_kind,arm,reason\n"),
        "{csv}"
    );
    ok(
        demo(),
        &["dispatch", "--date", "2025-10-20", "--out", &json_arg],
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json_path).expect("json")).expect("parse");
    assert!(v["orders"].is_array(), "{v}");
    // 2025-10-19 is a Sunday; the demo line works Monday to Friday.
    let sunday = json(
        demo(),
        &["dispatch", "--date", "2025-10-19", "--format", "json"],
    );
    let first = sunday["notes"][0].as_str().expect("a note");
    assert!(first.contains("not a working day"), "{first}");
}

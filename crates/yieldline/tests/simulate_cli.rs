//! End-to-end: the simulator's example scenarios through the real binary, and the
//! toxic-automation watch on the workspaces they emit.

mod common;

use common::*;

use std::path::{Path, PathBuf};

use serde_json::Value;

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name)
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Working days simulated: the ramp reaches ×3 on day 126 (and heads for ×5), so the
/// watch looks at a line two weeks past the ×3 mark, when the unguarded line's yields
/// and burn are turning, with most of the territory still fresh.
const DAYS: &str = "140";

/// Simulates a test fixture (10,000 accounts, the examples' capacities scaled to match),
/// emitting a workspace, and returns the simulation's JSON and the watch's JSON on the
/// emitted workspace (as of its last day).
fn run(scenario: &str) -> (Value, Value, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tmp");
    let ws = dir.path().join("ws");
    let path = fixture(scenario);
    let sim: Value = serde_json::from_str(&ok(
        dir.path(),
        &[
            "simulate",
            "--scenario",
            path.to_str().expect("path"),
            "--days",
            DAYS,
            "--format",
            "json",
            "--emit-workspace",
            ws.to_str().expect("path"),
        ],
    ))
    .expect("sim json");
    let watch: Value =
        serde_json::from_str(&ok(&ws, &["watch", "--format", "json"])).expect("watch json");
    (sim, watch, dir)
}

fn status<'a>(watch: &'a Value, signal: &str) -> &'a str {
    watch["signals"]
        .as_array()
        .expect("signals")
        .iter()
        .find(|s| s["name"] == signal)
        .and_then(|s| s["status"].as_str())
        .unwrap_or_else(|| panic!("no signal {signal}: {watch:#}"))
}

fn describe(watch: &Value) -> String {
    let signals: Vec<String> = watch["signals"]
        .as_array()
        .expect("signals")
        .iter()
        .map(|s| {
            format!(
                "{}={} ({})",
                s["name"].as_str().unwrap_or(""),
                s["status"].as_str().unwrap_or(""),
                s["message"].as_str().unwrap_or("")
            )
        })
        .collect();
    format!(
        "health {} as of {}:\n  {}",
        watch["health"],
        watch["as_of"],
        signals.join("\n  ")
    )
}

/// The same territory, capacities and ramp with and without guardrails: the watch is red
/// on the unguarded line for buyer harm (not merely for breaking the touch cap), while the
/// guarded line — whose scale-up governor holds the ramp once the added automated
/// touches stop paying — is not red: buyer harm, burn, saturation, quality and the
/// marginal yield of automation stay clear.
///
/// The guarded line is amber, not green: it still works the territory in fit order and
/// its guardrails (short sequences, long cooldowns) spend its touch capacity on fresh
/// contacts, so it uses up its best-fit tier before day 140 (earlier than the unguarded
/// line, which spends its capacity re-touching) and the watch rightly warns of falling
/// first-visit yield (`low_hanging_fruit_depletion`).
#[test]
fn the_watch_flags_buyer_harm_on_aggressive_automation_and_not_on_guarded() {
    let (sim_a, watch_a, _a) = run("aggressive-small.toml");
    let (sim_g, watch_g, _g) = run("guarded-small.toml");
    let (a, g) = (describe(&watch_a), describe(&watch_g));
    eprintln!("aggressive: {a}\nguarded: {g}");
    let days = |s: &Value| s["days"].as_array().expect("days").clone();
    let burned = |s: &Value| {
        days(s).last().expect("day")["burned_share"]
            .as_f64()
            .expect("share")
    };
    let fresh = |s: &Value| {
        days(s).last().expect("day")["fresh_remaining"]
            .as_u64()
            .expect("fresh")
    };
    // A live line, not an exhausted territory.
    assert!(
        fresh(&sim_a) > 5_000 && fresh(&sim_g) > 5_000,
        "{} / {}",
        fresh(&sim_a),
        fresh(&sim_g)
    );
    assert!(
        burned(&sim_a) > burned(&sim_g),
        "{} vs {}",
        burned(&sim_a),
        burned(&sim_g)
    );

    // Aggressive: red, with buyer harm in alarm (opt-outs over the 0.3 % limit).
    assert_eq!(watch_a["health"], "red", "{a}");
    let evidence: Vec<&str> = [
        "buyer_harm",
        "territory_burn",
        "marginal_yield_of_automation",
    ]
    .into_iter()
    .filter(|s| status(&watch_a, s) == "alarm")
    .collect();
    assert!(!evidence.is_empty(), "{a}");
    assert_eq!(status(&watch_a, "buyer_harm"), "alarm", "{a}");
    assert_eq!(status(&watch_a, "saturation"), "alarm", "{a}");

    // Guarded: not red; buyer harm under half the limit, no over-touched contacts, burn
    // contained, and the governor has held the ramp, so no unpaid increment of automation.
    assert_ne!(watch_g["health"], "red", "{g}");
    for signal in [
        "buyer_harm",
        "saturation",
        "territory_burn",
        "quality_dilution",
        "marginal_yield_of_automation",
    ] {
        assert_eq!(status(&watch_g, signal), "ok", "{signal}: {g}");
    }
    assert_ne!(
        status(&watch_g, "low_hanging_fruit_depletion"),
        "alarm",
        "{g}"
    );
    let frozen = days(&sim_g)
        .iter()
        .filter(|d| d["scaleup_frozen"] == true)
        .count();
    assert!(frozen > 0, "the governor never held the ramp");
    assert!(
        days(&sim_a).iter().all(|d| d["scaleup_frozen"] == false),
        "no governor without guardrails"
    );
    let rate = |w: &Value| {
        let s = w["signals"]
            .as_array()
            .expect("signals")
            .iter()
            .find(|s| s["name"] == "buyer_harm")
            .expect("harm");
        s["figures"]["optout_rate"].as_f64().expect("rate")
    };
    assert!(rate(&watch_a) > 0.003, "{a}");
    assert!(rate(&watch_g) < 0.003 / 2.0, "{g}");
}

#[test]
fn scenario_errors_name_the_key_and_line() {
    let dir = tempfile::tempdir().expect("tmp");
    let text = std::fs::read_to_string(example("guarded-automation.toml")).expect("scenario");
    let bad = text.replacen("seed", "sede", 1);
    std::fs::write(dir.path().join("bad.toml"), bad).expect("write");
    let out = yieldline(dir.path(), &["simulate", "--scenario", "bad.toml"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.toml") && err.contains("sede") && err.contains("line"),
        "{err}"
    );
}

//! Determinism across thread counts, output shapes, workspace files and invariants.

use std::collections::HashMap;

use proptest::prelude::*;
use yieldline_sim::output::write_days_csv;
use yieldline_sim::template::{RESEARCH, TOUCH, station_ids};
use yieldline_sim::{
    Guardrails, Scenario, SimError, SimOptions, simulate, simulate_with, write_workspace_files,
};

fn small(seed: u64, guarded: bool) -> Scenario {
    let mut s = Scenario::default()
        .with_accounts(1500)
        .with_days(60)
        .with_seed(seed)
        .with_shards(6);
    s.stations[TOUCH].automation_capacity = 80;
    s.stations[RESEARCH].automation_capacity = 40;
    if guarded {
        s.policy.guardrails = Some(Guardrails::default());
    }
    s
}

fn in_pool<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("pool")
        .install(f)
}

#[test]
fn results_do_not_depend_on_thread_count() {
    let sc = small(42, false);
    let opts = SimOptions {
        record_events: true,
    };
    let one = in_pool(1, || simulate_with(&sc, opts)).expect("runs");
    let two = in_pool(2, || simulate_with(&sc, opts)).expect("runs");
    assert_eq!(one.days, two.days);
    assert_eq!(one.events, two.events);
    assert_eq!(one.territory, two.territory);
    let other = simulate(&sc.clone().with_seed(43)).expect("runs");
    assert_ne!(one.days, other.days, "the seed matters");
}

#[test]
fn json_echoes_the_scenario_and_has_the_documented_day_keys() {
    let sc = small(7, true);
    let out = simulate(&sc).expect("runs");
    let mut buf = Vec::new();
    out.write_json(&mut buf).expect("json");
    let v: serde_json::Value = serde_json::from_slice(&buf).expect("valid json");
    assert_eq!(v["scenario"]["scenario"]["seed"], 7);
    assert_eq!(v["scenario"]["scenario"]["shards"], 6);
    let day = &v["days"][0];
    assert!(day["stations"].is_array(), "{day}");
    // The echoed scenario reproduces the run.
    let echoed: Scenario = serde_json::from_value(v["scenario"].clone()).expect("scenario");
    assert_eq!(simulate(&echoed).expect("runs").days, out.days);

    let mut csv = Vec::new();
    write_days_csv(&out, &mut csv).expect("csv");
    let csv = String::from_utf8(csv).expect("utf8");
    let mut lines = csv.lines();
    let header = lines.next().expect("header");
    assert!(
        header.starts_with("day,date,automation_multiplier,touches,automated_touches,qualified")
    );
    assert!(header.ends_with("passed_qualified"));
    // Every day column of the CSV is a documented key of the JSON days.
    for key in header.split(',').filter(|k| !k.starts_with("passed_")) {
        assert!(day.get(key).is_some(), "missing {key}");
    }
    assert_eq!(lines.count(), 60);
}

#[test]
fn workspace_files_follow_the_event_rules() {
    let sc = small(3, false);
    let out = simulate_with(
        &sc,
        SimOptions {
            record_events: true,
        },
    )
    .expect("runs");
    let (mut line, mut terr, mut events) = (Vec::new(), Vec::new(), Vec::new());
    write_workspace_files(&out, &mut line, &mut terr, &mut events).expect("writes");
    let line = String::from_utf8(line).expect("utf8");
    let parsed: toml::Table = toml::from_str(&line).expect("line.toml parses");
    assert_eq!(parsed["line"]["unit"].as_str(), Some("contact"));
    let stations = parsed["station"].as_array().expect("stations");
    assert_eq!(stations.len(), 6);
    assert_eq!(stations[1]["operator"].as_str(), Some("hybrid"));
    assert!(parsed["guardrails"]["max_touches_per_contact_30d"].is_integer());

    let terr = String::from_utf8(terr).expect("utf8");
    assert!(terr.starts_with("contact_id,account_id,fit_tier,first_name,last_name,email,title\n"));
    let tiers: HashMap<String, String> = terr
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_string(), f[1].to_string())
        })
        .collect();

    let events = String::from_utf8(events).expect("utf8");
    let mut lines = events.lines();
    assert_eq!(
        lines.next(),
        Some(
            "event_id,ts,unit_id,account_id,station,kind,reason,resume_on,referral_unit_id,channel,operator_id,operator_kind,arm,cost_minutes"
        )
    );
    let order = station_ids();
    // Per unit: the station it is in (entered, no disposition yet) and the furthest passed.
    let mut open: HashMap<String, Option<usize>> = HashMap::new();
    let mut passed: HashMap<String, i32> = HashMap::new();
    let mut last_ts = String::new();
    let mut n = 0;
    for l in lines {
        n += 1;
        let f: Vec<&str> = l.split(',').collect();
        assert_eq!(f.len(), 14, "{l}");
        let (ts, unit, account, station, kind) = (f[1], f[2], f[3], f[4], f[5]);
        // Local time in the line's zone (the template's, New York), with its offset.
        let at: jiff::Timestamp = ts.parse().expect("RFC 3339 timestamp");
        let local = at.to_zoned(jiff::tz::TimeZone::get("America/New_York").expect("zone"));
        assert!(ts.ends_with("-05:00") || ts.ends_with("-04:00"), "{ts}");
        assert!(
            (8..19).contains(&local.hour()),
            "{ts} outside business hours"
        );
        assert!(ts >= last_ts.as_str(), "events ordered by time: {l}");
        last_ts = ts.to_string();
        assert_eq!(
            tiers.get(unit).map(String::as_str),
            Some(account),
            "unit in territory: {l}"
        );
        let k = order
            .iter()
            .position(|s| *s == station)
            .expect("known station");
        match kind {
            "entered" => {
                assert_eq!(
                    open.get(unit).copied().flatten(),
                    None,
                    "entered twice: {l}"
                );
                assert!(
                    k == 0 || *passed.get(unit).unwrap_or(&-1) >= k as i32 - 1,
                    "entered {station} before passing the previous station: {l}"
                );
                open.insert(unit.to_string(), Some(k));
            }
            "touch" => {
                assert!(
                    matches!(f[9], "email" | "phone" | "social" | "other"),
                    "{l}"
                );
                assert_eq!(
                    open.get(unit).copied().flatten(),
                    Some(k),
                    "touch outside WIP: {l}"
                );
            }
            "optout" => assert_eq!(open.get(unit).copied().flatten(), Some(k), "{l}"),
            "passed" | "failed" | "recycled" => {
                assert_eq!(
                    open.get(unit).copied().flatten(),
                    Some(k),
                    "disposition without entry: {l}"
                );
                open.insert(unit.to_string(), None);
                if kind == "passed" {
                    let p = passed.entry(unit.to_string()).or_insert(-1);
                    *p = (*p).max(k as i32);
                }
                if kind == "failed" {
                    assert!(
                        matches!(
                            f[6],
                            "no_response"
                                | "disqualified"
                                | "bounced"
                                | "negative"
                                | "wrong_person"
                                | "optout"
                        ),
                        "{l}"
                    );
                }
                if kind == "recycled" {
                    assert_eq!(f[7].len(), 10, "recycled needs resume_on: {l}");
                    assert!(f[7] > &ts[..10]);
                }
            }
            other => panic!("unknown kind {other}"),
        }
        assert!(matches!(f[11], "human" | "automation"), "{l}");
    }
    assert!(n > 1000, "a real log: {n} events");
}

#[test]
fn workspace_needs_recorded_events() {
    let out = simulate(&small(1, false)).expect("runs");
    let err = write_workspace_files(&out, Vec::new(), Vec::new(), Vec::new());
    assert!(matches!(err, Err(SimError::EventsNotRecorded)));
}

#[test]
fn invalid_sizes_are_rejected() {
    let err = simulate(&Scenario::default().with_accounts(0)).expect_err("invalid");
    insta::assert_snapshot!(err.to_string(), @"invalid scenario: scenario.accounts: must be between 1 and 50000000, is 0");
}

#[test]
fn example_scenarios_parse() {
    for f in ["aggressive-automation.toml", "guarded-automation.toml"] {
        let path = format!("{}/../../examples/{f}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(path).expect("exists");
        Scenario::from_toml_str(&text).expect("valid");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, .. ProptestConfig::default() })]

    #[test]
    fn territory_invariants_hold(seed in 0u64..1000, guarded in any::<bool>(), auto in 0u32..200) {
        let mut sc = small(seed, guarded).with_days(50).with_accounts(400).with_shards(3);
        sc.stations[TOUCH].automation_capacity = auto;
        let out = simulate_with(&sc, SimOptions { record_events: guarded }).expect("runs");
        let mut prev_burned = 0.0;
        let mut prev_fresh = u64::MAX;
        for d in &out.days {
            prop_assert!(d.burned_share >= prev_burned && d.burned_share <= 1.0);
            prop_assert!(d.fresh_remaining <= prev_fresh);
            prop_assert!(d.automated_touches <= d.touches);
            prop_assert!((0.0..=1.0).contains(&d.yield_per_touch));
            let cap = u64::from(sc.stations[TOUCH].human_capacity)
                + u64::from(sc.stations[TOUCH].automation_capacity);
            prop_assert!(d.touches <= cap, "touches {} over capacity {}", d.touches, cap);
            prev_burned = d.burned_share;
            prev_fresh = d.fresh_remaining;
        }
        if guarded {
            // No contact gets more than the cap in any 30-calendar-day window.
            let cap = Guardrails::default().max_touches_per_contact_30d as usize;
            let mut by_contact: HashMap<u32, Vec<u32>> = HashMap::new();
            for e in out.events.iter().filter(|e| e.kind == yieldline_sim::output::EventKind::Touch) {
                by_contact.entry(e.contact).or_default().push(e.day);
            }
            for days in by_contact.values() {
                // 30 calendar days span at least 20 working days.
                for w in days.windows(cap + 1) {
                    prop_assert!(w[cap] - w[0] >= 20, "{:?}", days);
                }
            }
        }
    }
}

/// The opt-out brake of a guarded policy: a line harming buyers above `max_optout_rate`
/// gets its automated capacity halved (and halved again while it stays above), which
/// brings the opt-out rate down; without guardrails nothing brakes.
#[test]
fn the_optout_brake_cuts_automation_when_the_rate_is_over_the_limit() {
    let harmful = |guarded: bool| {
        let mut s = small(11, guarded).with_days(120);
        s.stations[TOUCH].automation_capacity = 300;
        s.stations[RESEARCH].automation_capacity = 120;
        // Several times the default opt-out risk: automation alone runs far over 0.3 %.
        s.response.optout_base = 0.004;
        simulate(&s).expect("runs")
    };
    let rate = |o: &yieldline_sim::SimOutput, from: usize| {
        let days = &o.days[from..];
        let t: u64 = days.iter().map(|d| d.touches).sum();
        let x: u64 = days.iter().map(|d| d.optouts).sum();
        x as f64 / t as f64
    };
    let free = harmful(false);
    let braked = harmful(true);
    assert!(free.days.iter().all(|d| d.brake_halvings == 0));
    assert!(free.days.iter().all(|d| d.automation_multiplier == 1.0));
    let max_halvings = braked.days.iter().map(|d| d.brake_halvings).max();
    assert!(max_halvings >= Some(2), "{max_halvings:?}");
    let auto =
        |o: &yieldline_sim::SimOutput| o.days.iter().map(|d| d.automated_touches).sum::<u64>();
    assert!(
        auto(&braked) < auto(&free) / 2,
        "{} vs {}",
        auto(&braked),
        auto(&free)
    );
    // Halved days report the effective multiplier.
    for d in &braked.days {
        assert_eq!(
            d.automation_multiplier,
            0.5f64.powi(d.brake_halvings as i32)
        );
    }
    assert!(
        rate(&braked, 40) < rate(&free, 40),
        "{} vs {}",
        rate(&braked, 40),
        rate(&free, 40)
    );
}

/// A small line with referrals, ranged recycles, a reply drift from day 30 and an
/// experiment by contact (the arms: people, and automation on its own capacity).
fn featured(seed: u64) -> Scenario {
    let text = r#"
[scenario]
accounts = 1200
days = 60
warmup_days = 5
record_warmup = false
shards = 3

[response]
referral_rate = 0.5
yield_wobble = 0.1

[stations.first-touch]
human_capacity = 150
automation_capacity = 150

[policy]
not_now_days = 20
not_now_days_max = 40
human_channels = [0.5, 0.3, 0.2]
automation_starts_sequences = false

[[drift]]
station = "reply"
day = 30
yield_multiplier = 0.0

[experiment]
id = "try-auto"
unit = "contact"
start_day = 10
end_day = 40
guardrails = ["optout_rate:0.01"]

[[experiment.arms]]
name = "people"

[[experiment.arms]]
name = "sequencer"
operator = "automation"
"#;
    Scenario::from_toml_str(text)
        .expect("valid")
        .with_seed(seed)
}

#[test]
fn new_features_are_deterministic_and_do_what_they_say() {
    let sc = featured(5);
    let opts = SimOptions {
        record_events: true,
    };
    let one = in_pool(1, || simulate_with(&sc, opts)).expect("runs");
    let two = in_pool(2, || simulate_with(&sc, opts)).expect("runs");
    assert_eq!(one.events, two.events);
    assert_eq!(one.days, two.days);
    // Recording does not change the run.
    assert_eq!(simulate(&sc).expect("runs").days, one.days);
    // The reply drift: no interested reply from day 30 on, some before.
    let reply_passes = |days: std::ops::Range<usize>| -> u64 {
        one.days[days].iter().map(|d| d.stations[2].passed).sum()
    };
    assert!(reply_passes(0..30) > 0);
    assert_eq!(reply_passes(30..60), 0);
    // Referrals name a colleague, who is then researched.
    let referred: Vec<u32> = one.events.iter().filter_map(|e| e.referral).collect();
    assert!(!referred.is_empty());
    assert!(referred.iter().any(|r| {
        one.events
            .iter()
            .any(|e| e.contact == *r && usize::from(e.station) == RESEARCH)
    }));
    // Arms: only in the window, only at the touch station, worked by their operator;
    // automation starts no sequence outside the experiment.
    let warmup = 5;
    for e in &one.events {
        if let Some(arm) = e.arm {
            assert_eq!(usize::from(e.station), TOUCH);
            if e.kind == yieldline_sim::output::EventKind::Touch {
                assert_eq!(e.automated, arm == 1);
            }
        }
        if e.kind == yieldline_sim::output::EventKind::Entered
            && usize::from(e.station) == TOUCH
            && e.automated
        {
            assert!((warmup + 10..warmup + 40).contains(&e.day), "{e:?}");
            assert_eq!(e.arm, Some(1));
        }
    }
    let x = one.experiment.as_ref().expect("definition");
    assert_eq!(
        x.unit,
        yieldline_core::experiment::RandomizationUnit::Contact
    );
    assert!(x.stop.is_some_and(|s| s > x.start));
}

#[test]
fn experiment_and_drift_keys_are_checked_with_lines() {
    let text = "[[drift]]\nstation = \"nowhere\"\n\n[experiment]\nstation = \"reply\"\nunit = \"week\"\nstart_day = 5\nend_day = 3\n\n[[experiment.arms]]\nname = \"a\"\noperator = \"robot\"\n";
    let err = Scenario::from_toml_str(text).expect_err("invalid");
    let SimError::InvalidScenario(issues) = err else {
        panic!("{err}")
    };
    let keys: Vec<&str> = issues.iter().map(|i| i.key.as_str()).collect();
    for key in [
        "drift[0].station",
        "experiment.station",
        "experiment.unit",
        "experiment.end_day",
        "experiment.arms[0].operator",
        "experiment",
    ] {
        assert!(keys.contains(&key), "{key} missing from {issues:?}");
    }
    let station = issues
        .iter()
        .find(|i| i.key == "experiment.station")
        .expect("issue");
    assert_eq!(station.line, Some(5));
}

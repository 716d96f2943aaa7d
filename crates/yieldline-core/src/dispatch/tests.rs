//! Dispatch: hand-checked orders and a property test over random stores.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use proptest::prelude::*;

use super::*;
use crate::event::{Event, RawEvent};
use crate::experiment::{ArmDef, RandomizationUnit};
use crate::facts::{Interner, log_from_events};

const LINE: &str = "[line]\nname='d'\ntimezone='UTC'\ntarget_per_day=1\n\
[[station]]\nid='research'\noperator='human'\ncapacity_per_day=3\n\
[[station]]\nid='first-touch'\noperator='automation'\ncapacity_per_day=4\n\
[[station]]\nid='reply'\noperator='human'\ncapacity_per_day=1\n\
[guardrails]\nmax_touches_per_contact_30d=2\nmax_active_contacts_per_account=2\ncooldown_days_after_fail=10\n";

fn line() -> Line {
    Line::from_toml("line.toml", LINE).expect("line")
}

fn ev(id: &str, ts: &str, unit: &str, station: &str, kind: &str, extra: &[(&str, &str)]) -> Event {
    let mut r = RawEvent {
        event_id: Some(Cow::Owned(id.into())),
        ts: Some(Cow::Owned(ts.into())),
        unit_id: Some(Cow::Owned(unit.into())),
        account_id: Some(Cow::Owned(format!("acct-{}", &unit[..2]))),
        station: Some(Cow::Owned(station.into())),
        kind: Some(Cow::Owned(kind.into())),
        ..RawEvent::default()
    };
    for (k, v) in extra {
        let v = Some(Cow::Owned((*v).to_owned()));
        match *k {
            "reason" => r.reason = v,
            "resume_on" => r.resume_on = v,
            "channel" => r.channel = v,
            _ => unreachable!("test field {k}"),
        }
    }
    r.validate(&line(), jiff::Timestamp::now()).expect("valid")
}

/// Builds the directory for the interned units, plus territory-only units.
fn directory(units: &Interner, territory: &[(&str, u8)], suppressed: &[&str]) -> Vec<UnitInfo> {
    let mut dir: Vec<UnitInfo> = (0..units.len() as u32)
        .map(|i| {
            let key = units.name(i).expect("name").to_owned();
            UnitInfo {
                account: format!("acct-{}", &key[..2]),
                fit_tier: territory.iter().find(|t| t.0 == key).map(|t| t.1),
                in_territory: territory.iter().any(|t| t.0 == key),
                suppressed: suppressed.contains(&key.as_str()),
                key,
                ..UnitInfo::default()
            }
        })
        .collect();
    for (k, tier) in territory {
        if units.get(k).is_none() {
            dir.push(UnitInfo {
                key: (*k).into(),
                account: format!("acct-{}", &k[..2]),
                fit_tier: Some(*tier),
                in_territory: true,
                suppressed: suppressed.contains(k),
                ..UnitInfo::default()
            });
        }
    }
    dir
}

#[test]
fn queues_recycles_fresh_intake_and_exclusions() {
    let l = line();
    let events = vec![
        // Research queue: three units waiting, tiers 2, 1 and 3 (ordered 1, 2, 3 then by age).
        ev(
            "e1",
            "2025-03-03T09:00:00Z",
            "aa1",
            "research",
            "entered",
            &[],
        ),
        ev(
            "e2",
            "2025-03-04T09:00:00Z",
            "bb1",
            "research",
            "entered",
            &[],
        ),
        ev(
            "e3",
            "2025-03-02T09:00:00Z",
            "cc1",
            "research",
            "entered",
            &[],
        ),
        // A burned unit in the touch queue (hostile reply elsewhere earlier).
        ev(
            "e4",
            "2025-03-03T09:00:00Z",
            "dd1",
            "first-touch",
            "entered",
            &[],
        ),
        ev(
            "e5",
            "2025-03-03T10:00:00Z",
            "dd1",
            "research",
            "optout",
            &[],
        ),
        // At the touch cap (2 touches in 30 days).
        ev(
            "e6",
            "2025-03-03T09:00:00Z",
            "ee1",
            "first-touch",
            "entered",
            &[],
        ),
        ev(
            "e7",
            "2025-03-04T09:00:00Z",
            "ee1",
            "first-touch",
            "touch",
            &[("channel", "email")],
        ),
        ev(
            "e8",
            "2025-03-05T09:00:00Z",
            "ee1",
            "first-touch",
            "touch",
            &[("channel", "email")],
        ),
        // Recycled, due on the 6th: re-enters first-touch.
        ev(
            "e9",
            "2025-02-01T09:00:00Z",
            "ff1",
            "first-touch",
            "entered",
            &[],
        ),
        ev(
            "e10",
            "2025-02-02T09:00:00Z",
            "ff1",
            "first-touch",
            "recycled",
            &[("resume_on", "2025-03-06")],
        ),
        // Recycled, not yet due.
        ev(
            "e11",
            "2025-02-01T09:00:00Z",
            "gg1",
            "first-touch",
            "entered",
            &[],
        ),
        ev(
            "e12",
            "2025-02-02T09:00:00Z",
            "gg1",
            "first-touch",
            "recycled",
            &[("resume_on", "2025-04-01")],
        ),
        // Failed 3 days ago, recycled before: inside the cooldown.
        ev(
            "e13",
            "2025-03-03T09:00:00Z",
            "hh1",
            "research",
            "entered",
            &[],
        ),
        ev(
            "e14",
            "2025-03-03T10:00:00Z",
            "hh1",
            "research",
            "failed",
            &[("reason", "no_response")],
        ),
    ];
    let mut units = Interner::default();
    let log = log_from_events(&l, &events, &mut units);
    let territory = [
        ("aa1", 2),
        ("bb1", 1),
        ("cc1", 3),
        ("ff1", 1),
        ("ii1", 1),
        ("ii2", 2),
        ("jj1", 3),
        ("kk1", 1),
    ];
    let dir = directory(&units, &territory, &["kk1"]);
    let input = DispatchInput {
        date: Date::constant(2025, 3, 6),
        fresh_per_day: 10.0,
        yields: vec![Some(0.5), Some(0.5), Some(0.5)],
        brake: None,
        experiments: vec![],
        suppression: SuppressionList::default(),
    };
    let d = dispatch(&l, &log, &dir, &input).expect("dispatch");
    let got: Vec<(&str, &str)> = d
        .orders
        .iter()
        .map(|o| (o.station.as_str(), o.unit_id.as_str()))
        .collect();
    // Research capacity 3: the queue (bb1 tier 1, aa1 tier 2, cc1 tier 3) fills it, so no
    // fresh intake fits; first-touch gets the due recycle ff1; dd1 (burned), ee1 (touch cap),
    // gg1 (not due), hh1 (cooldown) and kk1 (suppressed) never appear.
    assert_eq!(
        got,
        [
            ("research", "bb1"),
            ("research", "aa1"),
            ("research", "cc1"),
            ("first-touch", "ff1")
        ]
    );
    assert!(d.orders[3].reason.starts_with("recycled, due 2025-03-06"));
    assert_eq!(d.orders[3].operator_kind, "automation");
    assert_eq!(d.excluded.get("burned"), Some(&1));
    assert_eq!(d.excluded.get("at touch cap"), Some(&1));
    assert!(
        d.notes.iter().any(|n| n.contains("capped at 0")),
        "{:?}",
        d.notes
    );
    // Same inputs, same orders.
    assert_eq!(dispatch(&l, &log, &dir, &input).expect("again"), d);
}

#[test]
fn fresh_intake_is_paced_by_downstream_human_capacity_and_braked() {
    let l = line();
    let log = FactLog::default();
    let units = Interner::default();
    let territory: Vec<(String, u8)> = (0..50)
        .map(|i| (format!("{:02}x", i), 1 + (i % 3) as u8))
        .collect();
    let t: Vec<(&str, u8)> = territory.iter().map(|(k, f)| (k.as_str(), *f)).collect();
    let dir = directory(&units, &t, &[]);
    let mut input = DispatchInput {
        date: Date::constant(2025, 3, 6),
        fresh_per_day: 3.0,
        yields: vec![Some(0.5), Some(0.25), Some(0.5)],
        brake: None,
        experiments: vec![],
        suppression: SuppressionList::default(),
    };
    // reply (human, capacity 1) sees fresh × 0.5 × 0.25: room for 8 per day, so the plan's 3 stand.
    let d = dispatch(&l, &log, &dir, &input).expect("dispatch");
    assert_eq!(d.fresh_intake, 3);
    assert!(
        d.orders
            .iter()
            .all(|o| o.reason.starts_with("fresh, fit tier 1"))
    );
    // With higher yields reply could take only 1 / (0.9 × 0.9) = 1.2 per day.
    input.yields = vec![Some(0.9), Some(0.9), Some(0.5)];
    let d = dispatch(&l, &log, &dir, &input).expect("dispatch");
    assert_eq!(d.fresh_intake, 1);
    assert!(
        d.notes
            .iter()
            .any(|n| n.contains("paced") && n.contains("reply")),
        "{:?}",
        d.notes
    );
    // The brake halves automated work; research is human, so only first-touch would be cut.
    input.brake = Some("opt-out rate 0.6 % over the 0.3 % limit".into());
    let d = dispatch(&l, &log, &dir, &input).expect("dispatch");
    assert!(
        d.notes
            .iter()
            .any(|n| n.contains("first-touch: orders cut to half")),
        "{:?}",
        d.notes
    );
}

#[test]
fn holdout_units_are_skipped_and_arms_attached() {
    let l = line();
    let mut units = Interner::default();
    let events: Vec<Event> = (0..40)
        .map(|i| {
            ev(
                &format!("e{i}"),
                "2025-03-05T09:00:00Z",
                &format!("{:02}u", i),
                "first-touch",
                "entered",
                &[],
            )
        })
        .collect();
    let log = log_from_events(&l, &events, &mut units);
    let mut l2 = l.clone();
    l2.stations[1].capacity_per_day = 100.0;
    l2.guardrails.max_active_contacts_per_account = 10;
    let dir = directory(&units, &[], &[]);
    let exp = RunningExperiment {
        station: 1,
        def: ExperimentDef {
            id: "x".into(),
            station: "first-touch".into(),
            arms: ArmDef::equal(&["human", "none"]),
            control: "human".into(),
            unit: RandomizationUnit::Contact,
            salt: "s".into(),
            start: jiff::Timestamp::UNIX_EPOCH,
            stop: None,
            guardrails: vec![],
            holdout: Some("none".into()),
            holdout_metric: None,
            tau2: 1e-4,
        },
    };
    let input = DispatchInput {
        date: Date::constant(2025, 3, 6),
        fresh_per_day: 0.0,
        yields: vec![None; 3],
        brake: None,
        experiments: vec![exp],
        suppression: SuppressionList::default(),
    };
    let d = dispatch(&l2, &log, &dir, &input).expect("dispatch");
    let held_out = d
        .excluded
        .get("experiment holdout (no touch)")
        .copied()
        .unwrap_or(0);
    assert!(
        held_out > 5 && d.orders.len() as u64 + held_out == 40,
        "{} + {held_out}",
        d.orders.len()
    );
    assert!(d.orders.iter().all(|o| o.arm.as_deref() == Some("human")));
    for o in &d.orders {
        assert_eq!(
            crate::experiment::assign_arm("s", &o.unit_id, &[1.0, 1.0]),
            0
        );
    }
}

/// An independent reading of the guardrails on the raw events, for the property test.
fn must_not_dispatch(l: &Line, events: &[Event], date: Date, dir: &[UnitInfo]) -> HashSet<String> {
    let now = day_start(l, date);
    let mut bad: HashSet<String> = dir
        .iter()
        .filter(|u| u.suppressed)
        .map(|u| u.key.clone())
        .collect();
    let mut touches: HashMap<&str, u32> = HashMap::new();
    for e in events.iter().filter(|e| e.ts < now) {
        let age_days = (now.as_second() - e.ts.as_second()) as f64 / 86_400.0;
        if e.kind == EventKind::Optout
            || (e.kind == EventKind::Failed
                && crate::event::is_burn_reason(e.reason.as_deref().unwrap_or("")))
        {
            bad.insert(e.unit_id.clone());
        }
        if e.kind == EventKind::Failed
            && age_days < f64::from(l.guardrails.cooldown_days_after_fail)
        {
            bad.insert(e.unit_id.clone());
        }
        if e.kind == EventKind::Touch && age_days <= 30.0 {
            *touches.entry(&e.unit_id).or_default() += 1;
        }
    }
    for (u, n) in touches {
        if n >= l.guardrails.max_touches_per_contact_30d {
            bad.insert(u.to_owned());
        }
    }
    bad
}

fn arb_event() -> impl Strategy<Value = (u8, u8, u8, u8, u16)> {
    // (unit, station, kind, reason, minutes since 2025-02-01)
    (0u8..30, 0u8..3, 0u8..6, 0u8..5, 0u16..(40 * 24 * 60 / 60))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn no_dispatch_breaks_a_guardrail(
        raw in prop::collection::vec(arb_event(), 0..160),
        suppressed in prop::collection::hash_set(0u8..30, 0..6),
        caps in (1u32..4, 1u32..4, 1u32..5, 0u32..20),
        fresh in 0.0f64..20.0,
        day in 25u8..45,
    ) {
        let mut l = line();
        l.stations[0].capacity_per_day = f64::from(caps.0);
        l.stations[2].capacity_per_day = f64::from(caps.1);
        l.guardrails.max_touches_per_contact_30d = caps.2;
        l.guardrails.max_active_contacts_per_account = caps.1;
        l.guardrails.cooldown_days_after_fail = caps.3;
        let stations = ["research", "first-touch", "reply"];
        let kinds = ["entered", "touch", "passed", "failed", "recycled", "optout"];
        let reasons = ["no_response", "bounced", "negative", "optout", "disqualified"];
        let base = jiff::Timestamp::from_second(1_738_368_000).expect("ts"); // 2025-02-01
        let events: Vec<Event> = raw.iter().enumerate().map(|(i, &(u, s, k, r, h))| {
            let ts = base + jiff::SignedDuration::from_hours(i64::from(h));
            let unit = format!("{:02}{}", u / 3, u);
            let extra: Vec<(&str, &str)> = match kinds[usize::from(k)] {
                "failed" => vec![("reason", reasons[usize::from(r)])],
                "recycled" => vec![("resume_on", if r % 2 == 0 { "2025-03-01" } else { "2025-06-01" })],
                "touch" => vec![("channel", "email")],
                _ => vec![],
            };
            ev(&format!("e{i:04}"), &ts.to_string(), &unit, stations[usize::from(s)], kinds[usize::from(k)], &extra)
        }).collect();
        let mut units = Interner::default();
        let log = log_from_events(&l, &events, &mut units);
        let territory_keys: Vec<String> = (0u8..30).map(|u| format!("{:02}{}", u / 3, u)).collect();
        let territory: Vec<(&str, u8)> = territory_keys.iter().enumerate().map(|(i, k)| (k.as_str(), 1 + (i % 3) as u8)).collect();
        let suppressed_keys: Vec<&str> = suppressed.iter().map(|&u| territory_keys[usize::from(u)].as_str()).collect();
        let dir = directory(&units, &territory, &suppressed_keys);
        let date = Date::constant(2025, 2, 1).checked_add(jiff::Span::new().days(i64::from(day))).expect("date");
        let input = DispatchInput { date, fresh_per_day: fresh, yields: vec![Some(0.5); 3], brake: None, experiments: vec![], suppression: SuppressionList::default() };
        let d = dispatch(&l, &log, &dir, &input).expect("dispatch");
        let bad = must_not_dispatch(&l, &events, date, &dir);
        let mut per_station: HashMap<&str, usize> = HashMap::new();
        let mut per_account: HashMap<&str, HashSet<&str>> = HashMap::new();
        for o in &d.orders {
            prop_assert!(!bad.contains(&o.unit_id), "{} must not be dispatched: {:?}", o.unit_id, o);
            *per_station.entry(&o.station).or_default() += 1;
            per_account.entry(&o.account_id).or_default().insert(&o.unit_id);
        }
        for st in &l.stations {
            prop_assert!(per_station.get(st.id.as_str()).copied().unwrap_or(0) as f64 <= st.capacity_per_day);
        }
        for units in per_account.values() {
            prop_assert!(units.len() <= l.guardrails.max_active_contacts_per_account as usize);
        }
        prop_assert_eq!(dispatch(&l, &log, &dir, &input).expect("again"), d);
    }
}

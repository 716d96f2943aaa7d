//! The demo scenario (`examples/demo.toml`, what `yieldline demo` writes): its files are
//! valid Yieldline input, and its line shows what the demo promises — realistic flows,
//! referrals, recycles, a lasting reply drift and an experiment that automation wins at
//! its own station and loses downstream.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use jiff::civil::Date;
use yieldline_core::calendar::local_date;
use yieldline_core::event::{Event, EventKind, OperatorKind, RawEvent};
use yieldline_core::experiment::assign_arm;
use yieldline_core::facts::{Interner, log_from_events};
use yieldline_core::line::{Line, TEMPLATE};
use yieldline_core::report::{Period, Report, report};
use yieldline_sim::demo::{demo_scenario, run_demo};
use yieldline_sim::{EventsCsv, SimOutput, write_events_csv, write_territory_csv};

/// The demo's files and what they parse to.
struct Demo {
    out: SimOutput,
    line: Line,
    territory: Vec<HashMap<String, String>>,
    events: Vec<Event>,
}

fn parse_events(out: &SimOutput, line: &Line) -> Vec<Event> {
    let mut csv = Vec::new();
    write_events_csv(out, &mut csv, EventsCsv::default()).expect("events");
    let mut rdr = csv::Reader::from_reader(csv.as_slice());
    let header = rdr.headers().expect("header").clone();
    assert_eq!(
        header.iter().collect::<Vec<_>>(),
        yieldline_core::event::EVENT_FIELDS
    );
    rdr.records()
        .map(|r| {
            let r = r.expect("row");
            let fields: Vec<&str> = r.iter().collect();
            let raw = RawEvent::from_row(&fields);
            raw.validate(line, "2027-01-01T00:00:00Z".parse().expect("ts"))
                .unwrap_or_else(|e| panic!("{e:?} in {r:?}"))
        })
        .collect()
}

fn demo() -> &'static Demo {
    static DEMO: OnceLock<Demo> = OnceLock::new();
    DEMO.get_or_init(|| {
        let out = run_demo(None).expect("the demo runs");
        let line =
            Line::from_toml("line.toml", &out.scenario.line_toml().expect("line")).expect("line");
        let mut terr = Vec::new();
        write_territory_csv(&out, &mut terr).expect("territory");
        let mut rdr = csv::Reader::from_reader(terr.as_slice());
        let territory = rdr
            .deserialize::<HashMap<String, String>>()
            .map(|r| r.expect("row"))
            .collect();
        let events = parse_events(&out, &line);
        Demo {
            out,
            line,
            territory,
            events,
        }
    })
}

fn demo_report() -> Report {
    let d = demo();
    let mut units = Interner::default();
    let log = log_from_events(&d.line, &d.events, &mut units);
    let territory: Vec<u32> = d
        .territory
        .iter()
        .map(|c| units.intern(&c["contact_id"]))
        .collect();
    report(&d.line, &log, &territory, Period::default()).expect("report")
}

/// Working-day index of each local date of the demo's log.
fn day_of(d: &Demo) -> HashMap<Date, usize> {
    let mut dates: Vec<Date> = d.events.iter().map(|e| local_date(&d.line, e.ts)).collect();
    dates.dedup();
    dates.into_iter().enumerate().map(|(i, x)| (x, i)).collect()
}

fn rate(k: u64, n: u64) -> f64 {
    k as f64 / n.max(1) as f64
}

#[test]
fn the_demo_line_is_the_template_with_the_demo_capacities() {
    let d = demo();
    let template = Line::from_toml("line.toml", TEMPLATE).expect("template");
    let ids = |l: &Line| l.stations.iter().map(|s| s.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&d.line), ids(&template));
    assert_eq!(d.line.name, "demo-outbound-mid-market");
    assert_eq!(d.line.timezone_name, "America/New_York");
    assert_eq!(d.line.target_per_day, 2.5);
    assert_eq!(format!("{:?}", d.line.stations[1].operator), "Hybrid");
    assert_eq!(d.line.guardrails, template.guardrails);
    // The stored experiment is valid on that line.
    let x = d.out.experiment.as_ref().expect("an experiment");
    x.validate(&d.line).expect("valid experiment");
    assert_eq!(
        (x.id.as_str(), x.salt.as_str()),
        ("auto-first-touch", "demo-2025")
    );
}

#[test]
fn same_seed_same_workspace_other_seed_other() {
    let a = &demo().out;
    let b = run_demo(None).expect("runs");
    assert_eq!(a.events, b.events);
    assert_eq!(a.territory, b.territory);
    let c = run_demo(Some(8)).expect("runs");
    assert_ne!(a.events, c.events);
    assert_eq!(
        demo_scenario(Some(8)).expect("scenario").scenario.seed,
        8,
        "--seed overrides the scenario's"
    );
}

#[test]
fn territory_is_plausible() {
    let d = demo();
    let mut per_account: HashMap<&str, usize> = HashMap::new();
    let mut tiers = [0usize; 3];
    let mut emails = HashSet::new();
    for (i, c) in d.territory.iter().enumerate() {
        assert_eq!(c["contact_id"], format!("con-{:05}", i + 1));
        *per_account.entry(&c["account_id"]).or_default() += 1;
        tiers[c["fit_tier"].parse::<usize>().expect("tier") - 1] += 1;
        let (local, domain) = c["email"].split_once('@').expect("an e-mail address");
        let name = format!("{}.{}", c["first_name"], c["last_name"]).to_lowercase();
        assert!(local.starts_with(&name), "{local} for {name}");
        assert!(domain.ends_with(".example"), "{domain}");
        assert!(
            emails.insert(c["email"].as_str()),
            "duplicate {}",
            c["email"]
        );
        assert!(!c["title"].is_empty());
    }
    assert!((24_000..27_000).contains(&d.territory.len()));
    assert_eq!(per_account.len(), 8_500);
    assert!(per_account.values().all(|&n| (1..=5).contains(&n)));
    assert!(tiers[0] < tiers[1] && tiers[1] < tiers[2], "{tiers:?}");
}

#[test]
fn events_are_in_business_hours_and_stations_within_capacity() {
    let d = demo();
    let contacts: HashMap<&str, &str> = d
        .territory
        .iter()
        .map(|c| (c["contact_id"].as_str(), c["account_id"].as_str()))
        .collect();
    let days = day_of(d);
    assert_eq!(days.len(), 100, "100 working days");
    let mut per_day: HashMap<(&str, Date), u32> = HashMap::new();
    let mut touches: HashMap<&str, u32> = HashMap::new();
    let mut channels = HashSet::new();
    let mut last = jiff::Timestamp::MIN;
    for (i, e) in d.events.iter().enumerate() {
        assert_eq!(e.event_id, format!("ev-{:06}", i + 1));
        assert!(e.ts >= last, "events are in time order");
        last = e.ts;
        let z = e.ts.to_zoned(d.line.timezone.clone());
        assert_eq!(z.offset().seconds(), e.offset_seconds);
        assert!((8..18).contains(&z.hour()), "{z} outside business hours");
        assert!(d.line.is_working_day(z.date().weekday()));
        assert_eq!(
            contacts.get(e.unit_id.as_str()),
            Some(&e.account_id.as_str())
        );
        if let Some(r) = &e.referral_unit_id {
            assert_eq!(contacts.get(r.as_str()), Some(&e.account_id.as_str()));
            assert_eq!(e.reason.as_deref(), Some("wrong_person"));
        }
        if e.kind.is_disposition() {
            *per_day.entry((&e.station, z.date())).or_default() += 1;
        }
        match (e.station.as_str(), e.kind) {
            ("first-touch", EventKind::Entered) => {
                touches.insert(&e.unit_id, 0);
            }
            ("first-touch", EventKind::Touch) => {
                *touches.entry(&e.unit_id).or_default() += 1;
                channels.insert(e.channel.map(|c| c.as_str()));
            }
            ("first-touch", k) if k.is_disposition() => {
                let n = touches.remove(e.unit_id.as_str()).unwrap_or(0);
                assert!(n <= 5, "{} had {n} touches in one visit", e.unit_id);
            }
            _ => {}
        }
        if e.kind == EventKind::Recycled {
            let gap = local_date(&d.line, e.ts)
                .until(e.resume_on.expect("resume_on"))
                .expect("span")
                .get_days();
            assert!((30..=124).contains(&gap), "resume in {gap} days");
        }
    }
    assert_eq!(channels.len(), 3, "e-mail, phone and social: {channels:?}");
    for ((station, day), n) in per_day {
        let cap = d.line.stations[d.line.station_index(station).expect("station")].capacity_per_day;
        assert!(f64::from(n) <= cap, "{station} on {day}: {n} > {cap}");
    }
}

#[test]
fn the_report_has_the_expected_shape() {
    let r = demo_report();
    assert_eq!(r.working_days, 100);
    let ranges = [
        (0.74, 0.86),
        (0.065, 0.10),
        (0.30, 0.48),
        (0.65, 0.88),
        (0.55, 0.82),
        (0.45, 0.72),
    ];
    for (s, (lo, hi)) in r.stations.iter().zip(ranges) {
        let y = s.yield_.expect("a yield");
        assert!((lo..=hi).contains(&y), "{}: yield {y}", s.id);
        let u = s.utilization.expect("utilization");
        assert!(u > 0.0 && u <= 1.0, "{}: utilization {u}", s.id);
    }
    let ft = &r.stations[1];
    let per_day = ft.dispositions as f64 / f64::from(r.working_days);
    assert!(
        (100.0..=300.0).contains(&per_day),
        "first-touch {per_day}/day"
    );
    let reply = &r.stations[2];
    let per_day = reply.dispositions as f64 / f64::from(r.working_days);
    assert!((10.0..=30.0).contains(&per_day), "reply {per_day}/day");
    assert!(ft.touches > ft.dispositions && ft.optouts > 0);
    assert!(r.stations.iter().filter(|s| s.wip > 0).count() >= 3);
    let research_p50 = r.stations[0].cycle_time_hours.p50.expect("p50");
    let first_touch_p50 = ft.cycle_time_hours.p50.expect("p50");
    assert!(research_p50 < 8.0 && (24.0..=240.0).contains(&first_touch_p50));
    assert!(r.breeding_ratio.is_some_and(|b| b > 0.0) && r.referrals > 0 && r.recycled > 0);
    let t = &r.territory;
    assert!(
        t.fresh > 1_000 && t.burned > 0 && t.resting > 0 && t.in_line > 0,
        "{t:?}"
    );
    assert!(r.production.total > 0);
    assert!((100_000..150_000).contains(&demo().events.len()));
}

#[test]
fn reply_yield_drops_for_good_at_the_template_change() {
    let d = demo();
    let days = day_of(d);
    let (mut before, mut after) = ((0u64, 0u64), (0u64, 0u64));
    for e in d
        .events
        .iter()
        .filter(|e| e.station == "reply" && e.kind.is_disposition())
    {
        let slot = match days[&local_date(&d.line, e.ts)] {
            0..=58 => &mut before,
            62.. => &mut after,
            _ => continue,
        };
        slot.1 += 1;
        slot.0 += u64::from(e.kind == EventKind::Passed);
    }
    let (yb, ya) = (rate(before.0, before.1), rate(after.0, after.1));
    assert!(
        (0.40..0.50).contains(&yb) && (0.24..0.34).contains(&ya),
        "reply yield {yb:.3} → {ya:.3}"
    );
}

#[test]
fn the_automated_arm_wins_the_station_and_loses_downstream() {
    let d = demo();
    let x = d.out.experiment.as_ref().expect("experiment");
    let weights = [1.0, 1.0];
    let (mut disp, mut passed, mut optouts) = ([0u64; 2], [0u64; 2], [0u64; 2]);
    let mut unit_arm: HashMap<&str, usize> = HashMap::new();
    for e in d.events.iter().filter(|e| e.station == "first-touch") {
        let Some(arm) = e.arm.as_deref() else {
            continue;
        };
        let k = x
            .arms
            .iter()
            .position(|a| a.name == arm)
            .expect("a known arm");
        assert_eq!(k, assign_arm(&x.salt, &e.account_id, &weights));
        match e.kind {
            EventKind::Entered => {
                assert!(e.ts >= x.start && x.stop.is_none_or(|s| e.ts < s));
                unit_arm.insert(&e.unit_id, k);
            }
            EventKind::Optout => optouts[k] += 1,
            EventKind::Touch => {
                let automated = e.operator_kind == Some(OperatorKind::Automation);
                assert_eq!(automated, k == 1);
            }
            kind if kind.is_disposition() => {
                disp[k] += 1;
                passed[k] += u64::from(kind == EventKind::Passed);
            }
            _ => {}
        }
    }
    let mut units = [0u64; 2];
    for &k in unit_arm.values() {
        units[k] += 1;
    }
    let mut qualified = [0u64; 2];
    let mut seen = HashSet::new();
    for e in d
        .events
        .iter()
        .filter(|e| e.station == "qualified" && e.kind == EventKind::Passed)
    {
        if let Some(&k) = unit_arm.get(e.unit_id.as_str())
            && seen.insert(e.unit_id.as_str())
        {
            qualified[k] += 1;
        }
    }
    let ft = [rate(passed[0], disp[0]), rate(passed[1], disp[1])];
    let q = [rate(qualified[0], units[0]), rate(qualified[1], units[1])];
    let o = [rate(optouts[0], units[0]), rate(optouts[1], units[1])];
    assert!(units[0] > 3_000 && units[1] > 3_000, "{units:?}");
    assert!(ft[1] > ft[0] * 1.2, "first-touch yield {ft:?}");
    assert!(q[1] < q[0] * 0.6, "qualified per unit {q:?}");
    assert!(o[1] > o[0] * 3.0, "opt-outs per unit {o:?}");
}

#[test]
fn a_start_on_a_weekend_and_across_dst_works() {
    // Saturday 2025-08-30: the log runs from Monday 1 September across the November
    // fall-back.
    let mut sc = demo_scenario(Some(3)).expect("scenario");
    sc.scenario.start = "2025-08-30".into();
    sc.scenario.days = 60;
    sc.experiment = None;
    sc.drift.clear();
    let out = yieldline_sim::simulate_with(
        &sc,
        yieldline_sim::SimOptions {
            record_events: true,
        },
    )
    .expect("runs");
    let line = Line::from_toml("line.toml", &sc.line_toml().expect("line")).expect("line");
    let events = parse_events(&out, &line);
    let first = events.first().expect("events");
    assert_eq!(local_date(&line, first.ts), Date::constant(2025, 9, 1));
    let offsets: HashSet<i32> = events.iter().map(|e| e.offset_seconds).collect();
    assert_eq!(offsets, HashSet::from([-4 * 3600, -5 * 3600]));
}

#[test]
fn a_start_at_the_end_of_the_calendar_is_an_error() {
    let mut sc = demo_scenario(None).expect("scenario");
    sc.scenario.start = "9999-12-01".into();
    let err = run_err(&sc);
    assert!(err.contains("end of the calendar"), "{err}");
}

fn run_err(sc: &yieldline_sim::Scenario) -> String {
    match yieldline_sim::simulate(sc) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

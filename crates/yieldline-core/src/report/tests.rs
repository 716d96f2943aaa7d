//! Hand-computed checks of every report definition on tiny logs.

use super::*;
use crate::event::RawEvent;
use crate::facts::{Interner, log_from_events};

const LINE: &str = "[line]\nname = 'tiny'\ntimezone = 'UTC'\ntarget_per_day = 1\n\
[[station]]\nid = 'a'\noperator = 'human'\ncapacity_per_day = 10\ncost_minutes = 2\n\
[[station]]\nid = 'b'\noperator = 'human'\ncapacity_per_day = 4\n";

/// Builds a report from a line definition, a CSV log
/// (`event_id,ts,unit_id,station,kind,reason,resume_on,referral_unit_id`), territory
/// unit ids and a period.
fn check(line_toml: &str, log: &str, territory: &[&str], period: Period) -> Report {
    let line = Line::from_toml("line.toml", line_toml).expect("line");
    let events: Vec<_> = log
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').map(str::trim).collect();
            let opt = |i: usize| {
                f.get(i)
                    .filter(|s| !s.is_empty())
                    .map(|s| std::borrow::Cow::Owned(s.to_string()))
            };
            RawEvent {
                event_id: opt(0),
                ts: opt(1),
                unit_id: opt(2),
                account_id: Some("acct".into()),
                station: opt(3),
                kind: opt(4),
                reason: opt(5),
                resume_on: opt(6),
                referral_unit_id: opt(7),
                ..RawEvent::default()
            }
            .validate(&line, jiff::Timestamp::now())
            .expect("valid event")
        })
        .collect();
    let mut units = Interner::default();
    let log = log_from_events(&line, &events, &mut units);
    let territory: Vec<u32> = territory.iter().map(|u| units.intern(u)).collect();
    report(&line, &log, &territory, period).expect("report")
}

const BASIC: &str = "
e01,2025-03-03T09:00:00Z,u1,a,entered
e02,2025-03-03T11:00:00Z,u1,a,passed
e03,2025-03-03T11:00:00Z,u1,b,entered
e04,2025-03-04T11:00:00Z,u1,b,passed
e05,2025-03-03T10:00:00Z,u2,a,entered
e06,2025-03-05T10:00:00Z,u2,a,failed,no_response
e07,2025-03-04T09:00:00Z,u3,a,entered
e08,2025-03-04T12:00:00Z,u3,a,recycled,,2025-04-01
e09,2025-03-07T09:00:00Z,u4,a,entered
e10,2025-03-05T09:00:00Z,u5,a,entered
e11,2025-03-05T10:00:00Z,u5,a,passed
e12,2025-03-05T10:00:00Z,u5,b,entered
e13,2025-03-06T10:00:00Z,u5,b,failed,negative
";

const TERRITORY: [&str; 6] = ["u1", "u2", "u3", "u4", "u5", "u6"];

fn close(a: Option<f64>, b: f64) {
    let a = a.expect("a value");
    assert!((a - b).abs() < 1e-12, "{a} != {b}");
}

#[test]
fn basic_log_matches_hand_computation() {
    let r = check(LINE, BASIC, &TERRITORY, Period::default());
    assert_eq!(
        (r.from.to_string().as_str(), r.to.to_string().as_str()),
        ("2025-03-03", "2025-03-07")
    );
    assert_eq!(r.working_days, 5);
    let a = &r.stations[0];
    assert_eq!(
        (
            a.entered,
            a.passed,
            a.failed,
            a.recycled,
            a.dispositions,
            a.wip
        ),
        (5, 2, 1, 1, 4, 1)
    );
    close(a.yield_, 0.5);
    let ci = a.yield_ci.expect("ci");
    // statsmodels proportion_confint(2, 4, method="wilson")
    assert!((ci[0] - 0.150_038_989_152_149_47).abs() < 1e-12);
    assert!((ci[1] - 0.849_961_010_847_850_6).abs() < 1e-12);
    // Cycle hours 2, 48, 3, 1: numpy quantile → p50 2.5, p90 34.5; mean 13.5.
    close(a.cycle_time_hours.p50, 2.5);
    close(a.cycle_time_hours.p90, 34.5);
    close(a.cycle_time_hours.mean, 13.5);
    close(a.throughput_per_day, 2.0 / 5.0);
    close(a.utilization, 4.0 / 5.0 / 10.0);
    close(Some(a.cost_minutes), 4.0 * 2.0);
    let b = &r.stations[1];
    assert_eq!(
        (b.entered, b.passed, b.failed, b.dispositions, b.wip),
        (2, 1, 1, 2, 0)
    );
    close(b.cycle_time_hours.p50, 24.0);
    close(r.rty, 0.25);
    // a: 10 × 0.5 × 0.5 = 2.5; b: 4 × 0.5 = 2 → b is the bottleneck.
    close(r.line_capacity_per_day, 2.0);
    assert_eq!(r.bottleneck.as_deref(), Some("b"));
    close(r.production.per_day, 0.2);
    close(r.production.gap, 0.8);
    close(r.breeding_ratio, 1.0 / 5.0);
    let t = &r.territory;
    assert_eq!(
        (t.fresh, t.in_line, t.resting, t.burned, t.done),
        (1, 1, 1, 1, 2)
    );
    assert_eq!(t.fresh_consumed, 5);
    close(t.days_to_exhaustion, 1.0);
}

#[test]
fn input_order_does_not_matter() {
    let sorted = check(LINE, BASIC, &TERRITORY, Period::default());
    let mut rows: Vec<&str> = BASIC.lines().filter(|l| !l.trim().is_empty()).collect();
    rows.reverse();
    rows.swap(0, 5);
    rows.swap(2, 9);
    let shuffled = check(LINE, &rows.join("\n"), &TERRITORY, Period::default());
    assert_eq!(sorted, shuffled);
}

#[test]
fn reimporting_duplicates_changes_nothing() {
    let twice = format!("{BASIC}\n{BASIC}");
    assert_eq!(
        check(LINE, BASIC, &TERRITORY, Period::default()),
        check(LINE, &twice, &TERRITORY, Period::default())
    );
}

#[test]
fn days_are_cut_in_the_line_zone_across_dst() {
    let line = LINE.replace("'UTC'", "'America/New_York'");
    // Spring forward on Sunday 9 March 2025: local midnight of Monday the 10th is 04:00Z.
    let log = "
        e1,2025-03-10T03:30:00Z,u1,a,entered
        e2,2025-03-10T03:59:59Z,u1,a,passed
        e3,2025-03-10T04:00:00Z,u2,a,entered
        e4,2025-03-10T04:30:00Z,u2,a,passed
        e5,2025-11-03T04:30:00Z,u3,a,entered
        e6,2025-11-03T05:00:00Z,u4,a,entered
    ";
    let d = |s: &str| s.parse::<Date>().ok();
    let r = check(
        &line,
        log,
        &[],
        Period {
            from: d("2025-03-10"),
            to: d("2025-03-10"),
        },
    );
    // u1's events fall on Sunday the 9th locally; only u2's count.
    assert_eq!((r.stations[0].entered, r.stations[0].passed), (1, 1));
    assert_eq!(r.working_days, 1);
    // Fall back on 2 November: Monday the 3rd starts at 05:00Z.
    let r = check(
        &line,
        log,
        &[],
        Period {
            from: d("2025-11-03"),
            to: d("2025-11-03"),
        },
    );
    assert_eq!(r.stations[0].entered, 1);
    // The default period runs from the first to the last local day.
    let r = check(&line, log, &[], Period::default());
    assert_eq!(
        (r.from, r.to),
        (Date::constant(2025, 3, 9), Date::constant(2025, 11, 3))
    );
}

#[test]
fn ties_are_broken_by_event_id() {
    // Entered sorts first: the visit pairs, zero cycle time, no WIP.
    let r = check(
        LINE,
        "e1,2025-03-03T09:00:00Z,u1,a,entered\ne2,2025-03-03T09:00:00Z,u1,a,passed",
        &[],
        Period::default(),
    );
    assert_eq!(
        (r.stations[0].wip, r.stations[0].cycle_time_hours.visits),
        (0, 1)
    );
    close(r.stations[0].cycle_time_hours.p50, 0.0);
    // The disposition sorts first: it finds nothing to pair with; the entry stays open.
    let r = check(
        LINE,
        "e9,2025-03-03T09:00:00Z,u1,a,entered\ne1,2025-03-03T09:00:00Z,u1,a,passed",
        &[],
        Period::default(),
    );
    assert_eq!(
        (r.stations[0].wip, r.stations[0].cycle_time_hours.visits),
        (1, 0)
    );
    assert_eq!(r.stations[0].passed, 1);
}

#[test]
fn unpaired_dispositions_count_but_have_no_cycle_time() {
    let r = check(
        LINE,
        "e1,2025-03-03T09:00:00Z,u1,a,passed\ne2,2025-03-03T10:00:00Z,u2,a,failed,disqualified",
        &["u1", "u2"],
        Period::default(),
    );
    let a = &r.stations[0];
    assert_eq!(
        (a.passed, a.failed, a.wip, a.cycle_time_hours.visits),
        (1, 1, 0, 0)
    );
    assert_eq!(a.cycle_time_hours.p50, None);
    // Neither unit has an `entered`, but their dispositions imply it: worked, never
    // fresh (issue 12: an outcome-only export must not re-prospect worked contacts).
    assert_eq!((r.territory.fresh, r.territory.done), (0, 2));
}

#[test]
fn recycled_units_make_two_visits_and_pair_last_in_first_out() {
    let log = "
        e1,2025-03-03T09:00:00Z,u1,a,entered
        e2,2025-03-03T10:00:00Z,u1,a,recycled,,2025-03-05
        e3,2025-03-05T09:00:00Z,u1,a,entered
        e4,2025-03-05T09:30:00Z,u1,a,entered
        e5,2025-03-05T12:00:00Z,u1,a,passed
    ";
    let r = check(LINE, log, &["u1"], Period::default());
    let a = &r.stations[0];
    assert_eq!((a.entered, a.recycled, a.passed, a.wip), (3, 1, 1, 1));
    // Visits: 1 h (e1→e2) and 2.5 h (e4→e5, the latest entry); e3 stays open.
    close(a.cycle_time_hours.mean, 1.75);
    assert_eq!(r.territory.in_line, 1);
    assert_eq!(r.territory.fresh_consumed, 1);
    close(r.breeding_ratio, 1.0);
}

#[test]
fn wip_counts_entries_before_the_period_and_ignores_later_events() {
    let d = |s: &str| s.parse::<Date>().ok();
    let log = "
        e1,2025-03-03T09:00:00Z,u1,a,entered
        e2,2025-03-10T09:00:00Z,u1,a,passed
        e3,2025-03-04T09:00:00Z,u2,a,entered
    ";
    let r = check(
        LINE,
        log,
        &["u1", "u2", "u3"],
        Period {
            from: d("2025-03-05"),
            to: d("2025-03-07"),
        },
    );
    let a = &r.stations[0];
    assert_eq!((a.entered, a.passed, a.wip), (0, 0, 2));
    assert_eq!(a.yield_, None);
    assert_eq!(a.yield_ci, None);
    assert_eq!(r.rty, None);
    assert_eq!(
        (
            r.territory.fresh,
            r.territory.in_line,
            r.territory.fresh_consumed
        ),
        (1, 2, 0)
    );
    // Days of fresh territory take the intake of the working days ending on the
    // period's last day, whatever its start (from the first event's day, 5 working
    // days): 2 fresh units consumed, 1 left → 2.5 days.
    assert_eq!(r.territory.days_to_exhaustion, None);
    close(r.territory.fresh_consumed_per_day, 2.0 / 5.0);
    close(r.territory.days_of_fresh_territory, 2.5);
    assert_eq!(r.breeding_ratio, None);
    // Cohort: u1 entered before the period, so the cohort of the period is empty.
    assert_eq!(a.cohort.entered, 0);
}

#[test]
fn referrals_and_resting_units() {
    let log = "
        e1,2025-03-03T09:00:00Z,u1,a,entered
        e2,2025-03-03T10:00:00Z,u1,a,failed,wrong_person,,u9
        e3,2025-03-03T09:00:00Z,u2,a,entered
        e4,2025-03-03T10:00:00Z,u2,a,recycled,,2025-03-05
        e5,2025-03-03T09:00:00Z,u3,a,entered
        e6,2025-03-03T10:00:00Z,u3,a,recycled,,2025-06-01
        e7,2025-03-04T10:00:00Z,u4,a,optout
    ";
    let r = check(LINE, log, &["u1", "u2", "u3", "u4"], Period::default());
    assert_eq!(r.referrals, 1);
    // (2 recycled + 1 referral) / 3 fresh units consumed.
    close(r.breeding_ratio, 1.0);
    // The period ends on the 4th: u2 (due on the 5th) and u3 (due in June) are resting;
    // u4 opted out; u1 failed.
    let t = &r.territory;
    assert_eq!((t.resting, t.burned, t.done, t.fresh), (2, 1, 1, 0));
    assert_eq!(r.stations[0].optouts, 1);
}

#[test]
fn a_period_without_working_days_gives_nulls_not_nan() {
    let d = |s: &str| s.parse::<Date>().ok();
    let r = check(
        LINE,
        BASIC,
        &TERRITORY,
        Period {
            from: d("2025-03-08"),
            to: d("2025-03-09"),
        },
    );
    assert_eq!(r.working_days, 0);
    assert_eq!(r.stations[0].throughput_per_day, None);
    assert_eq!(r.production.per_day, None);
    assert_eq!(r.territory.days_to_exhaustion, None);
    // The days of fresh territory are not the period's: the intake of the working days
    // ending on its last day (5 consumed over the week's 5), 1 fresh left.
    close(r.territory.days_of_fresh_territory, 1.0);
    let json = serde_json::to_string(&r).expect("json");
    assert!(!json.contains("NaN") && !json.contains("inf"), "{json}");
}

#[test]
fn bad_periods_are_errors() {
    let line = Line::from_toml("line.toml", LINE).expect("line");
    let empty = FactLog::default();
    assert_eq!(
        report(&line, &empty, &[], Period::default()),
        Err(ReportError::NoEvents)
    );
    let p = Period {
        from: Some(Date::constant(2025, 3, 5)),
        to: Some(Date::constant(2025, 3, 4)),
    };
    assert!(matches!(
        report(&line, &empty, &[], p),
        Err(ReportError::EmptyPeriod { .. })
    ));
}

#[test]
fn the_binding_constraint_on_actual_flow_is_named_apart_from_the_theoretical_bottleneck() {
    // Ten units through a (8 pass), all entering b, where only one is disposed (passed):
    // b's queue grows. Theoretical: a 10 × 0.8 × 1 = 8, b 4 × 1 = 4 → b. Actual flow:
    // a disposes 10 in 3 working days of capacity 10 (33 %), b 1 of capacity 4 (8 %) → a.
    let mut rows = Vec::new();
    for i in 0..10 {
        rows.push(format!("e{i}a,2025-03-03T09:00:00Z,u{i},a,entered"));
        if i < 8 {
            rows.push(format!("e{i}b,2025-03-04T09:00:00Z,u{i},a,passed"));
            rows.push(format!("e{i}c,2025-03-04T09:00:00Z,u{i},b,entered"));
        } else {
            rows.push(format!(
                "e{i}b,2025-03-04T09:00:00Z,u{i},a,failed,no_response"
            ));
        }
    }
    rows.push("e0d,2025-03-05T09:00:00Z,u0,b,passed".into());
    let r = check(LINE, &rows.join("\n"), &[], Period::default());
    assert_eq!(r.bottleneck.as_deref(), Some("b"));
    let binding = r.binding_constraint.expect("binding");
    assert_eq!(binding.station, "a");
    close(Some(binding.utilization), 10.0 / 3.0 / 10.0);
    // No territory imported: how long it lasts is unknown, not zero days.
    assert_eq!(r.territory.territory_units, 0);
    assert_eq!(r.territory.days_to_exhaustion, None);
}

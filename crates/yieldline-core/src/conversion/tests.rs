//! Cohort conversion on a hand-computed log, and lag detection.

use super::*;
use crate::event::RawEvent;
use crate::facts::{Interner, log_from_events};
use crate::line::Line;
use crate::report::{FactLog, Period, Report, report_as_of};
use crate::visits::visits;

const LINE: &str = "[line]\nname='c'\ntimezone='UTC'\ntarget_per_day=1\n\
    [[station]]\nid='a'\noperator='human'\ncapacity_per_day=10\n";

/// Rows `(unit, day offset from 2025-03-03T00:00Z, kind)`.
fn log(rows: &[(&str, f64, &str)]) -> (Line, FactLog) {
    let line = Line::from_toml("line.toml", LINE).expect("line");
    let t0: jiff::Timestamp = "2025-03-03T00:00:00Z".parse().expect("ts");
    let events: Vec<_> = rows
        .iter()
        .enumerate()
        .map(|(i, (unit, day, kind))| {
            let ts = t0
                .checked_add(jiff::SignedDuration::from_secs_f64(day * 86_400.0))
                .expect("ts");
            RawEvent {
                event_id: Some(format!("e{i:04}").into()),
                ts: Some(ts.to_string().into()),
                unit_id: Some((*unit).into()),
                account_id: Some("acct".into()),
                station: Some("a".into()),
                kind: Some((*kind).into()),
                reason: (*kind == "failed").then(|| "no_response".into()),
                resume_on: (*kind == "recycled").then(|| "2025-06-01".into()),
                ..RawEvent::default()
            }
            .validate(&line, "2027-01-01T00:00:00Z".parse().expect("ts"))
            .expect("valid")
        })
        .collect();
    let log = log_from_events(&line, &events, &mut Interner::default());
    (line, log)
}

/// Five visits entered on day 0: passed at 2 and 10, failed at 5, one open, one passed
/// at day 25 — after the as-of instant (end of 2025-03-22 = day 20), so open there.
const COHORT: [(&str, f64, &str); 10] = [
    ("u1", 0.0, "entered"),
    ("u1", 2.0, "passed"),
    ("u2", 0.0, "entered"),
    ("u2", 10.0, "passed"),
    ("u3", 0.0, "entered"),
    ("u3", 5.0, "failed"),
    ("u4", 0.0, "entered"),
    ("u5", 0.0, "entered"),
    ("u5", 25.0, "passed"),
    ("u6", 30.0, "entered"),
];

/// The report of the days `from..=to` (no territory), followed to `as_of`.
fn report_for(line: &Line, log: &FactLog, (from, to): (&str, &str), as_of: Option<AsOf>) -> Report {
    let period = Period {
        from: from.parse().ok(),
        to: to.parse().ok(),
    };
    report_as_of(line, log, &[], period, as_of).expect("report")
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1e-3)
}

#[test]
fn conversion_matches_the_hand_computed_aalen_johansen_estimate() {
    let (line, log) = log(&COHORT);
    let d = |s: &str| s.parse().ok();
    let end = crate::calendar::period_bounds_micros(
        &line,
        d("2025-03-22").expect("d"),
        d("2025-03-22").expect("d"),
    )
    .1;
    let r = report_for(
        &line,
        &log,
        ("2025-03-03", "2025-03-09"),
        Some(AsOf::end_at(end)),
    );
    let c = &r.stations[0].conversion;
    assert_eq!(c.as_of.to_string(), "2025-03-23T00:00:00Z");
    assert_eq!((c.visits, c.open), (5, 2));
    // S: 1 → 4/5 (pass at 2) → 3/5 (fail at 5) → 2/5 (pass at 10); F_pass = 1/5, then
    // 1/5 + (3/5)(1/3) = 2/5; F_fail = (4/5)(1/4) = 1/5. Follow-up is 20 days, so the
    // 30-, 60- and 90-day figures are unknown.
    assert_eq!(
        c.passed_by,
        Some(vec![Some(0.2), Some(0.4), None, None, None])
            .map(|v| v.into_iter().collect::<Vec<_>>())
    );
    let failed = c.failed_by.as_ref().expect("failed");
    assert!(close(failed[0].expect("7"), 0.2) && close(failed[1].expect("14"), 0.2));
    assert_eq!(c.median_days_to_disposition, Some(10.0));
    // Aalen's variance by hand: at 7 days 0.04, at 14 days 0.0669444…; log(−log) bounds
    // (computed with the formula of sksurv's `_ci_logmlog`).
    let ci = c.passed_by_ci.as_ref().expect("ci");
    let [lo, hi] = ci[0].expect("7");
    assert!(
        close(lo, 0.00434184379990175) && close(hi, 0.6211368028604919),
        "{lo} {hi}"
    );
    let [lo, hi] = ci[1].expect("14");
    assert!(
        close(lo, 0.025853257040572234) && close(hi, 0.7947802601130122),
        "{lo} {hi}"
    );

    // Followed to the latest event instead (u6's entry on day 30), u5's pass at day 25 is
    // seen, and u6 entered after the period: still five visits, one open.
    let r = report_for(&line, &log, ("2025-03-03", "2025-03-09"), None);
    let c = &r.stations[0].conversion;
    assert_eq!(c.as_of.to_string(), "2025-04-02T00:00:00Z");
    assert_eq!((c.visits, c.open), (5, 1));
    // The period cohort states its open units and counts them in: by the period's end
    // (2025-03-09) 1 passed of 5 entered, 3 open (not 1 of the 2 disposed).
    let cohort = &r.stations[0].cohort;
    assert_eq!((cohort.entered, cohort.passed, cohort.open), (5, 1, 3));
    assert_eq!(cohort.yield_, Some(0.2));
}

#[test]
fn an_empty_cohort_gives_nulls() {
    let (line, log) = log(&COHORT);
    let r = report_for(&line, &log, ("2025-03-10", "2025-03-20"), None);
    let c = &r.stations[0].conversion;
    assert_eq!((c.visits, c.open), (0, 0));
    assert_eq!(c.passed_by, None);
    assert_eq!(c.median_days_to_disposition, None);
    let json = serde_json::to_value(c).expect("json");
    assert_eq!(
        json["horizons_days"],
        serde_json::json!([7, 14, 30, 60, 90])
    );
    assert!(json["passed_by"].is_null() && json["failed_by"].is_null());
}

#[test]
fn lag_is_detected_when_failures_are_recorded_weeks_after_passes() {
    let build = |fail_day: f64| {
        let mut rows = Vec::new();
        let names: Vec<String> = (0..40).map(|i| format!("u{i}")).collect();
        for (i, n) in names.iter().enumerate() {
            rows.push((n.as_str(), 0.0, "entered"));
            if i < 20 {
                rows.push((n.as_str(), 14.0, "passed"));
            } else {
                rows.push((n.as_str(), fail_day, "failed"));
            }
        }
        let (_, log) = log(&rows);
        lag(&visits(&log, i64::MAX))
    };
    let l = build(180.0);
    assert!(l.detected, "{l:?}");
    assert_eq!(
        (l.median_days_to_pass, l.median_days_to_fail),
        (Some(14.0), Some(180.0))
    );
    assert!(
        l.note
            .as_deref()
            .is_some_and(|n| n.contains("failures after 180.0"))
    );
    // Failures a week after passes: no lag.
    assert!(!build(21.0).detected);
}

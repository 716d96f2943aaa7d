//! Per-station yield series: the passed and disposition counts of each day (or week),
//! the subgroups that control charts and watches are drawn from.

use std::collections::BTreeMap;

use jiff::civil::{Date, Weekday};
use serde::Serialize;

use crate::calendar::{local_date, period_bounds_micros, working_dates};
use crate::event::EventKind;
use crate::line::Line;
use crate::report::{Fact, FactLog, NO_STATION};

/// Subgroup length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Grain {
    /// One subgroup per working day (plus any other day that has dispositions).
    #[default]
    Day,
    /// One subgroup per calendar week, labelled by its Monday.
    Week,
}

/// Counts of one subgroup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Subgroup {
    /// The day (or the Monday of the week).
    pub date: Date,
    /// Passed dispositions.
    pub passed: u64,
    /// All dispositions.
    pub dispositions: u64,
}

/// Monday of the week containing `d`.
pub fn week_start(d: Date) -> Date {
    let back = i64::from(d.weekday().to_monday_zero_offset());
    d.checked_sub(jiff::Span::new().days(back)).unwrap_or(d)
}

/// The subgroups of every station over `from..=to`, in line order, each in time order.
/// Only facts for which `keep` returns true count (e.g. fresh units only). Working days
/// with no dispositions are present with zero counts; non-working days appear only when
/// they have dispositions, so no disposition is ever dropped.
pub fn station_series(
    line: &Line,
    log: &FactLog,
    from: Date,
    to: Date,
    grain: Grain,
    keep: impl Fn(&Fact) -> bool,
) -> Vec<Vec<Subgroup>> {
    let (start, end) = period_bounds_micros(line, from, to);
    let key = |d: Date| match grain {
        Grain::Day => d,
        Grain::Week => week_start(d),
    };
    let mut maps: Vec<BTreeMap<Date, (u64, u64)>> = vec![BTreeMap::new(); line.stations.len()];
    for m in &mut maps {
        for d in working_dates(line, from, to) {
            m.insert(key(d), (0, 0));
        }
    }
    for f in log.facts() {
        if f.station == NO_STATION
            || !f.kind.is_disposition()
            || f.ts < start
            || f.ts >= end
            || !keep(f)
        {
            continue;
        }
        let ts = jiff::Timestamp::from_microsecond(f.ts).unwrap_or_default();
        let e = maps[usize::from(f.station)]
            .entry(key(local_date(line, ts)))
            .or_default();
        e.1 += 1;
        if f.kind == EventKind::Passed {
            e.0 += 1;
        }
    }
    maps.into_iter()
        .map(|m| {
            m.into_iter()
                .map(|(date, (passed, dispositions))| Subgroup {
                    date,
                    passed,
                    dispositions,
                })
                .collect()
        })
        .collect()
}

/// Whether a date is a Saturday or Sunday (for labels).
pub fn is_weekend(d: Date) -> bool {
    matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::RawEvent;
    use crate::facts::{Interner, log_from_events};

    #[test]
    fn daily_and_weekly_subgroups_count_dispositions_by_local_day() {
        let line = Line::from_toml(
            "line.toml",
            "[line]\nname='x'\ntimezone='America/New_York'\ntarget_per_day=1\n[[station]]\nid='a'\noperator='human'\ncapacity_per_day=9\n",
        )
        .expect("line");
        let rows = [
            ("e1", "2025-03-03T15:00:00Z", "passed"),
            ("e2", "2025-03-04T03:00:00Z", "failed"), // 22:00 on the 3rd in New York
            ("e3", "2025-03-04T15:00:00Z", "passed"),
            ("e4", "2025-03-08T15:00:00Z", "passed"), // a Saturday
            ("e5", "2025-03-04T15:00:00Z", "entered"),
        ];
        let events: Vec<_> = rows
            .iter()
            .map(|(id, ts, kind)| {
                RawEvent {
                    event_id: Some((*id).into()),
                    ts: Some((*ts).into()),
                    unit_id: Some("u".into()),
                    account_id: Some("a".into()),
                    station: Some("a".into()),
                    kind: Some((*kind).into()),
                    reason: Some("no_response".into()),
                    ..RawEvent::default()
                }
                .validate(&line, jiff::Timestamp::now())
                .expect("valid")
            })
            .collect();
        let log = log_from_events(&line, &events, &mut Interner::default());
        let from = Date::constant(2025, 3, 3);
        let to = Date::constant(2025, 3, 9);
        let days = station_series(&line, &log, from, to, Grain::Day, |_| true);
        let got: Vec<_> = days[0]
            .iter()
            .map(|s| (s.date.day(), s.passed, s.dispositions))
            .collect();
        assert_eq!(
            got,
            [
                (3, 1, 2),
                (4, 1, 1),
                (5, 0, 0),
                (6, 0, 0),
                (7, 0, 0),
                (8, 1, 1)
            ]
        );
        let weeks = station_series(&line, &log, from, to, Grain::Week, |_| true);
        assert_eq!(weeks[0].len(), 1);
        assert_eq!((weeks[0][0].passed, weeks[0][0].dispositions), (3, 4));
        let fresh_only = station_series(&line, &log, from, to, Grain::Day, |f| f.seq != 0);
        assert_eq!(fresh_only[0][0].dispositions, 1);
    }
}

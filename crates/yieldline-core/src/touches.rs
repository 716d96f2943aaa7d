//! Touch histories: what each touch led to, for calibrating the territory simulator
//! from a workspace's own events.

use crate::event::EventKind;
use crate::report::{FactLog, NO_STATION};
use crate::visits::histories;

/// One touch and what followed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TouchOutcome {
    /// The touched unit.
    pub unit: u32,
    /// Touches to the same unit at the station in the 30 days before this one.
    pub prior_touches_30d: u32,
    /// Whether the unit passed the station (replied) after this touch and before the next.
    pub replied: bool,
}

/// The station with the most touches (the touch station of the line), if any.
pub fn touch_station(log: &FactLog) -> Option<u16> {
    let mut counts: std::collections::HashMap<u16, u64> = std::collections::HashMap::new();
    for f in log.facts() {
        if f.kind == EventKind::Touch && f.station != NO_STATION {
            *counts.entry(f.station).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .max_by_key(|&(s, n)| (n, std::cmp::Reverse(s)))
        .map(|(s, _)| s)
}

/// Every touch at `station` with its outcome, in log order.
pub fn touch_outcomes(log: &FactLog, station: u16) -> Vec<TouchOutcome> {
    const WINDOW_US: i64 = 30 * 86_400_000_000;
    let mut out = Vec::new();
    let mut times: Vec<i64> = Vec::new();
    // Within one unit's history at the station, a pass (the reply) disposes of the visit
    // the touches were made in; it is credited to the latest touch before it.
    for group in histories(log) {
        if group[0].station != station {
            continue;
        }
        times.clear();
        let first = out.len();
        for f in group {
            match f.kind {
                EventKind::Touch => {
                    let prior = times.iter().filter(|&&t| f.ts - t < WINDOW_US).count();
                    times.push(f.ts);
                    out.push(TouchOutcome {
                        unit: f.unit,
                        prior_touches_30d: u32::try_from(prior).unwrap_or(u32::MAX),
                        replied: false,
                    });
                }
                EventKind::Passed => {
                    // The reply is credited to the latest touch before it.
                    if out.len() > first
                        && let Some(last) = out.last_mut()
                    {
                        last.replied = true;
                    }
                }
                _ => {}
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::RawEvent;
    use crate::facts::{Interner, log_from_events};
    use crate::line::{Line, TEMPLATE};

    #[test]
    fn replies_are_credited_to_the_last_touch_and_fatigue_counts_30_days() {
        let line = Line::from_toml("line.toml", TEMPLATE).expect("line");
        let rows = [
            ("e1", "2025-03-01T10:00:00Z", "touch"),
            ("e2", "2025-03-10T10:00:00Z", "touch"),
            ("e3", "2025-04-20T10:00:00Z", "touch"),
            ("e4", "2025-04-21T10:00:00Z", "passed"),
        ];
        let events: Vec<_> = rows
            .iter()
            .map(|(id, ts, kind)| {
                RawEvent {
                    event_id: Some((*id).into()),
                    ts: Some((*ts).into()),
                    unit_id: Some("c1".into()),
                    account_id: Some("a1".into()),
                    station: Some("first-touch".into()),
                    kind: Some((*kind).into()),
                    channel: Some("email".into()),
                    ..RawEvent::default()
                }
                .validate(&line, jiff::Timestamp::now())
                .expect("valid")
            })
            .collect();
        let log = log_from_events(&line, &events, &mut Interner::default());
        assert_eq!(touch_station(&log), Some(1));
        let got: Vec<_> = touch_outcomes(&log, 1)
            .iter()
            .map(|t| (t.prior_touches_30d, t.replied))
            .collect();
        assert_eq!(got, [(0, false), (1, false), (0, true)]);
    }
}

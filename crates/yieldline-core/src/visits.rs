//! Visits: a unit's stay at a station, from its `entered` to its disposition.
//!
//! The rule (the report's definition, used by every module that speaks of visits):
//! a disposition (`passed`, `failed`, `recycled`) pairs with the **latest not-yet-paired
//! `entered` of the same unit at the same station**, in the log's visit order (instant,
//! then `event_id` for ties; see [`FactLog`]). A disposition with no open entry is an
//! *orphan* (a visit whose entry the log lacks); an entry never paired by the cut-off is
//! an *open* visit. Facts at or after the cut-off are not seen at all, so a visit open at
//! the cut-off may have been disposed later.
//!
//! A unit's *history* at a station is the run of its facts there: the log is ordered by
//! unit, then station, so histories are contiguous slices of [`FactLog::facts`].

use crate::event::EventKind;
use crate::report::{Fact, FactLog};

/// The facts of one unit at one station, in visit order: every history in the log.
pub fn histories(log: &FactLog) -> impl Iterator<Item = &[Fact]> {
    log.facts()
        .chunk_by(|a, b| (a.unit, a.station) == (b.unit, b.station))
}

/// The facts of one unit grouped by station: the histories of a unit's facts.
pub fn unit_histories(unit_facts: &[Fact]) -> impl Iterator<Item = &[Fact]> {
    unit_facts.chunk_by(|a, b| a.station == b.station)
}

/// The open entries of one history while its facts are fed in visit order: the pairing
/// rule as a small state machine, for callers that count other things in the same pass.
#[derive(Debug, Clone, Default)]
pub struct Pairing {
    open: Vec<i64>,
}

/// What a fact did to the visits of its history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// An `entered`: a new open visit.
    Entered,
    /// A disposition, paired with the entry at this instant (`None`: an orphan).
    Disposed(Option<i64>),
    /// A `touch` or an `optout`: no change to the visits.
    Other,
}

impl Pairing {
    /// Forgets every open entry (a new history starts).
    pub fn clear(&mut self) {
        self.open.clear();
    }

    /// Feeds the next fact of the history.
    pub fn step(&mut self, f: &Fact) -> Step {
        match f.kind {
            EventKind::Entered => {
                self.open.push(f.ts);
                Step::Entered
            }
            k if k.is_disposition() => Step::Disposed(self.open.pop()),
            _ => Step::Other,
        }
    }

    /// Entry instants of the visits still open, oldest first.
    pub fn open(&self) -> &[i64] {
        &self.open
    }
}

/// How a visit ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Disposal {
    /// Instant of the disposition, unix microseconds.
    pub ts: i64,
    /// `passed`, `failed` or `recycled`.
    pub kind: EventKind,
    /// The disposition's `FLAG_*` bits.
    pub flags: u8,
}

/// One visit of a unit at a station, as seen before a cut-off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Visit {
    /// Interned unit id.
    pub unit: u32,
    /// Station index (or [`crate::report::NO_STATION`]).
    pub station: u16,
    /// Entry instant, unix microseconds (`None`: an orphan disposition).
    pub entered: Option<i64>,
    /// The disposition (`None`: still open at the cut-off).
    pub disposal: Option<Disposal>,
}

impl Visit {
    /// Days from entry to disposition (`None` for open visits and orphans).
    pub fn days(&self) -> Option<f64> {
        Some(days_between(self.entered?, self.disposal?.ts))
    }
}

/// Microseconds in a day.
pub const DAY_US: i64 = 86_400_000_000;

/// `(to − from) / 86 400 s`, in days.
pub fn days_between(from: i64, to: i64) -> f64 {
    (to - from) as f64 / DAY_US as f64
}

/// The visits of one history whose facts fall before `until` (unix µs, exclusive): the
/// disposed ones (orphans included) in disposition order, then the open ones in entry
/// order.
pub fn visits_of(history: &[Fact], until: i64, out: &mut Vec<Visit>) {
    let Some(first) = history.first() else {
        return;
    };
    let mut pairing = Pairing::default();
    for f in history.iter().filter(|f| f.ts < until) {
        if let Step::Disposed(entered) = pairing.step(f) {
            out.push(Visit {
                unit: f.unit,
                station: f.station,
                entered,
                disposal: Some(Disposal {
                    ts: f.ts,
                    kind: f.kind,
                    flags: f.flags,
                }),
            });
        }
    }
    out.extend(pairing.open().iter().map(|&ts| Visit {
        unit: first.unit,
        station: first.station,
        entered: Some(ts),
        disposal: None,
    }));
}

/// Every visit in the log whose facts fall before `until`, history by history.
pub fn visits(log: &FactLog, until: i64) -> Vec<Visit> {
    let mut out = Vec::new();
    for h in histories(log) {
        visits_of(h, until, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::RawEvent;
    use crate::facts::{Interner, log_from_events};
    use crate::line::Line;

    const LINE: &str = "[line]\nname='v'\ntimezone='UTC'\ntarget_per_day=1\n\
        [[station]]\nid='a'\noperator='human'\ncapacity_per_day=10\n";

    fn log(rows: &[(&str, &str, &str)]) -> FactLog {
        let line = Line::from_toml("line.toml", LINE).expect("line");
        let events: Vec<_> = rows
            .iter()
            .map(|(id, ts, kind)| {
                RawEvent {
                    event_id: Some((*id).into()),
                    ts: Some((*ts).into()),
                    unit_id: Some("u".into()),
                    account_id: Some("acct".into()),
                    station: Some("a".into()),
                    kind: Some((*kind).into()),
                    reason: (*kind == "failed").then(|| "no_response".into()),
                    ..RawEvent::default()
                }
                .validate(&line, "2027-01-01T00:00:00Z".parse().expect("ts"))
                .expect("valid")
            })
            .collect();
        log_from_events(&line, &events, &mut Interner::default())
    }

    fn ts(s: &str) -> i64 {
        s.parse::<jiff::Timestamp>().expect("ts").as_microsecond()
    }

    #[test]
    fn a_disposition_pairs_with_the_latest_open_entry_and_ties_go_by_event_id() {
        // Two entries, then two dispositions: the first disposition closes the later
        // entry. At the tied instant, e3 (entered) sorts before e4 (passed) by id.
        let l = log(&[
            ("e1", "2025-03-01T00:00:00Z", "entered"),
            ("e2", "2025-03-02T00:00:00Z", "entered"),
            ("e3", "2025-03-04T00:00:00Z", "entered"),
            ("e4", "2025-03-04T00:00:00Z", "passed"),
            ("e5", "2025-03-05T00:00:00Z", "failed"),
            ("e6", "2025-03-09T00:00:00Z", "passed"),
        ]);
        let v = visits(&l, i64::MAX);
        let got: Vec<_> = v.iter().map(|v| (v.entered, v.days())).collect();
        assert_eq!(
            got,
            [
                (Some(ts("2025-03-04T00:00:00Z")), Some(0.0)),
                (Some(ts("2025-03-02T00:00:00Z")), Some(3.0)),
                (Some(ts("2025-03-01T00:00:00Z")), Some(8.0)),
            ]
        );
        // Cut before the last disposition: the first entry is open there.
        let v = visits(&l, ts("2025-03-09T00:00:00Z"));
        assert_eq!(v.len(), 3);
        assert_eq!(v[2].disposal, None);
        assert_eq!(v[2].entered, Some(ts("2025-03-01T00:00:00Z")));
    }

    #[test]
    fn a_disposition_without_an_open_entry_is_an_orphan() {
        let l = log(&[
            ("e1", "2025-03-01T00:00:00Z", "passed"),
            ("e2", "2025-03-02T00:00:00Z", "entered"),
        ]);
        let v = visits(&l, i64::MAX);
        assert_eq!(v.len(), 2);
        assert_eq!((v[0].entered, v[0].days()), (None, None));
        assert_eq!(v[1].disposal, None);
    }
}

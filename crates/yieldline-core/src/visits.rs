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
//!
//! **Implied entries** (never re-prospect a worked contact). Outcome-only exports leave
//! the `entered` rows out, yet a touch or a disposition at a station proves the unit
//! entered it. So a `touch` or disposition that finds no open entry at its station
//! *implies* one, at the instant of the earliest event of that visit (the first such
//! event since the station's previous disposition). The implied entry is counted — in a
//! unit's status ([`crate::status`]: the unit was worked, so it is done, never fresh) and
//! among the log's [`Anomalies`] — but it is not stored as an event, does not open a
//! visit, and the measurements keep counting a disposition without an entry as an orphan
//! visit (its time in the station is unknown).

use serde::Serialize;

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
    /// The implied entry of a visit whose touches found no open entry (see the module's
    /// rule), until a disposition or an explicit entry takes it over.
    implied: Option<i64>,
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
        self.implied = None;
    }

    /// Feeds the next fact of the history.
    pub fn step(&mut self, f: &Fact) -> Step {
        match f.kind {
            EventKind::Entered => {
                self.open.push(f.ts);
                self.implied = None;
                Step::Entered
            }
            k if k.is_disposition() => {
                self.implied = None;
                Step::Disposed(self.open.pop())
            }
            EventKind::Touch => {
                if self.open.is_empty() && self.implied.is_none() {
                    self.implied = Some(f.ts);
                }
                Step::Other
            }
            _ => Step::Other,
        }
    }

    /// Entry instants of the visits still open, oldest first.
    pub fn open(&self) -> &[i64] {
        &self.open
    }

    /// The implied entry of a visit still open: touches found no open entry and no
    /// disposition has followed (see the module's rule).
    pub fn implied_open(&self) -> Option<i64> {
        self.implied
    }
}

/// What a log says that its entries do not: outcomes (touches and dispositions) that
/// found no open entry at their station, the implied entries of the module's rule.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Anomalies {
    /// Outcomes that found no open entry at their station and no later entry there.
    pub outcome_without_entry: u64,
    /// Outcomes that found no open entry at their station, an entry there coming later.
    pub outcome_before_entry: u64,
}

impl Anomalies {
    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.outcome_without_entry == 0 && self.outcome_before_entry == 0
    }

    /// Adds another count.
    pub fn add(&mut self, other: Anomalies) {
        self.outcome_without_entry += other.outcome_without_entry;
        self.outcome_before_entry += other.outcome_before_entry;
    }
}

/// The anomalies of one history: each touch or disposition that finds no open entry
/// (an implied entry; a touch counts once per implied visit), told apart by whether an
/// `entered` follows it in the history.
pub fn history_anomalies(history: &[Fact]) -> Anomalies {
    let mut out = Anomalies::default();
    let mut pairing = Pairing::default();
    // Outcomes without an open entry since the last explicit entry.
    let mut pending = 0u64;
    for f in history {
        let had_open = !pairing.open().is_empty() || pairing.implied_open().is_some();
        match pairing.step(f) {
            Step::Entered => {
                out.outcome_before_entry += pending;
                pending = 0;
            }
            // A disposition closing an implied visit was counted with its touch.
            Step::Disposed(None) if !had_open => pending += 1,
            Step::Other if f.kind == EventKind::Touch && !had_open => pending += 1,
            _ => {}
        }
    }
    out.outcome_without_entry += pending;
    out
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

/// One unit's anomalies in a log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnitAnomalies {
    /// Interned unit id.
    pub unit: u32,
    /// Its outcomes without an open entry, over all its stations.
    pub anomalies: Anomalies,
    /// The unit is not in the territory (only when the territory has units).
    pub unknown_unit: bool,
}

/// Every unit of the log with an anomaly: outcomes without an open entry (see
/// [`history_anomalies`]), or — when a territory exists — not in it. `territory` holds
/// the territory's unit ids; units in unit order.
pub fn log_anomalies(log: &FactLog, territory: &[u32]) -> Vec<UnitAnomalies> {
    let mut known = territory.to_vec();
    known.sort_unstable();
    let mut out = Vec::new();
    for unit_facts in log.facts().chunk_by(|a, b| a.unit == b.unit) {
        let unit = unit_facts[0].unit;
        let mut anomalies = Anomalies::default();
        for h in unit_histories(unit_facts) {
            anomalies.add(history_anomalies(h));
        }
        let unknown_unit = !known.is_empty() && known.binary_search(&unit).is_err();
        if unknown_unit || !anomalies.is_empty() {
            out.push(UnitAnomalies {
                unit,
                anomalies,
                unknown_unit,
            });
        }
    }
    out
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
    fn outcomes_without_an_open_entry_are_counted_apart_by_a_later_entry() {
        let l = log(&[
            ("e1", "2025-03-01T00:00:00Z", "touch"),
            ("e2", "2025-03-02T00:00:00Z", "touch"),
            ("e3", "2025-03-03T00:00:00Z", "passed"),
            ("e4", "2025-03-04T00:00:00Z", "failed"),
            ("e5", "2025-03-05T00:00:00Z", "entered"),
            ("e6", "2025-03-06T00:00:00Z", "passed"),
            ("e7", "2025-03-07T00:00:00Z", "failed"),
        ]);
        let h = histories(&l).next().expect("history");
        // e1 implies an entry (e2 and e3 belong to its visit), e4 implies another; both
        // come before the entry e5. e7 finds no open entry and none follows.
        assert_eq!(
            history_anomalies(h),
            Anomalies {
                outcome_without_entry: 1,
                outcome_before_entry: 2
            }
        );
        let clean = log(&[
            ("e1", "2025-03-01T00:00:00Z", "entered"),
            ("e2", "2025-03-02T00:00:00Z", "touch"),
            ("e3", "2025-03-03T00:00:00Z", "passed"),
        ]);
        assert!(log_anomalies(&clean, &[]).is_empty());
        // A territory that lacks the unit makes it unknown.
        let got = log_anomalies(&clean, &[7]);
        assert_eq!(got.len(), 1);
        assert!(got[0].unknown_unit && got[0].anomalies.is_empty());
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

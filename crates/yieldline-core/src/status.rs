//! A unit's status at an instant: fresh, in line, resting, burned or done.
//!
//! The rule (used by the report's territory split and by dispatch's eligibility), from
//! the unit's facts before the cut-off, in this precedence:
//! - **burned**: an `optout` event, or a `failed` with a burning reason (`optout`,
//!   `bounced`, `negative`), at any station;
//! - **in line**: an open visit (see [`crate::visits`]) at a station of the line;
//! - **resting**: its latest disposition at a station of the line is `recycled`, its
//!   `resume_on` is after *today*, and it has not entered any station since;
//! - **fresh**: a territory unit that no event names before the cut-off. A unit with any
//!   event is never fresh, whatever its events are: a touch or a disposition without an
//!   `entered` implies the entry ([`crate::visits`]'s rule), so such a unit is done (a
//!   station the line no longer has counts too: the unit was worked);
//! - **done**: any other unit with a fact before the cut-off (passed through, failed, or
//!   recycled and due again).
//!
//! *Today* is the day the status is read on: the period's last day for the report (the
//! state at its end), the dispatch date for dispatch (the state at its start, so a unit
//! whose `resume_on` is the dispatch date is due, not resting).

use serde::Serialize;

use crate::event::EventKind;
use crate::report::{FLAG_BURN, Fact, NO_STATION};
use crate::visits::{Pairing, unit_histories};

/// Where a unit stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitStatus {
    /// A territory unit never worked.
    Fresh,
    /// A unit with an open visit.
    InLine,
    /// Recycled and not yet due.
    Resting,
    /// Opted out, bounced or answered with hostility: never to be worked again.
    Burned,
    /// Worked and none of the above.
    Done,
}

/// A unit's latest disposition at a station of the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LastDisposition {
    /// Instant, unix microseconds.
    pub ts: i64,
    /// `passed`, `failed` or `recycled`.
    pub kind: EventKind,
    /// Station index.
    pub station: usize,
    /// `resume_on` of a recycle, days since 1970-01-01 (`i32::MIN` if none).
    pub resume_on: i32,
}

/// What a unit's facts before a cut-off say about its status, accumulated fact by fact.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitState {
    /// Some fact of the unit falls before the cut-off.
    pub seen: bool,
    /// The first instant the unit burned (opt-out or burning failure), if it did.
    pub burned_at: Option<i64>,
    /// The latest `entered` at any station.
    pub last_entry: Option<i64>,
    /// The latest disposition at a station of the line (later facts win ties).
    pub last_disposition: Option<LastDisposition>,
    /// Open visits at stations of the line: (station, entry instant).
    pub open: Vec<(usize, i64)>,
    /// Some touch or disposition was seen: the unit entered somewhere, explicitly or by
    /// implication.
    pub worked: bool,
}

impl UnitState {
    /// Feeds one fact of the unit that falls before the cut-off.
    pub fn observe(&mut self, f: &Fact) {
        self.seen = true;
        if f.kind == EventKind::Optout || f.flags & FLAG_BURN != 0 {
            self.burned_at = Some(self.burned_at.map_or(f.ts, |b| b.min(f.ts)));
        }
        if f.kind == EventKind::Touch || f.kind.is_disposition() {
            self.worked = true;
        }
        match f.kind {
            EventKind::Entered => {
                self.last_entry = Some(self.last_entry.map_or(f.ts, |l| l.max(f.ts)));
            }
            k if k.is_disposition()
                && f.station != NO_STATION
                && self.last_disposition.is_none_or(|d| f.ts >= d.ts) =>
            {
                self.last_disposition = Some(LastDisposition {
                    ts: f.ts,
                    kind: f.kind,
                    station: usize::from(f.station),
                    resume_on: f.resume_on,
                });
            }
            _ => {}
        }
    }

    /// Records the visits still open at the end of one of the unit's histories.
    pub fn close_history(&mut self, station: u16, pairing: &Pairing) {
        if station != NO_STATION {
            let s = usize::from(station);
            self.open.extend(pairing.open().iter().map(|&ts| (s, ts)));
        }
    }

    /// Whether the unit ever entered a station, explicitly or by implication (a touch
    /// or a disposition implies the entry).
    pub fn entered(&self) -> bool {
        self.last_entry.is_some() || self.worked
    }

    /// Whether the unit burned.
    pub fn burned(&self) -> bool {
        self.burned_at.is_some()
    }

    /// The recycle the unit waits on, if its latest disposition is one and it has not
    /// entered since: (station, instant, `resume_on`).
    pub fn pending_recycle(&self) -> Option<LastDisposition> {
        self.last_disposition
            .filter(|d| d.kind == EventKind::Recycled && self.last_entry.is_none_or(|e| e < d.ts))
    }

    /// Whether the unit is recycled and not yet due on `today` (days since 1970-01-01).
    pub fn resting(&self, today: i32) -> bool {
        self.pending_recycle().is_some_and(|d| d.resume_on > today)
    }

    /// The unit's status on `today` (`None`: a unit outside the territory with no fact
    /// before the cut-off).
    pub fn status(&self, in_territory: bool, today: i32) -> Option<UnitStatus> {
        Some(if self.burned() {
            UnitStatus::Burned
        } else if !self.open.is_empty() {
            UnitStatus::InLine
        } else if self.resting(today) {
            UnitStatus::Resting
        } else if in_territory && !self.seen {
            UnitStatus::Fresh
        } else if self.seen {
            UnitStatus::Done
        } else {
            return None;
        })
    }
}

/// The state of one unit from its facts (in visit order) before `until` (unix µs).
pub fn unit_state(unit_facts: &[Fact], until: i64) -> UnitState {
    let mut st = UnitState::default();
    let mut pairing = Pairing::default();
    for h in unit_histories(unit_facts) {
        pairing.clear();
        for f in h.iter().filter(|f| f.ts < until) {
            st.observe(f);
            pairing.step(f);
        }
        st.close_history(h[0].station, &pairing);
    }
    st
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::epoch_day;
    use crate::event::RawEvent;
    use crate::facts::{Interner, log_from_events};
    use crate::line::Line;

    const LINE: &str = "[line]\nname='s'\ntimezone='UTC'\ntarget_per_day=1\n\
        [[station]]\nid='a'\noperator='human'\ncapacity_per_day=10\n";

    fn state(rows: &[(&str, &str, Option<&str>)], until: &str) -> UnitState {
        let line = Line::from_toml("line.toml", LINE).expect("line");
        let events: Vec<_> = rows
            .iter()
            .enumerate()
            .map(|(i, (ts, kind, extra))| {
                RawEvent {
                    event_id: Some(format!("e{i}").into()),
                    ts: Some((*ts).into()),
                    unit_id: Some("u".into()),
                    account_id: Some("acct".into()),
                    station: Some("a".into()),
                    kind: Some((*kind).into()),
                    reason: (*kind == "failed").then(|| extra.unwrap_or("no_response").into()),
                    resume_on: (*kind == "recycled").then(|| extra.unwrap_or_default().into()),
                    ..RawEvent::default()
                }
                .validate(&line, "2027-01-01T00:00:00Z".parse().expect("ts"))
                .expect("valid")
            })
            .collect();
        let log = log_from_events(&line, &events, &mut Interner::default());
        let until = until
            .parse::<jiff::Timestamp>()
            .expect("ts")
            .as_microsecond();
        unit_state(log.facts(), until)
    }

    fn day(s: &str) -> i32 {
        epoch_day(s.parse().expect("date"))
    }

    #[test]
    fn each_status_in_its_precedence() {
        let fresh = UnitState::default();
        assert_eq!(fresh.status(true, 0), Some(UnitStatus::Fresh));
        assert_eq!(fresh.status(false, 0), None);
        let open = state(
            &[("2025-03-01T00:00:00Z", "entered", None)],
            "2025-04-01T00:00:00Z",
        );
        assert_eq!(open.status(true, 0), Some(UnitStatus::InLine));
        let recycled = [
            ("2025-03-01T00:00:00Z", "entered", None),
            ("2025-03-02T00:00:00Z", "recycled", Some("2025-03-20")),
        ];
        let r = state(&recycled, "2025-04-01T00:00:00Z");
        assert_eq!(r.status(true, day("2025-03-19")), Some(UnitStatus::Resting));
        // Due on its resume day: done (dispatch re-enters it).
        assert_eq!(r.status(true, day("2025-03-20")), Some(UnitStatus::Done));
        // The cut-off hides facts after it: before the recycle, the visit is open.
        let r = state(&recycled, "2025-03-02T00:00:00Z");
        assert_eq!(r.status(true, day("2025-03-19")), Some(UnitStatus::InLine));
        let burned = state(
            &[
                ("2025-03-01T00:00:00Z", "entered", None),
                ("2025-03-02T00:00:00Z", "failed", Some("bounced")),
            ],
            "2025-04-01T00:00:00Z",
        );
        assert_eq!(burned.status(true, 0), Some(UnitStatus::Burned));
        let done = state(
            &[
                ("2025-03-01T00:00:00Z", "entered", None),
                ("2025-03-02T00:00:00Z", "failed", None),
            ],
            "2025-04-01T00:00:00Z",
        );
        assert_eq!(done.status(true, 0), Some(UnitStatus::Done));
    }

    #[test]
    fn a_unit_any_event_names_is_never_fresh() {
        let until = "2025-04-01T00:00:00Z";
        // Outcome-only: a pass with no entry implies the entry, the visit is closed.
        let passed = state(&[("2025-03-02T00:00:00Z", "passed", None)], until);
        assert!(passed.entered());
        assert_eq!(passed.status(true, 0), Some(UnitStatus::Done));
        // Touches with no entry and no disposition: worked (done), never fresh.
        let touched = state(
            &[
                ("2025-03-02T00:00:00Z", "touch", None),
                ("2025-03-05T00:00:00Z", "touch", None),
            ],
            until,
        );
        assert_eq!(touched.status(true, 0), Some(UnitStatus::Done));
        // A touch then a disposition: the implied visit is disposed.
        let worked = state(
            &[
                ("2025-03-02T00:00:00Z", "touch", None),
                ("2025-03-05T00:00:00Z", "failed", None),
            ],
            until,
        );
        assert_eq!(worked.status(true, 0), Some(UnitStatus::Done));
        assert!(worked.open.is_empty());
        // An explicit entry after touches: one open visit.
        let both = state(
            &[
                ("2025-03-02T00:00:00Z", "touch", None),
                ("2025-03-03T00:00:00Z", "entered", None),
            ],
            until,
        );
        assert_eq!(both.open.len(), 1);
        assert_eq!(both.status(true, 0), Some(UnitStatus::InLine));
    }
}

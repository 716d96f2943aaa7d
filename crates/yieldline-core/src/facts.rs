//! Reducing typed events to [`Fact`]s with interned unit ids: the in-memory path used
//! by tests and by callers that hold events rather than a store.

use std::collections::HashMap;

use crate::calendar::epoch_day;
use crate::event::{Event, EventKind, OperatorKind, is_burn_reason};
use crate::line::Line;
use crate::report::{
    FLAG_AUTOMATED, FLAG_BURN, FLAG_NEGATIVE, FLAG_OPTOUT, FLAG_REFERRAL, Fact, FactLog, NO_STATION,
};

/// Interns string ids as dense `u32`s, in first-seen order.
#[derive(Debug, Clone, Default)]
pub struct Interner {
    ids: HashMap<String, u32>,
    names: Vec<String>,
}

impl Interner {
    /// The id of `name`, interning it if new.
    pub fn intern(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.ids.insert(name.to_owned(), id);
        self.names.push(name.to_owned());
        id
    }

    /// The id of `name`, if interned.
    pub fn get(&self, name: &str) -> Option<u32> {
        self.ids.get(name).copied()
    }

    /// The name of an id.
    pub fn name(&self, id: u32) -> Option<&str> {
        self.names.get(id as usize).map(String::as_str)
    }

    /// Number of interned names.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether nothing is interned.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// The flag bits of an event.
pub fn flags_of(e: &Event) -> u8 {
    let mut flags = 0;
    if e.referral_unit_id.is_some() {
        flags |= FLAG_REFERRAL;
    }
    if e.kind == EventKind::Failed && e.reason.as_deref().is_some_and(is_burn_reason) {
        flags |= FLAG_BURN;
    }
    if e.kind == EventKind::Failed {
        match e.reason.as_deref() {
            Some("optout") => flags |= FLAG_OPTOUT,
            Some("negative") => flags |= FLAG_NEGATIVE,
            _ => {}
        }
    }
    if e.operator_kind == Some(OperatorKind::Automation) {
        flags |= FLAG_AUTOMATED;
    }
    flags
}

/// Reduces one event to a fact, given its sequence number and interned unit.
pub fn fact_of(line: &Line, e: &Event, seq: i64, unit: u32) -> Fact {
    Fact {
        ts: e.ts.as_microsecond(),
        seq,
        unit,
        station: line
            .station_index(&e.station)
            .and_then(|i| u16::try_from(i).ok())
            .unwrap_or(NO_STATION),
        kind: e.kind,
        flags: flags_of(e),
        resume_on: e.resume_on.map_or(i32::MIN, epoch_day),
        cost_minutes: e.cost_minutes.map_or(-1.0, |c| c as f32),
    }
}

/// Builds an ordered log from events held in memory (their position is their sequence).
/// Duplicate `event_id`s after the first are ignored, as the store would.
pub fn log_from_events(line: &Line, events: &[Event], units: &mut Interner) -> FactLog {
    let mut seen = std::collections::HashSet::new();
    let mut ids = HashMap::new();
    let mut facts = Vec::with_capacity(events.len());
    for (i, e) in events.iter().enumerate() {
        if !seen.insert(e.event_id.as_str()) {
            continue;
        }
        let seq = i as i64;
        ids.insert(seq, e.event_id.clone());
        facts.push(fact_of(line, e, seq, units.intern(&e.unit_id)));
    }
    let result: Result<FactLog, std::convert::Infallible> = FactLog::new(facts, |seqs| {
        Ok(seqs
            .iter()
            .filter_map(|s| ids.get(s).map(|id| (*s, id.clone())))
            .collect())
    });
    match result {
        Ok(log) => log,
        Err(never) => match never {},
    }
}

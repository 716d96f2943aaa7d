//! The event log of a recorded run, and its clock: each contact's events of a working
//! day get times within business hours, in the order they happen, from the shard's
//! time stream (never the model's, so recording does not change the run).

use rand::Rng;

use super::shard::{F_AUTO_SEQ, Shard};
use crate::output::{Channel, EventKind, FailReason, SimEvent};
use crate::template::{REPLY, TOUCH};

/// Opening hour (08:00) and close (18:00) of a working day, in seconds after local
/// midnight; a contact's first event of a day falls between 08:30 and 14:00.
pub(crate) const OPEN: u32 = 8 * 3600;
const CLOSE: u32 = 18 * 3600;
const FIRST_FROM: u32 = OPEN + 1800;
const FIRST_TO: u32 = 14 * 3600;
const MINUTE: u32 = 60;

/// What an event carries besides its day, contact, station and kind.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Extra {
    pub reason: Option<FailReason>,
    pub channel: Option<Channel>,
    pub automated: bool,
    pub resume_day: Option<u32>,
    /// A colleague this outcome named (shard-local contact).
    pub referral: Option<u32>,
}

impl Extra {
    /// Done by automation (`true`) or people.
    pub fn by(automated: bool) -> Extra {
        Extra {
            automated,
            ..Extra::default()
        }
    }

    /// A failure with its reason (done by people unless [`Extra::by_op`] says otherwise).
    pub fn reason(reason: FailReason) -> Extra {
        Extra {
            reason: Some(reason),
            ..Extra::default()
        }
    }

    /// The same, done by automation (`true`) or people.
    pub fn by_op(self, automated: bool) -> Extra {
        Extra { automated, ..self }
    }
}

/// The span after the previous event of the same contact on the same day, in
/// seconds: entering the next station minutes after passing one; a touch within the
/// hour or so after entering; a reply, a refusal or a research result hours later; an
/// opt-out or a bounce soon after.
fn gap(kind: EventKind, reason: Option<FailReason>) -> (u32, u32) {
    match (kind, reason) {
        (EventKind::Entered, _) => (MINUTE, 10 * MINUTE),
        (EventKind::Touch, _) => (5 * MINUTE, 90 * MINUTE),
        (EventKind::Optout, _) => (10 * MINUTE, 180 * MINUTE),
        (EventKind::Failed, Some(FailReason::Bounced | FailReason::Optout)) => {
            (MINUTE, 20 * MINUTE)
        }
        _ => (20 * MINUTE, 180 * MINUTE),
    }
}

impl Shard {
    /// Records an event of contact `c` on simulated day `d` (if the run records and
    /// the day is logged), stamped by the contact's clock.
    pub(super) fn ev(&mut self, d: u32, c: u32, station: usize, kind: EventKind, x: Extra) {
        if !self.record || d < self.record_from {
            return;
        }
        let ci = c as usize;
        let (last_day, last) = self.c_clock[ci];
        let second = if last_day == d {
            let (lo, hi) = gap(kind, x.reason);
            let step = self.t_rng.random_range(lo..=hi);
            // A day's chain that runs late closes up in the last minutes before 18:00,
            // a second apart.
            (last + step).min((CLOSE - 300).max(last + 1))
        } else {
            self.t_rng.random_range(FIRST_FROM..FIRST_TO)
        };
        self.push_event(d, second, c, station, kind, x);
    }

    /// Appends the event at `second` of day `d` and sets the contact's clock to it; a
    /// touch-station event of a visit in the experiment carries its arm.
    fn push_event(
        &mut self,
        d: u32,
        second: u32,
        c: u32,
        station: usize,
        kind: EventKind,
        x: Extra,
    ) {
        let ci = c as usize;
        self.c_clock[ci] = (d, second);
        let arm = match self.c_arm.get(ci) {
            Some(&k) if k > 0 && station == TOUCH => Some(k - 1),
            _ => None,
        };
        self.events.push(SimEvent {
            day: d,
            second,
            contact: c,
            account: self.c_acc[ci],
            referral: x.referral,
            resume_day: x.resume_day,
            station: station as u8,
            kind,
            reason: x.reason,
            channel: x.channel,
            automated: x.automated,
            arm,
        });
    }

    /// The log starts on day `d` (the warm-up is not logged): every unit in a station
    /// gets an `entered` there at the opening hour, as when a running line is first
    /// connected.
    pub(super) fn log_units_in_stations(&mut self, d: u32) {
        let mut open: Vec<(u32, usize)> = Vec::new();
        for q in &self.q_seq {
            open.extend(q.iter().map(|&c| (c, TOUCH)));
        }
        for (i, q) in self.q_down.iter().enumerate() {
            open.extend(q.iter().map(|&c| (c, REPLY + i)));
        }
        open.sort_unstable();
        for (c, station) in open {
            let auto = self.c_flags[c as usize] & F_AUTO_SEQ != 0;
            self.push_event(d, OPEN, c, station, EventKind::Entered, Extra::by(auto));
        }
    }
}

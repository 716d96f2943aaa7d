//! Downstream of the touch station: reply handling, booking, meetings and
//! qualification, in line order, each up to its capacity.

use rand::Rng;

use super::model::Model;
use super::record::Extra;
use super::shard::{Cap, ENT, F_AUTO_SEQ, FAI, PAS, REC, Shard, State};
use crate::output::{EventKind, FailReason};
use crate::template::{BOOKED, HELD, QUALIFIED, REPLY, STATIONS};

impl Shard {
    /// Contact `c` enters `station` (after the touch station), due on day `due`.
    pub(super) fn enter_down(&mut self, d: u32, c: u32, station: usize, due: u32) {
        let ci = c as usize;
        self.c_state[ci] = State::Downstream;
        self.c_due[ci] = due;
        self.count(station, ENT);
        let auto = self.c_flags[ci] & F_AUTO_SEQ != 0;
        self.ev(d, c, station, EventKind::Entered, Extra::by(auto));
        self.q_down[station - REPLY].push_back(c);
    }

    /// Reply handling, booking, meetings and qualification, in line order.
    pub(super) fn downstream(&mut self, m: &Model, d: u32, caps: &mut [Cap; STATIONS]) {
        let r = &m.sc.response;
        let cal = m.cal.cal(d);
        for (station, cap) in caps.iter_mut().enumerate().skip(REPLY) {
            let qi = station - REPLY;
            loop {
                if cap.h + cap.a == 0 {
                    break;
                }
                let Some(c) = super::shard::pop_due(&mut self.q_down[qi], &self.c_due, d) else {
                    break;
                };
                if self.burned(c) {
                    self.drop_burned(d, c, station);
                    continue;
                }
                let op_auto = cap.take().unwrap_or(false);
                self.today.cost += m.cost(station, op_auto);
                let ci = c as usize;
                let sourced_auto = self.c_flags[ci] & F_AUTO_SEQ != 0;
                let arm = *self.arm_of(m, c);
                let u: f64 = self.rng.random();
                if station == REPLY {
                    self.reply(m, d, cal, c, u, op_auto);
                    continue;
                }
                // Booking, meeting, qualification: pass (to the next station, or out
                // with a qualified meeting) or fail.
                let tier = usize::from(self.a_tier[self.c_acc[ci] as usize]);
                let (rate, next, reason) = match station {
                    BOOKED => (
                        r.booking_rate * arm.booking,
                        Some((HELD, d + r.meeting_lead_days)),
                        FailReason::NoResponse,
                    ),
                    HELD => (
                        r.show_rate
                            * if sourced_auto {
                                r.automation_show_factor
                            } else {
                                1.0
                            }
                            * arm.show,
                        Some((QUALIFIED, d)),
                        FailReason::NoResponse,
                    ),
                    _ => (
                        m.sc.territory.qualify_rate[tier] * arm.qualify,
                        None,
                        FailReason::Disqualified,
                    ),
                };
                if u < m.adjust(d, station, rate) {
                    self.pass(d, c, station, op_auto);
                    match next {
                        Some((s, due)) => self.enter_down(d, c, s, due),
                        None => self.leave(c, State::Done),
                    }
                } else {
                    let why = Extra::reason(reason).by_op(op_auto);
                    self.fail(d, c, station, why, State::Done);
                }
            }
        }
    }

    /// A reply: interested (on to booking), "not now" (recycled), pointing to a
    /// colleague (failed `wrong_person`, maybe a referral) or a refusal.
    fn reply(&mut self, m: &Model, d: u32, cal: u32, c: u32, u: f64, op_auto: bool) {
        let r = &m.sc.response;
        let positive = m.adjust(d, REPLY, r.reply_positive * self.arm_of(m, c).positive);
        if u < positive {
            self.pass(d, c, REPLY, op_auto);
            self.enter_down(d, c, BOOKED, d + 1);
        } else if u < positive + r.reply_not_now {
            self.recycle(m, d, cal, c, op_auto);
        } else if u < positive + r.reply_not_now + r.reply_wrong_person {
            let referral = self.maybe_refer(m, d, c);
            let why = Extra {
                referral,
                ..Extra::reason(FailReason::WrongPerson).by_op(op_auto)
            };
            self.fail(d, c, REPLY, why, State::Dead);
        } else {
            let why = Extra::reason(FailReason::Negative).by_op(op_auto);
            self.fail(d, c, REPLY, why, State::Done);
        }
    }

    /// "Not now": recycled with a resume date; the contact rests and comes back to the
    /// touch station when due.
    fn recycle(&mut self, m: &Model, d: u32, cal: u32, c: u32, op_auto: bool) {
        let (lo, hi) = m.not_now_cal;
        let wait = if hi > lo {
            self.rng.random_range(lo..=hi)
        } else {
            lo
        };
        let resume = m.cal.day_at_or_after(cal + wait);
        self.count(REPLY, REC);
        self.ev(
            d,
            c,
            REPLY,
            EventKind::Recycled,
            Extra {
                resume_day: Some(resume),
                ..Extra::by(op_auto)
            },
        );
        self.c_due[c as usize] = resume;
        // Keep the queue sorted by due day (delays drawn from a range arrive unsorted;
        // a fixed delay appends).
        let due = &self.c_due;
        let at = self
            .q_recycle
            .partition_point(|&x| due[x as usize] <= resume);
        self.q_recycle.insert(at, c);
        self.leave(c, State::Resting);
    }

    fn pass(&mut self, d: u32, c: u32, station: usize, auto: bool) {
        self.count(station, PAS);
        self.ev(d, c, station, EventKind::Passed, Extra::by(auto));
    }

    fn fail(&mut self, d: u32, c: u32, station: usize, why: Extra, state: State) {
        self.count(station, FAI);
        self.ev(d, c, station, EventKind::Failed, why);
        self.leave(c, state);
    }
}

//! Sequences at the touch station: follow-ups, new sequences (routed by experiment
//! arm when one runs), the touch itself and the end of a sequence without reply.

use rand::Rng;

use super::model::Model;
use super::record::Extra;
use super::shard::{
    Cap, ENT, F_AUTO_RESEARCH, F_AUTO_SEQ, F_TOUCHED, FAI, PAS, Shard, State, pop_due,
};
use crate::output::{Channel, EventKind, FailReason};
use crate::scenario::TOUCH_MEMORY;
use crate::template::{REPLY, TOUCH};

impl Shard {
    /// Follow-up touches due today, from the humans' and automation's own queues;
    /// returns the touch capacity left to each.
    pub(super) fn follow_ups(&mut self, m: &Model, d: u32, cal: u32, cap: &Cap) -> [u32; 2] {
        let mut touch_left = [cap.h, cap.a];
        for (op, left) in touch_left.iter_mut().enumerate() {
            while *left > 0 {
                let Some(c) = pop_due(&mut self.q_seq[op], &self.c_due, d) else {
                    break;
                };
                if self.burned(c) {
                    self.drop_burned(d, c, TOUCH);
                    continue;
                }
                if self.touch(m, d, cal, c) {
                    *left -= 1;
                }
            }
        }
        touch_left
    }

    /// New sequences from the ready queue with the touch capacity left: humans first,
    /// then automation — or, on a day of the experiment, each unit with its arm's
    /// operator (units whose operator is full wait at the head of the queue).
    pub(super) fn start_sequences(&mut self, m: &Model, d: u32, cal: u32, starts: &mut [u32; 2]) {
        if !m.in_trial(d) {
            for (op, left) in starts.iter_mut().enumerate() {
                while *left > 0 {
                    let Some(c) = self.q_ready.pop_front() else {
                        break;
                    };
                    if self.burned(c) {
                        self.leave(c, State::Dead);
                        continue;
                    }
                    self.begin_sequence(d, c, op == 1, 0);
                    if self.touch(m, d, cal, c) {
                        *left -= 1;
                    }
                }
            }
            return;
        }
        let mut deferred = std::mem::take(&mut self.deferred);
        while starts[0] + starts[1] > 0 {
            let Some(c) = self.q_ready.pop_front() else {
                break;
            };
            if self.burned(c) {
                self.leave(c, State::Dead);
                continue;
            }
            let arm = self.arm_for(m, c);
            let op = usize::from(m.arms[usize::from(arm)].auto);
            if starts[op] == 0 {
                deferred.push(c);
                continue;
            }
            self.begin_sequence(d, c, op == 1, arm);
            if self.touch(m, d, cal, c) {
                starts[op] -= 1;
            }
        }
        for &c in deferred.iter().rev() {
            self.q_ready.push_front(c);
        }
        deferred.clear();
        self.deferred = deferred;
    }

    /// Contact `c` enters the touch station on a new sequence by `auto` (in `arm`).
    fn begin_sequence(&mut self, d: u32, c: u32, auto: bool, arm: u8) {
        let ci = c as usize;
        self.c_state[ci] = State::Seq;
        self.c_seq[ci] = 0;
        if auto {
            self.c_flags[ci] |= F_AUTO_SEQ;
        } else {
            self.c_flags[ci] &= !F_AUTO_SEQ;
        }
        if let Some(a) = self.c_arm.get_mut(ci) {
            *a = arm;
        }
        self.count(TOUCH, ENT);
        self.ev(d, c, TOUCH, EventKind::Entered, Extra::by(auto));
    }

    /// The arm effects of `c`'s latest sequence (neutral outside experiments).
    pub(super) fn arm_of<'m>(&self, m: &'m Model, c: u32) -> &'m super::model::ArmModel {
        let k = self.c_arm.get(c as usize).copied().unwrap_or(0);
        &m.arms[usize::from(k)]
    }

    /// One touch of contact `c`'s sequence. Returns whether a touch was made (a touch
    /// over the 30-day cap is not made: the sequence ends instead).
    fn touch(&mut self, m: &Model, d: u32, cal: u32, c: u32) -> bool {
        let ci = c as usize;
        let a = self.c_acc[ci] as usize;
        let auto = self.c_flags[ci] & F_AUTO_SEQ != 0;
        let r = &m.sc.response;
        let stamp = cal + 1;
        let n30 = self.c_ring[ci]
            .iter()
            .filter(|&&t| t != 0 && u32::from(t) + 30 > stamp)
            .count();
        if n30 >= m.cap30 {
            self.end_sequence(m, d, cal, c);
            return false;
        }
        let pos = usize::from(self.c_ring_pos[ci]);
        self.c_ring[ci][pos] = stamp as u16;
        self.c_ring_pos[ci] = ((pos + 1) % TOUCH_MEMORY) as u8;
        let elapsed = f64::from(cal.saturating_sub(self.a_heat_cal[a]));
        let heat = f64::from(self.a_heat[a]) * (-m.heat_decay * elapsed).exp();
        self.a_heat[a] = (heat + if auto { r.automation_heat_weight } else { 1.0 }) as f32;
        self.a_heat_cal[a] = cal;
        self.today.touches += 1;
        self.today.cost += m.cost(TOUCH, auto);
        let channel = self.channel(m, auto);
        if auto {
            self.today.auto_touches += 1;
        }
        self.ev(
            d,
            c,
            TOUCH,
            EventKind::Touch,
            Extra {
                channel: Some(channel),
                ..Extra::by(auto)
            },
        );
        let first = self.c_flags[ci] & F_TOUCHED == 0;
        self.c_flags[ci] |= F_TOUCHED;
        let u: f64 = self.rng.random();
        if first {
            let bounce = if self.c_flags[ci] & F_AUTO_RESEARCH != 0 {
                r.bounce_rate_automation_research
            } else {
                r.bounce_rate_human_research
            };
            if u < bounce {
                self.today.bounces += 1;
                self.count(TOUCH, FAI);
                let why = Extra::reason(FailReason::Bounced).by_op(auto);
                self.ev(d, c, TOUCH, EventKind::Failed, why);
                self.leave(c, State::Dead);
                return true;
            }
        }
        let u: f64 = self.rng.random();
        let arm = self.arm_of(m, c);
        let n = n30 as f64;
        let over = (n - f64::from(r.risk_free_touches_30d)).max(0.0);
        let hot = (heat - r.risk_free_heat).max(0.0);
        let mut risk = (r.risk_fatigue_slope * over + r.risk_heat_slope * hot).exp();
        let mut relevance = 1.0;
        if auto {
            risk *= r.automation_risk_multiplier;
            relevance = r.automation_relevance[usize::from(self.a_tier[a])];
        }
        risk *= arm.risk;
        let p_opt = (r.optout_base * risk).min(0.5);
        let p_hostile = (r.hostile_base * risk).min(0.5);
        let p_reply = m.adjust(
            d,
            TOUCH,
            f64::from(self.a_prop[a])
                * relevance
                * (-r.fatigue_slope * n - r.heat_slope * heat).exp()
                * arm.reply,
        );
        if u < p_opt {
            self.today.optouts += 1;
            self.count(TOUCH, FAI);
            self.ev(d, c, TOUCH, EventKind::Optout, Extra::by(auto));
            let why = Extra::reason(FailReason::Optout).by_op(auto);
            self.ev(d, c, TOUCH, EventKind::Failed, why);
            self.a_optouts[a] = self.a_optouts[a].saturating_add(1);
            if u32::from(self.a_optouts[a]) >= r.optouts_to_burn_account {
                self.burn_account(a);
            }
            self.leave(c, State::Dead);
        } else if u < p_opt + p_hostile {
            self.today.hostile += 1;
            self.count(TOUCH, FAI);
            let why = Extra::reason(FailReason::Negative).by_op(auto);
            self.ev(d, c, TOUCH, EventKind::Failed, why);
            self.burn_account(a);
            self.leave(c, State::Dead);
        } else if u < p_opt + p_hostile + p_reply {
            self.count(TOUCH, PAS);
            self.ev(d, c, TOUCH, EventKind::Passed, Extra::by(auto));
            self.enter_down(d, c, REPLY, d + 1);
        } else {
            self.c_seq[ci] += 1;
            if self.c_seq[ci] >= m.seq_len[usize::from(auto)] {
                self.end_sequence(m, d, cal, c);
            } else {
                self.c_due[ci] = d + m.interval;
                self.q_seq[usize::from(auto)].push_back(c);
            }
        }
        true
    }

    /// The channel of a touch by `auto`: one draw for human touches (the phone and
    /// social shares), one for automated touches only if they are not all e-mails.
    fn channel(&mut self, m: &Model, auto: bool) -> Channel {
        if auto && !m.auto_channel_draw {
            return Channel::Email;
        }
        let [phone, social] = m.channels[usize::from(auto)];
        let u: f64 = self.rng.random();
        if u < phone {
            Channel::Phone
        } else if u < social {
            Channel::Social
        } else {
            Channel::Email
        }
    }

    /// A sequence ended without reply: failed `no_response`, then rest (or done after
    /// the last allowed sequence).
    fn end_sequence(&mut self, m: &Model, d: u32, cal: u32, c: u32) {
        let ci = c as usize;
        let auto = self.c_flags[ci] & F_AUTO_SEQ != 0;
        self.count(TOUCH, FAI);
        let why = Extra::reason(FailReason::NoResponse).by_op(auto);
        self.ev(d, c, TOUCH, EventKind::Failed, why);
        self.c_rounds[ci] = self.c_rounds[ci].saturating_add(1);
        if self.c_rounds[ci] >= m.max_rounds {
            self.leave(c, State::Done);
        } else {
            self.rest(c, m.cal.day_at_or_after(cal + m.rest_cal));
        }
    }
}

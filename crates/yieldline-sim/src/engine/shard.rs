//! One shard of the territory: its accounts and contacts (struct of arrays), its
//! queues, its random streams and its daily counters; and the day's steps that are
//! not sequences or downstream work — resumes, referrals and research intake.

use std::collections::VecDeque;

use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, StandardNormal};
use rand_pcg::Pcg64Mcg;
use yieldline_core::experiment::assign_arm;

use super::model::Model;
use super::record::Extra;
use crate::ids::{account_id, contact_id};
use crate::output::{EventKind, FailReason, SimEvent};
use crate::scenario::TOUCH_MEMORY;
use crate::splitmix64;
use crate::template::{RESEARCH, STATIONS, TOUCH};

/// Stream tag of the times of day (used only when recording).
const TIME_STREAM: u64 = 0x5449_4d45; // "TIME"

/// Where a contact is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum State {
    /// Never worked.
    Fresh,
    /// Waiting for a free slot at its account (researched, or back from a rest).
    Parked,
    /// Ready for a sequence.
    Ready,
    /// In a sequence at the touch station.
    Seq,
    /// At one of the stations after the touch station.
    Downstream,
    /// Resting after a sequence without reply, or recycled ("not now").
    Resting,
    /// Out of the line, worked to the end.
    Done,
    /// Out of the line for good: wrong person, bounced, opted out, burned.
    Dead,
    /// Named by a colleague, waiting for research.
    Referred,
}

// Contact flags.
pub(super) const F_AUTO_SEQ: u8 = 1;
pub(super) const F_AUTO_RESEARCH: u8 = 2;
pub(super) const F_TOUCHED: u8 = 4;

// Account flags.
const A_BURNED: u8 = 1;
const A_STARTED: u8 = 2;
const A_IN_REOPEN: u8 = 4;

// Per-station counters: entered, passed, failed, recycled.
pub(super) const ENT: usize = 0;
pub(super) const PAS: usize = 1;
pub(super) const FAI: usize = 2;
pub(super) const REC: usize = 3;

/// One day's counts of a shard (summed over shards between days and for the output).
#[derive(Clone, Copy, Default)]
pub(super) struct Counters {
    pub st: [[u32; 4]; STATIONS],
    pub touches: u32,
    pub auto_touches: u32,
    pub optouts: u32,
    pub hostile: u32,
    pub bounces: u32,
    pub burned: u32,
    pub started: u32,
    pub cost: f64,
}

/// Daily capacity left at one station for human and automated operators.
#[derive(Clone, Copy)]
pub(super) struct Cap {
    pub h: u32,
    pub a: u32,
}

impl Cap {
    /// Takes one unit of capacity, humans first; `Some(automated)` or `None` when empty.
    pub fn take(&mut self) -> Option<bool> {
        if self.h > 0 {
            self.h -= 1;
            Some(false)
        } else if self.a > 0 {
            self.a -= 1;
            Some(true)
        } else {
            None
        }
    }
}

/// Ready units still wanted today (see [`Shard::intake_need`]).
struct Need {
    left: [i64; 2],
    by_op: bool,
}

impl Need {
    fn open(&self) -> bool {
        self.left[0] > 0 || self.left[1] > 0
    }

    fn filled(&mut self, op: usize) {
        self.left[if self.by_op { op } else { 0 }] -= 1;
    }
}

/// The front of a queue sorted by due day, if it is due on `day`.
pub(super) fn pop_due(q: &mut VecDeque<u32>, due: &[u32], day: u32) -> Option<u32> {
    let &c = q.front()?;
    if due[c as usize] <= day {
        q.pop_front()
    } else {
        None
    }
}

pub(super) struct Shard {
    pub idx: usize,
    pub acc_base: u32,
    pub contact_base: u32,
    // Accounts (struct of arrays).
    pub a_first: Vec<u32>,
    pub a_n: Vec<u8>,
    pub a_tier: Vec<u8>,
    a_flags: Vec<u8>,
    pub a_prop: Vec<f32>,
    pub a_heat: Vec<f32>,
    pub a_heat_cal: Vec<u32>,
    pub a_active: Vec<u8>,
    pub a_optouts: Vec<u8>,
    order: Vec<u32>,
    cursor: usize,
    current: Option<u32>,
    // Contacts (struct of arrays).
    pub c_acc: Vec<u32>,
    pub c_state: Vec<State>,
    pub c_flags: Vec<u8>,
    /// Calendar day + 1 of each of the contact's latest touches (0 = none), a ring.
    pub c_ring: Vec<[u16; TOUCH_MEMORY]>,
    pub c_ring_pos: Vec<u8>,
    pub c_seq: Vec<u8>,
    pub c_rounds: Vec<u8>,
    pub c_due: Vec<u32>,
    /// Arm of the contact's latest sequence (0 = none, `k + 1` = arm `k`); empty
    /// without an experiment.
    pub c_arm: Vec<u8>,
    /// The arm each account (or contact, by the experiment's unit) is assigned to;
    /// empty without an experiment.
    pub assigned: Vec<u8>,
    // Queues, each sorted by due day (referrals: in order of naming, due in 1–3 days).
    pub q_ready: VecDeque<u32>,
    pub q_seq: [VecDeque<u32>; 2],
    q_rest: VecDeque<u32>,
    pub q_recycle: VecDeque<u32>,
    pub q_down: [VecDeque<u32>; 4],
    q_reopen: VecDeque<u32>,
    q_referred: Vec<u32>,
    /// Units held back from today's sequence starts (their arm's operator was full).
    pub deferred: Vec<u32>,
    pub rng: Pcg64Mcg,
    pub stats: Vec<Counters>,
    pub today: Counters,
    // The event log (only when recording) and its clock.
    pub record: bool,
    /// First simulated day whose events are logged.
    pub record_from: u32,
    pub events: Vec<SimEvent>,
    pub t_rng: Pcg64Mcg,
    /// Per contact: last day and second an event was stamped (recording only).
    pub c_clock: Vec<(u32, u32)>,
}

impl Shard {
    pub fn new(m: &Model, idx: usize, acc_base: u32, n_acc: u32, record: bool) -> Shard {
        let sc = &m.sc;
        let t = &sc.territory;
        let stream = |tag: u64| splitmix64(sc.scenario.seed ^ splitmix64(idx as u64 + 1) ^ tag);
        let mut rng = Pcg64Mcg::seed_from_u64(stream(0));
        let n = n_acc as usize;
        let mut a_first = Vec::with_capacity(n);
        let mut a_n = Vec::with_capacity(n);
        let mut a_tier = Vec::with_capacity(n);
        let mut a_prop = Vec::with_capacity(n);
        let mut score = Vec::with_capacity(n);
        let mut total = 0u32;
        let (s1, s2) = (t.tier_shares[0], t.tier_shares[0] + t.tier_shares[1]);
        for _ in 0..n {
            let u: f64 = rng.random();
            let tier = if u < s1 {
                0
            } else if u < s2 {
                1
            } else {
                2
            };
            let p = m.betas[tier].sample(&mut rng);
            let z: f64 = StandardNormal.sample(&mut rng);
            let k = rng.random_range(t.contacts_min..=t.contacts_max) as u8;
            a_first.push(total);
            a_n.push(k);
            a_tier.push(tier as u8);
            a_prop.push(p as f32);
            score.push((p * (t.fit_noise * z).exp()) as f32);
            total += u32::from(k);
        }
        let mut order: Vec<u32> = (0..n_acc).collect();
        order.sort_by(|&x, &y| {
            let (x, y) = (x as usize, y as usize);
            a_tier[x]
                .cmp(&a_tier[y])
                .then(score[y].total_cmp(&score[x]))
                .then(x.cmp(&y))
        });
        let mut c_acc = Vec::with_capacity(total as usize);
        for (a, &k) in a_n.iter().enumerate() {
            c_acc.extend(std::iter::repeat_n(a as u32, usize::from(k)));
        }
        let nc = c_acc.len();
        // The experiment's assignment: Yieldline's hash of the account (or contact) id.
        // Contact ids are global, so they are numbered once the shards are joined; the
        // shard learns its contact base only then, so contacts are assigned lazily.
        let assigned = match &m.trial {
            Some(tr) if !tr.by_contact => (0..n_acc)
                .map(|a| assign_arm(&tr.salt, &account_id(acc_base + a), &tr.weights) as u8 + 1)
                .collect(),
            _ => Vec::new(),
        };
        let q = || VecDeque::with_capacity(nc);
        Shard {
            idx,
            acc_base,
            contact_base: 0,
            a_first,
            a_n,
            a_tier,
            a_prop,
            a_heat: vec![0.0; n],
            a_heat_cal: vec![0; n],
            a_active: vec![0; n],
            a_optouts: vec![0; n],
            a_flags: vec![0; n],
            order,
            cursor: 0,
            current: None,
            c_state: vec![State::Fresh; nc],
            c_flags: vec![0; nc],
            c_seq: vec![0; nc],
            c_rounds: vec![0; nc],
            c_due: vec![0; nc],
            c_ring: vec![[0; TOUCH_MEMORY]; nc],
            c_ring_pos: vec![0; nc],
            c_arm: if m.trial.is_some() {
                vec![0; nc]
            } else {
                Vec::new()
            },
            assigned,
            c_acc,
            q_ready: q(),
            q_seq: [q(), q()],
            q_rest: q(),
            q_recycle: q(),
            q_down: [q(), q(), q(), q()],
            q_reopen: VecDeque::with_capacity(n),
            q_referred: Vec::new(),
            deferred: Vec::new(),
            rng,
            stats: Vec::with_capacity(m.days as usize),
            today: Counters::default(),
            record,
            record_from: m.record_from,
            events: Vec::new(),
            t_rng: Pcg64Mcg::seed_from_u64(stream(TIME_STREAM)),
            c_clock: if record {
                vec![(u32::MAX, 0); nc]
            } else {
                Vec::new()
            },
        }
    }

    /// Number of contacts in the shard.
    pub fn contacts(&self) -> usize {
        self.c_acc.len()
    }

    /// The experiment arm (`k + 1`, or 0 for none) a sequence of `c` gets.
    pub fn arm_for(&self, m: &Model, c: u32) -> u8 {
        match &m.trial {
            Some(tr) if tr.by_contact => {
                assign_arm(&tr.salt, &contact_id(self.contact_base + c), &tr.weights) as u8 + 1
            }
            Some(_) => self
                .assigned
                .get(self.c_acc[c as usize] as usize)
                .copied()
                .unwrap_or(0),
            None => 0,
        }
    }

    /// Steps one working day with the day's automated capacity per station.
    pub fn run_day(&mut self, m: &Model, d: u32, cap_a: &[u32; STATIONS]) {
        self.today = Counters::default();
        if self.record && d == m.record_from && d > 0 {
            self.log_units_in_stations(d);
        }
        self.step(m, d, cap_a);
        self.stats.push(self.today);
    }

    pub fn count(&mut self, station: usize, what: usize) {
        self.today.st[station][what] += 1;
    }

    pub fn burned(&self, c: u32) -> bool {
        self.a_flags[self.c_acc[c as usize] as usize] & A_BURNED != 0
    }

    pub fn burn_account(&mut self, a: usize) {
        if self.a_flags[a] & A_BURNED == 0 {
            self.a_flags[a] |= A_BURNED;
            self.today.burned += 1;
        }
    }

    fn has_waiting(&self, a: usize) -> bool {
        let f = self.a_first[a] as usize;
        (f..f + usize::from(self.a_n[a]))
            .any(|c| matches!(self.c_state[c], State::Fresh | State::Parked))
    }

    /// The contact leaves the line (rest, done, dead): frees its account slot.
    pub fn leave(&mut self, c: u32, state: State) {
        let ci = c as usize;
        self.c_state[ci] = state;
        let a = self.c_acc[ci] as usize;
        self.a_active[a] = self.a_active[a].saturating_sub(1);
        self.reopen_if_waiting(a);
    }

    /// Queues a started, unburned account with contacts waiting for a free slot.
    fn reopen_if_waiting(&mut self, a: usize) {
        let f = self.a_flags[a];
        if f & (A_BURNED | A_IN_REOPEN) == 0 && f & A_STARTED != 0 && self.has_waiting(a) {
            self.a_flags[a] |= A_IN_REOPEN;
            self.q_reopen.push_back(a as u32);
        }
    }

    /// A unit in station WIP whose account got burned: dropped as disqualified.
    pub fn drop_burned(&mut self, d: u32, c: u32, station: usize) {
        self.count(station, FAI);
        self.ev(
            d,
            c,
            station,
            EventKind::Failed,
            Extra::reason(FailReason::Disqualified),
        );
        self.leave(c, State::Dead);
    }

    /// With the scenario's referral chance, a fresh colleague of `c` at the same account
    /// is named; they are researched 1–3 working days later. Returns the colleague.
    pub fn maybe_refer(&mut self, m: &Model, d: u32, c: u32) -> Option<u32> {
        let rate = m.sc.response.referral_rate;
        if rate <= 0.0 || self.rng.random::<f64>() >= rate {
            return None;
        }
        let a = self.c_acc[c as usize] as usize;
        let (first, n) = (self.a_first[a], u32::from(self.a_n[a]));
        let offset = self.rng.random_range(0..n);
        let colleague = (0..n)
            .map(|k| first + (offset + k) % n)
            .find(|&x| x != c && self.c_state[x as usize] == State::Fresh)?;
        self.c_state[colleague as usize] = State::Referred;
        self.c_due[colleague as usize] = d + self.rng.random_range(1..=3);
        self.q_referred.push(colleague);
        Some(colleague)
    }

    /// Research of contact `c` (its slot at the account already taken): entered, then
    /// passed (ready for a sequence) or failed `wrong_person`.
    fn research(&mut self, m: &Model, d: u32, c: u32, auto: bool) {
        let ci = c as usize;
        self.today.cost += m.cost(RESEARCH, auto);
        self.count(RESEARCH, ENT);
        self.ev(d, c, RESEARCH, EventKind::Entered, Extra::by(auto));
        if auto {
            self.c_flags[ci] |= F_AUTO_RESEARCH;
        }
        let r = &m.sc.response;
        let y = if auto {
            r.research_yield_automation
        } else {
            r.research_yield_human
        };
        if self.rng.random::<f64>() < m.adjust(d, RESEARCH, y) {
            self.count(RESEARCH, PAS);
            self.ev(d, c, RESEARCH, EventKind::Passed, Extra::by(auto));
            self.c_state[ci] = State::Ready;
            self.q_ready.push_back(c);
        } else {
            self.count(RESEARCH, FAI);
            let referral = self.maybe_refer(m, d, c);
            self.ev(
                d,
                c,
                RESEARCH,
                EventKind::Failed,
                Extra {
                    referral,
                    ..Extra::reason(FailReason::WrongPerson).by_op(auto)
                },
            );
            self.leave(c, State::Dead);
        }
    }

    /// Referred colleagues due today are researched first (while research has
    /// capacity); one whose account is burned is dropped, one whose account is full
    /// waits as a fresh contact of that account.
    fn research_referrals(&mut self, m: &Model, d: u32, research: &mut Cap) {
        let mut i = 0;
        while i < self.q_referred.len() {
            let c = self.q_referred[i];
            let ci = c as usize;
            if self.c_due[ci] > d {
                i += 1;
                continue;
            }
            let a = self.c_acc[ci] as usize;
            if self.a_flags[a] & A_BURNED != 0 {
                self.q_referred.remove(i);
                self.c_state[ci] = State::Dead;
                continue;
            }
            if self.a_active[a] >= m.max_active {
                self.q_referred.remove(i);
                self.c_state[ci] = State::Fresh;
                self.reopen_if_waiting(a);
                continue;
            }
            let Some(auto) = research.take() else {
                break;
            };
            self.q_referred.remove(i);
            self.a_active[a] += 1;
            self.research(m, d, c, auto);
        }
    }

    fn step(&mut self, m: &Model, d: u32, cap_a: &[u32; STATIONS]) {
        let cal = m.cal.cal(d);
        let mut caps = [Cap { h: 0, a: 0 }; STATIONS];
        for (s, cap) in caps.iter_mut().enumerate() {
            cap.h = m.share(m.cap_h[s], self.idx, d);
            cap.a = m.share(cap_a[s], self.idx, d);
        }
        self.downstream(m, d, &mut caps);
        let touch_left = self.follow_ups(m, d, cal, &caps[TOUCH]);
        self.resumes(m, d);

        // Intake: research fresh contacts (pull: only what new sequences can absorb).
        // Level loading: each operator enrols at most capacity ÷ sequence length new
        // sequences a day, the rate its capacity sustains, so a burst of enrolments
        // does not crowd out the follow-ups it creates a few days later.
        let mut starts = [
            caps[TOUCH]
                .h
                .div_ceil(u32::from(m.seq_len[0]))
                .min(touch_left[0]),
            caps[TOUCH]
                .a
                .div_ceil(u32::from(m.seq_len[1]))
                .min(touch_left[1]),
        ];
        if !m.auto_starts && !m.in_trial(d) {
            starts[1] = 0;
        }
        let mut research = caps[RESEARCH];
        self.research_referrals(m, d, &mut research);
        let mut need = self.intake_need(m, d, &starts);
        while need.open() {
            let Some(a) = self.next_intake_account(m) else {
                break;
            };
            let f = self.a_first[a] as usize;
            let mut stalled = false;
            for ci in f..f + usize::from(self.a_n[a]) {
                if !need.open() || self.a_active[a] >= m.max_active {
                    break;
                }
                let c = ci as u32;
                match self.c_state[ci] {
                    State::Parked => {
                        self.a_active[a] += 1;
                        self.c_state[ci] = State::Ready;
                        self.q_ready.push_back(c);
                        need.filled(self.op_for(m, c));
                    }
                    State::Fresh => {
                        let Some(auto) = research.take() else {
                            stalled = true;
                            break;
                        };
                        self.a_active[a] += 1;
                        self.research(m, d, c, auto);
                        if self.c_state[ci] == State::Ready {
                            need.filled(self.op_for(m, c));
                        }
                    }
                    _ => {}
                }
            }
            if stalled {
                self.current = Some(a as u32);
                break;
            }
        }
        self.start_sequences(m, d, cal, &mut starts);
    }

    /// How many more ready units today's sequence starts can absorb: one pool, or on
    /// a day of the experiment one per operator (units go to their arm's operator, so
    /// research keeps up with each arm's capacity, not with a queue the other arm
    /// cannot drain).
    fn intake_need(&self, m: &Model, d: u32, starts: &[u32; 2]) -> Need {
        let mut need = Need {
            left: [i64::from(starts[0]) + i64::from(starts[1]), 0],
            by_op: m.in_trial(d),
        };
        if need.by_op {
            need.left = [i64::from(starts[0]), i64::from(starts[1])];
        }
        for &c in &self.q_ready {
            need.filled(self.op_for(m, c));
        }
        need
    }

    /// The operator (0 people, 1 automation) of `c`'s arm on a day of the experiment.
    fn op_for(&self, m: &Model, c: u32) -> usize {
        if m.trial.is_none() {
            return 0;
        }
        usize::from(m.arms[usize::from(self.arm_for(m, c))].auto)
    }

    /// Rested and recycled contacts due today come back (or wait for a free slot at
    /// their account).
    fn resumes(&mut self, m: &Model, d: u32) {
        for which in 0..2 {
            loop {
                let q = if which == 0 {
                    &mut self.q_rest
                } else {
                    &mut self.q_recycle
                };
                let Some(c) = pop_due(q, &self.c_due, d) else {
                    break;
                };
                let ci = c as usize;
                let a = self.c_acc[ci] as usize;
                if self.a_flags[a] & A_BURNED != 0 {
                    self.c_state[ci] = State::Dead;
                } else if self.a_active[a] < m.max_active {
                    self.a_active[a] += 1;
                    self.c_state[ci] = State::Ready;
                    self.q_ready.push_back(c);
                } else {
                    self.c_state[ci] = State::Parked;
                    if self.a_flags[a] & A_IN_REOPEN == 0 {
                        self.a_flags[a] |= A_IN_REOPEN;
                        self.q_reopen.push_back(a as u32);
                    }
                }
            }
        }
    }

    /// A contact that rests until `due` (after a sequence without reply).
    pub fn rest(&mut self, c: u32, due: u32) {
        self.c_due[c as usize] = due;
        self.q_rest.push_back(c);
        self.leave(c, State::Resting);
    }

    /// The next account to take contacts from: the one research stalled on, then
    /// started accounts with a freed slot, then the best-fit fresh account.
    fn next_intake_account(&mut self, m: &Model) -> Option<usize> {
        if let Some(a) = self.current.take() {
            return Some(a as usize);
        }
        while let Some(a) = self.q_reopen.pop_front() {
            let a = a as usize;
            self.a_flags[a] &= !A_IN_REOPEN;
            if self.a_flags[a] & A_BURNED == 0
                && self.a_active[a] < m.max_active
                && self.has_waiting(a)
            {
                return Some(a);
            }
        }
        let &a = self.order.get(self.cursor)?;
        self.cursor += 1;
        self.a_flags[a as usize] |= A_STARTED;
        self.today.started += 1;
        Some(a as usize)
    }
}

//! The simulation engine: struct-of-arrays territory state split into account shards,
//! each with its own seeded random stream and its share of every station's daily
//! capacity, stepped day by day in parallel with rayon.
//!
//! # Determinism
//! Shard `i` owns a contiguous range of accounts and draws from
//! `Pcg64Mcg::seed_from_u64(splitmix64(seed ⊕ splitmix64(i + 1)))`. Daily capacity is
//! split between shards by Hamilton's method with a rotating remainder: shard `i` gets
//! `⌊C / S⌋`, plus one when `(i − d·(C mod S)) mod S < C mod S` on day `d`; the shares
//! sum to exactly `C` every day and even out over `S` days. Shards step in lockstep,
//! one day at a time, and exchange nothing but their daily integer counts, which the
//! opt-out brake and the scale-up governor sum (in any order) between days; so a run depends on the scenario
//! (seed and shard count included) and never on the thread count or scheduling.
//!
//! # Allocation
//! Every queue is a ring buffer reserved for the shard's contact count at start (a
//! contact is in at most one queue), so the day loop does not allocate unless events
//! are recorded.

use std::collections::VecDeque;

use rand::{Rng, SeedableRng};
use rand_distr::{Beta, Distribution, StandardNormal};
use rand_pcg::Pcg64Mcg;
use rayon::prelude::*;

use crate::calendar::Calendar;
use crate::output::{
    Channel, DayRecord, EventKind, FailReason, SimEvent, SimOutput, StationDay, TerritoryContact,
    summarize,
};
use crate::scenario::TOUCH_MEMORY;
use crate::{STATION_IDS, Scenario, SimError};

/// Options of a run that are not part of the model.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SimOptions {
    /// Keep the territory and the full event log in the output (needed by
    /// [`crate::write_workspace_files`]); costs memory and time on large runs.
    pub record_events: bool,
}

/// Runs a scenario without recording events.
pub fn simulate(scenario: &Scenario) -> Result<SimOutput, SimError> {
    simulate_with(scenario, SimOptions::default())
}

/// Runs a scenario with options. Uses the current rayon pool.
pub fn simulate_with(scenario: &Scenario, opts: SimOptions) -> Result<SimOutput, SimError> {
    scenario.validate()?;
    let model = Model::new(scenario)?;
    let n_shards = model.n_shards;
    let accounts = scenario.scenario.accounts as usize;
    let mut shards: Vec<Shard> = (0..n_shards)
        .into_par_iter()
        .map(|i| {
            let lo = accounts * i / n_shards;
            let hi = accounts * (i + 1) / n_shards;
            Shard::new(&model, i, lo as u32, (hi - lo) as u32, opts.record_events)
        })
        .collect::<Result<_, _>>()?;
    let mut base = 0u32;
    for s in &mut shards {
        s.contact_base = base;
        base += s.c_acc.len() as u32;
    }
    // Shards step in lockstep, one working day at a time, so that the opt-out brake
    // can look at the whole line's trailing opt-out rate; within a day they run in
    // parallel and exchange nothing.
    let mut brake = Brake::default();
    let mut governor = Governor::default();
    for d in 0..model.days {
        let (ramp, frozen) = governor.multiplier_for(&model, &shards, d);
        let halvings = brake.halvings_for(&model, &shards, d);
        let factor = ramp * 0.5f64.powi(halvings as i32);
        let cap_a = model
            .cap_a_base
            .map(|c| (f64::from(c) * factor).round() as u32);
        brake.used.push((factor, halvings, frozen));
        shards
            .par_iter_mut()
            .for_each(|s| s.run_day(&model, d, &cap_a));
    }
    Ok(assemble(scenario, &model, shards, &brake.used, opts))
}

/// Working days of the trailing window of the opt-out brake.
pub const BRAKE_WINDOW_DAYS: u32 = 20;
/// Fewest touches in the trailing window for the brake to judge the opt-out rate.
pub const BRAKE_MIN_TOUCHES: u64 = 200;
/// Most halvings of automated capacity the brake applies (1/64 of the ramp).
pub const BRAKE_MAX_HALVINGS: u32 = 6;

/// The buyer-harm brake of a guarded policy (`max_optout_rate`), mirroring dispatch's:
/// before each working day, people opting out ÷ touches over the previous
/// [`BRAKE_WINDOW_DAYS`] working days (whole line, at least [`BRAKE_MIN_TOUCHES`]
/// touches); above the limit the brake adds one halving of every station's automated
/// capacity (up to [`BRAKE_MAX_HALVINGS`]), at or under it releases one.
#[derive(Default)]
struct Brake {
    halvings: u32,
    /// (effective automation multiplier, halvings, scale-up frozen) per simulated day.
    used: Vec<(f64, u32, bool)>,
}

impl Brake {
    fn halvings_for(&mut self, m: &Model, shards: &[Shard], d: u32) -> u32 {
        let Some(limit) = m.max_optout_rate else {
            return 0;
        };
        let from = d.saturating_sub(BRAKE_WINDOW_DAYS) as usize;
        let (mut touches, mut optouts) = (0u64, 0u64);
        for s in shards {
            for c in &s.stats[from..d as usize] {
                touches += u64::from(c.touches);
                optouts += u64::from(c.optouts);
            }
        }
        if touches >= BRAKE_MIN_TOUCHES {
            if optouts as f64 > limit * touches as f64 {
                self.halvings = (self.halvings + 1).min(BRAKE_MAX_HALVINGS);
            } else {
                self.halvings = self.halvings.saturating_sub(1);
            }
        }
        self.halvings
    }
}

/// Working days of each of the scale-up governor's two windows (and between its checks).
pub const GOVERNOR_WINDOW_DAYS: u32 = 20;
/// Least growth of automated touches, window on window, that the governor judges:
/// smaller increments are within the noise of the output.
pub const GOVERNOR_MIN_GROWTH: f64 = 0.05;

/// The scale-up governor of a guarded policy (`freeze_scaleup_below_marginal`): every
/// [`GOVERNOR_WINDOW_DAYS`] working days (from day `2·W` of the run, warm-up included)
/// it compares the whole line's automated touches and qualified output over the
/// trailing window with the window before. When automated touches grew by at least
/// [`GOVERNOR_MIN_GROWTH`] and the marginal output of the added touches
/// (Δoutput ÷ Δautomated touches) is below the set fraction of the previous window's
/// output per automated touch, it holds the ramp's multiplier at the value of the last
/// day for the rest of the run (the ramp may still fall below it). Sums of the shards'
/// integer counts, so independent of thread count.
#[derive(Default)]
struct Governor {
    hold: Option<f64>,
    last: Option<f64>,
}

impl Governor {
    /// The ramp multiplier of day `d` (before the opt-out brake) and whether it is held.
    fn multiplier_for(&mut self, m: &Model, shards: &[Shard], d: u32) -> (f64, bool) {
        let scheduled = m.mult[d as usize];
        let w = GOVERNOR_WINDOW_DAYS;
        if let (Some(fraction), None, Some(last)) = (m.freeze_below, self.hold, self.last)
            && d >= 2 * w
            && d.is_multiple_of(w)
        {
            let (mut t, mut o) = ([0u64; 2], [0u64; 2]);
            for s in shards {
                for (i, c) in s.stats[(d - 2 * w) as usize..d as usize].iter().enumerate() {
                    t[i / w as usize] += u64::from(c.auto_touches);
                    o[i / w as usize] += u64::from(c.st[ST_QUAL][PAS]);
                }
            }
            let (t0, t1, o0, o1) = (t[0] as f64, t[1] as f64, o[0] as f64, o[1] as f64);
            if t0 > 0.0 && o0 > 0.0 && t1 >= t0 * (1.0 + GOVERNOR_MIN_GROWTH) {
                let marginal = (o1 - o0) / (t1 - t0);
                if marginal < fraction * (o0 / t0) {
                    self.hold = Some(last);
                }
            }
        }
        let used = self.hold.map_or(scheduled, |h| scheduled.min(h));
        self.last = Some(used);
        (used, self.hold.is_some() && scheduled > used)
    }
}

const ST_RESEARCH: usize = 0;
const ST_TOUCH: usize = 1;
const ST_REPLY: usize = 2;
const ST_BOOKED: usize = 3;
const ST_HELD: usize = 4;
const ST_QUAL: usize = 5;

// Contact states.
const FRESH: u8 = 0;
const PARKED: u8 = 1;
const READY: u8 = 2;
const SEQ: u8 = 3;
const DOWNSTREAM: u8 = 4;
const RESTING: u8 = 5;
const DONE: u8 = 6;
const DEAD: u8 = 7;

// Contact flags.
const F_AUTO_SEQ: u8 = 1;
const F_AUTO_RESEARCH: u8 = 2;
const F_TOUCHED: u8 = 4;

// Account flags.
const A_BURNED: u8 = 1;
const A_STARTED: u8 = 2;
const A_IN_REOPEN: u8 = 4;

// Per-station counters: entered, passed, failed, recycled.
const ENT: usize = 0;
const PAS: usize = 1;
const FAI: usize = 2;
const REC: usize = 3;

struct Model {
    sc: Scenario,
    cal: Calendar,
    warmup: u32,
    n_shards: usize,
    days: u32,
    cap_h: [u32; 6],
    cap_a_base: [u32; 6],
    mult: Vec<f64>,
    max_optout_rate: Option<f64>,
    freeze_below: Option<f64>,
    seq_len: [u8; 2],
    interval: u32,
    rest_cal: u32,
    not_now_cal: u32,
    max_rounds: u8,
    cap30: usize,
    max_active: u8,
    heat_decay: f64,
    betas: [Beta<f64>; 3],
}

impl Model {
    fn new(sc: &Scenario) -> Result<Model, SimError> {
        let cal = sc.calendar().ok_or_else(|| SimError::InvalidOption {
            name: "scenario.start",
            message: "not a date".into(),
        })?;
        let warmup = sc.scenario.warmup_days;
        let t = &sc.territory;
        let beta = |i: usize| {
            let m = t.tier_mean_propensity[i];
            let k = t.propensity_concentration;
            Beta::new(m * k, (1.0 - m) * k).map_err(|e| SimError::InvalidOption {
                name: "territory.tier_mean_propensity",
                message: e.to_string(),
            })
        };
        let p = &sc.policy;
        let days = sc.scenario.days + warmup;
        let stations = sc.stations.as_array();
        let cap_h = stations.map(|s| s.human_capacity);
        let mult: Vec<f64> = (0..days)
            .map(|d| p.multiplier(d.saturating_sub(warmup)))
            .collect();
        let cap_a_base = stations.map(|s| s.automation_capacity);
        let g = p.guardrails.as_ref();
        Ok(Model {
            cal,
            warmup,
            n_shards: sc.resolved_shards() as usize,
            days,
            cap_h,
            cap_a_base,
            mult,
            max_optout_rate: g.map(|g| g.max_optout_rate),
            freeze_below: g
                .map(|g| g.freeze_scaleup_below_marginal)
                .filter(|&f| f > 0.0),
            seq_len: [
                p.human_sequence_touches as u8,
                p.automation_sequence_touches as u8,
            ],
            interval: p.touch_interval_days,
            rest_cal: p
                .rest_days_after_no_response
                .max(g.map_or(0, |g| g.cooldown_days_after_fail)),
            not_now_cal: p.not_now_days,
            max_rounds: p.max_sequences_per_contact as u8,
            cap30: g.map_or(usize::MAX, |g| g.max_touches_per_contact_30d as usize),
            max_active: g.map_or(u8::MAX, |g| g.max_active_contacts_per_account as u8),
            heat_decay: std::f64::consts::LN_2 / sc.response.heat_half_life_days,
            betas: [beta(0)?, beta(1)?, beta(2)?],
            sc: sc.clone(),
        })
    }

    /// Shard `shard`'s share of a global daily capacity `total` on day `day`.
    fn share(&self, total: u32, shard: usize, day: u32) -> u32 {
        let n = self.n_shards as u64;
        let (base, rem) = (u64::from(total) / n, u64::from(total) % n);
        let offset = (u64::from(day) * rem) % n;
        let pos = (shard as u64 + n - offset) % n;
        (base + u64::from(pos < rem)) as u32
    }
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[derive(Clone, Copy, Default)]
struct Counters {
    st: [[u32; 4]; 6],
    touches: u32,
    auto_touches: u32,
    optouts: u32,
    hostile: u32,
    bounces: u32,
    burned: u32,
    started: u32,
    cost: f64,
}

#[derive(Clone, Copy)]
struct RawEvent {
    day: u16,
    minute: u16,
    contact: u32,
    station: u8,
    kind: EventKind,
    reason: Option<FailReason>,
    resume_day: u32,
    channel: Option<Channel>,
    automated: bool,
}

struct Shard {
    idx: usize,
    acc_base: u32,
    contact_base: u32,
    // Accounts (struct of arrays).
    a_first: Vec<u32>,
    a_n: Vec<u8>,
    a_tier: Vec<u8>,
    a_prop: Vec<f32>,
    a_heat: Vec<f32>,
    a_heat_cal: Vec<u32>,
    a_active: Vec<u8>,
    a_optouts: Vec<u8>,
    a_flags: Vec<u8>,
    order: Vec<u32>,
    cursor: usize,
    current: Option<u32>,
    // Contacts (struct of arrays).
    c_acc: Vec<u32>,
    c_state: Vec<u8>,
    c_flags: Vec<u8>,
    c_seq: Vec<u8>,
    c_rounds: Vec<u8>,
    c_due: Vec<u32>,
    c_ring: Vec<[u16; TOUCH_MEMORY]>,
    c_ring_pos: Vec<u8>,
    // Queues, each sorted by due day.
    q_ready: VecDeque<u32>,
    q_seq: [VecDeque<u32>; 2],
    q_rest: VecDeque<u32>,
    q_recycle: VecDeque<u32>,
    q_down: [VecDeque<u32>; 4],
    q_reopen: VecDeque<u32>,
    rng: Pcg64Mcg,
    stats: Vec<Counters>,
    today: Counters,
    record: bool,
    events: Vec<RawEvent>,
}

/// Daily capacity left at one station for human and automated operators.
#[derive(Clone, Copy)]
struct Cap {
    h: u32,
    a: u32,
}

impl Cap {
    /// Takes one unit of capacity, humans first; `Some(automated)` or `None` when empty.
    fn take(&mut self) -> Option<bool> {
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

fn pop_due(q: &mut VecDeque<u32>, due: &[u32], day: u32) -> Option<u32> {
    let &c = q.front()?;
    if due[c as usize] <= day {
        q.pop_front()
    } else {
        None
    }
}

impl Shard {
    fn new(
        m: &Model,
        idx: usize,
        acc_base: u32,
        n_acc: u32,
        record: bool,
    ) -> Result<Shard, SimError> {
        let sc = &m.sc;
        let t = &sc.territory;
        let mut rng =
            Pcg64Mcg::seed_from_u64(splitmix64(sc.scenario.seed ^ splitmix64(idx as u64 + 1)));
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
        let q = || VecDeque::with_capacity(nc);
        Ok(Shard {
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
            c_acc,
            c_state: vec![FRESH; nc],
            c_flags: vec![0; nc],
            c_seq: vec![0; nc],
            c_rounds: vec![0; nc],
            c_due: vec![0; nc],
            c_ring: vec![[0; TOUCH_MEMORY]; nc],
            c_ring_pos: vec![0; nc],
            q_ready: q(),
            q_seq: [q(), q()],
            q_rest: q(),
            q_recycle: q(),
            q_down: [q(), q(), q(), q()],
            q_reopen: VecDeque::with_capacity(n),
            rng,
            stats: Vec::with_capacity(m.days as usize),
            today: Counters::default(),
            record,
            events: Vec::new(),
        })
    }

    /// Steps one working day with the day's automated capacity per station.
    fn run_day(&mut self, m: &Model, d: u32, cap_a: &[u32; 6]) {
        self.today = Counters::default();
        self.step(m, d, cap_a);
        self.stats.push(self.today);
    }

    #[allow(clippy::too_many_arguments)]
    fn ev(
        &mut self,
        day: u32,
        c: u32,
        station: usize,
        kind: EventKind,
        reason: Option<FailReason>,
        channel: Option<Channel>,
        automated: bool,
        resume_day: u32,
    ) {
        let phase = match kind {
            EventKind::Entered => 0,
            EventKind::Touch => 10,
            EventKind::Optout => 15,
            _ => 20,
        };
        if self.record {
            self.events.push(RawEvent {
                day: day as u16,
                minute: ((8 + station) * 60 + phase) as u16,
                contact: c,
                station: station as u8,
                kind,
                reason,
                resume_day,
                channel,
                automated,
            });
        }
    }

    fn count(&mut self, station: usize, what: usize) {
        self.today.st[station][what] += 1;
    }

    fn burned(&self, c: u32) -> bool {
        self.a_flags[self.c_acc[c as usize] as usize] & A_BURNED != 0
    }

    fn burn_account(&mut self, a: usize) {
        if self.a_flags[a] & A_BURNED == 0 {
            self.a_flags[a] |= A_BURNED;
            self.today.burned += 1;
        }
    }

    fn has_waiting(&self, a: usize) -> bool {
        let f = self.a_first[a] as usize;
        (f..f + usize::from(self.a_n[a])).any(|c| matches!(self.c_state[c], FRESH | PARKED))
    }

    /// The contact leaves the line (rest, done, dead): frees its account slot.
    fn leave(&mut self, c: u32, state: u8) {
        let ci = c as usize;
        self.c_state[ci] = state;
        let a = self.c_acc[ci] as usize;
        self.a_active[a] = self.a_active[a].saturating_sub(1);
        let f = self.a_flags[a];
        if f & (A_BURNED | A_IN_REOPEN) == 0 && f & A_STARTED != 0 && self.has_waiting(a) {
            self.a_flags[a] |= A_IN_REOPEN;
            self.q_reopen.push_back(a as u32);
        }
    }

    /// A unit in station WIP whose account got burned: dropped as disqualified.
    fn drop_burned(&mut self, d: u32, c: u32, station: usize) {
        self.count(station, FAI);
        self.ev(
            d,
            c,
            station,
            EventKind::Failed,
            Some(FailReason::Disqualified),
            None,
            false,
            0,
        );
        self.leave(c, DEAD);
    }

    fn step(&mut self, m: &Model, d: u32, cap_a: &[u32; 6]) {
        let cal = m.cal.cal(d);
        let mut caps = [Cap { h: 0, a: 0 }; 6];
        for (s, cap) in caps.iter_mut().enumerate() {
            cap.h = m.share(m.cap_h[s], self.idx, d);
            cap.a = m.share(cap_a[s], self.idx, d);
        }
        self.downstream(m, d, &mut caps);

        // First-touch follow-ups due today, humans' and automation's own queues.
        let mut touch_left = [caps[ST_TOUCH].h, caps[ST_TOUCH].a];
        for (op, left) in touch_left.iter_mut().enumerate() {
            while *left > 0 {
                let Some(c) = pop_due(&mut self.q_seq[op], &self.c_due, d) else {
                    break;
                };
                if self.burned(c) {
                    self.drop_burned(d, c, ST_TOUCH);
                    continue;
                }
                if self.touch(m, d, cal, c) {
                    *left -= 1;
                }
            }
        }

        // Rested and recycled contacts due today come back.
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
                    self.c_state[ci] = DEAD;
                } else if self.a_active[a] < m.max_active {
                    self.a_active[a] += 1;
                    self.c_state[ci] = READY;
                    self.q_ready.push_back(c);
                } else {
                    self.c_state[ci] = PARKED;
                    if self.a_flags[a] & A_IN_REOPEN == 0 {
                        self.a_flags[a] |= A_IN_REOPEN;
                        self.q_reopen.push_back(a as u32);
                    }
                }
            }
        }

        // Intake: research fresh contacts (pull: only what new sequences can absorb).
        // Level loading: each operator enrols at most capacity ÷ sequence length new
        // sequences a day, the rate its capacity sustains, so a burst of enrolments
        // does not crowd out the follow-ups it creates a few days later.
        let mut starts = [
            caps[ST_TOUCH]
                .h
                .div_ceil(u32::from(m.seq_len[0]))
                .min(touch_left[0]),
            caps[ST_TOUCH]
                .a
                .div_ceil(u32::from(m.seq_len[1]))
                .min(touch_left[1]),
        ];
        let spare = u64::from(starts[0]) + u64::from(starts[1]);
        let mut demand = spare.saturating_sub(self.q_ready.len() as u64);
        let mut research = caps[ST_RESEARCH];
        while demand > 0 {
            let Some(a) = self.next_intake_account(m) else {
                break;
            };
            let f = self.a_first[a] as usize;
            let mut stalled = false;
            for ci in f..f + usize::from(self.a_n[a]) {
                if demand == 0 || self.a_active[a] >= m.max_active {
                    break;
                }
                let c = ci as u32;
                match self.c_state[ci] {
                    PARKED => {
                        self.a_active[a] += 1;
                        self.c_state[ci] = READY;
                        self.q_ready.push_back(c);
                        demand -= 1;
                    }
                    FRESH => {
                        let Some(auto) = research.take() else {
                            stalled = true;
                            break;
                        };
                        self.a_active[a] += 1;
                        self.today.cost += cost(m, ST_RESEARCH, auto);
                        self.count(ST_RESEARCH, ENT);
                        self.ev(d, c, ST_RESEARCH, EventKind::Entered, None, None, auto, 0);
                        if auto {
                            self.c_flags[ci] |= F_AUTO_RESEARCH;
                        }
                        let y = if auto {
                            m.sc.response.research_yield_automation
                        } else {
                            m.sc.response.research_yield_human
                        };
                        if self.rng.random::<f64>() < y {
                            self.count(ST_RESEARCH, PAS);
                            self.ev(d, c, ST_RESEARCH, EventKind::Passed, None, None, auto, 0);
                            self.c_state[ci] = READY;
                            self.q_ready.push_back(c);
                            demand -= 1;
                        } else {
                            self.count(ST_RESEARCH, FAI);
                            self.ev(
                                d,
                                c,
                                ST_RESEARCH,
                                EventKind::Failed,
                                Some(FailReason::WrongPerson),
                                None,
                                auto,
                                0,
                            );
                            self.leave(c, DEAD);
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

        // New sequences from the ready queue with the touch capacity left.
        for (op, left) in starts.iter_mut().enumerate() {
            while *left > 0 {
                let Some(c) = self.q_ready.pop_front() else {
                    break;
                };
                let ci = c as usize;
                if self.burned(c) {
                    self.leave(c, DEAD);
                    continue;
                }
                self.c_state[ci] = SEQ;
                self.c_seq[ci] = 0;
                if op == 1 {
                    self.c_flags[ci] |= F_AUTO_SEQ;
                } else {
                    self.c_flags[ci] &= !F_AUTO_SEQ;
                }
                self.count(ST_TOUCH, ENT);
                self.ev(d, c, ST_TOUCH, EventKind::Entered, None, None, op == 1, 0);
                if self.touch(m, d, cal, c) {
                    *left -= 1;
                }
            }
        }
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
        self.today.cost += cost(m, ST_TOUCH, auto);
        let channel = if !auto && self.rng.random::<f64>() < 0.3 {
            Channel::Phone
        } else {
            Channel::Email
        };
        if auto {
            self.today.auto_touches += 1;
        }
        self.ev(
            d,
            c,
            ST_TOUCH,
            EventKind::Touch,
            None,
            Some(channel),
            auto,
            0,
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
                self.count(ST_TOUCH, FAI);
                self.ev(
                    d,
                    c,
                    ST_TOUCH,
                    EventKind::Failed,
                    Some(FailReason::Bounced),
                    None,
                    auto,
                    0,
                );
                self.leave(c, DEAD);
                return true;
            }
        }
        let u: f64 = self.rng.random();
        let n = n30 as f64;
        let over = (n - f64::from(r.risk_free_touches_30d)).max(0.0);
        let hot = (heat - r.risk_free_heat).max(0.0);
        let mut risk = (r.risk_fatigue_slope * over + r.risk_heat_slope * hot).exp();
        let mut relevance = 1.0;
        if auto {
            risk *= r.automation_risk_multiplier;
            relevance = r.automation_relevance[usize::from(self.a_tier[a])];
        }
        let p_opt = (r.optout_base * risk).min(0.5);
        let p_hostile = (r.hostile_base * risk).min(0.5);
        let p_reply = f64::from(self.a_prop[a])
            * relevance
            * (-r.fatigue_slope * n - r.heat_slope * heat).exp();
        if u < p_opt {
            self.today.optouts += 1;
            self.count(ST_TOUCH, FAI);
            self.ev(d, c, ST_TOUCH, EventKind::Optout, None, None, auto, 0);
            self.ev(
                d,
                c,
                ST_TOUCH,
                EventKind::Failed,
                Some(FailReason::Optout),
                None,
                auto,
                0,
            );
            self.a_optouts[a] = self.a_optouts[a].saturating_add(1);
            if u32::from(self.a_optouts[a]) >= r.optouts_to_burn_account {
                self.burn_account(a);
            }
            self.leave(c, DEAD);
        } else if u < p_opt + p_hostile {
            self.today.hostile += 1;
            self.count(ST_TOUCH, FAI);
            self.ev(
                d,
                c,
                ST_TOUCH,
                EventKind::Failed,
                Some(FailReason::Negative),
                None,
                auto,
                0,
            );
            self.burn_account(a);
            self.leave(c, DEAD);
        } else if u < p_opt + p_hostile + p_reply {
            self.count(ST_TOUCH, PAS);
            self.ev(d, c, ST_TOUCH, EventKind::Passed, None, None, auto, 0);
            self.enter_down(d, c, ST_REPLY, d + 1);
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

    /// A sequence ended without reply: failed `no_response`, then rest (or done after
    /// the last allowed sequence).
    fn end_sequence(&mut self, m: &Model, d: u32, cal: u32, c: u32) {
        let ci = c as usize;
        let auto = self.c_flags[ci] & F_AUTO_SEQ != 0;
        self.count(ST_TOUCH, FAI);
        self.ev(
            d,
            c,
            ST_TOUCH,
            EventKind::Failed,
            Some(FailReason::NoResponse),
            None,
            auto,
            0,
        );
        self.c_rounds[ci] = self.c_rounds[ci].saturating_add(1);
        if self.c_rounds[ci] >= m.max_rounds {
            self.leave(c, DONE);
        } else {
            self.c_due[ci] = m.cal.day_at_or_after(cal + m.rest_cal);
            self.q_rest.push_back(c);
            self.leave(c, RESTING);
        }
    }

    fn enter_down(&mut self, d: u32, c: u32, station: usize, due: u32) {
        let ci = c as usize;
        self.c_state[ci] = DOWNSTREAM;
        self.c_due[ci] = due;
        self.count(station, ENT);
        let auto = self.c_flags[ci] & F_AUTO_SEQ != 0;
        self.ev(d, c, station, EventKind::Entered, None, None, auto, 0);
        self.q_down[station - ST_REPLY].push_back(c);
    }

    /// Reply handling, booking, meetings and qualification, in line order.
    fn downstream(&mut self, m: &Model, d: u32, caps: &mut [Cap; 6]) {
        let r = &m.sc.response;
        let cal = m.cal.cal(d);
        for (station, cap) in caps.iter_mut().enumerate().skip(ST_REPLY) {
            let qi = station - ST_REPLY;
            loop {
                if cap.h + cap.a == 0 {
                    break;
                }
                let Some(c) = pop_due(&mut self.q_down[qi], &self.c_due, d) else {
                    break;
                };
                if self.burned(c) {
                    self.drop_burned(d, c, station);
                    continue;
                }
                let op_auto = cap.take().unwrap_or(false);
                self.today.cost += cost(m, station, op_auto);
                let ci = c as usize;
                let sourced_auto = self.c_flags[ci] & F_AUTO_SEQ != 0;
                let u: f64 = self.rng.random();
                match station {
                    ST_REPLY => {
                        if u < r.reply_positive {
                            self.pass(d, c, station, op_auto);
                            self.enter_down(d, c, ST_BOOKED, d + 1);
                        } else if u < r.reply_positive + r.reply_not_now {
                            let resume = m.cal.day_at_or_after(cal + m.not_now_cal);
                            self.count(station, REC);
                            self.ev(
                                d,
                                c,
                                station,
                                EventKind::Recycled,
                                None,
                                None,
                                op_auto,
                                resume,
                            );
                            self.c_due[ci] = resume;
                            self.q_recycle.push_back(c);
                            self.leave(c, RESTING);
                        } else if u < r.reply_positive + r.reply_not_now + r.reply_wrong_person {
                            self.fail(d, c, station, FailReason::WrongPerson, op_auto, DEAD);
                        } else {
                            self.fail(d, c, station, FailReason::Negative, op_auto, DONE);
                        }
                    }
                    ST_BOOKED => {
                        if u < r.booking_rate {
                            self.pass(d, c, station, op_auto);
                            self.enter_down(d, c, ST_HELD, d + r.meeting_lead_days);
                        } else {
                            self.fail(d, c, station, FailReason::NoResponse, op_auto, DONE);
                        }
                    }
                    ST_HELD => {
                        let show = r.show_rate
                            * if sourced_auto {
                                r.automation_show_factor
                            } else {
                                1.0
                            };
                        if u < show {
                            self.pass(d, c, station, op_auto);
                            self.enter_down(d, c, ST_QUAL, d);
                        } else {
                            self.fail(d, c, station, FailReason::NoResponse, op_auto, DONE);
                        }
                    }
                    _ => {
                        let tier = usize::from(self.a_tier[self.c_acc[ci] as usize]);
                        if u < m.sc.territory.qualify_rate[tier] {
                            self.pass(d, c, station, op_auto);
                            self.leave(c, DONE);
                        } else {
                            self.fail(d, c, station, FailReason::Disqualified, op_auto, DONE);
                        }
                    }
                }
            }
        }
    }

    fn pass(&mut self, d: u32, c: u32, station: usize, auto: bool) {
        self.count(station, PAS);
        self.ev(d, c, station, EventKind::Passed, None, None, auto, 0);
    }

    fn fail(&mut self, d: u32, c: u32, station: usize, reason: FailReason, auto: bool, state: u8) {
        self.count(station, FAI);
        self.ev(
            d,
            c,
            station,
            EventKind::Failed,
            Some(reason),
            None,
            auto,
            0,
        );
        self.leave(c, state);
    }
}

fn cost(m: &Model, station: usize, auto: bool) -> f64 {
    let s = m.sc.stations.as_array()[station];
    if auto {
        s.automation_cost_minutes
    } else {
        s.human_cost_minutes
    }
}

fn assemble(
    scenario: &Scenario,
    m: &Model,
    shards: Vec<Shard>,
    brake: &[(f64, u32, bool)],
    opts: SimOptions,
) -> SimOutput {
    let n_acc = f64::from(scenario.scenario.accounts.max(1));
    let mut days = Vec::with_capacity(m.days as usize);
    let mut burned = 0u64;
    let mut started = 0u64;
    for (d, &(multiplier, halvings, frozen)) in brake.iter().enumerate() {
        let report = d >= m.warmup as usize;
        let mut c = Counters::default();
        for s in &shards {
            let x = &s.stats[d];
            for (cs, xs) in c.st.iter_mut().zip(x.st.iter()) {
                for (a, b) in cs.iter_mut().zip(xs.iter()) {
                    *a += b;
                }
            }
            c.touches += x.touches;
            c.auto_touches += x.auto_touches;
            c.optouts += x.optouts;
            c.hostile += x.hostile;
            c.bounces += x.bounces;
            c.burned += x.burned;
            c.started += x.started;
            c.cost += x.cost;
        }
        burned += u64::from(c.burned);
        started += u64::from(c.started);
        let stations = STATION_IDS
            .iter()
            .zip(c.st.iter())
            .map(|(id, v)| {
                let disp = v[PAS] + v[FAI] + v[REC];
                StationDay {
                    station: (*id).to_string(),
                    entered: u64::from(v[ENT]),
                    passed: u64::from(v[PAS]),
                    failed: u64::from(v[FAI]),
                    recycled: u64::from(v[REC]),
                    yield_: (disp > 0).then(|| f64::from(v[PAS]) / f64::from(disp)),
                }
            })
            .collect();
        let touches = u64::from(c.touches);
        if !report {
            continue;
        }
        days.push(DayRecord {
            day: d as u32 - m.warmup,
            date: m.cal.date(d as u32).to_string(),
            automation_multiplier: multiplier,
            brake_halvings: halvings,
            scaleup_frozen: frozen,
            touches,
            automated_touches: u64::from(c.auto_touches),
            qualified: u64::from(c.st[ST_QUAL][PAS]),
            yield_per_touch: if touches == 0 {
                0.0
            } else {
                f64::from(c.st[ST_TOUCH][PAS]) / touches as f64
            },
            burned_share: burned as f64 / n_acc,
            fresh_remaining: u64::from(scenario.scenario.accounts).saturating_sub(started),
            burned_accounts: burned,
            optouts: u64::from(c.optouts),
            hostile_replies: u64::from(c.hostile),
            bounces: u64::from(c.bounces),
            cost_minutes: c.cost,
            stations,
        });
    }
    let mut territory = Vec::new();
    let mut events = Vec::new();
    if opts.record_events {
        let mut keyed: Vec<(u16, u16, usize, usize, SimEvent)> = Vec::new();
        for s in &shards {
            for (ci, &a) in s.c_acc.iter().enumerate() {
                territory.push(TerritoryContact {
                    contact: s.contact_base + ci as u32,
                    account: s.acc_base + a,
                    tier: s.a_tier[a as usize] + 1,
                });
            }
            for (i, e) in s.events.iter().enumerate() {
                let a = s.c_acc[e.contact as usize];
                keyed.push((
                    e.day,
                    e.minute,
                    s.idx,
                    i,
                    SimEvent {
                        day: u32::from(e.day),
                        minute: u32::from(e.minute),
                        contact: s.contact_base + e.contact,
                        account: s.acc_base + a,
                        station: e.station,
                        kind: e.kind,
                        reason: e.reason,
                        resume_day: (e.kind == EventKind::Recycled).then_some(e.resume_day),
                        channel: e.channel,
                        automated: e.automated,
                        cost_minutes: match e.kind {
                            EventKind::Entered | EventKind::Optout => 0.0,
                            EventKind::Touch => cost(m, ST_TOUCH, e.automated),
                            _ if usize::from(e.station) == ST_TOUCH => 0.0,
                            _ => cost(m, usize::from(e.station), e.automated),
                        },
                    },
                ));
            }
        }
        keyed.sort_by_key(|k| (k.0, k.1, k.2, k.3));
        events = keyed.into_iter().map(|k| k.4).collect();
    }
    let mut echoed = scenario.clone();
    echoed.scenario.shards = m.n_shards as u32;
    SimOutput {
        summary: summarize(&days),
        scenario: echoed,
        days,
        territory,
        events,
    }
}

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
//! opt-out brake and the scale-up governor sum (in any order) between days; so a run
//! depends on the scenario (seed and shard count included) and never on the thread
//! count or scheduling. Times of day come from a second stream per shard that only
//! recording uses, so recording events does not change the run; the day-to-day yield
//! wobble comes from one stream of the master seed, shared by every shard.
//!
//! # Allocation
//! Every queue is a ring buffer reserved for the shard's contact count at start (a
//! contact is in at most one queue), so the day loop does not allocate unless events
//! are recorded.
//!
//! # Modules
//! [`model`] (the scenario compiled into tables), [`shard`] (state and the day's
//! steps), [`touch`] (sequences at the touch station), [`downstream`] (replies,
//! booking, meetings, qualification), [`record`] (the event log and its clock),
//! [`assemble`] (day records, territory and log of the whole run).

mod assemble;
mod downstream;
mod model;
mod record;
mod shard;
mod touch;

use rayon::prelude::*;

use crate::template::QUALIFIED;
use crate::{Scenario, SimError, SimOutput};
use model::Model;
use shard::{PAS, Shard};

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
        .collect();
    let mut base = 0u32;
    for s in &mut shards {
        s.contact_base = base;
        base += s.contacts() as u32;
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
    assemble::assemble(scenario, &model, shards, &brake.used)
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
                    o[i / w as usize] += u64::from(c.st[QUALIFIED][PAS]);
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

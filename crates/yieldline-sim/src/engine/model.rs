//! The scenario compiled into what the day loop reads: capacities, the calendar, the
//! ramp, the guardrails, the propensity distributions, the experiment's arms and the
//! per-day adjustments of every station's pass chance (drifts and wobble).

use rand::SeedableRng;
use rand_distr::{Beta, Distribution, StandardNormal};
use rand_pcg::Pcg64Mcg;

use crate::calendar::Calendar;
use crate::scenario::ExperimentParams;
use crate::splitmix64;
use crate::template::{STATIONS, station_ids};
use crate::{Scenario, SimError};

/// Stream tag of the day-to-day wobble (shared by all shards).
const WOBBLE_STREAM: u64 = 0x5749_4242_4c45; // "WIBBLE"
/// Autocorrelation of the wobble from one working day to the next.
const WOBBLE_PHI: f64 = 0.7;

/// One arm's effects, or (index 0) none.
#[derive(Debug, Clone, Copy)]
pub(super) struct ArmModel {
    /// Automation works the arm's sequences.
    pub auto: bool,
    pub reply: f64,
    pub risk: f64,
    pub positive: f64,
    pub booking: f64,
    pub show: f64,
    pub qualify: f64,
}

impl ArmModel {
    const NONE: ArmModel = ArmModel {
        auto: false,
        reply: 1.0,
        risk: 1.0,
        positive: 1.0,
        booking: 1.0,
        show: 1.0,
        qualify: 1.0,
    };
}

/// The experiment as the engine runs it.
pub(super) struct Trial {
    /// Simulated days `[from, to)` in which new sequences are in the experiment.
    pub from: u32,
    pub to: u32,
    /// Randomized by contact (else by account).
    pub by_contact: bool,
    pub salt: String,
    pub weights: Vec<f64>,
}

pub(super) struct Model {
    pub sc: Scenario,
    pub cal: Calendar,
    pub warmup: u32,
    /// First simulated day whose events are recorded.
    pub record_from: u32,
    pub n_shards: usize,
    pub days: u32,
    pub cap_h: [u32; STATIONS],
    pub cap_a_base: [u32; STATIONS],
    pub mult: Vec<f64>,
    pub max_optout_rate: Option<f64>,
    pub freeze_below: Option<f64>,
    pub seq_len: [u8; 2],
    pub interval: u32,
    pub rest_cal: u32,
    pub not_now_cal: (u32, u32),
    pub max_rounds: u8,
    pub cap30: usize,
    pub max_active: u8,
    pub heat_decay: f64,
    pub betas: [Beta<f64>; 3],
    /// Cumulative channel shares (phone, phone + social) of human and automated touches.
    pub channels: [[f64; 2]; 2],
    /// Whether automated touches draw a channel (they do not when all are e-mails).
    pub auto_channel_draw: bool,
    /// Automation enrols new sequences outside an experiment's window.
    pub auto_starts: bool,
    /// Arm effects: index 0 = no arm, `k + 1` = arm `k`.
    pub arms: Vec<ArmModel>,
    pub trial: Option<Trial>,
    /// Per simulated day and station: (multiplier, log-odds shift) of the pass chance;
    /// empty when the scenario has neither drifts nor wobble.
    pub adjust: Vec<[(f64, f64); STATIONS]>,
}

impl Model {
    pub fn new(sc: &Scenario) -> Result<Model, SimError> {
        let cal = sc.calendar()?;
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
        let channel = |c: [f64; 3]| [c[1], c[1] + c[2]];
        let (arms, trial) = match &sc.experiment {
            Some(x) => trial(x, warmup, days),
            None => (vec![ArmModel::NONE], None),
        };
        Ok(Model {
            warmup,
            record_from: if sc.scenario.record_warmup { 0 } else { warmup },
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
            not_now_cal: (p.not_now_days, p.not_now_days_max.max(p.not_now_days)),
            max_rounds: p.max_sequences_per_contact as u8,
            cap30: g.map_or(usize::MAX, |g| g.max_touches_per_contact_30d as usize),
            max_active: g.map_or(u8::MAX, |g| g.max_active_contacts_per_account as u8),
            heat_decay: std::f64::consts::LN_2 / sc.response.heat_half_life_days,
            betas: [beta(0)?, beta(1)?, beta(2)?],
            channels: [channel(p.human_channels), channel(p.automation_channels)],
            auto_channel_draw: p.automation_channels[0] < 1.0,
            auto_starts: p.automation_starts_sequences,
            arms,
            trial,
            adjust: adjustments(sc, warmup, days),
            cal,
            sc: sc.clone(),
        })
    }

    /// Shard `shard`'s share of a global daily capacity `total` on day `day`.
    pub fn share(&self, total: u32, shard: usize, day: u32) -> u32 {
        let n = self.n_shards as u64;
        let (base, rem) = (u64::from(total) / n, u64::from(total) % n);
        let offset = (u64::from(day) * rem) % n;
        let pos = (shard as u64 + n - offset) % n;
        (base + u64::from(pos < rem)) as u32
    }

    /// The pass chance `p` of station `s` on day `d`, after drifts and wobble.
    pub fn adjust(&self, d: u32, s: usize, p: f64) -> f64 {
        let Some(&(mult, shift)) = self.adjust.get(d as usize).map(|a| &a[s]) else {
            return p;
        };
        let p = (p * mult).clamp(0.0, 1.0);
        // The wobble moves uncertain chances only: 0 and 1 stay.
        if shift == 0.0 || p == 0.0 || p == 1.0 {
            return p;
        }
        let q = p.clamp(1e-9, 1.0 - 1e-9);
        1.0 / (1.0 + (-((q / (1.0 - q)).ln() + shift)).exp())
    }

    /// Whether a sequence started on day `d` is in the experiment.
    pub fn in_trial(&self, d: u32) -> bool {
        self.trial
            .as_ref()
            .is_some_and(|t| (t.from..t.to).contains(&d))
    }

    /// Effort of one disposition (or touch, at the touch station).
    pub fn cost(&self, station: usize, auto: bool) -> f64 {
        let s = &self.sc.stations[station];
        if auto {
            s.automation_cost_minutes
        } else {
            s.human_cost_minutes
        }
    }
}

/// The arms' effects and the experiment's window in simulated days.
fn trial(x: &ExperimentParams, warmup: u32, days: u32) -> (Vec<ArmModel>, Option<Trial>) {
    let mut arms = vec![ArmModel::NONE];
    arms.extend(x.arms.iter().map(|a| ArmModel {
        auto: a.automated(),
        reply: a.reply_multiplier,
        risk: a.risk_multiplier,
        positive: a.positive_multiplier,
        booking: a.booking_multiplier,
        show: a.show_multiplier,
        qualify: a.qualify_multiplier,
    }));
    let to = if x.end_day == 0 {
        days
    } else {
        warmup + x.end_day
    };
    let trial = Trial {
        from: warmup + x.start_day,
        to,
        by_contact: x.unit == "contact",
        salt: x.resolved_salt().to_owned(),
        weights: x.weights(),
    };
    (arms, Some(trial))
}

/// Per day and station, the drifts' multiplier and the wobble's log-odds shift.
fn adjustments(sc: &Scenario, warmup: u32, days: u32) -> Vec<[(f64, f64); STATIONS]> {
    let sigma = sc.response.yield_wobble;
    if sc.drift.is_empty() && sigma == 0.0 {
        return Vec::new();
    }
    let ids = station_ids();
    let mut out = vec![[(1.0, 0.0); STATIONS]; days as usize];
    for dr in &sc.drift {
        let Some(s) = ids.iter().position(|id| *id == dr.station) else {
            continue;
        };
        for day in out.iter_mut().skip((warmup + dr.day) as usize) {
            day[s].0 *= dr.yield_multiplier;
        }
    }
    if sigma > 0.0 {
        let mut rng =
            Pcg64Mcg::seed_from_u64(splitmix64(sc.scenario.seed ^ splitmix64(WOBBLE_STREAM)));
        let innovation = sigma * (1.0 - WOBBLE_PHI * WOBBLE_PHI).sqrt();
        let mut state: Option<[f64; STATIONS]> = None;
        for day in out.iter_mut() {
            let mut next = [0.0f64; STATIONS];
            for (i, x) in next.iter_mut().enumerate() {
                let z: f64 = StandardNormal.sample(&mut rng);
                // The first day starts from the stationary distribution.
                *x = match state {
                    Some(prev) => WOBBLE_PHI * prev[i] + innovation * z,
                    None => sigma * z,
                };
                day[i].1 = *x;
            }
            state = Some(next);
        }
    }
    out
}

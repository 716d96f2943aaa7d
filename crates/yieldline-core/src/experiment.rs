//! Experiments (DESIGN §6): a randomized comparison of arms at one station — the
//! definition and its validation, the assignment of units to arms, and the analysis
//! that turns the event log into a verdict (`ship`, `roll back`, `keep running`).
//!
//! # Assignment
//!
//! The arm of a unit is a pure, documented function of the experiment's salt and the
//! unit's *randomization id*, so anyone can recompute it ([`assign_arm`]):
//!
//! ```text
//! h   = xxh3_64(UTF-8 bytes of salt + ":" + id)     XXH3, 64-bit, seed 0
//! u   = (h >> 11) / 2^53                            uniform in [0, 1)
//! arm = the first index i with w_0 + … + w_i > u·Σw  (weights normalised to sum 1)
//! ```
//!
//! In Python: `u = (xxhash.xxh3_64_intdigest(f"{salt}:{id}".encode()) >> 11) / 2**53`.
//! The randomization id is the account id (`unit = account`, the default, so colleagues
//! at one company get the same treatment and reps are not split into winners and
//! losers), the contact id (`unit = contact`), or the ISO week `YYYY-Www` of the day
//! (`unit = week`, a switchback design: every unit worked in a calendar week gets that
//! week's arm).
//!
//! A *holdout* arm gets no touch at the station: dispatch skips its units
//! ([`ExperimentDef::is_holdout`]) and records only their `entered` with the arm, so what
//! they still produce (inbound replies, meetings) measures the incremental effect of
//! outreach.
//!
//! # Analysis
//!
//! [`analyze`] works on plain data ([`ExperimentData`]) that the store hands it:
//!
//! * **Membership.** A unit belongs to the arm recorded on its events at the station
//!   within the window `[start, min(stop, as_of))`: for ordinary arms its disposition
//!   events (units still in WIP are not yet measured), for the holdout arm any event
//!   (holdout units are not worked, so they normally have no disposition). A unit seen
//!   in two arms stays in the arm of its earliest event and is counted as a crossover;
//!   events carrying an arm the experiment does not have are ignored with a warning.
//!   The unit's *exposure* is its earliest event at the station in the window.
//! * **Per arm.** Units, dispositions, passed, `yield = passed / dispositions` with a
//!   95 % Wilson interval; for every station after the experiment's, the share of the
//!   arm's units that passed it after exposure and before `as_of`; the guardrail rates
//!   `optout_rate` (units with an `optout` event or a `failed` with reason `optout`)
//!   and `negative_rate` (units `failed` with reason `negative`), after exposure.
//! * **Comparisons.** Each non-control arm (sample 1) against the control (sample 2)
//!   on the primary metric: the station's yield, or, when either arm is the holdout,
//!   the per-unit pass rate of the holdout metric station (default: the line's last
//!   station) — the incremental effect of outreach. `diff` with the Newcombe interval,
//!   `lift = p1/p2 − 1` with the log (Katz) ratio interval minus 1, the pooled z-test
//!   p-value, the Bayesian chance to beat control (Beta(1, 1) priors), and the
//!   always-valid p-value of the normal-mixture SPRT over **daily looks**: the
//!   cumulative counts at the end of each local day (the line's time zone) from the
//!   start's day to the analysis day. The mixing variance τ² is set per experiment
//!   (default [`DEFAULT_TAU2`] = 1e-4, τ = one percentage point; see
//!   [`yieldline_stats::sequential`]).
//! * **Cluster-robust variance.** When the line's unit is the contact but the
//!   randomization is by account (or by week), contacts are not independent: yields are
//!   ratios of per-cluster sums ([`cluster_ratio`]) with delta-method variance, the
//!   difference and its p-value by [`cluster_diff`], the lift interval by the delta
//!   method on the log ratio (`var ln r ≈ var r / r²`). The chance to beat and the
//!   always-valid p-value use *effective* counts: each arm's counts divided by its
//!   design effect (cluster-robust variance / binomial variance, at least 1). The
//!   output says which: `"variance": "binomial"`, `"cluster-robust (account)"` or
//!   `"cluster-robust (week)"`.
//! * **Sample-ratio mismatch.** Pearson's chi-square of the randomization-unit counts
//!   per arm (accounts, contacts or weeks) against the weights; `srm_p` <
//!   [`SRM_ALPHA`] means assignment or logging is broken: the analysis warns and gives
//!   no verdict (`"decision": "no verdict"`).
//!
//! # Verdict
//!
//! Guardrails first. A guardrail `METRIC:MARGIN` is breached when the 95 % interval of
//! `arm − control` on that metric lies entirely beyond the margin in the bad direction:
//! `lo > margin` for lower-is-better metrics (`optout_rate`, `negative_rate`),
//! `hi < −margin` for higher-is-better ones (a downstream station's per-unit rate).
//! Any breach → **roll back**. Otherwise an arm better on the primary metric with
//! always-valid p < 0.05 → **ship**; an arm worse with always-valid p < 0.05 → **roll
//! back**; else **keep running**, with the estimated working days to a decision: if
//! the observed rates held, the variance of the difference after `N` more trials
//! (split as so far) is `V(N) = c / N`; the smallest `N` at which the mixture
//! likelihood ratio reaches `1/0.05` is found by bisection, and the trials still
//! needed are divided by the trials per working day seen in the window.

use std::collections::{BTreeMap, HashMap};

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use yieldline_stats::StatsError;
use yieldline_stats::proportion::{Z95, wilson};
use yieldline_stats::sequential::{Look, MixtureSprt};
use yieldline_stats::twosample::{
    RatioEstimate, chance_to_beat, cluster_diff, cluster_ratio, newcombe_diff_ci, ratio_log_ci,
    srm_chi_square, ztest_pooled,
};

use crate::calendar::{local_date, working_days_between};
use crate::event::EventKind;
use crate::line::{Line, UnitKind};

/// Default mixing variance τ² of the always-valid p-value (τ = one percentage point).
pub const DEFAULT_TAU2: f64 = MixtureSprt::DEFAULT_TAU2;
/// Below this sample-ratio-mismatch p-value, assignment is considered broken.
pub const SRM_ALPHA: f64 = 0.001;
/// Significance level of the verdict (always-valid p) and of the intervals (95 %).
pub const ALPHA: f64 = 0.05;
/// The local dates an experiment may start or stop on (checked by
/// [`ExperimentDef::validate`]): a start in 9999 is a typo, not a plan.
pub const EXPERIMENT_DATES: std::ops::RangeInclusive<Date> =
    Date::constant(2000, 1, 1)..=Date::constant(2100, 12, 31);
/// Most arms an experiment may have.
pub const MAX_ARMS: usize = 100;
/// Guardrail metric: share of units that opted out.
pub const OPTOUT_RATE: &str = "optout_rate";
/// Guardrail metric: share of units that failed with reason `negative`.
pub const NEGATIVE_RATE: &str = "negative_rate";

/// Assigns `id` to an arm: a pure function anyone can recompute (see the
/// [module docs](self)).
///
/// `h = xxh3_64(UTF-8 bytes of salt + ":" + id)` (XXH3, 64-bit, seed 0);
/// `u = (h >> 11) / 2^53`, uniform in `[0, 1)`; the arm is the first index whose
/// cumulative normalised weight exceeds `u`. Negative, NaN or infinite weights count as
/// zero; with no positive weight the answer is 0. An arm of weight zero is never chosen.
pub fn assign_arm(salt: &str, id: &str, weights: &[f64]) -> usize {
    let u = unit_interval(salt, id);
    let w = |x: f64| if x.is_finite() && x > 0.0 { x } else { 0.0 };
    let total: f64 = weights.iter().map(|&x| w(x)).sum();
    if total <= 0.0 || !total.is_finite() {
        return 0;
    }
    let mut cumulative = 0.0;
    let mut last_positive = 0;
    for (i, &x) in weights.iter().enumerate() {
        let x = w(x);
        if x > 0.0 {
            cumulative += x / total;
            last_positive = i;
            if cumulative > u {
                return i;
            }
        }
    }
    // Rounding left the sum a hair below u: the last arm that can be chosen.
    last_positive
}

/// The uniform draw `u = (xxh3_64(salt + ":" + id) >> 11) / 2^53` behind [`assign_arm`].
pub fn unit_interval(salt: &str, id: &str) -> f64 {
    let mut key = String::with_capacity(salt.len() + 1 + id.len());
    key.push_str(salt);
    key.push(':');
    key.push_str(id);
    let h = xxhash_rust::xxh3::xxh3_64(key.as_bytes());
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// The ISO week of a date, `YYYY-Www` (e.g. `2025-W07`): the randomization id of a
/// switchback experiment.
pub fn iso_week(date: Date) -> String {
    let w = date.iso_week_date();
    format!("{:04}-W{:02}", w.year(), w.week())
}

/// What is randomized.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum RandomizationUnit {
    /// The account: every contact of a company gets the same arm (the default).
    #[default]
    Account,
    /// The contact.
    Contact,
    /// The calendar week (switchback): every unit worked in a week gets its arm.
    Week,
}

impl RandomizationUnit {
    /// Parses `account`, `contact` or `week`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "account" => Some(Self::Account),
            "contact" => Some(Self::Contact),
            "week" => Some(Self::Week),
            _ => None,
        }
    }

    /// The name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Account => "account",
            Self::Contact => "contact",
            Self::Week => "week",
        }
    }
}

/// One arm of an experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArmDef {
    /// The arm's name, as recorded in events' `arm` field.
    pub name: String,
    /// Relative weight (need not sum to 1 over the arms).
    pub weight: f64,
}

/// A guardrail: a metric the treatment must not make worse by more than `margin`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Guardrail {
    /// `optout_rate`, `negative_rate` (lower is better) or a station id after the
    /// experiment's station (its per-unit pass rate; higher is better).
    pub metric: String,
    /// Largest acceptable worsening, as an absolute difference of rates (0.005 = 0.5
    /// percentage points).
    pub margin: f64,
}

impl Guardrail {
    /// Parses `METRIC:MARGIN`, e.g. `optout_rate:0.003` or `qualified:0.01`. The margin
    /// may also be written in percentage points with a `%` suffix (`0.3%`).
    pub fn parse(text: &str) -> Result<Self, ExperimentError> {
        let bad = |why: &str| ExperimentError::BadGuardrail {
            text: text.to_owned(),
            why: why.to_owned(),
        };
        let (metric, margin) = text
            .rsplit_once(':')
            .ok_or_else(|| bad("expected METRIC:MARGIN, e.g. optout_rate:0.003"))?;
        let metric = metric.trim();
        if metric.is_empty() {
            return Err(bad("the metric is empty"));
        }
        let margin = margin.trim();
        let value = match margin.strip_suffix('%') {
            Some(p) => p.trim().parse::<f64>().map(|v| v / 100.0),
            None => margin.parse::<f64>(),
        }
        .map_err(|_| bad("the margin is not a number"))?;
        if !(value.is_finite() && (0.0..1.0).contains(&value)) {
            return Err(bad("the margin must be a rate difference in [0, 1)"));
        }
        Ok(Self {
            metric: metric.to_owned(),
            margin: value,
        })
    }

    /// Whether a lower value of the metric is better (opt-outs, negative replies).
    pub fn lower_is_better(&self) -> bool {
        is_lower_better(&self.metric)
    }
}

fn is_lower_better(metric: &str) -> bool {
    metric == OPTOUT_RATE || metric == NEGATIVE_RATE
}

/// An experiment's definition, as stored in the workspace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperimentDef {
    /// Stable id, `[A-Za-z0-9._-]+`.
    pub id: String,
    /// The station where the arms differ.
    pub station: String,
    /// The arms, in assignment order.
    pub arms: Vec<ArmDef>,
    /// The control arm's name.
    pub control: String,
    /// What is randomized.
    #[serde(default)]
    pub unit: RandomizationUnit,
    /// Assignment salt.
    pub salt: String,
    /// Start of the experiment (events before it are not analysed).
    pub start: Timestamp,
    /// When the experiment was stopped (exclusive end), if it was.
    #[serde(default)]
    pub stop: Option<Timestamp>,
    /// Guardrails, checked before the primary metric.
    #[serde(default)]
    pub guardrails: Vec<Guardrail>,
    /// The arm whose units get no touch at the station, if any.
    #[serde(default)]
    pub holdout: Option<String>,
    /// The downstream station whose per-unit pass rate is the primary metric of
    /// comparisons with the holdout (default: the line's last station).
    #[serde(default)]
    pub holdout_metric: Option<String>,
    /// Mixing variance τ² of the always-valid p-value.
    #[serde(default = "default_tau2")]
    pub tau2: f64,
}

fn default_tau2() -> f64 {
    DEFAULT_TAU2
}

/// Whether `id` is a well-formed experiment id: `[A-Za-z0-9._-]+`, at most 64 bytes.
pub fn is_experiment_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

/// Splits a comma-separated list, trimming items (`"a, b"` → `["a", "b"]`).
pub fn split_list(text: &str) -> Vec<String> {
    text.split(',').map(|s| s.trim().to_owned()).collect()
}

/// Parses comma-separated weights (`"50,50"`).
pub fn parse_weights(text: &str) -> Result<Vec<f64>, ExperimentError> {
    split_list(text)
        .iter()
        .map(|w| {
            w.parse::<f64>()
                .map_err(|_| ExperimentError::Invalid(format!("weight {w:?} is not a number")))
        })
        .collect()
}

impl ExperimentDef {
    /// Checks the definition against the line; every rule has its own clear message.
    pub fn validate(&self, line: &Line) -> Result<(), ExperimentError> {
        if !is_experiment_id(&self.id) {
            return Err(ExperimentError::Invalid(format!(
                "malformed experiment id {:?}: use letters, digits, '.', '_' and '-' (at most 64)",
                self.id
            )));
        }
        let Some(st) = line.station_index(&self.station) else {
            return Err(ExperimentError::UnknownStation {
                station: self.station.clone(),
                known: known_stations(line),
            });
        };
        if self.arms.len() < 2 {
            return Err(ExperimentError::Invalid(format!(
                "an experiment needs at least 2 arms, got {}",
                self.arms.len()
            )));
        }
        for (i, a) in self.arms.iter().enumerate() {
            let ok = !a.name.is_empty()
                && a.name.len() <= 64
                && a.name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
            if !ok {
                return Err(ExperimentError::Invalid(format!(
                    "malformed arm name {:?}: use letters, digits, '.', '_' and '-'",
                    a.name
                )));
            }
            if self.arms[..i].iter().any(|b| b.name == a.name) {
                return Err(ExperimentError::Invalid(format!(
                    "arm {:?} is listed twice",
                    a.name
                )));
            }
            if !(a.weight.is_finite() && a.weight >= 0.0) {
                return Err(ExperimentError::Invalid(format!(
                    "the weight of arm {:?} must be a finite number ≥ 0, got {}",
                    a.name, a.weight
                )));
            }
        }
        let total: f64 = self.arms.iter().map(|a| a.weight).sum();
        if !(total.is_finite() && total > 0.0) {
            return Err(ExperimentError::Invalid(
                "the weights must sum to a positive number".into(),
            ));
        }
        if let Some(a) = self.arms.iter().find(|a| a.weight == 0.0) {
            return Err(ExperimentError::Invalid(format!(
                "arm {:?} has weight 0 and would never be assigned: drop it",
                a.name
            )));
        }
        if self.arm_index(&self.control).is_none() {
            return Err(ExperimentError::UnknownArm {
                arm: self.control.clone(),
                arms: self.arm_names(),
            });
        }
        if let Some(h) = &self.holdout
            && self.arm_index(h).is_none()
        {
            return Err(ExperimentError::UnknownArm {
                arm: h.clone(),
                arms: self.arm_names(),
            });
        }
        if self.unit == RandomizationUnit::Contact && line.unit == UnitKind::Account {
            return Err(ExperimentError::Invalid(
                "the line's unit is the account: randomize by account (or week), not by contact"
                    .into(),
            ));
        }
        if self.salt.is_empty() {
            return Err(ExperimentError::Invalid(
                "the salt must not be empty".into(),
            ));
        }
        for (what, at) in [("start", Some(self.start)), ("stop", self.stop)] {
            let Some(at) = at else { continue };
            let day = local_date(line, at);
            if !EXPERIMENT_DATES.contains(&day) {
                return Err(ExperimentError::Invalid(format!(
                    "the {what} {at} (local date {day}) is outside {} to {}: a typo in the year?",
                    EXPERIMENT_DATES.start(),
                    EXPERIMENT_DATES.end()
                )));
            }
        }
        if let Some(stop) = self.stop
            && stop < self.start
        {
            return Err(ExperimentError::Invalid(format!(
                "stop {stop} is before the start {}",
                self.start
            )));
        }
        if !(self.tau2.is_finite() && self.tau2 > 0.0 && self.tau2 <= 1.0) {
            return Err(ExperimentError::Invalid(format!(
                "tau2 must be a number in (0, 1] (the variance of an effect on a rate), got {}",
                self.tau2
            )));
        }
        if self.arms.len() > MAX_ARMS {
            return Err(ExperimentError::Invalid(format!(
                "an experiment has at most {MAX_ARMS} arms, got {}",
                self.arms.len()
            )));
        }
        let downstream: Vec<String> = line.stations[st + 1..]
            .iter()
            .map(|s| s.id.clone())
            .collect();
        for g in &self.guardrails {
            if !(g.metric == OPTOUT_RATE
                || g.metric == NEGATIVE_RATE
                || downstream.contains(&g.metric))
            {
                return Err(ExperimentError::BadGuardrail {
                    text: format!("{}:{}", g.metric, g.margin),
                    why: format!(
                        "unknown metric {:?}: use {OPTOUT_RATE}, {NEGATIVE_RATE} or a station after {} ({})",
                        g.metric,
                        self.station,
                        if downstream.is_empty() {
                            "none".to_owned()
                        } else {
                            downstream.join(", ")
                        }
                    ),
                });
            }
            if !(g.margin.is_finite() && (0.0..1.0).contains(&g.margin)) {
                return Err(ExperimentError::BadGuardrail {
                    text: format!("{}:{}", g.metric, g.margin),
                    why: "the margin must be a rate difference in [0, 1)".into(),
                });
            }
        }
        if let Some(m) = &self.holdout_metric
            && !downstream.contains(m)
        {
            return Err(ExperimentError::Invalid(format!(
                "holdout metric {m:?} must be a station after {} ({})",
                self.station,
                if downstream.is_empty() {
                    "none".to_owned()
                } else {
                    downstream.join(", ")
                }
            )));
        }
        if self.holdout.is_some() && downstream.is_empty() && self.holdout_metric.is_none() {
            return Err(ExperimentError::Invalid(format!(
                "a holdout is measured by what its units produce at later stations, and {} is the line's last station",
                self.station
            )));
        }
        Ok(())
    }

    /// The definition as JSON (how the store keeps it).
    pub fn to_json(&self) -> String {
        // Serialising plain fields and a timestamp cannot fail; fall back to an empty object.
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }

    /// Reads a definition written by [`ExperimentDef::to_json`].
    pub fn from_json(text: &str) -> Result<Self, ExperimentError> {
        serde_json::from_str(text)
            .map_err(|e| ExperimentError::Invalid(format!("unreadable experiment definition: {e}")))
    }

    /// Position of an arm by name.
    pub fn arm_index(&self, name: &str) -> Option<usize> {
        self.arms.iter().position(|a| a.name == name)
    }

    /// The arms' names, in order.
    pub fn arm_names(&self) -> Vec<String> {
        self.arms.iter().map(|a| a.name.clone()).collect()
    }

    /// The arms' weights, in order.
    pub fn weights(&self) -> Vec<f64> {
        self.arms.iter().map(|a| a.weight).collect()
    }

    /// The randomization id of a unit: its account, itself, or the ISO week of `date`.
    /// `account` may be `None` only when the randomization is not by account.
    pub fn randomization_id<'a>(
        &self,
        unit_id: &'a str,
        account_id: Option<&'a str>,
        date: Date,
    ) -> Option<String> {
        match self.unit {
            RandomizationUnit::Account => account_id.map(str::to_owned),
            RandomizationUnit::Contact => Some(unit_id.to_owned()),
            RandomizationUnit::Week => Some(iso_week(date)),
        }
    }

    /// The arm of a unit on `date` (the date matters only for `unit = week`), or `None`
    /// when the randomization is by account and the account is unknown.
    pub fn arm_of(&self, unit_id: &str, account_id: Option<&str>, date: Date) -> Option<&ArmDef> {
        let id = self.randomization_id(unit_id, account_id, date)?;
        self.arms.get(assign_arm(&self.salt, &id, &self.weights()))
    }

    /// Whether the unit falls in the holdout arm on `date`: dispatch must not work it at
    /// the experiment's station (record its `entered` with the arm instead).
    pub fn is_holdout(&self, unit_id: &str, account_id: Option<&str>, date: Date) -> bool {
        match (&self.holdout, self.arm_of(unit_id, account_id, date)) {
            (Some(h), Some(arm)) => *h == arm.name,
            _ => false,
        }
    }

    /// Whether the experiment is running at `at` (started, not stopped).
    pub fn is_running(&self, at: Timestamp) -> bool {
        self.start <= at && self.stop.is_none_or(|s| at < s)
    }
}

fn known_stations(line: &Line) -> String {
    line.stations
        .iter()
        .map(|s| s.id.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Why an experiment cannot be defined or analysed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExperimentError {
    /// The station is not in the line.
    #[error("unknown station {station:?} (the line has: {known})")]
    UnknownStation {
        /// The station named.
        station: String,
        /// The line's stations.
        known: String,
    },
    /// An arm named (control, holdout) is not one of the experiment's arms.
    #[error("unknown arm {arm:?} (the experiment's arms are: {})", arms.join(", "))]
    UnknownArm {
        /// The arm named.
        arm: String,
        /// The experiment's arms.
        arms: Vec<String>,
    },
    /// A guardrail could not be parsed or names an unknown metric.
    #[error("bad guardrail {text:?}: {why}")]
    BadGuardrail {
        /// The guardrail as given.
        text: String,
        /// What is wrong.
        why: String,
    },
    /// Any other invalid definition.
    #[error("{0}")]
    Invalid(String),
    /// A statistic could not be computed.
    #[error("statistics: {0}")]
    Stats(#[from] StatsError),
}

// ---------------------------------------------------------------------------------
// Analysis input

/// One event as the analysis needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct ExperimentEvent {
    /// The unit (contact or account) id.
    pub unit: String,
    /// The unit's account.
    pub account: String,
    /// When it happened.
    pub ts: Timestamp,
    /// The station id.
    pub station: String,
    /// What happened.
    pub kind: EventKind,
    /// Failure reason, if any.
    pub reason: Option<String>,
    /// The arm recorded on the event, if any.
    pub arm: Option<String>,
}

/// What the store hands [`analyze`]: at least every event at the experiment's station
/// that carries an arm within the window, and, for the units among them, every
/// `passed`, `optout` and `failed` event at any station. Extra events are ignored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExperimentData {
    /// The events, in any order.
    pub events: Vec<ExperimentEvent>,
}

// ---------------------------------------------------------------------------------
// Analysis output

/// A rate with its Wilson interval (or a cluster-robust one).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rate {
    /// Units (or dispositions) counted in the numerator.
    pub count: u64,
    /// `count / units`, null without units.
    pub rate: Option<f64>,
    /// 95 % Wilson interval `[lo, hi]`.
    pub ci: Option<[f64; 2]>,
}

/// One arm's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArmResult {
    /// The arm's name.
    pub name: String,
    /// Planned weight, normalised to sum 1.
    pub weight: f64,
    /// Whether this is the control arm.
    pub control: bool,
    /// Whether this is the holdout arm.
    pub holdout: bool,
    /// Units in the arm (see the module docs for membership).
    pub units: u64,
    /// Distinct accounts of those units.
    pub accounts: u64,
    /// Randomization units (accounts, contacts or weeks) in the arm: the SRM counts.
    pub randomization_units: u64,
    /// Dispositions at the station in the window.
    pub dispositions: u64,
    /// Of those, passed.
    pub passed: u64,
    /// `passed / dispositions`.
    #[serde(rename = "yield")]
    pub yield_: Option<f64>,
    /// 95 % Wilson interval of the yield.
    pub yield_ci: Option<[f64; 2]>,
    /// Per later station: the share of the arm's units that passed it after exposure.
    pub downstream: BTreeMap<String, Rate>,
    /// `optout_rate` and `negative_rate`: shares of the arm's units.
    pub guardrails: BTreeMap<String, Rate>,
}

/// A guardrail checked for one comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GuardrailCheck {
    /// The metric.
    pub metric: String,
    /// The margin.
    pub margin: f64,
    /// Whether lower is better.
    pub lower_is_better: bool,
    /// `arm − control` on the metric.
    pub diff: Option<f64>,
    /// 95 % interval of the difference.
    pub diff_ci: Option<[f64; 2]>,
    /// Whether the interval lies entirely beyond the margin in the bad direction.
    pub breached: bool,
}

/// One arm against the control (arm = sample 1, control = sample 2).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// The compared arm.
    pub arm: String,
    /// The control arm.
    pub control: String,
    /// The primary metric: `yield` (the station's) or `<station> per unit` (holdout).
    pub metric: String,
    /// Sample 1 successes and trials on the metric.
    pub arm_counts: [u64; 2],
    /// Sample 2 successes and trials on the metric.
    pub control_counts: [u64; 2],
    /// `p1 − p2`.
    pub diff: Option<f64>,
    /// 95 % interval of the difference (Newcombe, or cluster-robust Wald).
    pub diff_ci: Option<[f64; 2]>,
    /// `p1 / p2 − 1`.
    pub lift: Option<f64>,
    /// 95 % interval of the lift (log method, or delta method on the log ratio).
    pub lift_ci: Option<[f64; 2]>,
    /// Two-sided p-value (pooled z-test, or cluster-robust z).
    pub p_value: Option<f64>,
    /// Posterior probability that the arm's rate beats the control's.
    pub chance_to_beat: Option<f64>,
    /// Always-valid p-value of the mixture SPRT over the daily looks.
    pub always_valid_p: Option<f64>,
    /// Daily looks the always-valid p-value is over.
    pub looks: usize,
    /// Guardrail checks.
    pub guardrails: Vec<GuardrailCheck>,
    /// Estimated working days until the always-valid p-value crosses 0.05 if the
    /// observed effect holds (0 when it already has; null when no decision is in sight).
    pub days_to_decision: Option<f64>,
    /// Why figures are missing, if they are.
    pub note: Option<String>,
}

/// The decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    /// `ship`, `roll back`, `keep running`, or `no verdict` (assignment broken).
    pub decision: String,
    /// Why, in one sentence.
    pub reason: String,
    /// The arm to ship or roll back, if any.
    pub arm: Option<String>,
    /// Estimated working days to a decision (keep running).
    pub days_to_decision: Option<f64>,
}

/// The analysis of an experiment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    /// The experiment's id.
    pub id: String,
    /// The station.
    pub station: String,
    /// What was randomized.
    pub unit: RandomizationUnit,
    /// `binomial`, `cluster-robust (account)` or `cluster-robust (week)`.
    pub variance: String,
    /// Start of the window.
    pub start: Timestamp,
    /// End of the window (exclusive): the stop, or `as_of`.
    pub end: Timestamp,
    /// The instant the analysis is as of.
    pub as_of: Timestamp,
    /// Whether the experiment was stopped.
    pub stopped: bool,
    /// τ² of the always-valid p-value.
    pub tau2: f64,
    /// Working days in the window.
    pub working_days: u32,
    /// The arms.
    pub arms: Vec<ArmResult>,
    /// Each non-control arm against the control.
    pub comparisons: Vec<Comparison>,
    /// Sample-ratio-mismatch p-value (null when it cannot be computed).
    pub srm_p: Option<f64>,
    /// Units seen in more than one arm (kept in their first arm).
    pub crossovers: u64,
    /// Things the reader must know (broken split, unknown arms, crossovers).
    pub warnings: Vec<String>,
    /// The decision.
    pub verdict: Verdict,
}

// ---------------------------------------------------------------------------------
// The analysis

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum VarianceMode {
    Binomial,
    Account,
    Week,
}

impl VarianceMode {
    fn label(self) -> &'static str {
        match self {
            Self::Binomial => "binomial",
            Self::Account => "cluster-robust (account)",
            Self::Week => "cluster-robust (week)",
        }
    }
}

/// One member unit's facts.
#[derive(Debug, Clone, Default)]
struct Member {
    arm: usize,
    account: String,
    exposure: i64,
    /// Dispositions in the arm: (ts, passed).
    dispositions: Vec<(i64, bool)>,
    /// Earliest pass after exposure, per station index.
    passes: HashMap<usize, i64>,
    optout: Option<i64>,
    negative: Option<i64>,
}

impl Member {
    fn cluster(&self, mode: VarianceMode, line: &Line, unit: &str) -> String {
        match mode {
            VarianceMode::Account => self.account.clone(),
            VarianceMode::Week => Timestamp::from_microsecond(self.exposure)
                .map(|t| iso_week(local_date(line, t)))
                .unwrap_or_default(),
            VarianceMode::Binomial => unit.to_owned(),
        }
    }

    /// The instant the unit counts as a success for a per-unit metric, if it does.
    fn success_at(&self, metric: &Metric) -> Option<i64> {
        match metric {
            Metric::Station(s) => self.passes.get(s).copied(),
            Metric::Optout => self.optout,
            Metric::Negative => self.negative,
            Metric::Yield => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Metric {
    Yield,
    Station(usize),
    Optout,
    Negative,
}

/// Counts of one arm on one metric: overall, per cluster and per look day.
#[derive(Debug, Clone, Default)]
struct Counts {
    k: u64,
    n: u64,
    clusters: BTreeMap<String, (f64, f64)>,
    /// Per day index: (successes, trials) added that day.
    daily: Vec<(u64, u64)>,
}

struct Ctx<'a> {
    line: &'a Line,
    mode: VarianceMode,
    day0: Date,
    days: usize,
    members: &'a [(String, Member)],
}

impl Ctx<'_> {
    fn day_index(&self, ts: i64) -> usize {
        let d = Timestamp::from_microsecond(ts).map_or(self.day0, |t| local_date(self.line, t));
        let i = d
            .since(self.day0)
            .map_or(0, |s| s.get_days().max(0) as usize);
        i.min(self.days.saturating_sub(1))
    }

    fn counts(&self, arm: usize, metric: &Metric) -> Counts {
        let mut c = Counts {
            daily: vec![(0, 0); self.days],
            ..Counts::default()
        };
        for (unit, m) in self.members.iter().filter(|(_, m)| m.arm == arm) {
            let key = m.cluster(self.mode, self.line, unit);
            let (mut k, mut n) = (0u64, 0u64);
            if *metric == Metric::Yield {
                for &(ts, passed) in &m.dispositions {
                    let d = self.day_index(ts);
                    n += 1;
                    c.daily[d].1 += 1;
                    if passed {
                        k += 1;
                        c.daily[d].0 += 1;
                    }
                }
            } else {
                n = 1;
                c.daily[self.day_index(m.exposure)].1 += 1;
                if let Some(ts) = m.success_at(metric) {
                    k = 1;
                    c.daily[self.day_index(ts)].0 += 1;
                }
            }
            c.k += k;
            c.n += n;
            let e = c.clusters.entry(key).or_insert((0.0, 0.0));
            e.0 += k as f64;
            e.1 += n as f64;
        }
        c
    }

    fn rate(&self, arm: usize, metric: &Metric) -> Rate {
        let c = self.counts(arm, metric);
        Rate {
            count: c.k,
            rate: (c.n > 0).then(|| c.k as f64 / c.n as f64),
            ci: wilson(c.k, c.n, Z95).map(|i| [i.lo, i.hi]),
        }
    }
}

/// A two-arm comparison on one metric.
#[derive(Debug, Clone, Default)]
struct Compared {
    diff: Option<f64>,
    diff_ci: Option<[f64; 2]>,
    lift: Option<f64>,
    lift_ci: Option<[f64; 2]>,
    p_value: Option<f64>,
    chance_to_beat: Option<f64>,
    /// Design effects of the two arms (1 when binomial).
    deff: (f64, f64),
    note: Option<String>,
}

fn compare(mode: VarianceMode, t: &Counts, c: &Counts) -> Compared {
    let mut out = Compared {
        deff: (1.0, 1.0),
        ..Compared::default()
    };
    if t.n == 0 || c.n == 0 {
        out.note = Some("not enough data: an arm has no trials yet".into());
        return out;
    }
    let p1 = t.k as f64 / t.n as f64;
    let p2 = c.k as f64 / c.n as f64;
    out.diff = Some(p1 - p2);
    out.lift = (p2 > 0.0).then(|| p1 / p2 - 1.0);
    if mode == VarianceMode::Binomial {
        out.diff_ci = newcombe_diff_ci(t.k, t.n, c.k, c.n, ALPHA)
            .ok()
            .map(|i| [i.lo, i.hi]);
        out.lift_ci = ratio_log_ci(t.k, t.n, c.k, c.n, ALPHA)
            .ok()
            .map(|i| [i.lo - 1.0, i.hi - 1.0]);
        out.p_value = ztest_pooled(t.k, t.n, c.k, c.n).ok().map(|z| z.p_value);
        out.chance_to_beat = chance_to_beat(t.k, t.n, c.k, c.n).ok();
        return out;
    }
    let ct: Vec<(f64, f64)> = t.clusters.values().copied().collect();
    let cc: Vec<(f64, f64)> = c.clusters.values().copied().collect();
    let (et, ec) = match (cluster_ratio(&ct), cluster_ratio(&cc)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => {
            out.note = Some(format!("not enough data for cluster-robust variance: {e}"));
            return out;
        }
    };
    out.deff = (design_effect(&et, t), design_effect(&ec, c));
    match cluster_diff(&et, &ec, ALPHA) {
        Ok(d) => {
            out.diff_ci = Some([d.ci.lo, d.ci.hi]);
            out.p_value = Some(d.p_value);
        }
        Err(e) => out.note = Some(format!("no cluster-robust interval: {e}")),
    }
    if et.ratio > 0.0 && ec.ratio > 0.0 {
        let se = (et.variance / (et.ratio * et.ratio) + ec.variance / (ec.ratio * ec.ratio)).sqrt();
        let centre = (et.ratio / ec.ratio).ln();
        if se.is_finite() {
            out.lift_ci = Some([
                (centre - Z95 * se).exp() - 1.0,
                (centre + Z95 * se).exp() - 1.0,
            ]);
        }
    }
    let (k1, n1) = effective(t, out.deff.0);
    let (k2, n2) = effective(c, out.deff.1);
    out.chance_to_beat = chance_to_beat(k1, n1, k2, n2).ok();
    out
}

/// Cluster-robust variance over binomial variance, at least 1.
fn design_effect(est: &RatioEstimate, c: &Counts) -> f64 {
    let p = est.ratio;
    let binom = p * (1.0 - p) / c.n as f64;
    if binom > 0.0 && est.variance.is_finite() {
        (est.variance / binom).max(1.0)
    } else {
        1.0
    }
}

/// Counts divided by a design effect, rounded.
fn effective(c: &Counts, deff: f64) -> (u64, u64) {
    scale(c.k, c.n, deff)
}

fn scale(k: u64, n: u64, deff: f64) -> (u64, u64) {
    if deff <= 1.0 {
        return (k, n);
    }
    let n_eff = (n as f64 / deff).round() as u64;
    let k_eff = ((k as f64 / deff).round() as u64).min(n_eff);
    (k_eff, n_eff)
}

/// The cumulative daily looks of a comparison, deflated by the design effects.
fn looks(t: &Counts, c: &Counts, deff: (f64, f64)) -> Vec<Look> {
    let mut out: Vec<Look> = Vec::with_capacity(t.daily.len());
    let (mut k1, mut n1, mut k2, mut n2) = (0, 0, 0, 0);
    for (a, b) in t.daily.iter().zip(&c.daily) {
        k1 += a.0;
        n1 += a.1;
        k2 += b.0;
        n2 += b.1;
        let (ek1, en1) = scale(k1, n1, deff.0);
        let (ek2, en2) = scale(k2, n2, deff.1);
        // Rounding must keep the looks cumulative.
        let prev = out.last().copied().unwrap_or_default();
        out.push(Look {
            k1: ek1.max(prev.k1).min(en1.max(prev.n1)),
            n1: en1.max(prev.n1),
            k2: ek2.max(prev.k2).min(en2.max(prev.n2)),
            n2: en2.max(prev.n2),
        });
    }
    out
}

/// Working days until the mSPRT would cross `ALPHA` if the observed rates held, given
/// trials per working day. `None` when no decision is in sight.
fn days_to_decision(sprt: &MixtureSprt, last: &Look, per_day: f64) -> Option<f64> {
    if last.n1 == 0 || last.n2 == 0 {
        return None;
    }
    let (n1, n2) = (last.n1 as f64, last.n2 as f64);
    let p1 = last.k1 as f64 / n1;
    let p2 = last.k2 as f64 / n2;
    let theta = p1 - p2;
    let n = n1 + n2;
    let c = p1 * (1.0 - p1) / (n1 / n) + p2 * (1.0 - p2) / (n2 / n);
    if theta == 0.0 || !(c.is_finite() && c > 0.0) {
        return None;
    }
    let t2 = sprt.tau2();
    let target = (1.0 / ALPHA).ln();
    let llr = |total: f64| {
        let v = c / total;
        0.5 * (v / (v + t2)).ln() + t2 * theta * theta / (2.0 * v * (v + t2))
    };
    if llr(n) >= target {
        return Some(0.0);
    }
    if !(per_day.is_finite() && per_day > 0.0) {
        return None;
    }
    // Find an upper bound, then bisect (llr grows with the sample once V ≪ τ² θ²-scale).
    let mut hi = n;
    let mut found = false;
    for _ in 0..60 {
        hi *= 2.0;
        if llr(hi) >= target {
            found = true;
            break;
        }
    }
    if !found {
        return None;
    }
    let mut lo = n;
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if llr(mid) >= target {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    let days = (hi - n) / per_day;
    // Beyond ten years of the current volume is "not in sight".
    (days <= 2_600.0).then_some(days)
}

/// Analyses an experiment as of `as_of` (see the [module docs](self) for every
/// definition). Never panics and never returns `NaN`: figures that cannot be computed
/// are `None`, with a note.
///
/// # Errors
/// [`ExperimentError`] when the definition does not fit the line.
pub fn analyze(
    def: &ExperimentDef,
    line: &Line,
    data: &ExperimentData,
    as_of: Timestamp,
) -> Result<Analysis, ExperimentError> {
    def.validate(line)?;
    let station =
        line.station_index(&def.station)
            .ok_or_else(|| ExperimentError::UnknownStation {
                station: def.station.clone(),
                known: known_stations(line),
            })?;
    let start = def.start.as_microsecond();
    let as_of_us = as_of.as_microsecond();
    let end_ts = def.stop.map_or(as_of, |s| s.min(as_of));
    let end = end_ts.as_microsecond();
    let holdout = def.holdout.as_deref().and_then(|h| def.arm_index(h));
    let control = def
        .arm_index(&def.control)
        .ok_or_else(|| ExperimentError::UnknownArm {
            arm: def.control.clone(),
            arms: def.arm_names(),
        })?;
    let mode = match (def.unit, line.unit) {
        (RandomizationUnit::Week, _) => VarianceMode::Week,
        (RandomizationUnit::Account, UnitKind::Contact) => VarianceMode::Account,
        _ => VarianceMode::Binomial,
    };
    let mut warnings = Vec::new();

    // 1. Arm-tagged events at the station in the window, in time order.
    let mut tagged: Vec<&ExperimentEvent> = data
        .events
        .iter()
        .filter(|e| e.station == def.station && e.arm.is_some())
        .filter(|e| (start..end).contains(&e.ts.as_microsecond()))
        .collect();
    tagged.sort_by(|a, b| (a.ts, &a.unit, a.kind).cmp(&(b.ts, &b.unit, b.kind)));
    let mut unknown_arms: BTreeMap<String, u64> = BTreeMap::new();
    let mut first_arm: HashMap<&str, (usize, i64)> = HashMap::new();
    let mut crossed: std::collections::HashSet<&str> = std::collections::HashSet::new();
    let mut members: HashMap<&str, Member> = HashMap::new();
    for e in &tagged {
        let name = e.arm.as_deref().unwrap_or_default();
        let Some(arm) = def.arm_index(name) else {
            *unknown_arms.entry(name.to_owned()).or_default() += 1;
            continue;
        };
        let ts = e.ts.as_microsecond();
        let (unit_arm, exposure) = *first_arm.entry(e.unit.as_str()).or_insert((arm, ts));
        if unit_arm != arm {
            crossed.insert(e.unit.as_str());
            continue;
        }
        let joins = e.kind.is_disposition() || Some(arm) == holdout;
        if joins || members.contains_key(e.unit.as_str()) {
            let m = members.entry(e.unit.as_str()).or_insert_with(|| Member {
                arm,
                account: e.account.clone(),
                exposure,
                ..Member::default()
            });
            if e.kind.is_disposition() {
                m.dispositions.push((ts, e.kind == EventKind::Passed));
            }
        }
    }
    for (arm, n) in &unknown_arms {
        warnings.push(format!(
            "{n} events at {} in the window carry arm {arm:?}, which this experiment does not have: ignored",
            def.station
        ));
    }
    if !crossed.is_empty() {
        warnings.push(format!(
            "{} units appear in more than one arm: each is kept in the arm it was first seen in",
            crossed.len()
        ));
    }

    // 2. Outcomes after exposure and before as_of.
    for e in &data.events {
        let Some(m) = members.get_mut(e.unit.as_str()) else {
            continue;
        };
        let ts = e.ts.as_microsecond();
        if ts < m.exposure || ts >= as_of_us {
            continue;
        }
        let earliest = |slot: &mut Option<i64>| *slot = Some(slot.map_or(ts, |t: i64| t.min(ts)));
        match e.kind {
            EventKind::Passed => {
                if let Some(s) = line.station_index(&e.station).filter(|&s| s > station) {
                    let p = m.passes.entry(s).or_insert(ts);
                    *p = (*p).min(ts);
                }
            }
            EventKind::Optout => earliest(&mut m.optout),
            EventKind::Failed => match e.reason.as_deref() {
                Some("optout") => earliest(&mut m.optout),
                Some("negative") => earliest(&mut m.negative),
                _ => {}
            },
            _ => {}
        }
    }
    let mut members: Vec<(String, Member)> = members
        .into_iter()
        .map(|(u, m)| (u.to_owned(), m))
        .collect();
    members.sort_by(|a, b| a.0.cmp(&b.0));

    // 3. Per arm.
    let day0 = local_date(line, def.start);
    let last_day = local_date(
        line,
        Timestamp::from_microsecond(as_of_us.saturating_sub(1)).unwrap_or(as_of),
    );
    let days = if last_day < day0 {
        1
    } else {
        last_day
            .since(day0)
            .map_or(1, |s| s.get_days().max(0) as usize + 1)
    };
    let ctx = Ctx {
        line,
        mode,
        day0,
        days,
        members: &members,
    };
    let downstream: Vec<usize> = (station + 1..line.stations.len()).collect();
    let wsum: f64 = def.arms.iter().map(|a| a.weight).sum();
    let mut arms = Vec::with_capacity(def.arms.len());
    let mut srm_counts = Vec::with_capacity(def.arms.len());
    for (i, a) in def.arms.iter().enumerate() {
        let mine: Vec<&(String, Member)> = members.iter().filter(|(_, m)| m.arm == i).collect();
        let accounts: std::collections::BTreeSet<&str> =
            mine.iter().map(|(_, m)| m.account.as_str()).collect();
        let rand_units: std::collections::BTreeSet<String> = mine
            .iter()
            .map(|(u, m)| match def.unit {
                RandomizationUnit::Account => m.account.clone(),
                RandomizationUnit::Contact => u.clone(),
                RandomizationUnit::Week => m.cluster(VarianceMode::Week, line, u),
            })
            .collect();
        srm_counts.push(rand_units.len() as u64);
        let y = ctx.counts(i, &Metric::Yield);
        let mut ds = BTreeMap::new();
        for &s in &downstream {
            ds.insert(
                line.stations[s].id.clone(),
                ctx.rate(i, &Metric::Station(s)),
            );
        }
        let mut gs = BTreeMap::new();
        gs.insert(OPTOUT_RATE.to_owned(), ctx.rate(i, &Metric::Optout));
        gs.insert(NEGATIVE_RATE.to_owned(), ctx.rate(i, &Metric::Negative));
        arms.push(ArmResult {
            name: a.name.clone(),
            weight: a.weight / wsum,
            control: i == control,
            holdout: Some(i) == holdout,
            units: mine.len() as u64,
            accounts: accounts.len() as u64,
            randomization_units: rand_units.len() as u64,
            dispositions: y.n,
            passed: y.k,
            yield_: (y.n > 0).then(|| y.k as f64 / y.n as f64),
            yield_ci: wilson(y.k, y.n, Z95).map(|i| [i.lo, i.hi]),
            downstream: ds,
            guardrails: gs,
        });
    }

    // 4. Sample-ratio mismatch.
    let srm_p = srm_chi_square(&srm_counts, &def.weights()).ok();
    let broken = srm_p.is_some_and(|p| p < SRM_ALPHA);
    if broken {
        warnings.push(format!(
            "sample-ratio mismatch: the arms' {} counts ({}) are far from the planned weights (p = {:.2e} < {SRM_ALPHA}): assignment or logging is broken, so there is no verdict",
            def.unit.as_str(),
            srm_counts.iter().map(u64::to_string).collect::<Vec<_>>().join(" / "),
            srm_p.unwrap_or(0.0)
        ));
    }

    // 5. Comparisons.
    let sprt = MixtureSprt::new(def.tau2)?;
    let working_days = if end <= start {
        0
    } else {
        let last = Timestamp::from_microsecond(end.saturating_sub(1)).unwrap_or(end_ts);
        working_days_between(line, day0, local_date(line, last))
    };
    let stopped = def.stop.is_some_and(|s| s <= as_of);
    let holdout_metric = def
        .holdout_metric
        .as_deref()
        .and_then(|m| line.station_index(m))
        .unwrap_or(line.stations.len().saturating_sub(1));
    let mut comparisons = Vec::new();
    for i in (0..def.arms.len()).filter(|&i| i != control) {
        let (metric, metric_name) = if holdout == Some(i) || holdout == Some(control) {
            (
                Metric::Station(holdout_metric),
                format!("{} per unit", line.stations[holdout_metric].id),
            )
        } else {
            (Metric::Yield, "yield".to_owned())
        };
        let t = ctx.counts(i, &metric);
        let c = ctx.counts(control, &metric);
        let cmp = compare(mode, &t, &c);
        let lk = looks(&t, &c, cmp.deff);
        let always_valid_p = if cmp.diff.is_some() {
            sprt.always_valid_p(&lk).ok()
        } else {
            None
        };
        // Trials per working day: new trials keep coming only while the experiment runs
        // (yield), or while units keep being exposed (per-unit metrics).
        let per_day = if stopped || working_days == 0 {
            0.0
        } else {
            let last = lk.last().copied().unwrap_or_default();
            (last.n1 + last.n2) as f64 / f64::from(working_days)
        };
        let days_to_decision = match (always_valid_p, lk.last()) {
            (Some(p), _) if p < ALPHA => Some(0.0),
            (Some(_), Some(last)) => days_to_decision(&sprt, last, per_day),
            _ => None,
        };
        let mut checks = Vec::new();
        for g in &def.guardrails {
            let m = match g.metric.as_str() {
                OPTOUT_RATE => Metric::Optout,
                NEGATIVE_RATE => Metric::Negative,
                s => match line.station_index(s) {
                    Some(s) => Metric::Station(s),
                    None => continue,
                },
            };
            let gc = compare(mode, &ctx.counts(i, &m), &ctx.counts(control, &m));
            let breached = match gc.diff_ci {
                Some([lo, _]) if g.lower_is_better() => lo > g.margin,
                Some([_, hi]) => hi < -g.margin,
                None => false,
            };
            checks.push(GuardrailCheck {
                metric: g.metric.clone(),
                margin: g.margin,
                lower_is_better: g.lower_is_better(),
                diff: gc.diff,
                diff_ci: gc.diff_ci,
                breached,
            });
        }
        comparisons.push(Comparison {
            arm: def.arms[i].name.clone(),
            control: def.control.clone(),
            metric: metric_name,
            arm_counts: [t.k, t.n],
            control_counts: [c.k, c.n],
            diff: cmp.diff,
            diff_ci: cmp.diff_ci,
            lift: cmp.lift,
            lift_ci: cmp.lift_ci,
            p_value: cmp.p_value,
            chance_to_beat: cmp.chance_to_beat,
            always_valid_p,
            looks: lk.len(),
            guardrails: checks,
            days_to_decision,
            note: cmp.note,
        });
    }

    let verdict = decide(broken, stopped, &comparisons);
    Ok(Analysis {
        id: def.id.clone(),
        station: def.station.clone(),
        unit: def.unit,
        variance: mode.label().to_owned(),
        start: def.start,
        end: end_ts.max(def.start),
        as_of,
        stopped,
        tau2: def.tau2,
        working_days,
        arms,
        comparisons,
        srm_p,
        crossovers: crossed.len() as u64,
        warnings,
        verdict,
    })
}

fn pp(x: f64) -> String {
    format!("{:+.2} pp", x * 100.0)
}

fn decide(broken: bool, stopped: bool, comparisons: &[Comparison]) -> Verdict {
    let verdict = |decision: &str, reason: String, arm: Option<&str>, days: Option<f64>| Verdict {
        decision: decision.to_owned(),
        reason,
        arm: arm.map(str::to_owned),
        days_to_decision: days,
    };
    if broken {
        return verdict(
            "no verdict",
            "sample-ratio mismatch: the arms' sizes do not match the planned weights, so assignment or logging is broken; fix it before reading the results".into(),
            None,
            None,
        );
    }
    if comparisons.iter().all(|c| c.diff.is_none()) {
        return verdict(
            "keep running",
            "not enough data yet: every arm needs units with dispositions at the station".into(),
            None,
            None,
        );
    }
    // Guardrails first.
    for c in comparisons {
        let breached: Vec<String> = c
            .guardrails
            .iter()
            .filter(|g| g.breached)
            .map(|g| {
                let [lo, hi] = g.diff_ci.unwrap_or([0.0, 0.0]);
                format!(
                    "{} ({}, 95 % CI {} to {}, margin {:.2} pp)",
                    g.metric,
                    pp(g.diff.unwrap_or(0.0)),
                    pp(lo),
                    pp(hi),
                    g.margin * 100.0
                )
            })
            .collect();
        if breached.is_empty() {
            continue;
        }
        let primary = match (c.diff, c.always_valid_p) {
            (Some(d), Some(p)) if d > 0.0 => {
                format!(
                    ", although its {} is higher ({}, always-valid p = {})",
                    c.metric,
                    pp(d),
                    fmt_p(p)
                )
            }
            _ => String::new(),
        };
        return verdict(
            "roll back",
            format!(
                "{} is worse than {} beyond the margin on the guardrail{} {}{primary}",
                c.arm,
                c.control,
                if breached.len() == 1 { "" } else { "s" },
                breached.join(" and "),
            ),
            Some(&c.arm),
            None,
        );
    }
    let significant = |c: &&Comparison| c.always_valid_p.is_some_and(|p| p < ALPHA);
    if let Some(best) = comparisons
        .iter()
        .filter(significant)
        .filter(|c| c.diff.is_some_and(|d| d > 0.0))
        .max_by(|a, b| a.diff.unwrap_or(0.0).total_cmp(&b.diff.unwrap_or(0.0)))
    {
        return verdict(
            "ship",
            format!(
                "{} beats {} on {} by {}{} with always-valid p = {} < {ALPHA}, and no guardrail is breached",
                best.arm,
                best.control,
                best.metric,
                pp(best.diff.unwrap_or(0.0)),
                best.lift
                    .map(|l| format!(" (lift {:+.1} %)", l * 100.0))
                    .unwrap_or_default(),
                fmt_p(best.always_valid_p.unwrap_or(1.0)),
            ),
            Some(&best.arm),
            Some(0.0),
        );
    }
    if let Some(worst) = comparisons
        .iter()
        .filter(significant)
        .find(|c| c.diff.is_some_and(|d| d < 0.0))
    {
        return verdict(
            "roll back",
            format!(
                "{} is worse than {} on {} by {} with always-valid p = {} < {ALPHA}",
                worst.arm,
                worst.control,
                worst.metric,
                pp(worst.diff.unwrap_or(0.0)),
                fmt_p(worst.always_valid_p.unwrap_or(1.0)),
            ),
            Some(&worst.arm),
            None,
        );
    }
    let best_p = comparisons
        .iter()
        .filter_map(|c| c.always_valid_p)
        .fold(1.0_f64, f64::min);
    let days = comparisons
        .iter()
        .filter_map(|c| c.days_to_decision)
        .fold(None, |acc: Option<f64>, d| {
            Some(acc.map_or(d, |a| a.min(d)))
        });
    let outlook = match (days, stopped) {
        (_, true) => "the experiment is stopped, so no more data will come: restart it (a new experiment) to decide".to_owned(),
        (Some(d), false) => format!(
            "if the observed effect holds, about {} more working days at the current volume",
            d.ceil().max(1.0)
        ),
        (None, false) => "the observed difference is too small for a decision to be in sight at the current volume".to_owned(),
    };
    verdict(
        "keep running",
        format!(
            "no arm is better or worse with confidence yet (smallest always-valid p = {}); {outlook}",
            fmt_p(best_p)
        ),
        None,
        if stopped { None } else { days },
    )
}

/// A p-value for people: 3 significant digits, scientific below 0.001.
pub fn fmt_p(p: f64) -> String {
    if p < 0.001 {
        format!("{p:.1e}")
    } else {
        format!("{p:.3}")
    }
}

#[cfg(test)]
mod tests;

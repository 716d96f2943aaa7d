//! An experiment's definition: arms, guardrails, assignment of units and validation.

use super::*;

/// Assigns `id` to an arm: a pure function anyone can recompute (see the
/// [module docs](crate::experiment)).
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

impl ArmDef {
    /// Arms of these names, each of weight 1 (an equal split).
    pub fn equal(names: &[&str]) -> Vec<Self> {
        names
            .iter()
            .map(|name| Self {
                name: (*name).to_owned(),
                weight: 1.0,
            })
            .collect()
    }
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

pub(super) fn known_stations(line: &Line) -> String {
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

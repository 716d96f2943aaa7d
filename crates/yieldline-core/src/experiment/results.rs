//! What the analysis reads (events per unit) and what it returns (arms, comparisons, verdict).

use super::*;

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

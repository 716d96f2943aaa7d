//! Input, configuration, output and error types of the control charts.
//!
//! The output types ([`ControlChart`], [`Point`], [`Signal`]) serialize to the JSON that
//! the CLI prints: `chart` is `"p"`, `"laney"` or `"ewma"`, and a point's yield is the
//! field `"yield"`.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// One subgroup of a station's output: the dispositions of one day, in time order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subgroup {
    /// Label of the subgroup, normally the day (`"2025-03-04"`); used in points and signals.
    pub label: String,
    /// Dispositions that passed the station.
    pub passed: u64,
    /// All dispositions of the subgroup. `n = 0` means "no data that day": no point is drawn.
    pub n: u64,
}

impl Subgroup {
    /// A subgroup with `passed` of `n` dispositions passing.
    pub fn new(label: impl Into<String>, passed: u64, n: u64) -> Self {
        Self {
            label: label.into(),
            passed,
            n,
        }
    }
}

/// Which subgroups estimate the centre p̄ (and σ_z, n̄).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Baseline {
    /// Subgroups with index `start..end` (half-open, indices into the input slice,
    /// empty subgroups included in the count but ignored in the estimates).
    Range {
        /// First index in the baseline.
        start: usize,
        /// One past the last index in the baseline.
        end: usize,
    },
    /// The first `k` subgroups with `n > 0` (all of them if there are fewer).
    FirstNonEmpty(usize),
}

impl Baseline {
    /// Number of non-empty subgroups in the default baseline.
    pub const DEFAULT_LEN: usize = 30;

    /// Baseline over the input indices `range` (half-open).
    pub fn range(range: std::ops::Range<usize>) -> Self {
        Self::Range {
            start: range.start,
            end: range.end,
        }
    }

    /// Baseline over the first `k` subgroups with `n > 0`.
    pub fn first_non_empty(k: usize) -> Self {
        Self::FirstNonEmpty(k)
    }
}

impl Default for Baseline {
    /// The first [`Baseline::DEFAULT_LEN`] (30) subgroups with `n > 0`.
    fn default() -> Self {
        Self::FirstNonEmpty(Self::DEFAULT_LEN)
    }
}

/// Kind of control chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChartKind {
    /// Shewhart p-chart with binomial limits p̄ ± 3·σᵢ.
    P,
    /// Laney p′-chart: binomial limits widened by σ_z for over-dispersed subgroups.
    Laney,
    /// EWMA chart of the yield, for small lasting shifts.
    Ewma,
}

impl ChartKind {
    /// The name used in JSON and titles: `"p"`, `"laney"` or `"ewma"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChartKind::P => "p",
            ChartKind::Laney => "laney",
            ChartKind::Ewma => "ewma",
        }
    }
}

impl fmt::Display for ChartKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the chart kind is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChartChoice {
    /// Laney p′ when the baseline σ_z is above [`LANEY_THRESHOLD`], the p-chart otherwise.
    #[default]
    Auto,
    /// Always this kind.
    Forced(ChartKind),
}

/// σ_z above which [`ChartChoice::Auto`] picks the Laney p′-chart.
pub const LANEY_THRESHOLD: f64 = 1.2;

/// Parameters of the EWMA chart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EwmaParams {
    /// Smoothing weight λ of the newest subgroup, in (0, 1]. Default 0.2.
    pub lambda: f64,
    /// Width L of the limits in σ units, > 0. Default 3.
    pub l: f64,
}

impl Default for EwmaParams {
    fn default() -> Self {
        Self {
            lambda: 0.2,
            l: 3.0,
        }
    }
}

/// A control chart of a station's yield, ready to print as JSON or render.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ControlChart {
    /// Chart kind (`"p"`, `"laney"`, `"ewma"`).
    pub chart: ChartKind,
    /// Centre line: the baseline yield p̄ = Σpassed / Σn.
    pub center: f64,
    /// Laney's σ_z over the baseline, whenever it can be estimated (two or more non-empty
    /// baseline subgroups), whatever the chart kind; `None` otherwise.
    pub sigma_z: Option<f64>,
    /// One point per subgroup with `n > 0`, in input order.
    pub points: Vec<Point>,
    /// Rule violations, ordered by point then rule number.
    pub signals: Vec<Signal>,
}

/// One plotted subgroup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// The subgroup's label.
    pub day: String,
    /// Dispositions in the subgroup (> 0).
    pub n: u64,
    /// The subgroup's yield passed / n.
    #[serde(rename = "yield")]
    pub yield_: f64,
    /// Lower control limit at this point, in [0, 1] (of the EWMA statistic for EWMA charts).
    pub lcl: f64,
    /// Upper control limit at this point, in [0, 1] (of the EWMA statistic for EWMA charts).
    pub ucl: f64,
    /// The EWMA statistic at this point (EWMA charts only).
    pub ewma: Option<f64>,
    /// Whether any run rule flags this point.
    pub flagged: bool,
}

/// A run-rule violation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    /// Label of the subgroup at which the rule fired.
    pub day: String,
    /// Nelson rule number: 1, 2, 3 or 5.
    pub rule: u8,
    /// Short rule name, e.g. `"nine on one side"`.
    pub rule_name: String,
    /// A sentence for a person.
    pub message: String,
    /// For sustained shifts (rules 2, 3 and EWMA): label of the first subgroup of the run.
    pub run_start: Option<String>,
    /// For sustained shifts: pooled yield before the run (see the crate docs).
    pub before: Option<f64>,
    /// For sustained shifts: pooled yield over the run, from its start to its last point.
    pub after: Option<f64>,
}

/// Why a chart cannot be computed.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum SpcError {
    /// The baseline holds no subgroup with `n > 0`.
    #[error(
        "baseline {start}..{end} holds no subgroup with n > 0 (of {len} subgroups): nothing to estimate the centre from"
    )]
    EmptyBaseline {
        /// First index of the resolved baseline.
        start: usize,
        /// One past the last index of the resolved baseline.
        end: usize,
        /// Number of input subgroups.
        len: usize,
    },
    /// The baseline yield is exactly 0 or 1, so σ = 0 and the limits collapse.
    #[error(
        "baseline yield p̄ = {center} ({passed} of {n} dispositions passed): the limits p̄ ± 3·sqrt(p̄(1−p̄)/n) are degenerate; choose a baseline with both passes and failures"
    )]
    DegenerateCenter {
        /// The baseline yield (0 or 1).
        center: f64,
        /// Passed dispositions in the baseline.
        passed: u128,
        /// All dispositions in the baseline.
        n: u128,
    },
    /// The baseline range does not fit the input.
    #[error("baseline range {start}..{end} is out of bounds for {len} subgroups")]
    BaselineOutOfBounds {
        /// Requested first index.
        start: usize,
        /// Requested end index.
        end: usize,
        /// Number of input subgroups.
        len: usize,
    },
    /// λ is not in (0, 1].
    #[error("EWMA λ = {0} must be in (0, 1]")]
    InvalidLambda(f64),
    /// L is not a positive finite number.
    #[error("EWMA limit width L = {0} must be a finite number > 0")]
    InvalidL(f64),
    /// A subgroup has more passes than dispositions.
    #[error("subgroup #{index} ({label:?}) has passed = {passed} > n = {n}")]
    InvalidSubgroup {
        /// Index in the input.
        index: usize,
        /// The subgroup's label.
        label: String,
        /// Its passed count.
        passed: u64,
        /// Its n.
        n: u64,
    },
    /// The Laney chart was forced but σ_z needs at least two non-empty baseline subgroups.
    #[error(
        "Laney p′-chart needs at least two non-empty baseline subgroups to estimate σ_z, the baseline has {0}"
    )]
    LaneyNeedsTwo(usize),
}

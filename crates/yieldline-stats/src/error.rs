//! The error type shared by every fallible function in this crate.

use thiserror::Error;

/// Why a statistic could not be computed.
///
/// Every function in this crate validates its input and returns one of these
/// instead of panicking or producing `NaN`.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum StatsError {
    /// A sample (arm) has zero trials, so its proportion is undefined.
    #[error("{what}: number of trials is zero")]
    ZeroTrials {
        /// Which input was empty (e.g. `"n1"`).
        what: &'static str,
    },
    /// More successes than trials.
    #[error("{successes} successes out of {trials} trials")]
    CountExceedsTrials {
        /// Successes given.
        successes: u64,
        /// Trials given.
        trials: u64,
    },
    /// The significance level must lie strictly between 0 and 1.
    #[error("alpha must be in (0, 1), got {0}")]
    InvalidAlpha(f64),
    /// A zero success count makes the log risk-ratio (and its variance) undefined.
    ///
    /// statsmodels raises `ZeroDivisionError` (integer input) or returns a
    /// `nan` bound (float input) in this case.
    #[error("zero successes in {what}: log risk ratio is undefined")]
    ZeroSuccesses {
        /// Which arm had zero successes (`"sample 1"`, `"sample 2"` or `"both samples"`).
        what: &'static str,
    },
    /// Two slices that must have equal length do not.
    #[error("length mismatch: {left} vs {right}")]
    LengthMismatch {
        /// Length of the first slice.
        left: usize,
        /// Length of the second slice.
        right: usize,
    },
    /// Not enough categories, clusters or observations for the statistic.
    #[error("need at least {needed} {what}, got {got}")]
    TooFew {
        /// What is being counted (e.g. `"clusters"`).
        what: &'static str,
        /// Minimum required.
        needed: usize,
        /// Number supplied.
        got: usize,
    },
    /// A weight is negative, zero or not finite.
    #[error("weight {index} must be finite and > 0, got {value}")]
    InvalidWeight {
        /// Position of the offending weight.
        index: usize,
        /// The weight.
        value: f64,
    },
    /// Totals that must be positive are zero (e.g. no units at all).
    #[error("{0}: total is zero")]
    ZeroTotal(&'static str),
    /// An input value is `NaN` or infinite (or negative where that is impossible).
    #[error("invalid value for {what}: {value}")]
    InvalidValue {
        /// Which input.
        what: &'static str,
        /// The value received.
        value: f64,
    },
    /// The standard error is zero while the estimate is not, so the test
    /// statistic would be infinite.
    #[error("standard error is zero but the difference is {diff}")]
    DegenerateVariance {
        /// The (non-zero) point estimate.
        diff: f64,
    },
    /// Sequential looks must carry cumulative counts: trials may not decrease.
    #[error("look {index}: counts must be cumulative (non-decreasing)")]
    NotCumulative {
        /// Position of the offending look.
        index: usize,
    },
    /// An observation's time is negative, `NaN` or infinite.
    #[error("observation {index}: time must be finite and >= 0, got {value}")]
    InvalidTime {
        /// Position of the offending observation.
        index: usize,
        /// The time received.
        value: f64,
    },
    /// An observation's cause is not below the number of causes.
    #[error("observation {index}: cause {cause} out of range for {n_causes} causes")]
    InvalidCause {
        /// Position of the offending observation.
        index: usize,
        /// The cause received.
        cause: usize,
        /// Number of causes the estimate was asked for.
        n_causes: usize,
    },
    /// A cause was queried that the estimate does not have.
    #[error("cause {cause} out of range for {n_causes} causes")]
    UnknownCause {
        /// The cause queried.
        cause: usize,
        /// Number of causes of the estimate.
        n_causes: usize,
    },
}

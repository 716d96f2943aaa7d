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

mod analysis;
mod design;
mod results;
mod verdict;

pub use analysis::*;
pub use design::*;
pub use results::*;
pub use verdict::*;

#[cfg(test)]
mod tests;

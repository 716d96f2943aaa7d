//! Statistics for Yieldline: pure functions of counts, no I/O.
//!
//! Yieldline treats outbound prospecting as a production line; experiments
//! (DESIGN.md §6) compare a treatment arm with a control arm at one station.
//! This crate holds the arithmetic behind that analysis, each function checked
//! against scipy / statsmodels reference values
//! (`tools/reference/experiment_refs.py` → `tests/fixtures/experiment_refs.json`):
//!
//! * [`proportion`] — one-sample Wilson score interval.
//! * [`twosample`] — treatment (sample 1) vs control (sample 2): Newcombe
//!   difference interval, log risk-ratio interval, pooled two-proportion
//!   z-test, Bayesian chance to beat control, sample-ratio-mismatch
//!   chi-square, and a cluster-robust ratio estimator for when randomisation
//!   is by account but the analysis unit is a contact.
//! * [`sequential`] — always-valid p-values (normal-mixture SPRT) so an
//!   experiment can be checked every day without inflating false positives.
//! * [`quantile`] — numpy-compatible quantile and mean (cycle times).
//! * [`survival`] — competing-risks conversion with censoring (open visits):
//!   Aalen–Johansen cumulative incidence per disposition with log(−log)
//!   intervals on Aalen's variance, Kaplan–Meier survival of any disposition
//!   and its median; checked against scikit-survival / lifelines
//!   (`tools/reference/survival_refs.py` → `tests/fixtures/survival_refs.json`).
//!
//! Nothing here panics on bad input or returns `NaN`: invalid input yields a
//! [`StatsError`] (or `None` where documented).

mod error;
mod lbeta;
mod normal;

pub mod proportion;
pub mod quantile;
pub mod sequential;
pub mod survival;
pub mod twosample;

pub use error::StatsError;
pub use proportion::{Interval, Z95, wilson};

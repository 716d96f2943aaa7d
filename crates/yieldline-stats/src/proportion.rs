//! One-sample proportions: the Wilson score interval.

use crate::StatsError;
use serde::Serialize;

/// Two-sided 95 % standard-normal critical value Φ⁻¹(0.975), correctly rounded
/// (`scipy.stats.norm.isf(0.025)` returns the next double up, 1.9599639845400545).
pub const Z95: f64 = 1.959963984540054;

/// A closed interval `[lo, hi]` (confidence interval for a proportion, a
/// difference or a ratio). `hi` may be `f64::INFINITY` only where a function
/// documents it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    /// Lower bound.
    pub lo: f64,
    /// Upper bound.
    pub hi: f64,
}

impl Interval {
    /// Whether `x` lies in `[lo, hi]`.
    pub fn contains(&self, x: f64) -> bool {
        self.lo <= x && x <= self.hi
    }

    /// `hi - lo`.
    pub fn width(&self) -> f64 {
        self.hi - self.lo
    }
}

/// Wilson score interval for `k` successes in `n` trials with two-sided
/// critical value `z` (use [`Z95`] for 95 %).
///
/// Matches statsmodels `proportion_confint(k, n, alpha, method="wilson")`
/// with `z = norm.isf(alpha / 2)`, including its clipping to `[0, 1]`:
///
/// ```text
/// p̂ = k/n,  d = 1 + z²/n,  centre = (p̂ + z²/(2n)) / d,
/// half = z · sqrt(p̂(1−p̂)/n + z²/(4n²)) / d,   [centre − half, centre + half] ∩ [0, 1]
/// ```
///
/// The bounds are exactly 0 when `k == 0` and exactly 1 when `k == n`
/// (statsmodels may be off by one ulp there).
///
/// Returns `None` when `n == 0`, `k > n`, or `z` is not finite and positive.
pub fn wilson(k: u64, n: u64, z: f64) -> Option<Interval> {
    if n == 0 || k > n || !(z.is_finite() && z > 0.0) {
        return None;
    }
    let nf = n as f64;
    let q = k as f64 / nf;
    let crit2 = z * z;
    let denom = 1.0 + crit2 / nf;
    let center = (q + crit2 / (2.0 * nf)) / denom;
    let dist = z * (q * (1.0 - q) / nf + crit2 / (4.0 * nf * nf)).sqrt() / denom;
    // At k = 0 (k = n) the lower (upper) bound is exactly 0 (1) in exact
    // arithmetic; pin it so rounding cannot leave p̂ outside the interval.
    let lo = if k == 0 {
        0.0
    } else {
        (center - dist).clamp(0.0, 1.0)
    };
    let hi = if k == n {
        1.0
    } else {
        (center + dist).clamp(0.0, 1.0)
    };
    Some(Interval { lo, hi })
}

/// Validate a (successes, trials) pair; `what` names the trials for the error.
pub(crate) fn check_counts(k: u64, n: u64, what: &'static str) -> Result<(), StatsError> {
    if n == 0 {
        return Err(StatsError::ZeroTrials { what });
    }
    if k > n {
        return Err(StatsError::CountExceedsTrials {
            successes: k,
            trials: n,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn textbook_value() {
        // statsmodels proportion_confint(12, 40, method="wilson")
        let ci = wilson(12, 40, Z95).expect("valid");
        assert!((ci.lo - 0.1807484522974653).abs() < 1e-12, "{ci:?}");
        assert!((ci.hi - 0.45430018818144946).abs() < 1e-12, "{ci:?}");
    }

    #[test]
    fn zero_and_all_successes_touch_the_bounds() {
        let ci = wilson(0, 10, Z95).expect("valid");
        assert_eq!(ci.lo, 0.0);
        assert!((ci.hi - 0.27753279986288926).abs() < 1e-12);
        let ci = wilson(10, 10, Z95).expect("valid");
        assert_eq!(ci.hi, 1.0);
        assert!((ci.lo - 0.7224672001371106).abs() < 1e-12);
    }

    #[test]
    fn invalid_input_is_none() {
        assert_eq!(wilson(0, 0, Z95), None);
        assert_eq!(wilson(3, 2, Z95), None);
        assert_eq!(wilson(1, 2, f64::NAN), None);
        assert_eq!(wilson(1, 2, -1.0), None);
    }

    #[test]
    fn wider_for_larger_z() {
        let a = wilson(30, 100, 1.0).expect("valid");
        let b = wilson(30, 100, Z95).expect("valid");
        assert!(b.lo < a.lo && b.hi > a.hi);
    }

    #[test]
    fn interval_helpers() {
        let i = Interval { lo: 0.2, hi: 0.5 };
        assert!(i.contains(0.2) && i.contains(0.5) && !i.contains(0.51));
        assert!((i.width() - 0.3).abs() < 1e-15);
    }
}

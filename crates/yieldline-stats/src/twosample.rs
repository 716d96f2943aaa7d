//! Two-sample comparisons: treatment = sample 1, control = sample 2.
//!
//! Every function mirrors a named scipy / statsmodels routine (stated on each
//! item) and is checked against it in `tests/reference.rs`.

use crate::StatsError;
use crate::lbeta::ln_beta;
use crate::normal::{p_two_sided, z_two_sided};
use crate::proportion::{Interval, check_counts, wilson};
use serde::Serialize;
use statrs::distribution::{ChiSquared, ContinuousCDF};

/// Validate both arms' counts.
fn check_arms(k1: u64, n1: u64, k2: u64, n2: u64) -> Result<(), StatsError> {
    check_counts(k1, n1, "n1")?;
    check_counts(k2, n2, "n2")
}

/// Newcombe (hybrid Wilson score) interval for the difference `p1 − p2`.
///
/// Exactly statsmodels
/// `confint_proportions_2indep(k1, n1, k2, n2, method="newcomb", compare="diff", alpha=alpha)`:
/// with Wilson intervals `[l_i, u_i]` at level `alpha` for each arm,
///
/// ```text
/// lo = (p̂1 − p̂2) − sqrt((p̂1 − l1)² + (u2 − p̂2)²)
/// hi = (p̂1 − p̂2) + sqrt((p̂2 − l2)² + (u1 − p̂1)²)
/// ```
///
/// Zero or all successes are fine (the Wilson intervals stay informative).
///
/// # Errors
/// [`StatsError::ZeroTrials`] if an arm is empty, [`StatsError::CountExceedsTrials`],
/// [`StatsError::InvalidAlpha`] unless `0 < alpha < 1`.
pub fn newcombe_diff_ci(
    k1: u64,
    n1: u64,
    k2: u64,
    n2: u64,
    alpha: f64,
) -> Result<Interval, StatsError> {
    check_arms(k1, n1, k2, n2)?;
    let z = z_two_sided(alpha)?;
    let ci1 = wilson(k1, n1, z).ok_or(StatsError::ZeroTrials { what: "n1" })?;
    let ci2 = wilson(k2, n2, z).ok_or(StatsError::ZeroTrials { what: "n2" })?;
    let p1 = k1 as f64 / n1 as f64;
    let p2 = k2 as f64 / n2 as f64;
    let diff = p1 - p2;
    let d_low = ((p1 - ci1.lo).powi(2) + (ci2.hi - p2).powi(2)).sqrt();
    let d_upp = ((p2 - ci2.lo).powi(2) + (ci1.hi - p1).powi(2)).sqrt();
    Ok(Interval {
        lo: diff - d_low,
        hi: diff + d_upp,
    })
}

/// Log (Katz) interval for the risk ratio `p1 / p2` — relative lift is
/// `ratio − 1`, left to the caller.
///
/// Exactly statsmodels
/// `confint_proportions_2indep(k1, n1, k2, n2, compare="ratio", method="log", alpha=alpha)`:
///
/// ```text
/// r = p̂1 / p̂2,   v = 1/k1 − 1/n1 + 1/k2 − 1/n2,
/// [exp(ln r − z·√v), exp(ln r + z·√v)],  z = norm.isf(alpha/2)
/// ```
///
/// **Zero counts.** statsmodels applies *no* correction for `method="log"`:
/// with integer counts it raises `ZeroDivisionError` when `k1 == 0` or
/// `k2 == 0`; with float counts it returns `(0, nan)` for `k1 == 0`,
/// `(nan, inf)` for `k2 == 0` and `(nan, nan)` for both. None of these is a
/// usable interval, so this function returns [`StatsError::ZeroSuccesses`]
/// instead. Callers wanting a finite answer with zero counts can use
/// [`ratio_log_adjusted_ci`] (statsmodels' default ratio method, which adds
/// 0.5). All-successes arms are fine (`k1 = n1`, `k2 = n2` gives `[1, 1]`).
///
/// # Errors
/// [`StatsError::ZeroSuccesses`], plus those of [`newcombe_diff_ci`].
pub fn ratio_log_ci(
    k1: u64,
    n1: u64,
    k2: u64,
    n2: u64,
    alpha: f64,
) -> Result<Interval, StatsError> {
    check_arms(k1, n1, k2, n2)?;
    let z = z_two_sided(alpha)?;
    match (k1, k2) {
        (0, 0) => Err(StatsError::ZeroSuccesses {
            what: "both samples",
        }),
        (0, _) => Err(StatsError::ZeroSuccesses { what: "sample 1" }),
        (_, 0) => Err(StatsError::ZeroSuccesses { what: "sample 2" }),
        _ => Ok(log_ratio_interval(
            k1 as f64, n1 as f64, k2 as f64, n2 as f64, z,
        )),
    }
}

/// Log risk-ratio interval with 0.5 added to every count and every `n`.
///
/// Exactly statsmodels `confint_proportions_2indep(..., compare="ratio",
/// method="log-adjusted")` (statsmodels' default for `compare="ratio"`):
/// the formula of [`ratio_log_ci`] applied to `k + 0.5` successes out of
/// `n + 0.5` trials in each arm. Finite even when `k1` or `k2` is zero.
///
/// # Errors
/// As [`newcombe_diff_ci`].
pub fn ratio_log_adjusted_ci(
    k1: u64,
    n1: u64,
    k2: u64,
    n2: u64,
    alpha: f64,
) -> Result<Interval, StatsError> {
    check_arms(k1, n1, k2, n2)?;
    let z = z_two_sided(alpha)?;
    Ok(log_ratio_interval(
        k1 as f64 + 0.5,
        n1 as f64 + 0.5,
        k2 as f64 + 0.5,
        n2 as f64 + 0.5,
        z,
    ))
}

/// Shared body of the log risk-ratio intervals (all counts > 0).
fn log_ratio_interval(k1: f64, n1: f64, k2: f64, n2: f64, z: f64) -> Interval {
    let ratio = (k1 / n1) / (k2 / n2);
    // Same evaluation order as statsmodels; every partial sum is >= 0.
    let var = (1.0 / k1) - 1.0 / n1 + 1.0 / k2 - 1.0 / n2;
    let d_log = z * var.max(0.0).sqrt();
    let centre = ratio.ln();
    Interval {
        lo: (centre - d_log).exp(),
        hi: (centre + d_log).exp(),
    }
}

/// Result of a z-test.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ZTest {
    /// Test statistic (positive when the treatment rate is higher).
    pub z: f64,
    /// Two-sided p-value.
    pub p_value: f64,
}

/// Pooled two-proportion z-test of `p1 = p2`, two-sided.
///
/// Exactly statsmodels `proportions_ztest([k1, k2], [n1, n2])`:
/// `z = (p̂1 − p̂2) / sqrt(p̄(1−p̄)(1/n1 + 1/n2))` with the pooled
/// `p̄ = (k1+k2)/(n1+n2)`, `p = 2·Φ(−|z|)`.
///
/// **Degenerate case.** When `p̄` is 0 or 1 (no successes at all, or only
/// successes) both arms have identical observed rates and the variance is 0;
/// statsmodels returns `nan` for both values. Here the result is
/// `z = 0, p_value = 1` (no evidence of a difference).
///
/// # Errors
/// [`StatsError::ZeroTrials`] if an arm is empty, [`StatsError::CountExceedsTrials`].
pub fn ztest_pooled(k1: u64, n1: u64, k2: u64, n2: u64) -> Result<ZTest, StatsError> {
    check_arms(k1, n1, k2, n2)?;
    let (n1f, n2f) = (n1 as f64, n2 as f64);
    let diff = k1 as f64 / n1f - k2 as f64 / n2f;
    let pooled = (k1 + k2) as f64 / (n1f + n2f);
    let var = pooled * (1.0 - pooled) * (1.0 / n1f + 1.0 / n2f);
    if var <= 0.0 {
        return Ok(ZTest {
            z: 0.0,
            p_value: 1.0,
        });
    }
    let z = diff / var.sqrt();
    Ok(ZTest {
        z,
        p_value: p_two_sided(z),
    })
}

/// Bayesian chance that the treatment beats control: `P(p1 > p2)` with
/// independent posteriors `p_i ~ Beta(1 + k_i, 1 + n_i − k_i)` (uniform
/// priors).
///
/// Uses Evan Miller's closed form
/// `P(p_B > p_A) = Σ_{i=0}^{α_B−1} B(α_A+i, β_A+β_B) / ((β_B+i) B(1+i, β_B) B(α_A, β_A))`,
/// using one of four equivalent orientations (swap the arms and/or reflect
/// `p → 1 − p`): the sum computes whichever of `P`, `1 − P` the posterior
/// means say is smaller (so the complement never cancels), over the shorter
/// of the two available parameters. Consecutive terms come from a rational
/// recurrence in log space (re-anchored with an accurate `ln B` every 1024
/// terms) accumulated by a streaming log-sum-exp; after the (unimodal) terms
/// peak, summation stops once they fall below `e⁻⁵⁰` of the largest. The
/// error is about 1e-10 *relative* to `min(P, 1 − P)` (limited by the size of
/// `ln B` values near 10⁶); counts up to 10⁶ take milliseconds. Checked
/// against `scipy.integrate.quad` of the Beta densities and an mpmath
/// evaluation.
///
/// `n = 0` is allowed (the posterior is then the uniform prior).
///
/// # Errors
/// [`StatsError::CountExceedsTrials`] if `k > n` in either arm.
pub fn chance_to_beat(k1: u64, n1: u64, k2: u64, n2: u64) -> Result<f64, StatsError> {
    for (k, n) in [(k1, n1), (k2, n2)] {
        if k > n {
            return Err(StatsError::CountExceedsTrials {
                successes: k,
                trials: n,
            });
        }
    }
    // X ~ Beta(a1, b1) (treatment), Y ~ Beta(a2, b2) (control); want P(X > Y).
    let (a1, b1) = (1 + k1, 1 + (n1 - k1));
    let (a2, b2) = (1 + k2, 1 + (n2 - k2));
    // Sum whichever of P and 1 − P is (roughly) the smaller one, so the
    // subtraction `1 − S` only ever happens when S ≤ ~0.5: both tails then keep
    // their relative accuracy. Within that choice take the shorter sum.
    let mean1 = a1 as f64 / (a1 + b1) as f64;
    let mean2 = a2 as f64 / (a2 + b2) as f64;
    let p = if mean1 <= mean2 {
        if a1 <= b2 {
            // P(X > Y): X plays "B".
            prob_b_beats_a(a2, b2, a1, b1)
        } else {
            // P(X > Y) = P(1−Y > 1−X), 1−Y ~ Beta(b2, a2) plays "B".
            prob_b_beats_a(b1, a1, b2, a2)
        }
    } else if a2 <= b1 {
        // P(X > Y) = 1 − P(Y > X).
        1.0 - prob_b_beats_a(a1, b1, a2, b2)
    } else {
        // P(X > Y) = 1 − P(1−X > 1−Y).
        1.0 - prob_b_beats_a(b2, a2, b1, a1)
    };
    Ok(p.clamp(0.0, 1.0))
}

/// `P(B > A)` for `A ~ Beta(a_a, b_a)`, `B ~ Beta(a_b, b_b)` with integer
/// parameters ≥ 1; sums `a_b` terms (Evan Miller's formula).
pub(crate) fn prob_b_beats_a(a_a: u64, b_a: u64, a_b: u64, b_b: u64) -> f64 {
    let (aa, ba, bb) = (a_a as f64, b_a as f64, b_b as f64);
    let c = aa + ba + bb;
    let ln_norm = ln_beta(aa, ba);
    // Exact log of term i.
    let exact = |i: f64| ln_beta(aa + i, ba + bb) - (bb + i).ln() - ln_beta(1.0 + i, bb) - ln_norm;
    let mut log_t = exact(0.0);
    // Streaming log-sum-exp: total = exp(m) * s.
    let mut m = log_t;
    let mut s = 1.0_f64;
    let mut prev = log_t;
    for i in 1..a_b {
        let fi = i as f64;
        if i % 1024 == 0 {
            log_t = exact(fi);
        } else {
            let j = fi - 1.0;
            log_t += ((aa + j) * (bb + j) / ((c + j) * (1.0 + j))).ln();
        }
        if log_t > m {
            s = s * (m - log_t).exp() + 1.0;
            m = log_t;
        } else {
            s += (log_t - m).exp();
        }
        // Terms are unimodal in i; once decreasing and negligible, stop.
        if log_t < prev && log_t < m - 50.0 {
            break;
        }
        prev = log_t;
    }
    (m + s.ln()).exp()
}

/// Sample-ratio-mismatch check: p-value of Pearson's chi-square test that
/// `counts` (units per arm) were drawn with the planned `weights`.
///
/// Exactly `scipy.stats.chisquare(counts, f_exp=sum(counts) * w / sum(w)).pvalue`
/// (`k − 1` degrees of freedom). Weights need not sum to 1. A small p-value
/// (e.g. < 0.001) means assignment or logging is broken and the experiment's
/// results should not be trusted.
///
/// # Errors
/// [`StatsError::LengthMismatch`], [`StatsError::TooFew`] (fewer than 2 arms),
/// [`StatsError::InvalidWeight`] for a weight that is negative, zero or not
/// finite (a zero weight makes the expected count 0 and the statistic
/// undefined: drop such arms first), [`StatsError::ZeroTotal`] when all
/// counts are zero.
pub fn srm_chi_square(counts: &[u64], weights: &[f64]) -> Result<f64, StatsError> {
    if counts.len() != weights.len() {
        return Err(StatsError::LengthMismatch {
            left: counts.len(),
            right: weights.len(),
        });
    }
    if counts.len() < 2 {
        return Err(StatsError::TooFew {
            what: "arms",
            needed: 2,
            got: counts.len(),
        });
    }
    if let Some((index, &value)) = weights
        .iter()
        .enumerate()
        .find(|(_, w)| !(w.is_finite() && **w > 0.0))
    {
        return Err(StatsError::InvalidWeight { index, value });
    }
    let total: f64 = counts.iter().map(|&c| c as f64).sum();
    if total <= 0.0 {
        return Err(StatsError::ZeroTotal("counts"));
    }
    let wsum: f64 = weights.iter().sum();
    let stat: f64 = counts
        .iter()
        .zip(weights)
        .map(|(&o, &w)| {
            let e = total * w / wsum;
            let d = o as f64 - e;
            d * d / e
        })
        .sum();
    let dof = (counts.len() - 1) as f64;
    let chi2 = ChiSquared::new(dof).map_err(|_| StatsError::InvalidValue {
        what: "degrees of freedom",
        value: dof,
    })?;
    Ok(chi2.sf(stat).clamp(0.0, 1.0))
}

/// A ratio-of-sums estimate with cluster-robust (delta-method) variance.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RatioEstimate {
    /// `Σy / Σx`, e.g. contacts passed over contacts dispositioned.
    pub ratio: f64,
    /// Delta-method variance of `ratio` over clusters.
    pub variance: f64,
    /// Number of clusters `m`.
    pub n_clusters: usize,
}

/// Ratio estimator for when randomisation is by account (cluster) but the
/// metric is per contact: `clusters[i] = (y_i, x_i)` = (passed, dispositions)
/// summed over the contacts of account `i`.
///
/// `ratio = Σy / Σx` and, by the delta method over the `m` clusters,
///
/// ```text
/// var = (s_y² − 2·r·s_xy + r²·s_x²) / (m · x̄²)
///     = Σ (y_i − r·x_i)² / ((m − 1) · m · x̄²)
/// ```
///
/// with sample (co)variances (denominator `m − 1`) and `x̄ = Σx / m`. The two
/// lines are algebraically equal (`Σ(y_i − r x_i) = 0`); the second is used
/// because it cannot go negative through cancellation.
///
/// # Errors
/// [`StatsError::TooFew`] for fewer than 2 clusters, [`StatsError::InvalidValue`]
/// for a non-finite value or a negative `x`, [`StatsError::ZeroTotal`] when
/// `Σx = 0`.
pub fn cluster_ratio(clusters: &[(f64, f64)]) -> Result<RatioEstimate, StatsError> {
    let m = clusters.len();
    if m < 2 {
        return Err(StatsError::TooFew {
            what: "clusters",
            needed: 2,
            got: m,
        });
    }
    for &(y, x) in clusters {
        if !y.is_finite() {
            return Err(StatsError::InvalidValue {
                what: "cluster numerator",
                value: y,
            });
        }
        if !(x.is_finite() && x >= 0.0) {
            return Err(StatsError::InvalidValue {
                what: "cluster denominator",
                value: x,
            });
        }
    }
    let sy: f64 = clusters.iter().map(|c| c.0).sum();
    let sx: f64 = clusters.iter().map(|c| c.1).sum();
    if sx <= 0.0 {
        return Err(StatsError::ZeroTotal("cluster denominators"));
    }
    let r = sy / sx;
    let mf = m as f64;
    let xbar = sx / mf;
    let ss: f64 = clusters
        .iter()
        .map(|&(y, x)| {
            let e = y - r * x;
            e * e
        })
        .sum();
    let variance = ss / ((mf - 1.0) * mf * xbar * xbar);
    Ok(RatioEstimate {
        ratio: r,
        variance,
        n_clusters: m,
    })
}

/// Difference of two independent cluster-robust ratios.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ClusterDiff {
    /// `treat.ratio − control.ratio`.
    pub diff: f64,
    /// Wald interval `diff ± z·se` at the requested level.
    pub ci: Interval,
    /// `diff / se` with `se = sqrt(var_t + var_c)`.
    pub z: f64,
    /// Two-sided normal p-value.
    pub p_value: f64,
}

/// Compare treatment and control [`RatioEstimate`]s (independent arms):
/// `se = sqrt(var_t + var_c)`, `z = diff / se`, `p = 2·Φ(−|z|)`,
/// `ci = diff ± norm.isf(alpha/2)·se`.
///
/// If `se = 0` and `diff = 0`, returns `z = 0`, `p = 1`, `ci = [0, 0]`.
///
/// # Errors
/// [`StatsError::InvalidAlpha`]; [`StatsError::DegenerateVariance`] when
/// `se = 0` but `diff ≠ 0` (every cluster in each arm has exactly the same
/// ratio: no sampling variability to test against); [`StatsError::InvalidValue`]
/// for a non-finite or negative input variance.
pub fn cluster_diff(
    treat: &RatioEstimate,
    control: &RatioEstimate,
    alpha: f64,
) -> Result<ClusterDiff, StatsError> {
    let zc = z_two_sided(alpha)?;
    for v in [treat.variance, control.variance] {
        if !(v.is_finite() && v >= 0.0) {
            return Err(StatsError::InvalidValue {
                what: "variance",
                value: v,
            });
        }
    }
    for r in [treat.ratio, control.ratio] {
        if !r.is_finite() {
            return Err(StatsError::InvalidValue {
                what: "ratio",
                value: r,
            });
        }
    }
    let diff = treat.ratio - control.ratio;
    let se = (treat.variance + control.variance).sqrt();
    if se == 0.0 {
        if diff == 0.0 {
            return Ok(ClusterDiff {
                diff,
                ci: Interval { lo: 0.0, hi: 0.0 },
                z: 0.0,
                p_value: 1.0,
            });
        }
        return Err(StatsError::DegenerateVariance { diff });
    }
    let z = diff / se;
    Ok(ClusterDiff {
        diff,
        ci: Interval {
            lo: diff - zc * se,
            hi: diff + zc * se,
        },
        z,
        p_value: p_two_sided(z),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * b.abs().max(1.0)
    }

    #[test]
    fn newcombe_known_values() {
        // statsmodels confint_proportions_2indep(10, 10, 5, 10, method="newcomb")
        let ci = newcombe_diff_ci(10, 10, 5, 10, 0.05).expect("valid");
        assert!(close(ci.lo, 0.11736746745022197, 1e-12), "{ci:?}");
        assert!(close(ci.hi, 0.7634069094874361, 1e-12), "{ci:?}");
        // Zero successes in both arms: symmetric around 0.
        let ci = newcombe_diff_ci(0, 10, 0, 10, 0.05).expect("valid");
        assert!(close(ci.lo, -0.27753279986288926, 1e-12), "{ci:?}");
        assert!(close(ci.hi, 0.27753279986288926, 1e-12), "{ci:?}");
    }

    #[test]
    fn newcombe_antisymmetric_in_arms() {
        let a = newcombe_diff_ci(12, 40, 7, 55, 0.05).expect("valid");
        let b = newcombe_diff_ci(7, 55, 12, 40, 0.05).expect("valid");
        assert!(close(a.lo, -b.hi, 1e-14) && close(a.hi, -b.lo, 1e-14));
    }

    #[test]
    fn newcombe_errors() {
        assert_eq!(
            newcombe_diff_ci(1, 0, 1, 2, 0.05),
            Err(StatsError::ZeroTrials { what: "n1" })
        );
        assert!(matches!(
            newcombe_diff_ci(1, 2, 3, 2, 0.05),
            Err(StatsError::CountExceedsTrials { .. })
        ));
        assert_eq!(
            newcombe_diff_ci(1, 2, 1, 2, 1.0),
            Err(StatsError::InvalidAlpha(1.0))
        );
    }

    #[test]
    fn ratio_log_known_value() {
        // statsmodels ... compare="ratio", method="log" on (10, 10, 5, 10)
        let ci = ratio_log_ci(10, 10, 5, 10, 0.05).expect("valid");
        assert!(close(ci.lo, 1.076109420254179, 1e-12), "{ci:?}");
        assert!(close(ci.hi, 3.7170941213907343, 1e-12), "{ci:?}");
        let all = ratio_log_ci(10, 10, 10, 10, 0.05).expect("valid");
        assert_eq!((all.lo, all.hi), (1.0, 1.0));
    }

    #[test]
    fn ratio_log_zero_counts_are_errors() {
        assert_eq!(
            ratio_log_ci(0, 10, 3, 10, 0.05),
            Err(StatsError::ZeroSuccesses { what: "sample 1" })
        );
        assert_eq!(
            ratio_log_ci(3, 10, 0, 10, 0.05),
            Err(StatsError::ZeroSuccesses { what: "sample 2" })
        );
        assert_eq!(
            ratio_log_ci(0, 10, 0, 10, 0.05),
            Err(StatsError::ZeroSuccesses {
                what: "both samples"
            })
        );
    }

    #[test]
    fn ratio_log_adjusted_is_finite_with_zeros() {
        let ci = ratio_log_adjusted_ci(0, 10, 3, 10, 0.05).expect("valid");
        assert!(ci.lo > 0.0 && ci.hi.is_finite() && ci.lo < ci.hi);
        let ci = ratio_log_adjusted_ci(0, 10, 0, 10, 0.05).expect("valid");
        assert!(ci.contains(1.0));
    }

    #[test]
    fn ztest_known_value_and_degenerate() {
        let t = ztest_pooled(10, 10, 5, 10).expect("valid");
        assert!(close(t.z, 2.581988897471611, 1e-12), "{t:?}");
        assert!(close(t.p_value, 0.009823274507519249, 1e-10), "{t:?}");
        for (k1, k2) in [(0, 0), (10, 10)] {
            let t = ztest_pooled(k1, 10, k2, 10).expect("valid");
            assert_eq!((t.z, t.p_value), (0.0, 1.0));
        }
        assert!(ztest_pooled(0, 0, 0, 10).is_err());
    }

    /// Independent check: Simpson integration of f_X(x)·F_Y(x) on a fine grid.
    fn beats_by_quadrature(k1: u64, n1: u64, k2: u64, n2: u64) -> f64 {
        use statrs::distribution::{Beta, Continuous};
        let x = Beta::new(1.0 + k1 as f64, 1.0 + (n1 - k1) as f64).expect("beta");
        let y = Beta::new(1.0 + k2 as f64, 1.0 + (n2 - k2) as f64).expect("beta");
        let steps = 20_000;
        let h = 1.0 / steps as f64;
        let f = |t: f64| x.pdf(t) * y.cdf(t);
        let mut s = f(0.0) + f(1.0);
        for i in 1..steps {
            let t = i as f64 * h;
            s += if i % 2 == 1 { 4.0 } else { 2.0 } * f(t);
        }
        s * h / 3.0
    }

    #[test]
    fn chance_to_beat_matches_quadrature() {
        for &(k1, n1, k2, n2) in &[
            (3, 10, 5, 10),
            (0, 5, 0, 5),
            (7, 7, 2, 9),
            (40, 200, 30, 180),
            (1, 30, 0, 30),
            (0, 0, 3, 4),
        ] {
            let exact = chance_to_beat(k1, n1, k2, n2).expect("valid");
            let quad = beats_by_quadrature(k1, n1, k2, n2);
            assert!(
                (exact - quad).abs() < 1e-8,
                "{k1} {n1} {k2} {n2}: {exact} vs {quad}"
            );
        }
    }

    #[test]
    fn all_four_orientations_agree() {
        // Evaluate P(X > Y) through each orientation of Miller's sum.
        let (a1, b1, a2, b2) = (14_u64, 37_u64, 9_u64, 41_u64);
        let direct = prob_b_beats_a(a2, b2, a1, b1);
        let reflected = prob_b_beats_a(b1, a1, b2, a2);
        let swapped = 1.0 - prob_b_beats_a(a1, b1, a2, b2);
        let both = 1.0 - prob_b_beats_a(b2, a2, b1, a1);
        for v in [reflected, swapped, both] {
            assert!((v - direct).abs() < 1e-12, "{v} vs {direct}");
        }
    }

    #[test]
    fn chance_to_beat_symmetry_and_ties() {
        let p = chance_to_beat(120, 1000, 100, 1000).expect("valid");
        let q = chance_to_beat(100, 1000, 120, 1000).expect("valid");
        assert!((p + q - 1.0).abs() < 1e-12);
        assert!(p > 0.9 && p < 0.99, "{p}");
        let t = chance_to_beat(37, 400, 37, 400).expect("valid");
        assert!((t - 0.5).abs() < 1e-12, "{t}");
    }

    #[test]
    fn chance_to_beat_large_counts_is_fast_and_sane() {
        let start = std::time::Instant::now();
        let p = chance_to_beat(500_000, 1_000_000, 499_000, 1_000_000).expect("valid");
        // Normal approximation: diff 0.001, se = sqrt(2 * 0.25 / 1e6) ≈ 7.07e-4 → Φ(1.414) ≈ 0.9214.
        assert!((p - 0.9214).abs() < 1e-3, "{p}");
        assert!(start.elapsed().as_secs_f64() < 2.0);
        assert_eq!(
            chance_to_beat(5, 4, 1, 2),
            Err(StatsError::CountExceedsTrials {
                successes: 5,
                trials: 4
            })
        );
    }

    #[test]
    fn srm_values_and_errors() {
        // Perfect split → p = 1.
        let p = srm_chi_square(&[1000, 1000], &[1.0, 1.0]).expect("valid");
        assert!(close(p, 1.0, 1e-15));
        // scipy.stats.chisquare([1050, 950]).pvalue = 0.025347318677468325
        let p = srm_chi_square(&[1050, 950], &[0.5, 0.5]).expect("valid");
        assert!(close(p, 0.025347318677468325, 1e-9), "{p}");
        assert!(matches!(
            srm_chi_square(&[1, 2], &[1.0]),
            Err(StatsError::LengthMismatch { left: 2, right: 1 })
        ));
        assert!(matches!(
            srm_chi_square(&[1, 2], &[1.0, -1.0]),
            Err(StatsError::InvalidWeight { index: 1, .. })
        ));
        assert!(matches!(
            srm_chi_square(&[1, 2], &[0.0, 0.0]),
            Err(StatsError::InvalidWeight { index: 0, .. })
        ));
        assert!(matches!(
            srm_chi_square(&[0, 0], &[1.0, 1.0]),
            Err(StatsError::ZeroTotal(_))
        ));
        assert!(matches!(
            srm_chi_square(&[5], &[1.0]),
            Err(StatsError::TooFew { .. })
        ));
    }

    #[test]
    fn cluster_ratio_matches_covariance_formula() {
        let data = [(1.0, 4.0), (0.0, 2.0), (3.0, 5.0), (2.0, 2.0), (0.0, 1.0)];
        let est = cluster_ratio(&data).expect("valid");
        let m = data.len() as f64;
        let (sy, sx): (f64, f64) = data.iter().fold((0.0, 0.0), |a, c| (a.0 + c.0, a.1 + c.1));
        let r = sy / sx;
        let (my, mx) = (sy / m, sx / m);
        let vy = data.iter().map(|c| (c.0 - my).powi(2)).sum::<f64>() / (m - 1.0);
        let vx = data.iter().map(|c| (c.1 - mx).powi(2)).sum::<f64>() / (m - 1.0);
        let cxy = data.iter().map(|c| (c.0 - my) * (c.1 - mx)).sum::<f64>() / (m - 1.0);
        let var = (vy - 2.0 * r * cxy + r * r * vx) / (m * mx * mx);
        assert!(close(est.ratio, 6.0 / 14.0, 1e-15));
        assert!(close(est.variance, var, 1e-12), "{} vs {var}", est.variance);
        assert_eq!(est.n_clusters, 5);
    }

    #[test]
    fn cluster_ratio_errors() {
        assert!(matches!(
            cluster_ratio(&[(1.0, 2.0)]),
            Err(StatsError::TooFew { .. })
        ));
        assert!(matches!(
            cluster_ratio(&[(0.0, 0.0), (0.0, 0.0)]),
            Err(StatsError::ZeroTotal(_))
        ));
        assert!(matches!(
            cluster_ratio(&[(1.0, -2.0), (0.0, 3.0)]),
            Err(StatsError::InvalidValue { .. })
        ));
        assert!(matches!(
            cluster_ratio(&[(f64::NAN, 2.0), (0.0, 3.0)]),
            Err(StatsError::InvalidValue { .. })
        ));
    }

    /// Simulation sanity check: the delta-method variance should match the
    /// Monte-Carlo variance of the ratio across replicated experiments.
    #[test]
    fn cluster_variance_matches_simulation() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_pcg::Pcg64::seed_from_u64(7);
        let m = 200;
        let reps = 2000;
        let mut ratios = Vec::with_capacity(reps);
        let mut vars = Vec::with_capacity(reps);
        for _ in 0..reps {
            let clusters: Vec<(f64, f64)> = (0..m)
                .map(|_| {
                    // Account size 1..=8 contacts; account-level pass rate varies
                    // (intra-cluster correlation), so naive binomial variance is too small.
                    let size = rng.random_range(1..=8_u32);
                    let p_acc: f64 = if rng.random_bool(0.5) { 0.05 } else { 0.35 };
                    let passed = (0..size).filter(|_| rng.random_bool(p_acc)).count();
                    (passed as f64, size as f64)
                })
                .collect();
            let est = cluster_ratio(&clusters).expect("valid");
            ratios.push(est.ratio);
            vars.push(est.variance);
        }
        let mean = ratios.iter().sum::<f64>() / reps as f64;
        let mc_var = ratios.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (reps as f64 - 1.0);
        let avg_delta = vars.iter().sum::<f64>() / reps as f64;
        // Sampling error of a variance from 2000 reps is ~ sqrt(2/2000) ≈ 3 %.
        let rel = (avg_delta / mc_var - 1.0).abs();
        assert!(rel < 0.10, "delta {avg_delta} vs MC {mc_var}");
    }

    #[test]
    fn cluster_diff_values() {
        let t = RatioEstimate {
            ratio: 0.30,
            variance: 0.0004,
            n_clusters: 50,
        };
        let c = RatioEstimate {
            ratio: 0.25,
            variance: 0.0005,
            n_clusters: 50,
        };
        let d = cluster_diff(&t, &c, 0.05).expect("valid");
        let se = 0.0009_f64.sqrt();
        assert!(close(d.diff, 0.05, 1e-12));
        assert!(close(d.z, 0.05 / se, 1e-12));
        assert!(close(d.ci.lo, 0.05 - crate::Z95 * se, 1e-12));
        // 2 * norm.sf(0.05 / 0.03) = 0.0955807045456294
        assert!(close(d.p_value, 0.0955807045456294, 1e-10), "{}", d.p_value);
        let z0 = RatioEstimate {
            ratio: 0.2,
            variance: 0.0,
            n_clusters: 3,
        };
        let same = cluster_diff(&z0, &z0, 0.05).expect("valid");
        assert_eq!((same.z, same.p_value), (0.0, 1.0));
        let z1 = RatioEstimate { ratio: 0.3, ..z0 };
        assert!(matches!(
            cluster_diff(&z1, &z0, 0.05),
            Err(StatsError::DegenerateVariance { .. })
        ));
        let bad = RatioEstimate {
            variance: f64::NAN,
            ..z0
        };
        assert!(cluster_diff(&bad, &z0, 0.05).is_err());
    }
}

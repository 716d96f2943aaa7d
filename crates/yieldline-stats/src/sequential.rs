//! Always-valid p-values for the difference of two proportions, so an
//! experiment can be looked at every day without inflating false positives.
//!
//! This is the normal-mixture sequential probability ratio test (mSPRT) of
//! Johari, Pekelis & Walsh, "Always valid inference: continuous monitoring of
//! A/B tests" (Operations Research, 2022; arXiv 1512.04922) and Johari,
//! Koomen, Pekelis & Walsh, "Peeking at A/B tests" (KDD 2017).
//!
//! At each look `t` (cumulative counts), with `θ̂ = p̂1 − p̂2` and
//!
//! ```text
//! V = p̂1(1 − p̂1)/n1 + p̂2(1 − p̂2)/n2        (unpooled plug-in variance of θ̂)
//! Λ_t = sqrt(V / (V + τ²)) · exp( τ² θ̂² / (2 V (V + τ²)) )
//! p_t = min(p_{t−1}, 1 / Λ_t),  p_0 = 1
//! ```
//!
//! `Λ_t` is the likelihood ratio of `θ̂ ~ N(θ, V)` integrated over the mixing
//! distribution `θ ~ N(0, τ²)` against `θ = 0`. Under the null it is (in the
//! normal approximation) a non-negative martingale, so by Ville's inequality
//! `P(∃t: Λ_t ≥ 1/α) ≤ α`: rejecting whenever `p_t ≤ α` controls the type-I
//! error however often, and whenever, one looks.
//!
//! **Variance.** `V` uses each arm's own observed rate (unpooled), as in the
//! papers' two-sample binary case. Looks where `V = 0` (an arm with no
//! trials, or both arms with rates exactly 0 or 1) carry no usable
//! information and are skipped; they leave `p` unchanged.
//!
//! **Mixing variance.** The papers recommend matching `τ²` to the spread of
//! true effects one expects (Optimizely fitted it to the distribution of
//! effects in past experiments); the test is valid for any `τ² > 0`, the
//! choice only moves power between small/late and large/early effects. The
//! default [`MixtureSprt::DEFAULT_TAU2`] `= 1e-4` (τ = 0.01) targets
//! absolute differences of about one percentage point, the typical size of a
//! worthwhile change to a station yield of 5–30 % in outbound prospecting.
//! Use [`MixtureSprt::for_effect`] to set `τ = |δ|` for an anticipated effect
//! `δ`.

use crate::StatsError;
use serde::{Deserialize, Serialize};

/// Cumulative counts at one look: treatment = arm 1, control = arm 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Look {
    /// Treatment successes so far.
    pub k1: u64,
    /// Treatment trials so far.
    pub n1: u64,
    /// Control successes so far.
    pub k2: u64,
    /// Control trials so far.
    pub n2: u64,
}

/// Normal-mixture SPRT for `p1 − p2` with mixing variance `τ²`
/// (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MixtureSprt {
    tau2: f64,
}

impl Default for MixtureSprt {
    /// `τ² =` [`MixtureSprt::DEFAULT_TAU2`].
    fn default() -> Self {
        Self {
            tau2: Self::DEFAULT_TAU2,
        }
    }
}

impl MixtureSprt {
    /// Default mixing variance `τ² = 1e-4` (τ = one percentage point).
    pub const DEFAULT_TAU2: f64 = 1e-4;

    /// A test with mixing variance `tau2`.
    ///
    /// # Errors
    /// [`StatsError::InvalidValue`] unless `tau2` is finite and `> 0`.
    pub fn new(tau2: f64) -> Result<Self, StatsError> {
        if tau2.is_finite() && tau2 > 0.0 {
            Ok(Self { tau2 })
        } else {
            Err(StatsError::InvalidValue {
                what: "tau2",
                value: tau2,
            })
        }
    }

    /// A test tuned to an anticipated absolute effect `delta`: `τ² = δ²`.
    ///
    /// # Errors
    /// [`StatsError::InvalidValue`] if `delta` is zero or not finite.
    pub fn for_effect(delta: f64) -> Result<Self, StatsError> {
        if !(delta.is_finite() && delta != 0.0) {
            return Err(StatsError::InvalidValue {
                what: "delta",
                value: delta,
            });
        }
        Self::new(delta * delta)
    }

    /// The mixing variance `τ²`.
    pub fn tau2(&self) -> f64 {
        self.tau2
    }

    /// `ln Λ` for one look, or `None` if the look is skipped (an empty arm or
    /// `V = 0`).
    ///
    /// # Errors
    /// [`StatsError::CountExceedsTrials`] if `k > n` in an arm.
    pub fn log_likelihood_ratio(&self, look: &Look) -> Result<Option<f64>, StatsError> {
        for (k, n) in [(look.k1, look.n1), (look.k2, look.n2)] {
            if k > n {
                return Err(StatsError::CountExceedsTrials {
                    successes: k,
                    trials: n,
                });
            }
        }
        if look.n1 == 0 || look.n2 == 0 {
            return Ok(None);
        }
        let (n1, n2) = (look.n1 as f64, look.n2 as f64);
        let p1 = look.k1 as f64 / n1;
        let p2 = look.k2 as f64 / n2;
        let v = p1 * (1.0 - p1) / n1 + p2 * (1.0 - p2) / n2;
        if !(v.is_finite() && v > 0.0) {
            return Ok(None);
        }
        let theta = p1 - p2;
        let t2 = self.tau2;
        Ok(Some(
            0.5 * (v / (v + t2)).ln() + t2 * theta * theta / (2.0 * v * (v + t2)),
        ))
    }

    /// The always-valid p-value after each look (`p_t`, non-increasing).
    ///
    /// # Errors
    /// [`StatsError::CountExceedsTrials`]; [`StatsError::NotCumulative`] if any
    /// count decreases from one look to the next.
    pub fn p_values(&self, looks: &[Look]) -> Result<Vec<f64>, StatsError> {
        let mut out = Vec::with_capacity(looks.len());
        let mut p = 1.0_f64;
        let mut prev = Look::default();
        for (index, look) in looks.iter().enumerate() {
            if look.k1 < prev.k1 || look.n1 < prev.n1 || look.k2 < prev.k2 || look.n2 < prev.n2 {
                return Err(StatsError::NotCumulative { index });
            }
            prev = *look;
            if let Some(llr) = self.log_likelihood_ratio(look)? {
                // 1/Λ = exp(−ln Λ); exp underflows to 0, never NaN.
                p = p.min((-llr).exp());
            }
            out.push(p);
        }
        Ok(out)
    }

    /// The always-valid p-value after the last look (1 if there are no usable
    /// looks).
    ///
    /// # Errors
    /// As [`MixtureSprt::p_values`].
    pub fn always_valid_p(&self, looks: &[Look]) -> Result<f64, StatsError> {
        Ok(self.p_values(looks)?.last().copied().unwrap_or(1.0))
    }
}

/// Always-valid p-value after the last of `looks` (cumulative counts at each
/// daily look) with mixing variance `tau2`; see the [module docs](self).
///
/// # Errors
/// [`StatsError::InvalidValue`] for a bad `tau2`, plus those of
/// [`MixtureSprt::p_values`].
pub fn always_valid_p(looks: &[Look], tau2: f64) -> Result<f64, StatsError> {
    MixtureSprt::new(tau2)?.always_valid_p(looks)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn look(k1: u64, n1: u64, k2: u64, n2: u64) -> Look {
        Look { k1, n1, k2, n2 }
    }

    #[test]
    fn single_look_matches_formula() {
        let l = look(130, 1000, 100, 1000);
        let (p1, p2) = (0.13_f64, 0.10_f64);
        let v = p1 * (1.0 - p1) / 1000.0 + p2 * (1.0 - p2) / 1000.0;
        let t2 = 1e-4;
        let lam = (v / (v + t2)).sqrt() * (t2 * 0.03_f64.powi(2) / (2.0 * v * (v + t2))).exp();
        let p = always_valid_p(&[l], t2).expect("valid");
        assert!(
            (p - 1.0 / lam).abs() < 1e-12 * (1.0 / lam),
            "{p} vs {}",
            1.0 / lam
        );
    }

    #[test]
    fn p_is_running_minimum_and_capped_at_one() {
        let looks = [
            look(0, 0, 0, 0),   // empty: skipped
            look(0, 10, 0, 10), // V = 0: skipped
            look(30, 200, 10, 200),
            look(31, 400, 30, 400), // evidence fades; p must not rise
        ];
        let ps = MixtureSprt::default().p_values(&looks).expect("valid");
        assert_eq!(ps[0], 1.0);
        assert_eq!(ps[1], 1.0);
        assert!(ps[2] < 1.0);
        assert_eq!(ps[3], ps[2]);
        assert!(ps.iter().all(|p| (0.0..=1.0).contains(p)));
    }

    #[test]
    fn no_looks_means_p_one() {
        assert_eq!(always_valid_p(&[], 1e-4), Ok(1.0));
    }

    #[test]
    fn huge_effect_gives_tiny_but_finite_p() {
        let p = always_valid_p(&[look(9_000, 10_000, 1_000, 10_000)], 1e-4).expect("valid");
        assert!((0.0..1e-100).contains(&p), "{p}");
    }

    #[test]
    fn invalid_inputs_are_errors() {
        assert!(MixtureSprt::new(0.0).is_err());
        assert!(MixtureSprt::new(f64::NAN).is_err());
        assert!(MixtureSprt::for_effect(0.0).is_err());
        assert_eq!(
            MixtureSprt::for_effect(0.02).map(|m| m.tau2()),
            Ok(0.02 * 0.02)
        );
        assert!(matches!(
            always_valid_p(&[look(5, 4, 0, 4)], 1e-4),
            Err(StatsError::CountExceedsTrials { .. })
        ));
        assert_eq!(
            always_valid_p(&[look(5, 40, 3, 40), look(5, 30, 3, 50)], 1e-4),
            Err(StatsError::NotCumulative { index: 1 })
        );
    }

    #[test]
    fn more_evidence_lowers_p() {
        let weak = always_valid_p(&[look(60, 500, 50, 500)], 1e-4).expect("valid");
        let strong = always_valid_p(&[look(600, 5000, 500, 5000)], 1e-4).expect("valid");
        assert!(strong < weak, "{strong} vs {weak}");
    }
}

//! Calibration of the response model from observed outreach: the Beta distribution
//! of account propensities and the fatigue slope.
//!
//! # Propensity (method of moments with a binomial-noise correction)
//! Only accounts with at least `min_touches` touches are used (the shrinkage rule: an
//! account with two touches and one reply says little about its propensity, and its
//! raw rate would inflate the spread). With `n_i` touches and `r_i` replies:
//! - mean `m = Σr_i / Σn_i` (pooled);
//! - observed variance of the raw rates `V = mean((r_i/n_i − m)²)`;
//! - expected binomial noise `E = m(1−m)·mean(1/n_i)`;
//! - between-account variance `σ² = V − E`; concentration `α+β = m(1−m)/σ² − 1`,
//!   clamped to `[0.1, 1000]` (1000 when `σ² ≤ 0`: no over-dispersion seen);
//! - `α = m(α+β)`, `β = (1−m)(α+β)`.
//!
//! # Fatigue (log-linear weighted least squares)
//! Touches are bucketed by prior touches to the same contact in the previous 30 days
//! (bucket 15 holds 15 and more). Each bucket's reply rate, with a half-reply
//! continuity correction `(r+½)/(n+1)`, is regressed on its prior-touch count:
//! `ln rate_k = a + b·k`, weighted by `n_k`. The fatigue slope is `−b`; `eᵃ` is the
//! reply rate of a first touch. Caveat: contacts who reply leave their sequence, so
//! later touches reach a less responsive mix and the slope is an upper bound of the
//! causal fatigue effect.

use serde::{Deserialize, Serialize};

use crate::{Scenario, SimError};

/// Per-account outreach totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountObservation {
    /// Touches to the account's contacts.
    pub touches: u64,
    /// Replies received.
    pub replies: u64,
}

/// One observed touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TouchObservation {
    /// Touches to the same contact in the 30 days before this one.
    pub prior_touches_30d: u32,
    /// Whether this touch got a reply.
    pub replied: bool,
}

/// What calibration reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationInput {
    /// Per-account totals.
    pub accounts: Vec<AccountObservation>,
    /// Per-touch observations.
    pub touches: Vec<TouchObservation>,
    /// Accounts with fewer touches are left out of the propensity fit (5 is a good
    /// default; 0 is treated as 1).
    pub min_touches: u64,
}

/// One prior-touch bucket of the fatigue fit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FatigueBucket {
    /// Prior touches in 30 days (15 = 15 or more).
    pub prior_touches: u32,
    /// Touches in the bucket.
    pub touches: u64,
    /// Replies in the bucket.
    pub replies: u64,
}

/// Fitted parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// Mean propensity (pooled reply rate of the accounts used).
    pub propensity_mean: f64,
    /// α + β of the fitted Beta.
    pub propensity_concentration: f64,
    /// Beta α.
    pub alpha: f64,
    /// Beta β.
    pub beta: f64,
    /// Accounts that passed the minimum-touches rule.
    pub accounts_used: usize,
    /// Whether the rates were more spread than binomial noise alone explains.
    pub overdispersed: bool,
    /// Fitted fatigue slope (reply multiplier `exp(−slope)` per prior touch).
    pub fatigue_slope: f64,
    /// Fitted reply rate of a touch with no prior touch.
    pub first_touch_reply_rate: f64,
    /// The buckets the slope was fitted on.
    pub buckets: Vec<FatigueBucket>,
}

const MAX_BUCKET: u32 = 15;
const MAX_CONCENTRATION: f64 = 1000.0;

/// Fits the propensity Beta and the fatigue slope; see the module docs for the method.
pub fn calibrate(obs: &CalibrationInput) -> Result<Calibration, SimError> {
    let min = obs.min_touches.max(1);
    let used: Vec<&AccountObservation> = obs
        .accounts
        .iter()
        .filter(|a| a.touches >= min && a.replies <= a.touches)
        .collect();
    if used.len() < 2 {
        return Err(SimError::Calibration(format!(
            "need at least 2 accounts with {min} or more touches, found {}",
            used.len()
        )));
    }
    let n_tot: u64 = used.iter().map(|a| a.touches).sum();
    let r_tot: u64 = used.iter().map(|a| a.replies).sum();
    let m = r_tot as f64 / n_tot as f64;
    if !(m > 0.0 && m < 1.0) {
        return Err(SimError::Calibration(format!(
            "pooled reply rate is {m}; a Beta needs it strictly between 0 and 1"
        )));
    }
    let k = used.len() as f64;
    let v = used
        .iter()
        .map(|a| (a.replies as f64 / a.touches as f64 - m).powi(2))
        .sum::<f64>()
        / k;
    let noise = m * (1.0 - m) * used.iter().map(|a| 1.0 / a.touches as f64).sum::<f64>() / k;
    let sigma2 = v - noise;
    let overdispersed = sigma2 > 0.0;
    let conc = if overdispersed {
        (m * (1.0 - m) / sigma2 - 1.0).clamp(0.1, MAX_CONCENTRATION)
    } else {
        MAX_CONCENTRATION
    };

    let mut buckets: Vec<FatigueBucket> = (0..=MAX_BUCKET)
        .map(|p| FatigueBucket {
            prior_touches: p,
            touches: 0,
            replies: 0,
        })
        .collect();
    for t in &obs.touches {
        let b = &mut buckets[t.prior_touches_30d.min(MAX_BUCKET) as usize];
        b.touches += 1;
        b.replies += u64::from(t.replied);
    }
    buckets.retain(|b| b.touches > 0);
    if buckets.len() < 2 {
        return Err(SimError::Calibration(
            "need touches with at least two different prior-touch counts".into(),
        ));
    }
    let (mut sw, mut sx, mut sy, mut sxx, mut sxy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for b in &buckets {
        let w = b.touches as f64;
        let x = f64::from(b.prior_touches);
        let y = ((b.replies as f64 + 0.5) / (b.touches as f64 + 1.0)).ln();
        sw += w;
        sx += w * x;
        sy += w * y;
        sxx += w * x * x;
        sxy += w * x * y;
    }
    let den = sw * sxx - sx * sx;
    if den.abs() < 1e-12 {
        return Err(SimError::Calibration(
            "prior-touch counts do not vary".into(),
        ));
    }
    let slope = (sw * sxy - sx * sy) / den;
    let intercept = (sy - slope * sx) / sw;
    Ok(Calibration {
        propensity_mean: m,
        propensity_concentration: conc,
        alpha: m * conc,
        beta: (1.0 - m) * conc,
        accounts_used: used.len(),
        overdispersed,
        fatigue_slope: -slope,
        first_touch_reply_rate: intercept.exp(),
        buckets,
    })
}

impl Calibration {
    /// Writes the fit into a scenario: the concentration and the fatigue slope, and
    /// the tier means rescaled (keeping their ratios) so that their share-weighted
    /// mean equals the fitted mean. A negative slope (replies rising with touches) is
    /// stored as 0.
    pub fn apply_to(&self, scenario: &mut Scenario) {
        let t = &mut scenario.territory;
        t.propensity_concentration = self.propensity_concentration;
        let cur: f64 = t
            .tier_shares
            .iter()
            .zip(&t.tier_mean_propensity)
            .map(|(s, p)| s * p)
            .sum();
        if cur > 0.0 {
            let f = self.propensity_mean / cur;
            for p in &mut t.tier_mean_propensity {
                *p = (*p * f).clamp(1e-6, 1.0 - 1e-6);
            }
        }
        scenario.response.fatigue_slope = self.fatigue_slope.max(0.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_distr::{Beta, Distribution};

    #[test]
    fn recovers_beta_and_fatigue_from_synthetic_data() {
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(11);
        let beta = Beta::new(2.0, 38.0).expect("beta"); // mean 0.05, concentration 40
        let slope = 0.2;
        let mut accounts = Vec::new();
        let mut touches = Vec::new();
        for _ in 0..4000 {
            let p: f64 = beta.sample(&mut rng);
            let n = rng.random_range(20..60u64);
            let mut r = 0;
            for _ in 0..n {
                r += u64::from(rng.random::<f64>() < p);
            }
            accounts.push(AccountObservation {
                touches: n,
                replies: r,
            });
        }
        for _ in 0..200_000 {
            let k = rng.random_range(0..8u32);
            let p = 0.08 * (-slope * f64::from(k)).exp();
            touches.push(TouchObservation {
                prior_touches_30d: k,
                replied: rng.random::<f64>() < p,
            });
        }
        let cal = calibrate(&CalibrationInput {
            accounts,
            touches,
            min_touches: 5,
        })
        .expect("fit");
        assert!((cal.propensity_mean - 0.05).abs() < 0.003, "{cal:?}");
        assert!((cal.propensity_concentration - 40.0).abs() < 8.0, "{cal:?}");
        assert!((cal.fatigue_slope - slope).abs() < 0.02, "{cal:?}");
        assert!((cal.first_touch_reply_rate - 0.08).abs() < 0.005, "{cal:?}");
        let mut s = Scenario::default();
        cal.apply_to(&mut s);
        let mean: f64 = s
            .territory
            .tier_shares
            .iter()
            .zip(&s.territory.tier_mean_propensity)
            .map(|(a, b)| a * b)
            .sum();
        assert!((mean - cal.propensity_mean).abs() < 1e-9);
        assert!(s.validate().is_ok());
    }

    #[test]
    fn refuses_thin_input() {
        let input = CalibrationInput {
            accounts: vec![AccountObservation {
                touches: 2,
                replies: 1,
            }],
            touches: vec![],
            min_touches: 5,
        };
        assert!(matches!(calibrate(&input), Err(SimError::Calibration(_))));
    }
}

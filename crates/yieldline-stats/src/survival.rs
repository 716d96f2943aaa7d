//! Competing-risks conversion with censoring: Aalen–Johansen cumulative
//! incidence, the Kaplan–Meier survival of "any disposition", its median, and
//! pointwise confidence intervals.
//!
//! A station's *visit* is an entry paired with its disposition — passed,
//! failed, recycled (the competing causes) — or still open at the as-of
//! instant, in which case it is *censored* there. Time is measured from entry
//! in days (`(disposition ts − entry ts) / 86 400 s`, a float `≥ 0`); for an
//! open visit it is `(as-of − entry ts) / 86 400 s`.
//!
//! Everything is checked against scikit-survival 0.28
//! (`tools/reference/survival_refs.py` → `tests/fixtures/survival_refs.json`):
//! `cumulative_incidence_competing_risks(event, time, conf_type="log-log",
//! var_type="Aalen")` for the incidence and its interval,
//! `kaplan_meier_estimator(event > 0, time, conf_type="log-log")` for the
//! survival and its interval, and lifelines' `median_survival_time_`
//! convention for the median.
//!
//! # Estimator
//!
//! Let `t₁ < t₂ < …` be the distinct observed times (events *and*
//! censorings), `nᵢ` the visits at risk just before `tᵢ` (those with time
//! `≥ tᵢ`), `dᵢₖ` the dispositions of cause `k` at `tᵢ` and `dᵢ = Σₖ dᵢₖ`.
//! All events at one time are processed together, and a visit censored at `tᵢ`
//! is still at risk at `tᵢ` (at tied times events come before censorings).
//!
//! * Kaplan–Meier, any disposition: `S(t) = Πᵢ:tᵢ≤t (1 − dᵢ/nᵢ)`.
//! * Aalen–Johansen cumulative incidence of cause `k`:
//!   `Fₖ(t) = Σᵢ:tᵢ≤t S(tᵢ₋₁) · dᵢₖ/nᵢ` (with `S(t₀) = 1`), so that
//!   `Σₖ Fₖ(t) + S(t) = 1`.
//!
//! Both are right-continuous step functions: the value at `tᵢ` includes the
//! events at `tᵢ` and holds until `tᵢ₊₁`. Before `t₁` the incidence is 0 and the
//! survival 1. After the last observed time the last value is held (the
//! estimator carries no information there; compare a horizon with
//! [`CumulativeIncidence::last_time`] to refuse extrapolation). The arithmetic
//! follows scikit-survival's operation order (`cumprod` / `cumsum`), so point
//! estimates agree with it bit for bit (except that an incidence is capped at
//! 1 where the running sum overshoots by an ulp).
//!
//! # Confidence intervals
//!
//! Pointwise, two-sided level `1 − alpha`, `z = Φ⁻¹(1 − alpha/2)`, both with
//! the **log(−log) transform** `g(p) = log(−log p)`, i.e. the interval
//! `[p^exp(−zθ), p^exp(zθ)]` with `θ = σ / log p` and `σ` the standard error of
//! `log p`:
//!
//! * incidence: `σ = √Var(Fₖ) / Fₖ` with **Aalen's variance estimator** (Aalen
//!   1978, in the form of Pintilie 2006, eq. 4.5 — sksurv's `var_type="Aalen"`):
//!
//!   ```text
//!   Var Fₖ(tⱼ) = Σᵢ≤ⱼ (Fₖ(tⱼ) − Fₖ(tᵢ))² · dᵢ / ((nᵢ − 1)(nᵢ − dᵢ))
//!              + Σᵢ≤ⱼ S(tᵢ₋₁)² · dᵢₖ (nᵢ − dᵢₖ) / ((nᵢ − 1) nᵢ²)
//!              − 2 Σᵢ≤ⱼ (Fₖ(tⱼ) − Fₖ(tᵢ)) · S(tᵢ₋₁) · dᵢₖ (nᵢ − dᵢₖ) / (nᵢ (nᵢ − dᵢ)(nᵢ − 1))
//!   ```
//!
//!   where a term whose denominator is 0 counts as 0. The sums are carried
//!   forward in O(1) per time — O(K·T) in all instead of sksurv's O(K·T²) —
//!   and every running sum has non-negative terms, so the recurrence rounds
//!   like a plain sum (agreement with sksurv: ~2e-15 relative). In tiny
//!   samples the estimate can be 0 or even negative (e.g. one visit left).
//! * survival: `σ² = Σᵢ dᵢ / (nᵢ (nᵢ − dᵢ))` (Greenwood's variance of `log S`;
//!   terms with `dᵢ = nᵢ` count as 0).
//!
//! Degenerate cases follow sksurv: where the estimate is `≤ ε`
//! (`f64::EPSILON`) the interval is `[0, 0]`; where the variance is `≤ ε` or
//! `log p ≥ −ε` (the estimate is 1), it collapses to `[p, p]` (sksurv's
//! `exp(log p)` there can miss `p` by an ulp). Otherwise `lo < p < hi`. So
//! with all visits censored every incidence is 0 with `[0, 0]` and the
//! survival 1 with `[1, 1]`.
//!
//! (sksurv's public function refuses data with a single cause or no events,
//! and data where a cause never occurs; the fixture covers those cases through
//! its building blocks — see the generator's docstring.)

use crate::normal::z_two_sided;
use crate::{Interval, StatsError};

/// One visit: its time in the station (days, finite, `≥ 0`) and how it ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observation {
    /// Days from entry to disposition, or to the as-of instant if still open.
    pub time: f64,
    /// The cause of the disposition, `0..n_causes`; `None` if the visit is
    /// still open (censored at `time`).
    pub outcome: Option<usize>,
}

impl Observation {
    /// A visit disposed by cause `cause` after `time` days.
    pub const fn event(time: f64, cause: usize) -> Self {
        Self {
            time,
            outcome: Some(cause),
        }
    }

    /// A visit still open after `time` days (censored).
    pub const fn censored(time: f64) -> Self {
        Self {
            time,
            outcome: None,
        }
    }
}

/// Aalen–Johansen cumulative incidence curves, one per cause, with the
/// Kaplan–Meier survival of "any disposition", on the distinct observed times.
///
/// Built by [`aalen_johansen`]; see the [module documentation](self) for the
/// estimator, the tie rule and the interval method.
#[derive(Debug, Clone, PartialEq)]
pub struct CumulativeIncidence {
    n_causes: usize,
    n_observations: usize,
    times: Vec<f64>,
    at_risk: Vec<u64>,
    events_total: Vec<u64>,
    /// `[cause][time]`
    events: Vec<Vec<u64>>,
    censored: Vec<u64>,
    survival: Vec<f64>,
    /// Greenwood's `Var(log S)` at each time.
    log_survival_var: Vec<f64>,
    /// `[cause][time]`
    cif: Vec<Vec<f64>>,
    /// Aalen's variance, `[cause][time]`.
    variance: Vec<Vec<f64>>,
}

/// Estimate the cumulative incidence of `n_causes` competing causes (and the
/// survival of any disposition) from `observations`.
///
/// Returns `Ok(None)` when there are no observations (nothing to estimate).
///
/// # Errors
///
/// * [`StatsError::TooFew`] if `n_causes` is 0;
/// * [`StatsError::InvalidTime`] for a negative, `NaN` or infinite time
///   (`-0.0` is read as `0`);
/// * [`StatsError::InvalidCause`] for an outcome `Some(k)` with `k ≥ n_causes`.
pub fn aalen_johansen(
    observations: &[Observation],
    n_causes: usize,
) -> Result<Option<CumulativeIncidence>, StatsError> {
    if n_causes == 0 {
        return Err(StatsError::TooFew {
            what: "causes",
            needed: 1,
            got: 0,
        });
    }
    let mut obs = Vec::with_capacity(observations.len());
    for (index, o) in observations.iter().enumerate() {
        if !(o.time.is_finite() && o.time >= 0.0) {
            return Err(StatsError::InvalidTime {
                index,
                value: o.time,
            });
        }
        if let Some(cause) = o.outcome
            && cause >= n_causes
        {
            return Err(StatsError::InvalidCause {
                index,
                cause,
                n_causes,
            });
        }
        // `+ 0.0` turns -0.0 into 0.0 so that sorting and grouping agree.
        obs.push((o.time + 0.0, o.outcome));
    }
    if obs.is_empty() {
        return Ok(None);
    }
    obs.sort_by(|a, b| a.0.total_cmp(&b.0));

    let mut est = CumulativeIncidence {
        n_causes,
        n_observations: obs.len(),
        times: Vec::new(),
        at_risk: Vec::new(),
        events_total: Vec::new(),
        events: vec![Vec::new(); n_causes],
        censored: Vec::new(),
        survival: Vec::new(),
        log_survival_var: Vec::new(),
        cif: vec![Vec::new(); n_causes],
        variance: vec![Vec::new(); n_causes],
    };
    let mut remaining = obs.len() as u64;
    let mut rest = obs.as_slice();
    while let Some(&(t, _)) = rest.first() {
        let len = rest.iter().take_while(|o| o.0 == t).count();
        let (group, tail) = rest.split_at(len);
        rest = tail;
        for col in &mut est.events {
            col.push(0);
        }
        let (mut d, mut c) = (0_u64, 0_u64);
        for &(_, outcome) in group {
            match outcome
                .and_then(|k| est.events.get_mut(k))
                .and_then(|col| col.last_mut())
            {
                Some(count) => {
                    *count += 1;
                    d += 1;
                }
                None => c += 1,
            }
        }
        est.times.push(t);
        est.at_risk.push(remaining);
        est.events_total.push(d);
        est.censored.push(c);
        remaining -= len as u64;
    }
    est.compute();
    Ok(Some(est))
}

/// `num / den` as sksurv's `np.divide(..., where=...)`: 0 where the condition fails.
fn ratio_or_zero(num: f64, den: f64, ok: bool) -> f64 {
    if ok { num / den } else { 0.0 }
}

impl CumulativeIncidence {
    /// Fill survival, incidence and variances from the counts.
    fn compute(&mut self) {
        let n_t = self.times.len();
        // Kaplan–Meier (numpy cumprod of 1 − d/n) and Greenwood's Var(log S).
        let mut s = 1.0_f64;
        let mut greenwood = 0.0_f64;
        let mut s_before = Vec::with_capacity(n_t); // S(tᵢ₋₁), sksurv's kpe_prime
        // Counts go to f64 before any product: exact up to 2⁵³, and no overflow
        // (sksurv's int64 products overflow beyond about two million visits).
        for i in 0..n_t {
            let (n, d) = (self.at_risk[i] as f64, self.events_total[i] as f64);
            s_before.push(s);
            s *= 1.0 - ratio_or_zero(d, n, d != 0.0);
            self.survival.push(s);
            greenwood += ratio_or_zero(d, n * (n - d), d != 0.0 && n != d);
            self.log_survival_var.push(greenwood);
        }

        for k in 0..self.n_causes {
            let events = &self.events[k];
            let mut f = 0.0_f64;
            let cif = &mut self.cif[k];
            for i in 0..n_t {
                let (n, dk) = (self.at_risk[i] as f64, events[i]);
                f += ratio_or_zero(dk as f64, n, dk != 0) * s_before[i];
                // The running sum can exceed 1 by an ulp when one cause takes
                // every visit; the curve is a probability.
                cif.push(f.min(1.0));
            }

            // Aalen's variance with running sums over i ≤ j, re-centred on
            // F(tⱼ) as j advances (δ = F(tⱼ) − F(tⱼ₋₁) ≥ 0):
            //   a_sum = Σ aᵢ, b_sum = Σ aᵢ (F(tⱼ) − F(tᵢ)), c_sum = Σ aᵢ (F(tⱼ) − F(tᵢ))²,
            //   w_sum = Σ wᵢ, x_sum = Σ wᵢ (F(tⱼ) − F(tᵢ)), v_sum = Σ vᵢ.
            let var = &mut self.variance[k];
            let (mut a_sum, mut b_sum, mut c_sum) = (0.0_f64, 0.0_f64, 0.0_f64);
            let (mut w_sum, mut x_sum, mut v_sum) = (0.0_f64, 0.0_f64, 0.0_f64);
            let mut f_prev = 0.0_f64;
            for i in 0..n_t {
                let n = self.at_risk[i] as f64;
                let (d, dk) = (self.events_total[i] as f64, events[i] as f64);
                let f = cif[i];
                let delta = f - f_prev;
                f_prev = f;
                c_sum += 2.0 * delta * b_sum + delta * delta * a_sum;
                b_sum += delta * a_sum;
                x_sum += delta * w_sum;

                let den_a = (n - 1.0) * (n - d);
                a_sum += ratio_or_zero(d, den_a, den_a > 0.0);
                let den_b = (n - 1.0) * n * n;
                let vb = ratio_or_zero(1.0, den_b, den_b > 0.0);
                let sp = s_before[i];
                v_sum += ((n - dk) * dk) * vb * (sp * sp);
                let den_c = n * (n - d) * (n - 1.0);
                w_sum += (dk * (n - dk)) * ratio_or_zero(sp, den_c, den_c > 0.0);

                var.push(c_sum + v_sum + -2.0 * x_sum);
            }
        }
    }

    fn check_cause(&self, cause: usize) -> Result<(), StatsError> {
        if cause < self.n_causes {
            Ok(())
        } else {
            Err(StatsError::UnknownCause {
                cause,
                n_causes: self.n_causes,
            })
        }
    }

    /// Index of the last distinct time `≤ h`, `None` before the first time.
    fn step_index(&self, h: f64) -> Result<Option<usize>, StatsError> {
        if h.is_nan() {
            return Err(StatsError::InvalidValue {
                what: "horizon",
                value: h,
            });
        }
        Ok(self.times.partition_point(|&t| t <= h).checked_sub(1))
    }

    /// Number of competing causes `K`.
    pub fn n_causes(&self) -> usize {
        self.n_causes
    }

    /// Number of observations (visits) the estimate was built from.
    pub fn n_observations(&self) -> usize {
        self.n_observations
    }

    /// The distinct observed times (dispositions and censorings), ascending.
    /// Every per-time slice of this type is aligned with it.
    pub fn times(&self) -> &[f64] {
        &self.times
    }

    /// The largest observed time; beyond it curves are held at their last value.
    pub fn last_time(&self) -> f64 {
        self.times.last().copied().unwrap_or(0.0)
    }

    /// Visits at risk just before each time (time `≥ tᵢ`, censored ones included).
    pub fn at_risk(&self) -> &[u64] {
        &self.at_risk
    }

    /// Dispositions of `cause` at each time.
    ///
    /// # Errors
    /// [`StatsError::UnknownCause`] if `cause ≥ n_causes`.
    pub fn events(&self, cause: usize) -> Result<&[u64], StatsError> {
        self.check_cause(cause)?;
        Ok(&self.events[cause])
    }

    /// Censored (still open) visits at each time.
    pub fn censored(&self) -> &[u64] {
        &self.censored
    }

    /// Cumulative incidence of `cause` at each of [`times`](Self::times): the
    /// step function's value on `[tᵢ, tᵢ₊₁)`.
    ///
    /// # Errors
    /// [`StatsError::UnknownCause`] if `cause ≥ n_causes`.
    pub fn cif(&self, cause: usize) -> Result<&[f64], StatsError> {
        self.check_cause(cause)?;
        Ok(&self.cif[cause])
    }

    /// Aalen's variance estimate of the cumulative incidence of `cause` at each
    /// time (see the module documentation; it can be `≤ 0` for tiny samples).
    ///
    /// # Errors
    /// [`StatsError::UnknownCause`] if `cause ≥ n_causes`.
    pub fn cif_variance(&self, cause: usize) -> Result<&[f64], StatsError> {
        self.check_cause(cause)?;
        Ok(&self.variance[cause])
    }

    /// Log(−log) confidence intervals (level `1 − alpha`, Aalen variance) of
    /// the cumulative incidence of `cause` at each time.
    ///
    /// # Errors
    /// [`StatsError::UnknownCause`], or [`StatsError::InvalidAlpha`] unless
    /// `0 < alpha < 1`.
    pub fn cif_intervals(&self, cause: usize, alpha: f64) -> Result<Vec<Interval>, StatsError> {
        self.check_cause(cause)?;
        let z = z_two_sided(alpha)?;
        Ok(self.cif[cause]
            .iter()
            .zip(&self.variance[cause])
            .map(|(&f, &v)| cif_interval(f, v, z))
            .collect())
    }

    /// Cumulative incidence of `cause` at each horizon (days): the value at the
    /// last distinct time `≤` the horizon (0 before the first time, the last
    /// value after the last time). Horizons need not be sorted.
    ///
    /// # Errors
    /// [`StatsError::UnknownCause`], or [`StatsError::InvalidValue`] for a
    /// `NaN` horizon.
    pub fn cif_at(&self, cause: usize, horizons: &[f64]) -> Result<Vec<f64>, StatsError> {
        self.check_cause(cause)?;
        let cif = &self.cif[cause];
        horizons
            .iter()
            .map(|&h| Ok(self.step_index(h)?.map_or(0.0, |i| cif[i])))
            .collect()
    }

    /// [`cif_intervals`](Self::cif_intervals) at each horizon, evaluated as in
    /// [`cif_at`](Self::cif_at) (`[0, 0]` before the first time).
    ///
    /// # Errors
    /// As [`cif_intervals`](Self::cif_intervals) and [`cif_at`](Self::cif_at).
    pub fn cif_intervals_at(
        &self,
        cause: usize,
        horizons: &[f64],
        alpha: f64,
    ) -> Result<Vec<Interval>, StatsError> {
        self.check_cause(cause)?;
        let z = z_two_sided(alpha)?;
        let (cif, var) = (&self.cif[cause], &self.variance[cause]);
        horizons
            .iter()
            .map(|&h| {
                Ok(self
                    .step_index(h)?
                    .map_or(Interval { lo: 0.0, hi: 0.0 }, |i| {
                        cif_interval(cif[i], var[i], z)
                    }))
            })
            .collect()
    }

    /// Kaplan–Meier probability that a visit is still undisposed (by any cause)
    /// at each time; equals `1 − Σₖ cif(k)` up to rounding.
    pub fn survival(&self) -> &[f64] {
        &self.survival
    }

    /// Log(−log) Greenwood confidence intervals (level `1 − alpha`) of the
    /// survival at each time.
    ///
    /// # Errors
    /// [`StatsError::InvalidAlpha`] unless `0 < alpha < 1`.
    pub fn survival_intervals(&self, alpha: f64) -> Result<Vec<Interval>, StatsError> {
        let z = z_two_sided(alpha)?;
        Ok(self
            .survival
            .iter()
            .zip(&self.log_survival_var)
            .map(|(&s, &v)| log_log_interval(s, v.sqrt(), z))
            .collect())
    }

    /// Survival at each horizon (1 before the first time, the last value after
    /// the last time).
    ///
    /// # Errors
    /// [`StatsError::InvalidValue`] for a `NaN` horizon.
    pub fn survival_at(&self, horizons: &[f64]) -> Result<Vec<f64>, StatsError> {
        horizons
            .iter()
            .map(|&h| Ok(self.step_index(h)?.map_or(1.0, |i| self.survival[i])))
            .collect()
    }

    /// [`survival_intervals`](Self::survival_intervals) at each horizon
    /// (`[1, 1]` before the first time).
    ///
    /// # Errors
    /// [`StatsError::InvalidAlpha`], or [`StatsError::InvalidValue`] for a
    /// `NaN` horizon.
    pub fn survival_intervals_at(
        &self,
        horizons: &[f64],
        alpha: f64,
    ) -> Result<Vec<Interval>, StatsError> {
        let z = z_two_sided(alpha)?;
        horizons
            .iter()
            .map(|&h| {
                Ok(self
                    .step_index(h)?
                    .map_or(Interval { lo: 1.0, hi: 1.0 }, |i| {
                        log_log_interval(self.survival[i], self.log_survival_var[i].sqrt(), z)
                    }))
            })
            .collect()
    }

    /// Median time to any disposition: the smallest time `t` with
    /// `S(t) ≤ 1/2`, or `None` if the survival never falls to 1/2 (lifelines'
    /// `median_survival_time_` convention, which returns `inf` then; R's
    /// `survfit` instead takes the midpoint of a flat stretch at exactly 1/2).
    ///
    /// "`≤ 1/2`" is meant in exact arithmetic. With small integer risk sets the
    /// product often *is* 1/2 (10 visits, 5 dispositions), and its
    /// floating-point value then lands an ulp or so on either side — which is
    /// how both sksurv's `cumprod` and lifelines' `exp(Σ log)` pick the next
    /// time in a few percent of small cases. The comparison therefore allows
    /// for the rounding error of the product: `8·(j+1)·ε` after `j` event times,
    /// ten times the bound `1.5·j·ε·S` that holds while every factor is `≥ 1/2`
    /// (as they all are until `S` first reaches 1/2). Only a true value within
    /// that slack above 1/2 (`< 10⁻¹⁰` for a million event times) could be
    /// misread.
    pub fn median(&self) -> Option<f64> {
        let mut steps = 0_u32;
        for ((&t, &d), &s) in self
            .times
            .iter()
            .zip(&self.events_total)
            .zip(&self.survival)
        {
            if d == 0 {
                continue;
            }
            steps = steps.saturating_add(1);
            let slack = 8.0 * (f64::from(steps) + 1.0) * f64::EPSILON;
            if s <= 0.5 + slack {
                return Some(t);
            }
        }
        None
    }
}

/// sksurv's `_cum_inc_cr_ci_estimator`: `σ = √var / F` where `var > ε`.
fn cif_interval(f: f64, var: f64, z: f64) -> Interval {
    let sigma = if var > f64::EPSILON && f > f64::EPSILON {
        var.sqrt() / f
    } else {
        0.0
    };
    log_log_interval(f, sigma, z)
}

/// sksurv's `_ci_logmlog`: `[p^exp(−zθ), p^exp(zθ)]`, `θ = σ / log p`.
fn log_log_interval(p: f64, sigma: f64, z: f64) -> Interval {
    if p <= f64::EPSILON {
        return Interval { lo: 0.0, hi: 0.0 };
    }
    let log_p = p.ln();
    let theta = if log_p < -f64::EPSILON {
        sigma / log_p
    } else {
        0.0
    };
    if theta == 0.0 {
        // sksurv returns exp(log p) here, which can miss p by an ulp.
        return Interval { lo: p, hi: p };
    }
    let lo = ((z * -theta).exp() * log_p).exp();
    let hi = ((z * theta).exp() * log_p).exp();
    Interval { lo, hi }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn est(obs: &[Observation], k: usize) -> CumulativeIncidence {
        aalen_johansen(obs, k)
            .expect("valid input")
            .expect("non-empty")
    }

    #[test]
    fn empty_is_none() {
        assert_eq!(aalen_johansen(&[], 3), Ok(None));
    }

    #[test]
    fn invalid_input_is_error() {
        let ok = Observation::event(1.0, 0);
        for bad in [-1.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -1e-300] {
            let e = aalen_johansen(&[ok, Observation::censored(bad)], 3);
            assert!(
                matches!(e, Err(StatsError::InvalidTime { index: 1, .. })),
                "{bad}: {e:?}"
            );
        }
        assert_eq!(
            aalen_johansen(&[ok, Observation::event(2.0, 3)], 3),
            Err(StatsError::InvalidCause {
                index: 1,
                cause: 3,
                n_causes: 3
            })
        );
        assert!(matches!(
            aalen_johansen(&[ok], 0),
            Err(StatsError::TooFew { .. })
        ));
        let e = est(&[ok], 3);
        assert!(matches!(e.cif(3), Err(StatsError::UnknownCause { .. })));
        assert!(matches!(
            e.cif_at(0, &[f64::NAN]),
            Err(StatsError::InvalidValue { .. })
        ));
        assert!(matches!(
            e.cif_intervals(0, 0.0),
            Err(StatsError::InvalidAlpha(_))
        ));
        assert!(matches!(
            e.survival_intervals(1.0),
            Err(StatsError::InvalidAlpha(_))
        ));
    }

    #[test]
    fn negative_zero_is_time_zero() {
        let e = est(
            &[Observation::event(-0.0, 0), Observation::censored(0.0)],
            1,
        );
        assert_eq!(e.times(), &[0.0]);
        assert_eq!(e.at_risk(), &[2]);
        assert_eq!(e.cif(0).expect("cause 0"), &[0.5]);
    }

    #[test]
    fn censored_at_a_tied_time_is_still_at_risk() {
        // t = 1: 3 at risk, 1 event -> S = 2/3 (not 1/2 as if the censoring came first).
        let e = est(
            &[
                Observation::event(1.0, 0),
                Observation::censored(1.0),
                Observation::event(2.0, 1),
            ],
            2,
        );
        assert_eq!(e.at_risk(), &[3, 1]);
        assert_eq!(e.survival(), &[1.0 - 1.0 / 3.0, 0.0]);
        assert_eq!(e.cif(0).expect("cause 0"), &[1.0 / 3.0, 1.0 / 3.0]);
        assert!((e.cif(1).expect("cause 1")[1] - 2.0 / 3.0).abs() < 1e-15);
    }

    #[test]
    fn ties_of_different_causes_are_processed_together() {
        let obs = [
            Observation::event(2.0, 0),
            Observation::event(2.0, 1),
            Observation::event(2.0, 2),
            Observation::censored(3.0),
        ];
        let e = est(&obs, 3);
        assert_eq!(e.times(), &[2.0, 3.0]);
        for k in 0..3 {
            assert_eq!(e.cif(k).expect("cause"), &[0.25, 0.25]);
        }
        assert_eq!(e.survival(), &[0.25, 0.25]);
    }

    #[test]
    fn all_censored() {
        let obs = [Observation::censored(3.0), Observation::censored(5.0)];
        let e = est(&obs, 3);
        for k in 0..3 {
            assert_eq!(e.cif(k).expect("cause"), &[0.0, 0.0]);
            let ci = e.cif_intervals(k, 0.05).expect("valid");
            assert!(ci.iter().all(|i| i.lo == 0.0 && i.hi == 0.0));
        }
        assert_eq!(e.survival(), &[1.0, 1.0]);
        let ci = e.survival_intervals(0.05).expect("valid");
        assert!(ci.iter().all(|i| i.lo == 1.0 && i.hi == 1.0));
        assert_eq!(e.median(), None);
    }

    #[test]
    fn one_visit() {
        let e = est(&[Observation::event(5.0, 1)], 3);
        assert_eq!(
            e.cif_at(1, &[4.0, 5.0, 100.0]).expect("valid"),
            vec![0.0, 1.0, 1.0]
        );
        assert_eq!(e.cif_at(0, &[5.0]).expect("valid"), vec![0.0]);
        assert_eq!(
            e.cif_intervals(1, 0.05).expect("valid"),
            vec![Interval { lo: 1.0, hi: 1.0 }]
        );
        assert_eq!(e.survival_at(&[-1.0, 5.0]).expect("valid"), vec![1.0, 0.0]);
        assert_eq!(e.median(), Some(5.0));
        assert_eq!(e.last_time(), 5.0);
    }

    #[test]
    fn time_zero_events_count_at_zero() {
        let obs = [
            Observation::event(0.0, 0),
            Observation::event(0.0, 1),
            Observation::censored(0.0),
            Observation::event(1.0, 0),
        ];
        let e = est(&obs, 2);
        assert_eq!(e.cif_at(0, &[0.0]).expect("valid"), vec![0.25]);
        assert_eq!(e.cif_at(0, &[-1e-9]).expect("valid"), vec![0.0]);
        assert_eq!(e.survival_at(&[0.0]).expect("valid"), vec![0.5]);
        assert_eq!(e.median(), Some(0.0));
    }

    #[test]
    fn median_recognises_an_exact_half() {
        // 24 dispositions at 1..=24: S(12) = 12/24 exactly, but the product of
        // the factors in floating point is 0.5000000000000001.
        let obs: Vec<_> = (1..=24)
            .map(|t| Observation::event(f64::from(t), 0))
            .collect();
        let e = est(&obs, 1);
        assert!(e.survival()[11] > 0.5, "the rounding this test is about");
        assert_eq!(e.median(), Some(12.0));
        // and one visit more: S(12) = 13/25 > 1/2, S(13) = 12/25
        let obs: Vec<_> = (1..=25)
            .map(|t| Observation::event(f64::from(t), 0))
            .collect();
        assert_eq!(est(&obs, 1).median(), Some(13.0));
    }

    #[test]
    fn degenerate_variance_collapses_to_the_estimate() {
        // Aalen's variance of cause 2 at t = 2 is negative (−0.00355); sksurv
        // returns exp(log p) = p + 1 ulp for both bounds there.
        let times = [0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2];
        let causes = [1, 1, 1, 9, 2, 0, 0, 2, 0, 1, 2];
        let obs: Vec<_> = times
            .iter()
            .zip(causes)
            .map(|(&t, k)| match k {
                9 => Observation::censored(f64::from(t)),
                k => Observation::event(f64::from(t), k),
            })
            .collect();
        let e = est(&obs, 3);
        let (p, v) = (
            e.cif(2).expect("cause")[2],
            e.cif_variance(2).expect("cause")[2],
        );
        assert!(v < 0.0 && p > 0.3, "{p} {v}");
        assert_eq!(
            e.cif_intervals(2, 0.05).expect("valid")[2],
            Interval { lo: p, hi: p }
        );
    }

    #[test]
    fn interval_contains_estimate_and_brackets_it() {
        let obs: Vec<_> = (0..40)
            .map(|i| match i % 4 {
                3 => Observation::censored(f64::from(i)),
                k => Observation::event(f64::from(i / 2), k as usize),
            })
            .collect();
        let e = est(&obs, 3);
        for k in 0..3 {
            let cif = e.cif(k).expect("cause");
            for (ci, &f) in e.cif_intervals(k, 0.05).expect("valid").iter().zip(cif) {
                assert!(ci.contains(f) && ci.lo >= 0.0 && ci.hi <= 1.0, "{ci:?} {f}");
                if f > 0.0 && f < 1.0 {
                    assert!(ci.lo < f && f < ci.hi, "{ci:?} {f}");
                }
            }
        }
    }
}

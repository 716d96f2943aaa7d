//! Accurate `ln B(a, b)` for large arguments (crate-internal).
//!
//! `ln Γ(a) + ln Γ(b) − ln Γ(a + b)` loses absolute accuracy as the three
//! terms grow (each ≈ 10⁶–10⁷ for counts near 10⁶, so ~1e-10 is lost to
//! cancellation). Following R's `lbeta` (Loader / Morris), the Stirling parts
//! are combined analytically and only the small remainders
//! `δ(x) = ln Γ(x) − [(x − ½) ln x − x + ½ ln 2π]` are added.

use statrs::function::beta::ln_beta as ln_beta_direct;
use statrs::function::gamma::ln_gamma;

/// `ln √(2π)`.
const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;

/// Stirling remainder `δ(x)` for `x ≥ 10` (error < 1e-17).
fn stirling_corr(x: f64) -> f64 {
    // Σ B_{2k} / (2k (2k − 1) x^{2k−1}), k = 1..8
    const C: [f64; 8] = [
        1.0 / 12.0,
        -1.0 / 360.0,
        1.0 / 1260.0,
        -1.0 / 1680.0,
        1.0 / 1188.0,
        -691.0 / 360_360.0,
        1.0 / 156.0,
        -3617.0 / 122_400.0,
    ];
    let x2 = 1.0 / (x * x);
    let mut s = 0.0;
    for c in C.iter().rev() {
        s = s * x2 + c;
    }
    s / x
}

/// `ln B(a, b)` for `a, b > 0` (callers guarantee positivity).
pub(crate) fn ln_beta(a: f64, b: f64) -> f64 {
    let (p, q) = if a <= b { (a, b) } else { (b, a) };
    let pq = p + q;
    if p >= 10.0 {
        let corr = stirling_corr(p) + stirling_corr(q) - stirling_corr(pq);
        -0.5 * q.ln() + LN_SQRT_2PI + corr + (p - 0.5) * (p / pq).ln() + q * (-p / pq).ln_1p()
    } else if q >= 10.0 {
        let corr = stirling_corr(q) - stirling_corr(pq);
        ln_gamma(p) + corr + p - p * pq.ln() + (q - 0.5) * (-p / pq).ln_1p()
    } else {
        ln_beta_direct(p, q)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_direct_formula_on_moderate_arguments() {
        for &(a, b) in &[
            (1.0, 1.0),
            (2.5, 7.0),
            (3.0, 40.0),
            (12.0, 15.0),
            (30.0, 200.0),
            (9.9, 10.1),
        ] {
            let want = ln_beta_direct(a, b);
            assert!(
                (ln_beta(a, b) - want).abs() < 1e-12 * want.abs().max(1.0),
                "{a} {b}"
            );
        }
    }

    #[test]
    fn matches_mpmath_to_a_few_ulps() {
        // mpmath (40 digits): log(beta(a, b))
        let cases = [
            (1e6, 1e6, -1386300.003362921_f64),
            (1e5, 9e5, -325087.7582345471),
            (37.0, 5e5, -389.80908238940617),
            (3.0, 2e6, -42.832827535012086),
            (12.5, 17.25, -20.303021833332036),
        ];
        for (a, b, want) in cases {
            let got = ln_beta(a, b);
            let tol = 4.0 * f64::EPSILON * want.abs();
            assert!(
                (got - want).abs() <= tol,
                "{a} {b}: {got} vs {want}, {:e}",
                got - want
            );
        }
    }
}

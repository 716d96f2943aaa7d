//! Small helpers around the standard normal distribution (crate-internal).

use crate::StatsError;
use statrs::function::erf;

/// Two-sided critical value `z` with `P(|Z| > z) = alpha`, i.e. scipy's
/// `norm.isf(alpha / 2)`.
pub(crate) fn z_two_sided(alpha: f64) -> Result<f64, StatsError> {
    if !(alpha > 0.0 && alpha < 1.0) {
        return Err(StatsError::InvalidAlpha(alpha));
    }
    // isf(alpha/2) = sqrt(2) * erfc^-1(alpha); computing it this way avoids
    // forming 1 - alpha/2 and keeps full precision for small alpha.
    Ok(std::f64::consts::SQRT_2 * erf::erfc_inv(alpha))
}

/// Two-sided p-value `2 * P(Z > |z|)` (scipy's `2 * norm.sf(abs(z))`).
pub(crate) fn p_two_sided(z: f64) -> f64 {
    // 2 * 0.5 * erfc(|z| / sqrt 2)
    erf::erfc(z.abs() / std::f64::consts::SQRT_2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn z95_matches_scipy() {
        let z = z_two_sided(0.05).expect("valid alpha");
        // scipy.stats.norm.isf(0.025)
        assert!((z - 1.959963984540054).abs() < 1e-14, "{z}");
    }

    #[test]
    fn p_of_z95_is_alpha() {
        // statrs' erfc is accurate to a few 1e-11 relative (not 1 ulp), which is
        // well inside the 1e-9 agreement this crate promises.
        assert!((p_two_sided(1.959963984540054) / 0.05 - 1.0).abs() < 1e-10);
        assert!((p_two_sided(-1.959963984540054) / 0.05 - 1.0).abs() < 1e-10);
        // 2 * norm.sf(6) = 1.973175290075389e-09: relative accuracy in the tail.
        assert!((p_two_sided(6.0) / 1.973175290075389e-09 - 1.0).abs() < 1e-10);
        assert_eq!(p_two_sided(0.0), 1.0);
    }

    #[test]
    fn bad_alpha_is_error() {
        for a in [0.0, 1.0, -0.1, 1.5, f64::NAN] {
            assert!(z_two_sided(a).is_err(), "{a}");
        }
    }
}

//! Property-based tests (proptest) for invariants that must hold for all inputs.

use proptest::prelude::*;
use yieldline_stats::quantile::quantile_linear;
use yieldline_stats::twosample::{chance_to_beat, newcombe_diff_ci, ratio_log_ci, ztest_pooled};
use yieldline_stats::{Z95, wilson};

/// (k, n) with 0 <= k <= n, 1 <= n <= 100_000.
fn arm() -> impl Strategy<Value = (u64, u64)> {
    (1_u64..=100_000).prop_flat_map(|n| (0..=n, Just(n)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn wilson_contains_phat_within_unit_interval((k, n) in arm(), z in 0.1_f64..4.0) {
        let ci = wilson(k, n, z).expect("valid");
        let p = k as f64 / n as f64;
        prop_assert!(0.0 <= ci.lo && ci.lo <= p && p <= ci.hi && ci.hi <= 1.0, "{ci:?} p={p}");
    }

    #[test]
    fn newcombe_contains_point_estimate((k1, n1) in arm(), (k2, n2) in arm(), alpha in 0.001_f64..0.5) {
        let ci = newcombe_diff_ci(k1, n1, k2, n2, alpha).expect("valid");
        let d = k1 as f64 / n1 as f64 - k2 as f64 / n2 as f64;
        prop_assert!(ci.lo <= d && d <= ci.hi, "{ci:?} d={d}");
        prop_assert!(ci.lo >= -1.0 - 1e-12 && ci.hi <= 1.0 + 1e-12);
    }

    #[test]
    fn ratio_ci_contains_ratio((k1, n1) in arm(), (k2, n2) in arm()) {
        prop_assume!(k1 > 0 && k2 > 0);
        let ci = ratio_log_ci(k1, n1, k2, n2, 0.05).expect("valid");
        let r = (k1 as f64 / n1 as f64) / (k2 as f64 / n2 as f64);
        prop_assert!(ci.lo <= r * (1.0 + 1e-12) && r <= ci.hi * (1.0 + 1e-12), "{ci:?} r={r}");
        prop_assert!(ci.lo > 0.0 && ci.hi.is_finite());
    }

    #[test]
    fn ztest_p_in_unit_interval_and_antisymmetric((k1, n1) in arm(), (k2, n2) in arm()) {
        let a = ztest_pooled(k1, n1, k2, n2).expect("valid");
        let b = ztest_pooled(k2, n2, k1, n1).expect("valid");
        prop_assert!((0.0..=1.0).contains(&a.p_value) && a.z.is_finite());
        prop_assert!((a.z + b.z).abs() <= 1e-9 * a.z.abs().max(1.0));
        prop_assert!((a.p_value - b.p_value).abs() <= 1e-12);
    }

    #[test]
    fn chance_to_beat_complements((k1, n1) in arm(), (k2, n2) in arm()) {
        // Continuous posteriors: P(p1 > p2) + P(p2 > p1) = 1 (ties have probability 0).
        let a = chance_to_beat(k1, n1, k2, n2).expect("valid");
        let b = chance_to_beat(k2, n2, k1, n1).expect("valid");
        prop_assert!((0.0..=1.0).contains(&a));
        prop_assert!((a + b - 1.0).abs() < 1e-9, "{a} + {b}");
    }

    #[test]
    fn chance_to_beat_monotone_in_treatment_successes((k1, n1) in arm(), (k2, n2) in arm()) {
        prop_assume!(k1 < n1);
        let a = chance_to_beat(k1, n1, k2, n2).expect("valid");
        let b = chance_to_beat(k1 + 1, n1, k2, n2).expect("valid");
        prop_assert!(b >= a - 1e-12, "{a} -> {b}");
    }

    #[test]
    fn quantile_is_monotone_and_bounded(mut xs in prop::collection::vec(-1e6_f64..1e6, 1..50), q1 in 0.0_f64..=1.0, q2 in 0.0_f64..=1.0) {
        xs.sort_by(f64::total_cmp);
        let (lo, hi) = if q1 <= q2 { (q1, q2) } else { (q2, q1) };
        let a = quantile_linear(&xs, lo).expect("valid");
        let b = quantile_linear(&xs, hi).expect("valid");
        prop_assert!(xs[0] <= a && a <= b && b <= xs[xs.len() - 1]);
    }
}

#[test]
fn z95_gives_95_percent_wilson() {
    // Sanity link between the constant and the interval width at p = 0.5, large n.
    let ci = wilson(50_000, 100_000, Z95).expect("valid");
    let half = (ci.hi - ci.lo) / 2.0;
    assert!((half - Z95 * (0.25_f64 / 100_000.0).sqrt()).abs() < 1e-6);
}

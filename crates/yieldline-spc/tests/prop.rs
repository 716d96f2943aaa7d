//! Property: for any input that analyzes, every number is finite and the limits bracket
//! the centre inside [0, 1]; invalid inputs are errors, never panics.

use proptest::prelude::*;
use yieldline_spc::{Baseline, ChartChoice, ChartKind, EwmaParams, Subgroup, analyze, render_svg};

fn subgroup() -> impl Strategy<Value = Subgroup> {
    prop_oneof![
        1 => Just((0u64, 0u64)),
        6 => (1u64..2_000).prop_flat_map(|n| (0..=n, Just(n))),
        1 => (1u64..u64::MAX / 64).prop_flat_map(|n| (0..=n, Just(n))),
    ]
    .prop_map(|(passed, n)| Subgroup::new("d", passed, n))
}

fn choice() -> impl Strategy<Value = ChartChoice> {
    prop_oneof![
        Just(ChartChoice::Auto),
        Just(ChartChoice::Forced(ChartKind::P)),
        Just(ChartChoice::Forced(ChartKind::Laney)),
        Just(ChartChoice::Forced(ChartKind::Ewma)),
    ]
}

fn ok(x: f64) -> bool {
    x.is_finite() && (0.0..=1.0).contains(&x)
}

proptest! {
    #[test]
    fn outputs_are_finite_and_ordered(
        subgroups in prop::collection::vec(subgroup(), 0..60),
        k in 0usize..40,
        choice in choice(),
        lambda in 0.01f64..=1.0,
        l in 0.1f64..6.0,
    ) {
        let Ok(c) = analyze(&subgroups, Baseline::first_non_empty(k), choice, EwmaParams { lambda, l }) else {
            return Ok(());
        };
        prop_assert!(c.center > 0.0 && c.center < 1.0);
        if let Some(s) = c.sigma_z {
            prop_assert!(s.is_finite() && s >= 0.0);
        }
        prop_assert_eq!(c.points.len(), subgroups.iter().filter(|s| s.n > 0).count());
        for p in &c.points {
            prop_assert!(ok(p.yield_) && ok(p.lcl) && ok(p.ucl), "{:?}", p);
            prop_assert!(p.lcl <= c.center && c.center <= p.ucl, "{:?} {}", p, c.center);
            if let Some(z) = p.ewma {
                prop_assert!(ok(z));
            }
        }
        for s in &c.signals {
            for v in [s.before, s.after].into_iter().flatten() {
                prop_assert!(ok(v));
            }
            prop_assert!(!s.message.contains("NaN") && !s.message.contains("inf"));
        }
        let svg = render_svg("station", &c);
        prop_assert!(!svg.contains("NaN") && !svg.contains("inf"));
    }
}

//! Property-based tests (proptest) for `yieldline_stats::survival`: invariants
//! of the Aalen–Johansen / Kaplan–Meier estimates that hold for every input.

use proptest::prelude::*;
use yieldline_stats::survival::{CumulativeIncidence, Observation, aalen_johansen};

/// Up to 300 visits with `k` causes; times either day-rounded (many ties,
/// including 0) or continuous; about a third censored.
fn cohort() -> impl Strategy<Value = (Vec<Observation>, usize)> {
    (1_usize..=5, any::<bool>()).prop_flat_map(|(k, day_rounded)| {
        let time = if day_rounded {
            (0_u32..40).prop_map(f64::from).boxed()
        } else {
            (0.0_f64..120.0).boxed()
        };
        let outcome = prop_oneof![1 => Just(None), 2 => (0..k).prop_map(Some)];
        let obs = prop::collection::vec(
            (time, outcome).prop_map(|(time, outcome)| Observation { time, outcome }),
            1..300,
        );
        (obs, Just(k))
    })
}

fn estimate(obs: &[Observation], k: usize) -> CumulativeIncidence {
    aalen_johansen(obs, k)
        .expect("valid input")
        .expect("non-empty input")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn cif_monotone_in_unit_interval_and_sums_to_one_with_survival((obs, k) in cohort()) {
        let e = estimate(&obs, k);
        let n_t = e.times().len();
        prop_assert!(e.times().windows(2).all(|w| w[0] < w[1]));
        let s = e.survival();
        prop_assert!(s.windows(2).all(|w| w[1] <= w[0]) && s.iter().all(|&x| (0.0..=1.0).contains(&x)));
        let mut total = vec![0.0_f64; n_t];
        for cause in 0..k {
            let cif = e.cif(cause).expect("cause");
            prop_assert!(cif.windows(2).all(|w| w[0] <= w[1]), "cause {cause} not monotone");
            prop_assert!(cif.iter().all(|&x| (0.0..=1.0).contains(&x)), "cause {cause} outside [0, 1]");
            for (t, &x) in total.iter_mut().zip(cif) {
                *t += x;
            }
        }
        for (i, (&t, &si)) in total.iter().zip(s).enumerate() {
            prop_assert!((t + si - 1.0).abs() <= 1e-12, "time {i}: Σ CIF {t} + S {si}");
        }
    }

    #[test]
    fn intervals_contain_the_estimate((obs, k) in cohort(), alpha in 0.001_f64..0.5) {
        let e = estimate(&obs, k);
        // Strictly inside whenever the estimate is in (0, 1) with a positive
        // variance (every such survival value has one: an event with n > d).
        for cause in 0..k {
            let cif = e.cif(cause).expect("cause");
            let var = e.cif_variance(cause).expect("cause");
            let ci = e.cif_intervals(cause, alpha).expect("valid alpha");
            for ((iv, &p), &v) in ci.iter().zip(cif).zip(var) {
                prop_assert!(0.0 <= iv.lo && iv.lo <= p && p <= iv.hi && iv.hi <= 1.0, "cause {cause}: {iv:?} vs {p}");
                if p > f64::EPSILON && p < 1.0 && v > f64::EPSILON {
                    prop_assert!(iv.lo < p && p < iv.hi, "cause {cause}: {iv:?} vs {p}, var {v}");
                }
            }
        }
        for (iv, &p) in e.survival_intervals(alpha).expect("valid alpha").iter().zip(e.survival()) {
            prop_assert!(0.0 <= iv.lo && iv.lo <= p && p <= iv.hi && iv.hi <= 1.0, "survival: {iv:?} vs {p}");
            if p > f64::EPSILON && p < 1.0 {
                prop_assert!(iv.lo < p && p < iv.hi, "survival: {iv:?} vs {p}");
            }
        }
    }

    #[test]
    fn wider_level_gives_wider_intervals((obs, k) in cohort(), a1 in 0.001_f64..0.5, a2 in 0.001_f64..0.5) {
        let (wide, narrow) = if a1 <= a2 { (a1, a2) } else { (a2, a1) };
        let e = estimate(&obs, k);
        for cause in 0..k {
            let w = e.cif_intervals(cause, wide).expect("valid");
            let n = e.cif_intervals(cause, narrow).expect("valid");
            for (w, n) in w.iter().zip(&n) {
                prop_assert!(w.lo <= n.lo && n.hi <= w.hi, "{w:?} vs {n:?}");
            }
        }
    }

    #[test]
    fn input_order_does_not_matter((obs, k) in cohort()) {
        let mut reversed = obs.clone();
        reversed.reverse();
        prop_assert_eq!(estimate(&obs, k), estimate(&reversed, k));
    }

    #[test]
    fn horizons_read_the_step_function((obs, k) in cohort(), h in -1.0_f64..130.0) {
        let e = estimate(&obs, k);
        let times = e.times();
        // value at the last distinct time <= h, 0 / 1 before the first
        let idx = times.iter().rposition(|&t| t <= h);
        for cause in 0..k {
            let got = e.cif_at(cause, &[h]).expect("valid")[0];
            let want = idx.map_or(0.0, |i| e.cif(cause).expect("cause")[i]);
            prop_assert_eq!(got, want);
        }
        prop_assert_eq!(e.survival_at(&[h]).expect("valid")[0], idx.map_or(1.0, |i| e.survival()[i]));
        // at each distinct time itself the curve already includes its events
        let at_times = e.survival_at(times).expect("valid");
        prop_assert_eq!(at_times.as_slice(), e.survival());
    }

    #[test]
    fn median_is_the_first_time_at_or_below_one_half((obs, k) in cohort()) {
        let e = estimate(&obs, k);
        let s = e.survival();
        match e.median() {
            None => prop_assert!(s.iter().all(|&x| x > 0.5)),
            Some(m) => {
                let i = e.times().iter().position(|&t| t == m).expect("median is an observed time");
                prop_assert!(s[i] <= 0.5 + 1e-12, "S(median) = {}", s[i]);
                prop_assert!(s[..i].iter().all(|&x| x > 0.5 - 1e-12));
            }
        }
    }
}

//! Simulation tests for the always-valid p-value (deterministic: seeded PCG).
//!
//! A/A: 2,000 experiments, p = 0.10 in both arms, 100 units per arm per day,
//! 30 daily looks. The share of experiments whose always-valid p ever drops
//! below 0.05 must stay below 0.05 + 3·SE, where SE = sqrt(0.05·0.95/2000)
//! ≈ 0.0049 is the binomial standard error of a share estimated from 2,000
//! runs if the true rate were exactly 0.05 (the nominal bound). The naive
//! "min over 30 looks of the fixed-horizon z-test p" must be clearly inflated
//! (> 0.10), which shows the simulation has the power to detect peeking.

use rand::SeedableRng;
use rand_distr::{Binomial, Distribution};
use rand_pcg::Pcg64;
use yieldline_stats::sequential::{Look, MixtureSprt};
use yieldline_stats::twosample::ztest_pooled;

const DAYS: usize = 30;
const PER_DAY: u64 = 100;

/// Simulate one experiment; returns (min always-valid p, min naive p).
fn run(rng: &mut Pcg64, p1: f64, p2: f64, sprt: &MixtureSprt) -> (f64, f64) {
    let b1 = Binomial::new(PER_DAY, p1).expect("valid binomial");
    let b2 = Binomial::new(PER_DAY, p2).expect("valid binomial");
    let mut look = Look::default();
    let mut looks = Vec::with_capacity(DAYS);
    let mut naive = 1.0_f64;
    for _ in 0..DAYS {
        look.n1 += PER_DAY;
        look.n2 += PER_DAY;
        look.k1 += b1.sample(rng);
        look.k2 += b2.sample(rng);
        looks.push(look);
        let t = ztest_pooled(look.k1, look.n1, look.k2, look.n2).expect("valid counts");
        naive = naive.min(t.p_value);
    }
    // p_t is a running minimum, so the final value is the minimum over all looks.
    let avp = sprt.always_valid_p(&looks).expect("valid looks");
    (avp, naive)
}

#[test]
fn aa_false_positive_rate_is_controlled_while_naive_peeking_is_not() {
    let runs = 2000;
    let sprt = MixtureSprt::default();
    let mut rng = Pcg64::seed_from_u64(0x5EED_A11A);
    let (mut fp_avp, mut fp_naive) = (0_u32, 0_u32);
    for _ in 0..runs {
        let (avp, naive) = run(&mut rng, 0.10, 0.10, &sprt);
        fp_avp += u32::from(avp < 0.05);
        fp_naive += u32::from(naive < 0.05);
    }
    let share_avp = f64::from(fp_avp) / runs as f64;
    let share_naive = f64::from(fp_naive) / runs as f64;
    let se = (0.05_f64 * 0.95 / runs as f64).sqrt();
    println!("A/A false-positive share: always-valid {share_avp:.4}, naive {share_naive:.4}");
    assert!(
        share_avp < 0.05 + 3.0 * se,
        "always-valid share {share_avp}"
    );
    assert!(share_naive > 0.10, "naive share {share_naive}");
}

#[test]
fn detects_a_real_effect() {
    // 10 % → 13 % (a 3-point lift): a fixed-horizon test at day 30 has ≈ 95 % power.
    let runs = 500;
    let sprt = MixtureSprt::default();
    let mut rng = Pcg64::seed_from_u64(0xEFFEC7);
    let mut hits = 0_u32;
    for _ in 0..runs {
        let (avp, _) = run(&mut rng, 0.13, 0.10, &sprt);
        hits += u32::from(avp < 0.05);
    }
    let power = f64::from(hits) / runs as f64;
    println!("power at +3 points over 30 days: {power:.3}");
    assert!(power > 0.5, "power {power}");
}

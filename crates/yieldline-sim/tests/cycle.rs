//! The toxic-automation cycle emerges from the shipped example scenarios: output
//! rises then falls, yield per touch holds then declines, and guardrails burn far less.

use yieldline_sim::output::moving_average;
use yieldline_sim::{Scenario, SimOutput, simulate};

fn run(file: &str, accounts: u32) -> SimOutput {
    let path = format!("{}/../../examples/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("example scenario exists");
    let sc = Scenario::from_toml_str(&text)
        .expect("example scenario is valid")
        .scaled_to(accounts);
    simulate(&sc).expect("runs")
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

struct Shape {
    early_yield: f64,
    first_yield: f64,
    late_yield: f64,
    peak_day: usize,
    peak: f64,
    start_q: f64,
    end_q: f64,
    burned: f64,
    optout_rate: f64,
}

fn shape(out: &SimOutput) -> Shape {
    let ypt: Vec<f64> = out.days.iter().map(|d| d.yield_per_touch).collect();
    let q: Vec<f64> = out.days.iter().map(|d| d.qualified as f64).collect();
    let ma = moving_average(&q, 31);
    let (peak_day, peak) = ma
        .iter()
        .enumerate()
        .fold((0, f64::MIN), |a, (i, &v)| if v > a.1 { (i, v) } else { a });
    let n = out.days.len();
    Shape {
        first_yield: mean(&ypt[..15]),
        early_yield: mean(&ypt[15..30]),
        late_yield: mean(&ypt[n - 40..]),
        peak_day,
        peak,
        start_q: mean(&q[..15]),
        end_q: mean(&q[n - 40..]),
        burned: out.days[n - 1].burned_share,
        optout_rate: out.summary.optout_rate,
    }
}

#[test]
fn aggressive_ramp_reproduces_the_toxic_cycle_and_guardrails_burn_less() {
    let agg = shape(&run("aggressive-automation.toml", 40_000));
    let grd = shape(&run("guarded-automation.toml", 40_000));
    let describe = |s: &Shape| {
        format!(
            "yield {:.4} -> {:.4} -> {:.4}; qualified start {:.2} peak {:.2} (day {}) end {:.2}; burned {:.3}; opt-outs/touch {:.4}",
            s.first_yield,
            s.early_yield,
            s.late_yield,
            s.start_q,
            s.peak,
            s.peak_day,
            s.end_q,
            s.burned,
            s.optout_rate
        )
    };
    let (a, g) = (describe(&agg), describe(&grd));
    eprintln!("aggressive: {a}\nguarded: {g}");
    // Yield per touch holds (or rises) early, then declines.
    assert!(agg.early_yield >= 0.9 * agg.first_yield, "{a}");
    assert!(agg.late_yield < 0.4 * agg.early_yield, "{a}");
    // Qualified meetings per day rise to a peak after the start, then fall.
    assert!(agg.peak_day >= 10 && agg.peak_day <= 150, "{a}");
    assert!(agg.peak > 1.05 * agg.start_q, "{a}");
    assert!(agg.end_q < 0.5 * agg.peak, "{a}");
    // The burned share climbs, far more without guardrails. (6 %, not 10 %: since the
    // opt-out base rate is a realistic 0.08 % per relevant touch, fewer accounts burn,
    // and the gap to the guarded line is wider — about 8× at this scale.)
    assert!(agg.burned > 0.06, "{a}");
    assert!(agg.burned > 4.0 * grd.burned, "{a} | {g}");
    // Buyer harm: the unguarded ramp runs far over the bulk-sender opt-out limit, the
    // guarded line under it.
    let limit = 0.003;
    assert!(agg.optout_rate > 1.5 * limit, "{a}");
    assert!(grd.optout_rate < limit, "{g}");
    // Guardrails keep more output at the end.
    assert!(grd.end_q > agg.end_q, "{a} | {g}");
}

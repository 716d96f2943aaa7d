//! Reference values: Montgomery's published p-chart, and independent numpy/scipy
//! computations (tools/reference/spc_refs.py → fixtures/spc_refs.json) for Laney and EWMA.

use serde_json::Value;
use yieldline_spc::{
    Baseline, ChartChoice, ChartKind, ControlChart, EwmaParams, Subgroup, analyze,
};

fn refs() -> Value {
    serde_json::from_str(include_str!("fixtures/spc_refs.json")).expect("fixture parses")
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

fn ints(v: &Value) -> Vec<u64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_u64().expect("integer"))
        .collect()
}

fn subgroups(r: &Value) -> Vec<Subgroup> {
    let labels = r["labels"].as_array().expect("labels");
    ints(&r["n"])
        .into_iter()
        .zip(ints(&r["passed"]))
        .zip(labels)
        .map(|((n, passed), l)| Subgroup::new(l.as_str().expect("label"), passed, n))
        .collect()
}

fn close(a: f64, b: f64, tol: f64, what: &str) {
    assert!((a - b).abs() <= tol, "{what}: {a} vs {b} (tol {tol})");
}

/// Montgomery Table 7.1: nonconforming cans out of 50, samples 1..=30.
const MONTGOMERY: [u64; 30] = [
    12, 15, 8, 10, 4, 7, 16, 9, 14, 10, 5, 6, 17, 12, 22, 8, 10, 5, 13, 11, 20, 18, 24, 15, 9, 12,
    7, 13, 9, 6,
];

fn montgomery_chart() -> ControlChart {
    let subgroups: Vec<Subgroup> = MONTGOMERY
        .iter()
        .enumerate()
        .map(|(i, d)| Subgroup::new(format!("sample {}", i + 1), 50 - d, 50))
        .collect();
    analyze(
        &subgroups,
        Baseline::default(),
        ChartChoice::Forced(ChartKind::P),
        EwmaParams::default(),
    )
    .expect("chart")
}

#[test]
fn montgomery_example_7_1_published_limits() {
    assert_eq!(MONTGOMERY.iter().sum::<u64>(), 347);
    let chart = montgomery_chart();
    assert_eq!(chart.chart, ChartKind::P);
    // Published (fraction nonconforming): p̄ = 0.2313, UCL = 0.4102, LCL = 0.0524.
    // As yields the centre is 1 − p̄ and the limits mirror.
    close(chart.center, 1.0 - 0.2313, 1e-4, "centre");
    for p in &chart.points {
        close(p.lcl, 1.0 - 0.4102, 1e-4, "yield LCL");
        close(p.ucl, 1.0 - 0.0524, 1e-4, "yield UCL");
    }
    // Samples 15 and 23 are beyond the p UCL, i.e. below the yield LCL.
    let rule1: Vec<&str> = chart
        .signals
        .iter()
        .filter(|s| s.rule == 1)
        .map(|s| s.day.as_str())
        .collect();
    assert_eq!(rule1, ["sample 15", "sample 23"]);
    for s in chart.signals.iter().filter(|s| s.rule == 1) {
        assert!(s.message.contains("below LCL 0.590"), "{}", s.message);
    }
}

#[test]
fn montgomery_matches_recomputed_fixture() {
    let r = refs();
    let m = &r["montgomery_7_1"]["computed"];
    let chart = montgomery_chart();
    close(
        chart.center,
        m["yield_center"].as_f64().expect("c"),
        1e-12,
        "centre",
    );
    close(
        chart.points[0].lcl,
        m["yield_lcl"].as_f64().expect("l"),
        1e-12,
        "lcl",
    );
    close(
        chart.points[0].ucl,
        m["yield_ucl"].as_f64().expect("u"),
        1e-12,
        "ucl",
    );
}

#[test]
fn laney_sigma_z_and_limits_match_numpy() {
    let r = refs();
    let l = &r["laney"];
    let chart = analyze(
        &subgroups(l),
        Baseline::default(),
        ChartChoice::Auto,
        EwmaParams::default(),
    )
    .expect("chart");
    // Large n, over-dispersed: Auto picks Laney.
    assert_eq!(chart.chart, ChartKind::Laney);
    close(
        chart.center,
        l["center"].as_f64().expect("c"),
        1e-9,
        "centre",
    );
    let sz = chart.sigma_z.expect("sigma_z");
    close(sz, l["sigma_z"].as_f64().expect("sz"), 1e-9, "sigma_z");
    assert!(sz > 1.2);
    let (lcl, ucl) = (floats(&l["lcl"]), floats(&l["ucl"]));
    assert_eq!(chart.points.len(), lcl.len());
    for (i, p) in chart.points.iter().enumerate() {
        close(p.lcl, lcl[i], 1e-9, "laney lcl");
        close(p.ucl, ucl[i], 1e-9, "laney ucl");
    }
    // Forcing P on the same data gives the binomial limits, with σ_z still reported.
    let p = analyze(
        &subgroups(l),
        Baseline::default(),
        ChartChoice::Forced(ChartKind::P),
        EwmaParams::default(),
    )
    .expect("chart");
    assert_eq!(p.chart, ChartKind::P);
    assert_eq!(p.sigma_z, chart.sigma_z);
    let (plcl, pucl) = (floats(&l["p_lcl"]), floats(&l["p_ucl"]));
    for (i, pt) in p.points.iter().enumerate() {
        close(pt.lcl, plcl[i], 1e-9, "p lcl");
        close(pt.ucl, pucl[i], 1e-9, "p ucl");
    }
    // The z values reproduce through the Laney limits: (ucl − p̄)/(3 σ_z) = σᵢ, and
    // zᵢ = (pᵢ − p̄)/σᵢ.
    let z = floats(&l["z"]);
    for (i, pt) in chart.points.iter().enumerate() {
        let sigma_i = (pt.ucl - chart.center) / (3.0 * sz);
        close((pt.yield_ - chart.center) / sigma_i, z[i], 1e-9, "z");
    }
}

#[test]
fn ewma_statistic_and_limits_match_numpy() {
    let r = refs();
    let e = &r["ewma"];
    let params = EwmaParams {
        lambda: e["lambda"].as_f64().expect("lambda"),
        l: e["L"].as_f64().expect("L"),
    };
    let k = usize::try_from(e["baseline_first_non_empty"].as_u64().expect("k")).expect("k");
    let input = subgroups(e);
    let chart = analyze(
        &input,
        Baseline::first_non_empty(k),
        ChartChoice::Forced(ChartKind::Ewma),
        params,
    )
    .expect("chart");
    assert_eq!(chart.chart, ChartKind::Ewma);
    close(
        chart.center,
        e["center"].as_f64().expect("c"),
        1e-9,
        "centre",
    );
    let (stat, lcl, ucl) = (floats(&e["ewma"]), floats(&e["lcl"]), floats(&e["ucl"]));
    // The empty day is no point.
    assert_eq!(chart.points.len(), input.len() - 1);
    assert_eq!(chart.points.len(), stat.len());
    for (i, p) in chart.points.iter().enumerate() {
        close(p.ewma.expect("ewma"), stat[i], 1e-9, "ewma");
        close(p.lcl, lcl[i], 1e-9, "ewma lcl");
        close(p.ucl, ucl[i], 1e-9, "ewma ucl");
    }
    let flagged: Vec<&str> = chart
        .points
        .iter()
        .filter(|p| p.flagged)
        .map(|p| p.day.as_str())
        .collect();
    let expected: Vec<&str> = e["flagged_days"]
        .as_array()
        .expect("days")
        .iter()
        .map(|d| d.as_str().expect("day"))
        .collect();
    assert_eq!(flagged, expected);
    // One excursion → one signal, at its first point, with the shift's start and levels.
    assert_eq!(chart.signals.len(), 1, "{:#?}", chart.signals);
    let s = &chart.signals[0];
    assert_eq!((s.rule, s.rule_name.as_str()), (1, "EWMA beyond limits"));
    assert_eq!(s.day, expected[0]);
    let start = s.run_start.as_deref().expect("run start");
    assert!(start <= s.day.as_str());
    let (before, after) = (s.before.expect("before"), s.after.expect("after"));
    assert!(before > after, "{before} {after}");
    assert!(s.message.contains("below LCL"), "{}", s.message);
}

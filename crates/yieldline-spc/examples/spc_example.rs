//! Renders an example control chart: `cargo run -p yieldline-spc --example spc_example -- OUT.svg [p|laney|ewma]`.

use yieldline_spc::{Baseline, ChartChoice, ChartKind, EwmaParams, Subgroup, analyze, render_svg};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = args
        .next()
        .unwrap_or_else(|| "/tmp/spc_example.svg".to_owned());
    let choice = match args.next().as_deref() {
        Some("p") => ChartChoice::Forced(ChartKind::P),
        Some("laney") => ChartChoice::Forced(ChartKind::Laney),
        Some("ewma") => ChartChoice::Forced(ChartKind::Ewma),
        _ => ChartChoice::Auto,
    };
    // Nine weeks of working days of a reply-rate station, a dip in weeks 7–9.
    let mut subgroups = Vec::new();
    let mut day = 0u64;
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut uniform = move || {
        rng = rng
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (rng >> 11) as f64 / (1u64 << 53) as f64
    };
    for week in 0..9u64 {
        for wd in 0..7u64 {
            day += 1;
            let label = format!("2025-03-{:02}", (day - 1) % 31 + 1);
            let label = if day > 31 {
                format!("2025-04-{:02}", day - 31)
            } else {
                label
            };
            if wd >= 5 {
                subgroups.push(Subgroup::new(label, 0, 0)); // weekend: no dispositions
                continue;
            }
            let n = 180 + (day * 37 % 60);
            let base = if week >= 6 { 0.19 } else { 0.23 };
            let wobble = (uniform() - 0.5) * 0.07;
            let passed = ((base + wobble) * n as f64).round() as u64;
            subgroups.push(Subgroup::new(label, passed, n));
        }
    }
    subgroups[10].passed = 22; // one bad day
    let chart = analyze(
        &subgroups,
        Baseline::default(),
        choice,
        EwmaParams::default(),
    )?;
    for s in &chart.signals {
        println!("{}", s.message);
    }
    std::fs::write(&out, render_svg("reply rate", &chart))?;
    println!("wrote {out} ({} chart)", chart.chart);
    Ok(())
}

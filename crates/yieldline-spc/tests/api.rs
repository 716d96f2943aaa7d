//! Errors, chart choice, the JSON shape and the SVG rendering.

use yieldline_spc::{
    Baseline, ChartChoice, ChartKind, ControlChart, EwmaParams, SpcError, Subgroup, analyze,
    render_svg,
};

fn binomial_like() -> Vec<Subgroup> {
    (0..30)
        .map(|i| {
            Subgroup::new(
                format!("2025-03-{:02}", i + 1),
                if i % 2 == 0 { 9 } else { 7 },
                16,
            )
        })
        .collect()
}

fn auto(s: &[Subgroup], b: Baseline) -> Result<ControlChart, SpcError> {
    analyze(s, b, ChartChoice::Auto, EwmaParams::default())
}

/// The chart of `kind` over the whole series, with the default EWMA parameters.
fn forced(s: &[Subgroup], kind: ChartKind) -> ControlChart {
    analyze(
        s,
        Baseline::default(),
        ChartChoice::Forced(kind),
        EwmaParams::default(),
    )
    .expect("chart")
}

#[test]
fn auto_picks_p_when_not_over_dispersed() {
    let c = auto(&binomial_like(), Baseline::default()).expect("chart");
    assert_eq!(c.chart, ChartKind::P);
    // z alternates ±0.5: mean moving range 1, σ_z = 1 / 1.128.
    let sz = c.sigma_z.expect("sigma_z");
    assert!((sz - 1.0 / 1.128).abs() < 1e-12, "{sz}");
}

#[test]
fn auto_picks_laney_when_over_dispersed() {
    // Large n, day-to-day swings far beyond binomial noise.
    let s: Vec<Subgroup> = (0..30u64)
        .map(|i| Subgroup::new(format!("d{i}"), 7000 + (i * 7919 % 13) * 100, 10_000))
        .collect();
    let c = auto(&s, Baseline::default()).expect("chart");
    assert_eq!(c.chart, ChartKind::Laney);
    assert!(c.sigma_z.expect("sigma_z") > 1.2);
    // Laney limits are wider than the p limits by exactly σ_z.
    let p = forced(&s, ChartKind::P);
    let sz = c.sigma_z.expect("sigma_z");
    let wide = c.points[0].ucl - c.center;
    let narrow = p.points[0].ucl - p.center;
    assert!((wide / narrow - sz).abs() < 1e-9);
}

#[test]
fn default_baseline_is_first_30_non_empty() {
    // 30 non-empty days at 0.5 (with empty days between), then a different level.
    let mut s = Vec::new();
    for i in 0..30 {
        s.push(Subgroup::new(
            format!("a{i}"),
            if i % 2 == 0 { 9 } else { 7 },
            16,
        ));
        if i % 10 == 0 {
            s.push(Subgroup::new(format!("e{i}"), 0, 0));
        }
    }
    s.extend((0..10).map(|i| Subgroup::new(format!("z{i}"), 15, 16)));
    let c = auto(&s, Baseline::default()).expect("chart");
    assert_eq!(c.center, 0.5);
    let c = auto(&s, Baseline::first_non_empty(40)).expect("chart");
    assert!(c.center > 0.5);
}

#[test]
fn ewma_parameters_change_the_limits() {
    let s = binomial_like();
    let run = |params| {
        analyze(
            &s,
            Baseline::default(),
            ChartChoice::Forced(ChartKind::Ewma),
            params,
        )
        .expect("chart")
    };
    let a = run(EwmaParams::default());
    let b = run(EwmaParams {
        lambda: 0.2,
        l: 2.0,
    });
    let w = |c: &ControlChart, i: usize| c.points[i].ucl - c.center;
    assert!((w(&b, 20) / w(&a, 20) - 2.0 / 3.0).abs() < 1e-12);
    // Limits widen with i towards the asymptote.
    assert!(w(&a, 0) < w(&a, 1) && w(&a, 1) < w(&a, 29));
    // λ = 1 is a Shewhart chart with n̄: asymptotic 3σ at once.
    let c = run(EwmaParams {
        lambda: 1.0,
        l: 3.0,
    });
    assert!((w(&c, 0) - 3.0 * (0.25f64 / 16.0).sqrt()).abs() < 1e-12);
    assert_eq!(c.points[3].ewma, Some(c.points[3].yield_));
}

#[test]
fn errors_name_the_problem() {
    let s = binomial_like();
    let p = EwmaParams::default();
    let forced = ChartChoice::Forced(ChartKind::P);

    let e = analyze(&[], Baseline::default(), forced, p).expect_err("empty input");
    assert!(matches!(e, SpcError::EmptyBaseline { .. }), "{e}");

    let empty_days: Vec<Subgroup> = (0..5)
        .map(|i| Subgroup::new(format!("d{i}"), 0, 0))
        .collect();
    let e = analyze(&empty_days, Baseline::default(), forced, p).expect_err("no data");
    assert!(e.to_string().contains("no subgroup with n > 0"), "{e}");

    let e = analyze(&s, Baseline::range(5..5), forced, p).expect_err("empty range");
    assert!(
        matches!(
            e,
            SpcError::EmptyBaseline {
                start: 5,
                end: 5,
                len: 30
            }
        ),
        "{e}"
    );

    let e = analyze(&s, Baseline::range(10..31), forced, p).expect_err("out of bounds");
    assert_eq!(
        e,
        SpcError::BaselineOutOfBounds {
            start: 10,
            end: 31,
            len: 30
        }
    );
    assert_eq!(
        e.to_string(),
        "baseline range 10..31 is out of bounds for 30 subgroups"
    );
    let e = analyze(&s, Baseline::Range { start: 4, end: 2 }, forced, p).expect_err("reversed");
    assert!(matches!(e, SpcError::BaselineOutOfBounds { .. }));

    let all_pass: Vec<Subgroup> = (0..5)
        .map(|i| Subgroup::new(format!("d{i}"), 10, 10))
        .collect();
    let e = analyze(&all_pass, Baseline::default(), forced, p).expect_err("p̄ = 1");
    assert!(
        matches!(e, SpcError::DegenerateCenter { center, .. } if center == 1.0),
        "{e}"
    );
    assert!(e.to_string().contains("degenerate"), "{e}");
    let none_pass: Vec<Subgroup> = (0..5)
        .map(|i| Subgroup::new(format!("d{i}"), 0, 10))
        .collect();
    let e = analyze(&none_pass, Baseline::default(), forced, p).expect_err("p̄ = 0");
    assert!(
        matches!(e, SpcError::DegenerateCenter { center, .. } if center == 0.0),
        "{e}"
    );

    for lambda in [0.0, -0.1, 1.0001, f64::NAN] {
        let e = analyze(
            &s,
            Baseline::default(),
            forced,
            EwmaParams { lambda, l: 3.0 },
        )
        .expect_err("bad λ");
        assert!(matches!(e, SpcError::InvalidLambda(_)), "{e}");
    }
    for l in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let e = analyze(
            &s,
            Baseline::default(),
            forced,
            EwmaParams { lambda: 0.2, l },
        )
        .expect_err("bad L");
        assert!(matches!(e, SpcError::InvalidL(_)), "{e}");
    }

    let mut bad = s.clone();
    bad[3] = Subgroup::new("2025-03-04", 17, 16);
    let e = analyze(&bad, Baseline::default(), forced, p).expect_err("passed > n");
    assert_eq!(
        e.to_string(),
        "subgroup #3 (\"2025-03-04\") has passed = 17 > n = 16"
    );

    let e = analyze(
        &s,
        Baseline::range(0..1),
        ChartChoice::Forced(ChartKind::Laney),
        p,
    )
    .expect_err("one point");
    assert_eq!(e, SpcError::LaneyNeedsTwo(1));
    // Auto with a one-point baseline falls back to p, with no σ_z.
    let c = analyze(&s, Baseline::range(0..1), ChartChoice::Auto, p).expect("chart");
    assert_eq!((c.chart, c.sigma_z), (ChartKind::P, None));
}

#[test]
fn json_shape_matches_the_cli() {
    let mut s = binomial_like();
    s.extend((0..9).map(|i| Subgroup::new(format!("2025-04-{:02}", i + 1), 10, 16)));
    let c = auto(&s, Baseline::default()).expect("chart");
    let v = serde_json::to_value(&c).expect("json");
    assert_eq!(v["chart"], "p");
    assert!(v["center"].is_f64());
    assert!(v["sigma_z"].is_f64());
    let p = &v["points"][0];
    assert_eq!(p["day"], "2025-03-01");
    assert_eq!(p["n"], 16);
    assert_eq!(p["yield"], 0.5625);
    assert!(p.get("yield_").is_none());
    assert!(p["ewma"].is_null());
    assert_eq!(p["flagged"], false);
    let sig = &v["signals"][0];
    assert_eq!(sig["day"], "2025-04-09");
    assert_eq!(sig["rule"], 2);
    assert_eq!(sig["rule_name"], "nine on one side");
    assert_eq!(sig["run_start"], "2025-04-01");
    assert_eq!(sig["before"], 0.5);
    assert_eq!(sig["after"], 0.625);
    assert!(
        sig["message"]
            .as_str()
            .expect("message")
            .starts_with("rule 2 (nine on one side)")
    );
    let back: ControlChart = serde_json::from_value(v).expect("round trip");
    assert_eq!(back, c);
    let e = forced(&s, ChartKind::Ewma);
    let v = serde_json::to_value(&e).expect("json");
    assert_eq!(v["chart"], "ewma");
    assert!(v["points"][0]["ewma"].is_f64());
    let l = forced(&s, ChartKind::Laney);
    assert_eq!(serde_json::to_value(&l).expect("json")["chart"], "laney");
}

#[test]
fn svg_is_a_readable_chart() {
    let mut s = binomial_like();
    s.push(Subgroup::new("2025-04-01", 1, 16));
    s.push(Subgroup::new("2025-04-02", 0, 0));
    s.extend((0..9).map(|i| Subgroup::new(format!("2025-04-{:02}", i + 3), 10, 16)));
    let c = auto(&s, Baseline::default()).expect("chart");
    let svg = render_svg("Reply <& book>", &c);
    assert!(svg.starts_with("<svg "), "{}", &svg[..40]);
    assert!(svg.trim_end().ends_with("</svg>"));
    assert_eq!(svg.matches("<circle").count(), c.points.len());
    assert_eq!(c.points.len(), 40);
    assert!(svg.contains(&format!("{:.4}", c.center)));
    assert!(svg.contains("Reply &lt;&amp; book&gt; — p-chart of daily yield"));
    assert!(!svg.contains("<&"));
    // Flagged points are red and carry their rule numbers.
    let flagged = c.points.iter().filter(|p| p.flagged).count();
    // (plotters' SVG backend writes `<circle cx cy r opacity fill ...>` and `<text ...>\nTEXT\n</text>`.)
    let red = "r=\"5\" opacity=\"1\" fill=\"#D32F2F\"";
    let blue = "r=\"3\" opacity=\"1\" fill=\"#1F5FA8\"";
    assert!(flagged > 0);
    assert_eq!(svg.matches(red).count(), flagged);
    assert_eq!(svg.matches(blue).count(), c.points.len() - flagged);
    assert!(svg.contains(">\n1\n</text>") && svg.contains(">\n2\n</text>"));
    assert!(svg.contains(">\n2025-04-01\n</text>") || svg.contains(">\n2025-03-01\n</text>"));
    assert!(svg.contains("UCL ") && svg.contains("LCL "));
    // Balanced tags, XML-ish.
    let opens = svg.matches("<text").count();
    assert_eq!(opens, svg.matches("</text>").count());
    assert!(!svg.contains("NaN") && !svg.contains("inf"));

    let e = forced(&s, ChartKind::Ewma);
    let svg = render_svg("x", &e);
    assert!(svg.contains("EWMA chart"));
    assert_eq!(svg.matches("<circle").count(), e.points.len());
}

#[test]
fn svg_single_point() {
    let s = vec![Subgroup::new("d", 5, 10)];
    let c = auto(&s, Baseline::default()).expect("chart");
    let svg = render_svg("one", &c);
    assert_eq!(svg.matches("<circle").count(), 1);
    assert!(!svg.contains("NaN"));
}

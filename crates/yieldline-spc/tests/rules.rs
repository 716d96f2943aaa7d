//! Run rules: each one triggered, and narrowly not triggered.
//!
//! The baseline is 30 subgroups of n = 16 alternating 9 and 7 passes: p̄ = 0.5 exactly,
//! σ = 1/8, so the 3σ limits are 0.125 and 0.875 and the 2σ zone 0.25..0.75, all exact
//! in binary, which lets "exactly on the limit" be tested. The baseline itself triggers
//! nothing and ends on a point below the centre (7/16).

use yieldline_spc::{
    Baseline, ChartChoice, ChartKind, ControlChart, EwmaParams, Signal, Subgroup, analyze,
};

const N: u64 = 16;

fn baseline() -> Vec<Subgroup> {
    (0..30)
        .map(|i| Subgroup::new(format!("b{i:02}"), if i % 2 == 0 { 9 } else { 7 }, N))
        .collect()
}

/// The baseline followed by test subgroups `t00, t01, …` with these passes of 16
/// (`None` = an empty day, n = 0).
fn chart_with(tail: &[Option<u64>]) -> ControlChart {
    let mut s = baseline();
    s.extend(tail.iter().enumerate().map(|(i, p)| match p {
        Some(p) => Subgroup::new(format!("t{i:02}"), *p, N),
        None => Subgroup::new(format!("t{i:02}"), 0, 0),
    }));
    analyze(
        &s,
        Baseline::range(0..30),
        ChartChoice::Forced(ChartKind::P),
        EwmaParams::default(),
    )
    .expect("chart")
}

fn some(xs: &[u64]) -> Vec<Option<u64>> {
    xs.iter().copied().map(Some).collect()
}

fn with_rule(c: &ControlChart, rule: u8) -> Vec<&Signal> {
    c.signals.iter().filter(|s| s.rule == rule).collect()
}

#[test]
fn baseline_is_quiet_and_exact() {
    let c = chart_with(&[]);
    assert_eq!(c.center, 0.5);
    assert_eq!((c.points[0].lcl, c.points[0].ucl), (0.125, 0.875));
    assert!(c.signals.is_empty(), "{:#?}", c.signals);
    assert!(c.points.iter().all(|p| !p.flagged));
}

#[test]
fn rule1_beyond_limits_fires() {
    let c = chart_with(&some(&[1, 8, 15]));
    let r1 = with_rule(&c, 1);
    assert_eq!(r1.len(), 2, "{r1:#?}");
    assert_eq!((r1[0].day.as_str(), r1[1].day.as_str()), ("t00", "t02"));
    assert_eq!(r1[0].rule_name, "beyond limits");
    assert!(
        r1[0].message.contains("below LCL 0.125"),
        "{}",
        r1[0].message
    );
    assert!(
        r1[1].message.contains("above UCL 0.875"),
        "{}",
        r1[1].message
    );
    assert!(r1[0].run_start.is_none() && r1[0].before.is_none());
    assert!(c.points[30].flagged && !c.points[31].flagged && c.points[32].flagged);
}

#[test]
fn rule1_exactly_on_limit_is_not_beyond() {
    // 2/16 = 0.125 = LCL and 14/16 = 0.875 = UCL exactly: "beyond" is strict.
    let c = chart_with(&some(&[2, 8, 14]));
    assert_eq!(c.points[30].yield_, c.points[30].lcl);
    assert_eq!(c.points[32].yield_, c.points[32].ucl);
    assert!(with_rule(&c, 1).is_empty(), "{:#?}", c.signals);
}

#[test]
fn rule2_nine_on_one_side_fires() {
    // 10/16 = 0.625: above the centre, inside the 2σ zone; ties do not trend.
    let c = chart_with(&some(&[10; 9]));
    let r2 = with_rule(&c, 2);
    assert_eq!(r2.len(), 1, "{:#?}", c.signals);
    let s = r2[0];
    assert_eq!(s.day, "t08");
    assert_eq!(s.rule_name, "nine on one side");
    assert_eq!(s.run_start.as_deref(), Some("t00"));
    assert_eq!(s.before, Some(0.5));
    assert_eq!(s.after, Some(0.625));
    assert_eq!(
        s.message,
        "rule 2 (nine on one side) on t08: yield 0.625 above centre 0.500 for 9 working days \
         since t00 (before 0.500, since 0.625)"
    );
    assert!(c.points[38].flagged && !c.points[37].flagged);
    assert_eq!(c.signals.len(), 1);
}

#[test]
fn rule2_longer_run_is_one_signal_over_the_whole_run() {
    let mut tail = some(&[10; 11]);
    tail.push(Some(6));
    let c = chart_with(&tail);
    let r2 = with_rule(&c, 2);
    assert_eq!(r2.len(), 1);
    assert_eq!(r2[0].day, "t08");
    assert!(r2[0].message.contains("for 11 working days since t00"));
    let flagged: Vec<bool> = c.points[30..].iter().map(|p| p.flagged).collect();
    assert_eq!(flagged, [&[false; 8][..], &[true; 3], &[false]].concat());
}

#[test]
fn rule2_eight_on_one_side_does_not_fire() {
    let c = chart_with(&some(&[10, 10, 10, 10, 10, 10, 10, 10, 7]));
    assert!(with_rule(&c, 2).is_empty(), "{:#?}", c.signals);
}

#[test]
fn rule2_point_on_centre_breaks_the_run() {
    // 8/16 = 0.5 is exactly the centre.
    let c = chart_with(&some(&[10, 10, 10, 10, 8, 10, 10, 10, 10]));
    assert!(with_rule(&c, 2).is_empty(), "{:#?}", c.signals);
}

#[test]
fn rule2_run_continues_across_empty_days() {
    let mut tail = Vec::new();
    for i in 0..9 {
        tail.push(Some(10));
        if i % 3 == 1 {
            tail.push(None);
        }
    }
    let c = chart_with(&tail);
    assert_eq!(c.points.len(), 39, "empty days are no points");
    assert!(c.points.iter().all(|p| p.n > 0));
    let r2 = with_rule(&c, 2);
    assert_eq!(r2.len(), 1, "{:#?}", c.signals);
    assert_eq!(r2[0].run_start.as_deref(), Some("t00"));
    assert_eq!(r2[0].day, "t11");
    assert_eq!(r2[0].after, Some(0.625), "empty days are not zero yields");
}

#[test]
fn rule3_six_rising_fires() {
    let c = chart_with(&some(&[5, 6, 7, 8, 9, 10]));
    let r3 = with_rule(&c, 3);
    assert_eq!(r3.len(), 1, "{:#?}", c.signals);
    assert_eq!(r3[0].day, "t05");
    assert_eq!(r3[0].rule_name, "six trending");
    assert_eq!(r3[0].run_start.as_deref(), Some("t00"));
    assert!(
        r3[0]
            .message
            .contains("rising for 6 working days since t00")
    );
    assert_eq!(r3[0].after, Some(45.0 / 96.0));
    assert_eq!(c.signals.len(), 1);
}

#[test]
fn rule3_six_falling_fires() {
    let c = chart_with(&some(&[11, 10, 9, 8, 7, 6]));
    let r3 = with_rule(&c, 3);
    assert_eq!(r3.len(), 1, "{:#?}", c.signals);
    assert!(r3[0].message.contains("falling"));
}

#[test]
fn rule3_five_rising_does_not_fire() {
    let c = chart_with(&some(&[5, 6, 7, 8, 9, 8]));
    assert!(with_rule(&c, 3).is_empty(), "{:#?}", c.signals);
    // A tie breaks the trend.
    let c = chart_with(&some(&[5, 6, 7, 7, 8, 9]));
    assert!(with_rule(&c, 3).is_empty(), "{:#?}", c.signals);
}

#[test]
fn rule5_two_of_three_beyond_two_sigma_fires() {
    // 13/16 = 0.8125: beyond 2σ (0.75), inside the UCL (0.875).
    let c = chart_with(&some(&[13, 9, 13]));
    let r5 = with_rule(&c, 5);
    assert_eq!(r5.len(), 1, "{:#?}", c.signals);
    assert_eq!(r5[0].day, "t02");
    assert_eq!(r5[0].rule_name, "two of three beyond 2σ");
    assert!(
        r5[0].message.contains("above centre + 2σ = 0.750"),
        "{}",
        r5[0].message
    );
    assert!(with_rule(&c, 1).is_empty());
    assert!(c.points[32].flagged && !c.points[30].flagged);
}

#[test]
fn rule5_one_of_three_does_not_fire() {
    let c = chart_with(&some(&[13, 9, 9, 13]));
    assert!(with_rule(&c, 5).is_empty(), "{:#?}", c.signals);
    // Two beyond 2σ but on opposite sides.
    let c = chart_with(&some(&[13, 9, 3]));
    assert!(with_rule(&c, 5).is_empty(), "{:#?}", c.signals);
    // Exactly on 2σ (12/16 = 0.75) is not beyond.
    let c = chart_with(&some(&[13, 9, 12]));
    assert!(with_rule(&c, 5).is_empty(), "{:#?}", c.signals);
}

#[test]
fn rule5_on_laney_uses_sigma_z() {
    // Over-dispersed baseline (σ_z > 1): 13/16 is beyond 2σ but not beyond 2σ·σ_z.
    let mut s: Vec<Subgroup> = (0..30)
        .map(|i| Subgroup::new(format!("b{i:02}"), if i % 2 == 0 { 12 } else { 4 }, N))
        .collect();
    s.extend(
        [13, 9, 13]
            .iter()
            .enumerate()
            .map(|(i, p)| Subgroup::new(format!("t{i}"), *p, N)),
    );
    let run = |kind| {
        analyze(
            &s,
            Baseline::range(0..30),
            ChartChoice::Forced(kind),
            EwmaParams::default(),
        )
        .expect("chart")
    };
    let laney = run(ChartKind::Laney);
    assert!(laney.sigma_z.expect("sigma_z") > 1.2);
    assert!(with_rule(&laney, 5).is_empty(), "{:#?}", laney.signals);
    assert_eq!(with_rule(&run(ChartKind::P), 5).len(), 1);
}

//! Tests of experiment definition, assignment and analysis on hand-built data.

use super::*;
use yieldline_stats::sequential::always_valid_p;

fn line() -> Line {
    Line::from_toml("line.toml", crate::line::TEMPLATE).expect("template")
}

fn account_line() -> Line {
    Line::from_toml(
        "line.toml",
        &crate::line::TEMPLATE.replace("unit = \"contact\"", "unit = \"account\""),
    )
    .expect("template")
}

/// Weights 10 : 30 : 60 (three arms).
const W_10_30_60: &[f64] = &[10.0, 30.0, 60.0];

/// Values computed with Python's `xxhash` 4.1.0 at authoring time:
/// `h = xxhash.xxh3_64_intdigest(f"{salt}:{id}".encode())`, arm by the documented rule.
const PYTHON_FIXTURES: &[(&str, &str, &[f64], u64, usize)] = &[
    ("demo-2025", "acc-0001", &[1.0, 1.0], 0xd87b8067e0000b34, 1),
    ("demo-2025", "acc-0002", &[1.0, 1.0], 0xf7792aedcf069421, 1),
    ("demo-2025", "acc-0003", &[1.0, 1.0], 0xcea295b240cfecfc, 1),
    ("s1", "c1", &[50.0, 50.0], 0x5497819ec381505e, 0),
    ("s1", "c2", &[50.0, 50.0], 0x5ada574c5d988378, 0),
    ("s1", "c3", &[50.0, 50.0], 0xab32a32b000b9d68, 1),
    ("s1", "c4", &[50.0, 50.0], 0xefa4ca77d9e054d7, 1),
    ("exp-7", "acc-42", W_10_30_60, 0x3667728a3465ef2b, 1),
    ("exp-7", "acc-43", W_10_30_60, 0x07fa4bfdf4365b34, 0),
    ("exp-7", "acc-44", W_10_30_60, 0x0b8025b2db3d6b1b, 0),
    ("exp-7", "acc-45", W_10_30_60, 0x366fc8c6c04ad897, 1),
    ("", "", &[1.0, 1.0], 0xa4209686811de3cc, 1),
    ("sälz", "kontakt-ü", &[1.0, 2.0], 0x9cbc1233c09686f2, 1),
    ("w", "2025-W23", &[1.0, 1.0], 0x97b456fb406e14c3, 1),
    ("w", "2025-W24", &[1.0, 1.0], 0x729b0dd787f92a35, 0),
    ("w", "2025-W25", &[1.0, 1.0], 0x135941e97f7288b1, 0),
    ("holdout", "acc-9", &[90.0, 10.0], 0x2980e3688a925890, 0),
    ("holdout", "acc-10", &[90.0, 10.0], 0x84557e1031d9942d, 0),
    ("holdout", "acc-11", &[90.0, 10.0], 0xc4f81f75389cc734, 0),
];

#[test]
fn assignment_matches_python_xxhash() {
    for &(salt, id, weights, h, arm) in PYTHON_FIXTURES {
        let key = format!("{salt}:{id}");
        assert_eq!(xxhash_rust::xxh3::xxh3_64(key.as_bytes()), h, "{key}");
        assert_eq!(
            unit_interval(salt, id),
            (h >> 11) as f64 / 2f64.powi(53),
            "{key}"
        );
        assert_eq!(assign_arm(salt, id, weights), arm, "{key} {weights:?}");
    }
}

#[test]
fn assignment_is_deterministic_and_follows_the_weights() {
    let weights = [20.0, 30.0, 50.0];
    let n = 100_000;
    let mut counts = [0u64; 3];
    for i in 0..n {
        let id = format!("con-{i}");
        let a = assign_arm("exp", &id, &weights);
        assert_eq!(a, assign_arm("exp", &id, &weights));
        counts[a] += 1;
    }
    for (c, w) in counts.iter().zip(weights) {
        let p = w / 100.0;
        let sd = (n as f64 * p * (1.0 - p)).sqrt();
        let dev = (*c as f64 - n as f64 * p).abs();
        assert!(dev < 5.0 * sd, "{counts:?}");
    }
    // A different salt re-shuffles.
    let moved = (0..1000)
        .filter(|i| {
            assign_arm("a", &i.to_string(), &[1.0, 1.0])
                != assign_arm("b", &i.to_string(), &[1.0, 1.0])
        })
        .count();
    assert!((400..600).contains(&moved), "{moved}");
    // Degenerate weights never panic.
    assert_eq!(assign_arm("s", "x", &[]), 0);
    assert_eq!(assign_arm("s", "x", &[0.0, f64::NAN]), 0);
    assert_eq!(assign_arm("s", "x", &[0.0, 1.0]), 1);
    assert_eq!(assign_arm("s", "x", &[f64::NAN, -1.0]), 0);
    assert_eq!(assign_arm("s", "x", &[5.0, 5.0]), 0);
    assert_eq!(xxhash_rust::xxh3::xxh3_64(b"s:x"), 0x001f_c788_f1de_82ba);
    assert_eq!(assign_arm("demo-2025", "acc-0004", &[1.0, 1.0]), 0); // u = 0.1646
    assert_eq!(assign_arm("demo-2025", "acc-0004", &[0.1, 0.1, 0.8]), 1);
    assert_eq!(assign_arm("demo-2025", "acc-0006", &[0.2, 0.3, 0.5]), 2); // u = 0.7101
    assert_eq!(assign_arm("", "", &[2.0, 3.0, 5.0]), 2); // u = 0.6411
    // A zero weight is never assigned, whatever the other weights.
    for i in 0..2_000 {
        let id = format!("acc-{i:05}");
        assert_eq!(assign_arm("salt", &id, &[1.0, 0.0]), 0);
        assert_eq!(assign_arm("salt", &id, &[0.0, f64::NAN, 2.0]), 2);
    }
}

fn def(unit: RandomizationUnit) -> ExperimentDef {
    ExperimentDef {
        id: "exp".into(),
        station: "first-touch".into(),
        arms: ArmDef::equal(&["human", "auto"]),
        control: "human".into(),
        unit,
        salt: "salt".into(),
        start: "2025-03-03T05:00:00Z".parse().expect("ts"),
        stop: None,
        guardrails: vec![],
        holdout: None,
        holdout_metric: None,
        tau2: DEFAULT_TAU2,
    }
}

#[test]
fn all_contacts_of_an_account_share_an_arm() {
    let d = def(RandomizationUnit::Account);
    let day = Date::constant(2025, 3, 5);
    let mut by_contact = [0usize; 2];
    for a in 0..500 {
        let acc = format!("acc-{a}");
        let first = d.arm_of("c-0", Some(&acc), day).expect("arm").name.clone();
        for c in 1..6 {
            let arm = d
                .arm_of(&format!("c-{a}-{c}"), Some(&acc), day)
                .expect("arm");
            assert_eq!(arm.name, first);
        }
        let dc = def(RandomizationUnit::Contact);
        by_contact[dc
            .arm_index(&dc.arm_of(&format!("c-{a}"), None, day).expect("arm").name)
            .expect("idx")] += 1;
    }
    assert!(by_contact[0] > 200 && by_contact[1] > 200, "{by_contact:?}");
    assert!(d.arm_of("c", None, day).is_none(), "account unknown");
    // Switchback: one arm for the whole ISO week, recomputable from the week label.
    let w = def(RandomizationUnit::Week);
    let mon = Date::constant(2025, 6, 2);
    assert_eq!(iso_week(mon), "2025-W23");
    assert_eq!(iso_week(Date::constant(2024, 12, 30)), "2025-W01");
    let arm = w.arm_of("x", None, mon).expect("arm").name.clone();
    for k in 0..7 {
        let d = mon.checked_add(jiff::Span::new().days(k)).expect("date");
        assert_eq!(
            w.arm_of(&format!("u{k}"), Some("acc"), d)
                .expect("arm")
                .name,
            arm
        );
    }
    assert_eq!(
        w.arm_of("x", None, mon).map(|a| a.name.as_str()),
        Some(["human", "auto"][assign_arm("salt", "2025-W23", &[1.0, 1.0])])
    );
}

#[test]
fn holdout_units_are_known_to_dispatch() {
    let mut d = def(RandomizationUnit::Contact);
    d.arms.push(ArmDef {
        name: "holdout".into(),
        weight: 1.0,
    });
    d.holdout = Some("holdout".into());
    d.validate(&line()).expect("valid");
    let day = Date::constant(2025, 3, 5);
    let held = (0..300)
        .filter(|i| d.is_holdout(&format!("c{i}"), None, day))
        .count();
    assert!((60..140).contains(&held), "{held}");
    for i in 0..50 {
        let id = format!("c{i}");
        assert_eq!(
            d.is_holdout(&id, None, day),
            d.arm_of(&id, None, day).expect("arm").name == "holdout"
        );
    }
}

#[test]
fn validation_gives_clear_errors() {
    let l = line();
    let check = |d: ExperimentDef, needle: &str| {
        let err = d.validate(&l).expect_err("invalid").to_string();
        assert!(err.contains(needle), "{err} should contain {needle}");
    };
    def(RandomizationUnit::Account).validate(&l).expect("valid");
    // `experiment create --start 9999-12-31`: the day starts past jiff's last instant;
    // it used to be stored as -9999-01-02. Now it saturates and is refused.
    let far = crate::calendar::day_start(&l, Date::constant(9999, 12, 31));
    type Change<'a> = &'a dyn Fn(&mut ExperimentDef);
    let cases: &[(&str, Change)] = &[
        ("unknown station \"nope\"", &|d| d.station = "nope".into()),
        ("at least 2 arms", &|d| d.arms.truncate(1)),
        ("listed twice", &|d| d.arms[1].name = "human".into()),
        ("finite number", &|d| d.arms[0].weight = -1.0),
        ("sum to a positive number", &|d| {
            d.arms[0].weight = 0.0;
            d.arms[1].weight = 0.0;
        }),
        ("unknown arm \"x\"", &|d| d.control = "x".into()),
        ("unknown arm \"y\"", &|d| d.holdout = Some("y".into())),
        ("malformed experiment id", &|d| d.id = "a b".into()),
        ("tau2", &|d| d.tau2 = 0.0),
        ("unknown metric \"research\"", &|d| {
            d.guardrails = vec![Guardrail {
                metric: "research".into(),
                margin: 0.01,
            }];
        }),
        ("tau2 must be a number in (0, 1]", &|d| d.tau2 = 4.0),
        ("is outside 2000-01-01 to 2100-12-31", &|d| d.start = far),
        ("the stop 9999-12-30T22:00:00", &|d| {
            d.stop = Some(jiff::Timestamp::MAX);
        }),
        ("last station", &|d| {
            d.station = "qualified".into();
            d.arms.push(ArmDef {
                name: "h".into(),
                weight: 1.0,
            });
            d.holdout = Some("h".into());
        }),
    ];
    for (needle, change) in cases {
        let mut d = def(RandomizationUnit::Account);
        change(&mut d);
        check(d, needle);
    }
    for (y, ok) in [(1999, false), (2000, true), (2100, true), (2101, false)] {
        let at = |m, d| crate::calendar::day_start(&l, Date::constant(y, m, d));
        let start = if y == 2100 { at(12, 31) } else { at(1, 1) };
        let d = ExperimentDef {
            start,
            ..def(RandomizationUnit::Account)
        };
        assert_eq!(d.validate(&l).is_ok(), ok, "start in {y}");
    }
    let err = def(RandomizationUnit::Contact)
        .validate(&account_line())
        .expect_err("finer");
    assert!(err.to_string().contains("randomize by account"), "{err}");
}

#[test]
fn guardrails_parse() {
    assert_eq!(
        Guardrail::parse("optout_rate:0.003").expect("ok"),
        Guardrail {
            metric: "optout_rate".into(),
            margin: 0.003
        }
    );
    assert_eq!(
        Guardrail::parse("qualified:0.5%").expect("ok").margin,
        0.005
    );
    assert!(
        Guardrail::parse("qualified:0.5%")
            .expect("ok")
            .lower_is_better()
            .eq(&false)
    );
    for bad in [
        "optout_rate",
        ":0.1",
        "optout_rate:x",
        "optout_rate:-0.1",
        "optout_rate:1.5",
    ] {
        let err = Guardrail::parse(bad).expect_err(bad);
        assert!(err.to_string().contains("bad guardrail"), "{err}");
    }
    assert_eq!(parse_weights("50, 50").expect("ok"), vec![50.0, 50.0]);
    assert!(parse_weights("50,x").is_err());
}

// ---------------------------------------------------------------------------------
// Analysis on hand-built data

struct Builder {
    events: Vec<ExperimentEvent>,
    start: Timestamp,
}

impl Builder {
    fn new() -> Self {
        Self {
            events: Vec::new(),
            start: "2025-03-03T05:00:00Z".parse().expect("ts"),
        }
    }

    /// An event `hours` after the start.
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        unit: &str,
        account: &str,
        hours: f64,
        station: &str,
        kind: EventKind,
        reason: Option<&str>,
        arm: Option<&str>,
    ) {
        let ts = Timestamp::from_microsecond(self.start.as_microsecond() + (hours * 3.6e9) as i64)
            .expect("ts");
        self.events.push(ExperimentEvent {
            unit: unit.into(),
            account: account.into(),
            ts,
            station: station.into(),
            kind,
            reason: reason.map(str::to_owned),
            arm: arm.map(str::to_owned),
        });
    }

    /// A first-touch visit on `day` (0-based from the start) ending in `outcome`.
    fn visit(
        &mut self,
        unit: &str,
        account: &str,
        day: u32,
        arm: &str,
        outcome: EventKind,
        reason: Option<&str>,
    ) {
        let h = f64::from(day) * 24.0 + 4.0;
        self.push(
            unit,
            account,
            h,
            "first-touch",
            EventKind::Entered,
            None,
            Some(arm),
        );
        self.push(
            unit,
            account,
            h + 2.0,
            "first-touch",
            EventKind::Touch,
            None,
            Some(arm),
        );
        let reason = if outcome == EventKind::Failed {
            reason.or(Some("no_response"))
        } else {
            None
        };
        self.push(
            unit,
            account,
            h + 5.0,
            "first-touch",
            outcome,
            reason,
            Some(arm),
        );
    }

    fn data(&self) -> ExperimentData {
        ExperimentData {
            events: self.events.clone(),
        }
    }
}

/// `n` units per arm over 10 days; `passes[arm]` of them pass; arm 1 units opt out at
/// `optouts` of them; passes go on to `qualified` at rates `qual[arm]`.
fn simple(n: u32, passes: [u32; 2], optouts: u32, qualified: [u32; 2]) -> Builder {
    let mut b = Builder::new();
    for (a, arm) in ["human", "auto"].iter().enumerate() {
        for i in 0..n {
            let unit = format!("{arm}-{i}");
            let acc = format!("acc-{arm}-{i}");
            let day = i % 10;
            let passed = i < passes[a];
            if passed {
                b.visit(&unit, &acc, day, arm, EventKind::Passed, None);
                if i < qualified[a] {
                    b.push(
                        &unit,
                        &acc,
                        f64::from(day) * 24.0 + 50.0,
                        "qualified",
                        EventKind::Passed,
                        None,
                        None,
                    );
                }
            } else if a == 1 && i < passes[a] + optouts {
                b.visit(&unit, &acc, day, arm, EventKind::Failed, Some("optout"));
            } else {
                b.visit(&unit, &acc, day, arm, EventKind::Failed, None);
            }
        }
    }
    b
}

fn as_of() -> Timestamp {
    "2025-03-20T12:00:00Z".parse().expect("ts")
}

/// The analysis of `b`'s events under `d` on the template line, as of [`as_of`].
fn analyzed(d: &ExperimentDef, b: &Builder) -> Analysis {
    analyze(d, &line(), &b.data(), as_of()).expect("analysis")
}

fn no_nan(v: &serde_json::Value) {
    match v {
        serde_json::Value::Number(n) => assert!(n.as_f64().is_some_and(f64::is_finite)),
        serde_json::Value::Array(a) => a.iter().for_each(no_nan),
        serde_json::Value::Object(o) => o.values().for_each(no_nan),
        _ => {}
    }
}

#[test]
fn per_arm_counts_and_comparison_match_the_stats_crate() {
    let b = simple(4000, [400, 600], 0, [120, 80]);
    let d = def(RandomizationUnit::Contact);
    let a = analyzed(&d, &b);
    assert_eq!(a.variance, "binomial");
    assert_eq!(a.arms.len(), 2);
    let (h, t) = (&a.arms[0], &a.arms[1]);
    assert_eq!((h.units, h.dispositions, h.passed), (4000, 4000, 400));
    assert_eq!((t.units, t.dispositions, t.passed), (4000, 4000, 600));
    assert_eq!(h.yield_, Some(0.1));
    let w = wilson(600, 4000, Z95).expect("ci");
    assert_eq!(t.yield_ci, Some([w.lo, w.hi]));
    assert_eq!(h.downstream["qualified"].count, 120);
    assert_eq!(h.downstream["qualified"].rate, Some(0.03));
    assert_eq!(t.downstream["reply"].count, 0);
    let c = &a.comparisons[0];
    assert_eq!(c.arm, "auto");
    assert_eq!(c.diff, Some(0.15 - 0.1));
    let nc = newcombe_diff_ci(600, 4000, 400, 4000, 0.05).expect("ci");
    assert_eq!(c.diff_ci, Some([nc.lo, nc.hi]));
    let r = ratio_log_ci(600, 4000, 400, 4000, 0.05).expect("ci");
    assert_eq!(c.lift_ci, Some([r.lo - 1.0, r.hi - 1.0]));
    assert!((c.lift.expect("lift") - 0.5).abs() < 1e-12);
    assert_eq!(
        c.p_value,
        Some(ztest_pooled(600, 4000, 400, 4000).expect("z").p_value)
    );
    assert_eq!(
        c.chance_to_beat,
        Some(chance_to_beat(600, 4000, 400, 4000).expect("ctb"))
    );
    // Daily looks: unit i is worked on day i % 10 and passes when i < passes; the
    // counts stay flat from day 10 to the as-of day (day 17).
    let mut looks = Vec::new();
    for day in 0..18u64 {
        let n = 400 * (day + 1).min(10);
        let k1 = (0..4000u64).filter(|i| *i < 600 && i % 10 <= day).count() as u64;
        let k2 = (0..4000u64).filter(|i| *i < 400 && i % 10 <= day).count() as u64;
        looks.push(Look {
            k1,
            n1: n,
            k2,
            n2: n,
        });
    }
    assert_eq!(c.looks, 18);
    assert_eq!(
        c.always_valid_p,
        Some(always_valid_p(&looks, DEFAULT_TAU2).expect("avp"))
    );
    assert_eq!(a.srm_p, Some(1.0));
    assert_eq!(a.verdict.decision, "ship", "{:?}", a.verdict);
    no_nan(&serde_json::to_value(&a).expect("json"));
}

#[test]
fn a_breached_guardrail_rolls_back_despite_a_better_yield() {
    let b = simple(4000, [400, 600], 160, [120, 20]);
    let mut d = def(RandomizationUnit::Contact);
    d.guardrails = vec![
        Guardrail {
            metric: OPTOUT_RATE.into(),
            margin: 0.01,
        },
        Guardrail {
            metric: "qualified".into(),
            margin: 0.0,
        },
    ];
    let a = analyzed(&d, &b);
    assert_eq!(a.arms[1].guardrails[OPTOUT_RATE].count, 160);
    assert_eq!(a.arms[0].guardrails[OPTOUT_RATE].count, 0);
    let g = &a.comparisons[0].guardrails;
    assert!(g[0].breached, "{g:?}");
    let nc = newcombe_diff_ci(160, 4000, 0, 4000, 0.05).expect("ci");
    assert_eq!(g[0].diff_ci, Some([nc.lo, nc.hi]));
    assert!(g[1].breached, "qualified 0.5 % vs 3 %: {g:?}");
    assert!(
        a.verdict.reason.contains("although its yield is higher"),
        "{}",
        a.verdict.reason
    );
    assert_eq!(a.verdict.decision, "roll back");
    assert_eq!(a.verdict.arm.as_deref(), Some("auto"));
    assert!(
        a.verdict.reason.contains("guardrails optout_rate"),
        "{}",
        a.verdict.reason
    );
    // A generous margin is not breached.
    d.guardrails = vec![Guardrail {
        metric: OPTOUT_RATE.into(),
        margin: 0.2,
    }];
    let a = analyzed(&d, &b);
    assert!(!a.comparisons[0].guardrails[0].breached);
    assert_eq!(a.verdict.decision, "ship");
}

#[test]
fn a_small_effect_keeps_running_with_days_to_a_decision() {
    let b = simple(500, [50, 58], 0, [0, 0]);
    let a = analyzed(&def(RandomizationUnit::Contact), &b);
    assert_eq!(a.verdict.decision, "keep running", "{:?}", a.verdict);
    let days = a.verdict.days_to_decision.expect("days");
    assert!(days > 1.0 && days.is_finite(), "{days}");
    assert!(
        a.verdict.reason.contains("more working days"),
        "{}",
        a.verdict.reason
    );
    // Once stopped, no more data will come.
    let mut d = def(RandomizationUnit::Contact);
    d.stop = Some("2025-03-15T00:00:00Z".parse().expect("ts"));
    let a = analyzed(&d, &b);
    assert_eq!(a.verdict.decision, "keep running");
    assert!(a.verdict.reason.contains("stopped"), "{}", a.verdict.reason);
    // Identical arms: no decision in sight.
    let b = simple(500, [50, 50], 0, [0, 0]);
    let a = analyzed(&def(RandomizationUnit::Contact), &b);
    assert_eq!(a.verdict.decision, "keep running");
    assert_eq!(a.verdict.days_to_decision, None);
}

#[test]
fn a_broken_split_warns_and_gives_no_verdict() {
    let mut b = simple(1000, [100, 150], 0, [0, 0]);
    // Drop 40 % of the treatment arm's units: a logging bug.
    b.events.retain(|e| {
        !(e.unit.starts_with("auto-") && e.unit[5..].parse::<u32>().is_ok_and(|i| i >= 600))
    });
    let a = analyzed(&def(RandomizationUnit::Contact), &b);
    assert!(a.srm_p.expect("srm") < SRM_ALPHA);
    assert_eq!(a.verdict.decision, "no verdict");
    assert!(
        a.warnings
            .iter()
            .any(|w| w.contains("sample-ratio mismatch")),
        "{:?}",
        a.warnings
    );
}

#[test]
fn no_data_is_a_clear_not_enough_data_verdict() {
    let a = analyze(
        &def(RandomizationUnit::Contact),
        &line(),
        &ExperimentData::default(),
        as_of(),
    )
    .expect("analysis");
    assert_eq!(a.verdict.decision, "keep running");
    assert!(
        a.verdict.reason.contains("not enough data"),
        "{}",
        a.verdict.reason
    );
    assert_eq!(a.srm_p, None);
    assert_eq!(a.comparisons[0].diff, None);
    no_nan(&serde_json::to_value(&a).expect("json"));
    // Only control data.
    let mut b = Builder::new();
    b.visit("u1", "a1", 0, "human", EventKind::Passed, None);
    let a = analyzed(&def(RandomizationUnit::Contact), &b);
    assert!(a.comparisons[0].note.is_some());
    assert_eq!(a.verdict.decision, "keep running");
    // Before the start: nothing counts.
    let early = "2025-03-01T00:00:00Z".parse().expect("ts");
    let a = analyze(
        &def(RandomizationUnit::Contact),
        &line(),
        &simple(10, [1, 2], 0, [0, 0]).data(),
        early,
    )
    .expect("analysis");
    assert_eq!(a.arms[0].units, 0);
}

#[test]
fn unknown_arms_and_crossovers_are_reported() {
    let mut b = simple(100, [10, 20], 0, [0, 0]);
    b.visit("x1", "ax", 1, "mystery", EventKind::Passed, None);
    b.visit("human-0", "acc-human-0", 3, "auto", EventKind::Failed, None);
    let a = analyzed(&def(RandomizationUnit::Contact), &b);
    assert_eq!(a.crossovers, 1);
    assert_eq!(
        a.arms[0].dispositions, 100,
        "the crossover's second visit is not counted"
    );
    assert!(
        a.warnings.iter().any(|w| w.contains("\"mystery\"")),
        "{:?}",
        a.warnings
    );
}

#[test]
fn account_randomization_uses_cluster_robust_variance() {
    // Accounts of 1..=5 contacts; account-level propensity varies.
    let mut b = Builder::new();
    let mut clusters: [Vec<(f64, f64)>; 2] = [Vec::new(), Vec::new()];
    let (mut k, mut n) = ([0u64; 2], [0u64; 2]);
    for acc in 0..400u32 {
        let arm = (acc % 2) as usize;
        let size = acc % 5 + 1;
        let hot = acc % 7 == 0;
        let mut y = 0.0;
        for c in 0..size {
            let unit = format!("c-{acc}-{c}");
            let pass = if hot {
                c < 3
            } else {
                (acc + c) % (9 - 2 * arm as u32) == 0
            };
            let kind = if pass {
                EventKind::Passed
            } else {
                EventKind::Failed
            };
            b.visit(
                &unit,
                &format!("acc-{acc}"),
                acc % 10,
                ["human", "auto"][arm],
                kind,
                None,
            );
            if pass {
                y += 1.0;
                k[arm] += 1;
            }
            n[arm] += 1;
        }
        clusters[arm].push((y, f64::from(size)));
    }
    let a = analyzed(&def(RandomizationUnit::Account), &b);
    assert_eq!(a.variance, "cluster-robust (account)");
    assert_eq!(a.arms[0].randomization_units, 200);
    assert_eq!(a.arms[0].accounts, 200);
    assert_eq!(a.arms[1].dispositions, n[1]);
    // BTreeMap order of account ids differs from insertion order, but sums do not care.
    let et = cluster_ratio(&clusters[1]).expect("t");
    let ec = cluster_ratio(&clusters[0]).expect("c");
    let d = cluster_diff(&et, &ec, 0.05).expect("diff");
    let c = &a.comparisons[0];
    assert!((c.diff.expect("diff") - d.diff).abs() < 1e-12);
    let ci = c.diff_ci.expect("ci");
    assert!(
        (ci[0] - d.ci.lo).abs() < 1e-12 && (ci[1] - d.ci.hi).abs() < 1e-12,
        "{ci:?} vs {:?}",
        d.ci
    );
    assert!((c.p_value.expect("p") - d.p_value).abs() < 1e-12);
    let se = (et.variance / et.ratio.powi(2) + ec.variance / ec.ratio.powi(2)).sqrt();
    let centre = (et.ratio / ec.ratio).ln();
    let lift_ci = c.lift_ci.expect("lift ci");
    assert!((lift_ci[0] - ((centre - Z95 * se).exp() - 1.0)).abs() < 1e-12);
    // Wider than the binomial interval: contacts of one account are correlated.
    let nc = newcombe_diff_ci(k[1], n[1], k[0], n[0], 0.05).expect("nc");
    assert!(ci[1] - ci[0] > nc.hi - nc.lo, "{ci:?} vs {nc:?}");
    assert!(c.always_valid_p.is_some_and(|p| (0.0..=1.0).contains(&p)));
    no_nan(&serde_json::to_value(&a).expect("json"));
}

#[test]
fn a_holdout_is_compared_on_what_its_units_still_produce() {
    let mut d = def(RandomizationUnit::Contact);
    d.arms = ArmDef::equal(&["outreach", "holdout"]);
    d.control = "holdout".into();
    d.holdout = Some("holdout".into());
    d.holdout_metric = Some("meeting-held".into());
    let mut b = Builder::new();
    for i in 0..1000u32 {
        let day = i % 10;
        let (u, acc) = (format!("o{i}"), format!("ao{i}"));
        b.visit(
            &u,
            &acc,
            day,
            "outreach",
            if i < 150 {
                EventKind::Passed
            } else {
                EventKind::Failed
            },
            None,
        );
        if i < 75 {
            b.push(
                &u,
                &acc,
                f64::from(day) * 24.0 + 80.0,
                "meeting-held",
                EventKind::Passed,
                None,
                None,
            );
        }
        // Holdout units only enter (dispatch held them back); a few come inbound.
        let (h, hacc) = (format!("h{i}"), format!("ah{i}"));
        b.push(
            &h,
            &hacc,
            f64::from(day) * 24.0 + 3.0,
            "first-touch",
            EventKind::Entered,
            None,
            Some("holdout"),
        );
        if i < 15 {
            b.push(
                &h,
                &hacc,
                f64::from(day) * 24.0 + 90.0,
                "meeting-held",
                EventKind::Passed,
                None,
                None,
            );
        }
    }
    let a = analyzed(&d, &b);
    let hold = &a.arms[1];
    assert!(hold.holdout && hold.control);
    assert_eq!(
        (hold.units, hold.dispositions, hold.yield_),
        (1000, 0, None)
    );
    assert_eq!(hold.downstream["meeting-held"].count, 15);
    let c = &a.comparisons[0];
    assert_eq!(c.metric, "meeting-held per unit");
    assert_eq!((c.arm_counts, c.control_counts), ([75, 1000], [15, 1000]));
    let nc = newcombe_diff_ci(75, 1000, 15, 1000, 0.05).expect("nc");
    assert_eq!(c.diff_ci, Some([nc.lo, nc.hi]));
    assert_eq!(a.srm_p, Some(1.0));
    assert_eq!(a.verdict.decision, "ship", "{:?}", a.verdict);
}

//! The verdict from the comparisons and guardrails (see the module docs of [`super`]).

use super::*;

fn pp(x: f64) -> String {
    format!("{:+.2} pp", x * 100.0)
}

pub(super) fn decide(broken: bool, stopped: bool, comparisons: &[Comparison]) -> Verdict {
    let verdict = |decision: &str, reason: String, arm: Option<&str>, days: Option<f64>| Verdict {
        decision: decision.to_owned(),
        reason,
        arm: arm.map(str::to_owned),
        days_to_decision: days,
    };
    if broken {
        return verdict(
            "no verdict",
            "sample-ratio mismatch: the arms' sizes do not match the planned weights, so assignment or logging is broken; fix it before reading the results".into(),
            None,
            None,
        );
    }
    if comparisons.iter().all(|c| c.diff.is_none()) {
        return verdict(
            "keep running",
            "not enough data yet: every arm needs units with dispositions at the station".into(),
            None,
            None,
        );
    }
    // Guardrails first.
    for c in comparisons {
        let breached: Vec<String> = c
            .guardrails
            .iter()
            .filter(|g| g.breached)
            .map(|g| {
                let [lo, hi] = g.diff_ci.unwrap_or([0.0, 0.0]);
                format!(
                    "{} ({}, 95 % CI {} to {}, margin {:.2} pp)",
                    g.metric,
                    pp(g.diff.unwrap_or(0.0)),
                    pp(lo),
                    pp(hi),
                    g.margin * 100.0
                )
            })
            .collect();
        if breached.is_empty() {
            continue;
        }
        let primary = match (c.diff, c.always_valid_p) {
            (Some(d), Some(p)) if d > 0.0 => {
                format!(
                    ", although its {} is higher ({}, always-valid p = {})",
                    c.metric,
                    pp(d),
                    fmt_p(p)
                )
            }
            _ => String::new(),
        };
        return verdict(
            "roll back",
            format!(
                "{} is worse than {} beyond the margin on the guardrail{} {}{primary}",
                c.arm,
                c.control,
                if breached.len() == 1 { "" } else { "s" },
                breached.join(" and "),
            ),
            Some(&c.arm),
            None,
        );
    }
    let significant = |c: &&Comparison| c.always_valid_p.is_some_and(|p| p < ALPHA);
    if let Some(best) = comparisons
        .iter()
        .filter(significant)
        .filter(|c| c.diff.is_some_and(|d| d > 0.0))
        .max_by(|a, b| a.diff.unwrap_or(0.0).total_cmp(&b.diff.unwrap_or(0.0)))
    {
        return verdict(
            "ship",
            format!(
                "{} beats {} on {} by {}{} with always-valid p = {} < {ALPHA}, and no guardrail is breached",
                best.arm,
                best.control,
                best.metric,
                pp(best.diff.unwrap_or(0.0)),
                best.lift
                    .map(|l| format!(" (lift {:+.1} %)", l * 100.0))
                    .unwrap_or_default(),
                fmt_p(best.always_valid_p.unwrap_or(1.0)),
            ),
            Some(&best.arm),
            Some(0.0),
        );
    }
    if let Some(worst) = comparisons
        .iter()
        .filter(significant)
        .find(|c| c.diff.is_some_and(|d| d < 0.0))
    {
        return verdict(
            "roll back",
            format!(
                "{} is worse than {} on {} by {} with always-valid p = {} < {ALPHA}",
                worst.arm,
                worst.control,
                worst.metric,
                pp(worst.diff.unwrap_or(0.0)),
                fmt_p(worst.always_valid_p.unwrap_or(1.0)),
            ),
            Some(&worst.arm),
            None,
        );
    }
    let best_p = comparisons
        .iter()
        .filter_map(|c| c.always_valid_p)
        .fold(1.0_f64, f64::min);
    let days = comparisons
        .iter()
        .filter_map(|c| c.days_to_decision)
        .fold(None, |acc: Option<f64>, d| {
            Some(acc.map_or(d, |a| a.min(d)))
        });
    let outlook = match (days, stopped) {
        (_, true) => "the experiment is stopped, so no more data will come: restart it (a new experiment) to decide".to_owned(),
        (Some(d), false) => format!(
            "if the observed effect holds, about {} more working days at the current volume",
            d.ceil().max(1.0)
        ),
        (None, false) => "the observed difference is too small for a decision to be in sight at the current volume".to_owned(),
    };
    verdict(
        "keep running",
        format!(
            "no arm is better or worse with confidence yet (smallest always-valid p = {}); {outlook}",
            fmt_p(best_p)
        ),
        None,
        if stopped { None } else { days },
    )
}

/// A p-value for people: 3 significant digits, scientific below 0.001.
pub fn fmt_p(p: f64) -> String {
    if p < 0.001 {
        format!("{p:.1e}")
    } else {
        format!("{p:.3}")
    }
}

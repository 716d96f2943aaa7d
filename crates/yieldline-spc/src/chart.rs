//! The chart computations: baseline, p, Laney p′ and EWMA limits, and signals.

use crate::model::{
    Baseline, ChartChoice, ChartKind, ControlChart, EwmaParams, LANEY_THRESHOLD, Point, Signal,
    SpcError, Subgroup,
};
use crate::rules::{self, Detection, Shewhart, Side};

/// d₂ for moving ranges of two: σ ≈ mean moving range / d₂.
pub const D2: f64 = 1.128;

/// A subgroup with `n > 0`: one point of the chart.
struct Obs<'a> {
    /// Index in the input.
    index: usize,
    label: &'a str,
    passed: u64,
    n: u64,
    /// passed / n.
    p: f64,
}

/// Computes the control chart of `subgroups` (in time order).
///
/// The centre p̄ = Σpassed / Σn is taken over the `baseline`; σ_z (Laney) and n̄ (EWMA)
/// over its non-empty subgroups too. Subgroups with `n = 0` are no point at all.
/// `params` are validated whatever the chart kind.
///
/// The EWMA statistic starts at the first subgroup with at least
/// [`EWMA_START_SHARE`] × n̄ dispositions (n̄: the baseline's mean subgroup size): a tiny
/// leading subgroup (one disposition on the first day) would otherwise move the statistic
/// by λ·(p − p̄) against limits sized for n̄, and alarm on nothing. The subgroups before it
/// are plotted with the statistic held at the centre, and cannot signal.
///
/// # Errors
/// [`SpcError`] for a subgroup with passed > n, a baseline out of bounds, empty, or with
/// yield exactly 0 or 1, λ outside (0, 1] or L ≤ 0, and a forced Laney chart whose
/// baseline has fewer than two points.
pub fn analyze(
    subgroups: &[Subgroup],
    baseline: Baseline,
    choice: ChartChoice,
    params: EwmaParams,
) -> Result<ControlChart, SpcError> {
    if !(params.lambda > 0.0 && params.lambda <= 1.0) {
        return Err(SpcError::InvalidLambda(params.lambda));
    }
    if !(params.l > 0.0 && params.l.is_finite()) {
        return Err(SpcError::InvalidL(params.l));
    }
    let obs = observations(subgroups)?;
    let (start, end) = resolve_baseline(subgroups, baseline)?;
    let base: Vec<&Obs<'_>> = obs
        .iter()
        .filter(|o| (start..end).contains(&o.index))
        .collect();
    if base.is_empty() {
        return Err(SpcError::EmptyBaseline {
            start,
            end,
            len: subgroups.len(),
        });
    }
    let passed: u128 = base.iter().map(|o| u128::from(o.passed)).sum();
    let total: u128 = base.iter().map(|o| u128::from(o.n)).sum();
    let center = ratio(passed, total);
    if passed == 0 || passed == total {
        return Err(SpcError::DegenerateCenter {
            center,
            passed,
            n: total,
        });
    }
    let sigma_z = laney_sigma_z(&base, center);
    let kind = match choice {
        ChartChoice::Forced(kind) => kind,
        ChartChoice::Auto => match sigma_z {
            Some(s) if s > LANEY_THRESHOLD => ChartKind::Laney,
            _ => ChartKind::P,
        },
    };

    let (points, sigma, detections) = match kind {
        ChartKind::P => shewhart(&obs, center, 1.0),
        ChartKind::Laney => {
            let s = sigma_z.ok_or(SpcError::LaneyNeedsTwo(base.len()))?;
            shewhart(&obs, center, s)
        }
        ChartKind::Ewma => {
            let n_bar = ratio(total, base.len() as u128);
            ewma(&obs, center, n_bar, params)
        }
    };
    let window = base.len();
    let signals = detections
        .iter()
        .map(|d| signal(d, kind, &obs, &points, &sigma, center, window))
        .collect();
    Ok(ControlChart {
        chart: kind,
        center,
        sigma_z,
        points,
        signals,
    })
}

/// The non-empty subgroups, checking passed ≤ n.
fn observations(subgroups: &[Subgroup]) -> Result<Vec<Obs<'_>>, SpcError> {
    let mut out = Vec::with_capacity(subgroups.len());
    for (index, s) in subgroups.iter().enumerate() {
        if s.passed > s.n {
            return Err(SpcError::InvalidSubgroup {
                index,
                label: s.label.clone(),
                passed: s.passed,
                n: s.n,
            });
        }
        if s.n > 0 {
            out.push(Obs {
                index,
                label: &s.label,
                passed: s.passed,
                n: s.n,
                p: s.passed as f64 / s.n as f64,
            });
        }
    }
    Ok(out)
}

/// The baseline as a half-open range of input indices.
fn resolve_baseline(
    subgroups: &[Subgroup],
    baseline: Baseline,
) -> Result<(usize, usize), SpcError> {
    let len = subgroups.len();
    match baseline {
        Baseline::Range { start, end } => {
            if start > end || end > len {
                Err(SpcError::BaselineOutOfBounds { start, end, len })
            } else {
                Ok((start, end))
            }
        }
        Baseline::FirstNonEmpty(k) => {
            let Some(last) = k.checked_sub(1) else {
                return Ok((0, 0));
            };
            let end = subgroups
                .iter()
                .enumerate()
                .filter(|(_, s)| s.n > 0)
                .nth(last)
                .map_or(len, |(i, _)| i + 1);
            Ok((0, end))
        }
    }
}

/// a / b as f64 for b > 0.
fn ratio(a: u128, b: u128) -> f64 {
    a as f64 / b as f64
}

/// Binomial σ of a proportion at p̄ with subgroup size n.
fn binomial_sigma(center: f64, n: u64) -> f64 {
    (center * (1.0 - center) / n as f64).sqrt()
}

/// Laney's σ_z: mean moving range of zᵢ = (pᵢ − p̄)/σᵢ over the baseline points, / d₂.
/// `None` with fewer than two points.
fn laney_sigma_z(base: &[&Obs<'_>], center: f64) -> Option<f64> {
    if base.len() < 2 {
        return None;
    }
    let z: Vec<f64> = base
        .iter()
        .map(|o| (o.p - center) / binomial_sigma(center, o.n))
        .collect();
    let mr: f64 = z.windows(2).map(|w| (w[1] - w[0]).abs()).sum();
    Some(mr / (z.len() - 1) as f64 / D2)
}

/// Points, per-point σ and rule detections of a p-chart (`scale` = 1) or Laney chart
/// (`scale` = σ_z).
fn shewhart(obs: &[Obs<'_>], center: f64, scale: f64) -> (Vec<Point>, Vec<f64>, Vec<Detection>) {
    let values: Vec<f64> = obs.iter().map(|o| o.p).collect();
    let sigma: Vec<f64> = obs
        .iter()
        .map(|o| binomial_sigma(center, o.n) * scale)
        .collect();
    let lcl: Vec<f64> = sigma.iter().map(|s| clip(center - 3.0 * s)).collect();
    let ucl: Vec<f64> = sigma.iter().map(|s| clip(center + 3.0 * s)).collect();
    let (detections, flagged) = rules::shewhart_rules(&Shewhart {
        values: &values,
        center,
        lcl: &lcl,
        ucl: &ucl,
        sigma: &sigma,
    });
    let points = obs
        .iter()
        .enumerate()
        .map(|(i, o)| Point {
            day: o.label.to_owned(),
            n: o.n,
            yield_: o.p,
            lcl: lcl[i],
            ucl: ucl[i],
            ewma: None,
            flagged: flagged[i],
        })
        .collect();
    (points, sigma, detections)
}

/// Share of the baseline's mean subgroup size a subgroup needs for the EWMA statistic
/// to start there (see [`analyze`]).
pub const EWMA_START_SHARE: f64 = 0.5;

/// Points, σ̄ of the statistic's limits at each point, and detections of the EWMA chart.
fn ewma(
    obs: &[Obs<'_>],
    center: f64,
    n_bar: f64,
    params: EwmaParams,
) -> (Vec<Point>, Vec<f64>, Vec<Detection>) {
    let EwmaParams { lambda, l } = params;
    let sigma_bar = (center * (1.0 - center) / n_bar).sqrt();
    let mut z = center;
    let mut stat = Vec::with_capacity(obs.len());
    let mut lcl = Vec::with_capacity(obs.len());
    let mut ucl = Vec::with_capacity(obs.len());
    let mut sigma = Vec::with_capacity(obs.len());
    // The statistic starts at the first subgroup of at least EWMA_START_SHARE × n̄.
    let first = obs
        .iter()
        .position(|o| o.n as f64 >= EWMA_START_SHARE * n_bar)
        .unwrap_or(obs.len());
    for (k, o) in obs.iter().enumerate() {
        if k >= first {
            z = lambda * o.p + (1.0 - lambda) * z;
        }
        // i counts the subgroups from the start, from 1 (before it: held at the centre
        // with the first point's limits).
        let i = (k.saturating_sub(first)) as f64 + 1.0;
        let decay = (1.0 - lambda).powf(2.0 * i);
        let half = l * sigma_bar * (lambda / (2.0 - lambda) * (1.0 - decay)).sqrt();
        sigma.push(half / l);
        stat.push(z);
        lcl.push(clip(center - half));
        ucl.push(clip(center + half));
    }
    let (detections, flagged) = rules::ewma_rule(&stat, center, &lcl, &ucl);
    let points = obs
        .iter()
        .enumerate()
        .map(|(i, o)| Point {
            day: o.label.to_owned(),
            n: o.n,
            yield_: o.p,
            lcl: lcl[i],
            ucl: ucl[i],
            ewma: Some(stat[i]),
            flagged: flagged[i],
        })
        .collect();
    (points, sigma, detections)
}

/// Clamps a limit to [0, 1].
fn clip(x: f64) -> f64 {
    x.clamp(0.0, 1.0)
}

/// Pooled yield Σpassed / Σn of the points.
fn pooled(obs: &[Obs<'_>]) -> Option<f64> {
    let passed: u128 = obs.iter().map(|o| u128::from(o.passed)).sum();
    let n: u128 = obs.iter().map(|o| u128::from(o.n)).sum();
    (n > 0).then(|| ratio(passed, n))
}

/// Short name of a rule on a chart kind.
pub(crate) fn rule_name(kind: ChartKind, rule: u8) -> &'static str {
    match (kind, rule) {
        (ChartKind::Ewma, _) => "EWMA beyond limits",
        (_, 1) => "beyond limits",
        (_, 2) => "nine on one side",
        (_, 3) => "six trending",
        (_, 5) => "two of three beyond 2σ",
        _ => "unknown rule",
    }
}

/// Turns a detection into a signal with its message.
fn signal(
    d: &Detection,
    kind: ChartKind,
    obs: &[Obs<'_>],
    points: &[Point],
    sigma: &[f64],
    center: f64,
    window: usize,
) -> Signal {
    let o = &obs[d.idx];
    let pt = &points[d.idx];
    let name = rule_name(kind, d.rule);
    let head = format!("rule {} ({name}) on {}", d.rule, o.label);
    let low = d.side == Side::Low;
    let below_above = if low { "below" } else { "above" };

    let Some((start, end)) = d.run else {
        let message = match d.rule {
            1 => {
                let (limit_name, limit) = if low {
                    ("LCL", pt.lcl)
                } else {
                    ("UCL", pt.ucl)
                };
                format!(
                    "{head}: yield {:.3} {below_above} {limit_name} {limit:.3} (centre {center:.3})",
                    o.p
                )
            }
            _ => {
                let two = 2.0 * sigma.get(d.idx).copied().unwrap_or(0.0);
                let zone = if low { center - two } else { center + two };
                let sign = if low { '−' } else { '+' };
                format!(
                    "{head}: yield {:.3} {below_above} centre {sign} 2σ = {zone:.3} (centre {center:.3}), with another of the last three points",
                    o.p
                )
            }
        };
        return Signal {
            day: o.label.to_owned(),
            rule: d.rule,
            rule_name: name.to_owned(),
            message,
            run_start: None,
            before: None,
            after: None,
        };
    };

    // Before: pooled over up to `window` (the baseline's point count) points preceding
    // the run; the centre when nothing precedes it. After: pooled over the run.
    let before = pooled(&obs[start.saturating_sub(window)..start]).unwrap_or(center);
    let after = pooled(&obs[start..=end]).unwrap_or(o.p);
    let days = end + 1 - start;
    let since = obs[start].label;
    let tail =
        format!("for {days} working days since {since} (before {before:.3}, since {after:.3})");
    let message = match (kind, d.rule) {
        (ChartKind::Ewma, _) => {
            let (limit_name, limit) = if low {
                ("LCL", pt.lcl)
            } else {
                ("UCL", pt.ucl)
            };
            let stat = pt.ewma.unwrap_or(o.p);
            format!(
                "{head}: EWMA {stat:.3} {below_above} {limit_name} {limit:.3} (centre {center:.3}), yield {below_above} centre {tail}"
            )
        }
        // A trend is told by its own end points (its pooled yield can sit on either
        // side of the points before it).
        (_, 3) => format!(
            "{head}: yield {:.3} {} for {days} working days since {since} (from {:.3} to {:.3}); centre {center:.3}",
            o.p,
            if low { "falling" } else { "rising" },
            obs[start].p,
            obs[end].p
        ),
        _ => format!(
            "{head}: yield {:.3} {below_above} centre {center:.3} {tail}",
            o.p
        ),
    };
    Signal {
        day: o.label.to_owned(),
        rule: d.rule,
        rule_name: name.to_owned(),
        message,
        run_start: Some(since.to_owned()),
        before: Some(before),
        after: Some(after),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn groups(ns: &[(u64, u64)]) -> Vec<Subgroup> {
        ns.iter()
            .enumerate()
            .map(|(i, &(p, n))| Subgroup::new(format!("d{i:02}"), p, n))
            .collect()
    }

    /// The EWMA chart of a first subgroup `first`, then 40 days of 30 of 100.
    fn ewma_after(first: (u64, u64)) -> ControlChart {
        let mut ns = vec![first];
        ns.extend(std::iter::repeat_n((30, 100), 40));
        analyze(
            &groups(&ns),
            Baseline::default(),
            ChartChoice::Forced(ChartKind::Ewma),
            EwmaParams::default(),
        )
        .expect("chart")
    }

    /// A first day with one failed disposition, then a steady 30 %: no EWMA alarm (the
    /// statistic starts at the first subgroup of at least half the mean size).
    #[test]
    fn ewma_ignores_a_tiny_first_subgroup() {
        let c = ewma_after((0, 1));
        assert!(c.signals.is_empty(), "{:#?}", c.signals);
        assert_eq!(c.points[0].ewma, Some(c.center));
        // A real first-day drop of the usual size still signals.
        let c = ewma_after((5, 100));
        assert_eq!(c.signals.first().map(|s| s.day.as_str()), Some("d00"));
    }

    /// A rising trend after a high stretch: the message quotes the trend's own end
    /// points, which agree with "rising" (its pooled yield is below the points before).
    #[test]
    fn a_trend_is_told_by_its_end_points() {
        let mut ns: Vec<(u64, u64)> = std::iter::repeat_n((66, 100), 20).collect();
        ns.extend([
            (60, 100),
            (61, 100),
            (62, 100),
            (63, 100),
            (64, 100),
            (65, 100),
        ]);
        let c = analyze(
            &groups(&ns),
            Baseline::range(0..20),
            ChartChoice::Forced(ChartKind::P),
            EwmaParams::default(),
        )
        .expect("chart");
        let s = c.signals.iter().find(|s| s.rule == 3).expect("rule 3");
        assert!(
            s.before > s.after,
            "the run pools below the points before it"
        );
        assert!(
            s.message.contains("rising") && s.message.contains("(from 0.600 to 0.650)"),
            "{}",
            s.message
        );
    }
}

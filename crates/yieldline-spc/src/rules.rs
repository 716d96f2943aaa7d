//! Nelson run rules 1, 2, 3 and 5 over the plotted points, and the EWMA excursion rule.
//!
//! All rules work on the sequence of *points* (subgroups with `n > 0`): empty days are
//! not points, so a run on either side of an empty day is one run.
//!
//! Conventions (same as Minitab's tests):
//! - "beyond" is strict: a value exactly on a limit (or exactly on p̄ ± 2σ) is not beyond;
//! - a point exactly on the centre line breaks a rule-2 run;
//! - two equal consecutive values break a rule-3 run;
//! - rule 5 fires on a point that is itself beyond 2σ and has at least one more of the
//!   two points before it beyond 2σ on the same side;
//! - every point completing a pattern is flagged (for rule 2 the 9th, 10th, … points of a
//!   run), but a sustained pattern (rules 2, 3, EWMA) yields one detection per maximal run.

/// Side of the centre (rules 1, 2, 5, EWMA) or direction (rule 3: `Low` = falling).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    /// Below the centre / below the LCL / falling.
    Low,
    /// Above the centre / above the UCL / rising.
    High,
}

/// One rule firing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Detection {
    /// Point at which the rule fired.
    pub idx: usize,
    /// Nelson rule number.
    pub rule: u8,
    /// Side or direction.
    pub side: Side,
    /// For sustained patterns: first and last point of the maximal run, inclusive.
    pub run: Option<(usize, usize)>,
}

/// Points in a row on one side that make rule 2.
pub(crate) const RULE2_LEN: usize = 9;
/// Points in a row steadily rising or falling that make rule 3.
pub(crate) const RULE3_LEN: usize = 6;

/// Per-point data of a Shewhart-type (p or Laney) chart.
pub(crate) struct Shewhart<'a> {
    /// Plotted values.
    pub values: &'a [f64],
    /// Centre line.
    pub center: f64,
    /// Lower limits (clipped).
    pub lcl: &'a [f64],
    /// Upper limits (clipped).
    pub ucl: &'a [f64],
    /// One σ at each point (σᵢ, or σᵢ·σ_z for Laney).
    pub sigma: &'a [f64],
}

/// Rules 1, 2, 3 and 5 on a p or Laney chart; detections sorted by point then rule.
pub(crate) fn shewhart_rules(c: &Shewhart<'_>) -> (Vec<Detection>, Vec<bool>) {
    let len = c.values.len();
    let mut flagged = vec![false; len];
    let mut out = Vec::new();

    // Rule 1: one point beyond the limits.
    for (i, &v) in c.values.iter().enumerate() {
        let side = if v < c.lcl[i] {
            Some(Side::Low)
        } else if v > c.ucl[i] {
            Some(Side::High)
        } else {
            None
        };
        if let Some(side) = side {
            flagged[i] = true;
            out.push(Detection {
                idx: i,
                rule: 1,
                side,
                run: None,
            });
        }
    }

    // Rule 2: nine in a row on the same side of the centre.
    let sides: Vec<Option<Side>> = c.values.iter().map(|&v| side_of(v, c.center)).collect();
    for (start, end, side) in runs(&sides) {
        if end + 1 - start >= RULE2_LEN {
            let fired = start + RULE2_LEN - 1;
            flagged[fired..=end].iter_mut().for_each(|f| *f = true);
            out.push(Detection {
                idx: fired,
                rule: 2,
                side,
                run: Some((start, end)),
            });
        }
    }

    // Rule 3: six in a row steadily rising or falling (five steps the same way).
    // steps[i] is the direction from point i to point i + 1.
    let steps: Vec<Option<Side>> = c.values.windows(2).map(|w| side_of(w[1], w[0])).collect();
    for (start, end, side) in runs(&steps) {
        // Steps start..=end join points start..=end + 1.
        let (first, last) = (start, end + 1);
        if last + 1 - first >= RULE3_LEN {
            let fired = first + RULE3_LEN - 1;
            flagged[fired..=last].iter_mut().for_each(|f| *f = true);
            out.push(Detection {
                idx: fired,
                rule: 3,
                side,
                run: Some((first, last)),
            });
        }
    }

    // Rule 5: two of three consecutive points beyond 2σ on the same side.
    let zone: Vec<Option<Side>> = c
        .values
        .iter()
        .zip(c.sigma)
        .map(|(&v, &s)| {
            if v > c.center + 2.0 * s {
                Some(Side::High)
            } else if v < c.center - 2.0 * s {
                Some(Side::Low)
            } else {
                None
            }
        })
        .collect();
    for i in 0..len {
        let Some(side) = zone[i] else { continue };
        let from = i.saturating_sub(2);
        let count = zone[from..=i].iter().filter(|z| **z == Some(side)).count();
        if count >= 2 {
            flagged[i] = true;
            out.push(Detection {
                idx: i,
                rule: 5,
                side,
                run: None,
            });
        }
    }

    out.sort_by_key(|d| (d.idx, d.rule));
    (out, flagged)
}

/// Rule 1 on an EWMA chart: the EWMA statistic beyond its limits.
///
/// One detection per excursion (maximal stretch of consecutive points beyond the same
/// limit), at its first point. The run reported starts where the EWMA last crossed to the
/// signal's side of the centre and ends at the excursion's last point.
pub(crate) fn ewma_rule(
    ewma: &[f64],
    center: f64,
    lcl: &[f64],
    ucl: &[f64],
) -> (Vec<Detection>, Vec<bool>) {
    let beyond: Vec<Option<Side>> = ewma
        .iter()
        .enumerate()
        .map(|(i, &z)| {
            if z < lcl[i] {
                Some(Side::Low)
            } else if z > ucl[i] {
                Some(Side::High)
            } else {
                None
            }
        })
        .collect();
    let flagged = beyond.iter().map(Option::is_some).collect();
    let mut out = Vec::new();
    for (start, end, side) in runs(&beyond) {
        let mut run_start = start;
        while run_start > 0 && side_of(ewma[run_start - 1], center) == Some(side) {
            run_start -= 1;
        }
        out.push(Detection {
            idx: start,
            rule: 1,
            side,
            run: Some((run_start, end)),
        });
    }
    (out, flagged)
}

/// Which side of `reference` the value `v` is on; `None` when equal.
fn side_of(v: f64, reference: f64) -> Option<Side> {
    if v > reference {
        Some(Side::High)
    } else if v < reference {
        Some(Side::Low)
    } else {
        None
    }
}

/// Maximal runs of equal `Some(side)` entries: `(first, last, side)`, inclusive.
fn runs(xs: &[Option<Side>]) -> Vec<(usize, usize, Side)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, Side)> = None;
    for (i, x) in xs.iter().enumerate() {
        match (current, *x) {
            (Some((_, s)), Some(t)) if s == t => {}
            (Some((start, s)), next) => {
                out.push((start, i - 1, s));
                current = next.map(|t| (i, t));
            }
            (None, next) => current = next.map(|t| (i, t)),
        }
    }
    if let Some((start, s)) = current {
        out.push((start, xs.len() - 1, s));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_split_on_change_and_gap() {
        use Side::*;
        let xs = [Some(Low), Some(Low), None, Some(High), Some(Low)];
        assert_eq!(runs(&xs), vec![(0, 1, Low), (3, 3, High), (4, 4, Low)]);
        assert!(runs(&[]).is_empty());
    }
}

//! Statistical process control of a station's daily yield (DESIGN §5).
//!
//! Input: [`Subgroup`]s (one per day, `passed` of `n` dispositions) in time order.
//! [`analyze`] computes a [`ControlChart`]:
//!
//! - **p-chart**: centre p̄ = Σpassed / Σn over the [`Baseline`], limits
//!   p̄ ± 3·σᵢ with σᵢ = sqrt(p̄(1−p̄)/nᵢ), clipped to [0, 1].
//! - **Laney p′-chart** (Laney 2002, *Quality Engineering* 14(4)): zᵢ = (pᵢ − p̄)/σᵢ,
//!   σ_z = mean moving range of z over the baseline / 1.128, limits p̄ ± 3·σᵢ·σ_z
//!   (clipped). [`ChartChoice::Auto`] picks it when σ_z > 1.2 ([`LANEY_THRESHOLD`]); σ_z
//!   is reported whenever the baseline has two or more points, whatever the chart.
//! - **EWMA chart**: zᵢ = λpᵢ + (1−λ)zᵢ₋₁, z₀ = p̄, limits
//!   p̄ ± L·σ̄·sqrt(λ/(2−λ)·(1−(1−λ)^{2i})), σ̄ = sqrt(p̄(1−p̄)/n̄), n̄ the mean subgroup size
//!   of the non-empty baseline subgroups; i counts the non-empty subgroups from 1.
//!
//! Subgroups with `n = 0` are skipped: no point, not a zero yield. Points are consecutive
//! across empty days, so nine points on one side interrupted by empty days are still a
//! rule-2 run.
//!
//! # Run rules (Nelson numbering)
//! On p and Laney charts:
//! 1. *beyond limits*: a point strictly outside its (clipped) limits — exactly on a limit
//!    is not a signal;
//! 2. *nine on one side*: nine points in a row strictly on the same side of the centre (a
//!    point exactly on it breaks the run);
//! 3. *six trending*: six points in a row strictly rising or strictly falling (a tie breaks
//!    the run);
//! 5. *two of three beyond 2σ*: a point strictly beyond p̄ ± 2σᵢ (2σᵢ·σ_z on Laney) with at
//!    least one of the two points before it beyond on the same side.
//!
//! On EWMA charts only rule 1 applies, to the EWMA statistic against its limits
//! (rule name *EWMA beyond limits*): the statistic is autocorrelated by construction, so
//! run rules 2, 3 and 5 would fire on ordinary noise.
//!
//! Every point that completes a pattern is `flagged`. Point rules (1 on p/Laney, 5) give
//! one [`Signal`] per point; sustained patterns (rules 2, 3 and the EWMA rule) give one
//! signal per maximal run, at the point where the rule first fired, with
//! - `run_start`: the first point of the run (for EWMA: the first point after the
//!   statistic last crossed the centre towards the signal's side);
//! - `before`: pooled yield Σpassed/Σn of the points immediately preceding the run, at
//!   most as many as the baseline has points (the centre when no point precedes it);
//! - `after`: pooled yield from the run's start to its last point (the last point on the
//!   same side, of the monotone stretch, or of the excursion beyond the EWMA limit).
//!
//! [`render_svg`] draws a chart as SVG for a person to read.

mod chart;
mod model;
mod rules;
mod svg;

pub use chart::{D2, analyze};
pub use model::{
    Baseline, ChartChoice, ChartKind, ControlChart, EwmaParams, LANEY_THRESHOLD, Point, Signal,
    SpcError, Subgroup,
};
pub use svg::{font as svg_font, render_svg, render_svg_of, svg_document};

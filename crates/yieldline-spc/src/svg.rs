//! SVG rendering of a [`ControlChart`] with the `plotters` crate's SVG backend.
//!
//! No font feature is enabled: plotters' SVG backend writes each label as a `<text>`
//! element and the viewer lays it out, so only plotters' built-in width estimate is used
//! (for margins). The output is deterministic.

use std::collections::BTreeMap;
use std::error::Error;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::model::{ChartKind, ControlChart};

const WIDTH: u32 = 960;
const HEIGHT: u32 = 460;
/// Pixels left of, right of, above and below the plotting area (labels included).
const LEFT: i32 = 72;
const RIGHT: i32 = 120;
const TOP: i32 = 72;
const BOTTOM: i32 = 56;
/// Minimum horizontal spacing of date ticks, in pixels.
const MIN_TICK_GAP: f64 = 80.0;

const COLOR_DATA: RGBColor = RGBColor(0x1f, 0x5f, 0xa8);
const COLOR_RAW: RGBColor = RGBColor(0x9a, 0xa3, 0xad);
const COLOR_CENTER: RGBColor = RGBColor(0x2e, 0x7d, 0x32);
const COLOR_LIMIT: RGBColor = RGBColor(0xc6, 0x28, 0x28);
const COLOR_FLAG: RGBColor = RGBColor(0xd3, 0x2f, 0x2f);
const COLOR_GRID: RGBColor = RGBColor(0xe3, 0xe6, 0xea);
const COLOR_FRAME: RGBColor = RGBColor(0x88, 0x88, 0x88);
const COLOR_TEXT: RGBColor = RGBColor(0x22, 0x22, 0x22);
const COLOR_SUBTLE: RGBColor = RGBColor(0x55, 0x55, 0x55);

/// Radius of an ordinary and of a flagged point marker.
const R_POINT: i32 = 3;
const R_FLAG: i32 = 5;

/// Renders the chart as a standalone SVG document.
///
/// Yield points (the EWMA statistic on EWMA charts, with the daily yields as grey
/// squares behind it) joined by a line, the centre line, LCL/UCL as dashed step lines,
/// flagged points in red with the numbers of the rules that fired there, a light band
/// from the start of each sustained shift to where its rule fired, a title with the
/// station and chart kind, axis labels and date ticks.
pub fn render_svg(station: &str, chart: &ControlChart) -> String {
    render_svg_of(station, chart, "daily")
}

/// [`render_svg`] for subgroups of another grain: `grain` ("daily", "weekly") names
/// them in the title and the legend.
pub fn render_svg_of(station: &str, chart: &ControlChart, grain: &str) -> String {
    let title = format!("{station} — {} of {grain} yield", kind_label(chart));
    svg_document(
        (WIDTH, HEIGHT),
        16384 + 600 * chart.points.len(),
        &title,
        |root| draw(root, &title, chart, grain),
    )
}

/// An SVG document of `size` pixels drawn by `draw` with plotters' SVG backend (also
/// used by `yieldline-sim`). Should drawing fail — not expected, as the backend writes to
/// a `String` and the built-in font estimate cannot fail — it is still a valid document
/// that says what happened, after `title`.
pub fn svg_document(
    size: (u32, u32),
    capacity: usize,
    title: &str,
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), Box<dyn Error>>,
) -> String {
    let mut out = String::with_capacity(capacity);
    let drawn = {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        draw(&root).and_then(|()| root.present().map_err(Into::into))
    };
    match drawn {
        Ok(()) => out,
        Err(e) => format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\">\
             <text x=\"20\" y=\"30\">{} (chart could not be drawn: {})</text></svg>\n",
            size.0,
            size.1,
            esc(title),
            esc(&e.to_string())
        ),
    }
}

/// The chart kind as shown in the title.
fn kind_label(chart: &ControlChart) -> String {
    match chart.chart {
        ChartKind::P => "p-chart".to_owned(),
        ChartKind::Laney => match chart.sigma_z {
            Some(s) => format!("Laney p′-chart (σz = {s:.2})"),
            None => "Laney p′-chart".to_owned(),
        },
        ChartKind::Ewma => "EWMA chart".to_owned(),
    }
}

/// A sans-serif font of `px` CSS pixels (plotters' SVG backend divides sizes by 1.24).
pub fn font(px: f64) -> FontDesc<'static> {
    FontDesc::new(FontFamily::SansSerif, px * 1.24, FontStyle::Normal)
}

/// Text of `px` pixels in `color`, anchored at `h`/`v`.
fn text_style(px: f64, color: RGBColor, h: HPos, v: VPos) -> TextStyle<'static> {
    font(px).color(&color).pos(Pos::new(h, v))
}

fn draw(
    root: &DrawingArea<SVGBackend<'_>, Shift>,
    title: &str,
    chart: &ControlChart,
    grain: &str,
) -> Result<(), Box<dyn Error>> {
    root.fill(&WHITE)?;
    let n = chart.points.len();
    let is_ewma = chart.chart == ChartKind::Ewma;
    let plotted: Vec<f64> = chart
        .points
        .iter()
        .map(|p| {
            if is_ewma {
                p.ewma.unwrap_or(p.yield_)
            } else {
                p.yield_
            }
        })
        .collect();
    let mut rules_at: BTreeMap<&str, Vec<u8>> = BTreeMap::new();
    for s in &chart.signals {
        let rules = rules_at.entry(s.day.as_str()).or_default();
        if !rules.contains(&s.rule) {
            rules.push(s.rule);
        }
    }

    // Title and subtitle.
    root.draw(&Text::new(
        title.to_owned(),
        (LEFT, 14),
        font(18.0)
            .style(FontStyle::Bold)
            .color(&COLOR_TEXT)
            .pos(Pos::new(HPos::Left, VPos::Top)),
    ))?;
    root.draw(&Text::new(
        format!(
            "centre {:.4} · {} points · {} signals",
            chart.center,
            n,
            chart.signals.len()
        ),
        (LEFT, 40),
        text_style(12.0, COLOR_SUBTLE, HPos::Left, VPos::Top),
    ))?;

    // Day i sits at x = i; the axis spans half a slot either side.
    let x_max = n.max(1) as f64 - 0.5;
    let plot_w = f64::from(WIDTH) - f64::from(LEFT + RIGHT);
    let max_ticks = ((plot_w / MIN_TICK_GAP).floor() as usize).max(1);
    let every = n.div_ceil(max_ticks).max(1);
    let slot = plot_w / n.max(1) as f64;
    let ticks: Vec<f64> = (0..n)
        // Every `every`-th day, and the last day unless it would crowd the previous label.
        .filter(|&i| {
            i % every == 0 || (i + 1 == n && (i % every) as f64 * slot >= 0.9 * MIN_TICK_GAP)
        })
        .map(|i| i as f64)
        .collect();
    let (lo, hi) = y_range(chart);
    let step = nice_step((hi - lo) / 6.0);
    let decimals = decimals_for(step);
    let y_ticks: Vec<f64> = {
        let first = (lo / step).ceil() as i64;
        let last = ((hi + step * 1e-9) / step).floor() as i64;
        (first..=last).map(|k| k as f64 * step).collect()
    };

    let mut cc = ChartBuilder::on(root)
        .margin_top(TOP as u32)
        .margin_right(RIGHT as u32)
        .margin_bottom(8)
        .margin_left(4)
        .x_label_area_size((BOTTOM - 8) as u32)
        .y_label_area_size((LEFT - 4) as u32)
        .build_cartesian_2d(
            Ticked::new(-0.5..x_max, ticks),
            Ticked::new(lo..hi, y_ticks),
        )?;

    let days: Vec<&str> = chart.points.iter().map(|p| p.day.as_str()).collect();
    let day_label = |x: &f64| {
        let i = x.round();
        if i >= 0.0 && (i as usize) < days.len() {
            days[i as usize].to_owned()
        } else {
            String::new()
        }
    };
    cc.configure_mesh()
        .disable_x_mesh()
        .bold_line_style(COLOR_GRID)
        .light_line_style(TRANSPARENT)
        .axis_style(COLOR_FRAME)
        .x_label_formatter(&day_label)
        .y_label_formatter(&|v: &f64| format!("{v:.decimals$}"))
        .x_label_style(font(11.0).color(&COLOR_TEXT))
        .y_label_style(font(12.0).color(&COLOR_TEXT))
        .x_desc("day")
        .y_desc(if is_ewma { "yield (EWMA)" } else { "yield" })
        .axis_desc_style(font(13.0).color(&COLOR_TEXT))
        .draw()?;
    // Frame around the plotting area.
    cc.draw_series(std::iter::once(Rectangle::new(
        [(-0.5, lo), (x_max, hi)],
        COLOR_FRAME.stroke_width(1),
    )))?;

    // Light bands over sustained shifts, from the run's start to where the rule fired.
    let bands = chart.signals.iter().filter_map(|sig| {
        let start = sig.run_start.as_deref()?;
        let a = chart.points.iter().position(|p| p.day == start)?;
        let b = a + chart.points[a..].iter().position(|p| p.day == sig.day)?;
        Some(Rectangle::new(
            [(a as f64 - 0.5, lo), (b as f64 + 0.5, hi)],
            COLOR_FLAG.mix(0.07).filled(),
        ))
    });
    cc.draw_series(bands)?;

    // Centre line and step limits.
    cc.draw_series(LineSeries::new(
        [(-0.5, chart.center), (x_max, chart.center)],
        COLOR_CENTER.stroke_width(2),
    ))?;
    for limit in [
        chart.points.iter().map(|p| p.ucl).collect::<Vec<_>>(),
        chart.points.iter().map(|p| p.lcl).collect::<Vec<_>>(),
    ] {
        let steps: Vec<(f64, f64)> = limit
            .iter()
            .enumerate()
            .flat_map(|(i, &v)| [(i as f64 - 0.5, v), (i as f64 + 0.5, v)])
            .collect();
        cc.draw_series(DashedLineSeries::new(
            steps,
            6,
            3,
            COLOR_LIMIT.stroke_width(1),
        ))?;
    }

    // Raw yields behind the EWMA statistic: a thin grey line and grey squares.
    if is_ewma {
        cc.draw_series(LineSeries::new(
            chart
                .points
                .iter()
                .enumerate()
                .map(|(i, p)| (i as f64, p.yield_)),
            COLOR_RAW.stroke_width(1),
        ))?;
        cc.draw_series(chart.points.iter().enumerate().map(|(i, p)| {
            EmptyElement::at((i as f64, p.yield_))
                + Rectangle::new([(-2, -2), (3, 3)], COLOR_RAW.filled())
        }))?;
    }

    // The charted statistic: a line, one marker per point, red and larger when flagged.
    cc.draw_series(LineSeries::new(
        plotted.iter().enumerate().map(|(i, &v)| (i as f64, v)),
        COLOR_DATA.stroke_width(2),
    ))?;
    cc.draw_series(
        chart
            .points
            .iter()
            .zip(&plotted)
            .enumerate()
            .map(|(i, (p, &v))| {
                let (color, r) = if p.flagged {
                    (COLOR_FLAG, R_FLAG)
                } else {
                    (COLOR_DATA, R_POINT)
                };
                Circle::new((i as f64, v), r, color.filled())
            }),
    )?;
    // Rule numbers next to flagged points: above when above the centre, else below.
    cc.draw_series(
        chart
            .points
            .iter()
            .zip(&plotted)
            .enumerate()
            .filter_map(|(i, (p, &v))| {
                let rules = rules_at.get(p.day.as_str()).filter(|_| p.flagged)?;
                let text = rules
                    .iter()
                    .map(u8::to_string)
                    .collect::<Vec<_>>()
                    .join(",");
                let (dy, vpos) = if v >= chart.center {
                    (-8, VPos::Bottom)
                } else {
                    (8, VPos::Top)
                };
                let style = font(11.0)
                    .style(FontStyle::Bold)
                    .color(&COLOR_FLAG)
                    .pos(Pos::new(HPos::Center, vpos));
                Some(EmptyElement::at((i as f64, v)) + Text::new(text, (0, dy), style))
            }),
    )?;

    // Right-hand limit labels at the last day's limits, nudged apart when close.
    if let Some(last) = chart.points.last() {
        let y_px = |v: f64| cc.backend_coord(&(x_max, v)).1;
        let x = cc.backend_coord(&(x_max, chart.center)).0 + 6;
        let cy = y_px(chart.center);
        let mut labels = [
            (y_px(last.ucl), format!("UCL {:.4}", last.ucl), COLOR_LIMIT),
            (cy, format!("CL {:.4}", chart.center), COLOR_CENTER),
            (y_px(last.lcl), format!("LCL {:.4}", last.lcl), COLOR_LIMIT),
        ];
        labels[0].0 = labels[0].0.min(cy - 14);
        labels[2].0 = labels[2].0.max(cy + 14);
        for (y, text, color) in labels {
            root.draw(&Text::new(
                text,
                (x, y),
                text_style(12.0, color, HPos::Left, VPos::Center),
            ))?;
        }
    }

    // Legend, top right above the plotting area.
    let lx = LEFT + plot_w as i32 - 470;
    let ly = 52;
    let label = |dx: i32, text: &str, color: RGBColor| {
        Text::new(
            text.to_owned(),
            (lx + dx, ly),
            text_style(11.0, color, HPos::Left, VPos::Center),
        )
    };
    root.draw(&Rectangle::new(
        [(lx - 4, ly - 4), (lx + 4, ly + 4)],
        COLOR_DATA.filled(),
    ))?;
    root.draw(&label(
        9,
        if is_ewma { "EWMA" } else { "yield" },
        COLOR_TEXT,
    ))?;
    root.draw(&PathElement::new(
        [(lx + 70, ly), (lx + 94, ly)],
        COLOR_CENTER.stroke_width(2),
    ))?;
    root.draw(&label(100, "centre", COLOR_TEXT))?;
    for (a, b) in [(160, 166), (169, 175), (178, 184)] {
        root.draw(&PathElement::new(
            [(lx + a, ly), (lx + b, ly)],
            COLOR_LIMIT.stroke_width(1),
        ))?;
    }
    root.draw(&label(190, "limits", COLOR_TEXT))?;
    root.draw(&label(250, "red: flagged (rule no.)", COLOR_FLAG))?;
    if is_ewma {
        root.draw(&Rectangle::new(
            [(lx + 390, ly - 2), (lx + 395, ly + 3)],
            COLOR_RAW.filled(),
        ))?;
        root.draw(&label(399, &format!("{grain} yield"), COLOR_TEXT))?;
    }
    Ok(())
}

/// A linear f64 axis with exactly the given tick positions (day indices, round yields).
struct Ticked {
    inner: RangedCoordf64,
    ticks: Vec<f64>,
}

impl Ticked {
    fn new(range: std::ops::Range<f64>, ticks: Vec<f64>) -> Self {
        Self {
            inner: range.into(),
            ticks,
        }
    }
}

impl Ranged for Ticked {
    // Labels come from the mesh's formatters; this only satisfies `configure_mesh`.
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.inner.range()
    }
}

/// The visible y range: all plotted values and limits, padded, within [0, 1].
fn y_range(chart: &ControlChart) -> (f64, f64) {
    let values = chart
        .points
        .iter()
        .flat_map(|p| [p.yield_, p.lcl, p.ucl, p.ewma.unwrap_or(p.yield_)])
        .chain([chart.center])
        .filter(|v| v.is_finite());
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if !(lo.is_finite() && hi.is_finite()) {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.08).max(0.01);
    let (lo, hi) = ((lo - pad).max(0.0), (hi + pad).min(1.0));
    if hi - lo < 1e-9 { (0.0, 1.0) } else { (lo, hi) }
}

/// A 1, 2 or 5 times a power of ten at least `raw`.
fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 0.1;
    }
    let pow = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * pow)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * pow)
}

/// Decimals needed to print multiples of `step`.
fn decimals_for(step: f64) -> usize {
    let d = -step.log10().floor();
    if d.is_finite() && d > 0.0 {
        d as usize
    } else {
        0
    }
}

/// Escapes text for XML content and attributes.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(esc("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
        assert!((nice_step(0.03) - 0.05).abs() < 1e-12);
        assert!((nice_step(0.011) - 0.02).abs() < 1e-12);
        assert_eq!(decimals_for(0.05), 2);
        assert_eq!(decimals_for(0.001), 3);
    }
}

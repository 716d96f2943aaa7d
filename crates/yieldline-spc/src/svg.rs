//! A small hand-written SVG renderer for [`ControlChart`].
//!
//! Written by hand rather than with a plotting crate: the chart is a handful of lines,
//! circles and labels on a categorical (day) axis, the function is infallible (a plotting
//! backend's `Result`s would need an unreachable fallback), text needs no font metrics
//! (the viewer lays it out), and the output is deterministic.

use std::collections::BTreeMap;

use crate::model::{ChartKind, ControlChart};

const WIDTH: f64 = 960.0;
const HEIGHT: f64 = 460.0;
const LEFT: f64 = 72.0;
const RIGHT: f64 = 120.0;
const TOP: f64 = 72.0;
const BOTTOM: f64 = 92.0;
/// At most this many date ticks on the x axis.
const MAX_X_TICKS: usize = 14;

const COLOR_DATA: &str = "#1f5fa8";
const COLOR_RAW: &str = "#9aa3ad";
const COLOR_CENTER: &str = "#2e7d32";
const COLOR_LIMIT: &str = "#c62828";
const COLOR_FLAG: &str = "#d32f2f";
const COLOR_GRID: &str = "#e3e6ea";
const COLOR_TEXT: &str = "#222";

/// Renders the chart as a standalone SVG document.
///
/// Yield points (the EWMA statistic on EWMA charts, with the daily yields as grey
/// squares behind it) joined by a line, the centre line, LCL/UCL as step lines, flagged
/// points in red with the numbers of the rules that fired there, a light band from the
/// start of each sustained shift to where its rule fired, a title with the station and
/// chart kind, axis labels and date ticks. Each point and band carries a `<title>` tooltip.
pub fn render_svg(station: &str, chart: &ControlChart) -> String {
    let n = chart.points.len();
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let slot = plot_w / n.max(1) as f64;
    let x_at = |i: usize| LEFT + (i as f64 + 0.5) * slot;

    let (lo, hi) = y_range(chart);
    let y_at = |v: f64| TOP + (hi - v) / (hi - lo) * plot_h;

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

    let mut out = String::with_capacity(8192 + 400 * n);
    out.push_str(&format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" \
         viewBox=\"0 0 {WIDTH} {HEIGHT}\" font-family=\"DejaVu Sans, Arial, sans-serif\" \
         font-size=\"12\" fill=\"{COLOR_TEXT}\">\n"
    ));
    out.push_str(&format!(
        "<rect x=\"0\" y=\"0\" width=\"{WIDTH}\" height=\"{HEIGHT}\" fill=\"white\"/>\n"
    ));

    // Title and subtitle.
    let kind = match chart.chart {
        ChartKind::P => "p-chart".to_owned(),
        ChartKind::Laney => match chart.sigma_z {
            Some(s) => format!("Laney p′-chart (σz = {s:.2})"),
            None => "Laney p′-chart".to_owned(),
        },
        ChartKind::Ewma => "EWMA chart".to_owned(),
    };
    out.push_str(&format!(
        "<text x=\"{LEFT}\" y=\"28\" font-size=\"18\" font-weight=\"bold\">{} — {} of daily yield</text>\n",
        esc(station),
        esc(&kind)
    ));
    out.push_str(&format!(
        "<text x=\"{LEFT}\" y=\"48\" font-size=\"12\" fill=\"#555\">centre {:.4} · {} points · {} signals</text>\n",
        chart.center,
        n,
        chart.signals.len()
    ));

    // Grid and y ticks.
    let step = nice_step((hi - lo) / 6.0);
    let decimals = decimals_for(step);
    let mut t = (lo / step).ceil() * step;
    while t <= hi + step * 1e-9 {
        let y = y_at(t);
        out.push_str(&format!(
            "<line x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"{COLOR_GRID}\"/>\n",
            LEFT + plot_w
        ));
        out.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{t:.decimals$}</text>\n",
            LEFT - 6.0,
            y + 4.0
        ));
        t += step;
    }

    // Frame and axis labels.
    out.push_str(&format!(
        "<rect x=\"{LEFT}\" y=\"{TOP}\" width=\"{plot_w:.1}\" height=\"{plot_h:.1}\" fill=\"none\" stroke=\"#888\"/>\n"
    ));
    out.push_str(&format!(
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"13\">day</text>\n",
        LEFT + plot_w / 2.0,
        HEIGHT - 12.0
    ));
    let y_label = if is_ewma { "yield (EWMA)" } else { "yield" };
    out.push_str(&format!(
        "<text x=\"18\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"13\" transform=\"rotate(-90 18 {:.1})\">{y_label}</text>\n",
        TOP + plot_h / 2.0,
        TOP + plot_h / 2.0
    ));

    // Date ticks.
    let every = n.div_ceil(MAX_X_TICKS).max(1);
    for (i, p) in chart.points.iter().enumerate() {
        if i % every != 0 && i + 1 != n {
            continue;
        }
        if i + 1 == n && i % every != 0 && every > 1 && (i % every) * 2 < every {
            continue; // too close to the previous tick
        }
        let x = x_at(i);
        let y = TOP + plot_h;
        out.push_str(&format!(
            "<line x1=\"{x:.1}\" y1=\"{y:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#888\"/>\n",
            y + 5.0
        ));
        out.push_str(&format!(
            "<text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"11\" transform=\"rotate(-40 {x:.1} {:.1})\">{}</text>\n",
            y + 16.0,
            y + 16.0,
            esc(&p.day)
        ));
    }

    // Light bands over sustained shifts, from the run's start to where the rule fired.
    for sig in &chart.signals {
        let Some(start) = sig.run_start.as_deref() else {
            continue;
        };
        let first = chart.points.iter().position(|p| p.day == start);
        let fired = first.and_then(|f| {
            chart.points[f..]
                .iter()
                .position(|p| p.day == sig.day)
                .map(|k| f + k)
        });
        if let (Some(a), Some(b)) = (first, fired) {
            out.push_str(&format!(
                "<rect x=\"{:.1}\" y=\"{TOP}\" width=\"{:.1}\" height=\"{plot_h:.1}\" fill=\"{COLOR_FLAG}\" fill-opacity=\"0.07\"><title>{}</title></rect>\n",
                x_at(a) - slot / 2.0,
                (b + 1 - a) as f64 * slot,
                esc(&sig.message)
            ));
        }
    }

    // Centre line and step limits.
    let cy = y_at(chart.center);
    out.push_str(&format!(
        "<line x1=\"{LEFT}\" y1=\"{cy:.1}\" x2=\"{:.1}\" y2=\"{cy:.1}\" stroke=\"{COLOR_CENTER}\" stroke-width=\"1.5\"/>\n",
        LEFT + plot_w
    ));
    if n > 0 {
        for limit in [
            chart.points.iter().map(|p| p.ucl).collect::<Vec<_>>(),
            chart.points.iter().map(|p| p.lcl).collect::<Vec<_>>(),
        ] {
            let mut d = String::new();
            for (i, v) in limit.iter().enumerate() {
                let y = y_at(*v);
                let x0 = x_at(i) - slot / 2.0;
                let cmd = if i == 0 { 'M' } else { 'L' };
                d.push_str(&format!("{cmd}{x0:.1},{y:.1} L{:.1},{y:.1} ", x0 + slot));
            }
            out.push_str(&format!(
                "<path d=\"{}\" fill=\"none\" stroke=\"{COLOR_LIMIT}\" stroke-width=\"1.2\" stroke-dasharray=\"6 3\"/>\n",
                d.trim_end()
            ));
        }
        // Right-hand labels, nudged apart when close.
        let last = &chart.points[n - 1];
        let mut labels = [
            (y_at(last.ucl), format!("UCL {:.4}", last.ucl), COLOR_LIMIT),
            (cy, format!("CL {:.4}", chart.center), COLOR_CENTER),
            (y_at(last.lcl), format!("LCL {:.4}", last.lcl), COLOR_LIMIT),
        ];
        labels[0].0 = labels[0].0.min(labels[1].0 - 14.0);
        labels[2].0 = labels[2].0.max(labels[1].0 + 14.0);
        for (y, text, color) in &labels {
            out.push_str(&format!(
                "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"{color}\">{text}</text>\n",
                LEFT + plot_w + 6.0,
                y + 4.0
            ));
        }
    }

    // Raw yields behind the EWMA statistic.
    if is_ewma {
        out.push_str(&polyline(
            chart
                .points
                .iter()
                .enumerate()
                .map(|(i, p)| (x_at(i), y_at(p.yield_))),
            COLOR_RAW,
            1.0,
        ));
        for (i, p) in chart.points.iter().enumerate() {
            out.push_str(&format!(
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"5\" height=\"5\" fill=\"{COLOR_RAW}\"><title>{} yield {:.4}</title></rect>\n",
                x_at(i) - 2.5,
                y_at(p.yield_) - 2.5,
                esc(&p.day),
                p.yield_
            ));
        }
    }

    // The charted statistic.
    out.push_str(&polyline(
        plotted.iter().enumerate().map(|(i, v)| (x_at(i), y_at(*v))),
        COLOR_DATA,
        1.6,
    ));
    for (i, p) in chart.points.iter().enumerate() {
        let (x, y) = (x_at(i), y_at(plotted[i]));
        let (fill, r) = if p.flagged {
            (COLOR_FLAG, 4.5)
        } else {
            (COLOR_DATA, 3.2)
        };
        out.push_str(&format!(
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{r}\" fill=\"{fill}\"><title>{} yield {:.4} (n = {})</title></circle>\n",
            esc(&p.day),
            p.yield_,
            p.n
        ));
        if let Some(rules) = rules_at.get(p.day.as_str()).filter(|_| p.flagged) {
            let text = rules
                .iter()
                .map(u8::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let ty = if plotted[i] >= chart.center {
                y - 9.0
            } else {
                y + 18.0
            };
            out.push_str(&format!(
                "<text x=\"{x:.1}\" y=\"{ty:.1}\" text-anchor=\"middle\" font-size=\"11\" font-weight=\"bold\" fill=\"{COLOR_FLAG}\">{text}</text>\n"
            ));
        }
    }

    // Legend.
    let lx = LEFT + plot_w - 470.0;
    let ly = 52.0;
    let data_name = if is_ewma { "EWMA" } else { "yield" };
    out.push_str(&format!(
        "<g font-size=\"11\">\
         <rect x=\"{:.1}\" y=\"{:.1}\" width=\"7\" height=\"7\" rx=\"3.5\" fill=\"{COLOR_DATA}\"/><text x=\"{:.1}\" y=\"{:.1}\">{data_name}</text>\
         <line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"{COLOR_CENTER}\" stroke-width=\"1.5\"/><text x=\"{:.1}\" y=\"{:.1}\">centre</text>\
         <line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"{COLOR_LIMIT}\" stroke-dasharray=\"6 3\"/><text x=\"{:.1}\" y=\"{:.1}\">limits</text>\
         <text x=\"{:.1}\" y=\"{:.1}\" fill=\"{COLOR_FLAG}\">red: flagged (rule no.)</text></g>\n",
        lx - 3.5,
        ly - 7.5,
        lx + 8.0,
        ly,
        lx + 70.0,
        ly - 4.0,
        lx + 94.0,
        ly - 4.0,
        lx + 100.0,
        ly,
        lx + 160.0,
        ly - 4.0,
        lx + 184.0,
        ly - 4.0,
        lx + 190.0,
        ly,
        lx + 250.0,
        ly,
    ));
    if is_ewma {
        out.push_str(&format!(
            "<g font-size=\"11\"><rect x=\"{:.1}\" y=\"{:.1}\" width=\"5\" height=\"5\" fill=\"{COLOR_RAW}\"/><text x=\"{:.1}\" y=\"{:.1}\">daily yield</text></g>\n",
            lx + 390.0,
            ly - 6.5,
            lx + 398.0,
            ly
        ));
    }
    out.push_str("</svg>\n");
    out
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

/// An SVG polyline through the points.
fn polyline(points: impl Iterator<Item = (f64, f64)>, color: &str, width: f64) -> String {
    let coords: Vec<String> = points.map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
    format!(
        "<polyline points=\"{}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"{width}\"/>\n",
        coords.join(" ")
    )
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

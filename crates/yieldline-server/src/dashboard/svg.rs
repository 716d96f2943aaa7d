//! The dashboard's charts as inline SVG: the spc crate's control chart in the dashboard's
//! palette, and small line and range charts drawn here. Every point carries a `<title>`
//! (the browser's own tooltip), so the charts need no script to be read.

use std::fmt::Write as _;

use super::html::esc;

/// Okabe–Ito colours (distinguishable with every common colour-vision deficiency).
pub const BLUE: &str = "#0072B2";
/// Okabe–Ito vermillion.
pub const VERMILLION: &str = "#D55E00";
/// Okabe–Ito bluish green.
pub const GREEN: &str = "#009E73";
/// Okabe–Ito orange.
pub const ORANGE: &str = "#E69F00";

/// A legend's colour square.
pub fn swatch(colour: &str) -> String {
    format!(
        "<svg class=\"swatch\" viewBox=\"0 0 10 10\" aria-hidden=\"true\"><rect width=\"10\" height=\"10\" rx=\"2\" fill=\"{colour}\"/></svg>"
    )
}

/// The spc crate's chart colours and what the dashboard draws them in.
const RECOLOUR: [(&str, &str); 4] = [
    ("#1F5FA8", BLUE),       // the yields
    ("#2E7D32", GREEN),      // the centre line
    ("#C62828", ORANGE),     // the control limits
    ("#D32F2F", VERMILLION), // flagged points and their rule numbers
];

/// Left edge and width of the spc chart's plotting area, in its own pixels (the hover
/// script maps a pointer's position to a day with them).
pub const SPC_PLOT_LEFT: f64 = 72.0;
/// See [`SPC_PLOT_LEFT`].
pub const SPC_PLOT_WIDTH: f64 = 960.0 - 72.0 - 120.0;

/// The spc crate's SVG of `chart`, recoloured, scaled to its container and labelled.
pub fn control_chart(station: &str, chart: &yieldline_spc::ControlChart) -> String {
    let mut svg = yieldline_spc::render_svg(station, chart);
    for (from, to) in RECOLOUR {
        svg = svg.replace(from, to);
    }
    // The legend names the colour it no longer has.
    svg = svg.replace("red: flagged", "flagged");
    svg.replacen(
        "<svg width=\"960\" height=\"460\"",
        &format!(
            "<svg class=\"chart spc\" role=\"img\" aria-label=\"control chart of {}\"",
            esc(station)
        ),
        1,
    )
}

/// A series to draw: its points (label, value), name and colour.
pub struct Series<'a> {
    /// Points in x order.
    pub points: &'a [(String, f64)],
    /// What it is (legend and tooltips).
    pub name: &'a str,
    /// Its colour.
    pub colour: &'a str,
}

/// Width of the small charts' drawing, in their own pixels (text is 11 of them).
pub const WIDE: f64 = 640.0;
/// Width of the watch's trend charts.
pub const NARROW: f64 = 320.0;

/// A small line chart `width` wide of `series` over shared x labels, with an optional
/// dashed horizontal reference line; `fmt` formats values for the axis and tooltips;
/// `log` draws the y axis in log10 (values ≤ 0 are left out).
pub fn line_chart(
    width: f64,
    label: &str,
    series: &[Series<'_>],
    reference: Option<(f64, &str)>,
    fmt: &dyn Fn(f64) -> String,
    log: bool,
) -> String {
    let (w, h) = (width, if width < WIDE { 140.0 } else { 200.0 });
    const L: f64 = 56.0;
    const R: f64 = 12.0;
    const T: f64 = 22.0;
    const B: f64 = 28.0;
    let tf = |v: f64| if log { v.log10() } else { v };
    let ok = |v: f64| v.is_finite() && (!log || v > 0.0);
    let mut values: Vec<f64> = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .filter(|v| ok(*v))
        .map(tf)
        .collect();
    if let Some((r, _)) = reference
        && ok(r)
    {
        values.push(tf(r));
    }
    let n = series.iter().map(|s| s.points.len()).max().unwrap_or(0);
    let mut out = format!(
        "<svg class=\"chart small\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{}\" xmlns=\"http://www.w3.org/2000/svg\">",
        esc(label)
    );
    if values.is_empty() || n == 0 {
        out.push_str("<text x=\"20\" y=\"40\" class=\"axis\">no data</text></svg>");
        return out;
    }
    let mut lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let mut hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !log {
        lo = lo.min(0.0);
    }
    if hi - lo < 1e-12 {
        hi = lo + 1.0;
    }
    let x = |i: usize| {
        if n <= 1 {
            L + (w - L - R) / 2.0
        } else {
            L + (w - L - R) * i as f64 / (n - 1) as f64
        }
    };
    let y = |v: f64| T + (h - T - B) * (1.0 - (tf(v) - lo) / (hi - lo));
    let inv = |t: f64| if log { 10f64.powf(t) } else { t };
    // Frame and three y ticks.
    let _ = write!(
        out,
        "<rect x=\"{L}\" y=\"{T}\" width=\"{}\" height=\"{}\" class=\"frame\"/>",
        w - L - R,
        h - T - B
    );
    for k in 0..3 {
        let t = lo + (hi - lo) * f64::from(k) / 2.0;
        let yy = T + (h - T - B) * (1.0 - f64::from(k) / 2.0);
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{:.1}\" class=\"axis\" text-anchor=\"end\">{}</text>",
            L - 4.0,
            yy + 4.0,
            esc(&fmt(inv(t)))
        );
    }
    // First and last x labels.
    if let Some(s) = series.iter().find(|s| !s.points.is_empty()) {
        let first = &s.points[0].0;
        let last = &s.points[s.points.len() - 1].0;
        let _ = write!(
            out,
            "<text x=\"{L}\" y=\"{}\" class=\"axis\">{}</text><text x=\"{}\" y=\"{}\" class=\"axis\" text-anchor=\"end\">{}</text>",
            h - 8.0,
            esc(first),
            w - R,
            h - 8.0,
            esc(last)
        );
    }
    if let Some((r, name)) = reference
        && ok(r)
    {
        let _ = write!(
            out,
            "<line x1=\"{L}\" x2=\"{}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\" class=\"reference\"><title>{}: {}</title></line>\
             <text x=\"{}\" y=\"{:.1}\" class=\"axis\" text-anchor=\"end\">{}</text>",
            w - R,
            esc(name),
            esc(&fmt(r)),
            w - R - 2.0,
            y(r) - 4.0,
            esc(name),
            yy = y(r)
        );
    }
    for s in series {
        let pts: Vec<(usize, f64)> = s
            .points
            .iter()
            .enumerate()
            .filter(|(_, p)| ok(p.1))
            .map(|(i, p)| (i, p.1))
            .collect();
        let path: Vec<String> = pts
            .iter()
            .map(|&(i, v)| format!("{:.1},{:.1}", x(i), y(v)))
            .collect();
        let _ = write!(
            out,
            "<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"{}\"/>",
            s.colour,
            path.join(" ")
        );
        let r = if pts.len() > 60 { 1.5 } else { 3.0 };
        for &(i, v) in &pts {
            let _ = write!(
                out,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"{r}\" fill=\"{}\"><title>{}: {} {}</title></circle>",
                x(i),
                y(v),
                s.colour,
                esc(&s.points[i].0),
                esc(s.name),
                esc(&fmt(v))
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// A horizontal range chart: the p10–p90 band, the median and mean, and a target line.
pub fn range_chart(label: &str, p10: f64, p50: f64, p90: f64, mean: f64, target: f64) -> String {
    const W: f64 = 640.0;
    const H: f64 = 90.0;
    const L: f64 = 20.0;
    const R: f64 = 20.0;
    let hi = [p90, target, mean, 1.0]
        .into_iter()
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max)
        * 1.1;
    let x = |v: f64| L + (W - L - R) * (v / hi).clamp(0.0, 1.0);
    let mut out = format!(
        "<svg class=\"chart small\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{}\" xmlns=\"http://www.w3.org/2000/svg\">",
        esc(label)
    );
    let _ = write!(
        out,
        "<line x1=\"{L}\" x2=\"{}\" y1=\"40\" y2=\"40\" class=\"frame\"/>\
         <rect x=\"{:.1}\" y=\"28\" width=\"{:.1}\" height=\"24\" fill=\"{BLUE}\" opacity=\"0.35\"><title>p10–p90: {p10:.2} – {p90:.2}</title></rect>\
         <line x1=\"{m:.1}\" x2=\"{m:.1}\" y1=\"24\" y2=\"56\" stroke=\"{BLUE}\" stroke-width=\"3\"><title>median {p50:.2}</title></line>\
         <circle cx=\"{mu:.1}\" cy=\"40\" r=\"5\" fill=\"{GREEN}\"><title>mean {mean:.2}</title></circle>\
         <line x1=\"{t:.1}\" x2=\"{t:.1}\" y1=\"14\" y2=\"66\" class=\"reference\"><title>target {target:.2}</title></line>\
         <text x=\"{t:.1}\" y=\"11\" class=\"axis\" text-anchor=\"middle\">target {target:.2}</text>\
         <text x=\"{L}\" y=\"82\" class=\"axis\">0</text><text x=\"{}\" y=\"82\" class=\"axis\" text-anchor=\"end\">{hi:.1}</text></svg>",
        W - R,
        x(p10),
        (x(p90) - x(p10)).max(2.0),
        W - R,
        m = x(p50),
        mu = x(mean),
        t = x(target),
    );
    out
}

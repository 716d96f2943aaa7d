//! Hand-written SVG chart of a run: qualified meetings per day, yield per touch and
//! burned share on three stacked panels sharing the day axis.

use std::fmt::Write;

use crate::SimOutput;
use crate::output::moving_average;

const W: f64 = 960.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 30.0;
const PANEL_H: f64 = 170.0;
const GAP: f64 = 48.0;
const TOP: f64 = 104.0;

/// Renders the run as a self-contained SVG document.
pub fn render_svg(out: &SimOutput) -> String {
    let days = &out.days;
    let n = days.len().max(1);
    let h = TOP + 3.0 * PANEL_H + 3.0 * GAP + 20.0;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{h}" viewBox="0 0 {W} {h}" font-family="Helvetica, Arial, sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r##"<rect width="100%" height="100%" fill="#ffffff"/>"##);
    let sc = &out.scenario.scenario;
    let sm = &out.summary;
    let _ = writeln!(
        s,
        r##"<text x="{LEFT}" y="28" font-size="18" font-weight="bold" fill="#222">{}</text>"##,
        esc(&sc.name)
    );
    let guard = if out.scenario.policy.guardrails.is_some() {
        "with guardrails"
    } else {
        "no guardrails"
    };
    let _ = writeln!(
        s,
        r##"<text x="{LEFT}" y="48" fill="#555">{} accounts · {} working days from {} · seed {} · {}</text>"##,
        sc.accounts,
        days.len(),
        esc(&sc.start),
        sc.seed,
        guard
    );
    let _ = writeln!(
        s,
        r##"<text x="{LEFT}" y="64" fill="#555">qualified/day (smoothed): peak {:.1} on day {}, {:.1} at the end · yield per touch {:.2} % → {:.2} % · burned {:.1} % at the end</text>"##,
        sm.peak_qualified_per_day,
        sm.peak_day,
        sm.end_qualified_per_day,
        sm.start_yield_per_touch * 100.0,
        sm.end_yield_per_touch * 100.0,
        sm.final_burned_share * 100.0
    );
    let q: Vec<f64> = days.iter().map(|d| d.qualified as f64).collect();
    let win = (sm.smoothing_days as usize).max(1);
    let q_ma = moving_average(&q, win);
    let y: Vec<f64> = days.iter().map(|d| d.yield_per_touch * 100.0).collect();
    let y_ma = moving_average(&y, win);
    let b: Vec<f64> = days.iter().map(|d| d.burned_share * 100.0).collect();
    let m: Vec<f64> = days.iter().map(|d| d.automation_multiplier).collect();
    type Panel<'a> = (&'a str, &'a [f64], Option<&'a [f64]>, &'a str);
    let panels: [Panel<'_>; 3] = [
        ("Qualified meetings per day", &q, Some(&q_ma), "#1f77b4"),
        (
            "Yield per touch (replies passed / touches, %)",
            &y,
            Some(&y_ma),
            "#2ca02c",
        ),
        ("Burned share of accounts (%)", &b, None, "#d62728"),
    ];
    for (i, (title, raw, smooth, color)) in panels.into_iter().enumerate() {
        let top = TOP + i as f64 * (PANEL_H + GAP);
        panel(
            &mut s,
            top,
            n,
            title,
            raw,
            smooth,
            color,
            if i == 0 { Some(&m) } else { None },
        );
    }
    // Day axis labels under the last panel.
    let axis_y = TOP + 3.0 * PANEL_H + 2.0 * GAP;
    let step = nice_step(n as f64 / 8.0);
    let mut t = 0.0;
    while t <= (n - 1) as f64 + 1e-9 {
        let x = xpos(t, n);
        let _ = writeln!(
            s,
            r##"<text x="{x:.1}" y="{:.1}" text-anchor="middle" fill="#444">{t}</text>"##,
            axis_y + 16.0
        );
        t += step;
    }
    let _ = writeln!(
        s,
        r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#444">working day</text>"##,
        LEFT + (W - LEFT - RIGHT) / 2.0,
        axis_y + 34.0
    );
    s.push_str("</svg>\n");
    s
}

fn xpos(day: f64, n: usize) -> f64 {
    LEFT + day / ((n.max(2) - 1) as f64) * (W - LEFT - RIGHT)
}

#[allow(clippy::too_many_arguments)]
fn panel(
    s: &mut String,
    top: f64,
    n: usize,
    title: &str,
    raw: &[f64],
    smooth: Option<&[f64]>,
    color: &str,
    multiplier: Option<&[f64]>,
) {
    let max = raw.iter().copied().fold(0.0_f64, f64::max);
    let tick = nice_step_f(if max > 0.0 { max / 4.0 } else { 0.25 });
    let ymax = tick * (max / tick).ceil().max(1.0);
    let ypos = |v: f64| top + PANEL_H - v / ymax * PANEL_H;
    let _ = writeln!(
        s,
        r##"<text x="{LEFT}" y="{:.1}" font-size="14" font-weight="bold" fill="#222">{}</text>"##,
        top - 8.0,
        esc(title)
    );
    let _ = writeln!(
        s,
        r##"<rect x="{LEFT}" y="{top:.1}" width="{:.1}" height="{PANEL_H}" fill="#fafafa" stroke="#ccc"/>"##,
        W - LEFT - RIGHT
    );
    let n_ticks = (ymax / tick).round() as u32;
    for k in 0..=n_ticks {
        let v = tick * f64::from(k);
        let yy = ypos(v);
        let _ = writeln!(
            s,
            r##"<line x1="{LEFT}" x2="{:.1}" y1="{yy:.1}" y2="{yy:.1}" stroke="#e4e4e4"/>"##,
            W - RIGHT
        );
        let _ = writeln!(
            s,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="end" fill="#444">{}</text>"##,
            LEFT - 6.0,
            yy + 4.0,
            fmt_tick(v)
        );
    }
    let line = |vals: &[f64]| {
        vals.iter()
            .enumerate()
            .map(|(i, v)| format!("{:.1},{:.1}", xpos(i as f64, n), ypos(*v)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    match smooth {
        Some(sm) => {
            let _ = writeln!(
                s,
                r#"<polyline fill="none" stroke="{color}" stroke-opacity="0.3" stroke-width="1" points="{}"/>"#,
                line(raw)
            );
            let _ = writeln!(
                s,
                r#"<polyline fill="none" stroke="{color}" stroke-width="2.5" points="{}"/>"#,
                line(sm)
            );
            let _ = writeln!(
                s,
                r##"<text x="{:.1}" y="{:.1}" text-anchor="end" fill="#555">thin: daily · thick: moving average</text>"##,
                W - RIGHT,
                top - 8.0
            );
        }
        None => {
            let _ = writeln!(
                s,
                r#"<polyline fill="none" stroke="{color}" stroke-width="2.5" points="{}"/>"#,
                line(raw)
            );
        }
    }
    if let Some(mult) = multiplier {
        let mmax = nice_ceiling(mult.iter().copied().fold(1.0_f64, f64::max));
        let pts = mult
            .iter()
            .enumerate()
            .map(|(i, v)| {
                format!(
                    "{:.1},{:.1}",
                    xpos(i as f64, n),
                    top + PANEL_H - v / mmax * PANEL_H
                )
            })
            .collect::<Vec<_>>()
            .join(" ");
        let _ = writeln!(
            s,
            r##"<polyline fill="none" stroke="#9467bd" stroke-width="1.5" stroke-dasharray="6 4" points="{pts}"/>"##
        );
        let _ = writeln!(
            s,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="end" fill="#9467bd">dashed: automation volume multiplier (top = ×{})</text>"##,
            W - RIGHT - 250.0,
            top - 8.0,
            fmt_tick(mmax)
        );
    }
}

fn nice_step(x: f64) -> f64 {
    let x = x.max(1.0);
    let p = 10f64.powf(x.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if m * p >= x {
            return m * p;
        }
    }
    10.0 * p
}

fn nice_step_f(x: f64) -> f64 {
    let p = 10f64.powf(x.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if m * p >= x - 1e-12 {
            return m * p;
        }
    }
    10.0 * p
}

fn nice_ceiling(x: f64) -> f64 {
    let p = 10f64.powf(x.log10().floor());
    for m in [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0] {
        if m * p >= x - 1e-12 {
            return m * p;
        }
    }
    10.0 * p
}

fn fmt_tick(v: f64) -> String {
    if v == v.round() {
        format!("{v:.0}")
    } else if v >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

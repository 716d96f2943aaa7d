//! SVG chart of a run, drawn with the `plotters` crate's SVG backend (as
//! `yieldline-spc` draws its control charts): qualified meetings per day, yield per
//! touch and burned share on three stacked panels sharing the day axis; the first
//! panel also shows the automation volume multiplier (dashed, scaled to the panel).

use std::error::Error;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use yieldline_spc::{svg_document, svg_font as font};

use crate::SimOutput;
use crate::output::moving_average;

const WIDTH: u32 = 960;
const HEIGHT: u32 = 800;
/// Height of the title block above the panels.
const HEADER: u32 = 84;
const LEFT: i32 = 70;

const BLUE: RGBColor = RGBColor(0x1f, 0x77, 0xb4);
const GREEN: RGBColor = RGBColor(0x2c, 0xa0, 0x2c);
const RED: RGBColor = RGBColor(0xd6, 0x27, 0x28);
const PURPLE: RGBColor = RGBColor(0x94, 0x67, 0xbd);
const TEXT: RGBColor = RGBColor(0x22, 0x22, 0x22);
const SUBTLE: RGBColor = RGBColor(0x55, 0x55, 0x55);
const GRID: RGBColor = RGBColor(0xe4, 0xe4, 0xe4);

/// One panel: its title, the daily values, their moving average (if drawn) and colour.
struct Panel<'a> {
    title: &'a str,
    raw: &'a [f64],
    smooth: Option<&'a [f64]>,
    color: RGBColor,
}

/// Renders the run as a self-contained SVG document.
pub fn render_svg(out: &SimOutput) -> String {
    svg_document((WIDTH, HEIGHT), 64 * 1024, "simulation", |root| {
        draw(root, out)
    })
}

fn draw(root: &DrawingArea<SVGBackend<'_>, Shift>, out: &SimOutput) -> Result<(), Box<dyn Error>> {
    root.fill(&WHITE)?;
    let days = &out.days;
    let sc = &out.scenario.scenario;
    let sm = &out.summary;
    let guard = if out.scenario.policy.guardrails.is_some() {
        "with guardrails"
    } else {
        "no guardrails"
    };
    let left = Pos::new(HPos::Left, VPos::Top);
    root.draw(&Text::new(
        sc.name.clone(),
        (LEFT, 14),
        font(18.0).style(FontStyle::Bold).color(&TEXT).pos(left),
    ))?;
    root.draw(&Text::new(
        format!(
            "{} accounts · {} working days from {} · seed {} · {guard}",
            sc.accounts,
            days.len(),
            sc.start,
            sc.seed
        ),
        (LEFT, 40),
        font(12.0).color(&SUBTLE).pos(left),
    ))?;
    root.draw(&Text::new(
        format!(
            "qualified/day (smoothed): peak {:.1} on day {}, {:.1} at the end · yield per touch {:.2} % → {:.2} % · burned {:.1} % at the end",
            sm.peak_qualified_per_day,
            sm.peak_day,
            sm.end_qualified_per_day,
            sm.start_yield_per_touch * 100.0,
            sm.end_yield_per_touch * 100.0,
            sm.final_burned_share * 100.0
        ),
        (LEFT, 58),
        font(12.0).color(&SUBTLE).pos(left),
    ))?;

    let win = (sm.smoothing_days as usize).max(1);
    let q: Vec<f64> = days.iter().map(|d| d.qualified as f64).collect();
    let q_ma = moving_average(&q, win);
    let y: Vec<f64> = days.iter().map(|d| d.yield_per_touch * 100.0).collect();
    let y_ma = moving_average(&y, win);
    let b: Vec<f64> = days.iter().map(|d| d.burned_share * 100.0).collect();
    let mult: Vec<f64> = days.iter().map(|d| d.automation_multiplier).collect();
    let panels = [
        Panel {
            title: "Qualified meetings per day (thin: daily · thick: moving average · dashed: automation multiplier)",
            raw: &q,
            smooth: Some(&q_ma),
            color: BLUE,
        },
        Panel {
            title: "Yield per touch (replies passed / touches, %)",
            raw: &y,
            smooth: Some(&y_ma),
            color: GREEN,
        },
        Panel {
            title: "Burned share of accounts (%)",
            raw: &b,
            smooth: None,
            color: RED,
        },
    ];
    let (_, body) = root.split_vertically(HEADER);
    for (i, (area, p)) in body.split_evenly((3, 1)).iter().zip(&panels).enumerate() {
        panel(area, p, (i == 0).then_some(mult.as_slice()))?;
    }
    Ok(())
}

fn panel(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    p: &Panel<'_>,
    multiplier: Option<&[f64]>,
) -> Result<(), Box<dyn Error>> {
    let n = p.raw.len();
    let x_max = (n.max(2) - 1) as f64;
    let top = p.raw.iter().copied().fold(0.0_f64, f64::max);
    let y_max = if top > 0.0 { top * 1.1 } else { 1.0 };
    let mut chart = ChartBuilder::on(area)
        .caption(p.title, font(13.0).style(FontStyle::Bold).color(&TEXT))
        .margin_left(8)
        .margin_right(24)
        .margin_bottom(6)
        .x_label_area_size(28)
        .y_label_area_size(LEFT as u32 - 8)
        .build_cartesian_2d(0.0..x_max, 0.0..y_max)?;
    chart
        .configure_mesh()
        .bold_line_style(GRID)
        .light_line_style(TRANSPARENT)
        .x_labels(9)
        .y_labels(5)
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|v| {
            if y_max >= 10.0 {
                format!("{v:.0}")
            } else {
                format!("{v:.1}")
            }
        })
        .label_style(font(11.0).color(&TEXT))
        .x_desc("working day")
        .axis_desc_style(font(11.0).color(&SUBTLE))
        .draw()?;
    let points = |vals: &[f64]| -> Vec<(f64, f64)> {
        vals.iter()
            .enumerate()
            .map(|(i, v)| (i as f64, *v))
            .collect()
    };
    match p.smooth {
        Some(sm) => {
            chart.draw_series(LineSeries::new(points(p.raw), p.color.mix(0.3)))?;
            chart.draw_series(LineSeries::new(points(sm), p.color.stroke_width(2)))?;
        }
        None => {
            chart.draw_series(LineSeries::new(points(p.raw), p.color.stroke_width(2)))?;
        }
    }
    if let Some(mult) = multiplier {
        // The multiplier on the panel's scale: its maximum at the top of the data.
        let m_max = mult.iter().copied().fold(1.0_f64, f64::max);
        let scaled: Vec<f64> = mult.iter().map(|m| m / m_max * y_max / 1.1).collect();
        chart.draw_series(DashedLineSeries::new(
            points(&scaled),
            6,
            4,
            PURPLE.stroke_width(1),
        ))?;
    }
    Ok(())
}

//! The Experiments pages: the list, and one experiment's arms, differences, guardrails,
//! SRM check, verdict and always-valid p-value over time (as `GET …/analysis`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use jiff::civil::Date;
use serde_json::Value;
use yieldline_app::render;

use super::auth::{Ctx, Dash, signed_in};
use super::html::{self, alert, arr, at, esc, f, num, page, page_error, pct, pct_interval, s};
use super::pages::api_json;
use super::svg::{self, Series};
use crate::error::ApiError;
use crate::state::blocking;

/// `GET /experiments`: every experiment.
pub async fn list(State(dash): State<Arc<Dash>>, headers: HeaderMap) -> Response {
    let ctx = signed_in_or_return!(dash, headers);
    let title = "Experiments";
    let list = match api_json(&ctx, "experiments".into(), |ws| {
        render::json(&yieldline_app::experiments::list(ws)?)
    })
    .await
    {
        Ok(v) => v,
        Err(e) => return page_error(&ctx, "/experiments", title, e.status, &e.detail),
    };
    let items = list.as_array().map(Vec::as_slice).unwrap_or(&[]);
    if items.is_empty() {
        return page(
            &ctx,
            "/experiments",
            title,
            "<p>No experiment is defined.</p>",
        );
    }
    let mut b = String::from(
        "<table><thead><tr><th>Experiment</th><th>Station</th><th>Arms</th><th>Unit</th><th>Start</th><th>Stop</th></tr></thead><tbody>",
    );
    for e in items {
        let arms: Vec<&str> = arr(e, "arms").iter().map(|a| s(a, "name")).collect();
        let _ = write!(
            b,
            "<tr><td><a href=\"/experiments/{id}\">{id}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(s(e, "station")),
            esc(&arms.join(", ")),
            esc(s(e, "unit")),
            esc(s(e, "start")),
            esc(s(e, "stop")),
            id = esc(s(e, "id")),
        );
    }
    b.push_str("</tbody></table>");
    page(&ctx, "/experiments", title, &b)
}

/// Points of the always-valid p-value over time: weekly looks from the start.
const P_LOOKS: usize = 12;

/// `GET /experiments/{id}`: arms, differences, guardrails, SRM and the verdict.
pub async fn one(
    State(dash): State<Arc<Dash>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let ctx = signed_in_or_return!(dash, headers);
    let title = format!("Experiment {id}");
    let served = ctx.served.clone();
    let now_id = id.clone();
    // As `GET …/analysis` without `as_of`: now, not cached.
    let a: Value = match blocking(move || {
        let as_of = yieldline_app::experiments::parse_time(&served.ws.line, "as_of", "now")?;
        let bytes = render::json(&yieldline_app::experiments::analysis(
            &served.ws, &now_id, as_of,
        )?)?;
        serde_json::from_slice(&bytes).map_err(|e| ApiError::internal(e.to_string()))
    })
    .await
    {
        Ok(v) => v,
        Err(e) => return page_error(&ctx, "/experiments", &title, e.status, &e.detail),
    };
    let verdict = &a["verdict"];
    let mut b = format!(
        "<section class=\"verdict\"><h2>Verdict: {}</h2><p>{}</p></section>\
         <p class=\"muted\">station {} · unit {} · variance {} · {} to {} · {} working days · SRM check p = {}</p>",
        esc(s(verdict, "decision")),
        esc(s(verdict, "reason")),
        esc(s(&a, "station")),
        esc(s(&a, "unit")),
        esc(s(&a, "variance")),
        esc(s(&a, "start")),
        esc(s(&a, "end")),
        num(f(&a, "working_days"), 0),
        num(f(&a, "srm_p"), 3),
    );
    b.push_str("<h2>Arms</h2><table><thead><tr><th>Arm</th><th>Units</th><th>Dispositions</th><th>Passed</th><th>Yield</th><th>95 % CI</th></tr></thead><tbody>");
    for arm in arr(&a, "arms") {
        let _ = write!(
            b,
            "<tr><td>{}{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"yield\">{}</td><td>{}</td></tr>",
            esc(s(arm, "name")),
            if arm["control"].as_bool() == Some(true) {
                " (control)"
            } else {
                ""
            },
            num(f(arm, "units"), 0),
            num(f(arm, "dispositions"), 0),
            num(f(arm, "passed"), 0),
            pct(f(arm, "yield")),
            pct_interval(&arm["yield_ci"]),
        );
    }
    b.push_str("</tbody></table><h2>Differences</h2><table><thead><tr><th>Arm vs control</th><th>Difference</th><th>95 % CI</th><th>Lift</th><th>Always-valid p</th><th>Looks</th></tr></thead><tbody>");
    let mut guards = String::new();
    for c in arr(&a, "comparisons") {
        let vs = format!("{} vs {}", s(c, "arm"), s(c, "control"));
        let _ = write!(
            b,
            "<tr><td>{}</td><td>{} pp</td><td>{} pp – {} pp</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&vs),
            num(f(c, "diff").map(|d| d * 100.0), 2),
            num(at(&c["diff_ci"], 0).map(|d| d * 100.0), 2),
            num(at(&c["diff_ci"], 1).map(|d| d * 100.0), 2),
            pct(f(c, "lift")),
            num(f(c, "always_valid_p"), 4),
            num(f(c, "looks"), 0),
        );
        for g in arr(c, "guardrails") {
            let breached = g["breached"].as_bool() == Some(true);
            let _ = write!(
                guards,
                "<tr{}><td>{}</td><td>{}</td><td>{} pp</td><td>{} pp – {} pp</td><td>{} pp</td><td>{}</td></tr>",
                if breached { " class=\"flag\"" } else { "" },
                esc(&vs),
                esc(s(g, "metric")),
                num(f(g, "diff").map(|d| d * 100.0), 2),
                num(at(&g["diff_ci"], 0).map(|d| d * 100.0), 2),
                num(at(&g["diff_ci"], 1).map(|d| d * 100.0), 2),
                num(f(g, "margin").map(|d| d * 100.0), 2),
                if breached { "breached" } else { "held" },
            );
        }
    }
    b.push_str("</tbody></table>");
    if !guards.is_empty() {
        let _ = write!(
            b,
            "<h2>Guardrails</h2><table><thead><tr><th>Arm vs control</th><th>Metric</th><th>Difference</th><th>95 % CI</th><th>Margin</th><th>Status</th></tr></thead><tbody>{guards}</tbody></table>"
        );
    }
    for w in arr(&a, "warnings") {
        b.push_str(&alert(&html::scalar(w)));
    }
    b.push_str(&p_value_history(&ctx, &id, &a).await);
    page(&ctx, "/experiments", &title, &b)
}

/// The always-valid p-value of each comparison at weekly looks (each look is
/// `GET …/analysis?as_of=DATE`, cached).
async fn p_value_history(ctx: &Ctx, id: &str, now: &Value) -> String {
    let day = |t: &str| t.get(..10).and_then(|d| d.parse::<Date>().ok());
    let (Some(start), Some(end)) = (
        day(s(now, "start")),
        day(s(now, "end")).or_else(|| day(s(now, "as_of"))),
    ) else {
        return String::new();
    };
    let mut looks = Vec::new();
    let mut d = start;
    while d <= end && looks.len() < P_LOOKS {
        d = d.saturating_add(jiff::Span::new().days(7));
        looks.push(d.min(end));
    }
    looks.dedup();
    let mut by_arm: BTreeMap<String, Vec<(String, f64)>> = BTreeMap::new();
    for look in looks {
        let text = Some(look.to_string());
        let Ok(v) = crate::reads::analysis(&ctx.served, id.to_owned(), text)
            .await
            .and_then(super::pages::parsed)
        else {
            continue;
        };
        for c in arr(&v, "comparisons") {
            if let Some(p) = f(c, "always_valid_p") {
                by_arm
                    .entry(format!("{} vs {}", s(c, "arm"), s(c, "control")))
                    .or_default()
                    .push((look.to_string(), p));
            }
        }
    }
    if by_arm.is_empty() {
        return String::new();
    }
    let colours = [svg::BLUE, svg::ORANGE, svg::GREEN, svg::VERMILLION];
    let series: Vec<Series<'_>> = by_arm
        .iter()
        .zip(colours.iter().cycle())
        .map(|((name, points), colour)| Series {
            points,
            name,
            colour,
        })
        .collect();
    format!(
        "<section><h2>Always-valid p-value over time</h2><p class=\"muted\">weekly looks; the dashed line is 0.05 (log scale)</p>{}</section>",
        svg::line_chart(
            svg::WIDE,
            "always-valid p-value over time",
            &series,
            Some((0.05, "0.05")),
            &|v| format!("{v:.1e}"),
            true,
        )
    )
}

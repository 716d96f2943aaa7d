//! The read-only pages. Each reads the API's JSON for the same request (through the
//! server's per-generation cache, with the API's cache keys) and lays it out, so a page
//! shows exactly the figures the API returns.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::civil::Date;
use serde_json::Value;
use yieldline_app::analysis::{BasisRequest, ChartRequest, DriftRequest, PlanRequest};
use yieldline_core::report::Period;

use super::auth::{Ctx, Dash, signed_in};
use super::html::{self, alert, arr, esc, f, num, page, page_error, pct, pct_interval, s};
use super::svg::{self, Series};
use crate::error::ApiError;

type Params = Query<HashMap<String, String>>;

/// The API's JSON for `key` (computed by `compute` once per store generation).
pub(super) async fn api_json(
    ctx: &Ctx,
    key: String,
    compute: impl FnOnce(&yieldline_app::Workspace) -> yieldline_app::AppResult<Vec<u8>>
    + Send
    + 'static,
) -> Result<Value, ApiError> {
    parsed(ctx.served.cached(key, compute).await?)
}

/// The API's JSON bytes as a value.
pub(super) fn parsed(bytes: axum::body::Bytes) -> Result<Value, ApiError> {
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::internal(format!("the API's JSON does not parse: {e}")))
}

/// `GET …/report` for a period.
async fn report(ctx: &Ctx, period: Period) -> Result<Value, ApiError> {
    parsed(crate::reads::report(&ctx.served, period, None).await?)
}

/// The request `GET …/drift?station=ID[&from&to]` makes.
fn drift_request(station: &str, from: Option<Date>, to: Option<Date>) -> DriftRequest {
    DriftRequest {
        station: Some(station.to_owned()),
        chart: ChartRequest::Auto,
        baseline: None,
        weekly: false,
        from,
        to,
        lambda: Some(0.2),
        ewma_l: Some(3.0),
    }
}

/// One station's chart of `GET …/drift?station=ID`.
async fn drift(ctx: &Ctx, req: DriftRequest) -> Result<Value, ApiError> {
    let v = parsed(crate::reads::drift(&ctx.served, req).await?)?;
    Ok(arr(&v, "stations").first().cloned().unwrap_or(Value::Null))
}

fn date_param(q: &HashMap<String, String>, name: &str) -> Result<Option<Date>, String> {
    match q.get(name).map(|v| v.trim()).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => v
            .parse::<Date>()
            .map(Some)
            .map_err(|_| format!("{name}: {v:?} is not a date (YYYY-MM-DD)")),
    }
}

/// `GET /`: the Line page.
pub async fn home() -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    r.headers_mut()
        .insert(header::LOCATION, HeaderValue::from_static("/line"));
    r
}

/// `GET /line`: the stations as a flow, production against target, the territory and the
/// watch's verdict, over a period.
pub async fn line(State(dash): State<Arc<Dash>>, headers: HeaderMap, Query(q): Params) -> Response {
    let ctx = signed_in_or_return!(dash, headers);
    let title = "Line";
    let period = match (date_param(&q, "from"), date_param(&q, "to")) {
        (Ok(from), Ok(to)) => Period { from, to },
        (Err(m), _) | (_, Err(m)) => {
            return page_error(&ctx, "/line", title, StatusCode::BAD_REQUEST, &m);
        }
    };
    // The report, the final station's daily chart and the watch, computed side by side.
    let last = ctx.served.ws.line.stations.last().map(|st| st.id.clone());
    let production = async {
        match &last {
            Some(id) => drift(&ctx, drift_request(id, period.from, period.to))
                .await
                .ok(),
            None => None,
        }
    };
    let (r, production, watch) = tokio::join!(report(&ctx, period), production, watch_json(&ctx));
    let r = match r {
        Ok(r) => r,
        Err(e) => return page_error(&ctx, "/line", title, e.status, &e.detail),
    };
    let watch = watch.ok();
    let stations = arr(&r, "stations");
    let mut b = String::new();
    let _ = write!(
        b,
        "<form class=\"picker\" method=\"get\" action=\"/line\"><label>From <input type=\"date\" name=\"from\" value=\"{}\"></label>\
         <label>To <input type=\"date\" name=\"to\" value=\"{}\"></label><button type=\"submit\">Show period</button>\
         <span class=\"muted\">{} working days, {} to {}</span></form>",
        esc(&period.from.map(|d| d.to_string()).unwrap_or_default()),
        esc(&period.to.map(|d| d.to_string()).unwrap_or_default()),
        num(f(&r, "working_days"), 0),
        esc(s(&r, "from")),
        esc(s(&r, "to")),
    );
    let bottleneck = s(&r, "bottleneck");
    b.push_str("<ol class=\"flow\" aria-label=\"Stations in line order\">");
    for st in stations {
        let id = s(st, "id");
        let neck = id == bottleneck;
        let util = f(st, "utilization");
        let _ = write!(
            b,
            "<li class=\"station{}\" data-station=\"{id}\"><a href=\"/station/{id}\">{id}</a>{}\
             <span class=\"yield\" data-yield=\"{}\">{}</span>\
             <span class=\"ci\">95 % CI {}</span>\
             <dl><dt>Dispositions</dt><dd>{}</dd><dt>Passed</dt><dd>{}</dd><dt>WIP</dt><dd>{}</dd>\
             <dt>Throughput</dt><dd>{} / {} a day</dd><dt>Target yield</dt><dd>{}</dd></dl>\
             <meter min=\"0\" max=\"1\" low=\"0.7\" high=\"0.9\" optimum=\"0.5\" value=\"{}\" title=\"utilisation {}\">{}</meter>\
             <span class=\"muted\">utilisation {}</span></li>",
            if neck { " bottleneck" } else { "" },
            if neck {
                "<span class=\"badge\">bottleneck</span>"
            } else {
                ""
            },
            num(f(st, "yield"), 6),
            pct(f(st, "yield")),
            pct_interval(&st["yield_ci"]),
            num(f(st, "dispositions"), 0),
            num(f(st, "passed"), 0),
            num(f(st, "wip"), 0),
            num(f(st, "throughput_per_day"), 1),
            num(f(st, "capacity_per_day"), 0),
            pct(f(st, "target_yield")),
            num(util, 3),
            pct(util),
            pct(util),
            pct(util),
            id = esc(id),
        );
    }
    b.push_str("</ol>");
    let prod = &r["production"];
    let terr = &r["territory"];
    let _ = write!(
        b,
        "<section class=\"tiles\"><div class=\"tile\"><h2>Production</h2><p class=\"big\">{} <small>/ {} a day</small></p>\
         <p>gap {} a day · {} in the period</p></div>\
         <div class=\"tile\"><h2>Rolled throughput yield</h2><p class=\"big\">{}</p><p>line capacity {} a day</p></div>\
         <div class=\"tile\"><h2>Breeding ratio</h2><p class=\"big\">{}</p><p>{} referrals · {} recycled</p></div>\
         <div class=\"tile\"><h2>Territory</h2><p class=\"big\">{} <small>days to exhaustion</small></p>{}</div>",
        num(f(prod, "per_day"), 2),
        num(f(prod, "target_per_day"), 2),
        num(f(prod, "gap"), 2),
        num(f(prod, "total"), 0),
        pct(f(&r, "rty")),
        num(f(&r, "line_capacity_per_day"), 2),
        num(f(&r, "breeding_ratio"), 3),
        num(f(&r, "referrals"), 0),
        num(f(&r, "recycled"), 0),
        num(f(terr, "days_to_exhaustion"), 1),
        territory_bar(terr),
    );
    if let Some(w) = &watch {
        let _ = write!(
            b,
            "<div class=\"tile\"><h2>Watch</h2><p class=\"big\"><span class=\"status {h}\">{h}</span></p><p>{}</p><p><a href=\"/watch\">All signals</a></p></div>",
            esc(s(w, "action")),
            h = esc(s(w, "health")),
        );
    }
    b.push_str("</section>");
    if let (Some(p), Some(id)) = (&production, &last) {
        let per_day: Vec<(String, f64)> = arr(p, "points")
            .iter()
            .map(|pt| {
                let n = f(pt, "n").unwrap_or(0.0);
                (
                    s(pt, "day").to_owned(),
                    (n * f(pt, "yield").unwrap_or(0.0)).round(),
                )
            })
            .collect();
        let _ = write!(
            b,
            "<section><h2>Production per day ({} passes) against the target</h2>{}</section>",
            esc(id),
            svg::line_chart(
                svg::WIDE,
                "final passes per day against the daily target",
                &[Series {
                    points: &per_day,
                    name: "passes",
                    colour: svg::BLUE
                }],
                f(prod, "target_per_day").map(|t| (t, "target")),
                &|v| format!("{v:.0}"),
                false,
            )
        );
    }
    page(&ctx, "/line", title, &b)
}

fn territory_bar(t: &Value) -> String {
    let parts = [
        ("fresh", svg::GREEN),
        ("in_line", svg::BLUE),
        ("resting", svg::ORANGE),
        ("burned", svg::VERMILLION),
    ];
    let total: f64 = parts.iter().filter_map(|(k, _)| f(t, k)).sum();
    if total <= 0.0 {
        return "<p>no territory known</p>".to_owned();
    }
    let mut bar = String::from(
        "<svg class=\"stack\" viewBox=\"0 0 100 4\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"territory\">",
    );
    let mut legend = String::from("<ul class=\"legend\">");
    let mut x = 0.0;
    for (k, colour) in parts {
        let v = f(t, k).unwrap_or(0.0);
        let w = 100.0 * v / total;
        let label = k.replace('_', " ");
        let _ = write!(
            bar,
            "<rect x=\"{x:.2}\" width=\"{w:.2}\" height=\"4\" fill=\"{colour}\"><title>{label}: {v}</title></rect>"
        );
        x += w;
        let _ = write!(
            legend,
            "<li>{}{label} {}</li>",
            svg::swatch(colour),
            num(Some(v), 0)
        );
    }
    bar.push_str("</svg>");
    legend.push_str("</ul>");
    bar + &legend
}

/// `GET /station/{id}`: the control chart, cycle times and conversion curve of a station.
pub async fn station(
    State(dash): State<Arc<Dash>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let ctx = signed_in_or_return!(dash, headers);
    let title = format!("Station {id}");
    let r = match report(&ctx, Period::default()).await {
        Ok(r) => r,
        Err(e) => return page_error(&ctx, "/line", &title, e.status, &e.detail),
    };
    let Some(st) = arr(&r, "stations").iter().find(|st| s(st, "id") == id) else {
        return page_error(
            &ctx,
            "/line",
            &title,
            StatusCode::NOT_FOUND,
            &format!("the line has no station {id:?}"),
        );
    };
    let mut b = format!(
        "<p class=\"lede\">yield <strong class=\"yield\">{}</strong> (95 % CI {}) over {} dispositions · <a href=\"/line\">back to the line</a></p>",
        pct(f(st, "yield")),
        pct_interval(&st["yield_ci"]),
        num(f(st, "dispositions"), 0)
    );
    match drift(&ctx, drift_request(&id, None, None)).await {
        Ok(d) if d.get("error").is_some() => b.push_str(&alert(s(&d, "error"))),
        Ok(d) => b.push_str(&control_chart_section(&id, &d)),
        Err(e) => b.push_str(&alert(&e.detail)),
    }
    let ct = &st["cycle_time_hours"];
    let _ = write!(
        b,
        "<section class=\"tiles\"><div class=\"tile\"><h2>Cycle time</h2>\
         <p class=\"big\">{} h <small>median</small></p><p>90th percentile {} h · mean {} h · {} visits</p>{}</div>",
        num(f(ct, "p50"), 1),
        num(f(ct, "p90"), 1),
        num(f(ct, "mean"), 1),
        num(f(ct, "visits"), 0),
        cycle_bar(ct),
    );
    let conv = &st["conversion"];
    let horizons = arr(conv, "horizons_days");
    if horizons.is_empty() {
        b.push_str("<div class=\"tile\"><h2>Conversion curve</h2><p>this station has no conversion curve</p></div>");
    } else {
        let curve = |key: &str| -> Vec<(String, f64)> {
            horizons
                .iter()
                .zip(arr(conv, key))
                .map(|(h, p)| {
                    (
                        format!("{} d", html::scalar(h)),
                        p.as_f64().unwrap_or(f64::NAN),
                    )
                })
                .collect()
        };
        let (passed, failed) = (curve("passed_by"), curve("failed_by"));
        let _ = write!(
            b,
            "<div class=\"tile wide\"><h2>Conversion curve</h2><p>share passed and failed within each horizon · median days to a disposition {}</p>{}\
             <ul class=\"legend\"><li>{}passed</li><li>{}failed</li></ul></div>",
            num(f(conv, "median_days_to_disposition"), 2),
            svg::line_chart(
                svg::WIDE,
                "conversion curve",
                &[
                    Series {
                        points: &passed,
                        name: "passed",
                        colour: svg::BLUE
                    },
                    Series {
                        points: &failed,
                        name: "failed",
                        colour: svg::VERMILLION
                    },
                ],
                None,
                &|v| pct(Some(v)),
                false,
            ),
            svg::swatch(svg::BLUE),
            svg::swatch(svg::VERMILLION)
        );
    }
    b.push_str("</section>");
    page(&ctx, "/line", &title, &b)
}

fn cycle_bar(ct: &Value) -> String {
    let (Some(p50), Some(p90), Some(mean)) = (f(ct, "p50"), f(ct, "p90"), f(ct, "mean")) else {
        return String::new();
    };
    svg::range_chart("cycle time in hours", 0.0, p50, p90, mean, p50).replace("target", "median")
}

fn control_chart_section(id: &str, d: &Value) -> String {
    let chart: Option<yieldline_spc::ControlChart> = serde_json::from_value(d.clone()).ok();
    let Some(chart) = chart else {
        return alert("the control chart could not be read");
    };
    let mut points = String::from("[");
    let mut rows = String::new();
    for (i, p) in chart.points.iter().enumerate() {
        let passed = (p.n as f64 * p.yield_).round();
        let _ = write!(
            points,
            "{}[\"{}\",{},{},\"{}\",\"{}\",{}]",
            if i > 0 { "," } else { "" },
            esc(&p.day),
            p.n,
            passed,
            pct(Some(p.yield_)),
            pct(Some(p.lcl)),
            p.flagged
        );
        let _ = write!(
            rows,
            "<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} – {}</td></tr>",
            if p.flagged { " class=\"flag\"" } else { "" },
            esc(&p.day),
            p.n,
            passed,
            pct(Some(p.yield_)),
            pct(Some(p.lcl)),
            pct(Some(p.ucl))
        );
    }
    points.push(']');
    let mut signals = String::new();
    for sg in &chart.signals {
        let _ = write!(signals, "<li>{}</li>", esc(&sg.message));
    }
    if signals.is_empty() {
        signals.push_str("<li>no run-rule signal</li>");
    }
    format!(
        "<section><h2>Control chart</h2><figure class=\"spc-fig\" data-left=\"{}\" data-width=\"{}\" data-n=\"{}\">{}\
         <figcaption>centre {} · hover a day for its counts</figcaption><div class=\"tip\" hidden></div></figure>\
         <script type=\"application/json\" class=\"points\">{points}</script>\
         <h3>Run-rule signals</h3><ul>{signals}</ul>\
         <details><summary>Every day's counts</summary><table><thead><tr><th>Day</th><th>Dispositions</th><th>Passed</th><th>Yield</th><th>Limits</th></tr></thead>\
         <tbody>{rows}</tbody></table></details></section>",
        svg::SPC_PLOT_LEFT,
        svg::SPC_PLOT_WIDTH,
        chart.points.len(),
        svg::control_chart(id, &chart),
        pct(Some(chart.center)),
    )
}

/// `GET /plan?target=N`: what a daily target takes.
pub async fn plan(State(dash): State<Arc<Dash>>, headers: HeaderMap, Query(q): Params) -> Response {
    let ctx = signed_in_or_return!(dash, headers);
    let title = "Plan";
    let target = match q.get("target").map(|t| t.trim()).filter(|t| !t.is_empty()) {
        None => None,
        Some(t) => match t.parse::<f64>() {
            Ok(v) if v.is_finite() && v >= 0.0 => Some(v),
            _ => {
                return page_error(
                    &ctx,
                    "/plan",
                    title,
                    StatusCode::BAD_REQUEST,
                    &format!("target: {t:?} is not a number of passes a day (e.g. 3)"),
                );
            }
        },
    };
    let req = PlanRequest {
        target,
        basis: BasisRequest::Auto,
        ..PlanRequest::default()
    };
    let p = match crate::reads::plan(&ctx.served, req).await.and_then(parsed) {
        Ok(p) => p,
        Err(e) => return page_error(&ctx, "/plan", title, e.status, &e.detail),
    };
    let t = f(&p, "target").unwrap_or(0.0);
    let mut b = format!(
        "<form class=\"picker\" method=\"get\" action=\"/plan\"><label>Target: final passes a day <input type=\"number\" name=\"target\" min=\"0\" step=\"any\" value=\"{}\"></label>\
         <button type=\"submit\">Plan</button><span class=\"muted\">measured {} to {} ({} working days) · now {} a day</span></form>",
        num(Some(t), 2),
        esc(s(&p["window"], "from")),
        esc(s(&p["window"], "to")),
        num(f(&p["window"], "working_days"), 0),
        num(f(&p, "current_output_per_day"), 2),
    );
    b.push_str("<table><thead><tr><th>Station</th><th>Yield</th><th>Required passes a day</th><th>Required dispositions a day</th><th>Capacity a day</th><th>Shortfall</th></tr></thead><tbody>");
    for st in arr(&p, "stations") {
        let ok = st["capacity_ok"].as_bool() == Some(true);
        let _ = write!(
            b,
            "<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            if ok { "" } else { " class=\"flag\"" },
            esc(s(st, "id")),
            pct(f(st, "yield")),
            num(f(st, "required_passes_per_day"), 1),
            num(f(st, "required_dispositions_per_day"), 1),
            num(f(st, "capacity_per_day"), 0),
            if ok {
                "none".to_owned()
            } else {
                format!("{} a day", num(f(st, "extra_capacity_needed"), 1))
            },
        );
    }
    let mc = &p["monte_carlo"];
    let _ = write!(
        b,
        "</tbody></table><section class=\"tiles\"><div class=\"tile\"><h2>Fresh targets</h2><p class=\"big\">{} <small>a day</small></p>\
         <p>{} fresh available · {} days to exhaustion</p></div>\
         <div class=\"tile\"><h2>Chance to hit the target</h2><p class=\"big\">{}</p><p>{} runs, seed {}</p></div>\
         <div class=\"tile wide\"><h2>Daily output (Monte Carlo)</h2><p>p10 {} · median {} · p90 {} · mean {}</p>{}</div></section>",
        num(f(&p, "fresh_per_day"), 1),
        num(f(&p, "fresh_available"), 0),
        num(f(&p, "days_to_exhaustion"), 1),
        pct(f(mc, "chance_to_hit")),
        num(f(mc, "runs"), 0),
        num(f(mc, "seed"), 0),
        num(f(mc, "p10"), 1),
        num(f(mc, "p50"), 1),
        num(f(mc, "p90"), 1),
        num(f(mc, "mean"), 2),
        svg::range_chart(
            "Monte Carlo daily output",
            f(mc, "p10").unwrap_or(0.0),
            f(mc, "p50").unwrap_or(0.0),
            f(mc, "p90").unwrap_or(0.0),
            f(mc, "mean").unwrap_or(0.0),
            t
        ),
    );
    for n in arr(&p, "notes").iter().chain(arr(&p, "lag_notes")) {
        let _ = write!(b, "<p class=\"muted\">{}</p>", esc(&html::scalar(n)));
    }
    page(&ctx, "/plan", title, &b)
}

async fn watch_json(ctx: &Ctx) -> Result<Value, ApiError> {
    let horizon = yieldline_app::analysis::DEFAULT_HORIZON_DAYS;
    parsed(crate::reads::watch(&ctx.served, None, horizon, BasisRequest::Auto).await?)
}

/// A before → after pair among a signal's figures, for its small trend.
fn trend_of(figures: &Value) -> Option<(String, f64, f64)> {
    let obj = figures.as_object()?;
    let pairs = [
        ("_prior", "_recent"),
        ("first_week_", "latest_week_"),
        ("_28d_ago", ""),
    ];
    for (k, v) in obj {
        for (a, b) in pairs {
            let other = if let Some(stem) = k.strip_suffix(a).filter(|_| a.starts_with('_')) {
                format!("{stem}{b}")
            } else if let Some(stem) = k.strip_prefix(a) {
                format!("{b}{stem}")
            } else {
                continue;
            };
            if let (Some(x), Some(y)) = (v.as_f64(), obj.get(&other).and_then(Value::as_f64)) {
                return Some((other.replace('_', " "), x, y));
            }
        }
    }
    None
}

/// `GET /watch`: every signal with its evidence and a small trend.
pub async fn watch(State(dash): State<Arc<Dash>>, headers: HeaderMap) -> Response {
    let ctx = signed_in_or_return!(dash, headers);
    let title = "Watch";
    let w = match watch_json(&ctx).await {
        Ok(w) => w,
        Err(e) => return page_error(&ctx, "/watch", title, e.status, &e.detail),
    };
    let mut b = format!(
        "<section class=\"verdict\"><h2>Health: <span class=\"status {h}\">{h}</span></h2><p>{}</p><p class=\"muted\">as of {} · {}</p></section><div class=\"signals\">",
        esc(s(&w, "action")),
        esc(s(&w, "as_of")),
        esc(s(&w["basis"], "reason")),
        h = esc(s(&w, "health")),
    );
    for sg in arr(&w, "signals") {
        let mut figures = String::new();
        if let Some(obj) = sg["figures"].as_object() {
            for (k, v) in obj {
                if v.is_object() || v.is_array() {
                    continue;
                }
                let _ = write!(
                    figures,
                    "<dt>{}</dt><dd>{}</dd>",
                    esc(&k.replace('_', " ")),
                    esc(&html::scalar(v))
                );
            }
        }
        let trend = match trend_of(&sg["figures"]) {
            Some((name, before, after)) => svg::line_chart(
                svg::NARROW,
                &format!("{name}: before and now"),
                &[Series {
                    points: &[("before".to_owned(), before), ("now".to_owned(), after)],
                    name: &name,
                    colour: svg::BLUE,
                }],
                None,
                &|v| html::scalar(&serde_json::json!(v)),
                false,
            ),
            None => String::new(),
        };
        let _ = write!(
            b,
            "<article class=\"signal\"><h2>{} <span class=\"status {st}\">{st}</span></h2><p>{}</p><div class=\"trend\">{trend}</div><dl class=\"figures\">{figures}</dl></article>",
            esc(&s(sg, "name").replace('_', " ")),
            esc(s(sg, "message")),
            st = esc(s(sg, "status")),
        );
    }
    b.push_str("</div>");
    page(&ctx, "/watch", title, &b)
}

/// The day work orders are shown for: `date`, else the report's last day.
async fn orders_day(ctx: &Ctx, q: &HashMap<String, String>) -> Result<Date, ApiError> {
    if let Some(d) = date_param(q, "date").map_err(|m| ApiError::bad_param("date", m))? {
        return Ok(d);
    }
    let r = report(ctx, Period::default()).await?;
    s(&r, "to")
        .parse()
        .or_else(|_| Ok(yieldline_app::experiments::today(&ctx.served.ws.line)))
}

async fn dispatch_bytes(ctx: &Ctx, date: Date, csv: bool) -> Result<axum::body::Bytes, ApiError> {
    crate::reads::dispatch(&ctx.served, date, csv).await
}

/// `GET /orders?date=D`: the day's work orders per station.
pub async fn orders(
    State(dash): State<Arc<Dash>>,
    headers: HeaderMap,
    Query(q): Params,
) -> Response {
    let ctx = signed_in_or_return!(dash, headers);
    let title = "Work orders";
    let date = match orders_day(&ctx, &q).await {
        Ok(d) => d,
        Err(e) => return page_error(&ctx, "/orders", title, e.status, &e.detail),
    };
    let mut b = format!(
        "<form class=\"picker\" method=\"get\" action=\"/orders\"><label>Day <input type=\"date\" name=\"date\" value=\"{date}\"></label>\
         <button type=\"submit\">Show orders</button> <a class=\"button\" href=\"/orders.csv?date={date}\" download>Download CSV</a></form>"
    );
    let d: Value = match dispatch_bytes(&ctx, date, false).await.and_then(|bytes| {
        serde_json::from_slice(&bytes).map_err(|e| ApiError::internal(e.to_string()))
    }) {
        Ok(d) => d,
        Err(e) => {
            b.push_str(&alert(&e.detail));
            let mut r = page(&ctx, "/orders", title, &b);
            *r.status_mut() = e.status;
            return r;
        }
    };
    let mut by_station: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    let orders = arr(&d, "orders");
    for o in orders {
        by_station
            .entry(s(o, "station").to_owned())
            .or_default()
            .push(o);
    }
    let _ = write!(b, "<p>{} orders on {date}.</p>", orders.len());
    for (station, list) in by_station {
        let _ = write!(
            b,
            "<details open><summary><h2>{} <small>{} orders</small></h2></summary><table><thead><tr><th>Unit</th><th>Account</th><th>Operator</th><th>Arm</th><th>Reason</th></tr></thead><tbody>",
            esc(&station),
            list.len()
        );
        for o in list {
            let _ = write!(
                b,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(s(o, "unit_id")),
                esc(s(o, "account_id")),
                esc(s(o, "operator_kind")),
                esc(s(o, "arm")),
                esc(s(o, "reason")),
            );
        }
        b.push_str("</tbody></table></details>");
    }
    page(&ctx, "/orders", title, &b)
}

/// `GET /orders.csv?date=D`: the API's CSV of the day's orders.
pub async fn orders_csv(
    State(dash): State<Arc<Dash>>,
    headers: HeaderMap,
    Query(q): Params,
) -> Response {
    let ctx = signed_in_or_return!(dash, headers);
    let result = match orders_day(&ctx, &q).await {
        Ok(date) => dispatch_bytes(&ctx, date, true).await.map(|b| (date, b)),
        Err(e) => Err(e),
    };
    match result {
        Ok((date, bytes)) => {
            let mut r = (StatusCode::OK, bytes).into_response();
            let h = r.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            );
            if let Ok(v) =
                HeaderValue::from_str(&format!("attachment; filename=\"orders-{date}.csv\""))
            {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            r
        }
        Err(e) => html::error_page(e.status, &e.detail),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signals_trend_pairs_its_before_and_now_figures() {
        let prior = serde_json::json!({"booked_prior": 66, "booked_recent": 52, "p_value": 1.0});
        assert_eq!(
            trend_of(&prior),
            Some(("booked recent".to_owned(), 66.0, 52.0))
        );
        let ago =
            serde_json::json!({"burned": 800, "burned_share": 0.03, "burned_share_28d_ago": 0.02});
        assert_eq!(
            trend_of(&ago),
            Some(("burned share".to_owned(), 0.02, 0.03))
        );
        let weeks = serde_json::json!({"first_week_yield": 0.097, "latest_week_yield": 0.086});
        assert_eq!(
            trend_of(&weeks),
            Some(("latest week yield".to_owned(), 0.097, 0.086))
        );
        assert_eq!(trend_of(&serde_json::json!({"share": 0.0})), None);
    }
}

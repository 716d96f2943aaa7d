//! The routes: authorization, parameters, one application call each, and the response.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use yieldline_app::analysis::{
    BasisRequest, ChartRequest, DriftRequest, PlanRequest, StationChart,
};
use yieldline_app::experiments::ExperimentRequest;
use yieldline_app::import::{EventFormat, ImportKind, ImportRequest, ImportSummary};
use yieldline_app::privacy::{self, EntryView, Erased, Target};
use yieldline_app::tokens::{self, Role, TokenInfo};
use yieldline_app::{AppError, render};
use yieldline_core::report::Period;
use yieldline_store::Added;

use crate::error::{ApiError, Problem};
use crate::schemas::*;
use crate::state::{Served, ServerState, blocking};

/// The state every handler gets.
pub type Shared = Arc<ServerState>;

/// A request's token, checked against the workspace it names.
struct Authed {
    served: Arc<Served>,
    token: TokenInfo,
}

fn bearer(headers: &HeaderMap) -> Result<String, ApiError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized("send `Authorization: Bearer TOKEN`"))?;
    let text = value
        .to_str()
        .map_err(|_| ApiError::unauthorized("the Authorization header is not text"))?;
    match text.trim().split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(token.trim().to_owned())
        }
        _ => Err(ApiError::unauthorized(
            "the Authorization header must be `Bearer TOKEN`",
        )),
    }
}

/// Checks the request's token: 401 when it is missing or no served workspace knows it,
/// 404 (exactly as for a workspace that does not exist) when it belongs to another
/// workspace than `ws`, 403 when its role may not do what `needed` may.
async fn authorize(
    state: &Shared,
    ws: &str,
    headers: &HeaderMap,
    needed: Role,
) -> Result<Authed, ApiError> {
    let secret = bearer(headers)?;
    let mut order: Vec<Arc<Served>> = Vec::with_capacity(state.workspaces.len());
    if let Some(s) = state.workspaces.get(ws) {
        order.push(s.clone());
    }
    order.extend(state.workspaces.values().filter(|s| s.name != ws).cloned());
    let found = blocking(move || {
        for s in order {
            if let Some(t) = tokens::authenticate(&s.ws, &secret)? {
                return Ok(Some((s, t)));
            }
        }
        Ok(None)
    })
    .await?;
    let Some((served, token)) = found else {
        return Err(ApiError::unauthorized("unknown or revoked token"));
    };
    if served.name != ws {
        return Err(ApiError::not_found());
    }
    if !token.role.allows(needed) {
        return Err(ApiError::forbidden(format!(
            "token {:?} has role {}; this needs {}",
            token.name,
            token.role.as_str(),
            needed.as_str()
        )));
    }
    Ok(Authed { served, token })
}

/// The workspace name of the path (an undecodable path is a route that does not exist).
fn ws_name(p: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    p.map(|Path(ws)| ws).map_err(|_| ApiError::not_found())
}

fn ws_and_id(
    p: Result<Path<(String, String)>, PathRejection>,
) -> Result<(String, String), ApiError> {
    p.map(|Path(v)| v).map_err(|_| ApiError::not_found())
}

/// Query parameters, each at most once, none but `allowed`.
struct Query(HashMap<String, String>);

impl Query {
    fn parse(raw: Option<String>, allowed: &[&str]) -> Result<Self, ApiError> {
        let pairs: Vec<(String, String)> = match raw.as_deref() {
            None | Some("") => Vec::new(),
            Some(q) => serde_urlencoded::from_str(q).map_err(|e| {
                ApiError::bad_param("query", format!("the query string is malformed: {e}"))
            })?,
        };
        let mut map = HashMap::new();
        for (k, v) in pairs {
            if !allowed.contains(&k.as_str()) {
                return Err(ApiError::bad_param(
                    &k,
                    format!(
                        "unknown parameter {k:?} (this route takes: {})",
                        if allowed.is_empty() {
                            "none".to_owned()
                        } else {
                            allowed.join(", ")
                        }
                    ),
                ));
            }
            if map.insert(k.clone(), v).is_some() {
                return Err(ApiError::bad_param(
                    &k,
                    format!("{k} is given more than once"),
                ));
            }
        }
        Ok(Self(map))
    }

    /// `basis`: auto (default), period or cohort.
    fn basis(&self) -> Result<BasisRequest, ApiError> {
        match self.0.get("basis").map(String::as_str) {
            None | Some("auto") => Ok(BasisRequest::Auto),
            Some("period") => Ok(BasisRequest::Period),
            Some("cohort") => Ok(BasisRequest::Cohort),
            Some(other) => Err(ApiError::bad_param(
                "basis",
                format!("basis {other:?}: give auto, period or cohort"),
            )),
        }
    }

    fn text(&self, name: &str) -> Option<String> {
        self.0.get(name).cloned()
    }

    fn date(&self, name: &str) -> Result<Option<Date>, ApiError> {
        self.0
            .get(name)
            .map(|v| {
                v.parse::<Date>().map_err(|_| {
                    ApiError::bad_param(name, format!("{name}: {v:?} is not a date (YYYY-MM-DD)"))
                })
            })
            .transpose()
    }

    fn number<T: FromStr>(&self, name: &str, what: &str) -> Result<Option<T>, ApiError> {
        self.0
            .get(name)
            .map(|v| {
                v.trim()
                    .parse::<T>()
                    .map_err(|_| ApiError::bad_param(name, format!("{name}: {v:?} is not {what}")))
            })
            .transpose()
    }
}

fn json_response(status: StatusCode, bytes: impl Into<Body>) -> Response {
    let mut r = (status, bytes.into()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

fn ok_json(bytes: Bytes) -> Response {
    json_response(StatusCode::OK, bytes)
}

fn render_json(value: &impl Serialize) -> Result<Bytes, ApiError> {
    Ok(Bytes::from(render::json(value)?))
}

/// Reads a whole body of at most `limit` bytes.
async fn read_body(body: Body, headers: &HeaderMap, limit: u64) -> Result<Vec<u8>, ApiError> {
    if content_length(headers).is_some_and(|n| n > limit) {
        return Err(ApiError::too_large(limit));
    }
    let mut body = body;
    let mut out = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_body",
                format!("cannot read the body: {e}"),
            )
        })?;
        if let Ok(data) = frame.into_data() {
            if out.len() as u64 + data.len() as u64 > limit {
                return Err(ApiError::too_large(limit));
            }
            out.extend_from_slice(&data);
        }
    }
    Ok(out)
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// The first `name` quoted in backticks in a serde message (`unknown field `x``).
fn quoted_field(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(message[start..start + len].to_owned())
}

/// Parses a JSON body of at most the JSON limit: 400 when it is not JSON, 422 (naming
/// the field) when it does not fit the request's schema.
async fn json_body<T: for<'de> Deserialize<'de>>(
    state: &Shared,
    headers: &HeaderMap,
    body: Body,
) -> Result<T, ApiError> {
    let bytes = read_body(body, headers, state.limits.json_body).await?;
    serde_json::from_slice(&bytes).map_err(|e| {
        let message = e.to_string();
        let (status, code) = if e.is_syntax() || e.is_eof() {
            (StatusCode::BAD_REQUEST, "invalid_json")
        } else {
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_body")
        };
        ApiError {
            param: quoted_field(&message),
            ..ApiError::new(status, code, format!("the body: {message}"))
        }
    })
}

fn body_error(e: AppError) -> ApiError {
    ApiError::from_app(e, true)
}

// -- unauthenticated routes -----------------------------------------------------------

/// Whether the server is up.
#[utoipa::path(get, path = "/healthz", tag = "server",
    responses((status = 200, description = "The server is up", body = Health)))]
pub async fn healthz() -> Response {
    json_response(StatusCode::OK, "{\"status\":\"ok\"}\n")
}

/// The health body.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// Always `ok`.
    pub status: String,
}

/// This API's OpenAPI document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "server",
    responses((status = 200, description = "The OpenAPI 3.1 document of this API", content_type = "application/json")))]
pub async fn openapi_json() -> Response {
    json_response(StatusCode::OK, crate::openapi::document())
}

// -- analyses -------------------------------------------------------------------------

/// The line's measurements over a period (default: first to last event day).
#[utoipa::path(get, path = "/api/v1/workspaces/{ws}/report", tag = "analysis",
    params(
        ("ws" = String, Path, description = "The workspace's name"),
        ("from" = Option<String>, Query, format = Date, description = "First day (YYYY-MM-DD, in the line's time zone)"),
        ("to" = Option<String>, Query, format = Date, description = "Last day"),
        ("as_of" = Option<String>, Query, format = Date, description = "Follow cohorts to the end of this day (default: the latest event)"),
    ),
    responses((status = 200, description = "The report (as `report --format json`)", body = ReportBody), crate::openapi::ReadErrors),
    security(("bearer" = [])))]
pub async fn report(
    State(state): State<Shared>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let a = authorize(&state, &ws_name(path)?, &headers, Role::Viewer).await?;
    let q = Query::parse(raw, &["from", "to", "as_of"])?;
    let period = Period {
        from: q.date("from")?,
        to: q.date("to")?,
    };
    let as_of = q.date("as_of")?;
    let key = format!("report|{:?}|{:?}|{as_of:?}", period.from, period.to);
    let bytes = a
        .served
        .cached(key, move |ws| {
            render::json(&yieldline_app::analysis::report_at(ws, period, as_of)?)
        })
        .await?;
    Ok(ok_json(bytes))
}

/// Control charts and run rules for every station's yield (or one station's).
#[utoipa::path(get, path = "/api/v1/workspaces/{ws}/drift", tag = "analysis",
    params(
        ("ws" = String, Path, description = "The workspace's name"),
        ("station" = Option<String>, Query, description = "Only this station"),
        ("chart" = Option<String>, Query, description = "auto (default), p, laney or ewma"),
        ("period" = Option<String>, Query, description = "day (default) or week"),
        ("baseline" = Option<String>, Query, description = "Baseline window FROM..TO (dates)"),
        ("from" = Option<String>, Query, format = Date, description = "First day charted"),
        ("to" = Option<String>, Query, format = Date, description = "Last day charted"),
    ),
    responses((status = 200, description = "The charts (as `drift --format json`)", body = DriftBody), crate::openapi::ReadErrors),
    security(("bearer" = [])))]
pub async fn drift(
    State(state): State<Shared>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let a = authorize(&state, &ws_name(path)?, &headers, Role::Viewer).await?;
    let q = Query::parse(
        raw,
        &["station", "chart", "period", "baseline", "from", "to"],
    )?;
    let chart = match q.text("chart").as_deref() {
        None | Some("auto") => ChartRequest::Auto,
        Some("p") => ChartRequest::P,
        Some("laney") => ChartRequest::Laney,
        Some("ewma") => ChartRequest::Ewma,
        Some(other) => {
            return Err(ApiError::bad_param(
                "chart",
                format!("chart {other:?}: use auto, p, laney or ewma"),
            ));
        }
    };
    let weekly = match q.text("period").as_deref() {
        None | Some("day") => false,
        Some("week") => true,
        Some(other) => {
            return Err(ApiError::bad_param(
                "period",
                format!("period {other:?}: use day or week"),
            ));
        }
    };
    let req = DriftRequest {
        station: q.text("station"),
        chart,
        baseline: q.text("baseline"),
        weekly,
        from: q.date("from")?,
        to: q.date("to")?,
        lambda: Some(0.2),
        ewma_l: Some(3.0),
    };
    let key = format!("drift|{req:?}");
    let bytes = a
        .served
        .cached(key, move |ws| {
            let d = yieldline_app::analysis::drift(ws, &req)?;
            if req.station.is_some()
                && let Some(StationChart {
                    id, error: Some(e), ..
                }) = d.stations.first()
            {
                return Err(AppError::invalid("station", format!("station {id}: {e}")));
            }
            render::json(&d)
        })
        .await?;
    Ok(ok_json(bytes))
}

/// What a daily target takes at each station, and a Monte Carlo chance of hitting it.
#[utoipa::path(get, path = "/api/v1/workspaces/{ws}/plan", tag = "analysis",
    params(
        ("ws" = String, Path, description = "The workspace's name"),
        ("target" = Option<f64>, Query, description = "Final passes per working day (default: the line's target)"),
        ("from" = Option<String>, Query, format = Date, description = "First day measured"),
        ("to" = Option<String>, Query, format = Date, description = "Last day measured"),
        ("runs" = Option<u32>, Query, minimum = 1, maximum = 1000000, description = "Monte Carlo runs (default 10000)"),
        ("seed" = Option<u64>, Query, description = "Monte Carlo seed (default 1)"),
        ("basis" = Option<String>, Query, description = "auto (default), period or cohort: what the yields are measured on"),
    ),
    responses((status = 200, description = "The plan (as `plan --format json`)", body = PlanBody), crate::openapi::ReadErrors),
    security(("bearer" = [])))]
pub async fn plan(
    State(state): State<Shared>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let a = authorize(&state, &ws_name(path)?, &headers, Role::Viewer).await?;
    let q = Query::parse(raw, &["target", "from", "to", "runs", "seed", "basis"])?;
    let d = PlanRequest::default();
    let runs: u32 = q.number("runs", "a whole number")?.unwrap_or(d.runs);
    if !(1..=1_000_000).contains(&runs) {
        return Err(ApiError::bad_param(
            "runs",
            format!("runs {runs}: give 1 to 1000000"),
        ));
    }
    let target: Option<f64> = q.number("target", "a number")?;
    if target.is_some_and(|t| !t.is_finite()) {
        return Err(ApiError::bad_param(
            "target",
            "target: give a finite number",
        ));
    }
    let req = PlanRequest {
        target,
        from: q.date("from")?,
        to: q.date("to")?,
        runs,
        seed: q.number("seed", "a whole number")?.unwrap_or(d.seed),
        basis: q.basis()?,
    };
    let key = format!("plan|{req:?}");
    let bytes = a
        .served
        .cached(key, move |ws| {
            render::json(&yieldline_app::analysis::plan(ws, req)?)
        })
        .await?;
    Ok(ok_json(bytes))
}

/// The toxic-automation watch.
#[utoipa::path(get, path = "/api/v1/workspaces/{ws}/watch", tag = "analysis",
    params(
        ("ws" = String, Path, description = "The workspace's name"),
        ("as_of" = Option<String>, Query, format = Date, description = "The day to look back from (default: the last event's day)"),
        ("horizon" = Option<f64>, Query, description = "Working days of fresh territory below which the burn signal warns (default 90)"),
        ("basis" = Option<String>, Query, description = "auto (default), period or cohort: what depletion and dilution are measured on"),
    ),
    responses((status = 200, description = "The watch (as `watch --format json`)", body = WatchBody), crate::openapi::ReadErrors),
    security(("bearer" = [])))]
pub async fn watch(
    State(state): State<Shared>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let a = authorize(&state, &ws_name(path)?, &headers, Role::Viewer).await?;
    let q = Query::parse(raw, &["as_of", "horizon", "basis"])?;
    let basis = q.basis()?;
    let as_of = q.date("as_of")?;
    let horizon: f64 = q
        .number("horizon", "a number")?
        .unwrap_or(yieldline_app::analysis::DEFAULT_HORIZON_DAYS);
    let key = format!("watch|{as_of:?}|{horizon}|{basis:?}");
    let bytes = a
        .served
        .cached(key, move |ws| {
            render::json(&yieldline_app::analysis::watch_on(
                ws, as_of, horizon, basis,
            )?)
        })
        .await?;
    Ok(ok_json(bytes))
}

fn wants_csv(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|m| {
            m.split(';')
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("text/csv"))
        })
}

/// The day's work orders (`Accept: text/csv` for the CLI's CSV).
#[utoipa::path(get, path = "/api/v1/workspaces/{ws}/dispatch", tag = "analysis",
    params(
        ("ws" = String, Path, description = "The workspace's name"),
        ("date" = Option<String>, Query, format = Date, description = "The day (default: today in the line's time zone)"),
    ),
    responses((status = 200, description = "The orders (as `dispatch --format json`, or `--format csv` with `Accept: text/csv`)",
        content((DispatchBody = "application/json"), (String = "text/csv"))), crate::openapi::ReadErrors),
    security(("bearer" = [])))]
pub async fn dispatch(
    State(state): State<Shared>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let a = authorize(&state, &ws_name(path)?, &headers, Role::Viewer).await?;
    let q = Query::parse(raw, &["date"])?;
    let date = match q.date("date")? {
        Some(d) => d,
        None => yieldline_app::experiments::today(&a.served.ws.line),
    };
    let csv = wants_csv(&headers);
    let key = format!("dispatch|{date}|{csv}");
    let bytes = a
        .served
        .cached(key, move |ws| {
            let d = yieldline_app::analysis::dispatch(ws, date)?;
            if csv {
                render::dispatch_csv(&d)
            } else {
                render::json(&d)
            }
        })
        .await?;
    if csv {
        let mut r = (StatusCode::OK, bytes).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/csv; charset=utf-8"),
        );
        return Ok(r);
    }
    Ok(ok_json(bytes))
}

// -- experiments ----------------------------------------------------------------------

/// Every experiment, by start then id.
#[utoipa::path(get, path = "/api/v1/workspaces/{ws}/experiments", tag = "experiments",
    params(("ws" = String, Path, description = "The workspace's name")),
    responses((status = 200, description = "The experiments (as `experiment list --format json`)", body = ExperimentList), crate::openapi::ReadErrors),
    security(("bearer" = [])))]
pub async fn experiments_list(
    State(state): State<Shared>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let a = authorize(&state, &ws_name(path)?, &headers, Role::Viewer).await?;
    Query::parse(raw, &[])?;
    let bytes = a
        .served
        .cached("experiments".into(), |ws| {
            render::json(&yieldline_app::experiments::list(ws)?)
        })
        .await?;
    Ok(ok_json(bytes))
}

/// Defines and stores a new experiment (analyst).
#[utoipa::path(post, path = "/api/v1/workspaces/{ws}/experiments", tag = "experiments",
    params(("ws" = String, Path, description = "The workspace's name")),
    request_body(content = ExperimentRequest, content_type = "application/json"),
    responses((status = 201, description = "Created: the definition", body = ExperimentBody), crate::openapi::WriteErrors),
    security(("bearer" = [])))]
pub async fn experiments_create(
    State(state): State<Shared>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    body: Body,
) -> Result<Response, ApiError> {
    let a = authorize(&state, &ws_name(path)?, &headers, Role::Analyst).await?;
    Query::parse(raw, &[])?;
    let req: ExperimentRequest = json_body(&state, &headers, body).await?;
    let served = a.served.clone();
    let bytes = blocking(move || {
        let def = yieldline_app::experiments::create(&served.ws, &req).map_err(body_error)?;
        render_json(&def)
    })
    .await?;
    Ok(json_response(StatusCode::CREATED, bytes))
}

/// An experiment's analysis as of an instant (default: now).
#[utoipa::path(get, path = "/api/v1/workspaces/{ws}/experiments/{id}/analysis", tag = "experiments",
    params(
        ("ws" = String, Path, description = "The workspace's name"),
        ("id" = String, Path, description = "The experiment's id"),
        ("as_of" = Option<String>, Query, description = "RFC 3339, a date (local midnight) or `now` (default)"),
    ),
    responses((status = 200, description = "The analysis (as `experiment analyze ID --format json`)", body = AnalysisBody), crate::openapi::ReadErrors),
    security(("bearer" = [])))]
pub async fn experiment_analysis(
    State(state): State<Shared>,
    path: Result<Path<(String, String)>, PathRejection>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let (ws, id) = ws_and_id(path)?;
    let a = authorize(&state, &ws, &headers, Role::Viewer).await?;
    let q = Query::parse(raw, &["as_of"])?;
    let as_of_text = q.text("as_of");
    let compute = {
        let id = id.clone();
        let as_of_text = as_of_text.clone();
        move |ws: &yieldline_app::Workspace| {
            let as_of = yieldline_app::experiments::parse_time(
                &ws.line,
                "as_of",
                as_of_text.as_deref().unwrap_or("now"),
            )?;
            render::json(&yieldline_app::experiments::analysis(ws, &id, as_of)?)
        }
    };
    let fixed = as_of_text
        .as_deref()
        .is_some_and(|t| !t.trim().eq_ignore_ascii_case("now"));
    let bytes = if fixed {
        a.served
            .cached(format!("analysis|{id}|{as_of_text:?}"), compute)
            .await?
    } else {
        let served = a.served.clone();
        blocking(move || Ok(Bytes::from(compute(&served.ws)?))).await?
    };
    Ok(ok_json(bytes))
}

/// Stops a running experiment (analyst).
#[utoipa::path(post, path = "/api/v1/workspaces/{ws}/experiments/{id}/stop", tag = "experiments",
    params(
        ("ws" = String, Path, description = "The workspace's name"),
        ("id" = String, Path, description = "The experiment's id"),
        ("at" = Option<String>, Query, description = "When it stopped: RFC 3339, a date (local midnight) or `now` (default)"),
    ),
    responses((status = 200, description = "Stopped: the definition", body = ExperimentBody), crate::openapi::WriteErrors),
    security(("bearer" = [])))]
pub async fn experiment_stop(
    State(state): State<Shared>,
    path: Result<Path<(String, String)>, PathRejection>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let (ws, id) = ws_and_id(path)?;
    let a = authorize(&state, &ws, &headers, Role::Analyst).await?;
    let q = Query::parse(raw, &["at"])?;
    let at = q.text("at").unwrap_or_else(|| "now".to_owned());
    let served = a.served.clone();
    let bytes =
        blocking(move || render_json(&yieldline_app::experiments::stop(&served.ws, &id, &at)?))
            .await?;
    Ok(ok_json(bytes))
}

// -- imports --------------------------------------------------------------------------

fn media_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

/// Streams the body into a temporary file in the workspace's `tmp/` directory, then
/// imports it in one transaction (all or nothing, as `yieldline import`).
async fn import_body(
    state: &Shared,
    a: Authed,
    headers: &HeaderMap,
    body: Body,
    kind: ImportKind,
    format: Option<EventFormat>,
) -> Result<Response, ApiError> {
    let limit = state.limits.import_body;
    if content_length(headers).is_some_and(|n| n > limit) {
        return Err(ApiError::too_large(limit));
    }
    let tmp_dir = a.served.ws.dir.join(crate::UPLOAD_DIR);
    let suffix = match format {
        Some(EventFormat::Jsonl) => ".jsonl",
        _ => ".csv",
    };
    let tmp = blocking(move || {
        std::fs::create_dir_all(&tmp_dir)
            .and_then(|()| {
                tempfile::Builder::new()
                    .prefix(crate::UPLOAD_PREFIX)
                    .suffix(suffix)
                    .tempfile_in(&tmp_dir)
            })
            .map_err(|e| ApiError::internal(format!("cannot make an upload file: {e}")))
    })
    .await?;
    let std_file = tmp
        .reopen()
        .map_err(|e| ApiError::internal(format!("cannot open the upload file: {e}")))?;
    let mut file = tokio::fs::File::from_std(std_file);
    let mut body = body;
    let mut written: u64 = 0;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_body",
                format!("cannot read the body: {e}"),
            )
        })?;
        if let Ok(data) = frame.into_data() {
            written += data.len() as u64;
            if written > limit {
                return Err(ApiError::too_large(limit));
            }
            tokio::io::AsyncWriteExt::write_all(&mut file, &data)
                .await
                .map_err(|e| ApiError::internal(format!("cannot write the upload file: {e}")))?;
        }
    }
    tokio::io::AsyncWriteExt::flush(&mut file)
        .await
        .map_err(|e| ApiError::internal(format!("cannot write the upload file: {e}")))?;
    drop(file);
    let served = a.served.clone();
    let bytes = blocking(move || {
        let path = tmp.path().to_owned();
        let req = ImportRequest {
            files: vec![path.clone()],
            format,
            ..ImportRequest::default()
        };
        let shown = path.display().to_string();
        let hide = |mut e: AppError| {
            e.message = e.message.replace(&shown, "body");
            e.message = e.message.replace(
                " (use --skip-bad --rejects FILE to import the good rows)",
                "",
            );
            body_error(e)
        };
        let report =
            yieldline_app::import::import(&served.ws, kind, &req, &mut |_, _| {}).map_err(hide)?;
        if let Some(e) = report.failure {
            return Err(hide(e));
        }
        let record = report
            .summary(0)
            .ok_or_else(|| ApiError::internal("the import reported no file"))?;
        drop(tmp);
        render_json(&record)
    })
    .await?;
    Ok(ok_json(bytes))
}

/// Imports activity events (analyst): JSON Lines or CSV with a header, validated,
/// idempotent and all-or-nothing as `yieldline import events`.
#[utoipa::path(post, path = "/api/v1/workspaces/{ws}/events", tag = "imports",
    params(("ws" = String, Path, description = "The workspace's name")),
    request_body(description = "Events: CSV with a header row, or JSON Lines (at most 256 MiB)",
        content((String = "text/csv"), (String = "application/x-ndjson"))),
    responses((status = 200, description = "Imported: the counts", body = ImportSummary), crate::openapi::ImportErrors),
    security(("bearer" = [])))]
pub async fn events(
    State(state): State<Shared>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    body: Body,
) -> Result<Response, ApiError> {
    let a = authorize(&state, &ws_name(path)?, &headers, Role::Analyst).await?;
    Query::parse(raw, &[])?;
    let format = match media_type(&headers).as_str() {
        "text/csv" => EventFormat::Csv,
        "application/x-ndjson" | "application/jsonl" | "application/jsonlines" => {
            EventFormat::Jsonl
        }
        other => {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                format!("content type {other:?}: send text/csv or application/x-ndjson"),
            ));
        }
    };
    import_body(&state, a, &headers, body, ImportKind::Events, Some(format)).await
}

/// Imports territory contacts (analyst): CSV, as `yieldline import territory`.
#[utoipa::path(post, path = "/api/v1/workspaces/{ws}/territory", tag = "imports",
    params(("ws" = String, Path, description = "The workspace's name")),
    request_body(description = "Contacts: CSV with contact_id,account_id[,fit_tier,first_name,last_name,email,title] (at most 256 MiB)",
        content((String = "text/csv"))),
    responses((status = 200, description = "Imported: the counts", body = ImportSummary), crate::openapi::ImportErrors),
    security(("bearer" = [])))]
pub async fn territory(
    State(state): State<Shared>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    body: Body,
) -> Result<Response, ApiError> {
    let a = authorize(&state, &ws_name(path)?, &headers, Role::Analyst).await?;
    Query::parse(raw, &[])?;
    if media_type(&headers) != "text/csv" {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the territory as text/csv",
        ));
    }
    import_body(&state, a, &headers, body, ImportKind::Territory, None).await
}

// -- suppression and erasure ----------------------------------------------------------

/// Every suppression entry, by kind then target.
#[utoipa::path(get, path = "/api/v1/workspaces/{ws}/suppressions", tag = "privacy",
    params(("ws" = String, Path, description = "The workspace's name")),
    responses((status = 200, description = "The entries (as `suppress list --format json`)", body = Vec<EntryView>), crate::openapi::ReadErrors),
    security(("bearer" = [])))]
pub async fn suppressions_list(
    State(state): State<Shared>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let a = authorize(&state, &ws_name(path)?, &headers, Role::Viewer).await?;
    Query::parse(raw, &[])?;
    let bytes = a
        .served
        .cached("suppressions".into(), |ws| {
            render::json(&privacy::entry_views(ws)?)
        })
        .await?;
    Ok(ok_json(bytes))
}

/// A suppression to add.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuppressionRequest {
    /// `contact`, `email` or `domain`.
    pub kind: String,
    /// The contact id, e-mail address or domain.
    pub target: String,
    /// Why (kept with the entry).
    pub reason: String,
    /// Who asks (default: `token:NAME` of the request's token).
    #[serde(default)]
    pub by: Option<String>,
}

fn target_of(kind: &str, target: &str, hash_allowed: bool) -> Result<Target, AppError> {
    match kind {
        "contact" => Ok(Target::Contact(target.to_owned())),
        "email" => Ok(Target::Email(target.to_owned())),
        "domain" => Ok(Target::Domain(target.to_owned())),
        "erased" if hash_allowed => Ok(Target::Hash(target.to_owned())),
        other => Err(AppError::invalid(
            "kind",
            format!("kind {other:?}: use contact, email or domain"),
        )),
    }
}

fn actor(token: &TokenInfo, by: Option<&str>) -> String {
    match by.map(str::trim).filter(|b| !b.is_empty()) {
        Some(b) => format!("{b} (token:{})", token.name),
        None => format!("token:{}", token.name),
    }
}

/// Suppresses a contact, an e-mail address or a domain (analyst). 201 when new, 200
/// when it was suppressed already (the entry is unchanged).
#[utoipa::path(post, path = "/api/v1/workspaces/{ws}/suppressions", tag = "privacy",
    params(("ws" = String, Path, description = "The workspace's name")),
    request_body(content = SuppressionRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Suppressed: the entry", body = EntryView),
        (status = 200, description = "Suppressed already: the existing entry", body = EntryView),
        crate::openapi::WriteErrors),
    security(("bearer" = [])))]
pub async fn suppressions_add(
    State(state): State<Shared>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    body: Body,
) -> Result<Response, ApiError> {
    let a = authorize(&state, &ws_name(path)?, &headers, Role::Analyst).await?;
    Query::parse(raw, &[])?;
    let req: SuppressionRequest = json_body(&state, &headers, body).await?;
    let by = actor(&a.token, req.by.as_deref());
    let served = a.served.clone();
    let (status, bytes) = blocking(move || {
        let t = target_of(&req.kind, &req.target, false).map_err(body_error)?;
        let (kind, canonical, added) =
            privacy::suppress(&served.ws, &t, &by, &req.reason).map_err(body_error)?;
        let (status, entry) = match added {
            Added::Exists(e) => (StatusCode::OK, EntryView::from(&e)),
            Added::New => {
                let entry = privacy::entries(&served.ws)?
                    .iter()
                    .find(|e| e.kind == kind && e.target == canonical)
                    .map(EntryView::from)
                    .ok_or_else(|| ApiError::internal("the new entry was not found"))?;
                (StatusCode::CREATED, entry)
            }
        };
        Ok((status, render_json(&entry)?))
    })
    .await?;
    Ok(json_response(status, bytes))
}

/// Removes a suppression (admin; logged). The id is `KIND:TARGET`, percent-encoded
/// (e.g. `email:ann%40example.com`), KIND one of contact, email, domain or erased.
#[utoipa::path(delete, path = "/api/v1/workspaces/{ws}/suppressions/{id}", tag = "privacy",
    params(
        ("ws" = String, Path, description = "The workspace's name"),
        ("id" = String, Path, description = "KIND:TARGET, percent-encoded"),
        ("reason" = Option<String>, Query, description = "Why (kept in the log; default: removed through the HTTP API)"),
        ("by" = Option<String>, Query, description = "Who asks (default: the token's name)"),
    ),
    responses((status = 200, description = "Removed: the entry as it was", body = EntryView), crate::openapi::WriteErrors),
    security(("bearer" = [])))]
pub async fn suppressions_remove(
    State(state): State<Shared>,
    path: Result<Path<(String, String)>, PathRejection>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let (ws, id) = ws_and_id(path)?;
    let a = authorize(&state, &ws, &headers, Role::Admin).await?;
    let q = Query::parse(raw, &["reason", "by"])?;
    let Some((kind, target)) = id.split_once(':') else {
        return Err(ApiError::bad_param(
            "id",
            format!("id {id:?}: give KIND:TARGET, e.g. email:ann@example.com"),
        ));
    };
    let t = target_of(kind, target, true).map_err(|e| ApiError {
        param: Some("id".into()),
        ..ApiError::from(e)
    })?;
    let reason = q
        .text("reason")
        .unwrap_or_else(|| "removed through the HTTP API".to_owned());
    let by = actor(&a.token, q.text("by").as_deref());
    let served = a.served.clone();
    let bytes = blocking(move || {
        let (_, _, e) = privacy::unsuppress(&served.ws, &t, &by, &reason)?;
        render_json(&EntryView::from(&e))
    })
    .await?;
    Ok(ok_json(bytes))
}

/// A person to erase.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ErasureRequest {
    /// The person: a contact id or an e-mail address.
    pub who: String,
    /// Why (e.g. the request's reference; logged, redacted if it names the person).
    #[serde(default)]
    pub reason: Option<String>,
    /// Who asks (default: `token:NAME`).
    #[serde(default)]
    pub by: Option<String>,
}

/// What an erasure did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErasureResult {
    /// `erased`, or `erased_before` (nothing left to remove; the store was compacted).
    pub status: String,
    /// Territory contacts anonymised.
    pub contacts: u64,
    /// Units re-keyed.
    pub units: u64,
    /// Events kept without personal data.
    pub events: u64,
    /// The salted hashes now suppressed.
    pub hashes: Vec<String>,
    /// Whether the write-ahead log could be truncated (else old pages stay in it until
    /// its next checkpoint).
    pub wal_truncated: bool,
    /// Files in the workspace directory that still name the person (the store no longer
    /// does): delete or edit them.
    pub files_still_naming: Vec<String>,
}

/// Erases a person's personal data and compacts the store (admin).
#[utoipa::path(post, path = "/api/v1/workspaces/{ws}/erasures", tag = "privacy",
    params(("ws" = String, Path, description = "The workspace's name")),
    request_body(content = ErasureRequest, content_type = "application/json"),
    responses((status = 200, description = "Erased", body = ErasureResult), crate::openapi::WriteErrors),
    security(("bearer" = [])))]
pub async fn erasures(
    State(state): State<Shared>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    body: Body,
) -> Result<Response, ApiError> {
    let a = authorize(&state, &ws_name(path)?, &headers, Role::Admin).await?;
    Query::parse(raw, &[])?;
    let req: ErasureRequest = json_body(&state, &headers, body).await?;
    let by = actor(&a.token, req.by.as_deref());
    let served = a.served.clone();
    let bytes = blocking(move || {
        let reason = req.reason.as_deref().unwrap_or("erasure request");
        let out = match privacy::erase(&served.ws, &req.who, &by, reason).map_err(|e| {
            if e.kind == yieldline_app::ErrorKind::Invalid {
                body_error(e)
            } else {
                ApiError::from(e)
            }
        })? {
            Erased::Now(e, c, files) => ErasureResult {
                files_still_naming: files.iter().map(|f| f.display().to_string()).collect(),
                status: "erased".into(),
                contacts: e.contacts,
                units: e.units,
                events: e.events,
                hashes: e.hashes,
                wal_truncated: c.wal_truncated,
            },
            Erased::Before(c) => ErasureResult {
                status: "erased_before".into(),
                contacts: 0,
                units: 0,
                events: 0,
                hashes: Vec::new(),
                wal_truncated: c.wal_truncated,
                files_still_naming: Vec::new(),
            },
        };
        render_json(&out)
    })
    .await?;
    Ok(ok_json(bytes))
}

/// The problem body of a route that does not exist.
pub async fn fallback() -> ApiError {
    ApiError::not_found()
}

/// The problem body of a method a route does not take.
pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not take that method",
    )
}

/// Used by the OpenAPI document's error responses.
pub type ProblemBody = Problem;

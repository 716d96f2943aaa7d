//! The routes: authorization ([`Access`]), parameters, one application call each, and
//! the response. Reads are in [`read`], writes (JSON bodies and imports) in [`write`].

mod read;
mod write;

pub use read::*;
pub use write::*;

use std::collections::HashMap;
use std::marker::PhantomData;
use std::str::FromStr;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use yieldline_app::analysis::BasisRequest;
use yieldline_app::tokens::{self, Role, TokenInfo};
use yieldline_app::{AppError, AppResult, Workspace, render};

use crate::error::{ApiError, Problem};
use crate::state::{Served, ServerState, blocking};

/// The state every handler gets.
pub type Shared = Arc<ServerState>;

/// The least role a route needs, as a type parameter of [`Access`].
pub trait Needs: Send + Sync + 'static {
    /// The role.
    const ROLE: Role;
}

/// Routes every token may call.
#[derive(Debug)]
pub struct Viewer;
/// Routes that write data (analyst or admin tokens).
#[derive(Debug)]
pub struct Analyst;
/// Routes that remove suppressions or erase people (admin tokens).
#[derive(Debug)]
pub struct Admin;

impl Needs for Viewer {
    const ROLE: Role = Role::Viewer;
}
impl Needs for Analyst {
    const ROLE: Role = Role::Analyst;
}
impl Needs for Admin {
    const ROLE: Role = Role::Admin;
}

/// A request whose bearer token may do what `R` needs in the workspace `{ws}` of its
/// path: 404 when the path does not decode, then as [`authorize`]. It keeps the
/// request's `{id}` segment, headers and query string for the handler.
pub struct Access<R> {
    served: Arc<Served>,
    token: TokenInfo,
    state: Shared,
    id: String,
    headers: HeaderMap,
    raw_query: Option<String>,
    role: PhantomData<R>,
}

impl<R: Needs> FromRequestParts<Shared> for Access<R> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Shared) -> Result<Self, ApiError> {
        let Path(mut segments) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::not_found())?;
        let ws = segments.remove("ws").ok_or_else(ApiError::not_found)?;
        let (served, token) = authorize(state, &ws, &parts.headers, R::ROLE).await?;
        Ok(Self {
            served,
            token,
            state: state.clone(),
            id: segments.remove("id").unwrap_or_default(),
            headers: parts.headers.clone(),
            raw_query: parts.uri.query().map(str::to_owned),
            role: PhantomData,
        })
    }
}

impl<R> Access<R> {
    /// The query parameters, none but `allowed`.
    fn query(&self, allowed: &[&str]) -> Result<Query, ApiError> {
        Query::parse(self.raw_query.clone(), allowed)
    }

    /// Rejects any query parameter.
    fn no_query(&self) -> Result<(), ApiError> {
        self.query(&[]).map(drop)
    }

    /// 200 with the JSON `compute` renders, cached per store generation under `key`.
    async fn cached_json(
        &self,
        key: String,
        compute: impl FnOnce(&Workspace) -> AppResult<Vec<u8>> + Send + 'static,
    ) -> Result<Response, ApiError> {
        Ok(ok_json(self.served.cached(key, compute).await?))
    }

    /// Runs `f` on the workspace off the async workers.
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Workspace) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let served = self.served.clone();
        blocking(move || f(&served.ws)).await
    }

    /// 200 with `f`'s value as JSON, computed off the async workers (never cached).
    async fn run_json<T: Serialize>(
        &self,
        f: impl FnOnce(&Workspace) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<Response, ApiError> {
        let bytes = self.run(move |ws| render_json(&f(ws)?)).await?;
        Ok(ok_json(bytes))
    }

    /// The JSON body, as [`json_body`].
    async fn json_body<T: for<'de> Deserialize<'de>>(&self, body: Body) -> Result<T, ApiError> {
        json_body(&self.state, &self.headers, body).await
    }

    /// Who asks: `by` with the token's name, or `token:NAME`.
    fn actor(&self, by: Option<&str>) -> String {
        match by.map(str::trim).filter(|b| !b.is_empty()) {
            Some(b) => format!("{b} (token:{})", self.token.name),
            None => format!("token:{}", self.token.name),
        }
    }
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
) -> Result<(Arc<Served>, TokenInfo), ApiError> {
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
    Ok((served, token))
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
    let mut read: u64 = 0;
    while let Some(data) = next_chunk(&mut body, &mut read, limit).await? {
        out.extend_from_slice(&data);
    }
    Ok(out)
}

/// The body's next data, counted in `read`: 413 once more than `limit` bytes came.
async fn next_chunk(
    body: &mut Body,
    read: &mut u64,
    limit: u64,
) -> Result<Option<Bytes>, ApiError> {
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_body",
                format!("cannot read the body: {e}"),
            )
        })?;
        if let Ok(data) = frame.into_data() {
            *read += data.len() as u64;
            if *read > limit {
                return Err(ApiError::too_large(limit));
            }
            return Ok(Some(data));
        }
    }
    Ok(None)
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

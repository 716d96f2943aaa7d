//! Errors as RFC 9457 problem details (`application/problem+json`), each with a stable
//! `code`, and how [`AppError`]'s kinds map to HTTP statuses.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use yieldline_app::{AppError, ErrorKind};

tokio::task_local! {
    /// The id of the request being served (set by the server's request-id layer).
    pub static REQUEST_ID: String;
}

/// Seconds a client is told to wait (`Retry-After`) when the store is busy.
pub const RETRY_AFTER_SECS: u64 = 5;

/// The media type of error bodies.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// A problem details body (RFC 9457) with Yieldline's extension members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the problem type (`urn:yieldline:problem:CODE`).
    #[serde(rename = "type")]
    pub type_: String,
    /// A short summary of the problem type.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong, for people.
    pub detail: String,
    /// A stable, machine-readable code (`invalid_parameter`, `invalid_row`, `unauthorized`, …).
    pub code: String,
    /// The query parameter or body field at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub param: Option<String>,
    /// The 1-based line of the body at fault (imports).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// The request's id (on server errors: quote it to whoever runs the server).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// A failed request: a status, a code and a message, rendered as a [`Problem`].
#[derive(Debug, Clone, thiserror::Error)]
#[error("{status} {code}: {detail}")]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The stable code.
    pub code: &'static str,
    /// What went wrong (for a 500: the internal story, logged, never sent).
    pub detail: String,
    /// The parameter or field at fault.
    pub param: Option<String>,
    /// The line of the body at fault.
    pub line: Option<u64>,
}

impl ApiError {
    /// A problem with this status, code and message.
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            param: None,
            line: None,
        }
    }

    /// 400: a bad query or path parameter, named.
    pub fn bad_param(param: &str, detail: impl Into<String>) -> Self {
        Self {
            param: Some(param.to_owned()),
            ..Self::new(StatusCode::BAD_REQUEST, "invalid_parameter", detail)
        }
    }

    /// 401: no token, or one no served workspace knows.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
    }

    /// 403: the token's role may not do this.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    /// 404: no such workspace or route, in words that tell nothing else (a token of
    /// another workspace gets exactly this).
    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such workspace or resource",
        )
    }

    /// 413: the body is larger than `limit` bytes.
    pub fn too_large(limit: u64) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the body is larger than this route's limit of {limit} bytes"),
        )
    }

    /// 500: something failed inside; `detail` is logged, never sent.
    pub fn internal(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", detail)
    }

    /// The error of a use case: [`ErrorKind`] decides the status. `body` says whether
    /// the request's body (422) rather than its parameters (400) was at fault when the
    /// input is invalid.
    pub fn from_app(e: AppError, body: bool) -> Self {
        let (status, code) = match e.kind {
            ErrorKind::Invalid if e.line.is_some() => {
                (StatusCode::UNPROCESSABLE_ENTITY, "invalid_row")
            }
            ErrorKind::Invalid if body => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"),
            ErrorKind::Invalid => (StatusCode::BAD_REQUEST, "invalid_parameter"),
            ErrorKind::NotFound => (StatusCode::NOT_FOUND, "resource_not_found"),
            ErrorKind::Conflict => (StatusCode::CONFLICT, "conflict"),
            ErrorKind::Busy => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
            ErrorKind::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        };
        Self {
            status,
            code,
            detail: e.message,
            param: e.param,
            line: e.line,
        }
    }

    /// The title of this error's status.
    fn title(&self) -> String {
        self.status.canonical_reason().unwrap_or("Error").to_owned()
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        Self::from_app(e, false)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let request_id = REQUEST_ID.try_with(Clone::clone).ok();
        let internal = self.status.is_server_error() && self.code == "internal";
        let detail = if internal {
            tracing::error!(
                request_id = request_id.as_deref().unwrap_or("-"),
                error = %self.detail,
                "internal server error"
            );
            "the server failed to answer this request; it was logged with the request id".to_owned()
        } else {
            self.detail.clone()
        };
        let problem = Problem {
            type_: format!("urn:yieldline:problem:{}", self.code),
            title: self.title(),
            status: self.status.as_u16(),
            detail,
            code: self.code.to_owned(),
            param: self.param.clone(),
            line: self.line,
            request_id: if self.status.is_server_error() {
                request_id
            } else {
                None
            },
        };
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut resp = (self.status, body).into_response();
        let h = resp.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            h.insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            h.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_of(resp: Response) -> serde_json::Value {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let bytes = rt
            .block_on(axum::body::to_bytes(resp.into_body(), 1 << 20))
            .expect("body");
        serde_json::from_slice(&bytes).expect("json")
    }

    #[test]
    fn kinds_map_to_statuses() {
        let cases = [
            (
                AppError::invalid("from", "bad"),
                false,
                400,
                "invalid_parameter",
            ),
            (
                AppError::invalid("weights", "bad"),
                true,
                422,
                "invalid_body",
            ),
            (
                AppError::not_found("gone"),
                false,
                404,
                "resource_not_found",
            ),
            (AppError::conflict("taken"), false, 409, "conflict"),
            (
                AppError::from(yieldline_store::StoreError::Busy {
                    waited_seconds: 1,
                    holder: None,
                }),
                false,
                503,
                "busy",
            ),
            (AppError::internal("disk"), false, 500, "internal"),
        ];
        for (e, body, status, code) in cases {
            let a = ApiError::from_app(e, body);
            assert_eq!((a.status.as_u16(), a.code), (status, code));
        }
    }

    #[test]
    fn a_server_error_shows_no_internals_but_its_request_id() {
        let resp = REQUEST_ID.sync_scope("req-42".to_owned(), || {
            ApiError::internal("cannot open /secret/path/yieldline.db").into_response()
        });
        assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            resp.headers()
                .get(header::CONTENT_TYPE)
                .map(|v| v.as_bytes()),
            Some(PROBLEM_JSON.as_bytes())
        );
        let p = body_of(resp);
        assert_eq!(p["request_id"], "req-42");
        assert_eq!(p["code"], "internal");
        assert!(!p.to_string().contains("/secret/path"), "{p}");
    }

    #[test]
    fn busy_says_when_to_retry_and_unauthorized_how_to_authenticate() {
        let busy = ApiError::from(AppError::from(yieldline_store::StoreError::Busy {
            waited_seconds: 1,
            holder: None,
        }))
        .into_response();
        assert_eq!(
            busy.headers()
                .get(header::RETRY_AFTER)
                .map(|v| v.as_bytes()),
            Some(&b"5"[..])
        );
        let p = body_of(busy);
        assert!(!p.to_string().contains("database is locked"));
        let unauth = ApiError::unauthorized("x").into_response();
        assert_eq!(
            unauth
                .headers()
                .get(header::WWW_AUTHENTICATE)
                .map(|v| v.as_bytes()),
            Some(&b"Bearer"[..])
        );
        assert!(body_of(unauth).get("request_id").is_none());
    }
}

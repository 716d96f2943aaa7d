//! The OpenAPI document, generated from the routes' annotations. The committed copy
//! (`crates/yieldline-server/openapi.json`) must equal what the server serves: a test
//! fails when they drift; regenerate it with
//! `cargo run -p yieldline-server --bin yieldline-openapi > crates/yieldline-server/openapi.json`.

use std::sync::OnceLock;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::error::Problem;
use crate::routes;

/// Error responses of reads.
#[allow(dead_code)] // a schema-only type
#[derive(utoipa::IntoResponses)]
pub enum ReadErrors {
    /// A query or path parameter is invalid (`param` names it).
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(Problem),
    /// No token, or an unknown or revoked one.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(Problem),
    /// The token's role may not do this.
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
    /// No such workspace (or not the token's), route or resource.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
    /// The store is busy or the request took too long: retry after `Retry-After` seconds.
    #[response(status = 503, content_type = "application/problem+json")]
    Unavailable(Problem),
}

/// Error responses of writes with a JSON body.
#[allow(dead_code)] // a schema-only type
#[derive(utoipa::IntoResponses)]
pub enum WriteErrors {
    /// A parameter is invalid, or the body is not JSON.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(Problem),
    /// No token, or an unknown or revoked one.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(Problem),
    /// The token's role may not do this.
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
    /// No such workspace (or not the token's), route or resource.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
    /// The request conflicts with what is stored (an id taken, already stopped).
    #[response(status = 409, content_type = "application/problem+json")]
    Conflict(Problem),
    /// The body is larger than the route's limit (64 KiB for JSON).
    #[response(status = 413, content_type = "application/problem+json")]
    TooLarge(Problem),
    /// The body does not fit the request's schema, or its values are invalid (`param` names the field).
    #[response(status = 422, content_type = "application/problem+json")]
    Unprocessable(Problem),
    /// The store is busy or the request took too long: retry after `Retry-After` seconds.
    #[response(status = 503, content_type = "application/problem+json")]
    Unavailable(Problem),
}

/// Error responses of imports.
#[allow(dead_code)] // a schema-only type
#[derive(utoipa::IntoResponses)]
pub enum ImportErrors {
    /// A parameter is invalid, or the body could not be read.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(Problem),
    /// No token, or an unknown or revoked one.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(Problem),
    /// The token's role may not do this.
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
    /// No such workspace (or not the token's).
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
    /// An event id is already stored with different content: nothing was imported.
    #[response(status = 409, content_type = "application/problem+json")]
    Conflict(Problem),
    /// The body is larger than 256 MiB.
    #[response(status = 413, content_type = "application/problem+json")]
    TooLarge(Problem),
    /// The body is neither text/csv nor application/x-ndjson.
    #[response(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Problem),
    /// A row is invalid (`line` and `param` name it): nothing was imported.
    #[response(status = 422, content_type = "application/problem+json")]
    Unprocessable(Problem),
    /// The store is busy or the request took too long: retry after `Retry-After` seconds.
    #[response(status = 503, content_type = "application/problem+json")]
    Unavailable(Problem),
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A token from `yieldline token create -w DIR --role viewer|analyst|admin`",
                    ))
                    .build(),
            ),
        );
    }
}

/// The API's OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Yieldline API",
        description = "Yieldline's use cases over HTTP, per workspace, behind bearer tokens. Every GET's JSON is what the CLI prints with `--format json` for the same workspace and arguments. Errors are RFC 9457 problem details with a stable `code`.",
        license(name = "Apache-2.0")
    ),
    paths(
        routes::healthz,
        routes::openapi_json,
        routes::report,
        routes::drift,
        routes::plan,
        routes::watch,
        routes::dispatch,
        routes::experiments_list,
        routes::experiments_create,
        routes::experiment_analysis,
        routes::experiment_stop,
        routes::events,
        routes::territory,
        routes::suppressions_list,
        routes::suppressions_add,
        routes::suppressions_remove,
        routes::erasures,
    ),
    components(schemas(
        Problem,
        routes::Health,
        routes::SuppressionRequest,
        routes::ErasureRequest,
        routes::ErasureResult,
        yieldline_app::experiments::ExperimentRequest,
        yieldline_app::import::ImportSummary,
        yieldline_app::privacy::EntryView,
        crate::schemas::ReportBody,
        crate::schemas::DriftBody,
        crate::schemas::PlanBody,
        crate::schemas::WatchBody,
        crate::schemas::DispatchBody,
        crate::schemas::ExperimentBody,
        crate::schemas::ExperimentList,
        crate::schemas::AnalysisBody,
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "analysis", description = "The line's measurements (cached per store generation)"),
        (name = "experiments", description = "Randomized experiments"),
        (name = "imports", description = "Events and territory, all or nothing"),
        (name = "privacy", description = "Suppression and erasure"),
        (name = "server", description = "Health and this document"),
    )
)]
pub struct ApiDoc;

/// The document as served and committed: pretty JSON with a trailing newline.
pub fn document() -> String {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| {
        let mut s = ApiDoc::openapi()
            .to_pretty_json()
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
        s.push('\n');
        s
    })
    .clone()
}

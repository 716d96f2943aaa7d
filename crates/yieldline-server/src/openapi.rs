//! The OpenAPI document, generated from the routes' annotations. The committed copy
//! (`crates/yieldline-server/openapi.json`) must equal what the server serves: a test
//! fails when they drift; regenerate it with
//! `cargo run -p yieldline-server --bin yieldline-openapi > crates/yieldline-server/openapi.json`.

use std::sync::OnceLock;

use std::collections::BTreeMap;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{IntoResponses, Modify, OpenApi};

use crate::error::Problem;
use crate::routes;

/// A problem-details response of each `(status, description)`.
fn problems(list: &[(&str, &str)]) -> BTreeMap<String, RefOr<Response>> {
    list.iter()
        .map(|(status, description)| {
            let content = ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build();
            let response = ResponseBuilder::new()
                .description(*description)
                .content("application/problem+json", content)
                .build();
            ((*status).to_owned(), response.into())
        })
        .collect()
}

const UNAUTHORIZED: (&str, &str) = ("401", "No token, or an unknown or revoked one.");
const FORBIDDEN: (&str, &str) = ("403", "The token's role may not do this.");
const NOT_FOUND: (&str, &str) = (
    "404",
    "No such workspace (or not the token's), route or resource.",
);
const CONFLICT: &str = "409";
const TOO_LARGE: &str = "413";
const UNPROCESSABLE: &str = "422";
const UNAVAILABLE: (&str, &str) = (
    "503",
    "The store is busy or the request took too long: retry after `Retry-After` seconds.",
);

/// Error responses of reads.
pub struct ReadErrors;

impl IntoResponses for ReadErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        problems(&[
            (
                "400",
                "A query or path parameter is invalid (`param` names it).",
            ),
            UNAUTHORIZED,
            FORBIDDEN,
            NOT_FOUND,
            UNAVAILABLE,
        ])
    }
}

/// Error responses of writes with a JSON body.
pub struct WriteErrors;

impl IntoResponses for WriteErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        problems(&[
            ("400", "A parameter is invalid, or the body is not JSON."),
            UNAUTHORIZED,
            FORBIDDEN,
            NOT_FOUND,
            (
                CONFLICT,
                "The request conflicts with what is stored (an id taken, already stopped).",
            ),
            (
                TOO_LARGE,
                "The body is larger than the route's limit (64 KiB for JSON).",
            ),
            (
                UNPROCESSABLE,
                "The body does not fit the request's schema, or its values are invalid (`param` names the field).",
            ),
            UNAVAILABLE,
        ])
    }
}

/// Error responses of imports.
pub struct ImportErrors;

impl IntoResponses for ImportErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        problems(&[
            (
                "400",
                "A parameter is invalid, or the body could not be read.",
            ),
            UNAUTHORIZED,
            FORBIDDEN,
            ("404", "No such workspace (or not the token's)."),
            (
                CONFLICT,
                "An event id is already stored with different content: nothing was imported.",
            ),
            (TOO_LARGE, "The body is larger than 256 MiB."),
            (
                "415",
                "The body is neither text/csv nor application/x-ndjson.",
            ),
            (
                UNPROCESSABLE,
                "A row is invalid (`line` and `param` name it): nothing was imported.",
            ),
            UNAVAILABLE,
        ])
    }
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

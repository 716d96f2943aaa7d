//! The dashboard: server-rendered HTML pages over the same application calls (and the
//! same per-generation result cache) as the JSON API, so every figure on a page is the
//! API's figure.
//!
//! Sign-in is a `/login` form taking a bearer token; it opens a session (in memory, keyed
//! by a random id in an `HttpOnly; SameSite=Strict` cookie) bound to the token's
//! workspace. The token is checked again on every request, so a revoked token ends its
//! sessions. Every POST form carries the session's CSRF token, which the server checks;
//! a viewer sees no import controls and the server refuses its import POSTs anyway.

/// The signed-in user of a request, or the redirect to `/login` returned from the handler.
macro_rules! signed_in_or_return {
    ($dash:expr, $headers:expr) => {
        match signed_in(&$dash, &$headers).await {
            Ok(c) => c,
            Err(r) => return r,
        }
    };
}

mod auth;
mod experiments;
mod html;
mod pages;
mod svg;
mod upload;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::state::ServerState;

pub use auth::{CSRF_FIELD, SESSION_COOKIE};

/// The dashboard's stylesheet.
const CSS: &str = include_str!("assets/dash.css");
/// The dashboard's only script: hover read-outs on charts.
const JS: &str = include_str!("assets/dash.js");

/// The dashboard's routes (`/`, `/login`, the pages and `/assets/*`), with their own
/// session store, to be merged into the server's router.
pub fn router(server: Arc<ServerState>) -> Router<Arc<ServerState>> {
    let import_limit = usize::try_from(server.limits.import_body).unwrap_or(usize::MAX);
    let dash = Arc::new(auth::Dash::new(server));
    Router::new()
        .route("/", get(pages::home))
        .route("/login", get(auth::login_form).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/line", get(pages::line))
        .route("/station/{id}", get(pages::station))
        .route("/experiments", get(experiments::list))
        .route("/experiments/{id}", get(experiments::one))
        .route("/plan", get(pages::plan))
        .route("/watch", get(pages::watch))
        .route("/orders", get(pages::orders))
        .route("/orders.csv", get(pages::orders_csv))
        .route(
            "/import",
            get(upload::form)
                .post(upload::submit)
                .layer(DefaultBodyLimit::max(import_limit)),
        )
        .route("/assets/dash.css", get(|| asset(CSS, "text/css")))
        .route("/assets/dash.js", get(|| asset(JS, "text/javascript")))
        .with_state(dash)
}

async fn asset(body: &'static str, media: &'static str) -> Response {
    let mut r = (StatusCode::OK, body).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&format!("{media}; charset=utf-8"))
            .unwrap_or(HeaderValue::from_static("text/plain")),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    r
}

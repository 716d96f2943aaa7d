//! Yieldline's HTTP API: the application layer's use cases per workspace, behind bearer
//! tokens, with JSON problem details, body limits, timeouts and a result cache keyed by
//! the store's generation.
//!
//! Routes live under `/api/v1/workspaces/{ws}/`; see [`openapi`] for the document and
//! the README's "Serve" section for examples. [`start`] runs a server on a background
//! runtime (tests and benchmarks use it on `127.0.0.1:0`); [`run`] serves until SIGTERM
//! or Ctrl-C and drains in-flight requests.

pub mod dashboard;
pub mod error;
pub mod openapi;
pub mod reads;
pub mod routes;
pub mod schemas;
pub mod state;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

pub use error::{ApiError, Problem};
pub use state::{Limits, ServerError, ServerState, discover, name_of};

/// Directory of a workspace where request bodies are spooled before they are imported.
pub const UPLOAD_DIR: &str = "tmp";
/// Name prefix of spooled bodies (left behind only by a killed server; removed at start).
pub const UPLOAD_PREFIX: &str = ".http-upload-";

/// The routes, with the request-id, timeout and trace layers.
pub fn router(state: Arc<ServerState>) -> Router {
    let ws = Router::new()
        .route("/report", get(routes::report))
        .route("/drift", get(routes::drift))
        .route("/plan", get(routes::plan))
        .route("/watch", get(routes::watch))
        .route("/dispatch", get(routes::dispatch))
        .route(
            "/experiments",
            get(routes::experiments_list).post(routes::experiments_create),
        )
        .route(
            "/experiments/{id}/analysis",
            get(routes::experiment_analysis),
        )
        .route("/experiments/{id}/stop", post(routes::experiment_stop))
        .route("/events", post(routes::events))
        .route("/territory", post(routes::territory))
        .route(
            "/suppressions",
            get(routes::suppressions_list).post(routes::suppressions_add),
        )
        .route(
            "/suppressions/{id}",
            axum::routing::delete(routes::suppressions_remove),
        )
        .route("/erasures", post(routes::erasures));
    Router::new()
        .route("/healthz", get(routes::healthz))
        .route("/api/v1/openapi.json", get(routes::openapi_json))
        .nest("/api/v1/workspaces/{ws}", ws)
        .merge(dashboard::router(state.clone()))
        .fallback(routes::fallback)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            request_context,
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

static REQUESTS: AtomicU64 = AtomicU64::new(0);

/// Gives each request an id (`x-request-id`, and in the body of a server error) and its
/// time limit: imports get [`Limits::import_timeout`], everything else
/// [`Limits::request_timeout`] (then 503 with `Retry-After`).
async fn request_context(
    State(state): State<Arc<ServerState>>,
    req: Request,
    next: Next,
) -> Response {
    let n = REQUESTS.fetch_add(1, Ordering::Relaxed);
    let id = format!("{:08x}-{n:08x}", std::process::id());
    let import = req.method() == Method::POST
        && (req.uri().path().ends_with("/events") || req.uri().path().ends_with("/territory"));
    let limit = if import {
        state.limits.import_timeout
    } else {
        state.limits.request_timeout
    };
    let mut resp = error::REQUEST_ID
        .scope(id.clone(), async move {
            match tokio::time::timeout(limit, next.run(req)).await {
                Ok(r) => r,
                Err(_) => ApiError::new(
                    axum::http::StatusCode::SERVICE_UNAVAILABLE,
                    "timeout",
                    format!(
                        "the request took longer than {} s; try again (a write may still complete)",
                        limit.as_secs()
                    ),
                )
                .into_response(),
            }
        })
        .await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    resp
}

/// Removes bodies spooled by a server that was killed mid-upload.
fn remove_stale_uploads(state: &ServerState) {
    for s in state.workspaces.values() {
        let dir = s.ws.dir.join(UPLOAD_DIR);
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.filter_map(Result::ok) {
            if e.file_name().to_string_lossy().starts_with(UPLOAD_PREFIX) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

/// Serves `state` on `listener` until `shutdown` resolves, then drains in-flight
/// requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<ServerState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    remove_stale_uploads(&state);
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Worker threads of the server's runtime (blocking store calls run on tokio's
/// blocking pool, not on these).
pub const WORKER_THREADS: usize = 2;

fn runtime() -> Result<tokio::runtime::Runtime, ServerError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKER_THREADS)
        .enable_all()
        .build()
        .map_err(|e| ServerError::Io(format!("cannot start the runtime: {e}")))
}

async fn termination() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: draining in-flight requests");
}

/// Serves `state` on `addr` until SIGTERM or Ctrl-C, then drains in-flight requests and
/// returns. `ready` is called with the bound address once the server accepts requests.
pub fn run(
    addr: &str,
    state: ServerState,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), ServerError> {
    let rt = runtime()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| ServerError::Io(format!("cannot listen on {addr}: {e}")))?;
        let local = listener
            .local_addr()
            .map_err(|e| ServerError::Io(e.to_string()))?;
        ready(local);
        serve(listener, Arc::new(state), termination())
            .await
            .map_err(|e| ServerError::Io(e.to_string()))
    })
}

/// A server running on a background thread (for tests and benchmarks).
#[derive(Debug)]
pub struct RunningServer {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<Result<(), ServerError>>>,
}

impl RunningServer {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops it gracefully and waits for it.
    pub fn stop(mut self) -> Result<(), ServerError> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Result<(), ServerError> {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        match self.thread.take() {
            Some(t) => t
                .join()
                .map_err(|_| ServerError::Io("the server thread panicked".into()))?,
            None => Ok(()),
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

/// Starts serving `state` on `addr` (e.g. `127.0.0.1:0`) on a background thread.
pub fn start(addr: &str, state: ServerState) -> Result<RunningServer, ServerError> {
    let rt = runtime()?;
    let std_listener = std::net::TcpListener::bind(addr)
        .map_err(|e| ServerError::Io(format!("cannot listen on {addr}: {e}")))?;
    std_listener
        .set_nonblocking(true)
        .map_err(|e| ServerError::Io(e.to_string()))?;
    let local = std_listener
        .local_addr()
        .map_err(|e| ServerError::Io(e.to_string()))?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(std_listener)
                .map_err(|e| ServerError::Io(e.to_string()))?;
            serve(listener, Arc::new(state), async {
                let _ = rx.await;
            })
            .await
            .map_err(|e| ServerError::Io(e.to_string()))
        })
    });
    Ok(RunningServer {
        addr: local,
        stop: Some(tx),
        thread: Some(thread),
    })
}

/// Logs to standard error, at `RUST_LOG` (default `info`).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

//! What the server holds: the served workspaces (each opened once, with its store) and
//! their caches of results, keyed by the store's generation.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use yieldline_app::{AppResult, Workspace};

use crate::error::ApiError;

/// Entries kept per workspace before its cache is emptied.
pub const CACHE_ENTRIES: usize = 256;

/// Body and time limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest JSON request body, bytes.
    pub json_body: u64,
    /// Largest import body (`POST events`, `POST territory`), bytes.
    pub import_body: u64,
    /// Time allowed for a request other than an import.
    pub request_timeout: Duration,
    /// Time allowed for an import request (upload and import).
    pub import_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            json_body: 64 << 10,
            import_body: 256 << 20,
            request_timeout: Duration::from_secs(120),
            import_timeout: Duration::from_secs(1800),
        }
    }
}

/// A cached result: the store generation it was computed at, and its bytes.
type Slot = Arc<tokio::sync::Mutex<Option<(u64, Bytes)>>>;

/// One served workspace.
pub struct Served {
    /// Its name in URLs.
    pub name: String,
    /// The open workspace.
    pub ws: Workspace,
    cache: Mutex<HashMap<String, Slot>>,
}

impl std::fmt::Debug for Served {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Served").field("name", &self.name).finish()
    }
}

/// Runs a blocking store or application call off the async workers.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(format!("a blocking task failed: {e}")))?
}

impl Served {
    /// A served workspace named `name`.
    pub fn new(name: String, ws: Workspace) -> Self {
        Self {
            name,
            ws,
            cache: Mutex::new(HashMap::new()),
        }
    }

    fn slot(&self, key: &str) -> Slot {
        let mut map = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = map.get(key) {
            return s.clone();
        }
        if map.len() >= CACHE_ENTRIES {
            map.clear();
        }
        map.entry(key.to_owned()).or_default().clone()
    }

    /// The bytes `compute` renders for `key`, computed once per store generation: while
    /// nothing is written, every request for `key` is answered from memory (and
    /// concurrent first requests wait for one computation).
    pub async fn cached(
        self: &Arc<Self>,
        key: String,
        compute: impl FnOnce(&Workspace) -> AppResult<Vec<u8>> + Send + 'static,
    ) -> Result<Bytes, ApiError> {
        let me = self.clone();
        let generation = blocking(move || {
            Ok(me
                .ws
                .store
                .generation()
                .map_err(yieldline_app::AppError::from)?)
        })
        .await?;
        let slot = self.slot(&key);
        let mut guard = slot.lock().await;
        if let Some((g, bytes)) = guard.as_ref()
            && *g == generation
        {
            return Ok(bytes.clone());
        }
        let me = self.clone();
        let bytes = blocking(move || Ok(compute(&me.ws)?)).await?;
        let bytes = Bytes::from(bytes);
        *guard = Some((generation, bytes.clone()));
        Ok(bytes)
    }
}

/// The server's state: every served workspace by name, and the limits.
#[derive(Debug)]
pub struct ServerState {
    /// Served workspaces by name.
    pub workspaces: BTreeMap<String, Arc<Served>>,
    /// Body and time limits.
    pub limits: Limits,
}

/// Why the server cannot start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// A workspace could not be opened.
    #[error("workspace {}: {source}", dir.display())]
    Workspace {
        /// Its directory.
        dir: PathBuf,
        /// Why.
        source: yieldline_app::AppError,
    },
    /// Two workspaces would have the same name.
    #[error("two workspaces are named {0:?}: serve directories with different names")]
    DuplicateName(String),
    /// A directory's name cannot be used in URLs.
    #[error("{}: a workspace's directory name must be UTF-8 letters, digits, '.', '_' or '-' to be served", .0.display())]
    BadName(PathBuf),
    /// Nothing to serve.
    #[error("no workspace to serve: give --root DIR (a directory of workspaces) or -w DIR")]
    Nothing,
    /// The root could not be read, or the socket could not be bound.
    #[error("{0}")]
    Io(String),
}

/// The workspace directories directly under `root` (those holding `line.toml`), with
/// their names, sorted.
pub fn discover(root: &Path) -> Result<Vec<PathBuf>, ServerError> {
    let rd = std::fs::read_dir(root)
        .map_err(|e| ServerError::Io(format!("cannot read {}: {e}", root.display())))?;
    let mut out: Vec<PathBuf> = rd
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join(yieldline_app::LINE_FILE).is_file())
        .collect();
    out.sort();
    Ok(out)
}

/// The name a workspace directory is served under: its last component.
pub fn name_of(dir: &Path) -> Result<String, ServerError> {
    let abs = dir.canonicalize().unwrap_or_else(|_| dir.to_owned());
    let name = abs
        .file_name()
        .and_then(|n| n.to_str())
        .filter(|n| {
            !n.is_empty()
                && n.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        })
        .ok_or_else(|| ServerError::BadName(dir.to_owned()))?;
    Ok(name.to_owned())
}

impl ServerState {
    /// Opens every workspace in `dirs` (each served under its directory's name).
    pub fn open(dirs: &[PathBuf], limits: Limits) -> Result<Self, ServerError> {
        if dirs.is_empty() {
            return Err(ServerError::Nothing);
        }
        let mut workspaces = BTreeMap::new();
        for dir in dirs {
            let name = name_of(dir)?;
            let ws = Workspace::open(dir).map_err(|source| ServerError::Workspace {
                dir: dir.clone(),
                source,
            })?;
            if workspaces
                .insert(name.clone(), Arc::new(Served::new(name.clone(), ws)))
                .is_some()
            {
                return Err(ServerError::DuplicateName(name));
            }
        }
        Ok(Self { workspaces, limits })
    }
}

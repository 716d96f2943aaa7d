//! The application's errors: what went wrong, in words for people, with a kind that
//! every interface maps the same way (exit code, HTTP status).

use yieldline_import::ImportError;
use yieldline_store::StoreError;

/// What sort of failure an [`AppError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request or its input is invalid (a parameter, a file's row, the line).
    Invalid,
    /// What was asked for does not exist.
    NotFound,
    /// The request conflicts with what is stored (an id taken, different content).
    Conflict,
    /// The store stayed busy beyond the lock timeout.
    Busy,
    /// Anything else: the store or the machine failed.
    Internal,
}

/// A failure of a use case.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    /// Its kind.
    pub kind: ErrorKind,
    /// The parameter or field at fault, when one is.
    pub param: Option<String>,
    /// What went wrong, for people (the whole story: context, then cause).
    pub message: String,
    /// The 1-based line of the input at fault (a bad row of an import), when one is.
    pub line: Option<u64>,
}

impl AppError {
    /// An invalid input, naming the parameter.
    pub fn invalid(param: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::Invalid,
            param: Some(param.into()),
            message: message.into(),
            line: None,
        }
    }

    /// An invalid input that no single parameter is to blame for.
    pub fn input(message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::Invalid,
            param: None,
            message: message.into(),
            line: None,
        }
    }

    /// Something asked for is missing.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::NotFound,
            param: None,
            message: message.into(),
            line: None,
        }
    }

    /// A conflict with what is stored.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::Conflict,
            param: None,
            message: message.into(),
            line: None,
        }
    }

    /// A failure of the machine (I/O).
    pub fn internal(message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::Internal,
            param: None,
            message: message.into(),
            line: None,
        }
    }

    /// The same error with `context` put before its message.
    pub fn context(mut self, context: impl std::fmt::Display) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }
}

/// Results of the application layer.
pub type AppResult<T> = Result<T, AppError>;

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        let kind = match &e {
            StoreError::Conflict { .. } => ErrorKind::Conflict,
            StoreError::Busy { .. } => ErrorKind::Busy,
            StoreError::TooNew { .. } | StoreError::Corrupt(_) | StoreError::Backend(_) => {
                ErrorKind::Internal
            }
        };
        Self {
            kind,
            param: None,
            message: e.to_string(),
            line: None,
        }
    }
}

impl From<ImportError> for AppError {
    fn from(e: ImportError) -> Self {
        match e {
            ImportError::Store(s) => s.into(),
            ImportError::BadRows { .. } => {
                let (param, line) = match &e {
                    ImportError::BadRows { rows, .. } => rows
                        .first()
                        .map_or((None, None), |r| (r.field.clone(), Some(r.line))),
                    _ => (None, None),
                };
                Self {
                    kind: ErrorKind::Invalid,
                    param,
                    line,
                    message: e.to_string(),
                }
            }
            other => {
                let line = match &other {
                    ImportError::Malformed { line, .. } => Some(*line),
                    ImportError::Header { .. } => Some(1),
                    _ => None,
                };
                Self {
                    line,
                    ..Self::input(other.to_string())
                }
            }
        }
    }
}

/// Domain errors: each is a refusal of the input (a bad period, an invalid plan or
/// experiment, a line that does not parse).
macro_rules! invalid_from {
    ($($t:ty),* $(,)?) => {
        $(impl From<$t> for AppError {
            fn from(e: $t) -> Self {
                Self::input(e.to_string())
            }
        })*
    };
}

invalid_from!(
    yieldline_core::line::LineError,
    yieldline_core::report::ReportError,
    yieldline_core::plan::PlanError,
    yieldline_core::experiment::ExperimentError,
    yieldline_core::dispatch::DispatchError,
);

//! Yieldline's application layer: one function per use case, called by every
//! interface (the CLI today, the HTTP server next), so that a figure can never differ
//! between them.
//!
//! Each use case takes a [`Workspace`] (the validated line and a backend-neutral
//! [`yieldline_store::Store`]) and plain arguments, and returns plain serde types or an
//! [`AppError`] whose [`ErrorKind`] every interface maps the same way. Nothing here
//! renders: tables, CSV and HTTP are the interfaces' business.

pub mod analysis;
pub mod check;
pub mod error;
pub mod experiments;
pub mod import;
pub mod privacy;
pub mod render;
pub mod simulate;
pub mod tokens;
pub mod workspace;

pub use error::{AppError, AppResult, ErrorKind};
pub use workspace::{LINE_FILE, Workspace, check_output, read_line};

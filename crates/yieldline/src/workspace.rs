//! A workspace: a directory holding `line.toml` and its store (see `yieldline_app`).

pub use yieldline_app::workspace::{LINE_FILE, Workspace};

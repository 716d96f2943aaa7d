//! `yieldline serve`: the HTTP API over one or more workspaces.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::Args;
use yieldline_server::{Limits, ServerState, discover};

/// Arguments of `yieldline serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Serve every workspace directory directly under DIR (those holding line.toml),
    /// each named by its directory's name. `-w DIR` (repeatable) adds single workspaces.
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
}

/// Serves until SIGTERM or Ctrl-C, then drains in-flight requests and exits 0.
pub fn run(workspaces: &[PathBuf], args: &ServeArgs) -> Result<()> {
    let mut dirs = Vec::new();
    if let Some(root) = &args.root {
        let found = discover(root)?;
        if found.is_empty() {
            bail!(
                "no workspace under {}: a workspace is a directory holding line.toml",
                root.display()
            );
        }
        dirs.extend(found);
    }
    dirs.extend(workspaces.iter().cloned());
    if dirs.is_empty() {
        bail!("say what to serve: --root DIR (a directory of workspaces) or -w DIR (repeatable)");
    }
    let state = ServerState::open(&dirs, Limits::default())?;
    let names: Vec<String> = state.workspaces.keys().cloned().collect();
    yieldline_server::init_logging();
    yieldline_server::run(&args.listen, state, |addr| {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "listening on http://{addr}");
        let _ = out.flush();
        eprintln!(
            "serving {} workspace(s): {} (routes under /api/v1/workspaces/NAME/, OpenAPI at /api/v1/openapi.json; SIGTERM or Ctrl-C stops)",
            names.len(),
            names.join(", ")
        );
    })?;
    eprintln!("stopped");
    Ok(())
}

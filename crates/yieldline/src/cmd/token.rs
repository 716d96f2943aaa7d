//! `yieldline token create|list|revoke`: bearer tokens of the HTTP API, one workspace
//! each (see `yieldline_app::tokens`).

use std::io::Write;
use std::path::Path;

use anyhow::Result;
use clap::{Subcommand, ValueEnum};
use yieldline_app::tokens::{self, Role};

use crate::cmd::suppress::actor;
use crate::output;
use crate::workspace::Workspace;

/// A token's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    /// Reads.
    Viewer,
    /// Also imports, creates and stops experiments, adds suppressions.
    Analyst,
    /// Also removes suppressions, erases people and manages tokens.
    Admin,
}

/// Output format of `token list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ListFormat {
    /// A table.
    #[default]
    Table,
    /// JSON.
    Json,
}

/// Subcommands of `yieldline token`.
#[derive(Debug, Subcommand)]
pub enum TokenCmd {
    /// Create a token: prints its secret once on standard output (only its hash is kept).
    Create {
        /// What it may do.
        #[arg(long, value_enum)]
        role: RoleArg,
        /// Its name (default: ROLE-XXXXXXXX).
        #[arg(long)]
        name: Option<String>,
        /// Who creates it (default: $YIELDLINE_USER, else $USER).
        #[arg(long, value_name = "WHO")]
        by: Option<String>,
    },
    /// List the workspace's tokens (names and roles; secrets are not kept).
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: ListFormat,
    },
    /// Revoke a token: it stops working at once.
    Revoke {
        /// The token's name.
        name: String,
    },
}

/// Runs a `token` subcommand.
pub fn run(dir: &Path, cmd: TokenCmd) -> Result<()> {
    let ws = Workspace::open(dir)?;
    match cmd {
        TokenCmd::Create { role, name, by } => {
            let role = match role {
                RoleArg::Viewer => Role::Viewer,
                RoleArg::Analyst => Role::Analyst,
                RoleArg::Admin => Role::Admin,
            };
            let by = actor(by.as_deref())?;
            let t = tokens::create(&ws, role, name.as_deref(), &by)?;
            let mut out = std::io::stdout().lock();
            writeln!(out, "{}", t.secret)?;
            out.flush()?;
            eprintln!(
                "created token {} ({}) for {}: the secret above is shown only now",
                t.info.name,
                t.info.role.as_str(),
                dir.display()
            );
            Ok(())
        }
        TokenCmd::List { format } => {
            let all = tokens::list(&ws)?;
            let mut out = std::io::stdout().lock();
            match format {
                ListFormat::Json => output::json(&mut out, &all),
                ListFormat::Table => {
                    let mut t = output::table(&["name", "role", "created", "by"]);
                    for c in t.column_iter_mut() {
                        c.set_cell_alignment(comfy_table::CellAlignment::Left);
                    }
                    for k in &all {
                        t.add_row(vec![
                            k.name.as_str(),
                            k.role.as_str(),
                            &k.created_at,
                            &k.created_by,
                        ]);
                    }
                    writeln!(out, "{t}")?;
                    writeln!(out, "{} token(s)", all.len())?;
                    Ok(())
                }
            }
        }
        TokenCmd::Revoke { name } => {
            tokens::revoke(&ws, &name)?;
            eprintln!("revoked token {name}");
            Ok(())
        }
    }
}

//! `yieldline`: run outbound B2B prospecting as a measured production line.
//!
//! This binary is a thin shell: it parses arguments, opens the workspace (`line.toml`
//! and `yieldline.db` in a directory), calls the domain, and prints.

mod cmd;
mod output;
mod workspace;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// Run outbound prospecting as a measured production line.
#[derive(Debug, Parser)]
#[command(name = "yieldline", version, about, max_term_width = 100)]
struct Cli {
    /// The workspace directory (holds line.toml and yieldline.db; default: `.`).
    /// `serve` takes it more than once.
    #[arg(
        short = 'w',
        long,
        global = true,
        env = "YIELDLINE_WORKSPACE",
        value_name = "DIR",
        action = clap::ArgAction::Append
    )]
    workspace: Vec<PathBuf>,
    /// The store: a PostgreSQL URL (`postgres://USER@HOST:PORT/DATABASE`, optionally
    /// `?workspace=NAME`; default key: the workspace directory's absolute path) shared by many
    /// workspaces; without it, the workspace's own yieldline.db.
    #[arg(
        long,
        global = true,
        env = "YIELDLINE_STORE",
        value_name = "URL",
        hide_env_values = true
    )]
    store: Option<String>,
    #[command(subcommand)]
    command: Command,
}

/// Output format of commands that print data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum OutputFormat {
    /// A table for people.
    #[default]
    Table,
    /// JSON (the scripting contract).
    Json,
    /// CSV, one row per station.
    Csv,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write a commented line.toml template for a standard outbound line.
    Init {
        /// Overwrite an existing line.toml.
        #[arg(long)]
        force: bool,
    },
    /// Create a complete demo workspace with realistic synthetic data, then report on it.
    Demo {
        /// Seed of the synthetic data (same seed, same workspace).
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Output format of the report printed at the end.
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
    },
    /// Import territory or activity files into the workspace store.
    Import {
        #[command(subcommand)]
        what: cmd::import::ImportWhat,
    },
    /// Measure the line: yields, throughput against target, WIP, cycle times, bottleneck.
    Report(cmd::report::ReportArgs),
    /// Detect drift: control charts and run rules for every station's yield.
    Drift(cmd::drift::DriftArgs),
    /// Cohort conversion: of the units that entered each week (or month), the share passed by day N, with censoring.
    Conversion(cmd::conversion::ConversionArgs),
    /// Randomized experiments at a station: create, assign, analyse, decide.
    Experiment {
        #[command(subcommand)]
        cmd: cmd::experiment::ExperimentCmd,
    },
    /// Plan backwards from a daily target, with a Monte Carlo check of the chance to hit it.
    Plan(cmd::plan::PlanArgs),
    /// Simulate a territory day by day under a policy (the toxic-automation cycle, before it happens).
    Simulate(cmd::simulate::SimulateArgs),
    /// Watch for toxic automation: seven signals, a health verdict and an action.
    Watch(cmd::watch::WatchArgs),
    /// The day's work orders, within capacity and guardrails; never a suppressed contact.
    Dispatch(cmd::dispatch::DispatchArgs),
    /// Suppression: contact ids, e-mail addresses and domains never to be touched again.
    Suppress {
        #[command(subcommand)]
        cmd: cmd::suppress::SuppressCmd,
    },
    /// Erase a person's personal data (right to be forgotten), keeping anonymous counts.
    Erase(cmd::erase::EraseArgs),
    /// Check the workspace: the suppression log's chain, suppressions against their log,
    /// the store file, stations the events name that the line lacks.
    Check {
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
    },
    /// Correct the event log: remove a mistaken event.
    Events {
        #[command(subcommand)]
        cmd: cmd::check::EventsCmd,
    },
    /// Serve the HTTP API for workspaces (-w DIR, repeatable, or --root DIR).
    Serve(cmd::serve::ServeArgs),
    /// Bearer tokens of the HTTP API: create (printed once), list, revoke.
    Token {
        #[command(subcommand)]
        cmd: cmd::token::TokenCmd,
    },
}

impl Cli {
    /// The one workspace of a command other than `serve`.
    fn dir(&self) -> anyhow::Result<PathBuf> {
        match self.workspace.as_slice() {
            [] => Ok(PathBuf::from(".")),
            [one] => Ok(one.clone()),
            _ => anyhow::bail!("-w is given more than once: only `serve` takes several workspaces"),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    yieldline_app::workspace::set_store_url(cli.store.clone());
    let dir = match cli.dir() {
        Ok(d) => d,
        Err(e) if !matches!(cli.command, Command::Serve(_)) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
        Err(_) => PathBuf::new(),
    };
    let result = match cli.command {
        Command::Init { force } => cmd::init::run(&dir, force),
        Command::Demo { seed, format } => cmd::demo::run(&dir, seed, format),
        Command::Import { what } => cmd::import::run(&dir, what),
        Command::Report(args) => cmd::report::run(&dir, &args),
        Command::Drift(args) => cmd::drift::run(&dir, &args),
        Command::Experiment { cmd } => cmd::experiment::run(&dir, cmd),
        Command::Plan(args) => cmd::plan::run(&dir, &args),
        Command::Simulate(args) => cmd::simulate::run(&dir, &args),
        Command::Watch(args) => cmd::watch::run(&dir, &args),
        Command::Dispatch(args) => cmd::dispatch::run(&dir, &args),
        Command::Suppress { cmd } => cmd::suppress::run(&dir, cmd),
        Command::Erase(args) => cmd::erase::run(&dir, &args),
        Command::Serve(args) => cmd::serve::run(&cli.workspace, &args),
        Command::Token { cmd } => cmd::token::run(&dir, cmd),
        Command::Conversion(args) => cmd::conversion::run(&dir, &args),
        Command::Check { format } => cmd::check::run(&dir, format),
        Command::Events { cmd } => cmd::check::events(&dir, cmd),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", cli_message(&e));
            ExitCode::FAILURE
        }
    }
}

/// The error as the command line says it: a parameter named by the application layer
/// (`email: …`) is named as its option (`--email: …`).
fn cli_message(e: &anyhow::Error) -> String {
    let text = format!("{e:#}");
    let Some(app) = e.downcast_ref::<yieldline_app::AppError>() else {
        return text;
    };
    match &app.param {
        Some(p) if !p.starts_with('-') && app.message.starts_with(p.as_str()) => {
            let flag = format!("--{}", p.replace('_', "-"));
            text.replacen(
                app.message.as_str(),
                &format!("{flag}{}", &app.message[p.len()..]),
                1,
            )
        }
        _ => text,
    }
}

//! Tracing setup: to a file when asked (never to the terminal the console draws on), or to
//! stderr for commands that draw no full-screen UI.

use std::fs::OpenOptions;
use std::path::Path;

use color_eyre::eyre::{Context, Result};
use tracing_subscriber::EnvFilter;

use crate::cli::GlobalArgs;

/// Keeps logging alive for the life of the process.
pub struct LogGuard;

fn level(verbose: u8) -> &'static str {
    match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    }
}

/// Installs the global subscriber. `RUST_LOG` overrides the level from `-v`.
pub fn init(global: &GlobalArgs, stderr_allowed: bool) -> Result<LogGuard> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new(format!(
            "{},hyper=warn,kube=warn,tower=warn",
            level(global.verbose)
        ))
    });
    if let Some(path) = &global.log_file {
        init_file(path, filter)?;
    } else if stderr_allowed {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .try_init()
            .ok();
    }
    Ok(LogGuard)
}

fn init_file(path: &Path, filter: EnvFilter) -> Result<()> {
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .wrap_err_with(|| format!("cannot open log file {}", path.display()))?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(file))
        .try_init()
        .ok();
    Ok(())
}

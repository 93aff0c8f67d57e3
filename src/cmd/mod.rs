//! Command handlers: one module per subcommand, dispatched from [`run`].

mod completions;
mod config;
mod demo;
mod repo;
mod screenshots;
mod sim;
mod status;
pub mod tui;

pub use tui::{ConsoleOptions, run_console};

use color_eyre::Result;

use crate::cli::{Cli, Command};

/// Runs the parsed command line; the returned value is the process exit code.
pub async fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        Some(Command::Demo(args)) => demo::run(&cli.global, args).await,
        Some(Command::Sim(command)) => sim::run(&cli.global, command).await,
        Some(Command::Config(command)) => config::run(&cli.global, command),
        Some(Command::Status(args)) => status::run(&cli.global, args).await,
        Some(Command::Repo(command)) => repo::run(command),
        Some(Command::Completions { shell }) => completions::run(shell),
        Some(Command::Screenshots(args)) => screenshots::run(&cli.global, &args).await,
        None => tui::run(&cli.global, &cli.console).await,
    }
}

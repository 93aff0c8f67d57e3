//! `sim` subcommands.

use color_eyre::{Result, eyre::bail};

use crate::cli::{GlobalArgs, SimCommand};

pub async fn run(_global: &GlobalArgs, command: SimCommand) -> Result<i32> {
    match command {
        SimCommand::Serve(_) => {
            bail!("the simulated API server is being built in this commit series")
        }
    }
}

//! `completions <shell>`: prints a completion script generated from the clap definitions.

use clap::CommandFactory;
use color_eyre::Result;

use crate::cli::Cli;

pub fn run(shell: clap_complete::Shell) -> Result<i32> {
    let mut command = Cli::command();
    clap_complete::generate(shell, &mut command, "k8tre-console", &mut std::io::stdout());
    Ok(0)
}

use clap::Parser;
use k8tre_console::{cli::Cli, cmd, logging};

fn main() -> color_eyre::Result<()> {
    color_eyre::install()?;
    let cli = Cli::parse();
    let _log_guard = logging::init(&cli.global, cli.logs_to_stderr())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let code = runtime.block_on(cmd::run(cli))?;
    std::process::exit(code);
}

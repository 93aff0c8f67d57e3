//! `demo`: a simulated K8TRE estate in this process, and the console opened on it (the
//! SIMULATED badge shows); quitting the console stops the estate. `--serve-only` serves it
//! until Ctrl-C instead.

use color_eyre::Result;

use crate::cli::{DemoArgs, GlobalArgs};
use crate::config::paths::ProjectPaths;
use crate::config::{Config, ConfigLocation};

use super::sim::{print_banner, start_scenario, wait_for_shutdown};
use super::tui::{CANNOT_START, ConsoleOptions, run_console};

/// The simulated management cluster's context.
pub const MANAGEMENT_CONTEXT: &str = "k8tre-mgmt";

pub async fn run(global: &GlobalArgs, args: DemoArgs) -> Result<i32> {
    let config = if args.serve_only {
        None
    } else {
        // Read before anything starts: a broken config should not cost a whole estate.
        match ConfigLocation::from_cli(global.config.as_deref())
            .map_err(color_eyre::Report::from)
            .and_then(|location| Ok(Config::load(&location)?))
            .and_then(|config| Ok(config.with_cli(global)?))
        {
            Ok(config) => Some(config),
            Err(error) => {
                eprintln!("error: {error:#}");
                return Ok(CANNOT_START);
            }
        }
    };
    if !args.serve_only {
        println!(
            "Starting a simulated K8TRE estate (scenario {}): ArgoCD, dev, stg and prd on 127.0.0.1…",
            args.scenario
        );
    }
    // The demo repository lives in the data directory so commits made to it survive runs.
    let repo_dir = ProjectPaths::discover().ok().map(|p| p.demo_repo());
    let running = start_scenario(
        global,
        args.scenario,
        &args.shape,
        args.port,
        args.request_log.clone(),
        repo_dir,
    )
    .await?;
    let Some(config) = config else {
        print_banner(running.estate(), Some(&running));
        wait_for_shutdown().await?;
        println!("stopping the simulated estate");
        running.stop().await;
        return Ok(0);
    };
    let options = ConsoleOptions {
        kubeconfig: Some(running.estate().kubeconfig_path().to_path_buf()),
        context: Some(MANAGEMENT_CONTEXT.into()),
        management_context: Some(MANAGEMENT_CONTEXT.into()),
        repo: Some(running.repo_path().to_path_buf()),
        simulated: true,
        mouse: args.mouse,
        stats: args.stats.clone(),
        ..ConsoleOptions::new(config)
    };
    let code = run_console(options).await;
    running.stop().await;
    code
}

//! `demo`: a simulated K8TRE estate in this process, with its kubeconfig, served until Ctrl-C.

use color_eyre::Result;

use crate::cli::{DemoArgs, GlobalArgs};
use crate::config::paths::ProjectPaths;

use super::sim::{print_banner, start_scenario, wait_for_shutdown};

pub async fn run(global: &GlobalArgs, args: DemoArgs) -> Result<i32> {
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
    print_banner(running.estate(), Some(&running));
    wait_for_shutdown().await?;
    println!("stopping the simulated estate");
    running.stop().await;
    Ok(0)
}

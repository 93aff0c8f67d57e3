//! `sim` subcommands: run the simulated estate from the command line.

use std::path::PathBuf;

use color_eyre::Result;
use color_eyre::eyre::WrapErr;

use crate::cli::{GlobalArgs, ScenarioArgs, SimCommand, SimServeArgs};
use crate::sim::scenario::scale::ScaleOptions;
use crate::sim::scenario::{Scenario, ScenarioOptions, SimulatedEstate};
use crate::sim::{Estate, EstateOptions};

pub async fn run(global: &GlobalArgs, command: SimCommand) -> Result<i32> {
    match command {
        SimCommand::Serve(args) => serve(global, args).await,
        SimCommand::Scenarios => {
            for scenario in Scenario::ALL {
                println!("{:<9} {}", scenario.name(), scenario.summary());
            }
            Ok(0)
        }
    }
}

async fn serve(global: &GlobalArgs, args: SimServeArgs) -> Result<i32> {
    if let Some(scenario) = args.scenario {
        let running = start_scenario(
            global,
            scenario,
            &args.shape,
            args.port,
            args.request_log.clone(),
            None,
        )
        .await?;
        print_banner(running.estate(), Some(&running));
        wait_for_shutdown().await?;
        println!("stopping the simulated estate");
        running.stop().await;
        return Ok(0);
    }
    let options = EstateOptions {
        clusters: args.clusters.clone(),
        base_port: args.port,
        kubeconfig_path: global.kubeconfig.clone(),
        request_log: args.request_log.clone(),
        ..EstateOptions::default()
    };
    let estate = Estate::start(options)
        .await
        .wrap_err("cannot start the simulated estate")?;
    print_banner(&estate, None);
    wait_for_shutdown().await?;
    println!("stopping the simulated estate");
    estate.stop().await;
    Ok(0)
}

/// Starts a scenario with the command line's shape.
pub async fn start_scenario(
    global: &GlobalArgs,
    scenario: Scenario,
    shape: &ScenarioArgs,
    port: Option<u16>,
    request_log: Option<PathBuf>,
    default_repo_dir: Option<PathBuf>,
) -> Result<SimulatedEstate> {
    let options = ScenarioOptions {
        scenario,
        speed: shape.speed,
        scale: ScaleOptions {
            apps: shape.apps,
            pods_per_app: shape.pods_per_app,
        },
        churn: shape.churn,
        faults: shape.faults.clone(),
        base_port: port,
        kubeconfig_path: global.kubeconfig.clone(),
        request_log,
        repo_dir: shape.repo_dir.clone().or(default_repo_dir),
        health_persist: shape.health_persist,
        ..ScenarioOptions::default()
    };
    SimulatedEstate::start(options)
        .await
        .wrap_err_with(|| format!("cannot start the simulated estate (scenario {scenario})"))
}

/// What a user needs to reach the estate with kubectl.
pub fn print_banner(estate: &Estate, running: Option<&SimulatedEstate>) {
    match running {
        Some(r) => println!(
            "SIMULATED K8TRE estate, scenario {} (k8tre-console sim) — not a real cluster",
            r.scenario()
        ),
        None => println!("SIMULATED K8TRE estate (k8tre-console sim) — not a real cluster"),
    }
    for name in estate.cluster_names() {
        println!(
            "  {name:<6} {}  contexts: k8tre-{name}, k8tre-{name}-viewer",
            estate.url(name).unwrap_or_default()
        );
    }
    if let Some(r) = running {
        println!(
            "GitOps repository: {} (commit to it: ArgoCD polls it)",
            r.repo_path().display()
        );
    }
    let path = estate.kubeconfig_path().display();
    println!("kubeconfig: {path}");
    println!("export KUBECONFIG={path}");
    if running.is_some() {
        println!("kubectl --context k8tre-mgmt get applications -n argocd");
    }
    println!("Press Ctrl-C to stop.");
}

/// Waits for Ctrl-C or SIGTERM (and SIGHUP, when the terminal goes away).
pub async fn wait_for_shutdown() -> Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        let mut hup = signal(SignalKind::hangup())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r?,
            _ = term.recv() => {}
            _ = hup.recv() => {}
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c().await?;
    Ok(())
}

//! `sim` subcommands: run the simulated estate from the command line.

use color_eyre::Result;
use color_eyre::eyre::WrapErr;

use crate::cli::{GlobalArgs, SimCommand, SimServeArgs};
use crate::sim::scenario::Scenario;
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
    print_banner(&estate);
    wait_for_shutdown().await?;
    println!("stopping the simulated estate");
    estate.stop().await;
    Ok(0)
}

fn print_banner(estate: &Estate) {
    println!("SIMULATED K8TRE estate (k8tre-console sim) — not a real cluster");
    for name in estate.cluster_names() {
        println!(
            "  {name:<6} {}  contexts: k8tre-{name}, k8tre-{name}-viewer",
            estate.url(name).unwrap_or_default()
        );
    }
    let path = estate.kubeconfig_path().display();
    println!("kubeconfig: {path}");
    println!("export KUBECONFIG={path}");
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

//! Serves the showcase estate (`sim::scenario::showcase`) until Ctrl-C, for trying the console
//! by hand before `k8tre-console demo` exists:
//!
//! ```text
//! cargo run --example showcase_estate -- /tmp/showcase
//! k8tre-console --kubeconfig /tmp/showcase/kubeconfig --mgmt-context k8tre-mgmt --repo /tmp/showcase/repo
//! ```
//! Container logs of the showcase's pods keep growing (a line a second each) so `follow` has
//! something to follow.

use std::time::Duration;

use k8tre_console::gitops::scan::RepoScan;
use k8tre_console::sim::demo_repo::{DemoRepoOptions, create_demo_repo};
use k8tre_console::sim::scenario::showcase;
use k8tre_console::sim::{Estate, EstateOptions};

#[tokio::main]
async fn main() -> color_eyre::Result<()> {
    color_eyre::install()?;
    let dir = std::path::PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "/tmp/showcase".into()),
    );
    std::fs::create_dir_all(&dir)?;
    let estate = Estate::start(EstateOptions {
        kubeconfig_path: Some(dir.join("kubeconfig")),
        request_log: Some(dir.join("requests.jsonl")),
        ..EstateOptions::with_clusters(&["mgmt", "dev", "stg", "prd"])
    })
    .await?;
    let repo_dir = dir.join("repo");
    if repo_dir.exists() {
        std::fs::remove_dir_all(&repo_dir)?;
    }
    let repo = create_demo_repo(&repo_dir, &DemoRepoOptions::default())?;
    let scan = RepoScan::checkout(&repo.path)?;
    let revisions: Vec<String> = repo.commits.iter().map(|c| c.sha.clone()).collect();
    let seeded = showcase::seed(&estate, &scan, &revisions, chrono::Utc::now())
        .map_err(|e| color_eyre::eyre::eyre!("{e:?}"))?;
    println!(
        "SIMULATED showcase estate; kubeconfig {}",
        estate.kubeconfig_path().display()
    );
    println!("repo {}", repo.path.display());
    let mut n = 0u64;
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
        n += 1;
        for log in &seeded.logs {
            if let Some(cluster) = estate.cluster(&log.cluster) {
                cluster.logs.append(
                    (
                        log.namespace.clone(),
                        log.pod.clone(),
                        log.container.clone(),
                    ),
                    chrono::Utc::now(),
                    format!("level=info msg=\"tick\" n={n}"),
                );
            }
        }
    }
    estate.stop().await;
    Ok(())
}

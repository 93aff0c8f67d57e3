//! Scale report for the whole simulated estate (`cargo bench --bench sim_estate`): start the
//! scale scenario (about 2,000 Applications and 50,000 pods over dev/stg/prd by default), wait
//! for ArgoCD to converge, then measure API GET/LIST latency and process CPU idle and under
//! churn. Shows the controllers never block the API server. Prints numbers; asserts nothing.
//!
//! Knobs (environment): `K8TRE_BENCH_APPS` (2000), `K8TRE_BENCH_PODS_PER_APP` (25),
//! `K8TRE_BENCH_CHURN` (1000), `K8TRE_BENCH_SPEED` (10), `K8TRE_BENCH_CONVERGE_SECS` (900).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Pod;
use k8tre_console::sim::scenario::scale::ScaleOptions;
use k8tre_console::sim::scenario::{Scenario, ScenarioOptions, SimulatedEstate};
use kube::api::{Api, ListParams};
use kube::config::{KubeConfigOptions, Kubeconfig};

fn knob<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// CPU seconds (user + system) this process has used.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return f64::NAN;
    };
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

async fn client(running: &SimulatedEstate, context: &str) -> kube::Client {
    let kubeconfig = Kubeconfig::read_from(running.estate().kubeconfig_path()).expect("kubeconfig");
    let options = KubeConfigOptions {
        context: Some(context.into()),
        ..Default::default()
    };
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .expect("config");
    kube::Client::try_from(config).expect("client")
}

fn total_pods(running: &SimulatedEstate) -> usize {
    ["dev", "stg", "prd"]
        .iter()
        .filter_map(|c| running.estate().cluster(c))
        .map(|c| {
            c.store
                .keys(&k8tre_console::sim::resources::ResourceKey::new("", "pods"))
                .len()
        })
        .sum()
}

/// Synthetic Applications ArgoCD reports Synced and Healthy.
fn synced_and_healthy(running: &SimulatedEstate) -> usize {
    let Some(mgmt) = running.estate().cluster("mgmt") else {
        return 0;
    };
    mgmt.store
        .keys(&k8tre_console::sim::resources::ResourceKey::new(
            "argoproj.io",
            "applications",
        ))
        .iter()
        .filter(|(key, _)| key.1.starts_with("syn-"))
        .filter_map(|(_, entry)| entry.value().ok())
        .filter(|app| app.pointer("/status/sync/status") == Some(&serde_json::json!("Synced")))
        .filter(|app| app.pointer("/status/health/status") == Some(&serde_json::json!("Healthy")))
        .count()
}

async fn latency(api: &Api<Pod>, samples: usize) -> (f64, f64) {
    let mut ms = Vec::with_capacity(samples);
    for i in 0..samples {
        let started = Instant::now();
        let params = ListParams::default().limit(50);
        let _ = api.list(&params).await;
        ms.push(started.elapsed().as_secs_f64() * 1000.0);
        if i % 10 == 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    ms.sort_by(f64::total_cmp);
    (
        support::percentile(&ms, 50.0),
        support::percentile(&ms, 99.0),
    )
}

/// Process CPU (% of a core) over 20 s, then LIST latency (p50, p99 in ms).
async fn idle(api: &Api<Pod>) -> (f64, f64, f64) {
    let cpu0 = cpu_seconds();
    let window = Instant::now();
    tokio::time::sleep(Duration::from_secs(20)).await;
    let cpu = (cpu_seconds() - cpu0) / window.elapsed().as_secs_f64() * 100.0;
    let (p50, p99) = latency(api, 200).await;
    (cpu, p50, p99)
}

fn main() {
    let apps: usize = knob("K8TRE_BENCH_APPS", 2000);
    let pods_per_app: usize = knob("K8TRE_BENCH_PODS_PER_APP", 25);
    let churn: f64 = knob("K8TRE_BENCH_CHURN", 1000.0);
    let speed: f64 = knob("K8TRE_BENCH_SPEED", 10.0);
    let converge: u64 = knob("K8TRE_BENCH_CONVERGE_SECS", 900);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let home = tempfile::tempdir().expect("home");
        let started = Instant::now();
        let options = ScenarioOptions {
            scenario: Scenario::Healthy,
            speed,
            scale: ScaleOptions { apps, pods_per_app },
            git_home: Some(home.path().to_path_buf()),
            ..ScenarioOptions::default()
        };
        let running = SimulatedEstate::start(options).await.expect("scale scenario");
        let wanted = apps * pods_per_app;
        let deadline = Instant::now() + Duration::from_secs(converge);
        while total_pods(&running) < wanted && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
        println!(
            "estate: {apps} synthetic Applications × {pods_per_app} pods: {} pods after {:.0} s (speed {speed})",
            total_pods(&running),
            started.elapsed().as_secs_f64()
        );
        // Idle means ArgoCD has converged: every Application Synced and Healthy.
        let apps_total = apps.div_ceil(3) * 3;
        loop {
            let converged = synced_and_healthy(&running);
            if converged >= apps_total || Instant::now() >= deadline {
                println!("argocd: {converged} Applications Synced and Healthy after {:.0} s", started.elapsed().as_secs_f64());
                break;
            }
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
        let api: Api<Pod> = Api::namespaced(client(&running, "k8tre-dev").await, "syn-0000");
        tokio::time::sleep(Duration::from_secs(10)).await;
        let (idle_cpu, p50, p99) = idle(&api).await;
        println!("idle at speed {speed}: process CPU {idle_cpu:.1} % of a core; API LIST latency p50 {p50:.2} ms, p99 {p99:.2} ms");
        // At speed 10 ArgoCD's 3-minute periodic refresh of every Application comes every
        // 18 s; idle at real-time cadence is what an estate of this size costs at rest.
        running.argocd().set_speed(1.0);
        tokio::time::sleep(Duration::from_secs(25)).await;
        let (idle_cpu, p50, p99) = idle(&api).await;
        println!("idle at speed 1: process CPU {idle_cpu:.1} % of a core; API LIST latency p50 {p50:.2} ms, p99 {p99:.2} ms");
        running.set_churn(churn);
        tokio::time::sleep(Duration::from_secs(5)).await;
        let cpu1 = cpu_seconds();
        let churn_window = Instant::now();
        let (p50, p99) = latency(&api, 400).await;
        let churn_cpu = (cpu_seconds() - cpu1) / churn_window.elapsed().as_secs_f64() * 100.0;
        println!("churn {churn}/s: process CPU {churn_cpu:.1} % of a core; API LIST latency p50 {p50:.2} ms, p99 {p99:.2} ms");
        println!("resident memory: {:.0} MiB", support::rss_bytes().unwrap_or(0) as f64 / 1_048_576.0);
        running.stop().await;
    });
}

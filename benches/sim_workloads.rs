//! Report of the simulated workload controllers at scale (`cargo bench --bench sim_workloads`):
//! time to create and converge N pods per cluster (Deployments of M replicas), CPU time idle
//! and under pod churn, and API GET latency idle and under churn. Prints numbers; asserts
//! nothing about speed.
//!
//! Knobs (environment): `SIM_WORKLOADS_CLUSTERS` (2), `SIM_WORKLOADS_PODS` per cluster
//! (25000), `SIM_WORKLOADS_REPLICAS` per Deployment (10), `SIM_WORKLOADS_CHURN` pod changes a
//! second across the estate (1000), `SIM_WORKLOADS_SPEED` simulated clock speed (10),
//! `SIM_WORKLOADS_SECONDS` per measurement (10). The idle measurement starts once the
//! Deployments' progress-deadline checks have passed (600 / speed + 5 seconds after convergence).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Pod;
use k8tre_console::sim::api::{ListQuery, WriteContext};
use k8tre_console::sim::clock::SimClock;
use k8tre_console::sim::cluster::ClusterState;
use k8tre_console::sim::workloads::{WorkloadOptions, Workloads, WorkloadsHandle};
use k8tre_console::sim::{Estate, EstateOptions};
use kube::api::Api;
use kube::config::{KubeConfigOptions, Kubeconfig};
use serde_json::{Value, json};

const NAMESPACES: usize = 50;

fn knob(name: &str, default: f64) -> f64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// CPU seconds (user + system) this process has used, from /proc/self/stat (Linux, 100 Hz ticks).
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return f64::NAN;
    };
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let after = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .unwrap_or_default();
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// Percent of one core used over `seconds` of waiting.
async fn cpu_over(seconds: f64) -> f64 {
    let cpu = cpu_seconds();
    let wall = Instant::now();
    tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
    (cpu_seconds() - cpu) / wall.elapsed().as_secs_f64() * 100.0
}

fn deployment(namespace: &str, name: &str, replicas: usize) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": {"app.kubernetes.io/name": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
            "template": {
                "metadata": {"labels": {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "k8tre"}},
                "spec": {"containers": [{
                    "name": "app", "image": format!("ghcr.io/k8tre/{name}:v1.4.0"),
                    "ports": [{"containerPort": 8080, "name": "http"}],
                    "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
                    "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 10}
                }]}
            }
        }
    })
}

/// Deployments whose available replicas reach their spec.
fn converged(cluster: &ClusterState) -> (usize, usize) {
    let deployments = cluster
        .resource_type("apps", "v1", "deployments")
        .expect("deployments");
    let listed = cluster
        .list(&deployments, None, &ListQuery::default())
        .expect("list");
    let total = listed.items.len();
    let done = listed
        .items
        .iter()
        .filter_map(|e| e.value().ok())
        .filter(|d| {
            d.pointer("/spec/replicas") == d.pointer("/status/availableReplicas")
                && d.pointer("/status/updatedReplicas") == d.pointer("/spec/replicas")
        })
        .count();
    (done, total)
}

async fn get_latencies(client: kube::Client, pods: &[(String, String)], seconds: f64) -> Vec<f64> {
    let mut samples = Vec::new();
    let until = Instant::now() + Duration::from_secs_f64(seconds);
    let mut i = 0;
    while Instant::now() < until {
        let (ns, name) = &pods[i % pods.len()];
        i += 1;
        let api: Api<Pod> = Api::namespaced(client.clone(), ns);
        let started = Instant::now();
        if api.get(name).await.is_ok() {
            samples.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    samples.sort_by(f64::total_cmp);
    samples
}

fn print_latency(label: &str, samples: &[f64]) {
    println!(
        "{label}: {} GETs, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        samples.len(),
        support::percentile(samples, 50.0),
        support::percentile(samples, 99.0),
        samples.last().copied().unwrap_or(f64::NAN)
    );
}

fn totals(handles: &[WorkloadsHandle]) -> (u64, u64, u64, u64, u64) {
    handles
        .iter()
        .map(|h| h.stats())
        .fold((0, 0, 0, 0, 0), |acc, s| {
            (
                acc.0 + s.writes,
                acc.1 + s.events_recorded,
                acc.2 + s.events_dropped,
                acc.3 + s.churn_changes,
                acc.4 + s.resyncs,
            )
        })
}

async fn report() {
    let clusters = knob("SIM_WORKLOADS_CLUSTERS", 2.0).max(1.0) as usize;
    let pods = knob("SIM_WORKLOADS_PODS", 25_000.0) as usize;
    let replicas = (knob("SIM_WORKLOADS_REPLICAS", 10.0) as usize).max(1);
    let churn = knob("SIM_WORKLOADS_CHURN", 1000.0);
    let speed = knob("SIM_WORKLOADS_SPEED", 10.0);
    let seconds = knob("SIM_WORKLOADS_SECONDS", 10.0);
    let names: Vec<String> = (0..clusters).map(|i| format!("target{i}")).collect();
    let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let estate = Estate::start(EstateOptions::with_clusters(&name_refs))
        .await
        .expect("estate");
    let nodes = pods.div_ceil(100) + 1;
    println!(
        "setup: {clusters} cluster(s) × {pods} pods in Deployments of {replicas}, {nodes} nodes each, clock ×{speed}"
    );
    let rss_before = support::rss_bytes().unwrap_or(0);
    let handles: Vec<WorkloadsHandle> = names
        .iter()
        .map(|n| {
            let cluster = estate.cluster(n).expect("cluster").clone();
            let options = WorkloadOptions {
                default_nodes: nodes,
                round_time: Duration::from_secs_f64(knob("SIM_WORKLOADS_ROUND_MS", 2.0) / 1000.0),
                ..WorkloadOptions::default()
            };
            Workloads::spawn(cluster, SimClock::new(speed), options).expect("controllers")
        })
        .collect();

    let started = Instant::now();
    let cpu_start = cpu_seconds();
    let ctx = WriteContext::controller("bench");
    let per_cluster = pods / replicas;
    for n in &names {
        let cluster = estate.cluster(n).expect("cluster").clone();
        let deployments = cluster
            .resource_type("apps", "v1", "deployments")
            .expect("deployments");
        let namespaces = cluster.resource_type("", "v1", "namespaces").expect("ns");
        for i in 0..NAMESPACES {
            let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": format!("ns-{i}")}});
            cluster
                .create(&namespaces, "", ns, &ctx)
                .expect("namespace");
        }
        for i in 0..per_cluster {
            let ns = format!("ns-{}", i % NAMESPACES);
            cluster
                .create(
                    &deployments,
                    &ns,
                    deployment(&ns, &format!("app-{i}"), replicas),
                    &ctx,
                )
                .expect("deployment");
            if i % 100 == 0 {
                // Let the controllers and the runtime breathe, as a real client would.
                tokio::task::yield_now().await;
            }
        }
    }
    let created = started.elapsed().as_secs_f64();
    println!(
        "create: {} Deployments in {created:.1} s",
        per_cluster * clusters
    );
    loop {
        let (done, total) = names
            .iter()
            .map(|n| converged(estate.cluster(n).expect("cluster")))
            .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
        if done == total {
            break;
        }
        if started.elapsed() > Duration::from_secs(3600) {
            println!("converge: gave up after an hour with {done}/{total} Deployments available");
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let converge = started.elapsed().as_secs_f64();
    let converge_cpu = cpu_seconds() - cpu_start;
    let (writes, recorded, dropped, _, resyncs) = totals(&handles);
    let total_pods = per_cluster * replicas * clusters;
    println!(
        "converge: {total_pods} pods Ready in {converge:.1} s ({:.0} pods/s) using {converge_cpu:.1} CPU s ({:.0} % of a core), {writes} writes, {recorded} events recorded, {dropped} dropped, {resyncs} watch resyncs",
        total_pods as f64 / converge,
        converge_cpu / converge * 100.0
    );
    println!(
        "memory: resident growth {:.0} MiB ({:.1} KiB per pod, API store and simulation together)",
        support::rss_bytes().unwrap_or(0).saturating_sub(rss_before) as f64 / 1_048_576.0,
        support::rss_bytes().unwrap_or(0).saturating_sub(rss_before) as f64
            / total_pods as f64
            / 1024.0
    );

    // Let the one-off progress-deadline checks of the Deployments (600 simulated seconds
    // after their last progress) pass, so what follows is the steady idle state.
    tokio::time::sleep(Duration::from_secs_f64(600.0 / speed + 5.0)).await;
    let idle = cpu_over(seconds).await;
    println!("cpu idle: {idle:.2} % of a core");

    let kubeconfig = Kubeconfig::read_from(estate.kubeconfig_path()).expect("kubeconfig");
    let options = KubeConfigOptions {
        context: Some(format!("k8tre-{}", names[0])),
        ..Default::default()
    };
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .expect("config");
    let client = kube::Client::try_from(config).expect("client");
    let cluster = estate.cluster(&names[0]).expect("cluster");
    let pod_type = cluster.resource_type("", "v1", "pods").expect("pods");
    let sample: Vec<(String, String)> = cluster
        .list(
            &pod_type,
            None,
            &ListQuery {
                limit: Some(200),
                ..Default::default()
            },
        )
        .expect("pods")
        .items
        .iter()
        .map(|e| (e.namespace.clone(), e.name.clone()))
        .collect();
    let idle_gets = get_latencies(client.clone(), &sample, seconds / 2.0).await;
    print_latency("GET idle", &idle_gets);

    for h in &handles {
        h.set_churn(churn / clusters as f64);
    }
    let (_, _, _, churn_before, _) = totals(&handles);
    let wall = Instant::now();
    let busy = cpu_over(seconds).await;
    let (_, _, _, churn_after, _) = totals(&handles);
    println!(
        "cpu at churn: {busy:.2} % of a core, {:.0} pod changes/s achieved (asked {churn})",
        (churn_after - churn_before) as f64 / wall.elapsed().as_secs_f64()
    );
    let busy_gets = get_latencies(client, &sample, seconds).await;
    print_latency("GET at churn", &busy_gets);
    for h in &handles {
        h.set_churn(0.0);
    }
    let (writes, recorded, dropped, _, resyncs) = totals(&handles);
    println!(
        "totals: {writes} writes, {recorded} events recorded, {dropped} dropped, {resyncs} watch resyncs"
    );
    for h in handles {
        h.stop().await;
    }
    estate.stop().await;
}

fn main() {
    // `cargo bench` passes `--bench`; this report takes no other arguments.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(report());
}

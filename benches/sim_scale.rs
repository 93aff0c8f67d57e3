//! Scale report for the simulated API server (run with `cargo bench --bench sim_scale`):
//! memory per 10,000 stored pods, and watch fan-out to 200 concurrent HTTPS watchers while
//! 1,000 changes a second are written. Prints numbers; asserts nothing about speed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures::{AsyncBufReadExt, TryStreamExt};
use k8tre_console::sim::api::{Part, PatchType, WriteContext};
use k8tre_console::sim::{Estate, EstateOptions};
use kube::config::{KubeConfigOptions, Kubeconfig};
use parking_lot::Mutex;
use serde_json::json;

const WATCHERS: usize = 200;
const RATE: u64 = 1_000;
const SECONDS: u64 = 5;

fn now_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

async fn client(estate: &Estate) -> kube::Client {
    let kubeconfig = Kubeconfig::read_from(estate.kubeconfig_path()).expect("kubeconfig");
    let options = KubeConfigOptions {
        context: Some("k8tre-dev".into()),
        ..Default::default()
    };
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .expect("config");
    kube::Client::try_from(config).expect("client")
}

/// Resident growth for 10,000 realistic pods (each created, then given its status, as a
/// controller would), with a watch history of `history_limit` changes.
async fn memory_report(history_limit: usize) {
    let mut options = EstateOptions::with_clusters(&["dev"]);
    options.cluster.history_limit = history_limit;
    let estate = Estate::start(options).await.expect("estate");
    let before = support::rss_bytes().unwrap_or(0);
    let mut json_bytes = 0usize;
    for i in 0..10_000 {
        let pod = support::pod(
            &format!("ns-{}", i % 50),
            &format!("pod-{i}"),
            &format!("app-{}", i % 200),
        );
        let stored = estate.seed("dev", pod).expect("seed");
        json_bytes += serde_json::to_vec(&stored).map(|v| v.len()).unwrap_or(0);
    }
    let after = support::rss_bytes().unwrap_or(0);
    let store = &estate.cluster("dev").expect("dev").store;
    let growth = after.saturating_sub(before) as f64;
    println!(
        "memory (watch history {history_limit} changes): {} objects; resident growth {:.1} MiB = {:.2} KiB per pod (its JSON: {:.2} KiB)",
        store.len(),
        growth / 1_048_576.0,
        growth / 10_000.0 / 1024.0,
        json_bytes as f64 / 10_000.0 / 1024.0
    );
    estate.stop().await;
}

async fn fanout_report() {
    let estate = Estate::start(EstateOptions::with_clusters(&["dev"]))
        .await
        .expect("estate");
    for i in 0..100 {
        estate
            .seed("dev", json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": format!("cm-{i}"), "namespace": "default"}, "data": {"v": "0"}}))
            .expect("seed");
    }
    let rv = estate.cluster("dev").expect("dev").store.current_rv();
    let latencies = Arc::new(Mutex::new(Vec::<f64>::with_capacity(
        WATCHERS * (RATE * SECONDS) as usize,
    )));
    let received = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..WATCHERS {
        let client = client(&estate).await;
        let latencies = latencies.clone();
        let received = received.clone();
        let path = format!("/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={rv}");
        tasks.push(tokio::spawn(async move {
            let request = http::Request::get(path).body(Vec::new()).expect("request");
            let stream = client.request_stream(request).await.expect("watch");
            let mut lines = stream.lines();
            let mut local = Vec::with_capacity((RATE * SECONDS) as usize);
            while let Ok(Some(line)) = lines.try_next().await {
                // Cheap extraction of the send time, so the watchers do not dominate the CPU.
                if let Some(at) = line.find("\"sent\":\"") {
                    let rest = &line[at + 8..];
                    if let Some(end) = rest.find('"')
                        && let Ok(sent) = rest[..end].parse::<u64>()
                    {
                        local.push(now_micros().saturating_sub(sent) as f64 / 1000.0);
                    }
                }
                received.fetch_add(1, Ordering::Relaxed);
                if local.len() as u64 >= RATE * SECONDS {
                    break;
                }
            }
            latencies.lock().extend(local);
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let cluster = estate.cluster("dev").expect("dev").clone();
    let cms = cluster
        .resource_type("", "v1", "configmaps")
        .expect("configmaps");
    let ctx = WriteContext::controller("bench-writer");
    let started = Instant::now();
    let mut ticker = tokio::time::interval(Duration::from_micros(1_000_000 / RATE));
    for n in 0..RATE * SECONDS {
        ticker.tick().await;
        let patch = json!({"data": {"v": n.to_string(), "sent": now_micros().to_string()}});
        cluster
            .patch(
                &cms,
                "default",
                &format!("cm-{}", n % 100),
                PatchType::Merge,
                &patch,
                Part::Main,
                false,
                &ctx,
            )
            .expect("write");
    }
    let write_secs = started.elapsed().as_secs_f64();
    let deadline = Instant::now() + Duration::from_secs(30);
    for task in tasks {
        let left = deadline.saturating_duration_since(Instant::now());
        if tokio::time::timeout(left, task).await.is_err() {
            break;
        }
    }
    let mut all = latencies.lock().clone();
    all.sort_by(f64::total_cmp);
    let expected = WATCHERS as u64 * RATE * SECONDS;
    println!(
        "fan-out: {} changes in {:.2} s ({:.0}/s) to {WATCHERS} watchers: {} of {expected} deliveries",
        RATE * SECONDS,
        write_secs,
        (RATE * SECONDS) as f64 / write_secs,
        received.load(Ordering::Relaxed)
    );
    println!(
        "fan-out: change → watcher latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        support::percentile(&all, 50.0),
        support::percentile(&all, 99.0),
        all.last().copied().unwrap_or(f64::NAN)
    );
    estate.stop().await;
}

fn main() {
    // `cargo bench` passes `--bench`; this report takes no other arguments.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        // Measured first, in a fresh process heap, without history beyond the last change…
        memory_report(1).await;
        // …then with the default watch history (every pod's two writes are kept for resuming watches).
        memory_report(10_000).await;
        fanout_report().await;
    });
}

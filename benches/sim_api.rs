//! Criterion benches of the simulated API server: listing 10,000 pods over HTTPS (what a
//! watcher's initial list costs) and in-process store operations.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use k8s_openapi::api::core::v1::Pod;
use k8tre_console::sim::api::{ListQuery, WriteContext};
use k8tre_console::sim::{Estate, EstateOptions};
use kube::api::{Api, ListParams};
use kube::config::{KubeConfigOptions, Kubeconfig};

fn seed_pods(estate: &Estate, count: usize) {
    for i in 0..count {
        let ns = format!("ns-{}", i % 50);
        estate
            .seed(
                "dev",
                support::pod(&ns, &format!("pod-{i}"), &format!("app-{}", i % 200)),
            )
            .expect("seed");
    }
}

fn bench_list(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let (estate, client) = runtime.block_on(async {
        let estate = Estate::start(EstateOptions::with_clusters(&["dev"]))
            .await
            .expect("estate");
        seed_pods(&estate, 10_000);
        let kubeconfig = Kubeconfig::read_from(estate.kubeconfig_path()).expect("kubeconfig");
        let options = KubeConfigOptions {
            context: Some("k8tre-dev".into()),
            ..Default::default()
        };
        let config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
            .await
            .expect("config");
        (estate, kube::Client::try_from(config).expect("client"))
    });
    let pods: Api<Pod> = Api::all(client);
    let mut group = c.benchmark_group("sim_list");
    group.sample_size(20);
    group.bench_function("https list 10k pods (one page)", |b| {
        b.to_async(&runtime).iter(|| async {
            black_box(
                pods.list(&ListParams::default())
                    .await
                    .expect("list")
                    .items
                    .len(),
            )
        })
    });
    group.bench_function("https list 10k pods (pages of 500)", |b| {
        b.to_async(&runtime).iter(|| async {
            let mut params = ListParams::default().limit(500);
            let mut total = 0;
            loop {
                let page = pods.list(&params).await.expect("list");
                total += page.items.len();
                match page.metadata.continue_ {
                    Some(token) if !token.is_empty() => params = params.continue_token(&token),
                    _ => break,
                }
            }
            black_box(total)
        })
    });
    let cluster = estate.cluster("dev").expect("dev").clone();
    let pods_type = cluster.resource_type("", "v1", "pods").expect("pods");
    group.bench_function("store list 10k pods with label selector", |b| {
        let query = ListQuery::parse(&pods_type.key(), Some("app.kubernetes.io/name=app-7"), None)
            .expect("query");
        b.iter(|| {
            black_box(
                cluster
                    .list(&pods_type, None, &query)
                    .expect("list")
                    .items
                    .len(),
            )
        })
    });
    group.bench_function("store status update of one pod", |b| {
        let ctx = WriteContext::controller("bench");
        let mut n = 0u64;
        b.iter(|| {
            n += 1;
            let patch = serde_json::json!({"status": {"containerStatuses": [{"name": "app-1", "restartCount": n, "ready": true, "image": "x", "imageID": "y"}]}});
            black_box(
                cluster
                    .patch(&pods_type, "ns-1", "pod-1", k8tre_console::sim::api::PatchType::Merge, &patch, k8tre_console::sim::api::Part::Status, false, &ctx)
                    .expect("patch"),
            )
        })
    });
    group.finish();
    runtime.block_on(estate.stop());
}

criterion_group!(benches, bench_list);
criterion_main!(benches);

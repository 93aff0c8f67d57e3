//! Every fault of the simulated API server is observable as a client would see it, and
//! recovery restores normal service.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use futures::{AsyncBufReadExt, TryStreamExt};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::Error;
use kube::api::{Api, ListParams};

async fn configmaps(estate: &k8tre_console::sim::Estate) -> Api<ConfigMap> {
    Api::namespaced(common::client(estate, "k8tre-dev").await, "default")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_rate_answers_503_and_recovers() {
    let estate = common::estate(&["dev"]).await;
    // kube-rs retries 503s on its own (up to 15 times, with backoff); see the raw answer.
    let mut config = common::config(&estate, "k8tre-dev").await;
    config.default_retry = false;
    let api: Api<ConfigMap> =
        Api::namespaced(kube::Client::try_from(config).expect("client"), "default");
    let faults = &estate.cluster("dev").expect("dev").faults;
    faults.set_error_rate(1.0);
    match api.list(&ListParams::default()).await {
        Err(Error::Api(status)) => assert_eq!(
            (status.code, status.reason.as_str()),
            (503, "ServiceUnavailable")
        ),
        other => panic!("expected 503, got {other:?}"),
    }
    faults.recover();
    api.list(&ListParams::default()).await.expect("recovered");
    estate.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latency_delays_every_answer() {
    let estate = common::estate(&["dev"]).await;
    let api = configmaps(&estate).await;
    estate
        .cluster("dev")
        .expect("dev")
        .faults
        .set_latency(Duration::from_millis(300));
    let started = Instant::now();
    api.list(&ListParams::default())
        .await
        .expect("slow but answered");
    // A lower bound the server guarantees (it sleeps first), not a performance assertion.
    assert!(started.elapsed() >= Duration::from_millis(300));
    estate.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hang_never_answers_until_recovered() {
    let estate = common::estate(&["dev"]).await;
    let mut config = common::config(&estate, "k8tre-dev").await;
    config.read_timeout = Some(Duration::from_millis(500));
    let api: Api<ConfigMap> =
        Api::namespaced(kube::Client::try_from(config).expect("client"), "default");
    let faults = &estate.cluster("dev").expect("dev").faults;
    faults.set_hang(true);
    assert!(
        api.list(&ListParams::default()).await.is_err(),
        "a hung server times the client out"
    );
    faults.recover();
    api.list(&ListParams::default()).await.expect("recovered");
    estate.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuse_drops_connections_and_recovers_on_the_same_port() {
    let estate = common::estate(&["dev"]).await;
    let api = configmaps(&estate).await;
    let faults = &estate.cluster("dev").expect("dev").faults;
    faults.set_refuse(true);
    let err = api.list(&ListParams::default()).await.expect_err("refused");
    assert!(
        format!("{err:?}").to_lowercase().contains("refused"),
        "{err:?}"
    );
    faults.set_refuse(false);
    let mut recovered = false;
    for _ in 0..100 {
        if api.list(&ListParams::default()).await.is_ok() {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(recovered, "the same URL answers again");
    estate.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_watches_ends_open_watch_streams() {
    let estate = common::estate(&["dev"]).await;
    let client = common::client(&estate, "k8tre-dev").await;
    let request = http::Request::get("/api/v1/namespaces/default/configmaps?watch=true")
        .body(Vec::new())
        .expect("request");
    let stream = client.request_stream(request).await.expect("watch");
    let mut lines = stream.lines();
    tokio::time::sleep(Duration::from_millis(200)).await;
    estate.cluster("dev").expect("dev").faults.drop_watches();
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        while let Ok(Some(_)) = lines.try_next().await {}
    })
    .await;
    assert!(ended.is_ok(), "the watch stream ended");
    estate.stop().await;
}

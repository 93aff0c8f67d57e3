//! The simulated K8TRE estate as the scenarios build it: ArgoCD over the demo repository,
//! workloads on the targets, and each scenario's problems, read back with kubectl and kube-rs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use k8tre_console::sim::scenario::faults::FaultSpec;
use k8tre_console::sim::scenario::scale::ScaleOptions;
use k8tre_console::sim::scenario::{Scenario, ScenarioOptions, SimulatedEstate};
use kube::api::{Api, DynamicObject, ListParams};
use kube::discovery::ApiResource;
use serde_json::Value;

async fn start(
    scenario: Scenario,
    tweak: impl FnOnce(&mut ScenarioOptions),
) -> (SimulatedEstate, tempfile::TempDir) {
    let home = tempfile::tempdir().expect("git home");
    let mut options = ScenarioOptions {
        scenario,
        speed: 20.0,
        git_home: Some(home.path().to_path_buf()),
        ..ScenarioOptions::default()
    };
    tweak(&mut options);
    (
        SimulatedEstate::start(options)
            .await
            .expect("scenario starts"),
        home,
    )
}

fn applications_api(client: kube::Client) -> Api<DynamicObject> {
    let resource = ApiResource {
        group: "argoproj.io".into(),
        version: "v1alpha1".into(),
        api_version: "argoproj.io/v1alpha1".into(),
        kind: "Application".into(),
        plural: "applications".into(),
    };
    Api::namespaced_with(client, "argocd", &resource)
}

/// (name, sync, health) of every Application.
async fn applications(api: &Api<DynamicObject>) -> Vec<(String, String, String)> {
    let list = api
        .list(&ListParams::default())
        .await
        .expect("list applications");
    list.items
        .into_iter()
        .map(|a| {
            let s = |p: &str| {
                a.data
                    .pointer(p)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            (
                a.metadata.name.clone().unwrap_or_default(),
                s("/status/sync/status"),
                s("/status/health/status"),
            )
        })
        .collect()
}

/// Polls until `check` holds over the Applications (a liveness bound, not a timing assertion).
async fn until(
    api: &Api<DynamicObject>,
    what: &str,
    check: impl Fn(&[(String, String, String)]) -> bool,
) -> Vec<(String, String, String)> {
    let mut last = Vec::new();
    for _ in 0..600 {
        last = applications(api).await;
        if check(&last) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("timed out waiting for {what}: {last:#?}");
}

fn state<'a>(apps: &'a [(String, String, String)], name: &str) -> Option<(&'a str, &'a str)> {
    apps.iter()
        .find(|(n, _, _)| n == name)
        .map(|(_, s, h)| (s.as_str(), h.as_str()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_scenario_has_one_degraded_prd_app_one_outofsync_stg_app_and_promotions_waiting() {
    let (running, _home) = start(Scenario::Demo, |_| {}).await;
    let api = applications_api(common::client(running.estate(), "k8tre-mgmt").await);
    let apps = until(
        &api,
        "the demo's problems and everything else synced",
        |apps| {
            apps.len() > 40
                && state(apps, "backend-k8tre-prd") == Some(("Synced", "Degraded"))
                && state(apps, "gitea-k8tre-stg").is_some_and(|(s, _)| s == "OutOfSync")
                && apps
                    .iter()
                    .filter(|(n, _, _)| {
                        n != "backend-k8tre-prd"
                            && n != "gitea-k8tre-stg"
                            && n != "root-app-of-apps"
                    })
                    .all(|(_, s, h)| s == "Synced" && h == "Healthy")
        },
    )
    .await;
    for layer_app in [
        "cert-manager-k8tre-dev",
        "jupyterhub-k8tre-stg",
        "keycloak-k8tre-prd",
        "gateway-k8tre-prd",
    ] {
        assert_eq!(
            state(&apps, layer_app),
            Some(("Synced", "Healthy")),
            "{layer_app}"
        );
    }
    assert!(
        !running.repo().pending_promotions.is_empty(),
        "promotions are waiting in the repository"
    );

    // The degraded app's pod crash-loops, with its Warning events, as kubectl shows them.
    let dir = tempfile::tempdir().expect("tempdir");
    let pods = common::kubectl_ok(
        running.estate(),
        dir.path(),
        &["--context", "k8tre-prd", "get", "pods", "-n", "backend"],
    )
    .await;
    assert!(pods.contains("CrashLoopBackOff"), "{pods}");
    let events = common::kubectl_ok(
        running.estate(),
        dir.path(),
        &[
            "--context",
            "k8tre-prd",
            "get",
            "events",
            "-n",
            "backend",
            "--field-selector",
            "type=Warning",
        ],
    )
    .await;
    assert!(events.contains("BackOff"), "{events}");
    let table = common::kubectl_ok(
        running.estate(),
        dir.path(),
        &[
            "--context",
            "k8tre-mgmt",
            "get",
            "applications",
            "-n",
            "argocd",
        ],
    )
    .await;
    assert!(
        table.contains("SYNC STATUS") && table.contains("HEALTH STATUS"),
        "{table}"
    );
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incident_scenario_loses_stg_fails_a_sync_degrades_an_agnostic_and_a_node() {
    let (running, _home) = start(Scenario::Incident, |_| {}).await;
    let api = applications_api(common::client(running.estate(), "k8tre-mgmt").await);
    let apps = until(&api, "the incident", |apps| {
        state(apps, "cert-manager-k8tre-dev").is_some_and(|(_, h)| h == "Degraded")
            && apps
                .iter()
                .filter(|(n, _, _)| n.ends_with("-k8tre-stg"))
                .all(|(_, s, _)| s == "Unknown")
    })
    .await;
    assert!(apps.iter().any(|(n, _, _)| n.ends_with("-k8tre-stg")));
    // The failing sync ends with a SyncError condition naming the refused apply.
    let mut sync_error = None;
    for _ in 0..600 {
        let app = api.get("jupyterhub-k8tre-dev").await.expect("jupyterhub");
        sync_error = app
            .data
            .pointer("/status/conditions")
            .and_then(Value::as_array)
            .and_then(|c| c.iter().find(|c| c["type"] == "SyncError").cloned());
        if sync_error.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let sync_error = sync_error.expect("a SyncError condition");
    assert!(
        sync_error["message"]
            .as_str()
            .expect("message")
            .contains("Failed last sync attempt"),
        "{sync_error}"
    );
    // stg refuses connections; a prd node is NotReady.
    let dir = tempfile::tempdir().expect("tempdir");
    let refused = common::kubectl(
        running.estate(),
        dir.path(),
        &["--context", "k8tre-stg", "get", "ns"],
    )
    .await;
    assert!(!refused.status.success());
    let nodes = common::kubectl_ok(
        running.estate(),
        dir.path(),
        &["--context", "k8tre-prd", "get", "nodes"],
    )
    .await;
    assert!(nodes.contains("NotReady"), "{nodes}");
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fresh_scenario_has_no_k8tre_and_an_incomplete_cilium() {
    let (running, _home) = start(Scenario::Fresh, |_| {}).await;
    let dir = tempfile::tempdir().expect("tempdir");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let apps = common::kubectl_ok(
        running.estate(),
        dir.path(),
        &[
            "--context",
            "k8tre-mgmt",
            "get",
            "applications",
            "-n",
            "argocd",
            "-o",
            "name",
        ],
    )
    .await;
    assert!(
        apps.trim().is_empty(),
        "no app-of-apps, no Applications: {apps}"
    );
    let argocd = common::kubectl_ok(
        running.estate(),
        dir.path(),
        &[
            "--context",
            "k8tre-mgmt",
            "get",
            "deploy",
            "-n",
            "argocd",
            "-o",
            "name",
        ],
    )
    .await;
    assert!(
        argocd.contains("argocd-repo-server"),
        "ArgoCD itself is installed: {argocd}"
    );
    let l7 = common::kubectl_ok(
        running.estate(),
        dir.path(),
        &[
            "--context",
            "k8tre-stg",
            "get",
            "cm",
            "cilium-config",
            "-n",
            "kube-system",
            "-o",
            "jsonpath={.data.enable-l7-proxy}",
        ],
    )
    .await;
    assert_eq!(l7, "false");
    let crds = common::kubectl_ok(
        running.estate(),
        dir.path(),
        &["--context", "k8tre-stg", "get", "crd", "-o", "name"],
    )
    .await;
    assert!(!crds.contains("gateway.networking.k8s.io"), "{crds}");
    let dev_crds = common::kubectl_ok(
        running.estate(),
        dir.path(),
        &["--context", "k8tre-dev", "get", "crd", "-o", "name"],
    )
    .await;
    assert!(
        dev_crds.contains("httproutes.gateway.networking.k8s.io"),
        "{dev_crds}"
    );
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthy_scenario_with_scale_and_a_start_fault() {
    let (running, _home) = start(Scenario::Healthy, |o| {
        o.scale = ScaleOptions {
            apps: 12,
            pods_per_app: 2,
        };
        o.faults = vec!["prd=latency:5ms".parse::<FaultSpec>().expect("fault")];
    })
    .await;
    assert_eq!(
        running
            .estate()
            .cluster("prd")
            .expect("prd")
            .faults
            .latency(),
        Duration::from_millis(5)
    );
    let api = applications_api(common::client(running.estate(), "k8tre-mgmt").await);
    let apps = until(
        &api,
        "every Application synced and healthy, synthetic ones included",
        |apps| {
            apps.iter()
                .filter(|(n, _, _)| n.starts_with("syn-"))
                .count()
                == 12
                && apps.len() > 50
                && apps.iter().all(|(_, s, h)| s == "Synced" && h == "Healthy")
        },
    )
    .await;
    assert!(state(&apps, "syn-0003-k8tre-prd").is_some());
    let dir = tempfile::tempdir().expect("tempdir");
    let pods = common::kubectl_ok(
        running.estate(),
        dir.path(),
        &[
            "--context",
            "k8tre-dev",
            "get",
            "pods",
            "-n",
            "syn-0000",
            "-o",
            "name",
        ],
    )
    .await;
    assert_eq!(pods.lines().count(), 2, "pods per synthetic app: {pods}");
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fault_on_an_unknown_cluster_is_refused_with_its_name() {
    let home = tempfile::tempdir().expect("home");
    let options = ScenarioOptions {
        faults: vec!["qa=refuse".parse().expect("spec")],
        git_home: Some(home.path().to_path_buf()),
        ..ScenarioOptions::default()
    };
    let err = SimulatedEstate::start(options)
        .await
        .err()
        .expect("refused");
    assert!(err.to_string().contains("\"qa\""), "{err}");
}

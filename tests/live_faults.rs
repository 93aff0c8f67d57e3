//! The live model through faults: dropped watches, a cluster that goes away and comes back
//! (connections refused while objects change), and 410 Gone on resume. Afterwards the model
//! must equal a fresh list of the same estate: nothing lost, nothing duplicated, nothing stale.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod live_support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::Utc;
use k8tre_console::domain::estate::ConnectionState;
use k8tre_console::live::model::EstateModel;
use k8tre_console::live::{KubeconfigSource, LiveOptions, Session, WatchKind};
use live_support::{Scenario, delete, merge_patch, pod, scenario, seed};
use serde_json::json;

async fn session(s: &Scenario) -> Session {
    let mut options = LiveOptions::new(KubeconfigSource::File(
        s.estate.kubeconfig_path().to_path_buf(),
    ));
    options.management_context = Some("k8tre-mgmt".into());
    let mut session = Session::start(options).await.expect("session starts");
    assert!(session.settle(Duration::from_secs(30)).await, "settles");
    session
}

/// Applies events until `check` holds. A liveness bound, not a timing claim.
async fn pump_until(session: &mut Session, what: &str, check: impl Fn(&EstateModel) -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        session.drain();
        session.model_mut().refresh(Utc::now());
        if check(session.model()) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        if let Ok(Some(event)) =
            tokio::time::timeout(Duration::from_millis(100), session.recv()).await
        {
            session.apply(event);
        }
    }
}

/// What must agree with a fresh list: every Application's state, and each connection's pods,
/// workloads and nodes.
#[derive(Debug, PartialEq, Eq)]
struct Snapshot {
    apps: BTreeMap<String, (String, String, Option<String>)>,
    pods: BTreeMap<String, BTreeSet<String>>,
    workloads: BTreeMap<String, usize>,
    nodes: BTreeMap<String, usize>,
}

fn snapshot(model: &EstateModel) -> Snapshot {
    let apps: BTreeMap<String, (String, String, Option<String>)> = model
        .apps()
        .iter()
        .map(|a| {
            (
                a.name.to_string(),
                (
                    a.sync.as_str().to_string(),
                    a.health.as_str().to_string(),
                    a.cluster.as_deref().map(str::to_string),
                ),
            )
        })
        .collect();
    assert_eq!(apps.len(), model.apps().len(), "no Application twice");
    let mut pods = BTreeMap::new();
    let mut workloads = BTreeMap::new();
    let mut nodes = BTreeMap::new();
    for (context, connection) in model.connections() {
        pods.insert(
            context.to_string(),
            connection
                .pods
                .iter()
                .map(|(k, _)| k.to_string())
                .collect::<BTreeSet<String>>(),
        );
        workloads.insert(
            context.to_string(),
            connection.workloads.values().map(|s| s.len()).sum(),
        );
        nodes.insert(context.to_string(), connection.nodes.len());
    }
    Snapshot {
        apps,
        pods,
        workloads,
        nodes,
    }
}

fn app_health(model: &EstateModel, name: &str) -> Option<String> {
    model
        .app("argocd", name)
        .map(|(s, _)| s.health.as_str().to_string())
}

fn has_pod(model: &EstateModel, context: &str, namespace: &str, name: &str) -> bool {
    model.connection(context).is_some_and(|c| {
        c.pods
            .iter()
            .any(|(k, _)| &*k.namespace == namespace && &*k.name == name)
    })
}

fn live(model: &EstateModel, cluster: &str) -> bool {
    model
        .cluster(cluster)
        .is_some_and(|c| c.connection == ConnectionState::Live)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_drops_410_and_a_restart_the_model_equals_a_fresh_list() {
    let s = scenario().await;
    let mut a = session(&s).await;

    // 1. Dropped watches: every stream ends; changes made meanwhile still arrive.
    for cluster in ["mgmt", "dev"] {
        s.estate
            .cluster(cluster)
            .expect("cluster")
            .faults
            .drop_watches();
    }
    merge_patch(
        &s.estate,
        "mgmt",
        "argoproj.io/v1alpha1",
        "Application",
        "argocd",
        "jupyterhub-k8tre-dev",
        json!({"status": {"health": {"status": "Degraded"}}}),
    );
    seed(
        &s.estate,
        "dev",
        pod("jupyterhub", "web-7d9f8c6b5-9", "web", "7d9f8c6b5"),
    );
    pump_until(&mut a, "changes after dropped watches", |m| {
        app_health(m, "jupyterhub-k8tre-dev").as_deref() == Some("Degraded")
            && has_pod(m, "k8tre-dev", "jupyterhub", "web-7d9f8c6b5-9")
    })
    .await;

    // 2. mgmt and dev go away; objects change while they are gone; history is compacted,
    //    so resuming from the old resourceVersion gets 410 Gone and a relist.
    for cluster in ["mgmt", "dev"] {
        s.estate
            .cluster(cluster)
            .expect("cluster")
            .faults
            .set_refuse(true);
    }
    pump_until(&mut a, "the outage to show", |m| {
        !live(m, "k8tre-dev") && !live(m, "k8tre-mgmt")
    })
    .await;
    let relists_before =
        a.model().connection("k8tre-mgmt").expect("mgmt").watches[&WatchKind::Applications].relists;
    delete(
        &s.estate,
        "mgmt",
        "argoproj.io/v1alpha1",
        "Application",
        "argocd",
        "gateway-k8tre-dev",
    );
    merge_patch(
        &s.estate,
        "mgmt",
        "argoproj.io/v1alpha1",
        "Application",
        "argocd",
        "keycloak-k8tre-dev",
        json!({"status": {"health": {"status": "Healthy"}, "sync": {"status": "OutOfSync"}}}),
    );
    delete(
        &s.estate,
        "dev",
        "v1",
        "Pod",
        "jupyterhub",
        "web-7d9f8c6b5-0",
    );
    seed(
        &s.estate,
        "dev",
        pod("keycloak", "web-7d9f8c6b5-7", "web", "7d9f8c6b5"),
    );
    delete(&s.estate, "dev", "v1", "Node", "", "dev-node-1");
    for cluster in ["mgmt", "dev"] {
        let state = s.estate.cluster(cluster).expect("cluster");
        state.store.compact();
        state.faults.set_refuse(false);
    }
    pump_until(&mut a, "recovery through 410 and relists", |m| {
        live(m, "k8tre-dev")
            && live(m, "k8tre-mgmt")
            && m.app("argocd", "gateway-k8tre-dev").is_none()
            && !has_pod(m, "k8tre-dev", "jupyterhub", "web-7d9f8c6b5-0")
            && has_pod(m, "k8tre-dev", "keycloak", "web-7d9f8c6b5-7")
            && m.connection("k8tre-dev")
                .is_some_and(|c| c.nodes.len() == 1)
    })
    .await;
    let status =
        &a.model().connection("k8tre-mgmt").expect("mgmt").watches[&WatchKind::Applications];
    assert!(
        status.relists > relists_before,
        "the Applications watch listed again after 410"
    );
    let (keycloak, _) = a
        .model()
        .app("argocd", "keycloak-k8tre-dev")
        .expect("keycloak");
    assert_eq!(
        (keycloak.health.as_str(), keycloak.sync.as_str()),
        ("Healthy", "OutOfSync")
    );

    // 3. A fresh session lists the same estate from scratch: the models agree.
    let mut b = session(&s).await;
    a.drain();
    a.model_mut().refresh(Utc::now());
    b.model_mut().refresh(Utc::now());
    assert_eq!(snapshot(a.model()), snapshot(b.model()));
    assert_eq!(a.model().matrix(), b.model().matrix());
    s.estate.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clusters_appear_and_disappear_with_their_secrets() {
    let s = scenario().await;
    let mut a = session(&s).await;
    assert!(a.model().cluster("k8tre-prd").is_some());
    delete(
        &s.estate,
        "mgmt",
        "v1",
        "Secret",
        "argocd",
        "cluster-k8tre-prd",
    );
    pump_until(&mut a, "prd to leave", |m| {
        m.cluster("k8tre-prd").is_none() && m.connection("k8tre-prd").is_none()
    })
    .await;
    assert!(
        !a.supervisor().running().contains_key("k8tre-prd"),
        "its watches stopped"
    );
    let (app, _) = a
        .model()
        .app("argocd", "jupyterhub-k8tre-prd")
        .expect("app");
    assert_eq!(
        app.cluster, None,
        "ArgoCD still lists it; its cluster is gone"
    );
    s.estate.stop().await;
}

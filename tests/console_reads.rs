//! The console's effect runner reading, over real HTTP from the simulated API server, the
//! resources of an Application that the live model does not watch, and assessing them with
//! ArgoCD's health rules: what exists, what does not, and what the cluster does not serve.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use k8tre_console::app::runner::KubeRunner;
use k8tre_console::app::{
    Effect, EffectRunner, Msg, ReadOutcome, ReadRequest, ResourceRef, ResourcesRead,
};
use k8tre_console::domain::argocd::HealthStatus;
use k8tre_console::live::discovery::{Contexts, KubeconfigSource};
use k8tre_console::sim::{Estate, EstateOptions};
use serde_json::json;
use tokio::sync::mpsc;

fn resource(group: &str, kind: &str, name: &str) -> ResourceRef {
    ResourceRef {
        group: group.into(),
        version: "v1".into(),
        kind: kind.into(),
        namespace: "jupyterhub".into(),
        name: name.into(),
    }
}

async fn read(estate: &Estate, context: &str, resources: Vec<ResourceRef>) -> ResourcesRead {
    let contexts = Contexts::load(KubeconfigSource::File(
        estate.kubeconfig_path().to_path_buf(),
    ))
    .expect("contexts");
    let mut runner = KubeRunner::new(Arc::new(contexts), None, None, true);
    let (tx, mut rx) = mpsc::channel(8);
    runner.run(
        Effect::ReadResources(ReadRequest {
            id: 41,
            context: context.into(),
            resources,
        }),
        &tx,
    );
    let msg = tokio::time::timeout(Duration::from_secs(20), rx.recv())
        .await
        .expect("answered in time")
        .expect("a message");
    let Msg::Read(answer) = msg else {
        panic!("a read answer, not {msg:?}");
    };
    answer
}

fn outcome<'a>(answer: &'a ResourcesRead, name: &str) -> &'a ReadOutcome {
    &answer
        .outcomes
        .iter()
        .find(|(r, _)| r.name == name)
        .expect("every resource answered")
        .1
}

#[tokio::test]
async fn unwatched_resources_are_read_and_assessed_with_argocd_rules() {
    let estate = Estate::start(EstateOptions::with_clusters(&["prd"]))
        .await
        .expect("estate");
    for object in [
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "jupyterhub"}}),
        json!({"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": "hub", "namespace": "jupyterhub"},
               "spec": {"type": "ClusterIP", "ports": [{"port": 80}]}}),
        json!({"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": "proxy-public", "namespace": "jupyterhub"},
               "spec": {"type": "LoadBalancer", "ports": [{"port": 443}]}}),
        json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
               "metadata": {"name": "hub-db-dir", "namespace": "jupyterhub"},
               "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
               "status": {"phase": "Pending"}}),
    ] {
        estate.seed("prd", object).expect("seeded");
    }

    let answer = read(
        &estate,
        "k8tre-prd-viewer",
        vec![
            resource("", "Service", "hub"),
            resource("", "Service", "proxy-public"),
            resource("", "PersistentVolumeClaim", "hub-db-dir"),
            resource("", "Service", "gone"),
            resource("example.k8tre.io", "Widget", "w"),
        ],
    )
    .await;

    assert_eq!(answer.id, 41);
    assert_eq!(answer.outcomes.len(), 5);
    let status = |name| match outcome(&answer, name) {
        ReadOutcome::Assessed(health) => Some(health.status),
        _ => None,
    };
    assert_eq!(status("hub"), Some(HealthStatus::Healthy));
    assert_eq!(
        status("proxy-public"),
        Some(HealthStatus::Progressing),
        "a LoadBalancer without an ingress address is still progressing"
    );
    assert_eq!(status("hub-db-dir"), Some(HealthStatus::Progressing));
    assert_eq!(outcome(&answer, "gone"), &ReadOutcome::NotFound);
    let ReadOutcome::Failed(why) = outcome(&answer, "w") else {
        panic!("an unserved kind fails: {:?}", outcome(&answer, "w"));
    };
    assert!(why.contains("Widget"), "{why}");
    // Reading is no write, even through the viewer.
    let writes: Vec<_> = estate
        .requests()
        .into_iter()
        .filter(|r| !matches!(r.verb.as_str(), "get" | "list" | "watch"))
        .collect();
    assert!(writes.is_empty(), "{writes:?}");
}

#[tokio::test]
async fn an_unknown_context_fails_every_read_with_its_name() {
    let estate = Estate::start(EstateOptions::with_clusters(&["prd"]))
        .await
        .expect("estate");
    let answer = read(
        &estate,
        "k8tre-nowhere",
        vec![
            resource("", "Service", "hub"),
            resource("", "Service", "db"),
        ],
    )
    .await;
    assert_eq!(answer.outcomes.len(), 2);
    for (_, outcome) in &answer.outcomes {
        let ReadOutcome::Failed(why) = outcome else {
            panic!("failed expected: {outcome:?}");
        };
        assert!(why.contains("k8tre-nowhere"), "{why}");
    }
}

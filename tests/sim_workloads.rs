//! The workload controllers seen from outside, over real HTTPS: kube-rs and the stock
//! kubectl watch Deployments roll out, crash loops back off, and the rest of an app's
//! resources (StatefulSet, DaemonSet, claims, load balancer, nodes) converge.
//! Waits are liveness bounds for a loaded 2-core machine, never timing assertions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{kubectl, kubectl_ok, write_manifest};
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::core::v1::{Event, Node, PersistentVolumeClaim, Pod, Service};
use k8tre_console::domain::argocd::HealthStatus;
use k8tre_console::domain::health;
use k8tre_console::sim::Estate;
use k8tre_console::sim::clock::SimClock;
use k8tre_console::sim::workloads::{
    CRASH_LOOP, NODE_NOT_READY, WorkloadOptions, Workloads, WorkloadsHandle,
};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::{Client, ResourceExt};
use serde::Serialize;
use serde_json::{Value, json};

const LIVENESS: Duration = Duration::from_secs(90);

async fn estate_with_workloads(options: WorkloadOptions) -> (Estate, WorkloadsHandle, Client) {
    let estate = common::estate(&["dev"]).await;
    let cluster = estate.cluster("dev").expect("dev").clone();
    let handle = Workloads::spawn(cluster, SimClock::new(40.0), options).expect("controllers");
    let client = common::client(&estate, "k8tre-dev").await;
    (estate, handle, client)
}

/// Polls `check` until it yields; panics naming `what` after the liveness bound.
async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + LIVENESS;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn health_of(obj: &impl Serialize) -> HealthStatus {
    let value = serde_json::to_value(obj).expect("json");
    health::assess(&value).expect("has health").status
}

fn deployment(name: &str, image: &str, annotations: Value, extra_spec: Value) -> Deployment {
    let mut d = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}, "annotations": annotations},
                "spec": {"containers": [{"name": name, "image": image, "ports": [{"containerPort": 8080}]}]}
            }
        }
    });
    if let (Some(spec), Some(extra)) = (d["spec"].as_object_mut(), extra_spec.as_object()) {
        spec.extend(extra.clone());
    }
    serde_json::from_value(d).expect("deployment")
}

async fn pods_with_prefix(pods: &Api<Pod>, prefix: &str) -> Vec<Pod> {
    pods.list(&ListParams::default())
        .await
        .expect("list pods")
        .items
        .into_iter()
        .filter(|p| p.name_any().starts_with(prefix))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deployments_roll_out_and_roll_over_for_kube_rs_and_kubectl() {
    let (estate, handle, client) = estate_with_workloads(WorkloadOptions::default()).await;
    let cache = tempfile::tempdir().expect("tempdir");
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), "default");
    let replicasets: Api<ReplicaSet> = Api::namespaced(client.clone(), "default");
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    deployments
        .create(
            &PostParams::default(),
            &deployment("web", "nginx:1.27", json!({}), json!({})),
        )
        .await
        .expect("create");

    let seen = std::sync::Arc::new(parking_lot::Mutex::new(Vec::new()));
    eventually("web to become Healthy", || {
        let deployments = deployments.clone();
        let seen = seen.clone();
        async move {
            let d = deployments.get("web").await.ok()?;
            let status = health_of(&d);
            seen.lock().push(status);
            (status == HealthStatus::Healthy).then_some(())
        }
    })
    .await;
    let seen = seen.lock().clone();
    assert!(
        seen.contains(&HealthStatus::Progressing),
        "health went {seen:?}"
    );
    let rollout = kubectl_ok(
        &estate,
        cache.path(),
        &[
            "--context",
            "k8tre-dev",
            "rollout",
            "status",
            "deployment/web",
            "--timeout=60s",
        ],
    )
    .await;
    assert!(rollout.contains("successfully rolled out"), "{rollout}");
    let first = replicasets
        .list(&ListParams::default())
        .await
        .expect("rs")
        .items;
    assert_eq!(first.len(), 1);
    let first_name = first[0].name_any();
    assert!(first_name.starts_with("web-"));
    assert_eq!(pods_with_prefix(&pods, &first_name).await.len(), 3);

    let patch = json!({"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.28"}]}}}});
    deployments
        .patch("web", &PatchParams::default(), &Patch::Strategic(patch))
        .await
        .expect("new image");
    let rollout = kubectl_ok(
        &estate,
        cache.path(),
        &[
            "--context",
            "k8tre-dev",
            "rollout",
            "status",
            "deployment/web",
            "--timeout=60s",
        ],
    )
    .await;
    assert!(rollout.contains("successfully rolled out"), "{rollout}");
    let all = replicasets
        .list(&ListParams::default())
        .await
        .expect("rs")
        .items;
    assert_eq!(all.len(), 2, "a new ReplicaSet for the new template");
    let second = all
        .iter()
        .find(|r| r.name_any() != first_name)
        .expect("new rs");
    assert_eq!(second.spec.replicas, Some(3));
    let old = all
        .iter()
        .find(|r| r.name_any() == first_name)
        .expect("old rs");
    assert_eq!(old.spec.replicas, Some(0));
    eventually("the old pods to be gone", || {
        let pods = pods.clone();
        let first_name = first_name.clone();
        async move {
            pods_with_prefix(&pods, &first_name)
                .await
                .is_empty()
                .then_some(())
        }
    })
    .await;
    let table = kubectl_ok(
        &estate,
        cache.path(),
        &["--context", "k8tre-dev", "get", "pods"],
    )
    .await;
    assert_eq!(table.matches("Running").count(), 3, "{table}");
    let history = kubectl_ok(
        &estate,
        cache.path(),
        &[
            "--context",
            "k8tre-dev",
            "rollout",
            "history",
            "deployment/web",
        ],
    )
    .await;
    let revisions: Vec<&str> = history
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| w.chars().all(|c| c.is_ascii_digit()))
        .collect();
    assert_eq!(revisions, vec!["1", "2"], "{history}");
    handle.stop().await;
    estate.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_loops_show_in_status_events_logs_and_health() {
    let (estate, handle, client) = estate_with_workloads(WorkloadOptions::default()).await;
    let cache = tempfile::tempdir().expect("tempdir");
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), "default");
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    let events: Api<Event> = Api::namespaced(client.clone(), "default");
    let mut d = deployment(
        "worker",
        "python:3.12",
        json!({CRASH_LOOP: "worker"}),
        json!({}),
    );
    d.spec.replicas = Some(1);
    deployments
        .create(&PostParams::default(), &d)
        .await
        .expect("create");
    let pod = eventually("CrashLoopBackOff with restarts", || {
        let pods = pods.clone();
        async move {
            let pod = pods_with_prefix(&pods, "worker-").await.pop()?;
            let status = pod
                .status
                .as_ref()?
                .container_statuses
                .as_ref()?
                .first()?
                .clone();
            let waiting = status.state.as_ref()?.waiting.as_ref()?.reason.clone()?;
            (waiting == "CrashLoopBackOff" && status.restart_count >= 2).then_some(pod)
        }
    })
    .await;
    assert_eq!(health_of(&pod), HealthStatus::Degraded);
    let name = pod.name_any();
    let last = pod
        .status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .and_then(|c| c.first().cloned())
        .and_then(|c| c.last_state)
        .and_then(|s| s.terminated)
        .expect("lastState.terminated");
    assert_eq!(last.exit_code, 1);
    let backoff = eventually("a BackOff event counted more than once", || {
        let events = events.clone();
        let name = name.clone();
        async move {
            let selector = format!("involvedObject.name={name},reason=BackOff");
            let list = events
                .list(&ListParams::default().fields(&selector))
                .await
                .ok()?;
            list.items.into_iter().find(|e| e.count.unwrap_or(0) > 1)
        }
    })
    .await;
    assert_eq!(backoff.type_.as_deref(), Some("Warning"));
    assert!(
        backoff
            .message
            .as_deref()
            .is_some_and(|m| m.starts_with("Back-off restarting failed container worker in pod"))
    );
    let previous = kubectl_ok(
        &estate,
        cache.path(),
        &["--context", "k8tre-dev", "logs", &name, "--previous"],
    )
    .await;
    assert!(
        previous.contains("Traceback (most recent call last):"),
        "{previous}"
    );
    eventually("kubectl to show CrashLoopBackOff", || {
        let estate = &estate;
        let cache = cache.path().to_path_buf();
        let name = name.clone();
        async move {
            let out = kubectl(
                estate,
                &cache,
                &["--context", "k8tre-dev", "get", "pod", &name],
            )
            .await;
            String::from_utf8_lossy(&out.stdout)
                .contains("CrashLoopBackOff")
                .then_some(())
        }
    })
    .await;
    handle.stop().await;
    estate.stop().await;
}

const APP: &str = r#"
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: gp3
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: ebs.csi.aws.com
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: default}
spec:
  replicas: 3
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: postgres, image: "postgres:16"}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 10Gi}}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: default}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers: [{name: agent, image: "cilium/cilium:1.16"}]
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: uploads, namespace: default}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: v1
kind: Service
metadata: {name: gateway, namespace: default}
spec:
  type: LoadBalancer
  selector: {app: gateway}
  ports: [{port: 443}]
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statefulsets_daemonsets_claims_load_balancers_and_nodes_converge() {
    let (estate, handle, client) = estate_with_workloads(WorkloadOptions::default()).await;
    let cache = tempfile::tempdir().expect("tempdir");
    let manifest = write_manifest(cache.path(), "app.yaml", APP);
    let manifest = manifest.to_str().expect("path");
    kubectl_ok(
        &estate,
        cache.path(),
        &["--context", "k8tre-dev", "apply", "-f", manifest],
    )
    .await;

    let statefulsets: Api<StatefulSet> = Api::namespaced(client.clone(), "default");
    let daemonsets: Api<DaemonSet> = Api::namespaced(client.clone(), "default");
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), "default");
    let services: Api<Service> = Api::namespaced(client.clone(), "default");
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    let nodes: Api<Node> = Api::all(client.clone());

    let out = kubectl_ok(
        &estate,
        cache.path(),
        &[
            "--context",
            "k8tre-dev",
            "rollout",
            "status",
            "statefulset/db",
            "--timeout=60s",
        ],
    )
    .await;
    assert!(
        out.contains("roll out complete") || out.contains("rolling update complete"),
        "{out}"
    );
    let sts = statefulsets.get("db").await.expect("db");
    assert_eq!(health_of(&sts), HealthStatus::Healthy);
    let mut names: Vec<String> = pods_with_prefix(&pods, "db-")
        .await
        .iter()
        .map(|p| p.name_any())
        .collect();
    names.sort();
    assert_eq!(names, vec!["db-0", "db-1", "db-2"]);
    eventually("every claim bound", || {
        let claims = claims.clone();
        async move {
            let list = claims.list(&ListParams::default()).await.ok()?.items;
            let bound = list
                .iter()
                .filter(|c| health_of(*c) == HealthStatus::Healthy)
                .count();
            (list.len() == 4 && bound == 4).then_some(())
        }
    })
    .await;

    let ds = eventually("a daemon pod on every node", || {
        let daemonsets = daemonsets.clone();
        async move {
            let ds = daemonsets.get("agent").await.ok()?;
            let status = ds.status.clone()?;
            (status.number_ready == 3 && health_of(&ds) == HealthStatus::Healthy).then_some(ds)
        }
    })
    .await;
    assert_eq!(
        ds.status.as_ref().map(|s| s.desired_number_scheduled),
        Some(3)
    );

    let svc = eventually("a load balancer address", || {
        let services = services.clone();
        async move {
            let svc = services.get("gateway").await.ok()?;
            (health_of(&svc) == HealthStatus::Healthy).then_some(svc)
        }
    })
    .await;
    let ingress = svc
        .status
        .and_then(|s| s.load_balancer)
        .and_then(|l| l.ingress)
        .expect("ingress");
    assert!(
        ingress[0]
            .ip
            .as_deref()
            .is_some_and(|ip| ip.starts_with("172.18."))
    );

    let node_list = nodes
        .list(&ListParams::default())
        .await
        .expect("nodes")
        .items;
    assert_eq!(node_list.len(), 3);
    let target = node_list[0].name_any();
    let patch = json!({"metadata": {"annotations": {NODE_NOT_READY: "true"}}});
    nodes
        .patch(&target, &PatchParams::default(), &Patch::Merge(patch))
        .await
        .expect("annotate");
    eventually("the node NotReady in kubectl", || {
        let estate = &estate;
        let cache = cache.path().to_path_buf();
        let target = target.clone();
        async move {
            let out = kubectl(
                estate,
                &cache,
                &["--context", "k8tre-dev", "get", "node", &target],
            )
            .await;
            String::from_utf8_lossy(&out.stdout)
                .contains("NotReady")
                .then_some(())
        }
    })
    .await;
    eventually("the daemon set to notice", || {
        let daemonsets = daemonsets.clone();
        async move {
            let ds = daemonsets.get("agent").await.ok()?;
            (health_of(&ds) == HealthStatus::Progressing).then_some(())
        }
    })
    .await;
    handle.stop().await;
    estate.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_deployment_cleans_up_and_events_stay_bounded() {
    let options = WorkloadOptions {
        events_per_namespace: 30,
        ..WorkloadOptions::default()
    };
    let (estate, handle, client) = estate_with_workloads(options).await;
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), "default");
    let replicasets: Api<ReplicaSet> = Api::namespaced(client.clone(), "default");
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    let events: Api<Event> = Api::namespaced(client.clone(), "default");
    let mut d = deployment("web", "nginx:1.27", json!({}), json!({}));
    d.spec.replicas = Some(12);
    deployments
        .create(&PostParams::default(), &d)
        .await
        .expect("create");
    eventually("web Healthy", || {
        let deployments = deployments.clone();
        async move {
            let d = deployments.get("web").await.ok()?;
            (health_of(&d) == HealthStatus::Healthy).then_some(())
        }
    })
    .await;
    let recorded = handle.stats().events_recorded;
    assert!(
        recorded > 30,
        "12 pods make more events than the cap: {recorded}"
    );
    let kept = events
        .list(&ListParams::default())
        .await
        .expect("events")
        .items
        .len();
    assert!(kept <= 30, "{kept} events kept");

    deployments
        .delete("web", &DeleteParams::default())
        .await
        .expect("delete");
    eventually("the ReplicaSets and pods to go", || {
        let replicasets = replicasets.clone();
        let pods = pods.clone();
        async move {
            let rs = replicasets.list(&ListParams::default()).await.ok()?.items;
            let left = pods.list(&ListParams::default()).await.ok()?.items;
            (rs.is_empty() && left.is_empty()).then_some(())
        }
    })
    .await;
    handle.stop().await;
    estate.stop().await;
}

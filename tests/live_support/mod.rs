//! A K8TRE estate seeded into the simulation for the live-model tests: a management cluster
//! with ArgoCD (CRDs, workloads, config, cluster Secrets labelled like `DEMO_CLUSTERS`, the demo
//! repository's ApplicationSets and their Applications with realistic status) and three target
//! clusters with nodes, Cilium, Gateway API CRDs, storage classes and workloads.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use k8tre_console::domain::appset::ClusterInfo;
use k8tre_console::gitops::scan::RepoScan;
use k8tre_console::sim::api::{DeleteOptions, WriteContext};
use k8tre_console::sim::argocd::crds;
use k8tre_console::sim::demo_repo::{DEMO_CLUSTERS, DemoRepo, DemoRepoOptions, create_demo_repo};
use k8tre_console::sim::scenario::baseline::gateway_crd;
use k8tre_console::sim::scenario::showcase::{daemon_set, deployment, stateful_set};
use k8tre_console::sim::{Estate, EstateOptions};
use serde_json::{Value, json};

/// The estate's clusters: simulated cluster name → ArgoCD cluster name, vendor.
pub const TARGETS: [(&str, &str, &str); 3] = [
    ("dev", "k8tre-dev", "k3s"),
    ("stg", "k8tre-stg", "azure"),
    ("prd", "k8tre-prd", "aws"),
];

/// An Application the fixture leaves out (so `status` reports it missing).
pub const LEFT_OUT: &str = "cr8tor-k8tre-prd";
/// An Application the fixture adds that no ApplicationSet generates.
pub const STRAY: &str = "jupyterhub-old-cluster";

pub struct Scenario {
    pub estate: Estate,
    pub repo: DemoRepo,
    pub dir: tempfile::TempDir,
    /// Application name → (health, sync) as seeded.
    pub apps: BTreeMap<String, (String, String)>,
}

impl Scenario {
    pub fn repo_path(&self) -> &Path {
        &self.repo.path
    }

    /// An empty config file (so the user's own config is never read).
    pub fn config_path(&self) -> PathBuf {
        let path = self.dir.path().join("config.yaml");
        if !path.exists() {
            std::fs::write(&path, "{}\n").expect("config");
        }
        path
    }
}

/// Starts the estate and seeds it.
pub async fn scenario() -> Scenario {
    let estate = Estate::start(EstateOptions::with_clusters(&["mgmt", "dev", "stg", "prd"]))
        .await
        .expect("estate");
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = create_demo_repo(
        &dir.path().join("repo"),
        &DemoRepoOptions {
            repo_url: None,
            git_home: Some(dir.path().join("home")),
        },
    )
    .expect("demo repo");
    let apps = seed_argocd(&estate, &repo);
    for (cluster, _, vendor) in TARGETS {
        seed_target(&estate, cluster, vendor);
    }
    seed_infrastructure(&estate, "mgmt", "k3s");
    Scenario {
        estate,
        repo,
        dir,
        apps,
    }
}

pub fn seed(estate: &Estate, cluster: &str, obj: Value) -> Value {
    let what = format!("{} {}", obj["kind"], obj["metadata"]["name"]);
    estate
        .seed(cluster, obj)
        .unwrap_or_else(|e| panic!("seeding {what} into {cluster}: {e:?}"))
}

/// Deletes an object in-process, as a controller would.
pub fn delete(
    estate: &Estate,
    cluster: &str,
    api_version: &str,
    kind: &str,
    namespace: &str,
    name: &str,
) {
    let state = estate.cluster(cluster).expect("cluster");
    let rt = state
        .registry
        .read()
        .by_kind(api_version, kind)
        .expect("served");
    let ns = if rt.namespaced { namespace } else { "" };
    state
        .delete(
            &rt,
            ns,
            name,
            &DeleteOptions::default(),
            &WriteContext::controller("live-test"),
        )
        .unwrap_or_else(|e| panic!("deleting {kind} {name}: {e:?}"));
}

/// ArgoCD's cluster generator inputs for the demo estate, servers at the simulation's URLs.
pub fn cluster_infos(estate: &Estate) -> Vec<ClusterInfo> {
    TARGETS
        .iter()
        .map(|(cluster, name, _)| {
            let demo = DEMO_CLUSTERS
                .iter()
                .find(|d| d.name == *name)
                .expect("demo cluster");
            ClusterInfo {
                name: name.to_string(),
                server: estate.url(cluster).expect("url"),
                labels: demo.label_map(),
                annotations: BTreeMap::new(),
            }
        })
        .collect()
}

fn cluster_secret(estate: &Estate, cluster: &str, name: &str) -> Value {
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let demo = DEMO_CLUSTERS
        .iter()
        .find(|d| d.name == name)
        .expect("demo cluster");
    let mut labels = demo.label_map();
    labels.insert("argocd.argoproj.io/secret-type".into(), "cluster".into());
    let server = estate.url(cluster).expect("url");
    json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": format!("cluster-{name}"), "namespace": "argocd", "labels": labels},
        "type": "Opaque",
        "data": {
            "name": b64(name),
            "server": b64(&server),
            "config": b64("{\"bearerToken\":\"TOP-SECRET-TOKEN\",\"tlsClientConfig\":{\"insecure\":false}}"),
        }
    })
}

/// How the fixture's Applications look: a few unhealthy ones among healthy ones.
fn app_state(name: &str) -> (&'static str, &'static str, &'static str) {
    match name {
        "keycloak-k8tre-dev" => ("Degraded", "Synced", "Succeeded"),
        "gitea-k8tre-stg" => ("Progressing", "OutOfSync", "Running"),
        "backend-k8tre-prd" => ("Healthy", "OutOfSync", "Failed"),
        _ => ("Healthy", "Synced", "Succeeded"),
    }
}

fn seed_argocd(estate: &Estate, repo: &DemoRepo) -> BTreeMap<String, (String, String)> {
    for crd in crds::all() {
        seed(estate, "mgmt", crd);
    }
    seed_argocd_install(estate);
    for (cluster, name, _) in TARGETS {
        seed(estate, "mgmt", cluster_secret(estate, cluster, name));
    }
    let scan = RepoScan::checkout(&repo.path).expect("scan demo repo");
    assert!(scan.errors.is_empty(), "{:?}", scan.errors);
    let mut uids = BTreeMap::new();
    for (_, appset) in &scan.appsets {
        let value = serde_json::to_value(appset).expect("appset json");
        let stored = seed(estate, "mgmt", value);
        uids.insert(
            appset.name().to_string(),
            stored["metadata"]["uid"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        );
    }
    let report = scan.expected(&cluster_infos(estate));
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let mut seeded = BTreeMap::new();
    for generated in report.applications.iter().filter(|a| a.name != LEFT_OUT) {
        let mut manifest = generated.to_manifest();
        manifest["metadata"]
            .as_object_mut()
            .expect("metadata")
            .remove("finalizers");
        manifest["metadata"]["ownerReferences"] = json!([{
            "apiVersion": "argoproj.io/v1alpha1", "kind": "ApplicationSet",
            "name": generated.applicationset, "uid": uids[&generated.applicationset],
            "controller": true, "blockOwnerDeletion": true
        }]);
        let (health, sync) = seed_application(estate, manifest, &repo.head);
        seeded.insert(generated.name.clone(), (health, sync));
    }
    // A stray look-alike no ApplicationSet generates.
    let stray = json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
        "metadata": {"name": STRAY, "namespace": "argocd"},
        "spec": {"project": "default", "destination": {"server": "https://old.example.org", "namespace": "jupyterhub"},
                 "source": {"repoURL": repo.repo_url, "path": "apps/jupyterhub/envs/dev", "targetRevision": "main"}}
    });
    let (health, sync) = seed_application(estate, stray, &repo.head);
    seeded.insert(STRAY.to_string(), (health, sync));
    seeded
}

fn seed_application(estate: &Estate, mut manifest: Value, revision: &str) -> (String, String) {
    let name = manifest["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let (health, sync, phase) = if name == STRAY {
        ("Unknown", "Unknown", "Failed")
    } else {
        app_state(&name)
    };
    let namespace = manifest["spec"]["destination"]["namespace"].clone();
    manifest["status"] = json!({
        "sync": {"status": sync, "revision": revision},
        "health": {"status": health},
        "resources": [{"group": "apps", "version": "v1", "kind": "Deployment", "namespace": namespace, "name": "web", "status": sync}],
        "operationState": {"phase": phase, "startedAt": "2026-08-22T10:00:00Z", "finishedAt": "2026-08-22T10:00:05Z",
            "operation": {"sync": {"revision": revision}, "initiatedBy": {"automated": true}}},
        "history": [{"id": 0, "revision": revision, "deployedAt": "2026-08-22T10:00:05Z"}],
        "reconciledAt": "2026-08-22T10:00:05Z"
    });
    seed(estate, "mgmt", manifest);
    (health.to_string(), sync.to_string())
}

fn seed_argocd_install(estate: &Estate) {
    for name in [
        "argocd-server",
        "argocd-applicationset-controller",
        "argocd-redis",
        "argocd-dex-server",
        "argocd-notifications-controller",
    ] {
        seed(estate, "mgmt", deployment("argocd", name, 1, 1, &[name]));
    }
    seed(
        estate,
        "mgmt",
        deployment(
            "argocd",
            "argocd-repo-server",
            1,
            1,
            &["argocd-repo-server", "cmp-kustomize-envsubst"],
        ),
    );
    seed(
        estate,
        "mgmt",
        stateful_set("argocd", "argocd-application-controller", 1),
    );
    seed(
        estate,
        "mgmt",
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "argocd-cm", "namespace": "argocd"},
               "data": {"kustomize.buildOptions": "--enable-helm --load-restrictor LoadRestrictionsNone"}}),
    );
    seed(
        estate,
        "mgmt",
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cmp-plugin", "namespace": "argocd"},
               "data": {"plugin.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: ConfigManagementPlugin\nmetadata:\n  name: kustomize-with-envsubst\nspec:\n  version: v1.0\n  generate:\n    command: [sh, -c]\n"}}),
    );
}

/// Nodes, Cilium, Gateway API CRDs and storage classes: what the Infrastructure layer checks.
pub fn seed_infrastructure(estate: &Estate, cluster: &str, vendor: &str) {
    let provider = match vendor {
        "aws" => "aws:///eu-west-2a/i-0abc",
        "azure" => "azure:///subscriptions/x/vm-0",
        _ => "k3s://node-0",
    };
    for i in 0..2 {
        seed(
            estate,
            cluster,
            json!({"apiVersion": "v1", "kind": "Node",
                   "metadata": {"name": format!("{cluster}-node-{i}")},
                   "spec": {"providerID": provider},
                   "status": {"conditions": [{"type": "Ready", "status": "True"}], "nodeInfo": {"kubeletVersion": "v1.32.4"}}}),
        );
    }
    let l7 = if cluster == "stg" { "false" } else { "true" };
    let ipam = if vendor == "aws" {
        "eni"
    } else {
        "cluster-pool"
    };
    seed(
        estate,
        cluster,
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cilium-config", "namespace": "kube-system"},
               "data": {"enable-l7-proxy": l7, "enable-gateway-api": "true", "kube-proxy-replacement": "true", "ipam": ipam, "cluster-name": cluster}}),
    );
    seed(estate, cluster, daemon_set("kube-system", "cilium", 2, 2));
    seed(
        estate,
        cluster,
        deployment("kube-system", "cilium-operator", 1, 1, &["cilium-operator"]),
    );
    for (plural, kind) in [
        ("gatewayclasses", "GatewayClass"),
        ("gateways", "Gateway"),
        ("httproutes", "HTTPRoute"),
        ("referencegrants", "ReferenceGrant"),
        ("grpcroutes", "GRPCRoute"),
    ] {
        seed(estate, cluster, gateway_crd(plural, kind));
    }
    for (name, default) in [("rwo-default", true), ("rwx-default", false)] {
        seed(
            estate,
            cluster,
            json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
                   "metadata": {"name": name, "annotations": {"storageclass.kubernetes.io/is-default-class": default.to_string()}},
                   "provisioner": "driver.longhorn.io"}),
        );
    }
}

/// A target: infrastructure plus a web Deployment with pods in a few app namespaces.
fn seed_target(estate: &Estate, cluster: &str, vendor: &str) {
    seed_infrastructure(estate, cluster, vendor);
    for namespace in ["jupyterhub", "keycloak"] {
        seed(
            estate,
            cluster,
            deployment(namespace, "web", 2, 2, &["web"]),
        );
        for i in 0..2 {
            seed(
                estate,
                cluster,
                pod(namespace, &format!("web-7d9f8c6b5-{i}"), "web", "7d9f8c6b5"),
            );
        }
    }
    seed(
        estate,
        cluster,
        json!({"apiVersion": "v1", "kind": "Event",
               "metadata": {"name": "web-7d9f8c6b5-0.1", "namespace": "keycloak"},
               "type": "Warning", "reason": "BackOff", "message": "Back-off restarting failed container",
               "involvedObject": {"kind": "Pod", "namespace": "keycloak", "name": "web-7d9f8c6b5-0"},
               "count": 3, "lastTimestamp": "2026-08-22T10:00:00Z"}),
    );
}

pub fn pod(namespace: &str, name: &str, deployment: &str, hash: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace,
                     "labels": {"app": deployment, "pod-template-hash": hash},
                     "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": format!("{deployment}-{hash}"),
                                          "uid": "00000000-0000-0000-0000-000000000001", "controller": true}]},
        "spec": {"containers": [{"name": deployment, "image": "ghcr.io/k8tre/web:v1"}], "nodeName": "node-0"},
        "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}],
                   "containerStatuses": [{"name": deployment, "ready": true, "restartCount": 0, "image": "ghcr.io/k8tre/web:v1",
                                          "imageID": "sha256:0", "state": {"running": {"startedAt": "2026-08-22T10:00:00Z"}}}]}
    })
}

/// A kubeconfig with only the estate's read-only contexts.
pub fn viewer_kubeconfig(estate: &Estate, dir: &Path) -> PathBuf {
    let mut doc: serde_yaml::Value =
        serde_yaml::from_str(estate.kubeconfig_yaml()).expect("kubeconfig yaml");
    if let Some(contexts) = doc.get_mut("contexts").and_then(|c| c.as_sequence_mut()) {
        contexts.retain(|c| {
            c.get("name")
                .and_then(|n| n.as_str())
                .is_some_and(|n| n.ends_with("-viewer"))
        });
    }
    doc["current-context"] = serde_yaml::Value::from("k8tre-mgmt-viewer");
    let path = dir.join("viewer-kubeconfig");
    std::fs::write(&path, serde_yaml::to_string(&doc).expect("yaml")).expect("write");
    path
}

/// Polls `check` until it holds. A liveness bound for a loaded machine, not a timing claim.
pub async fn eventually<F: FnMut() -> bool>(what: &str, mut check: F) {
    for _ in 0..1200 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("timed out waiting for {what}");
}

/// A JSON merge patch, in-process, as a controller would write it.
pub fn merge_patch(
    estate: &Estate,
    cluster: &str,
    api_version: &str,
    kind: &str,
    namespace: &str,
    name: &str,
    patch: Value,
) {
    use k8tre_console::sim::api::{Part, PatchType};
    let state = estate.cluster(cluster).expect("cluster");
    let rt = state
        .registry
        .read()
        .by_kind(api_version, kind)
        .expect("served");
    let ns = if rt.namespaced { namespace } else { "" };
    state
        .patch(
            &rt,
            ns,
            name,
            PatchType::Merge,
            &patch,
            Part::Main,
            false,
            &WriteContext::controller("live-test"),
        )
        .unwrap_or_else(|e| panic!("patching {kind} {name}: {e:?}"));
}

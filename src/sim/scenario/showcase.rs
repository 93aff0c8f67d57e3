//! A seeded estate for the console's screenshots and screen tests: the demo repository's
//! ApplicationSets and the Applications they generate (with believable status, resources,
//! history and operations), ArgoCD's install on the management cluster, and on each target
//! nodes, Cilium, the Gateway API CRDs, storage classes, the Applications' workloads and pods,
//! warning events and container logs.
//!
//! What is wrong in it, so every screen has something to show: in prd `jupyterhub` is
//! Degraded (a crash-looping pod and its BackOff events) and a node is NotReady; in stg
//! Cilium runs without its L7 proxy, `keycloak` is OutOfSync with auto-sync off; in dev a
//! `guacamole` sync is running; `backend` in prd failed its last sync (SyncError); and
//! `cr8tor` in prd is expected but missing. Everything else is Synced and Healthy.
//!
//! Objects are built as plain JSON, with times relative to a given `now`, so the same estate
//! can be served by the simulation or fed straight into a model.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::domain::appset::ClusterInfo;
use crate::gitops::scan::RepoScan;
use crate::sim::Estate;
use crate::sim::argocd::crds;
use crate::sim::demo_repo::DEMO_CLUSTERS;
use crate::sim::error::ApiError;
use crate::sim::scenario::baseline::gateway_crd;

/// The simulated clusters: simulation name, ArgoCD cluster name, vendor.
pub const TARGETS: [(&str, &str, &str); 3] = [
    ("dev", "k8tre-dev", "k3s"),
    ("stg", "k8tre-stg", "azure"),
    ("prd", "k8tre-prd", "aws"),
];

/// The management cluster's simulation name.
pub const MANAGEMENT: &str = "mgmt";

/// Expected by its ApplicationSet, left out of the estate.
pub const MISSING_APP: &str = "cr8tor-k8tre-prd";
pub const DEGRADED_APP: &str = "jupyterhub-k8tre-prd";
pub const OUT_OF_SYNC_APP: &str = "keycloak-k8tre-stg";
pub const RUNNING_APP: &str = "guacamole-k8tre-dev";
pub const FAILED_APP: &str = "backend-k8tre-prd";

/// Kubernetes versions the clusters report.
pub fn kubernetes_version(cluster: &str) -> &'static str {
    match cluster {
        "stg" => "v1.32.4",
        "prd" => "v1.32.4-eks-1b2c3d4",
        _ => "v1.32.4+k3s1",
    }
}

/// One container's log lines.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerLog {
    pub cluster: String,
    pub namespace: String,
    pub pod: String,
    pub container: String,
    pub lines: Vec<(DateTime<Utc>, String)>,
}

/// The estate as objects per simulated cluster, and its container logs.
#[derive(Debug, Clone, Default)]
pub struct Showcase {
    /// (simulated cluster, object), in seeding order (CRDs first).
    pub objects: Vec<(String, Value)>,
    pub logs: Vec<ContainerLog>,
}

impl Showcase {
    /// The objects of one simulated cluster.
    pub fn objects_of(&self, cluster: &str) -> Vec<Value> {
        self.objects
            .iter()
            .filter(|(c, _)| c == cluster)
            .map(|(_, o)| o.clone())
            .collect()
    }

    fn add(&mut self, cluster: &str, object: Value) {
        self.objects.push((cluster.to_string(), object));
    }
}

/// What building the showcase needs from outside: the scanned demo repository, its commits
/// (newest first; the first is HEAD) and each simulated cluster's API server URL.
pub struct ShowcaseInputs<'a> {
    pub scan: &'a RepoScan,
    pub revisions: &'a [String],
    pub server: &'a dyn Fn(&str) -> String,
    pub now: DateTime<Utc>,
}

fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// ArgoCD's cluster generator inputs for the showcase's targets.
pub fn cluster_infos(server: &dyn Fn(&str) -> String) -> Vec<ClusterInfo> {
    TARGETS
        .iter()
        .filter_map(|(cluster, name, _)| {
            let demo = DEMO_CLUSTERS.iter().find(|d| d.name == *name)?;
            Some(ClusterInfo {
                name: name.to_string(),
                server: server(cluster),
                labels: demo.label_map(),
                annotations: BTreeMap::new(),
            })
        })
        .collect()
}

/// Builds the showcase.
pub fn build(inputs: &ShowcaseInputs<'_>) -> Showcase {
    let mut out = Showcase::default();
    for crd in crds::all() {
        out.add(MANAGEMENT, crd);
    }
    argocd_install(&mut out);
    for (cluster, name, _) in TARGETS {
        out.add(MANAGEMENT, cluster_secret(name, &(inputs.server)(cluster)));
    }
    for (_, appset) in &inputs.scan.appsets {
        if let Ok(value) = serde_json::to_value(appset) {
            out.add(MANAGEMENT, value);
        }
    }
    infrastructure(&mut out, MANAGEMENT, "k3s", inputs.now);
    for (cluster, _, vendor) in TARGETS {
        infrastructure(&mut out, cluster, vendor, inputs.now);
    }
    let report = inputs.scan.expected(&cluster_infos(inputs.server));
    for generated in report.applications.iter().filter(|a| a.name != MISSING_APP) {
        let Some((cluster, _, _)) = TARGETS
            .iter()
            .find(|(_, name, _)| generated.cluster_name.as_deref() == Some(*name))
        else {
            continue;
        };
        let mut manifest = generated.to_manifest();
        if let Some(meta) = manifest["metadata"].as_object_mut() {
            meta.remove("finalizers");
        }
        manifest["metadata"]["ownerReferences"] = json!([{
            "apiVersion": "argoproj.io/v1alpha1", "kind": "ApplicationSet",
            "name": generated.applicationset, "uid": format!("uid-{}", generated.applicationset),
            "controller": true, "blockOwnerDeletion": true
        }]);
        let app = AppPlan::of(&generated.name, &manifest);
        out.add(MANAGEMENT, app.application(manifest, inputs));
        app.workloads(&mut out, cluster, inputs.now);
    }
    out
}

/// Seeds `estate` (clusters `mgmt`, `dev`, `stg`, `prd`) with the showcase.
pub fn seed(
    estate: &Estate,
    scan: &RepoScan,
    revisions: &[String],
    now: DateTime<Utc>,
) -> Result<Showcase, ApiError> {
    let server = |cluster: &str| estate.url(cluster).unwrap_or_default();
    let showcase = build(&ShowcaseInputs {
        scan,
        revisions,
        server: &server,
        now,
    });
    for (cluster, object) in &showcase.objects {
        estate.seed(cluster, object.clone())?;
    }
    for log in &showcase.logs {
        let Some(state) = estate.cluster(&log.cluster) else {
            continue;
        };
        for (at, line) in &log.lines {
            state.logs.append(
                (
                    log.namespace.clone(),
                    log.pod.clone(),
                    log.container.clone(),
                ),
                *at,
                line.clone(),
            );
        }
    }
    Ok(showcase)
}

fn cluster_secret(name: &str, server: &str) -> Value {
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let mut labels = DEMO_CLUSTERS
        .iter()
        .find(|d| d.name == name)
        .map(|d| d.label_map())
        .unwrap_or_default();
    labels.insert("argocd.argoproj.io/secret-type".into(), "cluster".into());
    json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": format!("cluster-{name}"), "namespace": "argocd", "labels": labels},
        "type": "Opaque",
        "data": {"name": b64(name), "server": b64(server), "config": b64("{\"tlsClientConfig\":{\"insecure\":false}}")}
    })
}

/// A Deployment with `ready` of `replicas` replicas ready (the status a controller would
/// have written), one container per name.
pub fn deployment(
    namespace: &str,
    name: &str,
    replicas: u32,
    ready: u32,
    containers: &[&str],
) -> Value {
    let containers: Vec<Value> = containers
        .iter()
        .map(|c| json!({"name": c, "image": format!("ghcr.io/k8tre/{c}:1.4.2")}))
        .collect();
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "generation": 3},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": containers}}},
        "status": {"replicas": replicas, "readyReplicas": ready, "updatedReplicas": replicas,
                   "availableReplicas": ready, "observedGeneration": 3}
    })
}

/// A one-replica StatefulSet, `ready` of it ready.
pub fn stateful_set(namespace: &str, name: &str, ready: u32) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": name, "namespace": namespace, "generation": 1},
        "spec": {"replicas": 1, "serviceName": name, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": name, "image": "quay.io/argoproj/argocd:v3.3.8"}]}}},
        "status": {"replicas": 1, "readyReplicas": ready, "observedGeneration": 1}
    })
}

/// A DaemonSet scheduled on `desired` nodes, `ready` of its pods ready.
pub fn daemon_set(namespace: &str, name: &str, desired: u32, ready: u32) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": {"name": name, "namespace": namespace, "generation": 1},
        "spec": {"selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": name, "image": "quay.io/cilium/cilium:v1.19.3"}]}}},
        "status": {"desiredNumberScheduled": desired, "numberReady": ready, "updatedNumberScheduled": desired,
                   "numberAvailable": ready, "observedGeneration": 1}
    })
}

fn argocd_install(out: &mut Showcase) {
    for name in [
        "argocd-server",
        "argocd-applicationset-controller",
        "argocd-redis",
        "argocd-dex-server",
        "argocd-notifications-controller",
    ] {
        out.add(MANAGEMENT, deployment("argocd", name, 1, 1, &[name]));
    }
    out.add(
        MANAGEMENT,
        deployment(
            "argocd",
            "argocd-repo-server",
            1,
            1,
            &["argocd-repo-server", "cmp-kustomize-envsubst"],
        ),
    );
    out.add(
        MANAGEMENT,
        stateful_set("argocd", "argocd-application-controller", 1),
    );
    out.add(
        MANAGEMENT,
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "argocd-cm", "namespace": "argocd"},
               "data": {"kustomize.buildOptions": "--enable-helm --load-restrictor LoadRestrictionsNone"}}),
    );
    out.add(
        MANAGEMENT,
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cmp-plugin", "namespace": "argocd"},
               "data": {"plugin.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: ConfigManagementPlugin\nmetadata:\n  name: kustomize-with-envsubst\nspec:\n  version: v1.0\n  generate:\n    command: [sh, -c]\n"}}),
    );
}

fn node_names(cluster: &str, vendor: &str) -> Vec<String> {
    (0..3)
        .map(|i| match vendor {
            "aws" => format!("ip-10-0-{}-{}.eu-west-2.compute.internal", i + 1, 20 + i),
            "azure" => format!("aks-system-{cluster}-vmss00000{i}"),
            _ => format!("k3s-{cluster}-{i}"),
        })
        .collect()
}

/// Nodes, Cilium, the Gateway API CRDs and storage classes: what the Infrastructure layer
/// checks.
fn infrastructure(out: &mut Showcase, cluster: &str, vendor: &str, now: DateTime<Utc>) {
    let provider = match vendor {
        "aws" => "aws:///eu-west-2a/i-0abc",
        "azure" => "azure:///subscriptions/x/vm-0",
        _ => "k3s://node",
    };
    for (i, name) in node_names(cluster, vendor).into_iter().enumerate() {
        // prd's third node stopped reporting.
        let ready = !(cluster == "prd" && i == 2);
        let condition = if ready {
            json!({"type": "Ready", "status": "True"})
        } else {
            json!({"type": "Ready", "status": "Unknown", "reason": "NodeStatusUnknown",
                   "lastTransitionTime": time(now - Duration::minutes(47))})
        };
        out.add(
            cluster,
            json!({"apiVersion": "v1", "kind": "Node",
                   "metadata": {"name": name, "labels": {"sim.k8tre.io/simulated": "true"}},
                   "spec": {"providerID": format!("{provider}-{i}")},
                   "status": {"conditions": [condition], "nodeInfo": {"kubeletVersion": kubernetes_version(cluster)}}}),
        );
    }
    let l7 = if cluster == "stg" { "false" } else { "true" };
    let ipam = if vendor == "aws" {
        "eni"
    } else {
        "cluster-pool"
    };
    out.add(
        cluster,
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cilium-config", "namespace": "kube-system"},
               "data": {"enable-l7-proxy": l7, "enable-gateway-api": "true", "kube-proxy-replacement": "true", "ipam": ipam, "cluster-name": cluster}}),
    );
    out.add(cluster, daemon_set("kube-system", "cilium", 3, 3));
    out.add(
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
        out.add(cluster, gateway_crd(plural, kind));
    }
    let provisioner = match vendor {
        "aws" => "ebs.csi.aws.com",
        "azure" => "file.csi.azure.com",
        _ => "driver.longhorn.io",
    };
    for (name, default) in [("rwo-default", true), ("rwx-default", false)] {
        out.add(
            cluster,
            json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
                   "metadata": {"name": name, "annotations": {"storageclass.kubernetes.io/is-default-class": default.to_string()}},
                   "provisioner": provisioner}),
        );
    }
}

/// How one Application looks in the showcase.
struct AppPlan {
    name: String,
    component: String,
    namespace: String,
    /// Agnostics persist resource health in the Application; Application-layer apps leave
    /// it to the app tree (ArgoCD ≥ 3.0's default), so the console assesses it itself.
    persists_health: bool,
}

impl AppPlan {
    fn of(name: &str, manifest: &Value) -> AppPlan {
        let path = manifest
            .pointer("/spec/source/path")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let component = path.split('/').nth(1).unwrap_or(name).to_string();
        let namespace = manifest
            .pointer("/spec/destination/namespace")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
            .unwrap_or(&component)
            .to_string();
        AppPlan {
            name: name.to_string(),
            component,
            namespace,
            persists_health: path.starts_with("agnostics/"),
        }
    }

    fn is(&self, name: &str) -> bool {
        self.name == name
    }

    /// (replicas, ready) of the component's Deployment.
    fn replicas(&self) -> (u32, u32) {
        if self.is(DEGRADED_APP) {
            (2, 1)
        } else if self.is(RUNNING_APP) {
            (1, 0)
        } else {
            (1, 1)
        }
    }

    fn pod_names(&self) -> Vec<String> {
        let (replicas, _) = self.replicas();
        (0..replicas)
            .map(|i| {
                format!(
                    "{}-6c9d7f5b8-{}",
                    self.component,
                    ["x2kq9", "pw7ld"][i as usize % 2]
                )
            })
            .collect()
    }

    fn application(&self, mut manifest: Value, inputs: &ShowcaseInputs<'_>) -> Value {
        let now = inputs.now;
        let head = inputs.revisions.first().cloned().unwrap_or_default();
        let older = |n: usize| {
            inputs
                .revisions
                .get(n)
                .cloned()
                .unwrap_or_else(|| head.clone())
        };
        let (health, sync) = if self.is(DEGRADED_APP) {
            ("Degraded", "Synced")
        } else if self.is(OUT_OF_SYNC_APP) || self.is(FAILED_APP) {
            ("Healthy", "OutOfSync")
        } else if self.is(RUNNING_APP) {
            ("Progressing", "OutOfSync")
        } else {
            ("Healthy", "Synced")
        };
        let revision = if sync == "Synced" {
            head.clone()
        } else {
            older(1)
        };
        let resources = self.resources(sync);
        let history = json!([
            {"id": 0, "revision": older(2), "deployedAt": time(now - Duration::days(9)),
             "deployStartedAt": time(now - Duration::days(9) - Duration::seconds(40)),
             "initiatedBy": {"automated": true}},
            {"id": 1, "revision": older(1), "deployedAt": time(now - Duration::days(2)),
             "deployStartedAt": time(now - Duration::days(2) - Duration::seconds(35)),
             "initiatedBy": {"username": "alice@k8tre.org"}},
            {"id": 2, "revision": revision, "deployedAt": time(now - Duration::hours(3)),
             "deployStartedAt": time(now - Duration::hours(3) - Duration::seconds(52)),
             "initiatedBy": {"automated": true}},
        ]);
        let mut status = json!({
            "sync": {"status": sync, "revision": revision},
            "health": {"status": health},
            "resources": resources,
            "history": history,
            "reconciledAt": time(now - Duration::minutes(2)),
            "sourceType": "Plugin",
        });
        if !self.persists_health {
            status["resourceHealthSource"] = json!("appTree");
        }
        status["health"]["lastTransitionTime"] = json!(time(if health == "Healthy" {
            now - Duration::hours(3)
        } else {
            now - Duration::minutes(52)
        }));
        if self.is(DEGRADED_APP) {
            status["health"]["message"] = json!(format!(
                "Deployment \"{}\" has 1 of 2 replicas available; pod {} is in CrashLoopBackOff",
                self.component,
                self.pod_names().last().cloned().unwrap_or_default()
            ));
        }
        status["operationState"] = self.operation_state(&revision, now);
        if self.is(FAILED_APP) {
            status["conditions"] = json!([{
                "type": "SyncError",
                "message": format!("Failed last sync attempt to {}: one or more objects failed to apply, reason: admission webhook \"validate.kyverno.svc\" denied the request: backend/Deployment backend: image tag latest is not allowed", &head),
                "lastTransitionTime": time(now - Duration::minutes(38)),
            }]);
        }
        if self.is(OUT_OF_SYNC_APP)
            && let Some(policy) = manifest
                .pointer_mut("/spec/syncPolicy")
                .and_then(Value::as_object_mut)
        {
            policy.remove("automated");
        }
        if self.is(RUNNING_APP) {
            manifest["operation"] = json!({
                "initiatedBy": {"username": "alice@k8tre.org"},
                "sync": {"revision": head, "prune": false, "syncStrategy": {"hook": {}}}
            });
        }
        manifest["status"] = status;
        manifest
    }

    fn operation_state(&self, revision: &str, now: DateTime<Utc>) -> Value {
        let kind = |k: &str, n: &str, group: &str| json!({"group": group, "version": "v1", "kind": k, "namespace": self.namespace, "name": n});
        let result = |mut r: Value, status: &str, message: &str| {
            r["status"] = json!(status);
            r["message"] = json!(message);
            r["syncPhase"] = json!("Sync");
            r["hookPhase"] = json!(if status == "SyncFailed" {
                "Failed"
            } else {
                "Succeeded"
            });
            r
        };
        let deployment = kind("Deployment", &self.component, "apps");
        let service = kind("Service", &self.component, "");
        let config = kind("ConfigMap", &format!("{}-config", self.component), "");
        if self.is(RUNNING_APP) {
            let mut applying = result(
                deployment,
                "Synced",
                &format!("deployment.apps/{} configured", self.component),
            );
            applying["hookPhase"] = json!("Running");
            return json!({
                "operation": {"initiatedBy": {"username": "alice@k8tre.org"}, "sync": {"revision": revision}},
                "phase": "Running",
                "message": format!("waiting for healthy state of apps/Deployment/{}", self.component),
                "startedAt": time(now - Duration::seconds(95)),
                "syncResult": {"revision": revision, "resources": [
                    result(config, "Synced", &format!("configmap/{}-config configured", self.component)),
                    result(service, "Synced", &format!("service/{} unchanged", self.component)),
                    applying,
                ]},
            });
        }
        if self.is(FAILED_APP) {
            return json!({
                "operation": {"initiatedBy": {"automated": true}, "sync": {"revision": revision}},
                "phase": "Failed",
                "message": "one or more objects failed to apply, reason: admission webhook \"validate.kyverno.svc\" denied the request: image tag latest is not allowed (retried 5 times).",
                "startedAt": time(now - Duration::minutes(41)),
                "finishedAt": time(now - Duration::minutes(38)),
                "retryCount": 5,
                "syncResult": {"revision": revision, "resources": [
                    result(config, "Synced", &format!("configmap/{}-config unchanged", self.component)),
                    result(deployment, "SyncFailed", "admission webhook \"validate.kyverno.svc\" denied the request: image tag latest is not allowed"),
                ]},
            });
        }
        json!({
            "operation": {"initiatedBy": {"automated": true}, "sync": {"revision": revision}},
            "phase": "Succeeded",
            "message": "successfully synced (all tasks run)",
            "startedAt": time(now - Duration::hours(3) - Duration::seconds(52)),
            "finishedAt": time(now - Duration::hours(3)),
            "syncResult": {"revision": revision, "resources": [
                result(config, "Synced", &format!("configmap/{}-config unchanged", self.component)),
                result(service, "Synced", &format!("service/{} unchanged", self.component)),
                result(deployment, "Synced", &format!("deployment.apps/{} configured", self.component)),
            ]},
        })
    }

    fn resources(&self, sync: &str) -> Value {
        let (replicas, ready) = self.replicas();
        let deployment_health = if ready >= replicas {
            json!({"status": "Healthy"})
        } else if self.is(DEGRADED_APP) {
            json!({"status": "Degraded", "message": format!("Deployment \"{}\" exceeded its progress deadline", self.component)})
        } else {
            json!({"status": "Progressing", "message": format!("Waiting for rollout to finish: 0 of {replicas} updated replicas are available...")})
        };
        let deployment_sync =
            if self.is(OUT_OF_SYNC_APP) || self.is(RUNNING_APP) || self.is(FAILED_APP) {
                "OutOfSync"
            } else {
                sync
            };
        let mut resources = vec![
            json!({"group": "", "version": "v1", "kind": "ConfigMap", "namespace": self.namespace,
                   "name": format!("{}-config", self.component), "status": "Synced"}),
            json!({"group": "", "version": "v1", "kind": "Service", "namespace": self.namespace,
                   "name": self.component, "status": "Synced", "health": {"status": "Healthy"}}),
            json!({"group": "apps", "version": "v1", "kind": "Deployment", "namespace": self.namespace,
                   "name": self.component, "status": deployment_sync, "health": deployment_health}),
            json!({"group": "gateway.networking.k8s.io", "version": "v1", "kind": "HTTPRoute",
                   "namespace": self.namespace, "name": self.component, "status": "Synced"}),
        ];
        if !self.persists_health {
            for resource in &mut resources {
                if let Some(map) = resource.as_object_mut() {
                    map.remove("health");
                }
            }
        }
        Value::Array(resources)
    }

    /// The component's Deployment, Service, ConfigMap and HTTPRoute, its pods, warning events
    /// and logs on `cluster`.
    fn workloads(&self, out: &mut Showcase, cluster: &str, now: DateTime<Utc>) {
        let (replicas, ready) = self.replicas();
        let mut workload = deployment(
            &self.namespace,
            &self.component,
            replicas,
            ready,
            &[&self.component],
        );
        if self.is(DEGRADED_APP) {
            workload["status"]["conditions"] = json!([
                {"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable"},
                {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
                 "message": format!("ReplicaSet \"{}-6c9d7f5b8\" has timed out progressing.", self.component)}
            ]);
        }
        out.add(cluster, workload);
        let meta = |name: String| json!({"name": name, "namespace": self.namespace});
        out.add(
            cluster,
            json!({"apiVersion": "v1", "kind": "Service", "metadata": meta(self.component.clone()),
                   "spec": {"type": "ClusterIP", "selector": {"app": self.component},
                            "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}}),
        );
        out.add(
            cluster,
            json!({"apiVersion": "v1", "kind": "ConfigMap",
                   "metadata": meta(format!("{}-config", self.component)),
                   "data": {"LOG_LEVEL": "info"}}),
        );
        out.add(
            cluster,
            json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
                   "metadata": meta(self.component.clone()),
                   "spec": {"parentRefs": [{"name": "k8tre-gateway", "namespace": "gateway"}],
                            "rules": [{"backendRefs": [{"name": self.component, "port": 80}]}]}}),
        );
        let started = now - Duration::hours(3);
        for (i, pod) in self.pod_names().into_iter().enumerate() {
            let crashing = self.is(DEGRADED_APP) && i == 1;
            let starting = self.is(RUNNING_APP);
            let state = if crashing {
                json!({"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s restarting failed container"}})
            } else if starting {
                json!({"waiting": {"reason": "ContainerCreating"}})
            } else {
                json!({"running": {"startedAt": time(started)}})
            };
            let ready_now = !crashing && !starting;
            let phase = if starting { "Pending" } else { "Running" };
            let mut status = json!({
                "phase": phase,
                "conditions": [{"type": "Ready", "status": if ready_now { "True" } else { "False" }}],
                "containerStatuses": [{"name": self.component, "ready": ready_now,
                    "restartCount": if crashing { 14 } else { 0 },
                    "image": format!("ghcr.io/k8tre/{}:1.4.2", self.component), "imageID": "sha256:0",
                    "state": state}]
            });
            if crashing {
                status["containerStatuses"][0]["lastState"] =
                    json!({"terminated": {"exitCode": 1, "reason": "Error"}});
            }
            out.add(
                cluster,
                json!({
                    "apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": pod, "namespace": self.namespace,
                        "creationTimestamp": time(started),
                        "labels": {"app": self.component, "pod-template-hash": "6c9d7f5b8"},
                        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                            "name": format!("{}-6c9d7f5b8", self.component),
                            "uid": "00000000-0000-0000-0000-000000000001", "controller": true}]},
                    "spec": {"containers": [{"name": self.component, "image": format!("ghcr.io/k8tre/{}:1.4.2", self.component)}],
                             "nodeName": node_names(cluster, vendor_of(cluster))[i % 2]},
                    "status": status
                }),
            );
            if crashing {
                out.add(
                    cluster,
                    json!({"apiVersion": "v1", "kind": "Event",
                           "metadata": {"name": format!("{pod}.17f3a"), "namespace": self.namespace},
                           "type": "Warning", "reason": "BackOff",
                           "message": format!("Back-off restarting failed container {} in pod {pod}", self.component),
                           "involvedObject": {"kind": "Pod", "namespace": self.namespace, "name": pod},
                           "count": 61, "lastTimestamp": time(now - Duration::seconds(40))}),
                );
                out.add(
                    cluster,
                    json!({"apiVersion": "v1", "kind": "Event",
                           "metadata": {"name": format!("{pod}.17f39"), "namespace": self.namespace},
                           "type": "Warning", "reason": "Unhealthy",
                           "message": "Readiness probe failed: Get \"http://10.42.1.17:8081/hub/health\": dial tcp 10.42.1.17:8081: connect: connection refused",
                           "involvedObject": {"kind": "Pod", "namespace": self.namespace, "name": pod},
                           "count": 12, "lastTimestamp": time(now - Duration::minutes(4))}),
                );
            }
            out.logs.push(ContainerLog {
                cluster: cluster.to_string(),
                namespace: self.namespace.clone(),
                pod: pod.clone(),
                container: self.component.clone(),
                lines: log_lines(&self.component, crashing, started, now),
            });
        }
    }
}

fn vendor_of(cluster: &str) -> &'static str {
    TARGETS
        .iter()
        .find(|(c, _, _)| *c == cluster)
        .map_or("k3s", |(_, _, vendor)| vendor)
}

/// Believable container output: start-up, then periodic requests; a crash for a crashing
/// container.
fn log_lines(
    component: &str,
    crashing: bool,
    started: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, String)> {
    let mut lines = vec![
        (
            started,
            format!("level=info msg=\"starting {component}\" version=1.4.2"),
        ),
        (
            started + Duration::seconds(1),
            "level=info msg=\"loaded configuration\" path=/etc/k8tre/config.yaml".to_string(),
        ),
        (
            started + Duration::seconds(2),
            "level=info msg=\"listening\" addr=0.0.0.0:8081".to_string(),
        ),
    ];
    if crashing {
        lines.push((
            now - Duration::seconds(45),
            "level=info msg=\"connecting to database\" host=jupyterhub-db.jupyterhub.svc port=5432"
                .to_string(),
        ));
        lines.push((
            now - Duration::seconds(44),
            "level=error msg=\"database connection failed\" error=\"password authentication failed for user \\\"hub\\\"\"".to_string(),
        ));
        lines.push((
            now - Duration::seconds(44),
            "level=fatal msg=\"cannot start without a database\" exit=1".to_string(),
        ));
        return lines;
    }
    for i in 0..40i64 {
        let at = started + Duration::minutes(4 * i + 1);
        let (method, path, code) = match i % 5 {
            0 => ("GET", "/healthz", 200),
            1 => ("GET", "/api/v1/status", 200),
            2 => ("POST", "/api/v1/sessions", 201),
            3 => ("GET", "/metrics", 200),
            _ => (
                "GET",
                "/api/v1/users/me",
                if i % 7 == 0 { 404 } else { 200 },
            ),
        };
        lines.push((
            at,
            format!(
                "level=info msg=\"request\" method={method} path={path} status={code} duration={}ms",
                3 + (i * 7) % 40
            ),
        ));
    }
    lines
}

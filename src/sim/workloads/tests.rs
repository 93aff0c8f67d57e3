//! The controllers end to end on an in-process cluster (no HTTP): every test waits for
//! conditions with generous timeouts and never asserts how long anything took.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use super::{WorkloadOptions, Workloads, WorkloadsHandle};
use crate::domain::argocd::HealthStatus;
use crate::domain::health;
use crate::sim::api::{ListQuery, Part, PatchType, WriteContext};
use crate::sim::auth::Users;
use crate::sim::clock::SimClock;
use crate::sim::cluster::{ClusterOptions, ClusterState};
use crate::sim::resources::ResourceType;
use crate::sim::store::{EventType, WatchStart};

const LIVENESS: Duration = Duration::from_secs(60);

fn cluster(name: &str) -> Arc<ClusterState> {
    let c = Arc::new(ClusterState::new(
        name,
        ClusterOptions::default(),
        Users::generate(name),
        None,
    ));
    create(
        &c,
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}}),
    );
    c
}

fn fast() -> SimClock {
    SimClock::new(50.0)
}

fn start(c: &Arc<ClusterState>, options: WorkloadOptions) -> WorkloadsHandle {
    Workloads::spawn(c.clone(), fast(), options).expect("controllers start")
}

fn rt(c: &ClusterState, api_version: &str, kind: &str) -> Arc<ResourceType> {
    c.registry
        .read()
        .by_kind(api_version, kind)
        .expect("served")
}

fn type_of(c: &ClusterState, obj: &Value) -> Arc<ResourceType> {
    rt(
        c,
        obj["apiVersion"].as_str().expect("apiVersion"),
        obj["kind"].as_str().expect("kind"),
    )
}

fn create(c: &ClusterState, obj: Value) -> Value {
    let t = type_of(c, &obj);
    let ns = obj
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    c.create(&t, &ns, obj, &WriteContext::controller("test"))
        .expect("create")
}

fn merge(c: &ClusterState, api_version: &str, kind: &str, ns: &str, name: &str, patch: Value) {
    let t = rt(c, api_version, kind);
    c.patch(
        &t,
        ns,
        name,
        PatchType::Merge,
        &patch,
        Part::Main,
        false,
        &WriteContext::controller("test"),
    )
    .expect("patch");
}

fn get(c: &ClusterState, api_version: &str, kind: &str, ns: &str, name: &str) -> Option<Value> {
    let t = rt(c, api_version, kind);
    c.get(&t, ns, name).ok().map(|e| e.value().expect("json"))
}

fn list(c: &ClusterState, api_version: &str, kind: &str, ns: Option<&str>) -> Vec<Value> {
    let t = rt(c, api_version, kind);
    c.list(&t, ns, &ListQuery::default())
        .expect("list")
        .items
        .iter()
        .map(|e| e.value().expect("json"))
        .collect()
}

fn events_about(c: &ClusterState, name: &str) -> Vec<Value> {
    list(c, "v1", "Event", None)
        .into_iter()
        .filter(|e| e["involvedObject"]["name"] == name)
        .collect()
}

/// Polls until `check` gives a value; panics naming `what` after a generous liveness timeout.
async fn eventually<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + LIVENESS;
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn health_of(obj: &Value) -> HealthStatus {
    health::assess(obj).expect("has health").status
}

fn deployment(name: &str, replicas: i64, image: &str, annotations: Value) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}, "annotations": annotations},
                "spec": {"containers": [{"name": "app", "image": image,
                    "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080}}}]}
            }
        }
    })
}

fn pods_of(c: &ClusterState, prefix: &str) -> Vec<Value> {
    list(c, "v1", "Pod", Some("default"))
        .into_iter()
        .filter(|p| {
            p["metadata"]["name"]
                .as_str()
                .is_some_and(|n| n.starts_with(prefix))
        })
        .collect()
}

fn is_ready(pod: &Value) -> bool {
    pod["status"]["conditions"].as_array().is_some_and(|cs| {
        cs.iter()
            .any(|c| c["type"] == "Ready" && c["status"] == "True")
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deployment_rolls_out_and_rolls_over_to_a_new_template() {
    let c = cluster("dev");
    let handle = start(&c, WorkloadOptions::default());
    create(&c, deployment("web", 3, "nginx:1.27", json!({})));
    let mut seen = Vec::new();
    let d = eventually("web to become Healthy", || {
        let d = get(&c, "apps/v1", "Deployment", "default", "web")?;
        seen.push(health_of(&d));
        (health_of(&d) == HealthStatus::Healthy).then_some(d)
    })
    .await;
    assert!(seen.contains(&HealthStatus::Progressing), "{seen:?}");
    assert_eq!(d["status"]["availableReplicas"], 3);
    assert_eq!(d["status"]["updatedReplicas"], 3);
    assert_eq!(
        d["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
        "1"
    );
    let conditions = d["status"]["conditions"].as_array().expect("conditions");
    assert!(
        conditions
            .iter()
            .any(|c| c["type"] == "Available" && c["status"] == "True")
    );
    assert!(
        conditions
            .iter()
            .any(|c| c["reason"] == "NewReplicaSetAvailable")
    );

    let rss = list(&c, "apps/v1", "ReplicaSet", Some("default"));
    assert_eq!(rss.len(), 1);
    let rs = &rss[0];
    let hash = rs["metadata"]["labels"]["pod-template-hash"]
        .as_str()
        .expect("hash");
    assert_eq!(rs["metadata"]["name"], format!("web-{hash}"));
    assert_eq!(
        rs["metadata"]["ownerReferences"][0]["uid"],
        d["metadata"]["uid"]
    );
    assert_eq!(rs["status"]["readyReplicas"], 3);
    let pods = pods_of(&c, "web-");
    assert_eq!(pods.len(), 3);
    for pod in &pods {
        assert!(is_ready(pod), "{pod}");
        assert_eq!(pod["status"]["phase"], "Running");
        assert_eq!(pod["metadata"]["labels"]["pod-template-hash"], hash);
        assert!(
            pod["spec"]["nodeName"]
                .as_str()
                .is_some_and(|n| n.starts_with("dev-node-"))
        );
        assert!(
            pod["status"]["podIP"]
                .as_str()
                .is_some_and(|ip| ip.starts_with("10.244."))
        );
        let status = &pod["status"]["containerStatuses"][0];
        assert_eq!(status["image"], "docker.io/library/nginx:1.27");
        assert_eq!(status["started"], true);
        assert_eq!(health_of(pod), HealthStatus::Healthy);
    }
    let reasons: Vec<String> =
        events_about(&c, pods[0]["metadata"]["name"].as_str().expect("name"))
            .iter()
            .map(|e| e["reason"].as_str().unwrap_or_default().to_string())
            .collect();
    for reason in ["Scheduled", "Pulled", "Created", "Started"] {
        assert!(
            reasons.iter().any(|r| r == reason),
            "{reason} in {reasons:?}"
        );
    }
    assert!(
        events_about(&c, "web")
            .iter()
            .any(|e| e["reason"] == "ScalingReplicaSet"),
        "the deployment reports scaling"
    );
    assert!(
        !c.logs
            .read(
                &(
                    "default".into(),
                    pods[0]["metadata"]["name"].as_str().expect("name").into(),
                    "app".into()
                ),
                false,
                None,
                None
            )
            .expect("log")
            .is_empty(),
        "startup lines"
    );

    merge(
        &c,
        "apps/v1",
        "Deployment",
        "default",
        "web",
        json!({"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "nginx:1.28"}]}}}}),
    );
    let d = eventually("the new template to roll out", || {
        let d = get(&c, "apps/v1", "Deployment", "default", "web")?;
        let done = d["status"]["observedGeneration"] == 2
            && health_of(&d) == HealthStatus::Healthy
            && pods_of(&c, "web-").len() == 3;
        done.then_some(d)
    })
    .await;
    assert_eq!(
        d["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
        "2"
    );
    let rss = list(&c, "apps/v1", "ReplicaSet", Some("default"));
    assert_eq!(rss.len(), 2);
    let old = rss
        .iter()
        .find(|r| r["metadata"]["labels"]["pod-template-hash"] == hash)
        .expect("old");
    assert_eq!(old["spec"]["replicas"], 0);
    for pod in pods_of(&c, "web-") {
        assert_ne!(pod["metadata"]["labels"]["pod-template-hash"], hash);
        assert_eq!(pod["spec"]["containers"][0]["image"], "nginx:1.28");
    }
    handle.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_loops_back_off_with_events_logs_and_degraded_health() {
    let c = cluster("dev");
    let handle = start(&c, WorkloadOptions::default());
    let mut d = deployment(
        "api",
        1,
        "ghcr.io/k8tre/api:v1",
        json!({super::CRASH_LOOP: "true"}),
    );
    d["spec"]["progressDeadlineSeconds"] = json!(100);
    create(&c, d);
    let pod = eventually("a crash-looping pod with restarts", || {
        let pod = pods_of(&c, "api-").pop()?;
        let status = &pod["status"]["containerStatuses"][0];
        let looping = status["state"]["waiting"]["reason"] == "CrashLoopBackOff"
            && status["restartCount"].as_i64().unwrap_or(0) >= 2;
        looping.then_some(pod)
    })
    .await;
    let status = &pod["status"]["containerStatuses"][0];
    assert_eq!(status["lastState"]["terminated"]["exitCode"], 1);
    assert_eq!(status["lastState"]["terminated"]["reason"], "Error");
    assert!(
        status["state"]["waiting"]["message"]
            .as_str()
            .expect("message")
            .starts_with("back-off ")
    );
    assert_eq!(pod["status"]["phase"], "Running");
    assert_eq!(health_of(&pod), HealthStatus::Degraded);
    let name = pod["metadata"]["name"].as_str().expect("name").to_string();
    let uid = pod["metadata"]["uid"].as_str().expect("uid").to_string();
    let backoff = eventually("a repeated BackOff event", || {
        events_about(&c, &name)
            .into_iter()
            .find(|e| e["reason"] == "BackOff" && e["count"].as_i64().unwrap_or(0) > 1)
    })
    .await;
    assert_eq!(backoff["type"], "Warning");
    assert_eq!(
        backoff["message"],
        format!("Back-off restarting failed container app in pod {name}_default({uid})")
    );
    assert_eq!(backoff["source"]["component"], "kubelet");
    let previous = c
        .logs
        .read(
            &("default".into(), name.clone(), "app".into()),
            true,
            None,
            None,
        )
        .expect("a previous log");
    assert!(
        previous.iter().any(|l| l.text.starts_with("panic:")),
        "{previous:?}"
    );
    let d = eventually("the deployment to exceed its progress deadline", || {
        let d = get(&c, "apps/v1", "Deployment", "default", "api")?;
        (health_of(&d) == HealthStatus::Degraded).then_some(d)
    })
    .await;
    assert!(
        d["status"]["conditions"]
            .as_array()
            .expect("conditions")
            .iter()
            .any(|c| c["reason"] == "ProgressDeadlineExceeded" && c["status"] == "False")
    );
    handle.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn image_pull_errors_and_readiness_faults() {
    let c = cluster("dev");
    let handle = start(&c, WorkloadOptions::default());
    create(
        &c,
        deployment(
            "bad",
            1,
            "nginx:nope",
            json!({super::IMAGE_PULL_ERROR: "true"}),
        ),
    );
    create(
        &c,
        deployment("slow", 1, "nginx:1.27", json!({super::NEVER_READY: "true"})),
    );
    let pod = eventually("ImagePullBackOff", || {
        let pod = pods_of(&c, "bad-").pop()?;
        (pod["status"]["containerStatuses"][0]["state"]["waiting"]["reason"] == "ImagePullBackOff")
            .then_some(pod)
    })
    .await;
    assert_eq!(pod["status"]["phase"], "Pending");
    assert_eq!(health_of(&pod), HealthStatus::Degraded);
    let name = pod["metadata"]["name"].as_str().expect("name").to_string();
    let events = events_about(&c, &name);
    assert!(
        events
            .iter()
            .any(|e| e["reason"] == "Failed" && e["message"] == "Error: ErrImagePull")
    );
    assert!(events.iter().any(|e| {
        e["reason"] == "Failed"
            && e["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("Failed to pull image \"nginx:nope\""))
    }));

    let slow = eventually("an Unhealthy event for the never-ready pod", || {
        let pod = pods_of(&c, "slow-").pop()?;
        let name = pod["metadata"]["name"].as_str()?.to_string();
        events_about(&c, &name)
            .into_iter()
            .any(|e| e["reason"] == "Unhealthy" && e["type"] == "Warning")
            .then_some(pod)
    })
    .await;
    assert!(!is_ready(&slow));
    assert_eq!(slow["status"]["phase"], "Running");
    let message = events_about(&c, slow["metadata"]["name"].as_str().expect("name"))
        .into_iter()
        .find(|e| e["reason"] == "Unhealthy")
        .expect("unhealthy")["message"]
        .clone();
    assert!(
        message
            .as_str()
            .is_some_and(|m| m.contains(":8080/healthz")),
        "{message}"
    );
    handle.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statefulset_pods_come_up_in_order_with_bound_claims() {
    let c = cluster("dev");
    create(
        &c,
        json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
        "metadata": {"name": "gp3", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
        "provisioner": "ebs.csi.aws.com"}),
    );
    let mut watch = c
        .store
        .watch(None, WatchStart::CurrentState)
        .expect("watch");
    let handle = start(&c, WorkloadOptions::default());
    create(
        &c,
        json!({
            "apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": "db", "namespace": "default"},
            "spec": {"replicas": 3, "serviceName": "db", "selector": {"matchLabels": {"app": "db"}},
                "template": {"metadata": {"labels": {"app": "db"}}, "spec": {"containers": [{"name": "postgres", "image": "postgres:16"}]}},
                "volumeClaimTemplates": [{"metadata": {"name": "data"},
                    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Gi"}}}}]}
        }),
    );
    let sts = eventually("db to be Healthy", || {
        let sts = get(&c, "apps/v1", "StatefulSet", "default", "db")?;
        (health_of(&sts) == HealthStatus::Healthy).then_some(sts)
    })
    .await;
    assert_eq!(sts["status"]["readyReplicas"], 3);
    assert_eq!(
        sts["status"]["currentRevision"],
        sts["status"]["updateRevision"]
    );
    // Each pod was created only once the previous one was Ready.
    let mut ready: Vec<String> = Vec::new();
    let mut created: Vec<String> = Vec::new();
    while let Ok(event) = watch.live.try_recv() {
        if event.resource.plural != "pods" {
            continue;
        }
        let pod = event.entry.value().expect("json");
        let name = event.name.clone();
        if event.kind == EventType::Added {
            let ordinal: usize = name.trim_start_matches("db-").parse().expect("ordinal");
            assert_eq!(
                ready.len(),
                ordinal,
                "{name} created after {ready:?} were Ready"
            );
            created.push(name.clone());
        }
        if is_ready(&pod) && !ready.contains(&name) {
            ready.push(name);
        }
    }
    assert_eq!(created, vec!["db-0", "db-1", "db-2"]);
    let pod = get(&c, "v1", "Pod", "default", "db-1").expect("db-1");
    assert_eq!(pod["spec"]["hostname"], "db-1");
    assert_eq!(pod["spec"]["subdomain"], "db");
    assert_eq!(
        pod["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"],
        "data-db-1"
    );
    let pvc = eventually("data-db-2 to be bound", || {
        let pvc = get(&c, "v1", "PersistentVolumeClaim", "default", "data-db-2")?;
        (pvc["status"]["phase"] == "Bound").then_some(pvc)
    })
    .await;
    assert_eq!(pvc["status"]["capacity"]["storage"], "10Gi");
    assert_eq!(pvc["spec"]["storageClassName"], "gp3");
    assert_eq!(health_of(&pvc), HealthStatus::Healthy);
    handle.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daemonsets_run_one_pod_per_node_and_nodes_can_go_not_ready() {
    let c = cluster("dev");
    let handle = start(&c, WorkloadOptions::default());
    create(
        &c,
        json!({
            "apiVersion": "apps/v1", "kind": "DaemonSet",
            "metadata": {"name": "agent", "namespace": "default"},
            "spec": {"selector": {"matchLabels": {"app": "agent"}},
                "template": {"metadata": {"labels": {"app": "agent"}}, "spec": {"containers": [{"name": "agent", "image": "cilium/cilium:1.16"}]}}}
        }),
    );
    let ds = eventually("agent on every node", || {
        let ds = get(&c, "apps/v1", "DaemonSet", "default", "agent")?;
        (ds["status"]["numberReady"] == 3 && health_of(&ds) == HealthStatus::Healthy).then_some(ds)
    })
    .await;
    assert_eq!(ds["status"]["desiredNumberScheduled"], 3);
    let mut nodes: Vec<String> = pods_of(&c, "agent-")
        .iter()
        .map(|p| p["spec"]["nodeName"].as_str().expect("node").to_string())
        .collect();
    nodes.sort();
    assert_eq!(nodes, vec!["dev-node-1", "dev-node-2", "dev-node-3"]);

    let node = get(&c, "v1", "Node", "", "dev-node-2").expect("node");
    assert_eq!(node["status"]["nodeInfo"]["kubeletVersion"], "v1.32.4");
    merge(
        &c,
        "v1",
        "Node",
        "",
        "dev-node-2",
        json!({"metadata": {"annotations": {super::NODE_NOT_READY: "PLEG is not healthy: pleg was last seen active 3m0s ago"}}}),
    );
    let node = eventually("dev-node-2 NotReady", || {
        let node = get(&c, "v1", "Node", "", "dev-node-2")?;
        node["status"]["conditions"]
            .as_array()?
            .iter()
            .any(|c| {
                c["type"] == "Ready" && c["status"] == "False" && c["reason"] == "KubeletNotReady"
            })
            .then_some(node)
    })
    .await;
    assert_eq!(
        node["spec"]["taints"][0]["key"],
        "node.kubernetes.io/not-ready"
    );
    eventually("the daemon pod on dev-node-2 to lose readiness", || {
        let pod = pods_of(&c, "agent-")
            .into_iter()
            .find(|p| p["spec"]["nodeName"] == "dev-node-2")?;
        (!is_ready(&pod)).then_some(())
    })
    .await;
    eventually("a NodeNotReady event", || {
        events_about(&c, "dev-node-2")
            .into_iter()
            .find(|e| e["reason"] == "NodeNotReady")
    })
    .await;
    eventually("the daemon set to report an unavailable pod", || {
        let ds = get(&c, "apps/v1", "DaemonSet", "default", "agent")?;
        (ds["status"]["numberReady"] == 2 && health_of(&ds) == HealthStatus::Progressing)
            .then_some(())
    })
    .await;
    // New pods avoid the NotReady node.
    create(&c, deployment("web", 4, "nginx:1.27", json!({})));
    eventually("web Healthy on the Ready nodes", || {
        let d = get(&c, "apps/v1", "Deployment", "default", "web")?;
        (health_of(&d) == HealthStatus::Healthy).then_some(())
    })
    .await;
    assert!(
        pods_of(&c, "web-")
            .iter()
            .all(|p| p["spec"]["nodeName"] != "dev-node-2")
    );
    merge(
        &c,
        "v1",
        "Node",
        "",
        "dev-node-2",
        json!({"metadata": {"annotations": {super::NODE_NOT_READY: null}}}),
    );
    eventually("the node and its pod back to Ready", || {
        let ds = get(&c, "apps/v1", "DaemonSet", "default", "agent")?;
        let node = get(&c, "v1", "Node", "", "dev-node-2")?;
        let untainted = node["spec"].get("taints").is_none_or(Value::is_null);
        (ds["status"]["numberReady"] == 3 && untainted).then_some(())
    })
    .await;
    handle.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_bind_when_a_class_exists_and_load_balancers_get_addresses() {
    let c = cluster("dev");
    let handle = start(&c, WorkloadOptions::default());
    let claim = |name: &str, class: Option<&str>| {
        let mut pvc = json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "5Gi"}}}});
        if let Some(class) = class {
            pvc["spec"]["storageClassName"] = json!(class);
        }
        pvc
    };
    create(&c, claim("orphan", None));
    create(&c, claim("later", Some("fast")));
    eventually("a FailedBinding event for a claim without a class", || {
        events_about(&c, "orphan")
            .into_iter()
            .find(|e| e["reason"] == "FailedBinding")
    })
    .await;
    eventually("a ProvisioningFailed event for a missing class", || {
        events_about(&c, "later")
            .into_iter()
            .find(|e| e["reason"] == "ProvisioningFailed" && e["type"] == "Warning")
    })
    .await;
    let pending = get(&c, "v1", "PersistentVolumeClaim", "default", "later").expect("pvc");
    assert_eq!(health_of(&pending), HealthStatus::Progressing);
    create(
        &c,
        json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
        "metadata": {"name": "fast"}, "provisioner": "ebs.csi.aws.com"}),
    );
    let bound = eventually("the claim to bind once its class exists", || {
        let pvc = get(&c, "v1", "PersistentVolumeClaim", "default", "later")?;
        (pvc["status"]["phase"] == "Bound").then_some(pvc)
    })
    .await;
    assert_eq!(
        bound["spec"]["volumeName"],
        format!("pvc-{}", bound["metadata"]["uid"].as_str().expect("uid"))
    );
    assert_eq!(bound["status"]["accessModes"], json!(["ReadWriteOnce"]));
    assert_eq!(
        bound["metadata"]["annotations"]["pv.kubernetes.io/bind-completed"],
        "yes"
    );

    create(
        &c,
        json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
        "metadata": {"name": "local"}, "provisioner": "rancher.io/local-path", "volumeBindingMode": "WaitForFirstConsumer"}),
    );
    create(&c, claim("scratch", Some("local")));
    eventually("WaitForFirstConsumer", || {
        events_about(&c, "scratch")
            .into_iter()
            .find(|e| e["reason"] == "WaitForFirstConsumer")
    })
    .await;
    assert_eq!(
        get(&c, "v1", "PersistentVolumeClaim", "default", "scratch").expect("pvc")["status"]["phase"],
        "Pending"
    );
    create(
        &c,
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "user", "namespace": "default"},
        "spec": {"containers": [{"name": "c", "image": "busybox"}],
                 "volumes": [{"name": "v", "persistentVolumeClaim": {"claimName": "scratch"}}]}}),
    );
    eventually("the claim to bind once a pod uses it", || {
        let pvc = get(&c, "v1", "PersistentVolumeClaim", "default", "scratch")?;
        (pvc["status"]["phase"] == "Bound").then_some(())
    })
    .await;

    create(
        &c,
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "gateway", "namespace": "default"},
        "spec": {"type": "LoadBalancer", "ports": [{"port": 443}], "selector": {"app": "gateway"}}}),
    );
    let svc = eventually("a load balancer address", || {
        let svc = get(&c, "v1", "Service", "default", "gateway")?;
        svc["status"]["loadBalancer"]["ingress"][0]["ip"]
            .as_str()
            .is_some()
            .then_some(svc)
    })
    .await;
    assert_eq!(health_of(&svc), HealthStatus::Healthy);
    assert!(
        events_about(&c, "gateway")
            .iter()
            .any(|e| e["reason"] == "EnsuredLoadBalancer")
    );
    handle.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_deployment_removes_its_replicasets_and_pods() {
    let c = cluster("dev");
    let handle = start(&c, WorkloadOptions::default());
    create(&c, deployment("web", 2, "nginx:1.27", json!({})));
    eventually("web Healthy", || {
        let d = get(&c, "apps/v1", "Deployment", "default", "web")?;
        (health_of(&d) == HealthStatus::Healthy).then_some(())
    })
    .await;
    let t = rt(&c, "apps/v1", "Deployment");
    c.delete(
        &t,
        "default",
        "web",
        &Default::default(),
        &WriteContext::controller("test"),
    )
    .expect("delete");
    eventually("nothing left of web", || {
        (list(&c, "apps/v1", "ReplicaSet", Some("default")).is_empty()
            && pods_of(&c, "web-").is_empty())
        .then_some(())
    })
    .await;
    // The controllers forgot them too: a new deployment of the same name starts afresh.
    create(&c, deployment("web", 1, "nginx:1.27", json!({})));
    eventually("the new web Healthy", || {
        let d = get(&c, "apps/v1", "Deployment", "default", "web")?;
        (health_of(&d) == HealthStatus::Healthy && pods_of(&c, "web-").len() == 1).then_some(())
    })
    .await;
    handle.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_are_capped_per_namespace_and_expire() {
    let c = cluster("dev");
    let options = WorkloadOptions {
        events_per_namespace: 15,
        event_ttl: Duration::from_secs(100),
        ..WorkloadOptions::default()
    };
    let handle = start(&c, options);
    create(&c, deployment("web", 6, "nginx:1.27", json!({})));
    eventually("web Healthy", || {
        let d = get(&c, "apps/v1", "Deployment", "default", "web")?;
        (health_of(&d) == HealthStatus::Healthy).then_some(())
    })
    .await;
    assert!(handle.stats().events_recorded > 15, "{:?}", handle.stats());
    assert!(list(&c, "v1", "Event", Some("default")).len() <= 15);
    // 100 simulated seconds at speed 50: the events are gone within a few real seconds.
    eventually("events to expire", || {
        list(&c, "v1", "Event", Some("default"))
            .is_empty()
            .then_some(())
    })
    .await;
    assert!(handle.stats().events_expired > 0);
    handle.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_nodes_leave_pods_pending_as_unschedulable() {
    let c = cluster("dev");
    let options = WorkloadOptions {
        default_nodes: 1,
        max_pods_per_node: 2,
        ..WorkloadOptions::default()
    };
    let handle = start(&c, options);
    create(&c, deployment("web", 3, "nginx:1.27", json!({})));
    let pending = eventually("an unschedulable pod", || {
        pods_of(&c, "web-")
            .into_iter()
            .find(|p| p["status"]["conditions"][0]["reason"] == "Unschedulable")
    })
    .await;
    assert_eq!(pending["status"]["phase"], "Pending");
    assert_eq!(
        pending["status"]["conditions"][0]["message"],
        "0/1 nodes are available: 1 Too many pods. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."
    );
    let name = pending["metadata"]["name"]
        .as_str()
        .expect("name")
        .to_string();
    eventually("a FailedScheduling event", || {
        events_about(&c, &name)
            .into_iter()
            .find(|e| e["reason"] == "FailedScheduling" && e["type"] == "Warning")
    })
    .await;
    // A second node makes room.
    create(
        &c,
        json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "extra"}}),
    );
    eventually("the pending pod to run on the new node", || {
        let pod = get(&c, "v1", "Pod", "default", &name)?;
        (pod["spec"]["nodeName"] == "extra" && is_ready(&pod)).then_some(())
    })
    .await;
    let node = get(&c, "v1", "Node", "", "extra").expect("node");
    assert!(
        node["status"]["conditions"]
            .as_array()
            .expect("conditions")
            .iter()
            .any(|c| c["type"] == "Ready" && c["status"] == "True"),
        "a node given without status gets one"
    );
    handle.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn churn_restarts_and_flaps_pods_that_recover() {
    let c = cluster("dev");
    let handle = start(&c, WorkloadOptions::default());
    create(&c, deployment("web", 20, "nginx:1.27", json!({})));
    eventually("web Healthy", || {
        let d = get(&c, "apps/v1", "Deployment", "default", "web")?;
        (health_of(&d) == HealthStatus::Healthy).then_some(())
    })
    .await;
    handle.set_churn(200.0);
    eventually("some churn", || {
        (handle.stats().churn_changes > 50).then_some(())
    })
    .await;
    handle.set_churn(0.0);
    let restarts: i64 = eventually("restart bumps", || {
        let total: i64 = pods_of(&c, "web-")
            .iter()
            .map(|p| {
                p["status"]["containerStatuses"][0]["restartCount"]
                    .as_i64()
                    .unwrap_or(0)
            })
            .sum();
        (total > 0).then_some(total)
    })
    .await;
    assert!(restarts > 0);
    eventually("every pod Ready again", || {
        let pods = pods_of(&c, "web-");
        (pods.len() == 20 && pods.iter().all(is_ready)).then_some(())
    })
    .await;
    handle.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeded_running_pods_are_adopted_without_rewrites() {
    let c = cluster("dev");
    create(
        &c,
        json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}}),
    );
    let pods = rt(&c, "v1", "Pod");
    let stored = create(
        &c,
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "static", "namespace": "default"},
        "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "nginx"}]}}),
    );
    let mut with_status = stored.clone();
    with_status["status"] = json!({"phase": "Running", "podIP": "10.244.0.40", "hostIP": "10.0.0.10",
        "startTime": "2024-03-05T07:33:04Z",
        "conditions": [{"type": "Ready", "status": "True"}],
        "containerStatuses": [{"name": "c", "ready": true, "restartCount": 4, "image": "nginx",
            "state": {"running": {"startedAt": "2024-03-05T07:33:05Z"}}}]});
    with_status["metadata"]
        .as_object_mut()
        .expect("meta")
        .remove("resourceVersion");
    let seeded = c
        .replace(
            &pods,
            "default",
            "static",
            with_status,
            Part::Status,
            &WriteContext::controller("seed"),
        )
        .expect("status");
    let handle = start(&c, WorkloadOptions::default());
    // Let the controllers settle: the node gets its status, nothing touches the pod.
    eventually("n1 to get a status", || {
        let node = get(&c, "v1", "Node", "", "n1")?;
        node["status"]["nodeInfo"]["kubeletVersion"]
            .as_str()
            .map(|_| ())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let now = get(&c, "v1", "Pod", "default", "static").expect("pod");
    assert_eq!(
        now["metadata"]["resourceVersion"],
        seeded["metadata"]["resourceVersion"]
    );
    assert_eq!(now["status"]["containerStatuses"][0]["restartCount"], 4);
    assert!(
        list(&c, "v1", "Node", None).len() == 1,
        "no default nodes when the cluster has one"
    );
    handle.stop().await;
}

#[tokio::test]
async fn a_lagging_watch_resyncs_and_carries_on() {
    let c = cluster("dev");
    let handle = start(&c, WorkloadOptions::default());
    eventually(
        "the controller to be watching (it creates the nodes)",
        || (list(&c, "v1", "Node", None).len() == 3).then_some(()),
    )
    .await;
    // On this single-threaded runtime the controller cannot run while we write: more
    // changes than the broadcast channel holds make it lag.
    for i in 0..17_000 {
        create(
            &c,
            json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": format!("cm-{i}"), "namespace": "default"}}),
        );
    }
    create(&c, deployment("web", 1, "nginx:1.27", json!({})));
    eventually("web Healthy after a resync", || {
        let d = get(&c, "apps/v1", "Deployment", "default", "web")?;
        (health_of(&d) == HealthStatus::Healthy).then_some(())
    })
    .await;
    assert!(handle.stats().resyncs >= 1, "{:?}", handle.stats());
    handle.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_to_completion_pods_succeed_or_fail() {
    let c = cluster("dev");
    let handle = start(&c, WorkloadOptions::default());
    let pod = |name: &str, policy: &str, annotations: Value| {
        json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "default", "annotations": annotations},
            "spec": {"restartPolicy": policy, "containers": [{"name": "job", "image": "python:3.12"}]}})
    };
    create(&c, pod("migrate", "Never", json!({})));
    create(
        &c,
        pod(
            "broken",
            "Never",
            json!({super::CRASH_LOOP: "true", super::EXIT_CODE: "3"}),
        ),
    );
    create(
        &c,
        pod("retry", "OnFailure", json!({super::CRASH_LOOP: "true"})),
    );
    let done = eventually("migrate to succeed", || {
        let p = get(&c, "v1", "Pod", "default", "migrate")?;
        (p["status"]["phase"] == "Succeeded").then_some(p)
    })
    .await;
    assert_eq!(health_of(&done), HealthStatus::Healthy);
    let terminated = &done["status"]["containerStatuses"][0]["state"]["terminated"];
    assert_eq!(terminated["reason"], "Completed");
    assert_eq!(terminated["exitCode"], 0);
    assert_eq!(done["status"]["conditions"][2]["reason"], "PodCompleted");
    let failed = eventually("broken to fail", || {
        let p = get(&c, "v1", "Pod", "default", "broken")?;
        (p["status"]["phase"] == "Failed").then_some(p)
    })
    .await;
    assert_eq!(health_of(&failed), HealthStatus::Degraded);
    assert_eq!(failed["status"]["containerStatuses"][0]["restartCount"], 0);
    assert_eq!(
        failed["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"],
        3
    );
    eventually("retry to restart on failure", || {
        let p = get(&c, "v1", "Pod", "default", "retry")?;
        let restarts = p["status"]["containerStatuses"][0]["restartCount"].as_i64()?;
        (restarts >= 1 && p["status"]["phase"] == "Running").then_some(())
    })
    .await;
    handle.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finished_pods_free_their_node_slot() {
    let c = cluster("dev");
    let options = WorkloadOptions {
        default_nodes: 1,
        max_pods_per_node: 2,
        ..WorkloadOptions::default()
    };
    let handle = start(&c, options);
    for name in ["job-a", "job-b"] {
        create(
            &c,
            json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "default", "annotations": {super::RUN_FOR: "20s"}},
            "spec": {"restartPolicy": "Never", "containers": [{"name": "job", "image": "busybox"}]}}),
        );
    }
    eventually("both jobs on the node", || {
        let a = get(&c, "v1", "Pod", "default", "job-a")?;
        let b = get(&c, "v1", "Pod", "default", "job-b")?;
        (a["spec"]["nodeName"].is_string() && b["spec"]["nodeName"].is_string()).then_some(())
    })
    .await;
    create(
        &c,
        json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"containers": [{"name": "web", "image": "nginx"}]}}),
    );
    let web = eventually("web to wait for room", || {
        let p = get(&c, "v1", "Pod", "default", "web")?;
        (p["status"]["conditions"][0]["reason"] == "Unschedulable").then_some(p)
    })
    .await;
    assert!(web["spec"]["nodeName"].is_null());
    eventually("web to run once a job finished", || {
        let p = get(&c, "v1", "Pod", "default", "web")?;
        is_ready(&p).then_some(())
    })
    .await;
    let a = get(&c, "v1", "Pod", "default", "job-a").expect("job-a");
    let b = get(&c, "v1", "Pod", "default", "job-b").expect("job-b");
    assert!(a["status"]["phase"] == "Succeeded" || b["status"]["phase"] == "Succeeded");
    handle.stop().await;
}

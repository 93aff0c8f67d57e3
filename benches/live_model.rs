//! Live-model report (`cargo bench --bench live_model`; `cargo test --bench live_model` runs the
//! same report unoptimized): memory per 1,000 pods and per 1,000 Applications held by the
//! model, start → settled against the simulation, and change → model latency (p50, p99) while
//! the simulation churns. Prints numbers; asserts nothing about speed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use k8tre_console::live::discovery::{Contexts, KubeconfigSource};
use k8tre_console::live::model::{EstateModel, ModelSettings};
use k8tre_console::live::objects::{AppRecord, SlimPod};
use k8tre_console::live::wire::{ApplicationWire, PodWire};
use k8tre_console::live::{LiveEvent, LiveObject, LiveOptions, Session, SharedStrings, WatchKind};
use k8tre_console::sim::api::{Part, PatchType, WriteContext};
use k8tre_console::sim::argocd::crds;
use k8tre_console::sim::{Estate, EstateOptions};
use parking_lot::Mutex;
use serde_json::{Value, json};

const PODS: usize = 50_000;
const APPS: usize = 5_000;
const CHURN_RATE: u64 = 200;
const CHURN_SECONDS: u64 = 10;

fn application(i: usize, cluster: &str, server: &str) -> Value {
    let components = [
        "jupyterhub",
        "keycloak",
        "gitea",
        "backend",
        "cr8tor",
        "guacamole",
    ];
    let component = components[i % components.len()];
    let env = ["dev", "stg", "prd"][i % 3];
    let name = format!("{component}-{cluster}-{i}");
    let resources: Vec<Value> = (0..5)
        .map(|r| json!({"group": "apps", "version": "v1", "kind": if r == 0 {"StatefulSet"} else {"Deployment"},
                        "namespace": component, "name": format!("{component}-{r}"), "status": "Synced",
                        "health": {"status": "Healthy"}}))
        .collect();
    json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
        "metadata": {"name": name, "namespace": "argocd", "resourceVersion": "1",
            "labels": {"app.kubernetes.io/managed-by": "argocd", "app.kubernetes.io/part-of": "k8tre"},
            "annotations": {"argocd.argoproj.io/instance": format!("{component}-{env}"), "argocd.argoproj.io/sync-wave": "0"},
            "ownerReferences": [{"apiVersion": "argoproj.io/v1alpha1", "kind": "ApplicationSet", "name": component,
                                 "uid": "5b0c2a1e-9f3d-4c7a-8e21-6d4f0b9a7c33", "controller": true}],
            "finalizers": ["resources-finalizer.argocd.argoproj.io"]},
        "spec": {"project": "default",
            "destination": {"server": server, "namespace": component},
            "source": {"repoURL": "https://github.com/k8tre/k8tre.git", "targetRevision": "main",
                       "path": format!("apps/{component}/envs/{env}"),
                       "plugin": {"name": "kustomize-with-envsubst-v1.0",
                                  "env": [{"name": "ENVIRONMENT", "value": env}, {"name": "DOMAIN", "value": format!("{env}.k8tre.org")}]}},
            "syncPolicy": {"automated": {"prune": true, "selfHeal": true}, "syncOptions": ["CreateNamespace=true"]}},
        "status": {
            "sync": {"status": "Synced", "revision": "4f9c2d7e1a0b3c5d6e7f8091a2b3c4d5e6f70812",
                     "comparedTo": {"destination": {"server": server, "namespace": component},
                                    "source": {"repoURL": "https://github.com/k8tre/k8tre.git", "path": format!("apps/{component}/envs/{env}"), "targetRevision": "main"}}},
            "health": {"status": "Healthy", "lastTransitionTime": "2026-08-22T10:00:05Z"},
            "resources": resources,
            "history": (0..3).map(|h| json!({"id": h, "revision": format!("{h:040x}"), "deployedAt": "2026-08-22T10:00:05Z",
                "deployStartedAt": "2026-08-22T10:00:00Z", "initiatedBy": {"automated": true}})).collect::<Vec<_>>(),
            "operationState": {"phase": "Succeeded", "message": "successfully synced (all tasks run)",
                "startedAt": "2026-08-22T10:00:00Z", "finishedAt": "2026-08-22T10:00:05Z",
                "operation": {"sync": {"revision": "4f9c2d7e1a0b3c5d6e7f8091a2b3c4d5e6f70812"}, "initiatedBy": {"automated": true}, "retry": {"limit": 5}},
                "syncResult": {"revision": "4f9c2d7e1a0b3c5d6e7f8091a2b3c4d5e6f70812", "resources": []}},
            "reconciledAt": "2026-08-22T10:00:05Z",
            "sourceType": "Plugin",
            "summary": {"images": [format!("ghcr.io/k8tre/{component}:v1.4.0")]},
            "controllerNamespace": "argocd"
        }
    })
}

fn bench_model(strings: SharedStrings) -> EstateModel {
    let yaml = "apiVersion: v1\nkind: Config\ncurrent-context: bench\nclusters:\n- {name: bench, cluster: {server: 'https://bench:6443'}}\ncontexts:\n- {name: bench, context: {cluster: bench, user: u}}\nusers:\n- {name: u, user: {token: t}}\n";
    let contexts = Contexts::from_kubeconfig(
        kube::config::Kubeconfig::from_yaml(yaml).expect("kubeconfig"),
        KubeconfigSource::File(PathBuf::from("bench")),
    )
    .expect("contexts");
    EstateModel::new(ModelSettings::new("bench"), Arc::new(contexts), strings)
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / 1_048_576.0
}

/// Pods and Applications applied straight to the model (no network): resident growth and the
/// model's own accounting.
fn memory_report() {
    let strings = SharedStrings::default();
    let mut model = bench_model(strings.clone());
    let context: Arc<str> = Arc::from("bench");
    let before = support::rss_bytes().unwrap_or(0);
    let started = Instant::now();
    for i in 0..PODS {
        let json = serde_json::to_vec(&support::pod(
            &format!("ns-{}", i % 50),
            &format!("app-{}-7d9f8c6b5-{i:05}", i % 200),
            &format!("app-{}", i % 200),
        ))
        .expect("json");
        let wire: PodWire = serde_json::from_slice(&json).expect("pod");
        let (key, pod) = SlimPod::from_wire(wire, &strings);
        model.apply(LiveEvent::Applied {
            context: context.clone(),
            watch: WatchKind::Pods,
            at: Utc::now(),
            object: LiveObject::Pod(key, pod),
        });
    }
    let pods_secs = started.elapsed().as_secs_f64();
    let after_pods = support::rss_bytes().unwrap_or(0);
    let started = Instant::now();
    for i in 0..APPS {
        let json = serde_json::to_vec(&application(
            i,
            &format!("k8tre-c{}", i % 20),
            "https://bench:6443",
        ))
        .expect("json");
        let wire: ApplicationWire = serde_json::from_slice(&json).expect("application");
        let record = AppRecord::from_wire(wire, "bench", &strings);
        model.apply(LiveEvent::Applied {
            context: context.clone(),
            watch: WatchKind::Applications,
            at: Utc::now(),
            object: LiveObject::Application(Box::new(record)),
        });
    }
    let apps_secs = started.elapsed().as_secs_f64();
    let after_apps = support::rss_bytes().unwrap_or(0);
    let refresh = Instant::now();
    model.refresh(Utc::now());
    let refresh_ms = refresh.elapsed().as_secs_f64() * 1000.0;
    let stats = model.stats();
    println!(
        "memory: {PODS} pods: resident growth {:.1} MiB = {:.0} KiB per 1,000 pods ({:.0} B a pod); model accounting {:.0} B a pod",
        mib(after_pods.saturating_sub(before)),
        after_pods.saturating_sub(before) as f64 / PODS as f64,
        after_pods.saturating_sub(before) as f64 / PODS as f64,
        stats.pod_bytes as f64 / stats.pods as f64,
    );
    println!(
        "memory: {APPS} Applications: resident growth {:.1} MiB = {:.0} KiB per 1,000 Applications ({:.0} B an Application); model accounting {:.0} B an Application",
        mib(after_apps.saturating_sub(after_pods)),
        after_apps.saturating_sub(after_pods) as f64 / APPS as f64,
        after_apps.saturating_sub(after_pods) as f64 / APPS as f64,
        stats.app_bytes as f64 / stats.applications as f64,
    );
    println!(
        "apply: {:.1} µs a pod event, {:.1} µs an Application event (wire JSON → slim → model); first refresh (roll-up of {} apps) {:.2} ms; {} interned strings",
        pods_secs * 1e6 / PODS as f64,
        apps_secs * 1e6 / APPS as f64,
        stats.applications,
        refresh_ms,
        stats.interned_strings
    );
}

fn seed(estate: &Estate, cluster: &str, obj: Value) -> Value {
    estate.seed(cluster, obj).expect("seed")
}

/// What the churn writer is waiting to see in the model: `create:|delete:|app:<name>` → write time.
type Pending = Arc<Mutex<HashMap<String, Instant>>>;

async fn latency_report() {
    let estate = Estate::start(EstateOptions::with_clusters(&["mgmt", "dev"]))
        .await
        .expect("estate");
    for crd in crds::all() {
        seed(&estate, "mgmt", crd);
    }
    let dev_url = estate.url("dev").expect("url");
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    seed(
        &estate,
        "mgmt",
        json!({"apiVersion": "v1", "kind": "Secret",
               "metadata": {"name": "cluster-dev", "namespace": "argocd",
                            "labels": {"argocd.argoproj.io/secret-type": "cluster", "environment": "dev"}},
               "data": {"name": b64("k8tre-dev"), "server": b64(&dev_url), "config": b64("{}")}}),
    );
    let apps = 1000;
    for i in 0..apps {
        let mut app = application(i, "k8tre-dev", &dev_url);
        app["metadata"]
            .as_object_mut()
            .expect("meta")
            .remove("finalizers");
        app["metadata"]
            .as_object_mut()
            .expect("meta")
            .remove("resourceVersion");
        seed(&estate, "mgmt", app);
    }
    for i in 0..2000 {
        seed(
            &estate,
            "dev",
            support::pod(
                &format!("ns-{}", i % 20),
                &format!("pod-{i}"),
                &format!("app-{}", i % 100),
            ),
        );
    }

    let mut options = LiveOptions::new(KubeconfigSource::File(
        estate.kubeconfig_path().to_path_buf(),
    ));
    options.management_context = Some("k8tre-mgmt".into());
    let started = Instant::now();
    let mut session = Session::start(options).await.expect("session");
    let mut first_data = None;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !session.model().is_settled() {
        match tokio::time::timeout_at(deadline, session.recv()).await {
            Ok(Some(event)) => {
                if first_data.is_none() && matches!(event, LiveEvent::Applied { .. }) {
                    first_data = Some(started.elapsed());
                }
                session.apply(event);
            }
            _ => break,
        }
    }
    let settled = started.elapsed();
    session.model_mut().refresh(Utc::now());
    println!(
        "start: first object in the model after {:.0} ms; every watch listed ({} Applications, {} pods) after {:.0} ms",
        first_data.map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0),
        session.model().apps().len(),
        session.model().stats().pods,
        settled.as_secs_f64() * 1000.0
    );

    seed(
        &estate,
        "dev",
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "churn"}}),
    );
    // Churn: create a pod, delete the oldest churn pod, flip an Application's health.
    let pending: Pending = Arc::new(Mutex::new(HashMap::new()));
    let writer = {
        let pending = pending.clone();
        let mgmt = estate.cluster("mgmt").expect("mgmt").clone();
        let dev = estate.cluster("dev").expect("dev").clone();
        tokio::spawn(async move {
            let ctx = WriteContext::controller("bench-churn");
            let apps_rt = mgmt
                .registry
                .read()
                .by_kind("argoproj.io/v1alpha1", "Application")
                .expect("apps");
            let pods_rt = dev.registry.read().by_kind("v1", "Pod").expect("pods");
            let mut ticker = tokio::time::interval(Duration::from_micros(1_000_000 / CHURN_RATE));
            for n in 0..CHURN_RATE * CHURN_SECONDS {
                ticker.tick().await;
                match n % 3 {
                    0 => {
                        let name = format!("churn-{n}");
                        pending
                            .lock()
                            .insert(format!("create:{name}"), Instant::now());
                        let pod = support::pod("churn", &name, "churn");
                        let _ = dev.create(&pods_rt, "churn", pod, &ctx);
                    }
                    1 => {
                        // Deletes the pod created a round earlier (none yet in the first).
                        if n > 3 {
                            let name = format!("churn-{}", n - 4);
                            pending
                                .lock()
                                .insert(format!("delete:{name}"), Instant::now());
                            let _ = dev.delete(&pods_rt, "churn", &name, &Default::default(), &ctx);
                        }
                    }
                    _ => {
                        let i = (n as usize / 3) % 1000;
                        let name = format!(
                            "{}-k8tre-dev-{i}",
                            [
                                "jupyterhub",
                                "keycloak",
                                "gitea",
                                "backend",
                                "cr8tor",
                                "guacamole"
                            ][i % 6]
                        );
                        // Each round over the Applications flips every one of them.
                        let health = if (n as usize / 3 / 1000).is_multiple_of(2) {
                            "Progressing"
                        } else {
                            "Healthy"
                        };
                        pending.lock().insert(format!("app:{name}"), Instant::now());
                        let patch = json!({"status": {"health": {"status": health}}});
                        let _ = mgmt.patch(
                            &apps_rt,
                            "argocd",
                            &name,
                            PatchType::Merge,
                            &patch,
                            Part::Main,
                            false,
                            &ctx,
                        );
                    }
                }
            }
        })
    };
    let mut latencies: Vec<f64> = Vec::new();
    let mut refreshes = Vec::new();
    let mut last_refresh = Instant::now();
    let end = tokio::time::Instant::now() + Duration::from_secs(CHURN_SECONDS + 5);
    while tokio::time::Instant::now() < end {
        let Ok(Some(event)) = tokio::time::timeout_at(end, session.recv()).await else {
            break;
        };
        let name = match &event {
            LiveEvent::Applied {
                object: LiveObject::Pod(key, _),
                ..
            } => Some(format!("create:{}", key.name)),
            LiveEvent::Applied {
                object: LiveObject::Application(record),
                ..
            } => Some(format!("app:{}", record.key.name)),
            LiveEvent::Deleted { key, .. } => Some(format!("delete:{}", key.name)),
            _ => None,
        };
        session.apply(event);
        if let Some(name) = name
            && let Some(written) = pending.lock().remove(&name)
        {
            latencies.push(written.elapsed().as_secs_f64() * 1000.0);
        }
        // What a UI frame would do: refresh at most every 33 ms.
        if last_refresh.elapsed() >= Duration::from_millis(33) {
            let t = Instant::now();
            session.model_mut().refresh(Utc::now());
            refreshes.push(t.elapsed().as_secs_f64() * 1000.0);
            last_refresh = Instant::now();
        }
    }
    let _ = writer.await;
    latencies.sort_by(f64::total_cmp);
    refreshes.sort_by(f64::total_cmp);
    let lost = pending.lock().len();
    println!(
        "churn: {CHURN_RATE} changes/s for {CHURN_SECONDS} s (pod create/delete on dev, Application health on mgmt): {} seen, {lost} not seen",
        latencies.len()
    );
    println!(
        "churn: change → model latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        support::percentile(&latencies, 50.0),
        support::percentile(&latencies, 99.0),
        latencies.last().copied().unwrap_or(f64::NAN)
    );
    println!(
        "churn: refresh (roll-up of {} apps when dirty) p50 {:.3} ms, p99 {:.3} ms over {} frames",
        session.model().apps().len(),
        support::percentile(&refreshes, 50.0),
        support::percentile(&refreshes, 99.0),
        refreshes.len()
    );
    drop(session);
    estate.stop().await;
}

fn main() {
    memory_report();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(latency_report());
}

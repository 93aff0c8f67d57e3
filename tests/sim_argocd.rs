//! The simulated ArgoCD end to end: a management cluster and three targets, the demo GitOps
//! repository, ArgoCD installed and running on a fast clock. Assertions follow Application
//! states through kube-rs watches and kubectl; timeouts are generous liveness bounds.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::apps::v1::Deployment;
use k8tre_console::domain::appset::{ClusterInfo, evaluate_applicationsets, parse_applicationsets};
use k8tre_console::domain::argocd::{Application, HealthStatus, OperationPhase, SyncStatus};
use k8tre_console::gitops::git::Identity;
use k8tre_console::gitops::tree::{RepoTree, RevisionTree};
use k8tre_console::sim::Estate;
use k8tre_console::sim::argocd::{
    self, ArgoCd, ArgoCdHandle, ArgoCdOptions, ClusterRegistration, InstallOptions, prerequisites,
};
use k8tre_console::sim::clock::SimClock;
use k8tre_console::sim::demo_repo::{DemoRepo, DemoRepoOptions, create_demo_repo};
use k8tre_console::sim::workloads::{WorkloadOptions, Workloads, WorkloadsHandle};
use kube::api::{Api, DeleteParams, Patch, PatchParams};
use kube::core::{ApiResource, DynamicObject, GroupVersionKind};
use kube::runtime::watcher;
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::task::JoinHandle;

const TARGETS: [&str; 3] = ["dev", "stg", "prd"];
/// How much faster than real time the estate runs.
const SPEED: f64 = 10.0;
/// Liveness bound for anything the controllers should get done.
const PATIENCE: Duration = Duration::from_secs(90);

struct Sim {
    estate: Estate,
    repo: DemoRepo,
    home: PathBuf,
    argocd: Option<ArgoCdHandle>,
    workloads: Vec<WorkloadsHandle>,
    client: kube::Client,
    _tmp: TempDir,
}

impl Sim {
    async fn start(root_app: bool) -> Sim {
        let estate = common::estate(&["mgmt", "dev", "stg", "prd"]).await;
        let tmp = TempDir::new().unwrap();
        let home = tmp.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        let repo = create_demo_repo(
            &tmp.path().join("repo"),
            &DemoRepoOptions {
                git_home: Some(home.clone()),
                ..Default::default()
            },
        )
        .unwrap();
        for target in TARGETS {
            prerequisites::seed_target(estate.cluster(target).unwrap()).unwrap();
        }
        let mgmt = estate.cluster("mgmt").unwrap().clone();
        argocd::install(
            &mgmt,
            &InstallOptions {
                targets: ClusterRegistration::demo(&estate),
                root_app_from: root_app.then(|| repo.path.clone()),
                k8tre_project: true,
                ..Default::default()
            },
        )
        .unwrap();
        let mut options = ArgoCdOptions::for_estate(&estate, "mgmt", repo.path.clone()).unwrap();
        assert_eq!(options.targets.len(), TARGETS.len());
        options.repo_url = Some(repo.repo_url.clone());
        options.git_home = Some(home.clone());
        options.clock = SimClock::new(SPEED);
        options.repo_poll = Duration::from_secs(2);
        let argocd = ArgoCd::spawn(options);
        let workloads = TARGETS
            .iter()
            .map(|t| {
                Workloads::spawn(
                    estate.cluster(t).unwrap().clone(),
                    SimClock::new(SPEED),
                    WorkloadOptions::default(),
                )
                .unwrap()
            })
            .collect();
        let client = common::client(&estate, "k8tre-mgmt").await;
        Sim {
            estate,
            repo,
            home,
            argocd: Some(argocd),
            workloads,
            client,
            _tmp: tmp,
        }
    }

    async fn stop(mut self) {
        if let Some(argocd) = self.argocd.take() {
            argocd.stop().await;
        }
        for workloads in self.workloads.drain(..) {
            workloads.stop().await;
        }
        self.estate.stop().await;
    }

    fn apps(&self) -> Api<DynamicObject> {
        let gvk = GroupVersionKind::gvk("argoproj.io", "v1alpha1", "Application");
        Api::namespaced_with(self.client.clone(), "argocd", &ApiResource::from_gvk(&gvk))
    }

    async fn app(&self, name: &str) -> Option<Application> {
        let obj = self.apps().get_opt(name).await.unwrap()?;
        Some(serde_json::from_value(serde_json::to_value(obj).unwrap()).unwrap())
    }

    /// Waits until `check` holds for the named Application.
    async fn wait_app(
        &self,
        name: &str,
        what: &str,
        check: impl Fn(&Application) -> bool,
    ) -> Application {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if let Some(app) = self.app(name).await
                && check(&app)
            {
                return app;
            }
            if tokio::time::Instant::now() > deadline {
                let app = self.app(name).await;
                panic!(
                    "{name}: gave up waiting for {what}; last state: {}",
                    summary(app.as_ref())
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn patch_app(&self, name: &str, patch: Value) {
        self.apps()
            .patch(name, &PatchParams::default(), &Patch::Merge(patch))
            .await
            .unwrap();
    }

    fn git(&self) -> k8tre_console::gitops::git::Git {
        k8tre_console::gitops::git::Git::new(&self.repo.path).with_home(&self.home)
    }

    async fn deployments(&self, cluster: &str) -> Api<Deployment> {
        let client = common::client(&self.estate, &format!("k8tre-{cluster}")).await;
        Api::namespaced(client, "backend")
    }
}

fn summary(app: Option<&Application>) -> String {
    let Some(app) = app else {
        return "absent".into();
    };
    let op = app.status.operation_state.as_ref();
    format!(
        "sync={:?} health={:?} rev={:?} op={:?}/{:?} conditions={:?} operation={}",
        app.sync_status(),
        app.health_status(),
        app.sync_revision(),
        op.and_then(|o| o.phase.clone()),
        op.map(|o| o.message.clone()),
        app.status
            .conditions
            .iter()
            .map(|c| c.message.clone())
            .collect::<Vec<_>>(),
        app.operation.is_some()
    )
}

/// Collects every state an Application goes through, from a kube-rs watch (established
/// before this returns).
async fn record_states(
    api: Api<DynamicObject>,
    name: &str,
) -> (JoinHandle<()>, Arc<parking_lot::Mutex<Vec<Application>>>) {
    let seen = Arc::new(parking_lot::Mutex::new(Vec::new()));
    let sink = seen.clone();
    let config = watcher::Config::default().fields(&format!("metadata.name={name}"));
    let task = tokio::spawn(async move {
        let mut stream = watcher(api, config).boxed();
        while let Some(event) = stream.next().await {
            let objects = match event {
                Ok(watcher::Event::Apply(obj)) | Ok(watcher::Event::InitApply(obj)) => vec![obj],
                _ => vec![],
            };
            for obj in objects {
                let app: Application =
                    serde_json::from_value(serde_json::to_value(obj).unwrap()).unwrap();
                sink.lock().push(app);
            }
        }
    });
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while seen.lock().is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the watch never started"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (task, seen)
}

fn phases(states: &[Application]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for app in states {
        let phase = app
            .status
            .operation_state
            .as_ref()
            .and_then(|s| s.phase.clone())
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "-".into());
        if out.last() != Some(&phase) {
            out.push(phase);
        }
    }
    out
}

/// Commits a change to one file of the repository; returns the new commit.
fn commit(sim: &Sim, path: &str, change: impl FnOnce(String) -> String, message: &str) -> String {
    let full = sim.repo.path.join(path);
    let text = std::fs::read_to_string(&full).unwrap_or_default();
    if let Some(parent) = full.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&full, change(text)).unwrap();
    let git = sim.git();
    git.add_all().unwrap();
    git.commit(message, &Identity::new("Test", "test@example.org"), None)
        .unwrap()
}

/// The image the backend Deployment on a cluster runs.
async fn backend_image(sim: &Sim, cluster: &str) -> Option<String> {
    let deployment = sim
        .deployments(cluster)
        .await
        .get_opt("backend")
        .await
        .unwrap()?;
    let value = serde_json::to_value(deployment).unwrap();
    value
        .pointer("/spec/template/spec/containers/0/image")
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// Switches auto-sync off on one Application (kept: the ApplicationSets ignore
/// `/spec/syncPolicy` differences).
async fn auto_sync_off(sim: &Sim, name: &str) {
    sim.patch_app(name, json!({"spec": {"syncPolicy": {"automated": null}}}))
        .await;
    // The ApplicationSet controller looks at the change and must leave it.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let app = sim.app(name).await.unwrap();
    assert!(!app.is_automated_sync_enabled(), "auto-sync stays off");
}

/// Waits until no operation is requested or running and the app is Synced and Healthy.
async fn settled(sim: &Sim, name: &str) -> Application {
    sim.wait_app(name, "Synced, Healthy and idle", |a| {
        a.operation.is_none()
            && a.sync_status() == SyncStatus::Synced
            && a.health_status() == HealthStatus::Healthy
            && a.status
                .operation_state
                .as_ref()
                .and_then(|s| s.phase.clone())
                == Some(OperationPhase::Succeeded)
    })
    .await
}

fn manual_sync(user: &str) -> Value {
    json!({"operation": {"initiatedBy": {"username": user}, "sync": {"syncStrategy": {"hook": {}}}},
           "status": {"operationState": null}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_applicationsets_generate_the_expected_applications() {
    let sim = Sim::start(true).await;
    settled(&sim, "jupyterhub-k8tre-dev").await;
    settled(&sim, "root-app-of-apps").await;

    // What the domain evaluator says the 21 ApplicationSets imply for the demo clusters.
    let tree = RevisionTree::load(sim.git(), "HEAD").unwrap();
    let appsets: Vec<_> = tree
        .list_files("appsets")
        .iter()
        .filter(|f| !f.ends_with("kustomization.yaml"))
        .flat_map(|f| parse_applicationsets(&RepoTree::read_file(&tree, f).unwrap()).unwrap())
        .collect();
    assert_eq!(appsets.len(), 21);
    let clusters: Vec<ClusterInfo> = ClusterRegistration::demo(&sim.estate)
        .into_iter()
        .map(|r| ClusterInfo {
            name: r.name,
            server: r.server,
            labels: r.labels,
            annotations: BTreeMap::new(),
        })
        .collect();
    let expected = evaluate_applicationsets(&appsets, &clusters, &tree.directories());
    assert!(expected.errors.is_empty(), "{:?}", expected.errors);

    let deadline = tokio::time::Instant::now() + PATIENCE;
    let actual = loop {
        let list = sim.apps().list(&Default::default()).await.unwrap();
        let apps: Vec<Application> = list
            .items
            .into_iter()
            .map(|o| serde_json::from_value(serde_json::to_value(o).unwrap()).unwrap())
            .collect();
        if apps.len() == expected.applications.len() + 1 || tokio::time::Instant::now() > deadline {
            break apps;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let names: Vec<&str> = actual
        .iter()
        .map(|a| a.metadata.name.as_str())
        .filter(|n| *n != "root-app-of-apps")
        .collect();
    let expected_names: Vec<&str> = expected
        .applications
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(names, expected_names);
    for generated in &expected.applications {
        let app = actual
            .iter()
            .find(|a| a.metadata.name == generated.name)
            .unwrap();
        assert_eq!(
            app.generating_appset(),
            Some(generated.applicationset.as_str())
        );
        assert_eq!(app.metadata.labels, generated.labels, "{}", generated.name);
        for (key, value) in &generated.annotations {
            assert_eq!(
                app.metadata.annotations.get(key),
                Some(value),
                "{} {key}",
                generated.name
            );
        }
        assert_eq!(
            app.metadata.finalizers,
            vec!["resources-finalizer.argocd.argoproj.io"]
        );
        assert_eq!(
            serde_json::to_value(&app.spec).unwrap(),
            generated.spec,
            "{}",
            generated.name
        );
        let owner = &app.metadata.owner_references[0];
        assert_eq!(
            (owner.kind.as_str(), owner.controller),
            ("ApplicationSet", Some(true))
        );
    }
    let dev = actual
        .iter()
        .find(|a| a.metadata.name == "jupyterhub-k8tre-dev")
        .unwrap();
    assert_eq!(dev.spec.destination.server, sim.estate.url("dev").unwrap());
    assert_eq!(
        dev.status.source_type.as_ref().map(|t| t.as_str()),
        Some("Plugin")
    );
    assert!(
        dev.status.resources.iter().all(|r| r.health.is_none()),
        "health is not persisted by default"
    );
    assert_eq!(dev.status.resource_health_source, "appTree");
    assert!(
        dev.status
            .summary
            .as_ref()
            .is_some_and(|s| !s.images.is_empty())
    );

    // The ApplicationSets report their Applications.
    let gvk = GroupVersionKind::gvk("argoproj.io", "v1alpha1", "ApplicationSet");
    let appset_api: Api<DynamicObject> =
        Api::namespaced_with(sim.client.clone(), "argocd", &ApiResource::from_gvk(&gvk));
    let jupyterhub = appset_api.get("jupyterhub").await.unwrap();
    let status = &jupyterhub.data["status"];
    let up_to_date = status["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "ResourcesUpToDate")
        .unwrap();
    assert_eq!(up_to_date["status"], "True");
    assert_eq!(status["resources"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        jupyterhub
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get("app.kubernetes.io/managed-by"))
            .map(String::as_str),
        Some("argocd")
    );
    // The root app's children carry its tracking id.
    assert_eq!(
        jupyterhub
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get("argocd.argoproj.io/tracking-id"))
            .map(String::as_str),
        Some("root-app-of-apps:argoproj.io/ApplicationSet:argocd/jupyterhub")
    );
    let root = sim.app("root-app-of-apps").await.unwrap();
    assert_eq!(root.status.resources.len(), 21);
    assert!(
        root.status
            .resources
            .iter()
            .all(|r| r.kind == "ApplicationSet" && r.status == Some(SyncStatus::Synced))
    );

    // kubectl shows sync and health.
    let cache = TempDir::new().unwrap();
    let table = common::kubectl_ok(
        &sim.estate,
        cache.path(),
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
    let header = table.lines().next().unwrap();
    assert!(
        header.contains("SYNC STATUS") && header.contains("HEALTH STATUS"),
        "{table}"
    );
    let row = table
        .lines()
        .find(|l| l.starts_with("jupyterhub-k8tre-dev "))
        .unwrap();
    assert!(row.contains("Synced") && row.contains("Healthy"), "{row}");
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manual_sync_runs_wave_by_wave_then_succeeds_and_records_history() {
    let sim = Sim::start(true).await;
    let app_name = "backend-k8tre-dev";
    settled(&sim, app_name).await;
    auto_sync_off(&sim, app_name).await;
    // A second wave: a ConfigMap applied after the rest.
    let late = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: backend-late\n  annotations:\n    argocd.argoproj.io/sync-wave: \"5\"\ndata:\n  x: \"1\"\n";
    commit(
        &sim,
        "apps/backend/envs/dev/late.yaml",
        |_| late.to_string(),
        "backend: a later wave",
    );
    let sha = commit(
        &sim,
        "apps/backend/envs/dev/kustomization.yaml",
        |t| t.replace("  - ../../base\n", "  - ../../base\n  - late.yaml\n"),
        "backend: list the later wave",
    );
    let before = sim
        .wait_app(app_name, "OutOfSync with the new commit", |a| {
            a.sync_status() == SyncStatus::OutOfSync && a.sync_revision() == Some(sha.as_str())
        })
        .await;
    let (watch, states) = record_states(sim.apps(), app_name).await;
    sim.patch_app(app_name, manual_sync("alice")).await;
    let done = settled(&sim, app_name).await;
    watch.abort();

    let states = states.lock().clone();
    let phases = phases(&states);
    let running = phases
        .iter()
        .position(|p| p == "Running")
        .expect("Running observed");
    assert!(
        phases[running..].iter().any(|p| p == "Succeeded"),
        "Running then Succeeded: {phases:?}"
    );
    // Running first appears with the operation copied and no results yet ...
    let first_running = states
        .iter()
        .find(|a| a.operation_phase() == Some(&OperationPhase::Running))
        .unwrap();
    let op = first_running.status.operation_state.as_ref().unwrap();
    assert!(op.started_at.is_some());
    assert_eq!(
        op.operation.initiated_by.as_ref().unwrap().username,
        "alice"
    );
    assert!(
        op.sync_result
            .as_ref()
            .is_none_or(|r| r.resources.is_empty())
    );
    // ... then grows wave by wave.
    let counts: Vec<usize> = states
        .iter()
        .filter(|a| a.operation_phase() == Some(&OperationPhase::Running))
        .filter_map(|a| {
            a.status
                .operation_state
                .as_ref()?
                .sync_result
                .as_ref()
                .map(|r| r.resources.len())
        })
        .collect();
    assert!(
        counts.iter().any(|&n| n > 0),
        "a Running state with results: {counts:?}"
    );
    let final_count = done
        .status
        .operation_state
        .as_ref()
        .unwrap()
        .sync_result
        .as_ref()
        .unwrap()
        .resources
        .len();
    assert!(
        counts.iter().all(|&n| n < final_count),
        "{counts:?} then {final_count}"
    );
    // The completing write also cleared `.operation`.
    let completed = states
        .iter()
        .find(|a| a.operation_phase() == Some(&OperationPhase::Succeeded))
        .unwrap();
    assert!(completed.operation.is_none());
    let state = done.status.operation_state.as_ref().unwrap();
    assert_eq!(state.message, "successfully synced (all tasks run)");
    assert!(state.finished_at.is_some());
    let late_result = state
        .sync_result
        .as_ref()
        .unwrap()
        .resources
        .iter()
        .find(|r| r.name == "backend-late")
        .unwrap();
    assert_eq!(late_result.message, "configmap/backend-late created");
    // History: one more entry, for this revision, by alice.
    assert_eq!(done.status.history.len(), before.status.history.len() + 1);
    let entry = done.status.history.last().unwrap();
    assert_eq!(entry.id, before.status.history.last().unwrap().id + 1);
    assert_eq!(entry.revision, sha);
    assert_eq!(entry.initiated_by.as_ref().unwrap().username, "alice");
    assert!(entry.deploy_started_at.is_some() && entry.deployed_at.is_some());
    assert_eq!(entry.source.as_ref().unwrap().path, "apps/backend/envs/dev");

    // Kubernetes Events tell the same story.
    let events: Api<k8s_openapi::api::core::v1::Event> =
        Api::namespaced(sim.client.clone(), "argocd");
    let listed = events
        .list(&kube::api::ListParams::default().fields(&format!("involvedObject.name={app_name}")))
        .await
        .unwrap();
    let said: Vec<(String, String)> = listed
        .items
        .iter()
        .map(|e| {
            (
                e.reason.clone().unwrap_or_default(),
                e.message.clone().unwrap_or_default(),
            )
        })
        .collect();
    assert!(
        said.iter()
            .any(|(r, m)| r == "OperationStarted" && m == "alice initiated sync to HEAD"),
        "{said:?}"
    );
    assert!(
        said.iter().any(|(r, m)| r == "OperationCompleted"
            && *m == format!("Sync operation to {sha} succeeded")),
        "{said:?}"
    );
    assert!(said.iter().any(|(r, m)| r == "ResourceUpdated" && m == "Updated sync status: Synced -> OutOfSync"), "{said:?}");
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_commit_is_auto_synced_and_a_rollback_lands_the_earlier_revision() {
    let sim = Sim::start(true).await;
    let app_name = "backend-k8tre-dev";
    let first = settled(&sim, app_name).await;
    let old_image = backend_image(&sim, "dev").await.unwrap();
    // Paused, the controllers leave the new commit alone ...
    let handle = sim.argocd.as_ref().unwrap();
    handle.pause();
    let sha = commit(
        &sim,
        "apps/backend/envs/dev/image-patch.yaml",
        |t| t.replace(old_image.rsplit(':').next().unwrap(), "v9.9.9"),
        "backend: v9.9.9 in dev",
    );
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        sim.app(app_name).await.unwrap().status.history,
        first.status.history
    );
    assert_eq!(backend_image(&sim, "dev").await.unwrap(), old_image);
    // ... and pick it up once resumed: polling notices it, auto-sync deploys it.
    handle.resume();
    let synced = sim
        .wait_app(app_name, "auto-synced to the new commit", |a| {
            a.status.history.last().is_some_and(|h| h.revision == sha)
                && a.sync_status() == SyncStatus::Synced
        })
        .await;
    let entry = synced.status.history.last().unwrap();
    assert!(entry.initiated_by.as_ref().unwrap().automated);
    assert_eq!(
        backend_image(&sim, "dev").await.unwrap(),
        "ghcr.io/k8tre/k8tre-backend:v9.9.9"
    );
    settled(&sim, app_name).await;

    // Roll back to the first deployment, the console's way: auto-sync off, then an apply-strategy
    // sync to the history entry's revision and source.
    auto_sync_off(&sim, app_name).await;
    let target = first.status.history.last().unwrap().clone();
    let rollback = json!({
        "operation": {
            "initiatedBy": {"username": "bob"},
            "sync": {"revision": target.revision, "source": target.source, "syncStrategy": {"apply": {}}},
        },
        "status": {"operationState": null},
    });
    sim.patch_app(app_name, rollback).await;
    let rolled = sim
        .wait_app(app_name, "the rollback to finish", |a| {
            a.operation.is_none()
                && a.status
                    .history
                    .last()
                    .is_some_and(|h| h.revision == target.revision)
        })
        .await;
    assert_eq!(backend_image(&sim, "dev").await.unwrap(), old_image);
    let entry = rolled.status.history.last().unwrap();
    assert_eq!(entry.initiated_by.as_ref().unwrap().username, "bob");
    assert!(entry.id > synced.status.history.last().unwrap().id);
    // Git still says v9.9.9: the app is OutOfSync against its target revision and stays so.
    let after = sim
        .wait_app(app_name, "OutOfSync against main", |a| {
            a.sync_status() == SyncStatus::OutOfSync
        })
        .await;
    assert_eq!(after.sync_revision(), Some(sha.as_str()));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        backend_image(&sim, "dev").await.unwrap(),
        old_image,
        "no auto-sync undoes the rollback"
    );
    // Switching auto-sync back on returns the app to git within seconds.
    sim.patch_app(
        app_name,
        json!({"spec": {"syncPolicy": {"automated": {"prune": true, "selfHeal": true, "enabled": true}}}}),
    )
    .await;
    sim.wait_app(app_name, "back on main", |a| {
        a.status.history.last().is_some_and(|h| h.revision == sha)
            && a.sync_status() == SyncStatus::Synced
    })
    .await;
    assert_eq!(
        backend_image(&sim, "dev").await.unwrap(),
        "ghcr.io/k8tre/k8tre-backend:v9.9.9"
    );
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_is_honoured_then_its_annotations_are_removed() {
    let sim = Sim::start(true).await;
    let app_name = "keycloak-k8tre-stg";
    let before = settled(&sim, app_name).await;
    // reconciledAt has whole seconds: let one pass so the refresh shows.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (watch, states) = record_states(sim.apps(), app_name).await;
    for (kind, stamp) in [
        ("normal", "2026-08-22T10:00:00.1Z"),
        ("hard", "2026-08-22T10:00:01.2Z"),
    ] {
        sim.patch_app(
            app_name,
            json!({"metadata": {"annotations": {"argocd.argoproj.io/refresh": kind, "argocd.argoproj.io/refresh-timestamp": stamp}}}),
        )
        .await;
        sim.wait_app(app_name, "the refresh annotations to go", |a| {
            !a.metadata
                .annotations
                .contains_key("argocd.argoproj.io/refresh")
                && !a
                    .metadata
                    .annotations
                    .contains_key("argocd.argoproj.io/refresh-timestamp")
        })
        .await;
    }
    watch.abort();
    let states = states.lock().clone();
    let annotated = |a: &Application| {
        a.metadata
            .annotations
            .contains_key("argocd.argoproj.io/refresh")
    };
    let refreshed_while_annotated = states
        .iter()
        .position(|a| annotated(a) && a.status.reconciled_at != before.status.reconciled_at)
        .expect("status refreshed while the annotation was still there");
    let removed_after = states[refreshed_while_annotated..]
        .iter()
        .position(|a| !annotated(a))
        .expect("annotation removed afterwards");
    assert!(removed_after > 0);
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminate_ends_a_running_operation_as_failed_and_failures_are_not_retried_automatically() {
    let sim = Sim::start(true).await;
    let app_name = "gitea-k8tre-dev";
    let before = settled(&sim, app_name).await;
    // Every apply of this app is refused; retries are one long minute apart.
    sim.patch_app(
        app_name,
        json!({"metadata": {"annotations": {argocd::FAIL_SYNC_ANNOTATION: "policy says no"}},
               "spec": {"syncPolicy": {"retry": {"limit": 3, "backoff": {"duration": "600s"}}}}}),
    )
    .await;
    // argocd-server (and the console) copy the spec's retry strategy into the operation.
    let mut sync = manual_sync("carol");
    sync["operation"]["retry"] = json!({"limit": 3, "backoff": {"duration": "600s"}});
    sim.patch_app(app_name, sync).await;
    let retrying = sim
        .wait_app(app_name, "a failed attempt waiting for its retry", |a| {
            a.status
                .operation_state
                .as_ref()
                .is_some_and(|s| s.message.contains("Retrying attempt #1"))
        })
        .await;
    let state = retrying.status.operation_state.as_ref().unwrap();
    assert_eq!(state.phase, Some(OperationPhase::Running));
    assert!(
        state
            .message
            .starts_with("one or more objects failed to apply. Retrying attempt #1 at "),
        "{}",
        state.message
    );
    assert_eq!(state.retry_count, 1);
    let failed = &state.sync_result.as_ref().unwrap().resources;
    assert!(failed.iter().any(|r| {
        r.status
            .as_ref()
            .is_some_and(|s| s.as_str() == "SyncFailed")
            && r.message.contains("policy says no")
    }));

    sim.patch_app(
        app_name,
        json!({"status": {"operationState": {"phase": "Terminating"}}}),
    )
    .await;
    let terminated = sim
        .wait_app(app_name, "the operation to end", |a| a.operation.is_none())
        .await;
    let state = terminated.status.operation_state.as_ref().unwrap();
    assert_eq!(state.phase, Some(OperationPhase::Failed));
    assert_eq!(state.message, "Operation terminated");
    assert!(state.finished_at.is_some());
    assert_eq!(
        terminated.status.history.len(),
        before.status.history.len(),
        "no history for a terminated sync"
    );

    // A new commit auto-syncs, fails after its one retry, and is then left alone.
    sim.patch_app(
        app_name,
        json!({"spec": {"syncPolicy": {"retry": {"limit": 1, "backoff": {"duration": "1s"}}}}}),
    )
    .await;
    let sha = commit(
        &sim,
        "apps/gitea/envs/dev/extra.yaml",
        |_| "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: gitea-extra\n".to_string(),
        "gitea: extra config",
    );
    commit(
        &sim,
        "apps/gitea/envs/dev/kustomization.yaml",
        |t| t.replacen("resources:\n", "resources:\n  - extra.yaml\n", 1),
        "gitea: list it",
    );
    let _ = sha;
    let refused = sim
        .wait_app(app_name, "a SyncError for the failed revision", |a| {
            a.status
                .conditions
                .iter()
                .any(|c| c.message.starts_with("Failed last sync attempt to ["))
        })
        .await;
    let state = refused.status.operation_state.as_ref().unwrap();
    assert_eq!(state.phase, Some(OperationPhase::Failed));
    assert!(
        state.message.ends_with("(retried 1 times)."),
        "{}",
        state.message
    );
    let condition = refused
        .status
        .conditions
        .iter()
        .find(|c| c.message.starts_with("Failed last sync"))
        .unwrap();
    assert_eq!(
        condition.kind.as_ref().map(|k| k.as_str()),
        Some("SyncError")
    );
    let finished = state.finished_at.clone();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let later = sim.app(app_name).await.unwrap();
    assert!(
        later.operation.is_none(),
        "no new automated attempt at the same revision"
    );
    assert_eq!(
        later.status.operation_state.as_ref().unwrap().finished_at,
        finished
    );
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn self_heal_restores_a_deleted_deployment() {
    let sim = Sim::start(true).await;
    let app_name = "backend-k8tre-prd";
    let before = settled(&sim, app_name).await;
    let deployments = sim.deployments("prd").await;
    let uid = deployments.get("backend").await.unwrap().metadata.uid;
    deployments
        .delete("backend", &DeleteParams::default())
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if let Some(d) = deployments.get_opt("backend").await.unwrap()
            && d.metadata.uid != uid
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the Deployment never came back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let healed = settled(&sim, app_name).await;
    let op = healed.status.operation_state.as_ref().unwrap();
    assert!(op.operation.initiated_by.as_ref().unwrap().automated);
    let partial = &op.operation.sync.as_ref().unwrap().resources;
    assert_eq!(
        partial.len(),
        1,
        "self-heal syncs only what drifted: {partial:?}"
    );
    assert_eq!(partial[0].name, "backend");
    assert_eq!(
        healed.status.history.len(),
        before.status.history.len(),
        "partial syncs leave no history"
    );
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hand_made_applications_report_errors_persist_health_and_cascade_deletion() {
    let sim = Sim::start(false).await;
    let handle = sim.argocd.as_ref().unwrap();
    handle.set_health_persist(true).unwrap();
    let app = |name: &str, path: &str, project: &str| {
        json!({
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Application",
            "metadata": {"name": name, "namespace": "argocd", "finalizers": ["resources-finalizer.argocd.argoproj.io"]},
            "spec": {
                "project": project,
                "source": {"repoURL": sim.repo.repo_url, "targetRevision": "main", "path": path,
                           "plugin": {"name": "kustomize-with-envsubst-v1.0", "env": [{"name": "ENVIRONMENT", "value": "dev"}]}},
                "destination": {"name": "k8tre-dev", "namespace": "backend"},
                "syncPolicy": {"automated": {"prune": true}, "syncOptions": ["CreateNamespace=true"]},
            }
        })
    };
    let api = sim.apps();
    let create = |v: Value| serde_json::from_value::<DynamicObject>(v).unwrap();
    api.create(
        &Default::default(),
        &create(app("backend", "apps/backend/envs/dev", "k8tre")),
    )
    .await
    .unwrap();
    api.create(
        &Default::default(),
        &create(app("nowhere", "apps/nope/envs/dev", "default")),
    )
    .await
    .unwrap();
    api.create(
        &Default::default(),
        &create(app("orphan", "apps/backend/envs/dev", "no-such-project")),
    )
    .await
    .unwrap();

    let healthy = settled(&sim, "backend").await;
    let health_of = |kind: &str| {
        healthy
            .status
            .resources
            .iter()
            .find(|r| r.kind == kind)
            .unwrap()
            .health
            .clone()
    };
    assert_eq!(
        health_of("Deployment").and_then(|h| h.status),
        Some(HealthStatus::Healthy),
        "health persisted on request"
    );
    assert_eq!(
        health_of("ConfigMap"),
        None,
        "kinds without a health check have none"
    );
    assert!(healthy.status.resource_health_source.is_empty());
    let history = healthy.status.history.len();
    assert_eq!(history, 1);

    // The k8tre project warns about objects nobody manages in the app's namespace.
    let dev = common::client(&sim.estate, "k8tre-dev").await;
    let config_maps: Api<k8s_openapi::api::core::v1::ConfigMap> = Api::namespaced(dev, "backend");
    let stray =
        serde_json::from_value(json!({"metadata": {"name": "stray"}, "data": {"a": "b"}})).unwrap();
    config_maps
        .create(&Default::default(), &stray)
        .await
        .unwrap();
    let refresh = |n: u32| {
        json!({"metadata": {"annotations": {"argocd.argoproj.io/refresh": "normal",
        "argocd.argoproj.io/refresh-timestamp": format!("2026-08-22T10:00:0{n}Z")}}})
    };
    sim.patch_app("backend", refresh(1)).await;
    let warned = sim
        .wait_app("backend", "an OrphanedResourceWarning", |a| {
            !a.status.conditions.is_empty()
        })
        .await;
    assert_eq!(
        warned.status.conditions[0]
            .kind
            .as_ref()
            .map(|k| k.as_str()),
        Some("OrphanedResourceWarning")
    );
    assert_eq!(
        warned.status.conditions[0].message,
        "Application has 1 orphaned resources"
    );
    assert_eq!(
        warned.sync_status(),
        SyncStatus::Synced,
        "a warning does not change sync status"
    );
    config_maps
        .delete("stray", &DeleteParams::default())
        .await
        .unwrap();
    sim.patch_app("backend", refresh(2)).await;
    sim.wait_app("backend", "the warning to clear", |a| {
        a.status.conditions.is_empty()
    })
    .await;

    // An unreachable destination is a ComparisonError, cleared when it is back.
    sim.estate.cluster("dev").unwrap().faults.set_refuse(true);
    sim.patch_app("backend", refresh(3)).await;
    let unreachable = sim
        .wait_app("backend", "a ComparisonError", |a| {
            !a.status.conditions.is_empty()
        })
        .await;
    assert_eq!(
        unreachable.status.conditions[0]
            .kind
            .as_ref()
            .map(|k| k.as_str()),
        Some("ComparisonError")
    );
    assert!(
        unreachable.status.conditions[0]
            .message
            .contains("connection refused"),
        "{:?}",
        unreachable.status.conditions
    );
    assert_eq!(unreachable.sync_status(), SyncStatus::Unknown);
    sim.estate.cluster("dev").unwrap().faults.set_refuse(false);
    sim.patch_app("backend", refresh(4)).await;
    sim.wait_app("backend", "the error to clear", |a| {
        a.status.conditions.is_empty() && a.sync_status() == SyncStatus::Synced
    })
    .await;

    let broken = sim
        .wait_app("nowhere", "a ComparisonError", |a| {
            !a.status.conditions.is_empty()
        })
        .await;
    assert_eq!(broken.sync_status(), SyncStatus::Unknown);
    let condition = &broken.status.conditions[0];
    assert_eq!(
        condition.kind.as_ref().map(|k| k.as_str()),
        Some("ComparisonError")
    );
    assert!(
        condition.message.contains("app path does not exist"),
        "{}",
        condition.message
    );
    assert!(condition.last_transition_time.is_some());

    let invalid = sim
        .wait_app("orphan", "an InvalidSpecError", |a| {
            !a.status.conditions.is_empty()
        })
        .await;
    assert_eq!(
        invalid.status.conditions[0].message,
        "Application referencing project no-such-project which does not exist"
    );
    assert_eq!(
        (invalid.sync_status(), invalid.health_status()),
        (SyncStatus::Unknown, HealthStatus::Unknown)
    );

    // Deleting with the resources finalizer deletes what the app deployed.
    let deployments = sim.deployments("dev").await;
    assert!(deployments.get_opt("backend").await.unwrap().is_some());
    api.delete("backend", &DeleteParams::default())
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while api.get_opt("backend").await.unwrap().is_some() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the Application was never finalized"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        deployments.get_opt("backend").await.unwrap().is_none(),
        "its Deployment went with it"
    );
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_label_change_removes_its_application_and_resources() {
    let sim = Sim::start(true).await;
    settled(&sim, "cr8tor-k8tre-dev").await;
    let dev = common::client(&sim.estate, "k8tre-dev").await;
    let cr8tor: Api<k8s_openapi::api::core::v1::ConfigMap> = Api::namespaced(dev, "cr8tor");
    assert!(cr8tor.get_opt("cr8tor-config").await.unwrap().is_some());
    let secrets: Api<k8s_openapi::api::core::v1::Secret> =
        Api::namespaced(sim.client.clone(), "argocd");
    secrets
        .patch(
            "cluster-k8tre-dev",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"labels": {"skip-cr8tor": "true"}}})),
        )
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while sim.app("cr8tor-k8tre-dev").await.is_some()
        || cr8tor.get_opt("cr8tor-config").await.unwrap().is_some()
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the Application and its resources should go"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        sim.app("cr8tor-k8tre-stg").await.is_some(),
        "other clusters keep theirs"
    );
    assert!(
        sim.app("jupyterhub-k8tre-dev").await.is_some(),
        "other components stay"
    );
    sim.stop().await;
}

/// CPU time of this process so far, in seconds (Linux).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields: Vec<&str> = stat[stat.rfind(')')? + 2..].split(' ').collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// The scale scenario: `K8TRE_SCALE_APPS` (default 2000) Applications on one cluster at real
/// speed. Reports how long they take to sync and what the controllers cost when idle;
/// asserts only that they all sync. `cargo test --test sim_argocd -- --ignored scale`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "scale run: minutes of CPU"]
async fn scale_thousands_of_applications() {
    let n: usize = std::env::var("K8TRE_SCALE_APPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let estate = common::estate(&["mgmt", "dev"]).await;
    let tmp = TempDir::new().unwrap();
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let repo = create_demo_repo(
        &tmp.path().join("repo"),
        &DemoRepoOptions {
            git_home: Some(home.clone()),
            ..Default::default()
        },
    )
    .unwrap();
    let manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  a: b\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector:\n    app: web\n  ports:\n    - port: 80\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.27\n";
    std::fs::create_dir_all(repo.path.join("scale/web")).unwrap();
    std::fs::write(repo.path.join("scale/web/all.yaml"), manifest).unwrap();
    let git = k8tre_console::gitops::git::Git::new(&repo.path).with_home(&home);
    git.add_all().unwrap();
    git.commit(
        "scale: a plain component",
        &Identity::new("Test", "test@example.org"),
        None,
    )
    .unwrap();
    let mgmt = estate.cluster("mgmt").unwrap().clone();
    argocd::install(
        &mgmt,
        &InstallOptions {
            targets: ClusterRegistration::demo(&estate),
            ..Default::default()
        },
    )
    .unwrap();
    for i in 0..n {
        let app = json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
            "metadata": {"name": format!("web-{i}"), "namespace": "argocd"},
            "spec": {"project": "default",
                "source": {"repoURL": repo.repo_url, "targetRevision": "main", "path": "scale/web"},
                "destination": {"name": "k8tre-dev", "namespace": format!("web-{i}")},
                "syncPolicy": {"automated": {"prune": true, "selfHeal": true}, "syncOptions": ["CreateNamespace=true"]}}});
        estate.seed("mgmt", app).unwrap();
    }
    let mut options = ArgoCdOptions::new(
        mgmt.clone(),
        vec![(
            estate.url("dev").unwrap(),
            estate.cluster("dev").unwrap().clone(),
        )],
        repo.path.clone(),
    );
    options.repo_url = Some(repo.repo_url.clone());
    options.git_home = Some(home.clone());
    let started = tokio::time::Instant::now();
    let cpu_at_start = cpu_seconds().unwrap_or_default();
    let argocd = ArgoCd::spawn(options);
    let workloads = Workloads::spawn(
        estate.cluster("dev").unwrap().clone(),
        SimClock::default(),
        WorkloadOptions {
            default_nodes: n / 100 + 3,
            ..WorkloadOptions::default()
        },
    )
    .unwrap();
    let apps = k8tre_console::sim::resources::ResourceKey::new("argoproj.io", "applications");
    loop {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let synced = mgmt
            .store
            .list(&apps, Some("argocd"), None, None, &|_| true)
            .items
            .iter()
            .filter(|e| {
                e.value()
                    .is_ok_and(|v| v["status"]["sync"]["status"] == "Synced")
            })
            .count();
        if synced == n {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(1200),
            "only {synced} of {n} synced"
        );
    }
    let cpu_to_sync = cpu_seconds().unwrap_or_default() - cpu_at_start;
    eprintln!(
        "{n} Applications synced in {:?} using {cpu_to_sync:.1} s of CPU",
        started.elapsed()
    );
    // Steady state includes the periodic refreshes (every 120-180 s per Application).
    tokio::time::sleep(Duration::from_secs(150)).await;
    let before = cpu_seconds().unwrap_or_default();
    tokio::time::sleep(Duration::from_secs(60)).await;
    let idle = cpu_seconds().unwrap_or_default() - before;
    eprintln!(
        "steady state: {idle:.1} s of CPU per minute ({:.0}% of one core)",
        idle / 60.0 * 100.0
    );
    argocd.stop().await;
    workloads.stop().await;
    estate.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn git_changes_add_applications_and_prune_resources() {
    let sim = Sim::start(true).await;
    settled(&sim, "backend-k8tre-stg").await;
    assert!(sim.app("observability-metrics-k8tre-dev").await.is_none());
    // A new env directory: the ApplicationSet generates an Application for it.
    commit(
        &sim,
        "apps/observability-metrics/envs/dev/kustomization.yaml",
        |_| {
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../../base\n".to_string()
        },
        "observability-metrics: run it in dev too",
    );
    let new = settled(&sim, "observability-metrics-k8tre-dev").await;
    assert_eq!(new.generating_appset(), Some("observability-metrics"));
    assert_eq!(new.spec.destination.server, sim.estate.url("dev").unwrap());

    // A resource gone from git is pruned (the backend sets prune: true).
    let stg = common::client(&sim.estate, "k8tre-stg").await;
    let gvk = GroupVersionKind::gvk("gateway.networking.k8s.io", "v1", "HTTPRoute");
    let routes: Api<DynamicObject> =
        Api::namespaced_with(stg, "backend", &ApiResource::from_gvk(&gvk));
    assert!(routes.get_opt("backend").await.unwrap().is_some());
    let sha = commit(
        &sim,
        "apps/backend/base/kustomization.yaml",
        |t| t.replace("  - gateway-route.yaml\n", ""),
        "backend: no route",
    );
    let pruned = sim
        .wait_app(
            "backend-k8tre-stg",
            "the route pruned at the new commit",
            |a| a.status.history.last().is_some_and(|h| h.revision == sha),
        )
        .await;
    assert!(
        routes.get_opt("backend").await.unwrap().is_none(),
        "the HTTPRoute was pruned"
    );
    let result = pruned
        .status
        .operation_state
        .as_ref()
        .unwrap()
        .sync_result
        .as_ref()
        .unwrap();
    let route = result
        .resources
        .iter()
        .find(|r| r.kind == "HTTPRoute")
        .unwrap();
    assert_eq!(
        (
            route.status.as_ref().map(|s| s.as_str()),
            route.message.as_str()
        ),
        (Some("Pruned"), "pruned")
    );
    sim.stop().await;
}

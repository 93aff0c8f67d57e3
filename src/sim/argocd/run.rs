//! Starting and stopping the simulated ArgoCD: the controllers' workers, the watchers that
//! feed them (management cluster and every target), and the repository poller.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::{Mutex, RwLock};
use serde_json::{Value, json};
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

use crate::sim::api::PatchType;
use crate::sim::clock::SimClock;
use crate::sim::cluster::ClusterState;
use crate::sim::error::ApiError;
use crate::sim::store::{EventType, WatchEvent, WatchStart};

use super::app::{AppController, Level};
use super::appset::AppSetController;
use super::clock::Clock;
use super::clusters::Destinations;
use super::events::EventRecorder;
use super::install::SECRET_TYPE_LABEL;
use super::kube::{self, APP_CONTROLLER};
use super::render::RenderCache;
use super::repo::Repo;
use super::runtime::Runtime;
use super::settings::{
    ARGOCD_CM, CMD_PARAMS_CM, CMP_PLUGIN_CM, HEALTH_PERSIST_KEY, Knobs, NAMESPACE, REPO_SERVER,
    Settings,
};
use super::tracking::LiveIndex;

/// How to run the simulated ArgoCD.
pub struct ArgoCdOptions {
    /// The management cluster ArgoCD runs in (its in-cluster destination).
    pub mgmt: Arc<ClusterState>,
    /// Target clusters by the API server URL their cluster Secrets name.
    pub targets: Vec<(String, Arc<ClusterState>)>,
    /// The GitOps repository (a git checkout on disk).
    pub repo: PathBuf,
    /// The URL sources use for it; default `file://<repo>`.
    pub repo_url: Option<String>,
    /// `HOME` for git processes.
    pub git_home: Option<PathBuf>,
    pub clock: SimClock,
    /// Simulated time between full reconciliations of an Application (+ half as much jitter).
    pub reconcile_period: Duration,
    /// Simulated time between polls of the repository.
    pub repo_poll: Duration,
    /// Application controller workers.
    pub workers: usize,
    /// Kubernetes Events kept before the oldest are deleted.
    pub event_limit: usize,
}

impl ArgoCdOptions {
    /// Options for an estate: ArgoCD in cluster `mgmt`, every other cluster of the estate a
    /// target reachable at its URL (register them with
    /// [`super::ClusterRegistration`]s naming the same URLs).
    pub fn for_estate(estate: &crate::sim::Estate, mgmt: &str, repo: PathBuf) -> Option<Self> {
        let mgmt_state = estate.cluster(mgmt)?.clone();
        let targets = estate
            .cluster_names()
            .into_iter()
            .filter(|name| *name != mgmt)
            .filter_map(|name| Some((estate.url(name)?, estate.cluster(name)?.clone())))
            .collect();
        Some(Self::new(mgmt_state, targets, repo))
    }

    pub fn new(
        mgmt: Arc<ClusterState>,
        targets: Vec<(String, Arc<ClusterState>)>,
        repo: PathBuf,
    ) -> Self {
        Self {
            mgmt,
            targets,
            repo,
            repo_url: None,
            git_home: None,
            clock: SimClock::default(),
            reconcile_period: Duration::from_secs(120),
            repo_poll: Duration::from_secs(3),
            workers: 4,
            event_limit: 5000,
        }
    }
}

/// The simulated ArgoCD.
pub struct ArgoCd;

impl ArgoCd {
    /// Starts the controllers. Must be called inside a tokio runtime.
    pub fn spawn(options: ArgoCdOptions) -> ArgoCdHandle {
        let clock = Clock::new(options.clock);
        let repo_url = options
            .repo_url
            .clone()
            .unwrap_or_else(|| format!("file://{}", options.repo.display()));
        let rt = Arc::new(Runtime {
            destinations: Destinations::new(options.mgmt.clone(), options.targets.clone()),
            repo: Repo::new(&options.repo, &repo_url, options.git_home.as_deref()),
            renders: RenderCache::default(),
            index: LiveIndex::default(),
            settings: RwLock::new(Settings::load(&options.mgmt)),
            knobs: Knobs::new(options.reconcile_period, options.repo_poll),
            events: EventRecorder::new(options.mgmt.clone(), clock.clone(), options.event_limit),
            clock,
            mgmt: options.mgmt.clone(),
        });
        let apps = Arc::new(AppController::new(rt.clone()));
        let appsets = Arc::new(AppSetController::new(rt.clone()));
        let (stop, _) = watch::channel(false);
        let wiring = Arc::new(Wiring {
            rt: rt.clone(),
            apps: apps.clone(),
            appsets: appsets.clone(),
            fingerprints: Mutex::new(HashMap::new()),
        });
        let mut tasks = Vec::new();
        for _ in 0..options.workers.max(1) {
            tasks.push(tokio::spawn(apps.clone().worker(stop.subscribe())));
        }
        tasks.push(tokio::spawn(appsets.clone().worker(stop.subscribe())));
        tasks.push(tokio::spawn(wiring.clone().watch_cluster(
            options.mgmt.clone(),
            true,
            stop.subscribe(),
        )));
        for (_, cluster) in &options.targets {
            tasks.push(tokio::spawn(wiring.clone().watch_cluster(
                cluster.clone(),
                false,
                stop.subscribe(),
            )));
        }
        tasks.push(tokio::spawn(wiring.clone().poll_repo(stop.subscribe())));
        ArgoCdHandle {
            rt,
            apps,
            appsets,
            stop,
            tasks,
        }
    }
}

/// A running simulated ArgoCD: its knobs, and `stop`.
pub struct ArgoCdHandle {
    rt: Arc<Runtime>,
    apps: Arc<AppController>,
    appsets: Arc<AppSetController>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl ArgoCdHandle {
    /// Stops every controller task and waits for them.
    pub async fn stop(self) {
        self.stop.send_replace(true);
        self.apps.close();
        self.appsets.close();
        for task in self.tasks {
            // A task that panicked has already logged; nothing else to do on shutdown.
            let _ = task.await;
        }
    }

    /// Freezes the controllers (queued work waits) ...
    pub fn pause(&self) {
        self.rt.knobs.paused.send_replace(true);
    }

    /// ... and lets them go on.
    pub fn resume(&self) {
        self.rt.knobs.paused.send_replace(false);
    }

    pub fn is_paused(&self) -> bool {
        self.rt.knobs.is_paused()
    }

    /// Changes the speed of simulated time (delays, periods, backoffs).
    pub fn set_speed(&self, speed: f64) {
        self.rt.clock.set_speed(speed);
    }

    pub fn speed(&self) -> f64 {
        self.rt.clock.speed()
    }

    /// Simulated time between full reconciliations (ArgoCD's `timeout.reconciliation`);
    /// the jitter becomes half of it.
    pub fn set_reconcile_period(&self, period: Duration) {
        *self.rt.knobs.reconcile_period.write() = period;
        *self.rt.knobs.reconcile_jitter.write() = period / 2;
    }

    /// Simulated time between polls of the repository for new commits.
    pub fn set_repo_poll(&self, every: Duration) {
        *self.rt.knobs.repo_poll.write() = every;
    }

    /// Simulated pause between sync waves (ArgoCD: 2 s).
    pub fn set_wave_delay(&self, delay: Duration) {
        *self.rt.knobs.wave_delay.write() = delay;
    }

    /// Switches `controller.resource.health.persist` in `argocd-cmd-params-cm` (the
    /// controllers pick the change up from the ConfigMap, as ArgoCD would after a restart).
    pub fn set_health_persist(&self, persist: bool) -> Result<(), ApiError> {
        let patch = json!({"data": {HEALTH_PERSIST_KEY: if persist { "true" } else { "false" }}});
        kube::patch(
            &self.rt.mgmt,
            &crate::sim::resources::ResourceKey::new("", "configmaps"),
            NAMESPACE,
            CMD_PARAMS_CM,
            PatchType::Merge,
            &patch,
            APP_CONTROLLER,
        )
        .map(|_| ())
    }

    /// Asks for a full reconciliation of every Application and ApplicationSet now.
    pub fn refresh_all(&self) {
        self.appsets.request_all();
        self.apps.request_all(Level::Latest);
    }

    /// Work queued or in progress (0 when the controllers are idle).
    pub fn pending_work(&self) -> usize {
        self.apps.busy() + self.appsets.busy()
    }
}

/// Routes watch events to the controllers.
struct Wiring {
    rt: Arc<Runtime>,
    apps: Arc<AppController>,
    appsets: Arc<AppSetController>,
    /// What each Application looked like to its ApplicationSet, to skip irrelevant changes.
    fingerprints: Mutex<HashMap<String, u64>>,
}

impl Wiring {
    async fn watch_cluster(
        self: Arc<Self>,
        cluster: Arc<ClusterState>,
        is_mgmt: bool,
        mut stop: watch::Receiver<bool>,
    ) {
        loop {
            let subscription = match cluster.store.watch(None, WatchStart::CurrentState) {
                Ok(s) => s,
                Err(err) => {
                    tracing::warn!(cluster = %cluster.name, %err, "simulated ArgoCD cannot watch");
                    return;
                }
            };
            self.rt.index.reset(&cluster.name);
            for event in &subscription.replay {
                self.handle(&cluster, is_mgmt, event);
            }
            let mut live = subscription.live;
            loop {
                tokio::select! {
                    _ = stop.changed() => return,
                    received = live.recv() => match received {
                        Ok(event) => self.handle(&cluster, is_mgmt, &event),
                        Err(broadcast::error::RecvError::Lagged(missed)) => {
                            tracing::warn!(cluster = %cluster.name, missed, "simulated ArgoCD fell behind a watch; resyncing");
                            self.apps.request_all(Level::Recent);
                            if is_mgmt {
                                self.appsets.request_all();
                            }
                            break;
                        }
                        Err(broadcast::error::RecvError::Closed) => return,
                    }
                }
            }
        }
    }

    fn handle(&self, cluster: &ClusterState, is_mgmt: bool, event: &WatchEvent) {
        for app in self.rt.index.observe(&cluster.name, event) {
            self.apps.request(&app, Level::Recent);
        }
        if !is_mgmt {
            return;
        }
        let in_argocd = event.namespace == NAMESPACE;
        match (
            event.resource.group.as_str(),
            event.resource.plural.as_str(),
        ) {
            ("argoproj.io", "applications") if in_argocd => self.on_application(event),
            ("argoproj.io", "applicationsets") if in_argocd => {
                let name = (event.kind != EventType::Deleted).then_some(event.name.as_str());
                self.appsets.note(&event.entry.uid, name);
                if event.kind != EventType::Deleted {
                    self.appsets.request(&event.name);
                }
            }
            ("argoproj.io", "appprojects") if in_argocd => self.apps.request_all(Level::Latest),
            ("", "secrets") if in_argocd && is_cluster_secret(event) => {
                self.appsets.request_all();
                self.apps.request_all(Level::Latest);
            }
            ("", "configmaps") | ("apps", "deployments")
                if in_argocd
                    && [ARGOCD_CM, CMD_PARAMS_CM, CMP_PLUGIN_CM, REPO_SERVER]
                        .contains(&event.name.as_str())
                    && self.rt.reload_settings() =>
            {
                self.apps.request_all(Level::Latest);
            }
            _ => {}
        }
    }

    fn on_application(&self, event: &WatchEvent) {
        let owner = self.appsets.owner(&event.entry.owner_uids);
        if event.kind == EventType::Deleted {
            self.apps.forget(&event.name);
            self.fingerprints.lock().remove(&event.name);
            if let Some(owner) = owner {
                self.appsets.request(&owner);
            }
            return;
        }
        self.apps.request(&event.name, Level::Nothing);
        let Some(owner) = owner else { return };
        let fingerprint = event
            .entry
            .value()
            .map(|v| fingerprint(&v))
            .unwrap_or_default();
        let changed = self
            .fingerprints
            .lock()
            .insert(event.name.clone(), fingerprint)
            != Some(fingerprint);
        if changed {
            self.appsets.request(&owner);
        }
    }

    async fn poll_repo(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        loop {
            let every = self.rt.real(*self.rt.knobs.repo_poll.read());
            tokio::select! {
                _ = stop.changed() => return,
                _ = tokio::time::sleep(every) => {}
            }
            if self.rt.knobs.is_paused() {
                continue;
            }
            if self.rt.repo.poll().await {
                self.appsets.request_all();
                self.apps.request_all(Level::Latest);
            }
        }
    }
}

fn is_cluster_secret(event: &WatchEvent) -> bool {
    event
        .entry
        .labels
        .get(SECRET_TYPE_LABEL)
        .map(String::as_str)
        == Some("cluster")
}

/// What an ApplicationSet cares about in one of its Applications: what it writes, and the
/// sync and health it reports.
fn fingerprint(app: &Value) -> u64 {
    let pieces = json!([
        app.pointer("/metadata/labels"),
        app.pointer("/metadata/annotations"),
        app.pointer("/metadata/finalizers"),
        app.pointer("/metadata/deletionTimestamp"),
        app.get("spec"),
        app.pointer("/status/sync/status"),
        app.pointer("/status/health/status"),
    ]);
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    pieces.to_string().hash(&mut hasher);
    hasher.finish()
}

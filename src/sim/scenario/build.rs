//! Builds a running simulated K8TRE estate for a scenario: the clusters, their baselines, the
//! demo GitOps repository, the workload controllers, ArgoCD, the scenario's faults and scale.
//! The entry point of `sim serve --scenario`, `demo`, the screenshots and the tests.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::task::JoinHandle;

use super::Scenario;
use super::baseline::{CiliumSetup, TargetBaseline, Vendor, seed_target};
use super::faults::FaultSpec;
use super::scale::{ScaleOptions, add_synthetic_components};
use crate::gitops::git::Git;
use crate::sim::api::{Part, PatchType, WriteContext};
use crate::sim::argocd::{
    ArgoCd, ArgoCdHandle, ArgoCdOptions, ClusterRegistration, InstallOptions, install,
};
use crate::sim::clock::SimClock;
use crate::sim::cluster::{ClusterOptions, ClusterState};
use crate::sim::demo_repo::{DemoRepo, DemoRepoOptions, create_demo_repo, ensure_demo_repo_with};
use crate::sim::workloads::{self, WorkloadOptions, Workloads, WorkloadsHandle};
use crate::sim::{Estate, EstateOptions, SimError};

/// The clusters of every scenario: ArgoCD's management cluster and one target per environment.
pub const CLUSTERS: [(&str, Vendor); 4] = [
    ("mgmt", Vendor::K3s),
    ("dev", Vendor::K3s),
    ("stg", Vendor::Azure),
    ("prd", Vendor::Aws),
];

/// How to start a scenario.
#[derive(Debug, Clone)]
pub struct ScenarioOptions {
    pub scenario: Scenario,
    /// Simulated delays are divided by this (2.0: twice as fast).
    pub speed: f64,
    pub scale: ScaleOptions,
    /// Pod status changes per second across the targets, for benchmarks.
    pub churn: f64,
    /// Faults put on clusters once the estate runs.
    pub faults: Vec<FaultSpec>,
    pub base_port: Option<u16>,
    pub kubeconfig_path: Option<PathBuf>,
    pub request_log: Option<PathBuf>,
    /// Where the demo repository lives (reused if it is one); None: a temporary directory.
    /// With scale, a temporary copy is always used so the user's repository stays as it was.
    pub repo_dir: Option<PathBuf>,
    /// `HOME` for git (tests use a temporary one).
    pub git_home: Option<PathBuf>,
    /// `controller.resource.health.persist` (ArgoCD ≥ 3 default: false).
    pub health_persist: bool,
    pub cluster: ClusterOptions,
}

impl Default for ScenarioOptions {
    fn default() -> Self {
        Self {
            scenario: Scenario::Demo,
            speed: 1.0,
            scale: ScaleOptions::default(),
            churn: 0.0,
            faults: Vec::new(),
            base_port: None,
            kubeconfig_path: None,
            request_log: None,
            repo_dir: None,
            git_home: None,
            health_persist: false,
            cluster: ClusterOptions::default(),
        }
    }
}

/// Why a scenario could not start.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error(transparent)]
    Estate(#[from] SimError),
    #[error("the demo GitOps repository: {0}")]
    Repo(String),
    #[error("seeding cluster {cluster}: {reason}")]
    Seed { cluster: String, reason: String },
    #[error("fault {spec}: no cluster named {cluster:?} (clusters: mgmt, dev, stg, prd)")]
    FaultCluster { spec: String, cluster: String },
    #[error(transparent)]
    Install(#[from] crate::sim::argocd::InstallError),
    #[error("scale: {0}")]
    Scale(#[from] super::scale::ScaleError),
}

/// A running scenario. Stop it with [`SimulatedEstate::stop`].
pub struct SimulatedEstate {
    estate: Estate,
    repo: DemoRepo,
    argocd: ArgoCdHandle,
    workloads: Vec<(String, WorkloadsHandle)>,
    tweaks: Vec<JoinHandle<()>>,
    scenario: Scenario,
    _tempdir: Option<tempfile::TempDir>,
}

fn prepare_repo(
    options: &ScenarioOptions,
) -> Result<(DemoRepo, Option<tempfile::TempDir>), ScenarioError> {
    let repo_options = DemoRepoOptions {
        git_home: options.git_home.clone(),
        ..DemoRepoOptions::default()
    };
    let repo_err = |e: &dyn std::fmt::Display| ScenarioError::Repo(e.to_string());
    match &options.repo_dir {
        Some(dir) if options.scale.apps == 0 => Ok((
            ensure_demo_repo_with(dir, &repo_options).map_err(|e| repo_err(&e))?,
            None,
        )),
        _ => {
            let tempdir = tempfile::Builder::new()
                .prefix("k8tre-demo-repo-")
                .tempdir()
                .map_err(|e| repo_err(&e))?;
            let repo = create_demo_repo(&tempdir.path().join("k8tre"), &repo_options)
                .map_err(|e| repo_err(&e))?;
            Ok((repo, Some(tempdir)))
        }
    }
}

fn baseline(name: &str, vendor: Vendor, options: &ScenarioOptions) -> TargetBaseline {
    // In the fresh scenario stg's Cilium was installed with chart defaults: no L7 proxy,
    // no Gateway API, kube-proxy still there, and no Gateway API CRDs.
    let incomplete = options.scenario == Scenario::Fresh && name == "stg";
    let own_nodes = if name == "prd" { 3 } else { 2 };
    TargetBaseline {
        cluster: name.to_string(),
        vendor,
        // A scaled estate grows its clusters with its load, or its pods stay Pending.
        nodes: own_nodes + options.scale.extra_nodes(),
        cilium: if incomplete {
            CiliumSetup::incomplete(vendor)
        } else {
            CiliumSetup::for_vendor(vendor)
        },
        gateway_api_crds: !incomplete,
    }
}

impl SimulatedEstate {
    /// Starts everything and returns once ArgoCD is running (Applications sync in the
    /// background, in a few simulated seconds at speed 1).
    pub async fn start(options: ScenarioOptions) -> Result<Self, ScenarioError> {
        for spec in &options.faults {
            if !CLUSTERS.iter().any(|(name, _)| *name == spec.cluster) {
                return Err(ScenarioError::FaultCluster {
                    spec: format!("{}={}", spec.cluster, spec.fault),
                    cluster: spec.cluster.clone(),
                });
            }
        }
        let (repo, tempdir) = prepare_repo(&options)?;
        if options.scale.apps > 0 {
            let mut git = Git::new(&repo.path);
            if let Some(home) = &options.git_home {
                git = git.with_home(home);
            }
            add_synthetic_components(&repo.path, &repo.repo_url, &git, &options.scale)?;
        }
        let estate = Estate::start(EstateOptions {
            clusters: CLUSTERS.iter().map(|(n, _)| n.to_string()).collect(),
            base_port: options.base_port,
            kubeconfig_path: options.kubeconfig_path.clone(),
            request_log: options.request_log.clone(),
            cluster: options.cluster.clone(),
        })
        .await?;
        let clock = SimClock::new(options.speed);
        let mut workloads = Vec::new();
        for (name, vendor) in CLUSTERS {
            let state = cluster(&estate, name)?;
            seed_target(&state, &baseline(name, vendor, &options))
                .and_then(|_| crate::sim::argocd::prerequisites::seed_component_crds(&state))
                .map_err(|e| ScenarioError::Seed {
                    cluster: name.to_string(),
                    reason: e.to_string(),
                })?;
            let handle = Workloads::spawn(
                state,
                clock,
                WorkloadOptions {
                    default_nodes: 0,
                    ..WorkloadOptions::default()
                },
            )
            .map_err(|e| ScenarioError::Seed {
                cluster: name.to_string(),
                reason: e.to_string(),
            })?;
            workloads.push((name.to_string(), handle));
        }
        let mgmt = cluster(&estate, "mgmt")?;
        let install_options = InstallOptions {
            targets: ClusterRegistration::demo(&estate),
            health_persist: options.health_persist,
            root_app_from: (options.scenario != Scenario::Fresh).then(|| repo.path.clone()),
            ..InstallOptions::default()
        };
        install(&mgmt, &install_options)?;
        let targets = CLUSTERS[1..]
            .iter()
            .filter_map(|(name, _)| Some((estate.url(name)?, estate.cluster(name)?.clone())))
            .collect();
        let mut argocd_options = ArgoCdOptions::new(mgmt, targets, repo.path.clone());
        argocd_options.repo_url = Some(repo.repo_url.clone());
        argocd_options.git_home = options.git_home.clone();
        argocd_options.clock = clock;
        let argocd = ArgoCd::spawn(argocd_options);
        let mut running = Self {
            estate,
            repo,
            argocd,
            workloads,
            tweaks: Vec::new(),
            scenario: options.scenario,
            _tempdir: tempdir,
        };
        running.set_churn(options.churn);
        running.apply_scenario(clock);
        for spec in &options.faults {
            if let Some(state) = running.estate.cluster(&spec.cluster) {
                spec.fault.apply(&state.faults);
            }
        }
        Ok(running)
    }

    pub fn scenario(&self) -> Scenario {
        self.scenario
    }

    /// The clusters: kubeconfig, URLs, faults, request log.
    pub fn estate(&self) -> &Estate {
        &self.estate
    }

    pub fn repo(&self) -> &DemoRepo {
        &self.repo
    }

    pub fn argocd(&self) -> &ArgoCdHandle {
        &self.argocd
    }

    pub fn workloads(&self, cluster: &str) -> Option<&WorkloadsHandle> {
        self.workloads
            .iter()
            .find(|(n, _)| n == cluster)
            .map(|(_, h)| h)
    }

    /// Spreads `per_second` pod status changes over the target clusters.
    pub fn set_churn(&self, per_second: f64) {
        let targets: Vec<&WorkloadsHandle> = self
            .workloads
            .iter()
            .filter(|(n, _)| n != "mgmt")
            .map(|(_, h)| h)
            .collect();
        let share = per_second.max(0.0) / targets.len().max(1) as f64;
        for handle in targets {
            handle.set_churn(share);
        }
    }

    fn apply_scenario(&mut self, clock: SimClock) {
        let steps: Vec<Tweak> = match self.scenario {
            Scenario::Healthy | Scenario::Fresh => vec![],
            Scenario::Demo => vec![
                // One app Degraded in prd: its pods crash-loop after a bad rollout.
                Tweak::CrashLoop {
                    cluster: "prd",
                    namespace: "backend",
                    deployment: "backend",
                },
                // One app OutOfSync in stg: auto-sync off, then a hand edit on the cluster.
                Tweak::ManualDrift {
                    app: "gitea-k8tre-stg",
                    cluster: "stg",
                    namespace: "gitea",
                    deployment: "gitea",
                },
            ],
            Scenario::Incident => vec![
                Tweak::Unreachable { cluster: "stg" },
                Tweak::FailingSync {
                    app: "jupyterhub-k8tre-dev",
                    cluster: "dev",
                    namespace: "jupyterhub",
                    deployment: "jupyterhub",
                },
                Tweak::CrashLoop {
                    cluster: "dev",
                    namespace: "cert-manager",
                    deployment: "cert-manager",
                },
                Tweak::NodeNotReady { cluster: "prd" },
            ],
        };
        for step in steps {
            let Ok(target) = cluster(&self.estate, step.cluster()) else {
                continue;
            };
            let mgmt = self.estate.cluster("mgmt").cloned();
            self.tweaks.push(tokio::spawn(async move {
                if let Err(e) = step.run(&target, mgmt.as_deref(), clock).await {
                    tracing::warn!("scenario step {step:?} failed: {e}");
                }
            }));
        }
    }

    /// Stops ArgoCD, the workload controllers and the API servers.
    pub async fn stop(self) {
        for tweak in &self.tweaks {
            tweak.abort();
        }
        self.argocd.stop().await;
        for (_, handle) in self.workloads {
            handle.stop().await;
        }
        self.estate.stop().await;
    }

    /// The repository's path.
    pub fn repo_path(&self) -> &Path {
        &self.repo.path
    }
}

fn cluster(estate: &Estate, name: &str) -> Result<Arc<ClusterState>, ScenarioError> {
    estate
        .cluster(name)
        .cloned()
        .ok_or_else(|| ScenarioError::Seed {
            cluster: name.to_string(),
            reason: "not running".to_string(),
        })
}

/// One change a scenario makes to a running estate, once what it touches exists.
#[derive(Debug, Clone, Copy)]
enum Tweak {
    CrashLoop {
        cluster: &'static str,
        namespace: &'static str,
        deployment: &'static str,
    },
    ManualDrift {
        app: &'static str,
        cluster: &'static str,
        namespace: &'static str,
        deployment: &'static str,
    },
    FailingSync {
        app: &'static str,
        cluster: &'static str,
        namespace: &'static str,
        deployment: &'static str,
    },
    Unreachable {
        cluster: &'static str,
    },
    NodeNotReady {
        cluster: &'static str,
    },
}

/// How long a scenario step waits (simulated) for ArgoCD to create what it changes.
const STEP_PATIENCE: Duration = Duration::from_secs(300);

fn ctx() -> WriteContext {
    WriteContext::controller("k8tre-sim-scenario")
}

async fn wait_for(
    state: &ClusterState,
    group: &str,
    plural: &str,
    namespace: &str,
    name: &str,
    clock: SimClock,
) -> Option<Value> {
    let key = crate::sim::resources::ResourceKey::new(group, plural);
    let deadline = tokio::time::Instant::now() + clock.scaled(STEP_PATIENCE);
    while tokio::time::Instant::now() < deadline {
        if let Some(entry) = state.store.get(&key, namespace, name) {
            return entry.value().ok();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    None
}

fn patch(
    state: &ClusterState,
    group: &str,
    version: &str,
    plural: &str,
    namespace: &str,
    name: &str,
    body: Value,
) -> Result<(), String> {
    let rt = state
        .resource_type(group, version, plural)
        .ok_or_else(|| format!("{plural} not served"))?;
    state
        .patch(
            &rt,
            namespace,
            name,
            PatchType::Merge,
            &body,
            Part::Main,
            false,
            &ctx(),
        )
        .map(|_| ())
        .map_err(|e| e.to_string())
}

impl Tweak {
    fn cluster(&self) -> &'static str {
        match self {
            Tweak::CrashLoop { cluster, .. }
            | Tweak::ManualDrift { cluster, .. }
            | Tweak::FailingSync { cluster, .. }
            | Tweak::Unreachable { cluster }
            | Tweak::NodeNotReady { cluster } => cluster,
        }
    }

    async fn run(
        self,
        target: &ClusterState,
        mgmt: Option<&ClusterState>,
        clock: SimClock,
    ) -> Result<(), String> {
        match self {
            Tweak::CrashLoop {
                namespace,
                deployment,
                ..
            } => {
                deployed(target, namespace, deployment, clock).await?;
                let annotations = json!({workloads::CRASH_LOOP: "true", workloads::EXIT_CODE: "1"});
                // A short progress deadline turns the stuck rollout Degraded within a minute.
                let body = json!({"spec": {"progressDeadlineSeconds": 30, "template": {"metadata": {"annotations": annotations}}}});
                patch_deployment(target, namespace, deployment, body)
            }
            Tweak::ManualDrift {
                app,
                namespace,
                deployment,
                ..
            } => {
                let mgmt = mgmt.ok_or("no management cluster")?;
                deployed(target, namespace, deployment, clock).await?;
                patch_application(
                    mgmt,
                    app,
                    json!({"spec": {"syncPolicy": {"automated": null}}}),
                )?;
                patch_deployment(
                    target,
                    namespace,
                    deployment,
                    json!({"spec": {"replicas": 3}}),
                )?;
                refresh(mgmt, app)
            }
            Tweak::FailingSync {
                app,
                namespace,
                deployment,
                ..
            } => {
                let mgmt = mgmt.ok_or("no management cluster")?;
                deployed(target, namespace, deployment, clock).await?;
                let reason = "admission webhook \"validate.kyverno.svc\" denied the request: images must come from an approved registry";
                patch_application(
                    mgmt,
                    app,
                    json!({"metadata": {"annotations": {crate::sim::argocd::FAIL_SYNC_ANNOTATION: reason}}}),
                )?;
                // Drift that selfHeal must repair: the repair sync then fails, and keeps failing.
                let rt = target
                    .resource_type("apps", "v1", "deployments")
                    .ok_or("deployments not served")?;
                target
                    .delete(&rt, namespace, deployment, &Default::default(), &ctx())
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
            Tweak::Unreachable { .. } => {
                // Let ArgoCD sync stg first, so the estate is a real one that went away.
                clock.sleep(Duration::from_secs(20)).await;
                target.faults.set_refuse(true);
                Ok(())
            }
            Tweak::NodeNotReady { .. } => {
                let nodes = target
                    .store
                    .keys(&crate::sim::resources::ResourceKey::new("", "nodes"));
                let (key, _) = nodes.last().ok_or("no nodes")?;
                patch(
                    target,
                    "",
                    "v1",
                    "nodes",
                    "",
                    &key.1,
                    json!({"metadata": {"annotations": {workloads::NODE_NOT_READY: "true"}}}),
                )
            }
        }
    }
}

fn patch_application(mgmt: &ClusterState, app: &str, body: Value) -> Result<(), String> {
    patch(
        mgmt,
        "argoproj.io",
        "v1alpha1",
        "applications",
        "argocd",
        app,
        body,
    )
}

fn patch_deployment(
    target: &ClusterState,
    namespace: &str,
    name: &str,
    body: Value,
) -> Result<(), String> {
    patch(target, "apps", "v1", "deployments", namespace, name, body)
}

/// Waits until ArgoCD has deployed `namespace/name` on the target.
async fn deployed(
    target: &ClusterState,
    namespace: &str,
    name: &str,
    clock: SimClock,
) -> Result<(), String> {
    wait_for(target, "apps", "deployments", namespace, name, clock)
        .await
        .map(|_| ())
        .ok_or_else(|| format!("deployment {namespace}/{name} never appeared"))
}

fn refresh(mgmt: &ClusterState, app: &str) -> Result<(), String> {
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
    patch_application(
        mgmt,
        app,
        json!({"metadata": {"annotations": {"argocd.argoproj.io/refresh": "normal", "argocd.argoproj.io/refresh-timestamp": now}}}),
    )
}

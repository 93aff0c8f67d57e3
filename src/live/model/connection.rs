//! What one connection (kubeconfig context) has seen: its objects, each watch's truth, its
//! server version and write permissions, and the cluster facts and connection state that
//! follow from them.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::store::Store;
use crate::domain::estate::{
    ArgoCdFacts, CiliumFacts, ClusterFacts, ConnectionState, Readiness, StorageClassFact, Vendor,
    Workload,
};
use crate::live::event::{AccessCheck, LiveObject, ObjKey, WatchFailure, WatchKind};
use crate::live::objects::{
    ARGOCD_CM, AppSetRecord, CILIUM_CONFIG, CMP_PLUGIN_CM, CMP_PLUGIN_KEY, ClusterSecretRecord,
    ConfigMapRecord, SlimEvent, SlimNode, SlimPod, SlimWorkload, WorkloadKind,
};

/// Consecutive failures after which a reconnecting watch is called unreachable.
pub const UNREACHABLE_AFTER: u32 = 3;
/// Failures in a row after which a watch that never listed counts as settled (for one-shot
/// commands that wait for the first list).
pub const SETTLED_AFTER: u32 = 2;

/// Where a watch stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchPhase {
    /// Listing (first time, or again after 410 Gone / a reconnect).
    Listing,
    Live,
    /// Requests fail; the watcher retries with backoff.
    Failing {
        failure: WatchFailure,
        since: DateTime<Utc>,
    },
    /// RBAC refused; retried, but shown as forbidden until it succeeds.
    Forbidden {
        verb: &'static str,
        message: String,
    },
}

/// The truth about one watch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchStatus {
    pub phase: WatchPhase,
    /// A list has completed at least once: its data can be shown.
    pub listed: bool,
    /// The last event, list or bookmark.
    pub last_activity: Option<DateTime<Utc>>,
    pub failures_in_a_row: u32,
    /// Lists after the first (410 Gone, reconnects).
    pub relists: u32,
}

impl Default for WatchStatus {
    fn default() -> Self {
        WatchStatus {
            phase: WatchPhase::Listing,
            listed: false,
            last_activity: None,
            failures_in_a_row: 0,
            relists: 0,
        }
    }
}

impl WatchStatus {
    fn saw_activity(&mut self, at: DateTime<Utc>) {
        self.last_activity = Some(self.last_activity.map_or(at, |last| last.max(at)));
        if let WatchPhase::Failing { since, .. } = &self.phase
            && at >= *since
        {
            self.phase = WatchPhase::Live;
            self.failures_in_a_row = 0;
        }
    }

    fn list_started(&mut self) {
        if self.listed {
            self.relists += 1;
        }
        if !matches!(
            self.phase,
            WatchPhase::Failing { .. } | WatchPhase::Forbidden { .. }
        ) {
            self.phase = WatchPhase::Listing;
        }
    }

    fn list_done(&mut self, at: DateTime<Utc>) {
        self.phase = WatchPhase::Live;
        self.listed = true;
        self.failures_in_a_row = 0;
        self.last_activity = Some(self.last_activity.map_or(at, |last| last.max(at)));
    }

    fn failed(&mut self, failure: WatchFailure, at: DateTime<Utc>) {
        match failure {
            // Not a connection problem: the watcher lists again and the data stays.
            WatchFailure::Gone => {}
            WatchFailure::Forbidden { verb, message } => {
                self.failures_in_a_row += 1;
                self.phase = WatchPhase::Forbidden { verb, message };
            }
            failure => {
                self.failures_in_a_row += 1;
                let since = match &self.phase {
                    WatchPhase::Failing { since, .. } => *since,
                    _ => at,
                };
                self.phase = WatchPhase::Failing { failure, since };
            }
        }
    }

    /// Done waiting for: listed, refused, or failing repeatedly.
    pub fn is_settled(&self) -> bool {
        self.listed
            || matches!(self.phase, WatchPhase::Forbidden { .. })
            || self.failures_in_a_row >= SETTLED_AFTER
    }

    /// Failing, and either it never connected or it has failed too often to call it a
    /// reconnect.
    pub fn is_unreachable(&self) -> bool {
        matches!(self.phase, WatchPhase::Failing { .. })
            && (!self.listed || self.failures_in_a_row >= UNREACHABLE_AFTER)
    }

    /// Its data (if any) can be trusted as current.
    pub fn is_live(&self) -> bool {
        self.listed
            && !matches!(
                self.phase,
                WatchPhase::Failing { .. } | WatchPhase::Forbidden { .. }
            )
    }

    /// A one-word state for output.
    pub fn state(&self) -> &'static str {
        match &self.phase {
            WatchPhase::Listing if self.listed => "relisting",
            WatchPhase::Listing => "connecting",
            WatchPhase::Live => "live",
            WatchPhase::Failing { .. } if self.is_unreachable() => "unreachable",
            WatchPhase::Failing { .. } => "reconnecting",
            WatchPhase::Forbidden { .. } => "forbidden",
        }
    }
}

/// Everything seen through one context.
#[derive(Debug, Default)]
pub struct ConnectionData {
    pub watches: BTreeMap<WatchKind, WatchStatus>,
    pub git_version: Option<String>,
    /// Answers of the write checks: `None` when the review could not be made.
    pub access: BTreeMap<AccessCheck, Option<bool>>,
    /// The client could not even be built.
    pub setup_error: Option<(String, DateTime<Utc>)>,
    pub nodes: Store<ObjKey, SlimNode>,
    pub workloads: BTreeMap<WorkloadKind, Store<ObjKey, SlimWorkload>>,
    pub pods: Store<ObjKey, SlimPod>,
    pub events: Store<ObjKey, SlimEvent>,
    /// `kube-system/cilium-config`.
    pub cilium_config: Store<ObjKey, ConfigMapRecord>,
    /// ArgoCD's `argocd-cm` and `cmp-plugin`.
    pub argocd_config: Store<ObjKey, ConfigMapRecord>,
    pub crds: Store<ObjKey, ()>,
    pub storage_classes: Store<ObjKey, StorageClassFact>,
    // Management only.
    pub appsets: Store<ObjKey, AppSetRecord>,
    pub projects: Store<ObjKey, ()>,
    pub cluster_secrets: Store<ObjKey, ClusterSecretRecord>,
}

/// What an applied change touched, for the model's dirty flags.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Touched {
    pub facts: bool,
    pub secrets: bool,
    pub appsets: bool,
}

impl ConnectionData {
    pub fn watch(&mut self, watch: WatchKind) -> &mut WatchStatus {
        self.watches.entry(watch).or_default()
    }

    /// Registers the watches the supervisor runs, so their absence of data shows.
    pub fn expect_watch(&mut self, watch: WatchKind) {
        self.watch(watch);
    }

    pub fn list_started(&mut self, watch: WatchKind) {
        self.watch(watch).list_started();
        self.for_store(watch, StoreOp::Begin);
    }

    pub fn list_done(&mut self, watch: WatchKind, at: DateTime<Utc>) -> Touched {
        self.watch(watch).list_done(at);
        self.for_store(watch, StoreOp::End);
        touched_by(watch)
    }

    pub fn failed(&mut self, watch: WatchKind, failure: WatchFailure, at: DateTime<Utc>) {
        self.watch(watch).failed(failure, at);
    }

    pub fn alive(&mut self, watch: WatchKind, at: DateTime<Utc>) {
        self.watch(watch).saw_activity(at);
    }

    pub fn apply(
        &mut self,
        watch: WatchKind,
        at: DateTime<Utc>,
        object: LiveObject,
        event_limit: usize,
    ) -> Touched {
        self.watch(watch).saw_activity(at);
        match object {
            LiveObject::Node(key, node) => {
                self.nodes.upsert(key, node);
            }
            LiveObject::Workload(key, workload) => {
                let store = self.workloads.entry(workload.kind).or_default();
                // Only kube-system and argocd workloads feed facts; others do not dirty them.
                let relevant = is_fact_namespace(&key);
                store.upsert(key, workload);
                return Touched {
                    facts: relevant,
                    ..Touched::default()
                };
            }
            LiveObject::Pod(key, pod) => {
                self.pods.upsert(key, pod);
                return Touched::default();
            }
            LiveObject::Event(key, event) => {
                self.events.upsert(key, event);
                self.events.bound_by(event_limit, |e| e.last_seen);
                return Touched::default();
            }
            LiveObject::ConfigMap(key, record) => {
                let store = if watch == WatchKind::CiliumConfig {
                    &mut self.cilium_config
                } else {
                    &mut self.argocd_config
                };
                store.upsert(key, record);
            }
            LiveObject::Crd(key) => {
                self.crds.upsert(key, ());
            }
            LiveObject::StorageClass(key, fact) => {
                self.storage_classes.upsert(key, fact);
            }
            LiveObject::ApplicationSet(key, record) => {
                self.appsets.upsert(key, record);
                return Touched {
                    appsets: true,
                    ..Touched::default()
                };
            }
            LiveObject::AppProject(key) => {
                self.projects.upsert(key, ());
                return Touched::default();
            }
            LiveObject::ClusterSecret(key, record) => {
                self.cluster_secrets.upsert(key, record);
                return Touched {
                    secrets: true,
                    ..Touched::default()
                };
            }
            // Applications live in the model's app table, not per connection.
            LiveObject::Application(_) => return Touched::default(),
        }
        Touched {
            facts: true,
            ..Touched::default()
        }
    }

    pub fn delete(&mut self, watch: WatchKind, at: DateTime<Utc>, key: &ObjKey) -> Touched {
        self.watch(watch).saw_activity(at);
        match watch {
            WatchKind::Nodes => drop(self.nodes.remove(key)),
            WatchKind::Deployments | WatchKind::StatefulSets | WatchKind::DaemonSets => {
                if let Some(store) = workload_kind(watch).and_then(|k| self.workloads.get_mut(&k)) {
                    store.remove(key);
                }
                return Touched {
                    facts: is_fact_namespace(key),
                    ..Touched::default()
                };
            }
            WatchKind::Pods => {
                self.pods.remove(key);
                return Touched::default();
            }
            WatchKind::WarningEvents => {
                self.events.remove(key);
                return Touched::default();
            }
            WatchKind::ArgoCdConfigMaps => drop(self.argocd_config.remove(key)),
            WatchKind::CiliumConfig => drop(self.cilium_config.remove(key)),
            WatchKind::GatewayCrds => drop(self.crds.remove(key)),
            WatchKind::StorageClasses => drop(self.storage_classes.remove(key)),
            WatchKind::ApplicationSets | WatchKind::AppProjects | WatchKind::ClusterSecrets => {
                match watch {
                    WatchKind::ApplicationSets => drop(self.appsets.remove(key)),
                    WatchKind::AppProjects => drop(self.projects.remove(key)),
                    _ => drop(self.cluster_secrets.remove(key)),
                }
                return touched_by(watch);
            }
            WatchKind::Applications => return Touched::default(),
        }
        touched_by(watch)
    }

    fn for_store(&mut self, watch: WatchKind, op: StoreOp) {
        fn run<K: Eq + std::hash::Hash + Clone, T>(store: &mut Store<K, T>, op: StoreOp) {
            match op {
                StoreOp::Begin => store.begin_list(),
                StoreOp::End => {
                    store.end_list();
                }
            }
        }
        match watch {
            WatchKind::Nodes => run(&mut self.nodes, op),
            WatchKind::Deployments | WatchKind::StatefulSets | WatchKind::DaemonSets => {
                if let Some(kind) = workload_kind(watch) {
                    run(self.workloads.entry(kind).or_default(), op);
                }
            }
            WatchKind::Pods => run(&mut self.pods, op),
            WatchKind::WarningEvents => run(&mut self.events, op),
            WatchKind::ArgoCdConfigMaps => run(&mut self.argocd_config, op),
            WatchKind::CiliumConfig => run(&mut self.cilium_config, op),
            WatchKind::GatewayCrds => run(&mut self.crds, op),
            WatchKind::StorageClasses => run(&mut self.storage_classes, op),
            WatchKind::ApplicationSets => run(&mut self.appsets, op),
            WatchKind::AppProjects => run(&mut self.projects, op),
            WatchKind::ClusterSecrets => run(&mut self.cluster_secrets, op),
            WatchKind::Applications => {}
        }
    }

    /// The cluster's facts as far as its watches have listed; unknown stays `None`.
    pub fn facts(&self, argocd_namespace: &str, management: bool) -> ClusterFacts {
        let listed = |w: WatchKind| self.watches.get(&w).is_some_and(|s| s.listed);
        let workloads_listed = |kind: WorkloadKind| match kind {
            WorkloadKind::Deployment => listed(WatchKind::Deployments),
            WorkloadKind::StatefulSet => listed(WatchKind::StatefulSets),
            WorkloadKind::DaemonSet => listed(WatchKind::DaemonSets),
        };
        let workload = |kind: WorkloadKind, namespace: &str, name: &str| -> Option<Workload> {
            if !workloads_listed(kind) {
                return None;
            }
            let found = self
                .workloads
                .get(&kind)
                .and_then(|store| store.get(&ObjKey::new(namespace.into(), name.into())));
            Some(found.map_or(Workload::Absent, |w| {
                Workload::Present(Readiness {
                    ready: w.ready,
                    desired: w.desired,
                })
            }))
        };
        let provider = self.nodes.values().find_map(|n| n.provider.as_deref());
        let mut facts = ClusterFacts {
            kubernetes_version: self.git_version.clone(),
            vendor: Vendor::detect(self.git_version.as_deref(), provider),
            ..ClusterFacts::default()
        };
        if listed(WatchKind::Nodes) {
            facts.nodes_total = Some(count(self.nodes.len()));
            facts.nodes_ready = Some(count(self.nodes.values().filter(|n| n.ready).count()));
        }
        if listed(WatchKind::CiliumConfig) {
            let config = find(&self.cilium_config, "kube-system", CILIUM_CONFIG);
            facts.cilium = match config {
                Some(record) => {
                    let mut cilium = CiliumFacts::from_config(&record.data);
                    cilium.daemonset = workload(WorkloadKind::DaemonSet, "kube-system", "cilium");
                    cilium.operator =
                        workload(WorkloadKind::Deployment, "kube-system", "cilium-operator");
                    cilium
                }
                None => CiliumFacts::absent(),
            };
        }
        if listed(WatchKind::DaemonSets) {
            facts.kube_proxy_daemonset_present = Some(matches!(
                workload(WorkloadKind::DaemonSet, "kube-system", "kube-proxy"),
                Some(Workload::Present(_))
            ));
        }
        if listed(WatchKind::GatewayCrds) {
            let mut names: Vec<String> =
                self.crds.iter().map(|(k, _)| k.name.to_string()).collect();
            names.sort();
            facts.gateway_api_crds = Some(names);
        }
        if listed(WatchKind::StorageClasses) {
            let mut classes: Vec<StorageClassFact> =
                self.storage_classes.values().cloned().collect();
            classes.sort_by(|a, b| a.name.cmp(&b.name));
            facts.storage_classes = Some(classes);
        }
        if management {
            facts.argocd = self.argocd_facts(argocd_namespace);
        }
        facts
    }

    fn argocd_facts(&self, namespace: &str) -> Option<ArgoCdFacts> {
        let listed = |w: WatchKind| self.watches.get(&w).is_some_and(|s| s.listed);
        if !(listed(WatchKind::Deployments)
            && listed(WatchKind::StatefulSets)
            && listed(WatchKind::ArgoCdConfigMaps))
        {
            return None;
        }
        let mut workloads = BTreeMap::new();
        let mut repo_server_containers = Vec::new();
        for kind in [WorkloadKind::Deployment, WorkloadKind::StatefulSet] {
            for (key, w) in self.workloads.get(&kind).into_iter().flat_map(|s| s.iter()) {
                if &*key.namespace != namespace {
                    continue;
                }
                workloads.insert(
                    key.name.to_string(),
                    Readiness {
                        ready: w.ready,
                        desired: w.desired,
                    },
                );
                if kind == WorkloadKind::Deployment && &*key.name == "argocd-repo-server" {
                    repo_server_containers = w.containers.iter().map(|c| c.to_string()).collect();
                }
            }
        }
        Some(ArgoCdFacts {
            namespace: namespace.to_string(),
            workloads,
            argocd_cm: find(&self.argocd_config, namespace, ARGOCD_CM).map(|r| r.data.clone()),
            cmp_plugin_yaml: find(&self.argocd_config, namespace, CMP_PLUGIN_CM)
                .map(|r| r.data.get(CMP_PLUGIN_KEY).cloned().unwrap_or_default()),
            repo_server_containers,
        })
    }

    /// The connection's state from its watches (see the module docs of `live`).
    pub fn connection_state(&self) -> ConnectionState {
        if let Some((error, since)) = &self.setup_error {
            return ConnectionState::Unreachable {
                error: error.clone(),
                since: *since,
            };
        }
        let forbidden = |(kind, status): (&WatchKind, &WatchStatus)| match &status.phase {
            WatchPhase::Forbidden { verb, .. } => Some(ConnectionState::Forbidden {
                verb: verb.to_string(),
                resource: kind.resource().to_string(),
            }),
            _ => None,
        };
        if let Some(state) = self
            .watches
            .iter()
            .filter(|(k, _)| k.is_essential())
            .find_map(forbidden)
        {
            return state;
        }
        let open: Vec<(&WatchKind, &WatchStatus)> = self
            .watches
            .iter()
            .filter(|(_, s)| !matches!(s.phase, WatchPhase::Forbidden { .. }))
            .collect();
        if open.is_empty() {
            return self
                .watches
                .iter()
                .find_map(forbidden)
                .unwrap_or(ConnectionState::Connecting);
        }
        let failing = open.iter().filter_map(|(_, s)| match &s.phase {
            WatchPhase::Failing { failure, since } => Some((s.is_unreachable(), failure, *since)),
            _ => None,
        });
        if let Some((unreachable, failure, since)) = failing.max_by_key(|(u, _, _)| *u) {
            let error = failure.to_string();
            return if unreachable {
                ConnectionState::Unreachable { error, since }
            } else {
                ConnectionState::Reconnecting { error, since }
            };
        }
        if open.iter().any(|(_, s)| !s.listed) {
            return ConnectionState::Connecting;
        }
        ConnectionState::Live
    }

    /// The oldest last-activity over the watches that are not refused: the connection is as
    /// fresh as its stalest watch.
    pub fn last_activity(&self) -> Option<DateTime<Utc>> {
        self.watches
            .values()
            .filter(|s| !matches!(s.phase, WatchPhase::Forbidden { .. }))
            .filter_map(|s| s.last_activity)
            .min()
    }

    pub fn is_settled(&self) -> bool {
        self.setup_error.is_some()
            || (!self.watches.is_empty() && self.watches.values().all(WatchStatus::is_settled))
    }

    /// Watches RBAC refused, as (verb, resource).
    pub fn forbidden(&self) -> Vec<(&'static str, &'static str)> {
        self.watches
            .iter()
            .filter_map(|(kind, s)| match &s.phase {
                WatchPhase::Forbidden { verb, .. } => Some((*verb, kind.resource())),
                _ => None,
            })
            .collect()
    }
}

#[derive(Debug, Clone, Copy)]
enum StoreOp {
    Begin,
    End,
}

fn touched_by(watch: WatchKind) -> Touched {
    match watch {
        WatchKind::ClusterSecrets => Touched {
            secrets: true,
            ..Touched::default()
        },
        WatchKind::ApplicationSets => Touched {
            appsets: true,
            ..Touched::default()
        },
        WatchKind::Pods
        | WatchKind::WarningEvents
        | WatchKind::AppProjects
        | WatchKind::Applications => Touched::default(),
        _ => Touched {
            facts: true,
            ..Touched::default()
        },
    }
}

fn workload_kind(watch: WatchKind) -> Option<WorkloadKind> {
    match watch {
        WatchKind::Deployments => Some(WorkloadKind::Deployment),
        WatchKind::StatefulSets => Some(WorkloadKind::StatefulSet),
        WatchKind::DaemonSets => Some(WorkloadKind::DaemonSet),
        _ => None,
    }
}

/// Workloads that feed cluster facts live in kube-system (Cilium, kube-proxy) or ArgoCD's
/// namespace; a conservative check keeps every other workload change from dirtying facts.
fn is_fact_namespace(key: &ObjKey) -> bool {
    &*key.namespace == "kube-system" || key.name.starts_with("argocd-")
}

fn find<'a, T>(store: &'a Store<ObjKey, T>, namespace: &str, name: &str) -> Option<&'a T> {
    store.get(&ObjKey::new(namespace.into(), name.into()))
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

//! The live estate model: every watch event applied incrementally, slim objects with shared
//! strings, and derived views (clusters, roll-up matrix, expected Applications) recomputed
//! only when what they depend on changed.
//!
//! Use: [`EstateModel::apply`] each [`LiveEvent`]; call [`EstateModel::refresh`] before reading
//! (once per frame is plenty: it does nothing when nothing changed); then read through the
//! `&self` queries. [`EstateModel::take_connections_change`] says when the supervisor must start
//! or stop connections because ArgoCD's cluster Secrets changed.

mod apps;
mod connection;
mod store;

pub use apps::{AppDetail, AppTable, Upsert};
pub use connection::{
    ConnectionData, SETTLED_AFTER, Touched, UNREACHABLE_AFTER, WatchPhase, WatchStatus,
};
pub use store::Store;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::mem::size_of;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use super::discovery::{ContextMappings, Contexts, MatchRule, match_context};
use super::event::{ContextName, LiveEvent, LiveObject, ObjKey, WatchKind};
use super::objects::{AppRecord, SlimEvent, SlimPod};
use super::strings::SharedStrings;
use super::supervisor::watches_for;
use crate::domain::appset::{ActualApplication, ClusterInfo, EvaluationReport, ExpectedDiff};
use crate::domain::argocd::{Application, SyncStatus};
use crate::domain::catalog::{Catalog, CatalogSource};
use crate::domain::env::Environment;
use crate::domain::estate::{
    AppSummary, Cluster, ClusterRole, ConnectionState, DataState, Matrix, path_component,
    path_environment, rollup,
};
use crate::domain::layer::Layer;
use crate::domain::preflight::{self, PreflightReport};
use crate::gitops::scan::RepoScan;

/// What the model needs to know from configuration.
#[derive(Debug, Clone)]
pub struct ModelSettings {
    /// The management cluster's context.
    pub management: ContextName,
    pub argocd_namespace: Arc<str>,
    /// A watch quiet (no event, no bookmark) for longer is stale.
    pub stale_after: Duration,
    /// Warning events kept per cluster.
    pub event_limit: usize,
    pub mappings: ContextMappings,
}

impl ModelSettings {
    pub fn new(management: &str) -> ModelSettings {
        ModelSettings {
            management: Arc::from(management),
            argocd_namespace: Arc::from("argocd"),
            stale_after: Duration::seconds(90),
            event_limit: 1000,
            mappings: ContextMappings::default(),
        }
    }
}

/// How a cluster was matched to its context (for output).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterLink {
    pub cluster: Arc<str>,
    pub context: Option<ContextName>,
    pub rule: Option<MatchRule>,
    pub note: Option<String>,
    /// The cluster Secret it came from (absent for a management cluster ArgoCD does not list).
    pub secret: Option<ObjKey>,
}

/// Where the catalog came from and what it says.
#[derive(Debug, Clone)]
pub struct CatalogView {
    pub catalog: Catalog,
    /// ApplicationSets on the cluster that could not be read (cluster source only).
    pub unreadable: Vec<(String, String)>,
}

/// Expected versus present Applications.
#[derive(Debug, Clone)]
pub enum ExpectedView {
    /// There is no checkout: the git generators' directories are unknown.
    Unavailable { reason: String },
    /// The cluster Secrets are not listed yet.
    Pending,
    Ready {
        report: Arc<EvaluationReport>,
        diff: ExpectedDiff,
    },
}

#[derive(Debug, Default, Clone, Copy)]
struct Dirty {
    /// Cluster Secrets changed: match contexts again.
    topology: bool,
    /// Facts or connection truth changed: rebuild clusters.
    clusters: bool,
    /// Application rows changed.
    apps: bool,
    /// Applications were added or removed.
    membership: bool,
    appsets: bool,
}

/// The estate as the console shows it.
pub struct EstateModel {
    settings: ModelSettings,
    contexts: Arc<Contexts>,
    strings: SharedStrings,
    connections: BTreeMap<ContextName, ConnectionData>,
    apps: AppTable,
    repo: Option<Arc<RepoScan>>,
    // Derived.
    links: Vec<ClusterLink>,
    desired: BTreeMap<ContextName, ClusterRole>,
    desired_reported: Option<BTreeMap<ContextName, ClusterRole>>,
    clusters: Vec<Cluster>,
    management_name: Arc<str>,
    catalog: Option<CatalogView>,
    expected: ExpectedView,
    preflight: Vec<PreflightReport>,
    matrix: Option<Matrix>,
    matrix_states: Vec<DataState>,
    /// The clusters the expected Applications were evaluated for.
    expected_inputs: Vec<ClusterInfo>,
    dirty: Dirty,
    events_applied: u64,
    /// Whole Applications kept for pinned keys (open detail views): pins and the object.
    pinned: HashMap<ObjKey, Pinned>,
    /// Counts changes readers may want to redraw for (see [`EstateModel::revision`]).
    revision: u64,
}

/// A pinned Application: how many pins, and the whole object once it has been seen.
#[derive(Debug, Default)]
struct Pinned {
    pins: u32,
    app: Option<Arc<Application>>,
}

impl EstateModel {
    pub fn new(
        settings: ModelSettings,
        contexts: Arc<Contexts>,
        strings: SharedStrings,
    ) -> EstateModel {
        let management_name = settings.management.clone();
        let mut model = EstateModel {
            settings,
            contexts,
            strings,
            connections: BTreeMap::new(),
            apps: AppTable::default(),
            repo: None,
            links: Vec::new(),
            desired: BTreeMap::new(),
            desired_reported: None,
            clusters: Vec::new(),
            management_name,
            catalog: None,
            expected: ExpectedView::Unavailable {
                reason: "no GitOps checkout given (--repo or config `repo`): the git generators' directories are unknown".into(),
            },
            preflight: Vec::new(),
            matrix: None,
            matrix_states: Vec::new(),
            expected_inputs: Vec::new(),
            dirty: Dirty {
                topology: true,
                clusters: true,
                apps: true,
                membership: true,
                appsets: true,
            },
            events_applied: 0,
            pinned: HashMap::new(),
            revision: 0,
        };
        model.match_topology();
        model
    }

    /// Uses a checkout for the catalog and the expected Applications.
    pub fn set_repo(&mut self, repo: Arc<RepoScan>) {
        self.repo = Some(repo);
        self.expected = ExpectedView::Pending;
        self.dirty.appsets = true;
        self.dirty.topology = true;
    }

    pub fn settings(&self) -> &ModelSettings {
        &self.settings
    }

    pub fn strings(&self) -> &SharedStrings {
        &self.strings
    }

    // ------------------------------------------------------------------ applying events

    /// Applies one event. Cheap: no relist, no rebuild; derived views are marked dirty.
    pub fn apply(&mut self, event: LiveEvent) {
        self.events_applied += 1;
        // Liveness alone changes nothing shown until `refresh` finds a staleness change.
        if !matches!(event, LiveEvent::Alive { .. }) {
            self.revision += 1;
        }
        let Some(connection) = self.connections.get_mut(event.context()) else {
            // A connection that was stopped: its late events are dropped.
            return;
        };
        match event {
            LiveEvent::ListStarted { watch, .. } => {
                connection.list_started(watch);
                if watch == WatchKind::Applications {
                    self.apps.begin_list();
                }
                self.dirty.clusters = true;
            }
            LiveEvent::ListDone { watch, at, .. } => {
                let touched = connection.list_done(watch, at);
                if watch == WatchKind::Applications && self.apps.end_list() > 0 {
                    self.dirty.apps = true;
                    self.dirty.membership = true;
                }
                self.touch(touched);
                self.dirty.clusters = true;
            }
            LiveEvent::Applied {
                watch, at, object, ..
            } => match object {
                LiveObject::Application(record) => {
                    connection.alive(watch, at);
                    self.apply_application(*record, at);
                }
                object => {
                    let limit = self.settings.event_limit;
                    let touched = connection.apply(watch, at, object, limit);
                    self.touch(touched);
                }
            },
            LiveEvent::Deleted { watch, at, key, .. } => {
                if watch == WatchKind::Applications {
                    connection.alive(watch, at);
                    if let Some(pinned) = self.pinned.get_mut(&key) {
                        pinned.app = None;
                    }
                    if self.apps.remove(&key).is_some() {
                        self.dirty.apps = true;
                        self.dirty.membership = true;
                    }
                } else {
                    let touched = connection.delete(watch, at, &key);
                    self.touch(touched);
                }
            }
            LiveEvent::Alive { watch, at, .. } => {
                connection.alive(watch, at);
                self.dirty.clusters = true;
            }
            LiveEvent::Failed {
                watch, at, failure, ..
            } => {
                connection.failed(watch, failure, at);
                self.dirty.clusters = true;
            }
            LiveEvent::ConnectionFailed { at, error, .. } => {
                connection.setup_error = Some((error, at));
                self.dirty.clusters = true;
            }
            LiveEvent::ServerVersion { git_version, .. } => {
                connection.git_version = Some(git_version);
                self.dirty.clusters = true;
            }
            LiveEvent::Access { check, allowed, .. } => {
                connection.access.insert(check, allowed);
            }
        }
    }

    fn touch(&mut self, touched: Touched) {
        self.dirty.clusters |= touched.facts || touched.secrets;
        self.dirty.topology |= touched.secrets;
        self.dirty.appsets |= touched.appsets;
    }

    fn apply_application(&mut self, mut record: AppRecord, at: DateTime<Utc>) {
        let full = record.full.take();
        if let Some(pinned) = self.pinned.get_mut(&record.key) {
            pinned.app = full;
        }
        self.place(&mut record.summary);
        record.facts.out_of_sync_since = self.out_of_sync_since(&record, at);
        match self.apps.upsert(record) {
            Upsert::Added => {
                self.dirty.apps = true;
                self.dirty.membership = true;
            }
            Upsert::Changed => self.dirty.apps = true,
            Upsert::Unchanged => {}
        }
    }

    /// Since when `record` has been OutOfSync, as far as the console saw: kept while it stays
    /// OutOfSync, `at` when it turns OutOfSync before the console's eyes, unknown when it was
    /// OutOfSync when first seen.
    fn out_of_sync_since(&self, record: &AppRecord, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if record.summary.sync != SyncStatus::OutOfSync {
            return None;
        }
        let (before, detail) = self.apps.get(&record.key)?;
        if before.sync == SyncStatus::OutOfSync {
            detail.facts.out_of_sync_since
        } else {
            Some(at)
        }
    }

    /// Sets what follows from the estate around an Application: the cluster it was read
    /// from, its destination cluster and environment, its layer and component.
    fn place(&self, summary: &mut AppSummary) {
        summary.source = self.management_name.clone();
        let path = summary.path.clone();
        summary.environment = path.as_deref().and_then(path_environment);
        summary.layer = path.as_deref().and_then(Layer::from_repo_path);
        summary.component = path
            .as_deref()
            .and_then(path_component)
            .map(|c| self.strings.intern(c));
        summary.place(&self.clusters);
        let catalog = self.catalog.as_ref().map(|c| &c.catalog);
        if let Some(component) =
            catalog.and_then(|c| c.component_for_application(&summary.name, path.as_deref()))
        {
            summary.component = Some(self.strings.intern(&component.name));
            summary.layer = component.layer.or(summary.layer);
        }
    }

    // ------------------------------------------------------------------ topology

    /// When ArgoCD's clusters changed which contexts are needed: context → roles, for the
    /// supervisor. Registers the connections' expected watches in the model.
    pub fn take_connections_change(&mut self) -> Option<BTreeMap<ContextName, ClusterRole>> {
        if self.dirty.topology {
            self.match_topology();
        }
        if self.desired_reported.as_ref() == Some(&self.desired) {
            return None;
        }
        self.desired_reported = Some(self.desired.clone());
        Some(self.desired.clone())
    }

    /// Matches the cluster Secrets to contexts and decides each context's roles.
    fn match_topology(&mut self) {
        self.dirty.topology = false;
        let management = self.settings.management.clone();
        let mut desired: BTreeMap<ContextName, ClusterRole> = BTreeMap::new();
        desired.insert(
            management.clone(),
            ClusterRole {
                management: true,
                target: false,
            },
        );
        let mut links = Vec::new();
        let secrets: Vec<(ObjKey, super::objects::ClusterSecretRecord)> = self
            .connections
            .get(&management)
            .map(|c| {
                c.cluster_secrets
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default();
        for (key, secret) in sorted_secrets(secrets) {
            let environment = secret
                .labels
                .get("environment")
                .map(|e| Environment::parse(e).environment);
            let found = match_context(
                &secret.cluster_name,
                &secret.server,
                environment.as_ref(),
                &management,
                &self.contexts,
                &self.settings.mappings,
            );
            if let Some(context) = &found.context {
                let role = desired.entry(Arc::from(context.as_str())).or_default();
                role.target = true;
            }
            links.push(ClusterLink {
                cluster: secret.cluster_name.clone(),
                context: found.context.as_deref().map(Arc::from),
                rule: found.rule,
                note: found.note,
                secret: Some(key),
            });
        }
        for (context, role) in &desired {
            let connection = self.connections.entry(context.clone()).or_default();
            for watch in watches_for(*role) {
                connection.expect_watch(watch);
            }
        }
        self.connections
            .retain(|context, _| desired.contains_key(context));
        self.desired = desired;
        self.links = links;
        self.dirty.clusters = true;
    }

    // ------------------------------------------------------------------ derived views

    /// Recomputes what is dirty (and the roll-up when a cluster's freshness crossed the
    /// staleness threshold). Does nothing when nothing changed. True when something was
    /// recomputed (the revision then moves on).
    pub fn refresh(&mut self, now: DateTime<Utc>) -> bool {
        let dirty = self.dirty;
        let was_dirty =
            dirty.topology || dirty.clusters || dirty.apps || dirty.membership || dirty.appsets;
        let mut rebuilt_matrix = false;
        if self.dirty.topology {
            self.match_topology();
        }
        let mut replace_apps = false;
        if self.dirty.clusters {
            replace_apps |= self.rebuild_clusters();
        }
        if self.dirty.appsets {
            replace_apps |= self.rebuild_catalog();
        }
        if replace_apps {
            self.place_all();
        }
        self.refresh_expected();
        let states: Vec<DataState> = self.clusters.iter().map(|c| c.data_state(now)).collect();
        if self.matrix.is_none()
            || self.dirty.apps
            || self.dirty.clusters
            || states != self.matrix_states
        {
            self.preflight = self.clusters.iter().map(preflight::run_cluster).collect();
            self.matrix = Some(rollup(
                self.apps.summaries(),
                &self.clusters,
                &self.preflight,
                now,
            ));
            self.matrix_states = states;
            rebuilt_matrix = true;
        }
        self.dirty.apps = false;
        self.dirty.clusters = false;
        self.dirty.membership = false;
        let changed = was_dirty || rebuilt_matrix;
        if changed {
            self.revision += 1;
        }
        changed
    }

    /// Moves on with every applied event (bookmarks and other liveness excepted), every
    /// [`EstateModel::refresh`] that recomputed something, and every change to a pinned
    /// Application. A reader that cached something derived from the model recomputes it when
    /// the revision it saw is no longer current.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// True when events were applied since the last [`EstateModel::refresh`] that the derived
    /// views (clusters, matrix, expected) have not taken in yet.
    pub fn needs_refresh(&self) -> bool {
        let d = self.dirty;
        d.topology || d.clusters || d.apps || d.membership || d.appsets
    }

    // ------------------------------------------------------------------ pinned Applications

    /// Keeps the whole Application `key` from now on (every pin needs an [`EstateModel::unpin`]).
    /// The object arrives with its next watch event, or from [`EstateModel::offer_fetched`].
    pub fn pin(&mut self, key: ObjKey) {
        self.pinned.entry(key).or_default().pins += 1;
    }

    pub fn unpin(&mut self, key: &ObjKey) {
        if let Some(pinned) = self.pinned.get_mut(key) {
            pinned.pins = pinned.pins.saturating_sub(1);
            if pinned.pins == 0 {
                self.pinned.remove(key);
            }
        }
    }

    /// A whole Application fetched for a pinned key. Taken only when the watch has not
    /// delivered a (newer) object since the pin; true when taken.
    pub fn offer_fetched(&mut self, app: Application) -> bool {
        let key = ObjKey::new(
            Arc::from(app.metadata.namespace.as_str()),
            Arc::from(app.metadata.name.as_str()),
        );
        match self.pinned.get_mut(&key) {
            Some(pinned) if pinned.app.is_none() => {
                pinned.app = Some(Arc::new(app));
                self.revision += 1;
                true
            }
            _ => false,
        }
    }

    /// The whole Application of a pinned key, once seen.
    pub fn full_app(&self, namespace: &str, name: &str) -> Option<&Arc<Application>> {
        let key = ObjKey::new(Arc::from(namespace), Arc::from(name));
        self.pinned.get(&key)?.app.as_ref()
    }

    /// Keys pinned now.
    pub fn pinned(&self) -> impl Iterator<Item = &ObjKey> {
        self.pinned.keys()
    }

    /// Rebuilds the clusters; true when Applications must be placed again (names, servers,
    /// labels or roles changed).
    fn rebuild_clusters(&mut self) -> bool {
        let management = self.settings.management.clone();
        let stale_after = self.settings.stale_after;
        let secrets = self
            .connections
            .get(&management)
            .map(|c| &c.cluster_secrets);
        let mut clusters = Vec::new();
        let mut management_name: Option<Arc<str>> = None;
        for link in &self.links {
            let Some(secret) = link
                .secret
                .as_ref()
                .and_then(|k| secrets.and_then(|s| s.get(k)))
            else {
                continue;
            };
            let context = link.context.clone();
            let is_management =
                context.as_deref() == Some(&*management) && management_name.is_none();
            let role = ClusterRole {
                management: is_management,
                target: true,
            };
            let mut cluster = Cluster::new(&secret.cluster_name, &secret.server, role, stale_after);
            cluster.name = secret.cluster_name.clone();
            cluster.labels = Some(secret.labels.clone());
            cluster.context = context.map(|c| c.to_string());
            if is_management {
                management_name = Some(cluster.name.clone());
            }
            self.fill_from_connection(&mut cluster);
            clusters.push(cluster);
        }
        if management_name.is_none() {
            let server = self
                .contexts
                .get(&management)
                .and_then(|e| e.server.clone())
                .unwrap_or_default();
            let mut cluster = Cluster::new(
                &management,
                &server,
                ClusterRole {
                    management: true,
                    target: false,
                },
                stale_after,
            );
            cluster.context = Some(management.to_string());
            self.fill_from_connection(&mut cluster);
            management_name = Some(cluster.name.clone());
            clusters.push(cluster);
        }
        clusters.sort_by_key(cluster_order);
        let management_name = management_name.unwrap_or(management);
        let identity = |c: &Cluster| (c.name.clone(), c.server.clone(), c.labels.clone(), c.role);
        let moved = self.management_name != management_name
            || self.clusters.len() != clusters.len()
            || self
                .clusters
                .iter()
                .zip(&clusters)
                .any(|(a, b)| identity(a) != identity(b));
        self.clusters = clusters;
        self.management_name = management_name;
        moved
    }

    fn fill_from_connection(&self, cluster: &mut Cluster) {
        let Some(context) = cluster.context.as_deref() else {
            cluster.connection = ConnectionState::NoContext;
            return;
        };
        let Some(connection) = self.connections.get(context) else {
            cluster.connection = ConnectionState::Connecting;
            return;
        };
        cluster.connection = connection.connection_state();
        cluster.freshness.last_event_at = connection.last_activity();
        cluster.facts = connection.facts(&self.settings.argocd_namespace, cluster.role.management);
    }

    fn place_all(&mut self) {
        let mut summaries: Vec<AppSummary> = self.apps.summaries().to_vec();
        for summary in &mut summaries {
            self.place(summary);
        }
        for (slot, placed) in self.apps.summaries_mut().iter_mut().zip(summaries) {
            *slot = placed;
        }
        self.dirty.apps = true;
    }

    /// True when the catalog changed.
    fn rebuild_catalog(&mut self) -> bool {
        self.dirty.appsets = false;
        let view = match &self.repo {
            Some(repo) => CatalogView {
                catalog: repo.catalog.clone(),
                unreadable: Vec::new(),
            },
            None => {
                let Some(connection) = self.connections.get(&self.settings.management) else {
                    return false;
                };
                let mut appsets = Vec::new();
                let mut unreadable = Vec::new();
                for (key, record) in connection.appsets.iter() {
                    match &record.parsed {
                        Ok(appset) => appsets.push((
                            format!("{}/{}", key.namespace, key.name),
                            (**appset).clone(),
                        )),
                        Err(reason) => unreadable.push((key.to_string(), reason.clone())),
                    }
                }
                appsets.sort_by(|a, b| a.0.cmp(&b.0));
                unreadable.sort();
                CatalogView {
                    catalog: Catalog::from_applicationsets(&appsets).with_source(
                        CatalogSource::Cluster {
                            context: self.settings.management.to_string(),
                        },
                    ),
                    unreadable,
                }
            }
        };
        let changed = self
            .catalog
            .as_ref()
            .is_none_or(|old| old.catalog != view.catalog || old.unreadable != view.unreadable);
        self.catalog = Some(view);
        changed
    }

    fn refresh_expected(&mut self) {
        let Some(repo) = self.repo.clone() else {
            return;
        };
        let secrets_listed = self
            .connections
            .get(&self.settings.management)
            .and_then(|c| c.watches.get(&WatchKind::ClusterSecrets))
            .is_some_and(|s| s.listed);
        if !secrets_listed {
            self.expected = ExpectedView::Pending;
            return;
        }
        let infos = self.cluster_infos();
        let report = match &self.expected {
            ExpectedView::Ready { report, .. } if self.expected_inputs == infos => {
                if !self.dirty.membership {
                    return;
                }
                report.clone()
            }
            _ => Arc::new(repo.expected(&infos)),
        };
        self.expected_inputs = infos;
        let actual: Vec<ActualApplication> = self
            .apps
            .summaries()
            .iter()
            .map(|s| ActualApplication {
                name: s.name.to_string(),
                namespace: s.namespace.to_string(),
                applicationset_owner: s.appset.as_deref().map(str::to_string),
            })
            .collect();
        let diff = report.compare(&actual);
        self.expected = ExpectedView::Ready { report, diff };
    }

    /// The clusters as ArgoCD's cluster generator sees them.
    pub fn cluster_infos(&self) -> Vec<ClusterInfo> {
        let Some(connection) = self.connections.get(&self.settings.management) else {
            return Vec::new();
        };
        let mut infos: Vec<ClusterInfo> = connection
            .cluster_secrets
            .values()
            .map(|s| ClusterInfo {
                name: s.cluster_name.to_string(),
                server: s.server.to_string(),
                labels: s.labels.clone(),
                annotations: s.annotations.clone(),
            })
            .collect();
        infos.sort_by(|a, b| a.name.cmp(&b.name));
        infos
    }

    // ------------------------------------------------------------------ queries

    /// Clusters, management first, then targets in promotion order.
    pub fn clusters(&self) -> &[Cluster] {
        &self.clusters
    }

    pub fn cluster(&self, name: &str) -> Option<&Cluster> {
        self.clusters.iter().find(|c| &*c.name == name)
    }

    /// How each target cluster was matched to a context.
    pub fn links(&self) -> &[ClusterLink] {
        &self.links
    }

    pub fn link(&self, cluster: &str) -> Option<&ClusterLink> {
        self.links.iter().find(|l| &*l.cluster == cluster)
    }

    pub fn management_context(&self) -> &ContextName {
        &self.settings.management
    }

    /// The estate name of the management cluster (`in-cluster` when ArgoCD lists itself).
    pub fn management_name(&self) -> &Arc<str> {
        &self.management_name
    }

    pub fn connection(&self, context: &str) -> Option<&ConnectionData> {
        self.connections.get(context)
    }

    pub fn connections(&self) -> impl Iterator<Item = (&ContextName, &ConnectionData)> {
        self.connections.iter()
    }

    /// The roll-up (after [`EstateModel::refresh`]).
    pub fn matrix(&self) -> Option<&Matrix> {
        self.matrix.as_ref()
    }

    pub fn preflight(&self) -> &[PreflightReport] {
        &self.preflight
    }

    /// Every Application, in no particular order (sort with `domain::estate::app_order`).
    pub fn apps(&self) -> &[AppSummary] {
        self.apps.summaries()
    }

    pub fn app_table(&self) -> &AppTable {
        &self.apps
    }

    pub fn app(&self, namespace: &str, name: &str) -> Option<(&AppSummary, &AppDetail)> {
        self.apps
            .get(&ObjKey::new(Arc::from(namespace), Arc::from(name)))
    }

    /// The pods of an Application's workloads on its destination cluster, by key; when the
    /// Application lists no workloads, the pods of its destination namespace.
    pub fn pods_of_app(&self, namespace: &str, name: &str) -> Vec<(&ObjKey, &SlimPod)> {
        let Some((summary, detail)) = self.app(namespace, name) else {
            return Vec::new();
        };
        let Some(connection) = self.destination_connection(summary) else {
            return Vec::new();
        };
        let mut pods: Vec<(&ObjKey, &SlimPod)> = connection
            .pods
            .iter()
            .filter(|(key, pod)| {
                if detail.workloads.is_empty() {
                    key.namespace == summary.destination_namespace
                } else {
                    detail
                        .workloads
                        .iter()
                        .any(|w| w.namespace == key.namespace && pod.owned_by(w))
                }
            })
            .collect();
        pods.sort_by(|a, b| a.0.cmp(b.0));
        pods
    }

    /// Warning events about an Application's workloads and pods, newest first.
    pub fn events_of_app(&self, namespace: &str, name: &str) -> Vec<&SlimEvent> {
        let Some((summary, detail)) = self.app(namespace, name) else {
            return Vec::new();
        };
        let Some(connection) = self.destination_connection(summary) else {
            return Vec::new();
        };
        let pods: BTreeSet<&str> = self
            .pods_of_app(namespace, name)
            .into_iter()
            .map(|(k, _)| &*k.name)
            .collect();
        let mut events: Vec<&SlimEvent> = connection
            .events
            .values()
            .filter(|e| {
                let about_workload = detail.workloads.iter().any(|w| {
                    *e.involved_kind == *w.kind.as_str()
                        && e.involved_name == w.name
                        && e.involved_namespace == w.namespace
                });
                let about_pod = &*e.involved_kind == "Pod" && pods.contains(&*e.involved_name);
                about_workload || about_pod
            })
            .collect();
        events.sort_by_key(|e| std::cmp::Reverse(e.last_seen));
        events
    }

    fn destination_connection(&self, summary: &AppSummary) -> Option<&ConnectionData> {
        let cluster = self.cluster(summary.cluster.as_deref()?)?;
        self.connections.get(cluster.context.as_deref()?)
    }

    pub fn catalog(&self) -> Option<&CatalogView> {
        self.catalog.as_ref()
    }

    pub fn repo(&self) -> Option<&RepoScan> {
        self.repo.as_deref()
    }

    pub fn expected(&self) -> &ExpectedView {
        &self.expected
    }

    /// Every connection that is needed has listed each watch once, been refused, or failed
    /// repeatedly; and the cluster Secrets' consequences have been acted on.
    pub fn is_settled(&self) -> bool {
        !self.dirty.topology
            && self.desired_reported.as_ref() == Some(&self.desired)
            && self.desired.keys().all(|c| {
                self.connections
                    .get(c)
                    .is_some_and(ConnectionData::is_settled)
            })
    }

    /// Things an operator should know about the estate's description itself.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        for link in &self.links {
            if let Some(note) = &link.note {
                out.push(format!("cluster {}: {note}", link.cluster));
            }
        }
        for cluster in self.clusters.iter().filter(|c| c.role.target) {
            match cluster.label("environment") {
                None => out.push(format!(
                    "cluster {}: no `environment` label; its Applications cannot be placed in an environment",
                    cluster.name
                )),
                Some(value) => {
                    if let Some(warning) = Environment::parse(value).warning {
                        out.push(format!("cluster {}: {warning}", cluster.name));
                    }
                }
            }
        }
        for (summary, detail) in self.apps.iter() {
            if let Some(error) = &detail.parse_error {
                out.push(format!(
                    "Application {}/{} cannot be read: {error}",
                    summary.namespace, summary.name
                ));
            }
        }
        if let Some(view) = &self.catalog {
            for (appset, reason) in &view.unreadable {
                out.push(format!("ApplicationSet {appset} cannot be read: {reason}"));
            }
        }
        out
    }

    pub fn stats(&self) -> ModelStats {
        let mut stats = ModelStats {
            applications: self.apps.len(),
            events_applied: self.events_applied,
            interned_strings: self.strings.len(),
            app_bytes: self.apps.owned_bytes(),
            ..ModelStats::default()
        };
        for connection in self.connections.values() {
            stats.pods += connection.pods.len();
            stats.warning_events += connection.events.len();
            stats.pod_bytes += connection
                .pods
                .iter()
                .map(|(k, _)| {
                    size_of::<ObjKey>()
                        + size_of::<SlimPod>()
                        + size_of::<u32>()
                        + 1
                        + k.name.len()
                        + 16
                })
                .sum::<usize>();
        }
        stats
    }
}

/// Counts and approximate sizes, for benchmarks and diagnostics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ModelStats {
    pub applications: usize,
    pub pods: usize,
    pub warning_events: usize,
    pub events_applied: u64,
    pub interned_strings: usize,
    /// Approximate bytes of the Application rows (shared strings excluded).
    pub app_bytes: usize,
    /// Approximate bytes of the pod rows (key, row, name, table slot).
    pub pod_bytes: usize,
}

fn sorted_secrets(
    mut secrets: Vec<(ObjKey, super::objects::ClusterSecretRecord)>,
) -> Vec<(ObjKey, super::objects::ClusterSecretRecord)> {
    secrets.sort_by(|a, b| (&a.1.cluster_name, &a.0).cmp(&(&b.1.cluster_name, &b.0)));
    secrets
}

/// Management first, then by environment in promotion order, then by name.
fn cluster_order(cluster: &Cluster) -> (u8, usize, Arc<str>) {
    let rank = cluster.environment().map_or(usize::MAX, |e| e.rank());
    (
        u8::from(!cluster.role.management),
        rank,
        cluster.name.clone(),
    )
}

#[cfg(test)]
mod tests;

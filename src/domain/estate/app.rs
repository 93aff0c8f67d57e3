//! The slim per-Application row the live model keeps (a memory budget: well under 4 KiB per
//! Application), and the string interner that makes repeated names cheap.

use std::collections::HashSet;
use std::mem::size_of;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::cluster::Cluster;
use crate::domain::argocd::{
    Application, ConditionSeverity, HealthStatus, OperationPhase, SyncStatus, parse_time,
};
use crate::domain::env::Environment;
use crate::domain::layer::Layer;

/// Shares one allocation per distinct string (names, projects, components, clusters).
#[derive(Debug, Default)]
pub struct Interner {
    strings: HashSet<Arc<str>>,
}

impl Interner {
    pub fn intern(&mut self, text: &str) -> Arc<str> {
        if let Some(existing) = self.strings.get(text) {
            return existing.clone();
        }
        let shared: Arc<str> = Arc::from(text);
        self.strings.insert(shared.clone());
        shared
    }

    pub fn len(&self) -> usize {
        self.strings.len()
    }

    pub fn is_empty(&self) -> bool {
        self.strings.is_empty()
    }
}

/// Auto-sync settings as the console shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AutoSync {
    /// `automated` present and not `enabled: false`.
    pub enabled: bool,
    pub prune: bool,
    pub self_heal: bool,
}

/// The current or last operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationSummary {
    pub phase: OperationPhase,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub retry_count: u32,
    /// Started by auto-sync rather than a user.
    pub automated: bool,
}

/// Conditions by severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ConditionCounts {
    pub errors: u16,
    pub warnings: u16,
    pub infos: u16,
}

/// One Application, reduced to what the estate views show.
#[derive(Debug, Clone, PartialEq)]
pub struct AppSummary {
    pub name: Arc<str>,
    pub namespace: Arc<str>,
    pub project: Arc<str>,
    /// The cluster the Application object was read from (where ArgoCD runs).
    pub source: Arc<str>,
    /// `destination.name`, else `destination.server`.
    pub destination: Arc<str>,
    /// `destination.namespace` (empty when the template leaves it out).
    pub destination_namespace: Arc<str>,
    /// The estate cluster the destination resolves to ([`AppSummary::place`]).
    pub cluster: Option<Arc<str>>,
    /// From the destination cluster's `environment` label, else the source path's `envs/<env>`.
    pub environment: Option<Environment>,
    /// From the source path (`agnostics/...`, `apps/...`); a catalog may override it.
    pub layer: Option<Layer>,
    /// Second path segment (`agnostics/<component>/...`); a catalog may override it.
    pub component: Option<Arc<str>>,
    /// The ApplicationSet that generated it.
    pub appset: Option<Arc<str>>,
    /// `source.path` of the primary source, when it has one.
    pub path: Option<Arc<str>>,
    pub sync: SyncStatus,
    pub health: HealthStatus,
    pub health_message: Option<Box<str>>,
    /// Revision last compared (first of several for multi-source apps).
    pub revision: Option<Box<str>>,
    pub target_revision: Option<Arc<str>>,
    pub auto_sync: AutoSync,
    /// `status.operationState`.
    pub operation: Option<OperationSummary>,
    /// `.operation` is set: an operation is requested or running.
    pub operation_requested: bool,
    /// `deployedAt` of the last history entry.
    pub last_synced_at: Option<DateTime<Utc>>,
    pub conditions: ConditionCounts,
    pub deleting: bool,
}

impl AppSummary {
    /// Reduces an Application read from cluster `source`. Cluster and environment from labels
    /// need [`AppSummary::place`]; until then the environment comes from the source path.
    pub fn from_application(app: &Application, source: &str, strings: &mut Interner) -> AppSummary {
        let primary = app.primary_source();
        let path = primary.map_or("", |s| s.path.as_str());
        let target = &app.spec.destination;
        let destination = if target.name.is_empty() {
            target.server.as_str()
        } else {
            target.name.as_str()
        };
        AppSummary {
            name: strings.intern(&app.metadata.name),
            namespace: strings.intern(&app.metadata.namespace),
            project: strings.intern(app.project()),
            source: strings.intern(source),
            destination: strings.intern(destination),
            destination_namespace: strings.intern(&target.namespace),
            cluster: None,
            environment: path_environment(path),
            layer: Layer::from_repo_path(path),
            component: path_component(path).map(|c| strings.intern(c)),
            appset: app.generating_appset().map(|a| strings.intern(a)),
            path: Some(path)
                .filter(|p| !p.is_empty())
                .map(|p| strings.intern(p)),
            sync: app.sync_status(),
            health: app.health_status(),
            health_message: app.health_message().map(Box::from),
            revision: app.sync_revision().map(Box::from),
            target_revision: primary
                .map(|s| s.target_revision.as_str())
                .filter(|r| !r.is_empty())
                .map(|r| strings.intern(r)),
            auto_sync: auto_sync(app),
            operation: operation_summary(app),
            operation_requested: app.has_pending_operation(),
            last_synced_at: app
                .last_deployment()
                .and_then(|h| h.deployed_at.as_deref())
                .and_then(parse_time),
            conditions: condition_counts(app),
            deleting: app.is_deleting(),
        }
    }

    /// Resolves the destination to an estate cluster and takes its environment label.
    pub fn place(&mut self, clusters: &[Cluster]) {
        let destination: &str = &self.destination;
        let (name, server) = if destination.contains("://") {
            ("", destination)
        } else {
            (destination, "")
        };
        let Some(cluster) = clusters.iter().find(|c| c.is_destination(name, server)) else {
            self.cluster = None;
            return;
        };
        self.cluster = Some(cluster.name.clone());
        if let Some(environment) = cluster.environment() {
            self.environment = Some(environment);
        }
    }

    /// An operation is Running or Terminating.
    pub fn is_operation_running(&self) -> bool {
        self.operation
            .as_ref()
            .is_some_and(|o| o.phase.is_running())
    }

    /// The last operation ended Failed or Error.
    pub fn last_operation_failed(&self) -> bool {
        self.operation.as_ref().is_some_and(|o| o.phase.is_failed())
    }

    /// Approximate bytes this row owns (shared interned strings not counted): the budget
    /// figure for the live model.
    pub fn owned_bytes(&self) -> usize {
        let boxed = |b: &Option<Box<str>>| b.as_ref().map_or(0, |s| s.len());
        let environment = match &self.environment {
            Some(Environment::Other(name)) => name.capacity(),
            _ => 0,
        };
        let phase = match self.operation.as_ref().map(|o| &o.phase) {
            Some(OperationPhase::Other(text)) => text.capacity(),
            _ => 0,
        };
        size_of::<AppSummary>()
            + boxed(&self.health_message)
            + boxed(&self.revision)
            + environment
            + phase
    }
}

fn auto_sync(app: &Application) -> AutoSync {
    let automated = app.automated();
    AutoSync {
        enabled: app.is_automated_sync_enabled(),
        prune: automated.and_then(|a| a.prune).unwrap_or(false),
        self_heal: automated.and_then(|a| a.self_heal).unwrap_or(false),
    }
}

fn operation_summary(app: &Application) -> Option<OperationSummary> {
    let state = app.status.operation_state.as_ref()?;
    Some(OperationSummary {
        phase: state.phase.clone()?,
        started_at: state.started_at.as_deref().and_then(parse_time),
        finished_at: state.finished_at.as_deref().and_then(parse_time),
        retry_count: u32::try_from(state.retry_count).unwrap_or(0),
        automated: state
            .operation
            .initiated_by
            .as_ref()
            .is_some_and(|i| i.automated),
    })
}

fn condition_counts(app: &Application) -> ConditionCounts {
    let mut counts = ConditionCounts::default();
    for condition in &app.status.conditions {
        let slot = match condition.severity() {
            ConditionSeverity::Error => &mut counts.errors,
            ConditionSeverity::Warning => &mut counts.warnings,
            ConditionSeverity::Info => &mut counts.infos,
        };
        *slot = slot.saturating_add(1);
    }
    counts
}

/// The environment directory of a K8TRE source path: the segment after `envs`
/// (`apps/jupyterhub/envs/dev`, `agnostics/gateway/k3s/envs/stg`).
pub fn path_environment(path: &str) -> Option<Environment> {
    let mut segments = path.trim_matches('/').split('/');
    segments.find(|s| *s == "envs")?;
    segments
        .next()
        .filter(|s| !s.is_empty())
        .map(|s| Environment::parse(s).environment)
}

/// The component of a K8TRE source path: `agnostics/<component>/...`, `apps/<component>/...`.
pub fn path_component(path: &str) -> Option<&str> {
    Layer::from_repo_path(path)?;
    path.trim_start_matches("./")
        .split('/')
        .nth(1)
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::estate::cluster::{ClusterRole, ConnectionState};
    use serde_json::json;
    use std::collections::BTreeMap;

    fn application() -> Application {
        serde_json::from_value(json!({
            "metadata": {"name": "gateway-k8tre-dev-cluster", "namespace": "argocd",
                "ownerReferences": [{"kind": "ApplicationSet", "name": "gateway"}]},
            "spec": {
                "destination": {"name": "k8tre-dev-cluster", "namespace": "gateway"},
                "project": "",
                "source": {"repoURL": "https://github.com/k8tre/k8tre.git",
                           "path": "agnostics/gateway/k3s/envs/dev", "targetRevision": "main"},
                "syncPolicy": {"automated": {"prune": true, "selfHeal": true}}
            },
            "operation": {"sync": {}},
            "status": {
                "sync": {"status": "OutOfSync", "revision": "abc"},
                "health": {"status": "Degraded", "message": "Caused by apps/Deployment:gateway/envoy"},
                "history": [{"id": 0, "revision": "abc", "deployedAt": "2026-08-22T10:00:04Z"}],
                "operationState": {"phase": "Failed", "startedAt": "2026-08-22T10:00:00Z",
                    "finishedAt": "2026-08-22T10:00:09Z", "retryCount": 2,
                    "operation": {"initiatedBy": {"automated": true}}},
                "conditions": [
                    {"type": "SyncError", "message": "Failed last sync attempt"},
                    {"type": "OrphanedResourceWarning", "message": "x"}
                ]
            }
        }))
        .expect("application")
    }

    #[test]
    fn summary_from_application() {
        let mut strings = Interner::default();
        let s = AppSummary::from_application(&application(), "mgmt", &mut strings);
        assert_eq!(&*s.name, "gateway-k8tre-dev-cluster");
        assert_eq!(&*s.project, "default");
        assert_eq!(&*s.destination, "k8tre-dev-cluster");
        assert_eq!(&*s.destination_namespace, "gateway");
        assert_eq!(s.path.as_deref(), Some("agnostics/gateway/k3s/envs/dev"));
        assert_eq!(s.layer, Some(Layer::Agnostics));
        assert_eq!(s.component.as_deref(), Some("gateway"));
        assert_eq!(s.environment, Some(Environment::Dev));
        assert_eq!(s.appset.as_deref(), Some("gateway"));
        assert_eq!(s.sync, SyncStatus::OutOfSync);
        assert_eq!(s.health, HealthStatus::Degraded);
        assert_eq!(s.revision.as_deref(), Some("abc"));
        assert_eq!(s.target_revision.as_deref(), Some("main"));
        assert_eq!(
            s.auto_sync,
            AutoSync {
                enabled: true,
                prune: true,
                self_heal: true
            }
        );
        let op = s.operation.as_ref().expect("operation");
        assert_eq!(op.phase, OperationPhase::Failed);
        assert_eq!(op.retry_count, 2);
        assert!(op.automated);
        assert!(s.last_operation_failed());
        assert!(!s.is_operation_running());
        assert!(s.operation_requested);
        assert!(s.last_synced_at.is_some());
        assert_eq!(
            s.conditions,
            ConditionCounts {
                errors: 1,
                warnings: 1,
                infos: 0
            }
        );
    }

    #[test]
    fn interning_shares_strings() {
        let mut strings = Interner::default();
        let a = AppSummary::from_application(&application(), "mgmt", &mut strings);
        let b = AppSummary::from_application(&application(), "mgmt", &mut strings);
        assert!(Arc::ptr_eq(&a.name, &b.name));
        assert!(Arc::ptr_eq(&a.source, &b.source));
        let before = strings.len();
        let _ = AppSummary::from_application(&application(), "mgmt", &mut strings);
        assert_eq!(strings.len(), before);
    }

    #[test]
    fn summary_fits_the_memory_budget() {
        let mut strings = Interner::default();
        let s = AppSummary::from_application(&application(), "mgmt", &mut strings);
        assert!(
            size_of::<AppSummary>() <= 512,
            "{}",
            size_of::<AppSummary>()
        );
        assert!(s.owned_bytes() < 4096, "{}", s.owned_bytes());
    }

    #[test]
    fn placement_takes_the_cluster_environment() {
        let mut strings = Interner::default();
        let mut s = AppSummary::from_application(&application(), "mgmt", &mut strings);
        let mut cluster = Cluster::new(
            "k8tre-dev-cluster",
            "https://dev:6443",
            ClusterRole {
                management: false,
                target: true,
            },
            chrono::Duration::seconds(60),
        );
        cluster.connection = ConnectionState::NoContext;
        cluster.labels = Some(BTreeMap::from([(
            "environment".to_string(),
            "stg".to_string(),
        )]));
        s.place(std::slice::from_ref(&cluster));
        assert_eq!(s.cluster.as_deref(), Some("k8tre-dev-cluster"));
        assert_eq!(s.environment, Some(Environment::Stg));
        s.place(&[]);
        assert_eq!(s.cluster, None);
    }

    #[test]
    fn paths() {
        assert_eq!(
            path_environment("apps/jupyterhub/envs/prod"),
            Some(Environment::Prd)
        );
        assert_eq!(path_environment("appsets"), None);
        assert_eq!(path_environment("apps/x/envs/"), None);
        assert_eq!(
            path_component("apps/jupyterhub/envs/dev"),
            Some("jupyterhub")
        );
        assert_eq!(path_component("appsets"), None);
    }

    #[test]
    fn fresh_application_is_unknown() {
        let app: Application = serde_json::from_value(json!({
            "metadata": {"name": "new", "namespace": "argocd"},
            "spec": {"destination": {"server": "https://kubernetes.default.svc"}, "project": "default"}
        }))
        .expect("app");
        let s = AppSummary::from_application(&app, "mgmt", &mut Interner::default());
        assert_eq!(s.sync, SyncStatus::Unknown);
        assert_eq!(s.health, HealthStatus::Unknown);
        assert_eq!(s.operation, None);
        assert_eq!(s.layer, None);
    }
}

//! What the model keeps of each watched object: slim, plain data with shared strings.
//!
//! Conversion from the wire types happens in the watch tasks (in parallel, off the model's
//! loop). Strings from a bounded vocabulary go through the shared interner; names that churn
//! (pods, events) are plain `Arc<str>` so the interner never grows with them.

use std::collections::BTreeMap;
use std::mem::size_of;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::event::ObjKey;
use super::strings::SharedStrings;
use super::wire::{
    ApplicationSetWire, ApplicationWire, ClusterSecretWire, ConfigMapWire, EventWire, NodeWire,
    PodWire, StorageClassWire, WorkloadBody,
};
use crate::domain::appset::ApplicationSet;
use crate::domain::argocd::{Application, HealthStatus, parse_time};
use crate::domain::estate::{AppSummary, Interner, StorageClassFact};
use crate::domain::health::is_error_waiting_reason;

/// Longest event message kept; the rest is cut (messages can be kilobytes).
pub const EVENT_MESSAGE_LIMIT: usize = 240;

/// The cilium-config keys the console reads (k8tre.md §6).
pub const CILIUM_KEYS: [&str; 4] = [
    "enable-l7-proxy",
    "enable-gateway-api",
    "kube-proxy-replacement",
    "ipam",
];
pub const CILIUM_CONFIG: &str = "cilium-config";
pub const ARGOCD_CM: &str = "argocd-cm";
pub const CMP_PLUGIN_CM: &str = "cmp-plugin";
pub const CMP_PLUGIN_KEY: &str = "plugin.yaml";
/// The group whose CRDs the console looks for.
pub const GATEWAY_API_GROUP: &str = "gateway.networking.k8s.io";
pub const DEFAULT_CLASS_ANNOTATION: &str = "storageclass.kubernetes.io/is-default-class";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WorkloadKind {
    Deployment,
    StatefulSet,
    DaemonSet,
}

impl WorkloadKind {
    pub fn parse(kind: &str) -> Option<WorkloadKind> {
        match kind {
            "Deployment" => Some(WorkloadKind::Deployment),
            "StatefulSet" => Some(WorkloadKind::StatefulSet),
            "DaemonSet" => Some(WorkloadKind::DaemonSet),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::StatefulSet => "StatefulSet",
            WorkloadKind::DaemonSet => "DaemonSet",
        }
    }
}

/// A workload an Application manages (from `status.resources`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WorkloadRef {
    pub kind: WorkloadKind,
    pub namespace: Arc<str>,
    pub name: Arc<str>,
}

/// An Application as the model keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct AppRecord {
    pub key: ObjKey,
    pub summary: AppSummary,
    /// Deployments, StatefulSets and DaemonSets it manages: the way to its pods.
    pub workloads: Box<[WorkloadRef]>,
    /// The object could not be read as an Application; the summary is Unknown.
    pub parse_error: Option<Box<str>>,
    /// What the console's actions are built from ([`action_basis`]), packed: kept for every
    /// Application, unpacked only when an action or a detail view needs it.
    pub basis: PackedBasis,
    /// What rows and triage read without unpacking the basis.
    pub facts: AppFacts,
    /// The whole Application as read. The model keeps it only for Applications a screen
    /// pinned (an open detail view); for the rest it is dropped on arrival.
    pub full: Option<Arc<Application>>,
}

impl AppRecord {
    /// `source` is the context the Application was read from; the model re-places it.
    pub fn from_wire(wire: ApplicationWire, source: &str, strings: &SharedStrings) -> AppRecord {
        strings.with(|s| {
            let key = ObjKey::new(s.intern(wire.namespace()), s.intern(wire.name()));
            match wire.application {
                Ok(app) => AppRecord {
                    summary: AppSummary::from_application(&app, source, s),
                    workloads: workloads_of(&app, s),
                    parse_error: None,
                    basis: PackedBasis::pack(&action_basis(&app)),
                    facts: AppFacts::of(&app),
                    full: Some(Arc::from(app)),
                    key,
                },
                Err(reason) => {
                    let mut stub = Application::default();
                    stub.metadata.name = key.name.to_string();
                    stub.metadata.namespace = key.namespace.to_string();
                    AppRecord {
                        summary: AppSummary::from_application(&stub, source, s),
                        workloads: Box::new([]),
                        parse_error: Some(reason.as_str().into()),
                        basis: PackedBasis::pack(&stub),
                        facts: AppFacts::default(),
                        full: None,
                        key,
                    }
                }
            }
        })
    }

    /// Approximate heap and inline bytes this record owns (interned strings not counted).
    pub fn owned_bytes(&self) -> usize {
        self.summary.owned_bytes() - size_of::<AppSummary>()
            + size_of::<AppRecord>()
            + self.workloads.len() * size_of::<WorkloadRef>()
            + self.parse_error.as_ref().map_or(0, |e| e.len())
    }
}

/// An [`action_basis`] as compact JSON: an unpacked `Application` costs kilobytes even when
/// mostly empty, and the model keeps one per Application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackedBasis(Box<[u8]>);

impl PackedBasis {
    pub fn pack(basis: &Application) -> PackedBasis {
        PackedBasis(
            serde_json::to_vec(basis)
                .unwrap_or_default()
                .into_boxed_slice(),
        )
    }

    /// The basis again. It was written by [`PackedBasis::pack`], so it always reads back;
    /// were it ever not to, an empty Application makes every action refuse rather than guess.
    pub fn unpack(&self) -> Application {
        serde_json::from_slice(&self.0).unwrap_or_default()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// An error-level condition, as triage lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionFact {
    pub kind: Box<str>,
    pub message: Box<str>,
    pub since: Option<DateTime<Utc>>,
}

/// The few things the app list and triage read of an Application beyond its summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppFacts {
    /// The value of a refresh annotation ArgoCD has not taken in yet.
    pub refresh_requested: Option<Box<str>>,
    /// When the Application's health last changed.
    pub health_since: Option<DateTime<Utc>>,
    /// The message of the current or last operation.
    pub operation_message: Option<Box<str>>,
    /// Conditions of error severity.
    pub error_conditions: Box<[ConditionFact]>,
    /// When the console saw the Application turn OutOfSync (ArgoCD records no such time);
    /// `None` while in sync, and when it was already OutOfSync when first seen. Set by the
    /// model, which sees the transitions.
    pub out_of_sync_since: Option<DateTime<Utc>>,
}

impl AppFacts {
    pub fn of(app: &Application) -> AppFacts {
        use crate::domain::argocd::{ANNOTATION_REFRESH, ConditionSeverity};
        AppFacts {
            refresh_requested: app
                .metadata
                .annotations
                .get(ANNOTATION_REFRESH)
                .map(|v| v.as_str().into()),
            health_since: app
                .status
                .health
                .as_ref()
                .and_then(|h| h.last_transition_time.as_deref())
                .and_then(parse_time),
            operation_message: app
                .status
                .operation_state
                .as_ref()
                .map(|s| truncate(&s.message, BASIS_MESSAGE_LIMIT).into()),
            error_conditions: app
                .status
                .conditions
                .iter()
                .filter(|c| c.severity() == ConditionSeverity::Error)
                .map(|c| ConditionFact {
                    kind: c.kind.as_ref().map_or("Error", |k| k.as_str()).into(),
                    message: truncate(&c.message, BASIS_MESSAGE_LIMIT).into(),
                    since: c.last_transition_time.as_deref().and_then(parse_time),
                })
                .collect(),
            out_of_sync_since: None,
        }
    }

    /// Heap bytes these facts own.
    pub fn owned_bytes(&self) -> usize {
        self.refresh_requested.as_ref().map_or(0, |r| r.len())
            + self.operation_message.as_ref().map_or(0, |m| m.len())
            + self
                .error_conditions
                .iter()
                .map(|c| size_of::<ConditionFact>() + c.kind.len() + c.message.len())
                .sum::<usize>()
    }
}

/// Longest condition or operation message kept in an [`action_basis`].
pub const BASIS_MESSAGE_LIMIT: usize = 400;

/// The parts of an Application that `domain::argocd::ops` checks and builds patches from, and
/// that triage explains problems with: identity and resourceVersion, the refresh annotations,
/// the ApplicationSet owner, the spec (without ignoreDifferences and info), `.operation`, the
/// operation state without its per-resource results, conditions, `reconciledAt`. Resources,
/// history and sync results (the bulk of a large Application) are left out.
pub fn action_basis(app: &Application) -> Application {
    use crate::domain::argocd::{ANNOTATION_REFRESH, ANNOTATION_REFRESH_TIMESTAMP, OperationState};
    let mut basis = Application::default();
    let meta = &app.metadata;
    basis.metadata.name = meta.name.clone();
    basis.metadata.namespace = meta.namespace.clone();
    basis.metadata.resource_version = meta.resource_version.clone();
    basis.metadata.deletion_timestamp = meta.deletion_timestamp.clone();
    basis.metadata.generation = meta.generation;
    basis.metadata.annotations = meta
        .annotations
        .iter()
        .filter(|(k, _)| *k == ANNOTATION_REFRESH || *k == ANNOTATION_REFRESH_TIMESTAMP)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    basis.metadata.owner_references = meta
        .owner_references
        .iter()
        .filter(|o| o.kind == "ApplicationSet")
        .cloned()
        .collect();
    basis.spec.source = app.spec.source.clone();
    basis.spec.sources = app.spec.sources.clone();
    basis.spec.destination = app.spec.destination.clone();
    basis.spec.project = app.spec.project.clone();
    basis.spec.sync_policy = app.spec.sync_policy.clone();
    basis.operation = app.operation.clone();
    basis.status.operation_state = app.status.operation_state.as_ref().map(|s| {
        Box::new(OperationState {
            operation: s.operation.clone(),
            phase: s.phase.clone(),
            message: truncate(&s.message, BASIS_MESSAGE_LIMIT).to_string(),
            sync_result: None,
            started_at: s.started_at.clone(),
            finished_at: s.finished_at.clone(),
            retry_count: s.retry_count,
            extra: Default::default(),
        })
    });
    basis.status.conditions = app
        .status
        .conditions
        .iter()
        .map(|c| {
            let mut condition = c.clone();
            condition.message = truncate(&c.message, BASIS_MESSAGE_LIMIT).to_string();
            condition
        })
        .collect();
    basis.status.reconciled_at = app.status.reconciled_at.clone();
    basis.status.sync = app.status.sync.as_ref().map(|s| {
        Box::new(crate::domain::argocd::SyncInfo {
            status: s.status,
            revision: s.revision.clone(),
            ..Default::default()
        })
    });
    basis.status.health = app.status.health.clone();
    basis
}

fn workloads_of(app: &Application, strings: &mut Interner) -> Box<[WorkloadRef]> {
    app.status
        .resources
        .iter()
        .filter(|r| r.group == "apps")
        .filter_map(|r| {
            Some(WorkloadRef {
                kind: WorkloadKind::parse(&r.kind)?,
                namespace: strings.intern(&r.namespace),
                name: strings.intern(&r.name),
            })
        })
        .collect()
}

/// An ApplicationSet from the cluster, or why it could not be read.
#[derive(Debug, Clone, PartialEq)]
pub struct AppSetRecord {
    pub parsed: Result<Box<ApplicationSet>, String>,
}

impl AppSetRecord {
    pub fn from_wire(wire: ApplicationSetWire, strings: &SharedStrings) -> (ObjKey, AppSetRecord) {
        let key = strings.with(|s| ObjKey::new(s.intern(wire.namespace()), s.intern(wire.name())));
        (
            key,
            AppSetRecord {
                parsed: wire.applicationset,
            },
        )
    }
}

/// An ArgoCD cluster Secret: the cluster's name, server and labels. Never its credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterSecretRecord {
    /// `data.name`, else the Secret's name.
    pub cluster_name: Arc<str>,
    pub server: Arc<str>,
    /// Every label, `argocd.argoproj.io/secret-type` included (as ArgoCD's cluster generator
    /// sees them).
    pub labels: BTreeMap<String, String>,
    /// Annotations other than `kubectl.kubernetes.io/last-applied-configuration`.
    pub annotations: BTreeMap<String, String>,
}

impl ClusterSecretRecord {
    pub fn from_wire(
        wire: ClusterSecretWire,
        strings: &SharedStrings,
    ) -> (ObjKey, ClusterSecretRecord) {
        strings.with(|s| {
            let key = ObjKey::new(s.intern(&wire.meta.namespace), s.intern(&wire.meta.name));
            let record = ClusterSecretRecord {
                cluster_name: s.intern(wire.cluster_name.as_deref().unwrap_or(&wire.meta.name)),
                server: s.intern(wire.server.as_deref().unwrap_or_default()),
                labels: wire.meta.labels,
                annotations: wire.meta.annotations,
            };
            (key, record)
        })
    }
}

/// The ConfigMap data the console uses: cilium-config's four settings, argocd-cm whole,
/// cmp-plugin's `plugin.yaml`. Other ConfigMaps are not kept (`None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigMapRecord {
    pub data: BTreeMap<String, String>,
}

impl ConfigMapRecord {
    pub fn from_wire(
        wire: ConfigMapWire,
        strings: &SharedStrings,
    ) -> Option<(ObjKey, ConfigMapRecord)> {
        let keep: Box<dyn Fn(&str) -> bool> = match wire.meta.name.as_str() {
            CILIUM_CONFIG => Box::new(|k| CILIUM_KEYS.contains(&k)),
            ARGOCD_CM => Box::new(|_| true),
            CMP_PLUGIN_CM => Box::new(|k| k == CMP_PLUGIN_KEY),
            _ => return None,
        };
        let data = wire.data.into_iter().filter(|(k, _)| keep(k)).collect();
        let key = strings
            .with(|s| ObjKey::new(s.intern(&wire.meta.namespace), s.intern(&wire.meta.name)));
        Some((key, ConfigMapRecord { data }))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlimNode {
    pub ready: bool,
    /// The scheme of `spec.providerID` (`aws://`, `k3s://`), for vendor detection.
    pub provider: Option<Arc<str>>,
    pub kubelet_version: Option<Arc<str>>,
}

impl SlimNode {
    pub fn from_wire(wire: NodeWire, strings: &SharedStrings) -> (ObjKey, SlimNode) {
        strings.with(|s| {
            let ready = wire
                .conditions
                .iter()
                .any(|c| c.kind == "Ready" && c.status == "True");
            let provider = wire
                .provider_id
                .as_deref()
                .and_then(|p| p.find("://").map(|i| &p[..i + 3]))
                .map(|scheme| s.intern(scheme));
            let node = SlimNode {
                ready,
                provider,
                kubelet_version: wire.kubelet_version.as_deref().map(|v| s.intern(v)),
            };
            (ObjKey::cluster_scoped(s.intern(&wire.meta.name)), node)
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlimWorkload {
    pub kind: WorkloadKind,
    pub ready: u32,
    pub desired: u32,
    pub updated: u32,
    pub available: u32,
    /// The controller has seen the latest spec.
    pub observed: bool,
    /// Deployment: `spec.paused`.
    pub paused: bool,
    /// Deployment: the Progressing condition says ProgressDeadlineExceeded.
    pub deadline_exceeded: bool,
    /// Container names of the pod template (sidecars included).
    pub containers: Box<[Arc<str>]>,
}

impl SlimWorkload {
    pub fn from_body(
        kind: WorkloadKind,
        body: WorkloadBody,
        strings: &SharedStrings,
    ) -> (ObjKey, SlimWorkload) {
        let status = &body.status;
        let (desired, ready, updated, available) = match kind {
            WorkloadKind::DaemonSet => (
                status.desired_number_scheduled.unwrap_or(0),
                status.number_ready.unwrap_or(0),
                status.updated_number_scheduled.unwrap_or(0),
                status.number_available.unwrap_or(0),
            ),
            _ => (
                body.spec.replicas.unwrap_or(1),
                status.ready_replicas.unwrap_or(0),
                status.updated_replicas.unwrap_or(0),
                status.available_replicas.unwrap_or(0),
            ),
        };
        let observed = match (body.metadata.generation, status.observed_generation) {
            (Some(generation), Some(observed)) => observed >= generation,
            (Some(_), None) => false,
            (None, _) => true,
        };
        strings.with(|s| {
            let workload = SlimWorkload {
                kind,
                ready,
                desired,
                updated,
                available,
                observed,
                paused: body.spec.paused,
                deadline_exceeded: status.progress_deadline_exceeded(),
                containers: body
                    .spec
                    .template
                    .spec
                    .containers
                    .iter()
                    .map(|c| s.intern(&c.name))
                    .collect(),
            };
            let key = ObjKey::new(
                s.intern(&body.metadata.namespace),
                s.intern(&body.metadata.name),
            );
            (key, workload)
        })
    }
}

/// The pod phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PodPhase {
    Pending,
    Running,
    Succeeded,
    Failed,
    Unknown,
}

impl PodPhase {
    fn parse(text: Option<&str>) -> PodPhase {
        match text {
            Some("Pending") => PodPhase::Pending,
            Some("Running") => PodPhase::Running,
            Some("Succeeded") => PodPhase::Succeeded,
            Some("Failed") => PodPhase::Failed,
            _ => PodPhase::Unknown,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PodPhase::Pending => "Pending",
            PodPhase::Running => "Running",
            PodPhase::Succeeded => "Succeeded",
            PodPhase::Failed => "Failed",
            PodPhase::Unknown => "Unknown",
        }
    }
}

/// The owner a pod is shown under: a ReplicaSet owned through `pod-template-hash` is read as
/// its Deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerKind {
    Deployment,
    StatefulSet,
    DaemonSet,
    ReplicaSet,
    Job,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodOwner {
    pub kind: OwnerKind,
    pub name: Arc<str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlimPod {
    pub owner: Option<PodOwner>,
    pub node: Option<Arc<str>>,
    pub phase: PodPhase,
    pub ready_containers: u16,
    pub containers: u16,
    pub restarts: u32,
    /// The first waiting reason of a container (`CrashLoopBackOff`, `ContainerCreating`).
    pub waiting: Option<Arc<str>>,
    /// The Ready condition is True.
    pub ready: bool,
    /// A container has terminated before (restarting).
    pub restarted: bool,
    /// `restartPolicy: Always` (the default): it is meant to keep running.
    pub long_running: bool,
    pub deleting: bool,
    /// Unix seconds of `creationTimestamp`.
    pub created: Option<i64>,
}

impl SlimPod {
    pub fn from_wire(wire: PodWire, strings: &SharedStrings) -> (ObjKey, SlimPod) {
        let statuses = &wire.status.container_statuses;
        let waiting = wire
            .status
            .init_container_statuses
            .iter()
            .chain(statuses)
            .find_map(|c| c.state.waiting.as_ref()?.reason.as_deref());
        let long_running = matches!(wire.spec.restart_policy.as_deref(), None | Some("Always"));
        let pod = strings.with(|s| SlimPod {
            owner: pod_owner(&wire, s),
            node: wire.spec.node_name.as_deref().map(|n| s.intern(n)),
            phase: PodPhase::parse(wire.status.phase.as_deref()),
            ready_containers: saturating_u16(statuses.iter().filter(|c| c.ready).count()),
            containers: saturating_u16(statuses.len()),
            restarts: statuses.iter().map(|c| c.restart_count).sum(),
            waiting: waiting.map(|w| s.intern(w)),
            ready: wire
                .status
                .conditions
                .iter()
                .any(|c| c.kind == "Ready" && c.status == "True"),
            restarted: statuses.iter().any(|c| c.last_state.terminated.is_some()),
            long_running,
            deleting: wire.meta.deletion_timestamp.is_some(),
            created: wire
                .meta
                .creation_timestamp
                .as_deref()
                .and_then(parse_time)
                .map(|t| t.timestamp()),
        });
        let namespace = strings.intern(&wire.meta.namespace);
        (
            ObjKey::new(namespace, Arc::from(wire.meta.name.as_str())),
            pod,
        )
    }

    /// ArgoCD's pod health (domain::health's pod rules) from the kept fields.
    pub fn health(&self) -> HealthStatus {
        if self.deleting {
            return HealthStatus::Progressing;
        }
        if self.long_running && self.waiting.as_deref().is_some_and(is_error_waiting_reason) {
            return HealthStatus::Degraded;
        }
        match self.phase {
            PodPhase::Pending => HealthStatus::Progressing,
            PodPhase::Succeeded => HealthStatus::Healthy,
            PodPhase::Failed => HealthStatus::Degraded,
            PodPhase::Running if !self.long_running => HealthStatus::Progressing,
            PodPhase::Running if self.ready => HealthStatus::Healthy,
            PodPhase::Running if self.restarted => HealthStatus::Degraded,
            PodPhase::Running => HealthStatus::Progressing,
            PodPhase::Unknown => HealthStatus::Unknown,
        }
    }

    /// Whether this pod belongs to the workload.
    pub fn owned_by(&self, workload: &WorkloadRef) -> bool {
        let Some(owner) = &self.owner else {
            return false;
        };
        let kind = match workload.kind {
            WorkloadKind::Deployment => OwnerKind::Deployment,
            WorkloadKind::StatefulSet => OwnerKind::StatefulSet,
            WorkloadKind::DaemonSet => OwnerKind::DaemonSet,
        };
        owner.kind == kind && owner.name == workload.name
    }
}

fn saturating_u16(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

fn pod_owner(wire: &PodWire, strings: &mut Interner) -> Option<PodOwner> {
    let owner = wire.meta.controller()?;
    let (kind, name) = match owner.kind.as_str() {
        "ReplicaSet" => {
            let deployment = wire
                .meta
                .labels
                .get("pod-template-hash")
                .and_then(|hash| owner.name.strip_suffix(hash.as_str()))
                .and_then(|rest| rest.strip_suffix('-'));
            match deployment {
                Some(deployment) => (OwnerKind::Deployment, deployment),
                None => (OwnerKind::ReplicaSet, owner.name.as_str()),
            }
        }
        "StatefulSet" => (OwnerKind::StatefulSet, owner.name.as_str()),
        "DaemonSet" => (OwnerKind::DaemonSet, owner.name.as_str()),
        "Job" => (OwnerKind::Job, owner.name.as_str()),
        _ => (OwnerKind::Other, owner.name.as_str()),
    };
    Some(PodOwner {
        kind,
        name: strings.intern(name),
    })
}

/// A Warning event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlimEvent {
    pub involved_kind: Arc<str>,
    pub involved_namespace: Arc<str>,
    pub involved_name: Arc<str>,
    pub reason: Arc<str>,
    pub message: Box<str>,
    pub count: u32,
    pub last_seen: Option<DateTime<Utc>>,
}

impl SlimEvent {
    /// `None` for events that are not Warnings (the watch selects them, this double-checks).
    pub fn from_wire(wire: EventWire, strings: &SharedStrings) -> Option<(ObjKey, SlimEvent)> {
        if wire.kind.as_deref() != Some("Warning") {
            return None;
        }
        let message = wire.message.as_deref().unwrap_or_default();
        let last_seen = [
            &wire.series_last_observed,
            &wire.last_timestamp,
            &wire.event_time,
        ]
        .into_iter()
        .find_map(|t| t.as_deref().and_then(parse_time));
        Some(strings.with(|s| {
            let event = SlimEvent {
                involved_kind: s.intern(&wire.involved.kind),
                involved_namespace: s.intern(&wire.involved.namespace),
                involved_name: Arc::from(wire.involved.name.as_str()),
                reason: s.intern(wire.reason.as_deref().unwrap_or_default()),
                message: truncate(message, EVENT_MESSAGE_LIMIT).into(),
                count: wire.count.unwrap_or(1),
                last_seen,
            };
            let key = ObjKey::new(
                s.intern(&wire.meta.namespace),
                Arc::from(wire.meta.name.as_str()),
            );
            (key, event)
        }))
    }
}

fn truncate(text: &str, limit: usize) -> &str {
    if text.len() <= limit {
        return text;
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

pub fn storage_class_from_wire(
    wire: StorageClassWire,
    strings: &SharedStrings,
) -> (ObjKey, StorageClassFact) {
    let is_default = wire
        .meta
        .annotations
        .get(DEFAULT_CLASS_ANNOTATION)
        .is_some_and(|v| v.trim() == "true");
    let key = ObjKey::cluster_scoped(strings.intern(&wire.meta.name));
    (
        key,
        StorageClassFact {
            name: wire.meta.name,
            provisioner: wire.provisioner,
            is_default,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(value: serde_json::Value) -> SlimPod {
        let wire: PodWire = serde_json::from_value(value).expect("pod");
        SlimPod::from_wire(wire, &SharedStrings::default()).1
    }

    #[test]
    fn the_packed_basis_reads_back_and_the_facts_carry_what_triage_needs() {
        let app: Application = serde_json::from_value(json!({
            "metadata": {"name": "web-dev", "namespace": "argocd", "resourceVersion": "42",
                "annotations": {"argocd.argoproj.io/refresh": "hard", "unrelated": "dropped"}},
            "spec": {"destination": {"name": "dev"}, "project": "default",
                "source": {"repoURL": "file:///r", "path": "apps/web/envs/dev", "targetRevision": "main"},
                "syncPolicy": {"automated": {"prune": true, "selfHeal": true}}},
            "status": {
                "health": {"status": "Degraded", "lastTransitionTime": "2026-11-28T08:00:00Z"},
                "operationState": {"phase": "Failed", "message": "one or more objects failed to apply",
                    "operation": {"sync": {"revision": "abc"}}},
                "conditions": [
                    {"type": "SyncError", "message": "Failed last sync attempt", "lastTransitionTime": "2026-11-28T08:01:00Z"},
                    {"type": "OrphanedResourceWarning", "message": "1 orphaned resource"}
                ],
                "resources": [{"kind": "Deployment", "name": "web", "namespace": "web", "status": "Synced"}]
            }
        }))
        .expect("application");
        let basis = action_basis(&app);
        let packed = PackedBasis::pack(&basis);
        assert_eq!(packed.unpack(), basis);
        assert!(
            packed.len() < 1024,
            "a packed basis is small: {} bytes",
            packed.len()
        );
        assert_eq!(basis.metadata.resource_version, "42");
        assert!(basis.is_automated_sync_enabled());
        assert!(
            basis.status.resources.is_empty(),
            "resources are left out of the basis"
        );
        let facts = AppFacts::of(&app);
        assert_eq!(facts.refresh_requested.as_deref(), Some("hard"));
        assert_eq!(facts.health_since, parse_time("2026-11-28T08:00:00Z"));
        assert_eq!(
            facts.operation_message.as_deref(),
            Some("one or more objects failed to apply")
        );
        assert_eq!(facts.error_conditions.len(), 1, "warnings are not errors");
        assert_eq!(&*facts.error_conditions[0].kind, "SyncError");
    }

    #[test]
    fn replicaset_owner_is_read_as_its_deployment() {
        let p = pod(json!({
            "metadata": {"name": "web-7d9f-x", "namespace": "ns", "labels": {"pod-template-hash": "7d9f"},
                "ownerReferences": [{"kind": "ReplicaSet", "name": "web-7d9f", "controller": true}]},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}],
                "containerStatuses": [{"ready": true, "restartCount": 1, "state": {"running": {}}}]}
        }));
        let owner = p.owner.clone().expect("owner");
        assert_eq!((owner.kind, &*owner.name), (OwnerKind::Deployment, "web"));
        assert_eq!(p.health(), HealthStatus::Healthy);
        assert_eq!((p.ready_containers, p.containers, p.restarts), (1, 1, 1));
        assert!(p.owned_by(&WorkloadRef {
            kind: WorkloadKind::Deployment,
            namespace: Arc::from("ns"),
            name: Arc::from("web"),
        }));
    }

    #[test]
    fn pod_health_follows_argocd_rules() {
        let crash = pod(
            json!({"metadata": {"name": "a"}, "status": {"phase": "Running",
            "containerStatuses": [{"state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}}),
        );
        assert_eq!(crash.health(), HealthStatus::Degraded);
        let pending = pod(
            json!({"metadata": {"name": "b"}, "status": {"phase": "Pending",
            "containerStatuses": [{"state": {"waiting": {"reason": "ContainerCreating"}}}]}}),
        );
        assert_eq!(pending.health(), HealthStatus::Progressing);
        assert_eq!(pending.waiting.as_deref(), Some("ContainerCreating"));
        let hook = pod(
            json!({"metadata": {"name": "c"}, "spec": {"restartPolicy": "Never"},
            "status": {"phase": "Running", "containerStatuses": [{"state": {"waiting": {"reason": "ErrImagePull"}}}]}}),
        );
        assert_eq!(
            hook.health(),
            HealthStatus::Progressing,
            "hooks are not failed early"
        );
        let restarting = pod(
            json!({"metadata": {"name": "d"}, "status": {"phase": "Running",
            "containerStatuses": [{"lastState": {"terminated": {"exitCode": 137}}}]}}),
        );
        assert_eq!(restarting.health(), HealthStatus::Degraded);
    }

    #[test]
    fn pod_names_are_not_interned() {
        let strings = SharedStrings::default();
        for i in 0..50 {
            let wire: PodWire = serde_json::from_value(
                json!({"metadata": {"name": format!("p-{i}"), "namespace": "ns"}}),
            )
            .expect("pod");
            let _ = SlimPod::from_wire(wire, &strings);
        }
        assert!(strings.len() < 5, "{} strings interned", strings.len());
    }

    #[test]
    fn slim_pod_is_small() {
        assert!(size_of::<SlimPod>() <= 96, "{}", size_of::<SlimPod>());
    }

    #[test]
    fn events_keep_warnings_with_bounded_messages() {
        let wire: EventWire = serde_json::from_value(json!({
            "metadata": {"name": "e1", "namespace": "ns"}, "type": "Warning", "reason": "BackOff",
            "message": "x".repeat(1000), "involvedObject": {"kind": "Pod", "name": "web-1", "namespace": "ns"},
            "count": 7, "lastTimestamp": "2026-08-22T10:00:00Z"
        }))
        .expect("event");
        let (_, event) = SlimEvent::from_wire(wire, &SharedStrings::default()).expect("warning");
        assert_eq!(event.message.len(), EVENT_MESSAGE_LIMIT);
        assert_eq!(event.count, 7);
        assert!(event.last_seen.is_some());
        let normal: EventWire =
            serde_json::from_value(json!({"metadata": {"name": "e2"}, "type": "Normal"}))
                .expect("event");
        assert!(SlimEvent::from_wire(normal, &SharedStrings::default()).is_none());
        assert_eq!(truncate("héllo", 2), "h");
    }

    #[test]
    fn configmaps_keep_only_what_is_used() {
        let wire: ConfigMapWire = serde_json::from_value(json!({
            "metadata": {"name": "cilium-config", "namespace": "kube-system"},
            "data": {"enable-l7-proxy": "true", "cluster-name": "dev", "ipam": "eni"}
        }))
        .expect("cm");
        let (_, record) =
            ConfigMapRecord::from_wire(wire, &SharedStrings::default()).expect("kept");
        assert_eq!(record.data.len(), 2);
        let other: ConfigMapWire =
            serde_json::from_value(json!({"metadata": {"name": "kube-root-ca.crt"}})).expect("cm");
        assert!(ConfigMapRecord::from_wire(other, &SharedStrings::default()).is_none());
    }

    #[test]
    fn workloads_read_replicas_and_containers() {
        let wire: crate::live::wire::DeploymentWire = serde_json::from_value(json!({
            "metadata": {"name": "argocd-repo-server", "namespace": "argocd", "generation": 3},
            "spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "repo-server"}, {"name": "cmp-kustomize-envsubst"}]}}},
            "status": {"readyReplicas": 1, "observedGeneration": 3}
        }))
        .expect("deployment");
        let (_, w) = SlimWorkload::from_body(
            WorkloadKind::Deployment,
            wire.body,
            &SharedStrings::default(),
        );
        assert_eq!((w.ready, w.desired, w.observed), (1, 2, true));
        assert_eq!(w.containers.len(), 2);
        assert!(!w.paused && !w.deadline_exceeded);
    }

    #[test]
    fn workloads_keep_a_paused_spec_and_a_passed_progress_deadline() {
        let wire: crate::live::wire::DeploymentWire = serde_json::from_value(json!({
            "metadata": {"name": "web", "namespace": "apps", "generation": 2},
            "spec": {"replicas": 2, "paused": true},
            "status": {"observedGeneration": 2, "conditions": [
                {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
                {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}
            ]}
        }))
        .expect("deployment");
        let (_, w) = SlimWorkload::from_body(
            WorkloadKind::Deployment,
            wire.body,
            &SharedStrings::default(),
        );
        assert!(w.paused && w.deadline_exceeded);
    }

    #[test]
    fn application_that_cannot_be_read_is_unknown() {
        let wire: ApplicationWire = serde_json::from_value(json!({
            "metadata": {"name": "bad", "namespace": "argocd"}, "spec": {"project": []}
        }))
        .expect("wire");
        let record = AppRecord::from_wire(wire, "mgmt", &SharedStrings::default());
        assert_eq!(&*record.key.name, "bad");
        assert!(record.parse_error.is_some());
        assert_eq!(record.summary.health, HealthStatus::Unknown);
    }
}

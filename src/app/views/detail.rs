//! What an Application's detail shows, derived from the model: its resources as a tree
//! (workloads over their pods) with per-resource sync and health and where that health comes
//! from, its pods and containers (for logs), the current operation's per-resource results,
//! its history, its conditions and the recent warning events of its resources.
//!
//! Resource health comes from the Application when ArgoCD stores it there; otherwise it is
//! assessed with `domain::health` (ArgoCD's own rules) from the live objects the model
//! watches, or, for kinds the model does not watch (Services, PVCs, custom resources), from
//! one read of the object the detail view asks for ([`read_targets`]); "unknown" only when
//! none of that is possible, and then it says why.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::json;

use super::fmt::{
    age_of, age_of_text, health_glyph, health_role, short_revision, sync_glyph, sync_role,
};
use crate::app::effect::ResourceRef;
use crate::app::msg::ReadOutcome;
use crate::domain::argocd::{Application, HealthStatus, ResourceStatus, SyncStatus, parse_time};
use crate::domain::estate::AppSummary;
use crate::domain::health;
use crate::live::model::ConnectionData;
use crate::live::objects::{SlimWorkload, WorkloadKind};
use crate::live::{EstateModel, ObjKey, WatchKind};
use crate::theme::Role;
use crate::ui::table::{CellText, Column, SortKey, TableRow};

/// Where a resource's health came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HealthSource {
    /// `status.resources[].health` of the Application.
    ArgoCd,
    /// Assessed by the console from the live object it watches.
    Assessed,
    /// Assessed by the console from one read of the object (a kind it does not watch).
    Read,
    /// ArgoCD has no health check for the kind.
    NoCheck,
    /// Neither is available: why.
    Unknown(String),
}

/// One line of the resource tree.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceRow {
    pub key: String,
    /// 0 for managed resources, 1 for pods under their workload.
    pub depth: u8,
    /// A workload with pods: `Some(expanded)`.
    pub expandable: Option<bool>,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub sync: Option<SyncStatus>,
    pub health: Option<HealthStatus>,
    pub message: String,
    pub source: HealthSource,
}

impl ResourceRow {
    fn source_text(&self) -> Cow<'_, str> {
        match &self.source {
            HealthSource::ArgoCd => Cow::Borrowed("argocd"),
            HealthSource::Assessed => Cow::Borrowed("assessed"),
            HealthSource::Read => Cow::Borrowed("read"),
            HealthSource::NoCheck => Cow::Borrowed("no check"),
            HealthSource::Unknown(_) => Cow::Borrowed("unknown"),
        }
    }
}

pub const RESOURCE_COLUMNS: &[Column] = &[
    Column::new("RESOURCE")
        .width(20, 56)
        .highlights_filter()
        .unsortable(),
    Column::new("SYNC").width(9, 11).priority(1).unsortable(),
    Column::new("HEALTH").width(10, 13).unsortable(),
    Column::new("FROM").width(8, 8).priority(3).unsortable(),
    Column::new("MESSAGE")
        .width(10, 120)
        .priority(2)
        .unsortable(),
];

impl TableRow for ResourceRow {
    fn key(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.key)
    }

    fn cell(&self, column: usize) -> CellText<'_> {
        match column {
            0 => {
                let marker = match self.expandable {
                    Some(true) => "▾ ",
                    Some(false) => "▸ ",
                    None if self.depth > 0 => "    ",
                    None => "  ",
                };
                CellText::new(format!("{marker}{} {}", self.kind, self.name))
            }
            1 => match self.sync {
                Some(sync) => CellText::styled(
                    format!("{} {}", sync_glyph(sync), sync.as_str()),
                    sync_role(sync),
                ),
                None => CellText::styled("", Role::Muted),
            },
            2 => match (&self.health, &self.source) {
                (Some(h), _) => CellText::styled(
                    format!("{} {}", health_glyph(*h), h.as_str()),
                    health_role(*h),
                ),
                (None, HealthSource::NoCheck) => CellText::styled("-", Role::Muted),
                (None, _) => CellText::styled("? unknown", Role::Unknown),
            },
            3 => CellText::styled(self.source_text(), Role::Muted),
            _ => match &self.source {
                HealthSource::Unknown(why) if self.message.is_empty() => {
                    CellText::styled(why.as_str(), Role::Muted)
                }
                HealthSource::NoCheck if self.message.is_empty() => CellText::styled(
                    format!("ArgoCD has no health check for {}", self.kind),
                    Role::Muted,
                ),
                _ => CellText::new(self.message.as_str()),
            },
        }
    }

    fn filter_text(&self) -> Cow<'_, str> {
        Cow::Owned(format!("{} {} {}", self.kind, self.name, self.message))
    }
}

/// One (pod, container) the logs can be opened for.
#[derive(Debug, Clone, PartialEq)]
pub struct PodRow {
    pub key: String,
    pub namespace: String,
    pub pod: String,
    /// The workload the pod belongs to (a ReplicaSet's Deployment), if known.
    pub owner: Option<String>,
    pub container: Option<String>,
    pub ready: String,
    pub status: String,
    pub health: HealthStatus,
    pub restarts: u32,
    pub node: String,
    pub age: String,
}

pub const POD_COLUMNS: &[Column] = &[
    Column::new("POD").width(16, 48).highlights_filter(),
    Column::new("CONTAINER")
        .short("CTR")
        .width(6, 24)
        .priority(1),
    Column::new("READY").width(5, 5).priority(2),
    Column::new("STATUS").width(10, 20),
    Column::new("RESTARTS")
        .short("RST")
        .width(3, 8)
        .priority(2)
        .right(),
    Column::new("NODE").width(8, 40).priority(4),
    Column::new("AGE").width(3, 4).priority(3).right(),
];

impl TableRow for PodRow {
    fn key(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.key)
    }

    fn cell(&self, column: usize) -> CellText<'_> {
        match column {
            0 => CellText::new(self.pod.as_str()),
            1 => CellText::new(self.container.as_deref().unwrap_or("-")),
            2 => CellText::new(self.ready.as_str()),
            3 => CellText::styled(
                format!("{} {}", health_glyph(self.health), self.status),
                health_role(self.health),
            ),
            4 => {
                let role = if self.restarts > 0 {
                    Role::Warning
                } else {
                    Role::Text
                };
                CellText::styled(self.restarts.to_string(), role)
            }
            5 => CellText::new(self.node.as_str()),
            _ => CellText::styled(self.age.as_str(), Role::Muted),
        }
    }

    fn sort_key(&self, column: usize) -> SortKey<'_> {
        match column {
            4 => SortKey::Number(i64::from(self.restarts)),
            _ => SortKey::text(self.cell(column).text),
        }
    }
}

/// A resource's result in the current (or last) operation.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultRow {
    pub key: String,
    pub resource: String,
    pub status: String,
    pub phase: String,
    pub message: String,
    pub failed: bool,
}

pub const RESULT_COLUMNS: &[Column] = &[
    Column::new("RESOURCE").width(20, 48).highlights_filter(),
    Column::new("RESULT").width(8, 12),
    Column::new("PHASE").width(8, 11).priority(2),
    Column::new("MESSAGE").width(10, 120).priority(1),
];

impl TableRow for ResultRow {
    fn key(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.key)
    }

    fn cell(&self, column: usize) -> CellText<'_> {
        match column {
            0 => CellText::new(self.resource.as_str()),
            1 => CellText::styled(
                self.status.as_str(),
                if self.failed {
                    Role::Danger
                } else {
                    Role::Healthy
                },
            ),
            2 => CellText::styled(self.phase.as_str(), Role::Muted),
            _ => CellText::new(self.message.as_str()),
        }
    }
}

/// One deployment in the history.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryRow {
    pub key: String,
    pub id: i64,
    pub revision: String,
    pub deployed: String,
    pub deployed_at: String,
    pub initiated_by: String,
    pub current: bool,
}

pub const HISTORY_COLUMNS: &[Column] = &[
    Column::new("ID").width(3, 5).right(),
    Column::new("REVISION").short("REV").width(7, 12),
    Column::new("DEPLOYED").width(8, 8).right(),
    Column::new("AT").width(20, 20).priority(2),
    Column::new("INITIATED BY")
        .short("BY")
        .width(9, 30)
        .priority(1),
];

impl TableRow for HistoryRow {
    fn key(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.key)
    }

    fn cell(&self, column: usize) -> CellText<'_> {
        match column {
            0 => CellText::new(self.id.to_string()),
            1 => {
                let text = format!("{}{}", self.revision, if self.current { " ●" } else { "" });
                CellText::new(text)
            }
            2 => CellText::styled(self.deployed.as_str(), Role::Muted),
            3 => CellText::styled(self.deployed_at.as_str(), Role::Muted),
            _ => CellText::new(self.initiated_by.as_str()),
        }
    }

    fn sort_key(&self, column: usize) -> SortKey<'_> {
        match column {
            0 => SortKey::Number(self.id),
            _ => SortKey::text(self.cell(column).text),
        }
    }
}

/// A warning event about one of the Application's resources, or a condition.
#[derive(Debug, Clone, PartialEq)]
pub struct NoteRow {
    pub key: String,
    pub age: String,
    pub reason: String,
    pub object: String,
    pub count: u32,
    pub message: String,
    pub role: Role,
}

pub const EVENT_COLUMNS: &[Column] = &[
    Column::new("AGE").width(3, 4).right(),
    Column::new("REASON").width(8, 24),
    Column::new("OBJECT").width(10, 48).priority(2),
    Column::new("COUNT")
        .short("N")
        .width(3, 5)
        .priority(3)
        .right(),
    Column::new("MESSAGE").width(10, 160).priority(1),
];

impl TableRow for NoteRow {
    fn key(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.key)
    }

    fn cell(&self, column: usize) -> CellText<'_> {
        match column {
            0 => CellText::styled(self.age.as_str(), Role::Muted),
            1 => CellText::styled(self.reason.as_str(), self.role),
            2 => CellText::new(self.object.as_str()),
            3 => CellText::new(if self.count == 0 {
                String::new()
            } else {
                self.count.to_string()
            }),
            _ => CellText::new(self.message.as_str()),
        }
    }
}

/// Everything the detail shows, derived at one model revision.
#[derive(Debug, Clone, Default)]
pub struct DetailData {
    /// The Application exists in the model.
    pub found: bool,
    /// The whole object has arrived (resources, history and results need it).
    pub whole: bool,
    pub resources: Vec<ResourceRow>,
    pub pods: Vec<PodRow>,
    pub results: Vec<ResultRow>,
    pub history: Vec<HistoryRow>,
    pub events: Vec<NoteRow>,
    pub conditions: Vec<NoteRow>,
}

/// The group/version `apiVersion` of a resource reference.
fn api_version(group: &str, version: &str) -> String {
    let version = if version.is_empty() { "v1" } else { version };
    if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    }
}

/// Reads of resources the model does not watch, by [`ResourceRef::key`].
pub type Reads = HashMap<String, ReadOutcome>;

/// The workload kind the model watches for `resource`, if it is one.
fn watched_workload(resource: &ResourceStatus) -> Option<WorkloadKind> {
    (resource.group == "apps")
        .then(|| WorkloadKind::parse(&resource.kind))
        .flatten()
}

/// Whether ArgoCD has a health check for the resource's kind: its rules asked with an empty
/// object of that kind.
fn has_health_check(resource: &ResourceStatus) -> bool {
    let probe = json!({"apiVersion": api_version(&resource.group, &resource.version), "kind": resource.kind,
                       "metadata": {"name": resource.name, "namespace": resource.namespace}});
    health::assess(&probe).is_some()
}

/// A resource whose health only a read can tell: the Application carries none, ArgoCD checks
/// its kind, and the model does not watch it.
fn needs_read(resource: &ResourceStatus) -> bool {
    resource.health.as_ref().and_then(|h| h.status).is_none()
        && watched_workload(resource).is_none()
        && has_health_check(resource)
}

/// What a detail view must read to assess the health of `namespace/name`'s resources the
/// model does not watch: the destination's context and the resources; `None` when there is
/// nothing to read or no cluster to read it from.
pub fn read_targets(
    model: &EstateModel,
    namespace: &str,
    name: &str,
) -> Option<ReadRequestTargets> {
    let (summary, detail) = model.app(namespace, name)?;
    let cluster = model.cluster(summary.cluster.as_deref()?)?;
    let context = cluster.context.as_deref()?.to_string();
    let unpacked;
    let app: &Application = match model.full_app(namespace, name) {
        Some(whole) => whole.as_ref(),
        None => {
            unpacked = detail.basis.unpack();
            &unpacked
        }
    };
    let resources: Vec<ResourceRef> = app
        .status
        .resources
        .iter()
        .filter(|r| needs_read(r))
        .map(|r| ResourceRef {
            group: r.group.clone(),
            version: r.version.clone(),
            kind: r.kind.clone(),
            namespace: r.namespace.clone(),
            name: r.name.clone(),
        })
        .collect();
    (!resources.is_empty()).then_some(ReadRequestTargets { context, resources })
}

/// See [`read_targets`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadRequestTargets {
    pub context: String,
    pub resources: Vec<ResourceRef>,
}

/// What the console can say about a managed resource's health; `read` is the last read of
/// it, for kinds the model does not watch.
pub fn resource_health(
    resource: &ResourceStatus,
    connection: Result<&ConnectionData, String>,
    resource_health_source: &str,
    read: Option<&ReadOutcome>,
) -> (Option<HealthStatus>, String, HealthSource) {
    if let Some(info) = &resource.health
        && let Some(status) = info.status
    {
        return (Some(status), info.message.clone(), HealthSource::ArgoCd);
    }
    if !has_health_check(resource) {
        return (None, String::new(), HealthSource::NoCheck);
    }
    let not_stored = if resource_health_source == "appTree" {
        "ArgoCD keeps resource health in its app tree (resourceHealthSource: appTree)"
    } else {
        "the Application carries no health for it"
    };
    let Some(kind) = watched_workload(resource) else {
        return read_health(read, not_stored);
    };
    let connection = match connection {
        Ok(connection) => connection,
        Err(why) => {
            return (
                None,
                String::new(),
                HealthSource::Unknown(format!("{not_stored}, and {why}")),
            );
        }
    };
    let watch = match kind {
        WorkloadKind::Deployment => WatchKind::Deployments,
        WorkloadKind::StatefulSet => WatchKind::StatefulSets,
        WorkloadKind::DaemonSet => WatchKind::DaemonSets,
    };
    let listed = connection.watches.get(&watch).is_some_and(|w| w.listed);
    if !listed {
        return (
            None,
            String::new(),
            HealthSource::Unknown(format!(
                "{not_stored}, and {}s are not listed yet",
                resource.kind
            )),
        );
    }
    let key = ObjKey::new(
        Arc::from(resource.namespace.as_str()),
        Arc::from(resource.name.as_str()),
    );
    let Some(live) = connection
        .workloads
        .get(&kind)
        .and_then(|store| store.get(&key))
    else {
        let missing = health::ResourceHealth::missing();
        return (
            Some(missing.status),
            "not found on the cluster".into(),
            HealthSource::Assessed,
        );
    };
    let assessed = assess_workload(kind, &resource.name, live);
    (
        Some(assessed.status),
        assessed.message,
        HealthSource::Assessed,
    )
}

/// Health from a read of a resource the model does not watch.
fn read_health(
    read: Option<&ReadOutcome>,
    not_stored: &str,
) -> (Option<HealthStatus>, String, HealthSource) {
    match read {
        Some(ReadOutcome::Assessed(assessed)) => (
            Some(assessed.status),
            assessed.message.clone(),
            HealthSource::Read,
        ),
        Some(ReadOutcome::NoCheck) => (None, String::new(), HealthSource::NoCheck),
        Some(ReadOutcome::NotFound) => (
            Some(health::ResourceHealth::missing().status),
            "not found on the cluster".into(),
            HealthSource::Read,
        ),
        Some(ReadOutcome::Failed(why)) => (
            None,
            String::new(),
            HealthSource::Unknown(format!("{not_stored}, and reading it failed: {why}")),
        ),
        None => (
            None,
            String::new(),
            HealthSource::Unknown(format!(
                "{not_stored}, and it has not been read from the cluster yet"
            )),
        ),
    }
}

/// ArgoCD's verdict on a workload, from the fields the model keeps of it.
pub fn assess_workload(
    kind: WorkloadKind,
    name: &str,
    live: &SlimWorkload,
) -> health::ResourceHealth {
    let observed = if live.observed { 1 } else { 0 };
    let status = match kind {
        WorkloadKind::DaemonSet => json!({
            "observedGeneration": observed,
            "desiredNumberScheduled": live.desired,
            "updatedNumberScheduled": live.updated,
            "numberAvailable": live.available,
            "numberReady": live.ready,
        }),
        _ => json!({
            "observedGeneration": observed,
            "replicas": live.desired,
            "updatedReplicas": live.updated,
            "readyReplicas": live.ready,
            "availableReplicas": live.available,
            "currentReplicas": live.desired,
            "updatedRevision": "r",
            "currentRevision": "r",
            "conditions": if live.deadline_exceeded {
                json!([{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}])
            } else {
                json!([])
            },
        }),
    };
    let object = json!({
        "apiVersion": "apps/v1", "kind": kind.as_str(),
        "metadata": {"name": name, "generation": 1},
        "spec": {"replicas": live.desired, "paused": live.paused},
        "status": status,
    });
    health::assess(&object).unwrap_or_else(health::ResourceHealth::healthy)
}

/// The connection to an Application's destination, or why there is none.
fn destination<'a>(
    model: &'a EstateModel,
    summary: &AppSummary,
) -> Result<&'a ConnectionData, String> {
    let Some(name) = summary.cluster.as_deref() else {
        return Err(format!(
            "its destination {} is not a known cluster",
            summary.destination
        ));
    };
    let Some(cluster) = model.cluster(name) else {
        return Err(format!("cluster {name} is not known"));
    };
    let Some(context) = cluster.context.as_deref() else {
        return Err(format!("cluster {name} has no kubeconfig context"));
    };
    model
        .connection(context)
        .ok_or_else(|| format!("cluster {name} is not connected"))
}

/// Builds the detail of `namespace/name` at the model's current revision; workloads whose
/// key is in `collapsed` are shown without their pods; `reads` are the view's reads of
/// resources the model does not watch.
pub fn build(
    model: &EstateModel,
    namespace: &str,
    name: &str,
    collapsed: &BTreeSet<String>,
    reads: &Reads,
    now: DateTime<Utc>,
) -> DetailData {
    let Some((summary, detail)) = model.app(namespace, name) else {
        return DetailData::default();
    };
    let full = model.full_app(namespace, name);
    let unpacked;
    let app: &Application = match full {
        Some(whole) => whole.as_ref(),
        None => {
            unpacked = detail.basis.unpack();
            &unpacked
        }
    };
    let connection = destination(model, summary);
    let pods = pods(
        model,
        namespace,
        name,
        connection.as_ref().ok().copied(),
        now,
    );
    DetailData {
        found: true,
        whole: full.is_some(),
        resources: resources(
            app,
            connection.as_ref().map(|c| *c).map_err(Clone::clone),
            &pods,
            collapsed,
            reads,
        ),
        results: results(app),
        history: history(app, now),
        events: events(model, namespace, name, now),
        conditions: conditions(app, now),
        pods,
    }
}

fn resources(
    app: &Application,
    connection: Result<&ConnectionData, String>,
    pods: &[PodRow],
    collapsed: &BTreeSet<String>,
    reads: &Reads,
) -> Vec<ResourceRow> {
    let mut rows = Vec::new();
    for resource in &app.status.resources {
        let key = format!("{}/{}/{}", resource.kind, resource.namespace, resource.name);
        let (health, message, source) = resource_health(
            resource,
            connection.as_ref().map(|c| *c).map_err(Clone::clone),
            &app.status.resource_health_source,
            reads.get(&key),
        );
        let children: Vec<&PodRow> = if WorkloadKind::parse(&resource.kind).is_some() {
            pods.iter()
                .filter(|p| {
                    p.namespace == resource.namespace
                        && p.owner.as_deref() == Some(resource.name.as_str())
                })
                .filter(|p| first_container_of(pods, p))
                .collect()
        } else {
            Vec::new()
        };
        let open = !collapsed.contains(&key);
        rows.push(ResourceRow {
            key: key.clone(),
            depth: 0,
            expandable: (!children.is_empty()).then_some(open),
            kind: resource.kind.clone(),
            namespace: resource.namespace.clone(),
            name: resource.name.clone(),
            sync: resource.status,
            health,
            message,
            source,
        });
        if open {
            for pod in children {
                rows.push(ResourceRow {
                    key: format!("{key}/{}", pod.pod),
                    depth: 1,
                    expandable: None,
                    kind: "Pod".into(),
                    namespace: pod.namespace.clone(),
                    name: pod.pod.clone(),
                    sync: None,
                    health: Some(pod.health),
                    message: if pod.restarts > 0 {
                        format!("{}, {} restarts", pod.status, pod.restarts)
                    } else {
                        pod.status.clone()
                    },
                    source: HealthSource::Assessed,
                });
            }
        }
    }
    rows
}

/// A pod row is listed once per pod in the tree, at its first container.
fn first_container_of(pods: &[PodRow], row: &PodRow) -> bool {
    pods.iter()
        .find(|p| p.pod == row.pod && p.namespace == row.namespace)
        .is_some_and(|p| p.key == row.key)
}

fn pods(
    model: &EstateModel,
    namespace: &str,
    name: &str,
    connection: Option<&ConnectionData>,
    now: DateTime<Utc>,
) -> Vec<PodRow> {
    let mut rows = Vec::new();
    for (key, pod) in model.pods_of_app(namespace, name) {
        let containers: Vec<Option<String>> = connection
            .and_then(|c| {
                let owner = pod.owner.as_ref()?;
                let kind = match owner.kind {
                    crate::live::objects::OwnerKind::Deployment => WorkloadKind::Deployment,
                    crate::live::objects::OwnerKind::StatefulSet => WorkloadKind::StatefulSet,
                    crate::live::objects::OwnerKind::DaemonSet => WorkloadKind::DaemonSet,
                    _ => return None,
                };
                let workload_key = ObjKey::new(key.namespace.clone(), owner.name.clone());
                let workload = c.workloads.get(&kind)?.get(&workload_key)?;
                Some(
                    workload
                        .containers
                        .iter()
                        .map(|c| Some(c.to_string()))
                        .collect(),
                )
            })
            .filter(|c: &Vec<Option<String>>| !c.is_empty())
            .unwrap_or_else(|| vec![None]);
        let status = match pod.waiting.as_deref() {
            Some(reason) => reason.to_string(),
            None if pod.deleting => "Terminating".to_string(),
            None => pod.phase.as_str().to_string(),
        };
        let created = pod
            .created
            .and_then(|s| DateTime::<Utc>::from_timestamp(s, 0));
        for container in containers {
            rows.push(PodRow {
                key: format!(
                    "{}/{}/{}",
                    key.namespace,
                    key.name,
                    container.as_deref().unwrap_or("")
                ),
                namespace: key.namespace.to_string(),
                pod: key.name.to_string(),
                owner: pod.owner.as_ref().map(|o| o.name.to_string()),
                container,
                ready: format!("{}/{}", pod.ready_containers, pod.containers),
                status: status.clone(),
                health: pod.health(),
                restarts: pod.restarts,
                node: pod.node.as_deref().unwrap_or("-").to_string(),
                age: age_of(now, created),
            });
        }
    }
    rows
}

fn results(app: &Application) -> Vec<ResultRow> {
    let Some(state) = &app.status.operation_state else {
        return Vec::new();
    };
    let Some(result) = &state.sync_result else {
        return Vec::new();
    };
    result
        .resources
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let status = r
                .status
                .as_ref()
                .map_or("pending".to_string(), |s| s.as_str().to_string());
            ResultRow {
                key: format!("{i}/{}/{}/{}", r.kind, r.namespace, r.name),
                resource: format!("{} {}", r.kind, r.name),
                failed: status == "SyncFailed",
                status,
                phase: r
                    .hook_phase
                    .as_ref()
                    .map_or(String::new(), |p| p.as_str().to_string()),
                message: r.message.clone(),
            }
        })
        .collect()
}

fn history(app: &Application, now: DateTime<Utc>) -> Vec<HistoryRow> {
    let current = app.status.sync.as_ref().map(|s| s.revision.as_str());
    let mut rows: Vec<HistoryRow> = app
        .status
        .history
        .iter()
        .map(|h| HistoryRow {
            key: h.id.to_string(),
            id: h.id,
            revision: short_revision(&h.revision).to_string(),
            deployed: age_of_text(now, h.deployed_at.as_deref()),
            deployed_at: h
                .deployed_at
                .as_deref()
                .and_then(parse_time)
                .map_or("-".to_string(), |t| {
                    t.format("%Y-%m-%d %H:%M UTC").to_string()
                }),
            initiated_by: match &h.initiated_by {
                Some(by) if by.automated => "automated".to_string(),
                Some(by) if !by.username.is_empty() => by.username.clone(),
                _ => "-".to_string(),
            },
            current: current == Some(h.revision.as_str()),
        })
        .collect();
    rows.reverse();
    rows
}

fn events(model: &EstateModel, namespace: &str, name: &str, now: DateTime<Utc>) -> Vec<NoteRow> {
    model
        .events_of_app(namespace, name)
        .into_iter()
        .take(200)
        .enumerate()
        .map(|(i, e)| NoteRow {
            key: format!("{i}/{}/{}", e.involved_name, e.reason),
            age: age_of(now, e.last_seen),
            reason: e.reason.to_string(),
            object: format!("{} {}", e.involved_kind, e.involved_name),
            count: e.count,
            message: e.message.to_string(),
            role: Role::Warning,
        })
        .collect()
}

fn conditions(app: &Application, now: DateTime<Utc>) -> Vec<NoteRow> {
    app.status
        .conditions
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let kind = c
                .kind
                .as_ref()
                .map_or("Condition", |k| k.as_str())
                .to_string();
            let role = match c.severity() {
                crate::domain::argocd::ConditionSeverity::Error => Role::Danger,
                crate::domain::argocd::ConditionSeverity::Warning => Role::Warning,
                crate::domain::argocd::ConditionSeverity::Info => Role::Text,
            };
            NoteRow {
                key: format!("{i}/{kind}"),
                age: age_of_text(now, c.last_transition_time.as_deref()),
                reason: kind,
                object: String::new(),
                count: 0,
                message: c.message.clone(),
                role,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::objects::WorkloadKind;

    fn workload(desired: u32, ready: u32, updated: u32, observed: bool) -> SlimWorkload {
        SlimWorkload {
            kind: WorkloadKind::Deployment,
            ready,
            desired,
            updated,
            available: ready,
            observed,
            paused: false,
            deadline_exceeded: false,
            containers: Box::new([]),
        }
    }

    #[test]
    fn a_stuck_rollout_is_degraded_and_a_paused_one_suspended_as_argocd_says() {
        let stuck = SlimWorkload {
            deadline_exceeded: true,
            ..workload(3, 1, 1, true)
        };
        let assessed = assess_workload(WorkloadKind::Deployment, "web", &stuck);
        assert_eq!(assessed.status, HealthStatus::Degraded);
        assert!(
            assessed.message.contains("progress deadline"),
            "{}",
            assessed.message
        );
        let paused = SlimWorkload {
            paused: true,
            ..workload(3, 1, 1, true)
        };
        let assessed = assess_workload(WorkloadKind::Deployment, "web", &paused);
        assert_eq!(assessed.status, HealthStatus::Suspended);
    }

    #[test]
    fn workloads_are_assessed_with_argocd_rules() {
        let healthy = assess_workload(WorkloadKind::Deployment, "web", &workload(2, 2, 2, true));
        assert_eq!(healthy.status, HealthStatus::Healthy);
        let rolling = assess_workload(WorkloadKind::Deployment, "web", &workload(3, 1, 1, true));
        assert_eq!(rolling.status, HealthStatus::Progressing);
        assert!(
            rolling.message.contains("Waiting for rollout"),
            "{}",
            rolling.message
        );
        let unobserved =
            assess_workload(WorkloadKind::Deployment, "web", &workload(1, 1, 1, false));
        assert_eq!(unobserved.status, HealthStatus::Progressing);
    }

    /// A managed resource `ns/x` of `kind` in `group`, as `status.resources[]` lists it.
    fn resource(kind: &str, group: &str) -> ResourceStatus {
        ResourceStatus {
            group: group.into(),
            version: "v1".into(),
            kind: kind.into(),
            namespace: "ns".into(),
            name: "x".into(),
            ..ResourceStatus::default()
        }
    }

    #[test]
    fn kinds_without_a_check_say_so_and_unwatched_kinds_say_why() {
        let (health, _, source) = resource_health(
            &resource("ConfigMap", ""),
            Err("no".into()),
            "appTree",
            None,
        );
        assert_eq!((health, source), (None, HealthSource::NoCheck));
        let (health, _, source) =
            resource_health(&resource("Service", ""), Err("no".into()), "appTree", None);
        assert_eq!(health, None);
        let HealthSource::Unknown(why) = source else {
            panic!("unknown expected");
        };
        assert!(
            why.contains("appTree") && why.contains("not been read"),
            "{why}"
        );
        let (_, _, source) = resource_health(
            &resource("Deployment", "apps"),
            Err("cluster k8tre-prd has no kubeconfig context".into()),
            "",
            None,
        );
        let HealthSource::Unknown(why) = source else {
            panic!("unknown expected");
        };
        assert!(why.contains("no kubeconfig context"), "{why}");
    }

    #[test]
    fn unwatched_kinds_take_their_health_from_a_read() {
        let service = resource("Service", "");
        let healthy = ReadOutcome::Assessed(health::ResourceHealth::healthy());
        let (health, _, source) = resource_health(&service, Err("no".into()), "", Some(&healthy));
        assert_eq!(
            (health, source),
            (Some(HealthStatus::Healthy), HealthSource::Read)
        );
        let (health, message, _) =
            resource_health(&service, Err("no".into()), "", Some(&ReadOutcome::NotFound));
        assert_eq!(health, Some(HealthStatus::Missing));
        assert_eq!(message, "not found on the cluster");
        let failed = ReadOutcome::Failed("services \"x\" is forbidden".into());
        let (health, _, source) = resource_health(&service, Err("no".into()), "", Some(&failed));
        assert_eq!(health, None);
        let HealthSource::Unknown(why) = source else {
            panic!("unknown expected");
        };
        assert!(
            why.contains("reading it failed") && why.contains("forbidden"),
            "{why}"
        );
    }

    #[test]
    fn only_unwatched_kinds_with_a_check_and_no_stored_health_are_read() {
        assert!(needs_read(&resource("Service", "")));
        assert!(needs_read(&resource("PersistentVolumeClaim", "")));
        assert!(!needs_read(&resource("ConfigMap", "")), "no health check");
        assert!(!needs_read(&resource("Deployment", "apps")), "watched");
        let stored = ResourceStatus {
            health: Some(crate::domain::argocd::HealthInfo {
                status: Some(HealthStatus::Healthy),
                ..Default::default()
            }),
            ..resource("Service", "")
        };
        assert!(!needs_read(&stored), "ArgoCD stored its health");
    }
}

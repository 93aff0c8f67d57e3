//! The model printed: the stable JSON/YAML document of `k8tre-console status`.
//!
//! Field names are camelCase and only ever added to. Unknown facts are `null`, never `false`.
//! States are lower-case words: clusters `connecting | live | stale | reconnecting |
//! unreachable | forbidden | no-context`; cells `empty | healthy | warning | progressing |
//! suspended | missing | degraded | unknown | stale`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::model::{ConnectionData, EstateModel, ExpectedView};
use crate::domain::argocd::{HealthStatus, SyncStatus, format_time};
use crate::domain::catalog::CatalogSource;
use crate::domain::estate::{
    AppSummary, CellState, Cluster, ConnectionState, DataState, Rollup, Unavailable, Verdict,
    Workload, corroboration,
};
use crate::domain::layer::Layer;
use crate::domain::preflight::{GATEWAY_API_CRDS, PreflightReport};

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct StatusReport {
    pub generated_at: String,
    /// Every needed watch listed once (false: printed at the timeout, with what was known).
    pub complete: bool,
    pub management: ManagementReport,
    pub catalog: CatalogReport,
    pub clusters: Vec<ClusterReport>,
    pub matrix: MatrixReport,
    pub applications: Vec<AppReport>,
    pub expected: ExpectedReport,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ManagementReport {
    pub context: String,
    pub cluster: String,
    pub namespace: String,
    pub selected_by: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CatalogReport {
    /// `repo` (a checkout) or `cluster` (the ApplicationSets on the management cluster).
    pub source: Option<String>,
    /// The checkout's path, or the management context.
    pub location: Option<String>,
    pub components: Vec<ComponentReport>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ComponentReport {
    pub name: String,
    pub layer: Option<Layer>,
    pub applicationset: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ClusterReport {
    pub name: String,
    pub environment: Option<String>,
    pub vendor: Option<String>,
    pub context: Option<String>,
    pub server: String,
    pub roles: Vec<&'static str>,
    pub state: &'static str,
    /// The error behind `reconnecting` / `unreachable`, or what was refused.
    pub error: Option<String>,
    pub since: Option<String>,
    pub last_event_age_seconds: Option<i64>,
    pub stale: bool,
    /// How the context was found (`API server URL`, `config clusters mapping`, ...).
    pub matched_by: Option<&'static str>,
    pub labels: Option<BTreeMap<String, String>>,
    pub facts: FactsReport,
    pub checks: Vec<CheckReport>,
    pub watches: Vec<WatchReport>,
    pub access: AccessReport,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct FactsReport {
    pub kubernetes_version: Option<String>,
    pub vendor_detected: Option<String>,
    pub nodes_ready: Option<u32>,
    pub nodes_total: Option<u32>,
    pub cilium: CiliumReport,
    pub kube_proxy_present: Option<bool>,
    pub gateway_api_crds: Option<Vec<String>>,
    /// Every CRD K8TRE needs is present.
    pub gateway_api_crds_present: Option<bool>,
    pub default_storage_class: Option<String>,
    pub storage_classes: Option<Vec<String>>,
    /// ArgoCD's Deployments and StatefulSets (management clusters).
    pub argocd_components: Option<ComponentsReady>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CiliumReport {
    pub installed: Option<bool>,
    pub l7_proxy: Option<String>,
    pub gateway_api: Option<String>,
    pub kube_proxy_replacement: Option<String>,
    pub ipam: Option<String>,
    pub agent: Option<String>,
    pub operator: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ComponentsReady {
    pub ready: u32,
    pub total: u32,
    pub not_ready: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CheckReport {
    pub id: &'static str,
    pub group: &'static str,
    pub outcome: &'static str,
    pub why: String,
    pub advice: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct WatchReport {
    pub watch: &'static str,
    pub resource: &'static str,
    pub state: &'static str,
    pub listed: bool,
    pub error: Option<String>,
    pub last_event_age_seconds: Option<i64>,
    pub relists: u32,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AccessReport {
    /// Every checked write is allowed (`null`: not checked or not answered).
    pub writable: Option<bool>,
    pub forbidden_writes: Vec<String>,
    pub forbidden_reads: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MatrixReport {
    pub environments: Vec<String>,
    pub layers: Vec<LayerRow>,
    pub components: Vec<ComponentRowReport>,
    /// Applications outside any layer × environment (e.g. `root-app-of-apps`).
    pub unplaced: u32,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct LayerRow {
    pub layer: Layer,
    pub cells: Vec<CellReport>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ComponentRowReport {
    pub layer: Layer,
    pub component: String,
    pub cells: Vec<CellReport>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CellReport {
    pub environment: String,
    pub state: &'static str,
    /// The data behind the cell is live and fresh (false for `stale`, and for `unknown` that
    /// comes from a cluster the console cannot read).
    pub current: bool,
    /// Human text: `Degraded`, `Stale (Healthy)`, `Unknown (unreachable)`.
    pub detail: String,
    /// The last verdict before the data went stale.
    pub last_known: Option<&'static str>,
    pub applications: u32,
    /// Non-zero health counts, worst first.
    pub health: Vec<Count>,
    pub out_of_sync: u32,
    pub checks: Option<ChecksReport>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Count {
    pub status: &'static str,
    pub count: u32,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ChecksReport {
    pub pass: u32,
    pub warn: u32,
    pub unknown: u32,
    pub fail: u32,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AppReport {
    pub name: String,
    pub namespace: String,
    pub project: String,
    pub environment: Option<String>,
    pub cluster: Option<String>,
    pub layer: Option<Layer>,
    pub component: Option<String>,
    pub sync: &'static str,
    pub health: &'static str,
    pub health_message: Option<String>,
    pub revision: Option<String>,
    pub target_revision: Option<String>,
    pub auto_sync: bool,
    pub operation_phase: Option<String>,
    pub applicationset: Option<String>,
    pub path: Option<String>,
    pub destination: String,
    pub destination_namespace: String,
    /// ArgoCD's report of it is current: the management cluster is live and fresh, and its
    /// destination cluster was not lost (unreachable, forbidden, stale).
    pub current: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ExpectedReport {
    pub available: bool,
    pub reason: Option<String>,
    pub missing: Vec<MissingApp>,
    pub unexpected: Vec<UnexpectedApp>,
    /// Present and owned by an ApplicationSet that could not be evaluated.
    pub unverified: Vec<UnexpectedApp>,
    pub errors: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MissingApp {
    pub name: String,
    pub namespace: String,
    pub applicationset: String,
    pub cluster: Option<String>,
    pub path: Option<String>,
    pub layer: Option<Layer>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct UnexpectedApp {
    pub name: String,
    pub namespace: String,
    pub applicationset: Option<String>,
}

/// Conditions `status --fail-on` can trip on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    /// An Application is Degraded or Missing, or a cell's live verdict is Degraded.
    Degraded,
    /// An Application is OutOfSync, or an expected Application is missing.
    OutOfSync,
    /// A cluster's data is not live and fresh, or a cell is stale or unknown.
    Stale,
}

impl StatusReport {
    /// Builds the report from a refreshed model.
    pub fn build(
        model: &EstateModel,
        now: DateTime<Utc>,
        complete: bool,
        selected_by: &str,
    ) -> StatusReport {
        let management = model
            .cluster(model.management_name())
            .map_or(DataState::Unavailable(Unavailable::UnknownCluster), |c| {
                c.data_state(now)
            });
        let current = |app: &AppSummary| {
            let destination = app
                .cluster
                .as_deref()
                .and_then(|c| model.cluster(c))
                .map_or(DataState::Live, |c| corroboration(c.data_state(now)));
            management.worst(destination) == DataState::Live
        };
        let mut apps: Vec<&AppSummary> = model.apps().iter().collect();
        apps.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
        let mut warnings = model.warnings();
        if !complete {
            warnings.push("printed before every watch had listed once: missing data is shown as connecting or unknown".into());
        }
        StatusReport {
            generated_at: format_time(now),
            complete,
            management: ManagementReport {
                context: model.management_context().to_string(),
                cluster: model.management_name().to_string(),
                namespace: model.settings().argocd_namespace.to_string(),
                selected_by: selected_by.to_string(),
            },
            catalog: catalog_report(model),
            clusters: model
                .clusters()
                .iter()
                .map(|c| cluster_report(model, c, now))
                .collect(),
            matrix: matrix_report(model),
            applications: apps
                .into_iter()
                .map(|a| app_report(a, current(a)))
                .collect(),
            expected: expected_report(model),
            warnings,
        }
    }

    /// Why `--fail-on` trips, one line per reason; empty when it does not.
    pub fn trips(&self, on: &[FailOn]) -> Vec<String> {
        let mut out = Vec::new();
        for condition in on {
            match condition {
                FailOn::Degraded => {
                    for app in &self.applications {
                        if app.health == HealthStatus::Degraded.as_str()
                            || app.health == HealthStatus::Missing.as_str()
                        {
                            out.push(format!(
                                "Application {}/{} is {}",
                                app.namespace, app.name, app.health
                            ));
                        }
                    }
                    for (layer, cell) in self.cells() {
                        if cell.state == "degraded" {
                            out.push(format!("{layer} × {} is degraded", cell.environment));
                        }
                    }
                }
                FailOn::OutOfSync => {
                    for app in &self.applications {
                        if app.sync == SyncStatus::OutOfSync.as_str() {
                            out.push(format!(
                                "Application {}/{} is OutOfSync",
                                app.namespace, app.name
                            ));
                        }
                    }
                    for missing in &self.expected.missing {
                        out.push(format!(
                            "expected Application {}/{} is missing",
                            missing.namespace, missing.name
                        ));
                    }
                }
                FailOn::Stale => {
                    for cluster in &self.clusters {
                        if cluster.state != "live" {
                            out.push(format!("cluster {} is {}", cluster.name, cluster.state));
                        }
                    }
                    for (layer, cell) in self.cells() {
                        if matches!(cell.state, "stale")
                            || (cell.state == "unknown" && cell.health.is_empty())
                        {
                            out.push(format!("{layer} × {} is {}", cell.environment, cell.detail));
                        }
                    }
                }
            }
        }
        out
    }

    fn cells(&self) -> impl Iterator<Item = (Layer, &CellReport)> {
        self.matrix
            .layers
            .iter()
            .flat_map(|row| row.cells.iter().map(move |c| (row.layer, c)))
    }
}

fn catalog_report(model: &EstateModel) -> CatalogReport {
    let Some(view) = model.catalog() else {
        return CatalogReport {
            source: None,
            location: None,
            components: Vec::new(),
            warnings: Vec::new(),
        };
    };
    let (source, location) = match &view.catalog.source {
        Some(CatalogSource::Repo { path }) => (Some("repo".to_string()), Some(path.clone())),
        Some(CatalogSource::Cluster { context }) => {
            (Some("cluster".to_string()), Some(context.clone()))
        }
        None => (None, None),
    };
    CatalogReport {
        source,
        location,
        components: view
            .catalog
            .components
            .iter()
            .map(|c| ComponentReport {
                name: c.name.clone(),
                layer: c.layer,
                applicationset: c.applicationset.clone(),
            })
            .collect(),
        warnings: view
            .catalog
            .warnings
            .iter()
            .map(ToString::to_string)
            .collect(),
    }
}

fn cluster_state(
    cluster: &Cluster,
    now: DateTime<Utc>,
) -> (&'static str, Option<String>, Option<String>) {
    match &cluster.connection {
        ConnectionState::Connecting => ("connecting", None, None),
        ConnectionState::NoContext => ("no-context", None, None),
        ConnectionState::Forbidden { verb, resource } => {
            ("forbidden", Some(format!("{verb} {resource}")), None)
        }
        ConnectionState::Reconnecting { error, since } => (
            "reconnecting",
            Some(error.clone()),
            Some(format_time(*since)),
        ),
        ConnectionState::Unreachable { error, since } => (
            "unreachable",
            Some(error.clone()),
            Some(format_time(*since)),
        ),
        ConnectionState::Live if cluster.freshness.is_stale(now) => (
            "stale",
            None,
            cluster.freshness.last_event_at.map(format_time),
        ),
        ConnectionState::Live => ("live", None, None),
    }
}

fn cluster_report(model: &EstateModel, cluster: &Cluster, now: DateTime<Utc>) -> ClusterReport {
    let (state, error, since) = cluster_state(cluster, now);
    let connection = cluster.context.as_deref().and_then(|c| model.connection(c));
    let mut roles = Vec::new();
    if cluster.role.management {
        roles.push("management");
    }
    if cluster.role.target {
        roles.push("target");
    }
    let report = model
        .preflight()
        .iter()
        .find(|r| r.cluster == *cluster.name);
    ClusterReport {
        name: cluster.name.to_string(),
        environment: cluster.environment().map(|e| e.to_string()),
        vendor: cluster.vendor().map(|v| v.to_string()),
        context: cluster.context.clone(),
        server: cluster.server.clone(),
        roles,
        state,
        error,
        since,
        last_event_age_seconds: cluster.freshness.age(now).map(|d| d.num_seconds()),
        stale: cluster.data_state(now) != DataState::Live,
        matched_by: model
            .link(&cluster.name)
            .and_then(|l| l.rule)
            .map(|r| r.as_str()),
        labels: cluster.labels.clone(),
        facts: facts_report(cluster),
        checks: report.map(checks_report).unwrap_or_default(),
        watches: connection
            .map(|c| watches_report(c, now))
            .unwrap_or_default(),
        access: connection.map(access_report).unwrap_or_default(),
    }
}

fn facts_report(cluster: &Cluster) -> FactsReport {
    let facts = &cluster.facts;
    let workload = |w: Option<crate::domain::estate::Workload>| {
        w.map(|w| match w {
            Workload::Absent => "absent".to_string(),
            Workload::Present(r) => r.to_string(),
        })
    };
    FactsReport {
        kubernetes_version: facts.kubernetes_version.clone(),
        vendor_detected: facts.vendor.as_ref().map(|v| v.to_string()),
        nodes_ready: facts.nodes_ready,
        nodes_total: facts.nodes_total,
        cilium: CiliumReport {
            installed: facts.cilium.present,
            l7_proxy: facts.cilium.l7_proxy.clone(),
            gateway_api: facts.cilium.gateway_api.clone(),
            kube_proxy_replacement: facts.cilium.kube_proxy_replacement.clone(),
            ipam: facts.cilium.ipam_mode.clone(),
            agent: workload(facts.cilium.daemonset),
            operator: workload(facts.cilium.operator),
        },
        kube_proxy_present: facts.kube_proxy_daemonset_present,
        gateway_api_crds: facts.gateway_api_crds.clone(),
        gateway_api_crds_present: facts
            .gateway_api_crds
            .as_ref()
            .map(|crds| GATEWAY_API_CRDS.iter().all(|c| crds.iter().any(|x| x == c))),
        default_storage_class: facts.default_storage_class().map(|s| s.name.clone()),
        storage_classes: facts
            .storage_classes
            .as_ref()
            .map(|s| s.iter().map(|c| c.name.clone()).collect()),
        argocd_components: facts.argocd.as_ref().map(|a| {
            let not_ready: Vec<String> = a
                .workloads
                .iter()
                .filter(|(_, r)| !r.is_ready())
                .map(|(n, r)| format!("{n} {r}"))
                .collect();
            let total = u32::try_from(a.workloads.len()).unwrap_or(u32::MAX);
            ComponentsReady {
                ready: total.saturating_sub(u32::try_from(not_ready.len()).unwrap_or(u32::MAX)),
                total,
                not_ready,
            }
        }),
    }
}

fn checks_report(report: &PreflightReport) -> Vec<CheckReport> {
    report
        .checks
        .iter()
        .map(|c| CheckReport {
            id: c.id,
            group: c.group,
            outcome: c.outcome.as_str(),
            why: c.why.clone(),
            advice: c.advice.clone(),
        })
        .collect()
}

fn watches_report(connection: &ConnectionData, now: DateTime<Utc>) -> Vec<WatchReport> {
    use super::model::WatchPhase;
    connection
        .watches
        .iter()
        .map(|(kind, status)| WatchReport {
            watch: kind.as_str(),
            resource: kind.resource(),
            state: status.state(),
            listed: status.listed,
            error: match &status.phase {
                WatchPhase::Failing { failure, .. } => Some(failure.to_string()),
                WatchPhase::Forbidden { verb, message } => Some(format!("{verb}: {message}")),
                _ => None,
            },
            last_event_age_seconds: status.last_activity.map(|t| (now - t).num_seconds()),
            relists: status.relists,
        })
        .collect()
}

fn access_report(connection: &ConnectionData) -> AccessReport {
    let forbidden_writes: Vec<String> = connection
        .access
        .iter()
        .filter(|(_, allowed)| **allowed == Some(false))
        .map(|(check, _)| check.to_string())
        .collect();
    let writable =
        if connection.access.is_empty() || connection.access.values().any(Option::is_none) {
            None
        } else {
            Some(forbidden_writes.is_empty())
        };
    AccessReport {
        writable,
        forbidden_writes,
        forbidden_reads: connection
            .forbidden()
            .into_iter()
            .map(|(verb, resource)| format!("{verb} {resource}"))
            .collect(),
    }
}

fn matrix_report(model: &EstateModel) -> MatrixReport {
    let Some(matrix) = model.matrix() else {
        return MatrixReport {
            environments: Vec::new(),
            layers: Vec::new(),
            components: Vec::new(),
            unplaced: 0,
        };
    };
    let cell = |env: &crate::domain::env::Environment, rollup: &Rollup, layer: Layer| {
        cell_report(env.as_str(), rollup, layer)
    };
    MatrixReport {
        environments: matrix.environments.iter().map(|e| e.to_string()).collect(),
        layers: Layer::ALL
            .iter()
            .map(|layer| LayerRow {
                layer: *layer,
                cells: matrix
                    .environments
                    .iter()
                    .filter_map(|env| matrix.cell(*layer, env).map(|r| cell(env, r, *layer)))
                    .collect(),
            })
            .collect(),
        components: matrix
            .components
            .iter()
            .map(|row| ComponentRowReport {
                layer: row.layer,
                component: row.component.to_string(),
                cells: matrix
                    .environments
                    .iter()
                    .zip(&row.cells)
                    .map(|(env, r)| cell(env, r, row.layer))
                    .collect(),
            })
            .collect(),
        unplaced: matrix.unplaced,
    }
}

fn verdict_word(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Warning => "warning",
        Verdict::Health(h) => health_word(h),
    }
}

fn health_word(health: HealthStatus) -> &'static str {
    match health {
        HealthStatus::Healthy => "healthy",
        HealthStatus::Progressing => "progressing",
        HealthStatus::Suspended => "suspended",
        HealthStatus::Missing => "missing",
        HealthStatus::Degraded => "degraded",
        HealthStatus::Unknown => "unknown",
    }
}

fn cell_report(environment: &str, rollup: &Rollup, layer: Layer) -> CellReport {
    let (state, last_known) = match rollup.state {
        CellState::Empty => ("empty", None),
        CellState::Live(verdict) => (verdict_word(verdict), None),
        CellState::Stale { last_known, .. } => ("stale", last_known.map(verdict_word)),
        CellState::Unknown(_) => ("unknown", None),
    };
    let checks = rollup.checks;
    CellReport {
        environment: environment.to_string(),
        state,
        current: rollup.state.is_current(),
        detail: rollup.state.to_string(),
        last_known,
        applications: rollup.apps(),
        health: rollup
            .health
            .worst_first()
            .map(|(status, count)| Count {
                status: status.as_str(),
                count,
            })
            .collect(),
        out_of_sync: rollup.out_of_sync,
        checks: (layer == Layer::Infrastructure).then_some(ChecksReport {
            pass: checks.pass,
            warn: checks.warn,
            unknown: checks.unknown,
            fail: checks.fail,
        }),
    }
}

fn app_report(app: &AppSummary, current: bool) -> AppReport {
    AppReport {
        name: app.name.to_string(),
        namespace: app.namespace.to_string(),
        project: app.project.to_string(),
        environment: app.environment.as_ref().map(|e| e.to_string()),
        cluster: app.cluster.as_deref().map(str::to_string),
        layer: app.layer,
        component: app.component.as_deref().map(str::to_string),
        sync: app.sync.as_str(),
        health: app.health.as_str(),
        health_message: app.health_message.as_deref().map(str::to_string),
        revision: app.revision.as_deref().map(str::to_string),
        target_revision: app.target_revision.as_deref().map(str::to_string),
        auto_sync: app.auto_sync.enabled,
        operation_phase: app.operation.as_ref().map(|o| o.phase.as_str().to_string()),
        applicationset: app.appset.as_deref().map(str::to_string),
        path: app.path.as_deref().map(str::to_string),
        destination: app.destination.to_string(),
        destination_namespace: app.destination_namespace.to_string(),
        current,
    }
}

fn expected_report(model: &EstateModel) -> ExpectedReport {
    let mut errors: Vec<String> = model
        .repo()
        .map(|r| {
            r.errors
                .iter()
                .map(ToString::to_string)
                .chain(r.unreadable.iter().map(|f| format!("{f}: cannot be read")))
                .collect()
        })
        .unwrap_or_default();
    match model.expected() {
        ExpectedView::Unavailable { reason } => ExpectedReport {
            available: false,
            reason: Some(reason.clone()),
            missing: Vec::new(),
            unexpected: Vec::new(),
            unverified: Vec::new(),
            errors,
        },
        ExpectedView::Pending => ExpectedReport {
            available: false,
            reason: Some("ArgoCD's cluster Secrets have not been listed".into()),
            missing: Vec::new(),
            unexpected: Vec::new(),
            unverified: Vec::new(),
            errors,
        },
        ExpectedView::Ready { report, diff } => {
            errors.extend(report.errors.iter().map(ToString::to_string));
            let unexpected = |apps: &[crate::domain::appset::ActualApplication]| {
                apps.iter()
                    .map(|a| UnexpectedApp {
                        name: a.name.clone(),
                        namespace: a.namespace.clone(),
                        applicationset: a.applicationset_owner.clone(),
                    })
                    .collect()
            };
            ExpectedReport {
                available: true,
                reason: None,
                missing: diff
                    .missing
                    .iter()
                    .map(|a| MissingApp {
                        name: a.name.clone(),
                        namespace: a.namespace.clone(),
                        applicationset: a.applicationset.clone(),
                        cluster: a.cluster_name.clone(),
                        path: a.source_path.clone(),
                        layer: a.layer,
                    })
                    .collect(),
                unexpected: unexpected(&diff.unexpected),
                unverified: unexpected(&diff.unverified),
                errors,
            }
        }
    }
}

/// Applications worst first (for tables).
pub fn worst_first(report: &StatusReport) -> Vec<&AppReport> {
    let mut apps: Vec<&AppReport> = report.applications.iter().collect();
    let rank = |a: &AppReport| {
        let health = HealthStatus::ALL
            .iter()
            .find(|h| h.as_str() == a.health)
            .map_or(0, |h| h.severity());
        let sync = match a.sync {
            "Unknown" => 2,
            "OutOfSync" => 1,
            _ => 0,
        };
        (
            std::cmp::Reverse(health),
            std::cmp::Reverse(sync),
            a.name.clone(),
        )
    };
    apps.sort_by_key(|a| rank(a));
    apps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_from_an_unreadable_cluster_is_not_current() {
        use crate::domain::estate::Unavailable;
        let mut rollup = Rollup {
            state: CellState::Unknown(Unavailable::Forbidden),
            health: Default::default(),
            sync: Default::default(),
            checks: Default::default(),
            out_of_sync: 0,
            operations_running: 0,
            operations_failed: 0,
            auto_sync_off: 0,
        };
        rollup.health.add(HealthStatus::Healthy);
        let cell = cell_report("prd", &rollup, Layer::Application);
        assert_eq!((cell.state, cell.current), ("unknown", false));
        assert_eq!(cell.applications, 1, "counts kept for context");
        rollup.state = CellState::Live(Verdict::Health(HealthStatus::Unknown));
        let cell = cell_report("prd", &rollup, Layer::Application);
        assert_eq!(
            (cell.state, cell.current),
            ("unknown", true),
            "ArgoCD says Unknown: a fact"
        );
        assert!(cell.checks.is_none());
    }

    #[test]
    fn words_for_cells() {
        assert_eq!(verdict_word(Verdict::Warning), "warning");
        assert_eq!(health_word(HealthStatus::Degraded), "degraded");
    }
}

//! Roll-ups per layer × environment cell (and per component × environment), worst first.
//!
//! A cell is only as current as the data behind it. Infrastructure cells are built from the
//! preflight checks of the environment's target clusters, so they follow those clusters'
//! connection state. Agnostics and Application cells are built from Applications, which are
//! read from the management cluster(s) where ArgoCD runs, so they follow the state of those
//! clusters. A target cluster without a kubeconfig context does not make ArgoCD's report of it
//! less current (the console never had another view of it). But a target the console *lost*
//! (unreachable, forbidden, or gone quiet) makes ArgoCD's report of its Applications
//! uncorroborated: those Applications count as `Stale`, keeping their last verdict for
//! context, as ArgoCD may not have noticed yet. Either way a cell whose data is stale or
//! unavailable is never shown Healthy: it is `Stale` or `Unknown`.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::app::AppSummary;
use super::cluster::{Cluster, DataState, Unavailable};
use crate::domain::argocd::{HealthStatus, SyncStatus};
use crate::domain::env::Environment;
use crate::domain::layer::Layer;
use crate::domain::preflight::{Check, Outcome, PreflightReport};

/// Applications per health code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HealthCounts([u32; 6]);

impl HealthCounts {
    pub fn add(&mut self, status: HealthStatus) {
        self.0[status.severity()] += 1;
    }

    pub fn get(&self, status: HealthStatus) -> u32 {
        self.0[status.severity()]
    }

    pub fn total(&self) -> u32 {
        self.0.iter().sum()
    }

    pub fn worst(&self) -> Option<HealthStatus> {
        self.worst_first().next().map(|(status, _)| status)
    }

    /// Non-zero counts, worst code first.
    pub fn worst_first(&self) -> impl Iterator<Item = (HealthStatus, u32)> + '_ {
        HealthStatus::ALL
            .iter()
            .rev()
            .map(|s| (*s, self.get(*s)))
            .filter(|(_, n)| *n > 0)
    }
}

/// Applications per sync status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SyncCounts([u32; 3]);

impl SyncCounts {
    pub fn add(&mut self, status: SyncStatus) {
        self.0[status.index()] += 1;
    }

    pub fn get(&self, status: SyncStatus) -> u32 {
        self.0[status.index()]
    }

    pub fn total(&self) -> u32 {
        self.0.iter().sum()
    }
}

/// Preflight checks per outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CheckCounts {
    pub pass: u32,
    pub warn: u32,
    pub unknown: u32,
    pub fail: u32,
}

impl CheckCounts {
    pub fn add(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Pass => self.pass += 1,
            Outcome::Warn => self.warn += 1,
            Outcome::Unknown => self.unknown += 1,
            Outcome::Fail => self.fail += 1,
        }
    }

    pub fn total(&self) -> u32 {
        self.pass + self.warn + self.unknown + self.fail
    }

    /// A known failure outranks not knowing: the failure is what needs fixing.
    fn verdict(&self) -> Option<Verdict> {
        if self.fail > 0 {
            Some(Verdict::Health(HealthStatus::Degraded))
        } else if self.unknown > 0 {
            Some(Verdict::Health(HealthStatus::Unknown))
        } else if self.warn > 0 {
            Some(Verdict::Warning)
        } else if self.pass > 0 {
            Some(Verdict::Health(HealthStatus::Healthy))
        } else {
            None
        }
    }
}

/// What a cell's content says, before asking whether the data is current.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Health(HealthStatus),
    /// Infrastructure: nothing failed, some checks warn.
    Warning,
}

impl Verdict {
    /// Healthy 0, Warning 1, then Suspended … Unknown as 2 … 6.
    pub fn rank(self) -> u8 {
        match self {
            Verdict::Health(HealthStatus::Healthy) => 0,
            Verdict::Warning => 1,
            Verdict::Health(status) => status.severity() as u8 + 1,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Verdict::Health(status) => status.as_str(),
            Verdict::Warning => "Warning",
        }
    }
}

/// What a cell shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellState {
    /// Nothing here (no Applications / no cluster for the environment).
    Empty,
    /// Current data.
    Live(Verdict),
    /// Data is not current; the last known verdict (if there was content) is kept for context.
    Stale {
        last_known: Option<Verdict>,
        since: Option<DateTime<Utc>>,
    },
    /// No data that can be trusted.
    Unknown(Unavailable),
}

impl CellState {
    fn new(verdict: Option<Verdict>, data: DataState) -> CellState {
        match (data, verdict) {
            (DataState::Unavailable(reason), _) => CellState::Unknown(reason),
            (DataState::Stale { since }, last_known) => CellState::Stale { last_known, since },
            (DataState::Live, Some(verdict)) => CellState::Live(verdict),
            (DataState::Live, None) => CellState::Empty,
        }
    }

    /// Sort key, higher is worse: Empty, then live verdicts Healthy … Unknown, Stale, Unknown.
    pub fn rank(self) -> u8 {
        match self {
            CellState::Empty => 0,
            CellState::Live(verdict) => 1 + verdict.rank(),
            CellState::Stale { .. } => 8,
            CellState::Unknown(_) => 9,
        }
    }

    /// Only live, all-healthy content is healthy.
    pub fn is_healthy(self) -> bool {
        self == CellState::Live(Verdict::Health(HealthStatus::Healthy))
    }

    pub fn is_current(self) -> bool {
        matches!(self, CellState::Live(_) | CellState::Empty)
    }
}

impl fmt::Display for CellState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CellState::Empty => f.write_str("-"),
            CellState::Live(verdict) => f.write_str(verdict.label()),
            CellState::Stale {
                last_known: Some(verdict),
                ..
            } => write!(f, "Stale ({})", verdict.label()),
            CellState::Stale { .. } => f.write_str("Stale"),
            CellState::Unknown(reason) => write!(f, "Unknown ({reason})"),
        }
    }
}

/// One cell: counts and the state to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rollup {
    pub state: CellState,
    pub health: HealthCounts,
    pub sync: SyncCounts,
    /// Infrastructure cells: preflight outcomes.
    pub checks: CheckCounts,
    pub out_of_sync: u32,
    pub operations_running: u32,
    pub operations_failed: u32,
    pub auto_sync_off: u32,
}

impl Rollup {
    pub fn apps(&self) -> u32 {
        self.health.total()
    }

    pub fn worst_health(&self) -> Option<HealthStatus> {
        self.health.worst()
    }
}

/// Accumulates one cell.
#[derive(Debug, Clone, Copy)]
struct Tally {
    rollup: Rollup,
    data: DataState,
    /// A live cluster without a preflight report: its infrastructure is not assessed.
    unassessed: bool,
}

impl Default for Tally {
    fn default() -> Tally {
        Tally {
            rollup: Rollup {
                state: CellState::Empty,
                health: HealthCounts::default(),
                sync: SyncCounts::default(),
                checks: CheckCounts::default(),
                out_of_sync: 0,
                operations_running: 0,
                operations_failed: 0,
                auto_sync_off: 0,
            },
            data: DataState::Live,
            unassessed: false,
        }
    }
}

impl Tally {
    fn add_source(&mut self, data: DataState) {
        self.data = self.data.worst(data);
    }

    fn add_app(&mut self, app: &AppSummary, data: DataState) {
        self.add_source(data);
        let r = &mut self.rollup;
        r.health.add(app.health);
        r.sync.add(app.sync);
        r.out_of_sync += u32::from(app.sync == SyncStatus::OutOfSync);
        r.operations_running += u32::from(app.is_operation_running());
        r.operations_failed += u32::from(app.last_operation_failed());
        r.auto_sync_off += u32::from(!app.auto_sync.enabled);
    }

    fn add_checks<'a>(&mut self, checks: impl Iterator<Item = &'a Check>) {
        for check in checks {
            self.rollup.checks.add(check.outcome);
        }
    }

    fn finish(mut self, layer: Layer) -> Rollup {
        let verdict = if layer == Layer::Infrastructure {
            // An unassessed cluster counts like an unknown check, without adding to the counts.
            let mut outcomes = self.rollup.checks;
            outcomes.unknown += u32::from(self.unassessed);
            outcomes.verdict()
        } else {
            self.rollup.health.worst().map(Verdict::Health)
        };
        self.rollup.state = CellState::new(verdict, self.data);
        self.rollup
    }
}

/// A component's cells, one per environment of the matrix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentRow {
    pub layer: Layer,
    /// Application component (`jupyterhub`), or preflight group (`cilium`) for Infrastructure.
    pub component: Arc<str>,
    pub cells: Vec<Rollup>,
}

impl ComponentRow {
    /// The worst cell's rank, for sorting rows worst first.
    pub fn worst_rank(&self) -> u8 {
        self.cells.iter().map(|c| c.state.rank()).max().unwrap_or(0)
    }
}

/// Infrastructure of a management cluster (it may belong to no environment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagementRow {
    pub cluster: Arc<str>,
    pub rollup: Rollup,
}

/// The estate matrix: layers × environments, component rows, management clusters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matrix {
    /// Columns, in promotion order (dev, stg, prd, then others by name).
    pub environments: Vec<Environment>,
    /// Row-major: `Layer::ALL` × `environments`.
    cells: Vec<Rollup>,
    /// By layer, then component name.
    pub components: Vec<ComponentRow>,
    pub management: Vec<ManagementRow>,
    /// Applications without a layer or environment (e.g. `root-app-of-apps`).
    pub unplaced: u32,
}

impl Matrix {
    fn index(&self, layer: Layer, environment: &Environment) -> Option<usize> {
        let column = self.environments.iter().position(|e| e == environment)?;
        let row = Layer::ALL.iter().position(|l| *l == layer)?;
        Some(row * self.environments.len() + column)
    }

    pub fn cell(&self, layer: Layer, environment: &Environment) -> Option<&Rollup> {
        self.index(layer, environment)
            .and_then(|i| self.cells.get(i))
    }

    /// Every cell with its coordinates, worst first (ties: layer order, promotion order).
    pub fn cells_worst_first(&self) -> Vec<(Layer, &Environment, &Rollup)> {
        let mut cells: Vec<(Layer, &Environment, &Rollup)> = Layer::ALL
            .iter()
            .flat_map(|layer| {
                self.environments
                    .iter()
                    .filter_map(move |env| self.cell(*layer, env).map(|r| (*layer, env, r)))
            })
            .collect();
        cells.sort_by_key(|cell| std::cmp::Reverse(cell.2.state.rank()));
        cells
    }

    pub fn components_of(&self, layer: Layer) -> impl Iterator<Item = &ComponentRow> {
        self.components.iter().filter(move |c| c.layer == layer)
    }
}

/// Orders Applications worst first: health, then sync (Unknown, OutOfSync), then a failed
/// last operation, then name.
pub fn app_order(a: &AppSummary, b: &AppSummary) -> Ordering {
    let sync_rank = |s: SyncStatus| match s {
        SyncStatus::Unknown => 2,
        SyncStatus::OutOfSync => 1,
        SyncStatus::Synced => 0,
    };
    b.health
        .severity()
        .cmp(&a.health.severity())
        .then_with(|| sync_rank(b.sync).cmp(&sync_rank(a.sync)))
        .then_with(|| b.last_operation_failed().cmp(&a.last_operation_failed()))
        .then_with(|| a.name.cmp(&b.name))
}

/// Builds the matrix from Applications (placed: layer and environment set), clusters and the
/// clusters' preflight reports, as of `now`.
pub fn rollup(
    apps: &[AppSummary],
    clusters: &[Cluster],
    preflight: &[PreflightReport],
    now: DateTime<Utc>,
) -> Matrix {
    let data: HashMap<&str, DataState> = clusters
        .iter()
        .map(|c| (&*c.name, c.data_state(now)))
        .collect();
    let reports: HashMap<&str, &PreflightReport> =
        preflight.iter().map(|r| (&*r.cluster, r)).collect();
    let environments = environments(apps, clusters);
    let column = |env: &Environment| environments.iter().position(|e| e == env);

    let mut cells = vec![Tally::default(); Layer::ALL.len() * environments.len()];
    let slot = |layer: Layer, col: usize| layer_row(layer) * environments.len() + col;
    let mut components: BTreeMap<(Layer, Arc<str>), Vec<Tally>> = BTreeMap::new();
    let columns = environments.len();

    // Infrastructure: each target cluster's preflight, in its environment's column.
    for cluster in clusters.iter().filter(|c| c.role.target) {
        let Some(col) = cluster.environment().as_ref().and_then(column) else {
            continue;
        };
        let state = data.get(&*cluster.name).copied().unwrap_or(DataState::Live);
        let report = reports.get(&*cluster.name).copied();
        add_cluster(
            &mut cells[slot(Layer::Infrastructure, col)],
            state,
            report,
            None,
        );
        for group in crate::domain::preflight::GROUPS {
            let row = component_row(
                &mut components,
                Layer::Infrastructure,
                Arc::from(group),
                columns,
            );
            add_cluster(&mut row[col], state, report, Some(group));
        }
    }

    // Applications: in their layer × environment, current as their source cluster.
    let mut unplaced = 0;
    for app in apps {
        let (Some(layer), Some(col)) = (app.layer, app.environment.as_ref().and_then(column))
        else {
            unplaced += 1;
            continue;
        };
        let source = data
            .get(&*app.source)
            .copied()
            .unwrap_or(DataState::Unavailable(Unavailable::UnknownCluster));
        let destination = app
            .cluster
            .as_deref()
            .and_then(|c| data.get(c))
            .copied()
            .map_or(DataState::Live, corroboration);
        let state = source.worst(destination);
        cells[slot(layer, col)].add_app(app, state);
        if let Some(component) = &app.component {
            component_row(&mut components, layer, component.clone(), columns)[col]
                .add_app(app, state);
        }
    }

    // Empty application cells are only as current as ArgoCD's data.
    let argocd = clusters
        .iter()
        .filter(|c| c.role.management)
        .filter_map(|c| data.get(&*c.name).copied())
        .reduce(DataState::worst);
    if let Some(argocd) = argocd {
        for layer in [Layer::Agnostics, Layer::Application] {
            for col in 0..environments.len() {
                cells[slot(layer, col)].add_source(argocd);
            }
        }
        for ((layer, _), tallies) in components.iter_mut() {
            if *layer != Layer::Infrastructure {
                tallies.iter_mut().for_each(|t| t.add_source(argocd));
            }
        }
    }

    let cells = cells
        .into_iter()
        .enumerate()
        .map(|(i, tally)| tally.finish(Layer::ALL[i / environments.len().max(1)]))
        .collect();
    let components = components
        .into_iter()
        .map(|((layer, component), tallies)| ComponentRow {
            layer,
            component,
            cells: tallies.into_iter().map(|t| t.finish(layer)).collect(),
        })
        .collect();
    let management = clusters
        .iter()
        .filter(|c| c.role.management)
        .map(|c| {
            let mut tally = Tally::default();
            let state = data.get(&*c.name).copied().unwrap_or(DataState::Live);
            add_cluster(&mut tally, state, reports.get(&*c.name).copied(), None);
            ManagementRow {
                cluster: c.name.clone(),
                rollup: tally.finish(Layer::Infrastructure),
            }
        })
        .collect();
    Matrix {
        environments,
        cells,
        components,
        management,
        unplaced,
    }
}

/// What a destination cluster's own state says about ArgoCD's report of its Applications:
/// nothing when the console never had (or has not yet had) its own view; stale when the
/// console lost it.
pub fn corroboration(destination: DataState) -> DataState {
    match destination {
        DataState::Live
        | DataState::Unavailable(
            Unavailable::NoContext | Unavailable::Connecting | Unavailable::UnknownCluster,
        ) => DataState::Live,
        DataState::Unavailable(Unavailable::Unreachable | Unavailable::Forbidden) => {
            DataState::Stale { since: None }
        }
        DataState::Stale { since } => DataState::Stale { since },
    }
}

fn component_row(
    rows: &mut BTreeMap<(Layer, Arc<str>), Vec<Tally>>,
    layer: Layer,
    component: Arc<str>,
    columns: usize,
) -> &mut Vec<Tally> {
    rows.entry((layer, component))
        .or_insert_with(|| vec![Tally::default(); columns])
}

fn layer_row(layer: Layer) -> usize {
    Layer::ALL.iter().position(|l| *l == layer).unwrap_or(0)
}

fn add_cluster(
    tally: &mut Tally,
    state: DataState,
    report: Option<&PreflightReport>,
    group: Option<&str>,
) {
    tally.add_source(state);
    match report {
        Some(report) => {
            tally.add_checks(
                report
                    .checks
                    .iter()
                    .filter(|c| group.is_none_or(|g| c.group == g)),
            );
        }
        None => tally.unassessed = true,
    }
}

/// Environments of target clusters and of Applications, in promotion order.
fn environments(apps: &[AppSummary], clusters: &[Cluster]) -> Vec<Environment> {
    let mut all: Vec<Environment> = clusters
        .iter()
        .filter(|c| c.role.target)
        .filter_map(Cluster::environment)
        .chain(
            apps.iter()
                .filter(|a| a.layer.is_some())
                .filter_map(|a| a.environment.clone()),
        )
        .collect();
    all.sort_by(|a, b| a.rank().cmp(&b.rank()).then_with(|| a.cmp(b)));
    all.dedup();
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::argocd::Application;
    use crate::domain::estate::app::Interner;
    use crate::domain::estate::cluster::{ClusterRole, ConnectionState};
    use crate::domain::preflight::{self, PreflightInput};
    use chrono::{Duration, TimeZone};
    use proptest::prelude::*;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 8, 22, 12, 0, 0)
            .single()
            .expect("time")
    }

    fn cluster(
        name: &str,
        env: Option<&str>,
        role: ClusterRole,
        connection: ConnectionState,
    ) -> Cluster {
        let mut c = Cluster::new(
            name,
            &format!("https://{name}:6443"),
            role,
            Duration::seconds(120),
        );
        c.labels = env.map(|e| [("environment".to_string(), e.to_string())].into());
        c.connection = connection;
        c.freshness.last_event_at = Some(now() - Duration::seconds(5));
        c
    }

    const MGMT_AND_TARGET: ClusterRole = ClusterRole {
        management: true,
        target: true,
    };
    const TARGET: ClusterRole = ClusterRole {
        management: false,
        target: true,
    };

    /// in-cluster: ArgoCD + dev; stg: no kubeconfig context; prd: live.
    fn clusters() -> Vec<Cluster> {
        vec![
            cluster(
                "in-cluster",
                Some("dev"),
                MGMT_AND_TARGET,
                ConnectionState::Live,
            ),
            cluster("k8tre-stg", Some("stg"), TARGET, ConnectionState::NoContext),
            cluster("k8tre-prd", Some("prd"), TARGET, ConnectionState::Live),
        ]
    }

    fn app(name: &str, path: &str, dest: &str, health: &str, sync: &str) -> AppSummary {
        let application: Application = serde_json::from_value(json!({
            "metadata": {"name": name, "namespace": "argocd"},
            "spec": {"destination": {"name": dest}, "project": "default",
                     "source": {"repoURL": "https://github.com/k8tre/k8tre.git", "path": path},
                     "syncPolicy": {"automated": {}}},
            "status": {"health": {"status": health}, "sync": {"status": sync}}
        }))
        .expect("application");
        let mut summary =
            AppSummary::from_application(&application, "in-cluster", &mut Interner::default());
        summary.place(&clusters());
        summary
    }

    fn apps() -> Vec<AppSummary> {
        vec![
            app(
                "jupyterhub-in-cluster",
                "apps/jupyterhub/envs/dev",
                "in-cluster",
                "Healthy",
                "Synced",
            ),
            app(
                "keycloak-in-cluster",
                "apps/keycloak/envs/dev",
                "in-cluster",
                "Degraded",
                "Synced",
            ),
            app(
                "gitea-in-cluster",
                "apps/gitea/envs/dev",
                "in-cluster",
                "Progressing",
                "OutOfSync",
            ),
            app(
                "gateway-in-cluster",
                "agnostics/gateway/k3s/envs/dev",
                "in-cluster",
                "Healthy",
                "Synced",
            ),
            app(
                "jupyterhub-k8tre-stg",
                "apps/jupyterhub/envs/stg",
                "k8tre-stg",
                "Healthy",
                "Synced",
            ),
            app(
                "jupyterhub-k8tre-prd",
                "apps/jupyterhub/envs/prd",
                "k8tre-prd",
                "Healthy",
                "Synced",
            ),
            app(
                "root-app-of-apps",
                "appsets",
                "in-cluster",
                "Healthy",
                "Synced",
            ),
        ]
    }

    fn reports(clusters: &[Cluster]) -> Vec<PreflightReport> {
        clusters.iter().map(preflight::run_cluster).collect()
    }

    fn passing_report(name: &str) -> PreflightReport {
        PreflightReport {
            cluster: name.to_string(),
            checks: vec![Check {
                id: "nodes.ready",
                group: "nodes",
                title: "All nodes Ready",
                outcome: Outcome::Pass,
                why: "1/1 nodes Ready".into(),
                advice: None,
            }],
        }
    }

    fn with_outcome(mut report: PreflightReport, outcome: Outcome) -> PreflightReport {
        let mut check = report.checks[0].clone();
        check.id = "storage.classes";
        check.group = "storage";
        check.outcome = outcome;
        report.checks.push(check);
        report
    }

    #[test]
    fn counts_worst_health_and_out_of_sync() {
        let matrix = rollup(&apps(), &clusters(), &[], now());
        assert_eq!(
            matrix.environments,
            vec![Environment::Dev, Environment::Stg, Environment::Prd]
        );
        let cell = matrix
            .cell(Layer::Application, &Environment::Dev)
            .expect("cell");
        assert_eq!(cell.apps(), 3);
        assert_eq!(
            cell.state,
            CellState::Live(Verdict::Health(HealthStatus::Degraded))
        );
        assert_eq!(cell.health.get(HealthStatus::Healthy), 1);
        assert_eq!(cell.health.get(HealthStatus::Degraded), 1);
        assert_eq!(cell.sync.get(SyncStatus::OutOfSync), 1);
        assert_eq!(cell.out_of_sync, 1);
        assert_eq!(cell.auto_sync_off, 0);
        assert_eq!(
            cell.health.worst_first().collect::<Vec<_>>(),
            vec![
                (HealthStatus::Degraded, 1),
                (HealthStatus::Progressing, 1),
                (HealthStatus::Healthy, 1)
            ]
        );
        let agnostics = matrix
            .cell(Layer::Agnostics, &Environment::Dev)
            .expect("cell");
        assert!(agnostics.state.is_healthy());
        assert_eq!(matrix.unplaced, 1, "root-app-of-apps has no layer");
        // ArgoCD's report of the stg apps is current even without a stg context.
        let stg = matrix
            .cell(Layer::Application, &Environment::Stg)
            .expect("cell");
        assert!(stg.state.is_healthy());
        assert_eq!(
            matrix
                .cell(Layer::Agnostics, &Environment::Prd)
                .map(|r| r.state),
            Some(CellState::Empty)
        );
    }

    #[test]
    fn stale_argocd_is_never_healthy() {
        let mut clusters = clusters();
        clusters[0].connection = ConnectionState::Reconnecting {
            error: "connection refused".into(),
            since: now() - Duration::seconds(30),
        };
        let matrix = rollup(&apps(), &clusters, &reports(&clusters), now());
        for layer in [Layer::Agnostics, Layer::Application] {
            for env in &matrix.environments {
                let cell = matrix.cell(layer, env).expect("cell");
                assert!(!cell.state.is_healthy(), "{layer} {env}: {}", cell.state);
                assert!(
                    matches!(cell.state, CellState::Stale { .. }),
                    "{layer} {env}"
                );
            }
        }
        let jupyter_prd = matrix
            .cell(Layer::Application, &Environment::Prd)
            .expect("cell");
        assert_eq!(
            jupyter_prd.state,
            CellState::Stale {
                last_known: Some(Verdict::Health(HealthStatus::Healthy)),
                since: Some(now() - Duration::seconds(5)),
            }
        );
        assert_eq!(jupyter_prd.state.to_string(), "Stale (Healthy)");
        // Counts are kept for context.
        assert_eq!(jupyter_prd.apps(), 1);
        // Quiet for too long is stale too.
        let mut quiet = self::clusters();
        quiet[0].freshness.last_event_at = Some(now() - Duration::minutes(10));
        let matrix = rollup(&apps(), &quiet, &[], now());
        let cell = matrix
            .cell(Layer::Agnostics, &Environment::Dev)
            .expect("cell");
        assert!(matches!(cell.state, CellState::Stale { .. }));
    }

    #[test]
    fn a_lost_target_makes_its_applications_stale() {
        let mut clusters = clusters();
        clusters[2].connection = ConnectionState::Unreachable {
            error: "connection refused".into(),
            since: now() - Duration::seconds(30),
        };
        clusters[2].freshness.last_event_at = None;
        let matrix = rollup(&apps(), &clusters, &[], now());
        let prd = matrix
            .cell(Layer::Application, &Environment::Prd)
            .expect("cell");
        assert_eq!(
            prd.state,
            CellState::Stale {
                last_known: Some(Verdict::Health(HealthStatus::Healthy)),
                since: None
            }
        );
        // Other environments are untouched; a target never reachable (no context) is not
        // a lost one.
        assert!(
            matrix
                .cell(Layer::Agnostics, &Environment::Dev)
                .expect("cell")
                .state
                .is_healthy()
        );
        assert!(
            matrix
                .cell(Layer::Application, &Environment::Stg)
                .expect("cell")
                .state
                .is_healthy()
        );
    }

    #[test]
    fn infrastructure_cells_follow_their_cluster() {
        let clusters = clusters();
        let reports = vec![
            passing_report("in-cluster"),
            passing_report("k8tre-stg"),
            passing_report("k8tre-prd"),
        ];
        let matrix = rollup(&apps(), &clusters, &reports, now());
        let infra = |env: Environment| matrix.cell(Layer::Infrastructure, &env).map(|r| r.state);
        assert_eq!(
            infra(Environment::Dev),
            Some(CellState::Live(Verdict::Health(HealthStatus::Healthy)))
        );
        assert_eq!(
            infra(Environment::Stg),
            Some(CellState::Unknown(Unavailable::NoContext))
        );
        assert_eq!(
            infra(Environment::Prd),
            Some(CellState::Live(Verdict::Health(HealthStatus::Healthy)))
        );

        let mut stale = clusters.clone();
        stale[2].freshness.last_event_at = Some(now() - Duration::minutes(5));
        let matrix = rollup(&apps(), &stale, &reports, now());
        let prd = matrix
            .cell(Layer::Infrastructure, &Environment::Prd)
            .expect("cell");
        assert!(matches!(prd.state, CellState::Stale { .. }));
        assert!(!prd.state.is_healthy());
    }

    #[test]
    fn infrastructure_verdicts_from_checks() {
        let clusters = clusters();
        let verdict = |report: PreflightReport| {
            let matrix = rollup(&[], &clusters, &[report], now());
            matrix
                .cell(Layer::Infrastructure, &Environment::Dev)
                .map(|r| (r.state, r.checks))
        };
        let (state, counts) =
            verdict(with_outcome(passing_report("in-cluster"), Outcome::Warn)).expect("cell");
        assert_eq!(state, CellState::Live(Verdict::Warning));
        assert_eq!((counts.pass, counts.warn), (1, 1));
        let (state, _) =
            verdict(with_outcome(passing_report("in-cluster"), Outcome::Unknown)).expect("cell");
        assert_eq!(
            state,
            CellState::Live(Verdict::Health(HealthStatus::Unknown))
        );
        let failing = with_outcome(
            with_outcome(passing_report("in-cluster"), Outcome::Unknown),
            Outcome::Fail,
        );
        let (state, counts) = verdict(failing).expect("cell");
        assert_eq!(
            state,
            CellState::Live(Verdict::Health(HealthStatus::Degraded)),
            "a failure outranks unknowns"
        );
        assert_eq!(counts.total(), 3);
        // No report for a live cluster: not assessed, so not healthy.
        let (state, _) = verdict(passing_report("elsewhere")).expect("cell");
        assert_eq!(
            state,
            CellState::Live(Verdict::Health(HealthStatus::Unknown))
        );
    }

    #[test]
    fn applications_from_an_unknown_source_are_unknown() {
        let mut apps = apps();
        apps[0].source = Arc::from("somewhere-else");
        let matrix = rollup(&apps, &clusters(), &[], now());
        assert_eq!(
            matrix
                .cell(Layer::Application, &Environment::Dev)
                .map(|r| r.state),
            Some(CellState::Unknown(Unavailable::UnknownCluster))
        );
    }

    #[test]
    fn cells_and_components_worst_first() {
        let clusters = clusters();
        let matrix = rollup(&apps(), &clusters, &reports(&clusters), now());
        let ranks: Vec<u8> = matrix
            .cells_worst_first()
            .iter()
            .map(|(_, _, r)| r.state.rank())
            .collect();
        assert!(ranks.windows(2).all(|w| w[0] >= w[1]), "{ranks:?}");
        let (layer, env, worst) = matrix.cells_worst_first()[0];
        assert_eq!((layer, env), (Layer::Infrastructure, &Environment::Stg));
        assert_eq!(worst.state, CellState::Unknown(Unavailable::NoContext));

        let jupyter = matrix
            .components_of(Layer::Application)
            .find(|c| &*c.component == "jupyterhub")
            .expect("row");
        assert_eq!(jupyter.cells.len(), 3);
        assert!(jupyter.cells.iter().all(|c| c.apps() == 1));
        let keycloak = matrix
            .components_of(Layer::Application)
            .find(|c| &*c.component == "keycloak")
            .expect("row");
        assert_eq!(
            keycloak.cells[1].state,
            CellState::Empty,
            "no keycloak in stg"
        );
        assert_eq!(
            keycloak.worst_rank(),
            CellState::Live(Verdict::Health(HealthStatus::Degraded)).rank()
        );
        let infra: Vec<&str> = matrix
            .components_of(Layer::Infrastructure)
            .map(|c| &*c.component)
            .collect();
        assert_eq!(infra.len(), preflight::GROUPS.len());
        assert!(infra.contains(&"cilium"));
        assert_eq!(matrix.management.len(), 1);
        assert_eq!(&*matrix.management[0].cluster, "in-cluster");
    }

    #[test]
    fn environment_columns_in_promotion_order() {
        let mut clusters = clusters();
        clusters.push(cluster("ci", Some("ci"), TARGET, ConnectionState::Live));
        clusters.push(cluster(
            "old-prod",
            Some("prod"),
            TARGET,
            ConnectionState::Live,
        ));
        let matrix = rollup(&[], &clusters, &[], now());
        assert_eq!(
            matrix.environments,
            vec![
                Environment::Dev,
                Environment::Stg,
                Environment::Prd,
                Environment::Other("ci".into())
            ]
        );
    }

    #[test]
    fn apps_sort_worst_first() {
        let mut apps = apps();
        apps.sort_by(app_order);
        let names: Vec<&str> = apps.iter().map(|a| &*a.name).collect();
        assert_eq!(names[0], "keycloak-in-cluster");
        assert_eq!(names[1], "gitea-in-cluster");
        assert_eq!(names[2], "gateway-in-cluster", "then healthy by name");
    }

    #[test]
    fn preflight_input_reads_the_cluster() {
        let clusters = clusters();
        let input = PreflightInput::of(&clusters[0]);
        assert!(input.management && input.target);
        assert_eq!(input.cluster, "in-cluster");
    }

    fn connection(choice: u8) -> ConnectionState {
        match choice % 6 {
            0 => ConnectionState::Live,
            1 => ConnectionState::Connecting,
            2 => ConnectionState::NoContext,
            3 => ConnectionState::Forbidden {
                verb: "list".into(),
                resource: "nodes".into(),
            },
            4 => ConnectionState::Reconnecting {
                error: "eof".into(),
                since: now(),
            },
            _ => ConnectionState::Unreachable {
                error: "timeout".into(),
                since: now(),
            },
        }
    }

    proptest! {
        /// A healthy cell always rests on live data.
        #[test]
        fn healthy_cells_have_live_sources(
            mgmt in 0u8..6,
            stg in 0u8..6,
            mgmt_age in 0i64..600,
            healths in proptest::collection::vec(0usize..6, 0..12),
            envs in proptest::collection::vec(0usize..3, 12),
        ) {
            let mut clusters = clusters();
            clusters[0].connection = connection(mgmt);
            clusters[0].freshness.last_event_at = Some(now() - Duration::seconds(mgmt_age));
            clusters[1].connection = connection(stg);
            let names = ["in-cluster", "k8tre-stg", "k8tre-prd"];
            let apps: Vec<AppSummary> = healths
                .iter()
                .zip(&envs)
                .enumerate()
                .map(|(i, (h, e))| {
                    app(&format!("a{i}"), &format!("apps/a{i}/envs/x"), names[*e],
                        HealthStatus::ALL[*h].as_str(), "Synced")
                })
                .collect();
            let reports: Vec<PreflightReport> = names.iter().map(|n| passing_report(n)).collect();
            let matrix = rollup(&apps, &clusters, &reports, now());
            let argocd_live = clusters[0].data_state(now()) == DataState::Live;
            for (layer, env, cell) in matrix.cells_worst_first() {
                if !cell.state.is_healthy() {
                    continue;
                }
                if layer == Layer::Infrastructure {
                    let cluster = clusters.iter().find(|c| c.environment().as_ref() == Some(env));
                    prop_assert!(cluster.is_some_and(|c| c.data_state(now()) == DataState::Live));
                } else {
                    prop_assert!(argocd_live, "{layer} {env} healthy while ArgoCD data is not live");
                }
            }
        }
    }
}

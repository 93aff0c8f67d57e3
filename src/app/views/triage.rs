//! Every problem in the estate in one list, worst first and, within a severity, oldest first:
//! each with a one-line cause and where to go to see it.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use super::apps::Currency;
use super::fmt::age_of;
use crate::app::nav::Target;
use crate::domain::argocd::{HealthStatus, SyncStatus};
use crate::domain::estate::{AppSummary, Cluster, ConnectionState, DataState};
use crate::domain::preflight::Outcome;
use crate::live::objects::{PodPhase, SlimPod};
use crate::live::{EstateModel, ExpectedView, ObjKey};
use crate::theme::Role;
use crate::ui::table::{CellText, Column, SortKey, TableRow};

/// An OutOfSync Application is a problem once it has been out of sync this long without an
/// operation running (since the console saw it turn OutOfSync, else since its last sync).
pub const LONG_OUT_OF_SYNC: Duration = Duration::minutes(10);
/// A pod restarting this often is a problem even while it is up.
pub const RESTARTS: u32 = 3;
/// Problems listed at most (the worst); the rest are counted.
pub const LIMIT: usize = 2_000;

/// How bad a problem is; higher is worse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
    Critical,
}

impl Severity {
    pub fn role(self) -> Role {
        match self {
            Severity::Warning => Role::Warning,
            Severity::Error => Role::Degraded,
            Severity::Critical => Role::Danger,
        }
    }

    pub fn glyph(self) -> &'static str {
        match self {
            Severity::Warning => "▲",
            Severity::Error => "✖",
            Severity::Critical => "‼",
        }
    }
}

/// What kind of thing is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ProblemKind {
    Cluster,
    Prerequisite,
    Node,
    Degraded,
    Missing,
    FailedOperation,
    Condition,
    Pod,
    OutOfSync,
    NotDeployed,
}

impl ProblemKind {
    pub fn label(self) -> &'static str {
        match self {
            ProblemKind::Cluster => "cluster",
            ProblemKind::Prerequisite => "prerequisite",
            ProblemKind::Node => "node",
            ProblemKind::Degraded => "degraded",
            ProblemKind::Missing => "missing",
            ProblemKind::FailedOperation => "sync failed",
            ProblemKind::Condition => "condition",
            ProblemKind::Pod => "pod",
            ProblemKind::OutOfSync => "out of sync",
            ProblemKind::NotDeployed => "not deployed",
        }
    }
}

/// One problem.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub severity: Severity,
    pub kind: ProblemKind,
    /// Since when, when known.
    pub since: Option<DateTime<Utc>>,
    /// What it is about: an Application, a cluster, `cluster/node`, `cluster/ns/pod`.
    pub subject: String,
    pub cause: String,
    /// Where Enter goes.
    pub target: Target,
    /// Unique among problems (the table's key).
    pub key: String,
    pub now: DateTime<Utc>,
}

pub const TRIAGE_COLUMNS: &[Column] = &[
    Column::new("SEV").width(3, 3).unsortable(),
    Column::new("AGE").width(4, 5).priority(2).right(),
    Column::new("KIND").width(8, 12).priority(3),
    Column::new("SUBJECT").width(14, 40).highlights_filter(),
    Column::new("CAUSE").width(20, 160).priority(1),
];

impl TableRow for Problem {
    fn key(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.key)
    }

    fn cell(&self, column: usize) -> CellText<'_> {
        match column {
            0 => CellText::styled(self.severity.glyph(), self.severity.role()),
            1 => CellText::styled(age_of(self.now, self.since), Role::Muted),
            2 => CellText::styled(self.kind.label(), self.severity.role()),
            3 => CellText::new(self.subject.as_str()),
            _ => CellText::new(self.cause.as_str()),
        }
    }

    fn sort_key(&self, column: usize) -> SortKey<'_> {
        match column {
            1 => SortKey::Number(self.since.map_or(i64::MAX, |t| t.timestamp())),
            _ => SortKey::text(self.cell(column).text),
        }
    }

    fn filter_text(&self) -> Cow<'_, str> {
        Cow::Owned(format!(
            "{} {} {}",
            self.kind.label(),
            self.subject,
            self.cause
        ))
    }
}

/// Collects problems; keys stay unique.
struct Collector {
    now: DateTime<Utc>,
    problems: Vec<Problem>,
}

impl Collector {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        severity: Severity,
        kind: ProblemKind,
        since: Option<DateTime<Utc>>,
        subject: String,
        cause: String,
        target: Target,
    ) {
        let key = format!("{}:{}:{}", kind.label(), subject, self.problems.len());
        self.problems.push(Problem {
            severity,
            kind,
            since,
            subject,
            cause,
            target,
            key,
            now: self.now,
        });
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every problem in the estate, worst first, then oldest first.
pub fn problems(model: &EstateModel, now: DateTime<Utc>) -> Vec<Problem> {
    let mut out = Collector {
        now,
        problems: Vec::new(),
    };
    let currency = Currency::of(model, now);
    for cluster in model.clusters() {
        cluster_problems(&mut out, model, cluster, now);
    }
    for (summary, detail) in model.app_table().iter() {
        app_problems(
            &mut out,
            summary,
            &detail.facts,
            currency.is_current(summary),
        );
    }
    pod_problems(&mut out, model);
    missing_apps(&mut out, model);
    let mut problems = out.problems;
    problems.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| {
                a.since
                    .unwrap_or(DateTime::<Utc>::MAX_UTC)
                    .cmp(&b.since.unwrap_or(DateTime::<Utc>::MAX_UTC))
            })
            .then_with(|| a.kind.cmp(&b.kind))
            .then_with(|| a.subject.cmp(&b.subject))
    });
    problems.truncate(LIMIT);
    problems
}

fn cluster_problems(
    out: &mut Collector,
    model: &EstateModel,
    cluster: &Cluster,
    now: DateTime<Utc>,
) {
    let target = Target::Cluster(cluster.name.to_string());
    let subject = cluster.name.to_string();
    match (&cluster.connection, cluster.data_state(now)) {
        (ConnectionState::Unreachable { error, since }, _) => out.push(
            Severity::Critical,
            ProblemKind::Cluster,
            Some(*since),
            subject.clone(),
            format!("unreachable: {}", one_line(error)),
            target.clone(),
        ),
        (ConnectionState::Reconnecting { error, since }, _) => out.push(
            Severity::Error,
            ProblemKind::Cluster,
            Some(*since),
            subject.clone(),
            format!("reconnecting: {}", one_line(error)),
            target.clone(),
        ),
        (ConnectionState::Forbidden { verb, resource }, _) => out.push(
            Severity::Error,
            ProblemKind::Cluster,
            None,
            subject.clone(),
            format!("forbidden: cannot {verb} {resource}"),
            target.clone(),
        ),
        (ConnectionState::Live, DataState::Stale { since }) => out.push(
            Severity::Error,
            ProblemKind::Cluster,
            since,
            subject.clone(),
            format!(
                "stale: no watch event for {} (threshold {}s)",
                age_of(now, since),
                cluster.freshness.stale_after.num_seconds()
            ),
            target.clone(),
        ),
        _ => {}
    }
    if let Some(connection) = cluster.context.as_deref().and_then(|c| model.connection(c)) {
        let mut names: Vec<(&ObjKey, bool)> =
            connection.nodes.iter().map(|(k, n)| (k, n.ready)).collect();
        names.sort();
        for (key, _) in names.into_iter().filter(|(_, ready)| !ready) {
            out.push(
                Severity::Error,
                ProblemKind::Node,
                None,
                format!("{}/{}", cluster.name, key.name),
                "node is NotReady".into(),
                target.clone(),
            );
        }
    }
    if let Some(report) = model
        .preflight()
        .iter()
        .find(|r| r.cluster == *cluster.name)
    {
        for check in &report.checks {
            let severity = match check.outcome {
                Outcome::Fail => Severity::Error,
                Outcome::Warn => Severity::Warning,
                Outcome::Pass | Outcome::Unknown => continue,
            };
            out.push(
                severity,
                ProblemKind::Prerequisite,
                None,
                subject.clone(),
                format!("{}: {}", check.title, one_line(&check.why)),
                target.clone(),
            );
        }
    }
}

fn app_problems(
    out: &mut Collector,
    summary: &AppSummary,
    facts: &crate::live::objects::AppFacts,
    current: bool,
) {
    let qualified = format!("{}/{}", summary.namespace, summary.name);
    let subject = summary.name.to_string();
    let target = Target::App(qualified);
    let stale = if current { "" } else { " (stale: last known)" };
    let health_since = facts.health_since;
    match summary.health {
        HealthStatus::Degraded => out.push(
            Severity::Critical,
            ProblemKind::Degraded,
            health_since,
            subject.clone(),
            format!(
                "Degraded{stale}: {}",
                summary
                    .health_message
                    .as_deref()
                    .map_or("no message from ArgoCD".to_string(), one_line)
            ),
            target.clone(),
        ),
        HealthStatus::Missing => out.push(
            Severity::Error,
            ProblemKind::Missing,
            health_since,
            subject.clone(),
            format!(
                "Missing{stale}: {}",
                summary.health_message.as_deref().map_or(
                    "resources do not exist on the cluster".to_string(),
                    one_line
                )
            ),
            target.clone(),
        ),
        _ => {}
    }
    if let Some(op) = &summary.operation
        && op.phase.is_failed()
    {
        let message = facts
            .operation_message
            .as_deref()
            .map(one_line)
            .unwrap_or_default();
        out.push(
            Severity::Error,
            ProblemKind::FailedOperation,
            op.finished_at.or(op.started_at),
            subject.clone(),
            format!("last sync {}: {message}", op.phase.as_str()),
            target.clone(),
        );
    }
    for condition in facts.error_conditions.iter() {
        out.push(
            Severity::Error,
            ProblemKind::Condition,
            condition.since,
            subject.clone(),
            format!("{}: {}", condition.kind, one_line(&condition.message)),
            target.clone(),
        );
    }
    let since = facts.out_of_sync_since.or(summary.last_synced_at);
    let long = since.is_none_or(|at| out.now.signed_duration_since(at) > LONG_OUT_OF_SYNC);
    if summary.sync == SyncStatus::OutOfSync && !summary.is_operation_running() && long {
        let auto = if summary.auto_sync.enabled {
            "auto-sync on"
        } else {
            "auto-sync off"
        };
        let how_long = match facts.out_of_sync_since {
            Some(seen) => format!("OutOfSync for {}{stale}", age_of(out.now, Some(seen))),
            None => format!("OutOfSync{stale}"),
        };
        out.push(
            Severity::Warning,
            ProblemKind::OutOfSync,
            since,
            subject,
            format!(
                "{how_long}; last synced {} ago; {auto}",
                age_of(out.now, summary.last_synced_at)
            ),
            target,
        );
    }
}

/// Crash-looping and restarting pods, under the Application whose workload owns them.
fn pod_problems(out: &mut Collector, model: &EstateModel) {
    // (cluster, namespace, workload) → Application.
    let mut owners: HashMap<(&str, &str, &str), String> = HashMap::new();
    for (summary, detail) in model.app_table().iter() {
        let Some(cluster) = summary.cluster.as_deref() else {
            continue;
        };
        for workload in detail.workloads.iter() {
            owners.insert(
                (cluster, &workload.namespace, &workload.name),
                format!("{}/{}", summary.namespace, summary.name),
            );
        }
    }
    for cluster in model.clusters() {
        let Some(connection) = cluster.context.as_deref().and_then(|c| model.connection(c)) else {
            continue;
        };
        let mut bad: Vec<(&ObjKey, &SlimPod)> = connection
            .pods
            .iter()
            .filter(|(_, pod)| pod_trouble(pod).is_some())
            .collect();
        bad.sort_by(|a, b| a.0.cmp(b.0));
        for (key, pod) in bad {
            let Some((severity, cause)) = pod_trouble(pod) else {
                continue;
            };
            let owner = pod
                .owner
                .as_ref()
                .and_then(|o| owners.get(&(&*cluster.name, &*key.namespace, &*o.name)));
            let target = owner.map_or_else(
                || Target::Cluster(cluster.name.to_string()),
                |app| Target::App(app.clone()),
            );
            out.push(
                severity,
                ProblemKind::Pod,
                None,
                format!("{}/{}/{}", cluster.name, key.namespace, key.name),
                cause,
                target,
            );
        }
    }
}

/// What is wrong with a pod, if anything.
pub fn pod_trouble(pod: &SlimPod) -> Option<(Severity, String)> {
    let waiting = pod.waiting.as_deref();
    if let Some(reason) = waiting.filter(|r| crate::domain::health::is_error_waiting_reason(r)) {
        return Some((
            Severity::Error,
            format!("{reason}, {} restarts", pod.restarts),
        ));
    }
    if pod.phase == PodPhase::Failed && pod.long_running {
        return Some((Severity::Error, "pod Failed".into()));
    }
    if pod.restarts >= RESTARTS {
        let state = if pod.ready { "ready now" } else { "not ready" };
        return Some((
            Severity::Warning,
            format!("restarting: {} restarts, {state}", pod.restarts),
        ));
    }
    None
}

fn missing_apps(out: &mut Collector, model: &EstateModel) {
    let ExpectedView::Ready { diff, .. } = model.expected() else {
        return;
    };
    for app in &diff.missing {
        let cluster = app.cluster_name.as_deref();
        let target = cluster
            .filter(|c| model.cluster(c).is_some())
            .map_or(Target::Command(crate::config::Command::Overview), |c| {
                Target::Cluster(c.to_string())
            });
        out.push(
            Severity::Error,
            ProblemKind::NotDeployed,
            None,
            app.name.clone(),
            format!(
                "expected from ApplicationSet {} but not in ArgoCD{}",
                app.applicationset,
                app.source_path
                    .as_deref()
                    .map(|p| format!(" (path {p})"))
                    .unwrap_or_default()
            ),
            target,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::fixture;
    use crate::live::replay;
    use crate::sim::scenario::showcase::{MANAGEMENT, OUT_OF_SYNC_APP};

    /// The showcase's OutOfSync Application as the management cluster serves it, with `sync`.
    fn with_sync(sync: &str) -> serde_json::Value {
        let mut app = fixture::showcase()
            .objects_of(MANAGEMENT)
            .into_iter()
            .find(|o| o["kind"] == "Application" && o["metadata"]["name"] == OUT_OF_SYNC_APP)
            .expect("showcase app");
        app["status"]["sync"]["status"] = sync.into();
        app
    }

    fn out_of_sync_problem(model: &EstateModel, now: DateTime<Utc>) -> Option<Problem> {
        problems(model, now)
            .into_iter()
            .find(|p| p.kind == ProblemKind::OutOfSync && p.subject == OUT_OF_SYNC_APP)
    }

    #[test]
    fn out_of_sync_counts_from_when_it_turned_not_from_the_last_sync() {
        let mut model = fixture::model();
        let now = fixture::now();
        let context = fixture::context(MANAGEMENT);
        // Already OutOfSync when first seen: how long is unknown, the last sync (hours ago)
        // stands in.
        let listed = out_of_sync_problem(&model, now).expect("listed at start");
        assert!(!listed.cause.contains(" for "), "{}", listed.cause);
        // Synced, then seen turning OutOfSync two minutes ago: not long yet.
        for (sync, at) in [("Synced", 5), ("OutOfSync", 2)] {
            let event = replay::applied(
                &model,
                &context,
                with_sync(sync),
                now - Duration::minutes(at),
            )
            .expect("event");
            model.apply(event);
        }
        model.refresh(now);
        assert_eq!(out_of_sync_problem(&model, now), None);
        // Still OutOfSync eleven minutes after it turned: a problem, counted from the turn.
        let later = now + Duration::minutes(9);
        let event =
            replay::applied(&model, &context, with_sync("OutOfSync"), later).expect("event");
        model.apply(event);
        model.refresh(later);
        let problem = out_of_sync_problem(&model, later).expect("long out of sync");
        assert_eq!(problem.since, Some(now - Duration::minutes(2)));
        assert!(
            problem.cause.contains("OutOfSync for 11m"),
            "{}",
            problem.cause
        );
    }
}

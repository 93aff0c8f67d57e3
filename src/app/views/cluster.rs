//! Clusters as the console shows them: the clusters pane's rows (vendor, version, nodes,
//! Cilium and Gateway API, connection and the age of the last event) and a cluster's detail
//! (infrastructure checks with why and advice, nodes, ArgoCD's components, watches, warnings).

use std::borrow::Cow;

use chrono::{DateTime, Utc};

use super::fmt::{age_of, connection_text, outcome_glyph, outcome_role};
use crate::domain::estate::{Cluster, ConnectionState, DataState, Readiness};
use crate::domain::preflight::{Check, Outcome};
use crate::live::EstateModel;
use crate::live::model::WatchPhase;
use crate::theme::Role;
use crate::ui::table::{CellText, Column, SortKey, TableRow};

/// One cluster as the clusters pane shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterRow {
    pub name: String,
    pub environment: String,
    pub vendor: String,
    pub version: String,
    pub nodes: String,
    pub nodes_ok: bool,
    /// `L7 ✓ GW ✓ KPR ✓`
    pub cilium: String,
    pub cilium_ok: bool,
    pub connection: &'static str,
    pub connection_role: Role,
    pub last_event: String,
    pub stale: bool,
    pub management: bool,
}

pub const CLUSTER_COLUMNS: &[Column] = &[
    Column::new("CLUSTER").width(12, 24).highlights_filter(),
    Column::new("ENV").width(3, 5).priority(1),
    Column::new("VENDOR").short("VND").width(3, 6).priority(2),
    Column::new("K8S").width(7, 20).priority(4),
    Column::new("NODES").width(5, 5).priority(2),
    Column::new("CILIUM L7/GW/KPR")
        .short("CILIUM")
        .width(11, 16)
        .priority(3),
    Column::new("CONNECTION")
        .short("CONN")
        .width(12, 15)
        .priority(0),
    Column::new("LAST").width(4, 5).priority(1).right(),
];

impl TableRow for ClusterRow {
    fn key(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.name)
    }

    fn cell(&self, column: usize) -> CellText<'_> {
        match column {
            0 => CellText::new(if self.management {
                Cow::Owned(format!("{} (mgmt)", self.name))
            } else {
                Cow::Borrowed(self.name.as_str())
            }),
            1 => CellText::new(self.environment.as_str()),
            2 => CellText::new(self.vendor.as_str()),
            3 => CellText::styled(self.version.as_str(), Role::Muted),
            4 => CellText::styled(
                self.nodes.as_str(),
                if self.nodes_ok {
                    Role::Text
                } else {
                    Role::Degraded
                },
            ),
            5 => CellText::styled(
                self.cilium.as_str(),
                if self.cilium_ok {
                    Role::Text
                } else {
                    Role::Warning
                },
            ),
            6 => CellText::styled(self.connection, self.connection_role),
            _ => CellText::styled(
                self.last_event.as_str(),
                if self.stale { Role::Stale } else { Role::Muted },
            ),
        }
    }

    fn sort_key(&self, column: usize) -> SortKey<'_> {
        SortKey::text(self.cell(column).text)
    }
}

fn on_off(value: Option<&str>) -> (&'static str, bool) {
    match value.map(str::trim) {
        Some("true") | Some("strict") => ("✓", true),
        Some(_) => ("✗", false),
        None => ("?", false),
    }
}

/// The clusters pane's rows, management first, then in promotion order.
pub fn cluster_rows(model: &EstateModel, now: DateTime<Utc>) -> Vec<ClusterRow> {
    model
        .clusters()
        .iter()
        .map(|cluster| cluster_row(cluster, now))
        .collect()
}

pub fn cluster_row(cluster: &Cluster, now: DateTime<Utc>) -> ClusterRow {
    let facts = &cluster.facts;
    let nodes = match (facts.nodes_ready, facts.nodes_total) {
        (Some(ready), Some(total)) => format!("{ready}/{total}"),
        _ => "-".into(),
    };
    let nodes_ok =
        matches!((facts.nodes_ready, facts.nodes_total), (Some(r), Some(t)) if r == t && t > 0);
    let (cilium, cilium_ok) = match facts.cilium.present {
        Some(true) => {
            let (l7, a) = on_off(facts.cilium.l7_proxy.as_deref());
            let (gw, b) = on_off(facts.cilium.gateway_api.as_deref());
            let (kpr, c) = on_off(facts.cilium.kube_proxy_replacement.as_deref());
            (format!("L7{l7} GW{gw} KPR{kpr}"), a && b && c)
        }
        Some(false) => ("absent".into(), false),
        None => ("-".into(), false),
    };
    let (connection, connection_role) = connection_text(&cluster.connection);
    let state = cluster.data_state(now);
    let (connection, connection_role) = match (&cluster.connection, state) {
        (ConnectionState::Live, DataState::Stale { .. }) => ("◌ stale", Role::Stale),
        _ => (connection, connection_role),
    };
    ClusterRow {
        name: cluster.name.to_string(),
        environment: cluster
            .environment()
            .map_or("-".to_string(), |e| e.to_string()),
        vendor: cluster.vendor().map_or("-".to_string(), |v| v.to_string()),
        version: facts
            .kubernetes_version
            .clone()
            .unwrap_or_else(|| "-".into()),
        nodes,
        nodes_ok,
        cilium,
        cilium_ok,
        connection,
        connection_role,
        last_event: age_of(now, cluster.freshness.last_event_at),
        stale: !matches!(state, DataState::Live),
        management: cluster.role.management,
    }
}

/// A preflight check as a row.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckRow {
    pub check: Check,
}

pub const CHECK_COLUMNS: &[Column] = &[
    Column::new("RESULT").width(6, 9),
    Column::new("CHECK").width(14, 36).highlights_filter(),
    Column::new("WHY").width(16, 100).priority(1),
    Column::new("ADVICE").width(16, 100).priority(2),
];

impl TableRow for CheckRow {
    fn key(&self) -> Cow<'_, str> {
        Cow::Borrowed(self.check.id)
    }

    fn cell(&self, column: usize) -> CellText<'_> {
        let c = &self.check;
        match column {
            0 => CellText::styled(
                format!("{} {}", outcome_glyph(c.outcome), c.outcome.as_str()),
                outcome_role(c.outcome),
            ),
            1 => CellText::new(c.title),
            2 => CellText::new(c.why.as_str()),
            _ => CellText::styled(c.advice.as_deref().unwrap_or(""), Role::Muted),
        }
    }

    fn sort_key(&self, column: usize) -> SortKey<'_> {
        match column {
            0 => SortKey::Rank(3 - self.check.outcome as u32),
            _ => SortKey::text(self.cell(column).text),
        }
    }
}

/// A plain row of text cells (nodes, components, watches, warnings).
#[derive(Debug, Clone, PartialEq)]
pub struct TextRow {
    pub key: String,
    pub cells: Vec<(String, Option<Role>)>,
}

impl TableRow for TextRow {
    fn key(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.key)
    }

    fn cell(&self, column: usize) -> CellText<'_> {
        match self.cells.get(column) {
            Some((text, Some(role))) => CellText::styled(text.as_str(), *role),
            Some((text, None)) => CellText::new(text.as_str()),
            None => CellText::new(""),
        }
    }
}

pub const NODE_COLUMNS: &[Column] = &[
    Column::new("NODE").width(12, 48).highlights_filter(),
    Column::new("READY").width(10, 10),
    Column::new("KUBELET").width(8, 22).priority(1),
    Column::new("PROVIDER").width(6, 12).priority(2),
];

pub const COMPONENT_COLUMNS: &[Column] = &[
    Column::new("ARGOCD COMPONENT")
        .short("COMPONENT")
        .width(16, 40),
    Column::new("READY").width(10, 10),
];

pub const WATCH_COLUMNS: &[Column] = &[
    Column::new("WATCH").width(10, 20),
    Column::new("STATE").width(10, 12),
    Column::new("LAST").width(4, 5).priority(1).right(),
    Column::new("RELISTS")
        .short("RL")
        .width(2, 7)
        .priority(3)
        .right(),
    Column::new("ERROR").width(10, 120).priority(2),
];

pub const WARNING_COLUMNS: &[Column] = &[Column::new("WARNING").width(20, 200)];

/// Everything a cluster's detail shows.
#[derive(Debug, Clone, Default)]
pub struct ClusterData {
    pub found: bool,
    pub checks: Vec<CheckRow>,
    pub nodes: Vec<TextRow>,
    pub components: Vec<TextRow>,
    pub watches: Vec<TextRow>,
    pub warnings: Vec<TextRow>,
}

fn readiness(r: Readiness) -> (String, Option<Role>) {
    let role = if r.is_ready() {
        Role::Healthy
    } else {
        Role::Degraded
    };
    let glyph = if r.is_ready() { "●" } else { "✖" };
    (format!("{glyph} {r}"), Some(role))
}

pub fn build(model: &EstateModel, name: &str, now: DateTime<Utc>) -> ClusterData {
    let Some(cluster) = model.cluster(name) else {
        return ClusterData::default();
    };
    let mut checks: Vec<CheckRow> = model
        .preflight()
        .iter()
        .find(|r| r.cluster == name)
        .map(|r| {
            r.checks
                .iter()
                .cloned()
                .map(|check| CheckRow { check })
                .collect()
        })
        .unwrap_or_default();
    // Worst first: what needs fixing on top.
    checks.sort_by_key(|c| std::cmp::Reverse(outcome_rank(c.check.outcome)));
    let connection = cluster.context.as_deref().and_then(|c| model.connection(c));
    let mut nodes: Vec<TextRow> = connection
        .map(|c| {
            c.nodes
                .iter()
                .map(|(key, node)| TextRow {
                    key: key.name.to_string(),
                    cells: vec![
                        (key.name.to_string(), None),
                        if node.ready {
                            ("● Ready".into(), Some(Role::Healthy))
                        } else {
                            ("✖ NotReady".into(), Some(Role::Degraded))
                        },
                        (
                            node.kubelet_version.as_deref().unwrap_or("-").to_string(),
                            Some(Role::Muted),
                        ),
                        (
                            node.provider
                                .as_deref()
                                .unwrap_or("-")
                                .trim_end_matches("://")
                                .to_string(),
                            Some(Role::Muted),
                        ),
                    ],
                })
                .collect()
        })
        .unwrap_or_default();
    nodes.sort_by(|a, b| a.key.cmp(&b.key));
    let components = cluster
        .facts
        .argocd
        .as_ref()
        .map(|argocd| {
            argocd
                .workloads
                .iter()
                .map(|(name, r)| TextRow {
                    key: name.clone(),
                    cells: vec![(name.clone(), None), readiness(*r)],
                })
                .collect()
        })
        .unwrap_or_default();
    let watches = connection
        .map(|c| {
            c.watches
                .iter()
                .map(|(kind, status)| {
                    let state = status.state();
                    let role = match state {
                        "live" => Role::Healthy,
                        "connecting" | "relisting" => Role::Progressing,
                        _ => Role::Danger,
                    };
                    let error = match &status.phase {
                        WatchPhase::Failing { failure, .. } => failure.to_string(),
                        WatchPhase::Forbidden { verb, message } => format!("{verb}: {message}"),
                        _ => String::new(),
                    };
                    TextRow {
                        key: kind.as_str().to_string(),
                        cells: vec![
                            (kind.as_str().to_string(), None),
                            (state.to_string(), Some(role)),
                            (age_of(now, status.last_activity), Some(Role::Muted)),
                            (status.relists.to_string(), Some(Role::Muted)),
                            (error, Some(Role::Danger)),
                        ],
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let mut warnings: Vec<String> = Vec::new();
    match &cluster.connection {
        ConnectionState::Reconnecting { error, since } | ConnectionState::Unreachable { error, since } => {
            warnings.push(format!("connection failing since {} ago: {error}", age_of(now, Some(*since))));
        }
        ConnectionState::Forbidden { verb, resource } => {
            warnings.push(format!("RBAC: cannot {verb} {resource}"));
        }
        ConnectionState::NoContext => warnings.push(
            "no kubeconfig context reaches this cluster: its facts are unknown (map one with `clusters:` in the config)".into(),
        ),
        _ => {}
    }
    if let Some(link) = model.link(name)
        && let Some(note) = &link.note
    {
        warnings.push(note.clone());
    }
    let prefix = format!("cluster {name}:");
    warnings.extend(
        model
            .warnings()
            .into_iter()
            .filter(|w| w.starts_with(&prefix))
            .map(|w| w[prefix.len()..].trim().to_string()),
    );
    ClusterData {
        found: true,
        checks,
        nodes,
        components,
        watches,
        warnings: warnings
            .into_iter()
            .enumerate()
            .map(|(i, w)| TextRow {
                key: i.to_string(),
                cells: vec![(w, Some(Role::Warning))],
            })
            .collect(),
    }
}

fn outcome_rank(outcome: Outcome) -> u8 {
    match outcome {
        Outcome::Pass => 0,
        Outcome::Warn => 1,
        Outcome::Unknown => 2,
        Outcome::Fail => 3,
    }
}

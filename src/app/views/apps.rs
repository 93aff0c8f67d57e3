//! The Application list as table rows: one row per Application, worst first, each cell a
//! glyph and a word, Applications whose data is not current marked stale.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::fmt::{
    age_of, health_glyph, health_role, phase_glyph, phase_role, short_revision, sync_glyph,
    sync_role,
};
use crate::domain::estate::{AppSummary, DataState, Unavailable, app_order, corroboration};
use crate::live::EstateModel;
use crate::live::objects::AppFacts;
use crate::theme::Role;
use crate::ui::table::{CellText, Column, SortKey, TableRow};

/// One Application as the list shows it.
#[derive(Debug, Clone, Copy)]
pub struct AppRow<'a> {
    pub summary: &'a AppSummary,
    /// What the row shows beyond the summary (a pending refresh).
    pub facts: &'a AppFacts,
    /// The data behind it is current (management cluster live, destination not lost).
    pub current: bool,
    pub now: DateTime<Utc>,
    /// In ArgoCD's namespace: the key is the bare name.
    in_default_namespace: bool,
}

impl<'a> AppRow<'a> {
    pub fn new(
        summary: &'a AppSummary,
        facts: &'a AppFacts,
        current: bool,
        now: DateTime<Utc>,
        default_namespace: &str,
    ) -> AppRow<'a> {
        AppRow {
            summary,
            facts,
            current,
            now,
            in_default_namespace: &*summary.namespace == default_namespace,
        }
    }

    /// `namespace/name`, what [`crate::app::Target::App`] carries.
    pub fn qualified(&self) -> String {
        format!("{}/{}", self.summary.namespace, self.summary.name)
    }

    /// A refresh was asked for and ArgoCD has not taken it in yet.
    pub fn refresh_pending(&self) -> Option<&'a str> {
        self.facts.refresh_requested.as_deref()
    }

    fn health_cell(&self) -> CellText<'static> {
        let health = self.summary.health;
        if self.current {
            CellText::styled(
                format!("{} {}", health_glyph(health), health.as_str()),
                health_role(health),
            )
        } else {
            CellText::styled(format!("◌ {}", health.as_str()), Role::Stale)
        }
    }

    fn sync_cell(&self) -> CellText<'static> {
        let sync = self.summary.sync;
        if self.current {
            CellText::styled(
                format!("{} {}", sync_glyph(sync), sync.as_str()),
                sync_role(sync),
            )
        } else {
            CellText::styled(format!("◌ {}", sync.as_str()), Role::Stale)
        }
    }

    fn operation_cell(&self) -> CellText<'static> {
        if let Some(kind) = self.refresh_pending() {
            return CellText::styled(format!("⟳ {kind} refresh"), Role::Progressing);
        }
        match &self.summary.operation {
            Some(op) if op.phase.is_running() || op.phase.is_failed() => CellText::styled(
                format!("{} {}", phase_glyph(&op.phase), op.phase.as_str()),
                phase_role(&op.phase),
            ),
            _ if self.summary.operation_requested => {
                CellText::styled("⟳ requested", Role::Progressing)
            }
            _ => CellText::styled("-", Role::Muted),
        }
    }
}

/// The list's columns; the lowest priorities drop out first at narrow widths.
pub const APP_COLUMNS: &[Column] = &[
    Column::new("APPLICATION")
        .short("APP")
        .width(20, 44)
        .highlights_filter(),
    Column::new("ENV").width(3, 5).priority(1),
    Column::new("LAYER").width(5, 11).priority(5),
    Column::new("SYNC").width(9, 11).priority(0),
    Column::new("HEALTH").width(10, 13).priority(0),
    Column::new("REVISION").short("REV").width(7, 8).priority(4),
    Column::new("SYNCED").width(6, 6).priority(3).right(),
    Column::new("AUTO").width(4, 4).priority(2),
    Column::new("OPERATION")
        .short("OP")
        .width(9, 18)
        .priority(2),
    Column::new("CLUSTER").width(9, 16).priority(6),
];

/// Column indices, for sorting and tests.
pub mod col {
    pub const NAME: usize = 0;
    pub const SYNC: usize = 3;
    pub const HEALTH: usize = 4;
}

impl TableRow for AppRow<'_> {
    fn key(&self) -> Cow<'_, str> {
        if self.in_default_namespace {
            Cow::Borrowed(&self.summary.name)
        } else {
            Cow::Owned(self.qualified())
        }
    }

    fn cell(&self, column: usize) -> CellText<'_> {
        let s = self.summary;
        match column {
            0 => CellText::new(&*s.name),
            1 => CellText::new(s.environment.as_ref().map_or("-", |e| e.as_str())),
            2 => CellText::new(s.layer.map_or("-", |l| l.title())),
            3 => self.sync_cell(),
            4 => self.health_cell(),
            5 => CellText::new(s.revision.as_deref().map_or("-", short_revision)),
            6 => CellText::styled(age_of(self.now, s.last_synced_at), Role::Muted),
            7 => {
                if s.auto_sync.enabled {
                    CellText::new("on")
                } else {
                    CellText::styled("off", Role::Warning)
                }
            }
            8 => self.operation_cell(),
            _ => CellText::new(s.cluster.as_deref().unwrap_or("-")),
        }
    }

    fn sort_key(&self, column: usize) -> SortKey<'_> {
        let s = self.summary;
        match column {
            // Worst first when ascending.
            3 => SortKey::Rank(2 - s.sync.index() as u32),
            4 => SortKey::Rank(5 - s.health.severity() as u32),
            6 => SortKey::Number(-s.last_synced_at.map_or(0, |t| t.timestamp())),
            _ => SortKey::text(self.cell(column).text),
        }
    }

    fn filter_text(&self) -> Cow<'_, str> {
        let s = self.summary;
        Cow::Owned(format!(
            "{} {} {} {} {} {} {}",
            s.name,
            s.environment.as_ref().map_or("", |e| e.as_str()),
            s.layer.map_or("", |l| l.title()),
            s.component.as_deref().unwrap_or(""),
            s.cluster.as_deref().unwrap_or(""),
            s.health.as_str(),
            s.sync.as_str(),
        ))
    }
}

/// Whether each Application's data is current, as `status` judges it: the management
/// cluster live, and its destination not lost.
pub struct Currency {
    management: DataState,
    clusters: HashMap<String, DataState>,
}

impl Currency {
    pub fn of(model: &EstateModel, now: DateTime<Utc>) -> Currency {
        let management = model
            .cluster(model.management_name())
            .map_or(DataState::Unavailable(Unavailable::UnknownCluster), |c| {
                c.data_state(now)
            });
        let clusters = model
            .clusters()
            .iter()
            .map(|c| (c.name.to_string(), corroboration(c.data_state(now))))
            .collect();
        Currency {
            management,
            clusters,
        }
    }

    pub fn is_current(&self, app: &AppSummary) -> bool {
        let destination = app
            .cluster
            .as_deref()
            .and_then(|c| self.clusters.get(c).copied())
            .unwrap_or(DataState::Live);
        self.management.worst(destination) == DataState::Live
    }
}

/// Every Application as a row, worst first (health, sync, failed operation, name).
pub fn app_rows(model: &EstateModel, now: DateTime<Utc>) -> Vec<AppRow<'_>> {
    let currency = Currency::of(model, now);
    let default_ns = &*model.settings().argocd_namespace;
    let mut rows: Vec<AppRow<'_>> = model
        .app_table()
        .iter()
        .map(|(summary, detail)| AppRow {
            summary,
            facts: &detail.facts,
            current: currency.is_current(summary),
            now,
            in_default_namespace: &*summary.namespace == default_ns,
        })
        .collect();
    rows.sort_by(|a, b| app_order(a.summary, b.summary));
    rows
}

/// The `namespace/name` of a list key (bare names are in ArgoCD's namespace).
pub fn qualified_key(key: &str, default_namespace: &str) -> String {
    if key.contains('/') {
        key.to_string()
    } else {
        format!("{default_namespace}/{key}")
    }
}

/// Splits `namespace/name`.
pub fn split_qualified(qualified: &str) -> (&str, &str) {
    qualified.split_once('/').unwrap_or(("", qualified))
}

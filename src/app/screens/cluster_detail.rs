//! One cluster in detail: what it is and how the console's connection to it stands, over tabs
//! of tables: infrastructure prerequisites (pass / warn / fail, why, what to do), nodes,
//! ArgoCD's components (management clusters), the watches and warnings.

use crossterm::event::{KeyEvent, MouseEvent};
use ratatui::Frame;
use ratatui::layout::Rect;

use crate::app::component::{Component, Cx, Handled, Screen, ViewCx};
use crate::app::context::AppContext;
use crate::app::nav::Target;
use crate::app::views::cluster::{
    self, CHECK_COLUMNS, COMPONENT_COLUMNS, ClusterData, NODE_COLUMNS, WARNING_COLUMNS,
    WATCH_COLUMNS,
};
use crate::app::views::fmt::{age_of, connection_text};
use crate::config::{Command, Mode};
use crate::domain::estate::{Cluster, ConnectionState, DataState};
use crate::domain::preflight::Outcome;
use crate::theme::Role;
use crate::ui::fields::{self, Field, Piece, piece};
use crate::ui::table::{self, TableInput, TableOutcome, TableProps, TableState};
use crate::ui::tabs::{self, Tab};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClusterTab {
    Checks,
    Nodes,
    ArgoCd,
    Watches,
    Warnings,
}

impl ClusterTab {
    pub const ALL: [ClusterTab; 5] = [
        ClusterTab::Checks,
        ClusterTab::Nodes,
        ClusterTab::ArgoCd,
        ClusterTab::Watches,
        ClusterTab::Warnings,
    ];

    pub fn title(self) -> &'static str {
        match self {
            ClusterTab::Checks => "Prerequisites",
            ClusterTab::Nodes => "Nodes",
            ClusterTab::ArgoCd => "ArgoCD",
            ClusterTab::Watches => "Watches",
            ClusterTab::Warnings => "Warnings",
        }
    }

    fn index(self) -> usize {
        ClusterTab::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }
}

pub struct ClusterDetailScreen {
    name: String,
    tab: ClusterTab,
    tables: [TableState; 5],
    key: Option<(u64, i64)>,
    data: ClusterData,
}

struct Areas {
    header: Rect,
    tabs: Rect,
    table: Rect,
}

fn areas(area: Rect) -> Areas {
    let header = 7u16.min(area.height / 2).max(3.min(area.height));
    let tabs = 1u16.min(area.height - header);
    Areas {
        header: Rect {
            height: header,
            ..area
        },
        tabs: Rect {
            y: area.y + header,
            height: tabs,
            ..area
        },
        table: Rect {
            y: area.y + header + tabs,
            height: area.height - header - tabs,
            ..area
        },
    }
}

fn span(text: impl Into<String>, role: Role) -> Piece {
    piece(text, role)
}

fn header(cluster: &Cluster, app: &AppContext) -> (Vec<Piece>, Vec<Field>) {
    let now = app.wall;
    let mut title = vec![span(format!(" {} ", cluster.name), Role::Title)];
    let roles = match (cluster.role.management, cluster.role.target) {
        (true, true) => "management and target",
        (true, false) => "management (runs ArgoCD)",
        (false, _) => "target",
    };
    title.push(span(format!("{roles} "), Role::Muted));
    let facts = &cluster.facts;
    let mut fields = vec![Field::new(
        "Cluster",
        vec![
            span(
                cluster
                    .environment()
                    .map_or("no environment".to_string(), |e| e.to_string()),
                Role::Text,
            ),
            span(
                format!(
                    " · {}",
                    cluster
                        .vendor()
                        .map_or("vendor unknown".to_string(), |v| v.to_string())
                ),
                Role::Text,
            ),
            span(
                format!(
                    " · Kubernetes {}",
                    facts.kubernetes_version.as_deref().unwrap_or("?")
                ),
                Role::Text,
            ),
            span(
                format!("  context {}", cluster.context.as_deref().unwrap_or("none")),
                Role::Muted,
            ),
        ],
    )];
    let (state, role) = connection_text(&cluster.connection);
    let mut connection = vec![span(state, role)];
    match &cluster.connection {
        ConnectionState::Reconnecting { error, since }
        | ConnectionState::Unreachable { error, since } => {
            connection.push(span(
                format!(" for {}: {error}", age_of(now, Some(*since))),
                Role::Danger,
            ));
        }
        ConnectionState::Forbidden { verb, resource } => {
            connection.push(span(format!(": cannot {verb} {resource}"), Role::Danger));
        }
        _ => {}
    }
    let data = cluster.data_state(now);
    connection.push(span(
        format!(
            "  last event {} ago",
            age_of(now, cluster.freshness.last_event_at)
        ),
        if matches!(data, DataState::Live) {
            Role::Muted
        } else {
            Role::Stale
        },
    ));
    if let DataState::Stale { .. } = data {
        connection.push(span(" (stale)", Role::Stale));
    }
    fields.push(Field::new("Connection", connection));
    fields.push(Field::new(
        "Server",
        vec![span(cluster.server.clone(), Role::Muted)],
    ));
    let nodes = match (facts.nodes_ready, facts.nodes_total) {
        (Some(r), Some(t)) => format!("{r}/{t} ready"),
        _ => "unknown".to_string(),
    };
    let yes_no = |v: Option<&str>| match v.map(str::trim) {
        Some("true") | Some("strict") => "on",
        Some(_) => "off",
        None => "?",
    };
    let cilium = match facts.cilium.present {
        Some(true) => format!(
            "Cilium L7 proxy {} · Gateway API {} · kube-proxy replacement {} · IPAM {}",
            yes_no(facts.cilium.l7_proxy.as_deref()),
            yes_no(facts.cilium.gateway_api.as_deref()),
            yes_no(facts.cilium.kube_proxy_replacement.as_deref()),
            facts.cilium.ipam_mode.as_deref().unwrap_or("?")
        ),
        Some(false) => "Cilium not installed".into(),
        None => "Cilium unknown".into(),
    };
    fields.push(Field::new(
        "Platform",
        vec![
            span(format!("nodes {nodes} · "), Role::Text),
            span(cilium, Role::Text),
        ],
    ));
    (title, fields)
}

impl ClusterDetailScreen {
    pub fn new(name: &str) -> ClusterDetailScreen {
        ClusterDetailScreen {
            name: name.to_string(),
            tab: ClusterTab::Checks,
            tables: Default::default(),
            key: None,
            data: ClusterData::default(),
        }
    }

    pub fn data(&self) -> &ClusterData {
        &self.data
    }

    pub fn tab(&self) -> ClusterTab {
        self.tab
    }

    fn count(&self, tab: ClusterTab) -> usize {
        match tab {
            ClusterTab::Checks => self.data.checks.len(),
            ClusterTab::Nodes => self.data.nodes.len(),
            ClusterTab::ArgoCd => self.data.components.len(),
            ClusterTab::Watches => self.data.watches.len(),
            ClusterTab::Warnings => self.data.warnings.len(),
        }
    }

    fn on_table(&mut self, command: Command, area: Rect) -> TableOutcome {
        let input = TableInput::Command(command);
        let state = &mut self.tables[self.tab.index()];
        let d = &self.data;
        match self.tab {
            ClusterTab::Checks => state.on_input(input, &d.checks, CHECK_COLUMNS, area),
            ClusterTab::Nodes => state.on_input(input, &d.nodes, NODE_COLUMNS, area),
            ClusterTab::ArgoCd => state.on_input(input, &d.components, COMPONENT_COLUMNS, area),
            ClusterTab::Watches => state.on_input(input, &d.watches, WATCH_COLUMNS, area),
            ClusterTab::Warnings => state.on_input(input, &d.warnings, WARNING_COLUMNS, area),
        }
    }
}

impl Component for ClusterDetailScreen {
    fn mode(&self) -> Mode {
        if self.tables[self.tab.index()].is_editing() {
            Mode::Palette
        } else {
            Mode::Detail
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, cx: &ViewCx<'_>) {
        let Some(model) = cx.app.estate.as_ref() else {
            return;
        };
        let a = areas(area);
        match model.cluster(&self.name) {
            Some(cluster) => {
                let (title, fields) = header(cluster, cx.app);
                fields::render(frame, a.header, &title, &fields, cx.theme, false);
            }
            None => fields::render(
                frame,
                a.header,
                &[span(format!(" {} ", self.name), Role::Title)],
                &[Field::new(
                    "Status",
                    vec![span(
                        "not in the estate (its cluster Secret is gone?)",
                        Role::Warning,
                    )],
                )],
                cx.theme,
                false,
            ),
        }
        let failing = self
            .data
            .checks
            .iter()
            .any(|c| c.check.outcome == Outcome::Fail);
        let tab_list: Vec<Tab> = ClusterTab::ALL
            .iter()
            .map(|t| Tab {
                title: t.title(),
                count: Some(self.count(*t)),
                alert: match t {
                    ClusterTab::Checks => failing,
                    ClusterTab::Warnings => !self.data.warnings.is_empty(),
                    _ => false,
                },
            })
            .collect();
        tabs::render(frame, a.tabs, &tab_list, self.tab.index(), cx.theme);
        let state = &self.tables[self.tab.index()];
        let d = &self.data;
        let title = self.tab.title();
        let empty = match self.tab {
            ClusterTab::ArgoCd => "ArgoCD does not run here",
            ClusterTab::Warnings => "no warnings",
            _ => "nothing known yet",
        };
        macro_rules! draw {
            ($rows:expr, $columns:expr) => {
                table::render(
                    frame,
                    a.table,
                    &TableProps {
                        title,
                        columns: $columns,
                        rows: $rows,
                        empty,
                    },
                    state,
                    cx.theme,
                    cx.focused,
                )
            };
        }
        match self.tab {
            ClusterTab::Checks => draw!(&d.checks, CHECK_COLUMNS),
            ClusterTab::Nodes => draw!(&d.nodes, NODE_COLUMNS),
            ClusterTab::ArgoCd => draw!(&d.components, COMPONENT_COLUMNS),
            ClusterTab::Watches => draw!(&d.watches, WATCH_COLUMNS),
            ClusterTab::Warnings => draw!(&d.warnings, WARNING_COLUMNS),
        }
    }

    fn on_command(&mut self, command: Command, cx: &mut Cx<'_>) -> Handled {
        self.prepare(cx.app);
        let area = areas(cx.area).table;
        if !self.tables[self.tab.index()].is_editing() {
            match command {
                Command::NextPane | Command::PrevPane => {
                    let n = ClusterTab::ALL.len();
                    let i = self.tab.index();
                    let next = if command == Command::NextPane {
                        (i + 1) % n
                    } else {
                        (i + n - 1) % n
                    };
                    self.tab = ClusterTab::ALL[next];
                    return Handled::Yes;
                }
                Command::ClusterDetail => return Handled::Yes,
                _ => {}
            }
        }
        let command = if command == Command::Search {
            Command::Filter
        } else {
            command
        };
        match self.on_table(command, area) {
            TableOutcome::Ignored => Handled::No,
            TableOutcome::Changed | TableOutcome::Activated(_) => Handled::Yes,
        }
    }

    fn on_text(&mut self, key: KeyEvent, _cx: &mut Cx<'_>) -> Handled {
        Handled::from(self.tables[self.tab.index()].on_text(key))
    }

    fn on_paste(&mut self, text: &str, _cx: &mut Cx<'_>) -> Handled {
        Handled::from(self.tables[self.tab.index()].on_paste(text))
    }

    fn on_mouse(&mut self, mouse: MouseEvent, cx: &mut Cx<'_>) -> Handled {
        let area = areas(cx.area).table;
        let command = match mouse.kind {
            crossterm::event::MouseEventKind::ScrollDown => Command::Down,
            crossterm::event::MouseEventKind::ScrollUp => Command::Up,
            _ => return Handled::No,
        };
        Handled::from(
            area.contains(ratatui::layout::Position::new(mouse.column, mouse.row))
                && self.on_table(command, area) == TableOutcome::Changed,
        )
    }

    fn on_tick(&mut self, cx: &mut Cx<'_>) -> Handled {
        Handled::from(
            self.key
                .is_some_and(|(_, minute)| minute != cx.app.minute()),
        )
    }

    fn prepare(&mut self, app: &AppContext) {
        let key = (app.revision(), app.minute());
        if self.key == Some(key) {
            return;
        }
        if let Some(model) = app.estate.as_ref() {
            self.data = cluster::build(model, &self.name, app.wall);
        }
        self.key = Some(key);
    }
}

impl Screen for ClusterDetailScreen {
    fn title(&self) -> String {
        self.name.clone()
    }

    fn goto(&mut self, target: &Target, _cx: &mut Cx<'_>) -> Handled {
        match target {
            Target::Cluster(name) if *name == self.name => Handled::Yes,
            _ => Handled::No,
        }
    }
}

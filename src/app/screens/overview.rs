//! The home screen: the layers × environments matrix, the clusters pane and the Application
//! list. Tab moves between the panes; Enter on a layer expands it, on a cell scopes the list
//! to that cell's Applications; Enter on a cluster or an Application opens its detail; action
//! keys act on the selected Application.
//!
//! Derived data (matrix lines, cluster rows, the list's order and its filtered, sorted view)
//! is cached and rebuilt only when the model's revision, the minute shown, the filter, the
//! sort or the scope changes; drawing touches only the visible rows.

use std::collections::BTreeSet;
use std::sync::Arc;

use crossterm::event::{KeyEvent, MouseButton, MouseEvent, MouseEventKind};
use ratatui::Frame;
use ratatui::layout::{Position, Rect};

use crate::app::actions;
use crate::app::component::{Component, Cx, Handled, Screen, ViewCx};
use crate::app::context::AppContext;
use crate::app::nav::Target;
use crate::app::views::apps::{APP_COLUMNS, AppRow, Currency, qualified_key, split_qualified};
use crate::app::views::cluster::{CLUSTER_COLUMNS, ClusterRow, cluster_rows};
use crate::app::views::matrix::{LineId, lines};
use crate::config::{Command, Mode};
use crate::domain::env::Environment;
use crate::domain::estate::app_order;
use crate::domain::layer::Layer;
use crate::live::EstateModel;
use crate::ui::layout::FocusRing;
use crate::ui::matrix::{self, MatrixLine, MatrixProps};
use crate::ui::palette::{Candidate, CandidateKind};
use crate::ui::table::{self, Sort, TableOutcome, TableProps, TableState, TableView};

const MATRIX: usize = 0;
const CLUSTERS: usize = 1;
const APPS: usize = 2;

/// Width from which the matrix and the clusters pane sit side by side.
const SIDE_BY_SIDE: u16 = 120;

/// What the Application list is narrowed to (a matrix cell).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scope {
    pub layer: Option<Layer>,
    pub component: Option<Arc<str>>,
    pub environment: Option<Environment>,
}

impl Scope {
    fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(layer) = self.layer {
            parts.push(layer.title().to_string());
        }
        if let Some(component) = &self.component {
            parts.push(component.to_string());
        }
        if let Some(env) = &self.environment {
            parts.push(env.to_string());
        }
        parts.join(" · ")
    }

    fn admits(&self, app: &crate::domain::estate::AppSummary) -> bool {
        self.layer.is_none_or(|l| app.layer == Some(l))
            && self
                .component
                .as_ref()
                .is_none_or(|c| app.component.as_deref() == Some(&**c))
            && self
                .environment
                .as_ref()
                .is_none_or(|e| app.environment.as_ref() == Some(e))
    }
}

/// Where the panes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub matrix: Rect,
    pub clusters: Rect,
    pub apps: Rect,
}

impl Areas {
    pub fn new(area: Rect, matrix_lines: usize, clusters: usize) -> Areas {
        let matrix_height = (matrix_lines as u16 + 3)
            .min(area.height / 2)
            .max(5.min(area.height));
        let clusters_height = (clusters as u16 + 3).clamp(4, 9);
        if area.width >= SIDE_BY_SIDE {
            let top = matrix_height.max(clusters_height).min(area.height);
            let matrix_width = area.width * 11 / 20;
            Areas {
                matrix: Rect {
                    height: top,
                    width: matrix_width,
                    ..area
                },
                clusters: Rect {
                    x: area.x + matrix_width,
                    width: area.width - matrix_width,
                    height: top,
                    ..area
                },
                apps: Rect {
                    y: area.y + top,
                    height: area.height - top,
                    ..area
                },
            }
        } else {
            let matrix_height = matrix_height.min(area.height);
            let clusters_height = clusters_height.min(area.height - matrix_height);
            let apps_y = area.y + matrix_height + clusters_height;
            Areas {
                matrix: Rect {
                    height: matrix_height,
                    ..area
                },
                clusters: Rect {
                    y: area.y + matrix_height,
                    height: clusters_height,
                    ..area
                },
                apps: Rect {
                    y: apps_y,
                    height: area.height - matrix_height - clusters_height,
                    ..area
                },
            }
        }
    }
}

/// What the cache was built for.
#[derive(Debug, Clone, PartialEq, Default)]
struct CacheKey {
    revision: u64,
    minute: i64,
    expanded: BTreeSet<Layer>,
    filter: String,
    sort: Option<Sort>,
    scope: Option<Scope>,
}

#[derive(Default)]
struct Cache {
    key: Option<CacheKey>,
    environments: Vec<Environment>,
    columns: Vec<String>,
    lines: Vec<MatrixLine>,
    ids: Vec<LineId>,
    clusters: Vec<ClusterRow>,
    /// Indices into the model's Application table, worst first, within the scope.
    order: Vec<usize>,
    current: Vec<bool>,
    /// The list's filtered, sorted view over the rows built from `order`.
    view: TableView,
}

pub struct OverviewScreen {
    focus: FocusRing,
    expanded: BTreeSet<Layer>,
    line: usize,
    column: usize,
    clusters: TableState,
    apps: TableState,
    scope: Option<Scope>,
    cache: Cache,
}

impl Default for OverviewScreen {
    fn default() -> Self {
        OverviewScreen::new()
    }
}

impl OverviewScreen {
    pub fn new() -> OverviewScreen {
        OverviewScreen {
            focus: FocusRing::new(3),
            expanded: BTreeSet::new(),
            line: 0,
            column: 0,
            clusters: TableState::new(),
            apps: TableState::new(),
            scope: None,
            cache: Cache::default(),
        }
    }

    pub fn focused_pane(&self) -> usize {
        self.focus.focused()
    }

    pub fn scope(&self) -> Option<&Scope> {
        self.scope.as_ref()
    }

    pub fn apps_table(&self) -> &TableState {
        &self.apps
    }

    pub fn cursor(&self) -> (usize, usize) {
        (self.line, self.column)
    }

    pub fn expanded(&self) -> &BTreeSet<Layer> {
        &self.expanded
    }

    fn key(&self, app: &AppContext) -> CacheKey {
        CacheKey {
            revision: app.revision(),
            minute: app.minute(),
            expanded: self.expanded.clone(),
            filter: self.apps.filter().to_string(),
            sort: self.apps.sort(),
            scope: self.scope.clone(),
        }
    }

    fn rebuild(&mut self, model: &EstateModel, app: &AppContext) {
        let now = app.wall;
        let cache = &mut self.cache;
        match model.matrix() {
            Some(m) => {
                cache.environments = m.environments.clone();
                cache.columns = m.environments.iter().map(|e| e.to_string()).collect();
                (cache.lines, cache.ids) = lines(m, &self.expanded);
            }
            None => {
                cache.environments.clear();
                cache.columns.clear();
                cache.lines.clear();
                cache.ids.clear();
            }
        }
        cache.clusters = cluster_rows(model, now);
        let currency = Currency::of(model, now);
        let summaries = model.apps();
        let mut order: Vec<usize> = (0..summaries.len())
            .filter(|&i| self.scope.as_ref().is_none_or(|s| s.admits(&summaries[i])))
            .collect();
        order.sort_by(|&a, &b| app_order(&summaries[a], &summaries[b]));
        cache.current = order
            .iter()
            .map(|&i| currency.is_current(&summaries[i]))
            .collect();
        cache.order = order;
        let rows = self.rows(model, app);
        let view = TableView::build(&rows, &self.apps);
        self.cache.view = view;
        self.line = self.line.min(self.cache.lines.len().saturating_sub(1));
        self.column = self.column.min(self.cache.columns.len().saturating_sub(1));
    }

    /// The list's rows in the cached order.
    fn rows<'m>(&self, model: &'m EstateModel, app: &AppContext) -> Vec<AppRow<'m>> {
        let table = model.app_table();
        let default_ns = &*model.settings().argocd_namespace;
        let mut rows = Vec::with_capacity(self.cache.order.len());
        for (position, &index) in self.cache.order.iter().enumerate() {
            let Some((summary, detail)) = table.at(index) else {
                continue;
            };
            rows.push(AppRow::new(
                summary,
                &detail.facts,
                self.cache.current.get(position).copied().unwrap_or(true),
                app.wall,
                default_ns,
            ));
        }
        rows
    }

    fn areas(&self, area: Rect) -> Areas {
        Areas::new(area, self.cache.lines.len(), self.cache.clusters.len())
    }

    fn selected_app(&self, app: &AppContext) -> Option<(String, String)> {
        let model = app.estate.as_ref()?;
        let default_ns = &*model.settings().argocd_namespace;
        let key = match self.apps.selected_key() {
            Some(key) => key.to_string(),
            None => {
                let rows = self.rows(model, app);
                let first = self.cache.view.row(0)?;
                rows.get(first)?.qualified()
            }
        };
        let qualified = qualified_key(&key, default_ns);
        let (ns, name) = split_qualified(&qualified);
        Some((ns.to_string(), name.to_string()))
    }

    fn selected_cluster(&self) -> Option<String> {
        self.clusters
            .selected_key()
            .map(str::to_string)
            .or_else(|| self.cache.clusters.first().map(|c| c.name.clone()))
    }

    /// The cluster of the environment under the matrix cursor.
    fn cursor_cluster(&self, app: &AppContext) -> Option<String> {
        let env = self.cache.environments.get(self.column)?;
        let model = app.estate.as_ref()?;
        model
            .clusters()
            .iter()
            .find(|c| c.role.target && c.environment().as_ref() == Some(env))
            .map(|c| c.name.to_string())
    }

    fn on_matrix(&mut self, command: Command, cx: &mut Cx<'_>) -> Handled {
        let lines = self.cache.lines.len();
        let columns = self.cache.columns.len();
        match command {
            Command::Up => self.line = self.line.saturating_sub(1),
            Command::Down => self.line = (self.line + 1).min(lines.saturating_sub(1)),
            Command::Left => self.column = self.column.saturating_sub(1),
            Command::Right => self.column = (self.column + 1).min(columns.saturating_sub(1)),
            Command::Top => self.line = 0,
            Command::Bottom => self.line = lines.saturating_sub(1),
            Command::Expand | Command::Collapse => {
                let Some(id) = self.cache.ids.get(self.line) else {
                    return Handled::No;
                };
                let layer = id.layer();
                if command == Command::Expand {
                    self.expanded.insert(layer);
                } else {
                    self.expanded.remove(&layer);
                    self.line = self
                        .cache
                        .ids
                        .iter()
                        .position(|i| *i == LineId::Layer(layer))
                        .unwrap_or(0);
                }
                self.refresh_now(cx.app);
            }
            Command::Open => return self.open_cell(cx),
            Command::Filter => {
                self.focus.focus(APPS);
                let props: TableProps<'_, ClusterRow> = TableProps {
                    title: "",
                    columns: CLUSTER_COLUMNS,
                    rows: &[],
                    empty: "",
                };
                self.apps
                    .on_command(Command::Filter, &props, Rect::default());
            }
            Command::ClusterDetail => match self.cursor_cluster(cx.app) {
                Some(cluster) => cx.goto(Target::Cluster(cluster)),
                None => return Handled::No,
            },
            _ => return Handled::No,
        }
        Handled::Yes
    }

    /// Enter on a layer line toggles it; on a cell of a component (or of a collapsed layer)
    /// the list is scoped to that cell and focused.
    fn open_cell(&mut self, cx: &mut Cx<'_>) -> Handled {
        let Some(id) = self.cache.ids.get(self.line).cloned() else {
            return Handled::No;
        };
        let environment = self.cache.environments.get(self.column).cloned();
        match id {
            LineId::Layer(Layer::Infrastructure) => {
                if let Some(cluster) = self.cursor_cluster(cx.app) {
                    cx.goto(Target::Cluster(cluster));
                }
            }
            LineId::Layer(layer) => {
                if !self.expanded.remove(&layer) {
                    self.expanded.insert(layer);
                }
                self.refresh_now(cx.app);
            }
            LineId::Component(Layer::Infrastructure, _) => {
                if let Some(cluster) = self.cursor_cluster(cx.app) {
                    cx.goto(Target::Cluster(cluster));
                }
            }
            LineId::Component(layer, component) => {
                self.scope = Some(Scope {
                    layer: Some(layer),
                    component: Some(component),
                    environment,
                });
                self.focus.focus(APPS);
            }
        }
        Handled::Yes
    }

    fn refresh_now(&mut self, app: &AppContext) {
        self.cache.key = None;
        self.prepare(app);
    }

    fn on_clusters(&mut self, command: Command, cx: &mut Cx<'_>) -> Handled {
        let area = self.areas(cx.area).clusters;
        let props = TableProps {
            title: "",
            columns: CLUSTER_COLUMNS,
            rows: &self.cache.clusters,
            empty: "",
        };
        if matches!(command, Command::ClusterDetail | Command::AppDetail) {
            return match self.selected_cluster() {
                Some(cluster) => {
                    cx.goto(Target::Cluster(cluster));
                    Handled::Yes
                }
                None => Handled::No,
            };
        }
        match self.clusters.on_command(command, &props, area) {
            TableOutcome::Ignored => Handled::No,
            TableOutcome::Changed => Handled::Yes,
            TableOutcome::Activated(name) => {
                cx.goto(Target::Cluster(name));
                Handled::Yes
            }
        }
    }

    fn on_apps(&mut self, command: Command, cx: &mut Cx<'_>) -> Handled {
        if !self.apps.is_editing() {
            if let Some((ns, name)) = self.selected_app(cx.app) {
                if actions::run(command, &ns, &name, cx) {
                    return Handled::Yes;
                }
                match command {
                    Command::AppDetail => {
                        cx.goto(Target::App(format!("{ns}/{name}")));
                        return Handled::Yes;
                    }
                    Command::Logs => {
                        cx.push(Box::new(super::AppDetailScreen::on_pods(&ns, &name)));
                        return Handled::Yes;
                    }
                    Command::ClusterDetail => {
                        let cluster = cx
                            .app
                            .estate
                            .as_ref()
                            .and_then(|m| m.app(&ns, &name))
                            .and_then(|(s, _)| s.cluster.as_deref().map(str::to_string));
                        return match cluster {
                            Some(cluster) => {
                                cx.goto(Target::Cluster(cluster));
                                Handled::Yes
                            }
                            None => Handled::No,
                        };
                    }
                    _ => {}
                }
            }
            if command == Command::Back && self.apps.filter().is_empty() && self.scope.is_some() {
                self.scope = None;
                return Handled::Yes;
            }
        }
        let Some(model) = cx.app.estate.as_ref() else {
            return Handled::No;
        };
        let area = self.areas(cx.area).apps;
        let rows = self.rows(model, cx.app);
        let props = TableProps {
            title: "",
            columns: APP_COLUMNS,
            rows: &rows,
            empty: "",
        };
        let outcome = self.apps.on_command(command, &props, area);
        let default_ns = model.settings().argocd_namespace.to_string();
        match outcome {
            TableOutcome::Ignored => Handled::No,
            TableOutcome::Changed => Handled::Yes,
            TableOutcome::Activated(key) => {
                cx.goto(Target::App(qualified_key(&key, &default_ns)));
                Handled::Yes
            }
        }
    }

    fn mouse_in(&self, area: Rect, mouse: &MouseEvent) -> Option<usize> {
        let areas = self.areas(area);
        let at = Position::new(mouse.column, mouse.row);
        [areas.matrix, areas.clusters, areas.apps]
            .iter()
            .position(|r| r.contains(at))
    }
}

impl Component for OverviewScreen {
    fn mode(&self) -> Mode {
        match self.focus.focused() {
            MATRIX => Mode::Overview,
            CLUSTERS => self.clusters.mode(),
            _ => self.apps.mode(),
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, cx: &ViewCx<'_>) {
        let areas = self.areas(area);
        let focused = |pane| cx.focused && self.focus.is_focused(pane);
        matrix::render(
            frame,
            areas.matrix,
            &MatrixProps {
                title: "Estate: layers × environments",
                columns: &self.cache.columns,
                lines: &self.cache.lines,
                cursor: (self.line, self.column),
                focused: focused(MATRIX),
            },
            cx.theme,
        );
        table::render(
            frame,
            areas.clusters,
            &TableProps {
                title: "Clusters",
                columns: CLUSTER_COLUMNS,
                rows: &self.cache.clusters,
                empty: "no clusters yet",
            },
            &self.clusters,
            cx.theme,
            focused(CLUSTERS),
        );
        let Some(model) = cx.app.estate.as_ref() else {
            return;
        };
        let rows = self.rows(model, cx.app);
        let title = match &self.scope {
            Some(scope) => format!("Applications · {}", scope.describe()),
            None => "Applications".to_string(),
        };
        let props = TableProps {
            title: &title,
            columns: APP_COLUMNS,
            rows: &rows,
            empty: "no Applications",
        };
        // The cached view is current once `prepare` ran; while a filter is typed it is
        // rebuilt by the next prepare, so build it here if the keys disagree.
        if self
            .cache
            .key
            .as_ref()
            .is_some_and(|k| k.filter == self.apps.filter() && k.sort == self.apps.sort())
        {
            table::render_view(
                frame,
                areas.apps,
                &props,
                &self.apps,
                &self.cache.view,
                cx.theme,
                focused(APPS),
            );
        } else {
            table::render(
                frame,
                areas.apps,
                &props,
                &self.apps,
                cx.theme,
                focused(APPS),
            );
        }
    }

    fn on_command(&mut self, command: Command, cx: &mut Cx<'_>) -> Handled {
        // Row indices are valid at one revision: catch up with events applied since the frame.
        self.prepare(cx.app);
        let editing = self.apps.is_editing() || self.clusters.is_editing();
        if !editing {
            match command {
                Command::NextPane => {
                    self.focus.next();
                    return Handled::Yes;
                }
                Command::PrevPane => {
                    self.focus.prev();
                    return Handled::Yes;
                }
                _ => {}
            }
        }
        match self.focus.focused() {
            MATRIX => self.on_matrix(command, cx),
            CLUSTERS => self.on_clusters(command, cx),
            _ => self.on_apps(command, cx),
        }
    }

    fn on_text(&mut self, key: KeyEvent, _cx: &mut Cx<'_>) -> Handled {
        match self.focus.focused() {
            CLUSTERS => Handled::from(self.clusters.on_text(key)),
            APPS => Handled::from(self.apps.on_text(key)),
            _ => Handled::No,
        }
    }

    fn on_paste(&mut self, text: &str, _cx: &mut Cx<'_>) -> Handled {
        match self.focus.focused() {
            CLUSTERS => Handled::from(self.clusters.on_paste(text)),
            APPS => Handled::from(self.apps.on_paste(text)),
            _ => Handled::No,
        }
    }

    fn on_mouse(&mut self, mouse: MouseEvent, cx: &mut Cx<'_>) -> Handled {
        self.prepare(cx.app);
        let Some(pane) = self.mouse_in(cx.area, &mouse) else {
            return Handled::No;
        };
        let clicked = matches!(mouse.kind, MouseEventKind::Down(MouseButton::Left));
        let refocused = clicked && !self.focus.is_focused(pane);
        if clicked {
            self.focus.focus(pane);
        }
        let areas = self.areas(cx.area);
        let handled = match pane {
            MATRIX => {
                let lines = self.cache.lines.len();
                match mouse.kind {
                    MouseEventKind::ScrollDown => self.on_matrix(Command::Down, cx),
                    MouseEventKind::ScrollUp => self.on_matrix(Command::Up, cx),
                    MouseEventKind::Down(MouseButton::Left) => {
                        let line = matrix::line_at(areas.matrix, lines, self.line, mouse.row);
                        let column =
                            matrix::column_at(areas.matrix, self.cache.columns.len(), mouse.column);
                        match (line, column) {
                            (Some(line), Some(column))
                                if (line, column) == (self.line, self.column) =>
                            {
                                self.open_cell(cx)
                            }
                            (Some(line), column) => {
                                self.line = line;
                                self.column = column.unwrap_or(self.column);
                                Handled::Yes
                            }
                            _ => Handled::No,
                        }
                    }
                    _ => Handled::No,
                }
            }
            CLUSTERS => {
                let props = TableProps {
                    title: "",
                    columns: CLUSTER_COLUMNS,
                    rows: &self.cache.clusters,
                    empty: "",
                };
                match self.clusters.on_mouse(mouse, &props, areas.clusters) {
                    TableOutcome::Ignored => Handled::No,
                    TableOutcome::Changed => Handled::Yes,
                    TableOutcome::Activated(name) => {
                        cx.goto(Target::Cluster(name));
                        Handled::Yes
                    }
                }
            }
            _ => {
                let Some(model) = cx.app.estate.as_ref() else {
                    return Handled::No;
                };
                let rows = self.rows(model, cx.app);
                let props = TableProps {
                    title: "",
                    columns: APP_COLUMNS,
                    rows: &rows,
                    empty: "",
                };
                let outcome = self.apps.on_mouse(mouse, &props, areas.apps);
                let default_ns = model.settings().argocd_namespace.to_string();
                match outcome {
                    TableOutcome::Ignored => Handled::No,
                    TableOutcome::Changed => Handled::Yes,
                    TableOutcome::Activated(key) => {
                        cx.goto(Target::App(qualified_key(&key, &default_ns)));
                        Handled::Yes
                    }
                }
            }
        };
        Handled::from(refocused || handled.is_yes())
    }

    fn on_tick(&mut self, cx: &mut Cx<'_>) -> Handled {
        // Ages are shown in minutes: a new minute is a new frame.
        Handled::from(
            self.cache
                .key
                .as_ref()
                .is_some_and(|k| k.minute != cx.app.minute()),
        )
    }

    fn prepare(&mut self, app: &AppContext) {
        let key = self.key(app);
        if self.cache.key.as_ref() == Some(&key) {
            return;
        }
        if let Some(model) = app.estate.as_ref() {
            self.rebuild(model, app);
        }
        self.cache.key = Some(key);
    }
}

impl Screen for OverviewScreen {
    fn title(&self) -> String {
        "Overview".into()
    }

    fn goto(&mut self, target: &Target, cx: &mut Cx<'_>) -> Handled {
        match target {
            Target::Command(Command::Overview) => {
                self.focus.focus(MATRIX);
                Handled::Yes
            }
            Target::Command(Command::Clusters) => {
                self.focus.focus(CLUSTERS);
                Handled::Yes
            }
            Target::Environment(environment) => {
                self.scope = Some(Scope {
                    environment: Some(environment.clone()),
                    ..Scope::default()
                });
                self.focus.focus(APPS);
                self.refresh_now(cx.app);
                Handled::Yes
            }
            _ => Handled::No,
        }
    }

    fn candidates(&self, _app: &AppContext) -> Vec<Candidate<Target>> {
        vec![Candidate {
            kind: CandidateKind::Screen,
            label: "clusters".into(),
            detail: "Focus the clusters pane".into(),
            value: Target::Command(Command::Clusters),
        }]
    }
}

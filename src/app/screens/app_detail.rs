//! One Application in detail: a summary (source, destination, project, sync and health with
//! their messages, auto-sync, the running operation, conditions) over tabs of tables:
//! resources (a tree: workloads over their pods), pods and containers (Enter opens the logs),
//! the operation's per-resource results, history, warning events and conditions.
//!
//! While shown, the model keeps the whole Application (pinned) and it is fetched once on
//! opening; everything else comes from the watches, except the resources the model does not
//! watch, which are read while the view is shown ([`super::reads`]).

use std::collections::BTreeSet;

use crossterm::event::{KeyEvent, MouseEvent};
use ratatui::Frame;
use ratatui::layout::Rect;

use crate::app::actions;
use crate::app::component::{Component, Cx, Handled, Request, Screen, ViewCx};
use crate::app::context::AppContext;
use crate::app::effect::{Effect, LogRequest};
use crate::app::msg::Msg;
use crate::app::nav::Target;
use crate::app::screens::LogsScreen;
use crate::app::screens::reads::ResourceReads;
use crate::app::views::detail::{
    self, DetailData, EVENT_COLUMNS, HISTORY_COLUMNS, POD_COLUMNS, RESOURCE_COLUMNS, RESULT_COLUMNS,
};
use crate::app::views::fmt::{
    age_of, age_of_text, health_glyph, health_role, phase_glyph, phase_role, short_revision,
    sync_glyph, sync_role,
};
use crate::config::{Command, Mode};
use crate::domain::argocd::{ANNOTATION_REFRESH, Application};
use crate::domain::estate::AppSummary;
use crate::live::{EstateModel, ObjKey};
use crate::theme::Role;
use crate::ui::fields::{self, Field, Piece, piece};
use crate::ui::table::{self, TableInput, TableOutcome, TableProps, TableState};
use crate::ui::tabs::{self, Tab};
use crate::ui::toast::Level;

/// The tabs, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetailTab {
    Resources,
    Pods,
    Operation,
    History,
    Events,
    Conditions,
}

impl DetailTab {
    pub const ALL: [DetailTab; 6] = [
        DetailTab::Resources,
        DetailTab::Pods,
        DetailTab::Operation,
        DetailTab::History,
        DetailTab::Events,
        DetailTab::Conditions,
    ];

    pub fn title(self) -> &'static str {
        match self {
            DetailTab::Resources => "Resources",
            DetailTab::Pods => "Pods",
            DetailTab::Operation => "Operation",
            DetailTab::History => "History",
            DetailTab::Events => "Events",
            DetailTab::Conditions => "Conditions",
        }
    }

    fn index(self) -> usize {
        DetailTab::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }
}

#[derive(Debug, Clone, PartialEq)]
struct CacheKey {
    revision: u64,
    minute: i64,
    collapsed: BTreeSet<String>,
    reads: u64,
}

pub struct AppDetailScreen {
    namespace: String,
    name: String,
    tab: DetailTab,
    tables: [TableState; 6],
    collapsed: BTreeSet<String>,
    key: Option<CacheKey>,
    data: DetailData,
    /// Summary lines at the last prepare (the table's area depends on it).
    fields: usize,
    reads: ResourceReads,
}

/// Where the parts of the screen go.
struct Areas {
    header: Rect,
    tabs: Rect,
    table: Rect,
}

/// `fields` summary lines over the tabs: all of them when there is room, at least five.
fn areas(area: Rect, fields: usize) -> Areas {
    let wanted = fields as u16 + 2;
    let header = wanted.min((area.height / 3).max(7)).min(area.height);
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

impl AppDetailScreen {
    pub fn new(namespace: &str, name: &str) -> AppDetailScreen {
        AppDetailScreen {
            namespace: namespace.to_string(),
            name: name.to_string(),
            tab: DetailTab::Resources,
            tables: Default::default(),
            collapsed: BTreeSet::new(),
            key: None,
            data: DetailData::default(),
            fields: 7,
            reads: ResourceReads::default(),
        }
    }

    /// Opened on the pods, to choose whose logs to read.
    pub fn on_pods(namespace: &str, name: &str) -> AppDetailScreen {
        let mut screen = AppDetailScreen::new(namespace, name);
        screen.tab = DetailTab::Pods;
        screen
    }

    pub fn tab(&self) -> DetailTab {
        self.tab
    }

    pub fn data(&self) -> &DetailData {
        &self.data
    }

    fn obj_key(&self) -> ObjKey {
        ObjKey::new(
            std::sync::Arc::from(self.namespace.as_str()),
            std::sync::Arc::from(self.name.as_str()),
        )
    }

    fn table(&self) -> &TableState {
        &self.tables[self.tab.index()]
    }

    fn table_mut(&mut self) -> &mut TableState {
        &mut self.tables[self.tab.index()]
    }

    fn count(&self, tab: DetailTab) -> usize {
        match tab {
            DetailTab::Resources => self.data.resources.len(),
            DetailTab::Pods => self.data.pods.len(),
            DetailTab::Operation => self.data.results.len(),
            DetailTab::History => self.data.history.len(),
            DetailTab::Events => self.data.events.len(),
            DetailTab::Conditions => self.data.conditions.len(),
        }
    }

    /// Applies a table command or mouse event to the current tab's table.
    fn on_table(&mut self, input: TableInput, area: Rect) -> TableOutcome {
        let state = &mut self.tables[self.tab.index()];
        let d = &self.data;
        match self.tab {
            DetailTab::Resources => state.on_input(input, &d.resources, RESOURCE_COLUMNS, area),
            DetailTab::Pods => state.on_input(input, &d.pods, POD_COLUMNS, area),
            DetailTab::Operation => state.on_input(input, &d.results, RESULT_COLUMNS, area),
            DetailTab::History => state.on_input(input, &d.history, HISTORY_COLUMNS, area),
            DetailTab::Events => state.on_input(input, &d.events, EVENT_COLUMNS, area),
            DetailTab::Conditions => state.on_input(input, &d.conditions, EVENT_COLUMNS, area),
        }
    }

    fn selected_resource(&self) -> Option<&detail::ResourceRow> {
        let key = self.tables[DetailTab::Resources.index()].selected_key();
        match key {
            Some(key) => self.data.resources.iter().find(|r| r.key == key),
            None => self.data.resources.first(),
        }
    }

    fn selected_pod(&self) -> Option<&detail::PodRow> {
        let key = self.tables[DetailTab::Pods.index()].selected_key();
        match key {
            Some(key) => self.data.pods.iter().find(|p| p.key == key),
            None => self.data.pods.first(),
        }
    }

    /// Expands or collapses the selected workload of the resource tree.
    fn fold(&mut self, open: bool, app: &AppContext) -> Handled {
        let Some(row) = self.selected_resource() else {
            return Handled::No;
        };
        // On a pod, fold its workload.
        let key = if row.depth > 0 {
            row.key
                .rsplit_once('/')
                .map_or(row.key.clone(), |(w, _)| w.to_string())
        } else {
            row.key.clone()
        };
        let changed = if open {
            self.collapsed.remove(&key)
        } else {
            self.collapsed.insert(key.clone())
        };
        if !changed {
            return Handled::No;
        }
        self.tables[DetailTab::Resources.index()].select_key(&key);
        self.key = None;
        self.prepare(app);
        Handled::Yes
    }

    /// The logs of the chosen pod: the selected pod row, else the first pod of the selected
    /// workload, else the first pod.
    fn open_logs(&mut self, cx: &mut Cx<'_>) -> Handled {
        let pod = match self.tab {
            DetailTab::Resources => {
                let resource = self.selected_resource();
                resource
                    .and_then(|r| {
                        let name = if r.depth > 0 {
                            r.name.clone()
                        } else {
                            String::new()
                        };
                        self.data.pods.iter().find(|p| {
                            if r.depth > 0 {
                                p.pod == name
                            } else {
                                p.owner.as_deref() == Some(r.name.as_str())
                            }
                        })
                    })
                    .or_else(|| self.data.pods.first())
            }
            _ => self.selected_pod(),
        };
        let Some(pod) = pod.cloned() else {
            cx.toast(
                Level::Info,
                format!("{}: no pods to read logs from", self.name),
            );
            return Handled::Yes;
        };
        let context = cx.app.estate.as_ref().and_then(|model| {
            let (summary, _) = model.app(&self.namespace, &self.name)?;
            model.cluster(summary.cluster.as_deref()?)?.context.clone()
        });
        let Some(context) = context else {
            cx.toast(
                Level::Warning,
                format!(
                    "{}: its cluster has no kubeconfig context; logs cannot be read",
                    self.name
                ),
            );
            return Handled::Yes;
        };
        cx.push(Box::new(LogsScreen::new(LogRequest {
            stream: cx.app.next_id(),
            context,
            namespace: pod.namespace.clone(),
            pod: pod.pod.clone(),
            container: pod.container.clone(),
            tail_lines: Some(500),
            follow: true,
            previous: false,
        })));
        Handled::Yes
    }

    fn open(&mut self, cx: &mut Cx<'_>) -> Handled {
        match self.tab {
            DetailTab::Resources => {
                let Some(row) = self.selected_resource() else {
                    return Handled::No;
                };
                if row.expandable == Some(false) {
                    return self.fold(true, cx.app);
                }
                if row.depth > 0 || row.expandable.is_some() {
                    return self.open_logs(cx);
                }
                Handled::No
            }
            DetailTab::Pods => self.open_logs(cx),
            _ => Handled::No,
        }
    }

    fn header(&self, model: &EstateModel, app: &AppContext) -> (Vec<Piece>, Vec<Field>) {
        let Some((summary, detail)) = model.app(&self.namespace, &self.name) else {
            let title = vec![span(format!(" {} ", self.name), Role::Title)];
            return (
                title,
                vec![Field::new(
                    "Status",
                    vec![span(
                        "not in ArgoCD (deleted, or not listed yet)",
                        Role::Warning,
                    )],
                )],
            );
        };
        let full = model.full_app(&self.namespace, &self.name);
        match full {
            Some(whole) => header_fields(summary, whole, true, app),
            None => header_fields(summary, &detail.basis.unpack(), false, app),
        }
    }
}

fn span(text: impl Into<String>, role: Role) -> Piece {
    piece(text, role)
}

/// The summary lines of an Application.
fn header_fields(
    summary: &AppSummary,
    app: &Application,
    whole: bool,
    cx: &AppContext,
) -> (Vec<Piece>, Vec<Field>) {
    let now = cx.wall;
    let mut title = vec![span(format!(" {} ", summary.name), Role::Title)];
    title.push(span(format!("{} ", summary.namespace), Role::Muted));
    if let Some(appset) = &summary.appset {
        title.push(span(format!("· ApplicationSet {appset} "), Role::Muted));
    }
    let mut fields = Vec::new();
    let source = app.primary_source();
    fields.push(Field::new(
        "Source",
        match source {
            Some(s) => vec![
                span(s.repo_url.clone(), Role::Text),
                span(format!("  {}", s.path), Role::Accent),
                span(
                    format!(
                        " @ {}",
                        if s.target_revision.is_empty() {
                            "HEAD"
                        } else {
                            &s.target_revision
                        }
                    ),
                    Role::Muted,
                ),
            ],
            None => vec![span("no source", Role::Muted)],
        },
    ));
    let env = summary
        .environment
        .as_ref()
        .map_or("-".to_string(), |e| e.to_string());
    fields.push(Field::new(
        "Destination",
        vec![
            span(
                summary
                    .cluster
                    .as_deref()
                    .unwrap_or(&summary.destination)
                    .to_string(),
                Role::Text,
            ),
            span(format!(" ({env})"), Role::Muted),
            span(
                format!("  namespace {}", summary.destination_namespace),
                Role::Text,
            ),
            span(format!("  project {}", summary.project), Role::Muted),
        ],
    ));
    let mut sync = vec![span(
        format!("{} {}", sync_glyph(summary.sync), summary.sync.as_str()),
        sync_role(summary.sync),
    )];
    if let Some(rev) = &summary.revision {
        sync.push(span(format!("  at {}", short_revision(rev)), Role::Text));
    }
    let auto = &summary.auto_sync;
    sync.push(span(
        if auto.enabled {
            let mut flags = Vec::new();
            if auto.prune {
                flags.push("prune");
            }
            if auto.self_heal {
                flags.push("self-heal");
            }
            if flags.is_empty() {
                "  auto-sync on".to_string()
            } else {
                format!("  auto-sync on ({})", flags.join(", "))
            }
        } else {
            "  auto-sync off".to_string()
        },
        if auto.enabled {
            Role::Muted
        } else {
            Role::Warning
        },
    ));
    if let Some(kind) = app.metadata.annotations.get(ANNOTATION_REFRESH) {
        sync.push(span(
            format!("  ⟳ {kind} refresh requested"),
            Role::Progressing,
        ));
    }
    if let Some(at) = &app.status.reconciled_at {
        sync.push(span(
            format!("  compared {} ago", age_of_text(now, Some(at))),
            Role::Muted,
        ));
    }
    fields.push(Field::new("Sync", sync));
    let mut health = vec![span(
        format!(
            "{} {}",
            health_glyph(summary.health),
            summary.health.as_str()
        ),
        health_role(summary.health),
    )];
    if let Some(message) = &summary.health_message {
        health.push(span(format!("  {message}"), Role::Text));
    }
    fields.push(Field::new("Health", health));
    let operation = match &app.status.operation_state {
        Some(state) => {
            let phase = state
                .phase
                .clone()
                .unwrap_or(crate::domain::argocd::OperationPhase::Running);
            let by = match &state.operation.initiated_by {
                Some(by) if by.automated => "automated".to_string(),
                Some(by) if !by.username.is_empty() => by.username.clone(),
                _ => "-".to_string(),
            };
            let when = match (&state.finished_at, &state.started_at) {
                (Some(finished), _) => format!("finished {} ago", age_of_text(now, Some(finished))),
                (None, Some(started)) => format!("started {} ago", age_of_text(now, Some(started))),
                _ => String::new(),
            };
            let mut spans = vec![
                span(
                    format!("{} {}", phase_glyph(&phase), phase.as_str()),
                    phase_role(&phase),
                ),
                span(format!("  {when} by {by}"), Role::Muted),
            ];
            if state.retry_count > 0 {
                spans.push(span(
                    format!(", retried {}", state.retry_count),
                    Role::Muted,
                ));
            }
            if !state.message.is_empty() {
                spans.push(span(format!("  {}", state.message), Role::Text));
            }
            spans
        }
        None if summary.operation_requested => vec![span("⟳ requested", Role::Progressing)],
        None => vec![span("none", Role::Muted)],
    };
    fields.push(Field::new("Operation", operation));
    fields.push(Field::new(
        "Last sync",
        vec![span(
            match summary.last_synced_at {
                Some(at) => format!("{} ago", age_of(now, Some(at))),
                None => "never".to_string(),
            },
            Role::Text,
        )],
    ));
    let conditions = &app.status.conditions;
    if !conditions.is_empty() {
        let first = &conditions[0];
        let role = match first.severity() {
            crate::domain::argocd::ConditionSeverity::Error => Role::Danger,
            crate::domain::argocd::ConditionSeverity::Warning => Role::Warning,
            crate::domain::argocd::ConditionSeverity::Info => Role::Text,
        };
        let mut spans = vec![span(
            format!(
                "{}: {}",
                first.kind.as_ref().map_or("Condition", |k| k.as_str()),
                first.message
            ),
            role,
        )];
        if conditions.len() > 1 {
            spans.push(span(
                format!("  (+{} more)", conditions.len() - 1),
                Role::Muted,
            ));
        }
        fields.push(Field::new("Conditions", spans));
    }
    if !whole {
        fields.push(Field::new(
            "",
            vec![span("reading the whole Application…", Role::Muted)],
        ));
    }
    (title, fields)
}

impl Component for AppDetailScreen {
    fn mode(&self) -> Mode {
        if self.table().is_editing() {
            Mode::Palette
        } else {
            Mode::Detail
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, cx: &ViewCx<'_>) {
        let Some(model) = cx.app.estate.as_ref() else {
            return;
        };
        let (title, fields) = self.header(model, cx.app);
        let a = areas(area, fields.len());
        fields::render(frame, a.header, &title, &fields, cx.theme, false);
        let tab_list: Vec<Tab> = DetailTab::ALL
            .iter()
            .map(|t| Tab {
                title: t.title(),
                count: Some(self.count(*t)),
                alert: match t {
                    DetailTab::Events => !self.data.events.is_empty(),
                    DetailTab::Conditions => !self.data.conditions.is_empty(),
                    _ => false,
                },
            })
            .collect();
        tabs::render(frame, a.tabs, &tab_list, self.tab.index(), cx.theme);
        let state = self.table();
        let d = &self.data;
        let title = self.tab.title();
        let empty = if self.data.whole || matches!(self.tab, DetailTab::Pods | DetailTab::Events) {
            "nothing here"
        } else {
            "reading the whole Application…"
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
            DetailTab::Resources => draw!(&d.resources, RESOURCE_COLUMNS),
            DetailTab::Pods => draw!(&d.pods, POD_COLUMNS),
            DetailTab::Operation => draw!(&d.results, RESULT_COLUMNS),
            DetailTab::History => draw!(&d.history, HISTORY_COLUMNS),
            DetailTab::Events => draw!(&d.events, EVENT_COLUMNS),
            DetailTab::Conditions => draw!(&d.conditions, EVENT_COLUMNS),
        }
    }

    fn on_command(&mut self, command: Command, cx: &mut Cx<'_>) -> Handled {
        self.prepare(cx.app);
        let table_area = areas(cx.area, self.fields).table;
        if self.table().is_editing() {
            return Handled::from(
                self.on_table(TableInput::Command(command), table_area) != TableOutcome::Ignored,
            );
        }
        if actions::run(command, &self.namespace, &self.name, cx) {
            return Handled::Yes;
        }
        match command {
            Command::NextPane | Command::PrevPane => {
                let n = DetailTab::ALL.len();
                let i = self.tab.index();
                let next = if command == Command::NextPane {
                    (i + 1) % n
                } else {
                    (i + n - 1) % n
                };
                self.tab = DetailTab::ALL[next];
                return Handled::Yes;
            }
            Command::Expand if self.tab == DetailTab::Resources => return self.fold(true, cx.app),
            Command::Collapse if self.tab == DetailTab::Resources => {
                return self.fold(false, cx.app);
            }
            Command::Logs => return self.open_logs(cx),
            Command::ClusterDetail => {
                let cluster = cx
                    .app
                    .estate
                    .as_ref()
                    .and_then(|m| m.app(&self.namespace, &self.name))
                    .and_then(|(s, _)| s.cluster.as_deref().map(str::to_string));
                return match cluster {
                    Some(cluster) => {
                        cx.goto(Target::Cluster(cluster));
                        Handled::Yes
                    }
                    None => Handled::No,
                };
            }
            Command::Open if self.open(cx).is_yes() => return Handled::Yes,
            _ => {}
        }
        // `/` searches in the detail view: here it filters the current tab's table.
        let command = if command == Command::Search {
            Command::Filter
        } else {
            command
        };
        match self.on_table(TableInput::Command(command), table_area) {
            TableOutcome::Ignored => Handled::No,
            TableOutcome::Changed => Handled::Yes,
            TableOutcome::Activated(_) => self.open(cx),
        }
    }

    fn on_text(&mut self, key: KeyEvent, _cx: &mut Cx<'_>) -> Handled {
        Handled::from(self.table_mut().on_text(key))
    }

    fn on_paste(&mut self, text: &str, _cx: &mut Cx<'_>) -> Handled {
        Handled::from(self.table_mut().on_paste(text))
    }

    fn on_mouse(&mut self, mouse: MouseEvent, cx: &mut Cx<'_>) -> Handled {
        let area = areas(cx.area, self.fields).table;
        let outcome = self.on_table(TableInput::Mouse(mouse), area);
        match outcome {
            TableOutcome::Ignored => Handled::No,
            TableOutcome::Changed => Handled::Yes,
            TableOutcome::Activated(_) => self.open(cx),
        }
    }

    fn on_msg(&mut self, msg: &Msg, cx: &mut Cx<'_>) -> Handled {
        match msg {
            Msg::Read(answer) => Handled::from(self.reads.take(answer)),
            // The whole Application names the resources to read.
            Msg::Fetched(Ok(app))
                if app.metadata.name == self.name && app.metadata.namespace == self.namespace =>
            {
                self.reads.request_if_due(&self.namespace, &self.name, cx);
                Handled::No
            }
            _ => Handled::No,
        }
    }

    fn on_tick(&mut self, cx: &mut Cx<'_>) -> Handled {
        self.reads.request_if_due(&self.namespace, &self.name, cx);
        Handled::from(
            self.key
                .as_ref()
                .is_some_and(|k| k.minute != cx.app.minute()),
        )
    }

    fn prepare(&mut self, app: &AppContext) {
        let key = CacheKey {
            revision: app.revision(),
            minute: app.minute(),
            collapsed: self.collapsed.clone(),
            reads: self.reads.generation(),
        };
        if self.key.as_ref() == Some(&key) {
            return;
        }
        if let Some(model) = app.estate.as_ref() {
            self.data = detail::build(
                model,
                &self.namespace,
                &self.name,
                &self.collapsed,
                self.reads.reads(),
                app.wall,
            );
            self.fields = self.header(model, app).1.len();
        }
        self.key = Some(key);
    }
}

impl Screen for AppDetailScreen {
    fn title(&self) -> String {
        self.name.clone()
    }

    fn on_open(&mut self, cx: &mut Cx<'_>) {
        cx.request(Request::Pin(self.obj_key()));
        let Some(model) = cx.app.estate.as_ref() else {
            return;
        };
        if model.full_app(&self.namespace, &self.name).is_none() {
            cx.effect(Effect::FetchApp {
                context: model.management_context().to_string(),
                namespace: self.namespace.clone(),
                name: self.name.clone(),
            });
        }
        self.reads.request_if_due(&self.namespace, &self.name, cx);
    }

    fn on_close(&mut self, cx: &mut Cx<'_>) {
        cx.request(Request::Unpin(self.obj_key()));
    }

    fn goto(&mut self, target: &Target, _cx: &mut Cx<'_>) -> Handled {
        match target {
            Target::App(qualified) if *qualified == format!("{}/{}", self.namespace, self.name) => {
                Handled::Yes
            }
            _ => Handled::No,
        }
    }
}

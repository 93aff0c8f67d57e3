//! Triage: every problem in the estate in one list, worst first and oldest first within a
//! severity, each with its cause; Enter goes to what it is about.

use std::time::{Duration, Instant};

use crossterm::event::{KeyEvent, MouseEvent};
use ratatui::Frame;
use ratatui::layout::Rect;

use crate::app::component::{Component, Cx, Handled, Screen, ViewCx};
use crate::app::context::AppContext;
use crate::app::nav::Target;
use crate::app::views::triage::{self, Problem, TRIAGE_COLUMNS};
use crate::config::{Command, Mode};
use crate::ui::table::{self, TableOutcome, TableProps, TableState};

/// Triage reads every pod of the estate: under churn it is rebuilt at most this often, and
/// the tick after the churn brings it up to date.
const REBUILD_EVERY: Duration = Duration::from_millis(900);

pub struct TriageScreen {
    table: TableState,
    key: Option<(u64, i64)>,
    built_at: Option<Instant>,
    problems: Vec<Problem>,
}

impl Default for TriageScreen {
    fn default() -> Self {
        TriageScreen::new()
    }
}

impl TriageScreen {
    pub fn new() -> TriageScreen {
        TriageScreen {
            table: TableState::new(),
            key: None,
            built_at: None,
            problems: Vec::new(),
        }
    }

    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    fn props(&self) -> TableProps<'_, Problem> {
        TableProps {
            title: "Triage: worst first, then oldest",
            columns: TRIAGE_COLUMNS,
            rows: &self.problems,
            empty: "no problems: every cluster is live, every Application Synced and Healthy",
        }
    }

    fn go(&self, key: &str, cx: &mut Cx<'_>) -> Handled {
        match self.problems.iter().find(|p| p.key == key) {
            Some(problem) => {
                cx.goto(problem.target.clone());
                Handled::Yes
            }
            None => Handled::No,
        }
    }

    fn selected(&self) -> Option<&Problem> {
        match self.table.selected_key() {
            Some(key) => self.problems.iter().find(|p| p.key == key),
            None => self.problems.first(),
        }
    }
}

impl Component for TriageScreen {
    fn mode(&self) -> Mode {
        self.table.mode()
    }

    fn render(&self, frame: &mut Frame, area: Rect, cx: &ViewCx<'_>) {
        table::render(
            frame,
            area,
            &self.props(),
            &self.table,
            cx.theme,
            cx.focused,
        );
    }

    fn on_command(&mut self, command: Command, cx: &mut Cx<'_>) -> Handled {
        self.prepare(cx.app);
        if !self.table.is_editing() {
            let target = self.selected().map(|p| p.target.clone());
            match (command, target) {
                (Command::AppDetail, Some(target @ Target::App(_)))
                | (Command::ClusterDetail, Some(target @ Target::Cluster(_))) => {
                    cx.goto(target);
                    return Handled::Yes;
                }
                _ => {}
            }
        }
        let props = TableProps {
            title: "",
            columns: TRIAGE_COLUMNS,
            rows: &self.problems,
            empty: "",
        };
        match self.table.on_command(command, &props, cx.area) {
            TableOutcome::Ignored => Handled::No,
            TableOutcome::Changed => Handled::Yes,
            TableOutcome::Activated(key) => self.go(&key, cx),
        }
    }

    fn on_text(&mut self, key: KeyEvent, _cx: &mut Cx<'_>) -> Handled {
        Handled::from(self.table.on_text(key))
    }

    fn on_paste(&mut self, text: &str, _cx: &mut Cx<'_>) -> Handled {
        Handled::from(self.table.on_paste(text))
    }

    fn on_mouse(&mut self, mouse: MouseEvent, cx: &mut Cx<'_>) -> Handled {
        let props = TableProps {
            title: "",
            columns: TRIAGE_COLUMNS,
            rows: &self.problems,
            empty: "",
        };
        match self.table.on_mouse(mouse, &props, cx.area) {
            TableOutcome::Ignored => Handled::No,
            TableOutcome::Changed => Handled::Yes,
            TableOutcome::Activated(key) => self.go(&key, cx),
        }
    }

    fn on_tick(&mut self, cx: &mut Cx<'_>) -> Handled {
        let key = (cx.app.revision(), cx.app.minute());
        Handled::from(self.key.is_some_and(|k| k != key))
    }

    fn prepare(&mut self, app: &AppContext) {
        let key = (app.revision(), app.minute());
        if self.key == Some(key) {
            return;
        }
        let now = Instant::now();
        if self
            .built_at
            .is_some_and(|at| now.duration_since(at) < REBUILD_EVERY)
        {
            // Too soon: the next tick brings it up to date (see `on_tick`).
            return;
        }
        if let Some(model) = app.estate.as_ref() {
            self.problems = triage::problems(model, app.wall);
        }
        self.key = Some(key);
        self.built_at = Some(now);
    }
}

impl Screen for TriageScreen {
    fn title(&self) -> String {
        "Triage".into()
    }

    fn goto(&mut self, target: &Target, _cx: &mut Cx<'_>) -> Handled {
        Handled::from(*target == Target::Command(Command::Triage))
    }
}

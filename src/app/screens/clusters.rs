//! The clusters as a list of their own (`C` from any screen): connection, facts, and Enter
//! for a cluster's detail.

use crossterm::event::{KeyEvent, MouseEvent};
use ratatui::Frame;
use ratatui::layout::Rect;

use crate::app::component::{Component, Cx, Handled, Screen, ViewCx};
use crate::app::context::AppContext;
use crate::app::nav::Target;
use crate::app::views::cluster::{CLUSTER_COLUMNS, ClusterRow, cluster_rows};
use crate::config::{Command, Mode};
use crate::ui::table::{self, TableOutcome, TableProps, TableState};

#[derive(Default)]
pub struct ClustersScreen {
    table: TableState,
    key: Option<(u64, i64)>,
    rows: Vec<ClusterRow>,
}

impl ClustersScreen {
    pub fn new() -> ClustersScreen {
        ClustersScreen::default()
    }

    fn props(&self) -> TableProps<'_, ClusterRow> {
        TableProps {
            title: "Clusters",
            columns: CLUSTER_COLUMNS,
            rows: &self.rows,
            empty: "no clusters yet",
        }
    }
}

impl Component for ClustersScreen {
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
        if command == Command::ClusterDetail && !self.table.is_editing() {
            let name = self
                .table
                .selected_key()
                .map(str::to_string)
                .or_else(|| self.rows.first().map(|r| r.name.clone()));
            if let Some(name) = name {
                cx.goto(Target::Cluster(name));
                return Handled::Yes;
            }
        }
        let props = TableProps {
            title: "",
            columns: CLUSTER_COLUMNS,
            rows: &self.rows,
            empty: "",
        };
        let outcome = self.table.on_command(command, &props, cx.area);
        match outcome {
            TableOutcome::Ignored => Handled::No,
            TableOutcome::Changed => Handled::Yes,
            TableOutcome::Activated(name) => {
                cx.goto(Target::Cluster(name));
                Handled::Yes
            }
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
            columns: CLUSTER_COLUMNS,
            rows: &self.rows,
            empty: "",
        };
        match self.table.on_mouse(mouse, &props, cx.area) {
            TableOutcome::Ignored => Handled::No,
            TableOutcome::Changed => Handled::Yes,
            TableOutcome::Activated(name) => {
                cx.goto(Target::Cluster(name));
                Handled::Yes
            }
        }
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
            self.rows = cluster_rows(model, app.wall);
        }
        self.key = Some(key);
    }
}

impl Screen for ClustersScreen {
    fn title(&self) -> String {
        "Clusters".into()
    }

    fn goto(&mut self, target: &Target, _cx: &mut Cx<'_>) -> Handled {
        Handled::from(*target == Target::Command(Command::Clusters))
    }
}

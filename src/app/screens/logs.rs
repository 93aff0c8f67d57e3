//! The logs of one container: opens the stream when shown, closes it when left, and feeds the
//! chunks to the log viewer (tail, follow, scroll, search, wrap).

use crossterm::event::{KeyEvent, MouseEvent};
use ratatui::Frame;
use ratatui::layout::Rect;

use crate::app::component::{Component, Cx, Handled, Screen, ViewCx};
use crate::app::effect::{Effect, LogRequest};
use crate::app::msg::{LogEvent, Msg};
use crate::config::{Command, Mode};
use crate::ui::logview::{DEFAULT_CAPACITY, LogOutcome, LogView, StreamStatus};

pub struct LogsScreen {
    request: LogRequest,
    view: LogView,
}

impl LogsScreen {
    /// A screen for `request` (its `stream` from [`crate::app::AppContext::next_id`]), keeping
    /// the last [`DEFAULT_CAPACITY`] lines.
    pub fn new(request: LogRequest) -> LogsScreen {
        LogsScreen::with_capacity(request, DEFAULT_CAPACITY)
    }

    pub fn with_capacity(request: LogRequest, capacity: usize) -> LogsScreen {
        let view = LogView::new(request.title(), capacity);
        LogsScreen { request, view }
    }

    pub fn view(&self) -> &LogView {
        &self.view
    }
}

impl Component for LogsScreen {
    fn mode(&self) -> Mode {
        self.view.mode()
    }

    fn render(&self, frame: &mut Frame, area: Rect, cx: &ViewCx<'_>) {
        self.view.render(frame, area, cx.theme, cx.focused);
    }

    fn on_command(&mut self, command: Command, cx: &mut Cx<'_>) -> Handled {
        Handled::from(self.view.on_command(command, cx.area) == LogOutcome::Changed)
    }

    fn on_mouse(&mut self, mouse: MouseEvent, cx: &mut Cx<'_>) -> Handled {
        Handled::from(self.view.on_mouse(mouse, cx.area) == LogOutcome::Changed)
    }

    fn on_text(&mut self, key: KeyEvent, _cx: &mut Cx<'_>) -> Handled {
        Handled::from(self.view.on_text(key))
    }

    fn on_paste(&mut self, text: &str, _cx: &mut Cx<'_>) -> Handled {
        Handled::from(self.view.on_paste(text))
    }

    fn on_msg(&mut self, msg: &Msg, _cx: &mut Cx<'_>) -> Handled {
        let Msg::Log(chunk) = msg else {
            return Handled::No;
        };
        if chunk.stream != self.request.stream {
            return Handled::No;
        }
        match &chunk.event {
            LogEvent::Lines(lines) => self.view.push_lines(lines.iter().cloned()),
            LogEvent::Ended(why) => self.view.set_status(StreamStatus::Ended(why.clone())),
            LogEvent::Failed(why) => self.view.set_status(StreamStatus::Failed(why.clone())),
        }
        Handled::Yes
    }
}

impl Screen for LogsScreen {
    fn title(&self) -> String {
        format!("Logs {}", self.request.title())
    }

    fn on_open(&mut self, cx: &mut Cx<'_>) {
        cx.effect(Effect::OpenLogs(self.request.clone()));
    }

    fn on_close(&mut self, cx: &mut Cx<'_>) {
        cx.effect(Effect::CloseLogs(self.request.stream));
    }
}

//! `?`: the keys of what had the focus, as a flow.

use ratatui::Frame;
use ratatui::layout::Rect;

use crate::app::component::{Component, Cx, Flow, Handled, ViewCx};
use crate::config::{Command, Keymap, Mode};
use crate::ui::help::{HelpOutcome, HelpState};

pub struct HelpFlow {
    state: HelpState,
}

impl HelpFlow {
    /// Help for `mode`: the mode of the screen or flow that had the focus.
    pub fn new(keymap: &Keymap, mode: Mode) -> HelpFlow {
        HelpFlow {
            state: HelpState::new(keymap, mode),
        }
    }

    pub fn shown_mode(&self) -> Mode {
        self.state.mode()
    }
}

impl Component for HelpFlow {
    fn mode(&self) -> Mode {
        // Help's own keys are the global ones (scrolling, Back, Help).
        Mode::Global
    }

    fn render(&self, frame: &mut Frame, area: Rect, cx: &ViewCx<'_>) {
        self.state.render(frame, area, cx.theme);
    }

    fn on_command(&mut self, command: Command, cx: &mut Cx<'_>) -> Handled {
        match self.state.on_command(command, cx.area) {
            HelpOutcome::Ignored => Handled::No,
            HelpOutcome::Changed => Handled::Yes,
            HelpOutcome::Close => {
                cx.close();
                Handled::Yes
            }
        }
    }
}

impl Flow for HelpFlow {
    fn title(&self) -> String {
        format!("Keys: {}", self.state.mode())
    }
}

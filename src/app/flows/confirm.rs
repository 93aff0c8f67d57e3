//! The confirmation of an action as a flow: runs the dry run when opened, the write when
//! confirmed, and closes with a notice once the write succeeded.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;

use crate::app::action::{ActionRequest, ActionResult};
use crate::app::component::{Component, Cx, Flow, Handled, ViewCx};
use crate::app::effect::Effect;
use crate::app::msg::Msg;
use crate::config::{Command, ConfirmPolicy, Keymap, Mode};
use crate::ui::confirm::{ConfirmOutcome, ConfirmState, Phase};
use crate::ui::toast::Level;

pub struct ConfirmFlow {
    state: ConfirmState,
}

impl ConfirmFlow {
    pub fn new(
        request: ActionRequest,
        policy: ConfirmPolicy,
        read_only: bool,
        keymap: &Keymap,
    ) -> ConfirmFlow {
        ConfirmFlow {
            state: ConfirmState::new(request, policy, read_only, keymap),
        }
    }

    pub fn state(&self) -> &ConfirmState {
        &self.state
    }

    fn outcome(&self, outcome: ConfirmOutcome, cx: &mut Cx<'_>) -> Handled {
        match outcome {
            ConfirmOutcome::Ignored => Handled::No,
            ConfirmOutcome::Changed => Handled::Yes,
            ConfirmOutcome::Close => {
                cx.close();
                Handled::Yes
            }
            ConfirmOutcome::Run { dry_run } => {
                cx.effect(Effect::Action {
                    request: self.state.request().clone(),
                    dry_run,
                });
                Handled::Yes
            }
        }
    }

    fn on_result(&mut self, result: &ActionResult, cx: &mut Cx<'_>) -> Handled {
        let outcome = self.state.on_result(result);
        if outcome == ConfirmOutcome::Ignored {
            return Handled::No;
        }
        let handled = self.outcome(outcome, cx);
        if let Phase::Applied(summary) = self.state.phase() {
            cx.toast(
                Level::Success,
                format!("{}: {} ({summary})", result.app, result.kind.done()),
            );
            cx.close();
        }
        handled
    }
}

impl Component for ConfirmFlow {
    fn mode(&self) -> Mode {
        self.state.mode()
    }

    fn render(&self, frame: &mut Frame, area: Rect, cx: &ViewCx<'_>) {
        self.state.render(frame, area, cx.theme);
    }

    fn on_command(&mut self, command: Command, cx: &mut Cx<'_>) -> Handled {
        let outcome = self.state.on_command(command);
        self.outcome(outcome, cx)
    }

    fn on_text(&mut self, key: KeyEvent, _cx: &mut Cx<'_>) -> Handled {
        Handled::from(self.state.on_text(key))
    }

    fn on_paste(&mut self, text: &str, _cx: &mut Cx<'_>) -> Handled {
        Handled::from(self.state.on_paste(text))
    }

    fn on_msg(&mut self, msg: &Msg, cx: &mut Cx<'_>) -> Handled {
        match msg {
            Msg::Action(result) => self.on_result(result, cx),
            _ => Handled::No,
        }
    }
}

impl Flow for ConfirmFlow {
    fn title(&self) -> String {
        let request = self.state.request();
        format!(
            "{} {}",
            request.kind.title(),
            request.target.qualified_app()
        )
    }

    fn on_open(&mut self, cx: &mut Cx<'_>) {
        let opening = self.state.opening();
        self.outcome(opening, cx);
    }
}

//! `:`: the command palette as a flow. Choosing an action runs it on the screen below;
//! choosing an app, cluster or environment goes there.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;

use crate::app::component::{Component, Cx, Flow, Handled, ViewCx};
use crate::app::context::AppContext;
use crate::app::nav::Target;
use crate::config::{Command, Mode};
use crate::ui::palette::{Candidate, CandidateKind, PaletteOutcome, PaletteState};

pub struct PaletteFlow {
    state: PaletteState<Target>,
}

impl PaletteFlow {
    pub fn new(candidates: Vec<Candidate<Target>>) -> PaletteFlow {
        PaletteFlow {
            state: PaletteState::new(candidates),
        }
    }

    pub fn state(&self) -> &PaletteState<Target> {
        &self.state
    }
}

/// Commands worth offering in the palette: everything but moving and editing.
fn offered(command: Command) -> bool {
    !matches!(
        command,
        Command::Up
            | Command::Down
            | Command::Left
            | Command::Right
            | Command::PageUp
            | Command::PageDown
            | Command::Top
            | Command::Bottom
            | Command::Accept
            | Command::Back
            | Command::Open
            | Command::Palette
            | Command::NextPane
            | Command::PrevPane
            | Command::Expand
            | Command::Collapse
            | Command::SearchNext
            | Command::SearchPrev
    )
}

/// The palette's entries: commands (with their descriptions), then the screen's own, then
/// the shared ones (apps, clusters, environments).
pub fn palette_candidates(
    app: &AppContext,
    screen: Vec<Candidate<Target>>,
) -> Vec<Candidate<Target>> {
    let mut all: Vec<Candidate<Target>> = Command::ALL
        .iter()
        .copied()
        .filter(|c| offered(*c))
        .map(|command| Candidate {
            kind: CandidateKind::Action,
            label: command.name().to_string(),
            detail: command.description().to_string(),
            value: Target::Command(command),
        })
        .collect();
    all.extend(screen);
    all.extend(app.candidates.iter().cloned());
    all
}

impl Component for PaletteFlow {
    fn mode(&self) -> Mode {
        Mode::Palette
    }

    fn render(&self, frame: &mut Frame, area: Rect, cx: &ViewCx<'_>) {
        self.state.render(frame, area, cx.theme);
    }

    fn on_command(&mut self, command: Command, cx: &mut Cx<'_>) -> Handled {
        match self.state.on_command(command) {
            PaletteOutcome::Ignored => Handled::No,
            PaletteOutcome::Changed => Handled::Yes,
            PaletteOutcome::Close => {
                cx.close();
                Handled::Yes
            }
            PaletteOutcome::Chosen(target) => {
                cx.close();
                match target {
                    Target::Command(command) => cx.run(command),
                    other => cx.goto(other),
                }
                Handled::Yes
            }
        }
    }

    fn on_text(&mut self, key: KeyEvent, _cx: &mut Cx<'_>) -> Handled {
        Handled::from(self.state.on_text(key))
    }

    fn on_paste(&mut self, text: &str, _cx: &mut Cx<'_>) -> Handled {
        Handled::from(self.state.on_paste(text))
    }
}

impl Flow for PaletteFlow {
    fn title(&self) -> String {
        "Command palette".into()
    }
}

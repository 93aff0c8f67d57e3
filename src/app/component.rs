//! The traits screens and flows implement, and the contexts they get.
//!
//! A [`Screen`] fills the body (overview, app detail, logs...); the screen stack's top one is
//! shown and gets the input. A [`Flow`] is modal: help, the palette, a confirmation, and the
//! multi-step wizards; the top flow gets the input and draws over the screen. Both draw with
//! `render(&self, ..)`, which cannot change anything, and react to named [`Command`]s (never
//! raw keys), asking for changes beyond themselves through [`Cx`] (push a screen, open a flow,
//! run an effect, show a toast) like gitui's event queue.

use crossterm::event::{KeyEvent, MouseEvent};
use ratatui::Frame;
use ratatui::layout::Rect;

use super::action::ActionRequest;
use super::context::AppContext;
use super::effect::Effect;
use super::msg::Msg;
use super::nav::Target;
use crate::config::{Command, Mode};
use crate::theme::Theme;
use crate::ui::palette::Candidate;
use crate::ui::toast::Level;

/// Whether a component used an input. `Yes` also means "redraw".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    Yes,
    No,
}

impl Handled {
    pub fn from(used: bool) -> Handled {
        if used { Handled::Yes } else { Handled::No }
    }

    pub fn is_yes(self) -> bool {
        self == Handled::Yes
    }
}

/// A change a component asks for; applied by `update` after the component returns.
pub enum Request {
    Effect(Effect),
    Push(Box<dyn Screen>),
    /// Close the top screen (never the root).
    Pop,
    /// Close the top screen and show this one instead.
    Replace(Box<dyn Screen>),
    Open(Box<dyn Flow>),
    /// Close the top flow.
    Close,
    Toast(Level, String),
    /// Open the confirmation for an action (policy from the config, dry run first).
    Confirm(ActionRequest),
    Goto(Target),
    /// Dispatch a command as if its key had been pressed.
    Run(Command),
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Request::Effect(effect) => write!(f, "Effect({effect:?})"),
            Request::Push(screen) => write!(f, "Push({})", screen.title()),
            Request::Pop => f.write_str("Pop"),
            Request::Replace(screen) => write!(f, "Replace({})", screen.title()),
            Request::Open(flow) => write!(f, "Open({})", flow.title()),
            Request::Close => f.write_str("Close"),
            Request::Toast(level, text) => write!(f, "Toast({level:?}, {text:?})"),
            Request::Confirm(request) => write!(f, "Confirm({})", request.kind.name()),
            Request::Goto(target) => write!(f, "Goto({target:?})"),
            Request::Run(command) => write!(f, "Run({command})"),
        }
    }
}

/// What a handler gets: read access to the shared context, the area it is drawn in (the same
/// layout `render` gets, so mouse positions and page sizes agree), and the request queue.
pub struct Cx<'a> {
    pub app: &'a AppContext,
    pub area: Rect,
    requests: &'a mut Vec<Request>,
}

impl<'a> Cx<'a> {
    pub fn new(app: &'a AppContext, area: Rect, requests: &'a mut Vec<Request>) -> Cx<'a> {
        Cx {
            app,
            area,
            requests,
        }
    }

    pub fn request(&mut self, request: Request) {
        self.requests.push(request);
    }

    pub fn effect(&mut self, effect: Effect) {
        self.request(Request::Effect(effect));
    }

    pub fn push(&mut self, screen: Box<dyn Screen>) {
        self.request(Request::Push(screen));
    }

    pub fn pop(&mut self) {
        self.request(Request::Pop);
    }

    pub fn open(&mut self, flow: Box<dyn Flow>) {
        self.request(Request::Open(flow));
    }

    /// Closes the top flow (a flow calls it to close itself).
    pub fn close(&mut self) {
        self.request(Request::Close);
    }

    pub fn toast(&mut self, level: Level, text: impl Into<String>) {
        self.request(Request::Toast(level, text.into()));
    }

    pub fn confirm(&mut self, request: ActionRequest) {
        self.request(Request::Confirm(request));
    }

    pub fn goto(&mut self, target: Target) {
        self.request(Request::Goto(target));
    }

    pub fn run(&mut self, command: Command) {
        self.request(Request::Run(command));
    }
}

/// What `render` gets.
pub struct ViewCx<'a> {
    pub app: &'a AppContext,
    pub theme: &'a Theme,
    /// False for screens under an open flow.
    pub focused: bool,
}

/// What screens and flows have in common.
pub trait Component {
    /// The keymap mode keys are looked up in (it may change with the component's state, e.g.
    /// `palette` while a filter is typed).
    fn mode(&self) -> Mode;

    /// Draws into `area`; never changes anything.
    fn render(&self, frame: &mut Frame, area: Rect, cx: &ViewCx<'_>);

    fn on_command(&mut self, command: Command, cx: &mut Cx<'_>) -> Handled;

    /// A key that is no command, in a text-entry mode.
    fn on_text(&mut self, _key: KeyEvent, _cx: &mut Cx<'_>) -> Handled {
        Handled::No
    }

    fn on_paste(&mut self, _text: &str, _cx: &mut Cx<'_>) -> Handled {
        Handled::No
    }

    fn on_mouse(&mut self, _mouse: MouseEvent, _cx: &mut Cx<'_>) -> Handled {
        Handled::No
    }

    /// Background messages (action results, log chunks, model events), offered to every
    /// screen and flow; `Yes` when it changed what the component shows.
    fn on_msg(&mut self, _msg: &Msg, _cx: &mut Cx<'_>) -> Handled {
        Handled::No
    }

    /// Each tick; `Yes` only when something shown changed (an age, a spinner).
    fn on_tick(&mut self, _cx: &mut Cx<'_>) -> Handled {
        Handled::No
    }
}

/// A full-body view on the screen stack.
pub trait Screen: Component {
    /// For the status line and the palette.
    fn title(&self) -> String;

    /// Pushed: start what it needs (a log stream...).
    fn on_open(&mut self, _cx: &mut Cx<'_>) {}

    /// Popped or replaced: stop what it started.
    fn on_close(&mut self, _cx: &mut Cx<'_>) {}

    /// A palette target or navigation command this screen can show itself (select the app,
    /// push its detail...).
    fn goto(&mut self, _target: &Target, _cx: &mut Cx<'_>) -> Handled {
        Handled::No
    }

    /// Palette entries this screen adds (its rows, its own actions).
    fn candidates(&self, _app: &AppContext) -> Vec<Candidate<Target>> {
        Vec::new()
    }
}

/// A modal flow: drawn over the screen, gets the input while open. Help, the palette and the
/// confirmation are one-step flows; a wizard is a flow whose state holds its
/// [`super::flows::Steps`] and whose jobs report back through [`Component::on_msg`].
pub trait Flow: Component {
    fn title(&self) -> String;

    /// Opened: start what it needs (the confirmation's dry run).
    fn on_open(&mut self, _cx: &mut Cx<'_>) {}

    fn on_close(&mut self, _cx: &mut Cx<'_>) {}

    /// Where it stands, for wizards: (current step, steps).
    fn progress(&self) -> Option<(usize, usize)> {
        None
    }
}

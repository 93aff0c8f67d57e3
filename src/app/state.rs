//! [`AppState`]: everything the TUI shows. The event loop owns it; only
//! [`super::update`] changes it.

use ratatui::layout::Rect;

use super::component::{Flow, Screen};
use super::context::AppContext;
use super::nav::Router;
use crate::config::Mode;
use crate::ui::root::RootLayout;
use crate::ui::toast::Toasts;

pub struct AppState {
    pub app: AppContext,
    /// The first screen; never closed.
    pub(crate) root: Box<dyn Screen>,
    /// Screens opened over the root, the shown one last.
    pub(crate) stack: Vec<Box<dyn Screen>>,
    /// Open flows, the active one last: a confirmation can open help over itself.
    pub(crate) flows: Vec<Box<dyn Flow>>,
    pub toasts: Toasts,
    pub(crate) router: Option<Box<dyn Router>>,
    size: Rect,
    dirty: bool,
}

impl AppState {
    /// A state showing `root` on a terminal of `size`. Call [`super::update::start`] before
    /// the first frame so the root can start what it needs.
    pub fn new(app: AppContext, root: Box<dyn Screen>, size: Rect) -> AppState {
        AppState {
            app,
            root,
            stack: Vec::new(),
            flows: Vec::new(),
            toasts: Toasts::default(),
            router: None,
            size,
            dirty: true,
        }
    }

    /// Builds screens for navigation targets the current screen does not handle.
    pub fn with_router(mut self, router: Box<dyn Router>) -> AppState {
        self.router = Some(router);
        self
    }

    pub fn size(&self) -> Rect {
        self.size
    }

    pub(crate) fn resize(&mut self, size: Rect) {
        if size != self.size {
            self.size = size;
            self.dirty = true;
        }
    }

    /// Where things are drawn at the current size.
    pub fn layout(&self) -> RootLayout {
        RootLayout::new(self.size)
    }

    /// True when something shown changed since the last frame.
    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    pub fn mark_dirty(&mut self) {
        self.dirty = true;
    }

    /// Called by the loop once a frame is drawn.
    pub fn mark_drawn(&mut self) {
        self.dirty = false;
    }

    /// The screen shown.
    pub fn screen(&self) -> &dyn Screen {
        self.stack.last().unwrap_or(&self.root).as_ref()
    }

    /// Every screen, root first.
    pub fn screens(&self) -> impl Iterator<Item = &dyn Screen> {
        std::iter::once(self.root.as_ref()).chain(self.stack.iter().map(Box::as_ref))
    }

    /// Screens open, the root included.
    pub fn depth(&self) -> usize {
        1 + self.stack.len()
    }

    /// The active flow, if any.
    pub fn flow(&self) -> Option<&dyn Flow> {
        self.flows.last().map(Box::as_ref)
    }

    pub fn flows(&self) -> impl Iterator<Item = &dyn Flow> {
        self.flows.iter().map(Box::as_ref)
    }

    /// The mode keys are looked up in: the active flow's, else the top screen's.
    pub fn mode(&self) -> Mode {
        match self.flow() {
            Some(flow) => flow.mode(),
            None => self.screen().mode(),
        }
    }

    /// The titles of the screen stack, for the status line.
    pub fn breadcrumb(&self) -> String {
        let titles: Vec<String> = self.screens().map(|s| s.title()).collect();
        titles.join(" › ")
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("screens", &self.breadcrumb())
            .field(
                "flows",
                &self.flows.iter().map(|f| f.title()).collect::<Vec<_>>(),
            )
            .field("size", &self.size)
            .field("dirty", &self.dirty)
            .finish_non_exhaustive()
    }
}

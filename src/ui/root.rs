//! The whole frame: the top screen in the body, open flows over it, toasts in the corner, the
//! status line at the bottom.

use ratatui::Frame;
use ratatui::layout::Rect;

use crate::app::AppState;
use crate::app::component::ViewCx;
use crate::config::Command;
use crate::theme::Theme;
use crate::ui::help::key_hint;
use crate::ui::status::{self, StatusProps};

/// Where the parts of the frame go for a terminal `size`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RootLayout {
    pub body: Rect,
    pub status: Rect,
}

impl RootLayout {
    pub fn new(size: Rect) -> RootLayout {
        let status_height = size.height.min(1);
        RootLayout {
            body: Rect {
                height: size.height - status_height,
                ..size
            },
            status: Rect {
                y: size.y + size.height - status_height,
                height: status_height,
                ..size
            },
        }
    }
}

/// Draws `state`; never changes it.
pub fn render(frame: &mut Frame, state: &AppState, theme: &Theme) {
    let layout = RootLayout::new(frame.area());
    let flows: Vec<_> = state.flows().collect();
    state.screen().render(
        frame,
        layout.body,
        &ViewCx {
            app: &state.app,
            theme,
            focused: flows.is_empty(),
        },
    );
    for (index, flow) in flows.iter().enumerate() {
        flow.render(
            frame,
            layout.body,
            &ViewCx {
                app: &state.app,
                theme,
                focused: index + 1 == flows.len(),
            },
        );
    }
    state.toasts.render(frame, layout.body, theme);
    let app = &state.app;
    let hint = format!(
        "{} help",
        key_hint(&app.keymap.help(state.mode()), Command::Help)
    );
    let title = state.breadcrumb();
    status::render(
        frame,
        layout.status,
        &StatusProps {
            context: &app.context,
            management: &app.management,
            read_only: app.read_only,
            simulated: app.simulated,
            connections: app.connections,
            title: &title,
            hint: &hint,
            clock: &app.clock,
        },
        theme,
    );
}

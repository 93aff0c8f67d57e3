//! Test helpers: draw into a `TestBackend` and read the result back as text.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::{Frame, layout::Rect};

use crate::theme::Theme;

pub fn theme() -> Theme {
    Theme::builtin("default").expect("default theme")
}

/// The two sizes every component and screen is snapshot-tested at.
pub const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

/// Draws with `draw` on a `width`×`height` test terminal and returns the buffer.
pub fn buffer(width: u16, height: u16, draw: impl FnOnce(&mut Frame, Rect)) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
    terminal
        .draw(|frame| {
            let area = frame.area();
            draw(frame, area);
        })
        .expect("draw");
    terminal.backend().buffer().clone()
}

/// The buffer's text, one line per row, trailing spaces kept so widths are visible.
pub fn text(buffer: &Buffer) -> String {
    let area = buffer.area;
    let mut out = String::new();
    for y in area.top()..area.bottom() {
        let mut skip = 0;
        for x in area.left()..area.right() {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let symbol = buffer[(x, y)].symbol();
            skip = crate::ui::text::width(symbol).saturating_sub(1);
            out.push_str(symbol);
        }
        out.push_str("|\n");
    }
    out
}

/// Draws and returns the text (see [`text`]).
pub fn render(width: u16, height: u16, draw: impl FnOnce(&mut Frame, Rect)) -> String {
    text(&buffer(width, height, draw))
}

/// The text of row `y`.
pub fn row(buffer: &Buffer, y: u16) -> String {
    (buffer.area.left()..buffer.area.right())
        .map(|x| buffer[(x, y)].symbol())
        .collect()
}

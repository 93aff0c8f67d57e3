//! The layers × environments matrix: a label column (layers, expandable to their components)
//! and one column per environment, each cell a glyph and counts in its state's colour. Only
//! the visible lines are drawn; the cursor line scrolls into view.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::theme::{Role, Theme};
use crate::ui::text::{fit_spans, truncate};

/// One cell: its text and colour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatrixCell {
    pub text: String,
    pub role: Role,
}

/// One line: a layer or one of its components.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatrixLine {
    pub label: String,
    /// Components are indented under their layer.
    pub depth: u8,
    /// Layers: `Some(expanded)`.
    pub expanded: Option<bool>,
    pub cells: Vec<MatrixCell>,
}

#[derive(Debug, Clone, Copy)]
pub struct MatrixProps<'a> {
    pub title: &'a str,
    pub columns: &'a [String],
    pub lines: &'a [MatrixLine],
    /// (line, column) of the cursor.
    pub cursor: (usize, usize),
    pub focused: bool,
}

/// Width of the label column for an area `width` wide.
fn label_width(width: u16, columns: usize) -> u16 {
    let wanted = 18u16;
    let cells_min = 9 * columns as u16;
    wanted.min(width.saturating_sub(cells_min)).max(8)
}

/// Where the cells are: the label column, then equal columns per environment.
pub fn column_x(area: Rect, columns: usize, column: usize) -> (u16, u16) {
    let inner_width = area.width.saturating_sub(2);
    let label = label_width(inner_width, columns);
    let rest = inner_width.saturating_sub(label);
    let each = if columns == 0 {
        0
    } else {
        rest / columns as u16
    };
    (area.x + 1 + label + each * column as u16, each)
}

/// The line a mouse row falls on, given the scroll.
pub fn line_at(area: Rect, lines: usize, cursor: usize, row: u16) -> Option<usize> {
    let body = area.height.saturating_sub(3) as usize;
    let offset = scroll(cursor, body, lines);
    let y = row.checked_sub(area.y + 2)? as usize;
    (y < body && offset + y < lines).then_some(offset + y)
}

/// The column a mouse x falls on.
pub fn column_at(area: Rect, columns: usize, x: u16) -> Option<usize> {
    (0..columns).find(|&c| {
        let (start, width) = column_x(area, columns, c);
        x >= start && x < start + width
    })
}

fn scroll(cursor: usize, height: usize, len: usize) -> usize {
    crate::ui::table::state::visible_offset(0, Some(cursor), height, len)
}

pub fn render(frame: &mut Frame, area: Rect, props: &MatrixProps<'_>, theme: &Theme) {
    if area.width < 4 || area.height < 3 {
        return;
    }
    let block = Block::bordered()
        .border_style(theme.border(props.focused))
        .title(Span::styled(
            format!(" {} ", props.title),
            theme.style(Role::Title),
        ));
    frame.render_widget(block, area);
    let inner = Rect {
        x: area.x + 1,
        y: area.y + 1,
        width: area.width - 2,
        height: area.height - 2,
    };
    let columns = props.columns.len();
    let label = label_width(inner.width, columns);
    let header_style = theme.style(Role::Header);
    let buffer = frame.buffer_mut();
    buffer.set_stringn(inner.x, inner.y, "LAYER", label as usize, header_style);
    for (c, name) in props.columns.iter().enumerate() {
        let (x, width) = column_x(area, columns, c);
        buffer.set_stringn(
            x,
            inner.y,
            truncate(&name.to_uppercase(), width as usize),
            width as usize,
            header_style,
        );
    }
    let body = inner.height.saturating_sub(1) as usize;
    let offset = scroll(props.cursor.0, body, props.lines.len());
    for (i, line) in props.lines.iter().enumerate().skip(offset).take(body) {
        let y = inner.y + 1 + (i - offset) as u16;
        let on_cursor = i == props.cursor.0;
        let marker = match line.expanded {
            Some(true) => "▾ ",
            Some(false) => "▸ ",
            None => "  ",
        };
        let indent = "  ".repeat(line.depth as usize);
        let label_role = if line.depth == 0 {
            Role::Title
        } else {
            Role::Text
        };
        let label_line = fit_spans(
            vec![Span::styled(
                format!("{indent}{marker}{}", line.label),
                theme.style(label_role),
            )],
            label as usize,
        );
        frame.buffer_mut().set_line(inner.x, y, &label_line, label);
        for (c, cell) in line.cells.iter().enumerate().take(columns) {
            let (x, width) = column_x(area, columns, c);
            let mut style = theme.style(cell.role);
            if on_cursor && c == props.cursor.1 {
                style = if props.focused {
                    theme.style(Role::Selection)
                } else {
                    style.add_modifier(Modifier::REVERSED)
                };
            }
            let text = format!(" {}", cell.text);
            let spans = fit_spans(
                vec![Span::styled(text, style)],
                width.saturating_sub(1) as usize,
            );
            let buffer = frame.buffer_mut();
            if on_cursor && c == props.cursor.1 {
                buffer.set_style(
                    Rect {
                        x,
                        y,
                        width: width.saturating_sub(1),
                        height: 1,
                    },
                    style,
                );
            }
            buffer.set_line(x, y, &spans, width.saturating_sub(1));
        }
    }
    if props.lines.is_empty() && inner.height > 1 {
        frame.render_widget(
            Paragraph::new(Line::from(Span::styled(
                "waiting for the estate…",
                theme.style(Role::Muted),
            ))),
            Rect {
                y: inner.y + 1,
                height: 1,
                ..inner
            },
        );
    }
}

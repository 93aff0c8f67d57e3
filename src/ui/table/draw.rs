//! Drawing a table: border with title and counts, header with the sort arrow, the visible rows
//! (only those are touched, whatever the row count), and the filter prompt while it is typed.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::TableProps;
use super::column::{Align, Column, Placed, layout};
use super::row::TableRow;
use super::state::{Query, TableAreas, TableState};
use super::view::TableView;
use crate::theme::{Role, Theme};
use crate::ui::fuzzy::Fuzzy;
use crate::ui::text::{self, char_ranges, find_all, fit_spans, highlighted};

/// Draws the table, building its view (filter + sort) first.
pub fn render<R: TableRow>(
    frame: &mut Frame,
    area: Rect,
    props: &TableProps<'_, R>,
    state: &TableState,
    theme: &Theme,
    focused: bool,
) {
    let view = TableView::build(props.rows, state);
    render_view(frame, area, props, state, &view, theme, focused);
}

/// Draws the table with a view the caller built (and may cache).
pub fn render_view<R: TableRow>(
    frame: &mut Frame,
    area: Rect,
    props: &TableProps<'_, R>,
    state: &TableState,
    view: &TableView,
    theme: &Theme,
    focused: bool,
) {
    if area.width < 3 || area.height < 3 {
        return;
    }
    frame.render_widget(block(props, state, view, theme, focused), area);
    let areas = TableAreas::new(area, state.is_editing());
    let placed = layout(props.columns, areas.inner.width);
    draw_header(frame, areas.header, props.columns, &placed, state, theme);
    if view.is_empty() {
        let message = if props.rows.is_empty() {
            props.empty.to_string()
        } else {
            format!("no rows match {}", state.filter())
        };
        frame.render_widget(
            Paragraph::new(Span::styled(message, theme.style(Role::Muted))),
            areas.body,
        );
    } else {
        draw_rows(
            frame, areas.body, props, state, view, &placed, theme, focused,
        );
    }
    if let (Some(prompt), Some(prompt_area)) = (state.prompt(), areas.prompt) {
        prompt.render(frame, prompt_area, theme, true);
    }
}

fn block<'a, R: TableRow>(
    props: &TableProps<'a, R>,
    state: &TableState,
    view: &TableView,
    theme: &Theme,
    focused: bool,
) -> Block<'a> {
    let total = props.rows.len();
    let count = if view.len() == total {
        format!("{total} ")
    } else {
        format!("{}/{total} ", view.len())
    };
    let mut title = vec![
        Span::styled(format!(" {} ", props.title), theme.style(Role::Title)),
        Span::styled(count, theme.style(Role::Muted)),
    ];
    if !state.is_editing() && !state.filter().is_empty() {
        title.push(Span::styled(
            format!("/{} ", state.filter()),
            theme.style(Role::Accent),
        ));
    }
    Block::bordered()
        .border_style(theme.border(focused))
        .title(Line::from(title))
}

fn draw_header(
    frame: &mut Frame,
    area: Rect,
    columns: &[Column],
    placed: &[Placed],
    state: &TableState,
    theme: &Theme,
) {
    if area.height == 0 {
        return;
    }
    let style = theme.style(Role::Header);
    let buffer = frame.buffer_mut();
    for p in placed {
        let column = &columns[p.column];
        let arrow = state
            .sort()
            .filter(|s| s.column == p.column)
            .map(|s| s.dir.arrow());
        let room = p.width.saturating_sub(u16::from(arrow.is_some()));
        let mut title = text::truncate(column.header(room), room as usize).into_owned();
        if let Some(arrow) = arrow {
            title.push_str(arrow);
        }
        let line = aligned(vec![Span::styled(title, style)], p.width, column.align);
        buffer.set_line(area.x + p.x, area.y, &line, p.width);
    }
}

#[allow(clippy::too_many_arguments)]
fn draw_rows<R: TableRow>(
    frame: &mut Frame,
    body: Rect,
    props: &TableProps<'_, R>,
    state: &TableState,
    view: &TableView,
    placed: &[Placed],
    theme: &Theme,
    focused: bool,
) {
    let height = body.height as usize;
    let offset = state.offset(view, props.rows, height);
    let cursor = state.cursor(view, props.rows);
    let query = state.query();
    let mut fuzzy = match &query {
        Some(Query::Fuzzy(q)) => Some(Fuzzy::new(q)),
        _ => None,
    };
    let selection = if focused {
        theme.style(Role::Selection)
    } else {
        theme
            .style(Role::Selection)
            .remove_modifier(ratatui::style::Modifier::BOLD)
    };
    let highlight = theme
        .style(Role::Accent)
        .add_modifier(ratatui::style::Modifier::UNDERLINED);
    for (line_index, position) in (offset..view.len()).take(height).enumerate() {
        let Some(row_index) = view.row(position) else {
            break;
        };
        let row = &props.rows[row_index];
        let y = body.y + line_index as u16;
        let selected = cursor == Some(position);
        let row_area = Rect {
            y,
            height: 1,
            ..body
        };
        let buffer = frame.buffer_mut();
        if selected {
            buffer.set_style(row_area, selection);
        }
        for p in placed {
            let column = &props.columns[p.column];
            let cell = row.cell(p.column);
            let mut style = cell
                .role
                .map_or(theme.style(Role::Text), |r| theme.style(r));
            if selected {
                style = style.patch(selection);
            }
            let ranges = if column.highlights_filter {
                match (&query, fuzzy.as_mut()) {
                    (Some(Query::Substring(needle)), _) => find_all(&cell.text, needle),
                    (Some(Query::Fuzzy(_)), Some(fuzzy)) => fuzzy
                        .find(&cell.text)
                        .map(|m| char_ranges(&cell.text, &m.chars))
                        .unwrap_or_default(),
                    _ => Vec::new(),
                }
            } else {
                Vec::new()
            };
            let spans = highlighted(&cell.text, &ranges, style, highlight);
            let line = aligned(spans, p.width, column.align);
            buffer.set_line(body.x + p.x, y, &line, p.width);
        }
    }
}

/// Spans fitted to `width` columns, padded on the left for right-aligned columns.
fn aligned(spans: Vec<Span<'_>>, width: u16, align: Align) -> Line<'_> {
    let mut line = fit_spans(spans, width as usize);
    if align == Align::Right {
        let pad = (width as usize).saturating_sub(line.width());
        if pad > 0 {
            line.spans
                .insert(0, Span::styled(" ".repeat(pad), Style::new()));
        }
    }
    line
}

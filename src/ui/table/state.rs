//! A table's own state: sort, filter, selection (by stable key) and scroll. Every operation
//! takes the rows it applies to, so the state never holds a copy of the data.

use crossterm::event::{KeyEvent, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};

use super::TableProps;
use super::column::{Column, layout};
use super::row::TableRow;
use super::view::TableView;
use crate::config::{Command, Mode};
use crate::ui::prompt::Prompt;

/// What a table reacts to: a named command or a mouse event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableInput {
    Command(Command),
    Mouse(MouseEvent),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortDir {
    Ascending,
    Descending,
}

impl SortDir {
    pub fn flipped(self) -> SortDir {
        match self {
            SortDir::Ascending => SortDir::Descending,
            SortDir::Descending => SortDir::Ascending,
        }
    }

    pub fn arrow(self) -> &'static str {
        match self {
            SortDir::Ascending => "▲",
            SortDir::Descending => "▼",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub column: usize,
    pub dir: SortDir,
}

/// What the filter text asks for: a substring (ASCII case ignored), or, written with a leading
/// `~`, a fuzzy match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    Substring(String),
    Fuzzy(String),
}

impl Query {
    /// None for an empty filter.
    pub fn parse(text: &str) -> Option<Query> {
        let text = text.trim();
        if let Some(fuzzy) = text.strip_prefix('~') {
            let fuzzy = fuzzy.trim();
            return (!fuzzy.is_empty()).then(|| Query::Fuzzy(fuzzy.to_string()));
        }
        (!text.is_empty()).then(|| Query::Substring(text.to_string()))
    }
}

/// The filter being typed, with the filter it replaces (restored on Back).
#[derive(Debug, Clone)]
struct FilterEdit {
    prompt: Prompt,
    before: String,
}

/// What a table did with an input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableOutcome {
    /// Not the table's business: the screen may use it.
    Ignored,
    /// Something shown changed.
    Changed,
    /// Open was pressed, or a selected row clicked, on the row with this key.
    Activated(String),
}

/// The parts of a table's area: header, body, and the filter prompt while it is typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableAreas {
    pub inner: Rect,
    pub header: Rect,
    pub body: Rect,
    pub prompt: Option<Rect>,
}

impl TableAreas {
    /// `area` includes the border.
    pub fn new(area: Rect, editing: bool) -> TableAreas {
        let inner = Rect {
            x: area.x.saturating_add(1),
            y: area.y.saturating_add(1),
            width: area.width.saturating_sub(2),
            height: area.height.saturating_sub(2),
        };
        let header = Rect {
            height: inner.height.min(1),
            ..inner
        };
        let prompt_height = u16::from(editing && inner.height >= 3);
        let body = Rect {
            y: inner.y + header.height,
            height: inner
                .height
                .saturating_sub(header.height)
                .saturating_sub(prompt_height),
            ..inner
        };
        let prompt = (prompt_height == 1).then_some(Rect {
            y: body.y + body.height,
            height: 1,
            ..inner
        });
        TableAreas {
            inner,
            header,
            body,
            prompt,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct TableState {
    sort: Option<Sort>,
    filter: String,
    editing: Option<FilterEdit>,
    selected: Option<String>,
    /// Where the selection was, for when its row disappears.
    selected_pos: usize,
    offset: usize,
}

impl TableState {
    pub fn new() -> TableState {
        TableState::default()
    }

    pub fn sorted_by(mut self, column: usize, dir: SortDir) -> TableState {
        self.sort = Some(Sort { column, dir });
        self
    }

    pub fn sort(&self) -> Option<Sort> {
        self.sort
    }

    pub fn set_sort(&mut self, sort: Option<Sort>) {
        self.sort = sort;
    }

    /// The filter in force (while typing, what has been typed so far).
    pub fn filter(&self) -> &str {
        self.editing
            .as_ref()
            .map_or(self.filter.as_str(), |edit| edit.prompt.text())
    }

    pub fn query(&self) -> Option<Query> {
        Query::parse(self.filter())
    }

    pub fn set_filter(&mut self, filter: &str) {
        self.filter = filter.to_string();
        self.editing = None;
    }

    pub fn is_editing(&self) -> bool {
        self.editing.is_some()
    }

    pub fn prompt(&self) -> Option<&Prompt> {
        self.editing.as_ref().map(|edit| &edit.prompt)
    }

    /// The keymap mode: typing the filter takes text.
    pub fn mode(&self) -> Mode {
        if self.is_editing() {
            Mode::Palette
        } else {
            Mode::List
        }
    }

    pub fn selected_key(&self) -> Option<&str> {
        self.selected.as_deref()
    }

    /// Selects the row with `key` (it need not exist yet: it is selected when it appears).
    pub fn select_key(&mut self, key: &str) {
        self.selected = Some(key.to_string());
    }

    /// The selection's position in `view`: the selected row, else the row now at its old
    /// position, else none for an empty view.
    pub fn cursor<R: TableRow>(&self, view: &TableView, rows: &[R]) -> Option<usize> {
        if view.is_empty() {
            return None;
        }
        self.selected
            .as_deref()
            .and_then(|key| view.position_of(rows, key))
            .or(Some(self.selected_pos.min(view.len() - 1)))
    }

    /// The first row shown for a body `height` rows high, keeping the cursor in sight.
    pub fn offset<R: TableRow>(&self, view: &TableView, rows: &[R], height: usize) -> usize {
        visible_offset(self.offset, self.cursor(view, rows), height, view.len())
    }

    /// Applies a command or a mouse event to the table of `rows` under `columns` drawn in
    /// `area`: for screens that keep one table per tab and only need props to react.
    pub fn on_input<R: TableRow>(
        &mut self,
        input: TableInput,
        rows: &[R],
        columns: &[Column],
        area: Rect,
    ) -> TableOutcome {
        let props = TableProps {
            title: "",
            columns,
            rows,
            empty: "",
        };
        match input {
            TableInput::Command(command) => self.on_command(command, &props, area),
            TableInput::Mouse(mouse) => self.on_mouse(mouse, &props, area),
        }
    }

    /// Applies a command. `area` is where the table is drawn (with its border).
    pub fn on_command<R: TableRow>(
        &mut self,
        command: Command,
        props: &TableProps<'_, R>,
        area: Rect,
    ) -> TableOutcome {
        let rows = props.rows;
        let page = TableAreas::new(area, self.is_editing()).body.height.max(1) as usize;
        if self.is_editing() {
            match command {
                Command::Accept => {
                    self.commit_filter();
                    return TableOutcome::Changed;
                }
                Command::Back => {
                    if let Some(edit) = self.editing.take() {
                        self.filter = edit.before;
                    }
                    return TableOutcome::Changed;
                }
                _ => {}
            }
        }
        let view = TableView::build(rows, self);
        let cursor = self.cursor(&view, rows);
        let last = view.len().saturating_sub(1);
        let target = match command {
            Command::Up => cursor.map(|c| c.saturating_sub(1)),
            Command::Down => cursor.map(|c| (c + 1).min(last)),
            Command::PageUp => cursor.map(|c| c.saturating_sub(page)),
            Command::PageDown => cursor.map(|c| (c + page).min(last)),
            Command::Top => (!view.is_empty()).then_some(0),
            Command::Bottom => (!view.is_empty()).then_some(last),
            Command::Open => {
                return match cursor.and_then(|c| view.row(c)) {
                    Some(row) => TableOutcome::Activated(rows[row].key().into_owned()),
                    None => TableOutcome::Ignored,
                };
            }
            Command::Filter if !self.is_editing() => {
                self.editing = Some(FilterEdit {
                    prompt: Prompt::with_text("/", &self.filter),
                    before: self.filter.clone(),
                });
                return TableOutcome::Changed;
            }
            Command::SortNextColumn => return self.sort_next_of(props.columns),
            Command::ReverseSort => {
                let sort = self.sort.unwrap_or(Sort {
                    column: 0,
                    dir: SortDir::Ascending,
                });
                self.sort = Some(Sort {
                    dir: sort.dir.flipped(),
                    ..sort
                });
                return TableOutcome::Changed;
            }
            Command::Back if !self.filter.is_empty() => {
                self.filter.clear();
                return TableOutcome::Changed;
            }
            _ => return TableOutcome::Ignored,
        };
        match target {
            Some(position) => {
                self.move_to(position, &view, rows, page);
                TableOutcome::Changed
            }
            None => TableOutcome::Ignored,
        }
    }

    /// Typed text while the filter prompt is open: the filter applies as it is typed.
    pub fn on_text(&mut self, key: KeyEvent) -> bool {
        self.editing
            .as_mut()
            .is_some_and(|edit| edit.prompt.input(key))
    }

    pub fn on_paste(&mut self, text: &str) -> bool {
        self.editing
            .as_mut()
            .is_some_and(|edit| edit.prompt.paste(text))
    }

    /// Mouse: a click on a header sorts by that column (again: reverses), a click on a row
    /// selects it (on the selected row: activates it), the wheel moves the selection.
    pub fn on_mouse<R: TableRow>(
        &mut self,
        mouse: MouseEvent,
        props: &TableProps<'_, R>,
        area: Rect,
    ) -> TableOutcome {
        let (rows, columns) = (props.rows, props.columns);
        let areas = TableAreas::new(area, self.is_editing());
        let at = Position::new(mouse.column, mouse.row);
        match mouse.kind {
            MouseEventKind::ScrollDown if area.contains(at) => {
                self.on_command(Command::Down, props, area)
            }
            MouseEventKind::ScrollUp if area.contains(at) => {
                self.on_command(Command::Up, props, area)
            }
            MouseEventKind::Down(MouseButton::Left) if areas.header.contains(at) => {
                let x = mouse.column - areas.header.x;
                let hit = layout(columns, areas.header.width)
                    .into_iter()
                    .find(|p| x >= p.x && x < p.x + p.width);
                match hit {
                    Some(placed) if columns[placed.column].sortable => {
                        self.sort = Some(match self.sort {
                            Some(sort) if sort.column == placed.column => Sort {
                                dir: sort.dir.flipped(),
                                ..sort
                            },
                            _ => Sort {
                                column: placed.column,
                                dir: SortDir::Ascending,
                            },
                        });
                        TableOutcome::Changed
                    }
                    _ => TableOutcome::Ignored,
                }
            }
            MouseEventKind::Down(MouseButton::Left) if areas.body.contains(at) => {
                let view = TableView::build(rows, self);
                let height = areas.body.height as usize;
                let position =
                    self.offset(&view, rows, height) + (mouse.row - areas.body.y) as usize;
                let Some(row) = view.row(position) else {
                    return TableOutcome::Ignored;
                };
                let key = rows[row].key();
                if self.selected.as_deref() == Some(key.as_ref()) {
                    return TableOutcome::Activated(key.into_owned());
                }
                self.move_to(position, &view, rows, height);
                TableOutcome::Changed
            }
            _ => TableOutcome::Ignored,
        }
    }

    fn commit_filter(&mut self) {
        if let Some(edit) = self.editing.take() {
            self.filter = edit.prompt.text().trim().to_string();
        }
    }

    /// Sorts by the next sortable column of `columns` (wrapping), ascending.
    pub fn sort_next_of(&mut self, columns: &[Column]) -> TableOutcome {
        let count = columns.len();
        if count == 0 {
            return TableOutcome::Ignored;
        }
        let start = self.sort.map_or(0, |s| s.column + 1);
        let next = (0..count)
            .map(|step| (start + step) % count)
            .find(|&i| columns[i].sortable);
        match next {
            Some(column) => {
                self.sort = Some(Sort {
                    column,
                    dir: SortDir::Ascending,
                });
                TableOutcome::Changed
            }
            None => TableOutcome::Ignored,
        }
    }

    fn move_to<R: TableRow>(&mut self, position: usize, view: &TableView, rows: &[R], page: usize) {
        let Some(row) = view.row(position) else {
            return;
        };
        self.selected = Some(rows[row].key().into_owned());
        self.selected_pos = position;
        self.offset = visible_offset(self.offset, Some(position), page, view.len());
    }
}

/// The first visible row: the old offset, moved just enough to show `cursor`, and never past
/// the point where the last page is full.
pub fn visible_offset(offset: usize, cursor: Option<usize>, height: usize, len: usize) -> usize {
    let height = height.max(1);
    let mut offset = offset.min(len.saturating_sub(height));
    if let Some(cursor) = cursor {
        if cursor < offset {
            offset = cursor;
        } else if cursor >= offset + height {
            offset = cursor + 1 - height;
        }
    }
    offset
}

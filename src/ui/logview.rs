//! The log viewer: a bounded ring buffer of lines and a view over it with follow (tail -f),
//! scrolling by line and page, horizontal scrolling or wrapping, and `/` search with `n`/`N`
//! and highlighted matches.
//!
//! Lines are numbered from the first ever received, so positions (scroll, current match) stay
//! right while old lines fall out of the ring.

use std::collections::VecDeque;

use crossterm::event::{KeyEvent, MouseEvent, MouseEventKind};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::config::{Command, Mode};
use crate::theme::{Role, Theme};
use crate::ui::prompt::Prompt;
use crate::ui::text::{find_all, highlighted, skip_columns, wrap};

/// Lines kept by default.
pub const DEFAULT_CAPACITY: usize = 10_000;

/// The last `capacity` lines received.
#[derive(Debug, Clone)]
pub struct LogBuffer {
    lines: VecDeque<String>,
    /// Number of the oldest line kept.
    first: u64,
    capacity: usize,
}

impl LogBuffer {
    pub fn new(capacity: usize) -> LogBuffer {
        LogBuffer {
            lines: VecDeque::with_capacity(capacity.min(1024)),
            first: 0,
            capacity: capacity.max(1),
        }
    }

    pub fn push(&mut self, line: String) {
        if self.lines.len() == self.capacity {
            self.lines.pop_front();
            self.first += 1;
        }
        self.lines.push_back(line);
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Number of the oldest line kept.
    pub fn first(&self) -> u64 {
        self.first
    }

    /// One past the newest line's number.
    pub fn end(&self) -> u64 {
        self.first + self.lines.len() as u64
    }

    /// Lines dropped from the front so far.
    pub fn dropped(&self) -> u64 {
        self.first
    }

    pub fn get(&self, number: u64) -> Option<&str> {
        let index = number.checked_sub(self.first)?;
        self.lines.get(index as usize).map(String::as_str)
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }
}

/// How the stream behind the viewer stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamStatus {
    Connecting,
    Streaming,
    Ended(String),
    Failed(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogOutcome {
    Ignored,
    Changed,
}

impl LogOutcome {
    fn from(changed: bool) -> LogOutcome {
        if changed {
            LogOutcome::Changed
        } else {
            LogOutcome::Ignored
        }
    }
}

#[derive(Debug, Clone)]
pub struct LogView {
    title: String,
    buffer: LogBuffer,
    status: StreamStatus,
    follow: bool,
    wrap: bool,
    /// First line shown when not following.
    top: u64,
    /// Columns scrolled right when not wrapping.
    column: usize,
    search: Option<String>,
    /// The line of the match last jumped to.
    current: Option<u64>,
    prompt: Option<Prompt>,
    /// Set when a search found nothing.
    note: Option<String>,
}

/// Columns moved by Left/Right.
const SIDE_STEP: usize = 8;

impl LogView {
    pub fn new(title: impl Into<String>, capacity: usize) -> LogView {
        LogView {
            title: title.into(),
            buffer: LogBuffer::new(capacity),
            status: StreamStatus::Connecting,
            follow: true,
            wrap: false,
            top: 0,
            column: 0,
            search: None,
            current: None,
            prompt: None,
            note: None,
        }
    }

    pub fn buffer(&self) -> &LogBuffer {
        &self.buffer
    }

    pub fn is_following(&self) -> bool {
        self.follow
    }

    pub fn is_wrapping(&self) -> bool {
        self.wrap
    }

    pub fn search(&self) -> Option<&str> {
        self.search.as_deref()
    }

    pub fn current_match(&self) -> Option<u64> {
        self.current
    }

    pub fn set_status(&mut self, status: StreamStatus) {
        self.status = status;
    }

    /// The keymap mode: typing a search takes text.
    pub fn mode(&self) -> Mode {
        if self.prompt.is_some() {
            Mode::Palette
        } else {
            Mode::Logs
        }
    }

    /// Appends lines. The view moves only when following.
    pub fn push_lines<I: IntoIterator<Item = String>>(&mut self, lines: I) {
        for line in lines {
            self.buffer.push(line);
        }
        if self.status == StreamStatus::Connecting {
            self.status = StreamStatus::Streaming;
        }
        self.top = self.top.max(self.buffer.first());
    }

    /// The first line shown in a body `height` rows high (`width` columns, for wrapping).
    pub fn top_line(&self, height: usize, width: usize) -> u64 {
        let (first, end) = (self.buffer.first(), self.buffer.end());
        if self.follow {
            // Walk back from the end until the rows are full.
            let mut rows = 0;
            let mut top = end;
            while top > first {
                let needed = self.rows_of(top - 1, width);
                if rows + needed > height {
                    break;
                }
                rows += needed;
                top -= 1;
            }
            return top;
        }
        let last_page = end.saturating_sub(height as u64).max(first);
        self.top.clamp(first, last_page.max(first))
    }

    fn rows_of(&self, number: u64, width: usize) -> usize {
        if !self.wrap || width == 0 {
            return 1;
        }
        let w = self.buffer.get(number).map_or(0, crate::ui::text::width);
        w.div_ceil(width).max(1)
    }

    /// Applies a command; `area` is where the viewer is drawn (with its border).
    pub fn on_command(&mut self, command: Command, area: Rect) -> LogOutcome {
        let body = body_area(area, self.prompt.is_some());
        let (height, width) = (body.height as usize, body.width as usize);
        if let Some(prompt) = &self.prompt {
            match command {
                Command::Accept => {
                    let query = prompt.text().trim().to_string();
                    self.prompt = None;
                    if query.is_empty() {
                        self.search = None;
                        self.current = None;
                    } else {
                        self.search = Some(query);
                        self.current = None;
                        let from = self.top_line(height, width);
                        self.jump(from, true, height);
                    }
                    return LogOutcome::Changed;
                }
                Command::Back => {
                    self.prompt = None;
                    return LogOutcome::Changed;
                }
                _ => return LogOutcome::Ignored,
            }
        }
        let top = self.top_line(height, width);
        let page = height.max(1) as u64;
        let changed = match command {
            Command::Up => self.scroll_to(top.saturating_sub(1)),
            Command::Down => self.scroll_to(top + 1),
            Command::PageUp => self.scroll_to(top.saturating_sub(page)),
            Command::PageDown => self.scroll_to(top + page),
            Command::Top => self.scroll_to(self.buffer.first()),
            Command::Bottom => self.scroll_to(self.buffer.end()),
            Command::Left if !self.wrap => {
                let column = self.column.saturating_sub(SIDE_STEP);
                std::mem::replace(&mut self.column, column) != column
            }
            Command::Right if !self.wrap => {
                self.column += SIDE_STEP;
                true
            }
            Command::Follow => {
                self.follow = !self.follow;
                self.top = top;
                true
            }
            Command::Wrap => {
                self.wrap = !self.wrap;
                self.column = 0;
                true
            }
            Command::Search => {
                self.prompt = Some(Prompt::with_text("/", self.search.as_deref().unwrap_or("")));
                true
            }
            Command::SearchNext => self.jump(self.current.map_or(top, |c| c + 1), true, height),
            Command::SearchPrev => {
                let from = self.current.unwrap_or(top + page);
                self.jump(from.saturating_sub(1), false, height)
            }
            Command::Back if self.search.is_some() => {
                self.search = None;
                self.current = None;
                self.note = None;
                true
            }
            _ => false,
        };
        LogOutcome::from(changed)
    }

    /// Scrolls so `top` is the first line (stops following).
    fn scroll_to(&mut self, top: u64) -> bool {
        let before = (self.follow, self.top);
        self.follow = false;
        self.top = top.clamp(self.buffer.first(), self.buffer.end());
        before != (self.follow, self.top)
    }

    /// Jumps to the next match from line `from` (inclusive) forwards or backwards, wrapping
    /// round; shows it a third of the way down.
    fn jump(&mut self, from: u64, forward: bool, height: usize) -> bool {
        let Some(query) = self.search.clone() else {
            return false;
        };
        let (first, end) = (self.buffer.first(), self.buffer.end());
        if first == end {
            return false;
        }
        let count = end - first;
        let start = from.clamp(first, end - 1) - first;
        let found = (0..count)
            .map(|step| {
                if forward {
                    first + (start + step) % count
                } else {
                    first + (start + count - step % count) % count
                }
            })
            .find(|&n| {
                self.buffer
                    .get(n)
                    .is_some_and(|line| crate::ui::text::contains_ignore_case(line, &query))
            });
        match found {
            Some(number) => {
                self.note = None;
                self.current = Some(number);
                self.follow = false;
                self.top = number.saturating_sub(height as u64 / 3).max(first);
            }
            None => {
                self.note = Some(format!("no match for {query}"));
                self.current = None;
            }
        }
        true
    }

    /// The wheel scrolls three lines; other mouse events are not the viewer's.
    pub fn on_mouse(&mut self, mouse: MouseEvent, area: Rect) -> LogOutcome {
        let inside = area.contains(ratatui::layout::Position::new(mouse.column, mouse.row));
        let command = match mouse.kind {
            MouseEventKind::ScrollUp if inside => Command::Up,
            MouseEventKind::ScrollDown if inside => Command::Down,
            _ => return LogOutcome::Ignored,
        };
        let mut outcome = LogOutcome::Ignored;
        for _ in 0..3 {
            if self.on_command(command, area) == LogOutcome::Changed {
                outcome = LogOutcome::Changed;
            }
        }
        outcome
    }

    pub fn on_text(&mut self, key: KeyEvent) -> bool {
        self.prompt.as_mut().is_some_and(|p| p.input(key))
    }

    pub fn on_paste(&mut self, text: &str) -> bool {
        self.prompt.as_mut().is_some_and(|p| p.paste(text))
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, theme: &Theme, focused: bool) {
        if area.width < 3 || area.height < 3 {
            return;
        }
        frame.render_widget(self.block(theme, focused), area);
        let body = body_area(area, self.prompt.is_some());
        let (height, width) = (body.height as usize, body.width as usize);
        let top = self.top_line(height, width);
        let mut lines: Vec<Line> = Vec::with_capacity(height);
        let base = theme.style(Role::Text);
        let highlight = theme.style(Role::Accent).add_modifier(Modifier::REVERSED);
        let current = theme.style(Role::Selection);
        let mut number = top;
        while lines.len() < height && number < self.buffer.end() {
            let text = self.buffer.get(number).unwrap_or("");
            let shown = if self.wrap {
                text
            } else {
                skip_columns(text, self.column)
            };
            let ranges = self
                .search
                .as_deref()
                .map(|q| find_all(shown, q))
                .unwrap_or_default();
            let style = if self.current == Some(number) {
                current
            } else {
                highlight
            };
            let line = Line::from(highlighted(shown, &ranges, base, style));
            if self.wrap {
                lines.extend(wrap(&line, width));
            } else {
                lines.push(line);
            }
            number += 1;
        }
        lines.truncate(height);
        frame.render_widget(Paragraph::new(lines), body);
        if let Some(prompt) = &self.prompt {
            let prompt_area = Rect {
                y: body.y + body.height,
                height: 1,
                ..body
            };
            prompt.render(frame, prompt_area, theme, true);
        }
    }

    fn block(&self, theme: &Theme, focused: bool) -> Block<'_> {
        let muted = theme.style(Role::Muted);
        let mut title = vec![
            Span::styled(format!(" {} ", self.title), theme.style(Role::Title)),
            Span::styled(format!("{} lines ", self.buffer.len()), muted),
        ];
        if self.buffer.dropped() > 0 {
            title.push(Span::styled(
                format!("(oldest {} dropped) ", self.buffer.dropped()),
                muted,
            ));
        }
        let mut flags = Vec::new();
        if self.follow {
            flags.push(Span::styled("[follow] ", theme.style(Role::Accent)));
        }
        if self.wrap {
            flags.push(Span::styled("[wrap] ", theme.style(Role::Accent)));
        }
        if let Some(query) = &self.search {
            flags.push(Span::styled(
                format!("/{query} "),
                theme.style(Role::Accent),
            ));
        }
        let status = match (&self.note, &self.status) {
            (Some(note), _) => Span::styled(format!(" {note} "), theme.style(Role::Warning)),
            (None, StreamStatus::Connecting) => {
                Span::styled(" connecting… ", theme.style(Role::Progressing))
            }
            (None, StreamStatus::Streaming) => Span::raw(""),
            (None, StreamStatus::Ended(why)) => Span::styled(format!(" ended: {why} "), muted),
            (None, StreamStatus::Failed(why)) => {
                Span::styled(format!(" error: {why} "), theme.style(Role::Danger))
            }
        };
        flags.push(status);
        Block::bordered()
            .border_style(theme.border(focused))
            .title(Line::from(title))
            .title_bottom(Line::from(flags).right_aligned())
    }
}

fn body_area(area: Rect, prompt: bool) -> Rect {
    let inner = Rect {
        x: area.x.saturating_add(1),
        y: area.y.saturating_add(1),
        width: area.width.saturating_sub(2),
        height: area.height.saturating_sub(2),
    };
    Rect {
        height: inner
            .height
            .saturating_sub(u16::from(prompt && inner.height > 1)),
        ..inner
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::testing::{self, SIZES};
    use crossterm::event::{KeyCode, KeyModifiers};
    use insta::assert_snapshot;
    use proptest::prelude::*;

    const AREA: Rect = Rect::new(0, 0, 60, 12);

    fn sample(count: usize) -> Vec<String> {
        (0..count)
            .map(|i| {
                let level = if i % 7 == 3 { "ERROR" } else { "INFO" };
                format!(
                    "2026-08-22T10:{:02}:{:02}Z {level} hub: request {i} handled for user-{}",
                    i / 60 % 60,
                    i % 60,
                    i % 5
                )
            })
            .collect()
    }

    fn typed(view: &mut LogView, text: &str) {
        for c in text.chars() {
            view.on_text(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
    }

    #[test]
    fn the_ring_keeps_the_newest_lines() {
        let mut buffer = LogBuffer::new(3);
        for i in 0..5 {
            buffer.push(format!("line {i}"));
        }
        assert_eq!(buffer.len(), 3);
        assert_eq!((buffer.first(), buffer.end(), buffer.dropped()), (2, 5, 2));
        assert_eq!(buffer.get(1), None);
        assert_eq!(buffer.get(4), Some("line 4"));
    }

    #[test]
    fn follow_shows_the_tail_until_scrolled() {
        let mut view = LogView::new("hub", 100);
        view.push_lines(sample(50));
        // Body: 10 rows.
        assert_eq!(view.top_line(10, 58), 40);
        assert_eq!(view.on_command(Command::PageUp, AREA), LogOutcome::Changed);
        assert!(!view.is_following());
        assert_eq!(view.top_line(10, 58), 30);
        view.push_lines(sample(5));
        assert_eq!(
            view.top_line(10, 58),
            30,
            "new lines do not move a scrolled view"
        );
        view.on_command(Command::Follow, AREA);
        assert_eq!(view.top_line(10, 58), 45);
        view.on_command(Command::Top, AREA);
        assert_eq!(view.top_line(10, 58), 0);
        view.on_command(Command::Bottom, AREA);
        assert_eq!(view.top_line(10, 58), 45);
    }

    #[test]
    fn search_jumps_between_matches_and_wraps_round() {
        let mut view = LogView::new("hub", 100);
        view.push_lines(sample(30));
        view.on_command(Command::Top, AREA);
        view.on_command(Command::Search, AREA);
        assert_eq!(view.mode(), Mode::Palette);
        typed(&mut view, "error");
        view.on_command(Command::Accept, AREA);
        assert_eq!(view.current_match(), Some(3));
        view.on_command(Command::SearchNext, AREA);
        assert_eq!(view.current_match(), Some(10));
        view.on_command(Command::SearchPrev, AREA);
        assert_eq!(view.current_match(), Some(3));
        view.on_command(Command::SearchPrev, AREA);
        assert_eq!(view.current_match(), Some(24), "wraps to the last match");
        view.on_command(Command::SearchNext, AREA);
        assert_eq!(view.current_match(), Some(3));
        // A search with no match says so.
        view.on_command(Command::Search, AREA);
        typed(&mut view, "zzz");
        view.on_command(Command::Accept, AREA);
        assert_eq!(view.current_match(), None);
        let text = testing::render(60, 12, |frame, area| {
            view.render(frame, area, &testing::theme(), true)
        });
        assert!(text.contains("no match for errorzzz"), "{text}");
        assert_eq!(view.on_command(Command::Back, AREA), LogOutcome::Changed);
        assert_eq!(view.search(), None);
    }

    #[test]
    fn the_wheel_scrolls() {
        let mut view = LogView::new("hub", 100);
        view.push_lines(sample(50));
        let wheel = |kind| MouseEvent {
            kind,
            column: 5,
            row: 5,
            modifiers: KeyModifiers::NONE,
        };
        assert_eq!(
            view.on_mouse(wheel(MouseEventKind::ScrollUp), AREA),
            LogOutcome::Changed
        );
        assert!(!view.is_following());
        assert_eq!(view.top_line(10, 58), 37);
        view.on_mouse(wheel(MouseEventKind::ScrollDown), AREA);
        assert_eq!(view.top_line(10, 58), 40);
        let outside = MouseEvent {
            row: 40,
            ..wheel(MouseEventKind::ScrollUp)
        };
        assert_eq!(view.on_mouse(outside, AREA), LogOutcome::Ignored);
    }

    #[test]
    fn wrap_and_side_scroll() {
        let mut view = LogView::new("hub", 100);
        view.push_lines(["x".repeat(130)]);
        view.on_command(Command::Right, AREA);
        let text = testing::render(60, 5, |frame, area| {
            view.render(frame, area, &testing::theme(), true)
        });
        assert!(text.lines().nth(1).is_some_and(|l| l.starts_with("│xxxx")));
        view.on_command(Command::Wrap, AREA);
        assert!(view.is_wrapping());
        // 130 columns in 58: three rows, all shown when following.
        assert_eq!(view.top_line(3, 58), 0);
        assert_eq!(view.on_command(Command::Left, AREA), LogOutcome::Ignored);
    }

    #[test]
    fn snapshots() {
        for (width, height) in SIZES {
            let mut view =
                LogView::new("argocd/jupyterhub-prd · hub-7d9f8 · hub", DEFAULT_CAPACITY);
            view.push_lines(sample(200));
            let text = testing::render(width, height, |frame, area| {
                view.render(frame, area, &testing::theme(), true)
            });
            assert_snapshot!(format!("logs_follow_{width}x{height}"), text);
            let area = Rect::new(0, 0, width, height);
            view.on_command(Command::Top, area);
            view.on_command(Command::Wrap, area);
            view.on_command(Command::Search, area);
            typed(&mut view, "error");
            view.on_command(Command::Accept, area);
            view.on_command(Command::SearchNext, area);
            let text = testing::render(width, height, |frame, area| {
                view.render(frame, area, &testing::theme(), true)
            });
            assert_snapshot!(format!("logs_search_wrap_{width}x{height}"), text);
        }
    }

    proptest! {
        #[test]
        fn the_view_stays_inside_the_buffer(
            commands in proptest::collection::vec(0usize..9, 0..40),
            lines in 0usize..80,
            capacity in 1usize..50,
        ) {
            let all = [Command::Up, Command::Down, Command::PageUp, Command::PageDown, Command::Top,
                       Command::Bottom, Command::Follow, Command::Wrap, Command::SearchNext];
            let mut view = LogView::new("t", capacity);
            view.push_lines(sample(lines));
            for c in commands {
                view.on_command(all[c], AREA);
                view.push_lines(sample(3));
                let top = view.top_line(10, 58);
                prop_assert!(top >= view.buffer().first() && top <= view.buffer().end());
                prop_assert!(view.buffer().len() <= capacity);
            }
        }
    }
}

//! The help overlay: the keys of the current mode, generated from the live keymap (defaults
//! plus the user's overrides), so it always says what the keys really do.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use crate::config::{Command, HelpEntry, Keymap, Mode};
use crate::theme::{Role, Theme};
use crate::ui::layout::centered;
use crate::ui::text::{truncate, width};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HelpOutcome {
    Ignored,
    Changed,
    Close,
}

#[derive(Debug, Clone)]
pub struct HelpState {
    mode: Mode,
    entries: Vec<HelpEntry>,
    scroll: usize,
}

/// Width of the keys column.
const KEYS_WIDTH: usize = 18;

impl HelpState {
    /// The keys that work in `mode` (its own, then the global ones it does not shadow).
    pub fn new(keymap: &Keymap, mode: Mode) -> HelpState {
        HelpState {
            mode,
            entries: keymap.help(mode),
            scroll: 0,
        }
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    pub fn entries(&self) -> &[HelpEntry] {
        &self.entries
    }

    /// Scrolls with the movement commands; Back or Help closes. `area` is where it is drawn.
    pub fn on_command(&mut self, command: Command, area: Rect) -> HelpOutcome {
        let page = self.popup(area).height.saturating_sub(2).max(1) as usize;
        let max = self.lines_count().saturating_sub(page);
        let scroll = match command {
            Command::Back | Command::Help => return HelpOutcome::Close,
            Command::Up => self.scroll.saturating_sub(1),
            Command::Down => self.scroll + 1,
            Command::PageUp => self.scroll.saturating_sub(page),
            Command::PageDown => self.scroll + page,
            Command::Top => 0,
            Command::Bottom => max,
            _ => return HelpOutcome::Ignored,
        }
        .min(max);
        if scroll == self.scroll {
            return HelpOutcome::Ignored;
        }
        self.scroll = scroll;
        HelpOutcome::Changed
    }

    fn lines_count(&self) -> usize {
        let sections = 1 + usize::from(self.entries.iter().any(|e| e.mode != self.mode));
        self.entries.len() + sections * 2
    }

    fn popup(&self, area: Rect) -> Rect {
        centered(area, 78, self.lines_count() as u16 + 2)
    }

    fn lines(&self, theme: &Theme, text_width: usize) -> Vec<Line<'static>> {
        let mut lines = Vec::new();
        let mut section = None;
        for entry in &self.entries {
            if section != Some(entry.mode) {
                if section.is_some() {
                    lines.push(Line::default());
                }
                section = Some(entry.mode);
                let heading = format!("{}: {}", entry.mode, entry.mode.description());
                lines.push(Line::from(Span::styled(
                    truncate(&heading, text_width).into_owned(),
                    theme.style(Role::Header),
                )));
            }
            let keys = truncate(&entry.keys, KEYS_WIDTH - 1);
            let pad = KEYS_WIDTH.saturating_sub(width(&keys));
            let room = text_width.saturating_sub(KEYS_WIDTH + 1);
            lines.push(Line::from(vec![
                Span::raw(" "),
                Span::styled(
                    format!("{keys}{}", " ".repeat(pad)),
                    theme.style(Role::Accent),
                ),
                Span::styled(
                    truncate(entry.description, room).into_owned(),
                    theme.style(Role::Text),
                ),
            ]));
        }
        lines
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let popup = self.popup(area);
        frame.render_widget(Clear, popup);
        let page = popup.height.saturating_sub(2) as usize;
        let total = self.lines_count();
        let mut title = vec![Span::styled(
            format!(" Keys: {} ", self.mode),
            theme.style(Role::Title),
        )];
        if total > page {
            title.push(Span::styled(
                format!(
                    "{}-{} of {total} ",
                    self.scroll + 1,
                    (self.scroll + page).min(total)
                ),
                theme.style(Role::Muted),
            ));
        }
        let block = Block::bordered()
            .border_style(theme.style(Role::BorderFocused))
            .title(Line::from(title))
            .title_bottom(Line::from(Span::styled(
                format!(" {} close ", key_hint(&self.entries, Command::Back)),
                theme.style(Role::Muted),
            )));
        let inner = block.inner(popup);
        frame.render_widget(block, popup);
        let lines: Vec<Line> = self
            .lines(theme, inner.width as usize)
            .into_iter()
            .skip(self.scroll)
            .collect();
        frame.render_widget(Paragraph::new(lines), inner);
    }
}

/// The first key bound to `command` among `entries` (for hints like "Esc close"), or
/// `:name` when no key runs it (the palette still does).
pub fn key_hint(entries: &[HelpEntry], command: Command) -> String {
    entries
        .iter()
        .find(|entry| entry.command == command)
        .and_then(|entry| entry.keys.split(", ").next())
        .map(|key| {
            key.trim_start_matches('<')
                .trim_end_matches('>')
                .to_string()
        })
        .unwrap_or_else(|| format!(":{command}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::KeymapOverrides;
    use crate::ui::testing::{self, SIZES};
    use insta::assert_snapshot;

    #[test]
    fn snapshots() {
        let keymap = Keymap::default();
        for (width, height) in SIZES {
            let help = HelpState::new(&keymap, Mode::List);
            let text = testing::render(width, height, |frame, area| {
                help.render(frame, area, &testing::theme())
            });
            assert_snapshot!(format!("help_list_{width}x{height}"), text);
        }
    }

    #[test]
    fn shows_the_user_keymap() {
        let overrides: KeymapOverrides =
            serde_yaml::from_str("list:\n  sync: <Ctrl-s>\n").expect("overrides");
        let keymap = Keymap::default().overridden_by(&overrides);
        let help = HelpState::new(&keymap, Mode::List);
        let text = testing::render(100, 60, |frame, area| {
            help.render(frame, area, &testing::theme())
        });
        let sync_line = text
            .lines()
            .find(|l| l.contains("Sync the selected Application"))
            .expect("sync listed");
        assert!(sync_line.contains("<Ctrl-s>"), "{sync_line}");
    }

    #[test]
    fn key_hints_follow_the_keymap() {
        let keymap = Keymap::default();
        assert_eq!(key_hint(&keymap.help(Mode::Confirm), Command::Back), "Esc");
        assert_eq!(
            key_hint(&keymap.help(Mode::Confirm), Command::Accept),
            "Enter"
        );
        let overrides: KeymapOverrides =
            serde_yaml::from_str("global:\n  back: []\n").expect("overrides");
        let keymap = keymap.overridden_by(&overrides);
        assert_eq!(
            key_hint(&keymap.help(Mode::Confirm), Command::Back),
            ":back"
        );
    }

    #[test]
    fn scrolls_and_closes() {
        let mut help = HelpState::new(&Keymap::default(), Mode::List);
        let small = Rect::new(0, 0, 80, 24);
        assert_eq!(help.on_command(Command::Up, small), HelpOutcome::Ignored);
        assert_eq!(help.on_command(Command::Down, small), HelpOutcome::Changed);
        assert_eq!(
            help.on_command(Command::Bottom, small),
            HelpOutcome::Changed
        );
        assert_eq!(
            help.on_command(Command::PageDown, small),
            HelpOutcome::Ignored
        );
        let text = testing::render(80, 24, |frame, area| {
            help.render(frame, area, &testing::theme())
        });
        assert!(
            text.contains("Quit the console"),
            "the last global entry shows: {text}"
        );
        assert_eq!(help.on_command(Command::Down, small), HelpOutcome::Ignored);
        assert_eq!(help.on_command(Command::Sync, small), HelpOutcome::Ignored);
        assert_eq!(help.on_command(Command::Back, small), HelpOutcome::Close);
    }
}

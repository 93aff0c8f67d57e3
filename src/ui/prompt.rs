//! A one-line text input (ratatui-textarea underneath) for the palette, filters, searches and
//! the typed confirmation. Enter and Tab never reach it: the keymap turns them into commands.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui_textarea::TextArea;

use crate::theme::{Role, Theme};

#[derive(Debug, Clone)]
pub struct Prompt {
    input: TextArea<'static>,
    /// Shown before the text: `/`, `:`, `type prd:`.
    label: String,
}

impl Prompt {
    pub fn new(label: impl Into<String>) -> Prompt {
        let mut input = TextArea::default();
        input.set_cursor_line_style(Style::new());
        Prompt {
            input,
            label: label.into(),
        }
    }

    /// A prompt that starts with `text` (the cursor at its end).
    pub fn with_text(label: impl Into<String>, text: &str) -> Prompt {
        let mut prompt = Prompt::new(label);
        prompt.input.insert_str(single_line(text));
        prompt
    }

    pub fn text(&self) -> &str {
        self.input.lines().first().map_or("", String::as_str)
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    pub fn set_label(&mut self, label: impl Into<String>) {
        self.label = label.into();
    }

    /// Edits the text with a key; true when the text changed. Keys that would add a line are
    /// ignored.
    pub fn input(&mut self, key: KeyEvent) -> bool {
        if breaks_line(&key) {
            return false;
        }
        let before_cursor = self.input.cursor();
        let changed = self.input.input(key);
        changed || self.input.cursor() != before_cursor
    }

    /// Inserts pasted text, newlines turned into spaces.
    pub fn paste(&mut self, text: &str) -> bool {
        self.input.insert_str(single_line(text))
    }

    pub fn clear(&mut self) {
        self.input = TextArea::default();
        self.input.set_cursor_line_style(Style::new());
    }

    /// Draws `label text` on one line; the cursor is shown when `focused`.
    pub fn render(&self, frame: &mut Frame, area: Rect, theme: &Theme, focused: bool) {
        if area.width == 0 || area.height == 0 {
            return;
        }
        let label_width = crate::ui::text::width(&self.label) as u16;
        let label = Paragraph::new(Line::from(Span::styled(
            self.label.as_str(),
            theme.style(Role::Accent),
        )));
        frame.render_widget(
            label,
            Rect {
                width: label_width.min(area.width),
                ..area
            },
        );
        let text_area = Rect {
            x: area.x + label_width.min(area.width),
            width: area.width.saturating_sub(label_width),
            height: 1,
            ..area
        };
        if text_area.width == 0 {
            return;
        }
        let mut input = self.input.clone();
        input.set_style(theme.style(Role::Text));
        let cursor = if focused {
            theme.style(Role::Text).add_modifier(Modifier::REVERSED)
        } else {
            theme.style(Role::Text)
        };
        input.set_cursor_style(cursor);
        frame.render_widget(&input, text_area);
    }
}

fn breaks_line(key: &KeyEvent) -> bool {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    matches!(key.code, KeyCode::Enter | KeyCode::Tab | KeyCode::BackTab)
        || (ctrl && matches!(key.code, KeyCode::Char('m' | 'j')))
}

fn single_line(text: &str) -> String {
    text.replace(['\r', '\n', '\t'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn typed(prompt: &mut Prompt, text: &str) {
        for c in text.chars() {
            prompt.input(key(KeyCode::Char(c)));
        }
    }

    #[test]
    fn typing_editing_and_newlines() {
        let mut prompt = Prompt::new("/");
        typed(&mut prompt, "webx");
        assert!(prompt.input(key(KeyCode::Backspace)));
        assert_eq!(prompt.text(), "web");
        assert!(!prompt.input(key(KeyCode::Enter)));
        assert!(!prompt.input(KeyEvent::new(KeyCode::Char('m'), KeyModifiers::CONTROL)));
        assert_eq!(prompt.text(), "web");
        assert!(prompt.paste("-a\nb"));
        assert_eq!(prompt.text(), "web-a b");
        prompt.clear();
        assert_eq!(prompt.text(), "");
        let seeded = Prompt::with_text(":", "sy\nnc");
        assert_eq!(seeded.text(), "sy nc");
    }
}

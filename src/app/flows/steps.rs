//! Steps of a wizard: where it stands, moving on and back, and the header that shows it.
//!
//! A wizard is a [`crate::app::component::Flow`] holding `Steps` next to its own step data;
//! its `on_command` acts per `steps.current()`, its jobs are effects whose results arrive in
//! `on_msg`, and it renders the header with [`Steps::render`] above the step's own view.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::theme::{Role, Theme};
use crate::ui::text::fit_spans;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Steps {
    names: Vec<&'static str>,
    current: usize,
}

impl Steps {
    pub fn new(names: &[&'static str]) -> Steps {
        Steps {
            names: names.to_vec(),
            current: 0,
        }
    }

    pub fn current(&self) -> usize {
        self.current
    }

    pub fn name(&self) -> &'static str {
        self.names.get(self.current).copied().unwrap_or("")
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    pub fn is_last(&self) -> bool {
        self.current + 1 >= self.names.len()
    }

    /// Moves on to the next step; false at the last.
    pub fn advance(&mut self) -> bool {
        if self.is_last() {
            return false;
        }
        self.current += 1;
        true
    }

    /// Moves back a step; false at the first.
    pub fn back(&mut self) -> bool {
        if self.current == 0 {
            return false;
        }
        self.current -= 1;
        true
    }

    /// `1 Inputs › 2 Preflight › 3 Plan`, done steps muted, the current one highlighted; on
    /// one line, cut to the width.
    pub fn render(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let mut spans = Vec::new();
        for (index, name) in self.names.iter().enumerate() {
            if index > 0 {
                spans.push(Span::styled(" › ", theme.style(Role::Muted)));
            }
            let role = match index.cmp(&self.current) {
                std::cmp::Ordering::Less => Role::Muted,
                std::cmp::Ordering::Equal => Role::Accent,
                std::cmp::Ordering::Greater => Role::Text,
            };
            spans.push(Span::styled(
                format!("{} {name}", index + 1),
                theme.style(role),
            ));
        }
        let line: Line = fit_spans(spans, area.width as usize);
        frame.render_widget(Paragraph::new(line), area);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::testing;

    #[test]
    fn steps_move_within_bounds_and_render() {
        let mut steps = Steps::new(&["Inputs", "Preflight", "Plan"]);
        assert!(!steps.back());
        assert!(steps.advance());
        assert_eq!(steps.name(), "Preflight");
        assert!(steps.advance());
        assert!(steps.is_last());
        assert!(!steps.advance());
        let text = testing::render(40, 1, |frame, area| {
            steps.render(frame, area, &testing::theme())
        });
        assert_eq!(text, "1 Inputs › 2 Preflight › 3 Plan         |\n");
        let text = testing::render(20, 1, |frame, area| {
            steps.render(frame, area, &testing::theme())
        });
        assert_eq!(text, "1 Inputs › 2 Prefli…|\n");
    }
}

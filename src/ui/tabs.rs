//! A one-line tab bar: `Resources 4 │ Pods 2 │ History 3`, the selected tab highlighted; cut to
//! the width, the selected tab kept in view.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::theme::{Role, Theme};
use crate::ui::text::{fit_spans, width};

/// One tab: its title and, when known, how many rows it has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tab {
    pub title: &'static str,
    pub count: Option<usize>,
    /// Something in it needs attention (coloured as a warning).
    pub alert: bool,
}

fn text(tab: &Tab) -> String {
    match tab.count {
        Some(count) => format!(" {} {count} ", tab.title),
        None => format!(" {} ", tab.title),
    }
}

/// Draws the bar; tabs before the selected one are dropped if it would not fit otherwise.
pub fn render(frame: &mut Frame, area: Rect, tabs: &[Tab], selected: usize, theme: &Theme) {
    if area.height == 0 || tabs.is_empty() {
        return;
    }
    let widths: Vec<usize> = tabs.iter().map(|t| width(&text(t)) + 1).collect();
    let mut first = 0;
    while first < selected && widths[first..=selected].iter().sum::<usize>() > area.width as usize {
        first += 1;
    }
    let mut spans = Vec::new();
    for (index, tab) in tabs.iter().enumerate().skip(first) {
        let role = if index == selected {
            Role::Selection
        } else if tab.alert {
            Role::Warning
        } else {
            Role::Muted
        };
        spans.push(Span::styled(text(tab), theme.style(role)));
        spans.push(Span::styled("│", theme.style(Role::Border)));
    }
    let line: Line = fit_spans(spans, area.width as usize);
    frame.render_widget(Paragraph::new(line), area);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::testing;

    #[test]
    fn the_selected_tab_stays_in_view() {
        let tabs: Vec<Tab> = ["Resources", "Pods", "Operation", "History", "Events"]
            .iter()
            .map(|t| Tab {
                title: t,
                count: Some(3),
                alert: false,
            })
            .collect();
        let text = testing::render(30, 1, |frame, area| {
            render(frame, area, &tabs, 4, &testing::theme())
        });
        assert!(text.contains("Events 3"), "{text}");
        let text = testing::render(80, 1, |frame, area| {
            render(frame, area, &tabs, 0, &testing::theme())
        });
        assert!(text.starts_with(" Resources 3 │ Pods 3 │"), "{text}");
    }
}

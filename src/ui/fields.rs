//! Labelled lines: `Source       https://… apps/jupyterhub/envs/prd @ main`, labels aligned,
//! values cut to the width (never wrapped: the lines under them stay where they are).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::theme::{Role, Theme};
use crate::ui::text::fit_spans;

/// A piece of text and the role it is drawn in.
pub type Piece = (String, Role);

/// One labelled line.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub label: &'static str,
    pub value: Vec<Piece>,
}

impl Field {
    pub fn new(label: &'static str, value: Vec<Piece>) -> Field {
        Field { label, value }
    }
}

/// A piece of text in a role.
pub fn piece(text: impl Into<String>, role: Role) -> Piece {
    (text.into(), role)
}

/// Draws a bordered block titled `title` with the fields inside; fields beyond the height are
/// dropped (the first ones matter most).
pub fn render(
    frame: &mut Frame,
    area: Rect,
    title: &[Piece],
    fields: &[Field],
    theme: &Theme,
    focused: bool,
) {
    if area.width < 4 || area.height < 2 {
        return;
    }
    let block = Block::bordered()
        .border_style(theme.border(focused))
        .title(Line::from(
            title
                .iter()
                .map(|(text, role)| Span::styled(text.clone(), theme.style(*role)))
                .collect::<Vec<_>>(),
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let label_width = fields
        .iter()
        .map(|f| f.label.len())
        .max()
        .unwrap_or(0)
        .min(14);
    let lines: Vec<Line> = fields
        .iter()
        .take(inner.height as usize)
        .map(|field| {
            let mut spans = vec![Span::styled(
                format!("{:<width$} ", field.label, width = label_width),
                theme.style(Role::Muted),
            )];
            spans.extend(
                field
                    .value
                    .iter()
                    .map(|(text, role)| Span::styled(text.clone(), theme.style(*role))),
            );
            fit_spans(spans, inner.width as usize)
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

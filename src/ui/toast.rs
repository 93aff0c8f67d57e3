//! Toasts: short notices of action results and errors, stacked above the status line, each
//! gone after its time (errors stay longer). Bounded: the oldest goes when a new one would
//! exceed the limit.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use crate::theme::{Role, Theme};
use crate::ui::text::wrap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Success,
    Warning,
    Error,
}

impl Level {
    fn role(self) -> Role {
        match self {
            Level::Info => Role::Text,
            Level::Success => Role::Healthy,
            Level::Warning => Role::Warning,
            Level::Error => Role::Danger,
        }
    }

    fn glyph(self) -> &'static str {
        match self {
            Level::Info => "ℹ",
            Level::Success => "✓",
            Level::Warning => "⚠",
            Level::Error => "✗",
        }
    }

    /// How long a toast of this level stays.
    pub fn lifetime(self) -> Duration {
        match self {
            Level::Info | Level::Success => Duration::from_secs(5),
            Level::Warning => Duration::from_secs(8),
            Level::Error => Duration::from_secs(15),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toast {
    pub level: Level,
    pub text: String,
    pub expires: Instant,
}

#[derive(Debug, Clone, Default)]
pub struct Toasts {
    items: VecDeque<Toast>,
}

/// Toasts shown at once.
pub const MAX_TOASTS: usize = 4;
/// Widest toast.
const MAX_WIDTH: u16 = 64;

impl Toasts {
    pub fn push(&mut self, level: Level, text: impl Into<String>, now: Instant) {
        if self.items.len() == MAX_TOASTS {
            self.items.pop_front();
        }
        self.items.push_back(Toast {
            level,
            text: text.into(),
            expires: now + level.lifetime(),
        });
    }

    /// Drops expired toasts; true when any went (the screen must be redrawn).
    pub fn expire(&mut self, now: Instant) -> bool {
        let before = self.items.len();
        self.items.retain(|toast| toast.expires > now);
        self.items.len() != before
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Toast> {
        self.items.iter()
    }

    /// Draws the toasts in the bottom-right corner of `area`, newest at the bottom.
    pub fn render(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let box_width = MAX_WIDTH.min(area.width);
        if box_width < 6 {
            return;
        }
        let text_width = (box_width - 2) as usize;
        let mut bottom = area.y + area.height;
        for toast in self.items.iter().rev() {
            let line = Line::from(vec![
                Span::styled(
                    format!("{} ", toast.level.glyph()),
                    theme.style(toast.level.role()),
                ),
                Span::styled(toast.text.clone(), theme.style(Role::Text)),
            ]);
            let lines: Vec<Line> = wrap(&line, text_width).into_iter().take(3).collect();
            let used = lines.iter().map(Line::width).max().unwrap_or(0);
            let w = (used as u16 + 2).min(box_width);
            let h = lines.len() as u16 + 2;
            if bottom < area.y + h {
                break;
            }
            let rect = Rect {
                x: area.x + area.width - w,
                y: bottom - h,
                width: w,
                height: h,
            };
            frame.render_widget(Clear, rect);
            let block = Block::bordered().border_style(theme.style(toast.level.role()));
            frame.render_widget(Paragraph::new(lines).block(block), rect);
            bottom -= h;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::testing::{self, SIZES};
    use insta::assert_snapshot;

    #[test]
    fn toasts_expire_and_are_bounded() {
        let now = Instant::now();
        let mut toasts = Toasts::default();
        toasts.push(Level::Success, "sync started: argocd/jupyterhub-dev", now);
        toasts.push(Level::Error, "conflict: argocd/jupyterhub-prd changed", now);
        assert!(!toasts.expire(now + Duration::from_secs(1)));
        assert!(toasts.expire(now + Duration::from_secs(6)));
        assert_eq!(toasts.iter().count(), 1);
        assert!(toasts.expire(now + Duration::from_secs(16)));
        assert!(toasts.is_empty());
        for i in 0..6 {
            toasts.push(Level::Info, format!("n{i}"), now);
        }
        let texts: Vec<&str> = toasts.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(texts, vec!["n2", "n3", "n4", "n5"]);
    }

    #[test]
    fn snapshots() {
        let now = Instant::now();
        let mut toasts = Toasts::default();
        toasts.push(Level::Success, "sync started: argocd/jupyterhub-dev", now);
        toasts.push(
            Level::Error,
            "conflict: the Application changed since it was shown; nothing was written (refresh and try again)",
            now,
        );
        for (width, height) in SIZES {
            let text = testing::render(width, height, |frame, area| {
                toasts.render(frame, area, &testing::theme())
            });
            assert_snapshot!(format!("toasts_{width}x{height}"), text);
        }
    }
}

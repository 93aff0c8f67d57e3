//! The command palette (`:`): a prompt over candidates (actions, apps, clusters,
//! environments, screens) matched fuzzily as you type, best first, matched letters
//! highlighted. Generic over what a candidate stands for, so the app decides what choosing
//! one does.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use crate::config::Command;
use crate::theme::{Role, Theme};
use crate::ui::fuzzy::Fuzzy;
use crate::ui::prompt::Prompt;
use crate::ui::text::{char_ranges, fit_spans, highlighted};

/// What a candidate is; shown as a tag and used to order equal matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CandidateKind {
    Action,
    App,
    Cluster,
    Environment,
    Screen,
}

impl CandidateKind {
    pub fn tag(self) -> &'static str {
        match self {
            CandidateKind::Action => "action",
            CandidateKind::App => "app",
            CandidateKind::Cluster => "cluster",
            CandidateKind::Environment => "env",
            CandidateKind::Screen => "screen",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate<T> {
    pub kind: CandidateKind,
    /// What is matched and shown: `sync`, `argocd/jupyterhub-prd`.
    pub label: String,
    /// Shown dimmed after the label.
    pub detail: String,
    pub value: T,
}

#[derive(Debug, Clone)]
struct Matched {
    candidate: usize,
    chars: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaletteOutcome<T> {
    Ignored,
    Changed,
    Chosen(T),
    Close,
}

#[derive(Debug, Clone)]
pub struct PaletteState<T> {
    prompt: Prompt,
    candidates: Vec<Candidate<T>>,
    matches: Vec<Matched>,
    selected: usize,
}

/// Lines of candidates shown at most.
const MAX_SHOWN: u16 = 14;

impl<T: Clone> PaletteState<T> {
    pub fn new(candidates: Vec<Candidate<T>>) -> PaletteState<T> {
        let mut palette = PaletteState {
            prompt: Prompt::new(": "),
            candidates,
            matches: Vec::new(),
            selected: 0,
        };
        palette.refilter();
        palette
    }

    pub fn query(&self) -> &str {
        self.prompt.text()
    }

    /// The candidates matching the query, best first.
    pub fn matches(&self) -> impl Iterator<Item = &Candidate<T>> {
        self.matches.iter().map(|m| &self.candidates[m.candidate])
    }

    pub fn selected(&self) -> Option<&Candidate<T>> {
        self.matches
            .get(self.selected)
            .map(|m| &self.candidates[m.candidate])
    }

    fn refilter(&mut self) {
        let mut fuzzy = Fuzzy::new(self.prompt.text());
        let mut scored: Vec<(u32, Matched)> = self
            .candidates
            .iter()
            .enumerate()
            .filter_map(|(index, candidate)| {
                fuzzy.find(&candidate.label).map(|found| {
                    (
                        found.score,
                        Matched {
                            candidate: index,
                            chars: found.chars,
                        },
                    )
                })
            })
            .collect();
        let candidates = &self.candidates;
        scored.sort_by(|(sa, a), (sb, b)| {
            let (ca, cb) = (&candidates[a.candidate], &candidates[b.candidate]);
            sb.cmp(sa)
                .then(ca.kind.cmp(&cb.kind))
                .then(ca.label.len().cmp(&cb.label.len()))
                .then(ca.label.cmp(&cb.label))
        });
        self.matches = scored.into_iter().map(|(_, m)| m).collect();
        self.selected = 0;
    }

    pub fn on_text(&mut self, key: KeyEvent) -> bool {
        let changed = self.prompt.input(key);
        if changed {
            self.refilter();
        }
        changed
    }

    pub fn on_paste(&mut self, text: &str) -> bool {
        let changed = self.prompt.paste(text);
        if changed {
            self.refilter();
        }
        changed
    }

    pub fn on_command(&mut self, command: Command) -> PaletteOutcome<T> {
        let last = self.matches.len().saturating_sub(1);
        let page = MAX_SHOWN as usize;
        let selected = match command {
            Command::Back => return PaletteOutcome::Close,
            Command::Accept => {
                return match self.selected() {
                    Some(candidate) => PaletteOutcome::Chosen(candidate.value.clone()),
                    None => PaletteOutcome::Ignored,
                };
            }
            Command::Up => self.selected.saturating_sub(1),
            Command::Down | Command::NextPane => (self.selected + 1).min(last),
            Command::PrevPane => self.selected.saturating_sub(1),
            Command::PageUp => self.selected.saturating_sub(page),
            Command::PageDown => (self.selected + page).min(last),
            Command::Top => 0,
            Command::Bottom => last,
            _ => return PaletteOutcome::Ignored,
        };
        if selected == self.selected {
            return PaletteOutcome::Ignored;
        }
        self.selected = selected;
        PaletteOutcome::Changed
    }

    /// Draws the palette in the upper part of `area`.
    pub fn render(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let shown = (self.matches.len() as u16).clamp(1, MAX_SHOWN);
        let width = area.width.saturating_sub(4).min(90);
        let height = (shown + 4).min(area.height);
        let popup = Rect {
            x: area.x + (area.width - width) / 2,
            y: area.y + (area.height.saturating_sub(height)) / 4,
            width,
            height,
        };
        frame.render_widget(Clear, popup);
        let block = Block::bordered()
            .border_style(theme.style(Role::BorderFocused))
            .title(Span::styled(" Command palette ", theme.style(Role::Title)))
            .title(
                Line::from(Span::styled(
                    format!(" {}/{} ", self.matches.len(), self.candidates.len()),
                    theme.style(Role::Muted),
                ))
                .right_aligned(),
            );
        let inner = block.inner(popup);
        frame.render_widget(block, popup);
        if inner.height == 0 {
            return;
        }
        self.prompt
            .render(frame, Rect { height: 1, ..inner }, theme, true);
        if inner.height < 3 {
            return;
        }
        let separator = "─".repeat(inner.width as usize);
        frame.render_widget(
            Paragraph::new(Span::styled(separator, theme.style(Role::Border))),
            Rect {
                y: inner.y + 1,
                height: 1,
                ..inner
            },
        );
        let list = Rect {
            y: inner.y + 2,
            height: inner.height - 2,
            ..inner
        };
        if self.matches.is_empty() {
            frame.render_widget(
                Paragraph::new(Span::styled("no match", theme.style(Role::Muted))),
                list,
            );
            return;
        }
        let height = list.height as usize;
        let offset = self.selected.saturating_sub(height.saturating_sub(1));
        let lines: Vec<Line> = self
            .matches
            .iter()
            .enumerate()
            .skip(offset)
            .take(height)
            .map(|(position, matched)| {
                self.line(
                    matched,
                    position == self.selected,
                    list.width as usize,
                    theme,
                )
            })
            .collect();
        frame.render_widget(Paragraph::new(lines), list);
    }

    fn line<'a>(
        &'a self,
        matched: &Matched,
        selected: bool,
        width: usize,
        theme: &Theme,
    ) -> Line<'a> {
        let candidate = &self.candidates[matched.candidate];
        let base = if selected {
            theme.style(Role::Selection)
        } else {
            theme.style(Role::Text)
        };
        let highlight = theme
            .style(Role::Accent)
            .add_modifier(ratatui::style::Modifier::BOLD | ratatui::style::Modifier::UNDERLINED);
        let mut spans = vec![Span::styled(
            format!("{:<8}", candidate.kind.tag()),
            if selected {
                base
            } else {
                theme.style(Role::Muted)
            },
        )];
        let ranges = char_ranges(&candidate.label, &matched.chars);
        spans.extend(highlighted(&candidate.label, &ranges, base, highlight));
        if !candidate.detail.is_empty() {
            spans.push(Span::styled(
                format!("  {}", candidate.detail),
                if selected {
                    base
                } else {
                    theme.style(Role::Muted)
                },
            ));
        }
        let mut line = fit_spans(spans, width);
        if selected {
            let pad = width.saturating_sub(line.width());
            line.spans.push(Span::styled(" ".repeat(pad), base));
        }
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::testing::{self, SIZES};
    use crossterm::event::{KeyCode, KeyModifiers};
    use insta::assert_snapshot;

    fn candidates() -> Vec<Candidate<String>> {
        let mut all: Vec<Candidate<String>> = [
            Command::Sync,
            Command::SyncPrune,
            Command::Refresh,
            Command::Logs,
            Command::Overview,
        ]
        .iter()
        .map(|c| Candidate {
            kind: CandidateKind::Action,
            label: c.name().to_string(),
            detail: c.description().to_string(),
            value: format!("command:{c}"),
        })
        .collect();
        for app in [
            "argocd/jupyterhub-dev",
            "argocd/jupyterhub-prd",
            "argocd/keycloak-prd",
            "argocd/cilium-stg",
        ] {
            all.push(Candidate {
                kind: CandidateKind::App,
                label: app.to_string(),
                detail: String::new(),
                value: format!("app:{app}"),
            });
        }
        for cluster in ["k8tre-dev", "k8tre-prd"] {
            all.push(Candidate {
                kind: CandidateKind::Cluster,
                label: cluster.to_string(),
                detail: "connected".into(),
                value: format!("cluster:{cluster}"),
            });
        }
        all
    }

    fn typed(palette: &mut PaletteState<String>, text: &str) {
        for c in text.chars() {
            palette.on_text(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
    }

    #[test]
    fn fuzzy_completion_ranks_and_chooses() {
        let mut palette = PaletteState::new(candidates());
        assert_eq!(palette.matches().count(), 11);
        typed(&mut palette, "jhprd");
        let labels: Vec<&str> = palette.matches().map(|c| c.label.as_str()).collect();
        assert_eq!(labels, vec!["argocd/jupyterhub-prd"]);
        assert_eq!(
            palette.on_command(Command::Accept),
            PaletteOutcome::Chosen("app:argocd/jupyterhub-prd".into())
        );
        let mut palette = PaletteState::new(candidates());
        typed(&mut palette, "sync");
        assert_eq!(palette.selected().map(|c| c.label.as_str()), Some("sync"));
        assert_eq!(palette.on_command(Command::Down), PaletteOutcome::Changed);
        assert_eq!(
            palette.selected().map(|c| c.label.as_str()),
            Some("sync-prune")
        );
        assert_eq!(palette.on_command(Command::Down), PaletteOutcome::Ignored);
        typed(&mut palette, "zzz");
        assert_eq!(palette.on_command(Command::Accept), PaletteOutcome::Ignored);
        assert_eq!(palette.on_command(Command::Back), PaletteOutcome::Close);
    }

    #[test]
    fn matched_letters_are_highlighted() {
        let mut palette = PaletteState::new(candidates());
        typed(&mut palette, "kprd");
        let theme = testing::theme();
        let buffer = testing::buffer(80, 24, |frame, area| palette.render(frame, area, &theme));
        let (x, y) = (0..24)
            .flat_map(|y| (0..80).map(move |x| (x, y)))
            .find(|&(x, y)| {
                testing::row(&buffer, y).chars().nth(x as usize) == Some('k')
                    && testing::row(&buffer, y).contains("keycloak-prd")
            })
            .expect("the k of keycloak");
        assert!(
            buffer[(x, y)]
                .modifier
                .contains(ratatui::style::Modifier::UNDERLINED)
        );
    }

    #[test]
    fn snapshots() {
        for (width, height) in SIZES {
            let mut palette = PaletteState::new(candidates());
            let text = testing::render(width, height, |frame, area| {
                palette.render(frame, area, &testing::theme())
            });
            assert_snapshot!(format!("palette_all_{width}x{height}"), text);
            typed(&mut palette, "prd");
            let text = testing::render(width, height, |frame, area| {
                palette.render(frame, area, &testing::theme())
            });
            assert_snapshot!(format!("palette_prd_{width}x{height}"), text);
        }
    }
}

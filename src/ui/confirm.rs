//! The confirmation before an action: the target, the exact body that will be sent, the
//! environment's confirmation policy, the server-side dry run's result and then the write's.
//!
//! The order is fixed: the dry run is asked for when the dialog opens; the real write only
//! after the dry run passed and the policy is satisfied (nothing for `none`, Enter for
//! `keypress`, typing the environment's name and Enter for `type-name`). In read-only mode the
//! dialog shows what would be sent and that actions are disabled, and never asks for anything.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use crate::app::action::{ActionError, ActionRequest, ActionResult};
use crate::config::{Command, ConfirmPolicy, Keymap, Mode};
use crate::theme::{Role, Theme};
use crate::ui::help::key_hint;
use crate::ui::json;
use crate::ui::layout::centered;
use crate::ui::prompt::Prompt;
use crate::ui::text::wrap;

/// Where the action stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// `--read-only`: nothing can be run.
    ReadOnly,
    DryRunPending,
    DryRunFailed(ActionError),
    /// The dry run passed: waiting for the confirmation.
    Ready(String),
    Applying,
    Applied(String),
    Failed(ActionError),
}

/// What the dialog asks of its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfirmOutcome {
    Ignored,
    Changed,
    /// Run the request: a dry run, or the real write.
    Run {
        dry_run: bool,
    },
    Close,
}

#[derive(Debug, Clone)]
pub struct ConfirmState {
    request: ActionRequest,
    policy: ConfirmPolicy,
    phase: Phase,
    /// The dry run's summary, kept once the write starts.
    dry_run: Option<String>,
    typed: Prompt,
    /// First line of the body shown.
    scroll: u16,
    /// A hint after a key that could not act yet.
    hint: Option<&'static str>,
    /// The keys for Accept and Back, from the keymap, for the hints.
    accept_key: String,
    back_key: String,
}

impl ConfirmState {
    /// A dialog for `request`. Unless `read_only`, the owner must run the dry run now
    /// ([`ConfirmState::opening`]).
    pub fn new(
        request: ActionRequest,
        policy: ConfirmPolicy,
        read_only: bool,
        keymap: &Keymap,
    ) -> ConfirmState {
        let prompt = format!("type {} to confirm: ", request.target.environment);
        let keys = keymap.help(Mode::Confirm);
        ConfirmState {
            request,
            policy,
            phase: if read_only {
                Phase::ReadOnly
            } else {
                Phase::DryRunPending
            },
            dry_run: None,
            typed: Prompt::new(prompt),
            scroll: 0,
            hint: None,
            accept_key: key_hint(&keys, Command::Accept),
            back_key: key_hint(&keys, Command::Back),
        }
    }

    /// What to run as the dialog opens: the dry run, unless read-only.
    pub fn opening(&self) -> ConfirmOutcome {
        match self.phase {
            Phase::DryRunPending => ConfirmOutcome::Run { dry_run: true },
            _ => ConfirmOutcome::Ignored,
        }
    }

    pub fn request(&self) -> &ActionRequest {
        &self.request
    }

    pub fn phase(&self) -> &Phase {
        &self.phase
    }

    pub fn mode(&self) -> Mode {
        Mode::Confirm
    }

    /// True when the policy is met by what was typed (or needs nothing typed).
    pub fn confirmed(&self) -> bool {
        match self.policy {
            ConfirmPolicy::None | ConfirmPolicy::Keypress => true,
            ConfirmPolicy::TypeName => {
                self.typed.text().trim() == self.request.target.environment.as_str()
            }
        }
    }

    pub fn on_command(&mut self, command: Command) -> ConfirmOutcome {
        self.hint = None;
        match command {
            Command::Back => ConfirmOutcome::Close,
            Command::Up => self.scroll_by(-1),
            Command::Down => self.scroll_by(1),
            Command::PageUp => self.scroll_by(-10),
            Command::PageDown => self.scroll_by(10),
            Command::Accept => self.accept(),
            _ => ConfirmOutcome::Ignored,
        }
    }

    fn accept(&mut self) -> ConfirmOutcome {
        match &self.phase {
            Phase::Ready(_) if self.confirmed() => {
                self.phase = Phase::Applying;
                ConfirmOutcome::Run { dry_run: false }
            }
            Phase::Ready(_) => {
                self.hint = Some("type the environment's name first");
                ConfirmOutcome::Changed
            }
            Phase::DryRunFailed(_) => {
                self.phase = Phase::DryRunPending;
                ConfirmOutcome::Run { dry_run: true }
            }
            Phase::DryRunPending => {
                self.hint = Some("waiting for the dry run");
                ConfirmOutcome::Changed
            }
            Phase::Applied(_) | Phase::Failed(_) | Phase::ReadOnly => ConfirmOutcome::Close,
            Phase::Applying => ConfirmOutcome::Ignored,
        }
    }

    fn scroll_by(&mut self, lines: i32) -> ConfirmOutcome {
        let max = self.body_lines().saturating_sub(1) as i32;
        let scroll = (i32::from(self.scroll) + lines).clamp(0, max.max(0)) as u16;
        if scroll == self.scroll {
            return ConfirmOutcome::Ignored;
        }
        self.scroll = scroll;
        ConfirmOutcome::Changed
    }

    fn body_lines(&self) -> usize {
        serde_json::to_string_pretty(&self.request.body())
            .map(|text| text.lines().count())
            .unwrap_or(1)
    }

    /// Typed text goes to the environment-name input (type-name policy, before the write).
    pub fn on_text(&mut self, key: KeyEvent) -> bool {
        let typing = self.policy == ConfirmPolicy::TypeName
            && matches!(self.phase, Phase::DryRunPending | Phase::Ready(_));
        typing && self.typed.input(key)
    }

    pub fn on_paste(&mut self, text: &str) -> bool {
        let typing = self.policy == ConfirmPolicy::TypeName
            && matches!(self.phase, Phase::DryRunPending | Phase::Ready(_));
        typing && self.typed.paste(text)
    }

    /// A result for this dialog's request. With the `none` policy a passed dry run goes
    /// straight on to the write.
    pub fn on_result(&mut self, result: &ActionResult) -> ConfirmOutcome {
        if result.id != self.request.id {
            return ConfirmOutcome::Ignored;
        }
        match (&self.phase, result.dry_run, &result.outcome) {
            (Phase::DryRunPending, true, Ok(summary)) => {
                self.dry_run = Some(summary.clone());
                if self.policy == ConfirmPolicy::None {
                    self.phase = Phase::Applying;
                    return ConfirmOutcome::Run { dry_run: false };
                }
                self.phase = Phase::Ready(summary.clone());
            }
            (Phase::DryRunPending, true, Err(error)) => {
                self.phase = Phase::DryRunFailed(error.clone());
            }
            (Phase::Applying, false, Ok(summary)) => self.phase = Phase::Applied(summary.clone()),
            (Phase::Applying, false, Err(error)) => self.phase = Phase::Failed(error.clone()),
            _ => return ConfirmOutcome::Ignored,
        }
        ConfirmOutcome::Changed
    }

    /// Draws the dialog centred over `area`.
    pub fn render(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let body = json::lines(&self.request.body(), theme);
        let header = self.header_lines(theme);
        // Width first: status lines wrap to it.
        let popup_width = centered(area, 90, 1).width;
        let text_width = popup_width.saturating_sub(2) as usize;
        let status: Vec<Line> = self
            .status_lines(theme)
            .iter()
            .flat_map(|line| wrap(line, text_width))
            .collect();
        let wanted = (header.len() + status.len() + body.len()) as u16 + 2;
        let popup = centered(area, 90, wanted);
        frame.render_widget(Clear, popup);
        let title = format!(
            " {} · {} ",
            self.request.kind.title(),
            self.request.target.qualified_app()
        );
        let block = Block::bordered()
            .border_style(theme.style(Role::BorderFocused))
            .title(Span::styled(title, theme.style(Role::Title)));
        let inner = block.inner(popup);
        frame.render_widget(block, popup);
        let header_height = (header.len() as u16).min(inner.height);
        frame.render_widget(
            Paragraph::new(header),
            Rect {
                height: header_height,
                ..inner
            },
        );
        let status_height = (status.len() as u16).min(inner.height - header_height);
        let body_area = Rect {
            y: inner.y + header_height,
            height: inner.height - header_height - status_height,
            ..inner
        };
        let status_area = Rect {
            y: body_area.y + body_area.height,
            height: status_height,
            ..inner
        };
        let total = body.len();
        let mut shown: Vec<Line> = body
            .into_iter()
            .skip(self.scroll as usize)
            .take(body_area.height as usize)
            .map(|line| {
                let mut spans = vec![Span::raw("  ")];
                spans.extend(line.spans);
                Line::from(spans)
            })
            .collect();
        let below = total.saturating_sub(self.scroll as usize + shown.len());
        if below > 0 && !shown.is_empty() {
            let last = shown.len() - 1;
            shown[last] = Line::from(Span::styled(
                format!("  ↓ {} more lines (Down, PgDn)", below + 1),
                theme.style(Role::Muted),
            ));
        }
        frame.render_widget(Paragraph::new(shown), body_area);
        frame.render_widget(Paragraph::new(status), status_area);
        if let Some(input_area) = self.input_area(status_area) {
            self.typed.render(frame, input_area, theme, true);
        }
    }

    fn header_lines(&self, theme: &Theme) -> Vec<Line<'static>> {
        let target = &self.request.target;
        let label = |text: &'static str| Span::styled(text, theme.style(Role::Muted));
        let value = |text: String| Span::styled(text, theme.style(Role::Text));
        vec![
            Line::from(vec![label("Application  "), value(target.qualified_app())]),
            Line::from(vec![
                label("Destination  "),
                value(target.cluster.clone()),
                label("  environment "),
                Span::styled(
                    target.environment.to_string(),
                    theme.style(if target.environment.is_production() {
                        Role::Danger
                    } else {
                        Role::Accent
                    }),
                ),
            ]),
            Line::from(vec![
                label("Sent via     "),
                value(format!("context {}", target.context)),
            ]),
            Line::from(vec![
                label("Merge patch  refused unless resourceVersion is still "),
                value(self.request.resource_version.clone()),
            ]),
        ]
    }

    fn status_lines(&self, theme: &Theme) -> Vec<Line<'static>> {
        let mut lines = Vec::new();
        for warning in &self.request.warnings {
            lines.push(Line::from(Span::styled(
                format!("⚠ {warning}"),
                theme.style(Role::Warning),
            )));
        }
        let line = |label: &'static str, text: String, role: Role| {
            Line::from(vec![
                Span::styled(label, theme.style(Role::Muted)),
                Span::styled(text, theme.style(role)),
            ])
        };
        let (dry, apply) = match &self.phase {
            Phase::ReadOnly => {
                lines.push(Line::from(Span::styled(
                    " read-only: actions disabled ",
                    theme.style(Role::BadgeReadonly),
                )));
                lines.push(self.keys_line(&self.back_key, "close", theme));
                return lines;
            }
            Phase::DryRunPending => (("… running".to_string(), Role::Progressing), None),
            Phase::DryRunFailed(error) => {
                ((format!("✗ {}", error.explained()), Role::Danger), None)
            }
            Phase::Ready(summary) => ((format!("✓ {summary}"), Role::Healthy), None),
            Phase::Applying => (
                self.dry_ok(),
                Some(("… applying".to_string(), Role::Progressing)),
            ),
            Phase::Applied(summary) => {
                (self.dry_ok(), Some((format!("✓ {summary}"), Role::Healthy)))
            }
            Phase::Failed(error) => (
                self.dry_ok(),
                Some((format!("✗ {}", error.explained()), Role::Danger)),
            ),
        };
        lines.push(line("Dry run      ", dry.0, dry.1));
        if let Some((text, role)) = apply {
            lines.push(line("Apply        ", text, role));
        }
        lines.push(self.prompt_line(theme));
        lines
    }

    fn dry_ok(&self) -> (String, Role) {
        (
            format!("✓ {}", self.dry_run.as_deref().unwrap_or("passed")),
            Role::Healthy,
        )
    }

    fn prompt_line(&self, theme: &Theme) -> Line<'static> {
        if let Some(hint) = self.hint {
            return Line::from(Span::styled(hint, theme.style(Role::Warning)));
        }
        let verb = self.request.kind.title().to_lowercase();
        match (&self.phase, self.policy) {
            (Phase::DryRunPending | Phase::Ready(_), ConfirmPolicy::TypeName) => Line::default(),
            (Phase::Ready(_), _) => self.keys_line(
                &self.accept_key,
                &format!("{verb}   {} cancel", self.back_key),
                theme,
            ),
            (Phase::DryRunFailed(_), _) => self.keys_line(
                &self.accept_key,
                &format!("retry the dry run   {} close", self.back_key),
                theme,
            ),
            (Phase::Applied(_) | Phase::Failed(_), _) => {
                self.keys_line(&self.back_key, "close", theme)
            }
            _ => self.keys_line(&self.back_key, "cancel", theme),
        }
    }

    fn keys_line(&self, keys: &str, what: &str, theme: &Theme) -> Line<'static> {
        Line::from(vec![
            Span::styled(keys.to_string(), theme.style(Role::Accent)),
            Span::styled(format!(" {what}"), theme.style(Role::Muted)),
        ])
    }

    /// The typed-name input sits on the last status line while it is wanted.
    fn input_area(&self, status: Rect) -> Option<Rect> {
        let typing = self.policy == ConfirmPolicy::TypeName
            && matches!(self.phase, Phase::DryRunPending | Phase::Ready(_))
            && self.hint.is_none();
        (typing && status.height > 0).then(|| Rect {
            y: status.y + status.height - 1,
            height: 1,
            ..status
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::action::{ActionErrorKind, fixtures};
    use crate::domain::env::Environment;
    use crate::ui::testing::{self, SIZES};
    use crossterm::event::{KeyCode, KeyModifiers};
    use insta::assert_snapshot;

    fn ok(id: u64, dry_run: bool) -> ActionResult {
        let mut request = fixtures::sync(Environment::Dev);
        request.id = id;
        ActionResult::for_request(
            &request,
            dry_run,
            Ok(if dry_run {
                "accepted by the server (dry run)".into()
            } else {
                "applied, resourceVersion 48214".into()
            }),
        )
    }

    fn failed(dry_run: bool, kind: ActionErrorKind, message: &str) -> ActionResult {
        ActionResult::for_request(
            &request(Environment::Dev),
            dry_run,
            Err(ActionError::new(kind, message)),
        )
    }

    fn typed(state: &mut ConfirmState, text: &str) {
        for c in text.chars() {
            state.on_text(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
    }

    fn request(environment: Environment) -> ActionRequest {
        let mut request = fixtures::sync(environment);
        request.id = 7;
        request
    }

    #[test]
    fn keypress_policy_dry_run_then_enter() {
        let mut state = ConfirmState::new(
            request(Environment::Dev),
            ConfirmPolicy::Keypress,
            false,
            &Keymap::default(),
        );
        assert_eq!(state.opening(), ConfirmOutcome::Run { dry_run: true });
        // Enter before the dry run answers does nothing but say so.
        assert_eq!(state.on_command(Command::Accept), ConfirmOutcome::Changed);
        assert_eq!(state.phase(), &Phase::DryRunPending);
        // Results for other requests are not ours.
        assert_eq!(state.on_result(&ok(8, true)), ConfirmOutcome::Ignored);
        assert_eq!(state.on_result(&ok(7, true)), ConfirmOutcome::Changed);
        assert_eq!(
            state.on_command(Command::Accept),
            ConfirmOutcome::Run { dry_run: false }
        );
        assert_eq!(state.phase(), &Phase::Applying);
        state.on_result(&ok(7, false));
        assert!(matches!(state.phase(), Phase::Applied(_)));
        assert_eq!(state.on_command(Command::Accept), ConfirmOutcome::Close);
    }

    #[test]
    fn type_name_policy_needs_the_environment_name() {
        let mut state = ConfirmState::new(
            request(Environment::Prd),
            ConfirmPolicy::TypeName,
            false,
            &Keymap::default(),
        );
        typed(&mut state, "pr");
        state.on_result(&ok(7, true));
        assert_eq!(state.on_command(Command::Accept), ConfirmOutcome::Changed);
        assert_eq!(
            state.phase(),
            &Phase::Ready("accepted by the server (dry run)".into())
        );
        typed(&mut state, "d");
        assert!(state.confirmed());
        assert_eq!(
            state.on_command(Command::Accept),
            ConfirmOutcome::Run { dry_run: false }
        );
        // Once applying, typing goes nowhere.
        assert!(!state.on_text(KeyEvent::new(KeyCode::Char('x'), KeyModifiers::NONE)));
    }

    #[test]
    fn none_policy_applies_after_the_dry_run() {
        let mut state = ConfirmState::new(
            request(Environment::Dev),
            ConfirmPolicy::None,
            false,
            &Keymap::default(),
        );
        assert_eq!(
            state.on_result(&ok(7, true)),
            ConfirmOutcome::Run { dry_run: false }
        );
        assert_eq!(state.phase(), &Phase::Applying);
    }

    #[test]
    fn failed_dry_runs_block_the_write_and_can_be_retried() {
        let mut state = ConfirmState::new(
            request(Environment::Dev),
            ConfirmPolicy::Keypress,
            false,
            &Keymap::default(),
        );
        state.on_result(&failed(
            true,
            ActionErrorKind::Invalid,
            "application argocd/jupyterhub-dev: another operation is already in progress",
        ));
        assert!(matches!(state.phase(), Phase::DryRunFailed(_)));
        assert_eq!(
            state.on_command(Command::Accept),
            ConfirmOutcome::Run { dry_run: true }
        );
        assert_eq!(state.phase(), &Phase::DryRunPending);
        assert_eq!(state.on_command(Command::Back), ConfirmOutcome::Close);
    }

    #[test]
    fn read_only_runs_nothing() {
        let mut state = ConfirmState::new(
            request(Environment::Dev),
            ConfirmPolicy::Keypress,
            true,
            &Keymap::default(),
        );
        assert_eq!(state.opening(), ConfirmOutcome::Ignored);
        assert_eq!(state.on_command(Command::Accept), ConfirmOutcome::Close);
        let text = testing::render(80, 24, |frame, area| {
            state.render(frame, area, &testing::theme())
        });
        assert!(text.contains("read-only: actions disabled"), "{text}");
    }

    #[test]
    fn snapshots() {
        let conflict = failed(
            false,
            ActionErrorKind::Conflict,
            "Operation cannot be fulfilled on applications.argoproj.io \"jupyterhub-prd\": the object has been modified",
        );
        for (width, height) in SIZES {
            let mut prd = ConfirmState::new(
                request(Environment::Prd),
                ConfirmPolicy::TypeName,
                false,
                &Keymap::default(),
            );
            prd.on_result(&ok(7, true));
            typed(&mut prd, "prd");
            let text = testing::render(width, height, |frame, area| {
                prd.render(frame, area, &testing::theme())
            });
            assert_snapshot!(format!("confirm_prd_ready_{width}x{height}"), text);
            prd.on_command(Command::Accept);
            prd.on_result(&conflict);
            let text = testing::render(width, height, |frame, area| {
                prd.render(frame, area, &testing::theme())
            });
            assert_snapshot!(format!("confirm_prd_conflict_{width}x{height}"), text);
            let dev = ConfirmState::new(
                request(Environment::Dev).with_warning(
                    "generated by ApplicationSet jupyterhub: spec changes are reverted",
                ),
                ConfirmPolicy::Keypress,
                false,
                &Keymap::default(),
            );
            let text = testing::render(width, height, |frame, area| {
                dev.render(frame, area, &testing::theme())
            });
            assert_snapshot!(format!("confirm_dev_pending_{width}x{height}"), text);
        }
    }
}

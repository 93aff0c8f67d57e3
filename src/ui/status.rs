//! The status line: badges (SIMULATED, READ-ONLY), where the console points (context,
//! management cluster), the clusters' connections, the screen, a help hint and the clock.
//! Segments drop by priority when the line is short; the badges and the clock stay longest.
//!
//! The clock shows minutes only, so an idle console redraws once a minute at most.

use chrono::{DateTime, FixedOffset};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::theme::{Role, Theme};
use crate::ui::text::width;

/// The clusters' connection states, summed up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Connections {
    pub connected: usize,
    pub total: usize,
    /// Reconnecting, unreachable or forbidden.
    pub failing: usize,
    /// Connected but silent past the staleness threshold.
    pub stale: usize,
}

#[derive(Debug, Clone, Copy)]
pub struct StatusProps<'a> {
    pub context: &'a str,
    pub management: &'a str,
    pub read_only: bool,
    pub simulated: bool,
    pub connections: Option<Connections>,
    /// The current screen, e.g. `Overview › jupyterhub-prd`.
    pub title: &'a str,
    /// e.g. `? help`.
    pub hint: &'a str,
    /// Already formatted ([`clock_text`]).
    pub clock: &'a str,
}

/// What the clock shows for `now`: hours and minutes.
pub fn clock_text(now: DateTime<FixedOffset>) -> String {
    now.format("%H:%M").to_string()
}

struct Segment {
    spans: Vec<Span<'static>>,
    priority: u8,
    right: bool,
}

impl Segment {
    fn width(&self) -> usize {
        self.spans.iter().map(|s| width(&s.content)).sum::<usize>() + 1
    }
}

fn segments(props: &StatusProps<'_>, theme: &Theme) -> Vec<Segment> {
    let muted = theme.style(Role::Muted);
    let text = theme.style(Role::Text);
    let mut out = Vec::new();
    let mut left = |spans: Vec<Span<'static>>, priority: u8| {
        out.push(Segment {
            spans,
            priority,
            right: false,
        })
    };
    if props.simulated {
        left(
            vec![Span::styled(
                " SIMULATED ",
                theme.style(Role::BadgeSimulated),
            )],
            0,
        );
    }
    if props.read_only {
        left(
            vec![Span::styled(
                " READ-ONLY ",
                theme.style(Role::BadgeReadonly),
            )],
            0,
        );
    }
    left(
        vec![
            Span::styled("ctx ", muted),
            Span::styled(props.context.to_string(), text),
        ],
        2,
    );
    if !props.management.is_empty() && props.management != props.context {
        left(
            vec![
                Span::styled("mgmt ", muted),
                Span::styled(props.management.to_string(), text),
            ],
            4,
        );
    }
    if let Some(c) = props.connections {
        let role = if c.failing > 0 {
            Role::Danger
        } else if c.stale > 0 {
            Role::Stale
        } else {
            Role::Healthy
        };
        let mut spans = vec![Span::styled(
            format!("● {}/{} connected", c.connected, c.total),
            theme.style(role),
        )];
        if c.failing > 0 {
            spans.push(Span::styled(
                format!(" {} failing", c.failing),
                theme.style(Role::Danger),
            ));
        }
        if c.stale > 0 {
            spans.push(Span::styled(
                format!(" {} stale", c.stale),
                theme.style(Role::Stale),
            ));
        }
        left(spans, 1);
    }
    if !props.title.is_empty() {
        left(
            vec![Span::styled(
                props.title.to_string(),
                theme.style(Role::Title),
            )],
            3,
        );
    }
    if !props.hint.is_empty() {
        out.push(Segment {
            spans: vec![Span::styled(
                props.hint.to_string(),
                theme.style(Role::Accent),
            )],
            priority: 5,
            right: true,
        });
    }
    if !props.clock.is_empty() {
        out.push(Segment {
            spans: vec![Span::styled(props.clock.to_string(), text)],
            priority: 0,
            right: true,
        });
    }
    out
}

pub fn render(frame: &mut Frame, area: Rect, props: &StatusProps<'_>, theme: &Theme) {
    if area.height == 0 {
        return;
    }
    let all = segments(props, theme);
    // Keep segments by priority while they fit.
    let mut order: Vec<usize> = (0..all.len()).collect();
    order.sort_by_key(|&i| (all[i].priority, i));
    let mut kept = vec![false; all.len()];
    let mut used = 0;
    for i in order {
        let w = all[i].width();
        if used + w <= area.width as usize {
            kept[i] = true;
            used += w;
        }
    }
    let mut left: Vec<Span> = Vec::new();
    let mut right: Vec<Span> = Vec::new();
    for (segment, keep) in all.into_iter().zip(kept) {
        if !keep {
            continue;
        }
        let side = if segment.right { &mut right } else { &mut left };
        side.extend(segment.spans);
        side.push(Span::raw(" "));
    }
    let right_width: usize = right.iter().map(|s| width(&s.content)).sum();
    let left_width: usize = left.iter().map(|s| width(&s.content)).sum();
    let gap = (area.width as usize).saturating_sub(left_width + right_width);
    left.push(Span::raw(" ".repeat(gap)));
    left.extend(right);
    frame.render_widget(Paragraph::new(Line::from(left)), area);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::testing;
    use chrono::TimeZone;

    fn props<'a>() -> StatusProps<'a> {
        StatusProps {
            context: "k8tre-mgmt",
            management: "in-cluster",
            read_only: true,
            simulated: true,
            connections: Some(Connections {
                connected: 3,
                total: 4,
                failing: 1,
                stale: 0,
            }),
            title: "Overview",
            hint: "? help",
            clock: "14:05",
        }
    }

    #[test]
    fn wide_lines_show_everything() {
        let text = testing::render(160, 1, |frame, area| {
            render(frame, area, &props(), &testing::theme())
        });
        let line = text.trim_end_matches("|\n");
        assert!(line.starts_with(
            " SIMULATED   READ-ONLY  ctx k8tre-mgmt mgmt in-cluster ● 3/4 connected 1 failing Overview   "
        ), "{line}");
        assert!(line.ends_with("   ? help 14:05 "), "{line}");
        assert_eq!(crate::ui::text::width(line), 160);
    }

    #[test]
    fn narrow_lines_keep_badges_and_clock() {
        let text = testing::render(40, 1, |frame, area| {
            render(frame, area, &props(), &testing::theme())
        });
        assert!(text.starts_with(" SIMULATED   READ-ONLY "), "{text}");
        assert!(text.contains("14:05"), "{text}");
        assert!(!text.contains("mgmt"), "{text}");
        let text = testing::render(80, 1, |frame, area| {
            render(frame, area, &props(), &testing::theme())
        });
        assert!(text.contains("● 3/4 connected 1 failing"), "{text}");
        assert!(text.contains("ctx k8tre-mgmt"), "{text}");
    }

    #[test]
    fn the_clock_shows_minutes() {
        let offset = FixedOffset::east_opt(3600).expect("offset");
        let now = offset
            .with_ymd_and_hms(2026, 8, 22, 9, 7, 59)
            .single()
            .expect("time");
        assert_eq!(clock_text(now), "09:07");
    }
}

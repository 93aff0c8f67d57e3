use std::borrow::Cow;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use insta::assert_snapshot;
use proptest::prelude::*;
use ratatui::layout::Rect;

use super::*;
use crate::config::Command;
use crate::theme::Role;
use crate::ui::testing::{self, SIZES};

#[derive(Debug, Clone)]
struct App {
    name: String,
    namespace: &'static str,
    health: &'static str,
    sync: &'static str,
    revision: String,
}

const HEALTH: [&str; 4] = ["Healthy", "Progressing", "Degraded", "Missing"];
const COMPONENTS: [&str; 8] = [
    "argocd",
    "cilium",
    "keycloak",
    "jupyterhub",
    "guacamole",
    "cert-manager",
    "minio",
    "gitea",
];
const ENVS: [&str; 3] = ["dev", "stg", "prd"];

fn apps(count: usize) -> Vec<App> {
    (0..count)
        .map(|i| App {
            name: match i / 24 {
                0 => format!("{}-{}", COMPONENTS[i % 8], ENVS[(i / 8) % 3]),
                n => format!("{}-{}-{n}", COMPONENTS[i % 8], ENVS[(i / 8) % 3]),
            },
            namespace: if i % 2 == 0 { "argocd" } else { "tre-apps" },
            health: HEALTH[(i * 7) % 4],
            sync: if i % 5 == 0 { "OutOfSync" } else { "Synced" },
            revision: format!("{:07x}", i * 2_654_435_761usize % 0xfff_ffff),
        })
        .collect()
}

impl TableRow for App {
    fn key(&self) -> Cow<'_, str> {
        Cow::Owned(format!("{}/{}", self.namespace, self.name))
    }

    fn cell(&self, column: usize) -> CellText<'_> {
        match column {
            0 => CellText::new(self.name.as_str()),
            1 => CellText::new(self.namespace),
            2 => CellText::styled(
                self.health,
                match self.health {
                    "Healthy" => Role::Healthy,
                    "Degraded" => Role::Degraded,
                    "Progressing" => Role::Progressing,
                    _ => Role::Missing,
                },
            ),
            3 => CellText::new(self.sync),
            _ => CellText::new(self.revision.as_str()),
        }
    }

    fn sort_key(&self, column: usize) -> SortKey<'_> {
        match column {
            2 => SortKey::Rank(HEALTH.iter().position(|h| *h == self.health).unwrap_or(9) as u32),
            _ => SortKey::text(self.cell(column).text),
        }
    }

    fn filter_text(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.name)
    }
}

const COLUMNS: &[Column] = &[
    Column::new("NAME")
        .width(14, 40)
        .priority(0)
        .highlights_filter(),
    Column::new("NAMESPACE")
        .short("NS")
        .width(8, 16)
        .priority(3),
    Column::new("HEALTH").width(11, 12).priority(1),
    Column::new("SYNC").width(9, 10).priority(1),
    Column::new("REVISION")
        .short("REV")
        .width(8, 10)
        .priority(2)
        .right(),
];

fn props(rows: &[App]) -> TableProps<'_, App> {
    TableProps {
        title: "Applications",
        columns: COLUMNS,
        rows,
        empty: "no Applications",
    }
}

const AREA: Rect = Rect::new(0, 0, 80, 12);

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

fn selected_name(state: &TableState) -> Option<String> {
    state.selected_key().map(str::to_string)
}

#[test]
fn snapshots_at_both_sizes() {
    let rows = apps(60);
    for (width, height) in SIZES {
        let mut state = TableState::new().sorted_by(2, SortDir::Ascending);
        for _ in 0..30 {
            state.on_command(Command::Down, &props(&rows), Rect::new(0, 0, width, height));
        }
        let text = testing::render(width, height, |frame, area| {
            render(frame, area, &props(&rows), &state, &testing::theme(), true)
        });
        assert_snapshot!(format!("table_{width}x{height}"), text);
    }
}

#[test]
fn nothing_overflows_at_any_width() {
    let rows = apps(20);
    let state = TableState::new();
    for width in [10u16, 20, 33, 47, 80, 120, 300] {
        let buffer = testing::buffer(width, 8, |frame, area| {
            render(frame, area, &props(&rows), &state, &testing::theme(), false)
        });
        // The right border is intact on every line: no cell wrote over it.
        for y in 1..7 {
            assert_eq!(
                buffer[(width - 1, y)].symbol(),
                "│",
                "width {width} row {y}"
            );
        }
    }
}

#[test]
fn filter_while_typing_then_accept_or_cancel() {
    let rows = apps(48);
    let mut state = TableState::new();
    assert_eq!(
        state.on_command(Command::Filter, &props(&rows), AREA),
        TableOutcome::Changed
    );
    assert_eq!(state.mode(), crate::config::Mode::Palette);
    for c in "keyc".chars() {
        assert!(state.on_text(key(c)));
    }
    let view = TableView::build(&rows, &state);
    assert_eq!(view.len(), 6);
    assert!(
        view.rows()
            .iter()
            .all(|&i| rows[i].name.starts_with("keycloak"))
    );
    state.on_command(Command::Accept, &props(&rows), AREA);
    assert!(!state.is_editing());
    assert_eq!(state.filter(), "keyc");
    // Editing again and cancelling restores the accepted filter.
    state.on_command(Command::Filter, &props(&rows), AREA);
    state.on_text(key('x'));
    assert_eq!(TableView::build(&rows, &state).len(), 0);
    state.on_command(Command::Back, &props(&rows), AREA);
    assert_eq!(state.filter(), "keyc");
    // Back outside the prompt clears the filter.
    assert_eq!(
        state.on_command(Command::Back, &props(&rows), AREA),
        TableOutcome::Changed
    );
    assert_eq!(state.filter(), "");
    assert_eq!(
        state.on_command(Command::Back, &props(&rows), AREA),
        TableOutcome::Ignored
    );
}

#[test]
fn fuzzy_filter_with_a_tilde() {
    let rows = apps(48);
    let mut state = TableState::new();
    state.set_filter("~jhprd");
    let view = TableView::build(&rows, &state);
    assert_eq!(view.len(), 2);
    assert!(
        view.rows()
            .iter()
            .all(|&i| rows[i].name.starts_with("jupyterhub-prd"))
    );
    let text = testing::render(60, 8, |frame, area| {
        render(frame, area, &props(&rows), &state, &testing::theme(), true)
    });
    assert!(text.contains("jupyterhub-prd"), "{text}");
    assert!(text.contains("/~jhprd"), "{text}");
}

#[test]
fn selection_follows_its_row_through_sorts_and_refreshes() {
    let mut rows = apps(30);
    let mut state = TableState::new();
    for _ in 0..7 {
        state.on_command(Command::Down, &props(&rows), AREA);
    }
    let chosen = selected_name(&state).expect("selected");
    assert_eq!(chosen, "tre-apps/gitea-dev");
    state.on_command(Command::SortNextColumn, &props(&rows), AREA);
    state.on_command(Command::ReverseSort, &props(&rows), AREA);
    let view = TableView::build(&rows, &state);
    let position = state.cursor(&view, &rows).expect("cursor");
    assert_eq!(rows[view.row(position).expect("row")].key(), chosen);
    // New rows arrive before it: still selected.
    let mut more = apps(5);
    for app in &mut more {
        app.name = format!("aaa-{}", app.name);
    }
    more.append(&mut rows);
    let view = TableView::build(&more, &state);
    let position = state.cursor(&view, &more).expect("cursor");
    assert_eq!(more[view.row(position).expect("row")].key(), chosen);
    // Its row disappears: the row now at its place is selected.
    let gone: Vec<App> = more.into_iter().filter(|a| a.key() != chosen).collect();
    let view = TableView::build(&gone, &state);
    assert!(state.cursor(&view, &gone).is_some());
}

#[test]
fn sorting_cycles_sortable_columns_and_shows_the_arrow() {
    let rows = apps(12);
    let mut state = TableState::new();
    state.on_command(Command::SortNextColumn, &props(&rows), AREA);
    assert_eq!(
        state.sort(),
        Some(Sort {
            column: 0,
            dir: SortDir::Ascending
        })
    );
    state.on_command(Command::SortNextColumn, &props(&rows), AREA);
    state.on_command(Command::SortNextColumn, &props(&rows), AREA);
    assert_eq!(state.sort().map(|s| s.column), Some(2));
    let view = TableView::build(&rows, &state);
    let healths: Vec<&str> = view.rows().iter().map(|&i| rows[i].health).collect();
    assert_eq!(healths.first(), Some(&"Healthy"));
    assert_eq!(healths.last(), Some(&"Missing"));
    state.on_command(Command::ReverseSort, &props(&rows), AREA);
    let buffer = testing::buffer(80, 6, |frame, area| {
        render(frame, area, &props(&rows), &state, &testing::theme(), true)
    });
    assert!(testing::row(&buffer, 1).contains("HEALTH▼"));
}

#[test]
fn paging_and_scrolling_keep_the_cursor_visible() {
    let rows = apps(100);
    let mut state = TableState::new();
    // Body height: 12 - 2 borders - 1 header = 9.
    state.on_command(Command::PageDown, &props(&rows), AREA);
    let view = TableView::build(&rows, &state);
    assert_eq!(state.cursor(&view, &rows), Some(9));
    assert_eq!(state.offset(&view, &rows, 9), 1);
    state.on_command(Command::Bottom, &props(&rows), AREA);
    assert_eq!(state.cursor(&view, &rows), Some(99));
    assert_eq!(state.offset(&view, &rows, 9), 91);
    state.on_command(Command::Top, &props(&rows), AREA);
    assert_eq!(state.offset(&view, &rows, 9), 0);
    assert_eq!(
        state.on_command(Command::Open, &props(&rows), AREA),
        TableOutcome::Activated("argocd/argocd-dev".into())
    );
}

#[test]
fn mouse_clicks_select_activate_and_sort() {
    let rows = apps(20);
    let mut state = TableState::new();
    let click = |column, row| MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column,
        row,
        modifiers: KeyModifiers::NONE,
    };
    // Row 0 of the body is at y = 2.
    assert_eq!(
        state.on_mouse(click(5, 4), &props(&rows), AREA),
        TableOutcome::Changed
    );
    assert_eq!(
        selected_name(&state).as_deref(),
        Some("argocd/keycloak-dev")
    );
    assert_eq!(
        state.on_mouse(click(5, 4), &props(&rows), AREA),
        TableOutcome::Activated("argocd/keycloak-dev".into())
    );
    // The header of the first column sorts by it, twice reverses.
    state.on_mouse(click(2, 1), &props(&rows), AREA);
    assert_eq!(
        state.sort(),
        Some(Sort {
            column: 0,
            dir: SortDir::Ascending
        })
    );
    state.on_mouse(click(2, 1), &props(&rows), AREA);
    assert_eq!(
        state.sort(),
        Some(Sort {
            column: 0,
            dir: SortDir::Descending
        })
    );
    let view = TableView::build(&rows, &state);
    let before = state.cursor(&view, &rows).expect("cursor");
    assert_eq!(
        rows[view.row(before).expect("row")].key(),
        "argocd/keycloak-dev"
    );
    let wheel = MouseEvent {
        kind: MouseEventKind::ScrollDown,
        ..click(5, 5)
    };
    state.on_mouse(wheel, &props(&rows), AREA);
    assert_eq!(state.cursor(&view, &rows), Some(before + 1));
    assert_eq!(
        state.on_mouse(click(79, 30), &props(&rows), AREA),
        TableOutcome::Ignored
    );
}

#[test]
fn empty_tables_say_so() {
    let rows: Vec<App> = Vec::new();
    let text = testing::render(40, 5, |frame, area| {
        render(
            frame,
            area,
            &props(&rows),
            &TableState::new(),
            &testing::theme(),
            true,
        )
    });
    assert!(text.contains("no Applications"), "{text}");
    let mut state = TableState::new();
    assert_eq!(
        state.on_command(Command::Down, &props(&rows), AREA),
        TableOutcome::Ignored
    );
    assert_eq!(
        state.on_command(Command::Open, &props(&rows), AREA),
        TableOutcome::Ignored
    );
}

proptest! {
    #[test]
    fn any_command_sequence_keeps_the_cursor_in_range(
        commands in proptest::collection::vec(0usize..8, 0..40),
        count in 0usize..60,
    ) {
        let all = [Command::Up, Command::Down, Command::PageUp, Command::PageDown, Command::Top,
                   Command::Bottom, Command::SortNextColumn, Command::ReverseSort];
        let rows = apps(count);
        let mut state = TableState::new();
        for c in commands {
            state.on_command(all[c], &props(&rows), AREA);
            let view = TableView::build(&rows, &state);
            match state.cursor(&view, &rows) {
                Some(cursor) => {
                    prop_assert!(cursor < view.len());
                    let offset = state.offset(&view, &rows, 9);
                    prop_assert!(cursor >= offset && cursor < offset + 9);
                }
                None => prop_assert!(view.is_empty()),
            }
        }
    }
}

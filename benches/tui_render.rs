//! TUI rendering costs: the time to render a frame of a 2,000-row table (160×48 and 300×100),
//! and the bytes a frame writes to the terminal through ratatui's diffing: nothing changed,
//! one row's selection moved, and a full first frame; from those, bytes per second idle and
//! under churn at the 30 fps cap.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::borrow::Cow;
use std::hint::black_box;
use std::io;

use criterion::Criterion;
use k8tre_console::app::pacer::MIN_FRAME_INTERVAL;
use k8tre_console::app::terminal::CountingWriter;
use k8tre_console::config::Command;
use k8tre_console::theme::{Role, Theme};
use k8tre_console::ui::table::{
    self, CellText, Column, SortDir, SortKey, TableProps, TableRow, TableState,
};
use ratatui::backend::{CrosstermBackend, TestBackend};
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};

struct App {
    name: String,
    namespace: String,
    health: &'static str,
    sync: &'static str,
    revision: String,
}

const HEALTH: [&str; 4] = ["Healthy", "Progressing", "Degraded", "Missing"];

fn apps(count: usize) -> Vec<App> {
    (0..count)
        .map(|i| App {
            name: format!("component-{:04}-{}", i, ["dev", "stg", "prd"][i % 3]),
            namespace: format!("tre-{}", i % 40),
            health: HEALTH[i % 4],
            sync: if i % 7 == 0 { "OutOfSync" } else { "Synced" },
            revision: format!("{:07x}", i * 2_654_435_761 % 0xfff_ffff),
        })
        .collect()
}

impl TableRow for App {
    fn key(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.name)
    }

    fn cell(&self, column: usize) -> CellText<'_> {
        match column {
            0 => CellText::new(self.name.as_str()),
            1 => CellText::new(self.namespace.as_str()),
            2 => CellText::styled(self.health, Role::Healthy),
            3 => CellText::styled(self.sync, Role::Synced),
            _ => CellText::new(self.revision.as_str()),
        }
    }

    fn sort_key(&self, column: usize) -> SortKey<'_> {
        match column {
            2 => SortKey::Rank(HEALTH.iter().position(|h| *h == self.health).unwrap_or(9) as u32),
            _ => SortKey::text(self.cell(column).text),
        }
    }
}

const COLUMNS: &[Column] = &[
    Column::new("NAME").width(16, 48).highlights_filter(),
    Column::new("NAMESPACE")
        .short("NS")
        .width(8, 20)
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
        empty: "",
    }
}

fn bench_render(c: &mut Criterion) {
    let theme = Theme::builtin("default").expect("theme");
    let rows = apps(2000);
    for (width, height) in [(160u16, 48u16), (300, 100)] {
        let area = Rect::new(0, 0, width, height);
        let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
        let mut state = TableState::new().sorted_by(2, SortDir::Ascending);
        c.bench_function(
            &format!("table 2000 rows {width}x{height} (filter, sort, draw)"),
            |b| {
                b.iter(|| {
                    state.on_command(Command::Down, &props(&rows), area);
                    terminal
                        .draw(|frame| {
                            table::render(frame, frame.area(), &props(&rows), &state, &theme, true)
                        })
                        .expect("draw");
                    black_box(terminal.backend().buffer().area);
                })
            },
        );
        let mut filtered = TableState::new();
        filtered.set_filter("~cmp 1 prd");
        c.bench_function(
            &format!("table 2000 rows {width}x{height} fuzzy filter"),
            |b| {
                b.iter(|| {
                    terminal
                        .draw(|frame| {
                            table::render(
                                frame,
                                frame.area(),
                                &props(&rows),
                                &filtered,
                                &theme,
                                true,
                            )
                        })
                        .expect("draw");
                })
            },
        );
    }
}

/// Bytes written by ratatui for a frame, through a crossterm backend that counts.
fn report_bytes() {
    let theme = Theme::builtin("default").expect("theme");
    let rows = apps(2000);
    for (width, height) in [(160u16, 48u16), (300, 100)] {
        let area = Rect::new(0, 0, width, height);
        let writer = CountingWriter::new(io::sink());
        let counter = writer.counter();
        let options = TerminalOptions {
            viewport: Viewport::Fixed(area),
        };
        let mut terminal =
            Terminal::with_options(CrosstermBackend::new(writer), options).expect("terminal");
        let mut state = TableState::new();
        let draw = |terminal: &mut Terminal<CrosstermBackend<CountingWriter<io::Sink>>>,
                    state: &TableState| {
            let before = counter.load(std::sync::atomic::Ordering::Relaxed);
            terminal
                .draw(|frame| {
                    table::render(frame, frame.area(), &props(&rows), state, &theme, true)
                })
                .expect("draw");
            counter.load(std::sync::atomic::Ordering::Relaxed) - before
        };
        let first = draw(&mut terminal, &state);
        let unchanged = draw(&mut terminal, &state);
        state.on_command(Command::Down, &props(&rows), area);
        let moved = draw(&mut terminal, &state);
        let fps = 1.0 / MIN_FRAME_INTERVAL.as_secs_f64();
        println!(
            "bytes per frame at {width}x{height}: first {first}, unchanged {unchanged}, \
             selection moved one row {moved}; under churn at {fps:.0} fps: {:.0} B/s; \
             idle (no frame drawn): 0 B/s",
            moved as f64 * fps
        );
    }
}

fn main() {
    report_bytes();
    let mut criterion = Criterion::default().configure_from_args();
    bench_render(&mut criterion);
    criterion.final_summary();
}

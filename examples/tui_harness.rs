//! A small program on the TUI framework, for the end-to-end tests in tmux (`tests/tui_e2e.rs`):
//! the real terminal lifecycle, event loop, keymap, table, palette, help, confirmation and log
//! viewer, over synthetic rows and an executor that answers after a short delay. It talks to no
//! cluster.
//!
//! ```text
//! cargo run --example tui_harness -- [--mouse] [--stats FILE] [--panic-on-refresh]
//! ```
//! `--stats FILE` writes `frames=N bytes=N idle_bytes=N` at exit, where idle_bytes counts what
//! was written after the first second without input.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io;
use std::sync::atomic::Ordering;
use std::time::Duration;

use crossterm::event::{EventStream, KeyEvent, MouseEvent};
use k8tre_console::app::event_loop::{self, Exit, LoopIo, LoopOptions};
use k8tre_console::app::screens::LogsScreen;
use k8tre_console::app::terminal::{self, CountingWriter, SignalWatch, TerminalOptions};
use k8tre_console::app::{
    ActionKind, ActionRequest, ActionResult, ActionTarget, AppContext, AppState, Component, Cx,
    Effect, EffectRunner, Handled, LogChunk, LogEvent, LogRequest, Msg, MsgSender, Screen, Target,
    ViewCx,
};
use k8tre_console::config::{Command, Config, Keymap, Mode};
use k8tre_console::domain::env::Environment;
use k8tre_console::theme::Theme;
use k8tre_console::ui::table::{
    self, CellText, Column, TableOutcome, TableProps, TableRow, TableState,
};
use ratatui::Frame;
use ratatui::layout::Rect;
use tokio_util::sync::CancellationToken;

struct Item {
    name: String,
    environment: Environment,
}

impl TableRow for Item {
    fn key(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.name)
    }

    fn cell(&self, column: usize) -> CellText<'_> {
        match column {
            0 => CellText::new(self.name.as_str()),
            _ => CellText::new(self.environment.as_str()),
        }
    }
}

const COLUMNS: &[Column] = &[
    Column::new("ITEM").width(12, 40).highlights_filter(),
    Column::new("ENV").width(3, 6),
];

struct Items {
    rows: Vec<Item>,
    table: TableState,
    panic_on_refresh: bool,
}

impl Items {
    fn props(&self) -> TableProps<'_, Item> {
        TableProps {
            title: "Harness items",
            columns: COLUMNS,
            rows: &self.rows,
            empty: "no items",
        }
    }

    fn selected(&self) -> Option<&Item> {
        let key = self.table.selected_key();
        self.rows
            .iter()
            .find(|r| Some(r.name.as_str()) == key)
            .or(self.rows.first())
    }
}

impl Component for Items {
    fn mode(&self) -> Mode {
        self.table.mode()
    }

    fn render(&self, frame: &mut Frame, area: Rect, cx: &ViewCx<'_>) {
        table::render(
            frame,
            area,
            &self.props(),
            &self.table,
            cx.theme,
            cx.focused,
        );
    }

    fn on_command(&mut self, command: Command, cx: &mut Cx<'_>) -> Handled {
        if command == Command::Refresh && self.panic_on_refresh {
            panic!("harness: panic on refresh, as asked");
        }
        if let (Some(kind), Some(item)) =
            (ActionKind::from_command(command, false), self.selected())
        {
            let target = ActionTarget {
                namespace: "harness".into(),
                app: item.name.clone(),
                environment: item.environment.clone(),
                cluster: format!("harness-{}", item.environment),
                context: "harness".into(),
            };
            let patch = serde_json::json!({"metadata": {"annotations": {"harness": kind.name()}}});
            cx.confirm(ActionRequest::new(kind, target, patch, "1"));
            return Handled::Yes;
        }
        let props = TableProps {
            title: "",
            columns: COLUMNS,
            rows: &self.rows,
            empty: "",
        };
        match self.table.on_command(command, &props, cx.area) {
            TableOutcome::Ignored => Handled::No,
            TableOutcome::Changed => Handled::Yes,
            TableOutcome::Activated(key) => {
                cx.goto(Target::App(key));
                Handled::Yes
            }
        }
    }

    fn on_text(&mut self, key: KeyEvent, _cx: &mut Cx<'_>) -> Handled {
        Handled::from(self.table.on_text(key))
    }

    fn on_mouse(&mut self, mouse: MouseEvent, cx: &mut Cx<'_>) -> Handled {
        let props = TableProps {
            title: "",
            columns: COLUMNS,
            rows: &self.rows,
            empty: "",
        };
        match self.table.on_mouse(mouse, &props, cx.area) {
            TableOutcome::Ignored => Handled::No,
            TableOutcome::Changed => Handled::Yes,
            TableOutcome::Activated(key) => {
                cx.goto(Target::App(key));
                Handled::Yes
            }
        }
    }
}

impl Screen for Items {
    fn title(&self) -> String {
        "Harness".into()
    }

    fn goto(&mut self, target: &Target, cx: &mut Cx<'_>) -> Handled {
        let Target::App(name) = target else {
            return Handled::No;
        };
        cx.push(Box::new(LogsScreen::new(LogRequest {
            stream: cx.app.next_id(),
            context: "harness".into(),
            namespace: "harness".into(),
            pod: format!("{name}-0"),
            container: Some("main".into()),
            tail_lines: Some(50),
            follow: true,
            previous: false,
        })));
        Handled::Yes
    }
}

/// Answers actions after 100 ms; streams a log line every 200 ms.
#[derive(Default)]
struct Runner {
    streams: HashMap<u64, CancellationToken>,
}

impl EffectRunner for Runner {
    fn run(&mut self, effect: Effect, tx: &MsgSender) {
        let tx = tx.clone();
        match effect {
            Effect::Action { request, dry_run } => {
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    let summary = if dry_run { "dry run passed" } else { "applied" };
                    let result = ActionResult::for_request(&request, dry_run, Ok(summary.into()));
                    let _ = tx.send(Msg::Action(result)).await;
                });
            }
            Effect::OpenLogs(request) => {
                let cancel = CancellationToken::new();
                self.streams.insert(request.stream, cancel.clone());
                tokio::spawn(stream_logs(request, tx, cancel));
            }
            Effect::CloseLogs(stream) => {
                if let Some(cancel) = self.streams.remove(&stream) {
                    cancel.cancel();
                }
            }
            // The harness shows no estate: nothing to connect to, fetch or read.
            Effect::Quit
            | Effect::Connect(_)
            | Effect::FetchApp { .. }
            | Effect::ReadResources(_) => {}
        }
    }
}

async fn stream_logs(request: LogRequest, tx: MsgSender, cancel: CancellationToken) {
    let history = (0..50)
        .map(|i| format!("{} line {i}", request.pod))
        .collect();
    let chunk = |event| {
        Msg::Log(LogChunk {
            stream: request.stream,
            event,
        })
    };
    if tx.send(chunk(LogEvent::Lines(history))).await.is_err() {
        return;
    }
    let mut n = 50;
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_millis(200)) => {}
        }
        if tx
            .send(chunk(LogEvent::Lines(vec![format!(
                "{} line {n}",
                request.pod
            )])))
            .await
            .is_err()
        {
            return;
        }
        n += 1;
    }
}

struct Args {
    mouse: bool,
    stats: Option<String>,
    panic_on_refresh: bool,
}

fn args() -> Args {
    let mut args = Args {
        mouse: false,
        stats: None,
        panic_on_refresh: false,
    };
    let mut given = std::env::args().skip(1);
    while let Some(arg) = given.next() {
        match arg.as_str() {
            "--mouse" => args.mouse = true,
            "--stats" => args.stats = given.next(),
            "--panic-on-refresh" => args.panic_on_refresh = true,
            other => eprintln!("tui_harness: ignoring unknown argument {other}"),
        }
    }
    args
}

fn main() -> color_eyre::Result<()> {
    color_eyre::install()?;
    let args = args();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let code = runtime.block_on(run(args))?;
    std::process::exit(code);
}

async fn run(args: Args) -> color_eyre::Result<i32> {
    let config = Config::default();
    let keymap = Keymap::with_overrides(&config);
    let mut app = AppContext::new(config, keymap);
    app.context = "harness".into();
    app.management = "harness-mgmt".into();
    app.simulated = true;
    let rows = ["alpha", "bravo", "charlie", "delta"]
        .iter()
        .flat_map(|n| {
            Environment::PROMOTION_ORDER.iter().map(move |e| Item {
                name: format!("{n}-{}", e.as_str()),
                environment: e.clone(),
            })
        })
        .collect();
    let root = Items {
        rows,
        table: TableState::new(),
        panic_on_refresh: args.panic_on_refresh,
    };
    let mut state = AppState::new(app, Box::new(root), Rect::new(0, 0, 80, 24));
    let theme = Theme::load("default")?;
    let cancel = CancellationToken::new();
    let signals = SignalWatch::start(cancel.clone())?;
    let writer = CountingWriter::new(io::stdout());
    let bytes = writer.counter();
    let (mut terminal, guard) = terminal::enter(writer, TerminalOptions { mouse: args.mouse })?;
    let (tx, mut rx) = event_loop::channel();
    let mut runner = Runner::default();
    // Bytes written after a second without input: what an idle console costs.
    let idle_start = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(u64::MAX));
    let input = {
        let bytes = bytes.clone();
        let idle_start = idle_start.clone();
        let marker = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            idle_start.store(bytes.load(Ordering::Relaxed), Ordering::Relaxed);
        });
        drop(marker);
        EventStream::new()
    };
    let io = LoopIo {
        input,
        rx: &mut rx,
        tx: &tx,
        runner: &mut runner,
        cancel: &cancel,
    };
    let result = event_loop::run(
        &mut terminal,
        &mut state,
        &theme,
        io,
        LoopOptions::default(),
    )
    .await;
    drop(terminal);
    drop(guard);
    if let Some(path) = &args.stats {
        let total = bytes.load(Ordering::Relaxed);
        let idle = total.saturating_sub(idle_start.load(Ordering::Relaxed).min(total));
        std::fs::write(path, format!("bytes={total} idle_bytes={idle}\n"))?;
    }
    let exit = result?;
    println!("tui_harness: exit {exit:?}");
    Ok(match (exit, signals.received()) {
        (Exit::Cancelled, Some(signal)) => signal.exit_code(),
        _ => 0,
    })
}

//! The console itself (`k8tre-console` with no subcommand): discover the estate, take over the
//! terminal, run the event loop until the user quits, a signal arrives or the terminal goes
//! away, and give the terminal back whatever happens.
//!
//! [`run_console`] is the entry point other commands use too (`demo` runs it against the
//! simulated estate with `simulated: true`).

use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use color_eyre::Result;
use color_eyre::eyre::WrapErr;
use crossterm::event::EventStream;
use ratatui::layout::Rect;
use tokio_util::sync::CancellationToken;

use crate::app::event_loop::{self, Exit, LoopIo, LoopOptions};
use crate::app::runner::{KubeRunner, kubeconfig_user};
use crate::app::screens::{ConsoleRouter, OverviewScreen};
use crate::app::terminal::{self, CountingWriter, SignalWatch, TerminalOptions};
use crate::app::{AppContext, AppState, Msg};
use crate::audit::AuditLog;
use crate::cli::{ConsoleArgs, GlobalArgs};
use crate::config::{Config, ConfigLocation, Keymap, ProjectPaths};
use crate::live::{KubeconfigSource, LiveOptions, Session};
use crate::theme::{Theme, no_color_requested};

/// Exit code when the console cannot start (config, kubeconfig, no management cluster).
pub const CANNOT_START: i32 = 2;

/// Everything the console needs to start.
#[derive(Debug, Clone)]
pub struct ConsoleOptions {
    /// The kubeconfig to read; `None`: `$KUBECONFIG` or `~/.kube/config`.
    pub kubeconfig: Option<PathBuf>,
    /// The context to start from (tried first for the management cluster; shown as `ctx`).
    pub context: Option<String>,
    /// The management cluster's context; `None`: the config's, else probed.
    pub management_context: Option<String>,
    /// A GitOps checkout (catalog, expected Applications); `None`: the config's, else none.
    pub repo: Option<PathBuf>,
    /// The config, command-line flags already applied (`read_only` included).
    pub config: Config,
    /// Against the simulated estate: the SIMULATED badge shows.
    pub simulated: bool,
    /// Capture the mouse (clicks and the wheel reach the console).
    pub mouse: bool,
    /// Where the audit log goes; `None`: the config's, else the data directory's.
    pub audit_log: Option<PathBuf>,
    /// Measurements of the bytes written to the terminal (for tests and benchmarks): every
    /// second a line `seconds=S bytes=B` is appended to this file, and at exit
    /// `bytes=N idle_bytes=N` (those written after the first two seconds).
    pub stats: Option<PathBuf>,
}

impl ConsoleOptions {
    /// Options with defaults around a config.
    pub fn new(config: Config) -> ConsoleOptions {
        ConsoleOptions {
            kubeconfig: None,
            context: None,
            management_context: None,
            repo: None,
            config,
            simulated: false,
            mouse: false,
            audit_log: None,
            stats: None,
        }
    }
}

/// The default command: reads the config, applies the flags, runs the console.
pub async fn run(global: &GlobalArgs, args: &ConsoleArgs) -> Result<i32> {
    let config = match load_config(global) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("error: {error:#}");
            return Ok(CANNOT_START);
        }
    };
    let options = ConsoleOptions {
        kubeconfig: global.kubeconfig.clone(),
        context: global.context.clone(),
        management_context: args.mgmt_context.clone(),
        repo: args.repo.clone(),
        mouse: args.mouse,
        stats: args.stats.clone(),
        ..ConsoleOptions::new(config)
    };
    run_console(options).await
}

fn load_config(global: &GlobalArgs) -> Result<Config> {
    let location = ConfigLocation::from_cli(global.config.as_deref())?;
    let config = Config::load(&location)?;
    Ok(config.with_cli(global)?)
}

/// Runs the console until the user quits (0), a signal ends it (128 + the signal), or it
/// cannot start ([`CANNOT_START`], the reason on stderr). The terminal is restored on every
/// way out, panics included.
pub async fn run_console(options: ConsoleOptions) -> Result<i32> {
    let theme = match Theme::load_source(&options.config.theme, no_color_requested()) {
        Ok(theme) => theme,
        Err(error) => {
            eprintln!("error: {error}");
            return Ok(CANNOT_START);
        }
    };
    let keymap = Keymap::with_overrides(&options.config);
    let source = match KubeconfigSource::from_process(options.kubeconfig.as_deref()) {
        Ok(source) => source,
        Err(error) => {
            eprintln!("error: {error}");
            return Ok(CANNOT_START);
        }
    };
    let mut live = LiveOptions::new(source).with_config(&options.config);
    live.context = options.context.clone();
    if let Some(context) = &options.management_context {
        live.management_context = Some(context.clone());
    }
    if let Some(repo) = &options.repo {
        live.repo = Some(repo.clone());
    }
    let session = match Session::start(live).await {
        Ok(session) => session,
        Err(error) => {
            eprintln!("error: {error}");
            return Ok(CANNOT_START);
        }
    };
    let audit = if options.config.read_only {
        None
    } else {
        let path = match &options.audit_log {
            Some(path) => path.clone(),
            None => options.config.audit_log_path(&ProjectPaths::discover()?),
        };
        Some(AuditLog::open(&path).wrap_err("cannot open the audit log")?)
    };
    let parts = session.into_parts();
    let management = parts.model.management_context().to_string();
    let context = options
        .context
        .clone()
        .or_else(|| parts.contexts.current.clone())
        .unwrap_or_else(|| management.clone());
    let user = kubeconfig_user(&parts.contexts, &management);

    let read_only = options.config.read_only;
    let mut app = AppContext::new(options.config, keymap).with_estate(parts.model);
    app.read_only = read_only;
    app.simulated = options.simulated;
    app.context = context;
    app.management = management.clone();
    app.user = user;

    let (tx, mut rx) = event_loop::channel();
    let forwarder = tokio::spawn(forward(parts.events, tx.clone()));
    let mut runner = KubeRunner::new(parts.contexts, audit, Some(parts.supervisor), read_only);
    runner.identify(&management, &tx);

    let cancel = CancellationToken::new();
    let signals = SignalWatch::start(cancel.clone())?;
    let writer = CountingWriter::new(io::stdout());
    let bytes = writer.counter();
    let idle_mark = idle_marker(bytes.clone());
    let sampler = options
        .stats
        .clone()
        .map(|path| tokio::spawn(sample_bytes(path, bytes.clone())));
    let (mut terminal, guard) = terminal::enter(
        writer,
        TerminalOptions {
            mouse: options.mouse,
        },
    )?;
    let size = terminal.size().unwrap_or_default();
    let mut state = AppState::new(
        app,
        Box::new(OverviewScreen::new()),
        Rect::new(0, 0, size.width, size.height),
    )
    .with_router(Box::new(ConsoleRouter));
    let io = LoopIo {
        input: EventStream::new(),
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
    forwarder.abort();
    drop(runner);
    if let Some(sampler) = sampler {
        sampler.abort();
    }
    if let Some(path) = &options.stats {
        let total = bytes.load(Ordering::Relaxed);
        let idle_from = idle_mark.load(Ordering::Relaxed).min(total);
        append(
            path,
            &format!("bytes={total} idle_bytes={}\n", total - idle_from),
        )?;
    }
    let exit = result?;
    Ok(match (exit, signals.received()) {
        (Exit::Cancelled, Some(signal)) => signal.exit_code(),
        _ => 0,
    })
}

/// Watchers' events into the loop's channel, as they come.
async fn forward(
    mut events: tokio::sync::mpsc::Receiver<crate::live::LiveEvent>,
    tx: crate::app::MsgSender,
) {
    while let Some(event) = events.recv().await {
        if tx.send(Msg::Live(Box::new(event))).await.is_err() {
            return;
        }
    }
}

/// Appends a line to the stats file.
fn append(path: &std::path::Path, line: &str) -> io::Result<()> {
    use std::io::Write as _;
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?
        .write_all(line.as_bytes())
}

/// `seconds=S bytes=B` each second: the bytes written so far.
async fn sample_bytes(path: PathBuf, bytes: Arc<AtomicU64>) {
    let start = std::time::Instant::now();
    let mut every = tokio::time::interval(Duration::from_secs(1));
    loop {
        every.tick().await;
        let line = format!(
            "seconds={} bytes={}\n",
            start.elapsed().as_secs(),
            bytes.load(Ordering::Relaxed)
        );
        if append(&path, &line).is_err() {
            return;
        }
    }
}

/// The byte count two seconds in: what follows is what an idle console writes (when nothing
/// happens after that).
fn idle_marker(bytes: Arc<AtomicU64>) -> Arc<AtomicU64> {
    let mark = Arc::new(AtomicU64::new(u64::MAX));
    let set = mark.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(2)).await;
        set.store(bytes.load(Ordering::Relaxed), Ordering::Relaxed);
    });
    mark
}

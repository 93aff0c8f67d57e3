//! `screenshots`: starts the demo scenario's simulated estate in-process (as `demo` does),
//! waits until its story shows (an Application Degraded in prd, one OutOfSync in stg), reads
//! it through the live model as the console does, drives each screen with the keys a user
//! would press ([`crate::app::scenes`]), runs what they ask for against the estate (the whole
//! Application, a log stream, a server-side dry run) and writes each rendered frame to
//! `<out>/<screen>.svg` (`<screen>-<W>x<H>.svg` for sizes after the first).

use std::path::Path;
use std::time::Duration;

use color_eyre::Result;
use color_eyre::eyre::{WrapErr, eyre};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use tokio::sync::mpsc::Receiver;
use tokio::time::Instant;

use crate::app::runner::KubeRunner;
use crate::app::scenes::{self, Cast};
use crate::app::screens::{ConsoleRouter, OverviewScreen};
use crate::app::{AppContext, AppState, Effect, EffectRunner, Msg, MsgSender, event_loop, update};
use crate::cli::{GlobalArgs, ScreenshotsArgs};
use crate::config::{Config, Keymap};
use crate::domain::argocd::{HealthStatus, SyncStatus};
use crate::live::{EstateModel, KubeconfigSource, LiveOptions, Session};
use crate::sim::scenario::{Scenario, ScenarioOptions, SimulatedEstate};
use crate::theme::Theme;
use crate::ui::svg::{SvgOptions, to_svg};

/// The demo scenario's parts (`sim::scenario::build`): backend crash-loops in prd, gitea
/// drifts in stg.
fn demo_cast() -> Cast {
    Cast {
        degraded_app: "backend-k8tre-prd".into(),
        out_of_sync_app: "gitea-k8tre-stg".into(),
        cluster: "k8tre-prd".into(),
        search: "jupyter".into(),
    }
}

/// How long the scenario may take to tell its story.
const STORY: Duration = Duration::from_secs(180);
/// How long a scene's effects may take to come back.
const ANSWERS: Duration = Duration::from_millis(1500);

pub async fn run(_global: &GlobalArgs, args: &ScreenshotsArgs) -> Result<i32> {
    let tmp = tempfile::tempdir()?;
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home)?;
    let running = SimulatedEstate::start(ScenarioOptions {
        scenario: Scenario::Demo,
        speed: 8.0,
        kubeconfig_path: Some(tmp.path().join("kubeconfig")),
        git_home: Some(home),
        ..ScenarioOptions::default()
    })
    .await
    .wrap_err("cannot start the demo scenario")?;
    let result = capture(&running, args).await;
    running.stop().await;
    let written = result?;
    for path in &written {
        println!("{}", path.display());
    }
    Ok(0)
}

async fn capture(
    running: &SimulatedEstate,
    args: &ScreenshotsArgs,
) -> Result<Vec<std::path::PathBuf>> {
    let cast = demo_cast();
    let mut live = LiveOptions::new(KubeconfigSource::File(
        running.estate().kubeconfig_path().to_path_buf(),
    ));
    live.management_context = Some("k8tre-mgmt".into());
    live.repo = Some(running.repo_path().to_path_buf());
    let mut session = Session::start(live).await?;
    session.settle(Duration::from_secs(30)).await;
    wait_for_story(&mut session, &cast).await?;
    let parts = session.into_parts();
    let (tx, mut rx) = event_loop::channel();
    let forwarder = tokio::spawn(forward(parts.events, tx.clone()));
    let mut runner = KubeRunner::new(parts.contexts, None, Some(parts.supervisor), false);
    runner.identify("k8tre-mgmt", &tx);
    std::fs::create_dir_all(&args.out)
        .wrap_err_with(|| format!("cannot create {}", args.out.display()))?;
    let theme = Theme::builtin("default")?;
    let mut model = Some(parts.model);
    let mut written = Vec::new();
    for (index, &(width, height)) in args.sizes.iter().enumerate() {
        let suffix = if index == 0 {
            String::new()
        } else {
            format!("-{width}x{height}")
        };
        for scene in scenes::SCENES {
            let taken = model
                .take()
                .ok_or_else(|| eyre!("the model went missing"))?;
            let mut state = console(taken, width, height);
            let effects = (scene.drive)(&mut state, &cast);
            settle_effects(&mut state, effects, &mut runner, &tx, &mut rx).await;
            let buffer = render(&mut state, &theme, width, height)?;
            let path = args.out.join(format!("{}{suffix}.svg", scene.name));
            write(&path, &buffer)?;
            written.push(path);
            model = state.app.estate.take();
        }
    }
    forwarder.abort();
    Ok(written)
}

/// Applies events until the demo's Degraded and OutOfSync Applications show.
async fn wait_for_story(session: &mut Session, cast: &Cast) -> Result<()> {
    let deadline = Instant::now() + STORY;
    loop {
        session.drain();
        session.model_mut().refresh(chrono::Utc::now());
        let model = session.model();
        let degraded = model
            .app("argocd", &cast.degraded_app)
            .is_some_and(|(s, _)| s.health == HealthStatus::Degraded);
        let drifted = model
            .app("argocd", &cast.out_of_sync_app)
            .is_some_and(|(s, _)| s.sync == SyncStatus::OutOfSync);
        if degraded && drifted {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(eyre!(
                "the demo scenario did not show {} Degraded and {} OutOfSync within {} s",
                cast.degraded_app,
                cast.out_of_sync_app,
                STORY.as_secs()
            ));
        }
        match tokio::time::timeout(Duration::from_millis(200), session.recv()).await {
            Ok(Some(event)) => session.apply(event),
            Ok(None) => return Err(eyre!("the live model's watchers stopped")),
            Err(_) => {}
        }
    }
}

/// Runs a scene's effects against the estate and applies what comes back (and what that
/// asks for in turn) for a moment.
async fn settle_effects(
    state: &mut AppState,
    effects: Vec<Effect>,
    runner: &mut KubeRunner,
    tx: &MsgSender,
    rx: &mut Receiver<Msg>,
) {
    for effect in effects {
        runner.run(effect, tx);
    }
    let deadline = Instant::now() + ANSWERS;
    while let Ok(Some(msg)) = tokio::time::timeout_at(deadline, rx.recv()).await {
        let more = update(state, msg);
        for effect in more {
            runner.run(effect, tx);
        }
    }
    state.app.wall = chrono::Utc::now();
}

async fn forward(mut events: tokio::sync::mpsc::Receiver<crate::live::LiveEvent>, tx: MsgSender) {
    while let Some(event) = events.recv().await {
        if tx.send(Msg::Live(Box::new(event))).await.is_err() {
            return;
        }
    }
}

fn console(model: EstateModel, width: u16, height: u16) -> AppState {
    let config = Config::default();
    let keymap = Keymap::with_overrides(&config);
    let mut app = AppContext::new(config, keymap).with_estate(model);
    app.simulated = true;
    app.context = "k8tre-mgmt".into();
    app.management = "k8tre-mgmt".into();
    app.user = "k8tre-admin".into();
    app.wall = chrono::Utc::now();
    app.clock = crate::ui::status::clock_text(chrono::Local::now().fixed_offset());
    let mut state = AppState::new(
        app,
        Box::new(OverviewScreen::new()),
        Rect::new(0, 0, width, height),
    )
    .with_router(Box::new(ConsoleRouter));
    let _ = crate::app::start(&mut state);
    state
}

fn render(state: &mut AppState, theme: &Theme, width: u16, height: u16) -> Result<Buffer> {
    let mut terminal = Terminal::new(TestBackend::new(width, height))?;
    event_loop::draw(&mut terminal, state, theme).map_err(|e| eyre!("{e}"))?;
    Ok(terminal.backend().buffer().clone())
}

fn write(path: &Path, buffer: &Buffer) -> Result<()> {
    std::fs::write(path, to_svg(buffer, &SvgOptions::default()))
        .wrap_err_with(|| format!("cannot write {}", path.display()))
}

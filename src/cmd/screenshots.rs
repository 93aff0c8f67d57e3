//! `screenshots`: starts a simulated estate in-process, seeds it with the showcase
//! (`sim::scenario::showcase`), reads it through the live model exactly as the console does,
//! drives each screen with the keys a user would press, and writes the rendered buffer of
//! each to `<out>/<screen>.svg` (`<screen>-<W>x<H>.svg` for sizes after the first).

use std::path::Path;
use std::time::Duration;

use color_eyre::Result;
use color_eyre::eyre::{WrapErr, eyre};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::app::screens::{ConsoleRouter, OverviewScreen};
use crate::app::{AppContext, AppState, event_loop, scenes};
use crate::cli::{GlobalArgs, ScreenshotsArgs};
use crate::config::{Config, Keymap};
use crate::gitops::scan::RepoScan;
use crate::live::{KubeconfigSource, LiveOptions, Session};
use crate::sim::demo_repo::{DemoRepoOptions, create_demo_repo};
use crate::sim::scenario::showcase;
use crate::sim::{Estate, EstateOptions};
use crate::theme::Theme;
use crate::ui::svg::{SvgOptions, to_svg};

pub async fn run(_global: &GlobalArgs, args: &ScreenshotsArgs) -> Result<i32> {
    let estate = Estate::start(EstateOptions::with_clusters(&["mgmt", "dev", "stg", "prd"]))
        .await
        .wrap_err("cannot start the simulated estate")?;
    let dir = tempfile::tempdir()?;
    let repo = create_demo_repo(
        &dir.path().join("repo"),
        &DemoRepoOptions {
            repo_url: Some("https://github.com/k8tre/k8tre-demo.git".into()),
            git_home: Some(dir.path().join("home")),
        },
    )?;
    let scan = RepoScan::checkout(&repo.path)?;
    let revisions: Vec<String> = repo.commits.iter().map(|c| c.sha.clone()).collect();
    let seeded = showcase::seed(&estate, &scan, &revisions, chrono::Utc::now())
        .map_err(|e| eyre!("cannot seed the estate: {e:?}"))?;
    let mut live = LiveOptions::new(KubeconfigSource::File(
        estate.kubeconfig_path().to_path_buf(),
    ));
    live.management_context = Some("k8tre-mgmt".into());
    live.repo = Some(repo.path.clone());
    let mut session = Session::start(live).await?;
    if !session.settle(Duration::from_secs(30)).await {
        return Err(eyre!("the simulated estate did not answer within 30 s"));
    }
    // Bookmarks and late events: let the model take in what is on its way.
    tokio::time::sleep(Duration::from_millis(300)).await;
    session.drain();
    session.model_mut().refresh(chrono::Utc::now());
    let parts = session.into_parts();
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
            let Some(taken) = model.take() else {
                break;
            };
            let mut state = console(taken, width, height);
            (scene.drive)(&mut state, &seeded);
            let buffer = render(&mut state, &theme, width, height)?;
            let path = args.out.join(format!("{}{suffix}.svg", scene.name));
            write(&path, &buffer)?;
            written.push(path);
            model = state.app.estate.take();
        }
    }
    for path in &written {
        println!("{}", path.display());
    }
    drop(estate);
    Ok(0)
}

fn console(model: crate::live::EstateModel, width: u16, height: u16) -> AppState {
    let config = Config::default();
    let keymap = Keymap::with_overrides(&config);
    let mut app = AppContext::new(config, keymap).with_estate(model);
    app.simulated = true;
    app.context = "k8tre-mgmt".into();
    app.management = "k8tre-mgmt".into();
    app.user = "alice@k8tre.org".into();
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

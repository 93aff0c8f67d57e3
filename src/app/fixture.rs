//! The showcase estate (`sim::scenario::showcase`) fed into a model through the watchers'
//! own conversions at fixed times, wrapped in an [`AppState`]: what the screen tests render.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, TimeZone, Utc};
use kube::config::Kubeconfig;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::component::Screen;
use super::context::AppContext;
use super::screens::{ConsoleRouter, OverviewScreen};
use super::state::AppState;
use crate::config::{Config, Keymap};
use crate::gitops::scan::RepoScan;
use crate::live::discovery::{Contexts, KubeconfigSource};
use crate::live::model::{EstateModel, ModelSettings};
use crate::live::{SharedStrings, replay};
use crate::sim::demo_repo::{DemoRepoOptions, create_demo_repo};
use crate::sim::scenario::showcase::{self, MANAGEMENT, ShowcaseInputs, TARGETS};
use crate::ui::testing;

/// When the showcase is observed.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 8, 22, 12, 0, 0)
        .single()
        .expect("time")
}

pub fn server(cluster: &str) -> String {
    format!("https://{cluster}.sim.k8tre.test:6443")
}

pub fn context(cluster: &str) -> String {
    format!("k8tre-{cluster}")
}

struct Repo {
    scan: Arc<RepoScan>,
    revisions: Vec<String>,
    _dir: tempfile::TempDir,
}

/// The demo repository, made once per test process.
fn repo() -> &'static Repo {
    static REPO: OnceLock<Repo> = OnceLock::new();
    REPO.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let repo = create_demo_repo(
            &dir.path().join("repo"),
            &DemoRepoOptions {
                repo_url: Some("https://github.com/k8tre/k8tre-demo.git".into()),
                git_home: Some(dir.path().join("home")),
            },
        )
        .expect("demo repo");
        let scan = RepoScan::checkout(&repo.path).expect("scan");
        Repo {
            scan: Arc::new(scan),
            // Fixed revisions, so the snapshots do not move with the demo repository's content.
            revisions: [
                "84f91d1b9a2dd631dccd65b9c7e0da0b78bf40b5",
                "008afe4c1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b",
                "5c2e7d9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            _dir: dir,
        }
    })
}

fn kubeconfig() -> Kubeconfig {
    let mut yaml =
        String::from("apiVersion: v1\nkind: Config\ncurrent-context: k8tre-mgmt\nclusters:\n");
    let clusters: Vec<&str> = std::iter::once(MANAGEMENT)
        .chain(TARGETS.iter().map(|(c, _, _)| *c))
        .collect();
    for c in &clusters {
        yaml.push_str(&format!(
            "- {{name: {c}, cluster: {{server: \"{}\"}}}}\n",
            server(c)
        ));
    }
    yaml.push_str("contexts:\n");
    for c in &clusters {
        yaml.push_str(&format!(
            "- {{name: {}, context: {{cluster: {c}, user: admin}}}}\n",
            context(c)
        ));
    }
    yaml.push_str("users:\n- {name: admin, user: {token: t}}\n");
    Kubeconfig::from_yaml(&yaml).expect("kubeconfig")
}

pub fn showcase() -> showcase::Showcase {
    let repo = repo();
    showcase::build(&ShowcaseInputs {
        scan: &repo.scan,
        revisions: &repo.revisions,
        server: &server,
        now: now(),
    })
}

/// The showcase's Application `name`, whole, as a fetch would return it.
pub fn application(name: &str) -> Option<crate::domain::argocd::Application> {
    showcase()
        .objects_of(MANAGEMENT)
        .into_iter()
        .find(|o| o["kind"] == "Application" && o["metadata"]["name"] == name)
        .and_then(|o| serde_json::from_value(o).ok())
}

/// The showcase's parts for the scenes.
pub fn cast() -> super::scenes::Cast {
    super::scenes::Cast {
        degraded_app: showcase::DEGRADED_APP.into(),
        out_of_sync_app: showcase::OUT_OF_SYNC_APP.into(),
        cluster: "k8tre-stg".into(),
        search: "jupyter".into(),
    }
}

/// Answers the effects a cluster would, one round: returns the effects the answers asked for.
pub fn run_effects_once(
    state: &mut AppState,
    effects: Vec<super::effect::Effect>,
) -> Vec<super::effect::Effect> {
    let mut next = Vec::new();
    for effect in effects {
        if let Some(msg) = answer(&effect) {
            next.extend(super::update::update(state, msg));
        }
    }
    next
}

/// Answers the effects a cluster would: a fetch with the showcase's object, a log stream with
/// its lines, a dry run with success. Returns the effects left (writes, closes, quits).
pub fn run_effects(
    state: &mut AppState,
    effects: Vec<super::effect::Effect>,
) -> Vec<super::effect::Effect> {
    let mut rest = Vec::new();
    for effect in effects {
        match answer(&effect) {
            Some(msg) => {
                let more = super::update::update(state, msg);
                rest.extend(run_effects(state, more));
            }
            None => rest.push(effect),
        }
    }
    rest
}

/// What a cluster would answer to `effect`, if anything.
fn answer(effect: &super::effect::Effect) -> Option<super::msg::Msg> {
    use super::effect::Effect;
    use super::msg::{LogChunk, LogEvent, Msg};
    match effect {
        Effect::FetchApp { name, .. } => {
            application(name).map(|app| Msg::Fetched(Ok(Box::new(app))))
        }
        Effect::ReadResources(request) => Some(Msg::Read(read_resources(request))),
        Effect::OpenLogs(request) => showcase()
            .logs
            .iter()
            .find(|l| l.pod == request.pod && l.namespace == request.namespace)
            .map(|log| {
                Msg::Log(LogChunk {
                    stream: request.stream,
                    event: LogEvent::Lines(log.lines.iter().map(|(_, l)| l.clone()).collect()),
                })
            }),
        Effect::Action {
            request,
            dry_run: true,
        } => Some(Msg::Action(super::action::ActionResult::for_request(
            request,
            true,
            Ok("dry run passed: the API server accepted the patch".into()),
        ))),
        _ => None,
    }
}

/// Reads the requested resources from the showcase's objects of the cluster behind the
/// request's context, as a cluster would answer them.
fn read_resources(request: &super::effect::ReadRequest) -> super::msg::ResourcesRead {
    use super::msg::ReadOutcome;
    let cluster = TARGETS
        .iter()
        .find(|(_, context, _)| *context == request.context)
        .map(|(cluster, _, _)| *cluster);
    let objects = cluster
        .map(|c| showcase().objects_of(c))
        .unwrap_or_default();
    let outcomes = request
        .resources
        .iter()
        .map(|resource| {
            let found = objects.iter().find(|o| {
                o["kind"] == resource.kind.as_str()
                    && o["metadata"]["name"] == resource.name.as_str()
                    && o["metadata"]["namespace"].as_str().unwrap_or("") == resource.namespace
            });
            let outcome = match (cluster, found) {
                (None, _) => ReadOutcome::Failed(format!("no cluster {}", request.context)),
                (Some(_), None) => ReadOutcome::NotFound,
                (Some(_), Some(object)) => crate::domain::health::assess(object)
                    .map_or(ReadOutcome::NoCheck, ReadOutcome::Assessed),
            };
            (resource.clone(), outcome)
        })
        .collect();
    super::msg::ResourcesRead {
        id: request.id,
        outcomes,
    }
}

/// The showcase as a refreshed model, observed at [`now`].
pub fn model() -> EstateModel {
    let repo = repo();
    let now = now();
    let built = showcase();
    let contexts = Contexts::from_kubeconfig(
        kubeconfig(),
        KubeconfigSource::File(PathBuf::from("/kubeconfig")),
    )
    .expect("contexts");
    let mut model = EstateModel::new(
        ModelSettings::new(&context(MANAGEMENT)),
        Arc::new(contexts),
        SharedStrings::default(),
    );
    model.set_repo(repo.scan.clone());
    let at = now - chrono::Duration::seconds(20);
    replay::list_all(
        &mut model,
        &context(MANAGEMENT),
        showcase::kubernetes_version(MANAGEMENT),
        &built.objects_of(MANAGEMENT),
        at,
    );
    model.take_connections_change();
    for (cluster, _, _) in TARGETS {
        replay::list_all(
            &mut model,
            &context(cluster),
            showcase::kubernetes_version(cluster),
            &built.objects_of(cluster),
            at,
        );
    }
    model.take_connections_change();
    model.refresh(now);
    model
}

pub fn app_context(read_only: bool) -> AppContext {
    let config = Config {
        read_only,
        ..Config::default()
    };
    let keymap = Keymap::with_overrides(&config);
    let mut app = AppContext::new(config, keymap).with_estate(model());
    app.wall = now();
    app.clock = "12:00".into();
    app.context = context(MANAGEMENT);
    app.management = context(MANAGEMENT);
    app.simulated = true;
    app.user = "alice@k8tre.org".into();
    app
}

/// A console at `width`×`height` showing the overview of the showcase.
pub fn state(width: u16, height: u16) -> AppState {
    state_with(Box::new(OverviewScreen::new()), width, height, false)
}

pub fn state_with(root: Box<dyn Screen>, width: u16, height: u16, read_only: bool) -> AppState {
    let mut state = AppState::new(app_context(read_only), root, Rect::new(0, 0, width, height))
        .with_router(Box::new(ConsoleRouter));
    let effects = super::update::start(&mut state);
    run_effects(&mut state, effects);
    state
}

/// The whole frame as the terminal would show it.
pub fn frame(state: &mut AppState) -> Buffer {
    state.prepare_frame();
    let size = state.size();
    let theme = testing::theme();
    testing::buffer(size.width, size.height, |frame, _| {
        crate::ui::root::render(frame, state, &theme)
    })
}

pub fn text(state: &mut AppState) -> String {
    testing::text(&frame(state))
}

//! The console's own costs at estate scale (`cargo bench --bench console`; `cargo test --bench
//! console` runs the same report unoptimized): a model of 2,000 Applications and 50,000 pods
//! built from live events, then
//! - the time to render a frame of each screen (160×48 and 300×100), cached and after a change;
//! - bytes written to the terminal per second by the real event loop, idle and under churn
//!   (100 changes a second: pods flapping, Applications changing health);
//! - latency from a change arriving to the frame that shows it (p50, p99), under that churn.
//!
//! Prints numbers; asserts nothing about speed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use k8tre_console::app::event_loop::{self, LoopIo, LoopOptions};
use k8tre_console::app::screens::{ConsoleRouter, OverviewScreen};
use k8tre_console::app::terminal::CountingWriter;
use k8tre_console::app::{
    AppContext, AppState, Effect, EffectRunner, Msg, MsgSender, Target, goto_target, update,
};
use k8tre_console::config::{Config, Keymap};
use k8tre_console::live::discovery::{Contexts, KubeconfigSource};
use k8tre_console::live::model::{EstateModel, ModelSettings};
use k8tre_console::live::{LiveEvent, SharedStrings, replay};
use k8tre_console::theme::Theme;
use kube::config::Kubeconfig;
use parking_lot::Mutex;
use ratatui::backend::{Backend, ClearType, CrosstermBackend, TestBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Rect, Size};
use ratatui::{Terminal, TerminalOptions, Viewport};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

const APPS: usize = 2_000;
const PODS: usize = 50_000;
const TARGETS: [&str; 3] = ["dev", "stg", "prd"];
const CHURN_PER_SECOND: u64 = 100;

fn server(cluster: &str) -> String {
    format!("https://{cluster}.bench.k8tre.test:6443")
}

fn kubeconfig() -> Kubeconfig {
    let mut yaml = String::from("apiVersion: v1\nkind: Config\ncurrent-context: mgmt\nclusters:\n");
    for c in ["mgmt", "dev", "stg", "prd"] {
        yaml.push_str(&format!(
            "- {{name: {c}, cluster: {{server: \"{}\"}}}}\n",
            server(c)
        ));
    }
    yaml.push_str("contexts:\n");
    for c in ["mgmt", "dev", "stg", "prd"] {
        yaml.push_str(&format!(
            "- {{name: {c}, context: {{cluster: {c}, user: u}}}}\n"
        ));
    }
    yaml.push_str("users:\n- {name: u, user: {token: t}}\n");
    Kubeconfig::from_yaml(&yaml).expect("kubeconfig")
}

fn secret(cluster: &str) -> Value {
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    json!({"apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": format!("cluster-{cluster}"), "namespace": "argocd",
            "labels": {"argocd.argoproj.io/secret-type": "cluster", "environment": cluster, "vendor": "k3s"}},
        "data": {"name": b64(cluster), "server": b64(&server(cluster))}})
}

fn application(i: usize, health: &str, revision: &str) -> Value {
    let env = TARGETS[i % 3];
    let layer = if i.is_multiple_of(2) {
        "apps"
    } else {
        "agnostics"
    };
    json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
        "metadata": {"name": format!("comp-{i:04}-{env}"), "namespace": "argocd", "resourceVersion": "1",
            "ownerReferences": [{"apiVersion": "argoproj.io/v1alpha1", "kind": "ApplicationSet", "name": format!("comp-{}", i / 3), "uid": "u", "controller": true}]},
        "spec": {"project": "default", "destination": {"server": server(env), "namespace": format!("ns-{i}")},
            "source": {"repoURL": "https://github.com/k8tre/k8tre.git", "targetRevision": "main", "path": format!("{layer}/comp-{}/envs/{env}", i / 3 % 40)},
            "syncPolicy": {"automated": {"prune": true, "selfHeal": true}}},
        "status": {"sync": {"status": "Synced", "revision": revision}, "health": {"status": health},
            "resources": [{"group": "apps", "version": "v1", "kind": "Deployment", "namespace": format!("ns-{i}"), "name": format!("comp-{i}"), "status": "Synced"}],
            "history": [{"id": 0, "revision": revision, "deployedAt": "2026-08-22T10:00:05Z"}],
            "operationState": {"phase": "Succeeded", "startedAt": "2026-08-22T10:00:00Z", "finishedAt": "2026-08-22T10:00:05Z",
                "operation": {"sync": {}, "initiatedBy": {"automated": true}}}}
    })
}

fn pod(app: usize, j: usize, ready: bool) -> Value {
    let mut pod = support::pod(
        &format!("ns-{app}"),
        &format!("comp-{app}-7d9f8c6b5-{j:05}"),
        &format!("comp-{app}"),
    );
    if !ready {
        pod["status"]["conditions"][1]["status"] = json!("False");
        pod["status"]["containerStatuses"][0]["ready"] = json!(false);
        pod["status"]["containerStatuses"][0]["restartCount"] = json!(4);
        pod["status"]["containerStatuses"][0]["state"] =
            json!({"waiting": {"reason": "CrashLoopBackOff"}});
    }
    pod
}

/// The estate: three targets, `APPS` Applications, `PODS` pods (`PODS / APPS` per app).
fn model() -> EstateModel {
    let contexts =
        Contexts::from_kubeconfig(kubeconfig(), KubeconfigSource::File(PathBuf::from("/kc")))
            .expect("contexts");
    let mut model = EstateModel::new(
        ModelSettings::new("mgmt"),
        Arc::new(contexts),
        SharedStrings::default(),
    );
    let at = Utc::now();
    let mut mgmt: Vec<Value> = TARGETS.iter().map(|c| secret(c)).collect();
    for i in 0..APPS {
        let health = if i == 0 { "Degraded" } else { "Healthy" };
        mgmt.push(application(
            i,
            health,
            "4f9c2d7e1a0b3c5d6e7f8091a2b3c4d5e6f70812",
        ));
    }
    replay::list_all(&mut model, "mgmt", "v1.32.4+k3s1", &mgmt, at);
    model.take_connections_change();
    let per_app = PODS / APPS;
    for (t, cluster) in TARGETS.iter().enumerate() {
        let mut objects = Vec::new();
        for i in (t..APPS).step_by(3) {
            for j in 0..per_app {
                objects.push(pod(i, j, true));
            }
        }
        replay::list_all(&mut model, cluster, "v1.32.4+k3s1", &objects, at);
    }
    model.take_connections_change();
    model.refresh(Utc::now());
    model
}

fn state(model: EstateModel, width: u16, height: u16) -> AppState {
    let config = Config::default();
    let keymap = Keymap::with_overrides(&config);
    let mut app = AppContext::new(config, keymap).with_estate(model);
    app.context = "mgmt".into();
    app.management = "mgmt".into();
    app.clock = "12:00".into();
    let mut state = AppState::new(
        app,
        Box::new(OverviewScreen::new()),
        Rect::new(0, 0, width, height),
    )
    .with_router(Box::new(ConsoleRouter));
    let _ = k8tre_console::app::start(&mut state);
    state
}

/// Mean time of `run` over `iterations`, after one warm-up.
fn time<F: FnMut()>(iterations: u32, mut run: F) -> Duration {
    run();
    let start = Instant::now();
    for _ in 0..iterations {
        run();
    }
    start.elapsed() / iterations
}

/// A change to one Application (`health`, `revision`), as its watcher would send it.
fn app_event(model: &EstateModel, i: usize, health: &str, revision: &str) -> LiveEvent {
    replay::applied(model, "mgmt", application(i, health, revision), Utc::now()).expect("event")
}

fn pod_event(model: &EstateModel, app: usize, j: usize, ready: bool) -> LiveEvent {
    replay::applied(model, TARGETS[app % 3], pod(app, j, ready), Utc::now()).expect("event")
}

fn report_frames(model: EstateModel, iterations: u32) -> EstateModel {
    let theme = Theme::builtin("default").expect("theme");
    let mut model = Some(model);
    for (width, height) in [(160u16, 48u16), (300, 100)] {
        let mut state = state(model.take().expect("model"), width, height);
        let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
        let cached = time(iterations, || {
            state.mark_dirty();
            event_loop::draw(&mut terminal, &mut state, &theme).expect("draw");
        });
        let mut n = 0usize;
        let changed = time(iterations, || {
            n += 1;
            let event = app_event(
                state.app.estate.as_ref().expect("estate"),
                3 + n % 50,
                if n.is_multiple_of(2) {
                    "Progressing"
                } else {
                    "Healthy"
                },
                "4f9c2d7e1a0b3c5d6e7f8091a2b3c4d5e6f70812",
            );
            let _ = update(&mut state, Msg::Live(Box::new(event)));
            event_loop::draw(&mut terminal, &mut state, &theme).expect("draw");
        });
        let _ = goto_target(&mut state, Target::App("argocd/comp-0000-dev".into()));
        let detail = time(iterations, || {
            let event = pod_event(
                state.app.estate.as_ref().expect("estate"),
                0,
                n % 25,
                n.is_multiple_of(2),
            );
            n += 1;
            let _ = update(&mut state, Msg::Live(Box::new(event)));
            event_loop::draw(&mut terminal, &mut state, &theme).expect("draw");
        });
        let _ = update(
            &mut state,
            Msg::Input(crossterm::event::Event::Key(
                crossterm::event::KeyEvent::new(
                    crossterm::event::KeyCode::Esc,
                    crossterm::event::KeyModifiers::NONE,
                ),
            )),
        );
        let _ = goto_target(
            &mut state,
            Target::Command(k8tre_console::config::Command::Triage),
        );
        let model_ref = state.app.estate.as_ref().expect("estate");
        let triage_build = time(iterations.min(20), || {
            std::hint::black_box(k8tre_console::app::views::triage::problems(
                model_ref,
                Utc::now(),
            ));
        });
        println!(
            "frame at {width}x{height} with {APPS} Applications and {PODS} pods: overview cached {:.2} ms, \
             overview after a change {:.2} ms, app detail after a pod change {:.2} ms; triage rebuild {:.2} ms",
            ms(cached),
            ms(changed),
            ms(detail),
            ms(triage_build),
        );
        model = state.app.estate.take();
    }
    model.expect("model")
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Runs no effect.
struct NoRunner;

impl EffectRunner for NoRunner {
    fn run(&mut self, _effect: Effect, _tx: &MsgSender) {}
}

/// The token a probe waits to see on screen, and when its change was sent.
type Awaited = Arc<Mutex<Option<(String, Instant)>>>;

/// A backend that records when a frame shows an awaited token.
struct Probe {
    inner: TestBackend,
    awaited: Awaited,
    samples: Arc<Mutex<Vec<f64>>>,
}

impl Backend for Probe {
    type Error = std::convert::Infallible;

    fn draw<'a, I: Iterator<Item = (u16, u16, &'a Cell)>>(
        &mut self,
        content: I,
    ) -> Result<(), Self::Error> {
        self.inner.draw(content)
    }
    fn hide_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.hide_cursor()
    }
    fn show_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.show_cursor()
    }
    fn get_cursor_position(&mut self) -> Result<Position, Self::Error> {
        self.inner.get_cursor_position()
    }
    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> Result<(), Self::Error> {
        self.inner.set_cursor_position(position)
    }
    fn clear(&mut self) -> Result<(), Self::Error> {
        self.inner.clear()
    }
    fn clear_region(&mut self, clear_type: ClearType) -> Result<(), Self::Error> {
        self.inner.clear_region(clear_type)
    }
    fn size(&self) -> Result<Size, Self::Error> {
        self.inner.size()
    }
    fn window_size(&mut self) -> Result<WindowSize, Self::Error> {
        self.inner.window_size()
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        let mut awaited = self.awaited.lock();
        if let Some((token, sent)) = awaited.as_ref() {
            let buffer = self.inner.buffer();
            let row_has = (0..buffer.area.height).any(|y| {
                let row: String = (0..buffer.area.width)
                    .map(|x| buffer[(x, y)].symbol())
                    .collect();
                row.contains(token.as_str())
            });
            if row_has {
                self.samples
                    .lock()
                    .push(sent.elapsed().as_secs_f64() * 1000.0);
                *awaited = None;
            }
        }
        self.inner.flush()
    }
}

/// Sends churn: `CHURN_PER_SECOND` changes a second (pods flapping, Applications changing
/// health) for `seconds`; with `probe`, every 10th change is the top Application's revision
/// set to a new token the probe waits for.
async fn churn(
    tx: MsgSender,
    events: Vec<LiveEvent>,
    probes: Vec<(String, LiveEvent)>,
    awaited: Option<Awaited>,
) {
    let interval = Duration::from_micros(1_000_000 / CHURN_PER_SECOND);
    let mut ticker = tokio::time::interval(interval);
    let mut probes = probes.into_iter();
    for (n, event) in events.into_iter().enumerate() {
        ticker.tick().await;
        if n % 10 == 9
            && let Some(awaited) = &awaited
            && let Some((token, probe)) = probes.next()
        {
            *awaited.lock() = Some((token, Instant::now()));
            let _ = tx.send(Msg::Live(Box::new(probe))).await;
            continue;
        }
        let _ = tx.send(Msg::Live(Box::new(event))).await;
    }
}

fn churn_events(model: &EstateModel, count: usize) -> Vec<LiveEvent> {
    (0..count)
        .map(|n| {
            if n % 5 == 0 {
                let app = 3 + (n / 5) % 60;
                app_event(
                    model,
                    app,
                    if n.is_multiple_of(2) {
                        "Progressing"
                    } else {
                        "Healthy"
                    },
                    "4f9c2d7e1a0b3c5d6e7f8091a2b3c4d5e6f70812",
                )
            } else {
                let app = n % APPS;
                pod_event(model, app, n % (PODS / APPS), n % 3 != 0)
            }
        })
        .collect()
}

/// Bytes written by the real event loop over `seconds` idle, then `seconds` of churn.
fn report_bytes(model: EstateModel, seconds: u64) -> EstateModel {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let theme = Theme::builtin("default").expect("theme");
        let (width, height) = (160u16, 48u16);
        let writer = CountingWriter::new(io::sink());
        let bytes = writer.counter();
        let options = TerminalOptions { viewport: Viewport::Fixed(Rect::new(0, 0, width, height)) };
        let mut terminal = Terminal::with_options(CrosstermBackend::new(writer), options).expect("terminal");
        let events = churn_events(&model, (CHURN_PER_SECOND * seconds) as usize);
        let mut state = state(model, width, height);
        let (tx, mut rx) = event_loop::channel();
        let cancel = CancellationToken::new();
        let samples = {
            let tx = tx.clone();
            let cancel = cancel.clone();
            let bytes = bytes.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(500)).await;
                let start = bytes.load(std::sync::atomic::Ordering::Relaxed);
                tokio::time::sleep(Duration::from_secs(seconds)).await;
                let idle = bytes.load(std::sync::atomic::Ordering::Relaxed) - start;
                let before = bytes.load(std::sync::atomic::Ordering::Relaxed);
                churn(tx, events, Vec::new(), None).await;
                let busy = bytes.load(std::sync::atomic::Ordering::Relaxed) - before;
                cancel.cancel();
                (idle, busy)
            })
        };
        let io = LoopIo { input: Box::pin(futures::stream::pending()), rx: &mut rx, tx: &tx, runner: &mut NoRunner, cancel: &cancel };
        event_loop::run(&mut terminal, &mut state, &theme, io, LoopOptions::default()).await.expect("loop");
        let (idle, busy) = samples.await.expect("samples");
        println!(
            "bytes to the terminal at {width}x{height}: idle {:.1} B/s over {seconds} s; under churn ({CHURN_PER_SECOND} changes/s) {:.0} B/s",
            idle as f64 / seconds as f64,
            busy as f64 / seconds as f64,
        );
        state.app.estate.take().expect("model")
    })
}

/// Change → frame latency under churn.
fn report_latency(model: EstateModel, seconds: u64) -> EstateModel {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let theme = Theme::builtin("default").expect("theme");
        let (width, height) = (160u16, 48u16);
        let awaited = Arc::new(Mutex::new(None));
        let samples = Arc::new(Mutex::new(Vec::new()));
        let backend = Probe { inner: TestBackend::new(width, height), awaited: awaited.clone(), samples: samples.clone() };
        let mut terminal = Terminal::new(backend).expect("terminal");
        let count = (CHURN_PER_SECOND * seconds) as usize;
        let events = churn_events(&model, count);
        // The Degraded app sorts first: its revision column is always on screen.
        let probes: Vec<(String, LiveEvent)> = (0..count / 10)
            .map(|n| {
                let token = format!("{:07x}", 0xa000000 + n);
                let revision = format!("{token}{}", "0".repeat(33));
                (token, app_event(&model, 0, "Degraded", &revision))
            })
            .collect();
        let mut state = state(model, width, height);
        let (tx, mut rx) = event_loop::channel();
        let cancel = CancellationToken::new();
        let producer = {
            let tx = tx.clone();
            let cancel = cancel.clone();
            let awaited = awaited.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(300)).await;
                churn(tx, events, probes, Some(awaited)).await;
                tokio::time::sleep(Duration::from_millis(300)).await;
                cancel.cancel();
            })
        };
        let io = LoopIo { input: Box::pin(futures::stream::pending()), rx: &mut rx, tx: &tx, runner: &mut NoRunner, cancel: &cancel };
        event_loop::run(&mut terminal, &mut state, &theme, io, LoopOptions::default()).await.expect("loop");
        producer.await.expect("producer");
        let mut samples = samples.lock().clone();
        samples.sort_by(|a, b| a.total_cmp(b));
        println!(
            "change → frame under {CHURN_PER_SECOND} changes/s: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} probes seen)",
            support::percentile(&samples, 50.0),
            support::percentile(&samples, 99.0),
            samples.last().copied().unwrap_or(f64::NAN),
            samples.len(),
        );
        state.app.estate.take().expect("model")
    })
}

fn main() {
    let optimized = std::env::args().any(|a| a == "--bench");
    let started = Instant::now();
    let model = model();
    let stats = model.stats();
    println!(
        "model: {} Applications, {} pods, built from live events in {:.1} s{}",
        stats.applications,
        stats.pods,
        started.elapsed().as_secs_f64(),
        if optimized {
            ""
        } else {
            " (unoptimized build: `cargo bench --bench console` for release numbers)"
        }
    );
    let model = report_frames(model, if optimized { 50 } else { 5 });
    let seconds = if optimized { 10 } else { 4 };
    let model = report_bytes(model, seconds);
    let _ = report_latency(model, seconds);
}

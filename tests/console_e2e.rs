//! The console end to end, in tmux, as a user runs it: the real binary against a simulated
//! estate served over HTTPS from this test process (a management cluster running the
//! simulated ArgoCD on the demo repository, three targets with their workload controllers).
//!
//! A read-only run first: the console shows the estate, an action shows what it would send and
//! that it is disabled, and the simulation's request log holds no write at all. Then a normal
//! run: the matrix with its three layers and three environments, an Application's detail and
//! a pod's logs, triage, a refresh on a dev Application that the simulated ArgoCD takes in
//! (its annotation written by the console, then removed by the controller), and a quit that
//! leaves the terminal restored.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common_tmux;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common_tmux::{Tmux, wait_for_file};
use k8tre_console::sim::argocd::{
    self, ArgoCd, ArgoCdHandle, ArgoCdOptions, ClusterRegistration, InstallOptions, prerequisites,
};
use k8tre_console::sim::clock::SimClock;
use k8tre_console::sim::demo_repo::{DemoRepo, DemoRepoOptions, create_demo_repo};
use k8tre_console::sim::requestlog::RequestRecord;
use k8tre_console::sim::workloads::{WorkloadOptions, Workloads, WorkloadsHandle};
use k8tre_console::sim::{Estate, EstateOptions};
use serde_json::Value;
use tempfile::TempDir;

const TARGETS: [&str; 3] = ["dev", "stg", "prd"];
/// The simulated estate's clock runs this much faster than real time.
const SPEED: f64 = 10.0;
/// What the simulated controllers must get done first (ArgoCD generating and syncing).
const PATIENCE: Duration = Duration::from_secs(90);
/// The Application the refresh is run on.
const DEV_APP: &str = "jupyterhub-k8tre-dev";

struct Sim {
    estate: Estate,
    repo: DemoRepo,
    argocd: Option<ArgoCdHandle>,
    workloads: Vec<WorkloadsHandle>,
    tmp: TempDir,
}

impl Sim {
    async fn start() -> Sim {
        let tmp = TempDir::new().unwrap();
        let estate = Estate::start(EstateOptions {
            request_log: Some(tmp.path().join("requests.jsonl")),
            kubeconfig_path: Some(tmp.path().join("kubeconfig")),
            ..EstateOptions::with_clusters(&["mgmt", "dev", "stg", "prd"])
        })
        .await
        .expect("estate");
        let home = tmp.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        let repo = create_demo_repo(
            &tmp.path().join("repo"),
            &DemoRepoOptions {
                git_home: Some(home.clone()),
                ..Default::default()
            },
        )
        .unwrap();
        for target in TARGETS {
            prerequisites::seed_target(estate.cluster(target).unwrap()).unwrap();
        }
        argocd::install(
            estate.cluster("mgmt").unwrap(),
            &InstallOptions {
                targets: ClusterRegistration::demo(&estate),
                root_app_from: Some(repo.path.clone()),
                ..Default::default()
            },
        )
        .unwrap();
        let mut options = ArgoCdOptions::for_estate(&estate, "mgmt", repo.path.clone()).unwrap();
        options.repo_url = Some(repo.repo_url.clone());
        options.git_home = Some(home);
        options.clock = SimClock::new(SPEED);
        let argocd = ArgoCd::spawn(options);
        let workloads = TARGETS
            .iter()
            .map(|t| {
                Workloads::spawn(
                    estate.cluster(t).unwrap().clone(),
                    SimClock::new(SPEED),
                    WorkloadOptions::default(),
                )
                .unwrap()
            })
            .collect();
        std::fs::write(
            tmp.path().join("config.yaml"),
            format!("audit_log: {}\n", tmp.path().join("audit.jsonl").display()),
        )
        .unwrap();
        Sim {
            estate,
            repo,
            argocd: Some(argocd),
            workloads,
            tmp,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    /// The console's command line in the tmux shell, its exit code written to `code`.
    fn command_line(&self, extra: &str, code: &Path) -> String {
        format!(
            "env HOME={home} RUST_BACKTRACE=0 {bin} --config {config} --kubeconfig {kubeconfig} \
             --mgmt-context k8tre-mgmt --repo {repo} {extra}; echo \"code=$?\" > {code}",
            home = self.path("home").display(),
            bin = env!("CARGO_BIN_EXE_k8tre-console"),
            config = self.path("config.yaml").display(),
            kubeconfig = self.estate.kubeconfig_path().display(),
            repo = self.repo.path.display(),
            code = code.display(),
        )
    }

    /// Every request the simulation answered over HTTP, from its log file.
    fn requests(&self) -> Vec<RequestRecord> {
        std::fs::read_to_string(self.path("requests.jsonl"))
            .unwrap_or_default()
            .lines()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect()
    }

    fn app(&self, name: &str) -> Option<Value> {
        let state = self.estate.cluster("mgmt")?;
        let rt = state
            .registry
            .read()
            .by_kind("argoproj.io/v1alpha1", "Application")?;
        let entry = state.get(&rt, "argocd", name).ok()?;
        serde_json::from_slice(&entry.json).ok()
    }

    async fn stop(mut self) {
        if let Some(argocd) = self.argocd.take() {
            argocd.stop().await;
        }
        for workloads in self.workloads.drain(..) {
            workloads.stop().await;
        }
        self.estate.stop().await;
    }
}

/// Waits until the matrix shows its three layers and three environments.
fn wait_for_matrix(tmux: &Tmux) {
    tmux.wait_until_within(
        PATIENCE,
        "the matrix with every layer and environment",
        |s| {
            [
                "Infrastructure",
                "Agnostics",
                "Application",
                "DEV",
                "STG",
                "PRD",
            ]
            .iter()
            .all(|t| s.contains(t))
                && s.contains(DEV_APP)
        },
    );
}

/// Opens an Application through the palette.
fn open_app(tmux: &Tmux, name: &str) {
    tmux.keys(&[":"]);
    tmux.wait_for("Command palette");
    tmux.text(name);
    tmux.wait_for(&format!("app     {name}"));
    tmux.keys(&["Enter"]);
    tmux.wait_for("Destination");
}

fn read_only_run(sim: &Sim) {
    let Some(tmux) = Tmux::start(160, 48) else {
        return;
    };
    let code = tmux.path("code");
    tmux.run(&sim.command_line("--read-only", &code));
    wait_for_matrix(&tmux);
    tmux.wait_for("READ-ONLY");
    open_app(&tmux, DEV_APP);
    tmux.keys(&["r"]);
    let screen = tmux.wait_for("read-only: actions disabled");
    assert!(
        screen.contains("argocd.argoproj.io/refresh"),
        "the patch is shown:\n{screen}"
    );
    tmux.keys(&["Enter"]);
    tmux.wait_until("the dialog closed", |s| {
        !s.contains("read-only: actions disabled")
    });
    tmux.keys(&["q"]);
    assert_eq!(wait_for_file(&code).trim(), "code=0");
    tmux.assert_restored();
    let requests = sim.requests();
    assert!(
        requests.iter().any(|r| r.verb == "watch"),
        "the console watched the estate"
    );
    let writes: Vec<&RequestRecord> = requests.iter().filter(|r| r.is_write()).collect();
    assert!(writes.is_empty(), "a read-only console wrote: {writes:#?}");
    assert!(
        !requests.iter().any(|r| r.dry_run),
        "not even a dry run is sent in read-only mode"
    );
    assert!(!sim.path("audit.jsonl").exists(), "nothing to audit");
}

fn normal_run(sim: &Sim) {
    let Some(tmux) = Tmux::start(160, 48) else {
        return;
    };
    let code = tmux.path("code");
    tmux.run(&sim.command_line("", &code));
    wait_for_matrix(&tmux);
    assert!(tmux.alternate_on());
    // An Application's detail, then the logs of one of its pods.
    open_app(&tmux, DEV_APP);
    tmux.keys(&["Tab"]);
    tmux.wait_until_within(PATIENCE, "a pod of the app", |s| {
        s.contains("┌ Pods") && s.contains("jupyterhub-") && s.contains("Running")
    });
    tmux.keys(&["Enter"]);
    let logs = tmux.wait_until_within(PATIENCE, "log lines", |s| {
        s.contains("Logs jupyterhub/") && !s.contains(" 0 lines")
    });
    assert!(logs.contains("[follow]"), "{logs}");
    tmux.keys(&["Escape"]);
    tmux.wait_for("Destination");
    // A refresh on the dev app: dry run, Enter, written; then ArgoCD takes it in.
    let before = sim.requests().len();
    tmux.keys(&["r"]);
    tmux.wait_for("dry run passed");
    tmux.keys(&["Enter"]);
    tmux.wait_for(&format!("argocd/{DEV_APP}: refresh requested"));
    let patches: Vec<RequestRecord> = sim.requests()[before..]
        .iter()
        .filter(|r| r.verb == "patch" && r.name.as_deref() == Some(DEV_APP))
        .cloned()
        .collect();
    assert_eq!(patches.len(), 2, "a dry run then the write: {patches:#?}");
    assert!(patches[0].dry_run && !patches[1].dry_run);
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        let app = sim.app(DEV_APP).expect("the app");
        let annotations = &app["metadata"]["annotations"];
        if annotations.get("argocd.argoproj.io/refresh").is_none() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the simulated ArgoCD never took the refresh in: {annotations}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    tmux.wait_until("the refresh taken in", |s| {
        !s.contains("refresh requested  compared") && s.contains("compared <1m ago")
    });
    let audit = std::fs::read_to_string(sim.path("audit.jsonl")).expect("audit log");
    let records: Vec<Value> = audit
        .lines()
        .map(|l| serde_json::from_str(l).expect("audit record"))
        .collect();
    assert_eq!(records.len(), 2, "{audit}");
    assert_eq!(records[1]["action"], "refresh");
    assert_eq!(records[1]["object"]["name"], DEV_APP);
    assert_eq!(records[1]["dry_run"], false);
    assert_eq!(records[1]["result"], "ok");
    // Triage, then quit.
    tmux.keys(&["t"]);
    tmux.wait_for("Triage: worst first");
    tmux.keys(&["q"]);
    assert_eq!(wait_for_file(&code).trim(), "code=0");
    tmux.assert_restored();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_against_the_simulated_estate() {
    let sim = Sim::start().await;
    let sim = tokio::task::spawn_blocking(move || {
        read_only_run(&sim);
        normal_run(&sim);
        sim
    })
    .await
    .expect("the runs");
    sim.stop().await;
}

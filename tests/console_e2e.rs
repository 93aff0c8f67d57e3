//! The console end to end, in tmux, as a user runs it: `k8tre-console demo` (a simulated
//! estate in the console's own process: a management cluster running the simulated ArgoCD on
//! the demo repository, three targets with their workload controllers), driven by keys.
//!
//! A read-only run first: the console shows the estate, an action shows what it would send and
//! that it is disabled, and the simulation's request log holds no write at all. Then a normal
//! run: the matrix with its three layers and three environments, an Application's detail and
//! a pod's logs, triage, a refresh on a dev Application that the simulated ArgoCD takes in
//! (the console writes the annotation, the controller handles and removes it), and a quit that
//! leaves the terminal restored.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common_tmux;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common_tmux::{Tmux, wait_for_file};
use k8tre_console::sim::requestlog::RequestRecord;
use serde_json::Value;
use tempfile::TempDir;

/// What the simulated controllers must get done first (ArgoCD generating and syncing).
const PATIENCE: Duration = Duration::from_secs(120);
/// The Application the refresh is run on.
const DEV_APP: &str = "jupyterhub-k8tre-dev";

/// A private home (the demo repository and the audit log live under it) and a config.
struct Run {
    tmp: TempDir,
}

impl Run {
    fn new() -> Run {
        let tmp = TempDir::new().unwrap();
        std::fs::create_dir_all(tmp.path().join("home")).unwrap();
        std::fs::write(
            tmp.path().join("config.yaml"),
            format!("audit_log: {}\n", tmp.path().join("audit.jsonl").display()),
        )
        .unwrap();
        Run { tmp }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    /// `demo` with `extra` arguments.
    fn invocation(&self, extra: &str) -> String {
        format!(
            "env HOME={home} XDG_DATA_HOME={home}/.local/share XDG_STATE_HOME={home}/.local/state \
             XDG_CONFIG_HOME={home}/.config RUST_BACKTRACE=0 {bin} --config {config} demo --speed 4 \
             --request-log {requests} {extra}",
            home = self.path("home").display(),
            bin = env!("CARGO_BIN_EXE_k8tre-console"),
            config = self.path("config.yaml").display(),
            requests = self.path("requests.jsonl").display(),
        )
    }

    /// `demo` in the tmux shell, its exit code written to `code`.
    fn command_line(&self, extra: &str, code: &Path) -> String {
        format!(
            "{}; echo \"code=$?\" > {}",
            self.invocation(extra),
            code.display()
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

fn read_only_run() {
    let sim = Run::new();
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

fn normal_run() {
    let sim = Run::new();
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
        s.contains("┌ Pods")
            && s.lines()
                .any(|l| l.starts_with("│jupyterhub-") && l.contains("● Running"))
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
    // The simulated ArgoCD handles the annotation: the marker goes, the comparison is new.
    tmux.wait_until_within(PATIENCE, "the refresh taken in", |s| {
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

fn hangup_run() {
    let sim = Run::new();
    let Some(tmux) = Tmux::start(100, 30) else {
        return;
    };
    let (pid, code) = (tmux.path("pid"), tmux.path("code"));
    // `exec`: the pid written is the console's own, as an SSH session's would be.
    tmux.run(&format!(
        "sh -c 'echo $$ > {}; exec {}'; echo \"code=$?\" > {}",
        pid.display(),
        sim.invocation(""),
        code.display()
    ));
    wait_for_matrix(&tmux);
    let pid = wait_for_file(&pid);
    let status = std::process::Command::new("kill")
        .args(["-HUP", pid.trim()])
        .status()
        .expect("kill");
    assert!(status.success());
    assert_eq!(
        wait_for_file(&code).trim(),
        "code=129",
        "SIGHUP's exit code"
    );
    tmux.assert_restored();
}

/// One simulated estate at a time: each is a whole ArgoCD and three clusters.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn demo_read_only_writes_nothing() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    read_only_run();
}

#[test]
fn demo_hangup_restores_the_terminal() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    hangup_run();
}

#[test]
fn demo_end_to_end() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    normal_run();
}

//! End-to-end harness: runs commands in a detached tmux session of a chosen size on a private
//! tmux server, sends keys, reads the screen (retrying until expected text appears), and checks
//! the terminal was given back (alternate screen left, `stty` cooked again).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How long to wait for text to appear: generous, the machine may be busy.
pub const WAIT: Duration = Duration::from_secs(20);

pub struct Tmux {
    socket: String,
    session: String,
    pub dir: tempfile::TempDir,
}

fn tmux_available() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

impl Tmux {
    /// A session `width`×`height` running `sh` with a plain prompt. Panics without tmux
    /// (set K8TRE_SKIP_TMUX=1 to skip these tests instead): returns None then.
    pub fn start(width: u16, height: u16) -> Option<Tmux> {
        if !tmux_available() {
            if std::env::var_os("K8TRE_SKIP_TMUX").is_some() {
                eprintln!("tmux not found: skipped (K8TRE_SKIP_TMUX)");
                return None;
            }
            panic!("tmux is needed for the end-to-end tests (or set K8TRE_SKIP_TMUX=1)");
        }
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let tmux = Tmux {
            socket: format!("k8tre-e2e-{}-{n}", std::process::id()),
            session: "e2e".into(),
            dir: tempfile::tempdir().expect("tempdir"),
        };
        let status = tmux
            .command()
            .args(["new-session", "-d", "-s", &tmux.session, "-x"])
            .arg(width.to_string())
            .arg("-y")
            .arg(height.to_string())
            .args(["env", "PS1=$ ", "TERM=xterm-256color", "sh"])
            .status()
            .expect("tmux runs");
        assert!(status.success(), "tmux new-session failed");
        Some(tmux)
    }

    fn command(&self) -> Command {
        let mut command = Command::new("tmux");
        command.args(["-L", &self.socket, "-f", "/dev/null"]);
        command
    }

    fn tmux(&self, args: &[&str]) -> Output {
        let output = self.command().args(args).output().expect("tmux runs");
        assert!(
            output.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }

    /// Keys in tmux's names: `j`, `Enter`, `Escape`, `C-c`, `Down`.
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.session];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    /// Literal text, typed.
    pub fn text(&self, text: &str) {
        self.tmux(&["send-keys", "-t", &self.session, "-l", text]);
    }

    /// Types a shell command line and runs it.
    pub fn run(&self, line: &str) {
        self.text(line);
        self.keys(&["Enter"]);
    }

    pub fn screen(&self) -> String {
        let output = self.tmux(&["capture-pane", "-p", "-t", &self.session]);
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Waits until the screen shows `text`; returns the screen, or panics with it.
    pub fn wait_for(&self, text: &str) -> String {
        self.wait_until(&format!("{text:?} on screen"), |screen| {
            screen.contains(text)
        })
    }

    pub fn wait_until(&self, what: &str, check: impl Fn(&str) -> bool) -> String {
        self.wait_until_within(WAIT, what, check)
    }

    /// Like [`Tmux::wait_for`] with a bound of its own (for what a simulated controller
    /// must do first).
    pub fn wait_for_within(&self, within: Duration, text: &str) -> String {
        self.wait_until_within(within, &format!("{text:?} on screen"), |screen| {
            screen.contains(text)
        })
    }

    pub fn wait_until_within(
        &self,
        within: Duration,
        what: &str,
        check: impl Fn(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + within;
        loop {
            let screen = self.screen();
            if check(&screen) {
                return screen;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {what}; the screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn resize(&self, width: u16, height: u16) {
        self.tmux(&[
            "resize-window",
            "-t",
            &self.session,
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
        ]);
    }

    fn format(&self, format: &str) -> String {
        let output = self.tmux(&["display-message", "-p", "-t", &self.session, format]);
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    }

    /// True while the program in the pane uses the alternate screen.
    pub fn alternate_on(&self) -> bool {
        self.format("#{alternate_on}") == "1"
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Checks the terminal is back to normal: the alternate screen left, and `stty` shows
    /// canonical mode and echo again (what raw mode turns off).
    pub fn assert_restored(&self) {
        assert!(!self.alternate_on(), "still on the alternate screen");
        let file = self.path("stty.txt");
        let done = self.path("stty.done");
        self.run(&format!(
            "stty -a > {} 2>&1; echo done > {}",
            file.display(),
            done.display()
        ));
        wait_for_file(&done);
        let stty = std::fs::read_to_string(&file).expect("stty output");
        let words: Vec<&str> = stty
            .split(|c: char| c.is_whitespace() || c == ';')
            .collect();
        for flag in ["icanon", "echo", "isig"] {
            assert!(words.contains(&flag), "{flag} is off after exit:\n{stty}");
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.command().arg("kill-server").output();
    }
}

/// Waits for a file to be written whole: every writer here ends it with a newline (a file
/// can exist, empty, before its writer has written).
pub fn wait_for_file(path: &Path) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Ok(text) = std::fs::read_to_string(path)
            && text.ends_with('\n')
        {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {}",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Builds an example of this crate (once per test process) and returns its path.
pub fn example(name: &str) -> PathBuf {
    static BUILT: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let mut built = BUILT.lock().unwrap_or_else(|p| p.into_inner());
    // target/debug/deps/<test> -> target/debug
    let exe = std::env::current_exe().expect("test exe");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target dir")
        .to_path_buf();
    let path = profile_dir.join("examples").join(name);
    if !built.iter().any(|b| b == name) {
        let status = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "--example", name])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("cargo runs");
        assert!(status.success(), "cargo build --example {name} failed");
        built.push(name.to_string());
    }
    assert!(path.exists(), "{} was not built", path.display());
    path
}

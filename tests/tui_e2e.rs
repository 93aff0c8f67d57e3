//! The TUI framework end to end, in tmux: the `tui_harness` example (real terminal lifecycle,
//! event loop, keymap, table, palette, confirmation, log viewer) driven by keys, resized,
//! quit, hung up on, terminated and made to panic; after each the terminal must be restored.

mod common_tmux;

use common_tmux::{Tmux, example, wait_for_file};

fn start(width: u16, height: u16, args: &str) -> Option<(Tmux, std::path::PathBuf)> {
    let tmux = Tmux::start(width, height)?;
    let harness = example("tui_harness");
    let code = tmux.path("code");
    // A short panic report (no backtrace), so it fits on the screen.
    tmux.run(&format!(
        "RUST_BACKTRACE=0 RUST_LIB_BACKTRACE=0 {} {args}; echo \"code=$?\" > {}",
        harness.display(),
        code.display()
    ));
    tmux.wait_for("Harness items");
    Some((tmux, code))
}

#[test]
fn keys_resize_and_quit_then_the_terminal_is_restored() {
    let Some((tmux, code)) = start(80, 24, "") else {
        return;
    };
    assert!(tmux.alternate_on());
    let screen = tmux.wait_for("SIMULATED");
    assert!(screen.contains("alpha-dev"), "{screen}");
    // Help from the live keymap.
    tmux.keys(&["?"]);
    tmux.wait_for("Keys: list");
    tmux.keys(&["Escape"]);
    tmux.wait_until("help closed", |s| !s.contains("Keys: list"));
    // Filter, then act on the row through the palette: dry run, Enter, applied.
    tmux.keys(&["/"]);
    tmux.text("bravo");
    tmux.keys(&["Enter", "j"]);
    tmux.wait_for("/bravo");
    tmux.keys(&[":"]);
    tmux.wait_for("Command palette");
    tmux.text("sync-prune");
    tmux.keys(&["Enter"]);
    tmux.wait_for("Sync with prune · harness/bravo-stg");
    tmux.wait_for("✓ dry run passed");
    tmux.keys(&["Enter"]);
    tmux.wait_for("harness/bravo-stg: sync started (applied)");
    // Resize: the frame follows at once.
    tmux.resize(120, 40);
    tmux.wait_until("a 120-column frame", |s| {
        s.lines()
            .next()
            .is_some_and(|l| l.chars().count() == 120 && l.ends_with('┐'))
    });
    // Open the row's logs, search them, go back. An Escape is followed by a pause (a wait for
    // its effect): Escape and a key in one read is Alt+key.
    tmux.keys(&["Escape"]);
    tmux.wait_until("the filter cleared", |s| !s.contains("/bravo"));
    tmux.keys(&["g", "Enter"]);
    tmux.wait_for("alpha-dev-0 line 49");
    tmux.keys(&["/"]);
    tmux.text("line 7");
    tmux.keys(&["Enter"]);
    tmux.wait_for("/line 7");
    tmux.keys(&["Escape"]);
    tmux.wait_until("the search cleared", |s| !s.contains("/line 7"));
    tmux.keys(&["Escape"]);
    tmux.wait_for("Harness items");
    tmux.keys(&["q"]);
    let exit = wait_for_file(&code);
    assert_eq!(exit.trim(), "code=0");
    tmux.wait_for("tui_harness: exit Quit");
    tmux.assert_restored();
}

fn signalled(signal: &str, expected_code: i32) {
    let Some(tmux) = Tmux::start(80, 24) else {
        return;
    };
    let harness = example("tui_harness");
    let (pid, code) = (tmux.path("pid"), tmux.path("code"));
    // `exec` so the pid written is the harness's own.
    tmux.run(&format!(
        "sh -c 'echo $$ > {}; exec {}'; echo \"code=$?\" > {}",
        pid.display(),
        harness.display(),
        code.display()
    ));
    tmux.wait_for("Harness items");
    let pid = wait_for_file(&pid);
    let status = std::process::Command::new("kill")
        .args([&format!("-{signal}"), pid.trim()])
        .status()
        .expect("kill");
    assert!(status.success());
    let exit = wait_for_file(&code);
    assert_eq!(exit.trim(), format!("code={expected_code}"));
    tmux.wait_for("tui_harness: exit Cancelled");
    tmux.assert_restored();
}

#[test]
fn sighup_restores_the_terminal() {
    signalled("HUP", 129);
}

#[test]
fn sigterm_restores_the_terminal() {
    signalled("TERM", 143);
}

#[test]
fn a_panic_restores_the_terminal_before_the_report() {
    let Some((tmux, code)) = start(100, 30, "--panic-on-refresh") else {
        return;
    };
    tmux.keys(&["r"]);
    let exit = wait_for_file(&code);
    assert_eq!(exit.trim(), "code=101", "a panic's exit code");
    let screen = tmux.wait_for("panic on refresh, as asked");
    assert!(
        !screen.contains("Harness items"),
        "the report is on the normal screen:\n{screen}"
    );
    tmux.assert_restored();
}

#[test]
fn an_idle_console_writes_nothing() {
    let Some(tmux) = Tmux::start(160, 48) else {
        return;
    };
    let harness = example("tui_harness");
    let (stats, code) = (tmux.path("stats"), tmux.path("code"));
    tmux.run(&format!(
        "{} --stats {}; echo \"code=$?\" > {}",
        harness.display(),
        stats.display(),
        code.display()
    ));
    tmux.wait_for("Harness items");
    std::thread::sleep(std::time::Duration::from_secs(4));
    tmux.keys(&["q"]);
    wait_for_file(&code);
    let stats = wait_for_file(&stats);
    let idle: u64 = stats
        .split_whitespace()
        .find_map(|kv| kv.strip_prefix("idle_bytes="))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no idle_bytes in {stats}"));
    // Three seconds idle: nothing at all, or one clock minute change (a few cells).
    assert!(idle <= 48, "{idle} bytes written while idle ({stats})");
    tmux.assert_restored();
}

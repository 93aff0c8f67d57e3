//! `k8tre-console config path` and `config check` as a user runs them: the real binary, with the
//! environment variables that steer it (XDG_*, K8TRE_CONSOLE_CONFIG, NO_COLOR).

use std::path::Path;
use std::process::{Command, Output};

fn console(args: &[&str], env: &[(&str, &Path)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_k8tre-console"));
    command
        .args(args)
        .env_remove("K8TRE_CONSOLE_CONFIG")
        .env_remove("NO_COLOR");
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn config_path_follows_xdg() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = console(
        &["config", "path"],
        &[
            ("XDG_CONFIG_HOME", &dir.path().join("cfg")),
            ("XDG_DATA_HOME", &dir.path().join("data")),
        ],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    let config = dir.path().join("cfg/k8tre-console/config.yaml");
    assert!(
        stdout.starts_with(&format!(
            "config: {} (not found: built-in defaults apply)\n",
            config.display()
        )),
        "{stdout}"
    );
    let audit = dir.path().join("data/k8tre-console/audit.jsonl");
    assert!(
        stdout.contains(&format!("audit:  {}\n", audit.display())),
        "{stdout}"
    );
}

#[test]
fn the_environment_names_the_config_file_and_the_flag_wins() {
    let dir = tempfile::tempdir().expect("tempdir");
    let from_env = dir.path().join("env.yaml");
    let from_flag = dir.path().join("flag.yaml");
    std::fs::write(&from_env, "read_only: true\n").expect("write");
    let output = console(&["config", "path"], &[("K8TRE_CONSOLE_CONFIG", &from_env)]);
    assert!(
        text(&output.stdout).starts_with(&format!("config: {} (exists)", from_env.display())),
        "{}",
        text(&output.stdout)
    );
    let flag = from_flag.to_str().expect("utf-8");
    let output = console(
        &["--config", flag, "config", "check"],
        &[("K8TRE_CONSOLE_CONFIG", &from_env)],
    );
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        text(&output.stderr),
        format!(
            "error: config file {} does not exist\n",
            from_flag.display()
        )
    );
}

#[test]
fn config_check_reports_file_line_and_field_and_fails() {
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/invalid_configs/bad-enum.yaml"
    );
    let output = console(&["config", "check", fixture], &[]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.starts_with(&format!(
            "error: {fixture}:7:8: confirm.prd: unknown variant \"typename\""
        )),
        "{stderr}"
    );
}

#[test]
fn config_check_accepts_the_example_and_honours_no_color() {
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/config/k8tre-console.example.yaml"
    );
    let output = console(&["config", "check", example], &[]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(
        text(&output.stdout),
        format!("ok: {example}\ntheme: default\nkeymap: 3 override(s)\n")
    );
    let output = console(
        &["config", "check", example],
        &[("NO_COLOR", Path::new("1"))],
    );
    assert!(
        text(&output.stdout).contains("theme: default (NO_COLOR is set: monochrome is used)"),
        "{}",
        text(&output.stdout)
    );
    // An empty NO_COLOR does not count (no-color.org).
    let output = console(
        &["config", "check", example],
        &[("NO_COLOR", Path::new(""))],
    );
    assert!(
        !text(&output.stdout).contains("NO_COLOR"),
        "{}",
        text(&output.stdout)
    );
}

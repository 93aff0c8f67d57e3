//! `config path` (where the config file and data live) and `config check [FILE]` (validate a
//! config file with its theme and keymap).

use std::io::{self, Write};
use std::path::Path;

use color_eyre::Result;

use crate::cli::{ConfigCommand, GlobalArgs};
use crate::config::{Config, ConfigLocation, Keymap, ProjectPaths};
use crate::theme::{Theme, ThemeSource, no_color_requested};

pub fn run(global: &GlobalArgs, command: ConfigCommand) -> Result<i32> {
    let mut out = io::stdout().lock();
    match command {
        ConfigCommand::Path => {
            let location = ConfigLocation::from_cli(global.config.as_deref())?;
            let paths = ProjectPaths::discover()?;
            print_paths(&location, &paths, &mut out)?;
            Ok(0)
        }
        ConfigCommand::Check { file } => {
            let location = match file {
                Some(file) => ConfigLocation::explicit(file),
                None => ConfigLocation::from_cli(global.config.as_deref())?,
            };
            let request = CheckRequest {
                location: &location,
                theme_flag: global.theme.as_deref(),
                no_color: no_color_requested(),
            };
            Ok(check(&request, &mut out, &mut io::stderr().lock())?)
        }
    }
}

fn existence(location: &ConfigLocation) -> &'static str {
    match (location.path.exists(), location.explicit) {
        (true, _) => "exists",
        (false, true) => "does not exist: the console will not start with it",
        (false, false) => "not found: built-in defaults apply",
    }
}

fn print_paths(
    location: &ConfigLocation,
    paths: &ProjectPaths,
    out: &mut dyn Write,
) -> io::Result<()> {
    writeln!(
        out,
        "config: {} ({})",
        location.path.display(),
        existence(location)
    )?;
    writeln!(out, "data:   {}", paths.data_dir.display())?;
    writeln!(out, "state:  {}", paths.state_dir.display())?;
    writeln!(out, "cache:  {}", paths.cache_dir.display())?;
    match Config::load(location) {
        Ok(config) => writeln!(out, "audit:  {}", config.audit_log_path(paths).display()),
        Err(_) => writeln!(
            out,
            "audit:  unknown until the config file is valid (run `config check`)"
        ),
    }
}

struct CheckRequest<'a> {
    location: &'a ConfigLocation,
    /// `--theme`, which wins over the file's `theme`.
    theme_flag: Option<&'a str>,
    no_color: bool,
}

/// Prints `ok: <path>` and notes on `out`, or each problem on `err`; returns the exit code.
fn check(request: &CheckRequest<'_>, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<i32> {
    let config = match Config::load(request.location) {
        Ok(config) => config,
        Err(error) => {
            writeln!(err, "error: {error}")?;
            return Ok(1);
        }
    };
    let theme = match request.theme_flag {
        Some(flag) => ThemeSource::parse(flag),
        None => Ok(config.theme.clone()),
    };
    // The theme is checked even under NO_COLOR, so it works once colour is back.
    let theme = theme.and_then(|source| Theme::load_source(&source, false).map(|_| source));
    let theme = match theme {
        Ok(theme) => theme,
        Err(error) => {
            writeln!(err, "error: {error}")?;
            return Ok(1);
        }
    };
    let keymap = Keymap::with_overrides(&config);
    write_ok(request, &config, &theme, &keymap, out)?;
    Ok(0)
}

fn write_ok(
    request: &CheckRequest<'_>,
    config: &Config,
    theme: &ThemeSource,
    keymap: &Keymap,
    out: &mut dyn Write,
) -> io::Result<()> {
    let path: &Path = &request.location.path;
    if path.exists() {
        writeln!(out, "ok: {}", path.display())?;
    } else {
        writeln!(
            out,
            "ok: {} ({})",
            path.display(),
            existence(request.location)
        )?;
    }
    if request.no_color {
        writeln!(out, "theme: {theme} (NO_COLOR is set: monochrome is used)")?;
    } else {
        writeln!(out, "theme: {theme}")?;
    }
    writeln!(out, "keymap: {} override(s)", config.keymap.entries.len())?;
    for command in keymap.unbound_commands() {
        writeln!(
            out,
            "note: no key runs {command} ({}); the palette still can",
            command.description().to_lowercase()
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    struct Outcome {
        code: i32,
        out: String,
        err: String,
    }

    fn run_check(location: &ConfigLocation, theme_flag: Option<&str>, no_color: bool) -> Outcome {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let request = CheckRequest {
            location,
            theme_flag,
            no_color,
        };
        let code = check(&request, &mut out, &mut err).expect("writes");
        Outcome {
            code,
            out: String::from_utf8(out).expect("utf-8"),
            err: String::from_utf8(err).expect("utf-8"),
        }
    }

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write");
        path
    }

    #[test]
    fn a_valid_file_is_ok() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(
            dir.path(),
            "config.yaml",
            "theme: light\nkeymap:\n  list:\n    sync: [y]\n",
        );
        let outcome = run_check(&ConfigLocation::explicit(&path), None, false);
        assert_eq!(outcome.code, 0, "{}", outcome.err);
        assert_eq!(
            outcome.out,
            format!(
                "ok: {}\ntheme: light\nkeymap: 1 override(s)\n",
                path.display()
            )
        );
    }

    #[test]
    fn a_missing_default_file_is_ok_and_a_missing_named_one_is_not() {
        let dir = tempfile::tempdir().expect("tempdir");
        let absent = dir.path().join("config.yaml");
        let outcome = run_check(&ConfigLocation::default_at(&absent), None, true);
        assert_eq!(outcome.code, 0);
        assert!(
            outcome.out.contains("(not found: built-in defaults apply)"),
            "{}",
            outcome.out
        );
        assert!(
            outcome
                .out
                .contains("theme: default (NO_COLOR is set: monochrome is used)")
        );
        let outcome = run_check(&ConfigLocation::explicit(&absent), None, false);
        assert_eq!(outcome.code, 1);
        assert_eq!(
            outcome.err,
            format!("error: config file {} does not exist\n", absent.display())
        );
    }

    #[test]
    fn an_invalid_file_names_file_line_and_field() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(
            dir.path(),
            "config.yaml",
            "read_only: false\nconfirm:\n  prd: typename\n",
        );
        let outcome = run_check(&ConfigLocation::explicit(&path), None, false);
        assert_eq!(outcome.code, 1);
        assert!(
            outcome.err.starts_with(&format!(
                "error: {}:3:8: confirm.prd: unknown variant",
                path.display()
            )),
            "{}",
            outcome.err
        );
        assert!(outcome.out.is_empty());
    }

    #[test]
    fn the_theme_file_is_checked_even_under_no_color() {
        let dir = tempfile::tempdir().expect("tempdir");
        let theme = write(
            dir.path(),
            "mine.yaml",
            "roles:\n  degraded: { fg: redd }\n",
        );
        let path = write(dir.path(), "config.yaml", "theme: mine.yaml\n");
        let outcome = run_check(&ConfigLocation::explicit(&path), None, true);
        assert_eq!(outcome.code, 1);
        assert!(
            outcome.err.starts_with(&format!(
                "error: {}:2:19: roles.degraded.fg: unknown colour \"redd\"",
                theme.display()
            )),
            "{}",
            outcome.err
        );
    }

    #[test]
    fn the_theme_flag_wins_over_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(dir.path(), "config.yaml", "theme: light\n");
        let outcome = run_check(
            &ConfigLocation::explicit(&path),
            Some("high-contrast"),
            false,
        );
        assert!(
            outcome.out.contains("theme: high-contrast\n"),
            "{}",
            outcome.out
        );
        let outcome = run_check(&ConfigLocation::explicit(&path), Some("neon"), false);
        assert_eq!(outcome.code, 1);
        assert!(
            outcome.err.contains("unknown theme \"neon\""),
            "{}",
            outcome.err
        );
    }

    #[test]
    fn unbound_commands_are_noted() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(
            dir.path(),
            "config.yaml",
            "keymap:\n  global:\n    quit: []\n",
        );
        let outcome = run_check(&ConfigLocation::explicit(&path), None, false);
        assert_eq!(outcome.code, 0);
        assert!(
            outcome
                .out
                .contains("note: no key runs quit (quit the console)"),
            "{}",
            outcome.out
        );
    }

    #[test]
    fn paths_are_printed_with_existence() {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths = ProjectPaths {
            config_dir: dir.path().join("config"),
            data_dir: dir.path().join("data"),
            state_dir: dir.path().join("state"),
            cache_dir: dir.path().join("cache"),
        };
        let mut out = Vec::new();
        print_paths(
            &ConfigLocation::default_at(paths.config_file()),
            &paths,
            &mut out,
        )
        .expect("writes");
        let text = String::from_utf8(out).expect("utf-8");
        assert!(text.starts_with(&format!(
            "config: {} (not found: built-in defaults apply)\n",
            paths.config_file().display()
        )));
        assert!(text.contains(&format!("audit:  {}\n", paths.audit_log().display())));
    }
}

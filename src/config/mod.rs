//! The config file: what it may contain, its defaults, and loading it with errors that name the
//! file, the line and the field at fault.
//!
//! Everything is validated while the YAML is read (unknown fields, bad values, keymap keys and
//! commands, theme names), so each error carries serde_yaml's location of the offending value.
//! `config/k8tre-console.example.yaml` documents every option; a test loads it.

pub mod command;
pub mod diagnostic;
pub mod keymap;
pub mod keyspec;
pub mod paths;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::de::{self, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::cli::GlobalArgs;
use crate::domain::env::Environment;
use crate::theme::{ThemeError, ThemeSource};

pub use command::{Command, Mode};
pub use diagnostic::Diagnostic;
pub use keymap::{HelpEntry, Keymap, KeymapOverrides};
pub use keyspec::KeySpec;
pub use paths::{ConfigLocation, ProjectPaths};

/// How a change to an environment is confirmed before it is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConfirmPolicy {
    /// No confirmation (the review screen still shows what will change).
    None,
    /// One keypress.
    Keypress,
    /// Typing the environment's name.
    TypeName,
}

/// When live data counts as stale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Staleness {
    /// A watch that has delivered no event and no bookmark for this long is shown as stale.
    #[serde(deserialize_with = "seconds")]
    pub watch_seconds: u64,
}

impl Default for Staleness {
    fn default() -> Self {
        Staleness { watch_seconds: 90 }
    }
}

impl Staleness {
    pub fn watch(&self) -> Duration {
        Duration::from_secs(self.watch_seconds)
    }
}

const MAX_STALENESS_SECONDS: u64 = 24 * 60 * 60;

fn seconds<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    struct SecondsVisitor;
    impl Visitor<'_> for SecondsVisitor {
        type Value = u64;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "a whole number of seconds, 1 to {MAX_STALENESS_SECONDS}")
        }
        fn visit_u64<E: de::Error>(self, value: u64) -> Result<u64, E> {
            if (1..=MAX_STALENESS_SECONDS).contains(&value) {
                Ok(value)
            } else {
                Err(E::custom(format!(
                    "{value} is not a number of seconds from 1 to {MAX_STALENESS_SECONDS}"
                )))
            }
        }
        fn visit_i64<E: de::Error>(self, value: i64) -> Result<u64, E> {
            u64::try_from(value)
                .map_err(|_| {
                    E::custom(format!(
                        "{value} is not a number of seconds from 1 to {MAX_STALENESS_SECONDS}"
                    ))
                })
                .and_then(|value| self.visit_u64(value))
        }
    }
    deserializer.deserialize_u64(SecondsVisitor)
}

/// The console's configuration. Every field is optional in the file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Kubeconfig context of the ArgoCD management cluster (default: the current context).
    pub management_context: Option<String>,
    /// Namespace ArgoCD runs in on the management cluster.
    pub argocd_namespace: String,
    /// Kubeconfig context for each environment's cluster.
    pub environments: BTreeMap<Environment, String>,
    /// Kubeconfig context for an ArgoCD cluster name, for clusters whose server URL in ArgoCD
    /// is not the one in the kubeconfig.
    pub clusters: BTreeMap<String, String>,
    /// A checkout of the GitOps repository.
    pub repo: Option<PathBuf>,
    pub theme: ThemeSource,
    pub keymap: KeymapOverrides,
    /// Confirmation per environment; unlisted ones use [`Config::confirm_policy`]'s defaults.
    pub confirm: BTreeMap<Environment, ConfirmPolicy>,
    pub staleness: Staleness,
    /// Log file (tracing); the console never logs to the terminal it draws on.
    pub log_file: Option<PathBuf>,
    /// Audit log of every change made (default: in the data directory).
    pub audit_log: Option<PathBuf>,
    /// Start read-only: every action is disabled.
    pub read_only: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            management_context: None,
            argocd_namespace: "argocd".into(),
            environments: BTreeMap::new(),
            clusters: BTreeMap::new(),
            repo: None,
            theme: ThemeSource::default(),
            keymap: KeymapOverrides::default(),
            confirm: BTreeMap::new(),
            staleness: Staleness::default(),
            log_file: None,
            audit_log: None,
            read_only: false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config file {} does not exist", path.display())]
    NotFound { path: PathBuf },
    #[error("cannot read config file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(Diagnostic),
}

impl Config {
    /// Reads the config file at `location`. A missing default file gives the defaults; a
    /// missing file the user named is an error.
    pub fn load(location: &ConfigLocation) -> Result<Config, ConfigError> {
        let path = &location.path;
        match std::fs::read_to_string(path) {
            Ok(text) => Config::from_yaml(&text, path),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                if location.explicit {
                    Err(ConfigError::NotFound { path: path.clone() })
                } else {
                    Ok(Config::default())
                }
            }
            Err(source) => Err(ConfigError::Read {
                path: path.clone(),
                source,
            }),
        }
    }

    /// Reads config text that came from `path` (named in errors; relative paths in the file are
    /// resolved against its directory).
    pub fn from_yaml(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let config: Config = diagnostic::parse_yaml(text, path).map_err(ConfigError::Invalid)?;
        let base_dir = path.parent().unwrap_or(Path::new(""));
        Ok(config.relative_to(base_dir))
    }

    fn relative_to(mut self, base_dir: &Path) -> Config {
        let expand = |path: Option<PathBuf>| path.map(|p| paths::expand_path(&p, base_dir));
        self.repo = expand(self.repo);
        self.log_file = expand(self.log_file);
        self.audit_log = expand(self.audit_log);
        self.theme = self.theme.relative_to(base_dir);
        self
    }

    /// Command-line flags win over the file: `--theme`, `--read-only`, `--log-file`.
    pub fn with_cli(mut self, global: &GlobalArgs) -> Result<Config, ThemeError> {
        if let Some(theme) = &global.theme {
            self.theme = ThemeSource::parse(theme)?;
        }
        self.read_only |= global.read_only;
        if let Some(log_file) = &global.log_file {
            self.log_file = Some(log_file.clone());
        }
        Ok(self)
    }

    /// How a change to `environment` is confirmed: as configured, else typing the name for
    /// prd and a keypress elsewhere.
    pub fn confirm_policy(&self, environment: &Environment) -> ConfirmPolicy {
        self.confirm
            .get(environment)
            .copied()
            .unwrap_or(if environment.is_production() {
                ConfirmPolicy::TypeName
            } else {
                ConfirmPolicy::Keypress
            })
    }

    /// The audit log file: as configured, else `audit.jsonl` in the data directory.
    pub fn audit_log_path(&self, paths: &ProjectPaths) -> PathBuf {
        self.audit_log.clone().unwrap_or_else(|| paths.audit_log())
    }
}

impl Serialize for KeymapOverrides {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut modes: BTreeMap<Mode, BTreeMap<Command, &[KeySpec]>> = BTreeMap::new();
        for entry in &self.entries {
            modes
                .entry(entry.mode)
                .or_default()
                .insert(entry.command, &entry.keys);
        }
        let mut map = serializer.serialize_map(Some(modes.len()))?;
        for (mode, commands) in &modes {
            map.serialize_entry(mode, commands)?;
        }
        map.end()
    }
}

impl Serialize for ThemeSource {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = include_str!("../../config/k8tre-console.example.yaml");
    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/invalid_configs");

    fn example() -> Config {
        Config::from_yaml(EXAMPLE, Path::new("/etc/k8tre/config.yaml"))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_example_loads_with_the_values_it_documents() {
        let config = example();
        assert_eq!(config.management_context.as_deref(), Some("k8tre-mgmt"));
        assert_eq!(
            config
                .environments
                .get(&Environment::Prd)
                .map(String::as_str),
            Some("k8tre-prd")
        );
        assert_eq!(
            config.confirm_policy(&Environment::Prd),
            ConfirmPolicy::TypeName
        );
        assert_eq!(config.staleness.watch(), Duration::from_secs(90));
        assert!(
            Keymap::with_overrides(&config)
                .lookup_key(Mode::List, "<Ctrl-x>".parse().expect("key"))
                .is_some()
        );
    }

    /// Every option the config has appears (uncommented) in the example, so the example
    /// cannot fall behind the code; every mode and command name is documented in it.
    #[test]
    fn the_example_shows_every_option_mode_and_command() {
        let defaults = serde_yaml::to_value(Config::default()).expect("serialises");
        let example: serde_yaml::Value = serde_yaml::from_str(EXAMPLE).expect("yaml");
        assert_keys_present(&defaults, &example, "");
        for name in Mode::ALL
            .iter()
            .map(|m| m.name())
            .chain(Command::ALL.iter().map(|c| c.name()))
        {
            assert!(
                EXAMPLE.contains(&format!(" {name}")),
                "the example does not mention {name}"
            );
        }
    }

    fn assert_keys_present(defaults: &serde_yaml::Value, example: &serde_yaml::Value, at: &str) {
        let Some(defaults) = defaults.as_mapping() else {
            return;
        };
        for (key, value) in defaults {
            let name = key.as_str().unwrap_or_default();
            let found = example.get(name);
            assert!(found.is_some(), "the example has no {at}{name}");
            if let Some(found) = found {
                assert_keys_present(value, found, &format!("{at}{name}."));
            }
        }
    }

    #[test]
    fn empty_files_are_the_defaults() {
        for text in ["", "# nothing\n", "~\n"] {
            let config = Config::from_yaml(text, Path::new("c.yaml")).expect("valid");
            assert_eq!(config, Config::default());
        }
    }

    #[test]
    fn defaults() {
        let config = Config::default();
        assert_eq!(config.argocd_namespace, "argocd");
        assert_eq!(
            config.confirm_policy(&Environment::Dev),
            ConfirmPolicy::Keypress
        );
        assert_eq!(
            config.confirm_policy(&Environment::Stg),
            ConfirmPolicy::Keypress
        );
        assert_eq!(
            config.confirm_policy(&Environment::Prd),
            ConfirmPolicy::TypeName
        );
        assert_eq!(config.theme, ThemeSource::Builtin("default"));
        assert!(!config.read_only);
    }

    #[test]
    fn confirm_overrides_merge_with_the_defaults() {
        let config = Config::from_yaml(
            "confirm:\n  prod: keypress\n  ci: none\n",
            Path::new("c.yaml"),
        )
        .expect("valid");
        assert_eq!(
            config.confirm_policy(&Environment::Prd),
            ConfirmPolicy::Keypress
        );
        assert_eq!(
            config.confirm_policy(&Environment::Dev),
            ConfirmPolicy::Keypress
        );
        assert_eq!(
            config.confirm_policy(&Environment::Other("ci".into())),
            ConfirmPolicy::None
        );
    }

    #[test]
    fn relative_paths_are_relative_to_the_file() {
        let config = Config::from_yaml(
            "repo: gitops\ntheme: themes/mine.yaml\nlog_file: /var/log/c.log\n",
            Path::new("/etc/k8tre/config.yaml"),
        )
        .expect("valid");
        assert_eq!(config.repo, Some(PathBuf::from("/etc/k8tre/gitops")));
        assert_eq!(
            config.theme,
            ThemeSource::File(PathBuf::from("/etc/k8tre/themes/mine.yaml"))
        );
        assert_eq!(config.log_file, Some(PathBuf::from("/var/log/c.log")));
    }

    #[test]
    fn missing_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let absent = dir.path().join("config.yaml");
        assert_eq!(
            Config::load(&ConfigLocation::default_at(&absent)).expect("defaults"),
            Config::default()
        );
        let error = Config::load(&ConfigLocation::explicit(&absent)).expect_err("named");
        assert_eq!(
            error.to_string(),
            format!("config file {} does not exist", absent.display())
        );
    }

    #[test]
    fn cli_flags_win() {
        let global = GlobalArgs {
            theme: Some("light".into()),
            read_only: true,
            log_file: Some(PathBuf::from("x.log")),
            ..GlobalArgs::default()
        };
        let config = Config::default().with_cli(&global).expect("valid");
        assert_eq!(config.theme, ThemeSource::Builtin("light"));
        assert!(config.read_only);
        assert_eq!(config.log_file, Some(PathBuf::from("x.log")));
        let bad = GlobalArgs {
            theme: Some("nope".into()),
            ..GlobalArgs::default()
        };
        assert!(Config::default().with_cli(&bad).is_err());
    }

    #[test]
    fn staleness_bounds() {
        for (text, ok) in [
            ("1", true),
            ("86400", true),
            ("0", false),
            ("86401", false),
            ("-5", false),
            ("1m", false),
        ] {
            let result = Config::from_yaml(
                &format!("staleness:\n  watch_seconds: {text}\n"),
                Path::new("c.yaml"),
            );
            assert_eq!(result.is_ok(), ok, "{text}: {result:?}");
        }
    }

    /// The expectations a fixture states in its header comments.
    struct Expected {
        line: usize,
        field: Option<String>,
        says: String,
    }

    fn expected(text: &str, path: &Path) -> Expected {
        let header = |name: &str| {
            text.lines()
                .find_map(|line| line.strip_prefix(&format!("# {name}: ")))
                .unwrap_or_else(|| panic!("{} has no `# {name}:` line", path.display()))
                .to_string()
        };
        let field = header("error-field");
        Expected {
            line: header("error-line").parse().expect("a line number"),
            field: (field != "-").then_some(field),
            says: header("error-says"),
        }
    }

    #[test]
    fn every_invalid_config_fixture_fails_naming_file_line_and_field() {
        let mut fixtures: Vec<PathBuf> = std::fs::read_dir(FIXTURES)
            .expect("fixtures directory")
            .map(|entry| entry.expect("entry").path())
            .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
            .collect();
        fixtures.sort();
        for path in &fixtures {
            let text = std::fs::read_to_string(path).expect("readable");
            let expected = expected(&text, path);
            let error = Config::load(&ConfigLocation::explicit(path))
                .expect_err(&path.display().to_string());
            let ConfigError::Invalid(diagnostic) = &error else {
                panic!("{}: {error}", path.display());
            };
            let message = error.to_string();
            assert_eq!(diagnostic.file, *path);
            assert_eq!(diagnostic.line, Some(expected.line), "{message}");
            assert_eq!(diagnostic.field, expected.field, "{message}");
            assert!(
                message.starts_with(&format!("{}:{}:", path.display(), expected.line)),
                "{message}"
            );
            assert!(
                message.contains(&expected.says),
                "{message}\nshould say: {}",
                expected.says
            );
            if let Some(field) = &expected.field {
                assert!(message.contains(&format!(": {field}: ")), "{message}");
            }
        }
        let names: Vec<String> = fixtures
            .iter()
            .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .collect();
        for kind in [
            "bad-yaml",
            "unknown-field",
            "unknown-nested-field",
            "bad-enum",
            "bad-key-spec",
            "unknown-command",
            "unknown-mode",
            "duplicate-key",
            "text-mode-key",
            "bad-staleness",
            "wrong-type",
            "unknown-theme",
        ] {
            assert!(names.iter().any(|n| n == kind), "no fixture for {kind}");
        }
    }
}

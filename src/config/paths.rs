//! Where the console keeps its files: the config file, data (audit log, demo repository),
//! state and cache. On Linux these follow the XDG base directories (`XDG_CONFIG_HOME`,
//! `XDG_DATA_HOME`, `XDG_STATE_HOME`, `XDG_CACHE_HOME`) through `directories`.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use directories::{BaseDirs, ProjectDirs};

/// Environment variable naming the config file (the `--config` flag wins over it).
pub const CONFIG_ENV: &str = "K8TRE_CONSOLE_CONFIG";

/// File name of the config file inside the config directory.
pub const CONFIG_FILE_NAME: &str = "config.yaml";

#[derive(Debug, thiserror::Error)]
pub enum PathsError {
    #[error(
        "cannot find your home directory to place config and data files: \
         set HOME (or XDG_CONFIG_HOME and XDG_DATA_HOME)"
    )]
    NoHome,
}

/// The console's directories for this user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectPaths {
    pub config_dir: PathBuf,
    /// Audit log, demo GitOps repository.
    pub data_dir: PathBuf,
    /// Things worth keeping between runs but not precious (falls back to the local data dir
    /// where the platform has no state dir).
    pub state_dir: PathBuf,
    pub cache_dir: PathBuf,
}

impl ProjectPaths {
    pub fn discover() -> Result<ProjectPaths, PathsError> {
        let dirs = ProjectDirs::from("org", "k8tre", "k8tre-console").ok_or(PathsError::NoHome)?;
        Ok(ProjectPaths {
            config_dir: dirs.config_dir().to_path_buf(),
            data_dir: dirs.data_dir().to_path_buf(),
            state_dir: dirs
                .state_dir()
                .unwrap_or_else(|| dirs.data_local_dir())
                .to_path_buf(),
            cache_dir: dirs.cache_dir().to_path_buf(),
        })
    }

    /// The config file used when none is named.
    pub fn config_file(&self) -> PathBuf {
        self.config_dir.join(CONFIG_FILE_NAME)
    }

    /// The audit log used when the config names none.
    pub fn audit_log(&self) -> PathBuf {
        self.data_dir.join("audit.jsonl")
    }

    /// Where `demo` keeps its GitOps repository.
    pub fn demo_repo(&self) -> PathBuf {
        self.data_dir.join("demo-repo")
    }
}

/// The config file in use, and whether the user named it. A named file must exist; the
/// default one may be absent (built-in defaults apply).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigLocation {
    pub path: PathBuf,
    pub explicit: bool,
}

impl ConfigLocation {
    /// A file the user named: it must exist.
    pub fn explicit(path: impl Into<PathBuf>) -> ConfigLocation {
        ConfigLocation {
            path: path.into(),
            explicit: true,
        }
    }

    /// The default location: it may be absent.
    pub fn default_at(path: impl Into<PathBuf>) -> ConfigLocation {
        ConfigLocation {
            path: path.into(),
            explicit: false,
        }
    }

    /// `--config` if given, else `$K8TRE_CONSOLE_CONFIG` if set and not empty, else the XDG
    /// default. (clap already reads the variable into `--config`; reading it here too keeps the
    /// rule in one place for callers that have no command line.)
    pub fn from_cli(flag: Option<&Path>) -> Result<ConfigLocation, PathsError> {
        let env = std::env::var_os(CONFIG_ENV);
        Self::choose(flag, env.as_deref(), || {
            ProjectPaths::discover().map(|paths| paths.config_file())
        })
    }

    fn choose(
        flag: Option<&Path>,
        env: Option<&OsStr>,
        default: impl FnOnce() -> Result<PathBuf, PathsError>,
    ) -> Result<ConfigLocation, PathsError> {
        let named = flag
            .map(Path::as_os_str)
            .into_iter()
            .chain(env)
            .find(|path| !path.is_empty());
        match named {
            Some(path) => Ok(ConfigLocation::explicit(path)),
            None => default().map(ConfigLocation::default_at),
        }
    }
}

/// Resolves a path written in a config or theme file: `~/` is the home directory, a relative
/// path is relative to `base_dir` (the directory of the file it was written in).
pub fn expand_path(path: &Path, base_dir: &Path) -> PathBuf {
    if let Ok(rest) = path.strip_prefix("~")
        && let Some(dirs) = BaseDirs::new()
    {
        return dirs.home_dir().join(rest);
    }
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        base_dir.join(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn default_path() -> Result<PathBuf, PathsError> {
        Ok(PathBuf::from("/home/u/.config/k8tre-console/config.yaml"))
    }

    #[test]
    fn flag_wins_over_env_wins_over_default() {
        let flag = Path::new("/etc/flag.yaml");
        let env = OsStr::new("/etc/env.yaml");
        let chosen = ConfigLocation::choose(Some(flag), Some(env), default_path).expect("chosen");
        assert_eq!(chosen, ConfigLocation::explicit("/etc/flag.yaml"));
        let chosen = ConfigLocation::choose(None, Some(env), default_path).expect("chosen");
        assert_eq!(chosen, ConfigLocation::explicit("/etc/env.yaml"));
        let chosen = ConfigLocation::choose(None, None, default_path).expect("chosen");
        assert_eq!(
            chosen,
            ConfigLocation::default_at(default_path().expect("path"))
        );
        assert!(!chosen.explicit);
    }

    #[test]
    fn empty_values_are_ignored() {
        let chosen =
            ConfigLocation::choose(Some(Path::new("")), Some(OsStr::new("")), default_path)
                .expect("chosen");
        assert!(!chosen.explicit);
    }

    #[test]
    fn default_location_needs_a_home_only_when_used() {
        let no_home = || Err(PathsError::NoHome);
        assert!(ConfigLocation::choose(None, None, no_home).is_err());
        assert!(ConfigLocation::choose(Some(Path::new("c.yaml")), None, no_home).is_ok());
    }

    #[test]
    fn project_paths_are_named_after_the_app() {
        // Every CI machine and developer box has a home directory; a missing one is a real bug.
        let paths = ProjectPaths::discover().expect("home directory");
        assert!(paths.config_file().ends_with("k8tre-console/config.yaml"));
        assert!(paths.audit_log().ends_with("k8tre-console/audit.jsonl"));
        assert!(paths.demo_repo().starts_with(&paths.data_dir));
    }

    #[test]
    fn paths_in_files_are_relative_to_the_file() {
        let base = Path::new("/etc/k8tre");
        assert_eq!(
            expand_path(Path::new("themes/x.yaml"), base),
            base.join("themes/x.yaml")
        );
        assert_eq!(
            expand_path(Path::new("/abs.yaml"), base),
            PathBuf::from("/abs.yaml")
        );
        let home = BaseDirs::new().expect("home").home_dir().to_path_buf();
        assert_eq!(expand_path(Path::new("~/repo"), base), home.join("repo"));
        assert_eq!(expand_path(Path::new("~"), base), home);
        assert_eq!(expand_path(Path::new("~x/a"), base), base.join("~x/a"));
    }
}

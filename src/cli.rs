//! Command-line definitions (clap derive). Handlers live in [`crate::cmd`].

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Terminal operations console for K8TRE estates: layers, clusters, ArgoCD applications,
/// and guided install, rollback and promotion.
#[derive(Debug, Parser)]
#[command(name = "k8tre-console", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Option<Command>,
}

impl Cli {
    /// Commands that never draw a full-screen UI may log to stderr when no log file is set.
    pub fn logs_to_stderr(&self) -> bool {
        matches!(self.command, Some(Command::Sim(_)))
    }
}

/// Options every command understands.
#[derive(Debug, Clone, Args, Default)]
pub struct GlobalArgs {
    /// Kubeconfig to read instead of $KUBECONFIG / ~/.kube/config
    /// (`sim serve` and `demo` write their kubeconfig here instead).
    #[arg(long, global = true, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,

    /// Kubeconfig context to start from (default: the current context).
    #[arg(long, global = true, value_name = "NAME")]
    pub context: Option<String>,

    /// Config file (default: the XDG config path, see `config path`).
    #[arg(long, global = true, env = "K8TRE_CONSOLE_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Theme name (built-in) or path to a theme YAML file.
    #[arg(long, global = true, value_name = "NAME|PATH")]
    pub theme: Option<String>,

    /// Never write to any cluster: every action is disabled, visibly.
    #[arg(long, global = true)]
    pub read_only: bool,

    /// More logging (-v info, -vv debug, -vvv trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Write logs to this file (never to the terminal the console draws on).
    #[arg(long, global = true, value_name = "PATH")]
    pub log_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the simulated Kubernetes API servers (for demos and tests).
    #[command(subcommand)]
    Sim(SimCommand),

    /// Show where the config file is, or check one.
    #[command(subcommand)]
    Config(ConfigCommand),

    /// Print a shell completion script.
    Completions {
        /// Shell to generate completions for.
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the config file in use (and whether it exists) and the data directories.
    Path,
    /// Validate a config file (default: the one in use) with its theme and keymap.
    Check {
        /// The file to check instead of the one in use.
        file: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum SimCommand {
    /// List the scenarios `--scenario` accepts, one line each.
    Scenarios,

    /// Serve one simulated API server per cluster on 127.0.0.1 until Ctrl-C.
    ///
    /// Writes a kubeconfig (to --kubeconfig, else a temporary file) with contexts
    /// `k8tre-<cluster>` (admin) and `k8tre-<cluster>-viewer` (read-only).
    Serve(SimServeArgs),
}

#[derive(Debug, Clone, Args)]
pub struct SimServeArgs {
    /// Clusters to simulate, comma separated.
    #[arg(long, value_delimiter = ',', default_value = "mgmt,dev,stg,prd")]
    pub clusters: Vec<String>,

    /// First port to listen on; cluster N gets PORT+N. Default: ephemeral ports.
    #[arg(long)]
    pub port: Option<u16>,

    /// Append every request as one JSON line to this file.
    #[arg(long, value_name = "FILE")]
    pub request_log: Option<PathBuf>,
}

//! Command-line definitions (clap derive). Handlers live in [`crate::cmd`].

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Terminal operations console for K8TRE estates: layers, clusters, ArgoCD applications,
/// and guided install, rollback and promotion.
#[derive(Debug, Parser)]
#[command(
    name = "k8tre-console",
    version,
    about,
    long_about = None,
    propagate_version = true,
    after_help = "Without a command the console opens on the estate the kubeconfig reaches: the \
                  layers × environments matrix, the clusters, every Application. Press ? in it \
                  for the keys. `k8tre-console demo` opens it on a simulated estate."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(flatten)]
    pub console: ConsoleArgs,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options of the console itself (no subcommand).
#[derive(Debug, Clone, Args, Default)]
pub struct ConsoleArgs {
    /// Kubeconfig context of the ArgoCD management cluster (default: config
    /// `management_context`, else the context holding Applications in ArgoCD's namespace).
    #[arg(long, value_name = "NAME")]
    pub mgmt_context: Option<String>,

    /// A checkout of the GitOps repository: the catalog and the expected Applications
    /// (default: config `repo`).
    #[arg(long, value_name = "DIR")]
    pub repo: Option<PathBuf>,

    /// Capture the mouse: click to select and focus, wheel to scroll (the terminal's own text
    /// selection then needs Shift).
    #[arg(long)]
    pub mouse: bool,

    /// Write the bytes written to the terminal to FILE at exit (for measurements).
    #[arg(long, value_name = "FILE", hide = true)]
    pub stats: Option<PathBuf>,
}

impl Cli {
    /// Commands that never draw a full-screen UI may log to stderr when no log file is set.
    pub fn logs_to_stderr(&self) -> bool {
        matches!(
            self.command,
            Some(Command::Sim(_) | Command::Status(_) | Command::Repo(_) | Command::Screenshots(_))
        )
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
    /// Start a simulated K8TRE estate (ArgoCD, dev/stg/prd, a demo GitOps repository) on
    /// 127.0.0.1 and open the console on it; quitting the console stops the estate. Needs
    /// nothing installed.
    Demo(DemoArgs),

    /// Run the simulated Kubernetes API servers (for demos and tests).
    #[command(subcommand)]
    Sim(SimCommand),

    /// Show where the config file is, or check one.
    #[command(subcommand)]
    Config(ConfigCommand),

    /// Print the estate once: clusters, the layer × environment matrix, every Application,
    /// and expected Applications that are missing or unexpected.
    ///
    /// Exit code: 0, or 1 when a --fail-on condition holds, or 2 when the status cannot be
    /// read at all (kubeconfig, management cluster, repository).
    Status(StatusArgs),

    /// Read a GitOps checkout without any cluster.
    #[command(subcommand)]
    Repo(RepoCommand),

    /// Render every screen of the console from a seeded simulated estate to SVG files (the
    /// README's screenshots).
    #[command(hide = true)]
    Screenshots(ScreenshotsArgs),

    /// Print a shell completion script.
    Completions {
        /// Shell to generate completions for.
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Clone, Args)]
pub struct ScreenshotsArgs {
    /// Directory to write `<screen>.svg` to.
    #[arg(long, default_value = "screenshots", value_name = "DIR")]
    pub out: PathBuf,

    /// Terminal size, WIDTHxHEIGHT (repeat for several).
    #[arg(long = "size", value_name = "WxH", default_value = "160x48", value_parser = parse_size)]
    pub sizes: Vec<(u16, u16)>,
}

/// Parses `160x48`.
pub fn parse_size(text: &str) -> Result<(u16, u16), String> {
    let (w, h) = text
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("{text:?}: expected WIDTHxHEIGHT, e.g. 160x48"))?;
    let parse = |v: &str, what: &str| {
        v.trim()
            .parse::<u16>()
            .ok()
            .filter(|n| (10..=1000).contains(n))
            .ok_or_else(|| format!("{text:?}: {what} must be a number from 10 to 1000"))
    };
    Ok((parse(w, "the width")?, parse(h, "the height")?))
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

/// The shape of a simulated estate: scenario, speed, scale and faults.
#[derive(Debug, Clone, Args)]
pub struct ScenarioArgs {
    /// Simulated delays are divided by this (2: everything happens twice as fast).
    #[arg(long, default_value_t = 1.0, value_name = "FACTOR")]
    pub speed: f64,

    /// Grow the estate by about this many synthetic Applications (for benchmarks).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub apps: usize,

    /// Replicas of each synthetic Application's Deployment.
    #[arg(long, default_value_t = 3, value_name = "M")]
    pub pods_per_app: usize,

    /// Pod status changes per second across the target clusters (for benchmarks).
    #[arg(long, default_value_t = 0.0, value_name = "EVENTS_PER_SEC")]
    pub churn: f64,

    /// A fault to start with, CLUSTER=refuse|hang|error-rate:RATE|latency:DURATION (repeatable).
    #[arg(long = "fault", value_name = "SPEC")]
    pub faults: Vec<crate::sim::scenario::faults::FaultSpec>,

    /// The demo GitOps repository (reused if it already is one). Default: the data directory
    /// for `demo`, a temporary directory for `sim serve`.
    #[arg(long, value_name = "DIR")]
    pub repo_dir: Option<PathBuf>,

    /// Write per-resource health into Applications (`controller.resource.health.persist`).
    #[arg(long)]
    pub health_persist: bool,
}

#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// Which state the estate is in (`k8tre-console sim scenarios` lists them).
    #[arg(long, value_enum, default_value_t = crate::sim::scenario::Scenario::Demo)]
    pub scenario: crate::sim::scenario::Scenario,

    #[command(flatten)]
    pub shape: ScenarioArgs,

    /// First port; cluster N gets PORT+N. Default: ephemeral ports.
    #[arg(long)]
    pub port: Option<u16>,

    /// Append every request as one JSON line to this file.
    #[arg(long, value_name = "FILE")]
    pub request_log: Option<PathBuf>,

    /// Serve the estate until Ctrl-C without opening the console (reach it with kubectl or
    /// another console: the banner prints the kubeconfig).
    #[arg(long)]
    pub serve_only: bool,

    /// Capture the mouse in the console (see the console's own --mouse).
    #[arg(long)]
    pub mouse: bool,

    /// Write the bytes written to the terminal to FILE at exit (for measurements).
    #[arg(long, value_name = "FILE", hide = true)]
    pub stats: Option<PathBuf>,
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

    /// Run a whole simulated K8TRE estate in this state (clusters mgmt, dev, stg, prd, with
    /// ArgoCD and workloads) instead of bare API servers.
    #[arg(long, value_enum, conflicts_with = "clusters")]
    pub scenario: Option<crate::sim::scenario::Scenario>,

    #[command(flatten)]
    pub shape: ScenarioArgs,
}

/// Where the live estate comes from, beside the global kubeconfig options.
#[derive(Debug, Clone, Args, Default)]
pub struct LiveArgs {
    /// Kubeconfig context of the ArgoCD management cluster (default: config
    /// `management_context`, else the context holding Applications in ArgoCD's namespace).
    #[arg(long, value_name = "NAME")]
    pub mgmt_context: Option<String>,

    /// A checkout of the GitOps repository: the catalog and the expected Applications
    /// (default: config `repo`; without one the catalog is read from the cluster).
    #[arg(long, value_name = "DIR")]
    pub repo: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
    Yaml,
}

/// Conditions that make `status` exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOnArg {
    /// An Application is Degraded or Missing, or a cell is degraded.
    Degraded,
    /// An Application is OutOfSync, or an expected Application is missing.
    Outofsync,
    /// A cluster is not live and fresh, or a cell is stale or unknown.
    Stale,
}

#[derive(Debug, Clone, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub live: LiveArgs,

    #[arg(long, short, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,

    /// Exit 1 when any of these holds (comma separated or repeated).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub fail_on: Vec<FailOnArg>,

    /// Seconds to wait for every watch to list once; what is not in by then is printed as
    /// connecting or unknown, never healthy.
    #[arg(long, default_value_t = 10, value_name = "SECONDS")]
    pub timeout: u64,
}

#[derive(Debug, Subcommand)]
pub enum RepoCommand {
    /// Layers, components and their environment directories, ApplicationSets and their
    /// generators; files that do not parse are named with line and reason (exit 1).
    Scan(RepoScanArgs),
    /// The Applications the ApplicationSets generate for hypothetical clusters.
    Expected(RepoExpectedArgs),
}

#[derive(Debug, Clone, Args)]
pub struct RepoScanArgs {
    /// The checkout to read.
    #[arg(long, value_name = "DIR")]
    pub repo: PathBuf,

    #[arg(long, short, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
}

#[derive(Debug, Clone, Args)]
pub struct RepoExpectedArgs {
    /// The checkout to read.
    #[arg(long, value_name = "DIR")]
    pub repo: PathBuf,

    /// A hypothetical ArgoCD cluster and its labels, e.g.
    /// `k8tre-dev:environment=dev,vendor=k3s` (repeat for several). Its server is
    /// `https://<NAME>`, or ArgoCD's in-cluster address for `in-cluster`.
    #[arg(long = "cluster", value_name = "NAME:KEY=VALUE,...", required = true, value_parser = parse_cluster_spec)]
    pub clusters: Vec<ClusterSpec>,

    #[arg(long, short, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
}

/// A hypothetical cluster given on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterSpec {
    pub name: String,
    pub labels: Vec<(String, String)>,
}

/// Parses `NAME:key=value,key=value` (labels optional: `NAME` or `NAME:`).
pub fn parse_cluster_spec(text: &str) -> Result<ClusterSpec, String> {
    let (name, labels) = text.split_once(':').unwrap_or((text, ""));
    let name = name.trim();
    if name.is_empty() {
        return Err(format!("{text:?}: the cluster name before ':' is empty"));
    }
    let mut pairs = Vec::new();
    for pair in labels.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((key, value)) = pair.split_once('=') else {
            return Err(format!("{text:?}: expected key=value, found {pair:?}"));
        };
        if key.trim().is_empty() {
            return Err(format!("{text:?}: empty label key in {pair:?}"));
        }
        pairs.push((key.trim().to_string(), value.trim().to_string()));
    }
    Ok(ClusterSpec {
        name: name.to_string(),
        labels: pairs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_specs() {
        assert_eq!(
            parse_cluster_spec("k8tre-dev:environment=dev, vendor=k3s").expect("ok"),
            ClusterSpec {
                name: "k8tre-dev".into(),
                labels: vec![
                    ("environment".into(), "dev".into()),
                    ("vendor".into(), "k3s".into())
                ],
            }
        );
        assert_eq!(parse_cluster_spec("bare").expect("ok").labels, vec![]);
        assert!(parse_cluster_spec(":environment=dev").is_err());
        let err = parse_cluster_spec("x:environment").expect_err("no =");
        assert!(err.contains("expected key=value"), "{err}");
    }

    #[test]
    fn status_flags_parse() {
        let cli = Cli::try_parse_from([
            "k8tre-console",
            "status",
            "--output",
            "json",
            "--fail-on",
            "degraded,stale",
            "--mgmt-context",
            "k8tre-mgmt",
        ])
        .expect("parses");
        let Some(Command::Status(args)) = cli.command else {
            panic!("status");
        };
        assert_eq!(args.output, OutputFormat::Json);
        assert_eq!(args.fail_on, vec![FailOnArg::Degraded, FailOnArg::Stale]);
        assert_eq!(args.live.mgmt_context.as_deref(), Some("k8tre-mgmt"));
    }
}

//! The demo GitOps repository: a real git repository in upstream K8TRE's layout (appsets,
//! agnostics, apps), with a month of deterministic history, for the simulated ArgoCD to
//! deploy from and for the console's promotion and rollback features to act on.
//!
//! The estate it is designed for is [`DEMO_CLUSTERS`]: dev on k3s, stg on Azure, prd on
//! AWS. Vendor-specific components only have env directories where such a cluster exists.

mod agnostics;
mod apps;
mod appsets;
mod history;
mod model;
mod versions;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::gitops::git::{Commit, Git, GitError, Identity};
use crate::gitops::import::{FileChange, ImportError, ImportStream};
use crate::gitops::tree::{RevisionTree, WorkingTree};

pub use versions::{
    PendingPromotion, PromotableVersion, compare_versions, pending_promotions, promotable_versions,
};

use model::{Files, RepoState};

/// The branch the demo repository is on and every ApplicationSet tracks.
pub const DEMO_REVISION: &str = "main";

/// Bumped whenever the generated content changes, so old demo repositories are recreated.
const FORMAT: u32 = 2;

/// Kept inside `.git/` so it is never part of the tree ArgoCD sees.
const MARKER: &str = "k8tre-demo-repo";

/// A cluster of the demo estate, with the labels its ArgoCD cluster Secret carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoCluster {
    /// The ArgoCD cluster name (Applications are named `<component>-<name>`).
    pub name: &'static str,
    pub environment: &'static str,
    pub vendor: &'static str,
    /// Every label of the cluster Secret, `environment` and `vendor` included.
    pub labels: &'static [(&'static str, &'static str)],
}

impl DemoCluster {
    /// The value of one label, if the cluster carries it.
    pub fn label(&self, key: &str) -> Option<&'static str> {
        self.labels
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, value)| *value)
    }

    /// The labels as a map, the shape a cluster Secret's metadata wants.
    pub fn label_map(&self) -> BTreeMap<String, String> {
        self.labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }
}

/// The demo estate's target clusters, labelled as upstream's install guide (k3s),
/// k8tre-azure and k8tre-aws label theirs (k8tre.md §3.2).
pub const DEMO_CLUSTERS: [DemoCluster; 3] = [
    DemoCluster {
        name: "k8tre-dev",
        environment: "dev",
        vendor: "k3s",
        labels: &[
            ("environment", "dev"),
            ("vendor", "k3s"),
            ("secret-store", "kubernetes"),
            ("external-dns", "k3s"),
            ("external-domain", "dev.k8tre.org"),
            ("storage-class", "k3s"),
            ("metallb-ip-range", "172.26.64.240-172.26.64.250"),
        ],
    },
    DemoCluster {
        name: "k8tre-stg",
        environment: "stg",
        vendor: "azure",
        labels: &[
            ("environment", "stg"),
            ("vendor", "azure"),
            ("secret-store", "kubernetes"),
            ("external-dns", "azure"),
            ("external-domain", "stg.k8tre.org"),
            ("storage-class", "azure"),
            ("skip-cilium", "true"),
            ("skip-gateway", "false"),
        ],
    },
    DemoCluster {
        name: "k8tre-prd",
        environment: "prd",
        vendor: "aws",
        labels: &[
            ("environment", "prd"),
            ("vendor", "aws"),
            ("secret-store", "aws"),
            ("external-dns", "aws"),
            ("external-domain", "k8tre.org"),
            ("region", "eu-west-2"),
            ("cluster-name", "k8tre-prd-eks"),
            ("skip-metallb", "true"),
        ],
    },
];

/// How to create the demo repository.
#[derive(Debug, Clone, Default)]
pub struct DemoRepoOptions {
    /// The URL the ApplicationSets and the root app point at. Default: `file://<dir>`, the
    /// repository itself, so the demo is honest about being local.
    pub repo_url: Option<String>,
    /// `HOME` for the git processes (tests point it at a temporary directory). Git never
    /// reads the user's config either way.
    pub git_home: Option<PathBuf>,
}

/// A demo repository on disk.
#[derive(Debug, Clone)]
pub struct DemoRepo {
    pub path: PathBuf,
    pub repo_url: String,
    pub head: String,
    /// Newest first.
    pub commits: Vec<Commit>,
    /// Values newer in one environment than in the next, at HEAD.
    pub pending_promotions: Vec<PendingPromotion>,
    git: Git,
}

impl DemoRepo {
    /// A git handle on the repository, with the same environment it was created with.
    pub fn git(&self) -> &Git {
        &self.git
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DemoRepoError {
    #[error(transparent)]
    Git(#[from] GitError),
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error("demo repository: cannot {action} {}: {source}", .path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{} is not empty and is not a k8tre-console demo repository; refusing to overwrite it",
        .path.display()
    )]
    NotADemoRepo { path: PathBuf },
    #[error(
        "{} is not empty; the demo repository is created in an empty or new directory",
        .path.display()
    )]
    NotEmpty { path: PathBuf },
}

/// Creates the demo repository in `dir`, which must be missing or empty.
pub fn create_demo_repo(dir: &Path, opts: &DemoRepoOptions) -> Result<DemoRepo, DemoRepoError> {
    if !dir_is_missing_or_empty(dir)? {
        return Err(DemoRepoError::NotEmpty {
            path: dir.to_path_buf(),
        });
    }
    std::fs::create_dir_all(dir).map_err(|source| io("create", dir, source))?;
    let path = dir
        .canonicalize()
        .map_err(|source| io("resolve", dir, source))?;
    let repo_url = opts
        .repo_url
        .clone()
        .unwrap_or_else(|| default_repo_url(&path));
    let git = git_for(&path, opts);
    git.init()?;
    write_marker(&path, &repo_url, MarkerState::Creating)?;

    // The whole history goes in through one fast-import, then one checkout: far cheaper
    // than writing the work tree and committing once per step.
    git.fast_import(&history_stream(&repo_url)?)?;
    git.reset_hard("HEAD")?;
    write_marker(&path, &repo_url, MarkerState::Ready)?;

    let commits = git.log(None, history::HISTORY.len())?;
    let head = git.head()?;
    // The checkout is exactly HEAD here, so read it from disk without more git calls.
    let pending_promotions = pending_promotions(&WorkingTree::new(&path));
    Ok(DemoRepo {
        path,
        repo_url,
        head,
        commits,
        pending_promotions,
        git,
    })
}

/// Opens the demo repository in `dir` if it is one (kept with whatever commits the console
/// has added since), creates it if `dir` is missing or empty, and recreates it if it is an
/// outdated or broken demo repository. Any other non-empty directory is left alone.
pub fn ensure_demo_repo(dir: &Path) -> Result<DemoRepo, DemoRepoError> {
    ensure_demo_repo_with(dir, &DemoRepoOptions::default())
}

/// [`ensure_demo_repo`] with explicit options.
pub fn ensure_demo_repo_with(
    dir: &Path,
    opts: &DemoRepoOptions,
) -> Result<DemoRepo, DemoRepoError> {
    if dir_is_missing_or_empty(dir)? {
        return create_demo_repo(dir, opts);
    }
    let Some(marker) = read_marker(dir) else {
        return Err(DemoRepoError::NotADemoRepo {
            path: dir.to_path_buf(),
        });
    };
    let path = dir
        .canonicalize()
        .map_err(|source| io("resolve", dir, source))?;
    let wanted_url = opts
        .repo_url
        .clone()
        .unwrap_or_else(|| default_repo_url(&path));
    if marker.is_current(&wanted_url)
        && let Some(repo) = open_demo_repo(&path, opts, wanted_url)
    {
        return Ok(repo);
    }
    tracing::info!(path = %path.display(), "recreating outdated demo repository");
    std::fs::remove_dir_all(&path).map_err(|source| io("remove", &path, source))?;
    create_demo_repo(&path, opts)
}

fn open_demo_repo(path: &Path, opts: &DemoRepoOptions, repo_url: String) -> Option<DemoRepo> {
    let git = git_for(path, opts);
    if !git.is_repo() {
        return None;
    }
    let opened = (|| -> Result<DemoRepo, GitError> {
        let head = git.head()?;
        let commits = git.log(None, 500)?;
        let tree = RevisionTree::load(git.clone(), &head)?;
        tree.prefetch("apps")?;
        Ok(DemoRepo {
            path: path.to_path_buf(),
            repo_url,
            head,
            commits,
            pending_promotions: pending_promotions(&tree),
            git: git.clone(),
        })
    })();
    match opened {
        Ok(repo) => Some(repo),
        Err(err) => {
            tracing::warn!(%err, "demo repository is unreadable");
            None
        }
    }
}

/// Every file of the repository in `state`.
fn render(state: &RepoState, repo_url: &str) -> Files {
    let mut files = Files::default();
    files.add("README.md", README);
    appsets::render(&mut files, repo_url, DEMO_REVISION);
    if state.agnostics {
        agnostics::render(&mut files, state);
    }
    if state.apps {
        apps::render(&mut files, state);
    }
    files
}

const README: &str = "# K8TRE demo GitOps repository\n\n\
Generated by `k8tre-console` for its simulated estate. It follows the layout of\n\
https://github.com/k8tre/k8tre: `appsets/` holds the ApplicationSets the root\n\
app-of-apps (`app_of_apps/`) deploys; `agnostics/` and `apps/` hold the components, each\n\
with `envs/<env>` (or `<vendor>/envs/<env>`) directories that decide what runs where.\n\n\
The estate: dev on k3s, stg on Azure, prd on AWS.\n";

/// The demo history as a fast-import stream on `main`.
fn history_stream(repo_url: &str) -> Result<Vec<u8>, DemoRepoError> {
    let branch = format!("refs/heads/{DEMO_REVISION}");
    let mut stream = ImportStream::new();
    let mut state = RepoState::initial();
    let mut before = Files::default();
    for step in history::HISTORY {
        (step.apply)(&mut state);
        let after = render(&state, repo_url);
        let (name, email) = step.author;
        stream.commit(
            &branch,
            &Identity::new(name, email),
            step.date,
            step.message,
            &changes(&before, &after),
        )?;
        before = after;
    }
    Ok(stream.finish())
}

/// The file changes that turn `before` into `after`.
fn changes(before: &Files, after: &Files) -> Vec<FileChange> {
    let written = after
        .iter()
        .filter(|(path, text)| before.get(path) != Some(*text))
        .map(|(path, text)| FileChange::Write {
            path: path.to_string(),
            text: text.to_string(),
        });
    let deleted = before
        .paths()
        .filter(|path| after.get(path).is_none())
        .map(|path| FileChange::Delete {
            path: path.to_string(),
        });
    written.chain(deleted).collect()
}

fn git_for(path: &Path, opts: &DemoRepoOptions) -> Git {
    let git = Git::new(path);
    match &opts.git_home {
        Some(home) => git.with_home(home),
        None => git,
    }
}

fn default_repo_url(path: &Path) -> String {
    format!("file://{}", path.display())
}

fn dir_is_missing_or_empty(dir: &Path) -> Result<bool, DemoRepoError> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => Ok(entries.next().is_none()),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(source) => Err(io("read", dir, source)),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MarkerState {
    /// Written before the first commit: a repository left like this is ours but broken.
    Creating,
    Ready,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Marker {
    format: u32,
    repo_url: String,
    state: MarkerState,
}

impl Marker {
    fn is_current(&self, repo_url: &str) -> bool {
        self.format == FORMAT && self.state == MarkerState::Ready && self.repo_url == repo_url
    }

    fn parse(text: &str) -> Option<Marker> {
        let mut format = None;
        let mut repo_url = None;
        let mut state = None;
        for line in text.lines() {
            match line.split_once(": ") {
                Some(("format", value)) => format = value.parse().ok(),
                Some(("repo_url", value)) => repo_url = Some(value.to_string()),
                Some(("state", "ready")) => state = Some(MarkerState::Ready),
                Some(("state", _)) => state = Some(MarkerState::Creating),
                _ => {}
            }
        }
        Some(Marker {
            format: format?,
            repo_url: repo_url?,
            state: state?,
        })
    }
}

fn marker_path(dir: &Path) -> PathBuf {
    dir.join(".git").join(MARKER)
}

fn write_marker(dir: &Path, repo_url: &str, state: MarkerState) -> Result<(), DemoRepoError> {
    let state = match state {
        MarkerState::Creating => "creating",
        MarkerState::Ready => "ready",
    };
    let text = format!(
        "k8tre-console demo GitOps repository\nformat: {FORMAT}\nrepo_url: {repo_url}\nstate: {state}\n"
    );
    let path = marker_path(dir);
    std::fs::write(&path, text).map_err(|source| io("write", &path, source))
}

fn read_marker(dir: &Path) -> Option<Marker> {
    let text = std::fs::read_to_string(marker_path(dir)).ok()?;
    Marker::parse(&text)
}

fn io(action: &'static str, path: &Path, source: std::io::Error) -> DemoRepoError {
    DemoRepoError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests;

//! The GitOps repository as ArgoCD's repo server sees it: revisions resolved to commits
//! (symbolic ones re-resolved by a poller, so new commits are noticed), and the tree of a
//! commit, read once and cached. Every git call runs on the blocking pool.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::Mutex;
use tokio::sync::watch;

use crate::gitops::git::{Git, GitError};
use crate::gitops::tree::RevisionTree;

/// How many commit trees are kept in memory.
const TREE_CACHE: usize = 8;

#[derive(Debug, Clone, thiserror::Error)]
pub enum RepoError {
    #[error(
        "rpc error: code = Unknown desc = failed to list refs: repository not found: {url} is not a repository this ArgoCD can reach"
    )]
    UnknownRepository { url: String },
    #[error(
        "rpc error: code = Unknown desc = unable to resolve '{revision}' to a commit SHA: {reason}"
    )]
    Unresolvable { revision: String, reason: String },
    #[error("rpc error: code = Unknown desc = failed to read commit {commit}: {reason}")]
    Tree { commit: String, reason: String },
}

/// The one repository the simulated ArgoCD deploys from.
pub struct Repo {
    git: Git,
    path: PathBuf,
    url: String,
    /// Symbolic revision (`main`, `HEAD`) → commit, refreshed by [`Repo::poll`].
    refs: Mutex<HashMap<String, String>>,
    trees: Mutex<VecDeque<(String, Arc<RevisionTree>)>>,
    /// Bumped whenever a symbolic revision moves.
    commits: watch::Sender<u64>,
}

fn is_full_sha(revision: &str) -> bool {
    revision.len() == 40 && revision.chars().all(|c| c.is_ascii_hexdigit())
}

/// `HEAD` for an empty revision (ArgoCD's default), otherwise the revision as written.
fn normalise(revision: &str) -> &str {
    if revision.is_empty() {
        "HEAD"
    } else {
        revision
    }
}

impl Repo {
    pub fn new(path: &Path, url: &str, git_home: Option<&Path>) -> Self {
        let git = Git::new(path);
        let git = match git_home {
            Some(home) => git.with_home(home),
            None => git,
        };
        Self {
            git,
            path: path.to_path_buf(),
            url: url.to_string(),
            refs: Mutex::new(HashMap::new()),
            trees: Mutex::new(VecDeque::new()),
            commits: watch::channel(0).0,
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Whether a source's `repoURL` names this repository (its URL, or `file://` + its path,
    /// with or without a trailing `.git` or slash).
    pub fn serves(&self, url: &str) -> bool {
        let clean = |u: &str| {
            u.trim_end_matches('/')
                .trim_end_matches(".git")
                .trim_end_matches('/')
                .to_string()
        };
        let wanted = clean(url);
        wanted == clean(&self.url) || wanted == clean(&format!("file://{}", self.path.display()))
    }

    /// Changes whenever a branch the controllers use moves.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.commits.subscribe()
    }

    /// The commit a revision names. Symbolic revisions come from the poller's cache once
    /// known; `force` asks git again (hard refresh).
    pub async fn resolve(&self, revision: &str, force: bool) -> Result<String, RepoError> {
        let revision = normalise(revision).to_string();
        if !force && let Some(sha) = self.refs.lock().get(&revision) {
            return Ok(sha.clone());
        }
        let git = self.git.clone();
        let asked = revision.clone();
        let sha = run_blocking(move || git.rev_parse(&asked))
            .await
            .map_err(|reason| RepoError::Unresolvable {
                revision: revision.clone(),
                reason,
            })?;
        self.refs.lock().insert(revision, sha.clone());
        Ok(sha)
    }

    /// The tree of a commit.
    pub async fn tree(&self, commit: &str) -> Result<Arc<RevisionTree>, RepoError> {
        if let Some(tree) = self
            .trees
            .lock()
            .iter()
            .find(|(c, _)| c == commit)
            .map(|(_, t)| t.clone())
        {
            return Ok(tree);
        }
        let git = self.git.clone();
        let wanted = commit.to_string();
        let tree = run_blocking(move || {
            let tree = RevisionTree::load(git, &wanted)?;
            tree.prefetch("")?;
            Ok(tree)
        })
        .await
        .map_err(|reason| RepoError::Tree {
            commit: commit.to_string(),
            reason,
        })?;
        let tree = Arc::new(tree);
        let mut trees = self.trees.lock();
        trees.push_front((commit.to_string(), tree.clone()));
        trees.truncate(TREE_CACHE);
        Ok(tree)
    }

    /// Re-resolves every symbolic revision in use; returns whether any moved.
    pub async fn poll(&self) -> bool {
        let symbolic: Vec<(String, String)> = self
            .refs
            .lock()
            .iter()
            .filter(|(rev, _)| !is_full_sha(rev))
            .map(|(r, s)| (r.clone(), s.clone()))
            .collect();
        let mut moved = false;
        for (revision, old) in symbolic {
            let git = self.git.clone();
            let asked = revision.clone();
            match run_blocking(move || git.rev_parse(&asked)).await {
                Ok(sha) if sha != old => {
                    tracing::info!(%revision, from = %old, to = %sha, "simulated ArgoCD saw a new commit");
                    self.refs.lock().insert(revision, sha);
                    moved = true;
                }
                Ok(_) => {}
                Err(err) => tracing::warn!(%revision, %err, "polling the GitOps repository failed"),
            }
        }
        if moved {
            self.commits.send_modify(|n| *n += 1);
        }
        moved
    }
}

async fn run_blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, GitError> + Send + 'static,
) -> Result<T, String> {
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => result.map_err(|e| e.to_string()),
        Err(join) => Err(format!("git task failed: {join}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gitops::git::Identity;
    use crate::gitops::tree::RepoTree;

    fn commit(git: &Git, path: &str, text: &str) {
        let full = git.repo().join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        std::fs::write(full, text).expect("write");
        git.add_all().expect("add");
        git.commit("c", &Identity::new("T", "t@example.org"), None)
            .expect("commit");
    }

    #[tokio::test]
    async fn revisions_resolve_and_the_poller_notices_new_commits() {
        let dir = tempfile::TempDir::new().expect("tmp");
        let git = Git::new(dir.path().join("repo")).with_home(dir.path());
        git.init().expect("init");
        commit(&git, "apps/a/k.yaml", "a: 1\n");
        let repo = Repo::new(git.repo(), "https://example.org/r.git", Some(dir.path()));
        assert!(repo.serves("https://example.org/r"));
        assert!(repo.serves(&format!("file://{}/", git.repo().display())));
        assert!(!repo.serves("https://example.org/other.git"));

        let first = repo.resolve("main", false).await.expect("main");
        assert_eq!(repo.resolve("", false).await.expect("HEAD"), first);
        let tree = repo.tree(&first).await.expect("tree");
        assert_eq!(tree.read_file("apps/a/k.yaml").as_deref(), Some("a: 1\n"));
        assert!(!repo.poll().await);

        let commits = repo.subscribe();
        commit(&git, "apps/a/k.yaml", "a: 2\n");
        assert_eq!(repo.resolve("main", false).await.expect("cached"), first);
        assert!(repo.poll().await);
        assert!(commits.has_changed().expect("open"));
        let second = repo.resolve("main", false).await.expect("main");
        assert_ne!(first, second);
        assert_eq!(repo.resolve(&first, false).await.expect("sha"), first);
        let err = repo
            .resolve("no-such-branch", false)
            .await
            .expect_err("unknown");
        assert!(err.to_string().contains("no-such-branch"), "{err}");
    }
}

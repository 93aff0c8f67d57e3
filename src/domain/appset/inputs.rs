//! What evaluation reads besides the ApplicationSet: cluster secrets and the repo tree.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// An ArgoCD cluster secret as the clusters generator sees it. `labels` are the secret's
/// labels as they are (including `argocd.argoproj.io/secret-type` if the caller keeps it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterInfo {
    pub name: String,
    pub server: String,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

impl ClusterInfo {
    pub fn new(name: impl Into<String>, server: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            server: server.into(),
            ..Self::default()
        }
    }

    pub fn with_label(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.labels.insert(key.into(), value.into());
        self
    }

    pub fn with_annotation(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.annotations.insert(key.into(), value.into());
        self
    }
}

/// The directories of the GitOps repository at the generator's revision, as repo-relative
/// paths (`apps/jupyterhub/envs/dev`). Ancestors need not be listed: they are implied.
pub trait RepoDirectories {
    fn directories(&self) -> Vec<String>;
}

impl RepoDirectories for Vec<String> {
    fn directories(&self) -> Vec<String> {
        self.clone()
    }
}

impl RepoDirectories for [String] {
    fn directories(&self) -> Vec<String> {
        self.to_vec()
    }
}

impl RepoDirectories for [&str] {
    fn directories(&self) -> Vec<String> {
        self.iter().map(|s| s.to_string()).collect()
    }
}

impl RepoDirectories for BTreeSet<String> {
    fn directories(&self) -> Vec<String> {
        self.iter().cloned().collect()
    }
}

impl<T: RepoDirectories + ?Sized> RepoDirectories for &T {
    fn directories(&self) -> Vec<String> {
        (**self).directories()
    }
}

/// The repository's directories as ArgoCD's repo server lists them: normalised, ancestors
/// included, hidden directories (any segment starting with `.`) and their contents left out.
pub fn visible_directories<R: RepoDirectories + ?Sized>(repo: &R) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for raw in repo.directories() {
        let path = raw.trim_start_matches("./").trim_matches('/');
        let mut prefix = String::new();
        for segment in path.split('/').filter(|s| !s.is_empty()) {
            if segment.starts_with('.') {
                break;
            }
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(segment);
            out.insert(prefix.clone());
        }
    }
    out
}

//! A GitOps checkout read as K8TRE lays it out: the ApplicationSets under `appsets/`, the
//! component catalog they imply, each component's environment directories, and the
//! Applications they would generate for given clusters.
//!
//! A file that does not parse is named with its line and reason and the others are still
//! read: one broken ApplicationSet must not hide the rest of the estate.

use std::path::{Path, PathBuf};

use super::tree::{RepoTree, WorkingTree};
use crate::domain::appset::{
    AppSetParseError, ApplicationSet, ClusterInfo, EvaluationReport, evaluate_applicationsets,
    load_applicationsets,
};
use crate::domain::catalog::{Catalog, CatalogSource, EnvDirectories};

/// The folder K8TRE keeps its ApplicationSets in.
pub const APPSETS_DIR: &str = "appsets";

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("GitOps repository {}: does not exist", .0.display())]
    NotFound(PathBuf),
    #[error("GitOps repository {}: not a directory", .0.display())]
    NotADirectory(PathBuf),
    #[error("GitOps repository {}: cannot be read: {source}", path.display())]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What a checkout holds.
#[derive(Debug, Clone)]
pub struct RepoScan {
    /// The checkout's path as given.
    pub root: String,
    /// Every directory (what git directory generators match against).
    pub directories: Vec<String>,
    /// The YAML files read under `appsets/`.
    pub files: Vec<String>,
    /// (file, ApplicationSet) in file order.
    pub appsets: Vec<(String, ApplicationSet)>,
    /// Files that did not parse, with line and reason.
    pub errors: Vec<AppSetParseError>,
    /// Files listed but unreadable (not UTF-8, permissions).
    pub unreadable: Vec<String>,
    pub catalog: Catalog,
}

impl RepoScan {
    /// Scans a checkout on disk.
    pub fn checkout(path: &Path) -> Result<RepoScan, ScanError> {
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => return Err(ScanError::NotADirectory(path.to_path_buf())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ScanError::NotFound(path.to_path_buf()));
            }
            Err(source) => {
                return Err(ScanError::Unreadable {
                    path: path.to_path_buf(),
                    source,
                });
            }
        }
        if let Err(source) = std::fs::read_dir(path) {
            return Err(ScanError::Unreadable {
                path: path.to_path_buf(),
                source,
            });
        }
        Ok(Self::tree(
            &WorkingTree::new(path),
            &path.display().to_string(),
        ))
    }

    /// Scans any repository tree; `root` names it in output.
    pub fn tree(tree: &dyn RepoTree, root: &str) -> RepoScan {
        let files: Vec<String> = tree
            .list_files(APPSETS_DIR)
            .into_iter()
            .filter(|f| f.ends_with(".yaml") || f.ends_with(".yml"))
            .collect();
        let mut unreadable = Vec::new();
        let mut texts = Vec::new();
        for file in &files {
            match tree.read_file(file) {
                Some(text) => texts.push((file.clone(), text)),
                None => unreadable.push(file.clone()),
            }
        }
        let loaded = load_applicationsets(texts.iter().map(|(f, t)| (f.as_str(), t.as_str())));
        let catalog =
            Catalog::from_applicationsets(&loaded.appsets).with_source(CatalogSource::Repo {
                path: root.to_string(),
            });
        RepoScan {
            root: root.to_string(),
            directories: tree.directories(),
            files,
            appsets: loaded.appsets,
            errors: loaded.errors,
            unreadable,
            catalog,
        }
    }

    /// The Applications these ApplicationSets generate for `clusters` over this tree.
    pub fn expected(&self, clusters: &[ClusterInfo]) -> EvaluationReport {
        let appsets: Vec<ApplicationSet> = self.appsets.iter().map(|(_, a)| a.clone()).collect();
        evaluate_applicationsets(&appsets, clusters, &self.directories)
    }

    /// Each catalogued component's environment directories, in catalog order (one entry per
    /// component name).
    pub fn env_directories(&self) -> Vec<EnvDirectories> {
        let mut seen = std::collections::BTreeSet::new();
        self.catalog
            .components
            .iter()
            .filter(|c| seen.insert(c.name.clone()))
            .filter_map(|c| {
                self.catalog
                    .env_directories(&c.name, &self.directories)
                    .ok()
            })
            .collect()
    }

    /// The file an ApplicationSet was read from.
    pub fn file_of(&self, applicationset: &str) -> Option<&str> {
        self.appsets
            .iter()
            .find(|(_, a)| a.name() == applicationset)
            .map(|(f, _)| f.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::env::Environment;
    use crate::domain::layer::Layer;

    fn write(root: &Path, path: &str, text: &str) {
        let full = root.join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        std::fs::write(full, text).expect("write");
    }

    fn fixture(root: &Path) {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/appsets");
        for (dir, file) in [
            ("agnostics", "gateway.yaml"),
            ("workspaces", "jupyterhub.yaml"),
        ] {
            let text = std::fs::read_to_string(fixtures.join(dir).join(file)).expect("fixture");
            write(root, &format!("appsets/{dir}/{file}"), &text);
        }
        write(
            root,
            "appsets/kustomization.yaml",
            "kind: Kustomization\nresources: []\n",
        );
        write(
            root,
            "appsets/broken/bad.yaml",
            "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: bad\nspec:\n  goTemplate: yes please\n  template: {}\n",
        );
        for dir in [
            "agnostics/gateway/k3s/envs/dev",
            "agnostics/gateway/aws/envs/prd",
            "apps/jupyterhub/envs/dev",
            "apps/jupyterhub/envs/prod",
        ] {
            write(
                root,
                &format!("{dir}/kustomization.yaml"),
                "resources: []\n",
            );
        }
    }

    #[test]
    fn scan_reads_good_files_and_names_bad_ones() {
        let dir = tempfile::tempdir().expect("tempdir");
        fixture(dir.path());
        let scan = RepoScan::checkout(dir.path()).expect("scan");
        let names: Vec<&str> = scan.appsets.iter().map(|(_, a)| a.name()).collect();
        assert_eq!(names, vec!["gateway", "jupyterhub"]);
        assert_eq!(scan.errors.len(), 1);
        let error = &scan.errors[0];
        assert_eq!(error.file.as_deref(), Some("appsets/broken/bad.yaml"));
        assert_eq!(error.line, 6, "{error}");
        assert!(
            error.to_string().starts_with("appsets/broken/bad.yaml:6:"),
            "{error}"
        );
        assert!(error.reason.contains("goTemplate"), "{error}");
        assert_eq!(scan.catalog.in_layer(Layer::Agnostics).count(), 1);
        let envs = scan.env_directories();
        let jupyter = envs
            .iter()
            .find(|e| e.component == "jupyterhub")
            .expect("jupyterhub");
        assert_eq!(jupyter.get(&Environment::Prd)[0].directory, "prod");
        assert!(jupyter.warnings.iter().any(|w| w.contains("prod")));
        assert_eq!(
            scan.file_of("gateway"),
            Some("appsets/agnostics/gateway.yaml")
        );
    }

    #[test]
    fn expected_applications_for_hypothetical_clusters() {
        let dir = tempfile::tempdir().expect("tempdir");
        fixture(dir.path());
        let scan = RepoScan::checkout(dir.path()).expect("scan");
        let clusters = vec![
            ClusterInfo::new("dev-1", "https://dev-1")
                .with_label("environment", "dev")
                .with_label("vendor", "k3s"),
            ClusterInfo::new("prd-1", "https://prd-1")
                .with_label("environment", "prod")
                .with_label("vendor", "aws"),
        ];
        let report = scan.expected(&clusters);
        let names: Vec<&str> = report
            .applications
            .iter()
            .map(|a| a.name.as_str())
            .collect();
        assert_eq!(
            names,
            vec!["gateway-dev-1", "jupyterhub-dev-1", "jupyterhub-prd-1"]
        );
    }

    #[test]
    fn unreadable_repos_are_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = RepoScan::checkout(&dir.path().join("nope")).expect_err("missing");
        assert!(missing.to_string().contains("does not exist"), "{missing}");
        let file = dir.path().join("file");
        std::fs::write(&file, "x").expect("write");
        assert!(matches!(
            RepoScan::checkout(&file),
            Err(ScanError::NotADirectory(_))
        ));
        let empty = RepoScan::checkout(dir.path()).expect("an empty repo scans");
        assert!(empty.appsets.is_empty() && empty.errors.is_empty());
    }
}

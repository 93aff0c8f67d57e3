//! Scale knobs: synthetic components added to the demo repository so its ApplicationSets
//! generate thousands of Applications with many pods, for benchmarks.
//!
//! Each synthetic component is an `apps/syn-NNNN/{base,envs/<env>}` tree (a Deployment with
//! `pods_per_app` replicas and a Service) picked up by one extra ApplicationSet,
//! `appsets/synthetic/synthetic.yaml`; with dev, stg and prd clusters each component yields
//! three Applications. Everything lands in one commit.

use std::path::{Path, PathBuf};

use crate::gitops::git::{Git, GitError, Identity};

/// How much to grow the estate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScaleOptions {
    /// Extra Applications wanted across all environments (rounded up to whole components).
    pub apps: usize,
    /// Replicas of each synthetic Application's Deployment.
    pub pods_per_app: usize,
}

/// Pods a node takes at most (a kubelet's default `maxPods`).
const PODS_PER_NODE: usize = 110;
/// Of which the synthetic load may plan to use this many: the rest is headroom for the
/// DaemonSet pods every node runs and for rollouts' surge pods.
const PLANNED_PODS_PER_NODE: usize = 90;

impl ScaleOptions {
    /// The synthetic pods each target cluster runs: one Application per component and
    /// environment, `pods_per_app` replicas each.
    pub fn pods_per_cluster(&self) -> usize {
        self.apps.div_ceil(3) * self.pods_per_app
    }

    /// Nodes each target cluster needs beyond its baseline so that every synthetic pod can be
    /// scheduled (a node takes at most 110 pods, as a kubelet does).
    pub fn extra_nodes(&self) -> usize {
        const { assert!(PLANNED_PODS_PER_NODE < PODS_PER_NODE) };
        self.pods_per_cluster().div_ceil(PLANNED_PODS_PER_NODE)
    }
}

/// Why the synthetic components could not be added.
#[derive(Debug, thiserror::Error)]
pub enum ScaleError {
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Git(#[from] GitError),
}

const ENVIRONMENTS: [&str; 3] = ["dev", "stg", "prd"];

fn write(path: &Path, text: &str) -> Result<(), ScaleError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|source| ScaleError::Write {
            path: parent.to_path_buf(),
            source,
        })?;
    }
    std::fs::write(path, text).map_err(|source| ScaleError::Write {
        path: path.to_path_buf(),
        source,
    })
}

fn component_files(root: &Path, name: &str, replicas: usize) -> Result<(), ScaleError> {
    let base = root.join("apps").join(name).join("base");
    write(
        &base.join("kustomization.yaml"),
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - deployment.yaml\n  - service.yaml\n",
    )?;
    write(
        &base.join("deployment.yaml"),
        &format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  replicas: {replicas}\n  selector:\n    matchLabels: {{app: {name}}}\n  template:\n    metadata:\n      labels: {{app: {name}}}\n    spec:\n      containers:\n        - name: {name}\n          image: registry.k8tre.sim/synthetic/{name}:1.0.0\n          env:\n            - {{name: ENVIRONMENT, value: \"${{ENVIRONMENT}}\"}}\n"
        ),
    )?;
    write(
        &base.join("service.yaml"),
        &format!(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\nspec:\n  selector: {{app: {name}}}\n  ports: [{{port: 80, targetPort: 8080}}]\n"
        ),
    )?;
    for env in ENVIRONMENTS {
        write(
            &root
                .join("apps")
                .join(name)
                .join("envs")
                .join(env)
                .join("kustomization.yaml"),
            &format!(
                "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: {name}\nresources:\n  - ../../base\nlabels:\n  - pairs:\n      k8tre.io/environment: {env}\n    includeSelectors: false\n"
            ),
        )?;
    }
    Ok(())
}

fn applicationset(repo_url: &str) -> String {
    format!(
        r#"apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: synthetic
  namespace: argocd
  labels:
    k8tre.io/appset: synthetic
spec:
  goTemplate: true
  goTemplateOptions: ["missingkey=error"]
  generators:
    - matrix:
        generators:
          - git:
              repoURL: {repo_url}
              revision: main
              directories:
                - path: apps/syn-*/envs/*
          - clusters:
              selector:
                matchLabels:
                  environment: "{{{{index .path.segments 3}}}}"
  template:
    metadata:
      name: "{{{{index .path.segments 1}}}}-{{{{.nameNormalized}}}}"
      annotations:
        argocd.argoproj.io/sync-wave: "5"
    spec:
      project: default
      source:
        repoURL: {repo_url}
        targetRevision: main
        path: "{{{{.path.path}}}}"
        plugin:
          name: kustomize-with-envsubst-v1.0
          env:
            - name: ENVIRONMENT
              value: "{{{{index .path.segments 3}}}}"
      destination:
        server: "{{{{.server}}}}"
        namespace: "{{{{index .path.segments 1}}}}"
      syncPolicy:
        automated:
          prune: true
          selfHeal: true
        syncOptions:
          - CreateNamespace=true
"#
    )
}

/// Adds the synthetic components and their ApplicationSet to `repo` in one commit; returns
/// how many components were added. `repo_url` is the URL the ApplicationSets use.
pub fn add_synthetic_components(
    repo: &Path,
    repo_url: &str,
    git: &Git,
    options: &ScaleOptions,
) -> Result<usize, ScaleError> {
    let components = options.apps.div_ceil(ENVIRONMENTS.len());
    if components == 0 {
        return Ok(0);
    }
    for i in 0..components {
        component_files(repo, &format!("syn-{i:04}"), options.pods_per_app.max(1))?;
    }
    write(
        &repo.join("appsets/synthetic/synthetic.yaml"),
        &applicationset(repo_url),
    )?;
    let kustomization = repo.join("appsets/kustomization.yaml");
    let text = std::fs::read_to_string(&kustomization).map_err(|source| ScaleError::Write {
        path: kustomization.clone(),
        source,
    })?;
    if !text.contains("synthetic/synthetic.yaml") {
        let updated = text.replacen(
            "resources:\n",
            "resources:\n  - synthetic/synthetic.yaml\n",
            1,
        );
        write(&kustomization, &updated)?;
    }
    git.add_all()?;
    git.commit(
        &format!(
            "chore(scale): {components} synthetic components × {} replicas",
            options.pods_per_app.max(1)
        ),
        &Identity::new("k8tre-console scale", "scale@k8tre.sim"),
        None,
    )?;
    Ok(components)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::appset::{ClusterInfo, evaluate_applicationsets, parse_applicationsets};
    use crate::gitops::tree::{RepoTree, WorkingTree};
    use crate::sim::demo_repo::{DEMO_CLUSTERS, DemoRepoOptions, create_demo_repo};

    #[test]
    fn the_synthetic_load_gets_nodes_enough_to_schedule_it() {
        let none = ScaleOptions::default();
        assert_eq!(none.extra_nodes(), 0);
        let bench = ScaleOptions {
            apps: 2000,
            pods_per_app: 25,
        };
        assert_eq!(bench.pods_per_cluster(), 667 * 25);
        let nodes = bench.extra_nodes();
        assert!(
            nodes * PODS_PER_NODE > bench.pods_per_cluster() + nodes,
            "{nodes}"
        );
        assert_eq!(nodes, 186);
    }

    #[test]
    fn synthetic_components_generate_three_applications_each() {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = tempfile::tempdir().expect("home");
        let repo = create_demo_repo(
            &dir.path().join("repo"),
            &DemoRepoOptions {
                git_home: Some(home.path().to_path_buf()),
                ..Default::default()
            },
        )
        .expect("demo repo");
        let git = Git::new(&repo.path).with_home(home.path());
        let added = add_synthetic_components(
            &repo.path,
            &repo.repo_url,
            &git,
            &ScaleOptions {
                apps: 10,
                pods_per_app: 4,
            },
        )
        .expect("added");
        assert_eq!(added, 4);
        let tree = WorkingTree::new(&repo.path);
        let appsets = parse_applicationsets(
            &RepoTree::read_file(&tree, "appsets/synthetic/synthetic.yaml").expect("file"),
        )
        .expect("parses");
        let clusters: Vec<ClusterInfo> = DEMO_CLUSTERS
            .iter()
            .map(|c| {
                let mut info = ClusterInfo::new(c.name, format!("https://{}.example", c.name));
                for (k, v) in c.labels {
                    info = info.with_label(*k, *v);
                }
                info
            })
            .collect();
        let report = evaluate_applicationsets(&appsets, &clusters, &tree.directories());
        assert_eq!(report.applications.len(), 12, "{:?}", report.errors);
        assert!(
            report
                .applications
                .iter()
                .any(|a| a.name == "syn-0000-k8tre-dev")
        );
        let kustomization =
            RepoTree::read_file(&tree, "appsets/kustomization.yaml").expect("kustomization");
        assert!(kustomization.contains("synthetic/synthetic.yaml"));
        let rendered =
            crate::domain::kustomize::build(&tree, "apps/syn-0003/envs/prd").expect("renders");
        assert_eq!(rendered.manifests[0]["spec"]["replicas"], 4);
    }
}

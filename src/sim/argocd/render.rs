//! The repo server: an Application source at a commit → the manifests it stands for. Plain
//! kustomize, the K8TRE `kustomize-with-envsubst` plugin (kustomize, then `${VAR}`
//! substitution of the plugin env) and plain YAML directories; the Application's inline
//! `spec.source.kustomize` options are applied by editing the kustomization first, as ArgoCD
//! does. Results are cached per commit and source, like the repo server's manifest cache.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use parking_lot::Mutex;
use serde_json::Value;

use crate::domain::argocd::{ApplicationSource, SourceType};
use crate::domain::kustomize::{self, Files};
use crate::gitops::tree::{RepoTree, RevisionTree};

use super::settings::Settings;

/// The variables the installed plugin substitutes (see `install::PLUGIN_YAML`); one the
/// Application does not set becomes empty, as with the plugin's `sed`.
pub const PLUGIN_VARIABLES: [&str; 5] = [
    "ENVIRONMENT",
    "DOMAIN",
    "METALLB_IP_RANGE",
    "CLUSTER_NAME",
    "REGION",
];

const KUSTOMIZATION_FILES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// Manifests of a source, and what kind of source it was.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifests {
    pub objects: Vec<Value>,
    pub source_type: SourceType,
}

/// Renders `source` from `tree`. The error is the repo server's message.
pub fn render_source(
    tree: &RevisionTree,
    source: &ApplicationSource,
    settings: &Settings,
) -> Result<Manifests, String> {
    let path = source.path.trim_matches('/').trim_start_matches("./");
    let path = if path == "." { "" } else { path };
    let exists = path.is_empty() || tree.directories().iter().any(|d| d == path);
    if !exists {
        return Err(format!("{}: app path does not exist", source.path));
    }
    if let Some(plugin) = &source.plugin {
        if !settings.has_plugin(&plugin.name) {
            return Err(format!(
                "plugin sidecar failed. couldn't find cmp-server plugin with name {:?} supporting the given repository",
                plugin.name
            ));
        }
        let mut env: BTreeMap<String, String> = PLUGIN_VARIABLES
            .iter()
            .map(|v| (v.to_string(), String::new()))
            .collect();
        for entry in &plugin.env {
            env.insert(entry.name.clone(), entry.value.clone());
        }
        let objects = kustomize_build(tree, path, source.kustomize.as_ref(), &env)?.manifests;
        return Ok(Manifests {
            objects,
            source_type: SourceType::Plugin,
        });
    }
    let has_kustomization = KUSTOMIZATION_FILES
        .iter()
        .any(|f| RepoTree::read_file(tree, &kustomize::join(path, f)).is_some());
    if has_kustomization {
        let rendered = kustomize_build(tree, path, source.kustomize.as_ref(), &BTreeMap::new())?;
        if !rendered.charts.is_empty()
            && !settings.kustomize_build_options.contains("--enable-helm")
        {
            return Err(format!(
                "`kustomize build {path}` failed exit status 1: Error: trouble configuring builtin HelmChartInflationGenerator with config: `name: {}`: must specify --enable-helm",
                rendered.charts[0].name
            ));
        }
        return Ok(Manifests {
            objects: rendered.manifests,
            source_type: SourceType::Kustomize,
        });
    }
    let recurse = source
        .directory
        .as_ref()
        .and_then(|d| d.get("recurse"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    Ok(Manifests {
        objects: directory(tree, path, recurse)?,
        source_type: SourceType::Directory,
    })
}

/// The one call into the kustomize renderer.
fn kustomize_build(
    tree: &RevisionTree,
    dir: &str,
    inline: Option<&Value>,
    env: &BTreeMap<String, String>,
) -> Result<kustomize::Rendered, String> {
    let result = match inline.filter(|k| k.as_object().is_some_and(|m| !m.is_empty())) {
        Some(options) => {
            let overlay = Overlay::new(tree, dir, options)?;
            kustomize::render(&overlay, dir, env)
        }
        None => kustomize::render(tree, dir, env),
    };
    result.map_err(|e| format!("`kustomize build {dir}` failed exit status 1: Error: {e}"))
}

/// Every YAML/JSON file of a directory source, as ArgoCD's directory source reads them.
fn directory(tree: &RevisionTree, dir: &str, recurse: bool) -> Result<Vec<Value>, String> {
    let mut objects = Vec::new();
    for file in tree.list_files(dir) {
        let relative = file
            .strip_prefix(dir)
            .unwrap_or(&file)
            .trim_start_matches('/');
        if !recurse && relative.contains('/') {
            continue;
        }
        let is_manifest = [".yaml", ".yml", ".json"].iter().any(|e| file.ends_with(e));
        if !is_manifest {
            continue;
        }
        let text = RepoTree::read_file(tree, &file).unwrap_or_default();
        for document in serde_yaml::Deserializer::from_str(&text) {
            let doc: Value =
                serde::Deserialize::deserialize(document).map_err(|e| format!("{file}: {e}"))?;
            if doc.get("kind").is_some() {
                objects.push(doc);
            }
        }
    }
    Ok(objects)
}

/// The tree with the kustomization of one directory edited by the Application's inline
/// kustomize options (`commonLabels`, `commonAnnotations`, `namespace`, `images`, `patches`,
/// `replicas`), the way ArgoCD runs `kustomize edit` before building.
struct Overlay<'a> {
    tree: &'a RevisionTree,
    path: String,
    text: String,
}

impl<'a> Overlay<'a> {
    fn new(tree: &'a RevisionTree, dir: &str, options: &Value) -> Result<Self, String> {
        let (path, text) = KUSTOMIZATION_FILES
            .iter()
            .find_map(|f| {
                let p = kustomize::join(dir, f);
                RepoTree::read_file(tree, &p).map(|t| (p, t))
            })
            .ok_or_else(|| format!("{dir}: kustomize options need a kustomization"))?;
        let mut k: Value = serde_yaml::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
        if !k.is_object() {
            k = Value::Object(Default::default());
        }
        for field in ["commonLabels", "commonAnnotations"] {
            if let Some(Value::Object(extra)) = options.get(field) {
                let target = k.as_object_mut().map(|m| {
                    m.entry(field)
                        .or_insert_with(|| Value::Object(Default::default()))
                });
                if let Some(Value::Object(map)) = target {
                    map.extend(extra.clone());
                }
            }
        }
        for field in ["patches", "images", "replicas"] {
            if let Some(Value::Array(extra)) = options.get(field) {
                let target = k
                    .as_object_mut()
                    .map(|m| m.entry(field).or_insert_with(|| Value::Array(Vec::new())));
                if let Some(Value::Array(list)) = target {
                    list.extend(extra.iter().cloned());
                }
            }
        }
        if let Some(ns) = options.get("namespace").and_then(Value::as_str)
            && let Some(m) = k.as_object_mut()
        {
            m.insert("namespace".into(), Value::String(ns.to_string()));
        }
        let text = serde_yaml::to_string(&k).map_err(|e| format!("{path}: {e}"))?;
        Ok(Self { tree, path, text })
    }
}

impl Files for Overlay<'_> {
    fn read_file(&self, path: &str) -> Option<String> {
        if path == self.path {
            return Some(self.text.clone());
        }
        RepoTree::read_file(self.tree, path)
    }
}

/// Renders, remembering results per commit and source (the repo server's manifest cache).
#[derive(Default)]
pub struct RenderCache {
    entries: Mutex<HashMap<String, Arc<Result<Manifests, String>>>>,
}

/// Entries kept before the cache starts over.
const CACHE_LIMIT: usize = 8192;

impl RenderCache {
    /// The manifests of `source` at `commit`; `hard` bypasses (and replaces) the cache.
    pub async fn render(
        &self,
        tree: Arc<RevisionTree>,
        source: &ApplicationSource,
        settings: &Settings,
        hard: bool,
    ) -> Arc<Result<Manifests, String>> {
        let key = format!(
            "{}\u{0}{}\u{0}{:?}\u{0}{}",
            tree.commit(),
            serde_json::to_string(source).unwrap_or_default(),
            settings.plugins,
            settings.kustomize_build_options
        );
        if !hard && let Some(hit) = self.entries.lock().get(&key) {
            return hit.clone();
        }
        let source = source.clone();
        let settings = settings.clone();
        let result = tokio::task::spawn_blocking(move || render_source(&tree, &source, &settings))
            .await
            .unwrap_or_else(|e| Err(format!("rendering failed: {e}")));
        let result = Arc::new(result);
        let mut entries = self.entries.lock();
        if entries.len() >= CACHE_LIMIT {
            entries.clear();
        }
        entries.insert(key, result.clone());
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::argocd::{EnvEntry, SourcePlugin};
    use crate::gitops::git::{Git, Identity};
    use serde_json::json;

    fn repo(files: &[(&str, &str)]) -> (tempfile::TempDir, RevisionTree) {
        let dir = tempfile::TempDir::new().expect("tmp");
        let git = Git::new(dir.path().join("repo")).with_home(dir.path());
        git.init().expect("init");
        for (path, text) in files {
            let full = git.repo().join(path);
            std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
            std::fs::write(full, text).expect("write");
        }
        git.add_all().expect("add");
        git.commit("c", &Identity::new("T", "t@example.org"), None)
            .expect("commit");
        let tree = RevisionTree::load(git, "HEAD").expect("tree");
        (dir, tree)
    }

    const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  env: ${ENVIRONMENT}\n  domain: ${DOMAIN}\n";

    fn settings() -> Settings {
        Settings {
            plugins: vec!["kustomize-with-envsubst-v1.0".into()],
            kustomize_build_options: "--enable-helm".into(),
            ..Settings::default()
        }
    }

    fn source(path: &str) -> ApplicationSource {
        ApplicationSource {
            repo_url: "file:///r".into(),
            path: path.into(),
            ..Default::default()
        }
    }

    #[test]
    fn plugin_sources_substitute_their_env_and_blank_unset_variables() {
        let (_dir, tree) = repo(&[
            ("app/kustomization.yaml", "resources:\n  - cm.yaml\n"),
            ("app/cm.yaml", CM),
        ]);
        let mut src = source("app");
        src.plugin = Some(SourcePlugin {
            name: "kustomize-with-envsubst-v1.0".into(),
            env: vec![EnvEntry {
                name: "ENVIRONMENT".into(),
                value: "dev".into(),
            }],
            ..Default::default()
        });
        let out = render_source(&tree, &src, &settings()).expect("renders");
        assert_eq!(out.source_type, SourceType::Plugin);
        assert_eq!(out.objects[0]["data"], json!({"env": "dev", "domain": ""}));

        let err = render_source(&tree, &src, &Settings::default()).expect_err("no plugin");
        assert!(err.contains("couldn't find cmp-server plugin"), "{err}");
    }

    #[test]
    fn plain_kustomize_keeps_variables_and_needs_enable_helm_for_charts() {
        let (_dir, tree) = repo(&[
            ("app/kustomization.yaml", "resources:\n  - cm.yaml\n"),
            ("app/cm.yaml", CM),
            (
                "charts/kustomization.yaml",
                "helmCharts:\n  - name: cnpg\n    repo: https://example.org/charts\n    version: 1.0.0\n    releaseName: cnpg\n",
            ),
        ]);
        let out = render_source(&tree, &source("app"), &settings()).expect("renders");
        assert_eq!(out.source_type, SourceType::Kustomize);
        assert_eq!(out.objects[0]["data"]["env"], "${ENVIRONMENT}");
        assert!(render_source(&tree, &source("charts"), &settings()).is_ok());
        let err =
            render_source(&tree, &source("charts"), &Settings::default()).expect_err("needs helm");
        assert!(err.contains("must specify --enable-helm"), "{err}");
        let err = render_source(&tree, &source("missing"), &settings()).expect_err("missing");
        assert_eq!(err, "missing: app path does not exist");
    }

    #[test]
    fn inline_kustomize_options_edit_the_kustomization() {
        let (_dir, tree) = repo(&[
            ("app/kustomization.yaml", "resources:\n  - cm.yaml\n"),
            ("app/cm.yaml", CM),
        ]);
        let mut src = source("app");
        src.kustomize = Some(json!({
            "commonLabels": {"app.kubernetes.io/managed-by": "argocd"},
            "commonAnnotations": {"app.kubernetes.io/part-of": "k8tre"},
            "patches": [{"target": {"kind": "ConfigMap"}, "patch": "- op: replace\n  path: /data/env\n  value: patched\n"}]
        }));
        let out = render_source(&tree, &src, &settings()).expect("renders");
        let cm = &out.objects[0];
        assert_eq!(
            cm["metadata"]["labels"]["app.kubernetes.io/managed-by"],
            "argocd"
        );
        assert_eq!(
            cm["metadata"]["annotations"]["app.kubernetes.io/part-of"],
            "k8tre"
        );
        assert_eq!(cm["data"]["env"], "patched");
    }

    #[test]
    fn directory_sources_read_yaml_files() {
        let (_dir, tree) = repo(&[
            ("plain/a.yaml", CM),
            ("plain/README.md", "# not a manifest\n"),
            (
                "plain/sub/b.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: nested\n",
            ),
        ]);
        let out = render_source(&tree, &source("plain"), &settings()).expect("renders");
        assert_eq!(out.source_type, SourceType::Directory);
        assert_eq!(out.objects.len(), 1);
        let mut src = source("plain");
        src.directory = Some(json!({"recurse": true}));
        assert_eq!(
            render_source(&tree, &src, &settings())
                .expect("renders")
                .objects
                .len(),
            2
        );
    }
}

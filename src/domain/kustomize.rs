//! A small, documented subset of kustomize (v5 semantics), enough to render K8TRE's
//! `envs/<env>` directories the way ArgoCD's `kustomize-with-envsubst` plugin does: pure, over
//! any file source (a checkout, or a git revision).
//!
//! # Supported
//! - `resources`: YAML files (multi-document) and directories holding a kustomization,
//!   relative to the kustomization (`..` allowed, as with `--load-restrictor None`);
//! - `helmCharts`: helm is not run. Each chart becomes a *synthetic workload*: a Deployment and
//!   Service named after the release, labelled `helm.sh/chart: <chart>-<version>` and running
//!   the image `<repo host>/<chart>:<version>`, plus a ConfigMap `<release>-values` holding the
//!   values (`valuesFile`, `additionalValuesFiles`, `valuesInline`), so version and values
//!   changes show up as real diffs;
//! - `configMapGenerator` / `secretGenerator` (`files`, `literals`, `envs`, `behavior: create`)
//!   with kustomize's content-hash name suffix (`generatorOptions.disableNameSuffixHash`,
//!   `labels`, `annotations`), and references to them in pod templates renamed;
//! - `patches` (file `path` or inline `patch`, optional `target` with `group`, `version`,
//!   `kind`, `name` (regex), `namespace`, `labelSelector`, `annotationSelector`): strategic
//!   merge when the patch is a map, JSON 6902 when it is a list; legacy
//!   `patchesStrategicMerge` and `patchesJson6902`;
//! - `namespace` (cluster-scoped kinds are left alone), `labels` (`pairs`, `includeSelectors`,
//!   `includeTemplates`), `commonLabels`, `commonAnnotations`, `images` (`newName`, `newTag`,
//!   `digest`), `replicas`;
//! - the plugin's env substitution: `${NAME}` in string values for the given variables.
//!
//! Anything else in a kustomization (`namePrefix`, `components`, `replacements`, remote
//! resources, …) is reported as a warning and ignored. Output keeps resource order (kustomize's
//! `legacy` sort is not applied); consumers key resources by kind/namespace/name.

mod build;
mod fields;
mod generate;
mod transform;

use std::collections::BTreeMap;

use serde_json::Value;

pub use build::build;

/// Where the renderer reads files from: repo-relative paths with `/` separators.
pub trait Files {
    fn read_file(&self, path: &str) -> Option<String>;
}

impl<F: Files + ?Sized> Files for &F {
    fn read_file(&self, path: &str) -> Option<String> {
        (**self).read_file(path)
    }
}

/// An in-memory file tree, for tests and for content that is not in git.
impl Files for BTreeMap<String, String> {
    fn read_file(&self, path: &str) -> Option<String> {
        self.get(path).cloned()
    }
}

/// A chart that was turned into a synthetic workload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelmChart {
    pub name: String,
    pub version: String,
    pub repo: String,
    pub release_name: String,
    pub namespace: Option<String>,
}

/// The result of rendering a directory.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rendered {
    pub manifests: Vec<Value>,
    pub charts: Vec<HelmChart>,
    /// Fields that were ignored, per file.
    pub warnings: Vec<String>,
}

/// Why a directory could not be rendered; always names the file at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct RenderError {
    pub path: String,
    pub message: String,
}

impl RenderError {
    pub(crate) fn new(path: &str, message: impl Into<String>) -> Self {
        Self {
            path: path.to_string(),
            message: message.into(),
        }
    }
}

/// Renders `dir` like `kustomize build` and substitutes `${NAME}` for each variable in `env`
/// (the K8TRE plugin's envsubst step).
pub fn render(
    files: &impl Files,
    dir: &str,
    env: &BTreeMap<String, String>,
) -> Result<Rendered, RenderError> {
    let mut rendered = build(files, dir)?;
    for manifest in &mut rendered.manifests {
        substitute_env(manifest, env);
    }
    Ok(rendered)
}

/// Replaces `${NAME}` with its value for every `NAME` in `env`, in every string of `value`.
/// Unknown variables are left as they are.
pub fn substitute_env(value: &mut Value, env: &BTreeMap<String, String>) {
    match value {
        Value::String(s) if s.contains("${") => {
            for (name, replacement) in env {
                let token = format!("${{{name}}}");
                if s.contains(&token) {
                    *s = s.replace(&token, replacement);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| substitute_env(v, env)),
        Value::Object(map) => map.values_mut().for_each(|v| substitute_env(v, env)),
        _ => {}
    }
}

/// Joins a kustomization-relative path onto a directory, resolving `.` and `..`.
pub fn join(dir: &str, relative: &str) -> String {
    let mut parts: Vec<&str> = if relative.starts_with('/') {
        Vec::new()
    } else {
        dir.split('/')
            .filter(|s| !s.is_empty() && *s != ".")
            .collect()
    };
    for segment in relative.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts.join("/")
}

#[cfg(test)]
mod tests;

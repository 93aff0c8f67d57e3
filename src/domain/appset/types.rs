//! The ApplicationSet resource as written in YAML: the fields evaluation reads.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::DEFAULT_NAMESPACE;
use crate::domain::labels::LabelSelector;

/// An `argoproj.io/v1alpha1` ApplicationSet, limited to the fields evaluation needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationSet {
    #[serde(default = "default_api_version")]
    pub api_version: String,
    #[serde(default = "default_kind")]
    pub kind: String,
    pub metadata: AppSetMetadata,
    pub spec: ApplicationSetSpec,
}

fn default_api_version() -> String {
    "argoproj.io/v1alpha1".to_string()
}

fn default_kind() -> String {
    "ApplicationSet".to_string()
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppSetMetadata {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationSetSpec {
    #[serde(default)]
    pub go_template: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub go_template_options: Vec<String>,
    #[serde(default)]
    pub generators: Vec<Generator>,
    pub template: ApplicationTemplate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_policy: Option<AppSetSyncPolicy>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignore_application_differences: Vec<IgnoreApplicationDifference>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_patch: Option<String>,
}

/// The Application template: metadata fields ArgoCD copies, and the spec kept as JSON.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ApplicationTemplate {
    #[serde(default)]
    pub metadata: TemplateMetadata,
    #[serde(default)]
    pub spec: Value,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateMetadata {
    #[serde(default)]
    pub name: String,
    /// Ignored by ArgoCD 3.x: Applications always go to the ApplicationSet's namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub finalizers: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppSetSyncPolicy {
    #[serde(default)]
    pub preserve_resources_on_deletion: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applications_sync: Option<ApplicationsSync>,
}

impl AppSetSyncPolicy {
    /// Whether the controller may update existing Applications.
    pub fn allows_update(&self) -> bool {
        !matches!(
            self.applications_sync,
            Some(ApplicationsSync::CreateOnly | ApplicationsSync::CreateDelete)
        )
    }

    /// Whether the controller may delete Applications whose params vanished.
    pub fn allows_delete(&self) -> bool {
        !matches!(
            self.applications_sync,
            Some(ApplicationsSync::CreateOnly | ApplicationsSync::CreateUpdate)
        )
    }
}

/// `spec.syncPolicy.applicationsSync`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ApplicationsSync {
    CreateOnly,
    CreateUpdate,
    CreateDelete,
    Sync,
}

/// `spec.ignoreApplicationDifferences[]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IgnoreApplicationDifference {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub json_pointers: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub jq_path_expressions: Vec<String>,
}

/// One `spec.generators[]` entry: exactly one kind, plus an optional post-selector on params.
#[derive(Debug, Clone, PartialEq)]
pub struct Generator {
    pub kind: GeneratorKind,
    pub selector: Option<LabelSelector>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum GeneratorKind {
    Git(GitGenerator),
    Clusters(ClustersGenerator),
    List(ListGenerator),
    Matrix(MatrixGenerator),
    /// A generator this crate does not evaluate (`merge`, `plugin`, a typo...), kept verbatim.
    Other {
        kind: String,
        spec: Value,
    },
}

impl GeneratorKind {
    /// The YAML key of this generator kind.
    pub fn key(&self) -> &str {
        match self {
            GeneratorKind::Git(_) => "git",
            GeneratorKind::Clusters(_) => "clusters",
            GeneratorKind::List(_) => "list",
            GeneratorKind::Matrix(_) => "matrix",
            GeneratorKind::Other { kind, .. } => kind,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GitGenerator {
    #[serde(rename = "repoURL", default)]
    pub repo_url: String,
    #[serde(default)]
    pub revision: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub directories: Vec<GitDirectory>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_param_prefix: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub values: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requeue_after_seconds: Option<i64>,
    /// Generator-level template overrides are not evaluated; kept to report them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GitDirectory {
    pub path: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub exclude: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClustersGenerator {
    /// Values may be templates, rendered with the matrix's first child's params.
    #[serde(default)]
    pub selector: LabelSelector,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub values: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListGenerator {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub elements: Vec<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elements_yaml: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MatrixGenerator {
    #[serde(default)]
    pub generators: Vec<Generator>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<Value>,
}

impl<'de> Deserialize<'de> for Generator {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(GeneratorVisitor)
    }
}

struct GeneratorVisitor;

impl<'de> Visitor<'de> for GeneratorVisitor {
    type Value = Generator;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a generator mapping such as {git: ...} or {matrix: ...}")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Generator, A::Error> {
        let mut kinds = Vec::new();
        let mut selector = None;
        while let Some(key) = map.next_key::<String>()? {
            let kind = match key.as_str() {
                "selector" => {
                    selector = Some(map.next_value()?);
                    continue;
                }
                "git" => GeneratorKind::Git(map.next_value()?),
                "clusters" => {
                    GeneratorKind::Clusters(map.next_value::<Option<_>>()?.unwrap_or_default())
                }
                "list" => GeneratorKind::List(map.next_value::<Option<_>>()?.unwrap_or_default()),
                "matrix" => GeneratorKind::Matrix(map.next_value()?),
                _ => GeneratorKind::Other {
                    spec: map.next_value()?,
                    kind: key,
                },
            };
            kinds.push(kind);
        }
        match kinds.len() {
            1 => Ok(Generator {
                kind: kinds.remove(0),
                selector,
            }),
            0 => Err(de::Error::custom("generator entry names no generator")),
            _ => {
                let names: Vec<&str> = kinds.iter().map(GeneratorKind::key).collect();
                Err(de::Error::custom(format!(
                    "generator entry must name exactly one generator, found {}",
                    names.join(", ")
                )))
            }
        }
    }
}

impl Serialize for Generator {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        match &self.kind {
            GeneratorKind::Git(g) => map.serialize_entry("git", g)?,
            GeneratorKind::Clusters(c) => map.serialize_entry("clusters", c)?,
            GeneratorKind::List(l) => map.serialize_entry("list", l)?,
            GeneratorKind::Matrix(m) => map.serialize_entry("matrix", m)?,
            GeneratorKind::Other { kind, spec } => map.serialize_entry(kind, spec)?,
        }
        if let Some(selector) = &self.selector {
            map.serialize_entry("selector", selector)?;
        }
        map.end()
    }
}

impl ApplicationSet {
    pub fn name(&self) -> &str {
        &self.metadata.name
    }

    /// The namespace its Applications are created in.
    pub fn namespace(&self) -> &str {
        self.metadata
            .namespace
            .as_deref()
            .unwrap_or(DEFAULT_NAMESPACE)
    }

    pub fn preserves_resources_on_deletion(&self) -> bool {
        self.spec
            .sync_policy
            .as_ref()
            .is_some_and(|p| p.preserve_resources_on_deletion)
    }

    /// Every git directory generator in the spec, depth first (matrix children included).
    pub fn git_generators(&self) -> Vec<&GitGenerator> {
        fn walk<'a>(generators: &'a [Generator], out: &mut Vec<&'a GitGenerator>) {
            for generator in generators {
                match &generator.kind {
                    GeneratorKind::Git(git) => out.push(git),
                    GeneratorKind::Matrix(m) => walk(&m.generators, out),
                    _ => {}
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.spec.generators, &mut out);
        out
    }
}

//! ApplicationSets: their YAML shape, and the pure evaluation of their generators and template
//! into the Applications the ArgoCD ApplicationSet controller would create.
//!
//! Supported generators: `git` (directories), `clusters`, `list`, and `matrix` of two of those
//! (nested matrices too), each with an optional post-`selector`. Everything else (`merge`,
//! `scmProvider`, git `files`, ...) is reported as unsupported rather than guessed at.
//! Only `goTemplate: true` ApplicationSets are evaluated; every K8TRE ApplicationSet is one.
//!
//! Faithful to ArgoCD 3.x (applicationset/generators, utils, controllers/template):
//! - git directories use Go `path.Match`; `exclude: true` wins; hidden directories are skipped;
//! - clusters params are `name`, `nameNormalized`, `server`, `project`, `metadata.labels`,
//!   `metadata.annotations` (each only when non-empty), `values`; the implicit `in-cluster`
//!   (no `metadata`) is added only without a selector and when no secret has its server;
//! - matrix: the second child's strings are rendered with each of the first child's params
//!   (its `values` keep templates that need the child's own params), the first child's params
//!   win on conflicts;
//! - every string of the template (keys too) is rendered; the Application's namespace is the
//!   ApplicationSet's; `resources-finalizer.argocd.argoproj.io` is added when the template has
//!   no finalizers and `preserveResourcesOnDeletion` is not set;
//! - any generation or rendering error fails the whole ApplicationSet (ArgoCD then leaves its
//!   Applications alone); duplicate and empty names only drop the offending Application.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::domain::gotemplate::{
    self, OptionError, Template, TemplateError, TemplateErrorKind, TemplateOptions,
};
use crate::domain::labels::{LabelSelector, SelectorError};
use crate::domain::layer::Layer;

/// The name ArgoCD gives the cluster it runs in.
pub const IN_CLUSTER_NAME: &str = "in-cluster";
/// The server address of the cluster ArgoCD runs in.
pub const IN_CLUSTER_SERVER: &str = "https://kubernetes.default.svc";
/// Where Applications go when their ApplicationSet names no namespace.
pub const DEFAULT_NAMESPACE: &str = "argocd";
/// The annotation that orders Applications within a parent's sync.
pub const SYNC_WAVE_ANNOTATION: &str = "argocd.argoproj.io/sync-wave";
/// The finalizer that makes deleting an Application delete its resources.
pub const RESOURCES_FINALIZER: &str = "resources-finalizer.argocd.argoproj.io";

// =============================================================================================
// Types as written in YAML

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

// =============================================================================================
// Parsing YAML

/// Why a YAML document could not be read as an ApplicationSet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{line}:{column}: {reason}", file.as_deref().map(|f| format!("{f}:")).unwrap_or_default())]
pub struct AppSetParseError {
    pub file: Option<String>,
    /// 1-based line in the whole file (not the document).
    pub line: usize,
    pub column: usize,
    /// 0-based index of the YAML document in the file.
    pub document: usize,
    pub reason: String,
}

impl AppSetParseError {
    pub fn with_file(mut self, file: impl Into<String>) -> Self {
        self.file = Some(file.into());
        self
    }
}

/// Reads every `kind: ApplicationSet` document of a (multi-document) YAML text; documents of
/// other kinds and empty documents are skipped. The first bad document fails the text.
pub fn parse_applicationsets(yaml: &str) -> Result<Vec<ApplicationSet>, AppSetParseError> {
    let mut out = Vec::new();
    for (index, document) in split_documents(yaml).into_iter().enumerate() {
        let located = |err: serde_yaml::Error| located_error(err, &document, index);
        let value: serde_yaml::Value = serde_yaml::from_str(&document.text).map_err(located)?;
        let kind = value.get("kind").and_then(serde_yaml::Value::as_str);
        if kind != Some("ApplicationSet") {
            continue;
        }
        out.push(serde_yaml::from_str(&document.text).map_err(located)?);
    }
    Ok(out)
}

/// ApplicationSets read from many files, with the files that failed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadedAppSets {
    /// (file, ApplicationSet) in file order.
    pub appsets: Vec<(String, ApplicationSet)>,
    pub errors: Vec<AppSetParseError>,
}

/// Parses (file name, contents) pairs; one bad file does not stop the others.
pub fn load_applicationsets<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> LoadedAppSets {
    let mut loaded = LoadedAppSets::default();
    for (file, contents) in files {
        match parse_applicationsets(contents) {
            Ok(appsets) => loaded
                .appsets
                .extend(appsets.into_iter().map(|a| (file.to_string(), a))),
            Err(err) => loaded.errors.push(err.with_file(file)),
        }
    }
    loaded
}

struct Document {
    text: String,
    /// Lines before this document in the file.
    line_offset: usize,
}

/// Splits on `---` / `...` marker lines, keeping each document's line offset so errors can
/// name the line in the whole file.
fn split_documents(yaml: &str) -> Vec<Document> {
    let mut documents = Vec::new();
    let mut current = String::new();
    let mut start_line = 0;
    for (number, line) in yaml.split_inclusive('\n').enumerate() {
        let marker = ["---", "..."].into_iter().find(|m| {
            line.strip_prefix(m)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(char::is_whitespace))
        });
        match marker {
            Some(marker) => {
                documents.push(Document {
                    text: std::mem::take(&mut current),
                    line_offset: start_line,
                });
                start_line = number;
                // Content after `---` on the same line belongs to the next document; blank the
                // marker so columns stay right.
                if marker == "---" {
                    current.push_str(&" ".repeat(3));
                    current.push_str(&line[3..]);
                } else {
                    current.push('\n');
                }
            }
            None => current.push_str(line),
        }
    }
    documents.push(Document {
        text: current,
        line_offset: start_line,
    });
    documents
}

fn located_error(err: serde_yaml::Error, document: &Document, index: usize) -> AppSetParseError {
    let location = err.location();
    let line = location.as_ref().map_or(1, |l| l.line()) + document.line_offset;
    let column = location.as_ref().map_or(1, |l| l.column());
    // serde_yaml's message names document-relative lines; make them file lines, and drop the
    // trailing position we carry separately.
    let mut reason = shift_line_numbers(&err.to_string(), document.line_offset);
    if let Some(stripped) = reason.strip_suffix(&format!(" at line {line} column {column}")) {
        reason = stripped.to_string();
    }
    AppSetParseError {
        file: None,
        line,
        column,
        document: index,
        reason,
    }
}

/// Adds `offset` to every `line N` in a message.
fn shift_line_numbers(message: &str, offset: usize) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find("line ") {
        let (head, tail) = rest.split_at(at + "line ".len());
        out.push_str(head);
        let digits = tail.len() - tail.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        match tail[..digits].parse::<usize>() {
            Ok(n) => out.push_str(&(n + offset).to_string()),
            Err(_) => out.push_str(&tail[..digits]),
        }
        rest = &tail[digits..];
    }
    out.push_str(rest);
    out
}

// =============================================================================================
// Evaluation inputs

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

/// Directories selected by a git generator's `directories` list, in ArgoCD's walk order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DirectoryMatch {
    pub paths: Vec<String>,
    /// Patterns Go's `path.Match` rejects; ArgoCD logs and ignores them.
    pub bad_patterns: Vec<String>,
}

/// Applies include and `exclude: true` patterns to the directories; exclusions win.
pub fn match_directories(
    patterns: &[GitDirectory],
    directories: &BTreeSet<String>,
) -> DirectoryMatch {
    let mut compiled = Vec::new();
    let mut bad_patterns = Vec::new();
    for item in patterns {
        match PathPattern::compile(&item.path) {
            Some(pattern) => compiled.push((pattern, item.exclude)),
            None => bad_patterns.push(item.path.clone()),
        }
    }
    let mut paths: Vec<&String> = directories
        .iter()
        .filter(|dir| {
            let mut included = false;
            for (pattern, exclude) in &compiled {
                if pattern.matches(dir) {
                    if *exclude {
                        return false;
                    }
                    included = true;
                }
            }
            included
        })
        .collect();
    // filepath.WalkDir order: parents before children, siblings sorted (so `a/b` < `a-b`).
    paths.sort_by(|a, b| a.split('/').cmp(b.split('/')));
    DirectoryMatch {
        paths: paths.into_iter().cloned().collect(),
        bad_patterns,
    }
}

/// Go's `path.Match`: `*` is any run of non-`/` characters, `?` one non-`/` character,
/// `[...]`/`[^...]` a class with ranges, `\` escapes.
pub fn path_match(pattern: &str, name: &str) -> Result<bool, BadPattern> {
    PathPattern::compile(pattern)
        .map(|p| p.matches(name))
        .ok_or_else(|| BadPattern(pattern.to_string()))
}

/// A pattern Go's `path.Match` reports as `ErrBadPattern`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("syntax error in pattern {0:?}")]
pub struct BadPattern(pub String);

#[derive(Debug, Clone, PartialEq, Eq)]
enum PatternToken {
    Char(char),
    AnyChar,
    Star,
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct PathPattern(Vec<PatternToken>);

impl PathPattern {
    fn compile(pattern: &str) -> Option<Self> {
        let mut tokens = Vec::new();
        let mut chars = pattern.chars().peekable();
        while let Some(c) = chars.next() {
            let token = match c {
                '*' => PatternToken::Star,
                '?' => PatternToken::AnyChar,
                '\\' => PatternToken::Char(chars.next()?),
                '[' => {
                    let negated = chars.next_if_eq(&'^').is_some();
                    let mut ranges = Vec::new();
                    loop {
                        if !ranges.is_empty() && chars.next_if_eq(&']').is_some() {
                            break;
                        }
                        let lo = class_char(&mut chars)?;
                        let hi = if chars.next_if_eq(&'-').is_some() {
                            class_char(&mut chars)?
                        } else {
                            lo
                        };
                        ranges.push((lo, hi));
                    }
                    PatternToken::Class { negated, ranges }
                }
                c => PatternToken::Char(c),
            };
            tokens.push(token);
        }
        Some(Self(tokens))
    }

    fn matches(&self, name: &str) -> bool {
        let chars: Vec<char> = name.chars().collect();
        match_tokens(&self.0, &chars)
    }
}

/// One class bound: `-` and `]` must be escaped, and the class must go on afterwards.
fn class_char(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<char> {
    let c = match chars.next()? {
        '-' | ']' => return None,
        '\\' => chars.next()?,
        c => c,
    };
    chars.peek()?;
    Some(c)
}

fn match_tokens(tokens: &[PatternToken], name: &[char]) -> bool {
    let Some((first, rest)) = tokens.split_first() else {
        return name.is_empty();
    };
    match first {
        PatternToken::Star => {
            // Try every split that keeps the starred part free of '/'.
            let max = name.iter().position(|&c| c == '/').unwrap_or(name.len());
            (0..=max).any(|skip| match_tokens(rest, &name[skip..]))
        }
        _ => {
            let Some((&c, remaining)) = name.split_first() else {
                return false;
            };
            let ok = match first {
                PatternToken::Char(p) => *p == c,
                PatternToken::AnyChar => c != '/',
                PatternToken::Class { negated, ranges } => {
                    ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != *negated
                }
                PatternToken::Star => false,
            };
            ok && match_tokens(rest, remaining)
        }
    }
}

// =============================================================================================
// Evaluation outputs

/// One Application an ApplicationSet generates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeneratedApplication {
    pub name: String,
    pub namespace: String,
    pub applicationset: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub finalizers: Vec<String>,
    pub spec: Value,
    /// `spec.source.path` (or the first `spec.sources[].path`).
    pub source_path: Option<String>,
    /// The destination cluster, resolved between name and server through the known clusters.
    pub cluster_name: Option<String>,
    pub cluster_server: Option<String>,
    /// From the `argocd.argoproj.io/sync-wave` annotation; 0 when absent or invalid.
    pub sync_wave: i64,
    pub layer: Option<Layer>,
}

impl GeneratedApplication {
    /// The Application object ArgoCD would create (without the ownerReference, which needs
    /// the ApplicationSet's uid).
    pub fn to_manifest(&self) -> Value {
        let mut metadata = Map::new();
        metadata.insert("name".into(), Value::from(self.name.clone()));
        metadata.insert("namespace".into(), Value::from(self.namespace.clone()));
        if !self.labels.is_empty() {
            metadata.insert("labels".into(), string_map(&self.labels));
        }
        if !self.annotations.is_empty() {
            metadata.insert("annotations".into(), string_map(&self.annotations));
        }
        if !self.finalizers.is_empty() {
            metadata.insert("finalizers".into(), Value::from(self.finalizers.clone()));
        }
        let mut object = Map::new();
        object.insert("apiVersion".into(), Value::from("argoproj.io/v1alpha1"));
        object.insert("kind".into(), Value::from("Application"));
        object.insert("metadata".into(), Value::Object(metadata));
        object.insert("spec".into(), self.spec.clone());
        Value::Object(object)
    }
}

fn string_map(map: &BTreeMap<String, String>) -> Value {
    Value::Object(
        map.iter()
            .map(|(k, v)| (k.clone(), Value::from(v.clone())))
            .collect(),
    )
}

/// Why an ApplicationSet (or one of its Applications) could not be evaluated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvaluationError {
    #[error(
        "ApplicationSet {appset}: {field}: generator {generator:?} is unknown or not supported (supported: git directories, clusters, list, matrix)"
    )]
    UnsupportedGenerator {
        appset: String,
        field: String,
        generator: String,
    },
    #[error(
        "ApplicationSet {appset}: {field}: matrix needs exactly two child generators, found {found}"
    )]
    MatrixArity {
        appset: String,
        field: String,
        found: usize,
    },
    #[error("ApplicationSet {appset}: {field}: {reason}")]
    InvalidGenerator {
        appset: String,
        field: String,
        reason: String,
    },
    #[error("ApplicationSet {appset}: {field} (params {params}): {source}")]
    Template {
        appset: String,
        field: String,
        params: String,
        source: Box<TemplateError>,
    },
    #[error("ApplicationSet {appset}: {field}: invalid label selector: {source}")]
    Selector {
        appset: String,
        field: String,
        source: SelectorError,
    },
    #[error("ApplicationSet {appset}: spec.goTemplateOptions: {source}")]
    Options { appset: String, source: OptionError },
    #[error(
        "ApplicationSet {appset}: goTemplate is not true; fasttemplate ApplicationSets are not evaluated"
    )]
    FastTemplate { appset: String },
    #[error("ApplicationSet {appset}: spec.templatePatch is not supported")]
    TemplatePatch { appset: String },
    #[error("ApplicationSet {appset} contains an application with no name")]
    EmptyName { appset: String },
    #[error("ApplicationSet {appset} contains applications with duplicate name: {name}")]
    DuplicateName { appset: String, name: String },
    #[error(
        "Application {namespace}/{name} is generated by more than one ApplicationSet: {}",
        appsets.join(", ")
    )]
    DuplicateAcrossAppSets {
        namespace: String,
        name: String,
        appsets: Vec<String>,
    },
}

impl EvaluationError {
    /// The ApplicationSets the error concerns.
    pub fn applicationsets(&self) -> Vec<&str> {
        match self {
            EvaluationError::DuplicateAcrossAppSets { appsets, .. } => {
                appsets.iter().map(String::as_str).collect()
            }
            EvaluationError::UnsupportedGenerator { appset, .. }
            | EvaluationError::MatrixArity { appset, .. }
            | EvaluationError::InvalidGenerator { appset, .. }
            | EvaluationError::Template { appset, .. }
            | EvaluationError::Selector { appset, .. }
            | EvaluationError::Options { appset, .. }
            | EvaluationError::FastTemplate { appset }
            | EvaluationError::TemplatePatch { appset }
            | EvaluationError::EmptyName { appset }
            | EvaluationError::DuplicateName { appset, .. } => vec![appset.as_str()],
        }
    }
}

/// Something worth showing that does not stop evaluation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvaluationWarning {
    #[error(
        "ApplicationSet {appset}: {field}: bad directory pattern {pattern:?} is ignored (as ArgoCD does)"
    )]
    BadDirectoryPattern {
        appset: String,
        field: String,
        pattern: String,
    },
    #[error(
        "ApplicationSet {appset}: Application {application}: sync-wave {value:?} is not an integer; using 0"
    )]
    InvalidSyncWave {
        appset: String,
        application: String,
        value: String,
    },
}

/// The result of evaluating one ApplicationSet whose generators and template succeeded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AppSetEvaluation {
    /// Valid Applications, sorted by name.
    pub applications: Vec<GeneratedApplication>,
    /// Applications dropped for an empty or duplicate name.
    pub invalid: Vec<EvaluationError>,
    pub warnings: Vec<EvaluationWarning>,
}

/// The result of evaluating many ApplicationSets: one failure does not stop the others.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EvaluationReport {
    /// Applications of every ApplicationSet that generated, sorted by namespace, name, appset.
    pub applications: Vec<GeneratedApplication>,
    pub errors: Vec<EvaluationError>,
    pub warnings: Vec<EvaluationWarning>,
    /// ApplicationSets whose generators and template succeeded: their output is authoritative.
    pub generated: BTreeSet<String>,
    /// ApplicationSets that failed: ArgoCD leaves their existing Applications alone.
    pub failed: BTreeSet<String>,
    /// Name shapes per generated ApplicationSet, for recognising hand-made look-alikes.
    pub name_shapes: BTreeMap<String, Vec<FieldShape>>,
}

// =============================================================================================
// Evaluation

/// Evaluates ApplicationSets against one set of clusters and one repository tree.
pub struct Evaluator<'a> {
    clusters: &'a [ClusterInfo],
    directories: BTreeSet<String>,
}

/// Convenience for [`Evaluator::evaluate_all`].
pub fn evaluate_applicationsets<R: RepoDirectories + ?Sized>(
    appsets: &[ApplicationSet],
    clusters: &[ClusterInfo],
    repo: &R,
) -> EvaluationReport {
    Evaluator::new(clusters, repo).evaluate_all(appsets)
}

impl<'a> Evaluator<'a> {
    pub fn new<R: RepoDirectories + ?Sized>(clusters: &'a [ClusterInfo], repo: &R) -> Self {
        Self {
            clusters,
            directories: visible_directories(repo),
        }
    }

    /// The repository directories the git generator sees.
    pub fn directories(&self) -> &BTreeSet<String> {
        &self.directories
    }

    /// Evaluates one ApplicationSet. `Err` means ArgoCD would generate nothing and change
    /// nothing for it.
    pub fn evaluate(&self, appset: &ApplicationSet) -> Result<AppSetEvaluation, EvaluationError> {
        let name = appset.name().to_string();
        if !appset.spec.go_template {
            return Err(EvaluationError::FastTemplate { appset: name });
        }
        if appset.spec.template_patch.is_some() {
            return Err(EvaluationError::TemplatePatch { appset: name });
        }
        let options = TemplateOptions::from_go_options(&appset.spec.go_template_options).map_err(
            |source| EvaluationError::Options {
                appset: name.clone(),
                source,
            },
        )?;
        let run = Run {
            appset,
            options,
            clusters: self.clusters,
            directories: &self.directories,
            templates: RefCell::default(),
            warnings: RefCell::default(),
        };
        let mut rendered = Vec::new();
        for (i, generator) in appset.spec.generators.iter().enumerate() {
            for params in run.generate(generator, &format!("spec.generators[{i}]"), None)? {
                rendered.push(run.render_application(&params)?);
            }
        }
        let mut evaluation = AppSetEvaluation {
            warnings: run.warnings.take(),
            ..AppSetEvaluation::default()
        };
        let mut seen = BTreeSet::new();
        for app in rendered {
            if app.name.is_empty() {
                evaluation.invalid.push(EvaluationError::EmptyName {
                    appset: name.clone(),
                });
            } else if !seen.insert(app.name.clone()) {
                evaluation.invalid.push(EvaluationError::DuplicateName {
                    appset: name.clone(),
                    name: app.name,
                });
            } else {
                evaluation.applications.push(app);
            }
        }
        evaluation.applications.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(evaluation)
    }

    /// Evaluates every ApplicationSet, collecting errors per ApplicationSet, then reports
    /// Application names generated by more than one of them.
    pub fn evaluate_all<'s>(
        &self,
        appsets: impl IntoIterator<Item = &'s ApplicationSet>,
    ) -> EvaluationReport {
        let mut report = EvaluationReport::default();
        for appset in appsets {
            match self.evaluate(appset) {
                Ok(evaluation) => {
                    report.generated.insert(appset.name().to_string());
                    report
                        .name_shapes
                        .insert(appset.name().to_string(), name_shapes(appset));
                    report.applications.extend(evaluation.applications);
                    report.errors.extend(evaluation.invalid);
                    report.warnings.extend(evaluation.warnings);
                }
                Err(err) => {
                    report.failed.insert(appset.name().to_string());
                    report.errors.push(err);
                }
            }
        }
        report.applications.sort_by(|a, b| {
            (&a.namespace, &a.name, &a.applicationset).cmp(&(
                &b.namespace,
                &b.name,
                &b.applicationset,
            ))
        });
        report
            .errors
            .extend(cross_appset_duplicates(&report.applications));
        report
    }
}

fn cross_appset_duplicates(applications: &[GeneratedApplication]) -> Vec<EvaluationError> {
    let mut owners: BTreeMap<(&str, &str), Vec<String>> = BTreeMap::new();
    for app in applications {
        owners
            .entry((&app.namespace, &app.name))
            .or_default()
            .push(app.applicationset.clone());
    }
    owners
        .into_iter()
        .filter(|(_, appsets)| appsets.len() > 1)
        .map(
            |((namespace, name), appsets)| EvaluationError::DuplicateAcrossAppSets {
                namespace: namespace.to_string(),
                name: name.to_string(),
                appsets,
            },
        )
        .collect()
}

/// One ApplicationSet's evaluation state: its options, a cache of parsed templates, warnings.
struct Run<'r> {
    appset: &'r ApplicationSet,
    options: TemplateOptions,
    clusters: &'r [ClusterInfo],
    directories: &'r BTreeSet<String>,
    templates: RefCell<HashMap<String, Result<Template, TemplateError>>>,
    warnings: RefCell<Vec<EvaluationWarning>>,
}

impl Run<'_> {
    fn appset_name(&self) -> String {
        self.appset.name().to_string()
    }

    /// Renders one string; text without `{{` is returned as it is (Go renders it unchanged).
    fn render_with(
        &self,
        text: &str,
        params: &Value,
        options: TemplateOptions,
    ) -> Result<String, TemplateError> {
        if !text.contains("{{") {
            return Ok(text.to_string());
        }
        let mut cache = self.templates.borrow_mut();
        let parsed = cache
            .entry(text.to_string())
            .or_insert_with(|| Template::parse(text));
        match parsed {
            Ok(template) => template.render(params, options),
            Err(err) => Err(err.clone()),
        }
    }

    fn render(&self, text: &str, params: &Value, field: &str) -> Result<String, EvaluationError> {
        self.render_with(text, params, self.options)
            .map_err(|source| self.template_error(field, params, source))
    }

    fn template_error(
        &self,
        field: &str,
        params: &Value,
        source: TemplateError,
    ) -> EvaluationError {
        EvaluationError::Template {
            appset: self.appset_name(),
            field: field.to_string(),
            params: describe_params(params),
            source: Box::new(source),
        }
    }

    /// Renders every string (and object key) of a JSON value.
    fn render_json(
        &self,
        value: &Value,
        params: &Value,
        field: &str,
    ) -> Result<Value, EvaluationError> {
        Ok(match value {
            Value::String(s) => Value::String(self.render(s, params, field)?),
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| self.render_json(v, params, &format!("{field}[{i}]")))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(map) => {
                let mut out = Map::new();
                for (key, v) in map {
                    let child = format!("{field}.{key}");
                    let key = self.render(key, params, &child)?;
                    out.insert(key, self.render_json(v, params, &child)?);
                }
                Value::Object(out)
            }
            other => other.clone(),
        })
    }

    fn render_map(
        &self,
        map: &BTreeMap<String, String>,
        params: &Value,
        field: &str,
    ) -> Result<BTreeMap<String, String>, EvaluationError> {
        map.iter()
            .map(|(k, v)| {
                let child = format!("{field}.{k}");
                Ok((
                    self.render(k, params, &child)?,
                    self.render(v, params, &child)?,
                ))
            })
            .collect()
    }

    // ---- generators ------------------------------------------------------------------------

    fn generate(
        &self,
        generator: &Generator,
        field: &str,
        parent: Option<&Value>,
    ) -> Result<Vec<Value>, EvaluationError> {
        let interpolated;
        let generator = match parent {
            Some(params) if params.as_object().is_some_and(|m| !m.is_empty()) => {
                interpolated = self.interpolate(generator, params, field)?;
                &interpolated
            }
            _ => generator,
        };
        let key = generator.kind.key();
        let child = format!("{field}.{key}");
        let params = match &generator.kind {
            GeneratorKind::Git(git) => self.git_params(git, &child)?,
            GeneratorKind::Clusters(clusters) => self.cluster_params(clusters, &child)?,
            GeneratorKind::List(list) => self.list_params(list, &child)?,
            GeneratorKind::Matrix(matrix) => self.matrix_params(matrix, &child)?,
            GeneratorKind::Other { kind, .. } => {
                return Err(EvaluationError::UnsupportedGenerator {
                    appset: self.appset_name(),
                    field: field.to_string(),
                    generator: kind.clone(),
                });
            }
        };
        match &generator.selector {
            None => Ok(params),
            Some(selector) => {
                let selector =
                    selector
                        .to_selector()
                        .map_err(|source| EvaluationError::Selector {
                            appset: self.appset_name(),
                            field: format!("{field}.selector"),
                            source,
                        })?;
                Ok(params
                    .into_iter()
                    .filter(|p| selector.matches(&flatten_params(p)))
                    .collect())
            }
        }
    }

    fn reject_generator_template(
        &self,
        template: &Option<Value>,
        field: &str,
    ) -> Result<(), EvaluationError> {
        match template {
            Some(_) => Err(EvaluationError::InvalidGenerator {
                appset: self.appset_name(),
                field: format!("{field}.template"),
                reason: "generator-level template overrides are not supported".to_string(),
            }),
            None => Ok(()),
        }
    }

    fn git_params(&self, git: &GitGenerator, field: &str) -> Result<Vec<Value>, EvaluationError> {
        self.reject_generator_template(&git.template, field)?;
        if !git.files.is_empty() {
            return Err(EvaluationError::UnsupportedGenerator {
                appset: self.appset_name(),
                field: format!("{field}.files"),
                generator: "git files".to_string(),
            });
        }
        if git.directories.is_empty() {
            return Err(EvaluationError::InvalidGenerator {
                appset: self.appset_name(),
                field: field.to_string(),
                reason: "git generator lists no directories".to_string(),
            });
        }
        let matched = match_directories(&git.directories, self.directories);
        for pattern in matched.bad_patterns {
            self.warnings
                .borrow_mut()
                .push(EvaluationWarning::BadDirectoryPattern {
                    appset: self.appset_name(),
                    field: format!("{field}.directories"),
                    pattern,
                });
        }
        let prefix = git.path_param_prefix.as_deref().filter(|p| !p.is_empty());
        matched
            .paths
            .iter()
            .map(|path| {
                let mut params = Map::new();
                let path_value = path_params(path);
                match prefix {
                    Some(prefix) => {
                        let mut nested = Map::new();
                        nested.insert("path".into(), path_value);
                        params.insert(prefix.to_string(), Value::Object(nested));
                    }
                    None => {
                        params.insert("path".into(), path_value);
                    }
                }
                let mut params = Value::Object(params);
                self.append_values(&git.values, &mut params, &format!("{field}.values"))?;
                Ok(params)
            })
            .collect()
    }

    fn cluster_params(
        &self,
        generator: &ClustersGenerator,
        field: &str,
    ) -> Result<Vec<Value>, EvaluationError> {
        self.reject_generator_template(&generator.template, field)?;
        let selector =
            generator
                .selector
                .to_selector()
                .map_err(|source| EvaluationError::Selector {
                    appset: self.appset_name(),
                    field: format!("{field}.selector"),
                    source,
                })?;
        // ArgoCD keys secrets by cluster name, so a later secret with the same name wins.
        let mut chosen: BTreeMap<&str, &ClusterInfo> = BTreeMap::new();
        for cluster in self.clusters.iter().filter(|c| selector.matches(&c.labels)) {
            chosen.insert(&cluster.name, cluster);
        }
        let values_field = format!("{field}.values");
        let mut out = Vec::new();
        for cluster in chosen.values() {
            let mut params = secret_params(cluster);
            self.append_values(&generator.values, &mut params, &values_field)?;
            out.push(params);
        }
        let has_in_cluster_secret = chosen.values().any(|c| c.server == IN_CLUSTER_SERVER);
        if generator.selector.is_empty() && !has_in_cluster_secret {
            let mut params = in_cluster_params();
            self.append_values(&generator.values, &mut params, &values_field)?;
            out.push(params);
        }
        Ok(out)
    }

    fn list_params(
        &self,
        list: &ListGenerator,
        field: &str,
    ) -> Result<Vec<Value>, EvaluationError> {
        self.reject_generator_template(&list.template, field)?;
        let mut elements = list.elements.clone();
        if let Some(yaml) = &list.elements_yaml {
            let extra: Vec<Value> =
                serde_yaml::from_str(yaml).map_err(|err| EvaluationError::InvalidGenerator {
                    appset: self.appset_name(),
                    field: format!("{field}.elementsYaml"),
                    reason: err.to_string(),
                })?;
            elements.extend(extra);
        }
        elements
            .into_iter()
            .enumerate()
            .map(|(i, element)| match element {
                Value::Object(_) => Ok(element),
                other => Err(EvaluationError::InvalidGenerator {
                    appset: self.appset_name(),
                    field: format!("{field}.elements[{i}]"),
                    reason: format!("list element must be an object, found {other}"),
                }),
            })
            .collect()
    }

    fn matrix_params(
        &self,
        matrix: &MatrixGenerator,
        field: &str,
    ) -> Result<Vec<Value>, EvaluationError> {
        self.reject_generator_template(&matrix.template, field)?;
        let [first, second] = matrix.generators.as_slice() else {
            return Err(EvaluationError::MatrixArity {
                appset: self.appset_name(),
                field: field.to_string(),
                found: matrix.generators.len(),
            });
        };
        let mut out = Vec::new();
        for a in self.generate(first, &format!("{field}.generators[0]"), None)? {
            for b in self.generate(second, &format!("{field}.generators[1]"), Some(&a))? {
                // mergo.Merge(b) then mergo.Merge(a, WithOverride): the first child wins.
                let mut merged = b;
                deep_merge(&mut merged, &a);
                out.push(merged);
            }
        }
        Ok(out)
    }

    /// Adds `values` (rendered with the params so far), only when there are any, as ArgoCD.
    fn append_values(
        &self,
        values: &BTreeMap<String, String>,
        params: &mut Value,
        field: &str,
    ) -> Result<(), EvaluationError> {
        if values.is_empty() {
            return Ok(());
        }
        let mut rendered = Map::new();
        for (key, value) in values {
            let text = self.render(value, params, &format!("{field}.{key}"))?;
            rendered.insert(key.clone(), Value::String(text));
        }
        if let Value::Object(map) = params {
            map.insert("values".into(), Value::Object(rendered));
        }
        Ok(())
    }

    // ---- matrix interpolation --------------------------------------------------------------

    /// Renders a matrix's second child with one param set of the first child.
    fn interpolate(
        &self,
        generator: &Generator,
        params: &Value,
        field: &str,
    ) -> Result<Generator, EvaluationError> {
        let mut out = generator.clone();
        let child = format!("{field}.{}", generator.kind.key());
        match &mut out.kind {
            GeneratorKind::Git(git) => {
                git.repo_url = self.render(&git.repo_url, params, &format!("{child}.repoURL"))?;
                git.revision = self.render(&git.revision, params, &format!("{child}.revision"))?;
                for (i, dir) in git.directories.iter_mut().enumerate() {
                    dir.path =
                        self.render(&dir.path, params, &format!("{child}.directories[{i}].path"))?;
                }
                git.values = self.pre_resolve(&git.values, params, &format!("{child}.values"))?;
            }
            GeneratorKind::Clusters(clusters) => {
                clusters.selector =
                    self.render_selector(&clusters.selector, params, &format!("{child}.selector"))?;
                clusters.values =
                    self.pre_resolve(&clusters.values, params, &format!("{child}.values"))?;
            }
            GeneratorKind::List(list) => {
                for (i, element) in list.elements.iter_mut().enumerate() {
                    *element =
                        self.render_json(element, params, &format!("{child}.elements[{i}]"))?;
                }
                if let Some(yaml) = &list.elements_yaml {
                    list.elements_yaml =
                        Some(self.render(yaml, params, &format!("{child}.elementsYaml"))?);
                }
            }
            GeneratorKind::Matrix(matrix) => {
                for (i, inner) in matrix.generators.iter_mut().enumerate() {
                    *inner =
                        self.interpolate(inner, params, &format!("{child}.generators[{i}]"))?;
                }
            }
            GeneratorKind::Other { .. } => {}
        }
        if let Some(selector) = &out.selector {
            out.selector =
                Some(self.render_selector(selector, params, &format!("{field}.selector"))?);
        }
        Ok(out)
    }

    fn render_selector(
        &self,
        selector: &LabelSelector,
        params: &Value,
        field: &str,
    ) -> Result<LabelSelector, EvaluationError> {
        let mut out = LabelSelector {
            match_labels: self.render_map(
                &selector.match_labels,
                params,
                &format!("{field}.matchLabels"),
            )?,
            match_expressions: Vec::with_capacity(selector.match_expressions.len()),
        };
        for (i, expr) in selector.match_expressions.iter().enumerate() {
            let f = format!("{field}.matchExpressions[{i}]");
            let mut expr = expr.clone();
            expr.key = self.render(&expr.key, params, &format!("{f}.key"))?;
            expr.operator = self.render(&expr.operator, params, &format!("{f}.operator"))?;
            for (j, value) in expr.values.iter_mut().enumerate() {
                *value = self.render(value, params, &format!("{f}.values[{j}]"))?;
            }
            out.match_expressions.push(expr);
        }
        Ok(out)
    }

    /// ArgoCD pre-resolves a child's `values` with `missingkey=error`, keeping a value as it
    /// was when it needs keys only the child itself provides.
    fn pre_resolve(
        &self,
        values: &BTreeMap<String, String>,
        params: &Value,
        field: &str,
    ) -> Result<BTreeMap<String, String>, EvaluationError> {
        let mut strict = self.options;
        strict.missing_key = gotemplate::MissingKey::Error;
        values
            .iter()
            .map(
                |(key, value)| match self.render_with(value, params, strict) {
                    Ok(text) => Ok((key.clone(), text)),
                    Err(err) if is_missing_key(&err) => Ok((key.clone(), value.clone())),
                    Err(source) => {
                        Err(self.template_error(&format!("{field}.{key}"), params, source))
                    }
                },
            )
            .collect()
    }

    // ---- template ----------------------------------------------------------------------------

    fn render_application(&self, params: &Value) -> Result<GeneratedApplication, EvaluationError> {
        let template = &self.appset.spec.template;
        let meta = &template.metadata;
        let name = self.render(&meta.name, params, "spec.template.metadata.name")?;
        let labels = self.render_map(&meta.labels, params, "spec.template.metadata.labels")?;
        let annotations = self.render_map(
            &meta.annotations,
            params,
            "spec.template.metadata.annotations",
        )?;
        let mut finalizers = meta
            .finalizers
            .iter()
            .enumerate()
            .map(|(i, f)| {
                self.render(
                    f,
                    params,
                    &format!("spec.template.metadata.finalizers[{i}]"),
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        if finalizers.is_empty() && !self.appset.preserves_resources_on_deletion() {
            finalizers.push(RESOURCES_FINALIZER.to_string());
        }
        let spec = self.render_json(&template.spec, params, "spec.template.spec")?;
        let source_path = source_path(&spec);
        let (cluster_name, cluster_server) = resolve_destination(&spec, self.clusters);
        let sync_wave = match annotations.get(SYNC_WAVE_ANNOTATION) {
            None => 0,
            Some(value) => value.trim().parse().unwrap_or_else(|_| {
                self.warnings
                    .borrow_mut()
                    .push(EvaluationWarning::InvalidSyncWave {
                        appset: self.appset_name(),
                        application: name.clone(),
                        value: value.clone(),
                    });
                0
            }),
        };
        Ok(GeneratedApplication {
            layer: source_path.as_deref().and_then(Layer::from_repo_path),
            namespace: self.appset.namespace().to_string(),
            applicationset: self.appset_name(),
            name,
            labels,
            annotations,
            finalizers,
            spec,
            source_path,
            cluster_name,
            cluster_server,
            sync_wave,
        })
    }
}

/// ArgoCD's notion of "missing key" errors (`isMissingKeyError`).
fn is_missing_key(err: &TemplateError) -> bool {
    match &err.kind {
        TemplateErrorKind::MissingKey(_) => true,
        TemplateErrorKind::Exec(message) => message.contains("can't evaluate field"),
        _ => false,
    }
}

/// The git directory generator's params for one path.
fn path_params(path: &str) -> Value {
    let basename = path.rsplit('/').next().unwrap_or(path);
    let mut map = Map::new();
    map.insert("path".into(), Value::from(path));
    map.insert("basename".into(), Value::from(basename));
    map.insert(
        "basenameNormalized".into(),
        Value::from(gotemplate::normalize_name(basename)),
    );
    map.insert(
        "segments".into(),
        Value::from(path.split('/').map(Value::from).collect::<Vec<_>>()),
    );
    Value::Object(map)
}

/// The clusters generator's params for a cluster secret.
fn secret_params(cluster: &ClusterInfo) -> Value {
    let mut metadata = Map::new();
    if !cluster.annotations.is_empty() {
        metadata.insert("annotations".into(), string_map(&cluster.annotations));
    }
    if !cluster.labels.is_empty() {
        metadata.insert("labels".into(), string_map(&cluster.labels));
    }
    let mut params = Map::new();
    params.insert("name".into(), Value::from(cluster.name.clone()));
    params.insert(
        "nameNormalized".into(),
        Value::from(gotemplate::normalize_name(&cluster.name)),
    );
    params.insert("server".into(), Value::from(cluster.server.clone()));
    params.insert("project".into(), Value::from(""));
    params.insert("metadata".into(), Value::Object(metadata));
    Value::Object(params)
}

/// The implicit in-cluster has no secret, hence no `metadata` param.
fn in_cluster_params() -> Value {
    let mut params = Map::new();
    params.insert("name".into(), Value::from(IN_CLUSTER_NAME));
    params.insert("nameNormalized".into(), Value::from(IN_CLUSTER_NAME));
    params.insert("server".into(), Value::from(IN_CLUSTER_SERVER));
    params.insert("project".into(), Value::from(""));
    Value::Object(params)
}

/// Deep merge: objects merge key by key, anything else in `over` replaces what is in `base`.
fn deep_merge(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Object(base), Value::Object(over)) => {
            for (key, value) in over {
                match base.get_mut(key) {
                    Some(existing) if existing.is_object() && value.is_object() => {
                        deep_merge(existing, value)
                    }
                    _ => {
                        base.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (base, over) => *base = over.clone(),
    }
}

/// Params flattened to `a.b.c` keys with Go `%v` values, as a generator post-selector sees them.
fn flatten_params(params: &Value) -> BTreeMap<String, String> {
    fn walk(prefix: &str, value: &Value, out: &mut BTreeMap<String, String>) {
        let join = |key: &str| {
            if prefix.is_empty() {
                key.to_string()
            } else {
                format!("{prefix}.{key}")
            }
        };
        match value {
            Value::Object(map) => map.iter().for_each(|(k, v)| walk(&join(k), v, out)),
            Value::Array(items) => items
                .iter()
                .enumerate()
                .for_each(|(i, v)| walk(&join(&i.to_string()), v, out)),
            Value::String(s) => {
                out.insert(prefix.to_string(), s.clone());
            }
            other => {
                out.insert(prefix.to_string(), other.to_string());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk("", params, &mut out);
    out
}

/// A short description of a param set for error messages: its path and cluster.
fn describe_params(params: &Value) -> String {
    let flat = flatten_params(params);
    let mut parts = Vec::new();
    for (key, label) in [("path.path", "path"), ("name", "cluster")] {
        if let Some(value) = flat.get(key) {
            parts.push(format!("{label}={value}"));
        }
    }
    if parts.is_empty() {
        let keys: Vec<&str> = params
            .as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        return format!("{{{}}}", keys.join(", "));
    }
    parts.join(", ")
}

fn source_path(spec: &Value) -> Option<String> {
    let single = spec.pointer("/source/path").and_then(Value::as_str);
    let multi = || {
        spec.get("sources")?
            .as_array()?
            .iter()
            .find_map(|s| s.get("path").and_then(Value::as_str))
    };
    single.or_else(multi).map(str::to_string)
}

/// Resolves `spec.destination` (server or name) to both, through the known clusters and the
/// implicit in-cluster.
fn resolve_destination(spec: &Value, clusters: &[ClusterInfo]) -> (Option<String>, Option<String>) {
    let server = spec
        .pointer("/destination/server")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty());
    let name = spec
        .pointer("/destination/name")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty());
    let in_cluster = ClusterInfo::new(IN_CLUSTER_NAME, IN_CLUSTER_SERVER);
    let known = || clusters.iter().chain(std::iter::once(&in_cluster));
    match (server, name) {
        (Some(server), _) => {
            let found = known().find(|c| c.server == server);
            (found.map(|c| c.name.clone()), Some(server.to_string()))
        }
        (None, Some(name)) => {
            let found = known().find(|c| c.name == name);
            (Some(name.to_string()), found.map(|c| c.server.clone()))
        }
        (None, None) => (None, None),
    }
}

// =============================================================================================
// Shapes: what a template field looks like before cluster values are known

/// A template field's possible values: literal text with holes where generator values go.
/// Used to recognise an Application name as one an ApplicationSet would generate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldShape {
    pieces: Vec<ShapePiece>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ShapePiece {
    Text(String),
    Hole,
}

/// Stands in for a value only known at evaluation time (a private-use character).
const HOLE: char = '\u{E000}';

impl FieldShape {
    fn from_rendered(rendered: &str) -> Self {
        let marked = rendered.replace("<no value>", &HOLE.to_string());
        let mut pieces = Vec::new();
        for (i, text) in marked.split(HOLE).enumerate() {
            if i > 0 && pieces.last() != Some(&ShapePiece::Hole) {
                pieces.push(ShapePiece::Hole);
            }
            if !text.is_empty() {
                pieces.push(ShapePiece::Text(text.to_string()));
            }
        }
        Self { pieces }
    }

    pub fn pieces(&self) -> &[ShapePiece] {
        &self.pieces
    }

    /// The value when it has no holes.
    pub fn literal(&self) -> Option<String> {
        match self.pieces.as_slice() {
            [] => Some(String::new()),
            [ShapePiece::Text(text)] => Some(text.clone()),
            _ => None,
        }
    }

    /// How many characters are fixed.
    pub fn literal_len(&self) -> usize {
        self.pieces
            .iter()
            .map(|p| match p {
                ShapePiece::Text(t) => t.chars().count(),
                ShapePiece::Hole => 0,
            })
            .sum()
    }

    /// True when the shape begins with fixed text (so it cannot match just anything).
    pub fn is_anchored(&self) -> bool {
        matches!(self.pieces.first(), Some(ShapePiece::Text(_)))
    }

    /// Whether `value` fits: text pieces in order, each hole standing for one or more characters.
    pub fn matches(&self, value: &str) -> bool {
        fn fit(pieces: &[ShapePiece], value: &str) -> bool {
            match pieces.split_first() {
                None => value.is_empty(),
                Some((ShapePiece::Text(t), rest)) => {
                    value.strip_prefix(t.as_str()).is_some_and(|v| fit(rest, v))
                }
                Some((ShapePiece::Hole, rest)) => value
                    .char_indices()
                    .skip(1)
                    .map(|(i, _)| i)
                    .chain(std::iter::once(value.len()))
                    .filter(|&i| i > 0)
                    .any(|i| fit(rest, &value[i..])),
            }
        }
        fit(&self.pieces, value)
    }
}

impl fmt::Display for FieldShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for piece in &self.pieces {
            match piece {
                ShapePiece::Text(t) => f.write_str(t)?,
                ShapePiece::Hole => f.write_str("*")?,
            }
        }
        Ok(())
    }
}

/// Stand-in params for one branch of an ApplicationSet's generators: git path segments that
/// are literal in the pattern stay literal, list elements stay as written, cluster values are
/// holes.
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    /// The git directory pattern this branch comes from, if any.
    pub directory_pattern: Option<String>,
    pub excluded_patterns: Vec<String>,
    params: Value,
}

impl Probe {
    /// The shape of a template string under this probe; `None` when it cannot render (for
    /// example an index beyond the pattern's segments).
    pub fn shape(&self, template: &str) -> Option<FieldShape> {
        if !template.contains("{{") {
            return Some(FieldShape::from_rendered(template));
        }
        gotemplate::render(template, &self.params, TemplateOptions::default())
            .ok()
            .map(|rendered| FieldShape::from_rendered(&rendered))
    }
}

impl ApplicationSet {
    /// One probe per generator branch (git include pattern, list element, cluster set).
    pub fn probes(&self) -> Vec<Probe> {
        self.spec
            .generators
            .iter()
            .flat_map(generator_probes)
            .collect()
    }
}

/// The shapes of the names an ApplicationSet generates, one per probe.
pub fn name_shapes(appset: &ApplicationSet) -> Vec<FieldShape> {
    let mut shapes: Vec<FieldShape> = appset
        .probes()
        .iter()
        .filter_map(|p| p.shape(&appset.spec.template.metadata.name))
        .collect();
    shapes.dedup();
    shapes
}

fn hole() -> Value {
    Value::String(HOLE.to_string())
}

fn generator_probes(generator: &Generator) -> Vec<Probe> {
    let probe = |params: Value| Probe {
        directory_pattern: None,
        excluded_patterns: Vec::new(),
        params,
    };
    match &generator.kind {
        GeneratorKind::Git(git) => git_probes(git),
        GeneratorKind::Clusters(clusters) => {
            let labels: Map<String, Value> = clusters
                .selector
                .match_labels
                .keys()
                .map(|k| (k.clone(), hole()))
                .collect();
            let mut params = Map::new();
            for key in ["name", "nameNormalized", "server", "project"] {
                params.insert(key.into(), hole());
            }
            let mut metadata = Map::new();
            metadata.insert("labels".into(), Value::Object(labels));
            metadata.insert("annotations".into(), Value::Object(Map::new()));
            params.insert("metadata".into(), Value::Object(metadata));
            if !clusters.values.is_empty() {
                let values = clusters
                    .values
                    .keys()
                    .map(|k| (k.clone(), hole()))
                    .collect();
                params.insert("values".into(), Value::Object(values));
            }
            vec![probe(Value::Object(params))]
        }
        GeneratorKind::List(list) => list.elements.iter().cloned().map(probe).collect(),
        GeneratorKind::Matrix(matrix) => match matrix.generators.as_slice() {
            [first, second] => {
                let seconds = generator_probes(second);
                generator_probes(first)
                    .into_iter()
                    .flat_map(|a| {
                        seconds.iter().map(move |b| {
                            let mut params = b.params.clone();
                            deep_merge(&mut params, &a.params);
                            Probe {
                                directory_pattern: a
                                    .directory_pattern
                                    .clone()
                                    .or_else(|| b.directory_pattern.clone()),
                                excluded_patterns: if a.directory_pattern.is_some() {
                                    a.excluded_patterns.clone()
                                } else {
                                    b.excluded_patterns.clone()
                                },
                                params,
                            }
                        })
                    })
                    .collect()
            }
            _ => Vec::new(),
        },
        GeneratorKind::Other { .. } => vec![probe(Value::Object(Map::new()))],
    }
}

fn git_probes(git: &GitGenerator) -> Vec<Probe> {
    let excluded: Vec<String> = git
        .directories
        .iter()
        .filter(|d| d.exclude)
        .map(|d| d.path.clone())
        .collect();
    git.directories
        .iter()
        .filter(|d| !d.exclude)
        .map(|dir| {
            let segments: Vec<String> = dir
                .path
                .split('/')
                .map(|s| {
                    if s.contains(['*', '?', '[', '\\']) {
                        HOLE.to_string()
                    } else {
                        s.to_string()
                    }
                })
                .collect();
            let path = segments.join("/");
            let mut params = match path_params(&path) {
                Value::Object(mut map) => {
                    let basename = segments.last().cloned().unwrap_or_default();
                    if basename.contains(HOLE) {
                        map.insert("basenameNormalized".into(), hole());
                    }
                    Value::Object(map)
                }
                other => other,
            };
            if let Some(prefix) = git.path_param_prefix.as_deref().filter(|p| !p.is_empty()) {
                let mut nested = Map::new();
                nested.insert("path".into(), params);
                let mut outer = Map::new();
                outer.insert(prefix.to_string(), Value::Object(nested));
                params = Value::Object(outer);
            } else {
                let mut outer = Map::new();
                outer.insert("path".into(), params);
                params = Value::Object(outer);
            }
            if !git.values.is_empty() {
                let values = git.values.keys().map(|k| (k.clone(), hole())).collect();
                if let Value::Object(map) = &mut params {
                    map.insert("values".into(), Value::Object(values));
                }
            }
            Probe {
                directory_pattern: Some(dir.path.clone()),
                excluded_patterns: excluded.clone(),
                params,
            }
        })
        .collect()
}

// =============================================================================================
// Expected versus actual

/// An Application as observed in the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActualApplication {
    pub name: String,
    pub namespace: String,
    /// The ApplicationSet named by its controller ownerReference, if any.
    pub applicationset_owner: Option<String>,
}

/// The difference between the Applications the ApplicationSets generate and those present.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExpectedDiff {
    /// Expected but not present (same namespace and name).
    pub missing: Vec<GeneratedApplication>,
    /// Present, not expected, and attributable to an evaluated ApplicationSet: owned by one
    /// that generated, or (not owned at all) named like one's output. Stale or hand-made.
    pub unexpected: Vec<ActualApplication>,
    /// Present, not expected, owned by an ApplicationSet that failed to evaluate or was not
    /// evaluated: nothing can be said about them.
    pub unverified: Vec<ActualApplication>,
}

/// Compares using only the expected list: the evaluated ApplicationSets are taken to be those
/// that appear as `applicationset` in `expected`, and unowned Applications are never
/// unexpected (so `root-app-of-apps` and other hand-made Applications are left out). Prefer
/// [`EvaluationReport::compare`], which also knows ApplicationSets that generated nothing,
/// those that failed, and their name shapes.
pub fn compare_expected(
    expected: &[GeneratedApplication],
    actual: &[ActualApplication],
) -> ExpectedDiff {
    let generated: BTreeSet<String> = expected.iter().map(|a| a.applicationset.clone()).collect();
    diff(expected, actual, &generated, &BTreeMap::new())
}

impl EvaluationReport {
    /// Compares the generated Applications with those present:
    /// - missing: generated but absent;
    /// - unexpected: absent from the generated set and either owned by an ApplicationSet that
    ///   generated, or unowned with a name matching one of their name shapes that begins with
    ///   fixed text (`gateway-*`), i.e. a look-alike;
    /// - unverified: owned by an ApplicationSet that failed or that was not evaluated.
    ///
    /// Unowned Applications matching no shape (`root-app-of-apps`) are not reported.
    pub fn compare(&self, actual: &[ActualApplication]) -> ExpectedDiff {
        diff(
            &self.applications,
            actual,
            &self.generated,
            &self.name_shapes,
        )
    }
}

fn diff(
    expected: &[GeneratedApplication],
    actual: &[ActualApplication],
    generated: &BTreeSet<String>,
    shapes: &BTreeMap<String, Vec<FieldShape>>,
) -> ExpectedDiff {
    let present: BTreeSet<(&str, &str)> = actual
        .iter()
        .map(|a| (a.namespace.as_str(), a.name.as_str()))
        .collect();
    let wanted: BTreeSet<(&str, &str)> = expected
        .iter()
        .map(|a| (a.namespace.as_str(), a.name.as_str()))
        .collect();
    let mut out = ExpectedDiff {
        missing: expected
            .iter()
            .filter(|e| !present.contains(&(e.namespace.as_str(), e.name.as_str())))
            .cloned()
            .collect(),
        ..ExpectedDiff::default()
    };
    let looks_generated = |name: &str| {
        shapes
            .values()
            .flatten()
            .any(|shape| shape.is_anchored() && shape.matches(name))
    };
    for app in actual {
        if wanted.contains(&(app.namespace.as_str(), app.name.as_str())) {
            continue;
        }
        match &app.applicationset_owner {
            Some(owner) if generated.contains(owner) => out.unexpected.push(app.clone()),
            Some(_) => out.unverified.push(app.clone()),
            None if looks_generated(&app.name) => out.unexpected.push(app.clone()),
            None => {}
        }
    }
    out.unexpected
        .sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    out.unverified
        .sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    out
}

#[cfg(test)]
pub(crate) mod test_fixtures;

#[cfg(test)]
mod tests;

//! Discovery: the kubeconfig (one file, or several merged from `KUBECONFIG`), and which
//! context serves which estate cluster.
//!
//! The management cluster is named (`--mgmt-context`, config `management_context`) or found
//! by probing contexts for ArgoCD Applications ([`super::session`]). Target clusters come from
//! ArgoCD's cluster Secrets; each is matched to a context by, in order: the config's
//! `clusters` mapping (ArgoCD cluster name → context), its `environments` mapping (the
//! cluster's `environment` label → context), the in-cluster address (→ the management
//! context), and the API server URL. A cluster that matches nothing is still shown, from
//! ArgoCD's view, as having no context.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use kube::config::Kubeconfig;

use super::watch::error_chain;

use crate::domain::appset::IN_CLUSTER_SERVER;
use crate::domain::env::Environment;

/// The label that marks an ArgoCD cluster Secret.
pub const SECRET_TYPE_LABEL: &str = "argocd.argoproj.io/secret-type";
pub const CLUSTER_SECRET_SELECTOR: &str = "argocd.argoproj.io/secret-type=cluster";

/// Where the kubeconfig is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KubeconfigSource {
    /// `--kubeconfig PATH`.
    File(PathBuf),
    /// `KUBECONFIG`: several files, merged (the first to set a value wins).
    Env(Vec<PathBuf>),
    /// `~/.kube/config`.
    Default(PathBuf),
}

impl KubeconfigSource {
    /// `--kubeconfig` wins, then a non-empty `KUBECONFIG`, then `~/.kube/config`.
    pub fn resolve(
        flag: Option<&Path>,
        env: Option<&OsStr>,
        home: Option<&Path>,
    ) -> Result<KubeconfigSource, DiscoveryError> {
        if let Some(path) = flag {
            return Ok(KubeconfigSource::File(path.to_path_buf()));
        }
        if let Some(value) = env {
            let paths: Vec<PathBuf> = std::env::split_paths(value)
                .filter(|p| !p.as_os_str().is_empty())
                .collect();
            if !paths.is_empty() {
                return Ok(KubeconfigSource::Env(paths));
            }
        }
        home.map(|h| KubeconfigSource::Default(h.join(".kube").join("config")))
            .ok_or(DiscoveryError::NoKubeconfig)
    }

    /// From the process: `--kubeconfig`, `KUBECONFIG`, `HOME`.
    pub fn from_process(flag: Option<&Path>) -> Result<KubeconfigSource, DiscoveryError> {
        let home = std::env::var_os("HOME").map(PathBuf::from);
        Self::resolve(
            flag,
            std::env::var_os("KUBECONFIG").as_deref(),
            home.as_deref(),
        )
    }

    pub fn describe(&self) -> String {
        match self {
            KubeconfigSource::File(path) => format!("{} (--kubeconfig)", path.display()),
            KubeconfigSource::Env(paths) => {
                let list: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
                format!("{} (KUBECONFIG)", list.join(":"))
            }
            KubeconfigSource::Default(path) => path.display().to_string(),
        }
    }

    fn paths(&self) -> Vec<&Path> {
        match self {
            KubeconfigSource::File(path) | KubeconfigSource::Default(path) => vec![path],
            KubeconfigSource::Env(paths) => paths.iter().map(PathBuf::as_path).collect(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    #[error("no kubeconfig: --kubeconfig, KUBECONFIG and HOME are all unset")]
    NoKubeconfig,
    #[error("kubeconfig {path}: {reason}")]
    Kubeconfig { path: String, reason: String },
    #[error("kubeconfig {source_desc} has no contexts")]
    NoContexts { source_desc: String },
    #[error(
        "{role} context {context:?} is not in the kubeconfig {source_desc}; contexts there: {}",
        available.join(", ")
    )]
    UnknownContext {
        role: &'static str,
        context: String,
        source_desc: String,
        available: Vec<String>,
    },
    #[error(
        "no context serves ArgoCD Applications in namespace {namespace:?} (pass --mgmt-context); probed: {}",
        probed.iter().map(|(c, why)| format!("{c}: {why}")).collect::<Vec<_>>().join("; ")
    )]
    NoManagement {
        namespace: String,
        probed: Vec<(String, String)>,
    },
}

/// One context of the kubeconfig.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextEntry {
    pub name: String,
    pub cluster: String,
    /// The cluster's API server URL, if the kubeconfig has the cluster entry.
    pub server: Option<String>,
    pub user: String,
}

/// The kubeconfig, loaded and merged, with its contexts listed in file order.
#[derive(Debug, Clone)]
pub struct Contexts {
    pub kubeconfig: Kubeconfig,
    pub source: KubeconfigSource,
    pub current: Option<String>,
    pub entries: Vec<ContextEntry>,
}

impl Contexts {
    /// Reads and merges the kubeconfig file(s); errors name the file.
    pub fn load(source: KubeconfigSource) -> Result<Contexts, DiscoveryError> {
        let mut merged: Option<Kubeconfig> = None;
        for path in source.paths() {
            let config = Kubeconfig::read_from(path).map_err(|e| DiscoveryError::Kubeconfig {
                path: path.display().to_string(),
                reason: error_chain(&e),
            })?;
            merged = Some(match merged {
                Some(base) => base.merge(config).map_err(|e| DiscoveryError::Kubeconfig {
                    path: path.display().to_string(),
                    reason: error_chain(&e),
                })?,
                None => config,
            });
        }
        Self::from_kubeconfig(merged.unwrap_or_default(), source)
    }

    pub fn from_kubeconfig(
        kubeconfig: Kubeconfig,
        source: KubeconfigSource,
    ) -> Result<Contexts, DiscoveryError> {
        let servers: BTreeMap<&str, Option<&str>> = kubeconfig
            .clusters
            .iter()
            .map(|c| {
                let server = c.cluster.as_ref().and_then(|c| c.server.as_deref());
                (c.name.as_str(), server)
            })
            .collect();
        let entries: Vec<ContextEntry> = kubeconfig
            .contexts
            .iter()
            .map(|named| {
                let context = named.context.as_ref();
                let cluster = context.map(|c| c.cluster.clone()).unwrap_or_default();
                ContextEntry {
                    server: servers
                        .get(cluster.as_str())
                        .copied()
                        .flatten()
                        .map(str::to_string),
                    user: context.and_then(|c| c.user.clone()).unwrap_or_default(),
                    name: named.name.clone(),
                    cluster,
                }
            })
            .collect();
        if entries.is_empty() {
            return Err(DiscoveryError::NoContexts {
                source_desc: source.describe(),
            });
        }
        Ok(Contexts {
            current: kubeconfig.current_context.clone(),
            kubeconfig,
            source,
            entries,
        })
    }

    pub fn get(&self, name: &str) -> Option<&ContextEntry> {
        self.entries.iter().find(|e| e.name == name)
    }

    pub fn names(&self) -> Vec<String> {
        self.entries.iter().map(|e| e.name.clone()).collect()
    }

    /// The named context, or an error listing those that exist.
    pub fn require(&self, role: &'static str, name: &str) -> Result<&ContextEntry, DiscoveryError> {
        self.get(name)
            .ok_or_else(|| DiscoveryError::UnknownContext {
                role,
                context: name.to_string(),
                source_desc: self.source.describe(),
                available: self.names(),
            })
    }

    /// Contexts whose API server is `server`, in kubeconfig order.
    pub fn serving(&self, server: &str) -> Vec<&ContextEntry> {
        let wanted = normalize_server(server);
        self.entries
            .iter()
            .filter(|e| e.server.as_deref().map(normalize_server).as_deref() == Some(&wanted))
            .collect()
    }
}

/// Compares API server URLs: scheme and host case-insensitively, default ports and trailing
/// slashes ignored.
pub fn normalize_server(url: &str) -> String {
    let url = url.trim().trim_end_matches('/');
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_ascii_lowercase();
    };
    let scheme = scheme.to_ascii_lowercase();
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let mut authority = authority.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => Some(":443"),
        "http" => Some(":80"),
        _ => None,
    };
    if let Some(port) = default_port
        && authority.ends_with(port)
    {
        authority.truncate(authority.len() - port.len());
    }
    format!("{scheme}://{authority}{path}")
}

/// What the estate's context choices depend on, besides the kubeconfig.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContextMappings {
    /// ArgoCD cluster name → context (config `clusters`).
    pub clusters: BTreeMap<String, String>,
    /// Environment → context (config `environments`).
    pub environments: BTreeMap<Environment, String>,
}

/// How a target cluster got its context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchRule {
    ClusterMapping,
    EnvironmentMapping,
    InCluster,
    Server,
}

impl MatchRule {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchRule::ClusterMapping => "config clusters mapping",
            MatchRule::EnvironmentMapping => "config environments mapping",
            MatchRule::InCluster => "in-cluster (the management context)",
            MatchRule::Server => "API server URL",
        }
    }
}

/// The result of matching one cluster Secret to a context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextMatch {
    pub context: Option<String>,
    pub rule: Option<MatchRule>,
    /// Why a configured mapping was not used, or why nothing matched.
    pub note: Option<String>,
}

/// Matches an ArgoCD cluster (name, server, `environment` label) to a kubeconfig context.
pub fn match_context(
    cluster_name: &str,
    server: &str,
    environment: Option<&Environment>,
    management: &str,
    contexts: &Contexts,
    mappings: &ContextMappings,
) -> ContextMatch {
    let mut notes = Vec::new();
    let mut mapped = |rule: MatchRule, wanted: &str, what: String| {
        if contexts.get(wanted).is_some() {
            Some(ContextMatch {
                context: Some(wanted.to_string()),
                rule: Some(rule),
                note: None,
            })
        } else {
            notes.push(format!(
                "{what} maps it to context {wanted:?}, which is not in the kubeconfig"
            ));
            None
        }
    };
    if let Some(wanted) = mappings.clusters.get(cluster_name)
        && let Some(found) = mapped(
            MatchRule::ClusterMapping,
            wanted,
            format!("config clusters.{cluster_name}"),
        )
    {
        return found;
    }
    if let Some(environment) = environment
        && let Some(wanted) = mappings.environments.get(environment)
        && let Some(found) = mapped(
            MatchRule::EnvironmentMapping,
            wanted,
            format!("config environments.{environment}"),
        )
    {
        return found;
    }
    let note = |mut notes: Vec<String>, last: Option<String>| {
        notes.extend(last);
        Some(notes.join("; ")).filter(|n| !n.is_empty())
    };
    if normalize_server(server) == IN_CLUSTER_SERVER {
        return ContextMatch {
            context: Some(management.to_string()),
            rule: Some(MatchRule::InCluster),
            note: note(notes, None),
        };
    }
    let candidates = contexts.serving(server);
    let preferred = candidates
        .iter()
        .find(|c| c.name == management)
        .or_else(|| candidates.iter().find(|c| c.name == cluster_name))
        .or_else(|| {
            candidates
                .iter()
                .find(|c| Some(&c.name) == contexts.current.as_ref())
        })
        .or_else(|| candidates.first());
    match preferred {
        Some(found) => ContextMatch {
            context: Some(found.name.clone()),
            rule: Some(MatchRule::Server),
            note: note(notes, None),
        },
        None => ContextMatch {
            context: None,
            rule: None,
            note: note(
                notes,
                Some(format!(
                    "no kubeconfig context has API server {server:?}; map it with `clusters: {{{cluster_name}: <context>}}` in the config"
                )),
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contexts(yaml: &str) -> Contexts {
        Contexts::from_kubeconfig(
            Kubeconfig::from_yaml(yaml).expect("kubeconfig"),
            KubeconfigSource::File(PathBuf::from("/tmp/kc")),
        )
        .expect("contexts")
    }

    const KUBECONFIG: &str = r#"
apiVersion: v1
kind: Config
current-context: mgmt
clusters:
- name: mgmt
  cluster: {server: "https://10.0.0.1:6443/"}
- name: dev
  cluster: {server: "HTTPS://Dev.Example.org:443"}
contexts:
- name: mgmt
  context: {cluster: mgmt, user: admin}
- name: dev-viewer
  context: {cluster: dev, user: viewer}
- name: k8tre-dev
  context: {cluster: dev, user: admin}
- name: orphan
  context: {cluster: missing, user: admin}
users:
- name: admin
  user: {token: a}
- name: viewer
  user: {token: v}
"#;

    #[test]
    fn servers_compare_normalized() {
        assert_eq!(
            normalize_server("HTTPS://Dev.Example.org:443/"),
            "https://dev.example.org"
        );
        assert_eq!(
            normalize_server("https://10.0.0.1:6443"),
            "https://10.0.0.1:6443"
        );
        assert_eq!(normalize_server("http://x:80/base/"), "http://x/base");
    }

    #[test]
    fn contexts_list_servers_in_file_order() {
        let c = contexts(KUBECONFIG);
        assert_eq!(c.names(), vec!["mgmt", "dev-viewer", "k8tre-dev", "orphan"]);
        assert_eq!(c.current.as_deref(), Some("mgmt"));
        assert_eq!(c.get("orphan").and_then(|e| e.server.clone()), None);
        let serving: Vec<&str> = c
            .serving("https://dev.example.org")
            .iter()
            .map(|e| e.name.as_str())
            .collect();
        assert_eq!(serving, vec!["dev-viewer", "k8tre-dev"]);
        let missing = c.require("management", "nope").expect_err("unknown");
        assert!(
            missing.to_string().contains("mgmt, dev-viewer"),
            "{missing}"
        );
    }

    #[test]
    fn match_by_server_prefers_the_cluster_name() {
        let c = contexts(KUBECONFIG);
        let m = match_context(
            "k8tre-dev",
            "https://dev.example.org/",
            None,
            "mgmt",
            &c,
            &ContextMappings::default(),
        );
        assert_eq!(m.context.as_deref(), Some("k8tre-dev"));
        assert_eq!(m.rule, Some(MatchRule::Server));
        let other = match_context(
            "dev",
            "https://dev.example.org",
            None,
            "mgmt",
            &c,
            &ContextMappings::default(),
        );
        assert_eq!(
            other.context.as_deref(),
            Some("dev-viewer"),
            "first in file order"
        );
    }

    #[test]
    fn in_cluster_and_mgmt_server_are_the_management_context() {
        let c = contexts(KUBECONFIG);
        let none = ContextMappings::default();
        let m = match_context("in-cluster", IN_CLUSTER_SERVER, None, "mgmt", &c, &none);
        assert_eq!(
            (m.context.as_deref(), m.rule),
            (Some("mgmt"), Some(MatchRule::InCluster))
        );
        let m = match_context("hub", "https://10.0.0.1:6443", None, "mgmt", &c, &none);
        assert_eq!(m.context.as_deref(), Some("mgmt"));
    }

    #[test]
    fn mappings_win_and_bad_mappings_are_named() {
        let c = contexts(KUBECONFIG);
        let mappings = ContextMappings {
            clusters: BTreeMap::from([("prd".to_string(), "nope".to_string())]),
            environments: BTreeMap::from([(Environment::Prd, "dev-viewer".to_string())]),
        };
        let m = match_context(
            "prd",
            "https://prd.example.org",
            Some(&Environment::Prd),
            "mgmt",
            &c,
            &mappings,
        );
        assert_eq!(m.context.as_deref(), Some("dev-viewer"));
        assert_eq!(m.rule, Some(MatchRule::EnvironmentMapping));
        let unmatched = match_context(
            "prd",
            "https://prd.example.org",
            None,
            "mgmt",
            &c,
            &mappings,
        );
        assert_eq!(unmatched.context, None);
        let note = unmatched.note.expect("note");
        assert!(
            note.contains("clusters.prd maps it to context \"nope\""),
            "{note}"
        );
        assert!(
            note.contains("no kubeconfig context has API server"),
            "{note}"
        );
    }

    #[test]
    fn kubeconfig_sources() {
        let home = Path::new("/home/u");
        let env = std::env::join_paths(["/a", "", "/b"]).expect("join");
        assert_eq!(
            KubeconfigSource::resolve(Some(Path::new("/x")), Some(&env), Some(home)).expect("ok"),
            KubeconfigSource::File(PathBuf::from("/x"))
        );
        assert_eq!(
            KubeconfigSource::resolve(None, Some(&env), Some(home)).expect("ok"),
            KubeconfigSource::Env(vec![PathBuf::from("/a"), PathBuf::from("/b")])
        );
        assert_eq!(
            KubeconfigSource::resolve(None, Some(OsStr::new("")), Some(home)).expect("ok"),
            KubeconfigSource::Default(PathBuf::from("/home/u/.kube/config"))
        );
        assert!(KubeconfigSource::resolve(None, None, None).is_err());
    }

    #[test]
    fn several_files_merge_first_wins() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = dir.path().join("a");
        let second = dir.path().join("b");
        std::fs::write(&first, KUBECONFIG).expect("write");
        std::fs::write(
            &second,
            "apiVersion: v1\nkind: Config\ncurrent-context: extra\nclusters:\n- name: extra\n  cluster: {server: https://e}\ncontexts:\n- name: extra\n  context: {cluster: extra, user: u}\n- name: mgmt\n  context: {cluster: extra, user: u}\nusers:\n- name: u\n  user: {token: t}\n",
        )
        .expect("write");
        let c = Contexts::load(KubeconfigSource::Env(vec![first.clone(), second])).expect("merged");
        assert_eq!(
            c.current.as_deref(),
            Some("mgmt"),
            "first file's current context"
        );
        assert!(c.get("extra").is_some());
        assert_eq!(
            c.get("mgmt").and_then(|e| e.server.clone()).as_deref(),
            Some("https://10.0.0.1:6443/"),
            "first file's mgmt"
        );
    }

    #[test]
    fn a_broken_kubeconfig_names_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("broken");
        std::fs::write(&path, "contexts: [this is: not valid").expect("write");
        let err = Contexts::load(KubeconfigSource::File(path.clone())).expect_err("broken");
        assert!(
            err.to_string().contains(&path.display().to_string()),
            "{err}"
        );
        let missing =
            Contexts::load(KubeconfigSource::File(dir.path().join("nope"))).expect_err("missing");
        assert!(missing.to_string().contains("nope"), "{missing}");
    }
}

//! The resource types a simulated cluster serves: the built-in kinds, plus one entry per
//! version of every CustomResourceDefinition created at runtime.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

use super::table::TableSpec;

/// Storage identity of a resource: objects of all versions of a group/resource share it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceKey {
    pub group: String,
    pub plural: String,
}

impl ResourceKey {
    pub fn new(group: &str, plural: &str) -> Self {
        Self {
            group: group.to_string(),
            plural: plural.to_string(),
        }
    }
}

/// One served group/version/resource.
#[derive(Debug, Clone)]
pub struct ResourceType {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub list_kind: String,
    pub plural: String,
    pub singular: String,
    pub namespaced: bool,
    pub short_names: Vec<String>,
    pub categories: Vec<String>,
    pub verbs: Vec<&'static str>,
    /// Has a `/status` subresource: status is written there and ignored on the main resource.
    pub status_subresource: bool,
    /// Built-in kinds accept strategic merge patches; custom resources answer 415.
    pub builtin: bool,
    /// Bumps `metadata.generation` on spec (or, without a status subresource, any) change.
    pub tracks_generation: bool,
    /// How `kubectl get` prints it: a built-in table, or the CRD's printer columns.
    pub table: TableSpec,
    /// CRD `openAPIV3Schema` for validation and pruning.
    pub schema: Option<Value>,
    /// The CRD that defines this type, if any.
    pub crd_name: Option<String>,
}

pub const CRUD_VERBS: [&str; 8] = [
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

impl ResourceType {
    pub fn key(&self) -> ResourceKey {
        ResourceKey::new(&self.group, &self.plural)
    }

    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `deployments.apps`, or `pods` for the core group.
    pub fn qualified_plural(&self) -> String {
        if self.group.is_empty() {
            self.plural.clone()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    pub fn allows(&self, verb: &str) -> bool {
        self.verbs.contains(&verb)
    }

    /// True for write-free, virtual kinds such as SelfSubjectAccessReview.
    pub fn is_review(&self) -> bool {
        self.verbs == ["create"]
    }
}

struct Builtin {
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    plural: &'static str,
    namespaced: bool,
    short: &'static [&'static str],
    all_category: bool,
    status: bool,
    generation: bool,
}

const BUILTINS: &[Builtin] = &[
    Builtin {
        group: "",
        version: "v1",
        kind: "Namespace",
        plural: "namespaces",
        namespaced: false,
        short: &["ns"],
        all_category: false,
        status: true,
        generation: false,
    },
    Builtin {
        group: "",
        version: "v1",
        kind: "Node",
        plural: "nodes",
        namespaced: false,
        short: &["no"],
        all_category: false,
        status: true,
        generation: false,
    },
    Builtin {
        group: "",
        version: "v1",
        kind: "Pod",
        plural: "pods",
        namespaced: true,
        short: &["po"],
        all_category: true,
        status: true,
        generation: true,
    },
    Builtin {
        group: "",
        version: "v1",
        kind: "Service",
        plural: "services",
        namespaced: true,
        short: &["svc"],
        all_category: true,
        status: true,
        generation: false,
    },
    Builtin {
        group: "",
        version: "v1",
        kind: "ConfigMap",
        plural: "configmaps",
        namespaced: true,
        short: &["cm"],
        all_category: false,
        status: false,
        generation: false,
    },
    Builtin {
        group: "",
        version: "v1",
        kind: "Secret",
        plural: "secrets",
        namespaced: true,
        short: &[],
        all_category: false,
        status: false,
        generation: false,
    },
    Builtin {
        group: "",
        version: "v1",
        kind: "ServiceAccount",
        plural: "serviceaccounts",
        namespaced: true,
        short: &["sa"],
        all_category: false,
        status: false,
        generation: false,
    },
    Builtin {
        group: "",
        version: "v1",
        kind: "Event",
        plural: "events",
        namespaced: true,
        short: &["ev"],
        all_category: false,
        status: false,
        generation: false,
    },
    Builtin {
        group: "",
        version: "v1",
        kind: "PersistentVolumeClaim",
        plural: "persistentvolumeclaims",
        namespaced: true,
        short: &["pvc"],
        all_category: false,
        status: true,
        generation: false,
    },
    Builtin {
        group: "apps",
        version: "v1",
        kind: "Deployment",
        plural: "deployments",
        namespaced: true,
        short: &["deploy"],
        all_category: true,
        status: true,
        generation: true,
    },
    Builtin {
        group: "apps",
        version: "v1",
        kind: "StatefulSet",
        plural: "statefulsets",
        namespaced: true,
        short: &["sts"],
        all_category: true,
        status: true,
        generation: true,
    },
    Builtin {
        group: "apps",
        version: "v1",
        kind: "DaemonSet",
        plural: "daemonsets",
        namespaced: true,
        short: &["ds"],
        all_category: true,
        status: true,
        generation: true,
    },
    Builtin {
        group: "apps",
        version: "v1",
        kind: "ReplicaSet",
        plural: "replicasets",
        namespaced: true,
        short: &["rs"],
        all_category: true,
        status: true,
        generation: true,
    },
    Builtin {
        group: "storage.k8s.io",
        version: "v1",
        kind: "StorageClass",
        plural: "storageclasses",
        namespaced: false,
        short: &["sc"],
        all_category: false,
        status: false,
        generation: false,
    },
    Builtin {
        group: "networking.k8s.io",
        version: "v1",
        kind: "NetworkPolicy",
        plural: "networkpolicies",
        namespaced: true,
        short: &["netpol"],
        all_category: false,
        status: false,
        generation: true,
    },
    Builtin {
        group: "rbac.authorization.k8s.io",
        version: "v1",
        kind: "Role",
        plural: "roles",
        namespaced: true,
        short: &[],
        all_category: false,
        status: false,
        generation: false,
    },
    Builtin {
        group: "rbac.authorization.k8s.io",
        version: "v1",
        kind: "RoleBinding",
        plural: "rolebindings",
        namespaced: true,
        short: &[],
        all_category: false,
        status: false,
        generation: false,
    },
    Builtin {
        group: "rbac.authorization.k8s.io",
        version: "v1",
        kind: "ClusterRole",
        plural: "clusterroles",
        namespaced: false,
        short: &[],
        all_category: false,
        status: false,
        generation: false,
    },
    Builtin {
        group: "rbac.authorization.k8s.io",
        version: "v1",
        kind: "ClusterRoleBinding",
        plural: "clusterrolebindings",
        namespaced: false,
        short: &[],
        all_category: false,
        status: false,
        generation: false,
    },
    Builtin {
        group: "policy",
        version: "v1",
        kind: "PodDisruptionBudget",
        plural: "poddisruptionbudgets",
        namespaced: true,
        short: &["pdb"],
        all_category: false,
        status: true,
        generation: true,
    },
    Builtin {
        group: "",
        version: "v1",
        kind: "PersistentVolume",
        plural: "persistentvolumes",
        namespaced: false,
        short: &["pv"],
        all_category: false,
        status: true,
        generation: false,
    },
    Builtin {
        group: "",
        version: "v1",
        kind: "ResourceQuota",
        plural: "resourcequotas",
        namespaced: true,
        short: &["quota"],
        all_category: false,
        status: true,
        generation: false,
    },
    Builtin {
        group: "",
        version: "v1",
        kind: "LimitRange",
        plural: "limitranges",
        namespaced: true,
        short: &["limits"],
        all_category: false,
        status: false,
        generation: false,
    },
    Builtin {
        group: "apiextensions.k8s.io",
        version: "v1",
        kind: "CustomResourceDefinition",
        plural: "customresourcedefinitions",
        namespaced: false,
        short: &["crd", "crds"],
        all_category: false,
        status: true,
        generation: true,
    },
];

const REVIEWS: &[(&str, &str, &str)] = &[
    (
        "authorization.k8s.io",
        "SelfSubjectAccessReview",
        "selfsubjectaccessreviews",
    ),
    (
        "authentication.k8s.io",
        "SelfSubjectReview",
        "selfsubjectreviews",
    ),
];

fn builtin_types() -> Vec<ResourceType> {
    let mut out: Vec<ResourceType> = BUILTINS
        .iter()
        .map(|b| ResourceType {
            group: b.group.to_string(),
            version: b.version.to_string(),
            kind: b.kind.to_string(),
            list_kind: format!("{}List", b.kind),
            plural: b.plural.to_string(),
            singular: b.kind.to_ascii_lowercase(),
            namespaced: b.namespaced,
            short_names: b.short.iter().map(|s| s.to_string()).collect(),
            categories: if b.all_category {
                vec!["all".to_string()]
            } else {
                vec![]
            },
            verbs: CRUD_VERBS.to_vec(),
            status_subresource: b.status,
            builtin: true,
            tracks_generation: b.generation,
            table: TableSpec::for_builtin_kind(b.kind),
            schema: None,
            crd_name: None,
        })
        .collect();
    out.extend(REVIEWS.iter().map(|(group, kind, plural)| ResourceType {
        group: group.to_string(),
        version: "v1".to_string(),
        kind: kind.to_string(),
        list_kind: format!("{kind}List"),
        plural: plural.to_string(),
        singular: kind.to_ascii_lowercase(),
        namespaced: false,
        short_names: vec![],
        categories: vec![],
        verbs: vec!["create"],
        status_subresource: false,
        builtin: true,
        tracks_generation: false,
        table: TableSpec::Default,
        schema: None,
        crd_name: None,
    }));
    out
}

/// Why a CRD could not be turned into served resource types.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct CrdError {
    pub field: String,
    pub message: String,
}

fn crd_err(field: &str, message: &str) -> CrdError {
    CrdError {
        field: field.to_string(),
        message: message.to_string(),
    }
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

fn string_list(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The resource types a CRD object serves, one per served version.
pub fn types_from_crd(crd: &Value) -> Result<Vec<ResourceType>, CrdError> {
    let group =
        str_at(crd, "/spec/group").ok_or_else(|| crd_err("spec.group", "Required value"))?;
    let plural = str_at(crd, "/spec/names/plural")
        .ok_or_else(|| crd_err("spec.names.plural", "Required value"))?;
    let kind = str_at(crd, "/spec/names/kind")
        .ok_or_else(|| crd_err("spec.names.kind", "Required value"))?;
    let scope = str_at(crd, "/spec/scope").unwrap_or("Namespaced");
    let namespaced = match scope {
        "Namespaced" => true,
        "Cluster" => false,
        _ => {
            return Err(crd_err(
                "spec.scope",
                "Unsupported value: must be Namespaced or Cluster",
            ));
        }
    };
    let names = crd.pointer("/spec/names").cloned().unwrap_or(Value::Null);
    let singular = names
        .get("singular")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| kind.to_ascii_lowercase());
    let list_kind = names
        .get("listKind")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| format!("{kind}List"));
    let versions = crd
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            crd_err(
                "spec.versions",
                "Required value: must have at least one version",
            )
        })?;
    let crd_name = crd
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .map(str::to_string);
    let mut out = Vec::new();
    for (i, version) in versions.iter().enumerate() {
        let name = version
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| crd_err(&format!("spec.versions[{i}].name"), "Required value"))?;
        if version.get("served").and_then(Value::as_bool) == Some(false) {
            continue;
        }
        let status_subresource = version.pointer("/subresources/status").is_some();
        out.push(ResourceType {
            group: group.to_string(),
            version: name.to_string(),
            kind: kind.to_string(),
            list_kind: list_kind.clone(),
            plural: plural.to_string(),
            singular: singular.clone(),
            namespaced,
            short_names: string_list(names.get("shortNames")),
            categories: string_list(names.get("categories")),
            verbs: CRUD_VERBS.to_vec(),
            status_subresource,
            builtin: false,
            tracks_generation: true,
            table: TableSpec::for_custom_resource(version.get("additionalPrinterColumns"))
                .map_err(|e| {
                    crd_err(
                        &format!("spec.versions[{i}].additionalPrinterColumns"),
                        &e.to_string(),
                    )
                })?,
            schema: version.pointer("/schema/openAPIV3Schema").cloned(),
            crd_name: crd_name.clone(),
        });
    }
    Ok(out)
}

/// Every resource type a cluster serves, addressable by group/version/plural.
#[derive(Debug, Clone)]
pub struct Registry {
    types: BTreeMap<(String, String, String), Arc<ResourceType>>,
}

impl Default for Registry {
    fn default() -> Self {
        Self::new()
    }
}

impl Registry {
    /// A registry serving the built-in kinds.
    pub fn new() -> Self {
        let mut registry = Self {
            types: BTreeMap::new(),
        };
        for t in builtin_types() {
            registry.insert(t);
        }
        registry
    }

    fn insert(&mut self, t: ResourceType) {
        self.types.insert(
            (t.group.clone(), t.version.clone(), t.plural.clone()),
            Arc::new(t),
        );
    }

    pub fn get(&self, group: &str, version: &str, plural: &str) -> Option<Arc<ResourceType>> {
        self.types
            .get(&(group.to_string(), version.to_string(), plural.to_string()))
            .cloned()
    }

    /// The served type for a kind at an apiVersion (`apps/v1`, `v1`).
    pub fn by_kind(&self, api_version: &str, kind: &str) -> Option<Arc<ResourceType>> {
        let (group, version) = split_api_version(api_version);
        self.types
            .values()
            .find(|t| t.group == group && t.version == version && t.kind == kind)
            .cloned()
    }

    /// Starts (or updates) serving a CRD's resources; returns the types now served.
    pub fn register_crd(&mut self, crd: &Value) -> Result<Vec<Arc<ResourceType>>, CrdError> {
        let types = types_from_crd(crd)?;
        if let Some(first) = types.first() {
            self.unregister_crd(&first.group, &first.plural);
        }
        for t in types.iter().cloned() {
            self.insert(t);
        }
        Ok(types.into_iter().map(Arc::new).collect())
    }

    /// Stops serving a CRD's group/resource (all versions).
    pub fn unregister_crd(&mut self, group: &str, plural: &str) {
        self.types
            .retain(|_, t| t.builtin || !(t.group == group && t.plural == plural));
    }

    pub fn all(&self) -> impl Iterator<Item = &Arc<ResourceType>> {
        self.types.values()
    }

    /// Group/versions served, core `v1` first, then groups alphabetically.
    pub fn group_versions(&self) -> Vec<(String, Vec<String>)> {
        let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for t in self.types.values() {
            let versions = groups.entry(t.group.clone()).or_default();
            if !versions.contains(&t.version) {
                versions.push(t.version.clone());
            }
        }
        for versions in groups.values_mut() {
            versions.sort_by_key(|v| std::cmp::Reverse(version_priority(v)));
        }
        groups.into_iter().collect()
    }

    pub fn in_group_version(&self, group: &str, version: &str) -> Vec<Arc<ResourceType>> {
        self.types
            .values()
            .filter(|t| t.group == group && t.version == version)
            .cloned()
            .collect()
    }
}

/// `apps/v1` → (`apps`, `v1`); `v1` → (``, `v1`).
pub fn split_api_version(api_version: &str) -> (&str, &str) {
    match api_version.split_once('/') {
        Some((g, v)) => (g, v),
        None => ("", api_version),
    }
}

/// Kubernetes version priority: GA > beta > alpha, higher numbers first.
fn version_priority(v: &str) -> (u8, u32, u32) {
    let rest = v.strip_prefix('v').unwrap_or(v);
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let major = digits.parse().unwrap_or(0);
    let tail = &rest[digits.len()..];
    let (stage, minor_text) = if let Some(t) = tail.strip_prefix("beta") {
        (1, t)
    } else if let Some(t) = tail.strip_prefix("alpha") {
        (0, t)
    } else if tail.is_empty() {
        (2, "")
    } else {
        return (0, 0, 0);
    };
    (stage, major, minor_text.parse().unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn crd() -> Value {
        json!({
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.example.com"},
            "spec": {
                "group": "example.com",
                "scope": "Cluster",
                "names": {"plural": "widgets", "kind": "Widget", "shortNames": ["wd"]},
                "versions": [
                    {"name": "v1", "served": true, "storage": true,
                     "subresources": {"status": {}},
                     "additionalPrinterColumns": [{"name": "Size", "type": "integer", "jsonPath": ".spec.size"}],
                     "schema": {"openAPIV3Schema": {"type": "object"}}},
                    {"name": "v1beta1", "served": false, "storage": false}
                ]
            }
        })
    }

    #[test]
    fn builtins_are_served() {
        let r = Registry::new();
        let deploy = r.get("apps", "v1", "deployments").expect("served");
        assert_eq!(deploy.kind, "Deployment");
        assert!(deploy.namespaced && deploy.status_subresource && deploy.builtin);
        assert!(r.by_kind("v1", "Namespace").is_some());
        assert!(
            r.get("authorization.k8s.io", "v1", "selfsubjectaccessreviews")
                .expect("review")
                .is_review()
        );
    }

    #[test]
    fn crd_registration_serves_only_served_versions() {
        let mut r = Registry::new();
        let types = r.register_crd(&crd()).expect("valid crd");
        assert_eq!(types.len(), 1);
        let w = r.get("example.com", "v1", "widgets").expect("served");
        assert!(!w.namespaced);
        assert!(w.status_subresource);
        assert!(matches!(&w.table, TableSpec::Custom(columns) if columns.len() == 1));
        assert!(r.get("example.com", "v1beta1", "widgets").is_none());
        r.unregister_crd("example.com", "widgets");
        assert!(r.get("example.com", "v1", "widgets").is_none());
    }

    #[test]
    fn invalid_crds_name_the_field() {
        let mut bad = crd();
        bad["spec"]["scope"] = json!("Galaxy");
        assert_eq!(
            types_from_crd(&bad).expect_err("bad scope").field,
            "spec.scope"
        );
    }

    #[test]
    fn versions_sort_by_priority() {
        let mut v = vec!["v1alpha1", "v1", "v2beta1", "v1beta2"];
        v.sort_by_key(|v| std::cmp::Reverse(version_priority(v)));
        assert_eq!(v, vec!["v1", "v2beta1", "v1beta2", "v1alpha1"]);
    }
}

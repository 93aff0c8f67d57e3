//! Which K8TRE component lives in which layer, read from the ApplicationSets that deploy it.
//!
//! A component is one git directory pattern of one ApplicationSet: `apps/jupyterhub/envs/*`
//! is the component `jupyterhub` (path segment 1) in the Application layer (segment 0).
//! Nothing here is hard-coded per component: a fork with other components catalogues itself.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::domain::appset::{
    ApplicationSet, FieldShape, GitDirectory, Probe, RepoDirectories, SYNC_WAVE_ANNOTATION,
    match_directories, path_match, visible_directories,
};
use crate::domain::env::Environment;
use crate::domain::layer::Layer;

/// Where the ApplicationSets a catalog was built from came from; set by the caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum CatalogSource {
    /// A checkout of the GitOps repository.
    Repo { path: String },
    /// The ApplicationSets found in a cluster (kube context).
    Cluster { context: String },
}

/// One deployable component: a directory pattern of an ApplicationSet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Component {
    /// Path segment 1 of the pattern (`externaldns`, `jupyterhub`).
    pub name: String,
    /// From path segment 0 (`agnostics`, `apps`).
    pub layer: Option<Layer>,
    pub applicationset: String,
    /// The file the ApplicationSet was read from.
    pub file: String,
    /// The `appsets/<group>/` folder: agnostics, identity, workspaces, federation, observability.
    pub group: Option<String>,
    pub directory_pattern: String,
    /// `exclude: true` patterns of the same git generator.
    pub excluded_patterns: Vec<String>,
    /// The pattern has a vendor segment before `envs` (`agnostics/gateway/*/envs/*`).
    pub vendor_specific: bool,
    /// From the template's sync-wave annotation; 0 when absent.
    pub sync_wave: i64,
    /// The template's destination namespace when it is literal or follows from the pattern.
    pub destination_namespace: Option<String>,
    /// The shape of the Application names it generates (`gateway-*`, `storage-*-*`).
    pub name_shape: Option<FieldShape>,
}

impl Component {
    /// Whether a repository directory is one of this component's deployable directories.
    pub fn matches_directory(&self, path: &str) -> bool {
        let included = path_match(&self.directory_pattern, path).unwrap_or(false);
        included
            && !self
                .excluded_patterns
                .iter()
                .any(|p| path_match(p, path).unwrap_or(false))
    }

    /// The index of the environment segment: the one after `envs`, else the last.
    pub fn env_segment(&self) -> usize {
        let segments: Vec<&str> = self.directory_pattern.split('/').collect();
        match segments.iter().position(|s| *s == "envs") {
            Some(i) if i + 1 < segments.len() => i + 1,
            _ => segments.len().saturating_sub(1),
        }
    }

    /// The index of the vendor segment, for vendor-specific components.
    pub fn vendor_segment(&self) -> Option<usize> {
        self.vendor_specific.then_some(2)
    }

    fn literal_prefix_matches(&self, path: &str) -> bool {
        let pattern: Vec<&str> = self.directory_pattern.split('/').take(2).collect();
        let given: Vec<&str> = path.split('/').take(2).collect();
        pattern.len() == 2 && pattern == given
    }
}

/// Something odd about the ApplicationSets, worth showing next to the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
pub enum CatalogWarning {
    #[error(
        "{file}: ApplicationSet {applicationset}: pattern {pattern:?} does not name its component in segment 1"
    )]
    ComponentNameNotLiteral {
        applicationset: String,
        file: String,
        pattern: String,
    },
    #[error("component {component} is deployed by several ApplicationSets: {}", applicationsets.join(", "))]
    DuplicateComponent {
        component: String,
        applicationsets: Vec<String>,
    },
    #[error(
        "{file}: ApplicationSet {applicationset}: sync-wave {value:?} is not an integer; using 0"
    )]
    SyncWaveNotInteger {
        applicationset: String,
        file: String,
        value: String,
    },
    #[error(
        "{file}: ApplicationSet {applicationset} has no git directory generator; it catalogues no component"
    )]
    NoGitDirectories {
        applicationset: String,
        file: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    #[error("no ApplicationSet deploys a component named {0:?}")]
    UnknownComponent(String),
}

/// One `envs/<env>` directory of a component.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnvDirectory {
    pub environment: Environment,
    /// The directory name as written (`prod` for a stray prod directory).
    pub directory: String,
    pub path: String,
    pub vendor: Option<String>,
    pub warning: Option<String>,
}

/// A component's environment directories, grouped by environment in promotion order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnvDirectories {
    pub component: String,
    pub by_environment: BTreeMap<Environment, Vec<EnvDirectory>>,
    pub warnings: Vec<String>,
}

impl EnvDirectories {
    pub fn get(&self, environment: &Environment) -> &[EnvDirectory] {
        self.by_environment
            .get(environment)
            .map_or(&[], Vec::as_slice)
    }
}

/// The components of an estate, from its ApplicationSets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Catalog {
    pub source: Option<CatalogSource>,
    /// Sorted by layer, then name, then ApplicationSet.
    pub components: Vec<Component>,
    pub warnings: Vec<CatalogWarning>,
}

impl Catalog {
    /// Builds the catalog from (file, ApplicationSet) pairs.
    pub fn from_applicationsets(appsets: &[(String, ApplicationSet)]) -> Self {
        let mut catalog = Catalog::default();
        for (file, appset) in appsets {
            catalog.add_applicationset(file, appset);
        }
        catalog.components.sort_by(|a, b| {
            (a.layer, &a.name, &a.applicationset, &a.directory_pattern).cmp(&(
                b.layer,
                &b.name,
                &b.applicationset,
                &b.directory_pattern,
            ))
        });
        catalog.warn_duplicates();
        catalog
    }

    pub fn with_source(mut self, source: CatalogSource) -> Self {
        self.source = Some(source);
        self
    }

    fn add_applicationset(&mut self, file: &str, appset: &ApplicationSet) {
        let probes: Vec<Probe> = appset
            .probes()
            .into_iter()
            .filter(|p| p.directory_pattern.is_some())
            .collect();
        if probes.is_empty() {
            self.warnings.push(CatalogWarning::NoGitDirectories {
                applicationset: appset.name().to_string(),
                file: file.to_string(),
            });
        }
        let mut seen = BTreeSet::new();
        for probe in probes {
            let Some(pattern) = probe.directory_pattern.clone() else {
                continue;
            };
            if !seen.insert(pattern.clone()) {
                continue;
            }
            if let Some(component) = self.component_from(file, appset, &probe, pattern) {
                self.components.push(component);
            }
        }
    }

    fn component_from(
        &mut self,
        file: &str,
        appset: &ApplicationSet,
        probe: &Probe,
        pattern: String,
    ) -> Option<Component> {
        let segments: Vec<&str> = pattern.split('/').collect();
        let name = segments
            .get(1)
            .filter(|s| !s.is_empty() && !s.contains(['*', '?', '[', '\\']));
        let Some(name) = name else {
            self.warnings.push(CatalogWarning::ComponentNameNotLiteral {
                applicationset: appset.name().to_string(),
                file: file.to_string(),
                pattern,
            });
            return None;
        };
        let template = &appset.spec.template;
        let envs = segments.iter().position(|s| *s == "envs");
        let namespace = template
            .spec
            .pointer("/destination/namespace")
            .and_then(|v| v.as_str())
            .and_then(|ns| probe.shape(ns))
            .and_then(|shape| shape.literal())
            .filter(|ns| !ns.is_empty());
        Some(Component {
            name: name.to_string(),
            layer: Layer::from_repo_path(&pattern),
            applicationset: appset.name().to_string(),
            file: file.to_string(),
            group: group_of(file),
            excluded_patterns: probe.excluded_patterns.clone(),
            vendor_specific: envs.is_some_and(|i| i > 2),
            sync_wave: self.sync_wave(file, appset, probe),
            destination_namespace: namespace,
            name_shape: probe.shape(&template.metadata.name),
            directory_pattern: pattern,
        })
    }

    fn sync_wave(&mut self, file: &str, appset: &ApplicationSet, probe: &Probe) -> i64 {
        let Some(raw) = appset
            .spec
            .template
            .metadata
            .annotations
            .get(SYNC_WAVE_ANNOTATION)
        else {
            return 0;
        };
        let literal = probe.shape(raw).and_then(|s| s.literal());
        match literal.as_deref().map(str::trim).map(str::parse::<i64>) {
            Some(Ok(wave)) => wave,
            _ => {
                self.warnings.push(CatalogWarning::SyncWaveNotInteger {
                    applicationset: appset.name().to_string(),
                    file: file.to_string(),
                    value: raw.clone(),
                });
                0
            }
        }
    }

    fn warn_duplicates(&mut self) {
        let mut owners: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for component in &self.components {
            owners
                .entry(&component.name)
                .or_default()
                .insert(&component.applicationset);
        }
        let duplicates: Vec<CatalogWarning> = owners
            .into_iter()
            .filter(|(_, appsets)| appsets.len() > 1)
            .map(|(component, appsets)| CatalogWarning::DuplicateComponent {
                component: component.to_string(),
                applicationsets: appsets.into_iter().map(String::from).collect(),
            })
            .collect();
        self.warnings.extend(duplicates);
    }

    /// The first component with this name.
    pub fn component(&self, name: &str) -> Option<&Component> {
        self.components.iter().find(|c| c.name == name)
    }

    /// Every component with this name (one per pattern and ApplicationSet).
    pub fn components_named<'c>(&'c self, name: &'c str) -> impl Iterator<Item = &'c Component> {
        self.components.iter().filter(move |c| c.name == name)
    }

    pub fn in_layer(&self, layer: Layer) -> impl Iterator<Item = &Component> {
        self.components
            .iter()
            .filter(move |c| c.layer == Some(layer))
    }

    /// The component a repository path belongs to: a deployable directory of it or anything
    /// inside one (`apps/jupyterhub/envs/dev/values.yaml`), else anything under its
    /// `<layer>/<name>/` folder (`apps/jupyterhub/base`).
    pub fn component_for_path(&self, path: &str) -> Option<&Component> {
        let path = path.trim_start_matches("./").trim_matches('/');
        let mut candidate = path;
        loop {
            if let Some(found) = self
                .components
                .iter()
                .find(|c| c.matches_directory(candidate))
            {
                return Some(found);
            }
            match candidate.rsplit_once('/') {
                Some((parent, _)) => candidate = parent,
                None => break,
            }
        }
        self.components
            .iter()
            .find(|c| c.literal_prefix_matches(path))
    }

    /// The component an Application belongs to: by its source path when known, else by the
    /// most specific name shape it fits (`externaldns-k8tre-dev` → externaldns).
    pub fn component_for_application(
        &self,
        name: &str,
        source_path: Option<&str>,
    ) -> Option<&Component> {
        if let Some(found) = source_path.and_then(|p| self.component_for_path(p)) {
            return Some(found);
        }
        self.components
            .iter()
            .filter_map(|c| {
                let shape = c.name_shape.as_ref()?;
                (shape.is_anchored() && shape.matches(name)).then_some((shape.literal_len(), c))
            })
            .max_by_key(|(len, _)| *len)
            .map(|(_, c)| c)
    }

    /// The environment directories present in the repository for a component, grouped by
    /// environment. `prod` (and other non-canonical names) are read through
    /// [`Environment::parse`], with a warning on each such directory.
    pub fn env_directories<R: RepoDirectories + ?Sized>(
        &self,
        component: &str,
        dirs: &R,
    ) -> Result<EnvDirectories, CatalogError> {
        let components: Vec<&Component> = self.components_named(component).collect();
        if components.is_empty() {
            return Err(CatalogError::UnknownComponent(component.to_string()));
        }
        let visible = visible_directories(dirs);
        let mut out = EnvDirectories {
            component: component.to_string(),
            by_environment: BTreeMap::new(),
            warnings: Vec::new(),
        };
        for c in components {
            let mut patterns = vec![GitDirectory {
                path: c.directory_pattern.clone(),
                exclude: false,
            }];
            patterns.extend(c.excluded_patterns.iter().map(|p| GitDirectory {
                path: p.clone(),
                exclude: true,
            }));
            for path in match_directories(&patterns, &visible).paths {
                let entry = env_directory(c, &path);
                if let Some(warning) = &entry.warning {
                    out.warnings.push(warning.clone());
                }
                out.by_environment
                    .entry(entry.environment.clone())
                    .or_default()
                    .push(entry);
            }
        }
        for entries in out.by_environment.values_mut() {
            entries.sort_by(|a, b| (&a.vendor, &a.path).cmp(&(&b.vendor, &b.path)));
            entries.dedup();
        }
        Ok(out)
    }
}

fn env_directory(component: &Component, path: &str) -> EnvDirectory {
    let segments: Vec<&str> = path.split('/').collect();
    let directory = segments
        .get(component.env_segment())
        .copied()
        .unwrap_or_default()
        .to_string();
    let parsed = Environment::parse(&directory);
    let warning = parsed.warning.map(|w| {
        format!(
            "{path}: {w}; ApplicationSets match clusters on the directory name, so only clusters labelled environment={directory} get it"
        )
    });
    EnvDirectory {
        environment: parsed.environment,
        vendor: component
            .vendor_segment()
            .and_then(|i| segments.get(i))
            .map(|s| s.to_string()),
        path: path.to_string(),
        directory,
        warning,
    }
}

/// The folder under `appsets/` a file sits in (`appsets/identity/keycloak.yaml` → identity);
/// without an `appsets` folder, the file's parent directory.
fn group_of(file: &str) -> Option<String> {
    let segments: Vec<&str> = file
        .split(['/', '\\'])
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    let (_, folders) = segments.split_last()?;
    match folders.iter().rposition(|s| *s == "appsets") {
        Some(i) => folders.get(i + 1).map(|s| s.to_string()),
        None => folders.last().map(|s| s.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::appset::parse_applicationsets;
    use crate::domain::appset::test_fixtures as fx;

    fn catalog() -> Catalog {
        Catalog::from_applicationsets(&fx::appsets_with_files())
    }

    #[test]
    fn components_come_from_directory_patterns() {
        let catalog = catalog();
        let names: Vec<(&str, Option<Layer>)> = catalog
            .components
            .iter()
            .map(|c| (c.name.as_str(), c.layer))
            .collect();
        assert_eq!(
            names,
            vec![
                ("externaldns", Some(Layer::Agnostics)),
                ("gateway", Some(Layer::Agnostics)),
                ("object-storage", Some(Layer::Agnostics)),
                ("secret-store", Some(Layer::Agnostics)),
                ("storage-class", Some(Layer::Agnostics)),
                ("backend", Some(Layer::Application)),
                ("cr8tor", Some(Layer::Application)),
                ("jupyterhub", Some(Layer::Application)),
            ]
        );
        assert!(catalog.warnings.is_empty(), "{:?}", catalog.warnings);
        assert_eq!(catalog.in_layer(Layer::Application).count(), 3);
    }

    #[test]
    fn external_dns_component_is_named_after_its_directory() {
        let catalog = catalog();
        let dns = catalog.component("externaldns").expect("externaldns");
        assert_eq!(dns.applicationset, "external-dns");
        assert_eq!(dns.file, "appsets/agnostics/external-dns.yaml");
        assert_eq!(dns.group.as_deref(), Some("agnostics"));
        assert_eq!(dns.directory_pattern, "agnostics/externaldns/*/envs/*");
        assert!(dns.vendor_specific);
        assert_eq!(dns.sync_wave, -9);
        assert_eq!(dns.destination_namespace.as_deref(), Some("externaldns"));
        assert_eq!(
            dns.name_shape.as_ref().map(|s| s.to_string()).as_deref(),
            Some("externaldns-*")
        );
        assert!(catalog.component("external-dns").is_none());
    }

    #[test]
    fn application_layer_components() {
        let catalog = catalog();
        let hub = catalog.component("jupyterhub").expect("jupyterhub");
        assert_eq!(hub.group.as_deref(), Some("workspaces"));
        assert!(!hub.vendor_specific);
        assert_eq!(hub.sync_wave, 0);
        assert_eq!(hub.destination_namespace.as_deref(), Some("jupyterhub"));
        assert_eq!(hub.env_segment(), 3);
        assert_eq!(hub.vendor_segment(), None);
        assert_eq!(
            catalog
                .component("backend")
                .and_then(|c| c.group.as_deref()),
            Some("identity")
        );
        assert_eq!(catalog.component("cr8tor").map(|c| c.sync_wave), Some(3));
        let storage = catalog.component("storage-class").expect("storage-class");
        assert_eq!(
            storage.destination_namespace.as_deref(),
            Some("storage-system")
        );
        assert_eq!(storage.sync_wave, -10);
        assert_eq!(storage.env_segment(), 4);
        assert_eq!(storage.vendor_segment(), Some(2));
    }

    #[test]
    fn lookup_by_path() {
        let catalog = catalog();
        let name = |p: &str| catalog.component_for_path(p).map(|c| c.name.as_str());
        assert_eq!(name("apps/jupyterhub/envs/dev"), Some("jupyterhub"));
        assert_eq!(
            name("./agnostics/gateway/k3s/envs/dev/kustomization.yaml"),
            Some("gateway")
        );
        assert_eq!(name("apps/jupyterhub/base"), Some("jupyterhub"));
        assert_eq!(
            name("agnostics/externaldns/azure/envs/prd/values.yaml"),
            Some("externaldns")
        );
        assert_eq!(name("agnostics/cert-manager/envs/dev"), None);
        assert_eq!(name("appsets/agnostics"), None);
    }

    #[test]
    fn lookup_by_application_name() {
        let catalog = catalog();
        let name = |app: &str| {
            catalog
                .component_for_application(app, None)
                .map(|c| c.name.as_str())
        };
        assert_eq!(name("externaldns-k8tre-dev.cluster"), Some("externaldns"));
        assert_eq!(name("storage-k3s-dev"), Some("storage-class"));
        assert_eq!(name("object-storage-k3s-dev"), Some("object-storage"));
        assert_eq!(name("secret-store-in-cluster"), Some("secret-store"));
        assert_eq!(name("root-app-of-apps"), None);
        let by_path = catalog.component_for_application("renamed", Some("apps/backend/envs/stg"));
        assert_eq!(by_path.map(|c| c.name.as_str()), Some("backend"));
    }

    #[test]
    fn env_directories_vendor_neutral_with_stray_prod() {
        let catalog = catalog();
        let envs = catalog
            .env_directories("jupyterhub", &fx::repo())
            .expect("known");
        let keys: Vec<&Environment> = envs.by_environment.keys().collect();
        assert_eq!(
            keys,
            vec![&Environment::Dev, &Environment::Stg, &Environment::Prd]
        );
        let prd: Vec<(&str, bool)> = envs
            .get(&Environment::Prd)
            .iter()
            .map(|e| (e.directory.as_str(), e.warning.is_some()))
            .collect();
        assert_eq!(prd, vec![("prd", false), ("prod", true)]);
        assert_eq!(envs.warnings.len(), 1);
        assert!(
            envs.warnings[0].starts_with("apps/jupyterhub/envs/prod:"),
            "{}",
            envs.warnings[0]
        );
        assert!(envs.warnings[0].contains("environment=prod"));
        assert!(
            envs.get(&Environment::Dev)
                .iter()
                .all(|e| e.vendor.is_none())
        );
    }

    #[test]
    fn env_directories_vendor_specific() {
        let catalog = catalog();
        let envs = catalog
            .env_directories("gateway", &fx::repo())
            .expect("known");
        let vendors = |env: Environment| -> Vec<String> {
            envs.get(&env)
                .iter()
                .filter_map(|e| e.vendor.clone())
                .collect()
        };
        assert_eq!(vendors(Environment::Dev), vec!["azure", "k3s"]);
        assert_eq!(vendors(Environment::Stg), vec!["azure", "k3s"]);
        assert_eq!(vendors(Environment::Prd), vec!["azure"]);
        assert!(envs.warnings.is_empty());
        let storage = catalog
            .env_directories("storage-class", &fx::repo())
            .expect("known");
        assert!(
            storage
                .get(&Environment::Dev)
                .iter()
                .all(|e| e.vendor.as_deref() != Some("aws"))
        );
        assert_eq!(
            catalog.env_directories("keycloak", &fx::repo()),
            Err(CatalogError::UnknownComponent("keycloak".into()))
        );
    }

    #[test]
    fn source_is_set_by_the_caller() {
        let catalog = catalog().with_source(CatalogSource::Repo {
            path: "/srv/k8tre".into(),
        });
        assert_eq!(
            catalog.source,
            Some(CatalogSource::Repo {
                path: "/srv/k8tre".into()
            })
        );
        let from_cluster = Catalog::default().with_source(CatalogSource::Cluster {
            context: "mgmt".into(),
        });
        assert!(matches!(
            from_cluster.source,
            Some(CatalogSource::Cluster { .. })
        ));
    }

    #[test]
    fn odd_applicationsets_are_warned_about() {
        let generic = parse_applicationsets(
            "kind: ApplicationSet\nmetadata: {name: everything}\nspec:\n  goTemplate: true\n  generators:\n  - git: {directories: [{path: 'apps/*/envs/*'}]}\n  template:\n    metadata: {name: '{{index .path.segments 1}}', annotations: {argocd.argoproj.io/sync-wave: '{{.path.basename}}'}}\n    spec: {}\n",
        )
        .expect("parses");
        let list_only = parse_applicationsets(
            "kind: ApplicationSet\nmetadata: {name: listed}\nspec:\n  goTemplate: true\n  generators:\n  - list: {elements: [{a: b}]}\n  template: {metadata: {name: x}, spec: {}}\n",
        )
        .expect("parses");
        let mut copy = fx::appset("jupyterhub");
        copy.metadata.name = "jupyterhub-again".into();
        copy.spec
            .template
            .metadata
            .annotations
            .insert(SYNC_WAVE_ANNOTATION.into(), "later".into());
        let mut inputs = fx::appsets_with_files();
        inputs.push(("appsets/generic.yaml".into(), generic[0].clone()));
        inputs.push(("appsets/listed.yaml".into(), list_only[0].clone()));
        inputs.push(("appsets/workspaces/again.yaml".into(), copy));
        let catalog = Catalog::from_applicationsets(&inputs);
        let kinds: Vec<String> = catalog.warnings.iter().map(|w| w.to_string()).collect();
        assert!(
            kinds
                .iter()
                .any(|w| w.contains("\"apps/*/envs/*\" does not name its component")),
            "{kinds:?}"
        );
        assert!(
            kinds
                .iter()
                .any(|w| w.contains("listed has no git directory generator")),
            "{kinds:?}"
        );
        assert!(kinds.iter().any(|w| w == "component jupyterhub is deployed by several ApplicationSets: jupyterhub, jupyterhub-again"), "{kinds:?}");
        assert!(
            kinds.iter().any(|w| w.contains("sync-wave \"later\"")),
            "{kinds:?}"
        );
        assert_eq!(catalog.components_named("jupyterhub").count(), 2);
    }

    #[test]
    fn group_comes_from_the_appsets_folder() {
        assert_eq!(
            group_of("appsets/identity/keycloak.yaml").as_deref(),
            Some("identity")
        );
        assert_eq!(
            group_of("/srv/repo/appsets/observability/m.yaml").as_deref(),
            Some("observability")
        );
        assert_eq!(group_of("appsets/root.yaml"), None);
        assert_eq!(group_of("elsewhere/x.yaml").as_deref(), Some("elsewhere"));
        assert_eq!(group_of("x.yaml"), None);
    }
}

//! The 21 ApplicationSets, `appsets/kustomization.yaml` and the root app-of-apps, shaped as
//! upstream K8TRE has them (k8tre.md §2.2, §2.3, §3), pointed at the demo repository.

use super::model::Files;

/// Where a generated Application's `ENVIRONMENT` comes from.
#[derive(Debug, Clone, Copy)]
enum EnvFrom {
    /// The env segment of the matched directory (3 or 4).
    Path,
    /// The cluster's `environment` label.
    Label,
}

/// One `plugin.env` entry.
#[derive(Debug, Clone, Copy)]
enum PluginEnv {
    Environment(EnvFrom),
    Domain,
    Region,
    ClusterName,
}

#[derive(Debug, Clone, Copy)]
enum Wave {
    None,
    /// The annotation is present but commented out (cluster-autoscaler).
    Commented,
    Value(i32),
}

#[derive(Debug, Clone, Copy)]
enum AppName {
    /// `<segment 1>-<cluster nameNormalized>`.
    PerCluster,
    /// `<prefix>-<vendor>-<env>`, ignoring the cluster name.
    PerVendorEnv(&'static str),
}

#[derive(Debug, Clone, Copy)]
enum Namespace {
    /// `<segment 1>`, the component directory.
    Component,
    Fixed(&'static str),
}

#[derive(Debug, Clone, Copy)]
struct AppSetSpec {
    /// Path under `appsets/`.
    file: &'static str,
    name: &'static str,
    /// `agnostics` or `apps`.
    layer: &'static str,
    /// Directory under the layer (path segment 1).
    component: &'static str,
    /// `<component>/<vendor>/envs/*` rather than `<component>/envs/*`.
    vendor_specific: bool,
    /// The cluster label that must equal the vendor segment (vendor-specific sets only).
    vendor_label: Option<&'static str>,
    skip_label: Option<&'static str>,
    wave: Wave,
    app_name: AppName,
    namespace: Namespace,
    /// `None`: plain kustomize, no Config Management Plugin (cnpg).
    plugin_env: Option<&'static [PluginEnv]>,
    prune: bool,
    sync_options: &'static [&'static str],
    retry: bool,
    /// Carries the `k8tre.io/appset` label (gitea, observability-metrics).
    appset_label: bool,
    /// gitea's ignoreDifferences on its CNPG cluster.
    ignore_cnpg_roles: bool,
}

const ENV_AND_DOMAIN: &[PluginEnv] = &[PluginEnv::Environment(EnvFrom::Path), PluginEnv::Domain];
const LABEL_ENV_AND_DOMAIN: &[PluginEnv] =
    &[PluginEnv::Environment(EnvFrom::Label), PluginEnv::Domain];
const CLUSTER_AND_REGION: &[PluginEnv] = &[PluginEnv::ClusterName, PluginEnv::Region];
const CREATE_NS: &[&str] = &["CreateNamespace=true"];
const CREATE_NS_SSA: &[&str] = &["CreateNamespace=true", "ServerSideApply=true"];

const fn agnostic(file: &'static str, name: &'static str, component: &'static str) -> AppSetSpec {
    AppSetSpec {
        file,
        name,
        layer: "agnostics",
        component,
        vendor_specific: false,
        vendor_label: None,
        skip_label: None,
        wave: Wave::None,
        app_name: AppName::PerCluster,
        namespace: Namespace::Component,
        plugin_env: Some(ENV_AND_DOMAIN),
        prune: true,
        sync_options: CREATE_NS,
        retry: false,
        appset_label: false,
        ignore_cnpg_roles: false,
    }
}

const fn by_vendor(spec: AppSetSpec, label: &'static str) -> AppSetSpec {
    AppSetSpec {
        vendor_specific: true,
        vendor_label: Some(label),
        ..spec
    }
}

const fn app(file: &'static str, name: &'static str, component: &'static str) -> AppSetSpec {
    AppSetSpec {
        layer: "apps",
        wave: Wave::Value(0),
        plugin_env: Some(LABEL_ENV_AND_DOMAIN),
        ..agnostic(file, name, component)
    }
}

/// Every ApplicationSet, in the order `appsets/kustomization.yaml` lists them.
const APPSETS: [AppSetSpec; 21] = [
    AppSetSpec {
        skip_label: Some("skip-gateway"),
        wave: Wave::Value(-4),
        ..by_vendor(
            agnostic("agnostics/gateway.yaml", "gateway", "gateway"),
            "vendor",
        )
    },
    AppSetSpec {
        skip_label: Some("skip-cert-manager"),
        wave: Wave::Value(-10),
        namespace: Namespace::Fixed("cert-manager"),
        prune: false,
        ..by_vendor(
            agnostic(
                "agnostics/cert-manager.yaml",
                "cert-manager",
                "cert-manager",
            ),
            "vendor",
        )
    },
    AppSetSpec {
        wave: Wave::Commented,
        namespace: Namespace::Fixed("kube-system"),
        plugin_env: Some(CLUSTER_AND_REGION),
        sync_options: &[],
        ..by_vendor(
            agnostic(
                "agnostics/cluster-autoscaler.yaml",
                "cluster-autoscaler",
                "cluster-autoscaler",
            ),
            "vendor",
        )
    },
    AppSetSpec {
        wave: Wave::Value(-5),
        namespace: Namespace::Fixed("cnpg-system"),
        plugin_env: None,
        sync_options: CREATE_NS_SSA,
        ..agnostic("agnostics/cnpg.yaml", "cnpg", "cnpg")
    },
    AppSetSpec {
        wave: Wave::Value(-9),
        sync_options: &[],
        ..by_vendor(
            agnostic(
                "agnostics/default-network-policy.yaml",
                "default-network-policy",
                "default-network-policy",
            ),
            "vendor",
        )
    },
    AppSetSpec {
        wave: Wave::Value(-9),
        plugin_env: Some(&[
            PluginEnv::Environment(EnvFrom::Path),
            PluginEnv::Domain,
            PluginEnv::Region,
        ]),
        ..by_vendor(
            agnostic("agnostics/external-dns.yaml", "external-dns", "externaldns"),
            "external-dns",
        )
    },
    AppSetSpec {
        skip_label: Some("skip-external-secrets"),
        wave: Wave::Value(-10),
        namespace: Namespace::Fixed("external-secrets"),
        sync_options: CREATE_NS_SSA,
        ..agnostic(
            "agnostics/external-secrets.yaml",
            "external-secrets",
            "external-secrets",
        )
    },
    AppSetSpec {
        skip_label: Some("skip-kare-dns"),
        wave: Wave::Value(-8),
        ..by_vendor(
            agnostic("agnostics/kare-dns.yaml", "kare-dns", "kare-dns"),
            "vendor",
        )
    },
    AppSetSpec {
        wave: Wave::Value(-10),
        namespace: Namespace::Fixed("loadbalancer"),
        plugin_env: Some(CLUSTER_AND_REGION),
        ..by_vendor(
            agnostic(
                "agnostics/loadbalancer.yaml",
                "loadbalancer",
                "loadbalancer",
            ),
            "vendor",
        )
    },
    AppSetSpec {
        skip_label: Some("skip-nginx"),
        wave: Wave::Value(-8),
        namespace: Namespace::Fixed("ingress-nginx"),
        ..by_vendor(agnostic("agnostics/nginx.yaml", "nginx", "nginx"), "vendor")
    },
    AppSetSpec {
        wave: Wave::Value(-9),
        plugin_env: Some(&[PluginEnv::Region]),
        sync_options: CREATE_NS_SSA,
        ..by_vendor(
            agnostic(
                "agnostics/secret-store.yaml",
                "secret-store",
                "secret-store",
            ),
            "secret-store",
        )
    },
    AppSetSpec {
        wave: Wave::Value(-10),
        app_name: AppName::PerVendorEnv("storage"),
        namespace: Namespace::Fixed("storage-system"),
        ..by_vendor(
            agnostic(
                "agnostics/storage-class.yaml",
                "storage-class",
                "storage-class",
            ),
            "vendor",
        )
    },
    AppSetSpec {
        wave: Wave::Value(3),
        app_name: AppName::PerVendorEnv("object-storage"),
        namespace: Namespace::Fixed("object-storage"),
        retry: true,
        ..by_vendor(
            agnostic(
                "agnostics/object-storage.yaml",
                "object-storage",
                "object-storage",
            ),
            "vendor",
        )
    },
    agnostic("agnostics/ad.yaml", "ad", "ad"),
    AppSetSpec {
        skip_label: Some("skip-cr8tor"),
        wave: Wave::Value(3),
        namespace: Namespace::Fixed("cr8tor"),
        ..app("federation/cr8tor.yaml", "cr8tor", "cr8tor")
    },
    app("identity/keycloak.yaml", "keycloak-appset", "keycloak"),
    AppSetSpec {
        namespace: Namespace::Fixed("backend"),
        ..app("identity/backend.yaml", "backend", "backend")
    },
    AppSetSpec {
        namespace: Namespace::Fixed("jupyterhub"),
        plugin_env: Some(ENV_AND_DOMAIN),
        ..app("workspaces/jupyterhub.yaml", "jupyterhub", "jupyterhub")
    },
    AppSetSpec {
        // Upstream deploys guacamole next to JupyterHub, in its namespace.
        namespace: Namespace::Fixed("jupyterhub"),
        plugin_env: Some(ENV_AND_DOMAIN),
        ..app("workspaces/guacamole.yaml", "guacamole", "guacamole")
    },
    AppSetSpec {
        namespace: Namespace::Fixed("gitea"),
        appset_label: true,
        ignore_cnpg_roles: true,
        ..app("workspaces/gitea.yaml", "gitea", "gitea")
    },
    AppSetSpec {
        namespace: Namespace::Fixed("observability"),
        appset_label: true,
        ..app(
            "observability/observability-metrics.yaml",
            "observability-metrics",
            "observability-metrics",
        )
    },
];

/// The number of ApplicationSets the demo repository carries.
#[cfg(test)]
pub(super) const APPSET_COUNT: usize = APPSETS.len();

/// Adds `appsets/**` and `app_of_apps/root-app-of-apps.yaml`.
pub(super) fn render(files: &mut Files, repo_url: &str, revision: &str) {
    let repo_url = yaml_scalar(repo_url);
    let revision = yaml_scalar(revision);
    for spec in &APPSETS {
        files.add(
            format!("appsets/{}", spec.file),
            appset_yaml(spec, &repo_url, &revision),
        );
    }
    files.add("appsets/kustomization.yaml", kustomization_yaml());
    files.add(
        "app_of_apps/root-app-of-apps.yaml",
        root_app_yaml(&repo_url, &revision),
    );
}

fn appset_yaml(spec: &AppSetSpec, repo_url: &str, revision: &str) -> String {
    let env_segment = if spec.vendor_specific { 4 } else { 3 };
    let segment = |index: usize| format!("\"{{{{index .path.segments {index}}}}}\"");
    let pattern = if spec.vendor_specific {
        format!("{}/{}/*/envs/*", spec.layer, spec.component)
    } else {
        format!("{}/{}/envs/*", spec.layer, spec.component)
    };

    let mut y = String::new();
    y.push_str("apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n");
    y.push_str(&format!("  name: {}\n  namespace: argocd\n", spec.name));
    if spec.appset_label {
        y.push_str(&format!("  labels:\n    k8tre.io/appset: {}\n", spec.name));
    }
    y.push_str("spec:\n  goTemplate: true\n  goTemplateOptions: [\"missingkey=error\"]\n");
    y.push_str("  generators:\n    - matrix:\n        generators:\n          - git:\n");
    y.push_str(&format!(
        "              repoURL: {repo_url}\n              revision: {revision}\n"
    ));
    y.push_str(&format!(
        "              directories:\n                - path: {pattern}\n"
    ));
    y.push_str("          - clusters:\n              selector:\n                matchLabels:\n");
    y.push_str(&format!(
        "                  environment: {}\n",
        segment(env_segment)
    ));
    if let Some(label) = spec.vendor_label {
        y.push_str(&format!("                  {label}: {}\n", segment(2)));
    }
    if let Some(skip) = spec.skip_label {
        y.push_str("                matchExpressions:\n");
        y.push_str(&format!("                  - key: {skip}\n"));
        y.push_str("                    operator: NotIn\n                    values: [\"true\"]\n");
    }

    y.push_str("  template:\n    metadata:\n");
    let name = match spec.app_name {
        AppName::PerCluster => "\"{{index .path.segments 1}}-{{.nameNormalized}}\"".to_string(),
        AppName::PerVendorEnv(prefix) => format!(
            "\"{prefix}-{{{{index .path.segments 2}}}}-{{{{index .path.segments {env_segment}}}}}\""
        ),
    };
    y.push_str(&format!("      name: {name}\n      annotations:\n"));
    y.push_str(&format!(
        "        argocd.argoproj.io/instance: \"{{{{index .path.segments 1}}}}-{{{{index .path.segments {env_segment}}}}}\"\n"
    ));
    match spec.wave {
        Wave::None => {}
        Wave::Commented => y.push_str("        # argocd.argoproj.io/sync-wave:\n"),
        Wave::Value(wave) => y.push_str(&format!(
            "        argocd.argoproj.io/sync-wave: \"{wave}\"\n"
        )),
    }

    y.push_str("    spec:\n      project: default\n      source:\n");
    y.push_str(&format!(
        "        repoURL: {repo_url}\n        targetRevision: {revision}\n"
    ));
    y.push_str("        path: \"{{.path.path}}\"\n");
    if let Some(envs) = spec.plugin_env {
        y.push_str(
            "        plugin:\n          name: kustomize-with-envsubst-v1.0\n          env:\n",
        );
        for env in envs {
            let (name, value) = plugin_env(*env, &segment(env_segment));
            y.push_str(&format!(
                "            - name: {name}\n              value: {value}\n"
            ));
        }
    }
    let namespace = match spec.namespace {
        Namespace::Component => segment(1),
        Namespace::Fixed(namespace) => namespace.to_string(),
    };
    y.push_str("      destination:\n        server: \"{{.server}}\"\n");
    y.push_str(&format!("        namespace: {namespace}\n"));
    if spec.ignore_cnpg_roles {
        y.push_str(concat!(
            "      ignoreDifferences:\n",
            "        - group: postgresql.cnpg.io\n",
            "          kind: Cluster\n",
            "          name: gitea-postgres-cluster\n",
            "          jqPathExpressions:\n",
            "            - .spec.managed.roles[].connectionLimit\n",
            "            - .spec.managed.roles[].inherit\n",
        ));
    }
    y.push_str("      syncPolicy:\n        automated:\n");
    y.push_str(&format!(
        "          prune: {}\n          selfHeal: true\n",
        spec.prune
    ));
    if !spec.sync_options.is_empty() {
        y.push_str("        syncOptions:\n");
        for option in spec.sync_options {
            y.push_str(&format!("          - {option}\n"));
        }
    }
    if spec.retry {
        y.push_str(concat!(
            "        retry:\n",
            "          limit: 5\n",
            "          backoff:\n",
            "            duration: 5s\n",
            "            factor: 2\n",
            "            maxDuration: 3m\n",
        ));
    }
    y
}

fn plugin_env(env: PluginEnv, env_segment: &str) -> (&'static str, String) {
    match env {
        PluginEnv::Environment(EnvFrom::Path) => ("ENVIRONMENT", env_segment.to_string()),
        PluginEnv::Environment(EnvFrom::Label) => (
            "ENVIRONMENT",
            "\"{{.metadata.labels.environment}}\"".to_string(),
        ),
        PluginEnv::Domain => ("DOMAIN", label_value("external-domain")),
        PluginEnv::Region => ("REGION", label_value("region")),
        PluginEnv::ClusterName => ("CLUSTER_NAME", label_value("cluster-name")),
    }
}

fn label_value(label: &str) -> String {
    format!("\"{{{{index .metadata.labels \\\"{label}\\\"}}}}\"")
}

fn kustomization_yaml() -> String {
    let mut y = String::from(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: argocd\n\nresources:\n",
    );
    for spec in &APPSETS {
        y.push_str(&format!("  - {}\n", spec.file));
    }
    y.push_str(concat!(
        "\n",
        "# Lets an operator switch off auto-sync on one generated Application (for a rollback)\n",
        "# without the ApplicationSet controller switching it back on.\n",
        "patches:\n",
        "  - target:\n",
        "      kind: ApplicationSet\n",
        "    patch: |-\n",
        "      - op: add\n",
        "        path: /spec/ignoreApplicationDifferences\n",
        "        value:\n",
        "          - jsonPointers:\n",
        "              - /spec/syncPolicy\n",
    ));
    y
}

fn root_app_yaml(repo_url: &str, revision: &str) -> String {
    format!(
        r#"apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: root-app-of-apps
  namespace: argocd
spec:
  project: default
  source:
    repoURL: {repo_url}
    targetRevision: {revision}
    path: appsets
    kustomize:
      commonLabels:
        app.kubernetes.io/managed-by: argocd
      commonAnnotations:
        app.kubernetes.io/part-of: k8tre
      # Points every ApplicationSet at this repository and revision (a fork or branch
      # is selected here, not in the ApplicationSet files).
      patches:
        - target:
            kind: ApplicationSet
          patch: |-
            - op: replace
              path: /spec/generators/0/matrix/generators/0/git/repoURL
              value: {repo_url}
            - op: replace
              path: /spec/template/spec/source/repoURL
              value: {repo_url}
            - op: replace
              path: /spec/generators/0/matrix/generators/0/git/revision
              value: {revision}
            - op: replace
              path: /spec/template/spec/source/targetRevision
              value: {revision}
  destination:
    server: https://kubernetes.default.svc
    namespace: argocd
  syncPolicy:
    syncOptions:
      - CreateNamespace=true
    automated:
      prune: true
      selfHeal: true
  info:
    - name: K8TRE App of Apps
      value: "demo repository generated by k8tre-console"
"#
    )
}

/// `value` as a YAML scalar: bare when that is unambiguous, otherwise double-quoted (a JSON
/// string is a valid YAML double-quoted scalar).
fn yaml_scalar(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+:@~".contains(c))
        && !value.starts_with(['-', ':', '@', '~'])
        && !value.contains(": ");
    if plain {
        value.to_string()
    } else {
        serde_json::Value::String(value.to_string()).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_yaml::Value;

    fn rendered() -> Files {
        let mut files = Files::default();
        render(&mut files, "file:///tmp/demo repo", "main");
        files
    }

    fn appset(files: &Files, file: &str) -> Value {
        let text = files
            .get(&format!("appsets/{file}"))
            .unwrap_or_else(|| panic!("missing {file}"));
        serde_yaml::from_str(text).unwrap_or_else(|err| panic!("{file}: {err}"))
    }

    #[test]
    fn every_file_parses_and_points_at_the_given_repo() {
        let files = rendered();
        for spec in &APPSETS {
            let set = appset(&files, spec.file);
            assert_eq!(set["kind"], "ApplicationSet", "{}", spec.file);
            let git = &set["spec"]["generators"][0]["matrix"]["generators"][0]["git"];
            assert_eq!(git["repoURL"], "file:///tmp/demo repo");
            assert_eq!(git["revision"], "main");
            assert_eq!(
                set["spec"]["template"]["spec"]["source"]["repoURL"],
                "file:///tmp/demo repo"
            );
        }
        let root: Value = serde_yaml::from_str(
            files
                .get("app_of_apps/root-app-of-apps.yaml")
                .expect("root app"),
        )
        .expect("root yaml");
        assert_eq!(root["spec"]["source"]["path"], "appsets");
        assert_eq!(root["spec"]["source"]["repoURL"], "file:///tmp/demo repo");
    }

    #[test]
    fn quirks_match_upstream() {
        let files = rendered();
        let dns = appset(&files, "agnostics/external-dns.yaml");
        assert_eq!(dns["metadata"]["name"], "external-dns");
        let git = &dns["spec"]["generators"][0]["matrix"]["generators"][0]["git"];
        assert_eq!(
            git["directories"][0]["path"],
            "agnostics/externaldns/*/envs/*"
        );
        let labels = &dns["spec"]["generators"][0]["matrix"]["generators"][1]["clusters"]["selector"]
            ["matchLabels"];
        assert_eq!(labels["external-dns"], "{{index .path.segments 2}}");
        assert!(labels.get("vendor").is_none());

        let cnpg = appset(&files, "agnostics/cnpg.yaml");
        assert!(
            cnpg["spec"]["template"]["spec"]["source"]
                .get("plugin")
                .is_none()
        );

        let cert = appset(&files, "agnostics/cert-manager.yaml");
        assert_eq!(
            cert["spec"]["template"]["spec"]["syncPolicy"]["automated"]["prune"],
            false
        );

        let storage = appset(&files, "agnostics/storage-class.yaml");
        assert_eq!(
            storage["spec"]["template"]["metadata"]["name"],
            "storage-{{index .path.segments 2}}-{{index .path.segments 4}}"
        );

        let guac = appset(&files, "workspaces/guacamole.yaml");
        assert_eq!(
            guac["spec"]["template"]["spec"]["destination"]["namespace"],
            "jupyterhub"
        );

        let keycloak = appset(&files, "identity/keycloak.yaml");
        assert_eq!(keycloak["metadata"]["name"], "keycloak-appset");
        let env = &keycloak["spec"]["template"]["spec"]["source"]["plugin"]["env"];
        assert_eq!(env[0]["value"], "{{.metadata.labels.environment}}");
        assert_eq!(
            env[1]["value"],
            "{{index .metadata.labels \"external-domain\"}}"
        );

        let autoscaler = appset(&files, "agnostics/cluster-autoscaler.yaml");
        let annotations = &autoscaler["spec"]["template"]["metadata"]["annotations"];
        assert!(annotations.get("argocd.argoproj.io/sync-wave").is_none());
        assert!(
            autoscaler["spec"]["template"]["spec"]["syncPolicy"]
                .get("syncOptions")
                .is_none()
        );

        let objects = appset(&files, "agnostics/object-storage.yaml");
        assert_eq!(
            objects["spec"]["template"]["spec"]["syncPolicy"]["retry"]["limit"],
            5
        );
    }

    #[test]
    fn kustomization_lists_every_appset_and_ignores_sync_policy_differences() {
        let files = rendered();
        let k: Value =
            serde_yaml::from_str(files.get("appsets/kustomization.yaml").expect("k")).expect("y");
        let resources = k["resources"].as_sequence().expect("resources");
        assert_eq!(resources.len(), APPSET_COUNT);
        for resource in resources {
            let file = resource.as_str().expect("string");
            assert!(files.get(&format!("appsets/{file}")).is_some(), "{file}");
        }
        let patch = k["patches"][0]["patch"].as_str().expect("patch");
        let ops: Value = serde_yaml::from_str(patch).expect("patch yaml");
        assert_eq!(ops[0]["path"], "/spec/ignoreApplicationDifferences");
        assert_eq!(ops[0]["value"][0]["jsonPointers"][0], "/spec/syncPolicy");
    }

    #[test]
    fn yaml_scalar_quotes_only_when_needed() {
        assert_eq!(yaml_scalar("main"), "main");
        assert_eq!(
            yaml_scalar("https://github.com/k8tre/k8tre.git"),
            "https://github.com/k8tre/k8tre.git"
        );
        assert_eq!(yaml_scalar("file:///a b"), "\"file:///a b\"");
        assert_eq!(yaml_scalar("x: y"), "\"x: y\"");
        for value in ["file:///tmp/it's #here", "-rev", "a\"b", ""] {
            let parsed: String = serde_yaml::from_str(&format!("k: {}", yaml_scalar(value)))
                .map(|v: Value| v["k"].as_str().unwrap_or_default().to_string())
                .expect("yaml");
            assert_eq!(parsed, value);
        }
    }
}

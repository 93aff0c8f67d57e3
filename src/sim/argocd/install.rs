//! Seeds a management cluster the way ArgoCD's install manifest plus K8TRE's install steps
//! (k8tre.md §5, steps 6–11) leave it: the `argocd` namespace, the CRDs, ArgoCD's workloads
//! (as objects, already rolled out), its ConfigMaps including `kustomize.buildOptions` and
//! the `kustomize-with-envsubst` Config Management Plugin with its repo-server sidecar, the
//! `default` AppProject, one cluster Secret per target, and the root app-of-apps.

use std::collections::BTreeMap;
use std::path::PathBuf;

use base64::Engine;
use serde_json::{Value, json};

use crate::sim::Estate;
use crate::sim::cluster::ClusterState;
use crate::sim::demo_repo::DEMO_CLUSTERS;
use crate::sim::error::ApiError;
use crate::sim::estate::seed_into;

use super::crds;
use super::settings::{
    ARGOCD_CM, CMD_PARAMS_CM, CMP_PLUGIN_CM, CMP_SERVER, HEALTH_PERSIST_KEY, NAMESPACE, REPO_SERVER,
};

/// The root Application's manifest in the K8TRE layout.
pub const ROOT_APP_FILE: &str = "app_of_apps/root-app-of-apps.yaml";
/// The label that makes a Secret an ArgoCD cluster.
pub const SECRET_TYPE_LABEL: &str = "argocd.argoproj.io/secret-type";
/// The CMP sidecar K8TRE's install guide patches into the repo server.
pub use crate::domain::preflight::CMP_SIDECAR;
/// K8TRE's `kustomize.buildOptions`.
pub const KUSTOMIZE_BUILD_OPTIONS: &str = "--enable-helm --load-restrictor LoadRestrictionsNone";

/// A target cluster as registered with ArgoCD (`argocd cluster add` + `argocd cluster set
/// --label`).
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterRegistration {
    /// The ArgoCD cluster name (Applications are named after it).
    pub name: String,
    /// The API server URL Applications name in `destination.server`.
    pub server: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// Simulated credentials written into the Secret's `config`.
    pub bearer_token: String,
    pub ca_pem: Option<String>,
}

impl ClusterRegistration {
    pub fn new(name: &str, server: &str) -> Self {
        Self {
            name: name.to_string(),
            server: server.to_string(),
            labels: BTreeMap::new(),
            annotations: BTreeMap::new(),
            bearer_token: String::new(),
            ca_pem: None,
        }
    }

    /// The demo estate's registrations: each of [`DEMO_CLUSTERS`] pointing at the simulated
    /// cluster named after its environment (`dev`, `stg`, `prd`), with its labels and its
    /// admin token. Environments the estate does not run are left out.
    pub fn demo(estate: &Estate) -> Vec<ClusterRegistration> {
        DEMO_CLUSTERS
            .iter()
            .filter_map(|demo| {
                let url = estate.url(demo.environment)?;
                let state = estate.cluster(demo.environment)?;
                Some(ClusterRegistration {
                    labels: demo.label_map(),
                    bearer_token: state.users.admin_token.clone(),
                    ca_pem: Some(estate.ca_pem().to_string()),
                    ..ClusterRegistration::new(demo.name, &url)
                })
            })
            .collect()
    }

    /// The ArgoCD cluster Secret.
    pub fn secret(&self, namespace: &str) -> Value {
        let encode = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let mut tls = json!({"insecure": false});
        if let Some(ca) = &self.ca_pem {
            tls["caData"] = json!(encode(ca));
        }
        let config = json!({"bearerToken": self.bearer_token, "tlsClientConfig": tls});
        let mut labels = self.labels.clone();
        labels.insert(SECRET_TYPE_LABEL.into(), "cluster".into());
        let mut meta =
            json!({"name": secret_name(&self.name), "namespace": namespace, "labels": labels});
        if !self.annotations.is_empty() {
            meta["annotations"] = json!(self.annotations);
        }
        json!({
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "Opaque",
            "metadata": meta,
            "data": {
                "name": encode(&self.name),
                "server": encode(&self.server),
                "config": encode(&config.to_string()),
            }
        })
    }
}

/// `cluster-<name>`, a valid Secret name for any cluster name.
pub fn secret_name(cluster: &str) -> String {
    let cleaned: String = cluster
        .to_ascii_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("cluster-{}", cleaned.trim_matches(['-', '.']))
}

/// How to install ArgoCD.
#[derive(Debug, Clone)]
pub struct InstallOptions {
    /// ArgoCD's version, shown in its images.
    pub version: String,
    pub targets: Vec<ClusterRegistration>,
    /// Install the `kustomize-with-envsubst` CMP (ConfigMap and repo-server sidecar).
    pub cmp_plugin: bool,
    /// `kustomize.buildOptions` in `argocd-cm`; `None` leaves the key out.
    pub kustomize_build_options: Option<String>,
    /// `controller.resource.health.persist` in `argocd-cmd-params-cm`.
    pub health_persist: bool,
    /// Apply the repository's root app-of-apps (`None`: a fresh ArgoCD with no Applications).
    pub root_app_from: Option<PathBuf>,
    /// Also create a `k8tre` AppProject that warns about orphaned resources.
    pub k8tre_project: bool,
}

impl Default for InstallOptions {
    fn default() -> Self {
        Self {
            version: "v3.3.8".to_string(),
            targets: Vec::new(),
            cmp_plugin: true,
            kustomize_build_options: Some(KUSTOMIZE_BUILD_OPTIONS.to_string()),
            health_persist: false,
            root_app_from: None,
            k8tre_project: false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error("installing ArgoCD: {what}: {source}")]
    Api {
        what: String,
        #[source]
        source: Box<ApiError>,
    },
    #[error("installing ArgoCD: cannot read the root app {}: {reason}", .path.display())]
    RootApp { path: PathBuf, reason: String },
}

/// Seeds `mgmt` with ArgoCD as installed for K8TRE.
pub fn install(mgmt: &ClusterState, options: &InstallOptions) -> Result<(), InstallError> {
    let mut objects =
        vec![json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})];
    objects.extend(crds::all());
    objects.extend(config_maps(options));
    objects.extend(secrets());
    objects.extend(services());
    objects.extend(workloads(options));
    objects.push(default_project());
    if options.k8tre_project {
        objects.push(k8tre_project());
    }
    objects.extend(options.targets.iter().map(|t| t.secret(NAMESPACE)));
    if let Some(repo) = &options.root_app_from {
        objects.push(root_app(repo)?);
    }
    for object in objects {
        let what = format!(
            "{} {}",
            object["kind"].as_str().unwrap_or_default(),
            object["metadata"]["name"].as_str().unwrap_or_default()
        );
        seed_into(mgmt, object).map_err(|source| InstallError::Api {
            what,
            source: Box::new(source),
        })?;
    }
    Ok(())
}

fn root_app(repo: &std::path::Path) -> Result<Value, InstallError> {
    let path = repo.join(ROOT_APP_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| InstallError::RootApp {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    let app: Value = serde_yaml::from_str(&text).map_err(|e| InstallError::RootApp {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    Ok(app)
}

fn part_of(name: &str, component: &str) -> Value {
    json!({
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/part-of": "argocd",
        "app.kubernetes.io/component": component,
    })
}

fn config_map(name: &str, data: Value) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": NAMESPACE, "labels": part_of(name, "config")},
        "data": data,
    })
}

/// The K8TRE install guide's plugin: kustomize with helm, then `${VAR}` substitution of the
/// Application's plugin env.
pub const PLUGIN_YAML: &str = r#"apiVersion: argoproj.io/v1alpha1
kind: ConfigManagementPlugin
metadata:
  name: kustomize-with-envsubst
spec:
  version: v1.0
  generate:
    command: ["sh", "-c"]
    args:
      - |
        kustomize build --enable-helm --load-restrictor LoadRestrictionsNone . \
          | sed -e "s|\${ENVIRONMENT}|${ARGOCD_ENV_ENVIRONMENT}|g" \
                -e "s|\${DOMAIN}|${ARGOCD_ENV_DOMAIN}|g" \
                -e "s|\${METALLB_IP_RANGE}|${ARGOCD_ENV_METALLB_IP_RANGE}|g" \
                -e "s|\${CLUSTER_NAME}|${ARGOCD_ENV_CLUSTER_NAME}|g" \
                -e "s|\${REGION}|${ARGOCD_ENV_REGION}|g"
  discover:
    fileName: "./kustomization.yaml"
"#;

fn config_maps(options: &InstallOptions) -> Vec<Value> {
    let mut argocd_cm = json!({
        "timeout.reconciliation": "120s",
        "application.resourceTrackingMethod": "annotation",
        "admin.enabled": "true",
    });
    if let Some(build) = &options.kustomize_build_options {
        argocd_cm["kustomize.buildOptions"] = json!(build);
    }
    let mut maps = vec![
        config_map(ARGOCD_CM, argocd_cm),
        config_map(
            CMD_PARAMS_CM,
            json!({
                HEALTH_PERSIST_KEY: if options.health_persist { "true" } else { "false" },
                "controller.sync.timeout.seconds": "0",
            }),
        ),
        config_map(
            "argocd-rbac-cm",
            json!({"policy.default": "role:readonly", "policy.csv": "g, k8tre-admins, role:admin\n"}),
        ),
        config_map("argocd-notifications-cm", json!({})),
        config_map("argocd-ssh-known-hosts-cm", json!({})),
        config_map("argocd-tls-certs-cm", json!({})),
        config_map("argocd-gpg-keys-cm", json!({})),
    ];
    if options.cmp_plugin {
        let mut cm = config_map(CMP_PLUGIN_CM, json!({"plugin.yaml": PLUGIN_YAML}));
        cm["metadata"]["labels"] = json!({"app.kubernetes.io/part-of": "argocd"});
        maps.push(cm);
    }
    maps
}

fn secrets() -> Vec<Value> {
    let encode = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    ["argocd-secret", "argocd-notifications-secret"]
        .iter()
        .map(|name| {
            json!({
                "apiVersion": "v1",
                "kind": "Secret",
                "type": "Opaque",
                "metadata": {"name": name, "namespace": NAMESPACE, "labels": part_of(name, "config")},
                "data": if *name == "argocd-secret" {
                    json!({"server.secretkey": encode(&uuid::Uuid::new_v4().simple().to_string())})
                } else {
                    json!({})
                },
            })
        })
        .collect()
}

fn services() -> Vec<Value> {
    [
        ("argocd-server", "server", 443, 8080),
        ("argocd-repo-server", "repo-server", 8081, 8081),
        ("argocd-redis", "redis", 6379, 6379),
        ("argocd-metrics", "application-controller", 8082, 8082),
        ("argocd-dex-server", "dex-server", 5556, 5556),
    ]
    .iter()
    .map(|(name, component, port, target)| {
        let selects = if *name == "argocd-metrics" {
            "argocd-application-controller"
        } else {
            name
        };
        json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": name, "namespace": NAMESPACE, "labels": part_of(name, component)},
            "spec": {
                "selector": {"app.kubernetes.io/name": selects},
                "ports": [{"name": "tcp", "port": port, "targetPort": target}],
            }
        })
    })
    .collect()
}

fn container(name: &str, image: &str, command: &[&str]) -> Value {
    json!({"name": name, "image": image, "command": command, "imagePullPolicy": "Always"})
}

/// A workload already rolled out: its status says every replica is ready.
fn workload(kind: &str, name: &str, component: &str, containers: Vec<Value>) -> Value {
    let labels = part_of(name, component);
    let mut obj = json!({
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": {"name": name, "namespace": NAMESPACE, "labels": labels},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"serviceAccountName": name, "containers": containers},
            }
        },
        "status": {
            "observedGeneration": 1,
            "replicas": 1,
            "readyReplicas": 1,
            "updatedReplicas": 1,
            "availableReplicas": 1,
        }
    });
    if kind == "StatefulSet" {
        obj["spec"]["serviceName"] = json!(name);
        obj["status"]["currentReplicas"] = json!(1);
        obj["status"]["currentRevision"] = json!(format!("{name}-1"));
        obj["status"]["updateRevision"] = json!(format!("{name}-1"));
    } else {
        obj["status"]["conditions"] = json!([
            {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
            {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}
        ]);
    }
    obj
}

fn workloads(options: &InstallOptions) -> Vec<Value> {
    let argocd = format!("quay.io/argoproj/argocd:{}", options.version);
    let mut repo_server = vec![container(REPO_SERVER, &argocd, &["argocd-repo-server"])];
    if options.cmp_plugin {
        let mut sidecar = container(CMP_SIDECAR, &argocd, &[CMP_SERVER]);
        sidecar["securityContext"] = json!({"runAsNonRoot": true, "runAsUser": 999});
        sidecar["volumeMounts"] = json!([
            {"mountPath": "/var/run/argocd", "name": "var-files"},
            {"mountPath": "/home/argocd/cmp-server/plugins", "name": "plugins"},
            {"mountPath": "/home/argocd/cmp-server/config/plugin.yaml", "subPath": "plugin.yaml", "name": CMP_PLUGIN_CM},
        ]);
        repo_server.push(sidecar);
    }
    let mut repo = workload("Deployment", REPO_SERVER, "repo-server", repo_server);
    if options.cmp_plugin {
        repo["spec"]["template"]["spec"]["volumes"] = json!([
            {"name": "var-files", "emptyDir": {}},
            {"name": "plugins", "emptyDir": {}},
            {"name": CMP_PLUGIN_CM, "configMap": {"name": CMP_PLUGIN_CM}},
        ]);
    }
    vec![
        workload(
            "StatefulSet",
            "argocd-application-controller",
            "application-controller",
            vec![container(
                "argocd-application-controller",
                &argocd,
                &["argocd-application-controller"],
            )],
        ),
        workload(
            "Deployment",
            "argocd-server",
            "server",
            vec![container("argocd-server", &argocd, &["argocd-server"])],
        ),
        repo,
        workload(
            "Deployment",
            "argocd-applicationset-controller",
            "applicationset-controller",
            vec![container(
                "argocd-applicationset-controller",
                &argocd,
                &["argocd-applicationset-controller"],
            )],
        ),
        workload(
            "Deployment",
            "argocd-redis",
            "redis",
            vec![container(
                "redis",
                "public.ecr.aws/docker/library/redis:7.2.7-alpine",
                &["redis-server"],
            )],
        ),
        workload(
            "Deployment",
            "argocd-dex-server",
            "dex-server",
            vec![container(
                "dex",
                "ghcr.io/dexidp/dex:v2.41.1",
                &["/shared/argocd-dex", "rundex"],
            )],
        ),
        workload(
            "Deployment",
            "argocd-notifications-controller",
            "notifications-controller",
            vec![container(
                "argocd-notifications-controller",
                &argocd,
                &["argocd-notifications"],
            )],
        ),
    ]
}

fn default_project() -> Value {
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {"name": "default", "namespace": NAMESPACE},
        "spec": {
            "sourceRepos": ["*"],
            "destinations": [{"server": "*", "namespace": "*"}],
            "clusterResourceWhitelist": [{"group": "*", "kind": "*"}],
        }
    })
}

fn k8tre_project() -> Value {
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {"name": "k8tre", "namespace": NAMESPACE},
        "spec": {
            "description": "K8TRE components",
            "sourceRepos": ["*"],
            "destinations": [{"server": "*", "namespace": "*"}],
            "clusterResourceWhitelist": [{"group": "*", "kind": "*"}],
            "orphanedResources": {"warn": true},
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_secrets_carry_name_server_config_and_labels() {
        let mut reg = ClusterRegistration::new("k8tre-dev", "https://127.0.0.1:6443");
        reg.labels.insert("environment".into(), "dev".into());
        reg.bearer_token = "t0ken".into();
        let secret = reg.secret(NAMESPACE);
        assert_eq!(secret["metadata"]["name"], "cluster-k8tre-dev");
        assert_eq!(secret["metadata"]["labels"][SECRET_TYPE_LABEL], "cluster");
        assert_eq!(secret["metadata"]["labels"]["environment"], "dev");
        let decode = |key: &str| {
            let raw = secret["data"][key].as_str().expect("data");
            String::from_utf8(
                base64::engine::general_purpose::STANDARD
                    .decode(raw)
                    .expect("base64"),
            )
            .expect("utf8")
        };
        assert_eq!(decode("name"), "k8tre-dev");
        assert_eq!(decode("server"), "https://127.0.0.1:6443");
        let config: Value = serde_json::from_str(&decode("config")).expect("json");
        assert_eq!(config["bearerToken"], "t0ken");
        assert_eq!(config["tlsClientConfig"]["insecure"], false);
        assert_eq!(secret_name("In Cluster"), "cluster-in-cluster");
    }

    #[test]
    fn the_plugin_sidecar_and_config_follow_the_options() {
        let with = workloads(&InstallOptions::default());
        let repo = with
            .iter()
            .find(|w| w["metadata"]["name"] == REPO_SERVER)
            .expect("repo server");
        let names: Vec<&str> = repo["spec"]["template"]["spec"]["containers"]
            .as_array()
            .expect("containers")
            .iter()
            .filter_map(|c| c["name"].as_str())
            .collect();
        assert_eq!(names, vec![REPO_SERVER, CMP_SIDECAR]);
        let without = workloads(&InstallOptions {
            cmp_plugin: false,
            ..InstallOptions::default()
        });
        let repo = without
            .iter()
            .find(|w| w["metadata"]["name"] == REPO_SERVER)
            .expect("repo server");
        assert_eq!(
            repo["spec"]["template"]["spec"]["containers"]
                .as_array()
                .map(Vec::len),
            Some(1)
        );
        let maps = config_maps(&InstallOptions {
            health_persist: true,
            ..InstallOptions::default()
        });
        let params = maps
            .iter()
            .find(|m| m["metadata"]["name"] == CMD_PARAMS_CM)
            .expect("params");
        assert_eq!(params["data"][HEALTH_PERSIST_KEY], "true");
        assert!(maps.iter().any(|m| m["metadata"]["name"] == CMP_PLUGIN_CM));
    }
}

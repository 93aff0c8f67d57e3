//! Infrastructure-layer checks over observed cluster facts (k8tre.md §2.1, §3.2, §5, §6;
//! argocd.md §7): pass / warn / fail / unknown, each with why and what to do.
//!
//! A fact that is not known gives `Unknown`, never `Pass`.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::domain::env::Environment;
use crate::domain::estate::{ArgoCdFacts, Cluster, ClusterFacts, Readiness, Vendor, Workload};

/// The result of one check. Ordered best to worst: an unknown is worse than a warning (we
/// cannot vouch for it) and better than a known failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    Warn,
    Unknown,
    Fail,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Warn => "warn",
            Outcome::Unknown => "unknown",
            Outcome::Fail => "fail",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One preflight check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Stable id, e.g. `cilium.l7-proxy`.
    pub id: &'static str,
    /// Component row in the Infrastructure layer: `cilium`, `gateway-api`, `storage`, `nodes`,
    /// `argocd`, `cluster-labels`.
    pub group: &'static str,
    pub title: &'static str,
    pub outcome: Outcome,
    /// What was observed.
    pub why: String,
    /// What to do about it (absent when nothing needs doing).
    pub advice: Option<String>,
}

/// Check groups: the component rows of the Infrastructure layer.
pub const GROUPS: [&str; 6] = [
    "cilium",
    "gateway-api",
    "storage",
    "nodes",
    "argocd",
    "cluster-labels",
];

/// All checks of one cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PreflightReport {
    pub cluster: String,
    pub checks: Vec<Check>,
}

impl PreflightReport {
    /// The worst outcome; `None` when there are no checks.
    pub fn worst(&self) -> Option<Outcome> {
        self.checks.iter().map(|c| c.outcome).max()
    }

    pub fn check(&self, id: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.id == id)
    }
}

/// What the checks look at.
#[derive(Debug, Clone, Copy)]
pub struct PreflightInput<'a> {
    pub cluster: &'a str,
    pub facts: &'a ClusterFacts,
    /// Labels of ArgoCD's cluster Secret; `None` when the cluster has none.
    pub labels: Option<&'a BTreeMap<String, String>>,
    /// Runs ArgoCD: ArgoCD checks apply.
    pub management: bool,
    /// Deployment destination: label checks apply.
    pub target: bool,
}

impl<'a> PreflightInput<'a> {
    pub fn of(cluster: &'a Cluster) -> PreflightInput<'a> {
        PreflightInput {
            cluster: &cluster.name,
            facts: &cluster.facts,
            labels: cluster.labels.as_ref(),
            management: cluster.role.management,
            target: cluster.role.target,
        }
    }

    fn label(&self, key: &str) -> Option<&'a str> {
        self.labels?
            .get(key)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// The `vendor` label, else the vendor detected from the cluster.
    fn vendor(&self) -> Option<Vendor> {
        self.label("vendor")
            .map(Vendor::parse)
            .or_else(|| self.facts.vendor.clone())
    }
}

/// Runs every check that applies to the cluster.
pub fn run(input: &PreflightInput) -> PreflightReport {
    let mut checks = vec![
        cilium_installed(input),
        cilium_l7_proxy(input),
        cilium_gateway_api(input),
        cilium_kube_proxy_replacement(input),
        kube_proxy_absent(input),
        cilium_ipam(input),
        gateway_api_crds(input),
        storage_classes(input),
        nodes_ready(input),
    ];
    if input.management {
        checks.push(argocd_components(input));
        checks.push(argocd_cmp_plugin(input));
        checks.push(argocd_kustomize_build_options(input));
    }
    if input.target {
        checks.push(label_environment(input));
        checks.push(label_vendor(input));
        checks.push(label_external_domain(input));
    }
    PreflightReport {
        cluster: input.cluster.to_string(),
        checks,
    }
}

/// Runs the checks for an estate cluster.
pub fn run_cluster(cluster: &Cluster) -> PreflightReport {
    run(&PreflightInput::of(cluster))
}

struct Spec {
    id: &'static str,
    group: &'static str,
    title: &'static str,
}

impl Spec {
    fn pass(&self, why: impl Into<String>) -> Check {
        self.make(Outcome::Pass, why.into(), None)
    }

    fn unknown(&self, why: impl Into<String>) -> Check {
        self.make(Outcome::Unknown, why.into(), None)
    }

    fn warn(&self, why: impl Into<String>, advice: impl Into<String>) -> Check {
        self.make(Outcome::Warn, why.into(), Some(advice.into()))
    }

    fn fail(&self, why: impl Into<String>, advice: impl Into<String>) -> Check {
        self.make(Outcome::Fail, why.into(), Some(advice.into()))
    }

    fn make(&self, outcome: Outcome, why: String, advice: Option<String>) -> Check {
        Check {
            id: self.id,
            group: self.group,
            title: self.title,
            outcome,
            why,
            advice,
        }
    }
}

const CILIUM_INSTALL: &str = "Install Gateway API CRDs first, then Cilium: `cilium install --set kubeProxyReplacement=true --set gatewayAPI.enabled=true` (K8TRE installation guide, step 4), and wait for `cilium status --wait`.";
const CILIUM_MISSING: &str = "Cilium is not installed (no kube-system/cilium-config)";
const CILIUM_UNREAD: &str = "kube-system/cilium-config could not be read";

fn cilium_installed(input: &PreflightInput) -> Check {
    let spec = Spec {
        id: "cilium.installed",
        group: "cilium",
        title: "Cilium installed and ready",
    };
    let cilium = &input.facts.cilium;
    match cilium.present {
        None => return spec.unknown(CILIUM_UNREAD),
        Some(false) => return spec.fail(CILIUM_MISSING, CILIUM_INSTALL),
        Some(true) => {}
    }
    let workloads = [
        ("DaemonSet kube-system/cilium", cilium.daemonset),
        ("Deployment kube-system/cilium-operator", cilium.operator),
    ];
    let mut seen = Vec::new();
    let mut worst = Outcome::Pass;
    for (name, workload) in workloads {
        let (outcome, text) = match workload {
            None => (Outcome::Unknown, format!("{name}: readiness unknown")),
            Some(Workload::Absent) => (Outcome::Fail, format!("{name} not found")),
            Some(Workload::Present(r)) if r.is_ready() => {
                (Outcome::Pass, format!("{name} {r} ready"))
            }
            Some(Workload::Present(r)) if r.ready == 0 => {
                (Outcome::Fail, format!("{name} {r} ready"))
            }
            Some(Workload::Present(r)) => (Outcome::Warn, format!("{name} {r} ready")),
        };
        worst = worst.max(outcome);
        seen.push(text);
    }
    let why = seen.join("; ");
    let advice = "Check `cilium status` and the Cilium pods' events and logs in kube-system.";
    match worst {
        Outcome::Pass => spec.pass(why),
        Outcome::Unknown => spec.unknown(why),
        Outcome::Warn => spec.warn(why, advice),
        Outcome::Fail => spec.fail(why, advice),
    }
}

/// A `cilium-config` setting that must have an accepted value.
fn cilium_setting(
    spec: &Spec,
    input: &PreflightInput,
    key: &str,
    value: Option<&str>,
    accepted: &[&str],
    advice: &str,
) -> Check {
    if input.facts.cilium.present == Some(false) {
        return spec.fail(CILIUM_MISSING, CILIUM_INSTALL);
    }
    match value {
        None => spec.unknown(format!("{key}: {CILIUM_UNREAD}")),
        Some(v) if accepted.contains(&v) => spec.pass(format!("{key} is {v:?}")),
        Some(v) => spec.fail(
            format!("{key} is {v:?}, K8TRE needs {:?}", accepted[0]),
            advice,
        ),
    }
}

fn cilium_l7_proxy(input: &PreflightInput) -> Check {
    let spec = Spec {
        id: "cilium.l7-proxy",
        group: "cilium",
        title: "Cilium L7 proxy enabled",
    };
    cilium_setting(
        &spec,
        input,
        "enable-l7-proxy",
        input.facts.cilium.l7_proxy.as_deref(),
        &["true"],
        "Set the Helm value l7Proxy=true (`cilium upgrade --reuse-values --set l7Proxy=true`) and restart the Cilium agents: K8TRE's Gateway and L7 policies run on Cilium's Envoy.",
    )
}

fn cilium_gateway_api(input: &PreflightInput) -> Check {
    let spec = Spec {
        id: "cilium.gateway-api",
        group: "cilium",
        title: "Cilium Gateway API controller enabled",
    };
    cilium_setting(
        &spec,
        input,
        "enable-gateway-api",
        input.facts.cilium.gateway_api.as_deref(),
        &["true"],
        "Install the Gateway API CRDs, then `cilium upgrade --reuse-values --set gatewayAPI.enabled=true` and restart cilium-operator and the agents: K8TRE's internal-gateway uses gatewayClassName cilium.",
    )
}

fn cilium_kube_proxy_replacement(input: &PreflightInput) -> Check {
    let spec = Spec {
        id: "cilium.kube-proxy-replacement",
        group: "cilium",
        title: "Cilium kube-proxy replacement",
    };
    cilium_setting(
        &spec,
        input,
        "kube-proxy-replacement",
        input.facts.cilium.kube_proxy_replacement.as_deref(),
        // `strict` is how Cilium before 1.14 spelled full replacement.
        &["true", "strict"],
        "Install Cilium with kubeProxyReplacement=true (EKS: also k8sServiceHost / k8sServicePort set to the API endpoint), then remove kube-proxy.",
    )
}

fn kube_proxy_absent(input: &PreflightInput) -> Check {
    let spec = Spec {
        id: "cilium.no-kube-proxy",
        group: "cilium",
        title: "No kube-proxy DaemonSet",
    };
    match input.facts.kube_proxy_daemonset_present {
        None => spec.unknown("whether kube-system/kube-proxy exists is not known"),
        Some(false) => spec.pass("no kube-system/kube-proxy DaemonSet"),
        Some(true) => spec.fail(
            "DaemonSet kube-system/kube-proxy is present; with Cilium replacing kube-proxy both would program services",
            "Delete it once Cilium's kube-proxy replacement is on: `kubectl -n kube-system delete daemonset kube-proxy` (EKS: remove the kube-proxy add-on; K3s: start with `disable-kube-proxy: true`).",
        ),
    }
}

fn cilium_ipam(input: &PreflightInput) -> Check {
    let spec = Spec {
        id: "cilium.ipam",
        group: "cilium",
        title: "Cilium IPAM mode",
    };
    if input.facts.cilium.present == Some(false) {
        return spec.fail(CILIUM_MISSING, CILIUM_INSTALL);
    }
    let Some(mode) = input.facts.cilium.ipam_mode.as_deref() else {
        return spec.unknown(format!("ipam: {CILIUM_UNREAD}"));
    };
    match (mode, input.vendor()) {
        ("cluster-pool", _) => spec.pass("ipam is \"cluster-pool\""),
        ("eni", Some(Vendor::Aws)) => {
            spec.pass("ipam is \"eni\": expected on EKS (k8tre-aws runs Cilium in ENI mode with native routing)")
        }
        (other, _) => spec.warn(
            format!("ipam is {other:?}; K8TRE's install guides use \"cluster-pool\" (EKS: \"eni\")"),
            "Usually fine if chosen on purpose; otherwise install Cilium with ipam.mode=cluster-pool and a pod CIDR (ipam.operator.clusterPoolIPv4PodCIDRList).",
        ),
    }
}

/// The standard-channel Gateway API CRDs (k8tre.md §6).
pub const GATEWAY_API_CRDS: [&str; 5] = [
    "gatewayclasses.gateway.networking.k8s.io",
    "gateways.gateway.networking.k8s.io",
    "httproutes.gateway.networking.k8s.io",
    "referencegrants.gateway.networking.k8s.io",
    "grpcroutes.gateway.networking.k8s.io",
];

fn gateway_api_crds(input: &PreflightInput) -> Check {
    let spec = Spec {
        id: "gateway-api.crds",
        group: "gateway-api",
        title: "Gateway API CRDs installed",
    };
    let Some(present) = &input.facts.gateway_api_crds else {
        return spec.unknown("CustomResourceDefinitions could not be listed");
    };
    let missing: Vec<&str> = GATEWAY_API_CRDS
        .iter()
        .copied()
        .filter(|crd| !present.iter().any(|p| p == crd))
        .collect();
    if missing.is_empty() {
        return spec.pass(format!(
            "all {} standard Gateway API CRDs present",
            GATEWAY_API_CRDS.len()
        ));
    }
    spec.fail(
        format!("missing: {}", missing.join(", ")),
        "Apply the Gateway API release bundle server-side (`kubectl apply --server-side -f https://github.com/kubernetes-sigs/gateway-api/releases/download/<version>/standard-install.yaml`), then restart cilium-operator: Cilium only starts its Gateway controller when the CRDs exist.",
    )
}

/// Storage classes K8TRE's workloads ask for.
pub const STORAGE_CLASSES: [&str; 2] = ["rwo-default", "rwx-default"];

fn storage_classes(input: &PreflightInput) -> Check {
    let spec = Spec {
        id: "storage.classes",
        group: "storage",
        title: "Storage classes rwo-default and rwx-default",
    };
    let Some(classes) = &input.facts.storage_classes else {
        return spec.unknown("StorageClasses could not be listed");
    };
    let default = input
        .facts
        .default_storage_class()
        .map_or("none".to_string(), |s| s.name.clone());
    let missing: Vec<&str> = STORAGE_CLASSES
        .iter()
        .copied()
        .filter(|name| !classes.iter().any(|c| c.name == *name))
        .collect();
    if missing.is_empty() {
        return spec.pass(format!(
            "rwo-default and rwx-default present; default class: {default}"
        ));
    }
    let why = format!("missing: {}; default class: {default}", missing.join(", "));
    match input.vendor() {
        Some(Vendor::Aws) => spec.warn(
            why,
            "On AWS these classes come from k8tre-aws (Terraform), not from ArgoCD: apply that module.",
        ),
        Some(Vendor::K3s) => spec.fail(
            why,
            "On K3s they come from the storage-class agnostic (agnostics/storage-class/k3s, Longhorn): install it, or create the classes by hand.",
        ),
        Some(Vendor::Azure) => spec.fail(
            why,
            "On Azure they come from the storage-class agnostic (agnostics/storage-class/azure: Azure Disk / Azure Files): install it.",
        ),
        _ => spec.fail(
            why,
            "Create StorageClasses rwo-default (ReadWriteOnce) and rwx-default (ReadWriteMany) for this platform.",
        ),
    }
}

fn nodes_ready(input: &PreflightInput) -> Check {
    let spec = Spec {
        id: "nodes.ready",
        group: "nodes",
        title: "All nodes Ready",
    };
    let (Some(ready), Some(total)) = (input.facts.nodes_ready, input.facts.nodes_total) else {
        return spec.unknown("Nodes could not be listed");
    };
    let why = format!("{ready}/{total} nodes Ready");
    let advice = "Inspect the NotReady nodes: `kubectl describe node <name>` (kubelet, CNI and disk pressure are the usual causes).";
    if total == 0 || ready == 0 {
        spec.fail(why, advice)
    } else if ready < total {
        spec.warn(why, advice)
    } else {
        spec.pass(why)
    }
}

/// An ArgoCD workload the console expects, and how bad its absence is.
struct ArgoComponent {
    /// Alternatives: any one of them satisfies the component (HA variants).
    names: &'static [&'static str],
    missing: Outcome,
}

const ARGOCD_COMPONENTS: [ArgoComponent; 7] = [
    ArgoComponent {
        names: &["argocd-application-controller"],
        missing: Outcome::Fail,
    },
    ArgoComponent {
        names: &["argocd-repo-server"],
        missing: Outcome::Fail,
    },
    ArgoComponent {
        names: &["argocd-applicationset-controller"],
        missing: Outcome::Fail,
    },
    ArgoComponent {
        names: &["argocd-redis", "argocd-redis-ha-haproxy"],
        missing: Outcome::Fail,
    },
    // core-install omits the API server and notifications: the console does not need them.
    ArgoComponent {
        names: &["argocd-server"],
        missing: Outcome::Warn,
    },
    ArgoComponent {
        names: &["argocd-notifications-controller"],
        missing: Outcome::Warn,
    },
    ArgoComponent {
        names: &["argocd-dex-server"],
        missing: Outcome::Pass,
    },
];

fn argocd_facts<'a>(input: &PreflightInput<'a>, spec: &Spec) -> Result<&'a ArgoCdFacts, Check> {
    input
        .facts
        .argocd
        .as_ref()
        .ok_or_else(|| spec.unknown("ArgoCD's namespace has not been inspected"))
}

fn argocd_components(input: &PreflightInput) -> Check {
    let spec = Spec {
        id: "argocd.components",
        group: "argocd",
        title: "ArgoCD components ready",
    };
    let argocd = match argocd_facts(input, &spec) {
        Ok(facts) => facts,
        Err(unknown) => return unknown,
    };
    let mut worst = Outcome::Pass;
    let mut problems = Vec::new();
    let mut ready = 0;
    for component in &ARGOCD_COMPONENTS {
        let found: Option<(&str, Readiness)> = component
            .names
            .iter()
            .find_map(|n| argocd.workloads.get(*n).map(|r| (*n, *r)));
        match found {
            None if component.missing != Outcome::Pass => {
                worst = worst.max(component.missing);
                problems.push(format!("{} not found", component.names[0]));
            }
            None => {}
            Some((_, r)) if r.is_ready() => ready += 1,
            Some((name, r)) => {
                let severity = component.missing.max(Outcome::Warn);
                worst = worst.max(severity);
                problems.push(format!("{name} {r} ready"));
            }
        }
    }
    let ns = &argocd.namespace;
    if problems.is_empty() {
        return spec.pass(format!("{ready} ArgoCD workloads ready in namespace {ns}"));
    }
    let why = format!("namespace {ns}: {}", problems.join("; "));
    let advice = format!(
        "Install or repair ArgoCD: `kubectl apply -n {ns} --server-side -f https://raw.githubusercontent.com/argoproj/argo-cd/<version>/manifests/install.yaml`, then `kubectl -n {ns} get pods`."
    );
    if worst == Outcome::Fail {
        spec.fail(why, advice)
    } else {
        spec.warn(why, advice)
    }
}

/// The plugin every K8TRE Application except cnpg renders with (k8tre.md §3.4).
pub const CMP_PLUGIN: &str = "kustomize-with-envsubst-v1.0";
/// The repo-server sidecar K8TRE's install guide adds.
pub const CMP_SIDECAR: &str = "cmp-kustomize-envsubst";

fn argocd_cmp_plugin(input: &PreflightInput) -> Check {
    let spec = Spec {
        id: "argocd.cmp-plugin",
        group: "argocd",
        title: "kustomize-with-envsubst plugin installed",
    };
    let argocd = match argocd_facts(input, &spec) {
        Ok(facts) => facts,
        Err(unknown) => return unknown,
    };
    let ns = &argocd.namespace;
    let advice = format!(
        "Create ConfigMap {ns}/cmp-plugin (key plugin.yaml: ConfigManagementPlugin kustomize-with-envsubst, version v1.0) and add the sidecar {CMP_SIDECAR} (command /var/run/argocd/argocd-cmp-server) to argocd-repo-server (K8TRE installation guide, step 9)."
    );
    let Some(yaml) = &argocd.cmp_plugin_yaml else {
        return spec.fail(
            format!("ConfigMap {ns}/cmp-plugin not found: every K8TRE Application except cnpg fails to render"),
            advice,
        );
    };
    let plugin = plugin_name(yaml);
    if plugin.as_deref() != Some(CMP_PLUGIN) {
        let found = plugin.unwrap_or_else(|| "no readable plugin.yaml".to_string());
        return spec.fail(
            format!("cmp-plugin defines {found:?}; K8TRE's Applications ask for {CMP_PLUGIN:?}"),
            advice,
        );
    }
    let sidecars: Vec<&str> = argocd
        .repo_server_containers
        .iter()
        .map(String::as_str)
        .filter(|c| *c != "argocd-repo-server")
        .collect();
    if sidecars.contains(&CMP_SIDECAR) {
        return spec.pass(format!(
            "plugin {CMP_PLUGIN} defined; repo-server sidecar {CMP_SIDECAR} present"
        ));
    }
    if let Some(other) = sidecars.first() {
        return spec.warn(
            format!("plugin {CMP_PLUGIN} defined; repo-server sidecar is {other:?}, not {CMP_SIDECAR:?}"),
            "Fine if that sidecar mounts cmp-plugin as its plugin.yaml; otherwise add the K8TRE sidecar.",
        );
    }
    spec.fail(
        format!("plugin {CMP_PLUGIN} defined, but argocd-repo-server has no plugin sidecar"),
        advice,
    )
}

/// `<metadata.name>-<spec.version>` of a ConfigManagementPlugin, as Applications reference it.
fn plugin_name(yaml: &str) -> Option<String> {
    let doc: serde_yaml::Value = serde_yaml::from_str(yaml).ok()?;
    let name = doc.get("metadata")?.get("name")?.as_str()?;
    match doc
        .get("spec")
        .and_then(|s| s.get("version"))
        .and_then(|v| v.as_str())
    {
        Some(version) if !version.is_empty() => Some(format!("{name}-{version}")),
        _ => Some(name.to_string()),
    }
}

const KUSTOMIZE_BUILD_OPTIONS: &str = "--enable-helm --load-restrictor LoadRestrictionsNone";

fn argocd_kustomize_build_options(input: &PreflightInput) -> Check {
    let spec = Spec {
        id: "argocd.kustomize-build-options",
        group: "argocd",
        title: "argocd-cm kustomize.buildOptions",
    };
    let argocd = match argocd_facts(input, &spec) {
        Ok(facts) => facts,
        Err(unknown) => return unknown,
    };
    let ns = &argocd.namespace;
    let advice = format!(
        "`kubectl -n {ns} patch configmap argocd-cm --type merge -p '{{\"data\":{{\"kustomize.buildOptions\":\"{KUSTOMIZE_BUILD_OPTIONS}\"}}}}'` then restart argocd-repo-server (K8TRE installation guide, step 8)."
    );
    let Some(cm) = &argocd.argocd_cm else {
        return spec.fail(format!("ConfigMap {ns}/argocd-cm not found"), advice);
    };
    let value = cm.get("kustomize.buildOptions").map(|v| v.trim());
    match value {
        Some(v) if v.contains("--enable-helm") && v.contains("LoadRestrictionsNone") => {
            spec.pass(format!("kustomize.buildOptions is {v:?}"))
        }
        Some(v) => spec.fail(
            format!("kustomize.buildOptions is {v:?}; K8TRE needs {KUSTOMIZE_BUILD_OPTIONS:?}"),
            advice,
        ),
        None => spec.fail("kustomize.buildOptions is not set", advice),
    }
}

fn label_advice(input: &PreflightInput, label: &str) -> String {
    format!(
        "`argocd cluster set {} --label {label}` (labels live on ArgoCD's cluster Secret; ApplicationSets select clusters by them)",
        input.cluster
    )
}

fn label_environment(input: &PreflightInput) -> Check {
    let spec = Spec {
        id: "labels.environment",
        group: "cluster-labels",
        title: "Cluster label environment",
    };
    let advice = label_advice(input, "environment=dev");
    if input.labels.is_none() {
        return spec.fail(
            "no ArgoCD cluster Secret: the cluster has no labels, so no ApplicationSet selects it",
            advice,
        );
    }
    let Some(value) = input.label("environment") else {
        return spec.fail(
            "label environment missing: no ApplicationSet selects this cluster",
            advice,
        );
    };
    let parsed = Environment::parse(value);
    match (parsed.environment, parsed.warning) {
        (canonical, Some(warning)) => spec.warn(
            format!("{warning}; ApplicationSets match envs/{value} directories, which exist only for a few components"),
            label_advice(input, &format!("environment={canonical}")),
        ),
        (Environment::Other(name), None) => spec.warn(
            format!("environment {name:?} is not one of dev, stg, prd: only envs/{name} directories deploy here"),
            advice,
        ),
        (environment, None) => spec.pass(format!("environment={environment}")),
    }
}

fn label_vendor(input: &PreflightInput) -> Check {
    let spec = Spec {
        id: "labels.vendor",
        group: "cluster-labels",
        title: "Cluster label vendor",
    };
    let advice = label_advice(input, "vendor=<k3s|azure|aws>");
    let consequence =
        "vendor-specific agnostics (cert-manager, gateway, storage-class, ...) are not generated";
    let Some(value) = input.label("vendor") else {
        return spec.warn(format!("label vendor missing: {consequence}"), advice);
    };
    let vendor = Vendor::parse(value);
    if !vendor.is_known() {
        return spec.warn(
            format!("vendor {value:?} is not one of k3s, azure, aws: {consequence}"),
            advice,
        );
    }
    match &input.facts.vendor {
        Some(detected) if *detected != vendor => spec.warn(
            format!("labelled vendor={vendor} but the cluster looks like {detected}"),
            label_advice(input, &format!("vendor={detected}")),
        ),
        _ => spec.pass(format!("vendor={vendor}")),
    }
}

fn label_external_domain(input: &PreflightInput) -> Check {
    let spec = Spec {
        id: "labels.external-domain",
        group: "cluster-labels",
        title: "Cluster label external-domain",
    };
    match input.label("external-domain") {
        Some(domain) => spec.pass(format!("external-domain={domain}")),
        None => spec.warn(
            "label external-domain missing: the plugin's DOMAIN is empty, so gateway listeners and routes get no host name",
            label_advice(input, "external-domain=<env>.<your domain>"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::estate::{CiliumFacts, StorageClassFact};

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn ready(n: u32) -> Readiness {
        Readiness {
            ready: n,
            desired: n,
        }
    }

    fn storage(names: &[&str]) -> Vec<StorageClassFact> {
        names
            .iter()
            .map(|n| StorageClassFact {
                name: n.to_string(),
                provisioner: "driver.longhorn.io".into(),
                is_default: *n == "rwo-default",
            })
            .collect()
    }

    fn argocd() -> ArgoCdFacts {
        let workloads = [
            "argocd-application-controller",
            "argocd-repo-server",
            "argocd-applicationset-controller",
            "argocd-redis",
            "argocd-server",
            "argocd-notifications-controller",
            "argocd-dex-server",
        ]
        .into_iter()
        .map(|n| (n.to_string(), ready(1)))
        .collect();
        ArgoCdFacts {
            namespace: "argocd".into(),
            workloads,
            argocd_cm: Some(labels(&[(
                "kustomize.buildOptions",
                "--enable-helm --load-restrictor LoadRestrictionsNone",
            )])),
            cmp_plugin_yaml: Some(
                "apiVersion: argoproj.io/v1alpha1\nkind: ConfigManagementPlugin\nmetadata:\n  name: kustomize-with-envsubst\nspec:\n  version: v1.0\n  generate:\n    command: [sh, -c]\n".into(),
            ),
            repo_server_containers: vec!["argocd-repo-server".into(), CMP_SIDECAR.into()],
        }
    }

    /// A single-node K3s install done by the K8TRE guide.
    fn good_k3s() -> ClusterFacts {
        let mut cilium = CiliumFacts::from_config(&labels(&[
            ("enable-l7-proxy", "true"),
            ("enable-gateway-api", "true"),
            ("kube-proxy-replacement", "true"),
            ("ipam", "cluster-pool"),
        ]));
        cilium.daemonset = Some(Workload::Present(ready(1)));
        cilium.operator = Some(Workload::Present(ready(1)));
        ClusterFacts {
            kubernetes_version: Some("v1.35.3+k3s1".into()),
            vendor: Some(Vendor::K3s),
            nodes_ready: Some(1),
            nodes_total: Some(1),
            cilium,
            kube_proxy_daemonset_present: Some(false),
            gateway_api_crds: Some(GATEWAY_API_CRDS.iter().map(|s| s.to_string()).collect()),
            storage_classes: Some(storage(&["rwo-default", "rwx-default", "local-path"])),
            argocd: Some(argocd()),
        }
    }

    fn k3s_labels() -> BTreeMap<String, String> {
        labels(&[
            ("environment", "dev"),
            ("secret-store", "kubernetes"),
            ("vendor", "k3s"),
            ("external-domain", "dev.k8tre.org"),
            ("external-dns", "k3s"),
        ])
    }

    fn input<'a>(
        facts: &'a ClusterFacts,
        labels: Option<&'a BTreeMap<String, String>>,
    ) -> PreflightInput<'a> {
        PreflightInput {
            cluster: "in-cluster",
            facts,
            labels,
            management: true,
            target: true,
        }
    }

    fn outcome(report: &PreflightReport, id: &str) -> Outcome {
        report
            .check(id)
            .map(|c| c.outcome)
            .unwrap_or_else(|| panic!("no check {id}"))
    }

    #[test]
    fn good_k3s_cluster_passes_everything() {
        let facts = good_k3s();
        let labels = k3s_labels();
        let report = run(&input(&facts, Some(&labels)));
        assert_eq!(report.checks.len(), 15);
        for check in &report.checks {
            assert_eq!(check.outcome, Outcome::Pass, "{}: {}", check.id, check.why);
            assert!(check.advice.is_none(), "{}", check.id);
        }
        assert_eq!(report.worst(), Some(Outcome::Pass));
        let ids: std::collections::HashSet<_> = report.checks.iter().map(|c| c.id).collect();
        assert_eq!(ids.len(), report.checks.len(), "ids are unique");
    }

    #[test]
    fn cilium_without_l7_and_gateway_api() {
        let mut facts = good_k3s();
        facts.cilium.l7_proxy = Some("false".into());
        facts.cilium.gateway_api = Some("false".into());
        let labels = k3s_labels();
        let report = run(&input(&facts, Some(&labels)));
        let l7 = report.check("cilium.l7-proxy").expect("l7");
        assert_eq!(l7.outcome, Outcome::Fail);
        assert_eq!(l7.why, "enable-l7-proxy is \"false\", K8TRE needs \"true\"");
        assert!(
            l7.advice
                .as_deref()
                .is_some_and(|a| a.contains("l7Proxy=true"))
        );
        assert_eq!(outcome(&report, "cilium.gateway-api"), Outcome::Fail);
        assert_eq!(outcome(&report, "cilium.installed"), Outcome::Pass);
        assert_eq!(report.worst(), Some(Outcome::Fail));
    }

    #[test]
    fn old_cilium_strict_kube_proxy_replacement_passes() {
        let mut facts = good_k3s();
        facts.cilium.kube_proxy_replacement = Some("strict".into());
        let report = run(&input(&facts, None));
        assert_eq!(
            outcome(&report, "cilium.kube-proxy-replacement"),
            Outcome::Pass
        );
        facts.cilium.kube_proxy_replacement = Some("partial".into());
        facts.kube_proxy_daemonset_present = Some(true);
        let report = run(&input(&facts, None));
        assert_eq!(
            outcome(&report, "cilium.kube-proxy-replacement"),
            Outcome::Fail
        );
        assert_eq!(outcome(&report, "cilium.no-kube-proxy"), Outcome::Fail);
    }

    #[test]
    fn eks_eni_cluster() {
        let mut facts = good_k3s();
        facts.kubernetes_version = Some("v1.31.2-eks-7f9249a".into());
        facts.vendor = Some(Vendor::Aws);
        facts.cilium.ipam_mode = Some("eni".into());
        facts.storage_classes = Some(storage(&["gp2"]));
        facts.argocd = None;
        let labels = labels(&[
            ("environment", "dev"),
            ("secret-store", "aws"),
            ("vendor", "aws"),
            ("external-dns", "aws"),
            ("external-domain", "dev.example.org"),
        ]);
        let mut target = input(&facts, Some(&labels));
        target.management = false;
        let report = run(&target);
        let ipam = report.check("cilium.ipam").expect("ipam");
        assert_eq!(ipam.outcome, Outcome::Pass);
        assert!(ipam.why.contains("EKS"), "{}", ipam.why);
        let storage = report.check("storage.classes").expect("storage");
        assert_eq!(storage.outcome, Outcome::Warn);
        assert!(storage.why.contains("rwo-default, rwx-default"));
        assert!(
            storage
                .advice
                .as_deref()
                .is_some_and(|a| a.contains("k8tre-aws"))
        );
        assert!(
            report.check("argocd.components").is_none(),
            "not a management cluster"
        );
        // The same eni setting elsewhere is only a warning.
        facts.vendor = Some(Vendor::K3s);
        let k3s_labels = k3s_labels();
        let report = run(&input(&facts, Some(&k3s_labels)));
        assert_eq!(outcome(&report, "cilium.ipam"), Outcome::Warn);
        assert_eq!(outcome(&report, "storage.classes"), Outcome::Fail);
    }

    #[test]
    fn unknown_facts_are_never_pass() {
        let facts = ClusterFacts::default();
        let labels = k3s_labels();
        let report = run(&input(&facts, Some(&labels)));
        for check in &report.checks {
            if check.group == "cluster-labels" {
                continue; // labels are known from the cluster Secret
            }
            assert_eq!(
                check.outcome,
                Outcome::Unknown,
                "{}: {}",
                check.id,
                check.why
            );
        }
        // Partly known Cilium: config read, readiness not.
        let mut facts = good_k3s();
        facts.cilium.daemonset = None;
        let report = run(&input(&facts, None));
        assert_eq!(outcome(&report, "cilium.installed"), Outcome::Unknown);
    }

    #[test]
    fn cilium_not_installed_fails_its_checks() {
        let mut facts = good_k3s();
        facts.cilium = CiliumFacts::absent();
        let report = run(&input(&facts, None));
        for id in [
            "cilium.installed",
            "cilium.l7-proxy",
            "cilium.gateway-api",
            "cilium.kube-proxy-replacement",
            "cilium.ipam",
        ] {
            let check = report.check(id).expect("check");
            assert_eq!(check.outcome, Outcome::Fail, "{id}");
            assert!(check.why.contains("not installed"), "{id}: {}", check.why);
        }
    }

    #[test]
    fn cilium_readiness() {
        let mut facts = good_k3s();
        facts.cilium.daemonset = Some(Workload::Present(Readiness {
            ready: 2,
            desired: 3,
        }));
        let report = run(&input(&facts, None));
        let check = report.check("cilium.installed").expect("check");
        assert_eq!(check.outcome, Outcome::Warn);
        assert!(check.why.contains("DaemonSet kube-system/cilium 2/3 ready"));
        facts.cilium.operator = Some(Workload::Absent);
        let report = run(&input(&facts, None));
        assert_eq!(outcome(&report, "cilium.installed"), Outcome::Fail);
    }

    #[test]
    fn gateway_crds_missing() {
        let mut facts = good_k3s();
        facts.gateway_api_crds = Some(vec![GATEWAY_API_CRDS[0].to_string()]);
        let report = run(&input(&facts, None));
        let check = report.check("gateway-api.crds").expect("check");
        assert_eq!(check.outcome, Outcome::Fail);
        assert!(check.why.contains("httproutes.gateway.networking.k8s.io"));
        assert!(!check.why.contains("gatewayclasses"));
    }

    #[test]
    fn nodes() {
        let mut facts = good_k3s();
        facts.nodes_ready = Some(2);
        facts.nodes_total = Some(3);
        assert_eq!(
            outcome(&run(&input(&facts, None)), "nodes.ready"),
            Outcome::Warn
        );
        facts.nodes_ready = Some(0);
        assert_eq!(
            outcome(&run(&input(&facts, None)), "nodes.ready"),
            Outcome::Fail
        );
    }

    #[test]
    fn argocd_checks() {
        let mut facts = good_k3s();
        let argocd = facts.argocd.as_mut().expect("argocd");
        argocd.workloads.remove("argocd-dex-server");
        argocd.workloads.remove("argocd-redis");
        argocd
            .workloads
            .insert("argocd-redis-ha-haproxy".into(), ready(3));
        let report = run(&input(&facts, None));
        assert_eq!(
            outcome(&report, "argocd.components"),
            Outcome::Pass,
            "dex optional, HA redis ok"
        );

        let argocd = facts.argocd.as_mut().expect("argocd");
        argocd.workloads.remove("argocd-notifications-controller");
        assert_eq!(
            outcome(&run(&input(&facts, None)), "argocd.components"),
            Outcome::Warn
        );
        let argocd = facts.argocd.as_mut().expect("argocd");
        argocd.workloads.insert(
            "argocd-repo-server".into(),
            Readiness {
                ready: 0,
                desired: 1,
            },
        );
        let report = run(&input(&facts, None));
        let check = report.check("argocd.components").expect("check");
        assert_eq!(check.outcome, Outcome::Fail);
        assert!(
            check.why.contains("argocd-repo-server 0/1 ready"),
            "{}",
            check.why
        );
    }

    #[test]
    fn cmp_plugin_and_build_options() {
        let mut facts = good_k3s();
        let argocd = facts.argocd.as_mut().expect("argocd");
        argocd.repo_server_containers = vec!["argocd-repo-server".into()];
        let report = run(&input(&facts, None));
        assert_eq!(outcome(&report, "argocd.cmp-plugin"), Outcome::Fail);

        let argocd = facts.argocd.as_mut().expect("argocd");
        argocd.repo_server_containers.push("my-cmp".into());
        assert_eq!(
            outcome(&run(&input(&facts, None)), "argocd.cmp-plugin"),
            Outcome::Warn
        );

        let argocd = facts.argocd.as_mut().expect("argocd");
        argocd.cmp_plugin_yaml = Some("metadata:\n  name: other\nspec:\n  version: v2\n".into());
        let check = run(&input(&facts, None));
        let check = check.check("argocd.cmp-plugin").expect("check");
        assert_eq!(check.outcome, Outcome::Fail);
        assert!(check.why.contains("\"other-v2\""), "{}", check.why);

        let argocd = facts.argocd.as_mut().expect("argocd");
        argocd.cmp_plugin_yaml = None;
        argocd.argocd_cm = Some(BTreeMap::new());
        let report = run(&input(&facts, None));
        assert_eq!(outcome(&report, "argocd.cmp-plugin"), Outcome::Fail);
        let check = report
            .check("argocd.kustomize-build-options")
            .expect("check");
        assert_eq!(check.outcome, Outcome::Fail);
        assert_eq!(check.why, "kustomize.buildOptions is not set");
        assert!(
            check
                .advice
                .as_deref()
                .is_some_and(|a| a.contains("LoadRestrictionsNone"))
        );
    }

    #[test]
    fn cluster_labels() {
        let facts = good_k3s();
        let report = run(&input(&facts, None));
        assert_eq!(outcome(&report, "labels.environment"), Outcome::Fail);

        let missing = labels(&[("vendor", "k3s")]);
        let report = run(&input(&facts, Some(&missing)));
        assert_eq!(outcome(&report, "labels.environment"), Outcome::Fail);
        assert_eq!(outcome(&report, "labels.external-domain"), Outcome::Warn);

        let prod = labels(&[
            ("environment", "prod"),
            ("vendor", "gcp"),
            ("external-domain", "k8tre.org"),
        ]);
        let report = run(&input(&facts, Some(&prod)));
        let env = report.check("labels.environment").expect("env");
        assert_eq!(env.outcome, Outcome::Warn);
        assert!(
            env.advice
                .as_deref()
                .is_some_and(|a| a.contains("environment=prd"))
        );
        assert_eq!(outcome(&report, "labels.vendor"), Outcome::Warn);
        assert_eq!(outcome(&report, "labels.external-domain"), Outcome::Pass);

        let ci = labels(&[("environment", "ci"), ("vendor", "aws")]);
        let report = run(&input(&facts, Some(&ci)));
        assert_eq!(outcome(&report, "labels.environment"), Outcome::Warn);
        let vendor = report.check("labels.vendor").expect("vendor");
        assert_eq!(vendor.outcome, Outcome::Warn, "labelled aws, detected k3s");
        assert!(vendor.why.contains("looks like k3s"));
    }

    #[test]
    fn management_only_cluster_has_no_label_checks() {
        let facts = good_k3s();
        let mut mgmt = input(&facts, None);
        mgmt.target = false;
        let report = run(&mgmt);
        assert!(report.checks.iter().all(|c| c.group != "cluster-labels"));
        assert_eq!(report.worst(), Some(Outcome::Pass));
    }
}

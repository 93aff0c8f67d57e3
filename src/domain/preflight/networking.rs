//! Networking prerequisites: Cilium (installed, L7 proxy, Gateway API, kube-proxy
//! replacement, IPAM), no kube-proxy, Gateway API CRDs (k8tre.md §6).

use super::{Check, Outcome, PreflightInput, Spec};
use crate::domain::estate::{Vendor, Workload};

const CILIUM_INSTALL: &str = "Install Gateway API CRDs first, then Cilium: `cilium install --set kubeProxyReplacement=true --set gatewayAPI.enabled=true` (K8TRE installation guide, step 4), and wait for `cilium status --wait`.";
const CILIUM_MISSING: &str = "Cilium is not installed (no kube-system/cilium-config)";
const CILIUM_UNREAD: &str = "kube-system/cilium-config could not be read";

pub(super) fn cilium_installed(input: &PreflightInput) -> Check {
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

pub(super) fn cilium_l7_proxy(input: &PreflightInput) -> Check {
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

pub(super) fn cilium_gateway_api(input: &PreflightInput) -> Check {
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

pub(super) fn cilium_kube_proxy_replacement(input: &PreflightInput) -> Check {
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

pub(super) fn kube_proxy_absent(input: &PreflightInput) -> Check {
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

pub(super) fn cilium_ipam(input: &PreflightInput) -> Check {
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

pub(super) fn gateway_api_crds(input: &PreflightInput) -> Check {
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

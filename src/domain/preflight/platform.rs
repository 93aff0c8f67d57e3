//! Platform prerequisites: storage classes, node readiness, and the cluster labels
//! ApplicationSets select on (k8tre.md §3.2, §6).

use super::{Check, PreflightInput, Spec};
use crate::domain::env::Environment;
use crate::domain::estate::Vendor;

/// Storage classes K8TRE's workloads ask for.
pub const STORAGE_CLASSES: [&str; 2] = ["rwo-default", "rwx-default"];

pub(super) fn storage_classes(input: &PreflightInput) -> Check {
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

pub(super) fn nodes_ready(input: &PreflightInput) -> Check {
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

fn label_advice(input: &PreflightInput, label: &str) -> String {
    format!(
        "`argocd cluster set {} --label {label}` (labels live on ArgoCD's cluster Secret; ApplicationSets select clusters by them)",
        input.cluster
    )
}

pub(super) fn label_environment(input: &PreflightInput) -> Check {
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

pub(super) fn label_vendor(input: &PreflightInput) -> Check {
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

pub(super) fn label_external_domain(input: &PreflightInput) -> Check {
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

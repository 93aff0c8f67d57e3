//! What a K8TRE target cluster serves before ArgoCD deploys to it, beyond the simulator's
//! built-in kinds: the custom resource types its infrastructure layer installs (Gateway API,
//! Cilium) and those its components' charts and manifests bring (cert-manager,
//! external-secrets, CloudNativePG, MetalLB). Helm charts are rendered as synthetic workloads
//! without their CRDs, so a simulated estate seeds them up front.
//! Only kinds the cluster does not already serve are seeded.

use serde_json::{Value, json};

use crate::sim::cluster::ClusterState;
use crate::sim::error::ApiError;
use crate::sim::estate::seed_into;

use super::kube::served_kind;

/// (group, version, kind, plural, namespaced).
const KINDS: &[(&str, &str, &str, &str, bool)] = &[
    (
        "gateway.networking.k8s.io",
        "v1",
        "GatewayClass",
        "gatewayclasses",
        false,
    ),
    (
        "gateway.networking.k8s.io",
        "v1",
        "Gateway",
        "gateways",
        true,
    ),
    (
        "gateway.networking.k8s.io",
        "v1",
        "HTTPRoute",
        "httproutes",
        true,
    ),
    (
        "gateway.networking.k8s.io",
        "v1",
        "GRPCRoute",
        "grpcroutes",
        true,
    ),
    (
        "gateway.networking.k8s.io",
        "v1beta1",
        "ReferenceGrant",
        "referencegrants",
        true,
    ),
    (
        "cilium.io",
        "v2",
        "CiliumNetworkPolicy",
        "ciliumnetworkpolicies",
        true,
    ),
    (
        "cilium.io",
        "v2",
        "CiliumClusterwideNetworkPolicy",
        "ciliumclusterwidenetworkpolicies",
        false,
    ),
    ("cert-manager.io", "v1", "Certificate", "certificates", true),
    ("cert-manager.io", "v1", "Issuer", "issuers", true),
    (
        "cert-manager.io",
        "v1",
        "ClusterIssuer",
        "clusterissuers",
        false,
    ),
    (
        "external-secrets.io",
        "v1",
        "ExternalSecret",
        "externalsecrets",
        true,
    ),
    (
        "external-secrets.io",
        "v1",
        "SecretStore",
        "secretstores",
        true,
    ),
    (
        "external-secrets.io",
        "v1",
        "ClusterSecretStore",
        "clustersecretstores",
        false,
    ),
    ("postgresql.cnpg.io", "v1", "Cluster", "clusters", true),
    (
        "metallb.io",
        "v1beta1",
        "IPAddressPool",
        "ipaddresspools",
        true,
    ),
    (
        "metallb.io",
        "v1beta1",
        "L2Advertisement",
        "l2advertisements",
        true,
    ),
];

fn crd(group: &str, version: &str, kind: &str, plural: &str, namespaced: bool) -> Value {
    json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": format!("{plural}.{group}")},
        "spec": {
            "group": group,
            "scope": if namespaced { "Namespaced" } else { "Cluster" },
            "names": {
                "plural": plural,
                "singular": kind.to_ascii_lowercase(),
                "kind": kind,
                "listKind": format!("{kind}List"),
            },
            "versions": [{
                "name": version,
                "served": true,
                "storage": true,
                "subresources": {"status": {}},
                "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}},
            }]
        }
    })
}

/// The CRDs of [`KINDS`] that `cluster` does not serve yet.
pub fn missing_crds(cluster: &ClusterState) -> Vec<Value> {
    KINDS
        .iter()
        .filter(|(group, version, kind, _, _)| {
            served_kind(cluster, &format!("{group}/{version}"), kind).is_none()
        })
        .map(|(group, version, kind, plural, namespaced)| {
            crd(group, version, kind, plural, *namespaced)
        })
        .collect()
}

/// Seeds the missing CRDs into a target cluster.
pub fn seed_target(cluster: &ClusterState) -> Result<(), ApiError> {
    for crd in missing_crds(cluster) {
        seed_into(cluster, crd)?;
    }
    Ok(())
}

/// Seeds the missing CRDs the components' charts would bring, but not the Gateway API: that is
/// infrastructure, installed (or not) before K8TRE, and preflight reports its absence.
pub fn seed_component_crds(cluster: &ClusterState) -> Result<(), ApiError> {
    for crd in missing_crds(cluster) {
        if crd.pointer("/spec/group").and_then(Value::as_str) != Some(GATEWAY_API_GROUP) {
            seed_into(cluster, crd)?;
        }
    }
    Ok(())
}

const GATEWAY_API_GROUP: &str = "gateway.networking.k8s.io";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::auth::Users;
    use crate::sim::cluster::ClusterOptions;

    #[test]
    fn seeding_serves_every_kind_once() {
        let cluster = ClusterState::new(
            "dev",
            ClusterOptions::default(),
            Users::generate("dev"),
            None,
        );
        assert_eq!(missing_crds(&cluster).len(), KINDS.len());
        seed_target(&cluster).expect("seeded");
        assert!(missing_crds(&cluster).is_empty());
        let gateway_class =
            served_kind(&cluster, "gateway.networking.k8s.io/v1", "GatewayClass").expect("served");
        assert!(!gateway_class.namespaced);
        seed_target(&cluster).expect("idempotent");
    }
}

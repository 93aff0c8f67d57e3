//! What a target cluster holds before ArgoCD deploys anything: nodes, kube-system with Cilium
//! (its DaemonSet, operator and `cilium-config`), CoreDNS, the Gateway API CRDs and the
//! vendor's storage classes — per vendor, as k8tre.md §6 describes K3s, AKS and EKS clusters.

use serde_json::{Value, json};

use crate::sim::cluster::ClusterState;
use crate::sim::error::ApiError;
use crate::sim::estate::seed_into;

/// Every simulated node carries this label, so nothing mistakes the estate for a real one.
pub const SIMULATED_NODE_LABEL: &str = "sim.k8tre.io/simulated";

/// The Kubernetes distribution of a simulated cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vendor {
    K3s,
    Azure,
    Aws,
}

impl Vendor {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "k3s" => Some(Vendor::K3s),
            "azure" => Some(Vendor::Azure),
            "aws" => Some(Vendor::Aws),
            _ => None,
        }
    }

    fn kubelet_version(self) -> &'static str {
        match self {
            Vendor::K3s => "v1.32.4+k3s1",
            Vendor::Azure => "v1.32.4",
            Vendor::Aws => "v1.32.4-eks-1b2c3d4",
        }
    }

    fn node_names(self, cluster: &str, count: usize) -> Vec<String> {
        (0..count)
            .map(|i| match self {
                Vendor::K3s => format!("k3s-{cluster}-{i}"),
                Vendor::Azure => format!("aks-system-{cluster}-vmss{i:06}"),
                Vendor::Aws => {
                    let [_, _, c, d] = node_address(i).octets();
                    format!("ip-10-0-{c}-{d}.eu-west-2.compute.internal")
                }
            })
            .collect()
    }
}

/// How a target's Cilium is configured (the `cilium-config` facts preflight checks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CiliumSetup {
    pub l7_proxy: bool,
    pub gateway_api: bool,
    pub kube_proxy_replacement: bool,
    /// `cluster-pool` (K3s, AKS) or `eni` (EKS).
    pub ipam: &'static str,
    /// A leftover kube-proxy DaemonSet (kube-proxy replacement not finished).
    pub kube_proxy_daemonset: bool,
}

impl CiliumSetup {
    /// K8TRE's required Cilium for a vendor.
    pub fn for_vendor(vendor: Vendor) -> Self {
        Self {
            l7_proxy: true,
            gateway_api: true,
            kube_proxy_replacement: true,
            ipam: if vendor == Vendor::Aws {
                "eni"
            } else {
                "cluster-pool"
            },
            kube_proxy_daemonset: false,
        }
    }

    /// A Cilium installed with chart defaults: no Gateway API, no L7 proxy, kube-proxy kept.
    pub fn incomplete(vendor: Vendor) -> Self {
        Self {
            l7_proxy: false,
            gateway_api: false,
            kube_proxy_replacement: false,
            kube_proxy_daemonset: true,
            ..Self::for_vendor(vendor)
        }
    }
}

/// What to seed into one target cluster.
#[derive(Debug, Clone)]
pub struct TargetBaseline {
    pub cluster: String,
    pub vendor: Vendor,
    pub nodes: usize,
    pub cilium: CiliumSetup,
    pub gateway_api_crds: bool,
}

/// Node `index`'s InternalIP: one subnet per zone (`10.0.1.20`, `10.0.2.21`, `10.0.3.22`,
/// …), unique for tens of thousands of nodes.
fn node_address(index: usize) -> std::net::Ipv4Addr {
    let subnet = 1 + index % 3 + 3 * (index / 690);
    let host = 20 + index % 230;
    std::net::Ipv4Addr::new(10, 0, subnet.min(255) as u8, host as u8)
}

/// Node `index`'s pod CIDR inside the cluster pool `10.42.0.0/16` and on.
fn pod_cidr(index: usize) -> String {
    format!("10.{}.{}.0/24", (42 + index / 256).min(255), index % 256)
}

fn node(name: &str, vendor: Vendor, cluster: &str, index: usize) -> Value {
    let mut labels = json!({
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "topology.kubernetes.io/zone": format!("{cluster}-zone-{}", ["a", "b", "c"][index % 3]),
        SIMULATED_NODE_LABEL: "true",
    });
    if vendor == Vendor::K3s && index == 0 {
        labels["node-role.kubernetes.io/control-plane"] = json!("true");
    }
    let (os_image, runtime, kernel) = match vendor {
        Vendor::K3s => (
            "Ubuntu 24.04.2 LTS",
            "containerd://2.0.4-k3s2",
            "6.8.0-57-generic",
        ),
        Vendor::Azure => (
            "Ubuntu 22.04.5 LTS",
            "containerd://1.7.27-1",
            "5.15.0-1089-azure",
        ),
        Vendor::Aws => (
            "Amazon Linux 2023.7.20250512",
            "containerd://1.7.27",
            "6.1.134-152.225.amzn2023.x86_64",
        ),
    };
    json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": labels},
        "spec": {"podCIDR": pod_cidr(index)},
        // What the kubelet reports about itself; the workload controllers add the conditions.
        "status": {
            "addresses": [
                {"type": "InternalIP", "address": node_address(index).to_string()},
                {"type": "Hostname", "address": name},
            ],
            "capacity": {"cpu": "8", "memory": "32858980Ki", "pods": "110"},
            "allocatable": {"cpu": "7910m", "memory": "31707108Ki", "pods": "110"},
            "nodeInfo": {
                "kubeletVersion": vendor.kubelet_version(),
                "kubeProxyVersion": vendor.kubelet_version(),
                "osImage": os_image,
                "containerRuntimeVersion": runtime,
                "kernelVersion": kernel,
                "operatingSystem": "linux",
                "architecture": "amd64",
            },
        },
    })
}

fn namespace(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
}

fn workload(kind: &str, name: &str, namespace: &str, image: &str, replicas: Option<i64>) -> Value {
    let labels = json!({"k8s-app": name, "app.kubernetes.io/name": name});
    let mut spec = json!({
        "selector": {"matchLabels": {"k8s-app": name}},
        "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": name, "image": image}]}},
    });
    if let Some(r) = replicas {
        spec["replicas"] = json!(r);
    }
    json!({"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": name, "namespace": namespace, "labels": labels}, "spec": spec})
}

fn cilium_config(setup: &CiliumSetup) -> Value {
    let flag = |on: bool| if on { "true" } else { "false" };
    let mut data = json!({
        "enable-l7-proxy": flag(setup.l7_proxy),
        "enable-gateway-api": flag(setup.gateway_api),
        "kube-proxy-replacement": flag(setup.kube_proxy_replacement),
        "ipam": setup.ipam,
        "routing-mode": if setup.ipam == "eni" { "native" } else { "tunnel" },
        "enable-hubble": "true",
        "cluster-name": "default",
    });
    if setup.ipam == "cluster-pool" {
        data["cluster-pool-ipv4-cidr"] = json!("10.42.0.0/16");
        data["cluster-pool-ipv4-mask-size"] = json!("24");
    }
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cilium-config", "namespace": "kube-system"}, "data": data})
}

/// The Gateway API CRDs K8TRE needs (standard channel, plus TLSRoute from experimental).
pub const GATEWAY_API_CRDS: [(&str, &str, &str); 6] = [
    ("gatewayclasses", "GatewayClass", "Cluster"),
    ("gateways", "Gateway", "Namespaced"),
    ("httproutes", "HTTPRoute", "Namespaced"),
    ("referencegrants", "ReferenceGrant", "Namespaced"),
    ("grpcroutes", "GRPCRoute", "Namespaced"),
    ("tlsroutes", "TLSRoute", "Namespaced"),
];

/// The Gateway API CRD serving `plural` (`kind`), as the upstream bundle installs it; its
/// scope from [`GATEWAY_API_CRDS`] (namespaced unless listed otherwise).
pub fn gateway_crd(plural: &str, kind: &str) -> Value {
    let scope = GATEWAY_API_CRDS
        .iter()
        .find(|(p, _, _)| *p == plural)
        .map_or("Namespaced", |(_, _, scope)| *scope);
    json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": format!("{plural}.gateway.networking.k8s.io"),
                     "annotations": {"gateway.networking.k8s.io/bundle-version": "v1.5.1", "gateway.networking.k8s.io/channel": "experimental"}},
        "spec": {
            "group": "gateway.networking.k8s.io", "scope": scope,
            "names": {"plural": plural, "kind": kind, "singular": kind.to_ascii_lowercase(), "listKind": format!("{kind}List")},
            "versions": [{"name": "v1", "served": true, "storage": true, "subresources": {"status": {}},
                          "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]
        }
    })
}

fn storage_class(name: &str, provisioner: &str, default: bool) -> Value {
    let mut sc = json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": name},
                        "provisioner": provisioner, "reclaimPolicy": "Delete", "volumeBindingMode": "WaitForFirstConsumer",
                        "allowVolumeExpansion": true});
    if default {
        sc["metadata"]["annotations"] =
            json!({"storageclass.kubernetes.io/is-default-class": "true"});
    }
    sc
}

/// Storage classes a vendor's cluster has before K8TRE: K3s's local-path, AKS's defaults, and
/// on EKS the `rwo-default`/`rwx-default` classes k8tre-aws creates (K8TRE deploys the K3s and
/// Azure ones through its `storage-class` agnostic).
fn vendor_storage_classes(vendor: Vendor) -> Vec<Value> {
    match vendor {
        Vendor::K3s => vec![storage_class("local-path", "rancher.io/local-path", true)],
        Vendor::Azure => vec![
            storage_class("default", "disk.csi.azure.com", true),
            storage_class("managed-csi", "disk.csi.azure.com", false),
            storage_class("azurefile-csi", "file.csi.azure.com", false),
        ],
        Vendor::Aws => vec![
            storage_class("gp2", "kubernetes.io/aws-ebs", false),
            storage_class("rwo-default", "ebs.csi.aws.com", true),
            storage_class("rwx-default", "efs.csi.aws.com", false),
        ],
    }
}

/// Seeds one target cluster.
pub fn seed_target(cluster: &ClusterState, baseline: &TargetBaseline) -> Result<(), ApiError> {
    let names = baseline
        .vendor
        .node_names(&baseline.cluster, baseline.nodes);
    for (index, name) in names.iter().enumerate() {
        seed_into(
            cluster,
            node(name, baseline.vendor, &baseline.cluster, index),
        )?;
    }
    seed_into(cluster, namespace("kube-system"))?;
    seed_into(cluster, cilium_config(&baseline.cilium))?;
    seed_into(
        cluster,
        workload(
            "DaemonSet",
            "cilium",
            "kube-system",
            "quay.io/cilium/cilium:v1.19.3",
            None,
        ),
    )?;
    seed_into(
        cluster,
        workload(
            "Deployment",
            "cilium-operator",
            "kube-system",
            "quay.io/cilium/operator-generic:v1.19.3",
            Some(1),
        ),
    )?;
    seed_into(
        cluster,
        workload(
            "Deployment",
            "coredns",
            "kube-system",
            "registry.k8s.io/coredns/coredns:v1.12.0",
            Some(2),
        ),
    )?;
    if baseline.cilium.kube_proxy_daemonset {
        seed_into(
            cluster,
            workload(
                "DaemonSet",
                "kube-proxy",
                "kube-system",
                "registry.k8s.io/kube-proxy:v1.32.4",
                None,
            ),
        )?;
    }
    if baseline.gateway_api_crds {
        for (plural, kind, _) in GATEWAY_API_CRDS {
            seed_into(cluster, gateway_crd(plural, kind))?;
        }
        if baseline.cilium.gateway_api {
            seed_into(
                cluster,
                json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass", "metadata": {"name": "cilium"},
                       "spec": {"controllerName": "io.cilium/gateway-controller"}}),
            )?;
        }
    }
    for sc in vendor_storage_classes(baseline.vendor) {
        seed_into(cluster, sc)?;
    }
    Ok(())
}

/// The kubelet version a vendor's nodes report.
pub fn kubelet_version(vendor: Vendor) -> &'static str {
    vendor.kubelet_version()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::auth::Users;
    use crate::sim::cluster::ClusterOptions;
    use crate::sim::resources::ResourceKey;

    fn cluster() -> ClusterState {
        ClusterState::new(
            "dev",
            ClusterOptions::default(),
            Users::generate("dev"),
            None,
        )
    }

    #[test]
    fn node_addresses_stay_valid_and_distinct_for_large_clusters() {
        let addresses: std::collections::BTreeSet<_> = (0..5000).map(node_address).collect();
        assert_eq!(addresses.len(), 5000);
        assert_eq!(node_address(1).to_string(), "10.0.2.21");
        let cidrs: std::collections::BTreeSet<_> = (0..5000).map(pod_cidr).collect();
        assert_eq!(cidrs.len(), 5000);
        assert_eq!(pod_cidr(300), "10.43.44.0/24");
    }

    #[test]
    fn a_k3s_target_has_cilium_gateway_crds_and_a_simulated_node_label() {
        let c = cluster();
        seed_target(
            &c,
            &TargetBaseline {
                cluster: "dev".into(),
                vendor: Vendor::K3s,
                nodes: 2,
                cilium: CiliumSetup::for_vendor(Vendor::K3s),
                gateway_api_crds: true,
            },
        )
        .expect("seeded");
        let config = c
            .store
            .get(
                &ResourceKey::new("", "configmaps"),
                "kube-system",
                "cilium-config",
            )
            .expect("cilium-config")
            .value()
            .expect("json");
        assert_eq!(config["data"]["enable-gateway-api"], "true");
        assert_eq!(config["data"]["ipam"], "cluster-pool");
        let nodes = c.store.keys(&ResourceKey::new("", "nodes"));
        assert_eq!(nodes.len(), 2);
        assert_eq!(
            nodes[0]
                .1
                .labels
                .get(SIMULATED_NODE_LABEL)
                .map(String::as_str),
            Some("true")
        );
        assert!(
            c.resource_type("gateway.networking.k8s.io", "v1", "httproutes")
                .is_some()
        );
    }

    #[test]
    fn an_incomplete_cilium_lacks_l7_and_gateway_api_and_keeps_kube_proxy() {
        let c = cluster();
        seed_target(
            &c,
            &TargetBaseline {
                cluster: "stg".into(),
                vendor: Vendor::Azure,
                nodes: 1,
                cilium: CiliumSetup::incomplete(Vendor::Azure),
                gateway_api_crds: false,
            },
        )
        .expect("seeded");
        let config = c
            .store
            .get(
                &ResourceKey::new("", "configmaps"),
                "kube-system",
                "cilium-config",
            )
            .expect("cilium-config")
            .value()
            .expect("json");
        assert_eq!(config["data"]["enable-l7-proxy"], "false");
        assert!(
            c.store
                .get(
                    &ResourceKey::new("apps", "daemonsets"),
                    "kube-system",
                    "kube-proxy"
                )
                .is_some()
        );
        assert!(
            c.resource_type("gateway.networking.k8s.io", "v1", "gateways")
                .is_none()
        );
    }

    #[test]
    fn eks_clusters_use_eni_and_carry_the_k8tre_storage_classes() {
        let c = cluster();
        seed_target(
            &c,
            &TargetBaseline {
                cluster: "prd".into(),
                vendor: Vendor::Aws,
                nodes: 3,
                cilium: CiliumSetup::for_vendor(Vendor::Aws),
                gateway_api_crds: true,
            },
        )
        .expect("seeded");
        assert!(
            c.store
                .get(
                    &ResourceKey::new("storage.k8s.io", "storageclasses"),
                    "",
                    "rwx-default"
                )
                .is_some()
        );
        let config = c
            .store
            .get(
                &ResourceKey::new("", "configmaps"),
                "kube-system",
                "cilium-config",
            )
            .expect("cilium-config")
            .value()
            .expect("json");
        assert_eq!(config["data"]["ipam"], "eni");
    }
}

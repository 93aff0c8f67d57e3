//! Infrastructure-layer checks over observed cluster facts (k8tre.md §2.1, §3.2, §5, §6;
//! argocd.md §7): pass / warn / fail / unknown, each with why and what to do.
//!
//! A fact that is not known gives `Unknown`, never `Pass`.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::domain::estate::{Cluster, ClusterFacts, Vendor};

mod argocd;
mod networking;
mod platform;

pub use argocd::{CMP_PLUGIN, CMP_SIDECAR};
pub use networking::GATEWAY_API_CRDS;
pub use platform::STORAGE_CLASSES;

use argocd::{argocd_cmp_plugin, argocd_components, argocd_kustomize_build_options};
use networking::{
    cilium_gateway_api, cilium_installed, cilium_ipam, cilium_kube_proxy_replacement,
    cilium_l7_proxy, gateway_api_crds, kube_proxy_absent,
};
use platform::{
    label_environment, label_external_domain, label_vendor, nodes_ready, storage_classes,
};

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
    let mut checks = Vec::new();
    // A cluster that only runs ArgoCD hosts no K8TRE workloads: the networking and storage
    // prerequisites are the targets' (a management cluster that is also a target gets them).
    if input.target || !input.management {
        checks.extend([
            cilium_installed(input),
            cilium_l7_proxy(input),
            cilium_gateway_api(input),
            cilium_kube_proxy_replacement(input),
            kube_proxy_absent(input),
            cilium_ipam(input),
            gateway_api_crds(input),
            storage_classes(input),
        ]);
    }
    checks.push(nodes_ready(input));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::estate::{ArgoCdFacts, CiliumFacts, Readiness, StorageClassFact, Workload};

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
    fn a_management_only_cluster_is_not_held_to_target_prerequisites() {
        let facts = ClusterFacts::default();
        let mgmt = PreflightInput {
            management: true,
            target: false,
            ..input(&facts, None)
        };
        let report = run(&mgmt);
        assert!(
            report.check("storage.classes").is_none() && report.check("gateway-api.crds").is_none()
        );
        assert!(report.checks.iter().any(|c| c.id.starts_with("argocd")));
        let target = PreflightInput {
            management: false,
            target: true,
            ..input(&facts, None)
        };
        assert!(run(&target).checks.len() > report.checks.len());
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

//! Shared test fixtures: ApplicationSets in upstream K8TRE's shape (tests/fixtures/appsets),
//! a repository tree modelled on upstream's layout, and a small estate of clusters.

use super::{ApplicationSet, ClusterInfo, parse_applicationsets};

/// (file, contents) of the well-formed fixture ApplicationSets.
pub(crate) const APPSET_FILES: [(&str, &str); 8] = [
    (
        "appsets/agnostics/gateway.yaml",
        include_str!("../../../tests/fixtures/appsets/agnostics/gateway.yaml"),
    ),
    (
        "appsets/agnostics/external-dns.yaml",
        include_str!("../../../tests/fixtures/appsets/agnostics/external-dns.yaml"),
    ),
    (
        "appsets/agnostics/storage-class.yaml",
        include_str!("../../../tests/fixtures/appsets/agnostics/storage-class.yaml"),
    ),
    (
        "appsets/agnostics/object-storage.yaml",
        include_str!("../../../tests/fixtures/appsets/agnostics/object-storage.yaml"),
    ),
    (
        "appsets/agnostics/secret-store.yaml",
        include_str!("../../../tests/fixtures/appsets/agnostics/secret-store.yaml"),
    ),
    (
        "appsets/workspaces/jupyterhub.yaml",
        include_str!("../../../tests/fixtures/appsets/workspaces/jupyterhub.yaml"),
    ),
    (
        "appsets/identity/backend.yaml",
        include_str!("../../../tests/fixtures/appsets/identity/backend.yaml"),
    ),
    (
        "appsets/federation/cr8tor.yaml",
        include_str!("../../../tests/fixtures/appsets/federation/cr8tor.yaml"),
    ),
];

pub(crate) const BAD_YAML: &str =
    include_str!("../../../tests/fixtures/appsets/malformed/bad-yaml.yaml");
pub(crate) const UNKNOWN_GENERATOR: &str =
    include_str!("../../../tests/fixtures/appsets/malformed/unknown-generator.yaml");
pub(crate) const MATRIX_ONE_CHILD: &str =
    include_str!("../../../tests/fixtures/appsets/malformed/matrix-one-child.yaml");
pub(crate) const MISSING_KEY: &str =
    include_str!("../../../tests/fixtures/appsets/malformed/missing-key.yaml");

/// (file, ApplicationSet) for every well-formed fixture.
pub(crate) fn appsets_with_files() -> Vec<(String, ApplicationSet)> {
    APPSET_FILES
        .iter()
        .flat_map(|(file, yaml)| {
            parse_applicationsets(yaml)
                .expect("fixture parses")
                .into_iter()
                .map(move |a| (file.to_string(), a))
        })
        .collect()
}

pub(crate) fn appsets() -> Vec<ApplicationSet> {
    appsets_with_files().into_iter().map(|(_, a)| a).collect()
}

pub(crate) fn appset(name: &str) -> ApplicationSet {
    appsets()
        .into_iter()
        .find(|a| a.name() == name)
        .expect("fixture exists")
}

/// Leaf directories of a repository laid out like upstream K8TRE (ancestors are implied).
pub(crate) fn repo() -> Vec<String> {
    [
        // vendor-specific: <comp>/<vendor>/envs/<env>, with shared base
        "agnostics/gateway/base",
        "agnostics/gateway/k3s/base",
        "agnostics/gateway/k3s/envs/dev",
        "agnostics/gateway/k3s/envs/stg",
        "agnostics/gateway/azure/envs/dev",
        "agnostics/gateway/azure/envs/stg",
        "agnostics/gateway/azure/envs/prd",
        "agnostics/externaldns/k3s/envs/dev",
        "agnostics/externaldns/azure/envs/dev",
        "agnostics/externaldns/azure/envs/stg",
        "agnostics/externaldns/azure/envs/prd",
        "agnostics/storage-class/k3s/envs/dev",
        "agnostics/storage-class/azure/envs/dev",
        "agnostics/storage-class/aws",
        "agnostics/object-storage/k3s/envs/dev",
        "agnostics/secret-store/kubernetes/envs/dev",
        "agnostics/secret-store/kubernetes/envs/stg",
        "agnostics/secret-store/aws/envs/dev",
        // never picked up: the pattern has a vendor segment
        "agnostics/cert-manager/envs/dev",
        // vendor-neutral: <app>/envs/<env>, with a stray prod
        "apps/jupyterhub/base",
        "apps/jupyterhub/envs/dev",
        "apps/jupyterhub/envs/stg",
        "apps/jupyterhub/envs/prd",
        "apps/jupyterhub/envs/prod",
        "apps/jupyterhub/envs/.scratch",
        "apps/backend/envs/dev",
        "apps/backend/envs/stg",
        "apps/backend/envs/prd",
        "apps/cr8tor/envs/dev",
        "apps/cr8tor/envs/stg",
        ".github/workflows",
    ]
    .into_iter()
    .map(String::from)
    .collect()
}

pub(crate) const DEV_SERVER: &str = "https://dev.k8tre.example:6443";
pub(crate) const STG_SERVER: &str = "https://stg.k8tre.example:6443";
pub(crate) const PRD_SERVER: &str = "https://prd.k8tre.example:6443";
pub(crate) const PROD_SERVER: &str = "https://legacy.k8tre.example:6443";

/// A k3s dev cluster with an awkward name, two Azure clusters, and a legacy `prod` cluster.
pub(crate) fn clusters() -> Vec<ClusterInfo> {
    vec![
        ClusterInfo::new("K8TRE_Dev.Cluster-", DEV_SERVER)
            .with_label("argocd.argoproj.io/secret-type", "cluster")
            .with_label("environment", "dev")
            .with_label("vendor", "k3s")
            .with_label("secret-store", "kubernetes")
            .with_label("external-dns", "k3s")
            .with_label("external-domain", "dev.k8tre.org"),
        ClusterInfo::new("k8tre-stg-cluster", STG_SERVER)
            .with_label("argocd.argoproj.io/secret-type", "cluster")
            .with_label("environment", "stg")
            .with_label("vendor", "azure")
            .with_label("secret-store", "kubernetes")
            .with_label("external-dns", "azure")
            .with_label("skip-gateway", "true")
            .with_label("skip-cr8tor", "true"),
        ClusterInfo::new("k8tre-prd-cluster", PRD_SERVER)
            .with_label("argocd.argoproj.io/secret-type", "cluster")
            .with_label("environment", "prd")
            .with_label("vendor", "azure")
            .with_label("secret-store", "azure")
            .with_label("external-dns", "azure")
            .with_label("skip-gateway", "false")
            .with_label("region", "uksouth"),
        ClusterInfo::new("legacy", PROD_SERVER)
            .with_label("argocd.argoproj.io/secret-type", "cluster")
            .with_label("environment", "prod")
            .with_label("vendor", "k3s"),
    ]
}

//! The demo repository's content model: environments, vendors, the promotable state, and
//! the map of files it renders to. Everything here is pure data.

use std::collections::BTreeMap;

/// The three environments the demo estate runs, in promotion order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Env {
    Dev,
    Stg,
    Prd,
}

impl Env {
    pub(super) const ALL: [Env; 3] = [Env::Dev, Env::Stg, Env::Prd];

    pub(super) fn name(self) -> &'static str {
        match self {
            Env::Dev => "dev",
            Env::Stg => "stg",
            Env::Prd => "prd",
        }
    }

    /// The cloud each environment runs on in the demo estate.
    pub(super) fn vendor(self) -> Vendor {
        match self {
            Env::Dev => Vendor::K3s,
            Env::Stg => Vendor::Azure,
            Env::Prd => Vendor::Aws,
        }
    }

    /// The `secret-store` label value of the environment's cluster.
    pub(super) fn secret_store(self) -> &'static str {
        match self {
            Env::Dev | Env::Stg => "kubernetes",
            Env::Prd => "aws",
        }
    }

    pub(super) fn domain(self) -> &'static str {
        match self {
            Env::Dev => "dev.k8tre.org",
            Env::Stg => "stg.k8tre.org",
            Env::Prd => "k8tre.org",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Vendor {
    K3s,
    Azure,
    Aws,
}

impl Vendor {
    pub(super) fn name(self) -> &'static str {
        match self {
            Vendor::K3s => "k3s",
            Vendor::Azure => "azure",
            Vendor::Aws => "aws",
        }
    }
}

/// One value per environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct PerEnv<T> {
    pub dev: T,
    pub stg: T,
    pub prd: T,
}

impl<T: Copy> PerEnv<T> {
    pub(super) const fn all(value: T) -> Self {
        Self {
            dev: value,
            stg: value,
            prd: value,
        }
    }

    pub(super) fn get(&self, env: Env) -> T {
        match env {
            Env::Dev => self.dev,
            Env::Stg => self.stg,
            Env::Prd => self.prd,
        }
    }

    pub(super) fn set(&mut self, env: Env, value: T) {
        match env {
            Env::Dev => self.dev = value,
            Env::Stg => self.stg = value,
            Env::Prd => self.prd = value,
        }
    }

    /// Copies the value of `from` to `to`: a promotion.
    pub(super) fn promote(&mut self, from: Env, to: Env) {
        self.set(to, self.get(from));
    }
}

/// Everything that changes over the demo history. The repository's files are a pure
/// function of this (plus the repo URL and revision the ApplicationSets point at).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct RepoState {
    /// Whether `agnostics/` and `apps/` have been imported yet.
    pub agnostics: bool,
    pub apps: bool,
    /// Whether env overlays carry the `k8tre.io/environment` label.
    pub env_labels: bool,
    pub jupyterhub_chart: PerEnv<&'static str>,
    pub backend_image: PerEnv<&'static str>,
    pub keycloak_image: PerEnv<&'static str>,
    pub cr8tor_publisher: PerEnv<&'static str>,
    /// The cert-manager chart lives in the shared base: one value for every environment.
    pub cert_manager_chart: &'static str,
    /// The Azure workload identity client ID external-dns uses in stg.
    pub externaldns_stg_client_id: &'static str,
    pub gitea_pdb: PerEnv<bool>,
}

impl RepoState {
    /// The state of the first commit: nothing but the ApplicationSets.
    pub(super) fn initial() -> Self {
        Self {
            agnostics: false,
            apps: false,
            env_labels: false,
            jupyterhub_chart: PerEnv::all("4.1.0"),
            backend_image: PerEnv::all("v1.2.0"),
            keycloak_image: PerEnv::all("26.1.4"),
            cr8tor_publisher: PerEnv::all("0.1.64"),
            cert_manager_chart: "1.17.2",
            externaldns_stg_client_id: "5f0c2b7e-3d41-4a8e-9b6c-1e2f3a4b5c6d",
            gitea_pdb: PerEnv::all(false),
        }
    }
}

/// The repository's files: repo-relative path → text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Files(BTreeMap<String, String>);

impl Files {
    pub(super) fn add(&mut self, path: impl Into<String>, text: impl Into<String>) {
        self.0.insert(path.into(), text.into());
    }

    pub(super) fn get(&self, path: &str) -> Option<&str> {
        self.0.get(path).map(String::as_str)
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0
            .iter()
            .map(|(path, text)| (path.as_str(), text.as_str()))
    }

    pub(super) fn paths(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }
}

/// The opening of every kustomization file.
pub(super) const KUSTOMIZATION: &str =
    "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n";

/// An env overlay's `kustomization.yaml`: `body` plus, once the history has introduced it,
/// the environment label every overlay carries.
pub(super) fn overlay(state: &RepoState, env: &str, body: &str) -> String {
    let mut text = format!("{KUSTOMIZATION}\n{body}");
    if state.env_labels {
        if !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(&format!(
            "\nlabels:\n  - pairs:\n      k8tre.io/environment: {env}\n    includeSelectors: false\n"
        ));
    }
    text
}

/// The envs whose vendor is one of `vendors`: vendor-specific components only get env dirs
/// where the demo estate has a cluster of that vendor.
pub(super) fn envs_for(vendors: &[Vendor]) -> Vec<Env> {
    Env::ALL
        .into_iter()
        .filter(|env| vendors.contains(&env.vendor()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlay_adds_the_label_block_only_once_introduced() {
        let mut state = RepoState::initial();
        let plain = overlay(&state, "dev", "resources:\n  - ../../base\n");
        assert!(!plain.contains("labels:"));
        state.env_labels = true;
        let labelled = overlay(&state, "dev", "resources:\n  - ../../base\n");
        assert!(labelled.contains("k8tre.io/environment: dev"));
        let value: serde_yaml::Value = serde_yaml::from_str(&labelled).expect("yaml");
        assert_eq!(value["resources"][0], "../../base");
        assert_eq!(value["labels"][0]["includeSelectors"], false);
    }

    #[test]
    fn envs_for_keeps_the_promotion_order() {
        assert_eq!(
            envs_for(&[Vendor::Aws, Vendor::K3s]),
            vec![Env::Dev, Env::Prd]
        );
        assert!(envs_for(&[]).is_empty());
    }
}

//! The promotable values of the demo repository (chart versions and image tags in env
//! overlays), read back from any tree, and the promotions they imply: a value that is newer
//! in an environment than in the next one along dev → stg → prd is waiting to be promoted.

use std::cmp::Ordering;

use serde_yaml::Value;

use crate::domain::env::Environment;
use crate::gitops::tree::RepoTree;

/// One promotable value in one environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromotableVersion {
    /// The app directory, e.g. `jupyterhub`.
    pub component: String,
    /// What the value is, e.g. `chart jupyterhub` or `image k8tre-backend`.
    pub what: String,
    pub environment: Environment,
    /// The env overlay directory it was read from.
    pub dir: String,
    pub version: String,
}

/// A value newer in `from_env` than in `to_env`, the next environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingPromotion {
    pub component: String,
    pub from_env: Environment,
    pub to_env: Environment,
    pub from_dir: String,
    pub to_dir: String,
    /// e.g. `chart jupyterhub 4.3.0 (stg has 4.2.0)`.
    pub description: String,
}

/// Where a promotable value lives and how to read it.
struct Tracked {
    component: &'static str,
    what: &'static str,
    file: &'static str,
    read: fn(&Value) -> Option<String>,
}

const TRACKED: [Tracked; 4] = [
    Tracked {
        component: "jupyterhub",
        what: "chart jupyterhub",
        file: "kustomization.yaml",
        read: |doc| helm_chart_version(doc, "jupyterhub"),
    },
    Tracked {
        component: "backend",
        what: "image k8tre-backend",
        file: "image-patch.yaml",
        read: |doc| container_image_tag(doc, "backend"),
    },
    Tracked {
        component: "keycloak",
        what: "image keycloak",
        file: "kustomization.yaml",
        read: |doc| image_new_tag(doc, "quay.io/keycloak/keycloak"),
    },
    Tracked {
        component: "cr8tor",
        what: "chart cr8tor-publisher",
        file: "kustomization.yaml",
        read: |doc| helm_chart_version(doc, "cr8tor-publisher"),
    },
];

/// Every tracked value in every canonical environment where it can be read.
pub fn promotable_versions(tree: &dyn RepoTree) -> Vec<PromotableVersion> {
    let mut out = Vec::new();
    for tracked in &TRACKED {
        for environment in Environment::PROMOTION_ORDER {
            let dir = format!("apps/{}/envs/{}", tracked.component, environment);
            let Some(text) = tree.read_file(&format!("{dir}/{}", tracked.file)) else {
                continue;
            };
            let Ok(doc) = serde_yaml::from_str::<Value>(&text) else {
                tracing::warn!(dir, file = tracked.file, "unreadable YAML in env overlay");
                continue;
            };
            if let Some(version) = (tracked.read)(&doc) {
                out.push(PromotableVersion {
                    component: tracked.component.to_string(),
                    what: tracked.what.to_string(),
                    environment,
                    dir,
                    version,
                });
            }
        }
    }
    out
}

/// The promotions waiting in `tree`: for each tracked value, each step dev → stg and
/// stg → prd where the earlier environment has the newer version.
pub fn pending_promotions(tree: &dyn RepoTree) -> Vec<PendingPromotion> {
    let versions = promotable_versions(tree);
    let mut out = Vec::new();
    for from in &versions {
        let Some(next) = from.environment.next() else {
            continue;
        };
        let to = versions
            .iter()
            .find(|v| v.what == from.what && v.environment == next);
        let Some(to) = to else { continue };
        if compare_versions(&from.version, &to.version) == Ordering::Greater {
            out.push(PendingPromotion {
                component: from.component.clone(),
                from_env: from.environment.clone(),
                to_env: to.environment.clone(),
                from_dir: from.dir.clone(),
                to_dir: to.dir.clone(),
                description: format!(
                    "{} {} ({} has {})",
                    from.what, from.version, to.environment, to.version
                ),
            });
        }
    }
    out
}

fn helm_chart_version(doc: &Value, chart: &str) -> Option<String> {
    doc.get("helmCharts")?
        .as_sequence()?
        .iter()
        .find(|entry| entry.get("name").and_then(Value::as_str) == Some(chart))?
        .get("version")
        .and_then(scalar)
}

fn image_new_tag(doc: &Value, image: &str) -> Option<String> {
    doc.get("images")?
        .as_sequence()?
        .iter()
        .find(|entry| entry.get("name").and_then(Value::as_str) == Some(image))?
        .get("newTag")
        .and_then(scalar)
}

fn container_image_tag(doc: &Value, container: &str) -> Option<String> {
    let image = doc
        .get("spec")?
        .get("template")?
        .get("spec")?
        .get("containers")?
        .as_sequence()?
        .iter()
        .find(|c| c.get("name").and_then(Value::as_str) == Some(container))?
        .get("image")?
        .as_str()?;
    // The tag follows the last ':' unless that ':' belongs to a registry port.
    let (_, tag) = image.rsplit_once(':')?;
    (!tag.contains('/')).then(|| tag.to_string())
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// Orders version strings the way semver does (`v` prefix optional, missing parts are 0,
/// a pre-release sorts before its release, build metadata ignored). Parts that are not
/// numbers compare as text.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    let (a_core, a_pre) = split_version(a);
    let (b_core, b_pre) = split_version(b);
    let parts = a_core.len().max(b_core.len());
    for i in 0..parts {
        let x = a_core.get(i).copied().unwrap_or("0");
        let y = b_core.get(i).copied().unwrap_or("0");
        let order = compare_identifiers(x, y);
        if order != Ordering::Equal {
            return order;
        }
    }
    match (a_pre, b_pre) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => {
            let xs: Vec<&str> = x.split('.').collect();
            let ys: Vec<&str> = y.split('.').collect();
            for (p, q) in xs.iter().zip(&ys) {
                let order = compare_identifiers(p, q);
                if order != Ordering::Equal {
                    return order;
                }
            }
            xs.len().cmp(&ys.len())
        }
    }
}

fn split_version(version: &str) -> (Vec<&str>, Option<&str>) {
    let version = version.trim();
    let version = version.strip_prefix(['v', 'V']).unwrap_or(version);
    let version = version.split_once('+').map_or(version, |(core, _)| core);
    let (core, pre) = match version.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (version, None),
    };
    (core.split('.').collect(), pre)
}

/// Numeric identifiers compare as numbers and sort before textual ones.
fn compare_identifiers(a: &str, b: &str) -> Ordering {
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        (Ok(_), Err(_)) => Ordering::Less,
        (Err(_), Ok(_)) => Ordering::Greater,
        (Err(_), Err(_)) => a.cmp(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn versions_order_like_semver() {
        use Ordering::*;
        assert_eq!(compare_versions("4.3.0", "4.2.0"), Greater);
        assert_eq!(compare_versions("v1.10.0", "v1.9.9"), Greater);
        assert_eq!(compare_versions("v1.3.0", "1.3"), Equal);
        assert_eq!(compare_versions("0.1.0-beta.2", "0.1.0"), Less);
        assert_eq!(compare_versions("0.1.0-beta.2", "0.1.0-beta.10"), Less);
        assert_eq!(compare_versions("0.1.0-alpha", "0.1.0-beta"), Less);
        assert_eq!(compare_versions("1.0.0+build.5", "1.0.0"), Equal);
        assert_eq!(compare_versions("26.2.5", "26.1.4"), Greater);
    }

    #[test]
    fn image_tags_ignore_registry_ports() {
        let doc: Value = serde_yaml::from_str(
            "spec:\n  template:\n    spec:\n      containers:\n        - name: backend\n          \
             image: registry:5000/k8tre/backend\n",
        )
        .expect("yaml");
        assert_eq!(container_image_tag(&doc, "backend"), None);
        let doc: Value = serde_yaml::from_str(
            "spec:\n  template:\n    spec:\n      containers:\n        - name: backend\n          \
             image: registry:5000/k8tre/backend:v2.0.1\n",
        )
        .expect("yaml");
        assert_eq!(
            container_image_tag(&doc, "backend").as_deref(),
            Some("v2.0.1")
        );
    }

    proptest! {
        #[test]
        fn comparison_is_antisymmetric(a in "v?[0-9]{1,3}(\\.[0-9]{1,3}){0,2}(-[a-z0-9.]{1,6})?",
                                       b in "v?[0-9]{1,3}(\\.[0-9]{1,3}){0,2}(-[a-z0-9.]{1,6})?") {
            prop_assert_eq!(compare_versions(&a, &b), compare_versions(&b, &a).reverse());
            prop_assert_eq!(compare_versions(&a, &a), Ordering::Equal);
        }

        #[test]
        fn plain_versions_order_like_number_tuples(a in (0u64..50, 0u64..50, 0u64..50),
                                                   b in (0u64..50, 0u64..50, 0u64..50)) {
            let text = |(x, y, z): (u64, u64, u64)| format!("{x}.{y}.{z}");
            prop_assert_eq!(compare_versions(&text(a), &text(b)), a.cmp(&b));
        }
    }
}

//! ArgoCD on the management cluster: components, the kustomize-with-envsubst plugin and
//! `kustomize.buildOptions` (argocd.md §7, k8tre.md §3.4, §5 steps 8-9).

use super::{Check, Outcome, PreflightInput, Spec};
use crate::domain::estate::{ArgoCdFacts, Readiness};

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

pub(super) fn argocd_components(input: &PreflightInput) -> Check {
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

pub(super) fn argocd_cmp_plugin(input: &PreflightInput) -> Check {
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

pub(super) fn argocd_kustomize_build_options(input: &PreflightInput) -> Check {
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

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::*;

fn tree(files: &[(&str, &str)]) -> BTreeMap<String, String> {
    files
        .iter()
        .map(|(p, t)| (p.to_string(), t.to_string()))
        .collect()
}

fn find<'a>(r: &'a Rendered, kind: &str, name_prefix: &str) -> &'a Value {
    r.manifests
        .iter()
        .find(|m| {
            m["kind"] == kind
                && m["metadata"]["name"]
                    .as_str()
                    .is_some_and(|n| n.starts_with(name_prefix))
        })
        .unwrap_or_else(|| panic!("no {kind} {name_prefix}* in {:#?}", r.manifests))
}

const BASE_DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata: {name: backend}
spec:
  selector: {matchLabels: {app: backend}}
  template:
    metadata: {labels: {app: backend}}
    spec:
      containers:
      - name: backend
        image: ghcr.io/k8tre/k8tre-backend:v1.3.0
        env: [{name: DOMAIN, value: 'api.${DOMAIN}'}]
        envFrom: [{configMapRef: {name: backend-config}}]
";

fn overlay(extra: &str) -> BTreeMap<String, String> {
    tree(&[
        (
            "apps/backend/base/kustomization.yaml",
            "resources: [deployment.yaml, service.yaml]\n",
        ),
        ("apps/backend/base/deployment.yaml", BASE_DEPLOYMENT),
        (
            "apps/backend/base/service.yaml",
            "apiVersion: v1\nkind: Service\nmetadata: {name: backend}\nspec: {selector: {app: backend}, ports: [{port: 80}]}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: backend-reader}\n",
        ),
        ("apps/backend/envs/dev/kustomization.yaml", extra),
        (
            "apps/backend/envs/dev/image-patch.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: backend}\nspec:\n  template:\n    spec:\n      containers:\n      - name: backend\n        image: ghcr.io/k8tre/k8tre-backend:v1.4.0\n",
        ),
        (
            "apps/backend/envs/dev/config.env",
            "LOG_LEVEL=debug\n# comment\nFEATURE=on\n",
        ),
    ])
}

#[test]
fn overlay_with_namespace_patch_labels_and_generator() {
    let files = overlay(
        "namespace: backend
resources: [../../base]
patches:
- path: image-patch.yaml
  target: {kind: Deployment, name: backend}
labels:
- pairs: {k8tre.io/environment: dev}
  includeSelectors: false
configMapGenerator:
- name: backend-config
  envs: [config.env]
",
    );
    let env = BTreeMap::from([("DOMAIN".to_string(), "dev.k8tre.org".to_string())]);
    let r = render(&files, "apps/backend/envs/dev", &env).expect("renders");
    let d = find(&r, "Deployment", "backend");
    assert_eq!(d["metadata"]["namespace"], "backend");
    assert_eq!(d["metadata"]["labels"]["k8tre.io/environment"], "dev");
    assert!(
        d["spec"]["selector"]["matchLabels"]
            .get("k8tre.io/environment")
            .is_none(),
        "includeSelectors: false"
    );
    let container = &d["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["image"], "ghcr.io/k8tre/k8tre-backend:v1.4.0");
    assert_eq!(
        container["env"][0]["value"], "api.dev.k8tre.org",
        "plugin env substituted"
    );
    let cm = find(&r, "ConfigMap", "backend-config-");
    assert_eq!(cm["data"]["LOG_LEVEL"], "debug");
    assert_eq!(
        container["envFrom"][0]["configMapRef"]["name"], cm["metadata"]["name"],
        "reference follows the hash"
    );
    let role = find(&r, "ClusterRole", "backend-reader");
    assert!(
        role["metadata"].get("namespace").is_none(),
        "cluster-scoped kinds keep no namespace"
    );
}

#[test]
fn images_transformer_and_json6902() {
    let files = overlay(
        "resources: [../../base]
images:
- {name: ghcr.io/k8tre/k8tre-backend, newTag: v2.0.0}
patches:
- target: {kind: Service, name: backend}
  patch: |-
    - op: replace
      path: /spec/ports/0/port
      value: 8080
",
    );
    let r = build(&files, "apps/backend/envs/dev").expect("renders");
    assert_eq!(
        find(&r, "Deployment", "backend")["spec"]["template"]["spec"]["containers"][0]["image"],
        "ghcr.io/k8tre/k8tre-backend:v2.0.0"
    );
    assert_eq!(
        find(&r, "Service", "backend")["spec"]["ports"][0]["port"],
        8080
    );
}

#[test]
fn helm_charts_become_versioned_synthetic_workloads() {
    let files = tree(&[
        (
            "apps/jupyterhub/envs/dev/kustomization.yaml",
            "helmCharts:\n- {name: jupyterhub, repo: 'https://hub.jupyter.org/helm-chart/', version: 4.3.0, releaseName: jupyterhub, namespace: jupyterhub, valuesFile: values.yaml}\n",
        ),
        (
            "apps/jupyterhub/envs/dev/values.yaml",
            "hub: {replicas: 1}\n",
        ),
    ]);
    let r = build(&files, "apps/jupyterhub/envs/dev").expect("renders");
    assert_eq!(r.charts[0].version, "4.3.0");
    let d = find(&r, "Deployment", "jupyterhub");
    assert_eq!(d["metadata"]["labels"]["helm.sh/chart"], "jupyterhub-4.3.0");
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"][0]["image"],
        "hub.jupyter.org/jupyterhub:4.3.0"
    );
    assert_eq!(
        find(&r, "ConfigMap", "jupyterhub-values")["data"]["values.yaml"],
        "hub: {replicas: 1}\n"
    );
}

#[test]
fn errors_name_the_file() {
    let missing = tree(&[("a/kustomization.yaml", "resources: [nope.yaml]\n")]);
    let e = build(&missing, "a").expect_err("missing resource");
    assert_eq!(e.path, "a/kustomization.yaml");
    assert!(e.message.contains("nope.yaml"));
    let bad_yaml = tree(&[
        ("a/kustomization.yaml", "resources: [x.yaml]\n"),
        ("a/x.yaml", "kind: [unclosed\n"),
    ]);
    let e = build(&bad_yaml, "a").expect_err("bad yaml");
    assert_eq!(e.path, "a/x.yaml");
    assert!(e.message.contains("line"));
    let no_target = tree(&[
        (
            "a/kustomization.yaml",
            "resources: [x.yaml]\npatches: [{path: p.yaml}]\n",
        ),
        (
            "a/x.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
        ),
        (
            "a/p.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: other}\ndata: {a: b}\n",
        ),
    ]);
    assert!(
        build(&no_target, "a")
            .expect_err("unmatched patch")
            .message
            .contains("no resource matches")
    );
    let cycle = tree(&[
        ("a/kustomization.yaml", "resources: [../b]\n"),
        ("b/kustomization.yaml", "resources: [../a]\n"),
    ]);
    assert!(
        build(&cycle, "a")
            .expect_err("cycle")
            .message
            .contains("cycle")
    );
    assert!(build(&tree(&[]), "nowhere").is_err());
}

#[test]
fn unsupported_fields_are_warnings() {
    let files = tree(&[("a/kustomization.yaml", "namePrefix: x-\nresources: []\n")]);
    let r = build(&files, "a").expect("renders");
    assert!(r.warnings[0].contains("namePrefix"));
}

#[test]
fn joins_relative_paths() {
    assert_eq!(
        join("apps/backend/envs/dev", "../../base"),
        "apps/backend/base"
    );
    assert_eq!(join("a", "./b/c.yaml"), "a/b/c.yaml");
    assert_eq!(join("", "a"), "a");
}

#[test]
fn env_substitution_leaves_unknown_variables() {
    let mut v = json!({"a": "${DOMAIN}/${OTHER}", "b": ["${DOMAIN}"]});
    substitute_env(
        &mut v,
        &BTreeMap::from([("DOMAIN".to_string(), "x.org".to_string())]),
    );
    assert_eq!(v, json!({"a": "x.org/${OTHER}", "b": ["x.org"]}));
}

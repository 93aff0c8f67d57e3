//! Tests of the demo repository as a whole: layout, ApplicationSets against the demo
//! clusters, history, determinism, reuse, and an independent render with `kubectl kustomize`.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde::Deserialize as _;
use serde_yaml::Value;
use tempfile::TempDir;

use super::*;
use crate::domain::env::Environment;
use crate::gitops::tree::RepoTree;

struct Fixture {
    _tmp: TempDir,
    repo: DemoRepo,
    opts: DemoRepoOptions,
}

fn options(tmp: &TempDir) -> DemoRepoOptions {
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).expect("home");
    DemoRepoOptions {
        repo_url: None,
        git_home: Some(home),
    }
}

fn fixture() -> Fixture {
    let tmp = TempDir::new().expect("tmp");
    let opts = options(&tmp);
    let repo = create_demo_repo(&tmp.path().join("demo"), &opts).expect("create demo repo");
    Fixture {
        _tmp: tmp,
        repo,
        opts,
    }
}

fn head_tree(f: &Fixture) -> RevisionTree {
    RevisionTree::load(f.repo.git().clone(), "HEAD").expect("HEAD tree")
}

fn yaml(tree: &dyn RepoTree, path: &str) -> Value {
    let text = tree
        .read_file(path)
        .unwrap_or_else(|| panic!("{path} missing"));
    serde_yaml::from_str(&text).unwrap_or_else(|err| panic!("{path}: {err}"))
}

const AGNOSTICS: [&str; 14] = [
    "ad",
    "cert-manager",
    "cluster-autoscaler",
    "cnpg",
    "default-network-policy",
    "external-secrets",
    "externaldns",
    "gateway",
    "kare-dns",
    "loadbalancer",
    "nginx",
    "object-storage",
    "secret-store",
    "storage-class",
];

const APPS: [&str; 7] = [
    "backend",
    "cr8tor",
    "gitea",
    "guacamole",
    "jupyterhub",
    "keycloak",
    "observability-metrics",
];

/// Env dirs upstream carries that no demo cluster deploys.
const STRAY_ENV_DIRS: [&str; 2] = [
    "apps/jupyterhub/envs/prod",
    "agnostics/cert-manager/envs/dev",
];

/// Every `.../envs/<env>` directory.
fn env_dirs(tree: &dyn RepoTree) -> Vec<String> {
    tree.directories()
        .into_iter()
        .filter(|dir| {
            let parts: Vec<&str> = dir.split('/').collect();
            parts.len() >= 2 && parts[parts.len() - 2] == "envs"
        })
        .collect()
}

#[test]
fn history_has_at_least_twelve_commits_with_fixed_authors() {
    let f = fixture();
    assert!(f.repo.commits.len() >= 12, "{}", f.repo.commits.len());
    assert_eq!(f.repo.commits.len(), history::HISTORY.len());
    assert_eq!(f.repo.commits[0].sha, f.repo.head);
    assert_eq!(f.repo.git().head().expect("head"), f.repo.head);
    for commit in &f.repo.commits {
        assert!(
            ["Alex Morgan", "Sam Okafor"].contains(&commit.author.as_str()),
            "{commit:?}"
        );
    }
    let oldest = f.repo.commits.last().expect("oldest");
    assert_eq!(oldest.date.to_rfc3339(), "2026-03-02T09:12:00+00:00");
    assert!(
        f.repo
            .commits
            .iter()
            .any(|c| c.subject == "promote(jupyterhub): 4.2.0 dev → stg")
    );
    assert!(f.repo.repo_url.starts_with("file://"));
}

#[test]
fn every_component_directory_exists_in_its_upstream_layout() {
    let f = fixture();
    let tree = head_tree(&f);
    let dirs = tree.directories();
    let has = |dir: &str| dirs.iter().any(|d| d == dir);
    for component in AGNOSTICS {
        assert!(
            has(&format!("agnostics/{component}")),
            "agnostics/{component}"
        );
    }
    for app in APPS {
        assert!(has(&format!("apps/{app}/base")), "apps/{app}/base");
        assert!(has(&format!("apps/{app}/envs")), "apps/{app}/envs");
    }
    for neutral in ["ad", "cnpg", "external-secrets"] {
        for env in ["dev", "stg", "prd"] {
            assert!(has(&format!("agnostics/{neutral}/envs/{env}")));
        }
    }

    // Vendor-specific: env dirs only where the demo estate has that vendor.
    let vendors_of = |component: &str| -> Vec<String> {
        let prefix = format!("agnostics/{component}/");
        let mut vendors: Vec<String> = dirs
            .iter()
            .filter_map(|d| d.strip_prefix(&prefix))
            .filter(|rest| !rest.contains('/') && *rest != "base" && *rest != "envs")
            .map(str::to_string)
            .collect();
        vendors.sort();
        vendors
    };
    assert_eq!(vendors_of("secret-store"), ["aws", "kubernetes"]);
    assert_eq!(vendors_of("kare-dns"), ["k3s"]);
    assert_eq!(vendors_of("cluster-autoscaler"), ["aws"]);
    assert_eq!(vendors_of("default-network-policy"), ["aws"]);
    assert_eq!(vendors_of("loadbalancer"), ["aws", "k3s"]);
    assert_eq!(vendors_of("nginx"), ["azure", "k3s"]);
    assert_eq!(vendors_of("object-storage"), ["azure", "k3s"]);
    assert_eq!(vendors_of("storage-class"), ["aws", "azure", "k3s"]);
    assert_eq!(
        tree.list_files("agnostics/storage-class/aws"),
        ["agnostics/storage-class/aws/README.md"]
    );
    assert!(has("agnostics/gateway/k3s/envs/dev"));
    assert!(has("agnostics/gateway/azure/envs/stg"));
    assert!(has("agnostics/gateway/aws/envs/prd"));
    assert!(!has("agnostics/gateway/k3s/envs/prd"));
    assert!(has("agnostics/externaldns/azure/envs/stg"));
    assert!(!has("agnostics/externaldns/azure/envs/dev"));

    // Upstream's quirks.
    for stray in STRAY_ENV_DIRS {
        assert!(has(stray), "{stray}");
    }
    let prod = yaml(&tree, "apps/jupyterhub/envs/prod/kustomization.yaml");
    assert_eq!(prod["helmCharts"][0]["version"], "4.0.0");
    assert!(prod["helmCharts"][0].get("valuesFile").is_none());
    let observability: Vec<String> = env_dirs(&tree)
        .into_iter()
        .filter(|d| d.starts_with("apps/observability-metrics/"))
        .collect();
    assert_eq!(observability, ["apps/observability-metrics/envs/prd"]);
}

#[test]
fn every_applicationset_parses_with_a_matrix_generator_on_this_repo() {
    let f = fixture();
    let tree = head_tree(&f);
    let files: Vec<String> = tree
        .list_files("appsets")
        .into_iter()
        .filter(|p| p.ends_with(".yaml") && p != "appsets/kustomization.yaml")
        .collect();
    assert_eq!(files.len(), 21);
    assert_eq!(files.len(), appsets::APPSET_COUNT);
    for file in &files {
        let set = yaml(&tree, file);
        assert_eq!(set["kind"], "ApplicationSet", "{file}");
        assert_eq!(set["spec"]["goTemplate"], true, "{file}");
        let children = set["spec"]["generators"][0]["matrix"]["generators"]
            .as_sequence()
            .unwrap_or_else(|| panic!("{file}: no matrix generator"));
        assert_eq!(children.len(), 2, "{file}");
        let git = &children[0]["git"];
        assert_eq!(
            git["repoURL"].as_str(),
            Some(f.repo.repo_url.as_str()),
            "{file}"
        );
        assert_eq!(git["revision"], DEMO_REVISION, "{file}");
        assert!(children[1]["clusters"]["selector"]["matchLabels"]["environment"].is_string());
    }
    let kustomization = yaml(&tree, "appsets/kustomization.yaml");
    let listed: Vec<String> = kustomization["resources"]
        .as_sequence()
        .expect("resources")
        .iter()
        .filter_map(|r| r.as_str().map(|r| format!("appsets/{r}")))
        .collect();
    let mut sorted = listed.clone();
    sorted.sort();
    assert_eq!(sorted, files);
    let root = yaml(&tree, "app_of_apps/root-app-of-apps.yaml");
    assert_eq!(root["metadata"]["name"], "root-app-of-apps");
    assert_eq!(
        root["spec"]["source"]["repoURL"].as_str(),
        Some(f.repo.repo_url.as_str())
    );
}

/// A minimal ApplicationSet evaluation (Go `path.Match` segments, matchLabels equality with
/// `{{index .path.segments N}}` substituted, `NotIn` skip labels) — enough to check that the
/// demo layout and [`DEMO_CLUSTERS`] fit each other.
fn expected_applications(tree: &dyn RepoTree) -> BTreeMap<String, Vec<String>> {
    let dirs = tree.directories();
    let mut by_dir: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for file in tree.list_files("appsets") {
        if file == "appsets/kustomization.yaml" || !file.ends_with(".yaml") {
            continue;
        }
        let set = yaml(tree, &file);
        let children = &set["spec"]["generators"][0]["matrix"]["generators"];
        let pattern = children[0]["git"]["directories"][0]["path"]
            .as_str()
            .expect("pattern");
        let selector = &children[1]["clusters"]["selector"];
        for dir in dirs.iter().filter(|d| path_matches(pattern, d)) {
            let segments: Vec<&str> = dir.split('/').collect();
            let clusters: Vec<String> = DEMO_CLUSTERS
                .iter()
                .filter(|cluster| selects(selector, &segments, cluster))
                .map(|cluster| cluster.name.to_string())
                .collect();
            by_dir.entry(dir.clone()).or_default().extend(clusters);
        }
    }
    by_dir
}

fn path_matches(pattern: &str, dir: &str) -> bool {
    let p: Vec<&str> = pattern.split('/').collect();
    let d: Vec<&str> = dir.split('/').collect();
    p.len() == d.len() && p.iter().zip(&d).all(|(p, d)| *p == "*" || p == d)
}

fn selects(selector: &Value, segments: &[&str], cluster: &DemoCluster) -> bool {
    let label = |key: &str| cluster.label(key);
    let labels_ok = selector["matchLabels"]
        .as_mapping()
        .expect("matchLabels")
        .iter()
        .all(|(key, value)| {
            let key = key.as_str().expect("key");
            let value = value.as_str().expect("value");
            let wanted = match value
                .strip_prefix("{{index .path.segments ")
                .and_then(|rest| rest.strip_suffix("}}"))
            {
                Some(index) => segments[index.parse::<usize>().expect("index")],
                None => value,
            };
            label(key) == Some(wanted)
        });
    let expressions_ok = selector["matchExpressions"]
        .as_sequence()
        .map(|exprs| {
            exprs.iter().all(|expr| {
                assert_eq!(expr["operator"], "NotIn");
                let values: Vec<&str> = expr["values"]
                    .as_sequence()
                    .expect("values")
                    .iter()
                    .filter_map(Value::as_str)
                    .collect();
                label(expr["key"].as_str().expect("key")).is_none_or(|v| !values.contains(&v))
            })
        })
        .unwrap_or(true);
    labels_ok && expressions_ok
}

#[test]
fn each_canonical_env_dir_is_deployed_to_exactly_one_demo_cluster() {
    let f = fixture();
    let tree = head_tree(&f);
    let expected = expected_applications(&tree);
    for dir in env_dirs(&tree) {
        if dir == "agnostics/cert-manager/envs/dev" {
            assert!(!expected.contains_key(&dir), "{dir} must match no pattern");
            continue;
        }
        let clusters = expected
            .get(&dir)
            .unwrap_or_else(|| panic!("{dir} matches no ApplicationSet"));
        if STRAY_ENV_DIRS.contains(&dir.as_str()) {
            assert!(clusters.is_empty(), "{dir} → {clusters:?}");
        } else {
            assert_eq!(clusters.len(), 1, "{dir} → {clusters:?}");
            let env = dir.rsplit('/').next().expect("env");
            assert_eq!(clusters[0], format!("k8tre-{env}"), "{dir}");
        }
    }
    let total: usize = expected.values().map(Vec::len).sum();
    let per_cluster = |name: &str| {
        expected
            .values()
            .filter(|clusters| clusters.iter().any(|c| c == name))
            .count()
    };
    // dev: 12 agnostics (no cluster-autoscaler, default-network-policy) + 6 apps;
    // stg: 10 agnostics (no kare-dns, loadbalancer, autoscaler, network policy) + 6 apps;
    // prd: 10 agnostics (no kare-dns, nginx, object-storage, storage-class) + 7 apps.
    assert_eq!(per_cluster("k8tre-dev"), 18);
    assert_eq!(per_cluster("k8tre-stg"), 16);
    assert_eq!(per_cluster("k8tre-prd"), 17);
    assert_eq!(total, 51);
}

#[test]
fn dev_is_ahead_of_stg_and_stg_ahead_of_prd_at_head() {
    let f = fixture();
    let tree = head_tree(&f);
    let versions = promotable_versions(&tree);
    let version = |component: &str, env: Environment| -> String {
        versions
            .iter()
            .find(|v| v.component == component && v.environment == env)
            .map(|v| v.version.clone())
            .unwrap_or_else(|| panic!("no {component} version in {env}"))
    };
    let ahead = |component: &str, from: Environment, to: Environment| {
        compare_versions(
            &version(component, from.clone()),
            &version(component, to.clone()),
        ) == std::cmp::Ordering::Greater
    };
    assert!(ahead("jupyterhub", Environment::Dev, Environment::Stg));
    assert!(ahead("backend", Environment::Dev, Environment::Stg));
    assert!(ahead("keycloak", Environment::Stg, Environment::Prd));
    assert_eq!(version("jupyterhub", Environment::Dev), "4.3.0");
    assert_eq!(version("backend", Environment::Prd), "v1.3.0");
    assert_eq!(version("cr8tor", Environment::Prd), "0.1.65");

    let pending = &f.repo.pending_promotions;
    assert_eq!(pending, &pending_promotions(&tree));
    let dev_to_stg = pending
        .iter()
        .filter(|p| p.from_env == Environment::Dev && p.to_env == Environment::Stg)
        .count();
    let stg_to_prd = pending
        .iter()
        .filter(|p| p.from_env == Environment::Stg && p.to_env == Environment::Prd)
        .count();
    assert!(dev_to_stg >= 2, "{pending:#?}");
    assert!(stg_to_prd >= 1, "{pending:#?}");
    let keycloak = pending
        .iter()
        .find(|p| p.component == "keycloak")
        .expect("keycloak pending");
    assert_eq!(
        keycloak.description,
        "image keycloak 26.2.5 (prd has 26.1.4)"
    );
    assert_eq!(keycloak.to_dir, "apps/keycloak/envs/prd");
}

#[test]
fn every_canonical_env_dir_has_at_least_two_commits() {
    let f = fixture();
    let tree = head_tree(&f);
    for dir in env_dirs(&tree) {
        if STRAY_ENV_DIRS.contains(&dir.as_str()) {
            continue;
        }
        let commits = f.repo.git().log(Some(&dir), 50).expect("log");
        assert!(commits.len() >= 2, "{dir}: {commits:?}");
    }
    for app in APPS {
        let touching = f
            .repo
            .git()
            .log(Some(&format!("apps/{app}/envs")), 50)
            .expect("log");
        assert!(touching.len() >= 2, "{app}");
    }
}

#[test]
fn promotion_commits_touch_only_the_target_env_dir() {
    let f = fixture();
    let git = f.repo.git();
    let promotions: Vec<&Commit> = f
        .repo
        .commits
        .iter()
        .filter(|c| c.subject.starts_with("promote("))
        .collect();
    assert!(promotions.len() >= 5);
    for commit in promotions {
        let component = commit
            .subject
            .strip_prefix("promote(")
            .and_then(|rest| rest.split_once(')'))
            .map(|(component, _)| component)
            .expect("component");
        let target = commit.subject.rsplit(' ').next().expect("target env");
        let diff = git
            .diff(&format!("{}~1", commit.sha), &commit.sha, None)
            .expect("diff");
        let changed: Vec<&str> = diff
            .lines()
            .filter_map(|line| line.strip_prefix("+++ b/"))
            .collect();
        assert!(!changed.is_empty(), "{}", commit.subject);
        for path in changed {
            assert!(
                path.starts_with(&format!("apps/{component}/envs/{target}/")),
                "{}: {path}",
                commit.subject
            );
        }
    }
    let backend_to_prd = f
        .repo
        .commits
        .iter()
        .find(|c| c.subject == "promote(backend): v1.3.0 stg → prd")
        .expect("backend promotion");
    let diff = git
        .diff(
            &format!("{}~1", backend_to_prd.sha),
            &backend_to_prd.sha,
            None,
        )
        .expect("diff");
    assert!(
        diff.contains("-          image: ghcr.io/k8tre/k8tre-backend:v1.2.0"),
        "{diff}"
    );
    assert!(
        diff.contains("+          image: ghcr.io/k8tre/k8tre-backend:v1.3.0"),
        "{diff}"
    );
}

#[test]
fn creation_is_deterministic_for_the_same_inputs() {
    let tmp = TempDir::new().expect("tmp");
    let opts = DemoRepoOptions {
        repo_url: Some("https://git.example.org/k8tre/demo.git".into()),
        ..options(&tmp)
    };
    let a = create_demo_repo(&tmp.path().join("a"), &opts).expect("a");
    let b = create_demo_repo(&tmp.path().join("b"), &opts).expect("b");
    assert_eq!(a.head, b.head);
    let shas = |r: &DemoRepo| r.commits.iter().map(|c| c.sha.clone()).collect::<Vec<_>>();
    assert_eq!(shas(&a), shas(&b));

    let other = DemoRepoOptions {
        repo_url: Some("https://git.example.org/k8tre/other.git".into()),
        ..options(&tmp)
    };
    let c = create_demo_repo(&tmp.path().join("c"), &other).expect("c");
    assert_ne!(a.head, c.head, "the repo URL is part of the content");
}

#[test]
fn every_yaml_file_parses() {
    let f = fixture();
    let tree = head_tree(&f);
    let mut count = 0;
    for path in tree.list_files("") {
        if !(path.ends_with(".yaml") || path.ends_with(".yml")) {
            continue;
        }
        let text = tree.read_file(&path).expect("read");
        for document in serde_yaml::Deserializer::from_str(&text) {
            Value::deserialize(document).unwrap_or_else(|err| panic!("{path}: {err}"));
        }
        count += 1;
    }
    assert!(count > 100, "{count}");
}

#[test]
fn clusters_agree_with_the_layout_model() {
    for (cluster, env) in DEMO_CLUSTERS.iter().zip(model::Env::ALL) {
        let label = |key: &str| cluster.label(key);
        assert_eq!(
            cluster.label_map().len(),
            cluster.labels.len(),
            "duplicate label"
        );
        assert_eq!(cluster.environment, env.name());
        assert_eq!(label("environment"), Some(env.name()));
        assert_eq!(cluster.vendor, env.vendor().name());
        assert_eq!(label("vendor"), Some(env.vendor().name()));
        assert_eq!(label("external-dns"), Some(env.vendor().name()));
        assert_eq!(label("secret-store"), Some(env.secret_store()));
        assert_eq!(label("external-domain"), Some(env.domain()));
    }
}

#[test]
fn ensure_reuses_keeps_new_commits_recreates_stale_and_refuses_foreign_dirs() {
    let tmp = TempDir::new().expect("tmp");
    let opts = options(&tmp);
    let dir = tmp.path().join("demo");

    let first = ensure_demo_repo_with(&dir, &opts).expect("create");
    let fresh_head = first.head.clone();

    // A promotion made through the console is kept on reuse.
    let image_patch = dir.join("apps/backend/envs/stg/image-patch.yaml");
    let text = std::fs::read_to_string(&image_patch).expect("read");
    std::fs::write(&image_patch, text.replace("v1.3.0", "v1.4.0")).expect("write");
    let git = first.git();
    git.add_all().expect("add");
    let promoted = git
        .commit(
            "promote(backend): v1.4.0 dev → stg",
            &Identity::new("Console", "console@k8tre.example"),
            Some("2026-04-01T09:00:00+00:00"),
        )
        .expect("commit");
    let reused = ensure_demo_repo_with(&dir, &opts).expect("reuse");
    assert_eq!(reused.head, promoted);
    assert!(
        !reused
            .pending_promotions
            .iter()
            .any(|p| p.component == "backend" && p.to_env == Environment::Stg)
    );

    // An outdated format is recreated from scratch.
    let marker = marker_path(&dir);
    let text = std::fs::read_to_string(&marker).expect("marker");
    std::fs::write(
        &marker,
        text.replace(&format!("format: {FORMAT}"), "format: 0"),
    )
    .expect("write marker");
    let recreated = ensure_demo_repo_with(&dir, &opts).expect("recreate");
    assert_eq!(recreated.head, fresh_head);

    // So is one whose creation never finished.
    let text = std::fs::read_to_string(&marker).expect("marker");
    std::fs::write(&marker, text.replace("state: ready", "state: creating")).expect("write");
    assert_eq!(
        ensure_demo_repo_with(&dir, &opts).expect("again").head,
        fresh_head
    );

    // A directory that is not ours is never touched.
    let foreign = tmp.path().join("notes");
    std::fs::create_dir_all(&foreign).expect("foreign");
    std::fs::write(foreign.join("todo.txt"), "keep me").expect("write");
    let err = ensure_demo_repo_with(&foreign, &opts).expect_err("foreign dir");
    assert!(matches!(err, DemoRepoError::NotADemoRepo { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&foreign.display().to_string()),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(foreign.join("todo.txt")).expect("kept"),
        "keep me"
    );

    let err = create_demo_repo(&dir, &opts).expect_err("not empty");
    assert!(matches!(err, DemoRepoError::NotEmpty { .. }), "{err:?}");
}

#[test]
fn marker_round_trips() {
    let text = format!(
        "k8tre-console demo GitOps repository\nformat: {FORMAT}\nrepo_url: file:///x y\nstate: ready\n"
    );
    let marker = Marker::parse(&text).expect("parse");
    assert_eq!(marker.repo_url, "file:///x y");
    assert!(marker.is_current("file:///x y"));
    assert!(!marker.is_current("file:///elsewhere"));
    assert_eq!(Marker::parse("format: 1\n"), None);
}

/// Does rendering `dir` (transitively through local `resources`) need Helm?
fn needs_helm(dir: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(dir.join("kustomization.yaml")) else {
        return false;
    };
    let doc: Value = serde_yaml::from_str(&text).expect("kustomization yaml");
    if doc.get("helmCharts").is_some() {
        return true;
    }
    doc["resources"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|resource| dir.join(resource))
        .filter(|path| path.is_dir())
        .any(|path| needs_helm(&path))
}

fn kubectl_available() -> bool {
    Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .is_ok_and(|out| out.status.success())
}

#[test]
fn kubectl_kustomize_renders_every_env_dir_that_needs_no_helm() {
    if !kubectl_available() {
        eprintln!("kubectl not found: skipping the independent kustomize check");
        return;
    }
    let f = fixture();
    let tree = WorkingTree::new(&f.repo.path);
    let home = f.opts.git_home.clone().expect("home");
    let mut rendered: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for dir in env_dirs(&tree) {
        let full = f.repo.path.join(&dir);
        if needs_helm(&full) {
            continue;
        }
        // The same load restrictor ArgoCD's kustomize-with-envsubst plugin uses.
        let out = Command::new("kubectl")
            .args(["kustomize", "--load-restrictor", "LoadRestrictionsNone"])
            .arg(&full)
            .env("HOME", &home)
            .env("KUBECONFIG", home.join("no-kubeconfig"))
            .output()
            .expect("run kubectl");
        assert!(
            out.status.success(),
            "kubectl kustomize {dir} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).expect("utf-8");
        let docs: Vec<Value> = serde_yaml::Deserializer::from_str(&text)
            .map(|d| Value::deserialize(d).expect("rendered yaml"))
            .collect();
        assert!(!docs.is_empty(), "{dir} rendered nothing");
        rendered.insert(dir, docs);
    }
    assert!(rendered.len() >= 10, "only {:?}", rendered.keys());

    let find = |dir: &str, kind: &str, name: &str| -> Value {
        rendered
            .get(dir)
            .unwrap_or_else(|| panic!("{dir} not rendered"))
            .iter()
            .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{dir}: no {kind}/{name}"))
    };
    let container = |doc: &Value| doc["spec"]["template"]["spec"]["containers"][0].clone();

    let backend = find("apps/backend/envs/dev", "Deployment", "backend");
    assert_eq!(
        container(&backend)["image"],
        "ghcr.io/k8tre/k8tre-backend:v1.4.0"
    );
    assert_eq!(backend["metadata"]["namespace"], "backend");
    assert_eq!(backend["metadata"]["labels"]["k8tre.io/environment"], "dev");

    let keycloak_dev = find(
        "apps/keycloak/envs/dev",
        "StatefulSet",
        "keycloak-keycloakx",
    );
    assert_eq!(
        container(&keycloak_dev)["image"],
        "quay.io/keycloak/keycloak:26.2.5"
    );
    let keycloak_container = container(&keycloak_dev);
    let env_names: Vec<&str> = keycloak_container["env"]
        .as_sequence()
        .expect("env")
        .iter()
        .filter_map(|e| e["name"].as_str())
        .collect();
    assert!(env_names.contains(&"KC_LOG_LEVEL"), "{env_names:?}");
    let keycloak_prd = find(
        "apps/keycloak/envs/prd",
        "StatefulSet",
        "keycloak-keycloakx",
    );
    assert_eq!(
        container(&keycloak_prd)["image"],
        "quay.io/keycloak/keycloak:26.1.4"
    );
    let config = find("apps/keycloak/envs/prd", "ConfigMap", "keycloak-config");
    assert_eq!(config["data"]["ENVIRONMENT"], "${ENVIRONMENT}");
    let pdb = find("apps/keycloak/envs/prd", "Cluster", "keycloak-postgres");
    assert_eq!(pdb["spec"]["enablePDB"], true);

    let rwx = find(
        "agnostics/storage-class/azure/envs/stg",
        "StorageClass",
        "rwx-default",
    );
    assert_eq!(rwx["provisioner"], "file.csi.azure.com");
    let gateway = find(
        "agnostics/gateway/aws/envs/prd",
        "Gateway",
        "internal-gateway",
    );
    assert_eq!(
        gateway["spec"]["gatewayClassName"],
        "nodeport-gateway-class"
    );
    let issuer = find(
        "agnostics/gateway/azure/envs/stg",
        "Gateway",
        "internal-gateway",
    );
    assert_eq!(
        issuer["metadata"]["annotations"]["cert-manager.io/cluster-issuer"],
        "letsencrypt-ca"
    );
    let speaker = find(
        "agnostics/loadbalancer/k3s/envs/dev",
        "DaemonSet",
        "speaker",
    );
    assert_eq!(speaker["metadata"]["namespace"], "metallb-system");
}

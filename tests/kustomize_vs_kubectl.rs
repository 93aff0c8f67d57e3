//! The simulated kustomize renders the demo repository's env directories the way the real
//! kustomize embedded in kubectl does (for directories without helm charts).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use k8tre_console::domain::kustomize;
use k8tre_console::gitops::tree::{RepoTree, WorkingTree};
use k8tre_console::sim::demo_repo::{DemoRepoOptions, create_demo_repo};
use serde_json::Value;

fn key(v: &Value) -> (String, String, String) {
    let s = |p: &str| {
        v.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    (s("/kind"), s("/metadata/namespace"), s("/metadata/name"))
}

fn kubectl_kustomize(dir: &std::path::Path) -> Vec<Value> {
    let out = std::process::Command::new("kubectl")
        .args(["kustomize", "--load-restrictor", "LoadRestrictionsNone"])
        .arg(dir)
        .output()
        .expect("kubectl runs");
    assert!(
        out.status.success(),
        "kubectl kustomize {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_yaml::Deserializer::from_slice(&out.stdout)
        .map(|d| serde::Deserialize::deserialize(d).expect("yaml"))
        .filter(|v: &Value| !v.is_null())
        .collect()
}

#[test]
fn demo_env_directories_render_like_kubectl_kustomize() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = tempfile::tempdir().expect("home");
    let repo = create_demo_repo(
        &dir.path().join("repo"),
        &DemoRepoOptions {
            git_home: Some(home.path().to_path_buf()),
            ..Default::default()
        },
    )
    .expect("demo repo");
    let tree = WorkingTree::new(&repo.path);
    let env_dirs: Vec<String> = tree
        .directories()
        .into_iter()
        .filter(|d| {
            d.contains("/envs/")
                && RepoTree::read_file(&tree, &format!("{d}/kustomization.yaml")).is_some()
        })
        .collect();
    let mut compared = 0;
    for env_dir in &env_dirs {
        let ours = kustomize::build(&tree, env_dir).unwrap_or_else(|e| panic!("{env_dir}: {e}"));
        if !ours.charts.is_empty() {
            continue; // helm is not installable here; charts are synthetic by design
        }
        let theirs = kubectl_kustomize(&repo.path.join(env_dir));
        let ours_by_key: BTreeMap<_, _> = ours.manifests.iter().map(|m| (key(m), m)).collect();
        let theirs_by_key: BTreeMap<_, _> = theirs.iter().map(|m| (key(m), m)).collect();
        assert_eq!(
            ours_by_key.keys().collect::<Vec<_>>(),
            theirs_by_key.keys().collect::<Vec<_>>(),
            "{env_dir}: resource sets"
        );
        for (k, theirs) in &theirs_by_key {
            assert_eq!(ours_by_key[k], *theirs, "{env_dir}: {k:?}");
        }
        compared += 1;
    }
    assert!(compared >= 10, "compared {compared} directories");
}

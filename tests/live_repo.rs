//! `k8tre-console repo scan` and `repo expected` as a user runs them, on the demo GitOps
//! repository (upstream K8TRE's layout) and on a copy with a broken ApplicationSet.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

use k8tre_console::domain::appset::ClusterInfo;
use k8tre_console::gitops::scan::RepoScan;
use k8tre_console::sim::demo_repo::{DEMO_CLUSTERS, DemoRepo, DemoRepoOptions, create_demo_repo};
use serde_json::Value;

fn console(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_k8tre-console"))
        .args(args)
        .env_remove("K8TRE_CONSOLE_CONFIG")
        .output()
        .expect("the binary runs")
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "JSON: {e}\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn demo(dir: &Path) -> DemoRepo {
    create_demo_repo(
        &dir.join("repo"),
        &DemoRepoOptions {
            repo_url: None,
            git_home: Some(dir.join("home")),
        },
    )
    .expect("demo repo")
}

fn cluster_arg(name: &str) -> String {
    let demo = DEMO_CLUSTERS
        .iter()
        .find(|d| d.name == name)
        .expect("demo cluster");
    let labels: Vec<String> = demo
        .labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    format!("{name}:{}", labels.join(","))
}

#[test]
fn scan_reports_layers_components_and_generators() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = demo(dir.path());
    let path = repo.path.display().to_string();
    let out = console(&["repo", "scan", "--repo", &path, "--output", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out);
    assert_eq!(report["repo"], path);
    assert_eq!(report["applicationsets"].as_array().map(Vec::len), Some(21));
    assert_eq!(report["errors"].as_array().map(Vec::len), Some(0));
    let layers: Vec<&str> = report["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .filter_map(|l| l["layer"].as_str())
        .collect();
    assert_eq!(layers, vec!["agnostics", "application"]);
    let gateway = report["layers"][0]["components"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == "gateway"))
        .expect("gateway");
    assert_eq!(gateway["vendorSpecific"], true);
    assert!(
        gateway["environments"]
            .as_array()
            .is_some_and(|e| !e.is_empty()),
        "{gateway}"
    );
    let generator = &report["applicationsets"][0]["generators"][0]["matrix"]["generators"];
    assert!(
        generator[0]["git"].is_object() && generator[1]["clusters"].is_object(),
        "{generator}"
    );
    let table = console(&["repo", "scan", "--repo", &path]);
    assert!(String::from_utf8_lossy(&table.stdout).contains("jupyterhub"));
}

#[test]
fn expected_matches_the_evaluator_for_the_demo_clusters() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = demo(dir.path());
    let path = repo.path.display().to_string();
    let clusters: Vec<String> = ["k8tre-dev", "k8tre-stg", "k8tre-prd"]
        .map(cluster_arg)
        .to_vec();
    let mut args = vec!["repo", "expected", "--repo", &path, "--output", "json"];
    for c in &clusters {
        args.push("--cluster");
        args.push(c);
    }
    let out = console(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out);
    let apps = report["applications"].as_array().expect("applications");
    for app in apps {
        for key in ["name", "applicationset", "layer", "cluster", "path"] {
            assert!(app.get(key).is_some(), "{key} in {app}");
        }
    }
    let names: Vec<&str> = apps.iter().filter_map(|a| a["name"].as_str()).collect();
    // The same as evaluating the checkout in-process.
    let scan = RepoScan::checkout(&repo.path).expect("scan");
    let infos: Vec<ClusterInfo> = DEMO_CLUSTERS
        .iter()
        .map(|d| {
            let mut info = ClusterInfo::new(d.name, format!("https://{}", d.name));
            info.labels = d.label_map();
            info.labels
                .insert("argocd.argoproj.io/secret-type".into(), "cluster".into());
            info
        })
        .collect();
    let expected: Vec<String> = scan
        .expected(&infos)
        .applications
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(
        names,
        expected.iter().map(String::as_str).collect::<Vec<_>>()
    );
    assert!(names.contains(&"jupyterhub-k8tre-dev"));
    assert!(
        names.contains(&"externaldns-k8tre-stg"),
        "external-dns names its apps after the directory"
    );
}

#[test]
fn a_broken_applicationset_is_named_and_the_rest_still_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = demo(dir.path());
    std::fs::write(
        repo.path.join("appsets/workspaces/broken.yaml"),
        "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: broken\nspec:\n  generators: {not: a list}\n  template: {}\n",
    )
    .expect("write");
    let path = repo.path.display().to_string();
    let scan = console(&["repo", "scan", "--repo", &path, "--output", "json"]);
    assert_eq!(scan.status.code(), Some(1), "errors exit 1");
    let report = json(&scan);
    let errors = report["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["file"], "appsets/workspaces/broken.yaml");
    assert_eq!(errors[0]["line"], 6);
    assert!(
        errors[0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("generators")),
        "{}",
        errors[0]
    );
    assert_eq!(
        report["applicationsets"].as_array().map(Vec::len),
        Some(21),
        "the rest is read"
    );

    let dev = cluster_arg("k8tre-dev");
    let expected = console(&[
        "repo",
        "expected",
        "--repo",
        &path,
        "--cluster",
        &dev,
        "--output",
        "json",
    ]);
    assert_eq!(expected.status.code(), Some(1));
    let report = json(&expected);
    assert!(
        report["applications"]
            .as_array()
            .is_some_and(|a| a.len() > 10)
    );
    assert!(
        report["errors"][0]
            .as_str()
            .is_some_and(|e| e.starts_with("appsets/workspaces/broken.yaml:6:")),
        "{}",
        report["errors"]
    );

    let missing = console(&["repo", "scan", "--repo", "/nonexistent/checkout"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/checkout: does not exist")
    );
    let bad_cluster = console(&[
        "repo",
        "expected",
        "--repo",
        &path,
        "--cluster",
        "dev:environment",
    ]);
    assert_eq!(bad_cluster.status.code(), Some(2), "clap usage error");
    assert!(String::from_utf8_lossy(&bad_cluster.stderr).contains("expected key=value"));
}

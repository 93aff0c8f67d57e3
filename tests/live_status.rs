//! `k8tre-console status` as a user runs it (the real binary over real HTTPS against the
//! simulated estate), checked against what kubectl reads from the same estate.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod live_support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;

use live_support::{LEFT_OUT, STRAY, Scenario, scenario, viewer_kubeconfig};
use serde_json::Value;

async fn console(s: &Scenario, kubeconfig: &Path, args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_k8tre-console"))
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .arg("--config")
        .arg(s.config_path())
        .args(args)
        .env_remove("KUBECONFIG")
        .env_remove("K8TRE_CONSOLE_CONFIG")
        .env("HOME", s.dir.path())
        .kill_on_drop(true)
        .output()
        .await
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

async fn status_json(s: &Scenario, kubeconfig: &Path, extra: &[&str]) -> (Value, Output) {
    let repo = s.repo_path().display().to_string();
    let mut args = vec![
        "status",
        "--output",
        "json",
        "--repo",
        &repo,
        "--timeout",
        "30",
    ];
    args.extend_from_slice(extra);
    let out = console(s, kubeconfig, &args).await;
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "status JSON: {e}\nstdout: {}\nstderr: {}",
            text(&out.stdout),
            text(&out.stderr)
        )
    });
    (report, out)
}

/// name → (sync, health) as kubectl reads the Applications.
async fn kubectl_apps(
    s: &Scenario,
    cache: &Path,
    context: &str,
) -> BTreeMap<String, (String, String)> {
    let json = common::kubectl_ok(
        &s.estate,
        cache,
        &[
            "--context",
            context,
            "get",
            "applications.argoproj.io",
            "-n",
            "argocd",
            "-o",
            "json",
        ],
    )
    .await;
    let list: Value = serde_json::from_str(&json).expect("kubectl json");
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| {
            (
                item["metadata"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                (
                    item["status"]["sync"]["status"]
                        .as_str()
                        .unwrap_or("Unknown")
                        .to_string(),
                    item["status"]["health"]["status"]
                        .as_str()
                        .unwrap_or("Unknown")
                        .to_string(),
                ),
            )
        })
        .collect()
}

fn report_apps(report: &Value) -> BTreeMap<String, (String, String)> {
    report["applications"]
        .as_array()
        .expect("applications")
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap_or_default().to_string(),
                (
                    a["sync"].as_str().unwrap_or_default().to_string(),
                    a["health"].as_str().unwrap_or_default().to_string(),
                ),
            )
        })
        .collect()
}

fn cluster<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["clusters"]
        .as_array()
        .expect("clusters")
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("cluster {name} in {}", report["clusters"]))
}

fn cell<'a>(report: &'a Value, layer: &str, env: &str) -> &'a Value {
    report["matrix"]["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .find(|l| l["layer"] == layer)
        .and_then(|l| l["cells"].as_array())
        .and_then(|cells| cells.iter().find(|c| c["environment"] == env))
        .unwrap_or_else(|| panic!("cell {layer} {env}"))
}

/// Whether kubectl reaches the context's API server.
async fn kubectl_reaches(s: &Scenario, cache: &Path, context: &str) -> bool {
    common::kubectl(
        &s.estate,
        cache,
        &["--context", context, "get", "--raw", "/version"],
    )
    .await
    .status
    .success()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_json_agrees_with_kubectl() {
    let s = scenario().await;
    let cache = tempfile::tempdir().expect("cache");
    let (report, out) = status_json(&s, s.estate.kubeconfig_path(), &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(report["complete"], true);

    // Every Application's sync and health, exactly as kubectl reads them.
    let seen = report_apps(&report);
    let truth = kubectl_apps(&s, cache.path(), "k8tre-mgmt").await;
    assert!(truth.len() > 20, "a realistic estate: {}", truth.len());
    assert_eq!(seen, truth);

    // Every cluster's state: live exactly when kubectl reaches it.
    let clusters = report["clusters"].as_array().expect("clusters");
    let names: Vec<&str> = clusters.iter().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(
        names,
        vec!["k8tre-mgmt", "k8tre-dev", "k8tre-stg", "k8tre-prd"]
    );
    for c in clusters {
        let context = c["context"].as_str().expect("context");
        assert!(
            kubectl_reaches(&s, cache.path(), context).await,
            "{context}"
        );
        assert_eq!(c["state"], "live", "{c}");
        assert_eq!(c["stale"], false);
    }

    // Placement, the catalog and the infrastructure facts.
    let dev = cluster(&report, "k8tre-dev");
    assert_eq!(dev["environment"], "dev");
    assert_eq!(dev["vendor"], "k3s");
    assert_eq!(dev["context"], "k8tre-dev");
    assert_eq!(dev["matchedBy"], "API server URL");
    assert_eq!(dev["facts"]["kubernetesVersion"], "v1.32.4+k8tre-sim");
    assert_eq!(
        (
            dev["facts"]["nodesReady"].clone(),
            dev["facts"]["nodesTotal"].clone()
        ),
        (2.into(), 2.into())
    );
    assert_eq!(dev["facts"]["cilium"]["l7Proxy"], "true");
    assert_eq!(dev["facts"]["cilium"]["agent"], "2/2");
    assert_eq!(dev["facts"]["gatewayApiCrdsPresent"], true);
    assert_eq!(dev["facts"]["defaultStorageClass"], "rwo-default");
    assert_eq!(
        cluster(&report, "k8tre-prd")["facts"]["cilium"]["ipam"],
        "eni"
    );
    let argocd = &cluster(&report, "k8tre-mgmt")["facts"]["argocdComponents"];
    assert_eq!(
        (argocd["ready"].clone(), argocd["total"].clone()),
        (7.into(), 7.into())
    );
    assert_eq!(cluster(&report, "k8tre-mgmt")["access"]["writable"], true);
    assert_eq!(report["catalog"]["source"], "repo");
    let keycloak = report["applications"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["name"] == "keycloak-k8tre-dev"))
        .expect("keycloak");
    assert_eq!(keycloak["cluster"], "k8tre-dev");
    assert_eq!(keycloak["environment"], "dev");
    assert_eq!(keycloak["layer"], "application");
    assert_eq!(keycloak["component"], "keycloak");
    assert_eq!(keycloak["autoSync"], true);
    assert_eq!(keycloak["operationPhase"], "Succeeded");
    assert_eq!(keycloak["revision"], s.repo.head.as_str());
    // The stray Application (Unknown, its cluster is not in the estate) is the worst in dev;
    // keycloak's Degraded is counted beside it.
    let dev_apps = cell(&report, "application", "dev");
    assert_eq!(dev_apps["state"], "unknown", "{dev_apps}");
    assert!(
        dev_apps["health"].as_array().is_some_and(|h| h
            .iter()
            .any(|c| c["status"] == "Degraded" && c["count"] == 1)),
        "{dev_apps}"
    );
    let keycloak_row = report["matrix"]["components"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["component"] == "keycloak"))
        .expect("keycloak row");
    assert_eq!(
        keycloak_row["cells"][0]["state"], "degraded",
        "{keycloak_row}"
    );
    assert_eq!(
        cell(&report, "infrastructure", "stg")["state"],
        "degraded",
        "stg L7 proxy is off: {}",
        cluster(&report, "k8tre-stg")["checks"]
    );

    // Expected versus present.
    let missing: Vec<&str> = report["expected"]["missing"]
        .as_array()
        .expect("missing")
        .iter()
        .filter_map(|a| a["name"].as_str())
        .collect();
    assert_eq!(missing, vec![LEFT_OUT]);
    let unexpected: Vec<&str> = report["expected"]["unexpected"]
        .as_array()
        .expect("unexpected")
        .iter()
        .filter_map(|a| a["name"].as_str())
        .collect();
    assert_eq!(unexpected, vec![STRAY]);

    // The cluster Secrets' credentials never reach the output.
    assert!(!text(&out.stdout).contains("TOP-SECRET-TOKEN"));
    assert!(!text(&out.stderr).contains("TOP-SECRET-TOKEN"));

    // --fail-on: degraded trips (keycloak), stale does not (everything is live).
    let (_, degraded) =
        status_json(&s, s.estate.kubeconfig_path(), &["--fail-on", "degraded"]).await;
    assert_eq!(degraded.status.code(), Some(1));
    assert!(
        text(&degraded.stderr).contains("keycloak-k8tre-dev is Degraded"),
        "{}",
        text(&degraded.stderr)
    );
    let (_, stale) = status_json(&s, s.estate.kubeconfig_path(), &["--fail-on", "stale"]).await;
    assert_eq!(stale.status.code(), Some(0), "{}", text(&stale.stderr));
    let (_, outofsync) =
        status_json(&s, s.estate.kubeconfig_path(), &["--fail-on", "outofsync"]).await;
    assert_eq!(outofsync.status.code(), Some(1));
    assert!(
        text(&outofsync.stderr).contains(LEFT_OUT),
        "missing counts as out of sync"
    );

    // The table and YAML carry the same estate.
    let repo = s.repo_path().display().to_string();
    let table = console(&s, s.estate.kubeconfig_path(), &["status", "--repo", &repo]).await;
    assert_eq!(table.status.code(), Some(0), "{}", text(&table.stderr));
    let table = text(&table.stdout);
    for needle in [
        "k8tre-prd",
        "keycloak-k8tre-dev",
        "Infrastructure",
        "missing     cr8tor-k8tre-prd",
    ] {
        assert!(table.contains(needle), "{needle} in\n{table}");
    }
    let yaml = console(&s, s.estate.kubeconfig_path(), &["status", "-o", "yaml"]).await;
    let yaml: serde_yaml::Value = serde_yaml::from_slice(&yaml.stdout).expect("yaml");
    assert_eq!(
        yaml["catalog"]["source"].as_str(),
        Some("cluster"),
        "no --repo: the catalog comes from the cluster"
    );
    assert_eq!(yaml["expected"]["available"].as_bool(), Some(false));
    s.estate.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_cluster_is_unreachable_and_never_healthy() {
    let s = scenario().await;
    let cache = tempfile::tempdir().expect("cache");
    s.estate
        .cluster("prd")
        .expect("prd")
        .faults
        .set_refuse(true);
    assert!(!kubectl_reaches(&s, cache.path(), "k8tre-prd").await);
    let (report, out) = status_json(&s, s.estate.kubeconfig_path(), &["--fail-on", "stale"]).await;
    assert_eq!(
        out.status.code(),
        Some(1),
        "stale trips: {}",
        text(&out.stderr)
    );
    let prd = cluster(&report, "k8tre-prd");
    assert_eq!(prd["state"], "unreachable", "{prd}");
    assert!(
        prd["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{prd}"
    );
    assert_eq!(prd["stale"], true);
    assert_eq!(prd["facts"]["nodesReady"], Value::Null, "unknown, not zero");
    for layer in ["infrastructure", "agnostics", "application"] {
        let cell = cell(&report, layer, "prd");
        assert!(
            cell["state"] == "unknown" || cell["state"] == "stale",
            "{layer} prd: {cell}"
        );
    }
    assert_eq!(
        cell(&report, "application", "prd")["lastKnown"],
        "healthy",
        "kept for context"
    );
    for other in ["k8tre-dev", "k8tre-stg", "k8tre-mgmt"] {
        assert_eq!(cluster(&report, other)["state"], "live", "{other}");
    }
    assert!(
        text(&out.stderr).contains("cluster k8tre-prd is unreachable"),
        "{}",
        text(&out.stderr)
    );
    s.estate.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_context_reads_the_same_estate_and_notes_forbidden_writes() {
    let s = scenario().await;
    let cache = tempfile::tempdir().expect("cache");
    let kubeconfig = viewer_kubeconfig(&s.estate, s.dir.path());
    let (report, out) = status_json(&s, &kubeconfig, &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(report["management"]["context"], "k8tre-mgmt-viewer");
    for c in report["clusters"].as_array().expect("clusters") {
        assert_eq!(c["state"], "live", "{c}");
        assert!(
            c["context"]
                .as_str()
                .is_some_and(|ctx| ctx.ends_with("-viewer")),
            "{c}"
        );
    }
    let access = &cluster(&report, "k8tre-mgmt-viewer")["access"];
    assert_eq!(access["writable"], false, "{access}");
    let forbidden: Vec<&str> = access["forbiddenWrites"]
        .as_array()
        .expect("forbidden")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        forbidden.contains(&"patch applications.argoproj.io"),
        "{forbidden:?}"
    );
    assert!(
        forbidden.contains(&"create applications.argoproj.io"),
        "{forbidden:?}"
    );
    // Read-only truth: the same Applications as kubectl sees with the viewer.
    assert_eq!(
        report_apps(&report),
        kubectl_apps(&s, cache.path(), "k8tre-mgmt-viewer").await
    );
    let writes: Vec<_> = s
        .estate
        .requests()
        .into_iter()
        .filter(|r| r.user == "k8tre-viewer" && r.is_write())
        .collect();
    assert!(writes.is_empty(), "status never writes: {writes:?}");
    s.estate.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_clear_messages() {
    let s = scenario().await;
    let kubeconfig = s.estate.kubeconfig_path();
    // A missing context.
    let out = console(&s, kubeconfig, &["--context", "nope", "status"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("\"nope\" is not in the kubeconfig"),
        "{}",
        text(&out.stderr)
    );
    // A management context that does not exist.
    let out = console(&s, kubeconfig, &["status", "--mgmt-context", "k8tre-hub"]).await;
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("k8tre-hub") && stderr.contains("k8tre-mgmt"),
        "{stderr}"
    );
    // A broken kubeconfig.
    let broken = s.dir.path().join("broken-kubeconfig");
    std::fs::write(&broken, "contexts: [oops: nope").expect("write");
    let out = console(&s, &broken, &["status"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains(&broken.display().to_string()),
        "{}",
        text(&out.stderr)
    );
    // An unreadable repository.
    let out = console(
        &s,
        kubeconfig,
        &["status", "--repo", "/nonexistent/checkout"],
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("/nonexistent/checkout"),
        "{}",
        text(&out.stderr)
    );
    // A config mapping to a context that does not exist: the cluster is still shown.
    let config = s.dir.path().join("mapping.yaml");
    std::fs::write(&config, "clusters:\n  k8tre-stg: k8tre-missing\n").expect("write");
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_k8tre-console"))
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .arg("--config")
        .arg(&config)
        .args(["status", "-o", "json", "--timeout", "30"])
        .env_remove("KUBECONFIG")
        .kill_on_drop(true)
        .output()
        .await
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    let warnings = report["warnings"].to_string();
    assert!(warnings.contains("k8tre-missing"), "{warnings}");
    // The mapping is named, and the server URL still finds the context.
    assert_eq!(cluster(&report, "k8tre-stg")["context"], "k8tre-stg");
    s.estate.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_that_never_answers_is_printed_at_the_timeout_and_never_healthy() {
    let s = scenario().await;
    s.estate.cluster("stg").expect("stg").faults.set_hang(true);
    let repo = s.repo_path().display().to_string();
    let out = console(
        &s,
        s.estate.kubeconfig_path(),
        &[
            "status",
            "--output",
            "json",
            "--repo",
            &repo,
            "--timeout",
            "3",
            "--fail-on",
            "stale",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["complete"], false);
    assert!(
        report["warnings"]
            .to_string()
            .contains("before every watch had listed once")
    );
    let stg = cluster(&report, "k8tre-stg");
    assert_eq!(stg["state"], "connecting", "{stg}");
    assert_eq!(stg["stale"], true);
    assert_eq!(cell(&report, "infrastructure", "stg")["state"], "unknown");
    for other in ["k8tre-dev", "k8tre-prd", "k8tre-mgmt"] {
        assert_eq!(cluster(&report, other)["state"], "live", "{other}");
    }
    s.estate.cluster("stg").expect("stg").faults.set_hang(false);
    s.estate.stop().await;
}

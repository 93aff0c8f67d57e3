//! The stock kubectl (v1.32) as an independent client of the simulated API server.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{kubectl, kubectl_ok, write_manifest};
use serde_json::Value;

const APP: &str = r#"
apiVersion: v1
kind: ConfigMap
metadata: {name: web-config, namespace: default, labels: {app: web}}
data: {greeting: hello}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: "nginx:1.27", ports: [{containerPort: 80}]}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd]}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    additionalPrinterColumns:
    - {name: Size, type: integer, jsonPath: .spec.size}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, properties: {size: {type: integer}}}
          status: {type: object, x-kubernetes-preserve-unknown-fields: true}
"#;

const WIDGET: &str = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1, namespace: default}\nspec: {size: 3}\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_namespaces_and_api_resources() {
    let estate = common::estate(&["mgmt", "dev"]).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let version = kubectl_ok(&estate, dir.path(), &["version", "-o", "json"]).await;
    let version: Value = serde_json::from_str(&version).expect("json");
    assert!(
        version["serverVersion"]["gitVersion"]
            .as_str()
            .expect("git version")
            .ends_with("+k8tre-sim")
    );
    let namespaces = kubectl_ok(
        &estate,
        dir.path(),
        &["--context", "k8tre-dev", "get", "ns"],
    )
    .await;
    for ns in ["default", "kube-system"] {
        assert!(namespaces.contains(ns), "{namespaces}");
    }
    let resources = kubectl_ok(&estate, dir.path(), &["api-resources"]).await;
    for line in [
        "deployments",
        "customresourcedefinitions",
        "storageclasses",
        "selfsubjectaccessreviews",
    ] {
        assert!(resources.contains(line), "{resources}");
    }
    estate.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_client_side_and_server_side_then_patch_and_delete() {
    let estate = common::estate(&["dev"]).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let app = write_manifest(dir.path(), "app.yaml", APP);
    let widget = write_manifest(dir.path(), "widget.yaml", WIDGET);
    let app = app.to_str().expect("utf8");
    let widget = widget.to_str().expect("utf8");

    let out = kubectl_ok(&estate, dir.path(), &["apply", "-f", app]).await;
    assert!(out.contains("deployment.apps/web created"), "{out}");
    assert!(
        out.contains("customresourcedefinition.apiextensions.k8s.io/widgets.example.com created"),
        "{out}"
    );
    let out = kubectl_ok(&estate, dir.path(), &["apply", "-f", widget]).await;
    assert!(out.contains("widget.example.com/w1 created"), "{out}");
    let again = kubectl_ok(&estate, dir.path(), &["apply", "-f", app]).await;
    assert!(again.contains("deployment.apps/web unchanged"), "{again}");

    let scaled = APP.replace("replicas: 2", "replicas: 3");
    let scaled_path = write_manifest(dir.path(), "scaled.yaml", &scaled);
    let out = kubectl_ok(
        &estate,
        dir.path(),
        &["apply", "-f", scaled_path.to_str().expect("utf8")],
    )
    .await;
    assert!(out.contains("deployment.apps/web configured"), "{out}");
    let deploy: Value = serde_json::from_str(
        &kubectl_ok(&estate, dir.path(), &["get", "deploy", "web", "-o", "json"]).await,
    )
    .expect("json");
    assert_eq!(deploy["spec"]["replicas"], 3);
    assert_eq!(deploy["metadata"]["generation"], 2);
    assert!(
        deploy["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
            .is_string()
    );

    let out = kubectl_ok(
        &estate,
        dir.path(),
        &["apply", "--server-side", "-f", widget],
    )
    .await;
    assert!(out.contains("serverside-applied"), "{out}");

    kubectl_ok(
        &estate,
        dir.path(),
        &[
            "patch",
            "widget",
            "w1",
            "--type",
            "merge",
            "-p",
            r#"{"spec":{"size":5}}"#,
        ],
    )
    .await;
    let size = kubectl_ok(
        &estate,
        dir.path(),
        &["get", "wd", "w1", "-o", "jsonpath={.spec.size}"],
    )
    .await;
    assert_eq!(size, "5");
    kubectl_ok(
        &estate,
        dir.path(),
        &[
            "patch",
            "widget",
            "w1",
            "--type",
            "json",
            "-p",
            r#"[{"op":"replace","path":"/spec/size","value":7}]"#,
        ],
    )
    .await;
    let table = kubectl_ok(&estate, dir.path(), &["get", "widgets"]).await;
    assert!(table.contains("w1"), "{table}");

    kubectl_ok(&estate, dir.path(), &["delete", "configmap", "web-config"]).await;
    let gone = kubectl(&estate, dir.path(), &["get", "configmap", "web-config"]).await;
    assert!(!gone.status.success());
    assert!(String::from_utf8_lossy(&gone.stderr).contains("NotFound"));
    estate.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn selectors_watch_wait_and_dry_run() {
    let estate = common::estate(&["dev"]).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let app = write_manifest(dir.path(), "app.yaml", APP);
    kubectl_ok(
        &estate,
        dir.path(),
        &["apply", "-f", app.to_str().expect("utf8")],
    )
    .await;
    kubectl_ok(
        &estate,
        dir.path(),
        &[
            "create",
            "configmap",
            "other",
            "--from-literal=a=b",
            "--dry-run=client",
            "-o",
            "yaml",
        ],
    )
    .await;
    let other = write_manifest(
        dir.path(),
        "other.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: other, labels: {app: db}}\ndata: {a: b}\n",
    );
    kubectl_ok(
        &estate,
        dir.path(),
        &["apply", "-f", other.to_str().expect("utf8")],
    )
    .await;
    let web = kubectl_ok(
        &estate,
        dir.path(),
        &["get", "cm", "-l", "app=web", "-o", "name"],
    )
    .await;
    assert_eq!(web.trim(), "configmap/web-config");
    let not_web = kubectl_ok(
        &estate,
        dir.path(),
        &["get", "cm", "-l", "app notin (web)", "-o", "name"],
    )
    .await;
    assert_eq!(not_web.trim(), "configmap/other");
    let labelled = kubectl_ok(
        &estate,
        dir.path(),
        &["get", "cm", "-l", "app", "-o", "name"],
    )
    .await;
    assert_eq!(labelled.lines().count(), 2);

    // get -w sees a change made by another client.
    let kubeconfig = estate.kubeconfig_path().to_path_buf();
    let cache = dir.path().to_path_buf();
    let mut watcher = tokio::process::Command::new("kubectl")
        .args([
            "get",
            "cm",
            "web-config",
            "-w",
            "-o",
            "jsonpath={.data.greeting}{\"\\n\"}",
        ])
        .env("KUBECONFIG", &kubeconfig)
        .env("KUBECACHEDIR", &cache)
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("kubectl -w");
    tokio::time::sleep(Duration::from_millis(700)).await;
    kubectl_ok(
        &estate,
        dir.path(),
        &[
            "patch",
            "cm",
            "web-config",
            "--type",
            "merge",
            "-p",
            r#"{"data":{"greeting":"changed"}}"#,
        ],
    )
    .await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    watcher.start_kill().expect("kill");
    let output = watcher.wait_with_output().await.expect("output");
    let seen = String::from_utf8_lossy(&output.stdout);
    assert!(
        seen.contains("hello") && seen.contains("changed"),
        "watch output: {seen}"
    );

    // wait --for=jsonpath sees a value set a moment later.
    let waiting = tokio::spawn({
        let kubeconfig = kubeconfig.clone();
        let cache = cache.clone();
        async move {
            tokio::process::Command::new("kubectl")
                .args([
                    "wait",
                    "--for=jsonpath={.data.ready}=yes",
                    "cm/web-config",
                    "--timeout=10s",
                ])
                .env("KUBECONFIG", kubeconfig)
                .env("KUBECACHEDIR", cache)
                .output()
                .await
                .expect("kubectl wait")
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    kubectl_ok(
        &estate,
        dir.path(),
        &[
            "patch",
            "cm",
            "web-config",
            "--type",
            "merge",
            "-p",
            r#"{"data":{"ready":"yes"}}"#,
        ],
    )
    .await;
    let waited = waiting.await.expect("join");
    assert!(
        waited.status.success(),
        "{}",
        String::from_utf8_lossy(&waited.stderr)
    );

    // create --dry-run=server answers but stores nothing.
    let pod = write_manifest(
        dir.path(),
        "pod.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p1}\nspec: {containers: [{name: c, image: busybox}]}\n",
    );
    let out = kubectl_ok(
        &estate,
        dir.path(),
        &[
            "create",
            "-f",
            pod.to_str().expect("utf8"),
            "--dry-run=server",
            "-o",
            "name",
        ],
    )
    .await;
    assert_eq!(out.trim(), "pod/p1");
    assert!(
        !kubectl(&estate, dir.path(), &["get", "pod", "p1"])
            .await
            .status
            .success()
    );
    let writes: Vec<_> = estate
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/pods"))
        .collect();
    assert!(writes.iter().all(|r| r.dry_run), "{writes:?}");
    estate.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_can_i_as_admin_and_viewer_and_viewer_writes_are_forbidden() {
    let estate = common::estate(&["dev"]).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let admin = kubectl(
        &estate,
        dir.path(),
        &[
            "--context",
            "k8tre-dev",
            "auth",
            "can-i",
            "create",
            "deployments",
        ],
    )
    .await;
    assert!(admin.status.success());
    assert_eq!(String::from_utf8_lossy(&admin.stdout).trim(), "yes");
    let viewer = kubectl(
        &estate,
        dir.path(),
        &[
            "--context",
            "k8tre-dev-viewer",
            "auth",
            "can-i",
            "create",
            "deployments",
        ],
    )
    .await;
    assert!(!viewer.status.success());
    assert!(String::from_utf8_lossy(&viewer.stdout).starts_with("no"));
    let reads = kubectl(
        &estate,
        dir.path(),
        &[
            "--context",
            "k8tre-dev-viewer",
            "auth",
            "can-i",
            "list",
            "pods",
        ],
    )
    .await;
    assert!(reads.status.success());
    let whoami = kubectl_ok(
        &estate,
        dir.path(),
        &[
            "--context",
            "k8tre-dev-viewer",
            "auth",
            "whoami",
            "-o",
            "json",
        ],
    )
    .await;
    assert!(whoami.contains("k8tre-viewer"));
    let cm = write_manifest(
        dir.path(),
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
    );
    let denied = kubectl(
        &estate,
        dir.path(),
        &[
            "--context",
            "k8tre-dev-viewer",
            "apply",
            "-f",
            cm.to_str().expect("utf8"),
        ],
    )
    .await;
    assert!(!denied.status.success());
    assert!(
        String::from_utf8_lossy(&denied.stderr).contains("forbidden"),
        "{}",
        String::from_utf8_lossy(&denied.stderr)
    );
    let writes: Vec<_> = estate
        .requests()
        .into_iter()
        .filter(|r| r.is_write() && r.status < 300)
        .collect();
    assert!(writes.is_empty(), "the viewer changed nothing: {writes:?}");
    estate.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imperative_creates_sent_as_protobuf() {
    let estate = common::estate(&["dev"]).await;
    let dir = tempfile::tempdir().expect("tempdir");
    kubectl_ok(&estate, dir.path(), &["create", "namespace", "team"]).await;
    kubectl_ok(
        &estate,
        dir.path(),
        &[
            "create",
            "configmap",
            "settings",
            "-n",
            "team",
            "--from-literal=mode=fast",
        ],
    )
    .await;
    kubectl_ok(
        &estate,
        dir.path(),
        &[
            "create",
            "secret",
            "generic",
            "token",
            "-n",
            "team",
            "--from-literal=key=s3cret",
        ],
    )
    .await;
    kubectl_ok(
        &estate,
        dir.path(),
        &["create", "serviceaccount", "bot", "-n", "team"],
    )
    .await;
    let mode = kubectl_ok(
        &estate,
        dir.path(),
        &[
            "get",
            "cm",
            "settings",
            "-n",
            "team",
            "-o",
            "jsonpath={.data.mode}",
        ],
    )
    .await;
    assert_eq!(mode, "fast");
    let key = kubectl_ok(
        &estate,
        dir.path(),
        &[
            "get",
            "secret",
            "token",
            "-n",
            "team",
            "-o",
            "jsonpath={.data.key}",
        ],
    )
    .await;
    assert_eq!(key, "czNjcmV0", "stored base64 like a real API server");
    let refused = kubectl(
        &estate,
        dir.path(),
        &["create", "deployment", "web", "--image=nginx", "-n", "team"],
    )
    .await;
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("send Deployment as JSON"));
    estate.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_of_a_pod() {
    let estate = common::estate(&["dev"]).await;
    let dir = tempfile::tempdir().expect("tempdir");
    estate
        .seed(
            "dev",
            serde_json::json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": "web-0", "namespace": "default"},
                "spec": {"containers": [{"name": "web", "image": "nginx"}, {"name": "proxy", "image": "envoy"}]}}),
        )
        .expect("seed pod");
    let cluster = estate.cluster("dev").expect("dev");
    let key = (
        "default".to_string(),
        "web-0".to_string(),
        "web".to_string(),
    );
    for i in 0..5 {
        cluster
            .logs
            .append(key.clone(), chrono::Utc::now(), format!("request {i}"));
    }
    let tail = kubectl_ok(
        &estate,
        dir.path(),
        &["logs", "web-0", "-c", "web", "--tail=2"],
    )
    .await;
    assert_eq!(tail, "request 3\nrequest 4\n");
    // kubectl picks the first container itself; a raw API call must name one.
    let defaulted = kubectl(&estate, dir.path(), &["logs", "web-0"]).await;
    assert!(String::from_utf8_lossy(&defaulted.stderr).contains("Defaulted container \"web\""));
    let pods: kube::Api<k8s_openapi::api::core::v1::Pod> =
        kube::Api::namespaced(common::client(&estate, "k8tre-dev").await, "default");
    match pods.logs("web-0", &Default::default()).await {
        Err(kube::Error::Api(status)) => {
            assert_eq!(status.code, 400);
            assert!(
                status
                    .message
                    .contains("a container name must be specified for pod web-0")
            );
        }
        other => panic!("expected 400, got {other:?}"),
    }

    let mut follow = tokio::process::Command::new("kubectl")
        .args(["logs", "-f", "web-0", "-c", "web", "--tail=1"])
        .env("KUBECONFIG", estate.kubeconfig_path())
        .env("KUBECACHEDIR", dir.path())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("kubectl logs -f");
    tokio::time::sleep(Duration::from_millis(700)).await;
    cluster.logs.append(key, chrono::Utc::now(), "live line");
    tokio::time::sleep(Duration::from_millis(500)).await;
    follow.start_kill().expect("kill");
    let seen = follow.wait_with_output().await.expect("output");
    assert_eq!(
        String::from_utf8_lossy(&seen.stdout),
        "request 4\nlive line\n"
    );
    estate.stop().await;
}

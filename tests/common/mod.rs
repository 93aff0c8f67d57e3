//! Helpers shared by the integration tests: start a simulated estate, get kube-rs clients for
//! its contexts, and run the stock `kubectl` against it.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Output;

use k8tre_console::sim::{Estate, EstateOptions};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};

/// Starts an estate with the given clusters on ephemeral ports.
pub async fn estate(clusters: &[&str]) -> Estate {
    Estate::start(EstateOptions::with_clusters(clusters))
        .await
        .expect("estate starts")
}

pub async fn config(estate: &Estate, context: &str) -> Config {
    let kubeconfig = Kubeconfig::read_from(estate.kubeconfig_path()).expect("kubeconfig parses");
    let options = KubeConfigOptions {
        context: Some(context.to_string()),
        ..Default::default()
    };
    Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .expect("kube config")
}

/// A kube-rs client for a context of the estate's kubeconfig (`k8tre-dev`, `k8tre-dev-viewer`).
pub async fn client(estate: &Estate, context: &str) -> Client {
    Client::try_from(config(estate, context).await).expect("client")
}

/// A kube-rs client with no credentials at all.
pub async fn anonymous_client(estate: &Estate, context: &str) -> Client {
    let mut config = config(estate, context).await;
    config.auth_info = Default::default();
    Client::try_from(config).expect("client")
}

/// Runs `kubectl` with the estate's kubeconfig and a private discovery cache.
pub async fn kubectl(estate: &Estate, cache: &Path, args: &[&str]) -> Output {
    tokio::process::Command::new("kubectl")
        .args(args)
        .env("KUBECONFIG", estate.kubeconfig_path())
        .env("KUBECACHEDIR", cache)
        .env("HOME", cache)
        .kill_on_drop(true)
        .output()
        .await
        .expect("kubectl runs")
}

/// Like [`kubectl`], asserting success and returning stdout.
pub async fn kubectl_ok(estate: &Estate, cache: &Path, args: &[&str]) -> String {
    let out = kubectl(estate, cache, args).await;
    assert!(
        out.status.success(),
        "kubectl {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn write_manifest(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write manifest");
    path
}

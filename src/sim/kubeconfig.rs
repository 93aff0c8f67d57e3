//! The kubeconfig of a simulated estate: one admin context `k8tre-<cluster>` and one read-only
//! context `k8tre-<cluster>-viewer` per cluster, written atomically with mode 0600.

use std::io::Write;
use std::path::Path;

use serde_json::{Value, json};

/// What the kubeconfig needs to know about one cluster.
pub struct KubeconfigCluster<'a> {
    pub name: &'a str,
    pub server: String,
    pub admin_token: &'a str,
    pub viewer_token: &'a str,
}

/// Context name of a cluster's admin user.
pub fn admin_context(cluster: &str) -> String {
    format!("k8tre-{cluster}")
}

/// Context name of a cluster's read-only user.
pub fn viewer_context(cluster: &str) -> String {
    format!("k8tre-{cluster}-viewer")
}

/// Renders the kubeconfig; the first cluster's admin context is current.
pub fn render(clusters: &[KubeconfigCluster<'_>], ca_pem: &str) -> String {
    use base64::Engine;
    let ca_data = base64::engine::general_purpose::STANDARD.encode(ca_pem);
    let mut kc_clusters = Vec::new();
    let mut users = Vec::new();
    let mut contexts = Vec::new();
    for c in clusters {
        let cluster_name = admin_context(c.name);
        kc_clusters.push(json!({"name": cluster_name, "cluster": {"server": c.server, "certificate-authority-data": ca_data}}));
        users.push(
            json!({"name": format!("{cluster_name}-admin"), "user": {"token": c.admin_token}}),
        );
        users.push(
            json!({"name": format!("{cluster_name}-viewer"), "user": {"token": c.viewer_token}}),
        );
        contexts.push(json!({"name": cluster_name, "context": {"cluster": cluster_name, "user": format!("{cluster_name}-admin")}}));
        contexts.push(json!({
            "name": viewer_context(c.name),
            "context": {"cluster": cluster_name, "user": format!("{cluster_name}-viewer")}
        }));
    }
    let current = clusters
        .first()
        .map(|c| admin_context(c.name))
        .unwrap_or_default();
    let doc: Value = json!({
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": kc_clusters,
        "users": users,
        "contexts": contexts,
        "current-context": current,
    });
    let body = serde_yaml::to_string(&doc).unwrap_or_default();
    format!(
        "# Written by k8tre-console: a SIMULATED K8TRE estate on 127.0.0.1 (not a real cluster).\n{body}"
    )
}

/// Writes the file via a temporary sibling and a rename, so readers never see half a file.
pub fn write(path: &Path, contents: &str) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(contents.as_bytes())?;
    tmp.as_file().sync_all()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o600))?;
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contexts_per_cluster() {
        let text = render(
            &[
                KubeconfigCluster {
                    name: "mgmt",
                    server: "http://127.0.0.1:1".into(),
                    admin_token: "a",
                    viewer_token: "v",
                },
                KubeconfigCluster {
                    name: "dev",
                    server: "http://127.0.0.1:2".into(),
                    admin_token: "b",
                    viewer_token: "w",
                },
            ],
            "-----BEGIN CERTIFICATE-----",
        );
        let doc: Value = serde_yaml::from_str(&text).expect("yaml");
        let names: Vec<&str> = doc["contexts"]
            .as_array()
            .expect("contexts")
            .iter()
            .filter_map(|c| c["name"].as_str())
            .collect();
        assert_eq!(
            names,
            vec![
                "k8tre-mgmt",
                "k8tre-mgmt-viewer",
                "k8tre-dev",
                "k8tre-dev-viewer"
            ]
        );
        assert_eq!(doc["current-context"], "k8tre-mgmt");
        assert!(doc["clusters"][0]["cluster"]["certificate-authority-data"].is_string());
        assert!(text.starts_with("# Written by k8tre-console: a SIMULATED"));
    }

    #[test]
    fn written_atomically_with_private_mode() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("nested/kubeconfig");
        write(&path, "x: 1\n").expect("write");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "x: 1\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }
}

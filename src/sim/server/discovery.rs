//! Legacy discovery documents (`/api`, `/apis`, `/apis/<g>/<v>`) and `/version`.

use serde_json::{Value, json};

use crate::sim::resources::{Registry, ResourceType};

pub fn version(git_version: &str, kubernetes_version: &str) -> Value {
    let mut parts = kubernetes_version.split('.');
    let major = parts.next().unwrap_or("1");
    let minor = parts.next().unwrap_or("32");
    json!({
        "major": major,
        "minor": minor,
        "gitVersion": git_version,
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z",
        "goVersion": "k8tre-sim",
        "compiler": "rustc",
        "platform": "linux/amd64",
        "emulationMajor": major,
        "emulationMinor": minor,
    })
}

pub fn core_versions(server_address: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]
    })
}

fn group_entry(group: &str, versions: &[String]) -> Value {
    let versions: Vec<Value> = versions
        .iter()
        .map(|v| json!({"groupVersion": format!("{group}/{v}"), "version": v}))
        .collect();
    json!({
        "name": group,
        "versions": versions,
        "preferredVersion": versions.first().cloned().unwrap_or(Value::Null),
    })
}

pub fn groups(registry: &Registry) -> Value {
    let groups: Vec<Value> = registry
        .group_versions()
        .into_iter()
        .filter(|(g, _)| !g.is_empty())
        .map(|(g, vs)| group_entry(&g, &vs))
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

pub fn group(registry: &Registry, name: &str) -> Option<Value> {
    let (g, vs) = registry
        .group_versions()
        .into_iter()
        .find(|(g, _)| g == name && !g.is_empty())?;
    let mut entry = group_entry(&g, &vs);
    entry["kind"] = json!("APIGroup");
    entry["apiVersion"] = json!("v1");
    Some(entry)
}

fn resource_entry(t: &ResourceType) -> Value {
    let mut entry = json!({
        "name": t.plural,
        "singularName": t.singular,
        "namespaced": t.namespaced,
        "kind": t.kind,
        "verbs": t.verbs,
    });
    if !t.short_names.is_empty() {
        entry["shortNames"] = json!(t.short_names);
    }
    if !t.categories.is_empty() {
        entry["categories"] = json!(t.categories);
    }
    entry
}

fn subresource_entry(t: &ResourceType, sub: &str, kind: &str, verbs: &[&str]) -> Value {
    json!({"name": format!("{}/{sub}", t.plural), "singularName": "", "namespaced": t.namespaced, "kind": kind, "verbs": verbs})
}

/// The APIResourceList of a group/version, or None if nothing is served there.
pub fn resource_list(registry: &Registry, group: &str, version: &str) -> Option<Value> {
    let types = registry.in_group_version(group, version);
    if types.is_empty() {
        return None;
    }
    let mut resources = Vec::new();
    for t in &types {
        resources.push(resource_entry(t));
        if t.status_subresource {
            resources.push(subresource_entry(
                t,
                "status",
                &t.kind,
                &["get", "patch", "update"],
            ));
        }
        if t.group.is_empty() && t.plural == "pods" {
            resources.push(subresource_entry(t, "log", "Pod", &["get"]));
        }
    }
    let group_version = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    Some(
        json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": resources}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_list_has_pods_log_and_status() {
        let reg = Registry::new();
        let list = resource_list(&reg, "", "v1").expect("served");
        let names: Vec<&str> = list["resources"]
            .as_array()
            .expect("array")
            .iter()
            .filter_map(|r| r["name"].as_str())
            .collect();
        assert!(
            names.contains(&"pods")
                && names.contains(&"pods/log")
                && names.contains(&"pods/status")
        );
        assert!(resource_list(&reg, "nope", "v1").is_none());
        let groups = groups(&reg);
        assert!(
            groups["groups"]
                .as_array()
                .expect("array")
                .iter()
                .any(|g| g["name"] == "apps")
        );
        assert_eq!(
            group(&reg, "apps").expect("apps")["preferredVersion"]["version"],
            "v1"
        );
    }
}

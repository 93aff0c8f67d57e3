//! kustomize's built-in transformers over accumulated resources.

use regex::Regex;
use serde_json::{Map, Value, json};

use super::RenderError;
use super::fields::{
    for_each_container, group_version, is_cluster_scoped, kind, name, namespace, object_at,
    pod_spec_pointers, template_metadata_path,
};
use crate::domain::labels::Selector;
use crate::domain::patch::{json_patch, strategic_merge_patch};

/// A patch `target` selector.
#[derive(Debug, Default)]
pub struct Target {
    group: Option<String>,
    version: Option<String>,
    kind: Option<String>,
    name: Option<Regex>,
    namespace: Option<String>,
    labels: Option<Selector>,
    annotations: Option<Selector>,
}

fn anchored(pattern: &str, origin: &str) -> Result<Regex, RenderError> {
    Regex::new(&format!("^(?:{pattern})$")).map_err(|e| {
        RenderError::new(
            origin,
            format!("invalid target name pattern {pattern:?}: {e}"),
        )
    })
}

impl Target {
    pub fn parse(v: &Value, origin: &str) -> Result<Self, RenderError> {
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        let selector = |k: &str| -> Result<Option<Selector>, RenderError> {
            s(k).map(|text| {
                Selector::parse(&text)
                    .map_err(|e| RenderError::new(origin, format!("invalid target {k}: {e}")))
            })
            .transpose()
        };
        Ok(Self {
            group: s("group"),
            version: s("version"),
            kind: s("kind"),
            name: s("name").map(|n| anchored(&n, origin)).transpose()?,
            namespace: s("namespace"),
            labels: selector("labelSelector")?,
            annotations: selector("annotationSelector")?,
        })
    }

    fn string_map(obj: &Value, field: &str) -> std::collections::BTreeMap<String, String> {
        obj.pointer(&format!("/metadata/{field}"))
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn matches(&self, obj: &Value) -> bool {
        let (group, version) = group_version(obj);
        self.group.as_deref().is_none_or(|g| g == group)
            && self.version.as_deref().is_none_or(|v| v == version)
            && self.kind.as_deref().is_none_or(|k| k == kind(obj))
            && self.name.as_ref().is_none_or(|re| re.is_match(name(obj)))
            && self
                .namespace
                .as_deref()
                .is_none_or(|ns| Some(ns) == namespace(obj))
            && self
                .labels
                .as_ref()
                .is_none_or(|s| s.matches(&Self::string_map(obj, "labels")))
            && self
                .annotations
                .as_ref()
                .is_none_or(|s| s.matches(&Self::string_map(obj, "annotations")))
    }
}

/// Applies one patch document (a strategic-merge map or a JSON-6902 list).
pub fn apply_patch(
    resources: &mut [Value],
    patch: &Value,
    target: Option<&Target>,
    origin: &str,
) -> Result<(), RenderError> {
    match patch {
        Value::Array(_) => {
            let target = target
                .ok_or_else(|| RenderError::new(origin, "a JSON 6902 patch needs a target"))?;
            for resource in resources.iter_mut().filter(|r| target.matches(r)) {
                *resource = json_patch(resource, patch)
                    .map_err(|e| RenderError::new(origin, e.to_string()))?;
            }
            Ok(())
        }
        Value::Object(_) => {
            let mut matched = false;
            for resource in resources.iter_mut() {
                let hit = match target {
                    Some(t) => t.matches(resource),
                    None => same_identity(resource, patch),
                };
                if hit {
                    let mut body = patch.clone();
                    if target.is_some()
                        && let Some(meta) = body.get_mut("metadata").and_then(Value::as_object_mut)
                    {
                        // With an explicit target the patch's own name does not rename anything.
                        meta.remove("name");
                        meta.remove("namespace");
                    }
                    *resource = strategic_merge_patch(resource, &body)
                        .map_err(|e| RenderError::new(origin, e.to_string()))?;
                    matched = true;
                }
            }
            if !matched && target.is_none() {
                return Err(RenderError::new(
                    origin,
                    format!(
                        "no resource matches strategic merge patch {} {:?}",
                        kind(patch),
                        name(patch)
                    ),
                ));
            }
            Ok(())
        }
        _ => Err(RenderError::new(
            origin,
            "a patch must be a map (strategic merge) or a list (JSON 6902)",
        )),
    }
}

fn same_identity(resource: &Value, patch: &Value) -> bool {
    kind(resource) == kind(patch)
        && name(resource) == name(patch)
        && namespace(patch).is_none_or(|ns| Some(ns) == namespace(resource))
}

/// `namespace:` sets the namespace of every namespaced resource.
pub fn set_namespace(resources: &mut [Value], ns: &str) {
    for resource in resources.iter_mut().filter(|r| !is_cluster_scoped(kind(r))) {
        if let Some(meta) = object_at(resource, &["metadata"]) {
            meta.insert("namespace".into(), json!(ns));
        }
    }
}

fn add_pairs(map: Option<&mut Map<String, Value>>, pairs: &Map<String, Value>) {
    if let Some(map) = map {
        for (k, v) in pairs {
            map.insert(k.clone(), v.clone());
        }
    }
}

/// Adds labels to metadata, and optionally to selectors and pod templates.
pub fn add_labels(
    resources: &mut [Value],
    pairs: &Map<String, Value>,
    selectors: bool,
    templates: bool,
) {
    for resource in resources.iter_mut() {
        add_pairs(object_at(resource, &["metadata", "labels"]), pairs);
        let k = kind(resource).to_string();
        if (templates || selectors)
            && let Some(path) = template_metadata_path(&k)
        {
            let mut full: Vec<&str> = path.to_vec();
            full.push("labels");
            add_pairs(object_at(resource, &full), pairs);
        }
        if selectors {
            match k.as_str() {
                "Service" => add_pairs(object_at(resource, &["spec", "selector"]), pairs),
                "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" => add_pairs(
                    object_at(resource, &["spec", "selector", "matchLabels"]),
                    pairs,
                ),
                _ => {}
            }
        }
    }
}

/// Adds annotations to metadata and pod templates.
pub fn add_annotations(resources: &mut [Value], pairs: &Map<String, Value>) {
    for resource in resources.iter_mut() {
        add_pairs(object_at(resource, &["metadata", "annotations"]), pairs);
        let k = kind(resource).to_string();
        if let Some(path) = template_metadata_path(&k) {
            let mut full: Vec<&str> = path.to_vec();
            full.push("annotations");
            add_pairs(object_at(resource, &full), pairs);
        }
    }
}

/// Splits `registry:5000/app:tag@sha256:...` into (name, tag, digest).
pub fn split_image(image: &str) -> (&str, Option<&str>, Option<&str>) {
    let (rest, digest) = match image.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (image, None),
    };
    let slash = rest.rfind('/').map_or(0, |i| i + 1);
    match rest[slash..].rfind(':') {
        Some(colon) => (
            &rest[..slash + colon],
            Some(&rest[slash + colon + 1..]),
            digest,
        ),
        None => (rest, None, digest),
    }
}

/// `images:` rewrites container images by name.
pub fn set_images(resources: &mut [Value], images: &[Value]) {
    for resource in resources.iter_mut() {
        for_each_container(resource, |container| {
            let Some(current) = container
                .get("image")
                .and_then(Value::as_str)
                .map(str::to_string)
            else {
                return;
            };
            let (image_name, tag, digest) = split_image(&current);
            let Some(rule) = images
                .iter()
                .find(|i| i.get("name").and_then(Value::as_str) == Some(image_name))
            else {
                return;
            };
            let new_name = rule
                .get("newName")
                .and_then(Value::as_str)
                .unwrap_or(image_name);
            let new_image = if let Some(d) = rule.get("digest").and_then(Value::as_str) {
                format!("{new_name}@{d}")
            } else if let Some(t) = rule.get("newTag").and_then(|t| {
                t.as_str()
                    .map(str::to_string)
                    .or_else(|| t.as_i64().map(|n| n.to_string()))
            }) {
                format!("{new_name}:{t}")
            } else {
                match (tag, digest) {
                    (_, Some(d)) => format!("{new_name}@{d}"),
                    (Some(t), None) => format!("{new_name}:{t}"),
                    (None, None) => new_name.to_string(),
                }
            };
            container["image"] = json!(new_image);
        });
    }
}

/// `replicas:` sets replica counts by name.
pub fn set_replicas(resources: &mut [Value], replicas: &[Value]) {
    for rule in replicas {
        let (Some(target), Some(count)) = (
            rule.get("name").and_then(Value::as_str),
            rule.get("count").and_then(Value::as_i64),
        ) else {
            continue;
        };
        for resource in resources
            .iter_mut()
            .filter(|r| name(r) == target && !pod_spec_pointers(kind(r)).is_empty())
        {
            if let Some(spec) = object_at(resource, &["spec"]) {
                spec.insert("replicas".into(), json!(count));
            }
        }
    }
}

/// Renames references to generated ConfigMaps/Secrets in pod specs to their hashed names.
pub fn rename_references(resources: &mut [Value], renames: &[(String, String, String)]) {
    if renames.is_empty() {
        return;
    }
    let lookup = |kind: &str, old: &str| -> Option<String> {
        renames
            .iter()
            .find(|(k, o, _)| k == kind && o == old)
            .map(|(_, _, n)| n.clone())
    };
    let rename = |value: Option<&mut Value>, kind: &str| {
        if let Some(v) = value
            && let Some(new) = v.as_str().and_then(|old| lookup(kind, old))
        {
            *v = json!(new);
        }
    };
    for resource in resources.iter_mut() {
        for pointer in pod_spec_pointers(kind(resource)) {
            let Some(spec) = resource.pointer_mut(pointer) else {
                continue;
            };
            if let Some(volumes) = spec.get_mut("volumes").and_then(Value::as_array_mut) {
                for volume in volumes {
                    rename(volume.pointer_mut("/configMap/name"), "ConfigMap");
                    rename(volume.pointer_mut("/secret/secretName"), "Secret");
                }
            }
            for list in ["containers", "initContainers"] {
                let Some(containers) = spec.get_mut(list).and_then(Value::as_array_mut) else {
                    continue;
                };
                for container in containers {
                    if let Some(env_from) =
                        container.get_mut("envFrom").and_then(Value::as_array_mut)
                    {
                        for source in env_from {
                            rename(source.pointer_mut("/configMapRef/name"), "ConfigMap");
                            rename(source.pointer_mut("/secretRef/name"), "Secret");
                        }
                    }
                    if let Some(env) = container.get_mut("env").and_then(Value::as_array_mut) {
                        for var in env {
                            rename(
                                var.pointer_mut("/valueFrom/configMapKeyRef/name"),
                                "ConfigMap",
                            );
                            rename(var.pointer_mut("/valueFrom/secretKeyRef/name"), "Secret");
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_split_with_registry_ports_and_digests() {
        assert_eq!(split_image("nginx"), ("nginx", None, None));
        assert_eq!(split_image("nginx:1.27"), ("nginx", Some("1.27"), None));
        assert_eq!(
            split_image("reg:5000/app/web:v1"),
            ("reg:5000/app/web", Some("v1"), None)
        );
        assert_eq!(
            split_image("reg:5000/web@sha256:ab"),
            ("reg:5000/web", None, Some("sha256:ab"))
        );
    }

    #[test]
    fn targets_match_by_kind_name_regex_and_labels() {
        let t = Target::parse(
            &json!({"kind": "Deployment", "name": "web-.*", "labelSelector": "tier=front"}),
            "k",
        )
        .expect("target");
        let d = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web-1", "labels": {"tier": "front"}}});
        assert!(t.matches(&d));
        let other = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api", "labels": {"tier": "front"}}});
        assert!(!t.matches(&other));
    }
}

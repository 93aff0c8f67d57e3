//! Resources kustomize generates: ConfigMaps and Secrets from `*Generator` entries (with the
//! content-hash name suffix), and the synthetic workload standing in for a helm chart.

use std::collections::BTreeMap;

use base64::Engine;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::{Files, HelmChart, RenderError, join};

/// kustomize's name suffix: the first ten hex digits of a SHA-256 over the sorted JSON of
/// kind, data (base64 for Secrets), type and an empty name (kustomize hashes the generated
/// object before naming it), with `0 1 3 a e` mapped to `g h k m t`.
pub fn hash_suffix(
    kind: &str,
    data: &BTreeMap<String, String>,
    secret_type: Option<&str>,
) -> String {
    let mut doc: BTreeMap<&str, Value> = BTreeMap::new();
    doc.insert("kind", json!(kind));
    doc.insert("name", json!(""));
    doc.insert("data", json!(data));
    if let Some(t) = secret_type {
        doc.insert("type", json!(t));
    }
    // Go's encoding/json (which kustomize hashes) escapes these characters; match it.
    let encoded = serde_json::to_string(&doc)
        .unwrap_or_default()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029");
    let digest = Sha256::digest(encoded.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    hex.chars()
        .take(10)
        .map(|c| match c {
            '0' => 'g',
            '1' => 'h',
            '3' => 'k',
            'a' => 'm',
            'e' => 't',
            other => other,
        })
        .collect()
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Data of one generator entry: `files` (`key=path` or `path`), `literals`, `envs`.
fn generator_data(
    files: &impl Files,
    dir: &str,
    entry: &Value,
    origin: &str,
) -> Result<BTreeMap<String, String>, RenderError> {
    let mut data = BTreeMap::new();
    for spec in strings(entry.get("files")) {
        let (key, path) = match spec.split_once('=') {
            Some((k, p)) => (k.to_string(), p.to_string()),
            None => (
                spec.rsplit('/').next().unwrap_or(&spec).to_string(),
                spec.clone(),
            ),
        };
        let full = join(dir, &path);
        let content = files.read_file(&full).ok_or_else(|| {
            RenderError::new(origin, format!("configMapGenerator file {full} not found"))
        })?;
        data.insert(key, content);
    }
    for literal in strings(entry.get("literals")) {
        let (k, v) = literal.split_once('=').ok_or_else(|| {
            RenderError::new(origin, format!("literal {literal:?} is not key=value"))
        })?;
        data.insert(k.to_string(), v.trim_matches('"').to_string());
    }
    for env_file in strings(entry.get("envs").or(entry.get("env"))) {
        let full = join(dir, &env_file);
        let content = files
            .read_file(&full)
            .ok_or_else(|| RenderError::new(origin, format!("env file {full} not found")))?;
        for line in content
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            if let Some((k, v)) = line.split_once('=') {
                data.insert(k.trim().to_string(), v.trim().to_string());
            }
        }
    }
    Ok(data)
}

/// What the generators made: the objects and the renames (`base name` → `hashed name`) per kind.
#[derive(Default)]
pub struct Generated {
    pub objects: Vec<Value>,
    pub renames: Vec<(String, String, String)>,
}

/// Runs `configMapGenerator` and `secretGenerator` of a kustomization.
pub fn generators(
    files: &impl Files,
    dir: &str,
    kustomization: &Value,
    origin: &str,
) -> Result<Generated, RenderError> {
    let options = kustomization
        .get("generatorOptions")
        .cloned()
        .unwrap_or(Value::Null);
    let no_hash_globally = options
        .get("disableNameSuffixHash")
        .and_then(Value::as_bool)
        == Some(true);
    let mut out = Generated::default();
    for (field, kind) in [
        ("configMapGenerator", "ConfigMap"),
        ("secretGenerator", "Secret"),
    ] {
        for entry in kustomization
            .get(field)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let base = entry
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| RenderError::new(origin, format!("{field} entry without a name")))?;
            let data = generator_data(files, dir, entry, origin)?;
            let secret_type = (kind == "Secret").then(|| {
                entry
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or("Opaque")
            });
            let no_hash = no_hash_globally
                || entry
                    .pointer("/options/disableNameSuffixHash")
                    .and_then(Value::as_bool)
                    == Some(true);
            let name = if no_hash {
                base.to_string()
            } else {
                let hashed: BTreeMap<String, String> = match secret_type {
                    Some(_) => data
                        .iter()
                        .map(|(k, v)| {
                            (
                                k.clone(),
                                base64::engine::general_purpose::STANDARD.encode(v),
                            )
                        })
                        .collect(),
                    None => data.clone(),
                };
                format!("{base}-{}", hash_suffix(kind, &hashed, secret_type))
            };
            let mut metadata = json!({"name": name});
            if let Some(ns) = entry.get("namespace").and_then(Value::as_str) {
                metadata["namespace"] = json!(ns);
            }
            for (key, source) in [("labels", "labels"), ("annotations", "annotations")] {
                let mut merged = Map::new();
                for src in [
                    options.get(source),
                    entry.pointer(&format!("/options/{source}")),
                ]
                .into_iter()
                .flatten()
                {
                    if let Some(map) = src.as_object() {
                        merged.extend(map.clone());
                    }
                }
                if !merged.is_empty() {
                    metadata[key] = Value::Object(merged);
                }
            }
            let object = match secret_type {
                None => {
                    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": data})
                }
                Some(t) => {
                    let encoded: BTreeMap<&String, String> = data
                        .iter()
                        .map(|(k, v)| (k, base64::engine::general_purpose::STANDARD.encode(v)))
                        .collect();
                    json!({"apiVersion": "v1", "kind": "Secret", "metadata": metadata, "type": t, "data": encoded})
                }
            };
            if !no_hash {
                out.renames
                    .push((kind.to_string(), base.to_string(), name.clone()));
            }
            out.objects.push(object);
        }
    }
    Ok(out)
}

fn chart_field(chart: &Value, field: &str) -> Option<String> {
    chart.get(field).and_then(Value::as_str).map(str::to_string)
}

/// The synthetic workload of one `helmCharts` entry.
pub fn helm_chart(
    files: &impl Files,
    dir: &str,
    chart: &Value,
    origin: &str,
) -> Result<(HelmChart, Vec<Value>), RenderError> {
    let name = chart_field(chart, "name")
        .ok_or_else(|| RenderError::new(origin, "helmCharts entry without a name"))?;
    let version = chart_field(chart, "version").unwrap_or_else(|| "latest".to_string());
    let repo = chart_field(chart, "repo").unwrap_or_default();
    let release = chart_field(chart, "releaseName").unwrap_or_else(|| name.clone());
    let namespace = chart_field(chart, "namespace");
    let mut values = String::new();
    let value_files = chart_field(chart, "valuesFile")
        .into_iter()
        .chain(strings(chart.get("additionalValuesFiles")));
    for file in value_files {
        let full = join(dir, &file);
        let text = files.read_file(&full).ok_or_else(|| {
            RenderError::new(origin, format!("helm values file {full} not found"))
        })?;
        values.push_str(&text);
        if !values.ends_with('\n') {
            values.push('\n');
        }
    }
    if let Some(inline) = chart.get("valuesInline") {
        values.push_str(&serde_yaml::to_string(inline).unwrap_or_default());
    }
    let host = repo
        .split("://")
        .nth(1)
        .unwrap_or(&repo)
        .split('/')
        .next()
        .filter(|h| !h.is_empty())
        .unwrap_or("charts.local");
    let image = format!("{host}/{name}:{version}");
    let chart_label = format!("{name}-{version}");
    let selector = json!({"app.kubernetes.io/name": name, "app.kubernetes.io/instance": release});
    let labels = json!({
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/instance": release,
        "app.kubernetes.io/version": version,
        "app.kubernetes.io/managed-by": "Helm",
        "helm.sh/chart": chart_label,
    });
    let meta = |object_name: String| {
        let mut m = json!({"name": object_name, "labels": labels});
        if let Some(ns) = &namespace {
            m["namespace"] = json!(ns);
        }
        m
    };
    let values_name = format!("{release}-values");
    let objects = vec![
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta(values_name.clone()), "data": {"values.yaml": values}}),
        json!({"apiVersion": "v1", "kind": "Service", "metadata": meta(release.clone()),
               "spec": {"selector": selector, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}}),
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta(release.clone()),
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": selector},
            "template": {
                "metadata": {"labels": labels, "annotations": {"sim.k8tre.io/helm-repo": repo}},
                "spec": {
                    "containers": [{"name": name, "image": image, "ports": [{"containerPort": 8080, "name": "http"}],
                        "volumeMounts": [{"name": "values", "mountPath": "/etc/helm"}]}],
                    "volumes": [{"name": "values", "configMap": {"name": values_name}}]
                }
            }
        }}),
    ];
    Ok((
        HelmChart {
            name,
            version,
            repo,
            release_name: release,
            namespace,
        },
        objects,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_suffix_is_ten_encoded_characters() {
        let data = BTreeMap::from([("a".to_string(), "b".to_string())]);
        // Values checked against `kubectl kustomize` (kustomize v5.5).
        assert_eq!(hash_suffix("ConfigMap", &data, None), "4h2mbtbbt6");
        let secret = BTreeMap::from([("a".to_string(), "Yg==".to_string())]);
        assert_eq!(hash_suffix("Secret", &secret, Some("Opaque")), "k695gkmbtk");
    }
}

//! `kustomize build` over a file source: load a kustomization, accumulate its resources
//! (recursively), run generators and transformers in kustomize's order.

use serde_json::{Map, Value};

use super::generate::{generators, helm_chart};
use super::transform::{
    Target, add_annotations, add_labels, apply_patch, rename_references, set_images, set_namespace,
    set_replicas,
};
use super::{Files, RenderError, Rendered, join};

const KUSTOMIZATION_FILES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// Fields this renderer understands; anything else is a warning.
const KNOWN_FIELDS: [&str; 19] = [
    "apiVersion",
    "kind",
    "metadata",
    "resources",
    "bases",
    "helmCharts",
    "helmGlobals",
    "configMapGenerator",
    "secretGenerator",
    "generatorOptions",
    "patches",
    "patchesStrategicMerge",
    "patchesJson6902",
    "namespace",
    "labels",
    "commonLabels",
    "commonAnnotations",
    "images",
    "replicas",
];

/// Parses YAML text into documents, with the file and line of any error.
pub fn parse_documents(text: &str, origin: &str) -> Result<Vec<Value>, RenderError> {
    let mut out = Vec::new();
    for document in serde_yaml::Deserializer::from_str(text) {
        let value: Value = serde::Deserialize::deserialize(document).map_err(|e| {
            let at = e
                .location()
                .map(|l| format!("line {}: ", l.line()))
                .unwrap_or_default();
            RenderError::new(origin, format!("{at}{e}"))
        })?;
        match value {
            Value::Null => {}
            Value::Object(_) => out.push(value),
            Value::Array(items) if items.iter().all(Value::is_object) => out.extend(items),
            _ => {
                return Err(RenderError::new(
                    origin,
                    "a resource file must hold YAML objects",
                ));
            }
        }
    }
    Ok(out)
}

fn find_kustomization(files: &impl Files, dir: &str) -> Option<(String, String)> {
    KUSTOMIZATION_FILES.iter().find_map(|name| {
        let path = join(dir, name);
        files.read_file(&path).map(|text| (path, text))
    })
}

fn list<'a>(k: &'a Value, field: &str) -> &'a [Value] {
    k.get(field)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// Renders the kustomization in `dir`.
pub fn build(files: &impl Files, dir: &str) -> Result<Rendered, RenderError> {
    let mut stack = Vec::new();
    build_dir(files, &join("", dir), &mut stack)
}

fn build_dir(
    files: &impl Files,
    dir: &str,
    stack: &mut Vec<String>,
) -> Result<Rendered, RenderError> {
    let (origin, text) = find_kustomization(files, dir)
        .ok_or_else(|| RenderError::new(dir, "no kustomization.yaml in this directory"))?;
    if stack.contains(&dir.to_string()) {
        return Err(RenderError::new(
            &origin,
            format!("resource cycle: {} → {dir}", stack.join(" → ")),
        ));
    }
    stack.push(dir.to_string());
    let kustomization = parse_documents(&text, &origin)?
        .into_iter()
        .next()
        .unwrap_or(Value::Object(Map::new()));
    let mut out = Rendered::default();
    if let Some(map) = kustomization.as_object() {
        for key in map.keys().filter(|k| !KNOWN_FIELDS.contains(&k.as_str())) {
            out.warnings.push(format!("{origin}: field {key:?} is not supported by the simulated kustomize and was ignored"));
        }
    }
    accumulate_resources(files, dir, &kustomization, &origin, stack, &mut out)?;
    for chart in list(&kustomization, "helmCharts") {
        let (info, objects) = helm_chart(files, dir, chart, &origin)?;
        out.charts.push(info);
        out.manifests.extend(objects);
    }
    let generated = generators(files, dir, &kustomization, &origin)?;
    out.manifests.extend(generated.objects);
    transform(files, dir, &kustomization, &origin, &mut out.manifests)?;
    rename_references(&mut out.manifests, &generated.renames);
    stack.pop();
    Ok(out)
}

fn accumulate_resources(
    files: &impl Files,
    dir: &str,
    kustomization: &Value,
    origin: &str,
    stack: &mut Vec<String>,
    out: &mut Rendered,
) -> Result<(), RenderError> {
    for entry in list(kustomization, "resources")
        .iter()
        .chain(list(kustomization, "bases"))
    {
        let Some(relative) = entry.as_str() else {
            return Err(RenderError::new(
                origin,
                "resources entries must be strings",
            ));
        };
        if relative.contains("://") || relative.starts_with("github.com/") {
            out.warnings.push(format!(
                "{origin}: remote resource {relative:?} is not fetched by the simulation"
            ));
            continue;
        }
        let path = join(dir, relative);
        if find_kustomization(files, &path).is_some() {
            let nested = build_dir(files, &path, stack)?;
            out.manifests.extend(nested.manifests);
            out.charts.extend(nested.charts);
            out.warnings.extend(nested.warnings);
        } else if let Some(text) = files.read_file(&path) {
            out.manifests.extend(parse_documents(&text, &path)?);
        } else {
            return Err(RenderError::new(
                origin,
                format!("resource {relative:?} ({path}) not found"),
            ));
        }
    }
    Ok(())
}

/// Loads a patch given inline or as a file; a file may hold several strategic-merge documents.
fn load_patch(
    files: &impl Files,
    dir: &str,
    entry: &Value,
    origin: &str,
) -> Result<(Vec<Value>, String), RenderError> {
    if let Some(inline) = entry.get("patch").and_then(Value::as_str) {
        return Ok((parse_patch_text(inline, origin)?, origin.to_string()));
    }
    let path = entry
        .get("path")
        .and_then(Value::as_str)
        .ok_or_else(|| RenderError::new(origin, "a patch needs `path` or `patch`"))?;
    let full = join(dir, path);
    let text = files
        .read_file(&full)
        .ok_or_else(|| RenderError::new(origin, format!("patch file {full} not found")))?;
    Ok((parse_patch_text(&text, &full)?, full))
}

fn parse_patch_text(text: &str, origin: &str) -> Result<Vec<Value>, RenderError> {
    let mut docs = Vec::new();
    for document in serde_yaml::Deserializer::from_str(text) {
        let value: Value = serde::Deserialize::deserialize(document).map_err(|e| {
            let at = e
                .location()
                .map(|l| format!("line {}: ", l.line()))
                .unwrap_or_default();
            RenderError::new(origin, format!("{at}{e}"))
        })?;
        if !value.is_null() {
            docs.push(value);
        }
    }
    Ok(docs)
}

fn string_pairs(v: Option<&Value>) -> Map<String, Value> {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), Value::String(scalar(v))))
                .collect()
        })
        .unwrap_or_default()
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Patches, then namespace, labels, annotations, images and replicas (kustomize's order).
fn transform(
    files: &impl Files,
    dir: &str,
    k: &Value,
    origin: &str,
    resources: &mut [Value],
) -> Result<(), RenderError> {
    for entry in list(k, "patchesStrategicMerge") {
        let docs = match entry.as_str() {
            Some(text) if text.contains('\n') || text.contains(':') && !text.ends_with(".yaml") => {
                parse_patch_text(text, origin)?
            }
            Some(path) => {
                let full = join(dir, path);
                let text = files.read_file(&full).ok_or_else(|| {
                    RenderError::new(origin, format!("patch file {full} not found"))
                })?;
                parse_patch_text(&text, &full)?
            }
            None => {
                return Err(RenderError::new(
                    origin,
                    "patchesStrategicMerge entries must be strings",
                ));
            }
        };
        for doc in &docs {
            apply_patch(resources, doc, None, origin)?;
        }
    }
    for entry in list(k, "patches").iter().chain(list(k, "patchesJson6902")) {
        let target = entry
            .get("target")
            .map(|t| Target::parse(t, origin))
            .transpose()?;
        let (docs, patch_origin) = load_patch(files, dir, entry, origin)?;
        for doc in &docs {
            apply_patch(resources, doc, target.as_ref(), &patch_origin)?;
        }
    }
    if let Some(ns) = k
        .get("namespace")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    {
        set_namespace(resources, ns);
    }
    let common = string_pairs(k.get("commonLabels"));
    if !common.is_empty() {
        add_labels(resources, &common, true, true);
    }
    for entry in list(k, "labels") {
        let pairs = string_pairs(entry.get("pairs"));
        let selectors = entry.get("includeSelectors").and_then(Value::as_bool) == Some(true);
        let templates = entry.get("includeTemplates").and_then(Value::as_bool) == Some(true);
        add_labels(resources, &pairs, selectors, templates);
    }
    let annotations = string_pairs(k.get("commonAnnotations"));
    if !annotations.is_empty() {
        add_annotations(resources, &annotations);
    }
    set_images(resources, list(k, "images"));
    set_replicas(resources, list(k, "replicas"));
    Ok(())
}

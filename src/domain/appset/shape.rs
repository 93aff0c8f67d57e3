//! Shapes: what a template field looks like before cluster values are known.

use std::fmt;

use serde::Serialize;
use serde_json::{Map, Value};

use super::eval::{deep_merge, path_params};
use super::{ApplicationSet, Generator, GeneratorKind, GitGenerator};
use crate::domain::gotemplate::{self, TemplateOptions};

/// A template field's possible values: literal text with holes where generator values go.
/// Used to recognise an Application name as one an ApplicationSet would generate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldShape {
    pieces: Vec<ShapePiece>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ShapePiece {
    Text(String),
    Hole,
}

/// Stands in for a value only known at evaluation time (a private-use character).
const HOLE: char = '\u{E000}';

impl FieldShape {
    fn from_rendered(rendered: &str) -> Self {
        let marked = rendered.replace("<no value>", &HOLE.to_string());
        let mut pieces = Vec::new();
        for (i, text) in marked.split(HOLE).enumerate() {
            if i > 0 && pieces.last() != Some(&ShapePiece::Hole) {
                pieces.push(ShapePiece::Hole);
            }
            if !text.is_empty() {
                pieces.push(ShapePiece::Text(text.to_string()));
            }
        }
        Self { pieces }
    }

    pub fn pieces(&self) -> &[ShapePiece] {
        &self.pieces
    }

    /// The value when it has no holes.
    pub fn literal(&self) -> Option<String> {
        match self.pieces.as_slice() {
            [] => Some(String::new()),
            [ShapePiece::Text(text)] => Some(text.clone()),
            _ => None,
        }
    }

    /// How many characters are fixed.
    pub fn literal_len(&self) -> usize {
        self.pieces
            .iter()
            .map(|p| match p {
                ShapePiece::Text(t) => t.chars().count(),
                ShapePiece::Hole => 0,
            })
            .sum()
    }

    /// True when the shape begins with fixed text (so it cannot match just anything).
    pub fn is_anchored(&self) -> bool {
        matches!(self.pieces.first(), Some(ShapePiece::Text(_)))
    }

    /// Whether `value` fits: text pieces in order, each hole standing for one or more characters.
    pub fn matches(&self, value: &str) -> bool {
        fn fit(pieces: &[ShapePiece], value: &str) -> bool {
            match pieces.split_first() {
                None => value.is_empty(),
                Some((ShapePiece::Text(t), rest)) => {
                    value.strip_prefix(t.as_str()).is_some_and(|v| fit(rest, v))
                }
                Some((ShapePiece::Hole, rest)) => value
                    .char_indices()
                    .skip(1)
                    .map(|(i, _)| i)
                    .chain(std::iter::once(value.len()))
                    .filter(|&i| i > 0)
                    .any(|i| fit(rest, &value[i..])),
            }
        }
        fit(&self.pieces, value)
    }
}

impl fmt::Display for FieldShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for piece in &self.pieces {
            match piece {
                ShapePiece::Text(t) => f.write_str(t)?,
                ShapePiece::Hole => f.write_str("*")?,
            }
        }
        Ok(())
    }
}

/// Stand-in params for one branch of an ApplicationSet's generators: git path segments that
/// are literal in the pattern stay literal, list elements stay as written, cluster values are
/// holes.
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    /// The git directory pattern this branch comes from, if any.
    pub directory_pattern: Option<String>,
    pub excluded_patterns: Vec<String>,
    params: Value,
}

impl Probe {
    /// The shape of a template string under this probe; `None` when it cannot render (for
    /// example an index beyond the pattern's segments).
    pub fn shape(&self, template: &str) -> Option<FieldShape> {
        if !template.contains("{{") {
            return Some(FieldShape::from_rendered(template));
        }
        gotemplate::render(template, &self.params, TemplateOptions::default())
            .ok()
            .map(|rendered| FieldShape::from_rendered(&rendered))
    }
}

impl ApplicationSet {
    /// One probe per generator branch (git include pattern, list element, cluster set).
    pub fn probes(&self) -> Vec<Probe> {
        self.spec
            .generators
            .iter()
            .flat_map(generator_probes)
            .collect()
    }
}

/// The shapes of the names an ApplicationSet generates, one per probe.
pub fn name_shapes(appset: &ApplicationSet) -> Vec<FieldShape> {
    let mut shapes: Vec<FieldShape> = appset
        .probes()
        .iter()
        .filter_map(|p| p.shape(&appset.spec.template.metadata.name))
        .collect();
    shapes.dedup();
    shapes
}

fn hole() -> Value {
    Value::String(HOLE.to_string())
}

fn generator_probes(generator: &Generator) -> Vec<Probe> {
    let probe = |params: Value| Probe {
        directory_pattern: None,
        excluded_patterns: Vec::new(),
        params,
    };
    match &generator.kind {
        GeneratorKind::Git(git) => git_probes(git),
        GeneratorKind::Clusters(clusters) => {
            let labels: Map<String, Value> = clusters
                .selector
                .match_labels
                .keys()
                .map(|k| (k.clone(), hole()))
                .collect();
            let mut params = Map::new();
            for key in ["name", "nameNormalized", "server", "project"] {
                params.insert(key.into(), hole());
            }
            let mut metadata = Map::new();
            metadata.insert("labels".into(), Value::Object(labels));
            metadata.insert("annotations".into(), Value::Object(Map::new()));
            params.insert("metadata".into(), Value::Object(metadata));
            if !clusters.values.is_empty() {
                let values = clusters
                    .values
                    .keys()
                    .map(|k| (k.clone(), hole()))
                    .collect();
                params.insert("values".into(), Value::Object(values));
            }
            vec![probe(Value::Object(params))]
        }
        GeneratorKind::List(list) => list.elements.iter().cloned().map(probe).collect(),
        GeneratorKind::Matrix(matrix) => match matrix.generators.as_slice() {
            [first, second] => {
                let seconds = generator_probes(second);
                generator_probes(first)
                    .into_iter()
                    .flat_map(|a| {
                        seconds.iter().map(move |b| {
                            let mut params = b.params.clone();
                            deep_merge(&mut params, &a.params);
                            Probe {
                                directory_pattern: a
                                    .directory_pattern
                                    .clone()
                                    .or_else(|| b.directory_pattern.clone()),
                                excluded_patterns: if a.directory_pattern.is_some() {
                                    a.excluded_patterns.clone()
                                } else {
                                    b.excluded_patterns.clone()
                                },
                                params,
                            }
                        })
                    })
                    .collect()
            }
            _ => Vec::new(),
        },
        GeneratorKind::Other { .. } => vec![probe(Value::Object(Map::new()))],
    }
}

fn git_probes(git: &GitGenerator) -> Vec<Probe> {
    let excluded: Vec<String> = git
        .directories
        .iter()
        .filter(|d| d.exclude)
        .map(|d| d.path.clone())
        .collect();
    git.directories
        .iter()
        .filter(|d| !d.exclude)
        .map(|dir| {
            let segments: Vec<String> = dir
                .path
                .split('/')
                .map(|s| {
                    if s.contains(['*', '?', '[', '\\']) {
                        HOLE.to_string()
                    } else {
                        s.to_string()
                    }
                })
                .collect();
            let path = segments.join("/");
            let mut params = match path_params(&path) {
                Value::Object(mut map) => {
                    let basename = segments.last().cloned().unwrap_or_default();
                    if basename.contains(HOLE) {
                        map.insert("basenameNormalized".into(), hole());
                    }
                    Value::Object(map)
                }
                other => other,
            };
            if let Some(prefix) = git.path_param_prefix.as_deref().filter(|p| !p.is_empty()) {
                let mut nested = Map::new();
                nested.insert("path".into(), params);
                let mut outer = Map::new();
                outer.insert(prefix.to_string(), Value::Object(nested));
                params = Value::Object(outer);
            } else {
                let mut outer = Map::new();
                outer.insert("path".into(), params);
                params = Value::Object(outer);
            }
            if !git.values.is_empty() {
                let values = git.values.keys().map(|k| (k.clone(), hole())).collect();
                if let Value::Object(map) = &mut params {
                    map.insert("values".into(), Value::Object(values));
                }
            }
            Probe {
                directory_pattern: Some(dir.path.clone()),
                excluded_patterns: excluded.clone(),
                params,
            }
        })
        .collect()
}

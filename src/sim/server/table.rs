//! TEMPORARY shim until the sim-patch branch lands (server-side tables).
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::sim::resources::ResourceType;

pub struct TableRenderer;

impl TableRenderer {
    pub fn new(_rt: &ResourceType, _include_object: Option<&str>) -> Self {
        Self
    }
    pub fn render(&self, objects: &[&Value], _now: DateTime<Utc>) -> Value {
        let rows: Vec<Value> = objects
            .iter()
            .map(|o| json!({"cells": [o.pointer("/metadata/name").cloned().unwrap_or(Value::Null)], "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": o.get("metadata").cloned().unwrap_or(Value::Null)}}))
            .collect();
        json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {}, "columnDefinitions": [{"name": "Name", "type": "string", "format": "name", "description": "", "priority": 0}], "rows": rows})
    }
}

//! Server-side `Table` responses for `kubectl get`, from the resource type's table spec.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::sim::resources::ResourceType;
use crate::sim::table::{IncludeObject, TableSpec, table};

/// Renders objects of one resource type as a `meta.k8s.io/v1` Table.
pub struct TableRenderer {
    spec: TableSpec,
    include: IncludeObject,
}

impl TableRenderer {
    pub fn new(rt: &ResourceType, include_object: Option<&str>) -> Self {
        Self {
            spec: rt.table.clone(),
            include: IncludeObject::from_query(include_object),
        }
    }

    pub fn render(&self, objects: &[&Value], now: DateTime<Utc>) -> Value {
        table(&self.spec, objects, now, self.include)
    }
}

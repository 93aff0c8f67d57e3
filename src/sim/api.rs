//! The Kubernetes API semantics of a simulated cluster, independent of HTTP: get, list,
//! create, update, patch (merge, JSON, strategic, apply), delete with finalizers and garbage
//! collection. Every write goes through [`ClusterState::admit`], so validation, defaults,
//! resourceVersion preconditions, generation and managedFields are the same for all callers.

use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use super::cluster::ClusterState;
use super::defaults::{apply_defaults, crd_status};
use super::error::{ApiError, Subject};
use super::resources::{ResourceKey, ResourceType};
use super::store::{Entry, ObjectKey, Write, WriteOutcome, field_is_selectable};
use crate::domain::labels::{FieldRequirement, Selector, parse_field_selector};
use crate::domain::patch as patches;
use crate::sim::validate::FieldError;
use crate::sim::{apply, schema, validate};

/// Who is writing, and how.
#[derive(Debug, Clone)]
pub struct WriteContext {
    pub user: String,
    pub dry_run: bool,
    /// `fieldManager`, or derived from the client's user agent.
    pub field_manager: String,
    pub now: DateTime<Utc>,
}

impl WriteContext {
    /// A write by an in-process controller.
    pub fn controller(manager: &str) -> Self {
        Self {
            user: format!("system:serviceaccount:kube-system:{manager}"),
            dry_run: false,
            field_manager: manager.to_string(),
            now: Utc::now(),
        }
    }

    fn timestamp(&self) -> String {
        self.now.to_rfc3339_opts(SecondsFormat::Secs, true)
    }
}

/// Which part of an object a write addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Main,
    Status,
}

/// The patch media types the API accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchType {
    Json,
    Merge,
    Strategic,
    Apply,
}

impl PatchType {
    pub fn from_content_type(content_type: &str) -> Option<Self> {
        match content_type.split(';').next().unwrap_or_default().trim() {
            "application/json-patch+json" => Some(PatchType::Json),
            "application/merge-patch+json" => Some(PatchType::Merge),
            "application/strategic-merge-patch+json" => Some(PatchType::Strategic),
            "application/apply-patch+yaml" | "application/apply-patch+json" => {
                Some(PatchType::Apply)
            }
            _ => None,
        }
    }
}

/// `DeleteOptions` that matter here.
#[derive(Debug, Clone, Default)]
pub struct DeleteOptions {
    pub precondition_uid: Option<String>,
    pub precondition_rv: Option<String>,
    /// `Orphan` keeps dependents; anything else deletes them.
    pub orphan: bool,
}

/// A parsed list/watch query.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub labels: Selector,
    pub fields: Vec<FieldRequirement>,
    pub limit: Option<usize>,
    pub continue_token: Option<String>,
    /// An exact resourceVersion to list at (only checked against compaction).
    pub resource_version: Option<u64>,
}

impl ListQuery {
    pub fn parse(
        resource: &ResourceKey,
        label_selector: Option<&str>,
        field_selector: Option<&str>,
    ) -> Result<Self, ApiError> {
        let labels = Selector::parse(label_selector.unwrap_or_default())
            .map_err(|e| ApiError::bad_request(format!("unable to parse requirement: {e}")))?;
        let fields = parse_field_selector(field_selector.unwrap_or_default())
            .map_err(|e| ApiError::bad_request(e.to_string()))?;
        for f in &fields {
            if !field_is_selectable(resource, &f.field) {
                return Err(ApiError::bad_request(format!(
                    "field label not supported: {}",
                    f.field
                )));
            }
        }
        Ok(Self {
            labels,
            fields,
            ..Self::default()
        })
    }

    /// Whether a stored object passes the label and field selectors.
    pub fn matches(&self, namespace: &str, name: &str, entry: &Entry) -> bool {
        self.labels.matches(&entry.labels)
            && self.fields.iter().all(|f| {
                let actual = match f.field.as_str() {
                    "metadata.name" => name,
                    "metadata.namespace" => namespace,
                    other => entry.field(other).unwrap_or_default(),
                };
                (actual == f.value) != f.negated
            })
    }
}

/// A list result: the items, the list's resourceVersion and the continue token.
pub struct ListResult {
    pub items: Vec<Arc<Entry>>,
    pub rv: u64,
    pub continue_token: Option<String>,
    pub remaining: usize,
}

fn subject<'a>(rt: &'a ResourceType, name: &'a str) -> Subject<'a> {
    Subject {
        group: &rt.group,
        plural: &rt.plural,
        name,
    }
}

fn meta_str<'a>(obj: &'a Value, field: &str) -> Option<&'a str> {
    obj.get("metadata")?.get(field)?.as_str()
}

fn metadata_mut(obj: &mut Value) -> &mut Map<String, Value> {
    if !obj.get("metadata").is_some_and(Value::is_object) {
        obj["metadata"] = json!({});
    }
    match obj.get_mut("metadata") {
        Some(Value::Object(m)) => m,
        _ => unreachable!("metadata was just made an object"),
    }
}

fn encode_continue(rv: u64, key: &ObjectKey) -> String {
    use base64::Engine;
    let raw = json!({"rv": rv, "ns": key.0, "name": key.1}).to_string();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

fn decode_continue(token: &str) -> Result<(u64, ObjectKey), ApiError> {
    use base64::Engine;
    let invalid = || ApiError::bad_request(format!("continue key is not valid: {token:?}"));
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| invalid())?;
    let v: Value = serde_json::from_slice(&raw).map_err(|_| invalid())?;
    let rv = v.get("rv").and_then(Value::as_u64).ok_or_else(invalid)?;
    let ns = v.get("ns").and_then(Value::as_str).ok_or_else(invalid)?;
    let name = v.get("name").and_then(Value::as_str).ok_or_else(invalid)?;
    Ok((rv, (ns.to_string(), name.to_string())))
}

/// Whether two objects' maps agree on every key `keep` accepts (compared without copying).
fn same_keys(a: &Map<String, Value>, b: &Map<String, Value>, keep: impl Fn(&str) -> bool) -> bool {
    let count = |m: &Map<String, Value>| m.keys().filter(|k| keep(k)).count();
    count(a) == count(b)
        && a.iter()
            .filter(|(k, _)| keep(k))
            .all(|(k, v)| b.get(k) == Some(v))
}

/// Everything except metadata.resourceVersion and metadata.managedFields, for no-op detection.
fn same_content(a: &Value, b: &Value) -> bool {
    let (Value::Object(a), Value::Object(b)) = (a, b) else {
        return a == b;
    };
    let metadata_equal = match (a.get("metadata"), b.get("metadata")) {
        (Some(Value::Object(ma)), Some(Value::Object(mb))) => {
            same_keys(ma, mb, |k| k != "resourceVersion" && k != "managedFields")
        }
        (ma, mb) => ma == mb,
    };
    metadata_equal && same_keys(a, b, |k| k != "metadata")
}

/// Whether a change from `old` to `new` bumps `metadata.generation`: anything but metadata
/// (and status, when status is a subresource) changed.
fn generation_changed(rt: &ResourceType, old: &Value, new: &Value) -> bool {
    let counted = |k: &str| {
        let system = matches!(k, "metadata" | "apiVersion" | "kind");
        let status = rt.status_subresource && k == "status";
        !(system || status)
    };
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => !same_keys(a, b, counted),
        _ => old != new,
    }
}

fn has_finalizers(obj: &Value) -> bool {
    obj.pointer("/metadata/finalizers")
        .and_then(Value::as_array)
        .is_some_and(|f| !f.is_empty())
}

/// How a write should record field ownership.
enum Ownership<'a> {
    /// An ordinary write by this manager (operation Update).
    Update(&'a str),
    /// Server-side apply already computed managedFields.
    Applied,
}

impl ClusterState {
    /// The served type, or 404 for an unknown group/version/resource.
    pub fn resource_type(
        &self,
        group: &str,
        version: &str,
        plural: &str,
    ) -> Option<Arc<ResourceType>> {
        self.registry.read().get(group, version, plural)
    }

    pub fn get(
        &self,
        rt: &ResourceType,
        namespace: &str,
        name: &str,
    ) -> Result<Arc<Entry>, ApiError> {
        self.store
            .get(&rt.key(), namespace, name)
            .ok_or_else(|| ApiError::not_found(&subject(rt, name)))
    }

    /// Lists objects; `namespace` None lists across namespaces.
    pub fn list(
        &self,
        rt: &ResourceType,
        namespace: Option<&str>,
        query: &ListQuery,
    ) -> Result<ListResult, ApiError> {
        let compacted = self.store.compacted_rv();
        let after = match &query.continue_token {
            Some(token) => {
                let (rv, key) = decode_continue(token)?;
                if rv < compacted {
                    return Err(ApiError::gone(
                        "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.",
                    ));
                }
                Some((rv, key))
            }
            None => None,
        };
        if let Some(rv) = query.resource_version
            && rv != 0
            && rv < compacted
        {
            return Err(ApiError::gone(format!(
                "too old resource version: {rv} ({compacted})"
            )));
        }
        let keep = |e: &Entry| -> bool { query.matches(&e.namespace, &e.name, e) };
        let page = self.store.list(
            &rt.key(),
            namespace,
            after.as_ref().map(|(_, k)| k),
            query.limit,
            &keep,
        );
        let list_rv = after.map_or(page.rv, |(rv, _)| rv);
        Ok(ListResult {
            continue_token: page.next.as_ref().map(|k| encode_continue(list_rv, k)),
            items: page.items,
            rv: list_rv,
            remaining: page.remaining,
        })
    }

    /// POST: create an object (or, for a CRD, start serving its resources).
    pub fn create(
        &self,
        rt: &ResourceType,
        namespace: &str,
        mut obj: Value,
        ctx: &WriteContext,
    ) -> Result<Value, ApiError> {
        let meta = metadata_mut(&mut obj);
        let name = match meta
            .get("name")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
        {
            Some(name) => name.to_string(),
            None => match meta.get("generateName").and_then(Value::as_str) {
                Some(prefix) => {
                    let name = format!(
                        "{prefix}{}",
                        &uuid::Uuid::new_v4().simple().to_string()[..5]
                    );
                    meta.insert("name".into(), json!(name));
                    name
                }
                None => {
                    return Err(ApiError::invalid(
                        &rt.kind,
                        "",
                        &rt.group,
                        &[FieldError::required(
                            "metadata.name",
                            "name or generateName is required",
                        )],
                    ));
                }
            },
        };
        if rt.namespaced {
            self.check_namespace_accepts(namespace)?;
        }
        let outcome =
            self.store
                .write(&rt.key(), namespace, &name, ctx.dry_run, |current, _| {
                    if current.is_some() {
                        return Err(ApiError::already_exists(&subject(rt, &name)));
                    }
                    self.admit(
                        rt,
                        namespace,
                        &name,
                        None,
                        obj,
                        Part::Main,
                        Ownership::Update(&ctx.field_manager),
                        ctx,
                    )
                })?;
        self.after_write(rt, &outcome)?;
        outcome_value(outcome)
    }

    /// PUT: replace an object (or its status), honouring a resourceVersion precondition.
    pub fn replace(
        &self,
        rt: &ResourceType,
        namespace: &str,
        name: &str,
        obj: Value,
        part: Part,
        ctx: &WriteContext,
    ) -> Result<Value, ApiError> {
        let outcome = self
            .store
            .write(&rt.key(), namespace, name, ctx.dry_run, |current, _| {
                let current = current.ok_or_else(|| ApiError::not_found(&subject(rt, name)))?;
                let old = current.value()?;
                self.admit(
                    rt,
                    namespace,
                    name,
                    Some(&old),
                    obj,
                    part,
                    Ownership::Update(&ctx.field_manager),
                    ctx,
                )
            })?;
        self.after_write(rt, &outcome)?;
        outcome_value(outcome)
    }

    /// PATCH with any supported patch type. Server-side apply creates missing objects.
    /// Returns the object and whether it was created.
    #[allow(clippy::too_many_arguments)]
    pub fn patch(
        &self,
        rt: &ResourceType,
        namespace: &str,
        name: &str,
        patch_type: PatchType,
        patch: &Value,
        part: Part,
        force: bool,
        ctx: &WriteContext,
    ) -> Result<(Value, bool), ApiError> {
        if patch_type == PatchType::Strategic && !rt.builtin {
            return Err(ApiError::unsupported_media_type(
                "application/strategic-merge-patch+json",
            ));
        }
        if patch_type == PatchType::Apply && rt.namespaced {
            self.check_namespace_accepts(namespace)?;
        }
        let mut created = false;
        let outcome = self
            .store
            .write(&rt.key(), namespace, name, ctx.dry_run, |current, _| {
                let old = current.map(|c| c.value()).transpose()?;
                if old.is_none() && patch_type != PatchType::Apply {
                    return Err(ApiError::not_found(&subject(rt, name)));
                }
                created = old.is_none();
                let empty = json!({});
                let base = old.as_ref().unwrap_or(&empty);
                let (new, ownership) = match patch_type {
                    PatchType::Merge => (
                        patches::merge_patch(base, patch),
                        Ownership::Update(&ctx.field_manager),
                    ),
                    PatchType::Json => (
                        patches::json_patch(base, patch)
                            .map_err(|e| ApiError::invalid_patch(&e.to_string()))?,
                        Ownership::Update(&ctx.field_manager),
                    ),
                    PatchType::Strategic => (
                        patches::strategic_merge_patch(base, patch)
                            .map_err(|e| ApiError::invalid_patch(&e.to_string()))?,
                        Ownership::Update(&ctx.field_manager),
                    ),
                    PatchType::Apply => (
                        self.server_side_apply(rt, name, old.as_ref(), patch, force, ctx)?,
                        Ownership::Applied,
                    ),
                };
                let old_ref = old.as_ref();
                self.admit(rt, namespace, name, old_ref, new, part, ownership, ctx)
            })?;
        self.after_write(rt, &outcome)?;
        Ok((outcome_value(outcome)?, created))
    }

    fn server_side_apply(
        &self,
        rt: &ResourceType,
        name: &str,
        live: Option<&Value>,
        applied: &Value,
        force: bool,
        ctx: &WriteContext,
    ) -> Result<Value, ApiError> {
        if ctx.field_manager.is_empty() {
            return Err(ApiError::bad_request(
                "PATCH, application/apply-patch+yaml requests must have fieldManager set",
            ));
        }
        // A custom resource's apply configuration is pruned first, so the applier never owns
        // fields the schema drops.
        let mut config = applied.clone();
        if let Some(schema) = rt.schema.as_ref().filter(|_| !rt.builtin) {
            schema::check_custom_resource(&mut config, schema);
        }
        apply::apply(live, &config, &ctx.field_manager, force, &ctx.timestamp()).map_err(|e| {
            match &e {
                apply::ApplyError::Conflict(_) => {
                    ApiError::apply_conflict(e.to_string(), e.status_causes(), &subject(rt, name))
                }
                apply::ApplyError::ResourceVersionMismatch { .. } => {
                    ApiError::conflict(&subject(rt, name), &e.to_string())
                }
                _ => ApiError::bad_request(e.to_string()),
            }
        })
    }

    /// DELETE one object: finalizers hold it with a deletionTimestamp; dependents are collected.
    pub fn delete(
        &self,
        rt: &ResourceType,
        namespace: &str,
        name: &str,
        options: &DeleteOptions,
        ctx: &WriteContext,
    ) -> Result<Value, ApiError> {
        let now = ctx.timestamp();
        let is_namespace = rt.group.is_empty() && rt.plural == "namespaces";
        let outcome = self
            .store
            .write(&rt.key(), namespace, name, ctx.dry_run, |current, _| {
                let current = current.ok_or_else(|| ApiError::not_found(&subject(rt, name)))?;
                let mut obj = current.value()?;
                check_delete_preconditions(rt, name, &obj, options)?;
                if !has_finalizers(&obj) && !is_namespace {
                    return Ok(Write::Delete(obj));
                }
                if meta_str(&obj, "deletionTimestamp").is_some() {
                    return Ok(Write::Unchanged);
                }
                let meta = metadata_mut(&mut obj);
                meta.insert("deletionTimestamp".into(), json!(now));
                meta.insert("deletionGracePeriodSeconds".into(), json!(0));
                if is_namespace {
                    obj["status"] = json!({"phase": "Terminating"});
                }
                Ok(Write::Put(obj))
            })?;
        if ctx.dry_run {
            return outcome_value(outcome);
        }
        let result = outcome_value_ref(&outcome)?;
        if is_namespace {
            self.empty_namespace(name, ctx);
            self.finish_namespace_if_empty(name);
        } else if let WriteOutcome::Deleted(entry) = &outcome {
            self.after_delete(rt, entry, options.orphan, ctx);
        }
        Ok(result)
    }

    /// DELETE on a collection: every object the selectors match.
    pub fn delete_collection(
        &self,
        rt: &ResourceType,
        namespace: Option<&str>,
        query: &ListQuery,
        ctx: &WriteContext,
    ) -> Result<Vec<Value>, ApiError> {
        let listed = self.list(
            rt,
            namespace,
            &ListQuery {
                limit: None,
                continue_token: None,
                ..query.clone()
            },
        )?;
        let mut deleted = Vec::new();
        for entry in listed.items {
            match self.delete(
                rt,
                &entry.namespace,
                &entry.name,
                &DeleteOptions::default(),
                ctx,
            ) {
                Ok(v) => deleted.push(v),
                Err(e) if e.code == 404 => {}
                Err(e) => return Err(e),
            }
        }
        Ok(deleted)
    }

    /// 404 for a missing namespace, 403 for one being deleted.
    fn check_namespace_accepts(&self, namespace: &str) -> Result<(), ApiError> {
        let ns_key = ResourceKey::new("", "namespaces");
        let entry = self.store.get(&ns_key, "", namespace).ok_or_else(|| {
            ApiError::not_found(&Subject {
                group: "",
                plural: "namespaces",
                name: namespace,
            })
        })?;
        if entry
            .value()?
            .pointer("/metadata/deletionTimestamp")
            .is_some()
        {
            return Err(ApiError {
                code: 403,
                reason: "Forbidden",
                message: format!(
                    "unable to create new content in namespace {namespace} because it is being terminated"
                ),
                details: None,
            });
        }
        Ok(())
    }

    /// Turns a requested object into what is stored: system fields, status handling,
    /// generation, defaults, validation, managedFields; or decides nothing changed.
    #[allow(clippy::too_many_arguments)]
    fn admit(
        &self,
        rt: &ResourceType,
        namespace: &str,
        name: &str,
        old: Option<&Value>,
        mut new: Value,
        part: Part,
        ownership: Ownership<'_>,
        ctx: &WriteContext,
    ) -> Result<Write, ApiError> {
        if !new.is_object() {
            return Err(ApiError::bad_request(
                "the body of the request must be a JSON object",
            ));
        }
        self.check_type_meta(rt, name, &mut new)?;
        self.check_identity(rt, namespace, name, &mut new)?;
        let now = ctx.timestamp();
        match old {
            None => self.init_system_fields(rt, &mut new, &now),
            Some(old) => {
                self.check_precondition(rt, name, old, &new)?;
                new = self.carry_over(rt, old, new, part);
            }
        }
        apply_defaults(rt, &mut new, &self.ips, old.is_none());
        if rt.crd_name.is_none() && rt.group == "apiextensions.k8s.io" {
            new["status"] = crd_status(&new, &now);
        }
        // A built-in's status write carries the rest of the object over unchanged (and valid).
        if part == Part::Main || !rt.builtin {
            self.validate(rt, name, &mut new)?;
        }
        if let Some(old) = old {
            if same_content(old, &new) {
                return Ok(Write::Unchanged);
            }
            if rt.tracks_generation && generation_changed(rt, old, &new) {
                let generation = old
                    .pointer("/metadata/generation")
                    .and_then(Value::as_i64)
                    .unwrap_or(0)
                    + 1;
                metadata_mut(&mut new).insert("generation".into(), json!(generation));
            }
        }
        if let Ownership::Update(manager) = ownership
            && !manager.is_empty()
        {
            if old.is_none() {
                // Clients cannot choose the field managers of a new object.
                metadata_mut(&mut new).remove("managedFields");
            }
            apply::record_update(old, &mut new, manager, &now);
        }
        if meta_str(&new, "deletionTimestamp").is_some()
            && !has_finalizers(&new)
            && !is_namespace(rt)
        {
            return Ok(Write::Delete(new));
        }
        Ok(Write::Put(new))
    }

    /// apiVersion and kind must be present and name this resource.
    fn check_type_meta(
        &self,
        rt: &ResourceType,
        name: &str,
        obj: &mut Value,
    ) -> Result<(), ApiError> {
        let mut errors = Vec::new();
        for (field, expected) in [("apiVersion", rt.api_version()), ("kind", rt.kind.clone())] {
            match obj.get(field) {
                None | Some(Value::Null) => errors.push(FieldError::required(field, "")),
                Some(v) if v.as_str() != Some(expected.as_str()) => {
                    errors.push(FieldError::invalid(
                        field,
                        v,
                        &format!("must be {expected}"),
                    ));
                }
                _ => {}
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::invalid(&rt.kind, name, &rt.group, &errors))
        }
    }

    /// Namespace and name in the body must agree with the URL.
    fn check_identity(
        &self,
        rt: &ResourceType,
        namespace: &str,
        name: &str,
        obj: &mut Value,
    ) -> Result<(), ApiError> {
        let meta = metadata_mut(obj);
        match meta.get("name").and_then(Value::as_str) {
            Some(n) if n != name => {
                return Err(ApiError::bad_request(format!(
                    "the name of the object ({n}) does not match the name on the URL ({name})"
                )));
            }
            None => {
                meta.insert("name".into(), json!(name));
            }
            _ => {}
        }
        if rt.namespaced {
            match meta.get("namespace").and_then(Value::as_str) {
                Some(ns) if !ns.is_empty() && ns != namespace => {
                    return Err(ApiError::bad_request(
                        "the namespace of the provided object does not match the namespace sent on the request",
                    ));
                }
                _ => {
                    meta.insert("namespace".into(), json!(namespace));
                }
            }
        } else {
            meta.remove("namespace");
        }
        Ok(())
    }

    fn init_system_fields(&self, rt: &ResourceType, obj: &mut Value, now: &str) {
        let meta = metadata_mut(obj);
        meta.insert("uid".into(), json!(uuid::Uuid::new_v4().to_string()));
        meta.insert("creationTimestamp".into(), json!(now));
        meta.remove("resourceVersion");
        meta.remove("deletionTimestamp");
        meta.remove("deletionGracePeriodSeconds");
        if rt.tracks_generation {
            meta.insert("generation".into(), json!(1));
        } else {
            meta.remove("generation");
        }
        if rt.status_subresource {
            // Status is a subresource: a create cannot set it (defaults may add the initial phase).
            if let Some(map) = obj.as_object_mut() {
                map.remove("status");
            }
        }
    }

    /// A write naming a resourceVersion must name the current one.
    fn check_precondition(
        &self,
        rt: &ResourceType,
        name: &str,
        old: &Value,
        new: &Value,
    ) -> Result<(), ApiError> {
        match meta_str(new, "resourceVersion") {
            Some(rv) if !rv.is_empty() && Some(rv) != meta_str(old, "resourceVersion") => {
                Err(ApiError::conflict(
                    &subject(rt, name),
                    "the object has been modified; please apply your changes to the latest version and try again",
                ))
            }
            _ => Ok(()),
        }
    }

    /// Keeps what a write may not change: identity, timestamps, and the other part (main/status).
    fn carry_over(&self, rt: &ResourceType, old: &Value, mut new: Value, part: Part) -> Value {
        if part == Part::Status {
            let mut merged = old.clone();
            merged["status"] = new.get("status").cloned().unwrap_or(Value::Null);
            if merged["status"].is_null()
                && let Some(m) = merged.as_object_mut()
            {
                m.remove("status");
            }
            // Status writes may not touch spec or metadata (beyond managedFields, set later).
            let managed = new.pointer("/metadata/managedFields").cloned();
            new = merged;
            if let Some(managed) = managed {
                metadata_mut(&mut new).insert("managedFields".into(), managed);
            }
            return new;
        }
        if rt.status_subresource {
            match old.get("status") {
                Some(status) => new["status"] = status.clone(),
                None => {
                    if let Some(m) = new.as_object_mut() {
                        m.remove("status");
                    }
                }
            }
        }
        let old_meta = old.get("metadata").cloned().unwrap_or_else(|| json!({}));
        let meta = metadata_mut(&mut new);
        for key in [
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "generation",
        ] {
            match old_meta.get(key) {
                Some(v) => {
                    meta.insert(key.into(), v.clone());
                }
                None => {
                    meta.remove(key);
                }
            }
        }
        meta.insert(
            "resourceVersion".into(),
            old_meta
                .get("resourceVersion")
                .cloned()
                .unwrap_or(Value::Null),
        );
        if !meta.contains_key("managedFields")
            && let Some(m) = old_meta.get("managedFields")
        {
            meta.insert("managedFields".into(), m.clone());
        }
        new
    }

    /// 422 for invalid names and fields; prunes unknown fields of custom resources.
    fn validate(&self, rt: &ResourceType, name: &str, obj: &mut Value) -> Result<(), ApiError> {
        let mut errors = if rt.builtin {
            validate::validate_builtin(&rt.kind, obj)
        } else {
            let mut errors =
                validate::validate_object_meta(obj, validate::NameRule::Dns1123Subdomain);
            if let Some(schema) = &rt.schema {
                errors.extend(schema::validate_and_prune(obj, schema));
            }
            errors
        };
        if is_crd(rt)
            && errors.is_empty()
            && let Err(e) = super::resources::types_from_crd(obj)
        {
            errors.push(FieldError::invalid_omitted(&e.field, &e.message));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::invalid(&rt.kind, name, &rt.group, &errors))
        }
    }

    /// Side effects of a committed write: CRDs start serving their resources; an update that
    /// removed the last finalizer of a deleted object finishes its deletion.
    fn after_write(&self, rt: &ResourceType, outcome: &WriteOutcome) -> Result<(), ApiError> {
        if let WriteOutcome::Deleted(entry) = outcome {
            self.after_delete(
                rt,
                entry,
                false,
                &WriteContext::controller("garbage-collector"),
            );
            return Ok(());
        }
        let is_crd = rt.group == "apiextensions.k8s.io" && rt.plural == "customresourcedefinitions";
        if !is_crd {
            return Ok(());
        }
        match outcome {
            WriteOutcome::Created(entry) | WriteOutcome::Updated(entry) => {
                let crd = entry.value()?;
                let mut registry = self.registry.write();
                registry.register_crd(&crd).map_err(|e| {
                    let errors = [FieldError::invalid_omitted(&e.field, &e.message)];
                    ApiError::invalid(
                        "CustomResourceDefinition",
                        &entry.name,
                        "apiextensions.k8s.io",
                        &errors,
                    )
                })?;
            }
            _ => {}
        }
        Ok(())
    }

    /// Garbage collection and cleanup once an object is gone.
    fn after_delete(&self, rt: &ResourceType, entry: &Entry, orphan: bool, ctx: &WriteContext) {
        if rt.group == "apiextensions.k8s.io" && rt.plural == "customresourcedefinitions" {
            self.drop_crd(entry);
        }
        if rt.group.is_empty() && rt.plural == "pods" {
            self.logs.remove_pod(&entry.namespace, &entry.name);
        }
        self.collect_dependents(&entry.uid, orphan, ctx);
        if rt.namespaced {
            self.finish_namespace_if_empty(&entry.namespace);
        }
    }

    fn drop_crd(&self, entry: &Entry) {
        let Ok(crd) = entry.value() else { return };
        let (Some(group), Some(plural)) = (
            crd.pointer("/spec/group").and_then(Value::as_str),
            crd.pointer("/spec/names/plural").and_then(Value::as_str),
        ) else {
            return;
        };
        self.registry.write().unregister_crd(group, plural);
        let key = ResourceKey::new(group, plural);
        for ((ns, name), _) in self.store.keys(&key) {
            let removed = self
                .store
                .write(&key, &ns, &name, false, |cur, _| match cur {
                    Some(c) => Ok(Write::Delete(c.value()?)),
                    None => Ok(Write::Unchanged),
                });
            if let Err(e) = removed {
                tracing::warn!("removing {plural}.{group} {ns}/{name} with its CRD failed: {e}");
            }
        }
    }

    /// Deletes (or orphans) every object owned by `owner_uid`.
    fn collect_dependents(&self, owner_uid: &str, orphan: bool, ctx: &WriteContext) {
        if owner_uid.is_empty() {
            return;
        }
        for (key, (ns, name)) in self.store.dependents_of(owner_uid) {
            let Some(rt) = self.type_for_key(&key) else {
                continue;
            };
            let result = if orphan {
                self.remove_owner_reference(&rt, &ns, &name, owner_uid, ctx)
            } else {
                self.delete(&rt, &ns, &name, &DeleteOptions::default(), ctx)
                    .map(|_| ())
            };
            if let Err(e) = result
                && e.code != 404
            {
                tracing::warn!(
                    "garbage collection of {}/{ns}/{name} failed: {e}",
                    rt.plural
                );
            }
        }
    }

    fn remove_owner_reference(
        &self,
        rt: &ResourceType,
        namespace: &str,
        name: &str,
        owner_uid: &str,
        ctx: &WriteContext,
    ) -> Result<(), ApiError> {
        let entry = self.get(rt, namespace, name)?;
        let mut obj = entry.value()?;
        if let Some(refs) = obj
            .pointer_mut("/metadata/ownerReferences")
            .and_then(Value::as_array_mut)
        {
            refs.retain(|r| r.get("uid").and_then(Value::as_str) != Some(owner_uid));
        }
        self.replace(rt, namespace, name, obj, Part::Main, ctx)
            .map(|_| ())
    }

    /// The storage version's type for a resource key.
    fn type_for_key(&self, key: &ResourceKey) -> Option<Arc<ResourceType>> {
        self.registry
            .read()
            .all()
            .find(|t| t.group == key.group && t.plural == key.plural)
            .cloned()
    }

    /// Deletes everything in a namespace being terminated.
    fn empty_namespace(&self, namespace: &str, ctx: &WriteContext) {
        for key in self.store.resources() {
            let Some(rt) = self.type_for_key(&key) else {
                continue;
            };
            if !rt.namespaced {
                continue;
            }
            for ((ns, name), _) in self.store.keys(&key) {
                if ns != namespace {
                    continue;
                }
                if let Err(e) = self.delete(&rt, &ns, &name, &DeleteOptions::default(), ctx)
                    && e.code != 404
                {
                    tracing::warn!(
                        "deleting {}/{ns}/{name} with its namespace failed: {e}",
                        rt.plural
                    );
                }
            }
        }
    }

    /// A terminating namespace goes away once nothing is left in it.
    fn finish_namespace_if_empty(&self, namespace: &str) {
        let ns_key = ResourceKey::new("", "namespaces");
        let Some(entry) = self.store.get(&ns_key, "", namespace) else {
            return;
        };
        let Ok(obj) = entry.value() else { return };
        if obj.pointer("/metadata/deletionTimestamp").is_none() {
            return;
        }
        let occupied = self.store.resources().iter().any(|key| {
            !self
                .store
                .list(key, Some(namespace), None, Some(1), &|_| true)
                .items
                .is_empty()
        });
        if occupied {
            return;
        }
        let removed = self
            .store
            .write(&ns_key, "", namespace, false, |cur, _| match cur {
                Some(c) => Ok(Write::Delete(c.value()?)),
                None => Ok(Write::Unchanged),
            });
        if let Err(e) = removed {
            tracing::warn!("finishing namespace {namespace} failed: {e}");
        }
    }
}

fn check_delete_preconditions(
    rt: &ResourceType,
    name: &str,
    obj: &Value,
    options: &DeleteOptions,
) -> Result<(), ApiError> {
    if let Some(uid) = &options.precondition_uid
        && meta_str(obj, "uid") != Some(uid.as_str())
    {
        return Err(ApiError::conflict(
            &subject(rt, name),
            &format!(
                "Precondition failed: UID in precondition: {uid}, UID in object meta: {}",
                meta_str(obj, "uid").unwrap_or_default()
            ),
        ));
    }
    if let Some(rv) = &options.precondition_rv
        && meta_str(obj, "resourceVersion") != Some(rv.as_str())
    {
        return Err(ApiError::conflict(
            &subject(rt, name),
            &format!(
                "Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {}",
                meta_str(obj, "resourceVersion").unwrap_or_default()
            ),
        ));
    }
    Ok(())
}

fn is_crd(rt: &ResourceType) -> bool {
    rt.group == "apiextensions.k8s.io" && rt.plural == "customresourcedefinitions"
}

fn is_namespace(rt: &ResourceType) -> bool {
    rt.group.is_empty() && rt.plural == "namespaces"
}

fn outcome_value_ref(outcome: &WriteOutcome) -> Result<Value, ApiError> {
    match outcome {
        WriteOutcome::Created(e) | WriteOutcome::Updated(e) | WriteOutcome::Deleted(e) => e.value(),
        WriteOutcome::Unchanged(Some(e)) => e.value(),
        WriteOutcome::Unchanged(None) => Err(ApiError::internal("write left no object")),
        WriteOutcome::DryRun(v) => Ok(v.clone()),
    }
}

fn outcome_value(outcome: WriteOutcome) -> Result<Value, ApiError> {
    match outcome {
        WriteOutcome::DryRun(v) => Ok(v),
        other => outcome_value_ref(&other),
    }
}

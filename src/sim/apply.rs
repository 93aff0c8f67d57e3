//! Server-side apply and `metadata.managedFields`, in the spirit of structured-merge-diff.
//!
//! Every object carries, per field manager, the set of fields that manager owns, encoded in
//! the `FieldsV1` format (`{"f:spec":{"f:replicas":{}}}`). [`apply`] handles
//! `application/apply-patch+yaml` requests; [`record_update`] updates ownership after an
//! ordinary write (create, update, any other patch).
//!
//! # Model (simplified from structured-merge-diff, same observable rules)
//!
//! - A field set holds *members*: leaves (scalars, `null`, empty maps, atomic lists), items
//!   of keyed lists (`k:{"name":"web"}`, with `.` when they also have children) and values of
//!   set lists (`v:"finalizer"`). Which lists are keyed or sets comes from
//!   [`crate::domain::patch::list_kind`] (the same table the strategic merge patch uses);
//!   every other list is atomic. A non-empty map is never a member itself (the API server
//!   also credits a writer with a map that did not exist before; ownership of leaves, which
//!   is what conflicts are about, is the same). The identity fields `apiVersion`, `kind`, `metadata.name`,
//!   `namespace`, `uid`, `resourceVersion`, `generation`, `creationTimestamp`, `selfLink` and
//!   `managedFields` are never owned.
//! - Managers are identified by (manager, operation) for `Apply` and by (manager, operation,
//!   apiVersion) for `Update`, as the API server does.
//! - **Apply**: the applied configuration merges over the live object (maps recursively,
//!   keyed lists by key, sets by value, atomic lists replaced). Fields whose value changes and
//!   that another manager owns are conflicts (HTTP 409) unless `force`, which moves them to
//!   the applier. Setting a field to the value it already has is shared ownership, never a
//!   conflict. The applier then owns exactly the fields of its configuration; fields it owned
//!   before and no longer applies are removed from the object unless another manager still
//!   owns them (maps and lists left empty by that removal go too).
//! - **Update**: the writer takes ownership of every field whose value the write changed
//!   (taking it away from other managers); removed fields leave every manager's set. An
//!   update that changes nothing adds no entry.
//! - An object with no managedFields that meets its first apply has all its fields credited
//!   to the Update manager `before-first-apply`, as the real server does.
//! - An entry's `time` moves when its write changed the object (or the entry is new).
//! - Entries are sorted as the API server sorts them (Apply first, then by time, manager).
//!
//! Not modelled: the `last-applied-configuration` upgrade path of kubectl (client-side apply
//! fields that `kubectl apply --server-side` would silently take over), the cap of ten Update
//! managers (`ancient-changes`), subresource managers (entries with `subresource` are kept as
//! they are), unions, and `null` in an apply configuration (dropped, as if absent).
//! `status` in an applied configuration is ignored.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::{Map, Value, json};

use crate::domain::patch::{ListKind, list_kind, reorder_ranked};

/// The manager the API server credits with pre-existing fields at the first apply.
pub const BEFORE_FIRST_APPLY: &str = "before-first-apply";

/// One step of a field path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PathElement {
    /// A map key: `f:replicas`.
    Field(String),
    /// A keyed list item: `k:{"name":"web"}`; (key name, JSON-encoded value), sorted by name.
    Key(Vec<(String, String)>),
    /// A set list value: `v:"foo"` (JSON-encoded).
    Value(String),
    /// A list position: `i:0` (only read from foreign entries; never produced here).
    Index(usize),
}

impl PathElement {
    /// The `FieldsV1` key for this element.
    fn encode(&self) -> String {
        match self {
            Self::Field(name) => format!("f:{name}"),
            Self::Key(pairs) => {
                let inner: Vec<String> = pairs
                    .iter()
                    .map(|(k, v)| format!("{}:{v}", Value::from(k.as_str())))
                    .collect();
                format!("k:{{{}}}", inner.join(","))
            }
            Self::Value(v) => format!("v:{v}"),
            Self::Index(i) => format!("i:{i}"),
        }
    }

    fn decode(key: &str) -> Option<Self> {
        let (kind, rest) = key.split_once(':')?;
        match kind {
            "f" => Some(Self::Field(rest.to_string())),
            "k" => {
                let Value::Object(map) = serde_json::from_str::<Value>(rest).ok()? else {
                    return None;
                };
                let mut pairs: Vec<(String, String)> =
                    map.into_iter().map(|(k, v)| (k, v.to_string())).collect();
                pairs.sort();
                Some(Self::Key(pairs))
            }
            "v" => serde_json::from_str::<Value>(rest)
                .ok()
                .map(|v| Self::Value(v.to_string())),
            "i" => rest.parse().ok().map(Self::Index),
            _ => None,
        }
    }

    /// Does this element address `item` (a list item)?
    fn selects(&self, index: usize, item: &Value) -> bool {
        match self {
            Self::Key(pairs) => pairs
                .iter()
                .all(|(k, v)| item.get(k).is_some_and(|x| encodes_as(x, v))),
            Self::Value(v) => encodes_as(item, v),
            Self::Index(i) => *i == index,
            Self::Field(_) => false,
        }
    }
}

/// Whether `value` serialises to exactly `text` (keys and set values are stored encoded).
fn encodes_as(value: &Value, text: &str) -> bool {
    serde_json::to_string(value).is_ok_and(|encoded| encoded == text)
}

impl fmt::Display for PathElement {
    /// As structured-merge-diff prints paths: `.spec`, `[name="web"]`, `[="x"]`, `[0]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Field(name) => write!(f, ".{name}"),
            Self::Key(pairs) => {
                let inner: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
                write!(f, "[{}]", inner.join(","))
            }
            Self::Value(v) => write!(f, "[={v}]"),
            Self::Index(i) => write!(f, "[{i}]"),
        }
    }
}

/// A path from the object root to a member of a field set.
pub type FieldPath = Vec<PathElement>;

/// Prints a field path as the API server does in conflict messages: `.spec.replicas`.
pub fn display_path(path: &[PathElement]) -> String {
    path.iter().map(ToString::to_string).collect()
}

/// A set of owned fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSet(BTreeSet<FieldPath>);

impl FieldSet {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, path: &[PathElement]) -> bool {
        self.0.contains(path)
    }

    pub fn paths(&self) -> impl Iterator<Item = &FieldPath> {
        self.0.iter()
    }

    pub fn union(&self, other: &FieldSet) -> FieldSet {
        FieldSet(self.0.union(&other.0).cloned().collect())
    }

    pub fn difference(&self, other: &FieldSet) -> FieldSet {
        FieldSet(self.0.difference(&other.0).cloned().collect())
    }

    pub fn intersection(&self, other: &FieldSet) -> FieldSet {
        FieldSet(self.0.intersection(&other.0).cloned().collect())
    }

    /// Reads a `fieldsV1` tree. Unknown key prefixes are skipped.
    pub fn from_fields_v1(tree: &Value) -> FieldSet {
        let mut set = BTreeSet::new();
        let mut path = Vec::new();
        read_fields_v1(tree, &mut path, &mut set);
        FieldSet(set)
    }

    /// Writes the `fieldsV1` tree: `{}` for a leaf member, `".": {}` for a member that also
    /// has children.
    pub fn to_fields_v1(&self) -> Value {
        #[derive(Default)]
        struct Node {
            member: bool,
            children: BTreeMap<PathElement, Node>,
        }
        fn to_json(node: &Node) -> Value {
            let mut map = Map::new();
            if node.member && !node.children.is_empty() {
                map.insert(".".to_string(), json!({}));
            }
            for (element, child) in &node.children {
                map.insert(element.encode(), to_json(child));
            }
            Value::Object(map)
        }
        let mut root = Node::default();
        for path in &self.0 {
            let mut node = &mut root;
            for element in path {
                node = node.children.entry(element.clone()).or_default();
            }
            node.member = true;
        }
        to_json(&root)
    }

    /// The fields an object sets (see the module doc for what counts as a member).
    pub fn of_object(obj: &Value) -> FieldSet {
        let mut set = BTreeSet::new();
        collect_members(obj, &mut Vec::new(), &mut Vec::new(), &mut set);
        FieldSet(set)
    }
}

fn read_fields_v1(tree: &Value, path: &mut FieldPath, out: &mut BTreeSet<FieldPath>) {
    let Value::Object(map) = tree else {
        return;
    };
    if !path.is_empty() && (map.is_empty() || map.contains_key(".")) {
        out.insert(path.clone());
    }
    for (key, child) in map.iter().filter(|(k, _)| k.as_str() != ".") {
        if let Some(element) = PathElement::decode(key) {
            path.push(element);
            read_fields_v1(child, path, out);
            path.pop();
        }
    }
}

/// Fields of `metadata` that no manager ever owns.
const UNOWNED_METADATA: [&str; 8] = [
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "selfLink",
    "managedFields",
];

fn is_unowned(path: &[PathElement], key: &str) -> bool {
    match path {
        [] => key == "apiVersion" || key == "kind",
        [PathElement::Field(meta)] if meta == "metadata" => UNOWNED_METADATA.contains(&key),
        _ => false,
    }
}

/// The list strategy for `items` at `names`, falling back to atomic when the items do not fit
/// the strategy (objects without the key, or non-scalars in a set).
fn effective_list_kind(names: &[String], items: &[Value]) -> ListKind {
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    match list_kind(&names) {
        ListKind::Keyed(key) if items.iter().all(|i| i.get(key).is_some()) => ListKind::Keyed(key),
        ListKind::Set if items.iter().all(|i| !i.is_object() && !i.is_array()) => ListKind::Set,
        _ => ListKind::Atomic,
    }
}

fn item_element(kind: ListKind, item: &Value) -> Option<PathElement> {
    match kind {
        ListKind::Keyed(key) => item
            .get(key)
            .map(|v| PathElement::Key(vec![(key.to_string(), v.to_string())])),
        ListKind::Set => Some(PathElement::Value(item.to_string())),
        ListKind::Atomic => None,
    }
}

fn collect_members(
    value: &Value,
    path: &mut FieldPath,
    names: &mut Vec<String>,
    out: &mut BTreeSet<FieldPath>,
) {
    match value {
        Value::Object(map) if map.is_empty() => {
            if !path.is_empty() {
                out.insert(path.clone());
            }
        }
        Value::Object(map) => {
            for (key, child) in map {
                if is_unowned(path, key) {
                    continue;
                }
                path.push(PathElement::Field(key.clone()));
                names.push(key.clone());
                collect_members(child, path, names, out);
                names.pop();
                path.pop();
            }
        }
        Value::Array(items) => {
            let kind = effective_list_kind(names, items);
            if kind == ListKind::Atomic {
                out.insert(path.clone());
                return;
            }
            for item in items {
                let Some(element) = item_element(kind, item) else {
                    continue;
                };
                path.push(element);
                out.insert(path.clone());
                if let Value::Object(fields) = item {
                    for (key, child) in fields {
                        path.push(PathElement::Field(key.clone()));
                        names.push(key.clone());
                        collect_members(child, path, names, out);
                        names.pop();
                        path.pop();
                    }
                }
                path.pop();
            }
        }
        _ => {
            out.insert(path.clone());
        }
    }
}

/// The value at a field path, if present.
fn value_at<'a>(obj: &'a Value, path: &[PathElement]) -> Option<&'a Value> {
    let mut current = obj;
    for element in path {
        current = match element {
            PathElement::Field(name) => current.get(name)?,
            other => {
                let items = current.as_array()?;
                let (_, item) = items
                    .iter()
                    .enumerate()
                    .find(|(i, item)| other.selects(*i, item))?;
                item
            }
        };
    }
    Some(current)
}

/// Members of `new` that are new or whose value differs from `old` (Added ∪ Modified).
fn changed_fields(old: &Value, new: &Value) -> FieldSet {
    let new_fields = FieldSet::of_object(new);
    let changed = new_fields
        .0
        .into_iter()
        .filter(|path| match path.last() {
            Some(PathElement::Field(_)) => value_at(old, path) != value_at(new, path),
            // A list item member changes only by appearing.
            _ => value_at(old, path).is_none(),
        })
        .collect();
    FieldSet(changed)
}

/// Members of `old` that `new` no longer has.
fn removed_fields(old: &Value, new: &Value) -> FieldSet {
    FieldSet::of_object(old).difference(&FieldSet::of_object(new))
}

/// The operation recorded in a managedFields entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Operation {
    Apply,
    Update,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Apply => "Apply",
            Self::Update => "Update",
        }
    }
}

/// One `metadata.managedFields` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedFieldsEntry {
    pub manager: String,
    pub operation: Operation,
    pub api_version: String,
    pub time: Option<String>,
    pub fields: FieldSet,
    pub subresource: Option<String>,
}

impl ManagedFieldsEntry {
    /// Whether two entries belong to the same manager identity.
    fn same_manager(&self, other: &ManagedFieldsEntry) -> bool {
        self.manager == other.manager
            && self.operation == other.operation
            && self.subresource == other.subresource
            && (self.operation == Operation::Apply || self.api_version == other.api_version)
    }

    fn from_json(entry: &Value) -> Option<Self> {
        let operation = match entry.get("operation")?.as_str()? {
            "Apply" => Operation::Apply,
            "Update" => Operation::Update,
            _ => return None,
        };
        let fields_type = entry.get("fieldsType").and_then(Value::as_str);
        if fields_type.is_some_and(|t| t != "FieldsV1") {
            return None;
        }
        let text = |key: &str| entry.get(key).and_then(Value::as_str).map(str::to_string);
        Some(Self {
            manager: text("manager")?,
            operation,
            api_version: text("apiVersion").unwrap_or_default(),
            time: text("time"),
            fields: FieldSet::from_fields_v1(entry.get("fieldsV1").unwrap_or(&Value::Null)),
            subresource: text("subresource"),
        })
    }

    fn to_json(&self) -> Value {
        let mut map = Map::new();
        map.insert("manager".into(), Value::from(self.manager.as_str()));
        map.insert("operation".into(), Value::from(self.operation.as_str()));
        map.insert("apiVersion".into(), Value::from(self.api_version.as_str()));
        if let Some(time) = &self.time {
            map.insert("time".into(), Value::from(time.as_str()));
        }
        map.insert("fieldsType".into(), Value::from("FieldsV1"));
        map.insert("fieldsV1".into(), self.fields.to_fields_v1());
        if let Some(sub) = &self.subresource {
            map.insert("subresource".into(), Value::from(sub.as_str()));
        }
        Value::Object(map)
    }

    /// How the API server names this manager in a conflict: `"kubectl"` for an applier,
    /// `"kubectl-client-side-apply" using apps/v1` for an updater.
    fn display_name(&self) -> String {
        let mut name = format!("{:?}", self.manager);
        if let Some(sub) = &self.subresource {
            name.push_str(&format!(" with subresource {sub:?}"));
        }
        if self.operation == Operation::Update {
            name.push_str(&format!(" using {}", self.api_version));
        }
        name
    }
}

/// The managedFields entries of an object (malformed entries are skipped, as the API server
/// drops managed fields it cannot decode).
pub fn managed_fields(obj: &Value) -> Vec<ManagedFieldsEntry> {
    obj.pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .map(|entries| {
            entries
                .iter()
                .filter_map(ManagedFieldsEntry::from_json)
                .collect()
        })
        .unwrap_or_default()
}

/// The managers of one object while a write is processed.
struct Managers(Vec<ManagedFieldsEntry>);

impl Managers {
    fn of(obj: &Value) -> Self {
        Self(managed_fields(obj))
    }

    fn position(&self, id: &ManagedFieldsEntry) -> Option<usize> {
        self.0.iter().position(|e| e.same_manager(id))
    }

    /// Fields in `changed` owned by a manager other than `id`.
    fn conflicts(&self, id: &ManagedFieldsEntry, changed: &FieldSet) -> Vec<Conflict> {
        let mut conflicts: Vec<Conflict> = self
            .0
            .iter()
            .filter(|e| !e.same_manager(id))
            .flat_map(|e| {
                e.fields
                    .intersection(changed)
                    .0
                    .into_iter()
                    .map(|path| Conflict {
                        manager: e.manager.clone(),
                        operation: e.operation,
                        api_version: e.api_version.clone(),
                        display_manager: e.display_name(),
                        field: display_path(&path),
                    })
            })
            .collect();
        conflicts.sort_by(|a, b| {
            (&a.manager, a.operation, &a.api_version).cmp(&(
                &b.manager,
                b.operation,
                &b.api_version,
            ))
        });
        conflicts
    }

    fn remove_from_others(&mut self, id: &ManagedFieldsEntry, fields: &FieldSet) {
        for entry in self.0.iter_mut().filter(|e| !e.same_manager(id)) {
            entry.fields = entry.fields.difference(fields);
        }
    }

    fn remove_everywhere(&mut self, fields: &FieldSet) {
        for entry in &mut self.0 {
            entry.fields = entry.fields.difference(fields);
        }
    }

    fn owned_by_anyone(&self) -> FieldSet {
        self.0
            .iter()
            .fold(FieldSet::default(), |acc, e| acc.union(&e.fields))
    }

    /// Inserts or replaces the entry of `entry`'s manager, returning the previous one.
    fn put(&mut self, entry: ManagedFieldsEntry) -> Option<ManagedFieldsEntry> {
        match self.position(&entry) {
            Some(i) => Some(std::mem::replace(&mut self.0[i], entry)),
            None => {
                self.0.push(entry);
                None
            }
        }
    }

    /// Records an Update by `id` that turned `old` into `new`.
    fn record_update(&mut self, id: ManagedFieldsEntry, old: &Value, new: &Value, now: &str) {
        let changed = changed_fields(old, new);
        let removed = removed_fields(old, new);
        self.remove_from_others(&id, &changed);
        self.remove_everywhere(&removed);
        if !changed.is_empty() {
            let fields = match self.position(&id) {
                Some(i) => self.0[i].fields.union(&changed),
                None => changed,
            };
            self.put(ManagedFieldsEntry {
                fields,
                time: Some(now.to_string()),
                ..id
            });
        }
    }

    /// Drops empty entries, sorts as the API server does, and stores them in `obj`.
    fn write_into(mut self, obj: &mut Value) {
        self.0.retain(|e| !e.fields.is_empty());
        self.0.sort_by(|a, b| {
            (
                a.operation,
                &a.time,
                &a.manager,
                &a.api_version,
                &a.subresource,
            )
                .cmp(&(
                    b.operation,
                    &b.time,
                    &b.manager,
                    &b.api_version,
                    &b.subresource,
                ))
        });
        let entries: Vec<Value> = self.0.iter().map(ManagedFieldsEntry::to_json).collect();
        if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
            if entries.is_empty() {
                meta.remove("managedFields");
            } else {
                meta.insert("managedFields".into(), Value::Array(entries));
            }
        }
    }
}

fn update_manager(manager: &str, api_version: &str) -> ManagedFieldsEntry {
    ManagedFieldsEntry {
        manager: manager.to_string(),
        operation: Operation::Update,
        api_version: api_version.to_string(),
        time: None,
        fields: FieldSet::default(),
        subresource: None,
    }
}

/// A field owned by another manager that an apply would change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub manager: String,
    pub operation: Operation,
    pub api_version: String,
    /// The manager as the API server prints it (`"kubectl" using apps/v1`).
    pub display_manager: String,
    /// The field path as the API server prints it (`.spec.replicas`).
    pub field: String,
}

impl Conflict {
    /// The `details.causes[]` entry of the 409 Status.
    pub fn status_cause(&self) -> Value {
        json!({
            "reason": "FieldManagerConflict",
            "message": format!("conflict with {}", self.display_manager),
            "field": self.field,
        })
    }
}

/// The 409 message for a set of conflicts, worded as the API server words it.
pub fn conflict_message(conflicts: &[Conflict]) -> String {
    if let [only] = conflicts {
        return format!(
            "Apply failed with 1 conflict: conflict with {}: {}",
            only.display_manager, only.field
        );
    }
    let mut lines = Vec::new();
    let mut current: Option<&str> = None;
    for conflict in conflicts {
        if current != Some(conflict.display_manager.as_str()) {
            lines.push(format!("conflicts with {}:", conflict.display_manager));
            current = Some(&conflict.display_manager);
        }
        lines.push(format!("- {}", conflict.field));
    }
    format!(
        "Apply failed with {} conflicts: {}",
        conflicts.len(),
        lines.join("\n")
    )
}

/// Why an apply was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    /// Fields owned by other managers would change (HTTP 409, reason Conflict).
    #[error("{}", conflict_message(.0))]
    Conflict(Vec<Conflict>),
    /// `metadata.resourceVersion` in the configuration is not the live one (HTTP 409).
    #[error(
        "the object has been modified; please apply your changes to the latest version and try again"
    )]
    ResourceVersionMismatch {
        applied: String,
        live: Option<String>,
    },
    /// The configuration lacks `apiVersion`, `kind` or `metadata.name` (HTTP 400).
    #[error("Object '{0}' is missing in the apply configuration")]
    MissingField(&'static str),
    /// The configuration names another kind than the live object (HTTP 400).
    #[error("apply configuration of kind {applied:?} does not match the object's kind {live:?}")]
    KindMismatch { applied: String, live: String },
    /// The configuration is not a JSON object (HTTP 400).
    #[error("the apply configuration must be an object")]
    NotAnObject,
}

impl ApplyError {
    /// The HTTP status the API server answers with.
    pub fn status_code(&self) -> u16 {
        match self {
            Self::Conflict(_) | Self::ResourceVersionMismatch { .. } => 409,
            Self::MissingField(_) | Self::KindMismatch { .. } | Self::NotAnObject => 400,
        }
    }

    /// The `details.causes` of the Status (one per conflicting field).
    pub fn status_causes(&self) -> Vec<Value> {
        match self {
            Self::Conflict(conflicts) => conflicts.iter().map(Conflict::status_cause).collect(),
            _ => Vec::new(),
        }
    }
}

fn text_at<'a>(obj: &'a Value, pointer: &str) -> Option<&'a str> {
    obj.pointer(pointer)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn check_applied(live: Option<&Value>, applied: &Value) -> Result<(), ApplyError> {
    if !applied.is_object() {
        return Err(ApplyError::NotAnObject);
    }
    let api_version = text_at(applied, "/apiVersion");
    let kind = text_at(applied, "/kind").ok_or(ApplyError::MissingField("Kind"))?;
    api_version.ok_or(ApplyError::MissingField("apiVersion"))?;
    text_at(applied, "/metadata/name").ok_or(ApplyError::MissingField("metadata.name"))?;
    if let Some(live_kind) = live.and_then(|l| text_at(l, "/kind"))
        && live_kind != kind
    {
        return Err(ApplyError::KindMismatch {
            applied: kind.to_string(),
            live: live_kind.to_string(),
        });
    }
    if let Some(wanted) = text_at(applied, "/metadata/resourceVersion") {
        let live_rv = live.and_then(|l| text_at(l, "/metadata/resourceVersion"));
        if live_rv != Some(wanted) {
            return Err(ApplyError::ResourceVersionMismatch {
                applied: wanted.to_string(),
                live: live_rv.map(str::to_string),
            });
        }
    }
    Ok(())
}

/// `managedFields: []` or `[{}]` in a write asks the API server to clear managed fields.
fn is_reset(entries: &[Value]) -> bool {
    match entries {
        [] => true,
        [only] => only.as_object().is_some_and(Map::is_empty),
        _ => false,
    }
}

fn is_reset_value(value: &Value) -> bool {
    value.as_array().is_some_and(|entries| is_reset(entries))
}

/// Server-set metadata an apply configuration may carry but never changes.
const IGNORED_APPLIED_METADATA: [&str; 8] = [
    "managedFields",
    "resourceVersion",
    "uid",
    "creationTimestamp",
    "generation",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
];

/// The applied configuration without status, server-set metadata and `null`s.
fn sanitize_config(applied: &Value) -> Value {
    let mut config = strip_nulls(applied);
    if let Some(map) = config.as_object_mut() {
        map.remove("status");
        if let Some(meta) = map.get_mut("metadata").and_then(Value::as_object_mut) {
            for key in IGNORED_APPLIED_METADATA {
                meta.remove(key);
            }
        }
    }
    config
}

fn strip_nulls(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), strip_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(strip_nulls).collect()),
        other => other.clone(),
    }
}

/// Merges an apply configuration over the live object (structured-merge-diff's merge).
fn merge_applied(live: &Value, config: &Value, names: &mut Vec<String>) -> Value {
    match (live, config) {
        (Value::Object(live_map), Value::Object(config_map)) => {
            let mut result = live_map.clone();
            for (key, config_value) in config_map {
                names.push(key.clone());
                let merged = merge_applied(
                    live_map.get(key).unwrap_or(&Value::Null),
                    config_value,
                    names,
                );
                names.pop();
                result.insert(key.clone(), merged);
            }
            Value::Object(result)
        }
        (Value::Array(live_items), Value::Array(config_items)) => {
            let all: Vec<Value> = live_items.iter().chain(config_items).cloned().collect();
            match effective_list_kind(names, &all) {
                ListKind::Atomic => config.clone(),
                kind => Value::Array(merge_list_items(live_items, config_items, kind, names)),
            }
        }
        _ => config.clone(),
    }
}

/// Merges keyed or set list items: live items stay in place, configured items merge into
/// their match or are appended, then configured items take the configuration's order.
fn merge_list_items(
    live: &[Value],
    config: &[Value],
    kind: ListKind,
    names: &mut Vec<String>,
) -> Vec<Value> {
    let mut result = live.to_vec();
    let config_ids: Vec<Option<PathElement>> =
        config.iter().map(|c| item_element(kind, c)).collect();
    for (item, id) in config.iter().zip(&config_ids) {
        let position = result
            .iter()
            .position(|existing| item_element(kind, existing) == *id);
        match position {
            Some(i) => result[i] = merge_applied(&result[i], item, names),
            None => result.push(item.clone()),
        }
    }
    reorder_ranked(&mut result, |item| {
        let id = item_element(kind, item);
        config_ids.iter().position(|c| *c == id)
    });
    result
}

/// Removes the member at `path` from `obj`; returns whether something was removed.
fn remove_member(obj: &mut Value, path: &[PathElement]) -> bool {
    let Some((last, parents)) = path.split_last() else {
        return false;
    };
    let Some(parent) = value_at_mut(obj, parents) else {
        return false;
    };
    match (last, parent) {
        (PathElement::Field(name), Value::Object(map)) => map.remove(name).is_some(),
        (element, Value::Array(items)) => {
            let before = items.len();
            let mut index = 0;
            items.retain(|item| {
                let keep = !element.selects(index, item);
                index += 1;
                keep
            });
            items.len() != before
        }
        _ => false,
    }
}

fn value_at_mut<'a>(obj: &'a mut Value, path: &[PathElement]) -> Option<&'a mut Value> {
    let mut current = obj;
    for element in path {
        current = match element {
            PathElement::Field(name) => current.get_mut(name)?,
            other => {
                let items = current.as_array_mut()?;
                let index = items
                    .iter()
                    .enumerate()
                    .position(|(i, item)| other.selects(i, item))?;
                items.get_mut(index)?
            }
        };
    }
    Some(current)
}

fn is_empty_container(value: &Value) -> bool {
    match value {
        Value::Object(map) => map.is_empty(),
        Value::Array(items) => items.is_empty(),
        _ => false,
    }
}

/// Removes `stale` members from `obj`, then any map or list they leave empty that nobody
/// owns.
fn prune(obj: &mut Value, stale: &FieldSet, owned: &FieldSet) {
    for path in stale.paths() {
        if !remove_member(obj, path) {
            continue;
        }
        for depth in (1..path.len()).rev() {
            let ancestor = &path[..depth];
            let empty = value_at(obj, ancestor).is_some_and(is_empty_container);
            if !empty || owned.contains(ancestor) {
                break;
            }
            remove_member(obj, ancestor);
        }
    }
}

/// The object without `metadata.managedFields`, for "did the write change anything".
fn without_managed_fields(obj: &Value) -> Value {
    let mut copy = obj.clone();
    if let Some(meta) = copy.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
    }
    copy
}

/// Server-side apply of `applied` by `manager` over `live` (`None` when the object does not
/// exist yet). Returns the new object with `metadata.managedFields` updated; the caller sets
/// uid, resourceVersion, generation and timestamps as for any write. `now` is the RFC 3339
/// time recorded in the applier's entry.
pub fn apply(
    live: Option<&Value>,
    applied: &Value,
    manager: &str,
    force: bool,
    now: &str,
) -> Result<Value, ApplyError> {
    check_applied(live, applied)?;
    let api_version = text_at(applied, "/apiVersion").unwrap_or_default();
    let config = sanitize_config(applied);
    let empty = json!({});
    let live_obj = live.unwrap_or(&empty);

    let mut managers = Managers::of(live_obj);
    if live.is_some() && managers.0.is_empty() {
        let credited = update_manager(BEFORE_FIRST_APPLY, api_version);
        managers.record_update(credited, &json!({}), live_obj, now);
    }

    let applier = ManagedFieldsEntry {
        manager: manager.to_string(),
        operation: Operation::Apply,
        api_version: api_version.to_string(),
        time: Some(now.to_string()),
        fields: FieldSet::of_object(&config),
        subresource: None,
    };
    let mut merged = merge_applied(live_obj, &config, &mut Vec::new());
    let changed = changed_fields(live_obj, &merged);
    let conflicts = managers.conflicts(&applier, &changed);
    if !conflicts.is_empty() && !force {
        return Err(ApplyError::Conflict(conflicts));
    }
    managers.remove_from_others(&applier, &changed);

    let previous = managers.put(applier.clone());
    let owned = managers.owned_by_anyone();
    if let Some(previous) = &previous {
        prune(&mut merged, &previous.fields.difference(&owned), &owned);
    }
    managers.remove_everywhere(&removed_fields(live_obj, &merged));

    let object_changed = without_managed_fields(&merged) != without_managed_fields(live_obj);
    if let (false, Some(previous), Some(i)) =
        (object_changed, &previous, managers.position(&applier))
    {
        managers.0[i].time = previous.time.clone();
    }
    managers.write_into(&mut merged);
    Ok(merged)
}

/// Records an ordinary write (create, update, JSON/merge/strategic patch) by `manager`:
/// `old` is the object before (`None` on create), `new` the object about to be stored. The
/// writer takes ownership of every field the write changed; `new`'s managedFields are
/// rewritten. As in the API server, the starting point is `new`'s managedFields when it
/// carries decodable entries (a client may rewrite them), none when it carries `[]` or `[{}]`
/// (the documented way to reset them), otherwise `old`'s.
pub fn record_update(old: Option<&Value>, new: &mut Value, manager: &str, now: &str) {
    let empty = json!({});
    let old_obj = old.unwrap_or(&empty);
    let mut managers = match new.pointer("/metadata/managedFields") {
        Some(Value::Array(entries)) if is_reset(entries) => Managers(Vec::new()),
        _ => Managers::of(new),
    };
    if managers.0.is_empty()
        && !new
            .pointer("/metadata/managedFields")
            .is_some_and(is_reset_value)
    {
        managers = Managers::of(old_obj);
    }
    let api_version = text_at(new, "/apiVersion").unwrap_or_default().to_string();
    managers.record_update(update_manager(manager, &api_version), old_obj, new, now);
    managers.write_into(new);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const T0: &str = "2024-03-05T07:33:04Z";
    const T1: &str = "2024-03-05T07:34:00Z";
    const T2: &str = "2024-03-05T07:35:00Z";

    fn config(replicas: i64, image: &str) -> Value {
        json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "web", "image": image}]}
                }
            }
        })
    }

    fn entries(obj: &Value) -> Vec<(String, Operation)> {
        managed_fields(obj)
            .into_iter()
            .map(|e| (e.manager, e.operation))
            .collect()
    }

    fn owner_of(obj: &Value, path: &str) -> Vec<String> {
        managed_fields(obj)
            .into_iter()
            .filter(|e| e.fields.paths().any(|p| display_path(p) == path))
            .map(|e| e.manager)
            .collect()
    }

    #[test]
    fn first_apply_creates_the_object_and_an_apply_entry() {
        let out = apply(None, &config(2, "nginx:1.25"), "kubectl", false, T0).expect("applies");
        assert_eq!(out["spec"]["replicas"], 2);
        let mf = &out["metadata"]["managedFields"];
        assert_eq!(mf.as_array().map(Vec::len), Some(1));
        assert_eq!(mf[0]["manager"], "kubectl");
        assert_eq!(mf[0]["operation"], "Apply");
        assert_eq!(mf[0]["apiVersion"], "apps/v1");
        assert_eq!(mf[0]["time"], T0);
        assert_eq!(mf[0]["fieldsType"], "FieldsV1");
        assert_eq!(
            mf[0]["fieldsV1"],
            json!({
                "f:metadata": {"f:labels": {"f:app": {}}},
                "f:spec": {
                    "f:replicas": {},
                    "f:selector": {"f:matchLabels": {"f:app": {}}},
                    "f:template": {
                        "f:metadata": {"f:labels": {"f:app": {}}},
                        "f:spec": {"f:containers": {"k:{\"name\":\"web\"}": {".": {}, "f:image": {}, "f:name": {}}}}
                    }
                }
            })
        );
    }

    #[test]
    fn fields_v1_round_trips() {
        let set = FieldSet::of_object(&config(1, "x"));
        assert_eq!(FieldSet::from_fields_v1(&set.to_fields_v1()), set);
        let with_set_and_ports = json!({
            "metadata": {"finalizers": ["a/b"]},
            "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 80}]}]}
        });
        let set = FieldSet::of_object(&with_set_and_ports);
        let tree = set.to_fields_v1();
        assert_eq!(tree["f:metadata"]["f:finalizers"]["v:\"a/b\""], json!({}));
        assert_eq!(
            tree["f:spec"]["f:containers"]["k:{\"name\":\"c\"}"]["f:ports"]["k:{\"containerPort\":80}"],
            json!({".": {}, "f:containerPort": {}})
        );
        assert_eq!(FieldSet::from_fields_v1(&tree), set);
    }

    #[test]
    fn reapply_without_a_field_removes_it() {
        let first = apply(None, &config(2, "nginx"), "kubectl", false, T0).expect("applies");
        let mut second_config = config(2, "nginx");
        second_config["metadata"]
            .as_object_mut()
            .expect("metadata")
            .remove("labels");
        second_config["spec"]
            .as_object_mut()
            .expect("spec")
            .remove("replicas");
        let second = apply(Some(&first), &second_config, "kubectl", false, T1).expect("applies");
        assert!(second["spec"].get("replicas").is_none());
        // The emptied labels map goes too.
        assert!(second["metadata"].get("labels").is_none());
        assert!(owner_of(&second, ".spec.replicas").is_empty());
        assert_eq!(second["metadata"]["managedFields"][0]["time"], T1);
    }

    #[test]
    fn reapplying_the_same_config_keeps_the_time() {
        let first = apply(None, &config(2, "nginx"), "kubectl", false, T0).expect("applies");
        let again =
            apply(Some(&first), &config(2, "nginx"), "kubectl", false, T1).expect("applies");
        assert_eq!(again, first);
    }

    #[test]
    fn two_appliers_share_a_field_and_it_survives_one_dropping_it() {
        let first = apply(None, &config(2, "nginx"), "alice", false, T0).expect("applies");
        let bob_config = json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {"replicas": 2}
        });
        let shared =
            apply(Some(&first), &bob_config, "bob", false, T1).expect("same value: no conflict");
        let mut owners = owner_of(&shared, ".spec.replicas");
        owners.sort();
        assert_eq!(owners, vec!["alice", "bob"]);

        let mut alice_without = config(2, "nginx");
        alice_without["spec"]
            .as_object_mut()
            .expect("spec")
            .remove("replicas");
        let after = apply(Some(&shared), &alice_without, "alice", false, T2).expect("applies");
        assert_eq!(after["spec"]["replicas"], 2, "bob still owns it");
        assert_eq!(owner_of(&after, ".spec.replicas"), vec!["bob"]);
    }

    #[test]
    fn changing_a_field_another_applier_owns_conflicts() {
        let first = apply(None, &config(2, "nginx"), "alice", false, T0).expect("applies");
        let bob = json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {"replicas": 5}
        });
        let err = apply(Some(&first), &bob, "bob", false, T1).expect_err("conflict");
        assert_eq!(
            err.to_string(),
            "Apply failed with 1 conflict: conflict with \"alice\": .spec.replicas"
        );
        assert_eq!(err.status_code(), 409);
        assert_eq!(
            err.status_causes(),
            vec![
                json!({"reason": "FieldManagerConflict", "message": "conflict with \"alice\"", "field": ".spec.replicas"})
            ]
        );
    }

    #[test]
    fn conflict_with_an_update_manager_names_its_api_version() {
        let mut created = config(3, "nginx");
        record_update(None, &mut created, "kubectl-client-side-apply", T0);
        assert_eq!(
            entries(&created),
            vec![("kubectl-client-side-apply".to_string(), Operation::Update)]
        );
        let err =
            apply(Some(&created), &config(5, "nginx"), "kubectl", false, T1).expect_err("conflict");
        assert_eq!(
            err.to_string(),
            "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using apps/v1: .spec.replicas"
        );
    }

    #[test]
    fn several_conflicts_are_listed_per_manager() {
        let mut created = config(3, "nginx");
        record_update(None, &mut created, "editor", T0);
        let err =
            apply(Some(&created), &config(5, "httpd"), "kubectl", false, T1).expect_err("conflict");
        assert_eq!(
            err.to_string(),
            "Apply failed with 2 conflicts: conflicts with \"editor\" using apps/v1:\n- .spec.replicas\n- .spec.template.spec.containers[name=\"web\"].image"
        );
    }

    #[test]
    fn force_moves_ownership_to_the_applier() {
        let mut created = config(3, "nginx");
        record_update(None, &mut created, "editor", T0);
        let out = apply(Some(&created), &config(5, "nginx"), "kubectl", true, T1).expect("forced");
        assert_eq!(out["spec"]["replicas"], 5);
        assert_eq!(owner_of(&out, ".spec.replicas"), vec!["kubectl"]);
        // Fields with equal values are shared, not taken.
        let mut image_owners = owner_of(&out, ".spec.template.spec.containers[name=\"web\"].image");
        image_owners.sort();
        assert_eq!(image_owners, vec!["editor", "kubectl"]);
        // Apply entries sort before Update entries.
        assert_eq!(out["metadata"]["managedFields"][0]["operation"], "Apply");
    }

    #[test]
    fn update_takes_changed_fields_from_an_applier() {
        let applied = apply(None, &config(2, "nginx"), "kubectl", false, T0).expect("applies");
        let mut scaled = applied.clone();
        scaled["spec"]["replicas"] = json!(4);
        record_update(Some(&applied), &mut scaled, "kubectl-scale", T1);
        assert_eq!(owner_of(&scaled, ".spec.replicas"), vec!["kubectl-scale"]);
        // The applier now conflicts when it sets a different value.
        let err =
            apply(Some(&scaled), &config(2, "nginx"), "kubectl", false, T2).expect_err("conflict");
        assert!(
            err.to_string()
                .contains("conflict with \"kubectl-scale\" using apps/v1: .spec.replicas")
        );
    }

    #[test]
    fn managed_fields_in_a_write_replace_or_reset_the_live_ones() {
        let applied = apply(None, &config(2, "nginx"), "kubectl", false, T0).expect("applies");
        // A client that drops managedFields keeps the live ones.
        let mut omitted = applied.clone();
        omitted["metadata"]
            .as_object_mut()
            .expect("metadata")
            .remove("managedFields");
        record_update(Some(&applied), &mut omitted, "editor", T1);
        assert_eq!(
            entries(&omitted),
            vec![("kubectl".to_string(), Operation::Apply)]
        );
        // `[]` resets them: only the writer's own changes (none here) remain.
        let mut reset = applied.clone();
        reset["metadata"]["managedFields"] = json!([]);
        record_update(Some(&applied), &mut reset, "editor", T1);
        assert!(reset["metadata"].get("managedFields").is_none());
    }

    #[test]
    fn update_that_changes_nothing_adds_no_entry() {
        let applied = apply(None, &config(2, "nginx"), "kubectl", false, T0).expect("applies");
        let mut same = applied.clone();
        record_update(Some(&applied), &mut same, "kubectl-edit", T1);
        assert_eq!(
            entries(&same),
            vec![("kubectl".to_string(), Operation::Apply)]
        );
    }

    #[test]
    fn update_removing_a_field_drops_it_from_every_manager() {
        let applied = apply(None, &config(2, "nginx"), "kubectl", false, T0).expect("applies");
        let mut edited = applied.clone();
        edited["metadata"]
            .as_object_mut()
            .expect("metadata")
            .remove("labels");
        record_update(Some(&applied), &mut edited, "kubectl-edit", T1);
        assert!(owner_of(&edited, ".metadata.labels.app").is_empty());
        // The editor changed nothing it could own, so it has no entry.
        assert_eq!(
            entries(&edited),
            vec![("kubectl".to_string(), Operation::Apply)]
        );
    }

    #[test]
    fn first_apply_to_an_unmanaged_object_conflicts_with_before_first_apply() {
        let legacy = config(3, "nginx");
        let err =
            apply(Some(&legacy), &config(5, "nginx"), "kubectl", false, T1).expect_err("conflict");
        assert_eq!(
            err.to_string(),
            "Apply failed with 1 conflict: conflict with \"before-first-apply\" using apps/v1: .spec.replicas"
        );
        let ok =
            apply(Some(&legacy), &config(3, "nginx"), "kubectl", false, T1).expect("same values");
        let mut managers: Vec<String> = entries(&ok).into_iter().map(|(m, _)| m).collect();
        managers.sort();
        assert_eq!(managers, vec!["before-first-apply", "kubectl"]);
    }

    #[test]
    fn adding_a_container_merges_by_name_and_keeps_others() {
        let first = apply(None, &config(1, "nginx"), "kubectl", false, T0).expect("applies");
        let sidecar = json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {"template": {"spec": {"containers": [{"name": "sidecar", "image": "envoy"}]}}}
        });
        let out = apply(Some(&first), &sidecar, "mesh", false, T1).expect("no conflict");
        let names: Vec<&str> = out["spec"]["template"]["spec"]["containers"]
            .as_array()
            .expect("list")
            .iter()
            .filter_map(|c| c["name"].as_str())
            .collect();
        assert_eq!(names, vec!["web", "sidecar"]);
        // Dropping the sidecar from the mesh configuration removes it again.
        let mut none = sidecar.clone();
        none["spec"] = json!({});
        let out = apply(Some(&out), &none, "mesh", false, T2).expect("applies");
        assert_eq!(
            out["spec"]["template"]["spec"]["containers"]
                .as_array()
                .map(Vec::len),
            Some(1)
        );
    }

    #[test]
    fn resource_version_is_a_precondition() {
        let mut live = apply(None, &config(1, "nginx"), "kubectl", false, T0).expect("applies");
        live["metadata"]["resourceVersion"] = json!("7");
        let mut stale = config(1, "nginx");
        stale["metadata"]["resourceVersion"] = json!("6");
        let err = apply(Some(&live), &stale, "kubectl", false, T1).expect_err("stale");
        assert_eq!(
            err,
            ApplyError::ResourceVersionMismatch {
                applied: "6".into(),
                live: Some("7".into())
            }
        );
        assert_eq!(err.status_code(), 409);
        let mut fresh = config(2, "nginx");
        fresh["metadata"]["resourceVersion"] = json!("7");
        let out = apply(Some(&live), &fresh, "kubectl", false, T1).expect("matches");
        assert_eq!(out["metadata"]["resourceVersion"], "7");
        assert_eq!(out["spec"]["replicas"], 2);
    }

    #[test]
    fn identity_fields_are_required() {
        let no_kind = json!({"apiVersion": "v1", "metadata": {"name": "x"}});
        assert_eq!(
            apply(None, &no_kind, "m", false, T0),
            Err(ApplyError::MissingField("Kind"))
        );
        let no_name = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}});
        assert_eq!(
            apply(None, &no_name, "m", false, T0),
            Err(ApplyError::MissingField("metadata.name"))
        );
        let live = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x"}});
        let other = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}});
        assert!(matches!(
            apply(Some(&live), &other, "m", false, T0),
            Err(ApplyError::KindMismatch { .. })
        ));
    }

    #[test]
    fn status_and_server_metadata_in_the_config_are_ignored() {
        let mut live = apply(None, &config(1, "nginx"), "kubectl", false, T0).expect("applies");
        live["metadata"]["uid"] = json!("u-1");
        live["status"] = json!({"readyReplicas": 1});
        let mut cfg = config(1, "nginx");
        cfg["status"] = json!({"readyReplicas": 9});
        cfg["metadata"]["uid"] = json!("forged");
        cfg["metadata"]["managedFields"] = json!([{"manager": "forged"}]);
        let out = apply(Some(&live), &cfg, "kubectl", false, T1).expect("applies");
        assert_eq!(out["status"]["readyReplicas"], 1);
        assert_eq!(out["metadata"]["uid"], "u-1");
        assert_eq!(
            entries(&out),
            vec![("kubectl".to_string(), Operation::Apply)]
        );
    }

    fn scalar() -> impl Strategy<Value = Value> {
        prop_oneof![
            any::<bool>().prop_map(Value::from),
            (0i64..4).prop_map(Value::from),
            "[a-c]{1,2}".prop_map(Value::from),
        ]
    }

    /// Small spec trees: nested maps of scalars, plus a keyed `containers` list.
    fn spec_tree() -> impl Strategy<Value = Value> {
        let map = scalar().prop_recursive(2, 12, 3, |inner| {
            prop::collection::btree_map("[a-d]", inner, 1..4)
                .prop_map(|m| Value::Object(m.into_iter().collect()))
        });
        let containers = prop::collection::btree_map("[a-c]", "[x-z]", 0..3).prop_map(|m| {
            Value::Array(
                m.into_iter()
                    .map(|(name, image)| json!({"name": name, "image": image}))
                    .collect(),
            )
        });
        (prop::collection::btree_map("[a-d]", map, 0..3), containers).prop_map(
            |(fields, containers)| {
                let mut spec: Map<String, Value> = fields.into_iter().collect();
                spec.insert("containers".into(), containers);
                Value::Object(spec)
            },
        )
    }

    fn configured(spec: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "Thing", "metadata": {"name": "t"}, "spec": spec})
    }

    proptest! {
        #[test]
        fn applying_twice_changes_nothing(spec in spec_tree()) {
            let cfg = configured(spec);
            let once = apply(None, &cfg, "m", false, T0).expect("applies");
            let twice = apply(Some(&once), &cfg, "m", false, T1).expect("re-applies");
            prop_assert_eq!(once, twice);
        }

        #[test]
        fn applied_values_win_when_forced(live in spec_tree(), spec in spec_tree()) {
            let mut before = configured(live);
            record_update(None, &mut before, "editor", T0);
            let cfg = configured(spec);
            let after = apply(Some(&before), &cfg, "m", true, T1).expect("forced apply");
            for path in FieldSet::of_object(&cfg).paths() {
                if matches!(path.last(), Some(PathElement::Field(_))) {
                    prop_assert_eq!(value_at(&after, path), value_at(&cfg, path), "{}", display_path(path));
                }
                prop_assert!(owner_of(&after, &display_path(path)).contains(&"m".to_string()));
            }
        }

        #[test]
        fn fields_v1_round_trips_any_object(spec in spec_tree()) {
            let set = FieldSet::of_object(&configured(spec));
            prop_assert_eq!(FieldSet::from_fields_v1(&set.to_fields_v1()), set);
        }
    }

    #[test]
    fn finalizers_are_a_set_shared_between_managers() {
        let base = json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
                          "metadata": {"name": "a", "finalizers": ["x"]}});
        let first = apply(None, &base, "one", false, T0).expect("applies");
        let second_cfg = json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
                                "metadata": {"name": "a", "finalizers": ["y"]}});
        let out = apply(Some(&first), &second_cfg, "two", false, T1).expect("sets merge");
        assert_eq!(out["metadata"]["finalizers"], json!(["x", "y"]));
        assert_eq!(owner_of(&out, ".metadata.finalizers[=\"y\"]"), vec!["two"]);
    }
}

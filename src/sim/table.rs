//! Server-side `Table` (meta.k8s.io/v1) output, what `kubectl get` asks for with
//! `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`.
//!
//! Columns and cells follow the API server's printers (`pkg/printers/internalversion`) for the
//! built-in kinds the simulator serves, always in their wide form (the server sends the
//! priority-1 columns too; kubectl hides them unless `-o wide`). Custom resources use their
//! CRD version's `additionalPrinterColumns` (a `Name` column first; `Age` alone when the CRD
//! declares none), evaluated with a JSONPath subset: `.a.b`, `['a/b']` / `["a"]`, `\.` escapes
//! in names, `[0]` / `[-1]`, `[*]`, and filters `[?(@.type=="Ready")]` (`==`, `!=`). Kinds
//! without a printer (and CRDs themselves) get the default table: `Name`, `Created At`.
//!
//! Ages use Kubernetes' `HumanDuration` ([`human_duration`]). The table's `metadata` is left
//! `{}`: the caller copies the list's `resourceVersion` / `continue` into it. Column
//! descriptions are close paraphrases of the real ones (kubectl never shows them).

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Map, Value, json};

use crate::domain::labels::LabelSelector;

/// What each row carries in `object`, as the `includeObject` query parameter asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IncludeObject {
    None,
    /// The default: a `PartialObjectMetadata` with the object's metadata.
    #[default]
    Metadata,
    Object,
}

impl IncludeObject {
    /// Reads `includeObject=None|Metadata|Object`; anything else means the default.
    pub fn from_query(value: Option<&str>) -> Self {
        match value {
            Some("None") => Self::None,
            Some("Object") => Self::Object,
            _ => Self::Metadata,
        }
    }
}

/// Why a printer column could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    #[error("unrecognized column definition {path:?}: {reason}")]
    JsonPath { path: String, reason: String },
    #[error("additionalPrinterColumns[{index}] has no {field}")]
    MissingField { index: usize, field: &'static str },
}

/// One entry of `columnDefinitions`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnDefinition {
    pub name: String,
    pub type_: String,
    pub format: String,
    pub description: String,
    pub priority: i64,
}

impl ColumnDefinition {
    fn new(name: &str, type_: &str, priority: i64, description: &str) -> Self {
        Self {
            name: name.to_string(),
            type_: type_.to_string(),
            format: String::new(),
            description: description.to_string(),
            priority,
        }
    }

    fn name_column() -> Self {
        Self {
            format: "name".to_string(),
            ..Self::new("Name", "string", 0, NAME_DOC)
        }
    }

    fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "type": self.type_,
            "format": self.format,
            "description": self.description,
            "priority": self.priority,
        })
    }
}

const NAME_DOC: &str = "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
const CREATED_DOC: &str = "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";
const CONTAINERS_DOC: &str = "Names of each container in the template.";
const IMAGES_DOC: &str = "Images referenced by each container in the template.";

/// A CRD `additionalPrinterColumns` entry, with its JSONPath parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct PrinterColumn {
    pub definition: ColumnDefinition,
    pub json_path: String,
    path: JsonPath,
}

impl PrinterColumn {
    pub fn new(definition: ColumnDefinition, json_path: &str) -> Result<Self, TableError> {
        Ok(Self {
            definition,
            json_path: json_path.to_string(),
            path: JsonPath::parse(json_path)?,
        })
    }

    fn from_crd(index: usize, column: &Value) -> Result<Self, TableError> {
        let text = |key: &str| column.get(key).and_then(Value::as_str).unwrap_or_default();
        let missing = |field| TableError::MissingField { index, field };
        let name = Some(text("name"))
            .filter(|s| !s.is_empty())
            .ok_or(missing("name"))?;
        let json_path = Some(text("jsonPath"))
            .filter(|s| !s.is_empty())
            .ok_or(missing("jsonPath"))?;
        let description = match text("description") {
            "" => format!("Custom resource definition column (in JSONPath format): {json_path}"),
            given => given.to_string(),
        };
        let definition = ColumnDefinition {
            name: name.to_string(),
            type_: text("type").to_string(),
            format: text("format").to_string(),
            description,
            priority: column.get("priority").and_then(Value::as_i64).unwrap_or(0),
        };
        Self::new(definition, json_path)
    }
}

/// The built-in kinds with a dedicated printer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuiltinTable {
    Namespace,
    Node,
    Pod,
    Service,
    ConfigMap,
    Secret,
    ServiceAccount,
    Event,
    PersistentVolumeClaim,
    Deployment,
    StatefulSet,
    DaemonSet,
    ReplicaSet,
    StorageClass,
}

/// How to print a resource.
#[derive(Debug, Clone, PartialEq)]
pub enum TableSpec {
    BuiltIn(BuiltinTable),
    /// A custom resource: `Name` then these columns.
    Custom(Vec<PrinterColumn>),
    /// `Name`, `Created At` (the API server's default table convertor).
    Default,
}

impl TableSpec {
    /// The spec for a built-in kind (`Default` for kinds without a printer, CRDs included).
    pub fn for_builtin_kind(kind: &str) -> Self {
        let table = match kind {
            "Namespace" => BuiltinTable::Namespace,
            "Node" => BuiltinTable::Node,
            "Pod" => BuiltinTable::Pod,
            "Service" => BuiltinTable::Service,
            "ConfigMap" => BuiltinTable::ConfigMap,
            "Secret" => BuiltinTable::Secret,
            "ServiceAccount" => BuiltinTable::ServiceAccount,
            "Event" => BuiltinTable::Event,
            "PersistentVolumeClaim" => BuiltinTable::PersistentVolumeClaim,
            "Deployment" => BuiltinTable::Deployment,
            "StatefulSet" => BuiltinTable::StatefulSet,
            "DaemonSet" => BuiltinTable::DaemonSet,
            "ReplicaSet" => BuiltinTable::ReplicaSet,
            "StorageClass" => BuiltinTable::StorageClass,
            _ => return Self::Default,
        };
        Self::BuiltIn(table)
    }

    /// The spec for a custom resource from its CRD version's `additionalPrinterColumns`
    /// (`null` or `[]` give the API server's default `Age` column).
    pub fn for_custom_resource(printer_columns: Option<&Value>) -> Result<Self, TableError> {
        let declared = printer_columns
            .and_then(Value::as_array)
            .filter(|c| !c.is_empty());
        let Some(declared) = declared else {
            let age = ColumnDefinition::new("Age", "date", 0, CREATED_DOC);
            return Ok(Self::Custom(vec![PrinterColumn::new(
                age,
                ".metadata.creationTimestamp",
            )?]));
        };
        let columns = declared
            .iter()
            .enumerate()
            .map(|(i, c)| PrinterColumn::from_crd(i, c))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::Custom(columns))
    }

    fn columns(&self) -> Vec<ColumnDefinition> {
        match self {
            Self::BuiltIn(kind) => builtin_columns(*kind),
            Self::Custom(columns) => std::iter::once(ColumnDefinition::name_column())
                .chain(columns.iter().map(|c| c.definition.clone()))
                .collect(),
            Self::Default => vec![
                ColumnDefinition::name_column(),
                ColumnDefinition::new("Created At", "date", 0, CREATED_DOC),
            ],
        }
    }

    fn row(&self, obj: &Value, now: DateTime<Utc>) -> Row {
        match self {
            Self::BuiltIn(kind) => builtin_row(*kind, obj, now),
            Self::Custom(columns) => {
                let mut cells = vec![Value::from(name_of(obj))];
                cells.extend(
                    columns
                        .iter()
                        .map(|c| custom_cell(&c.definition.type_, c.path.first(obj), now)),
                );
                Row::cells(cells)
            }
            Self::Default => {
                let created = text(obj, "/metadata/creationTimestamp");
                let created = parse_time(created)
                    .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
                    .unwrap_or_else(|| "0001-01-01T00:00:00Z".to_string());
                Row::cells(vec![Value::from(name_of(obj)), Value::from(created)])
            }
        }
    }
}

/// Builds the Table for `objects` (in list order) as seen at `now`.
pub fn table(
    spec: &TableSpec,
    objects: &[&Value],
    now: DateTime<Utc>,
    include_object: IncludeObject,
) -> Value {
    let columns: Vec<Value> = spec
        .columns()
        .iter()
        .map(ColumnDefinition::to_json)
        .collect();
    let rows: Vec<Value> = objects
        .iter()
        .map(|obj| spec.row(obj, now).to_json(obj, include_object))
        .collect();
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {},
        "columnDefinitions": columns,
        "rows": rows,
    })
}

struct Row {
    cells: Vec<Value>,
    conditions: Option<Value>,
}

impl Row {
    fn cells(cells: Vec<Value>) -> Self {
        Self {
            cells,
            conditions: None,
        }
    }

    fn to_json(&self, obj: &Value, include: IncludeObject) -> Value {
        let object = match include {
            IncludeObject::None => Value::Null,
            IncludeObject::Object => obj.clone(),
            IncludeObject::Metadata => json!({
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": obj.get("metadata").cloned().unwrap_or_else(|| json!({})),
            }),
        };
        let mut row = Map::new();
        row.insert("cells".into(), Value::Array(self.cells.clone()));
        if let Some(conditions) = &self.conditions {
            row.insert("conditions".into(), conditions.clone());
        }
        row.insert("object".into(), object);
        Value::Object(row)
    }
}

// ---------------------------------------------------------------------------------------------
// Time formatting.
// ---------------------------------------------------------------------------------------------

/// Kubernetes' `duration.HumanDuration`: about two significant figures (`5s`, `3m12s`,
/// `2d4h`, `10d`, `3y45d`).
pub fn human_duration(d: TimeDelta) -> String {
    let seconds = d.num_seconds();
    if seconds < -1 {
        return "<invalid>".to_string();
    }
    if seconds < 0 {
        return "0s".to_string();
    }
    if seconds < 60 * 2 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        return match seconds % 60 {
            0 => format!("{minutes}m"),
            s => format!("{minutes}m{s}s"),
        };
    }
    if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = minutes / 60;
    if hours < 8 {
        return match minutes % 60 {
            0 => format!("{hours}h"),
            m => format!("{hours}h{m}m"),
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        return match hours % 24 {
            0 => format!("{}d", hours / 24),
            h => format!("{}d{h}h", hours / 24),
        };
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    if hours < 24 * 365 * 8 {
        let years = hours / 24 / 365;
        return match (hours / 24) % 365 {
            0 => format!("{years}y"),
            days => format!("{years}y{days}d"),
        };
    }
    format!("{}y", hours / 24 / 365)
}

fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// `translateTimestampSince`: the age of a timestamp, `<unknown>` when unset.
fn since(timestamp: &str, now: DateTime<Utc>) -> String {
    match parse_time(timestamp) {
        Some(t) => human_duration(now - t),
        None => "<unknown>".to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// JSONPath subset for printer columns.
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Step {
    Field(String),
    Index(i64),
    Wildcard,
    Filter {
        path: Vec<String>,
        value: Value,
        negate: bool,
    },
}

/// A parsed printer-column JSONPath.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonPath(Vec<Step>);

impl JsonPath {
    pub fn parse(expr: &str) -> Result<Self, TableError> {
        let fail = |reason: &str| TableError::JsonPath {
            path: expr.to_string(),
            reason: reason.to_string(),
        };
        let mut rest = expr.trim();
        if let Some(inner) = rest.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
            rest = inner.trim();
        }
        rest = rest.strip_prefix('$').unwrap_or(rest);
        let chars: Vec<char> = rest.chars().collect();
        let mut steps = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            match chars[i] {
                '.' if chars.get(i + 1) == Some(&'.') => {
                    return Err(fail("recursive descent is not supported"));
                }
                '.' => {
                    let (name, next) = read_name(&chars, i + 1);
                    if name.is_empty() {
                        return Err(fail("empty field name"));
                    }
                    steps.push(Step::Field(name));
                    i = next;
                }
                '[' => {
                    let close = find_bracket_end(&chars, i).ok_or_else(|| fail("unclosed '['"))?;
                    let inner: String = chars[i + 1..close].iter().collect();
                    steps.push(parse_bracket(inner.trim()).map_err(|r| fail(&r))?);
                    i = close + 1;
                }
                _ if steps.is_empty() => {
                    // Lenient: `status.phase` without the leading dot.
                    let (name, next) = read_name(&chars, i);
                    steps.push(Step::Field(name));
                    i = next;
                }
                other => return Err(fail(&format!("unexpected {other:?}"))),
            }
        }
        Ok(Self(steps))
    }

    /// The first value the path selects, if any.
    pub fn first<'a>(&self, obj: &'a Value) -> Option<&'a Value> {
        let mut current = vec![obj];
        for step in &self.0 {
            current = current
                .into_iter()
                .flat_map(|value| select(step, value))
                .collect();
        }
        current.into_iter().next()
    }
}

/// Reads a dotted name up to the next unescaped `.` or `[`; `\.` is a literal dot.
fn read_name(chars: &[char], start: usize) -> (String, usize) {
    let mut name = String::new();
    let mut i = start;
    while i < chars.len() {
        match chars[i] {
            '\\' if i + 1 < chars.len() => {
                name.push(chars[i + 1]);
                i += 2;
            }
            '.' | '[' => break,
            c => {
                name.push(c);
                i += 1;
            }
        }
    }
    (name, i)
}

/// The index of the `]` closing the `[` at `open`, skipping quoted text.
fn find_bracket_end(chars: &[char], open: usize) -> Option<usize> {
    let mut quote: Option<char> = None;
    for (i, &c) in chars.iter().enumerate().skip(open + 1) {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, ']') => return Some(i),
            (None, _) => {}
        }
    }
    None
}

fn unquote(text: &str) -> Option<&str> {
    let quoted = |q: char| text.strip_prefix(q).and_then(|t| t.strip_suffix(q));
    quoted('\'').or_else(|| quoted('"'))
}

fn parse_bracket(inner: &str) -> Result<Step, String> {
    if inner == "*" {
        return Ok(Step::Wildcard);
    }
    if let Some(name) = unquote(inner) {
        return Ok(Step::Field(name.to_string()));
    }
    if let Some(filter) = inner.strip_prefix("?(").and_then(|f| f.strip_suffix(')')) {
        return parse_filter(filter.trim());
    }
    inner
        .parse::<i64>()
        .map(Step::Index)
        .map_err(|_| format!("unsupported subscript [{inner}]"))
}

fn parse_filter(filter: &str) -> Result<Step, String> {
    let (left, right, negate) = if let Some((l, r)) = filter.split_once("==") {
        (l, r, false)
    } else if let Some((l, r)) = filter.split_once("!=") {
        (l, r, true)
    } else {
        return Err(format!("unsupported filter ({filter})"));
    };
    let path = left
        .trim()
        .strip_prefix("@.")
        .ok_or_else(|| format!("filter must start with @.: ({filter})"))?
        .split('.')
        .map(str::to_string)
        .collect();
    let right = right.trim();
    let value = match unquote(right) {
        Some(text) => Value::from(text),
        None => serde_json::from_str(right).map_err(|_| format!("bad filter value {right}"))?,
    };
    Ok(Step::Filter {
        path,
        value,
        negate,
    })
}

fn select<'a>(step: &Step, value: &'a Value) -> Vec<&'a Value> {
    match step {
        Step::Field(name) => value.get(name).into_iter().collect(),
        Step::Index(i) => {
            let Some(items) = value.as_array() else {
                return Vec::new();
            };
            let len = items.len() as i64;
            let index = if *i < 0 { len + i } else { *i };
            usize::try_from(index)
                .ok()
                .and_then(|i| items.get(i))
                .into_iter()
                .collect()
        }
        Step::Wildcard => match value {
            Value::Array(items) => items.iter().collect(),
            Value::Object(map) => map.values().collect(),
            _ => Vec::new(),
        },
        Step::Filter {
            path,
            value: wanted,
            negate,
        } => value
            .as_array()
            .into_iter()
            .flatten()
            .filter(|item| {
                let found = path.iter().try_fold(*item, |v, key| v.get(key));
                (found == Some(wanted)) != *negate
            })
            .collect(),
    }
}

/// A printer-column cell, typed as the apiextensions table convertor types it.
fn custom_cell(column_type: &str, value: Option<&Value>, now: DateTime<Utc>) -> Value {
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return Value::Null;
    };
    match (column_type, value) {
        ("string", Value::String(_)) => value.clone(),
        ("string", Value::Object(_) | Value::Array(_)) => Value::from(value.to_string()),
        ("string", other) => Value::from(other.to_string()),
        ("integer", Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f as i64))
            .map_or(Value::Null, Value::from),
        ("number", Value::Number(n)) => n.as_f64().map_or(Value::Null, Value::from),
        ("boolean", Value::Bool(_)) => value.clone(),
        ("date", Value::String(s)) => match parse_time(s) {
            Some(t) => Value::from(human_duration(now - t)),
            None => Value::from("<invalid>"),
        },
        _ => Value::Null,
    }
}

// ---------------------------------------------------------------------------------------------
// Built-in printers.
// ---------------------------------------------------------------------------------------------

fn text<'a>(obj: &'a Value, pointer: &str) -> &'a str {
    obj.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
}

fn int(obj: &Value, pointer: &str) -> i64 {
    obj.pointer(pointer).and_then(Value::as_i64).unwrap_or(0)
}

fn list<'a>(obj: &'a Value, pointer: &str) -> &'a [Value] {
    obj.pointer(pointer)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

fn map_len(obj: &Value, pointer: &str) -> usize {
    obj.pointer(pointer)
        .and_then(Value::as_object)
        .map_or(0, Map::len)
}

fn name_of(obj: &Value) -> &str {
    text(obj, "/metadata/name")
}

fn age(obj: &Value, now: DateTime<Utc>) -> Value {
    Value::from(since(text(obj, "/metadata/creationTimestamp"), now))
}

fn or_none(s: &str) -> String {
    if s.is_empty() {
        "<none>".to_string()
    } else {
        s.to_string()
    }
}

/// `labels.FormatLabels`: `k=v,k2=v2` sorted, or `<none>`.
fn format_labels(obj: &Value, pointer: &str) -> String {
    let Some(map) = obj.pointer(pointer).and_then(Value::as_object) else {
        return "<none>".to_string();
    };
    let mut pairs: Vec<String> = map
        .iter()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
        .collect();
    pairs.sort();
    or_none(&pairs.join(","))
}

/// A label selector as `labels.Selector.String()` prints it (requirements sorted by key).
fn format_selector(obj: &Value, pointer: &str) -> String {
    let Some(raw) = obj.pointer(pointer) else {
        return String::new();
    };
    let parsed = serde_json::from_value::<LabelSelector>(raw.clone())
        .ok()
        .and_then(|s| s.to_selector().ok());
    let Some(mut selector) = parsed else {
        return "<invalid>".to_string();
    };
    for requirement in &mut selector.requirements {
        requirement.values.sort();
    }
    selector.requirements.sort_by(|a, b| a.key.cmp(&b.key));
    selector.to_string()
}

/// The `Containers` and `Images` wide cells of a pod template.
fn container_cells(obj: &Value, pointer: &str) -> [Value; 2] {
    let containers = list(obj, pointer);
    let join = |field: &str| {
        containers
            .iter()
            .map(|c| c.get(field).and_then(Value::as_str).unwrap_or_default())
            .collect::<Vec<_>>()
            .join(",")
    };
    [Value::from(join("name")), Value::from(join("image"))]
}

fn builtin_columns(kind: BuiltinTable) -> Vec<ColumnDefinition> {
    let c = ColumnDefinition::new;
    let name = ColumnDefinition::name_column;
    let age = || c("Age", "string", 0, CREATED_DOC);
    let template_wide = || {
        vec![
            c("Containers", "string", 1, CONTAINERS_DOC),
            c("Images", "string", 1, IMAGES_DOC),
        ]
    };
    let selector = |doc| c("Selector", "string", 1, doc);
    match kind {
        BuiltinTable::Namespace => vec![name(), c("Status", "string", 0, "The status of the namespace"), age()],
        BuiltinTable::Node => vec![
            name(),
            c("Status", "string", 0, "The status of the node"),
            c("Roles", "string", 0, "The roles of the node"),
            age(),
            c("Version", "string", 0, "Kubelet Version reported by the node."),
            c("Internal-IP", "string", 1, "List of addresses reachable to the node."),
            c("External-IP", "string", 1, "List of addresses reachable to the node."),
            c("OS-Image", "string", 1, "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy))."),
            c("Kernel-Version", "string", 1, "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64)."),
            c("Container-Runtime", "string", 1, "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2)."),
        ],
        BuiltinTable::Pod => vec![
            name(),
            c("Ready", "string", 0, "The aggregate readiness state of this pod for accepting traffic."),
            c("Status", "string", 0, "The aggregate status of the containers in this pod."),
            c("Restarts", "string", 0, "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."),
            age(),
            c("IP", "string", 1, "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated."),
            c("Node", "string", 1, "NodeName indicates in which node this pod is scheduled."),
            c("Nominated Node", "string", 1, "nominatedNodeName is set only when this pod preempts other pods on the node."),
            c("Readiness Gates", "string", 1, "If specified, all readiness gates will be evaluated for pod readiness."),
        ],
        BuiltinTable::Service => vec![
            name(),
            c("Type", "string", 0, "type determines how the Service is exposed."),
            c("Cluster-IP", "string", 0, "clusterIP is the IP address of the service."),
            c("External-IP", "string", 0, "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service."),
            c("Port(s)", "string", 0, "The list of ports that are exposed by this service."),
            age(),
            selector("Route service traffic to pods with label keys and values matching this selector."),
        ],
        BuiltinTable::ConfigMap => vec![name(), c("Data", "string", 0, "Data contains the configuration data."), age()],
        BuiltinTable::Secret => vec![
            name(),
            c("Type", "string", 0, "Used to facilitate programmatic handling of secret data."),
            c("Data", "string", 0, "Data contains the secret data."),
            age(),
        ],
        BuiltinTable::ServiceAccount => vec![
            name(),
            c("Secrets", "string", 0, "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use."),
            age(),
        ],
        BuiltinTable::Event => vec![
            c("Last Seen", "string", 0, "The time at which the most recent occurrence of this event was recorded."),
            c("Type", "string", 0, "Type of this event (Normal, Warning), new types could be added in the future"),
            c("Reason", "string", 0, "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
            c("Object", "string", 0, "The object that this event is about."),
            c("Subobject", "string", 1, "If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement."),
            c("Source", "string", 1, "The component reporting this event."),
            c("Message", "string", 0, "A human-readable description of the status of this operation."),
            c("First Seen", "string", 1, "The time at which the event was first recorded."),
            c("Count", "string", 1, "The number of times this event has occurred."),
            ColumnDefinition { priority: 1, ..name() },
        ],
        BuiltinTable::PersistentVolumeClaim => vec![
            name(),
            c("Status", "string", 0, "phase represents the current phase of PersistentVolumeClaim."),
            c("Volume", "string", 0, "volumeName is the binding reference to the PersistentVolume backing this claim."),
            c("Capacity", "string", 0, "capacity represents the actual resources of the underlying volume."),
            c("Access Modes", "string", 0, "accessModes contains the actual access modes the volume backing the PVC has."),
            c("StorageClass", "string", 0, "StorageClass of the pvc"),
            c("VolumeAttributesClass", "string", 0, "VolumeAttributesClass of the pvc"),
            age(),
            c("VolumeMode", "string", 1, "volumeMode defines what type of volume is required by the claim."),
        ],
        BuiltinTable::Deployment => [
            vec![
                name(),
                c("Ready", "string", 0, "Number of the pod with ready state"),
                c("Up-to-date", "string", 0, "Total number of non-terminated pods targeted by this deployment that have the desired template spec."),
                c("Available", "string", 0, "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment."),
                age(),
            ],
            template_wide(),
            vec![selector("Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.")],
        ]
        .concat(),
        BuiltinTable::StatefulSet => [
            vec![name(), c("Ready", "string", 0, "Number of the pod with ready state"), age()],
            template_wide(),
        ]
        .concat(),
        BuiltinTable::DaemonSet => [
            vec![
                name(),
                c("Desired", "integer", 0, "The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod)."),
                c("Current", "integer", 0, "The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod."),
                c("Ready", "integer", 0, "numberReady is the number of nodes that should be running the daemon pod and have one or more of the daemon pod running with a Ready Condition."),
                c("Up-to-date", "integer", 0, "The total number of nodes that are running updated daemon pod"),
                c("Available", "integer", 0, "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)"),
                c("Node Selector", "string", 0, "NodeSelector is a selector which must be true for the pod to fit on a node."),
                age(),
            ],
            template_wide(),
            vec![selector("A label query over pods that are managed by the daemon set.")],
        ]
        .concat(),
        BuiltinTable::ReplicaSet => [
            vec![
                name(),
                c("Desired", "integer", 0, "Replicas is the number of desired replicas."),
                c("Current", "integer", 0, "Replicas is the most recently observed number of replicas."),
                c("Ready", "integer", 0, "readyReplicas is the number of pods targeted by this ReplicaSet with a Ready Condition."),
                age(),
            ],
            template_wide(),
            vec![selector("Selector is a label query over pods that should match the replica count.")],
        ]
        .concat(),
        BuiltinTable::StorageClass => vec![
            name(),
            c("Provisioner", "string", 0, "provisioner indicates the type of the provisioner."),
            c("ReclaimPolicy", "string", 0, "reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class. Defaults to Delete."),
            c("VolumeBindingMode", "string", 0, "volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.  When unset, VolumeBindingImmediate is used."),
            c("AllowVolumeExpansion", "string", 0, "allowVolumeExpansion shows whether the storage class allow volume expand."),
            age(),
        ],
    }
}

fn builtin_row(kind: BuiltinTable, obj: &Value, now: DateTime<Utc>) -> Row {
    match kind {
        BuiltinTable::Pod => pod_row(obj, now),
        other => Row::cells(simple_cells(other, obj, now)),
    }
}

fn simple_cells(kind: BuiltinTable, obj: &Value, now: DateTime<Utc>) -> Vec<Value> {
    let name = Value::from(name_of(obj));
    match kind {
        BuiltinTable::Namespace => {
            vec![name, Value::from(text(obj, "/status/phase")), age(obj, now)]
        }
        BuiltinTable::Node => node_cells(obj, now),
        BuiltinTable::Service => service_cells(obj, now),
        BuiltinTable::ConfigMap => {
            let data = map_len(obj, "/data") + map_len(obj, "/binaryData");
            vec![name, Value::from(data), age(obj, now)]
        }
        BuiltinTable::Secret => {
            let secret_type = Some(text(obj, "/type"))
                .filter(|t| !t.is_empty())
                .unwrap_or("Opaque");
            vec![
                name,
                Value::from(secret_type),
                Value::from(map_len(obj, "/data")),
                age(obj, now),
            ]
        }
        BuiltinTable::ServiceAccount => {
            vec![
                name,
                Value::from(list(obj, "/secrets").len()),
                age(obj, now),
            ]
        }
        BuiltinTable::Event => event_cells(obj, now),
        BuiltinTable::PersistentVolumeClaim => pvc_cells(obj, now),
        BuiltinTable::Deployment => {
            let desired = obj
                .pointer("/spec/replicas")
                .and_then(Value::as_i64)
                .unwrap_or(1);
            let ready = int(obj, "/status/readyReplicas");
            let [containers, images] = container_cells(obj, "/spec/template/spec/containers");
            vec![
                name,
                Value::from(format!("{ready}/{desired}")),
                Value::from(int(obj, "/status/updatedReplicas")),
                Value::from(int(obj, "/status/availableReplicas")),
                age(obj, now),
                containers,
                images,
                Value::from(format_selector(obj, "/spec/selector")),
            ]
        }
        BuiltinTable::StatefulSet => {
            let desired = obj
                .pointer("/spec/replicas")
                .and_then(Value::as_i64)
                .unwrap_or(1);
            let ready = int(obj, "/status/readyReplicas");
            let [containers, images] = container_cells(obj, "/spec/template/spec/containers");
            vec![
                name,
                Value::from(format!("{ready}/{desired}")),
                age(obj, now),
                containers,
                images,
            ]
        }
        BuiltinTable::DaemonSet => {
            let [containers, images] = container_cells(obj, "/spec/template/spec/containers");
            vec![
                name,
                Value::from(int(obj, "/status/desiredNumberScheduled")),
                Value::from(int(obj, "/status/currentNumberScheduled")),
                Value::from(int(obj, "/status/numberReady")),
                Value::from(int(obj, "/status/updatedNumberScheduled")),
                Value::from(int(obj, "/status/numberAvailable")),
                Value::from(format_labels(obj, "/spec/template/spec/nodeSelector")),
                age(obj, now),
                containers,
                images,
                Value::from(format_selector(obj, "/spec/selector")),
            ]
        }
        BuiltinTable::ReplicaSet => {
            let desired = obj
                .pointer("/spec/replicas")
                .and_then(Value::as_i64)
                .unwrap_or(1);
            let [containers, images] = container_cells(obj, "/spec/template/spec/containers");
            vec![
                name,
                Value::from(desired),
                Value::from(int(obj, "/status/replicas")),
                Value::from(int(obj, "/status/readyReplicas")),
                age(obj, now),
                containers,
                images,
                Value::from(format_selector(obj, "/spec/selector")),
            ]
        }
        BuiltinTable::StorageClass => storage_class_cells(obj, now),
        BuiltinTable::Pod => pod_row(obj, now).cells,
    }
}

fn node_cells(node: &Value, now: DateTime<Utc>) -> Vec<Value> {
    let ready = list(node, "/status/conditions")
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some("Ready"));
    let mut status = vec![match ready {
        Some(c) if c.get("status").and_then(Value::as_str) == Some("True") => "Ready",
        Some(_) => "NotReady",
        None => "Unknown",
    }];
    if node.pointer("/spec/unschedulable").and_then(Value::as_bool) == Some(true) {
        status.push("SchedulingDisabled");
    }
    let mut roles: Vec<String> = node
        .pointer("/metadata/labels")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| match k.strip_prefix("node-role.kubernetes.io/") {
            Some(role) if !role.is_empty() => Some(role.to_string()),
            Some(_) => None,
            None if k == "kubernetes.io/role" => {
                v.as_str().filter(|r| !r.is_empty()).map(str::to_string)
            }
            None => None,
        })
        .collect();
    roles.sort();
    roles.dedup();
    let address = |kind: &str| {
        list(node, "/status/addresses")
            .iter()
            .find(|a| a.get("type").and_then(Value::as_str) == Some(kind))
            .and_then(|a| a.get("address").and_then(Value::as_str))
            .map_or_else(|| "<none>".to_string(), str::to_string)
    };
    let info = |field: &str| {
        let value = text(node, &format!("/status/nodeInfo/{field}"));
        if value.is_empty() {
            "<unknown>".to_string()
        } else {
            value.to_string()
        }
    };
    vec![
        Value::from(name_of(node)),
        Value::from(status.join(",")),
        Value::from(or_none(&roles.join(","))),
        age(node, now),
        Value::from(text(node, "/status/nodeInfo/kubeletVersion")),
        Value::from(address("InternalIP")),
        Value::from(address("ExternalIP")),
        Value::from(info("osImage")),
        Value::from(info("kernelVersion")),
        Value::from(info("containerRuntimeVersion")),
    ]
}

fn service_cells(svc: &Value, now: DateTime<Utc>) -> Vec<Value> {
    let service_type = Some(text(svc, "/spec/type"))
        .filter(|t| !t.is_empty())
        .unwrap_or("ClusterIP");
    let cluster_ip = list(svc, "/spec/clusterIPs")
        .first()
        .and_then(Value::as_str)
        .or_else(|| Some(text(svc, "/spec/clusterIP")).filter(|ip| !ip.is_empty()))
        .unwrap_or("<none>");
    let ports: Vec<String> = list(svc, "/spec/ports")
        .iter()
        .map(|p| {
            let port = p.get("port").and_then(Value::as_i64).unwrap_or(0);
            let protocol = p.get("protocol").and_then(Value::as_str).unwrap_or("TCP");
            match p.get("nodePort").and_then(Value::as_i64).filter(|n| *n > 0) {
                Some(node_port) => format!("{port}:{node_port}/{protocol}"),
                None => format!("{port}/{protocol}"),
            }
        })
        .collect();
    vec![
        Value::from(name_of(svc)),
        Value::from(service_type),
        Value::from(cluster_ip),
        Value::from(external_ip(svc, service_type)),
        Value::from(or_none(&ports.join(","))),
        age(svc, now),
        Value::from(format_labels(svc, "/spec/selector")),
    ]
}

/// `getServiceExternalIP` (wide form: no truncation).
fn external_ip(svc: &Value, service_type: &str) -> String {
    let external: Vec<&str> = list(svc, "/spec/externalIPs")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    match service_type {
        "ClusterIP" | "NodePort" => or_none(&external.join(",")),
        "LoadBalancer" => {
            let mut ips: Vec<&str> = list(svc, "/status/loadBalancer/ingress")
                .iter()
                .filter_map(|i| {
                    i.get("ip")
                        .or_else(|| i.get("hostname"))
                        .and_then(Value::as_str)
                })
                .collect();
            ips.extend(external);
            if ips.is_empty() {
                "<pending>".to_string()
            } else {
                ips.join(",")
            }
        }
        "ExternalName" => text(svc, "/spec/externalName").to_string(),
        _ => "<unknown>".to_string(),
    }
}

fn event_cells(event: &Value, now: DateTime<Utc>) -> Vec<Value> {
    let first_seen = match text(event, "/firstTimestamp") {
        "" => since(text(event, "/eventTime"), now),
        first => since(first, now),
    };
    let mut last_seen = match text(event, "/lastTimestamp") {
        "" => first_seen.clone(),
        last => since(last, now),
    };
    let mut count = int(event, "/count");
    if let Some(series) = event.get("series").filter(|s| s.is_object()) {
        last_seen = since(text(series, "/lastObservedTime"), now);
        count = int(series, "/count");
    } else if count == 0 {
        count = 1;
    }
    let kind = text(event, "/involvedObject/kind").to_lowercase();
    let target = match text(event, "/involvedObject/name") {
        "" => kind,
        name => format!("{kind}/{name}"),
    };
    let first_non_empty = |a: &str, b: &str| {
        if a.is_empty() {
            b.to_string()
        } else {
            a.to_string()
        }
    };
    let component = first_non_empty(
        text(event, "/source/component"),
        text(event, "/reportingController"),
    );
    let host = first_non_empty(
        text(event, "/source/host"),
        text(event, "/reportingInstance"),
    );
    let source = if host.is_empty() {
        component
    } else {
        format!("{component}, {host}")
    };
    vec![
        Value::from(last_seen),
        Value::from(text(event, "/type")),
        Value::from(text(event, "/reason")),
        Value::from(target),
        Value::from(text(event, "/involvedObject/fieldPath")),
        Value::from(source),
        Value::from(text(event, "/message").trim()),
        Value::from(first_seen),
        Value::from(count),
        Value::from(name_of(event)),
    ]
}

/// `GetAccessModesAsString`: abbreviations in a fixed order, duplicates dropped.
fn access_modes(pvc: &Value) -> String {
    let modes: Vec<&str> = list(pvc, "/status/accessModes")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    [
        ("ReadWriteOnce", "RWO"),
        ("ReadOnlyMany", "ROX"),
        ("ReadWriteMany", "RWX"),
        ("ReadWriteOncePod", "RWOP"),
    ]
    .iter()
    .filter(|(mode, _)| modes.contains(mode))
    .map(|(_, short)| *short)
    .collect::<Vec<_>>()
    .join(",")
}

fn pvc_cells(pvc: &Value, now: DateTime<Utc>) -> Vec<Value> {
    let phase = if pvc
        .pointer("/metadata/deletionTimestamp")
        .is_some_and(|t| !t.is_null())
    {
        "Terminating"
    } else {
        text(pvc, "/status/phase")
    };
    let volume = text(pvc, "/spec/volumeName");
    let (capacity, modes) = if volume.is_empty() {
        (String::new(), String::new())
    } else {
        (
            text(pvc, "/status/capacity/storage").to_string(),
            access_modes(pvc),
        )
    };
    let class = match text(
        pvc,
        "/metadata/annotations/volume.beta.kubernetes.io~1storage-class",
    ) {
        "" => text(pvc, "/spec/storageClassName"),
        beta => beta,
    };
    let attributes_class = Some(text(pvc, "/spec/volumeAttributesClassName"))
        .filter(|c| !c.is_empty())
        .unwrap_or("<unset>");
    let volume_mode = Some(text(pvc, "/spec/volumeMode"))
        .filter(|m| !m.is_empty())
        .unwrap_or("<unset>");
    vec![
        Value::from(name_of(pvc)),
        Value::from(phase),
        Value::from(volume),
        Value::from(capacity),
        Value::from(modes),
        Value::from(class),
        Value::from(attributes_class),
        age(pvc, now),
        Value::from(volume_mode),
    ]
}

fn storage_class_cells(sc: &Value, now: DateTime<Utc>) -> Vec<Value> {
    let is_default = [
        "storageclass.kubernetes.io~1is-default-class",
        "storageclass.beta.kubernetes.io~1is-default-class",
    ]
    .iter()
    .any(|a| text(sc, &format!("/metadata/annotations/{a}")) == "true");
    let name = if is_default {
        format!("{} (default)", name_of(sc))
    } else {
        name_of(sc).to_string()
    };
    let or = |field: &str, default: &'static str| {
        Some(text(sc, field))
            .filter(|v| !v.is_empty())
            .unwrap_or(default)
            .to_string()
    };
    vec![
        Value::from(name),
        Value::from(text(sc, "/provisioner")),
        Value::from(or("/reclaimPolicy", "Delete")),
        Value::from(or("/volumeBindingMode", "Immediate")),
        Value::from(
            sc.get("allowVolumeExpansion")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        ),
        age(sc, now),
    ]
}

/// Restart bookkeeping for the RESTARTS column.
#[derive(Default, Clone, Copy)]
struct Restarts {
    count: i64,
    last: Option<DateTime<Utc>>,
}

impl Restarts {
    fn add(&mut self, status: &Value) {
        self.count += int(status, "/restartCount");
        let finished = parse_time(text(status, "/lastState/terminated/finishedAt"));
        self.last = self.last.max(finished);
    }

    fn cell(&self, now: DateTime<Utc>) -> String {
        match self.last {
            Some(last) if self.count != 0 => {
                format!("{} ({} ago)", self.count, human_duration(now - last))
            }
            _ => self.count.to_string(),
        }
    }
}

fn has_condition(pod: &Value, condition_type: &str) -> bool {
    list(pod, "/status/conditions").iter().any(|c| {
        c.get("type").and_then(Value::as_str) == Some(condition_type)
            && c.get("status").and_then(Value::as_str) == Some("True")
    })
}

/// `printPod`: READY, STATUS (reason) and RESTARTS as kubectl shows them.
fn pod_row(pod: &Value, now: DateTime<Utc>) -> Row {
    let init_specs = list(pod, "/spec/initContainers");
    let is_sidecar = |name: &str| {
        init_specs.iter().any(|c| {
            c.get("name").and_then(Value::as_str) == Some(name)
                && c.get("restartPolicy").and_then(Value::as_str) == Some("Always")
        })
    };
    let sidecars = init_specs
        .iter()
        .filter(|c| c.get("restartPolicy").and_then(Value::as_str) == Some("Always"))
        .count();
    let total = list(pod, "/spec/containers").len() + sidecars;
    let phase = text(pod, "/status/phase");
    let mut reason = match text(pod, "/status/reason") {
        "" => phase.to_string(),
        r => r.to_string(),
    };
    let gated = list(pod, "/status/conditions").iter().any(|c| {
        c.get("type").and_then(Value::as_str) == Some("PodScheduled")
            && c.get("reason").and_then(Value::as_str) == Some("SchedulingGated")
    });
    if gated {
        reason = "SchedulingGated".to_string();
    }

    let mut ready = 0;
    let mut all = Restarts::default();
    let mut sidecar_restarts = Restarts::default();
    let mut initializing = false;
    for (i, status) in list(pod, "/status/initContainerStatuses")
        .iter()
        .enumerate()
    {
        all.add(status);
        let sidecar = is_sidecar(text(status, "/name"));
        if sidecar {
            sidecar_restarts.add(status);
        }
        let terminated = status
            .pointer("/state/terminated")
            .filter(|t| t.is_object());
        let waiting_reason = text(status, "/state/waiting/reason");
        if terminated.is_some_and(|t| int(t, "/exitCode") == 0) {
            continue;
        }
        if sidecar && status.get("started").and_then(Value::as_bool) == Some(true) {
            if status.get("ready").and_then(Value::as_bool) == Some(true) {
                ready += 1;
            }
            continue;
        }
        reason = match terminated {
            Some(t) => match (text(t, "/reason"), int(t, "/signal")) {
                ("", 0) => format!("Init:ExitCode:{}", int(t, "/exitCode")),
                ("", signal) => format!("Init:Signal:{signal}"),
                (r, _) => format!("Init:{r}"),
            },
            None if !waiting_reason.is_empty() && waiting_reason != "PodInitializing" => {
                format!("Init:{waiting_reason}")
            }
            None => format!("Init:{i}/{}", init_specs.len()),
        };
        initializing = true;
        break;
    }

    let mut restarts = all;
    if !initializing || has_condition(pod, "Initialized") {
        restarts = sidecar_restarts;
        let mut has_running = false;
        for status in list(pod, "/status/containerStatuses").iter().rev() {
            restarts.add(status);
            let terminated = status
                .pointer("/state/terminated")
                .filter(|t| t.is_object());
            let waiting_reason = text(status, "/state/waiting/reason");
            let running = status
                .pointer("/state/running")
                .is_some_and(Value::is_object);
            if !waiting_reason.is_empty() {
                reason = waiting_reason.to_string();
            } else if let Some(t) = terminated {
                reason = match (text(t, "/reason"), int(t, "/signal")) {
                    ("", 0) => format!("ExitCode:{}", int(t, "/exitCode")),
                    ("", signal) => format!("Signal:{signal}"),
                    (r, _) => r.to_string(),
                };
            } else if status.get("ready").and_then(Value::as_bool) == Some(true) && running {
                has_running = true;
                ready += 1;
            }
        }
        if reason == "Completed" && has_running {
            reason = if has_condition(pod, "Ready") {
                "Running"
            } else {
                "NotReady"
            }
            .to_string();
        }
    }

    let deleting = pod
        .pointer("/metadata/deletionTimestamp")
        .is_some_and(|t| !t.is_null());
    if deleting && text(pod, "/status/reason") == "NodeLost" {
        reason = "Unknown".to_string();
    } else if deleting && phase != "Succeeded" && phase != "Failed" {
        reason = "Terminating".to_string();
    }

    let ip = list(pod, "/status/podIPs")
        .first()
        .and_then(|p| p.get("ip").and_then(Value::as_str))
        .unwrap_or_else(|| text(pod, "/status/podIP"));
    let cells = vec![
        Value::from(name_of(pod)),
        Value::from(format!("{ready}/{total}")),
        Value::from(reason),
        Value::from(restarts.cell(now)),
        age(pod, now),
        Value::from(or_none(ip)),
        Value::from(or_none(text(pod, "/spec/nodeName"))),
        Value::from(or_none(text(pod, "/status/nominatedNodeName"))),
        Value::from(readiness_gates(pod)),
    ];
    let conditions = match phase {
        "Succeeded" => Some(
            json!([{"type": "Completed", "status": "True", "reason": "Succeeded", "message": "The pod has completed successfully."}]),
        ),
        "Failed" => Some(
            json!([{"type": "Completed", "status": "True", "reason": "Failed", "message": "The pod failed."}]),
        ),
        _ => None,
    };
    Row { cells, conditions }
}

fn readiness_gates(pod: &Value) -> String {
    let gates = list(pod, "/spec/readinessGates");
    if gates.is_empty() {
        return "<none>".to_string();
    }
    let conditions = list(pod, "/status/conditions");
    let passing = gates
        .iter()
        .filter(|gate| {
            let wanted = gate.get("conditionType");
            conditions
                .iter()
                .find(|c| c.get("type") == wanted)
                .is_some_and(|c| c.get("status").and_then(Value::as_str) == Some("True"))
        })
        .count();
    format!("{passing}/{}", gates.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        parse_time("2024-03-05T08:00:00Z").expect("valid time")
    }

    /// An RFC 3339 time `seconds` before [`now`].
    fn ago(seconds: i64) -> String {
        (now() - TimeDelta::seconds(seconds))
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    }

    fn meta(name: &str, created_ago: i64) -> Value {
        json!({"name": name, "namespace": "default", "creationTimestamp": ago(created_ago)})
    }

    fn cells(spec: &TableSpec, obj: &Value) -> Value {
        let t = table(spec, &[obj], now(), IncludeObject::None);
        t["rows"][0]["cells"].clone()
    }

    fn builtin(kind: &str) -> TableSpec {
        TableSpec::for_builtin_kind(kind)
    }

    fn column_names(spec: &TableSpec) -> Vec<String> {
        let t = table(spec, &[], now(), IncludeObject::None);
        t["columnDefinitions"]
            .as_array()
            .expect("columns")
            .iter()
            .filter(|c| c["priority"] == 0)
            .map(|c| c["name"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    #[test]
    fn human_duration_matches_kubernetes() {
        let cases = [
            (-2, "<invalid>"),
            (-1, "0s"),
            (0, "0s"),
            (5, "5s"),
            (119, "119s"),
            (120, "2m"),
            (192, "3m12s"),
            (600, "10m"),
            (179 * 60 + 59, "179m"),
            (3 * 3600, "3h"),
            (3 * 3600 + 5 * 60, "3h5m"),
            (8 * 3600 + 59 * 60, "8h"),
            (47 * 3600, "47h"),
            (48 * 3600, "2d"),
            (52 * 3600, "2d4h"),
            (10 * 86400, "10d"),
            (729 * 86400, "729d"),
            (730 * 86400, "2y"),
            (800 * 86400, "2y70d"),
            (9 * 365 * 86400, "9y"),
        ];
        for (seconds, expected) in cases {
            assert_eq!(
                human_duration(TimeDelta::seconds(seconds)),
                expected,
                "{seconds}s"
            );
        }
    }

    #[test]
    fn pod_running_with_one_ready_container() {
        let pod = json!({"metadata": meta("web-1", 300), "spec": {"nodeName": "node-a", "containers": [{"name": "a"}, {"name": "b"}]},
            "status": {"phase": "Running", "podIP": "10.0.0.5", "podIPs": [{"ip": "10.0.0.5"}],
                "containerStatuses": [
                    {"name": "a", "ready": true, "restartCount": 0, "state": {"running": {"startedAt": ago(290)}}},
                    {"name": "b", "ready": false, "restartCount": 0, "state": {"running": {"startedAt": ago(290)}}}]}});
        assert_eq!(
            cells(&builtin("Pod"), &pod),
            json!([
                "web-1", "1/2", "Running", "0", "5m", "10.0.0.5", "node-a", "<none>", "<none>"
            ])
        );
        assert_eq!(
            column_names(&builtin("Pod")),
            vec!["Name", "Ready", "Status", "Restarts", "Age"]
        );
    }

    #[test]
    fn pod_crash_loop_shows_restarts_with_last_restart_age() {
        let pod = json!({"metadata": meta("api", 3600), "spec": {"containers": [{"name": "api"}]},
            "status": {"phase": "Running", "containerStatuses": [{"name": "api", "ready": false, "restartCount": 3,
                "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": ago(120)}}}]}});
        let c = cells(&builtin("Pod"), &pod);
        assert_eq!(c[1], "0/1");
        assert_eq!(c[2], "CrashLoopBackOff");
        assert_eq!(c[3], "3 (2m ago)");
        assert_eq!(c[4], "60m");
        assert_eq!(c[5], "<none>");
    }

    #[test]
    fn pod_completed_terminating_and_initialising() {
        let done = json!({"metadata": meta("job-x", 60), "spec": {"containers": [{"name": "c"}]},
            "status": {"phase": "Succeeded", "containerStatuses": [{"name": "c", "ready": false, "restartCount": 0,
                "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]}});
        let t = table(&builtin("Pod"), &[&done], now(), IncludeObject::None);
        assert_eq!(t["rows"][0]["cells"][2], "Completed");
        assert_eq!(t["rows"][0]["conditions"][0]["reason"], "Succeeded");

        let mut deleting = done.clone();
        deleting["status"]["phase"] = json!("Running");
        deleting["metadata"]["deletionTimestamp"] = json!(ago(1));
        deleting["status"]["containerStatuses"][0]["state"] = json!({"running": {}});
        deleting["status"]["containerStatuses"][0]["ready"] = json!(true);
        assert_eq!(cells(&builtin("Pod"), &deleting)[2], "Terminating");

        let init = json!({"metadata": meta("db", 10), "spec": {"initContainers": [{"name": "migrate"}], "containers": [{"name": "db"}]},
            "status": {"phase": "Pending",
                "initContainerStatuses": [{"name": "migrate", "ready": false, "restartCount": 0, "state": {"running": {}}}],
                "containerStatuses": [{"name": "db", "ready": false, "restartCount": 0, "state": {"waiting": {"reason": "PodInitializing"}}}]}});
        assert_eq!(cells(&builtin("Pod"), &init)[2], "Init:0/1");

        let creating = json!({"metadata": meta("p", 3), "spec": {"containers": [{"name": "c"}]},
            "status": {"phase": "Pending", "containerStatuses": [{"name": "c", "ready": false, "restartCount": 0,
                "state": {"waiting": {"reason": "ContainerCreating"}}}]}});
        assert_eq!(cells(&builtin("Pod"), &creating)[2], "ContainerCreating");

        let failed_init = json!({"metadata": meta("p", 3), "spec": {"initContainers": [{"name": "i"}], "containers": [{"name": "c"}]},
            "status": {"phase": "Pending", "initContainerStatuses": [{"name": "i", "restartCount": 2,
                "state": {"terminated": {"exitCode": 1}},
                "lastState": {"terminated": {"exitCode": 1, "finishedAt": ago(30)}}}]}});
        let c = cells(&builtin("Pod"), &failed_init);
        assert_eq!(c[2], "Init:ExitCode:1");
        assert_eq!(c[3], "2 (30s ago)");
    }

    #[test]
    fn pod_sidecar_counts_towards_ready() {
        let pod = json!({"metadata": meta("p", 100), "spec": {
                "initContainers": [{"name": "proxy", "restartPolicy": "Always"}], "containers": [{"name": "app"}]},
            "status": {"phase": "Running", "conditions": [{"type": "Initialized", "status": "True"}],
                "initContainerStatuses": [{"name": "proxy", "ready": true, "started": true, "restartCount": 1, "state": {"running": {}},
                    "lastState": {"terminated": {"exitCode": 1, "finishedAt": ago(50)}}}],
                "containerStatuses": [{"name": "app", "ready": true, "restartCount": 0, "state": {"running": {}}}]}});
        let c = cells(&builtin("Pod"), &pod);
        assert_eq!(c[1], "2/2");
        assert_eq!(c[2], "Running");
        assert_eq!(c[3], "1 (50s ago)");
    }

    #[test]
    fn namespace_node_service() {
        let ns = json!({"metadata": meta("argocd", 86400 * 3), "status": {"phase": "Active"}});
        assert_eq!(
            cells(&builtin("Namespace"), &ns),
            json!(["argocd", "Active", "3d"])
        );
        assert_eq!(
            column_names(&builtin("Namespace")),
            vec!["Name", "Status", "Age"]
        );

        let node = json!({"metadata": {"name": "cp-1", "creationTimestamp": ago(7200),
                "labels": {"node-role.kubernetes.io/control-plane": "", "kubernetes.io/role": "master"}},
            "spec": {"unschedulable": true},
            "status": {"conditions": [{"type": "Ready", "status": "True"}],
                "addresses": [{"type": "InternalIP", "address": "172.18.0.2"}],
                "nodeInfo": {"kubeletVersion": "v1.32.2", "osImage": "Debian GNU/Linux 12", "kernelVersion": "6.1.0", "containerRuntimeVersion": "containerd://1.7.24"}}});
        assert_eq!(
            cells(&builtin("Node"), &node),
            json!([
                "cp-1",
                "Ready,SchedulingDisabled",
                "control-plane,master",
                "120m",
                "v1.32.2",
                "172.18.0.2",
                "<none>",
                "Debian GNU/Linux 12",
                "6.1.0",
                "containerd://1.7.24"
            ])
        );
        assert_eq!(
            column_names(&builtin("Node")),
            vec!["Name", "Status", "Roles", "Age", "Version"]
        );

        let svc = json!({"metadata": meta("web", 30), "spec": {"type": "ClusterIP", "clusterIP": "10.96.0.10",
            "clusterIPs": ["10.96.0.10"], "selector": {"app": "web"},
            "ports": [{"port": 80, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}]}});
        assert_eq!(
            cells(&builtin("Service"), &svc),
            json!([
                "web",
                "ClusterIP",
                "10.96.0.10",
                "<none>",
                "80/TCP,53/UDP",
                "30s",
                "app=web"
            ])
        );
        let lb = json!({"metadata": meta("ingress", 30), "spec": {"type": "LoadBalancer", "clusterIP": "10.96.0.11",
            "ports": [{"port": 443, "nodePort": 31443}]}});
        assert_eq!(
            cells(&builtin("Service"), &lb),
            json!([
                "ingress",
                "LoadBalancer",
                "10.96.0.11",
                "<pending>",
                "443:31443/TCP",
                "30s",
                "<none>"
            ])
        );
        assert_eq!(
            column_names(&builtin("Service")),
            vec![
                "Name",
                "Type",
                "Cluster-IP",
                "External-IP",
                "Port(s)",
                "Age"
            ]
        );
    }

    #[test]
    fn config_and_identity_kinds() {
        let cm = json!({"metadata": meta("cfg", 60), "data": {"a": "1", "b": "2"}, "binaryData": {"c": "eA=="}});
        assert_eq!(cells(&builtin("ConfigMap"), &cm), json!(["cfg", 3, "60s"]));
        let secret = json!({"metadata": meta("cluster-dev", 60), "type": "Opaque", "data": {"name": "ZGV2"}});
        assert_eq!(
            cells(&builtin("Secret"), &secret),
            json!(["cluster-dev", "Opaque", 1, "60s"])
        );
        assert_eq!(
            column_names(&builtin("Secret")),
            vec!["Name", "Type", "Data", "Age"]
        );
        let sa = json!({"metadata": meta("default", 60)});
        assert_eq!(
            cells(&builtin("ServiceAccount"), &sa),
            json!(["default", 0, "60s"])
        );
    }

    #[test]
    fn event_columns_and_cells() {
        let event = json!({"metadata": meta("guestbook.17b", 600),
            "involvedObject": {"kind": "Application", "name": "guestbook", "namespace": "argocd"},
            "reason": "OperationStarted", "message": "Initiated automated sync to 'abc'\n", "type": "Normal",
            "source": {"component": "argocd-application-controller"},
            "firstTimestamp": ago(600), "lastTimestamp": ago(65), "count": 2});
        assert_eq!(
            cells(&builtin("Event"), &event),
            json!([
                "65s",
                "Normal",
                "OperationStarted",
                "application/guestbook",
                "",
                "argocd-application-controller",
                "Initiated automated sync to 'abc'",
                "10m",
                2,
                "guestbook.17b"
            ])
        );
        assert_eq!(
            column_names(&builtin("Event")),
            vec!["Last Seen", "Type", "Reason", "Object", "Message"]
        );
    }

    #[test]
    fn pvc_and_storage_class() {
        let pvc = json!({"metadata": meta("data-db-0", 120),
            "spec": {"volumeName": "pvc-123", "storageClassName": "standard", "volumeMode": "Filesystem"},
            "status": {"phase": "Bound", "capacity": {"storage": "10Gi"}, "accessModes": ["ReadWriteMany", "ReadWriteOnce"]}});
        assert_eq!(
            cells(&builtin("PersistentVolumeClaim"), &pvc),
            json!([
                "data-db-0",
                "Bound",
                "pvc-123",
                "10Gi",
                "RWO,RWX",
                "standard",
                "<unset>",
                "2m",
                "Filesystem"
            ])
        );
        let pending = json!({"metadata": meta("scratch", 5), "spec": {"storageClassName": "standard"}, "status": {"phase": "Pending"}});
        assert_eq!(
            cells(&builtin("PersistentVolumeClaim"), &pending),
            json!([
                "scratch", "Pending", "", "", "", "standard", "<unset>", "5s", "<unset>"
            ])
        );
        let sc = json!({"metadata": {"name": "standard", "creationTimestamp": ago(86400 * 20),
                "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
            "provisioner": "rancher.io/local-path", "volumeBindingMode": "WaitForFirstConsumer"});
        assert_eq!(
            cells(&builtin("StorageClass"), &sc),
            json!([
                "standard (default)",
                "rancher.io/local-path",
                "Delete",
                "WaitForFirstConsumer",
                false,
                "20d"
            ])
        );
    }

    fn workload(kind: &str, status: Value) -> Value {
        json!({"kind": kind, "metadata": meta("argocd-server", 3600 * 5),
            "spec": {"replicas": 3,
                "selector": {"matchLabels": {"app.kubernetes.io/name": "argocd-server"},
                             "matchExpressions": [{"key": "tier", "operator": "In", "values": ["web", "api"]}]},
                "template": {"spec": {"nodeSelector": {"kubernetes.io/os": "linux"},
                    "containers": [{"name": "server", "image": "quay.io/argoproj/argocd:v2.13.0"}, {"name": "proxy", "image": "envoy"}]}}},
            "status": status})
    }

    #[test]
    fn workloads() {
        let selector = "app.kubernetes.io/name=argocd-server,tier in (api,web)";
        let d = workload(
            "Deployment",
            json!({"readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2}),
        );
        assert_eq!(
            cells(&builtin("Deployment"), &d),
            json!([
                "argocd-server",
                "2/3",
                3,
                2,
                "5h",
                "server,proxy",
                "quay.io/argoproj/argocd:v2.13.0,envoy",
                selector
            ])
        );
        assert_eq!(
            column_names(&builtin("Deployment")),
            vec!["Name", "Ready", "Up-to-date", "Available", "Age"]
        );
        let s = workload("StatefulSet", json!({"readyReplicas": 1}));
        assert_eq!(
            cells(&builtin("StatefulSet"), &s),
            json!([
                "argocd-server",
                "1/3",
                "5h",
                "server,proxy",
                "quay.io/argoproj/argocd:v2.13.0,envoy"
            ])
        );
        let ds = workload(
            "DaemonSet",
            json!({"desiredNumberScheduled": 2, "currentNumberScheduled": 2,
            "numberReady": 1, "updatedNumberScheduled": 2, "numberAvailable": 1}),
        );
        assert_eq!(
            cells(&builtin("DaemonSet"), &ds),
            json!([
                "argocd-server",
                2,
                2,
                1,
                2,
                1,
                "kubernetes.io/os=linux",
                "5h",
                "server,proxy",
                "quay.io/argoproj/argocd:v2.13.0,envoy",
                selector
            ])
        );
        assert_eq!(
            column_names(&builtin("DaemonSet")),
            vec![
                "Name",
                "Desired",
                "Current",
                "Ready",
                "Up-to-date",
                "Available",
                "Node Selector",
                "Age"
            ]
        );
        let rs = workload("ReplicaSet", json!({"replicas": 3, "readyReplicas": 3}));
        assert_eq!(
            cells(&builtin("ReplicaSet"), &rs),
            json!([
                "argocd-server",
                3,
                3,
                3,
                "5h",
                "server,proxy",
                "quay.io/argoproj/argocd:v2.13.0,envoy",
                selector
            ])
        );
    }

    #[test]
    fn default_table_is_name_and_created_at() {
        let crd = json!({"metadata": {"name": "applications.argoproj.io", "creationTimestamp": "2024-03-01T10:00:00Z"}});
        let spec = builtin("CustomResourceDefinition");
        assert_eq!(spec, TableSpec::Default);
        assert_eq!(
            cells(&spec, &crd),
            json!(["applications.argoproj.io", "2024-03-01T10:00:00Z"])
        );
        assert_eq!(column_names(&spec), vec!["Name", "Created At"]);
    }

    fn application() -> Value {
        json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
            "metadata": {"name": "guestbook", "namespace": "argocd", "creationTimestamp": ago(400),
                "labels": {"app.kubernetes.io/part-of": "k8tre"},
                "annotations": {"argocd.argoproj.io/refresh": "hard"}},
            "spec": {"project": "default", "sources": [{"repoURL": "https://git.example/a"}, {"repoURL": "https://git.example/b"}]},
            "status": {"sync": {"status": "Synced", "revision": "abc123"}, "health": {"status": "Healthy"},
                "reconciledAt": ago(61), "replicas": 2.0, "suspended": false,
                "conditions": [{"type": "SyncError", "message": "boom"}, {"type": "Ready", "message": "ok"}],
                "summary": {"images": ["a", "b"]}}})
    }

    fn column(name: &str, type_: &str, json_path: &str, priority: i64) -> Value {
        json!({"name": name, "type": type_, "jsonPath": json_path, "priority": priority})
    }

    #[test]
    fn printer_columns_evaluate_json_paths_and_types() {
        let columns = json!([
            column("Sync Status", "string", ".status.sync.status", 0),
            column("Health Status", "string", ".status.health.status", 0),
            column("Revision", "string", ".status.sync.revision", 10),
            column("Project", "string", ".spec.project", 10),
            column(
                "Part Of",
                "string",
                ".metadata.labels.app\\.kubernetes\\.io/part-of",
                0
            ),
            column(
                "Refresh",
                "string",
                ".metadata.annotations['argocd.argoproj.io/refresh']",
                0
            ),
            column("First Repo", "string", ".spec.sources[0].repoURL", 0),
            column("Last Repo", "string", ".spec.sources[-1].repoURL", 0),
            column(
                "Ready Msg",
                "string",
                ".status.conditions[?(@.type==\"Ready\")].message",
                0
            ),
            column("Reconciled", "date", ".status.reconciledAt", 0),
            column("Replicas", "integer", ".status.replicas", 0),
            column("Suspended", "boolean", ".status.suspended", 0),
            column("Images", "string", ".status.summary.images", 0),
            column("Missing", "string", ".status.nothing.here", 0),
            column("Wrong Type", "integer", ".status.sync.status", 0),
        ]);
        let spec = TableSpec::for_custom_resource(Some(&columns)).expect("valid columns");
        let app = application();
        assert_eq!(
            cells(&spec, &app),
            json!([
                "guestbook",
                "Synced",
                "Healthy",
                "abc123",
                "default",
                "k8tre",
                "hard",
                "https://git.example/a",
                "https://git.example/b",
                "ok",
                "61s",
                2,
                false,
                "[\"a\",\"b\"]",
                null,
                null
            ])
        );
        let t = table(&spec, &[&app], now(), IncludeObject::None);
        assert_eq!(
            t["columnDefinitions"][3],
            json!({"name": "Revision", "type": "string", "format": "",
                   "description": "Custom resource definition column (in JSONPath format): .status.sync.revision",
                   "priority": 10})
        );
        assert_eq!(t["columnDefinitions"][0]["format"], "name");
    }

    #[test]
    fn no_printer_columns_give_name_and_age() {
        let spec = TableSpec::for_custom_resource(None).expect("default");
        assert_eq!(column_names(&spec), vec!["Name", "Age"]);
        assert_eq!(cells(&spec, &application()), json!(["guestbook", "6m40s"]));
        let spec = TableSpec::for_custom_resource(Some(&json!([]))).expect("default");
        assert_eq!(column_names(&spec), vec!["Name", "Age"]);
    }

    #[test]
    fn bad_printer_columns_are_rejected() {
        let recursive = json!([column("X", "string", "..status", 0)]);
        assert!(matches!(
            TableSpec::for_custom_resource(Some(&recursive)),
            Err(TableError::JsonPath { .. })
        ));
        let unclosed = json!([column("X", "string", ".a[0", 0)]);
        assert!(TableSpec::for_custom_resource(Some(&unclosed)).is_err());
        let nameless = json!([{"type": "string", "jsonPath": ".a"}]);
        assert_eq!(
            TableSpec::for_custom_resource(Some(&nameless)),
            Err(TableError::MissingField {
                index: 0,
                field: "name"
            })
        );
    }

    #[test]
    fn row_objects_follow_include_object() {
        let app = application();
        let spec = TableSpec::for_custom_resource(None).expect("default");
        let meta_row = &table(&spec, &[&app], now(), IncludeObject::Metadata)["rows"][0]["object"];
        assert_eq!(meta_row["kind"], "PartialObjectMetadata");
        assert_eq!(meta_row["apiVersion"], "meta.k8s.io/v1");
        assert_eq!(
            meta_row["metadata"]["labels"]["app.kubernetes.io/part-of"],
            "k8tre"
        );
        assert!(meta_row.get("spec").is_none());
        let full = &table(&spec, &[&app], now(), IncludeObject::Object)["rows"][0]["object"];
        assert_eq!(full, &app);
        let none = &table(&spec, &[&app], now(), IncludeObject::None)["rows"][0];
        assert_eq!(none["object"], Value::Null);
        assert_eq!(
            IncludeObject::from_query(Some("Object")),
            IncludeObject::Object
        );
        assert_eq!(IncludeObject::from_query(None), IncludeObject::Metadata);
    }

    #[test]
    fn pod_table_snapshot() {
        let running = json!({"metadata": meta("web-7d4b9", 3 * 3600 + 300),
            "spec": {"nodeName": "kind-worker", "containers": [{"name": "web"}]},
            "status": {"phase": "Running", "podIPs": [{"ip": "10.244.1.7"}],
                "containerStatuses": [{"name": "web", "ready": true, "restartCount": 0, "state": {"running": {}}}]}});
        let failed = json!({"metadata": meta("migrate-x2", 900),
            "spec": {"containers": [{"name": "migrate"}]},
            "status": {"phase": "Failed", "containerStatuses": [{"name": "migrate", "ready": false, "restartCount": 0,
                "state": {"terminated": {"exitCode": 2, "reason": "Error"}}}]}});
        let t = table(
            &builtin("Pod"),
            &[&running, &failed],
            now(),
            IncludeObject::Metadata,
        );
        let pretty = serde_json::to_string_pretty(&t).expect("serialises");
        insta::assert_snapshot!(pretty);
    }
}

//! One simulated cluster's object store: a single monotonically increasing resourceVersion,
//! objects kept as serialized JSON (compact, shared zero-copy with watchers), a bounded history
//! of changes for watches that resume from a resourceVersion, and 410 Gone past it.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::Arc;

use bytes::Bytes;
use parking_lot::Mutex;
use serde_json::Value;
use tokio::sync::broadcast;

use super::error::ApiError;
use super::resources::ResourceKey;

/// (namespace, name); the namespace is empty for cluster-scoped objects.
pub type ObjectKey = (String, String);

/// A stored object: its JSON and what selectors and garbage collection need without parsing it.
#[derive(Debug)]
pub struct Entry {
    pub rv: u64,
    pub namespace: String,
    pub name: String,
    pub json: Bytes,
    pub uid: String,
    pub labels: BTreeMap<String, String>,
    /// Values of the selectable fields of this kind (`spec.nodeName`, `involvedObject.name`, ...).
    pub fields: Vec<(&'static str, String)>,
    pub owner_uids: Vec<String>,
}

impl Entry {
    pub fn value(&self) -> Result<Value, ApiError> {
        serde_json::from_slice(&self.json)
            .map_err(|e| ApiError::internal(format!("stored object is not JSON: {e}")))
    }

    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Added,
    Modified,
    Deleted,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

/// One change, as kept in history and fanned out to watchers.
#[derive(Debug)]
pub struct WatchEvent {
    pub rv: u64,
    pub kind: EventType,
    pub resource: ResourceKey,
    pub namespace: String,
    pub name: String,
    pub entry: Arc<Entry>,
}

/// What a write closure decides, given the current object and the next resourceVersion.
pub enum Write {
    /// Store this object (metadata.resourceVersion is set by the store).
    Put(Value),
    /// Remove the object; the value is its final state for the DELETED event.
    Delete(Value),
    /// Nothing changed: no new resourceVersion, no event.
    Unchanged,
}

#[derive(Debug)]
pub enum WriteOutcome {
    Created(Arc<Entry>),
    Updated(Arc<Entry>),
    Deleted(Arc<Entry>),
    Unchanged(Option<Arc<Entry>>),
    /// A dry run: what would have been stored.
    DryRun(Value),
}

/// A page of a list.
#[derive(Debug)]
pub struct ListPage {
    pub items: Vec<Arc<Entry>>,
    pub rv: u64,
    /// Key to continue after, when the page was cut by `limit`.
    pub next: Option<ObjectKey>,
    pub remaining: usize,
}

/// Where a watch starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchStart {
    /// Synthetic ADDED events for the current state, then changes (resourceVersion unset or "0").
    CurrentState,
    /// Changes after this resourceVersion, replayed from history.
    After(u64),
}

/// A watch registration: the events to replay first, then the live channel.
pub struct Subscription {
    pub replay: Vec<Arc<WatchEvent>>,
    pub live: broadcast::Receiver<Arc<WatchEvent>>,
    /// The resourceVersion the replay brings the watcher up to.
    pub rv: u64,
}

struct Inner {
    rv: u64,
    collections: HashMap<ResourceKey, BTreeMap<ObjectKey, Arc<Entry>>>,
    history: VecDeque<Arc<WatchEvent>>,
    history_limit: usize,
    /// Every change at or below this resourceVersion has left the history.
    compacted_rv: u64,
    /// Owner uid → the objects whose ownerReferences name it, for garbage collection.
    dependents: HashMap<String, BTreeSet<(ResourceKey, ObjectKey)>>,
}

/// The object store of one simulated cluster.
pub struct Store {
    inner: Mutex<Inner>,
    tx: broadcast::Sender<Arc<WatchEvent>>,
}

/// Fields that `fieldSelector` may name, per resource (besides metadata.name/namespace).
fn selectable_fields(resource: &ResourceKey) -> &'static [&'static str] {
    match (resource.group.as_str(), resource.plural.as_str()) {
        ("", "pods") => &[
            "spec.nodeName",
            "status.phase",
            "spec.restartPolicy",
            "spec.serviceAccountName",
            "status.podIP",
        ],
        ("", "events") => &[
            "involvedObject.kind",
            "involvedObject.namespace",
            "involvedObject.name",
            "involvedObject.uid",
            "involvedObject.apiVersion",
            "involvedObject.resourceVersion",
            "involvedObject.fieldPath",
            "reason",
            "reportingComponent",
            "source",
            "type",
        ],
        ("", "secrets") => &["type"],
        ("", "nodes") => &["spec.unschedulable"],
        ("", "namespaces") => &["status.phase"],
        ("apps", "replicasets") => &["status.replicas"],
        _ => &[],
    }
}

/// Whether `fieldSelector` may use this field on this resource.
pub fn field_is_selectable(resource: &ResourceKey, field: &str) -> bool {
    field == "metadata.name"
        || field == "metadata.namespace"
        || selectable_fields(resource).contains(&field)
}

fn field_value(obj: &Value, path: &str) -> String {
    if path == "source" {
        return obj
            .pointer("/source/component")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
    }
    let pointer = format!("/{}", path.replace('.', "/"));
    match obj.pointer(&pointer) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn make_entry(
    resource: &ResourceKey,
    key: &ObjectKey,
    obj: &Value,
    rv: u64,
) -> Result<Entry, ApiError> {
    let json = serde_json::to_vec(obj)
        .map_err(|e| ApiError::internal(format!("cannot serialize object: {e}")))?;
    let meta = obj.get("metadata");
    let labels = meta
        .and_then(|m| m.get("labels"))
        .and_then(Value::as_object)
        .map(|l| {
            l.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default();
    let owner_uids = meta
        .and_then(|m| m.get("ownerReferences"))
        .and_then(Value::as_array)
        .map(|refs| {
            refs.iter()
                .filter_map(|r| r.get("uid").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    Ok(Entry {
        rv,
        namespace: key.0.clone(),
        name: key.1.clone(),
        json: Bytes::from(json),
        uid: meta
            .and_then(|m| m.get("uid"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        labels,
        fields: selectable_fields(resource)
            .iter()
            .map(|f| (*f, field_value(obj, f)))
            .collect(),
        owner_uids,
    })
}

fn set_resource_version(obj: &mut Value, rv: u64) {
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.insert("resourceVersion".to_string(), Value::String(rv.to_string()));
    }
}

impl Inner {
    fn index_owners(
        &mut self,
        resource: &ResourceKey,
        key: &ObjectKey,
        old: Option<&Entry>,
        new: Option<&Entry>,
    ) {
        for uid in old.map(|e| e.owner_uids.as_slice()).unwrap_or_default() {
            if let Some(set) = self.dependents.get_mut(uid) {
                set.remove(&(resource.clone(), key.clone()));
                if set.is_empty() {
                    self.dependents.remove(uid);
                }
            }
        }
        for uid in new.map(|e| e.owner_uids.as_slice()).unwrap_or_default() {
            self.dependents
                .entry(uid.clone())
                .or_default()
                .insert((resource.clone(), key.clone()));
        }
    }

    fn record(&mut self, tx: &broadcast::Sender<Arc<WatchEvent>>, event: WatchEvent) {
        let event = Arc::new(event);
        self.history.push_back(event.clone());
        while self.history.len() > self.history_limit {
            if let Some(old) = self.history.pop_front() {
                self.compacted_rv = old.rv;
            }
        }
        // No receivers is normal (nobody watching); nothing to handle.
        let _ = tx.send(event);
    }
}

impl Store {
    /// A store keeping the last `history_limit` changes for resuming watches.
    pub fn new(history_limit: usize) -> Self {
        let (tx, _) = broadcast::channel(16_384);
        Self {
            inner: Mutex::new(Inner {
                rv: 1,
                collections: HashMap::new(),
                history: VecDeque::new(),
                history_limit: history_limit.max(1),
                compacted_rv: 0,
                dependents: HashMap::new(),
            }),
            tx,
        }
    }

    pub fn current_rv(&self) -> u64 {
        self.inner.lock().rv
    }

    /// The oldest resourceVersion a watch may still resume from.
    pub fn compacted_rv(&self) -> u64 {
        self.inner.lock().compacted_rv
    }

    pub fn get(&self, resource: &ResourceKey, namespace: &str, name: &str) -> Option<Arc<Entry>> {
        let inner = self.inner.lock();
        inner
            .collections
            .get(resource)?
            .get(&(namespace.to_string(), name.to_string()))
            .cloned()
    }

    /// Lists objects in key order, starting after `after`, at most `limit`, keeping those `keep` accepts.
    pub fn list(
        &self,
        resource: &ResourceKey,
        namespace: Option<&str>,
        after: Option<&ObjectKey>,
        limit: Option<usize>,
        keep: &dyn Fn(&Entry) -> bool,
    ) -> ListPage {
        let inner = self.inner.lock();
        let rv = inner.rv;
        let Some(collection) = inner.collections.get(resource) else {
            return ListPage {
                items: vec![],
                rv,
                next: None,
                remaining: 0,
            };
        };
        let range: Box<dyn Iterator<Item = (&ObjectKey, &Arc<Entry>)>> = match (after, namespace) {
            (Some(key), _) => Box::new(collection.range::<ObjectKey, _>((
                std::ops::Bound::Excluded(key.clone()),
                std::ops::Bound::Unbounded,
            ))),
            (None, Some(ns)) => {
                Box::new(collection.range::<ObjectKey, _>((ns.to_string(), String::new())..))
            }
            (None, None) => Box::new(collection.iter()),
        };
        let mut items = Vec::new();
        let mut last_key: Option<&ObjectKey> = None;
        let mut remaining = 0;
        for (key, entry) in range {
            if let Some(ns) = namespace
                && key.0 != ns
            {
                break;
            }
            if !keep(entry) {
                continue;
            }
            if limit.is_some_and(|l| items.len() >= l) {
                remaining += 1;
                continue;
            }
            items.push(entry.clone());
            last_key = Some(key);
        }
        let next = if remaining > 0 {
            last_key.cloned()
        } else {
            None
        };
        ListPage {
            items,
            rv,
            next,
            remaining,
        }
    }

    /// Every key of a resource (all namespaces), for garbage collection and cascades.
    pub fn keys(&self, resource: &ResourceKey) -> Vec<(ObjectKey, Arc<Entry>)> {
        let inner = self.inner.lock();
        inner
            .collections
            .get(resource)
            .map(|c| c.iter().map(|(k, e)| (k.clone(), e.clone())).collect())
            .unwrap_or_default()
    }

    /// The objects whose ownerReferences name `owner_uid`.
    pub fn dependents_of(&self, owner_uid: &str) -> Vec<(ResourceKey, ObjectKey)> {
        self.inner
            .lock()
            .dependents
            .get(owner_uid)
            .map(|set| set.iter().cloned().collect())
            .unwrap_or_default()
    }

    pub fn resources(&self) -> Vec<ResourceKey> {
        self.inner.lock().collections.keys().cloned().collect()
    }

    /// Atomically reads the current object and applies the closure's decision.
    ///
    /// The closure runs under the store lock: it must be quick and must not block.
    pub fn write(
        &self,
        resource: &ResourceKey,
        namespace: &str,
        name: &str,
        dry_run: bool,
        decide: impl FnOnce(Option<&Arc<Entry>>, u64) -> Result<Write, ApiError>,
    ) -> Result<WriteOutcome, ApiError> {
        let mut inner = self.inner.lock();
        let key = (namespace.to_string(), name.to_string());
        let current = inner
            .collections
            .get(resource)
            .and_then(|c| c.get(&key))
            .cloned();
        let next_rv = inner.rv + 1;
        match decide(current.as_ref(), next_rv)? {
            Write::Unchanged => Ok(WriteOutcome::Unchanged(current)),
            Write::Put(obj) | Write::Delete(obj) if dry_run => Ok(WriteOutcome::DryRun(obj)),
            Write::Put(mut obj) => {
                set_resource_version(&mut obj, next_rv);
                let entry = Arc::new(make_entry(resource, &key, &obj, next_rv)?);
                inner.rv = next_rv;
                inner.index_owners(resource, &key, current.as_deref(), Some(&entry));
                inner
                    .collections
                    .entry(resource.clone())
                    .or_default()
                    .insert(key, entry.clone());
                let kind = if current.is_some() {
                    EventType::Modified
                } else {
                    EventType::Added
                };
                inner.record(
                    &self.tx,
                    WatchEvent {
                        rv: next_rv,
                        kind,
                        resource: resource.clone(),
                        namespace: namespace.to_string(),
                        name: name.to_string(),
                        entry: entry.clone(),
                    },
                );
                Ok(if current.is_some() {
                    WriteOutcome::Updated(entry)
                } else {
                    WriteOutcome::Created(entry)
                })
            }
            Write::Delete(mut last_state) => {
                if current.is_none() {
                    return Ok(WriteOutcome::Unchanged(None));
                }
                set_resource_version(&mut last_state, next_rv);
                let entry = Arc::new(make_entry(resource, &key, &last_state, next_rv)?);
                inner.rv = next_rv;
                inner.index_owners(resource, &key, current.as_deref(), None);
                if let Some(c) = inner.collections.get_mut(resource) {
                    c.remove(&key);
                }
                inner.record(
                    &self.tx,
                    WatchEvent {
                        rv: next_rv,
                        kind: EventType::Deleted,
                        resource: resource.clone(),
                        namespace: namespace.to_string(),
                        name: name.to_string(),
                        entry: entry.clone(),
                    },
                );
                Ok(WriteOutcome::Deleted(entry))
            }
        }
    }

    /// Registers a watcher. `resource` None watches every resource (used by in-process controllers).
    pub fn watch(
        &self,
        resource: Option<&ResourceKey>,
        start: WatchStart,
    ) -> Result<Subscription, ApiError> {
        let inner = self.inner.lock();
        let replay = match start {
            WatchStart::After(rv) => {
                if rv < inner.compacted_rv {
                    return Err(ApiError::gone(format!(
                        "too old resource version: {rv} ({})",
                        inner.compacted_rv
                    )));
                }
                inner
                    .history
                    .iter()
                    .filter(|e| e.rv > rv && resource.is_none_or(|r| &e.resource == r))
                    .cloned()
                    .collect()
            }
            WatchStart::CurrentState => {
                let collections: Vec<(&ResourceKey, &BTreeMap<ObjectKey, Arc<Entry>>)> =
                    match resource {
                        Some(r) => inner.collections.get_key_value(r).into_iter().collect(),
                        None => inner.collections.iter().collect(),
                    };
                collections
                    .into_iter()
                    .flat_map(|(r, c)| {
                        c.iter().map(move |((ns, name), entry)| {
                            Arc::new(WatchEvent {
                                rv: entry.rv,
                                kind: EventType::Added,
                                resource: r.clone(),
                                namespace: ns.clone(),
                                name: name.clone(),
                                entry: entry.clone(),
                            })
                        })
                    })
                    .collect()
            }
        };
        Ok(Subscription {
            replay,
            live: self.tx.subscribe(),
            rv: inner.rv,
        })
    }

    /// Forgets all history: every watch or continue token from before now gets 410 Gone.
    pub fn compact(&self) {
        let mut inner = self.inner.lock();
        inner.history.clear();
        inner.compacted_rv = inner.rv;
    }

    /// Number of stored objects (all resources).
    pub fn len(&self) -> usize {
        self.inner
            .lock()
            .collections
            .values()
            .map(BTreeMap::len)
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cm(name: &str, v: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "default", "labels": {"app": v}}, "data": {"v": v}})
    }

    fn put(store: &Store, name: &str, v: &str) -> WriteOutcome {
        let r = ResourceKey::new("", "configmaps");
        store
            .write(&r, "default", name, false, |_, _| {
                Ok(Write::Put(cm(name, v)))
            })
            .expect("write")
    }

    #[test]
    fn resource_versions_increase_and_are_stored() {
        let store = Store::new(100);
        let a = put(&store, "a", "1");
        let b = put(&store, "b", "1");
        let (WriteOutcome::Created(a), WriteOutcome::Created(b)) = (a, b) else {
            panic!("created")
        };
        assert!(b.rv > a.rv);
        let stored = store
            .get(&ResourceKey::new("", "configmaps"), "default", "a")
            .expect("stored");
        assert_eq!(
            stored.value().expect("json")["metadata"]["resourceVersion"],
            a.rv.to_string()
        );
        assert_eq!(stored.labels.get("app").map(String::as_str), Some("1"));
    }

    #[test]
    fn dry_run_stores_nothing_and_emits_nothing() {
        let store = Store::new(100);
        let r = ResourceKey::new("", "configmaps");
        let before = store.current_rv();
        let out = store
            .write(&r, "default", "x", true, |_, _| {
                Ok(Write::Put(cm("x", "1")))
            })
            .expect("dry run");
        assert!(matches!(out, WriteOutcome::DryRun(_)));
        assert_eq!(store.current_rv(), before);
        assert!(store.get(&r, "default", "x").is_none());
    }

    #[test]
    fn list_pages_with_limit_and_continue() {
        let store = Store::new(100);
        for i in 0..5 {
            put(&store, &format!("cm{i}"), "1");
        }
        let r = ResourceKey::new("", "configmaps");
        let first = store.list(&r, Some("default"), None, Some(2), &|_| true);
        assert_eq!(first.items.len(), 2);
        assert_eq!(first.remaining, 3);
        let next = first.next.expect("continues");
        let second = store.list(&r, Some("default"), Some(&next), Some(10), &|_| true);
        assert_eq!(second.items.len(), 3);
        assert!(second.next.is_none());
        let other_ns = store.list(&r, Some("kube-system"), None, None, &|_| true);
        assert!(other_ns.items.is_empty());
    }

    #[test]
    fn watch_replays_history_after_a_resource_version() {
        let store = Store::new(100);
        put(&store, "a", "1");
        let rv = store.current_rv();
        put(&store, "a", "2");
        put(&store, "b", "1");
        let sub = store
            .watch(
                Some(&ResourceKey::new("", "configmaps")),
                WatchStart::After(rv),
            )
            .expect("watch");
        let kinds: Vec<(EventType, &str)> = sub
            .replay
            .iter()
            .map(|e| (e.kind, e.name.as_str()))
            .collect();
        assert_eq!(
            kinds,
            vec![(EventType::Modified, "a"), (EventType::Added, "b")]
        );
    }

    #[test]
    fn compacted_history_answers_410() {
        let store = Store::new(2);
        put(&store, "a", "1");
        let early = store.current_rv();
        for i in 0..5 {
            put(&store, "a", &i.to_string());
        }
        let err = store
            .watch(None, WatchStart::After(early))
            .err()
            .expect("gone");
        assert_eq!(err.code, 410);
        store.compact();
        let now = store.current_rv();
        assert!(store.watch(None, WatchStart::After(now - 1)).is_err());
        assert!(store.watch(None, WatchStart::After(now)).is_ok());
    }

    #[test]
    fn owners_are_indexed_for_garbage_collection() {
        let store = Store::new(100);
        let r = ResourceKey::new("", "configmaps");
        let mut child = cm("child", "1");
        child["metadata"]["ownerReferences"] = serde_json::json!([{"uid": "owner-1", "kind": "ConfigMap", "name": "owner", "apiVersion": "v1"}]);
        store
            .write(&r, "default", "child", false, |_, _| {
                Ok(Write::Put(child.clone()))
            })
            .expect("put");
        assert_eq!(
            store.dependents_of("owner-1"),
            vec![(r.clone(), ("default".to_string(), "child".to_string()))]
        );
        child["metadata"]["ownerReferences"] = serde_json::json!([]);
        store
            .write(&r, "default", "child", false, |_, _| {
                Ok(Write::Put(child.clone()))
            })
            .expect("orphaned");
        assert!(store.dependents_of("owner-1").is_empty());
        store
            .write(&r, "default", "child", false, |c, _| {
                Ok(Write::Delete(c.expect("exists").value()?))
            })
            .expect("delete");
        assert!(store.dependents_of("owner-1").is_empty());
    }

    #[tokio::test]
    async fn live_events_follow_the_replay_without_gaps() {
        let store = Store::new(100);
        put(&store, "a", "1");
        let mut sub = store.watch(None, WatchStart::CurrentState).expect("watch");
        assert_eq!(sub.replay.len(), 1);
        put(&store, "a", "2");
        let r = ResourceKey::new("", "configmaps");
        store
            .write(&r, "default", "a", false, |cur, _| {
                Ok(Write::Delete(cur.expect("exists").value()?))
            })
            .expect("delete");
        let e1 = sub.live.recv().await.expect("modified");
        let e2 = sub.live.recv().await.expect("deleted");
        assert_eq!(
            (e1.kind, e2.kind),
            (EventType::Modified, EventType::Deleted)
        );
        assert_eq!(
            e2.entry.value().expect("json")["metadata"]["resourceVersion"],
            e2.rv.to_string()
        );
    }
}

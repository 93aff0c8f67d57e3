//! Watch streams: replay from a resourceVersion (or the current state), then live changes,
//! with bookmarks, timeouts, 410 Gone as an ERROR event, and selector transitions reported as
//! ADDED/DELETED the way the API server's watch cache does.

use std::collections::HashSet;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use chrono::Utc;
use futures::StreamExt;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;

use super::http::{Body, streaming_json};
use super::table::TableRenderer;
use crate::sim::api::ListQuery;
use crate::sim::cluster::ClusterState;
use crate::sim::error::ApiError;
use crate::sim::resources::ResourceType;
use crate::sim::store::{EventType, ObjectKey, WatchEvent, WatchStart};

/// What a watch request asked for.
pub struct WatchRequest {
    pub namespace: Option<String>,
    pub query: ListQuery,
    pub start: WatchStart,
    pub bookmarks: bool,
    pub timeout: Option<Duration>,
    /// `sendInitialEvents=true`: end the initial state with an annotated bookmark.
    pub initial_events_end: bool,
    pub table: Option<TableRenderer>,
}

fn event_line(kind: &str, object: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(object.len() + 32);
    out.put_slice(b"{\"type\":\"");
    out.put_slice(kind.as_bytes());
    out.put_slice(b"\",\"object\":");
    out.put_slice(object);
    out.put_slice(b"}\n");
    out.freeze()
}

fn bookmark(rt: &ResourceType, rv: u64, initial_events_end: bool) -> Bytes {
    let mut meta = json!({"resourceVersion": rv.to_string()});
    if initial_events_end {
        meta["annotations"] = json!({"k8s.io/initial-events-end": "true"});
    }
    let obj = json!({"kind": rt.kind, "apiVersion": rt.api_version(), "metadata": meta});
    event_line("BOOKMARK", obj.to_string().as_bytes())
}

/// Decides which events a watcher sees, tracking which objects it currently believes match.
struct Filter {
    resource: crate::sim::resources::ResourceKey,
    namespace: Option<String>,
    query: ListQuery,
    selective: bool,
    visible: HashSet<ObjectKey>,
}

impl Filter {
    fn new(rt: &ResourceType, cluster: &ClusterState, req: &WatchRequest) -> Self {
        let selective = !req.query.labels.is_empty() || !req.query.fields.is_empty();
        let mut visible = HashSet::new();
        if selective {
            // Objects matching now are the ones the client believes exist.
            let page = cluster
                .store
                .list(&rt.key(), req.namespace.as_deref(), None, None, &|e| {
                    req.query.matches(&e.namespace, &e.name, e)
                });
            visible = page
                .items
                .iter()
                .map(|e| (e.namespace.clone(), e.name.clone()))
                .collect();
        }
        Self {
            resource: rt.key(),
            namespace: req.namespace.clone(),
            query: req.query.clone(),
            selective,
            visible,
        }
    }

    /// The event type to send for this change, if any.
    fn admit(&mut self, event: &WatchEvent) -> Option<EventType> {
        if event.resource != self.resource
            || self
                .namespace
                .as_ref()
                .is_some_and(|ns| ns != &event.namespace)
        {
            return None;
        }
        if !self.selective {
            return Some(event.kind);
        }
        let key = (event.namespace.clone(), event.name.clone());
        let matches = event.kind != EventType::Deleted
            && self
                .query
                .matches(&event.namespace, &event.name, &event.entry);
        let was_visible = self.visible.contains(&key);
        match (event.kind, matches, was_visible) {
            (EventType::Deleted, _, true) => {
                self.visible.remove(&key);
                Some(EventType::Deleted)
            }
            (_, true, true) => Some(EventType::Modified),
            (_, true, false) => {
                self.visible.insert(key);
                Some(EventType::Added)
            }
            (_, false, true) => {
                self.visible.remove(&key);
                Some(EventType::Deleted)
            }
            _ => None,
        }
    }
}

fn render(event: &WatchEvent, kind: EventType, table: Option<&TableRenderer>) -> Option<Bytes> {
    match table {
        None => Some(event_line(kind.as_str(), &event.entry.json)),
        Some(renderer) => {
            let obj: Value = serde_json::from_slice(&event.entry.json).ok()?;
            let table = renderer.render(&[&obj], Utc::now());
            Some(event_line(kind.as_str(), table.to_string().as_bytes()))
        }
    }
}

/// Starts a watch and returns the streaming response.
pub fn serve(cluster: Arc<ClusterState>, rt: Arc<ResourceType>, req: WatchRequest) -> Body {
    let (tx, rx) = mpsc::channel::<Bytes>(512);
    tokio::spawn(async move {
        run(cluster, rt, req, tx).await;
    });
    StreamBody::new(ReceiverStream::new(rx).map(|b| Ok::<_, Infallible>(Frame::data(b))))
        .boxed_unsync()
}

/// The response for a watch request.
pub fn response(
    cluster: Arc<ClusterState>,
    rt: Arc<ResourceType>,
    req: WatchRequest,
) -> http::Response<Body> {
    streaming_json(serve(cluster, rt, req))
}

async fn run(
    cluster: Arc<ClusterState>,
    rt: Arc<ResourceType>,
    req: WatchRequest,
    tx: mpsc::Sender<Bytes>,
) {
    let mut epoch = cluster.faults.watch_epoch();
    epoch.mark_unchanged();
    let subscription = match cluster.store.watch(Some(&rt.key()), req.start) {
        Ok(s) => s,
        Err(e) => {
            send_error(&tx, &e).await;
            return;
        }
    };
    let mut filter = Filter::new(&rt, &cluster, &req);
    let mut last_rv = subscription.rv;
    for event in &subscription.replay {
        if let Some(kind) = filter.admit(event)
            && let Some(line) = render(event, kind, req.table.as_ref())
            && tx.send(line).await.is_err()
        {
            return;
        }
    }
    if req.initial_events_end && tx.send(bookmark(&rt, last_rv, true)).await.is_err() {
        return;
    }
    let mut live = subscription.live;
    let mut bookmarks = tokio::time::interval(cluster.options.bookmark_interval);
    bookmarks.reset();
    let deadline = tokio::time::sleep(req.timeout.unwrap_or(Duration::from_secs(365 * 24 * 3600)));
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            received = live.recv() => match received {
                Ok(event) => {
                    last_rv = last_rv.max(event.rv);
                    if let Some(kind) = filter.admit(&event)
                        && let Some(line) = render(&event, kind, req.table.as_ref())
                        && tx.send(line).await.is_err()
                    {
                        return;
                    }
                }
                // A watcher too slow to keep up is closed; the client resumes from its last resourceVersion.
                Err(broadcast::error::RecvError::Lagged(_)) | Err(broadcast::error::RecvError::Closed) => return,
            },
            _ = bookmarks.tick(), if req.bookmarks => {
                if tx.send(bookmark(&rt, last_rv, false)).await.is_err() {
                    return;
                }
            }
            _ = &mut deadline => return,
            _ = epoch.changed() => return,
            _ = tx.closed() => return,
        }
    }
}

async fn send_error(tx: &mpsc::Sender<Bytes>, e: &ApiError) {
    // The client may already be gone; nothing to do then.
    let _ = tx
        .send(event_line("ERROR", e.to_status().to_string().as_bytes()))
        .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_lines_are_newline_delimited_json() {
        let line = event_line("ADDED", br#"{"a":1}"#);
        let v: Value = serde_json::from_slice(&line[..line.len() - 1]).expect("json");
        assert_eq!(v["type"], "ADDED");
        assert_eq!(v["object"]["a"], 1);
        assert!(line.ends_with(b"\n"));
    }
}

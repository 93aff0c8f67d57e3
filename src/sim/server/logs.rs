//! `GET pods/<name>/log`: tail, since, timestamps, previous, and follow.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use chrono::{Duration as ChronoDuration, SecondsFormat, Utc};
use futures::StreamExt;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use serde_json::Value;
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;

use super::http::{Body, Query, full, text};
use crate::sim::cluster::ClusterState;
use crate::sim::error::ApiError;
use crate::sim::podlogs::{ContainerKey, LogLine};
use crate::sim::resources::ResourceType;

fn format_line(line: &LogLine, timestamps: bool) -> String {
    if timestamps {
        format!(
            "{} {}\n",
            line.time.to_rfc3339_opts(SecondsFormat::Nanos, true),
            line.text
        )
    } else {
        format!("{}\n", line.text)
    }
}

fn container_names(pod: &Value) -> Vec<String> {
    pod.pointer("/spec/containers")
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .filter_map(|c| c.get("name").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Chooses the container a log request is about, with the API server's messages.
fn choose_container(pod_name: &str, pod: &Value, asked: Option<&str>) -> Result<String, ApiError> {
    let names = container_names(pod);
    match asked {
        Some(c) if names.iter().any(|n| n == c) => Ok(c.to_string()),
        Some(c) => Err(ApiError::bad_request(format!(
            "container {c} is not valid for pod {pod_name}"
        ))),
        None if names.len() == 1 => Ok(names[0].clone()),
        None => Err(ApiError::bad_request(format!(
            "a container name must be specified for pod {pod_name}, choose one of: [{}]",
            names.join(" ")
        ))),
    }
}

pub fn serve(
    cluster: Arc<ClusterState>,
    pods: &ResourceType,
    namespace: &str,
    pod_name: &str,
    query: &Query,
) -> Result<http::Response<Body>, ApiError> {
    let pod = cluster.get(pods, namespace, pod_name)?.value()?;
    let container = choose_container(pod_name, &pod, query.get("container"))?;
    let key: ContainerKey = (
        namespace.to_string(),
        pod_name.to_string(),
        container.clone(),
    );
    let tail = query.number("tailLines")?.map(|n| n as usize);
    let since = query
        .number("sinceSeconds")?
        .map(|s| Utc::now() - ChronoDuration::seconds(s as i64));
    let timestamps = query.flag("timestamps");
    let previous = query.flag("previous");
    let lines = cluster
        .logs
        .read(&key, previous, tail, since)
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "previous terminated container {container:?} in pod {pod_name:?} not found"
            ))
        })?;
    let backlog: String = lines.iter().map(|l| format_line(l, timestamps)).collect();
    if !query.flag("follow") || previous {
        return Ok(text(200, full(backlog)));
    }
    let (tx, rx) = mpsc::channel::<Bytes>(256);
    let mut live = cluster.logs.subscribe();
    let mut epoch = cluster.faults.watch_epoch();
    epoch.mark_unchanged();
    let pods_key = pods.key();
    let watcher = cluster.clone();
    tokio::spawn(async move {
        if !backlog.is_empty() && tx.send(Bytes::from(backlog)).await.is_err() {
            return;
        }
        let mut pod_check = tokio::time::interval(std::time::Duration::from_secs(1));
        loop {
            tokio::select! {
                received = live.recv() => match received {
                    Ok(entry) if entry.0 == key => {
                        if tx.send(Bytes::from(format_line(&entry.1, timestamps))).await.is_err() {
                            return;
                        }
                    }
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                // The stream ends when the pod goes away, as kubelet's would.
                _ = pod_check.tick() => {
                    if watcher.store.get(&pods_key, &key.0, &key.1).is_none() {
                        return;
                    }
                }
                _ = epoch.changed() => return,
                _ = tx.closed() => return,
            }
        }
    });
    let body =
        StreamBody::new(ReceiverStream::new(rx).map(|b| Ok::<_, Infallible>(Frame::data(b))))
            .boxed_unsync();
    Ok(text(200, body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn container_choice_follows_the_api_server() {
        let one = json!({"spec": {"containers": [{"name": "web"}]}});
        assert_eq!(choose_container("p", &one, None).expect("only one"), "web");
        let two = json!({"spec": {"containers": [{"name": "web"}, {"name": "proxy"}]}});
        let err = choose_container("p", &two, None).expect_err("ambiguous");
        assert_eq!(
            err.message,
            "a container name must be specified for pod p, choose one of: [web proxy]"
        );
        assert!(choose_container("p", &two, Some("nope")).is_err());
        assert_eq!(
            choose_container("p", &two, Some("proxy")).expect("named"),
            "proxy"
        );
    }
}

//! The simulated API server at the HTTP level: bad input answered with a Status and nothing
//! stored, pagination, 410 Gone, watch semantics, finalizers, garbage collection.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use futures::{AsyncBufReadExt, TryStreamExt};
use http_body_util::BodyExt;
use kube::Client;
use serde_json::{Value, json};

async fn raw(
    client: &Client,
    method: &str,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let request = http::Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", content_type)
        .body(kube::client::Body::from(body))
        .expect("request");
    let response = client.send(request).await.expect("response");
    let status = response.status().as_u16();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn post(client: &Client, path: &str, body: &Value) -> (u16, Value) {
    raw(
        client,
        "POST",
        path,
        "application/json",
        body.to_string().into_bytes(),
    )
    .await
}

fn cm(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"a": "b"}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_answered_with_a_status_and_nothing_is_stored() {
    let estate = common::estate(&["dev"]).await;
    let client = common::client(&estate, "k8tre-dev").await;
    let store = &estate.cluster("dev").expect("dev").store;
    let before = store.len();
    let path = "/api/v1/namespaces/default/configmaps";

    let (code, status) = raw(
        &client,
        "POST",
        path,
        "application/json",
        b"{not json".to_vec(),
    )
    .await;
    assert_eq!(
        (code, status["kind"].as_str(), status["reason"].as_str()),
        (400, Some("Status"), Some("BadRequest"))
    );

    let (code, status) = raw(
        &client,
        "POST",
        path,
        "application/yaml",
        b"a: [unclosed".to_vec(),
    )
    .await;
    assert_eq!((code, status["reason"].as_str()), (400, Some("BadRequest")));

    let mut wrong_kind = cm("wrong");
    wrong_kind["kind"] = json!("Secret");
    let (code, status) = post(&client, path, &wrong_kind).await;
    assert_eq!((code, status["reason"].as_str()), (422, Some("Invalid")));
    assert_eq!(status["details"]["causes"][0]["field"], "kind");

    let (code, status) = post(&client, path, &cm("Not_A_Valid_Name")).await;
    assert_eq!((code, status["reason"].as_str()), (422, Some("Invalid")));
    assert_eq!(status["details"]["causes"][0]["field"], "metadata.name");

    let (code, status) = post(
        &client,
        path,
        &json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}),
    )
    .await;
    assert_eq!(
        (code, status["reason"].as_str()),
        (422, Some("Invalid")),
        "missing name: {status}"
    );

    let mut huge = cm("huge");
    huge["data"]["blob"] = json!("x".repeat(3 * 1024 * 1024 + 1));
    let (code, status) = post(&client, path, &huge).await;
    assert_eq!(
        (code, status["reason"].as_str()),
        (413, Some("RequestEntityTooLarge"))
    );

    let anonymous = common::anonymous_client(&estate, "k8tre-dev").await;
    let (code, status) = post(&anonymous, path, &cm("anon")).await;
    assert_eq!(
        (code, status["reason"].as_str()),
        (401, Some("Unauthorized"))
    );

    let (code, _) = post(
        &client,
        "/api/v1/namespaces/nowhere/configmaps",
        &cm("lost"),
    )
    .await;
    assert_eq!(code, 404, "the namespace must exist");
    let (code, _) = raw(
        &client,
        "GET",
        "/apis/nope.example.com/v1/things",
        "application/json",
        vec![],
    )
    .await;
    assert_eq!(code, 404);
    let (code, status) = raw(
        &client,
        "GET",
        "/api/v1/namespaces/default/configmaps?fieldSelector=data.a%3Db",
        "application/json",
        vec![],
    )
    .await;
    assert_eq!(code, 400, "{status}");
    assert!(
        status["message"]
            .as_str()
            .expect("message")
            .contains("field label not supported")
    );

    assert_eq!(store.len(), before, "nothing was stored");
    let failures: Vec<u16> = estate.requests().iter().map(|r| r.status).collect();
    assert!(failures.iter().all(|s| *s >= 400), "{failures:?}");
    estate.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strategic_merge_is_refused_for_custom_resources() {
    let estate = common::estate(&["dev"]).await;
    let client = common::client(&estate, "k8tre-dev").await;
    let crd = json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "things.example.com"},
        "spec": {"group": "example.com", "scope": "Cluster",
                 "names": {"plural": "things", "kind": "Thing"},
                 "versions": [{"name": "v1", "served": true, "storage": true,
                               "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]}
    });
    let (code, created) = post(
        &client,
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
        &crd,
    )
    .await;
    assert_eq!(code, 201);
    assert_eq!(created["status"]["conditions"][1]["type"], "Established");
    let (code, _) = post(
        &client,
        "/apis/example.com/v1/things",
        &json!({"apiVersion": "example.com/v1", "kind": "Thing", "metadata": {"name": "t"}}),
    )
    .await;
    assert_eq!(code, 201, "cluster-scoped custom resource served");
    let (code, status) = raw(
        &client,
        "PATCH",
        "/apis/example.com/v1/things/t",
        "application/strategic-merge-patch+json",
        b"{\"spec\":{}}".to_vec(),
    )
    .await;
    assert_eq!(
        (code, status["reason"].as_str()),
        (415, Some("UnsupportedMediaType"))
    );
    let (code, _) = raw(
        &client,
        "DELETE",
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/things.example.com",
        "application/json",
        vec![],
    )
    .await;
    assert_eq!(code, 200);
    let (code, _) = raw(
        &client,
        "GET",
        "/apis/example.com/v1/things",
        "application/json",
        vec![],
    )
    .await;
    assert_eq!(code, 404, "deleting the CRD stops serving its resource");
    estate.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pagination_and_410_on_an_expired_continue_token() {
    let estate = common::estate(&["dev"]).await;
    let client = common::client(&estate, "k8tre-dev").await;
    for i in 0..7 {
        post(
            &client,
            "/api/v1/namespaces/default/configmaps",
            &cm(&format!("cm-{i}")),
        )
        .await;
    }
    let mut names = Vec::new();
    let mut token = String::new();
    loop {
        let path = format!("/api/v1/namespaces/default/configmaps?limit=3&continue={token}");
        let (code, page) = raw(&client, "GET", &path, "application/json", vec![]).await;
        assert_eq!(code, 200);
        names.extend(
            page["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|i| i["metadata"]["name"].as_str().expect("name").to_string()),
        );
        match page["metadata"]["continue"].as_str() {
            Some(t) => token = t.to_string(),
            None => break,
        }
    }
    assert_eq!(names, (0..7).map(|i| format!("cm-{i}")).collect::<Vec<_>>());

    let (_, first) = raw(
        &client,
        "GET",
        "/api/v1/namespaces/default/configmaps?limit=2",
        "application/json",
        vec![],
    )
    .await;
    let token = first["metadata"]["continue"]
        .as_str()
        .expect("token")
        .to_string();
    assert_eq!(first["metadata"]["remainingItemCount"], 5);
    post(
        &client,
        "/api/v1/namespaces/default/configmaps",
        &cm("later"),
    )
    .await;
    estate.cluster("dev").expect("dev").store.compact();
    let (code, status) = raw(
        &client,
        "GET",
        &format!("/api/v1/namespaces/default/configmaps?limit=2&continue={token}"),
        "application/json",
        vec![],
    )
    .await;
    assert_eq!((code, status["reason"].as_str()), (410, Some("Expired")));
    estate.stop().await;
}

/// Reads watch events from a raw watch request until `count` arrived.
async fn watch_events(client: &Client, path: &str, count: usize) -> Vec<Value> {
    let request = http::Request::get(path).body(Vec::new()).expect("request");
    let stream = client.request_stream(request).await.expect("watch");
    let mut lines = stream.lines();
    let mut events = Vec::new();
    while events.len() < count {
        let line = tokio::time::timeout(Duration::from_secs(5), lines.try_next())
            .await
            .expect("event in time")
            .expect("read")
            .expect("line");
        events.push(serde_json::from_str(&line).expect("json event"));
    }
    events
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_replays_transitions_bookmarks_and_410() {
    let estate = common::estate(&["dev"]).await;
    let client = common::client(&estate, "k8tre-dev").await;
    let base = "/api/v1/namespaces/default/configmaps";
    let (_, created) = post(&client, base, &cm("w")).await;
    let rv = created["metadata"]["resourceVersion"]
        .as_str()
        .expect("rv")
        .to_string();
    let merge = |labels: Value| {
        let client = client.clone();
        async move {
            raw(
                &client,
                "PATCH",
                &format!("{base}/w"),
                "application/merge-patch+json",
                json!({"metadata": {"labels": labels}})
                    .to_string()
                    .into_bytes(),
            )
            .await
        }
    };
    merge(json!({"tier": "front"})).await;
    merge(json!({"tier": null})).await;
    raw(
        &client,
        "DELETE",
        &format!("{base}/w"),
        "application/json",
        vec![],
    )
    .await;

    let all = watch_events(
        &client,
        &format!("{base}?watch=true&resourceVersion={rv}"),
        3,
    )
    .await;
    let kinds: Vec<&str> = all
        .iter()
        .map(|e| e["type"].as_str().expect("type"))
        .collect();
    assert_eq!(kinds, vec!["MODIFIED", "MODIFIED", "DELETED"]);

    // With a selector, starting and stopping to match reads as ADDED and DELETED.
    let selected = watch_events(
        &client,
        &format!("{base}?watch=true&resourceVersion={rv}&labelSelector=tier%3Dfront"),
        2,
    )
    .await;
    let kinds: Vec<&str> = selected
        .iter()
        .map(|e| e["type"].as_str().expect("type"))
        .collect();
    assert_eq!(kinds, vec!["ADDED", "DELETED"]);

    let bookmark = watch_events(&client, &format!("{base}?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan"), 1).await;
    assert_eq!(bookmark[0]["type"], "BOOKMARK");
    assert_eq!(
        bookmark[0]["object"]["metadata"]["annotations"]["k8s.io/initial-events-end"],
        "true"
    );

    estate.cluster("dev").expect("dev").store.compact();
    let gone = watch_events(
        &client,
        &format!("{base}?watch=true&resourceVersion={rv}"),
        1,
    )
    .await;
    assert_eq!(gone[0]["type"], "ERROR");
    assert_eq!(gone[0]["object"]["code"], 410);
    estate.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finalizers_hold_deletion_and_owners_cascade() {
    let estate = common::estate(&["dev"]).await;
    let client = common::client(&estate, "k8tre-dev").await;
    let base = "/api/v1/namespaces/default/configmaps";
    let mut held = cm("held");
    held["metadata"]["finalizers"] = json!(["example.com/hold"]);
    post(&client, base, &held).await;
    let (code, deleting) = raw(
        &client,
        "DELETE",
        &format!("{base}/held"),
        "application/json",
        vec![],
    )
    .await;
    assert_eq!(code, 200);
    assert!(deleting["metadata"]["deletionTimestamp"].is_string());
    let (code, _) = raw(
        &client,
        "GET",
        &format!("{base}/held"),
        "application/json",
        vec![],
    )
    .await;
    assert_eq!(code, 200, "a finalizer keeps the object");
    let (code, _) = raw(
        &client,
        "PATCH",
        &format!("{base}/held"),
        "application/merge-patch+json",
        br#"{"metadata":{"finalizers":null}}"#.to_vec(),
    )
    .await;
    assert_eq!(code, 200);
    let (code, _) = raw(
        &client,
        "GET",
        &format!("{base}/held"),
        "application/json",
        vec![],
    )
    .await;
    assert_eq!(
        code, 404,
        "removing the last finalizer completes the deletion"
    );

    let (_, owner) = post(&client, base, &cm("owner")).await;
    let mut child = cm("child");
    child["metadata"]["ownerReferences"] = json!([{"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner["metadata"]["uid"]}]);
    post(&client, base, &child).await;
    raw(
        &client,
        "DELETE",
        &format!("{base}/owner"),
        "application/json",
        vec![],
    )
    .await;
    let (code, _) = raw(
        &client,
        "GET",
        &format!("{base}/child"),
        "application/json",
        vec![],
    )
    .await;
    assert_eq!(code, 404, "dependents are garbage collected");

    post(
        &client,
        "/api/v1/namespaces",
        &json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "scratch"}}),
    )
    .await;
    post(
        &client,
        "/api/v1/namespaces/scratch/configmaps",
        &cm("inside"),
    )
    .await;
    raw(
        &client,
        "DELETE",
        "/api/v1/namespaces/scratch",
        "application/json",
        vec![],
    )
    .await;
    let (code, _) = raw(
        &client,
        "GET",
        "/api/v1/namespaces/scratch/configmaps/inside",
        "application/json",
        vec![],
    )
    .await;
    assert_eq!(code, 404, "deleting a namespace deletes its content");
    let (code, _) = raw(
        &client,
        "GET",
        "/api/v1/namespaces/scratch",
        "application/json",
        vec![],
    )
    .await;
    assert_eq!(code, 404);
    estate.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_subresource_is_separate_and_generation_tracks_spec() {
    let estate = common::estate(&["dev"]).await;
    let client = common::client(&estate, "k8tre-dev").await;
    let base = "/apis/apps/v1/namespaces/default/deployments";
    let deploy = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
        "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}},
        "status": {"replicas": 99}});
    let (code, created) = post(&client, base, &deploy).await;
    assert_eq!(code, 201);
    assert!(
        created
            .get("status")
            .is_none_or(|s| s.get("replicas").is_none()),
        "status is ignored on create"
    );
    assert_eq!(created["spec"]["replicas"], 1, "defaulted");
    let patch = |path: String, body: Value| {
        let client = client.clone();
        async move {
            raw(
                &client,
                "PATCH",
                &path,
                "application/merge-patch+json",
                body.to_string().into_bytes(),
            )
            .await
        }
    };
    let (_, status_written) = patch(
        format!("{base}/d/status"),
        json!({"status": {"readyReplicas": 1}, "spec": {"replicas": 7}}),
    )
    .await;
    assert_eq!(status_written["status"]["readyReplicas"], 1);
    assert_eq!(
        status_written["spec"]["replicas"], 1,
        "the status subresource cannot change spec"
    );
    assert_eq!(
        status_written["metadata"]["generation"], 1,
        "status writes keep generation"
    );
    let (_, main_written) = patch(
        format!("{base}/d"),
        json!({"status": {"readyReplicas": 5}, "metadata": {"labels": {"x": "y"}}}),
    )
    .await;
    assert_eq!(
        main_written["status"]["readyReplicas"], 1,
        "the main resource cannot change status"
    );
    assert_eq!(
        main_written["metadata"]["generation"], 1,
        "metadata changes keep generation"
    );
    let (_, spec_written) = patch(format!("{base}/d"), json!({"spec": {"replicas": 3}})).await;
    assert_eq!(spec_written["metadata"]["generation"], 2);
    estate.stop().await;
}

//! Request dispatch: faults, authentication, authorization, then the verb's handler.

use std::sync::Arc;
use std::time::Duration;

use bytes::{BufMut, BytesMut};
use chrono::{SecondsFormat, Utc};
use http::{HeaderMap, Method, Request, Response};
use serde_json::{Value, json};

use super::http::{self as h, Body, Query};
use super::routes::{ResourcePath, Route};
use super::table::TableRenderer;
use super::{discovery, logs, openapi, watch};
use crate::sim::api::{DeleteOptions, ListQuery, Part, PatchType, WriteContext};
use crate::sim::auth::User;
use crate::sim::cluster::ClusterState;
use crate::sim::error::{ApiError, Subject};
use crate::sim::requestlog::RequestRecord;
use crate::sim::resources::ResourceType;
use crate::sim::store::WatchStart;

/// What the request log records about a request, filled in as it is handled.
#[derive(Default)]
struct Outcome {
    verb: String,
    user: String,
    dry_run: bool,
    resource: Option<String>,
    namespace: Option<String>,
    name: Option<String>,
}

/// Handles one HTTP request for a simulated cluster.
pub async fn handle(
    cluster: Arc<ClusterState>,
    server_address: String,
    req: Request<hyper::body::Incoming>,
) -> Response<Body> {
    while cluster.faults.hanging() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let latency = cluster.faults.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let query_text = req.uri().query().unwrap_or_default().to_string();
    let mut outcome = Outcome {
        verb: method.as_str().to_ascii_lowercase(),
        ..Outcome::default()
    };
    let response = if cluster.faults.should_fail(rand::random::<f64>()) {
        h::error(&ApiError::service_unavailable(
            "the simulated cluster is failing requests (fault injection)",
        ))
    } else {
        match dispatch(&cluster, &server_address, req, &mut outcome).await {
            Ok(r) => r,
            Err(e) => h::error(&e),
        }
    };
    cluster.requests.push(RequestRecord {
        time: Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
        cluster: cluster.name.clone(),
        method: method.to_string(),
        path,
        query: query_text,
        verb: outcome.verb,
        user: outcome.user,
        status: response.status().as_u16(),
        dry_run: outcome.dry_run,
        resource: outcome.resource,
        namespace: outcome.namespace,
        name: outcome.name,
    });
    response
}

async fn dispatch(
    cluster: &Arc<ClusterState>,
    server_address: &str,
    req: Request<hyper::body::Incoming>,
    outcome: &mut Outcome,
) -> Result<Response<Body>, ApiError> {
    let path = req.uri().path().to_string();
    let route = super::routes::parse(&path).ok_or_else(|| ApiError::no_route(&path))?;
    match route {
        Route::Version => {
            return Ok(h::json(
                200,
                &discovery::version(&cluster.git_version(), &cluster.options.kubernetes_version),
            ));
        }
        Route::Health => return Ok(h::text(200, h::full("ok"))),
        _ => {}
    }
    let auth = req
        .headers()
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let user = cluster.users.authenticate(auth)?.clone();
    outcome.user = user.name.clone();
    if req.method() != Method::GET && !matches!(route, Route::Resource(_)) {
        return Err(ApiError::method_not_allowed(req.method().as_str(), &path));
    }
    let registry = || cluster.registry.read();
    match route {
        Route::CoreVersions => Ok(h::json(200, &discovery::core_versions(server_address))),
        Route::Groups => Ok(h::json(200, &discovery::groups(&registry()))),
        Route::Group(g) => discovery::group(&registry(), &g)
            .map(|v| h::json(200, &v))
            .ok_or_else(|| ApiError::no_route(&path)),
        Route::GroupVersion(g, v) => discovery::resource_list(&registry(), &g, &v)
            .map(|doc| h::json(200, &doc))
            .ok_or_else(|| ApiError::no_route(&path)),
        Route::OpenApiV3Index => Ok(h::json(200, &openapi::index(&registry()))),
        Route::OpenApiV3(g, v) => {
            openapi::group_version(&registry(), &g, &v, &cluster.git_version())
                .map(|doc| h::json(200, &doc))
                .ok_or_else(|| ApiError::no_route(&path))
        }
        Route::OpenApiV2 => Err(ApiError::no_route(&path)),
        Route::Resource(rp) => resource(cluster, &user, rp, req, outcome).await,
        Route::Version | Route::Health => Err(ApiError::no_route(&path)),
    }
}

/// The Kubernetes verb of a resource request.
fn verb_of(method: &Method, rp: &ResourcePath, query: &Query) -> Result<&'static str, ApiError> {
    Ok(match (method.as_str(), rp.name.is_some()) {
        ("GET", true) => "get",
        ("GET", false) if rp.legacy_watch || query.flag("watch") => "watch",
        ("GET", false) => "list",
        ("POST", false) => "create",
        ("PUT", true) => "update",
        ("PATCH", true) => "patch",
        ("DELETE", true) => "delete",
        ("DELETE", false) => "deletecollection",
        (m, _) => return Err(ApiError::method_not_allowed(m, "resource")),
    })
}

fn field_manager(query: &Query, headers: &HeaderMap) -> String {
    if let Some(m) = query.get("fieldManager").filter(|m| !m.is_empty()) {
        return m.to_string();
    }
    // The API server derives a manager from the user agent's product name.
    headers
        .get(http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .and_then(|ua| ua.split('/').next())
        .filter(|s| !s.is_empty())
        .unwrap_or("unknown")
        .to_string()
}

async fn resource(
    cluster: &Arc<ClusterState>,
    user: &User,
    rp: ResourcePath,
    req: Request<hyper::body::Incoming>,
    outcome: &mut Outcome,
) -> Result<Response<Body>, ApiError> {
    let query = Query::parse(req.uri().query());
    let verb = verb_of(req.method(), &rp, &query)?;
    outcome.verb = verb.to_string();
    outcome.resource = Some(match &rp.subresource {
        Some(sub) => format!("{}/{sub}", rp.plural),
        None => rp.plural.clone(),
    });
    outcome.namespace = rp.namespace.clone();
    outcome.name = rp.name.clone();
    outcome.dry_run = query.dry_run()?;
    let rt = cluster
        .resource_type(&rp.group, &rp.version, &rp.plural)
        .ok_or_else(|| ApiError::no_route(req.uri().path()))?;
    if rt.is_review() {
        return review(&rt, user, req).await;
    }
    if !rt.allows(verb) {
        return Err(ApiError::method_not_allowed(
            req.method().as_str(),
            req.uri().path(),
        ));
    }
    if rt.namespaced != rp.namespace.is_some()
        && !(rt.namespaced && matches!(verb, "list" | "watch" | "deletecollection"))
    {
        return Err(ApiError::no_route(req.uri().path()));
    }
    let name = rp.name.clone().unwrap_or_default();
    if !user.may(verb) {
        let subject = Subject {
            group: &rt.group,
            plural: &rt.plural,
            name: &name,
        };
        return Err(ApiError::forbidden(
            &user.name,
            verb,
            &subject,
            rp.namespace.as_deref(),
        ));
    }
    let part = match rp.subresource.as_deref() {
        None => Part::Main,
        Some("status") if rt.status_subresource => Part::Status,
        Some("log") if rt.group.is_empty() && rt.plural == "pods" && verb == "get" => {
            return logs::serve(
                cluster.clone(),
                &rt,
                rp.namespace.as_deref().unwrap_or_default(),
                &name,
                &query,
            );
        }
        Some(_) => return Err(ApiError::no_route(req.uri().path())),
    };
    let namespace = rp.namespace.clone().unwrap_or_default();
    let ctx = WriteContext {
        user: user.name.clone(),
        dry_run: outcome.dry_run,
        field_manager: field_manager(&query, req.headers()),
        now: Utc::now(),
    };
    let table =
        h::wants_table(req.headers()).then(|| TableRenderer::new(&rt, query.get("includeObject")));
    match verb {
        "get" => {
            let entry = cluster.get(&rt, &namespace, &name)?;
            match table {
                Some(t) => Ok(h::json(200, &t.render(&[&entry.value()?], Utc::now()))),
                None => Ok(h::json_bytes(200, entry.json.clone())),
            }
        }
        "list" => list(cluster, &rt, rp.namespace.as_deref(), &query, table),
        "watch" => watch_request(cluster, rt, rp.namespace, &query, table),
        "create" => {
            let headers = req.headers().clone();
            let body = h::read_body(&headers, req.into_body()).await?;
            let obj = h::decode(h::content_type(&headers), &body)?;
            let created = cluster.create(&rt, &namespace, obj, &ctx)?;
            Ok(h::json(201, &created))
        }
        "update" => {
            let headers = req.headers().clone();
            let body = h::read_body(&headers, req.into_body()).await?;
            let obj = h::decode(h::content_type(&headers), &body)?;
            Ok(h::json(
                200,
                &cluster.replace(&rt, &namespace, &name, obj, part, &ctx)?,
            ))
        }
        "patch" => {
            let headers = req.headers().clone();
            let content_type = h::content_type(&headers).to_string();
            let patch_type = PatchType::from_content_type(&content_type)
                .ok_or_else(|| ApiError::unsupported_media_type(&content_type))?;
            let body = h::read_body(&headers, req.into_body()).await?;
            let patch = h::decode(&content_type, &body)?;
            let (obj, created) = cluster.patch(
                &rt,
                &namespace,
                &name,
                patch_type,
                &patch,
                part,
                query.flag("force"),
                &ctx,
            )?;
            Ok(h::json(if created { 201 } else { 200 }, &obj))
        }
        "delete" => {
            let headers = req.headers().clone();
            let body = h::read_body(&headers, req.into_body()).await?;
            let options = delete_options(&query, &body)?;
            Ok(h::json(
                200,
                &cluster.delete(&rt, &namespace, &name, &options, &ctx)?,
            ))
        }
        "deletecollection" => {
            let list_query = ListQuery::parse(
                &rt.key(),
                query.get("labelSelector"),
                query.get("fieldSelector"),
            )?;
            let items =
                cluster.delete_collection(&rt, rp.namespace.as_deref(), &list_query, &ctx)?;
            Ok(h::json(
                200,
                &json!({"kind": rt.list_kind, "apiVersion": rt.api_version(), "metadata": {}, "items": items}),
            ))
        }
        _ => Err(ApiError::method_not_allowed(verb, "resource")),
    }
}

fn delete_options(query: &Query, body: &[u8]) -> Result<DeleteOptions, ApiError> {
    let body: Value = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        serde_json::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("invalid DeleteOptions: {e}")))?
    };
    let policy = query
        .get("propagationPolicy")
        .map(str::to_string)
        .or_else(|| {
            body.get("propagationPolicy")
                .and_then(Value::as_str)
                .map(str::to_string)
        });
    if body
        .get("dryRun")
        .and_then(Value::as_array)
        .is_some_and(|d| d.iter().any(|v| v != "All"))
    {
        return Err(ApiError::bad_request(
            "Invalid dry run value: supported values: \"All\"",
        ));
    }
    Ok(DeleteOptions {
        precondition_uid: body
            .pointer("/preconditions/uid")
            .and_then(Value::as_str)
            .map(str::to_string),
        precondition_rv: body
            .pointer("/preconditions/resourceVersion")
            .and_then(Value::as_str)
            .map(str::to_string),
        orphan: policy.as_deref() == Some("Orphan")
            || body.get("orphanDependents") == Some(&json!(true)),
    })
}

fn list_query(rt: &ResourceType, query: &Query) -> Result<ListQuery, ApiError> {
    let mut q = ListQuery::parse(
        &rt.key(),
        query.get("labelSelector"),
        query.get("fieldSelector"),
    )?;
    q.limit = query
        .number("limit")?
        .map(|l| l as usize)
        .filter(|l| *l > 0);
    q.continue_token = query
        .get("continue")
        .filter(|c| !c.is_empty())
        .map(str::to_string);
    if query.get("resourceVersionMatch") == Some("Exact") {
        q.resource_version = query.number("resourceVersion")?;
    }
    Ok(q)
}

fn list(
    cluster: &ClusterState,
    rt: &ResourceType,
    namespace: Option<&str>,
    query: &Query,
    table: Option<TableRenderer>,
) -> Result<Response<Body>, ApiError> {
    let q = list_query(rt, query)?;
    let result = cluster.list(rt, namespace, &q)?;
    let mut meta = json!({"resourceVersion": result.rv.to_string()});
    if let Some(token) = &result.continue_token {
        meta["continue"] = json!(token);
        meta["remainingItemCount"] = json!(result.remaining);
    }
    if let Some(t) = table {
        let objects: Vec<Value> = result
            .items
            .iter()
            .map(|e| e.value())
            .collect::<Result<_, _>>()?;
        let refs: Vec<&Value> = objects.iter().collect();
        let mut table = t.render(&refs, Utc::now());
        table["metadata"] = meta;
        return Ok(h::json(200, &table));
    }
    // Built from the stored JSON without re-parsing: lists of 10,000 objects stay cheap.
    let head =
        json!({"kind": rt.list_kind, "apiVersion": rt.api_version(), "metadata": meta}).to_string();
    let size: usize =
        result.items.iter().map(|e| e.json.len() + 1).sum::<usize>() + head.len() + 16;
    let mut out = BytesMut::with_capacity(size);
    out.put_slice(&head.as_bytes()[..head.len() - 1]);
    out.put_slice(b",\"items\":[");
    for (i, entry) in result.items.iter().enumerate() {
        if i > 0 {
            out.put_u8(b',');
        }
        out.put_slice(&entry.json);
    }
    out.put_slice(b"]}");
    Ok(h::json_bytes(200, out.freeze()))
}

fn watch_request(
    cluster: &Arc<ClusterState>,
    rt: Arc<ResourceType>,
    namespace: Option<String>,
    query: &Query,
    table: Option<TableRenderer>,
) -> Result<Response<Body>, ApiError> {
    let q = ListQuery::parse(
        &rt.key(),
        query.get("labelSelector"),
        query.get("fieldSelector"),
    )?;
    let start = match query.get("resourceVersion") {
        None | Some("") | Some("0") => WatchStart::CurrentState,
        Some(rv) => WatchStart::After(
            rv.parse()
                .map_err(|_| ApiError::bad_request(format!("invalid resourceVersion {rv:?}")))?,
        ),
    };
    let request = watch::WatchRequest {
        namespace,
        query: q,
        start,
        bookmarks: query.flag("allowWatchBookmarks"),
        timeout: query.number("timeoutSeconds")?.map(Duration::from_secs),
        initial_events_end: query.flag("sendInitialEvents"),
        table,
    };
    Ok(watch::response(cluster.clone(), rt, request))
}

/// SelfSubjectAccessReview and SelfSubjectReview: answered, never stored.
async fn review(
    rt: &ResourceType,
    user: &User,
    req: Request<hyper::body::Incoming>,
) -> Result<Response<Body>, ApiError> {
    if req.method() != Method::POST {
        return Err(ApiError::method_not_allowed(
            req.method().as_str(),
            req.uri().path(),
        ));
    }
    let headers = req.headers().clone();
    let body = h::read_body(&headers, req.into_body()).await?;
    let content_type = h::content_type(&headers);
    let mut obj = h::decode(content_type, &body)?;
    if obj.get("kind").and_then(Value::as_str) != Some(rt.kind.as_str()) {
        return Err(ApiError::bad_request(format!(
            "the object provided is unrecognized (must be of type {})",
            rt.kind
        )));
    }
    obj["metadata"] = json!({"creationTimestamp": null});
    if rt.kind == "SelfSubjectReview" {
        obj["status"] = json!({"userInfo": {"username": user.name, "groups": user.groups}});
        return Ok(h::json(201, &obj));
    }
    let verb = obj
        .pointer("/spec/resourceAttributes/verb")
        .or_else(|| obj.pointer("/spec/nonResourceAttributes/verb"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let allowed = user.may(&verb);
    obj["status"] = if allowed {
        json!({"allowed": true, "reason": format!("user {:?} is a simulated {}", user.name, role_name(user))})
    } else {
        json!({"allowed": false, "reason": format!("user {:?} may only get, list and watch", user.name)})
    };
    Ok(h::json(201, &obj))
}

fn role_name(user: &User) -> &'static str {
    match user.role {
        crate::sim::auth::Role::Admin => "admin",
        crate::sim::auth::Role::Viewer => "viewer",
    }
}

//! HTTP plumbing for the handlers: bodies, query strings, JSON responses.

use std::collections::HashMap;
use std::convert::Infallible;

use bytes::Bytes;
use http::{HeaderMap, Response, StatusCode, header};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use serde_json::Value;

use crate::sim::error::ApiError;

pub type Body = UnsyncBoxBody<Bytes, Infallible>;

/// Request bodies above this are refused with 413, like the API server's 3 MiB limit.
pub const MAX_BODY: usize = 3 * 1024 * 1024;

pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).boxed_unsync()
}

fn with_type(status: u16, content_type: &str, body: Body) -> Response<Body> {
    let mut response = Response::new(body);
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = header::HeaderValue::from_str(content_type) {
        response.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    response
}

pub fn json_bytes(status: u16, bytes: impl Into<Bytes>) -> Response<Body> {
    with_type(status, "application/json", full(bytes))
}

pub fn json(status: u16, value: &Value) -> Response<Body> {
    json_bytes(status, serde_json::to_vec(value).unwrap_or_default())
}

pub fn text(status: u16, body: Body) -> Response<Body> {
    with_type(status, "text/plain", body)
}

pub fn streaming_json(body: Body) -> Response<Body> {
    with_type(200, "application/json", body)
}

pub fn error(e: &ApiError) -> Response<Body> {
    json(e.code, &e.to_status())
}

/// Decoded query string (last value wins for repeated keys, as the API server reads them).
#[derive(Debug, Default, Clone)]
pub struct Query(HashMap<String, String>);

impl Query {
    pub fn parse(query: Option<&str>) -> Self {
        Self(
            form_urlencoded::parse(query.unwrap_or_default().as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    pub fn flag(&self, key: &str) -> bool {
        matches!(self.get(key), Some("true" | "1"))
    }

    pub fn number(&self, key: &str) -> Result<Option<u64>, ApiError> {
        match self.get(key) {
            None | Some("") => Ok(None),
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|_| ApiError::bad_request(format!("invalid value for {key}: {v:?}"))),
        }
    }

    /// `dryRun=All` → true; absent → false; anything else is refused.
    pub fn dry_run(&self) -> Result<bool, ApiError> {
        match self.get("dryRun") {
            None | Some("") => Ok(false),
            Some("All") => Ok(true),
            Some(other) => Err(ApiError::bad_request(format!(
                "Invalid dry run value: {other:?}: supported values: \"All\""
            ))),
        }
    }
}

/// Reads the body, refusing more than [`MAX_BODY`] with 413.
///
/// An oversized body is still read (and discarded, up to a hard cap) so that the client can
/// finish sending and then read the 413, instead of failing with a broken pipe.
pub async fn read_body(
    headers: &HeaderMap,
    mut body: hyper::body::Incoming,
) -> Result<Bytes, ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let oversized_declared = declared.is_some_and(|n| n > MAX_BODY);
    let mut read = 0usize;
    let mut kept = bytes::BytesMut::new();
    while let Some(frame) = body.frame().await {
        let frame =
            frame.map_err(|e| ApiError::bad_request(format!("cannot read request body: {e}")))?;
        if let Ok(data) = frame.into_data() {
            read += data.len();
            if read > DRAIN_CAP {
                break;
            }
            if read <= MAX_BODY && !oversized_declared {
                kept.extend_from_slice(&data);
            }
        }
    }
    if read > MAX_BODY || oversized_declared {
        return Err(ApiError::too_large());
    }
    Ok(kept.freeze())
}

/// Oversized bodies are read and discarded up to this much before answering 413.
const DRAIN_CAP: usize = 64 * 1024 * 1024;

pub fn content_type(headers: &HeaderMap) -> &str {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json")
}

/// Decodes a JSON, YAML or (for the few kinds kubectl's typed clients send so) protobuf body.
pub fn decode(content_type: &str, body: &[u8]) -> Result<Value, ApiError> {
    if content_type.contains("protobuf") {
        return super::protobuf::decode(body);
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request("the request body is empty"));
    }
    let value: Value = if content_type.contains("yaml") {
        serde_yaml::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))?
    } else {
        serde_json::from_slice(body).map_err(|e| {
            ApiError::bad_request(format!("couldn't get version/kind; json parse error: {e}"))
        })?
    };
    Ok(value)
}

/// The client wants a server-side `Table` (kubectl get).
pub fn wants_table(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("as=Table"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parsing() {
        let q = Query::parse(Some(
            "labelSelector=app%3Dweb%2Ctier+in+%28a%29&watch=1&limit=5&dryRun=All",
        ));
        assert_eq!(q.get("labelSelector"), Some("app=web,tier in (a)"));
        assert!(q.flag("watch"));
        assert_eq!(q.number("limit").expect("number"), Some(5));
        assert!(q.dry_run().expect("dry run"));
        assert!(Query::parse(Some("dryRun=Some")).dry_run().is_err());
        assert!(Query::parse(Some("limit=x")).number("limit").is_err());
    }

    #[test]
    fn decoding_errors_are_bad_requests() {
        assert_eq!(
            decode("application/json", b"{not json")
                .err()
                .map(|e| e.code),
            Some(400)
        );
        assert_eq!(
            decode("application/json", b"  ").err().map(|e| e.code),
            Some(400)
        );
        let yaml = decode(
            "application/apply-patch+yaml",
            b"apiVersion: v1\nkind: ConfigMap\n",
        )
        .expect("yaml");
        assert_eq!(yaml["kind"], "ConfigMap");
    }
}

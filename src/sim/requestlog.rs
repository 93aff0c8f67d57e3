//! Every request a simulated cluster answered, kept in memory (bounded) and optionally
//! appended as JSON lines, so tests can prove what a client did or did not send.

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

/// One answered request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestRecord {
    pub time: String,
    pub cluster: String,
    pub method: String,
    pub path: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub query: String,
    /// Kubernetes verb (get, list, watch, create, update, patch, delete, deletecollection), or
    /// the HTTP method in lower case for non-resource paths.
    pub verb: String,
    pub user: String,
    pub status: u16,
    pub dry_run: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl RequestRecord {
    /// Writes change state; dry runs and reads do not.
    pub fn is_write(&self) -> bool {
        !self.dry_run
            && matches!(
                self.verb.as_str(),
                "create" | "update" | "patch" | "delete" | "deletecollection"
            )
            && !self.path.contains("selfsubject")
    }
}

/// A JSONL file shared by every cluster of an estate.
pub type SharedLogFile = Arc<Mutex<File>>;

pub fn open_log_file(path: &Path) -> std::io::Result<SharedLogFile> {
    let file = OpenOptions::new().create(true).append(true).open(path)?;
    Ok(Arc::new(Mutex::new(file)))
}

/// The bounded in-memory log of one cluster.
pub struct RequestLog {
    entries: Mutex<VecDeque<RequestRecord>>,
    limit: usize,
    file: Option<SharedLogFile>,
}

impl RequestLog {
    pub fn new(limit: usize, file: Option<SharedLogFile>) -> Self {
        Self {
            entries: Mutex::new(VecDeque::new()),
            limit: limit.max(1),
            file,
        }
    }

    pub fn push(&self, record: RequestRecord) {
        if let Some(file) = &self.file
            && let Ok(mut line) = serde_json::to_vec(&record)
        {
            line.push(b'\n');
            // One write per line keeps lines whole; a failing log file must not fail requests.
            if let Err(e) = file.lock().write_all(&line) {
                tracing::warn!("request log write failed: {e}");
            }
        }
        let mut entries = self.entries.lock();
        entries.push_back(record);
        while entries.len() > self.limit {
            entries.pop_front();
        }
    }

    pub fn snapshot(&self) -> Vec<RequestRecord> {
        self.entries.lock().iter().cloned().collect()
    }

    pub fn clear(&self) {
        self.entries.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(verb: &str, dry_run: bool) -> RequestRecord {
        RequestRecord {
            time: "2026-01-01T00:00:00Z".into(),
            cluster: "dev".into(),
            method: "PATCH".into(),
            path: "/api/v1/namespaces/default/configmaps/x".into(),
            query: String::new(),
            verb: verb.into(),
            user: "k8tre-admin".into(),
            status: 200,
            dry_run,
            resource: Some("configmaps".into()),
            namespace: Some("default".into()),
            name: Some("x".into()),
        }
    }

    #[test]
    fn bounded_and_classifies_writes() {
        let log = RequestLog::new(2, None);
        log.push(record("get", false));
        log.push(record("patch", true));
        log.push(record("patch", false));
        let all = log.snapshot();
        assert_eq!(all.len(), 2);
        assert!(!all[0].is_write());
        assert!(all[1].is_write());
    }

    #[test]
    fn appends_json_lines() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("requests.jsonl");
        let log = RequestLog::new(10, Some(open_log_file(&path).expect("open")));
        log.push(record("get", false));
        log.push(record("delete", false));
        let text = std::fs::read_to_string(&path).expect("read");
        let parsed: Vec<RequestRecord> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("json"))
            .collect();
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed[1].verb, "delete");
    }
}

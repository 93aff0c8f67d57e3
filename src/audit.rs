//! The audit log: one JSON line per change the console makes to a cluster, appended and never
//! rewritten.
//!
//! Each record is written with a single `write` on a file opened with `O_APPEND`, so records
//! from several tasks or processes never interleave inside a line, and then synced to disk.
//! Records describe patches to ArgoCD objects only: a record about a Secret is refused, so
//! secret material cannot reach the log.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The object a change was made to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectRef {
    pub api_version: String,
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
}

/// What the API server answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuditResult {
    Ok,
    Error(String),
}

/// One change: who made it, where, to what, exactly what was sent, and how it went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// RFC 3339, UTC, milliseconds.
    #[serde(serialize_with = "rfc3339", deserialize_with = "from_rfc3339")]
    pub time: DateTime<Utc>,
    /// The kubeconfig user the change was made as.
    pub kube_user: String,
    pub context: String,
    pub cluster: String,
    pub object: ObjectRef,
    /// The console action, e.g. `sync`, `refresh`, `rollback`.
    pub action: String,
    /// The exact patch or body sent to the API server.
    pub patch: serde_json::Value,
    pub dry_run: bool,
    pub result: AuditResult,
}

fn rfc3339<S: Serializer>(time: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&time.to_rfc3339_opts(SecondsFormat::Millis, true))
}

fn from_rfc3339<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DateTime<Utc>, D::Error> {
    let text = String::deserialize(deserializer)?;
    DateTime::parse_from_rfc3339(&text)
        .map(|time| time.with_timezone(&Utc))
        .map_err(serde::de::Error::custom)
}

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("cannot open audit log {}: {source}", path.display())]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write audit log {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("audit log {}: only {written} of {length} bytes of a record were written", path.display())]
    ShortWrite {
        path: PathBuf,
        written: usize,
        length: usize,
    },
    #[error("refusing to audit a change to {kind} {name}: the audit log never holds Secrets")]
    SecretRefused { kind: String, name: String },
    #[error("cannot encode audit record: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("cannot read audit log {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("audit log {}:{line}: {problem}", path.display())]
    BadLine {
        path: PathBuf,
        line: usize,
        problem: String,
    },
}

/// An audit log open for appending. Shareable between tasks (`&self` appends).
#[derive(Debug)]
pub struct AuditLog {
    path: PathBuf,
    file: File,
}

impl AuditLog {
    /// Opens (creating) the log and its parent directories. A new log is readable by its owner
    /// only (0600), new directories likewise (0700).
    pub fn open(path: &Path) -> Result<AuditLog, AuditError> {
        let open_error = |source| AuditError::Open {
            path: path.to_path_buf(),
            source,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            private_dir_builder().create(parent).map_err(open_error)?;
        }
        let mut options = OpenOptions::new();
        options.append(true).create(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(path).map_err(open_error)?;
        Ok(AuditLog {
            path: path.to_path_buf(),
            file,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one record as one line, in one write, and syncs it to disk.
    pub fn append(&self, record: &AuditRecord) -> Result<(), AuditError> {
        if record.object.kind.eq_ignore_ascii_case("Secret") {
            return Err(AuditError::SecretRefused {
                kind: record.object.kind.clone(),
                name: record.object.name.clone(),
            });
        }
        let mut line = serde_json::to_vec(record)?;
        line.push(b'\n');
        let write_error = |source| AuditError::Write {
            path: self.path.clone(),
            source,
        };
        // One write call: with O_APPEND the kernel places the whole buffer at the end of the
        // file atomically, so concurrent appenders cannot interleave within a line.
        let written = (&self.file).write(&line).map_err(write_error)?;
        if written != line.len() {
            return Err(AuditError::ShortWrite {
                path: self.path.clone(),
                written,
                length: line.len(),
            });
        }
        self.file.sync_data().map_err(write_error)
    }

    /// Reads every record of a log, failing on the first line that is not a whole record.
    pub fn read_all(path: &Path) -> Result<Vec<AuditRecord>, AuditError> {
        let text = std::fs::read_to_string(path).map_err(|source| AuditError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let bad_line = |line: usize, problem: String| AuditError::BadLine {
            path: path.to_path_buf(),
            line,
            problem,
        };
        if !text.is_empty() && !text.ends_with('\n') {
            let last = text.lines().count();
            return Err(bad_line(last, "the last record is incomplete".into()));
        }
        text.lines()
            .enumerate()
            .filter(|(_, line)| !line.trim().is_empty())
            .map(|(index, line)| {
                serde_json::from_str(line).map_err(|error| bad_line(index + 1, error.to_string()))
            })
            .collect()
    }
}

fn private_dir_builder() -> std::fs::DirBuilder {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn record(name: &str, patch: serde_json::Value) -> AuditRecord {
        AuditRecord {
            time: Utc
                .with_ymd_and_hms(2025, 3, 14, 15, 9, 26)
                .single()
                .expect("valid time")
                + chrono::Duration::milliseconds(535),
            kube_user: "alice@example.org".into(),
            context: "k8tre-mgmt".into(),
            cluster: "mgmt".into(),
            object: ObjectRef {
                api_version: "argoproj.io/v1alpha1".into(),
                kind: "Application".into(),
                namespace: Some("argocd".into()),
                name: name.into(),
            },
            action: "sync".into(),
            patch,
            dry_run: false,
            result: AuditResult::Ok,
        }
    }

    #[test]
    fn a_record_round_trips_through_the_log() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("nested/deeper/audit.jsonl");
        let log = AuditLog::open(&path).expect("opens");
        let first = record(
            "cilium-dev",
            json!({"operation": {"sync": {"prune": true}}}),
        );
        let mut second = record(
            "cilium-prd",
            json!([{"op": "replace", "path": "/spec/source/targetRevision", "value": "v1.2.0"}]),
        );
        second.dry_run = true;
        second.result = AuditResult::Error("admission webhook denied the request".into());
        log.append(&first).expect("appends");
        log.append(&second).expect("appends");
        assert_eq!(
            AuditLog::read_all(&path).expect("reads"),
            vec![first, second]
        );
    }

    #[test]
    fn the_line_format_is_stable() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("audit.jsonl");
        AuditLog::open(&path)
            .expect("opens")
            .append(&record(
                "app",
                json!({"metadata": {"annotations": {"argocd.argoproj.io/refresh": "normal"}}}),
            ))
            .expect("appends");
        let text = std::fs::read_to_string(&path).expect("reads");
        assert_eq!(
            text,
            concat!(
                r#"{"time":"2025-03-14T15:09:26.535Z","kube_user":"alice@example.org","#,
                r#""context":"k8tre-mgmt","cluster":"mgmt","object":{"apiVersion":"argoproj.io/v1alpha1","#,
                r#""kind":"Application","namespace":"argocd","name":"app"},"action":"sync","#,
                r#""patch":{"metadata":{"annotations":{"argocd.argoproj.io/refresh":"normal"}}},"#,
                r#""dry_run":false,"result":"ok"}"#,
                "\n"
            )
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_new_log_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("private/audit.jsonl");
        AuditLog::open(&path).expect("opens");
        let mode = |p: &Path| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&dir.path().join("private")), 0o700);
    }

    #[test]
    fn reopening_appends() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("audit.jsonl");
        for name in ["a", "b"] {
            AuditLog::open(&path)
                .expect("opens")
                .append(&record(name, json!({})))
                .expect("appends");
        }
        let names: Vec<String> = AuditLog::read_all(&path)
            .expect("reads")
            .into_iter()
            .map(|r| r.object.name)
            .collect();
        assert_eq!(names, ["a", "b"]);
    }

    #[test]
    fn concurrent_appenders_never_interleave() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("audit.jsonl");
        // Separate opens behave like separate processes: each has its own file description.
        let big = "x".repeat(64 * 1024);
        std::thread::scope(|scope| {
            for writer in 0..4 {
                let path = &path;
                let big = &big;
                scope.spawn(move || {
                    let log = AuditLog::open(path).expect("opens");
                    for n in 0..25 {
                        let patch = json!({"writer": writer, "n": n, "padding": big});
                        log.append(&record(&format!("w{writer}-{n}"), patch))
                            .expect("appends");
                    }
                });
            }
        });
        let records = AuditLog::read_all(&path).expect("every line is a whole record");
        assert_eq!(records.len(), 100);
        for writer in 0..4 {
            let ns: Vec<u64> = records
                .iter()
                .filter(|r| r.patch["writer"] == writer)
                .filter_map(|r| r.patch["n"].as_u64())
                .collect();
            assert_eq!(
                ns,
                (0..25).collect::<Vec<u64>>(),
                "writer {writer} in order"
            );
        }
    }

    #[test]
    fn secrets_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("audit.jsonl");
        let log = AuditLog::open(&path).expect("opens");
        let mut secret = record("db-password", json!({"data": {"password": "aHVudGVyMg=="}}));
        secret.object.kind = "Secret".into();
        secret.object.api_version = "v1".into();
        let error = log.append(&secret).expect_err("refused");
        assert!(error.to_string().contains("never holds Secrets"), "{error}");
        assert_eq!(std::fs::read_to_string(&path).expect("reads"), "");
    }

    #[test]
    fn torn_and_garbled_lines_are_reported_with_their_number() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("audit.jsonl");
        let good = serde_json::to_string(&record("a", json!({}))).expect("encodes");
        std::fs::write(&path, format!("{good}\n{{\"time\":")).expect("writes");
        let error = AuditLog::read_all(&path).expect_err("torn");
        assert!(
            error
                .to_string()
                .contains("audit.jsonl:2: the last record is incomplete"),
            "{error}"
        );
        std::fs::write(&path, format!("{good}\nnot json\n")).expect("writes");
        let error = AuditLog::read_all(&path).expect_err("garbled");
        assert!(error.to_string().contains("audit.jsonl:2: "), "{error}");
    }
}

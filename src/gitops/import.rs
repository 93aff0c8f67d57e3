//! Builds a `git fast-import` stream: a linear history of commits written by one git
//! process, without touching a work tree. Creating a repository this way costs one process
//! instead of several per commit, and yields exactly the objects `git commit` would.

use chrono::DateTime;

use super::git::Identity;

/// A change to one file in a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileChange {
    /// Creates or replaces the file (mode 100644).
    Write {
        path: String,
        text: String,
    },
    Delete {
        path: String,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("fast-import: commit date {date:?} is not RFC 3339: {reason}")]
    Date { date: String, reason: String },
    #[error("fast-import: path {path:?} cannot be written unquoted (newline, quote or empty)")]
    Path { path: String },
    #[error("fast-import: {field} {value:?} contains a character git does not allow there")]
    Identity { field: &'static str, value: String },
}

/// The stream being built. Commits on the same branch follow each other; the branch must
/// not exist before the import (the first commit is a root commit).
#[derive(Debug, Default)]
pub struct ImportStream {
    bytes: Vec<u8>,
}

impl ImportStream {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a commit on `branch` (e.g. `refs/heads/main`) by `identity` (as author and
    /// committer) at `date` (RFC 3339).
    pub fn commit(
        &mut self,
        branch: &str,
        identity: &Identity,
        date: &str,
        message: &str,
        changes: &[FileChange],
    ) -> Result<(), ImportError> {
        let when = raw_date(date)?;
        let who = person(identity)?;
        let mut message = message.trim_end().to_string();
        message.push('\n');
        let mut out = Vec::new();
        out.extend_from_slice(format!("commit {branch}\n").as_bytes());
        out.extend_from_slice(format!("author {who} {when}\ncommitter {who} {when}\n").as_bytes());
        data(&mut out, message.as_bytes());
        for change in changes {
            match change {
                FileChange::Write { path, text } => {
                    out.extend_from_slice(format!("M 100644 inline {}\n", plain(path)?).as_bytes());
                    data(&mut out, text.as_bytes());
                }
                FileChange::Delete { path } => {
                    out.extend_from_slice(format!("D {}\n", plain(path)?).as_bytes());
                }
            }
        }
        out.push(b'\n');
        self.bytes.extend_from_slice(&out);
        Ok(())
    }

    /// The finished stream, terminated so git can tell it was not cut short.
    pub fn finish(mut self) -> Vec<u8> {
        self.bytes.extend_from_slice(b"done\n");
        self.bytes
    }
}

fn data(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(format!("data {}\n", bytes.len()).as_bytes());
    out.extend_from_slice(bytes);
    out.push(b'\n');
}

/// `<unix seconds> <+hhmm>`, git's raw date format.
fn raw_date(date: &str) -> Result<String, ImportError> {
    let parsed = DateTime::parse_from_rfc3339(date).map_err(|err| ImportError::Date {
        date: date.to_string(),
        reason: err.to_string(),
    })?;
    let offset = parsed.offset().local_minus_utc();
    let sign = if offset < 0 { '-' } else { '+' };
    let minutes = offset.abs() / 60;
    Ok(format!(
        "{} {sign}{:02}{:02}",
        parsed.timestamp(),
        minutes / 60,
        minutes % 60
    ))
}

fn person(identity: &Identity) -> Result<String, ImportError> {
    let bad = |c: char| matches!(c, '<' | '>' | '\n');
    if identity.name.contains(bad) {
        return Err(ImportError::Identity {
            field: "name",
            value: identity.name.clone(),
        });
    }
    if identity.email.contains(bad) {
        return Err(ImportError::Identity {
            field: "email",
            value: identity.email.clone(),
        });
    }
    Ok(format!("{} <{}>", identity.name, identity.email))
}

fn plain(path: &str) -> Result<&str, ImportError> {
    if path.is_empty() || path.starts_with('"') || path.contains('\n') {
        return Err(ImportError::Path {
            path: path.to_string(),
        });
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gitops::git::Git;
    use tempfile::TempDir;

    fn me() -> Identity {
        Identity::new("Test Author", "test@example.org")
    }

    fn write(path: &str, text: &str) -> FileChange {
        FileChange::Write {
            path: path.into(),
            text: text.into(),
        }
    }

    #[test]
    fn raw_dates_keep_the_offset() {
        assert_eq!(
            raw_date("2026-03-02T09:00:00+00:00").expect("utc"),
            "1772442000 +0000"
        );
        assert_eq!(
            raw_date("2026-03-02T10:30:00+01:30").expect("east"),
            "1772442000 +0130"
        );
        assert_eq!(
            raw_date("2026-03-02T04:00:00-05:00").expect("west"),
            "1772442000 -0500"
        );
        assert!(matches!(
            raw_date("yesterday"),
            Err(ImportError::Date { .. })
        ));
    }

    #[test]
    fn imported_commits_equal_the_ones_git_commit_makes() {
        let tmp = TempDir::new().expect("tmp");
        let imported = Git::new(tmp.path().join("imported")).with_home(tmp.path());
        imported.init().expect("init");
        let mut stream = ImportStream::new();
        stream
            .commit(
                "refs/heads/main",
                &me(),
                "2026-03-02T09:00:00+00:00",
                "first",
                &[write("a/x.yaml", "x: 1\n"), write("b.txt", "b\n")],
            )
            .expect("first");
        stream
            .commit(
                "refs/heads/main",
                &me(),
                "2026-03-03T09:00:00+00:00",
                "second\n\nwith a body",
                &[
                    write("a/x.yaml", "x: 2\n"),
                    FileChange::Delete {
                        path: "b.txt".into(),
                    },
                ],
            )
            .expect("second");
        imported.fast_import(&stream.finish()).expect("import");
        imported.reset_hard("HEAD").expect("checkout");

        let committed = Git::new(tmp.path().join("committed")).with_home(tmp.path());
        committed.init().expect("init");
        let put = |path: &str, text: &str| {
            let full = committed.repo().join(path);
            std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
            std::fs::write(full, text).expect("write");
        };
        put("a/x.yaml", "x: 1\n");
        put("b.txt", "b\n");
        committed.add_all().expect("add");
        committed
            .commit("first", &me(), Some("2026-03-02T09:00:00+00:00"))
            .expect("commit");
        put("a/x.yaml", "x: 2\n");
        std::fs::remove_file(committed.repo().join("b.txt")).expect("rm");
        committed.add_all().expect("add");
        committed
            .commit(
                "second\n\nwith a body",
                &me(),
                Some("2026-03-03T09:00:00+00:00"),
            )
            .expect("commit");

        assert_eq!(
            imported.head().expect("imported"),
            committed.head().expect("committed")
        );
        assert_eq!(
            std::fs::read_to_string(imported.repo().join("a/x.yaml")).expect("checked out"),
            "x: 2\n"
        );
        assert!(!imported.repo().join("b.txt").exists());
    }

    #[test]
    fn unwritable_paths_and_identities_are_refused() {
        let mut stream = ImportStream::new();
        let bad_path = stream.commit(
            "refs/heads/main",
            &me(),
            "2026-03-02T09:00:00Z",
            "m",
            &[write("a\nb", "x")],
        );
        assert!(matches!(bad_path, Err(ImportError::Path { .. })));
        let bad_name = stream.commit(
            "refs/heads/main",
            &Identity::new("A <b>", "a@example.org"),
            "2026-03-02T09:00:00Z",
            "m",
            &[],
        );
        assert!(matches!(bad_name, Err(ImportError::Identity { .. })));
    }
}

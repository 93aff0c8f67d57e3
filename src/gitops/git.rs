//! A typed, synchronous wrapper over the `git` command line for one repository.
//!
//! Every call runs `git` with a scrubbed environment: no system or global config, no global
//! ignore or attributes files, no pager, no terminal prompt, stdin closed. What the console
//! reads and writes therefore depends only on the repository, never on the user's git setup.
//! Calls block; async callers run them on `spawn_blocking`.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use chrono::{DateTime, FixedOffset};

/// Why a git call failed. Every variant names the repository and the git command.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("could not run `git {command}` in {}: {source}", .repo.display())]
    Spawn {
        repo: PathBuf,
        command: String,
        #[source]
        source: std::io::Error,
    },
    #[error("`git {command}` failed in {} ({status}): {stderr}", .repo.display())]
    Failed {
        repo: PathBuf,
        command: String,
        status: String,
        stderr: String,
    },
    #[error("`git {command}` in {} produced unexpected output: {detail}", .repo.display())]
    Output {
        repo: PathBuf,
        command: String,
        detail: String,
    },
    #[error("refusing to pass {argument:?} to `git {command}` in {}: it looks like an option", .repo.display())]
    OptionLikeArgument {
        repo: PathBuf,
        command: String,
        argument: String,
    },
    #[error("could not create {}: {source}", .repo.display())]
    CreateDir {
        repo: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Who a commit is by. Used for both author and committer so history does not depend on
/// who runs the console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub name: String,
    pub email: String,
}

impl Identity {
    pub fn new(name: impl Into<String>, email: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            email: email.into(),
        }
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} <{}>", self.name, self.email)
    }
}

/// One commit as shown in a history list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    pub sha: String,
    pub short: String,
    pub author: String,
    pub date: DateTime<FixedOffset>,
    pub subject: String,
}

/// A git repository reached through the `git` CLI.
#[derive(Debug, Clone)]
pub struct Git {
    repo: PathBuf,
    home: Option<PathBuf>,
}

// Field and record separators for `git log --format`: control characters that cannot
// appear in a subject line or name.
const FIELD_SEP: char = '\u{1f}';
const RECORD_SEP: char = '\u{1e}';

/// The null device, used to switch off git's global config and per-user files.
const NULL_DEVICE: &str = if cfg!(windows) { "NUL" } else { "/dev/null" };

/// Environment variables passed through to git; everything else is dropped so a caller's
/// `GIT_DIR`, `GIT_INDEX_FILE`, `GIT_AUTHOR_*`, pager settings etc. cannot steer it.
const PASSED_THROUGH: [&str; 4] = ["PATH", "TMPDIR", "SYSTEMROOT", "TEMP"];

impl Git {
    /// A handle on the repository at `repo` (which need not exist yet; see [`Git::init`]).
    pub fn new(repo: impl Into<PathBuf>) -> Self {
        Self {
            repo: repo.into(),
            home: None,
        }
    }

    /// Runs git with `HOME` (and the XDG config home) set to `home`. Config is already
    /// ignored; this also keeps any other per-user file git might look for out of reach.
    pub fn with_home(mut self, home: impl Into<PathBuf>) -> Self {
        self.home = Some(home.into());
        self
    }

    pub fn repo(&self) -> &Path {
        &self.repo
    }

    /// `git init -b main` (creating the directory if needed), with no templates so the
    /// repository is the same on every machine.
    pub fn init(&self) -> Result<(), GitError> {
        std::fs::create_dir_all(&self.repo).map_err(|source| GitError::CreateDir {
            repo: self.repo.clone(),
            source,
        })?;
        self.run(&["init", "--quiet", "--template=", "-b", "main"])?;
        Ok(())
    }

    /// True when `repo` is itself the top of a work tree or a bare repository, not merely a
    /// directory somewhere inside another repository.
    pub fn is_repo(&self) -> bool {
        let Ok(repo) = self.repo.canonicalize() else {
            return false;
        };
        let Ok(bare) = self.run(&["rev-parse", "--is-bare-repository"]) else {
            return false;
        };
        let query = if bare.starts_with(b"true") {
            "--absolute-git-dir"
        } else {
            "--show-toplevel"
        };
        self.run(&["rev-parse", query])
            .ok()
            .and_then(|out| path_from_output(&out))
            .is_some_and(|top| top == repo)
    }

    /// `git add -A`: stages every change in the work tree, deletions included.
    pub fn add_all(&self) -> Result<(), GitError> {
        self.run(&["add", "--all"])?;
        Ok(())
    }

    /// Commits what is staged as `identity` (author and committer), at `date` when given
    /// (any date git accepts, e.g. RFC 3339), and returns the new commit's full sha.
    /// Hooks and signing are off: the console's commits must not wait on anything.
    pub fn commit(
        &self,
        message: &str,
        identity: &Identity,
        date: Option<&str>,
    ) -> Result<String, GitError> {
        let name = format!("user.name={}", identity.name);
        let email = format!("user.email={}", identity.email);
        let mut env: Vec<(&str, &str)> = vec![
            ("GIT_AUTHOR_NAME", &identity.name),
            ("GIT_AUTHOR_EMAIL", &identity.email),
            ("GIT_COMMITTER_NAME", &identity.name),
            ("GIT_COMMITTER_EMAIL", &identity.email),
        ];
        if let Some(date) = date {
            env.push(("GIT_AUTHOR_DATE", date));
            env.push(("GIT_COMMITTER_DATE", date));
        }
        let args = [
            "-c",
            &name,
            "-c",
            &email,
            "commit",
            "--quiet",
            "--no-verify",
            "--no-gpg-sign",
            "--cleanup=whitespace",
            "--file=-",
        ];
        self.run_with(&args, &env, Some(message.as_bytes()))?;
        self.head()
    }

    /// Feeds a `git fast-import` stream (see [`super::import::ImportStream`]) to the
    /// repository: many commits in one process, without touching the work tree.
    pub fn fast_import(&self, stream: &[u8]) -> Result<(), GitError> {
        self.run_with(
            &["fast-import", "--quiet", "--done", "--date-format=raw"],
            &[],
            Some(stream),
        )?;
        Ok(())
    }

    /// `git reset --hard <rev>`: moves the current branch to `rev` and makes the index and
    /// work tree match it, discarding local changes.
    pub fn reset_hard(&self, rev: &str) -> Result<(), GitError> {
        self.reject_option("reset", rev)?;
        self.run(&["reset", "--hard", "--quiet", rev])?;
        Ok(())
    }

    /// The full sha of the commit `rev` names.
    pub fn rev_parse(&self, rev: &str) -> Result<String, GitError> {
        self.reject_option("rev-parse", rev)?;
        let spec = format!("{rev}^{{commit}}");
        let out = self.run(&["rev-parse", "--verify", &spec])?;
        let sha = self.text("rev-parse", out)?.trim().to_string();
        if sha.is_empty() {
            return Err(self.output_error("rev-parse", format!("no commit named {rev:?}")));
        }
        Ok(sha)
    }

    /// The full sha of `HEAD`.
    pub fn head(&self) -> Result<String, GitError> {
        self.rev_parse("HEAD")
    }

    /// Up to `max` commits reachable from `HEAD`, newest first, optionally only those that
    /// touch `path` (a file or directory, repo-relative).
    pub fn log(&self, path: Option<&str>, max: usize) -> Result<Vec<Commit>, GitError> {
        self.log_from("HEAD", path, max)
    }

    /// As [`Git::log`], starting from `rev` instead of `HEAD`.
    pub fn log_from(
        &self,
        rev: &str,
        path: Option<&str>,
        max: usize,
    ) -> Result<Vec<Commit>, GitError> {
        self.reject_option("log", rev)?;
        let count = format!("--max-count={max}");
        let format = format!(
            "--format=%H{FIELD_SEP}%h{FIELD_SEP}%an{FIELD_SEP}%aI{FIELD_SEP}%s{RECORD_SEP}"
        );
        let mut args = vec!["log", "--no-color", &count, &format, rev, "--"];
        args.extend(path);
        let out = self.run(&args)?;
        let text = self.text("log", out)?;
        text.split(RECORD_SEP)
            .map(str::trim)
            .filter(|record| !record.is_empty())
            .map(|record| self.parse_commit(record))
            .collect()
    }

    /// Every directory path in the tree of `rev` (all depths, sorted, repo-relative).
    pub fn ls_dirs(&self, rev: &str) -> Result<Vec<String>, GitError> {
        self.reject_option("ls-tree", rev)?;
        let out = self.run(&["ls-tree", "-r", "-d", "--name-only", "-z", rev])?;
        let mut dirs = self.nul_separated("ls-tree", out)?;
        dirs.sort();
        Ok(dirs)
    }

    /// Every file path under `prefix` (a directory; `""` for the whole tree) at `rev`,
    /// sorted, repo-relative.
    pub fn ls_files(&self, rev: &str, prefix: &str) -> Result<Vec<String>, GitError> {
        self.reject_option("ls-tree", rev)?;
        let prefix = prefix.trim_matches('/');
        let mut args = vec!["ls-tree", "-r", "--name-only", "-z", rev, "--"];
        if !prefix.is_empty() {
            args.push(prefix);
        }
        let out = self.run(&args)?;
        let mut files: Vec<String> = self
            .nul_separated("ls-tree", out)?
            .into_iter()
            .filter(|file| is_under(file, prefix))
            .collect();
        files.sort();
        Ok(files)
    }

    /// Every entry of the tree of `rev`, recursively, directories included.
    pub fn ls_tree(&self, rev: &str) -> Result<Vec<TreeEntry>, GitError> {
        self.reject_option("ls-tree", rev)?;
        let out = self.run(&["ls-tree", "-r", "-t", "-z", rev])?;
        self.nul_separated("ls-tree", out)?
            .iter()
            .map(|line| {
                TreeEntry::parse(line).ok_or_else(|| {
                    self.output_error("ls-tree", format!("unreadable tree entry {line:?}"))
                })
            })
            .collect()
    }

    /// The text of `path` at `rev`, or `None` when the path is not a file at that revision.
    pub fn show_file(&self, rev: &str, path: &str) -> Result<Option<String>, GitError> {
        self.reject_option("ls-tree", rev)?;
        let path = path.trim_matches('/');
        let out = self.run(&["ls-tree", "-z", rev, "--", path])?;
        let entries = self.nul_separated("ls-tree", out)?;
        let blob = entries
            .iter()
            .filter_map(|line| TreeEntry::parse(line))
            .find(|entry| entry.path == path && entry.kind == EntryKind::Blob);
        match blob {
            Some(entry) => self.read_blob(&entry.object).map(Some),
            None => Ok(None),
        }
    }

    /// The text of the blob with object id `object`.
    pub fn read_blob(&self, object: &str) -> Result<String, GitError> {
        self.reject_option("cat-file", object)?;
        let out = self.run(&["cat-file", "blob", object])?;
        self.text("cat-file", out)
    }

    /// The texts of many blobs in one `git cat-file --batch`, in the order asked.
    pub fn read_blobs(&self, objects: &[&str]) -> Result<Vec<String>, GitError> {
        if objects.is_empty() {
            return Ok(Vec::new());
        }
        let mut input = String::new();
        for object in objects {
            self.reject_option("cat-file", object)?;
            if object.contains(char::is_whitespace) {
                return Err(self.output_error("cat-file", format!("bad object id {object:?}")));
            }
            input.push_str(object);
            input.push('\n');
        }
        let out = self.run_with(&["cat-file", "--batch"], &[], Some(input.as_bytes()))?;
        let mut rest = out.as_slice();
        let mut texts = Vec::with_capacity(objects.len());
        for object in objects {
            let (text, tail) = self.batch_entry(object, rest)?;
            texts.push(text);
            rest = tail;
        }
        Ok(texts)
    }

    /// Splits one `<oid> <type> <size>\n<content>\n` entry off `cat-file --batch` output.
    fn batch_entry<'a>(&self, object: &str, out: &'a [u8]) -> Result<(String, &'a [u8]), GitError> {
        let bad = |detail: String| self.output_error("cat-file --batch", detail);
        let newline = out
            .iter()
            .position(|b| *b == b'\n')
            .ok_or_else(|| bad(format!("output ends before {object}")))?;
        let header = String::from_utf8_lossy(&out[..newline]);
        let fields: Vec<&str> = header.split(' ').collect();
        let size = match fields.as_slice() {
            [_, "blob", size] => size
                .parse::<usize>()
                .map_err(|_| bad(format!("bad size in {header:?}")))?,
            _ => return Err(bad(format!("{object} is not a readable blob: {header:?}"))),
        };
        let body = &out[newline + 1..];
        if body.len() < size + 1 {
            return Err(bad(format!("output for {object} is cut short")));
        }
        let text = String::from_utf8(body[..size].to_vec())
            .map_err(|_| bad(format!("blob {object} is not UTF-8")))?;
        Ok((text, &body[size + 1..]))
    }

    /// The unified diff from `rev_a` to `rev_b`, optionally limited to `path`.
    pub fn diff(&self, rev_a: &str, rev_b: &str, path: Option<&str>) -> Result<String, GitError> {
        self.reject_option("diff", rev_a)?;
        self.reject_option("diff", rev_b)?;
        let mut args = vec![
            "diff",
            "--no-color",
            "--no-ext-diff",
            "--no-textconv",
            rev_a,
            rev_b,
            "--",
        ];
        args.extend(path);
        let out = self.run(&args)?;
        self.text("diff", out)
    }

    fn parse_commit(&self, record: &str) -> Result<Commit, GitError> {
        let fields: Vec<&str> = record.split(FIELD_SEP).collect();
        let [sha, short, author, date, subject] = fields.as_slice() else {
            return Err(self.output_error("log", format!("unreadable log record {record:?}")));
        };
        let date = DateTime::parse_from_rfc3339(date).map_err(|err| {
            self.output_error("log", format!("unreadable date {date:?} in {sha}: {err}"))
        })?;
        Ok(Commit {
            sha: sha.to_string(),
            short: short.to_string(),
            author: author.to_string(),
            date,
            subject: subject.to_string(),
        })
    }

    fn run(&self, args: &[&str]) -> Result<Vec<u8>, GitError> {
        self.run_with(args, &[], None)
    }

    fn run_with(
        &self,
        args: &[&str],
        env: &[(&str, &str)],
        stdin: Option<&[u8]>,
    ) -> Result<Vec<u8>, GitError> {
        let mut command = self.command(args, env);
        command.stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        let output = spawn_and_wait(&mut command, stdin).map_err(|source| GitError::Spawn {
            repo: self.repo.clone(),
            command: describe(args),
            source,
        })?;
        if output.status.success() {
            return Ok(output.stdout);
        }
        Err(GitError::Failed {
            repo: self.repo.clone(),
            command: describe(args),
            status: output.status.to_string(),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        })
    }

    fn command(&self, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut command = Command::new("git");
        command.env_clear();
        for key in PASSED_THROUGH {
            if let Some(value) = std::env::var_os(key) {
                command.env(key, value);
            }
        }
        if let Some(home) = &self.home {
            command.env("HOME", home).env("XDG_CONFIG_HOME", home);
        }
        command
            .env("LC_ALL", "C")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", NULL_DEVICE)
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_PAGER", "cat")
            .env("PAGER", "cat")
            .env("GIT_EDITOR", "true")
            .env("GIT_OPTIONAL_LOCKS", "0")
            .env("GIT_LITERAL_PATHSPECS", "1");
        for (key, value) in env {
            command.env(key, value);
        }
        command
            .arg("--no-pager")
            .arg("-C")
            .arg(&self.repo)
            .args(["-c", "core.quotePath=false"])
            .arg("-c")
            .arg(config_path("core.excludesFile"))
            .arg("-c")
            .arg(config_path("core.attributesFile"))
            .args(["-c", "core.autocrlf=false"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    fn reject_option(&self, command: &str, argument: &str) -> Result<(), GitError> {
        if argument.starts_with('-') {
            return Err(GitError::OptionLikeArgument {
                repo: self.repo.clone(),
                command: command.to_string(),
                argument: argument.to_string(),
            });
        }
        Ok(())
    }

    fn text(&self, command: &str, bytes: Vec<u8>) -> Result<String, GitError> {
        String::from_utf8(bytes)
            .map_err(|_| self.output_error(command, "output is not UTF-8".to_string()))
    }

    fn nul_separated(&self, command: &str, bytes: Vec<u8>) -> Result<Vec<String>, GitError> {
        let text = self.text(command, bytes)?;
        Ok(text
            .split('\0')
            .filter(|item| !item.is_empty())
            .map(str::to_string)
            .collect())
    }

    fn output_error(&self, command: &str, detail: String) -> GitError {
        GitError::Output {
            repo: self.repo.clone(),
            command: command.to_string(),
            detail,
        }
    }
}

/// What a tree entry points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    Blob,
    Tree,
    /// A submodule commit.
    Commit,
}

/// One line of `git ls-tree`: `<mode> <type> <object>\t<path>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeEntry {
    pub mode: String,
    pub kind: EntryKind,
    pub object: String,
    pub path: String,
}

impl TreeEntry {
    fn parse(line: &str) -> Option<TreeEntry> {
        let (meta, path) = line.split_once('\t')?;
        let mut parts = meta.split(' ');
        let mode = parts.next()?.to_string();
        let kind = match parts.next()? {
            "blob" => EntryKind::Blob,
            "tree" => EntryKind::Tree,
            "commit" => EntryKind::Commit,
            _ => return None,
        };
        let object = parts.next()?.to_string();
        Some(TreeEntry {
            mode,
            kind,
            object,
            path: path.to_string(),
        })
    }
}

/// True when `path` is `prefix` itself or lies under it; everything is under `""`.
pub(crate) fn is_under(path: &str, prefix: &str) -> bool {
    prefix.is_empty()
        || path == prefix
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// Runs `command`, feeding it `stdin` from another thread so a child that writes a lot
/// before it has read everything cannot deadlock against us.
fn spawn_and_wait(command: &mut Command, stdin: Option<&[u8]>) -> std::io::Result<Output> {
    let mut child = command.spawn()?;
    let pipe = child.stdin.take();
    std::thread::scope(|scope| {
        let writer = scope.spawn(move || -> std::io::Result<()> {
            use std::io::Write;
            match (pipe, stdin) {
                // Dropping the pipe at the end closes the child's stdin.
                (Some(mut pipe), Some(input)) => pipe.write_all(input),
                _ => Ok(()),
            }
        });
        let output = child.wait_with_output()?;
        let written = writer
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("stdin writer panicked")));
        // A child that failed early closes its stdin; its exit status says why.
        match written {
            Err(err) if output.status.success() => Err(err),
            _ => Ok(output),
        }
    })
}

fn config_path(key: &str) -> OsString {
    OsString::from(format!("{key}={NULL_DEVICE}"))
}

fn path_from_output(out: &[u8]) -> Option<PathBuf> {
    let text = std::str::from_utf8(out).ok()?.trim();
    Path::new(text).canonicalize().ok()
}

/// The git command as shown in errors: its arguments, minus the identity `-c` pairs.
fn describe(args: &[&str]) -> String {
    let mut shown = Vec::new();
    let mut skip_next = false;
    for arg in args {
        if skip_next {
            skip_next = false;
            continue;
        }
        if *arg == "-c" {
            skip_next = true;
            continue;
        }
        shown.push(*arg);
    }
    shown.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use tempfile::TempDir;

    struct Fixture {
        _home: TempDir,
        dir: TempDir,
        git: Git,
    }

    fn fixture() -> Fixture {
        let home = TempDir::new().expect("temp home");
        let dir = TempDir::new().expect("temp repo");
        let git = Git::new(dir.path().join("repo")).with_home(home.path());
        git.init().expect("git init");
        Fixture {
            _home: home,
            dir,
            git,
        }
    }

    fn me() -> Identity {
        Identity::new("Test Author", "test@example.org")
    }

    fn write(git: &Git, path: &str, text: &str) {
        let full = git.repo().join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        std::fs::write(full, text).expect("write");
    }

    fn commit(git: &Git, message: &str, date: &str) -> String {
        git.add_all().expect("add");
        git.commit(message, &me(), Some(date)).expect("commit")
    }

    #[test]
    fn init_creates_a_repo_on_main_and_commit_uses_the_given_identity_and_date() {
        let f = fixture();
        assert!(f.git.is_repo());
        write(
            &f.git,
            "apps/a/envs/dev/kustomization.yaml",
            "resources: []\n",
        );
        let sha = commit(&f.git, "first", "2026-03-02T09:00:00+00:00");
        assert_eq!(sha.len(), 40);
        assert_eq!(f.git.rev_parse("main").expect("main"), sha);
        let log = f.git.log(None, 10).expect("log");
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].author, "Test Author");
        assert_eq!(log[0].subject, "first");
        assert_eq!(log[0].date.to_rfc3339(), "2026-03-02T09:00:00+00:00");
        assert!(sha.starts_with(&log[0].short));
    }

    #[test]
    fn same_content_identity_and_date_give_the_same_sha() {
        let a = fixture();
        let b = fixture();
        for f in [&a, &b] {
            write(&f.git, "x.yaml", "a: 1\n");
            commit(&f.git, "one", "2026-03-02T09:00:00+00:00");
        }
        assert_eq!(a.git.head().expect("a"), b.git.head().expect("b"));
    }

    #[test]
    fn a_hostile_user_config_does_not_leak_in() {
        let home = TempDir::new().expect("home");
        std::fs::write(
            home.path().join(".gitconfig"),
            "[user]\n name = Leaky\n email = leak@example.org\n\
             [commit]\n gpgsign = true\n\
             [core]\n excludesFile = ~/.ignore-all\n hooksPath = /nonexistent\n\
             [init]\n defaultBranch = trunk\n\
             [diff]\n noprefix = true\n\
             [core]\n abbrev = 12\n",
        )
        .expect("gitconfig");
        std::fs::write(home.path().join(".ignore-all"), "*.yaml\n").expect("ignore");
        let dir = TempDir::new().expect("dir");
        let git = Git::new(dir.path().join("r")).with_home(home.path());
        git.init().expect("init");
        write(&git, "a.yaml", "a: 1\n");
        let first = commit(&git, "msg", "2026-03-02T09:00:00+00:00");
        assert_eq!(git.ls_files("HEAD", "").expect("files"), vec!["a.yaml"]);
        let log = git.log(None, 1).expect("log");
        assert_eq!(log[0].author, "Test Author");
        assert_eq!(log[0].short.len(), 7, "core.abbrev leaked in");
        write(&git, "a.yaml", "a: 2\n");
        let second = commit(&git, "msg2", "2026-03-03T09:00:00+00:00");
        let diff = git.diff(&first, &second, None).expect("diff");
        assert!(
            diff.contains("--- a/a.yaml"),
            "diff.noprefix leaked in: {diff}"
        );
        assert!(git.rev_parse("main").is_ok(), "branch must be main");
    }

    #[test]
    fn listing_reading_and_diffing_work_at_a_revision() {
        let f = fixture();
        write(&f.git, "apps/a/base/k.yaml", "kind: A\n");
        write(&f.git, "apps/a/envs/dev/k.yaml", "tag: v1\n");
        let first = commit(&f.git, "one", "2026-03-02T09:00:00+00:00");
        write(&f.git, "apps/a/envs/dev/k.yaml", "tag: v2\n");
        write(&f.git, "apps/b/envs/dev/k.yaml", "tag: v1\n");
        let second = commit(&f.git, "two", "2026-03-03T09:00:00+00:00");

        assert_eq!(
            f.git.ls_dirs(&first).expect("dirs"),
            vec![
                "apps",
                "apps/a",
                "apps/a/base",
                "apps/a/envs",
                "apps/a/envs/dev"
            ]
        );
        assert!(
            f.git
                .ls_dirs("HEAD")
                .expect("dirs")
                .contains(&"apps/b/envs/dev".into())
        );
        assert_eq!(
            f.git.ls_files("HEAD", "apps/a").expect("files"),
            vec!["apps/a/base/k.yaml", "apps/a/envs/dev/k.yaml"]
        );
        assert_eq!(
            f.git.ls_files("HEAD", "app").expect("files"),
            Vec::<String>::new()
        );
        assert_eq!(
            f.git
                .show_file(&first, "apps/a/envs/dev/k.yaml")
                .expect("show"),
            Some("tag: v1\n".to_string())
        );
        assert_eq!(
            f.git
                .show_file(&first, "apps/b/envs/dev/k.yaml")
                .expect("show"),
            None
        );
        assert_eq!(f.git.show_file(&first, "apps/a").expect("dir"), None);

        let diff = f.git.diff(&first, &second, Some("apps/a")).expect("diff");
        assert!(
            diff.contains("-tag: v1") && diff.contains("+tag: v2"),
            "{diff}"
        );
        assert!(!diff.contains("apps/b"), "{diff}");

        let touching_b = f.git.log(Some("apps/b"), 10).expect("log");
        assert_eq!(touching_b.len(), 1);
        assert_eq!(touching_b[0].sha, second);
        assert_eq!(f.git.log(None, 1).expect("log").len(), 1);
    }

    #[test]
    fn errors_name_the_repo_the_command_and_git_stderr() {
        let f = fixture();
        write(&f.git, "a", "a\n");
        commit(&f.git, "one", "2026-03-02T09:00:00+00:00");
        let err = f.git.rev_parse("no-such-branch").expect_err("missing rev");
        let text = err.to_string();
        assert!(text.contains("rev-parse"), "{text}");
        assert!(text.contains(&f.git.repo().display().to_string()), "{text}");

        let err = f.git.ls_dirs("nope").expect_err("bad rev");
        let GitError::Failed { stderr, .. } = &err else {
            panic!("expected Failed, got {err:?}");
        };
        assert!(stderr.contains("nope"), "{stderr}");

        let err = f.git.rev_parse("--all").expect_err("option");
        assert!(
            matches!(err, GitError::OptionLikeArgument { .. }),
            "{err:?}"
        );
    }

    #[test]
    fn is_repo_is_false_for_a_plain_dir_and_for_a_subdir_of_a_repo() {
        let f = fixture();
        let plain = TempDir::new().expect("plain");
        assert!(!Git::new(plain.path()).is_repo());
        let sub = f.git.repo().join("sub");
        std::fs::create_dir_all(&sub).expect("sub");
        assert!(!Git::new(&sub).is_repo());
        assert!(!Git::new(f.dir.path().join("missing")).is_repo());
    }

    #[test]
    fn is_repo_accepts_a_bare_repository_at_its_own_path() {
        let f = fixture();
        write(&f.git, "a", "a\n");
        commit(&f.git, "one", "2026-03-02T09:00:00+00:00");
        let bare = f.dir.path().join("bare.git");
        let status = Command::new("git")
            .args(["clone", "--quiet", "--bare"])
            .arg(f.git.repo())
            .arg(&bare)
            .env("GIT_CONFIG_GLOBAL", NULL_DEVICE)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .status()
            .expect("git clone");
        assert!(status.success());
        let git = Git::new(&bare);
        assert!(git.is_repo());
        assert_eq!(git.head().expect("head"), f.git.head().expect("head"));
        assert!(!Git::new(bare.join("refs")).is_repo());
    }

    #[test]
    fn ls_tree_reports_trees_and_blobs_with_object_ids() {
        let f = fixture();
        write(&f.git, "d/f.txt", "hello\n");
        commit(&f.git, "one", "2026-03-02T09:00:00+00:00");
        let entries = f.git.ls_tree("HEAD").expect("ls-tree");
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].kind, EntryKind::Tree);
        assert_eq!(entries[1].path, "d/f.txt");
        assert_eq!(
            f.git.read_blob(&entries[1].object).expect("blob"),
            "hello\n"
        );
    }

    #[test]
    fn read_blobs_reads_many_in_order_and_reports_missing_ones() {
        let f = fixture();
        write(&f.git, "a.txt", "first\n");
        write(&f.git, "b.txt", "second\nwith two lines\n");
        write(&f.git, "empty.txt", "");
        commit(&f.git, "one", "2026-03-02T09:00:00+00:00");
        let entries = f.git.ls_tree("HEAD").expect("ls-tree");
        let ids: Vec<&str> = entries.iter().map(|e| e.object.as_str()).collect();
        let texts = f.git.read_blobs(&ids).expect("batch");
        assert_eq!(texts, vec!["first\n", "second\nwith two lines\n", ""]);
        let missing = "0123456789012345678901234567890123456789";
        let err = f.git.read_blobs(&[ids[0], missing]).expect_err("missing");
        assert!(err.to_string().contains(missing), "{err}");
    }

    #[test]
    fn is_under_respects_path_segments() {
        assert!(is_under("apps/a/x", "apps/a"));
        assert!(is_under("apps/a", "apps/a"));
        assert!(!is_under("apps/ab/x", "apps/a"));
        assert!(is_under("anything", ""));
    }
}

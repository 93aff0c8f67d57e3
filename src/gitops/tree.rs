//! Read-only views of a repository's files, for renderers and ApplicationSet evaluators.
//!
//! Paths are repo-relative with `/` separators and no leading or trailing slash; `""` is the
//! repository root. Like git (and so like ArgoCD's git generator), a directory exists only
//! when it holds a file somewhere below it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Component, Path, PathBuf};

use parking_lot::Mutex;

use super::git::{EntryKind, Git, GitError, is_under};

/// A repository tree that can be listed and read.
pub trait RepoTree {
    /// Every directory, at all depths, sorted.
    fn directories(&self) -> Vec<String>;
    /// The text of the file at `path`, or `None` when there is no such (UTF-8) file.
    fn read_file(&self, path: &str) -> Option<String>;
    /// Every file under `dir` (recursively; `""` for all), as repo-relative paths, sorted.
    fn list_files(&self, dir: &str) -> Vec<String>;
}

/// A checkout on disk. `.git` (directory or file) is never listed or read.
#[derive(Debug, Clone)]
pub struct WorkingTree {
    root: PathBuf,
}

impl WorkingTree {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Files under `dir`, found by walking the disk.
    fn walk_files(&self, dir: &str) -> Vec<String> {
        let mut files = Vec::new();
        let Some(start) = safe_relative(dir) else {
            return files;
        };
        let mut pending = vec![(self.root.join(start), normalise(dir).to_string())];
        while let Some((path, rel)) = pending.pop() {
            let entries = match std::fs::read_dir(&path) {
                Ok(entries) => entries,
                Err(err) => {
                    if rel.is_empty() || path.exists() {
                        tracing::warn!(path = %path.display(), %err, "cannot list directory");
                    }
                    continue;
                }
            };
            for entry in entries.flatten() {
                let Ok(name) = entry.file_name().into_string() else {
                    tracing::warn!(dir = %path.display(), "skipping a file name that is not UTF-8");
                    continue;
                };
                if name == ".git" {
                    continue;
                }
                let child = join(&rel, &name);
                match entry.file_type() {
                    Ok(kind) if kind.is_dir() => pending.push((entry.path(), child)),
                    Ok(_) => files.push(child),
                    Err(err) => tracing::warn!(path = %entry.path().display(), %err, "cannot stat"),
                }
            }
        }
        files.sort();
        files
    }
}

impl RepoTree for WorkingTree {
    fn directories(&self) -> Vec<String> {
        directories_of(self.walk_files("").iter().map(String::as_str))
    }

    fn read_file(&self, path: &str) -> Option<String> {
        let relative = safe_relative(path)?;
        if relative.as_os_str().is_empty() {
            return None;
        }
        let full = self.root.join(relative);
        // A symlink must not lead outside the checkout.
        let resolved = full.canonicalize().ok()?;
        let root = self.root.canonicalize().ok()?;
        if !resolved.starts_with(&root) || !resolved.is_file() {
            return None;
        }
        std::fs::read_to_string(resolved).ok()
    }

    fn list_files(&self, dir: &str) -> Vec<String> {
        self.walk_files(dir)
    }
}

/// The tree of one commit, listed once at load and read lazily, each blob at most once.
#[derive(Debug)]
pub struct RevisionTree {
    git: Git,
    revision: String,
    commit: String,
    directories: Vec<String>,
    /// File path → blob object id.
    files: BTreeMap<String, String>,
    /// Blob object id → text, filled on first read.
    contents: Mutex<HashMap<String, String>>,
}

impl RevisionTree {
    /// Resolves `revision` to a commit and lists its tree. Later branch moves do not affect
    /// the view: it stays on that commit.
    pub fn load(git: Git, revision: &str) -> Result<Self, GitError> {
        let commit = git.rev_parse(revision)?;
        let mut directories = Vec::new();
        let mut files = BTreeMap::new();
        for entry in git.ls_tree(&commit)? {
            match entry.kind {
                EntryKind::Tree => directories.push(entry.path),
                EntryKind::Blob => {
                    files.insert(entry.path, entry.object);
                }
                EntryKind::Commit => {}
            }
        }
        directories.sort();
        Ok(Self {
            git,
            revision: revision.to_string(),
            commit,
            directories,
            files,
            contents: Mutex::new(HashMap::new()),
        })
    }

    /// Reads every file under `dir` (`""` for all) into the cache with one git process, for
    /// callers about to read many of them (a renderer walking a component).
    pub fn prefetch(&self, dir: &str) -> Result<(), GitError> {
        let wanted: Vec<&str> = {
            let cached = self.contents.lock();
            let mut ids: Vec<&str> = self
                .list_files(dir)
                .iter()
                .filter_map(|path| self.files.get(path))
                .map(String::as_str)
                .filter(|id| !cached.contains_key(*id))
                .collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        };
        let texts = self.git.read_blobs(&wanted)?;
        let mut cached = self.contents.lock();
        for (id, text) in wanted.into_iter().zip(texts) {
            cached.insert(id.to_string(), text);
        }
        Ok(())
    }

    /// The revision as asked for (e.g. `main`).
    pub fn revision(&self) -> &str {
        &self.revision
    }

    /// The full sha of the commit this view shows.
    pub fn commit(&self) -> &str {
        &self.commit
    }
}

impl RepoTree for RevisionTree {
    fn directories(&self) -> Vec<String> {
        self.directories.clone()
    }

    fn read_file(&self, path: &str) -> Option<String> {
        let object = self.files.get(normalise(path))?;
        if let Some(text) = self.contents.lock().get(object) {
            return Some(text.clone());
        }
        match self.git.read_blob(object) {
            Ok(text) => {
                self.contents.lock().insert(object.clone(), text.clone());
                Some(text)
            }
            Err(err) => {
                tracing::warn!(%err, path, commit = %self.commit, "cannot read file from git");
                None
            }
        }
    }

    fn list_files(&self, dir: &str) -> Vec<String> {
        let dir = normalise(dir);
        self.files
            .range(dir.to_string()..)
            .map(|(path, _)| path)
            .take_while(|path| path.starts_with(dir))
            .filter(|path| is_under(path, dir))
            .cloned()
            .collect()
    }
}

/// Every ancestor directory of the given file paths, sorted.
fn directories_of<'a>(files: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut dirs = BTreeSet::new();
    for file in files {
        let mut end = file.len();
        while let Some(slash) = file[..end].rfind('/') {
            if !dirs.insert(file[..slash].to_string()) {
                break;
            }
            end = slash;
        }
    }
    dirs.into_iter().collect()
}

fn normalise(path: &str) -> &str {
    path.trim_matches('/')
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// `path` as a relative path of plain components, or `None` if it climbs out, is absolute,
/// or reaches into `.git`.
fn safe_relative(path: &str) -> Option<PathBuf> {
    let path = Path::new(normalise(path));
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(part) if part != ".git" => out.push(part),
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(out)
}

impl crate::domain::kustomize::Files for WorkingTree {
    fn read_file(&self, path: &str) -> Option<String> {
        RepoTree::read_file(self, path)
    }
}

impl crate::domain::kustomize::Files for RevisionTree {
    fn read_file(&self, path: &str) -> Option<String> {
        RepoTree::read_file(self, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gitops::git::Identity;
    use proptest::prelude::*;
    use tempfile::TempDir;

    fn write(root: &Path, path: &str, text: &str) {
        let full = root.join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        std::fs::write(full, text).expect("write");
    }

    fn committed_repo(files: &[(&str, &str)]) -> (TempDir, Git) {
        let dir = TempDir::new().expect("tmp");
        let git = Git::new(dir.path().join("repo")).with_home(dir.path());
        git.init().expect("init");
        for (path, text) in files {
            write(git.repo(), path, text);
        }
        git.add_all().expect("add");
        git.commit(
            "c",
            &Identity::new("T", "t@example.org"),
            Some("2026-01-01T00:00:00Z"),
        )
        .expect("commit");
        (dir, git)
    }

    const FILES: &[(&str, &str)] = &[
        ("README.md", "# r\n"),
        ("apps/a/base/kustomization.yaml", "resources: []\n"),
        (
            "apps/a/envs/dev/kustomization.yaml",
            "resources: [../../base]\n",
        ),
        ("apps/ab/envs/dev/k.yaml", "x: 1\n"),
    ];

    #[test]
    fn working_tree_lists_dirs_with_files_and_skips_git() {
        let (_dir, git) = committed_repo(FILES);
        std::fs::create_dir_all(git.repo().join("empty/dir")).expect("empty");
        let tree = WorkingTree::new(git.repo());
        let dirs = tree.directories();
        assert_eq!(
            dirs,
            vec![
                "apps",
                "apps/a",
                "apps/a/base",
                "apps/a/envs",
                "apps/a/envs/dev",
                "apps/ab",
                "apps/ab/envs",
                "apps/ab/envs/dev"
            ]
        );
        assert_eq!(
            tree.list_files("apps/a/"),
            vec![
                "apps/a/base/kustomization.yaml",
                "apps/a/envs/dev/kustomization.yaml"
            ]
        );
        assert_eq!(tree.list_files("").len(), 4);
        assert_eq!(tree.read_file("README.md").as_deref(), Some("# r\n"));
        assert_eq!(tree.read_file(".git/HEAD"), None);
        assert_eq!(tree.read_file("../etc/passwd"), None);
        assert_eq!(tree.read_file("apps/a"), None);
        assert!(tree.list_files("missing").is_empty());
    }

    #[test]
    fn revision_tree_matches_the_working_tree_and_stays_on_its_commit() {
        let (_dir, git) = committed_repo(FILES);
        let tree = RevisionTree::load(git.clone(), "main").expect("load");
        let disk = WorkingTree::new(git.repo());
        assert_eq!(tree.directories(), disk.directories());
        assert_eq!(tree.list_files("apps/a"), disk.list_files("apps/a"));
        assert_eq!(tree.list_files(""), disk.list_files(""));
        assert_eq!(
            tree.read_file("/apps/a/envs/dev/kustomization.yaml")
                .as_deref(),
            Some("resources: [../../base]\n")
        );
        assert_eq!(tree.read_file("apps/a/envs"), None);

        write(
            git.repo(),
            "apps/a/envs/dev/kustomization.yaml",
            "changed: true\n",
        );
        git.add_all().expect("add");
        git.commit("d", &Identity::new("T", "t@example.org"), None)
            .expect("commit");
        assert_ne!(git.head().expect("head"), tree.commit());
        assert_eq!(
            tree.read_file("apps/a/envs/dev/kustomization.yaml")
                .as_deref(),
            Some("resources: [../../base]\n")
        );
        assert_eq!(tree.revision(), "main");
    }

    #[test]
    fn prefetch_fills_the_cache_so_reads_need_no_git() {
        let (dir, git) = committed_repo(FILES);
        let tree = RevisionTree::load(git.clone(), "HEAD").expect("load");
        tree.prefetch("apps").expect("prefetch");
        // With the objects gone, only cached blobs can still be read.
        std::fs::remove_dir_all(git.repo().join(".git/objects")).expect("rm objects");
        assert_eq!(
            tree.read_file("apps/ab/envs/dev/k.yaml").as_deref(),
            Some("x: 1\n")
        );
        assert_eq!(tree.read_file("README.md"), None, "not prefetched");
        drop(dir);
    }

    #[test]
    fn revision_tree_load_fails_for_an_unknown_revision() {
        let (_dir, git) = committed_repo(FILES);
        let err = RevisionTree::load(git, "v9.9.9").expect_err("unknown");
        assert!(err.to_string().contains("v9.9.9"), "{err}");
    }

    #[test]
    fn directories_of_lists_every_ancestor_once() {
        let files = ["a/b/c/f", "a/b/g", "h", "a/x/y"];
        assert_eq!(
            directories_of(files.into_iter()),
            vec!["a", "a/b", "a/b/c", "a/x"]
        );
    }

    fn file_set() -> impl Strategy<Value = BTreeMap<String, String>> {
        let segment = prop::sample::select(vec!["apps", "envs", "dev", "base", "x"]);
        let path = prop::collection::vec(segment, 1..4).prop_map(|parts| parts.join("/"));
        prop::collection::btree_map(path, "[a-z]{0,8}", 1..8)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(12))]
        #[test]
        fn both_views_agree_on_any_committed_tree(files in file_set()) {
            // The `.txt` suffix keeps a file name from also being a directory name.
            let files: Vec<(String, String)> =
                files.iter().map(|(p, t)| (format!("{p}.txt"), t.clone())).collect();
            let borrowed: Vec<(&str, &str)> =
                files.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
            let (_dir, git) = committed_repo(&borrowed);
            let rev = RevisionTree::load(git.clone(), "HEAD").expect("load");
            let disk = WorkingTree::new(git.repo());
            prop_assert_eq!(rev.directories(), disk.directories());
            prop_assert_eq!(rev.list_files(""), disk.list_files(""));
            for (path, text) in &files {
                prop_assert_eq!(rev.read_file(path), Some(text.clone()));
                prop_assert_eq!(disk.read_file(path), Some(text.clone()));
            }
        }
    }
}

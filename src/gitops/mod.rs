//! The console's access to a GitOps repository, through the `git` command line.
//!
//! [`git::Git`] runs git commands against one repository (synchronously: async callers use
//! `spawn_blocking`); [`tree::RepoTree`] is the read-only view of a tree that renderers and
//! ApplicationSet evaluators use, either a checkout on disk or one commit;
//! [`import::ImportStream`] writes a whole history in one `git fast-import`.

pub mod git;
pub mod import;
pub mod scan;
pub mod tree;

pub use git::{Commit, Git, GitError, Identity};
pub use tree::{RepoTree, RevisionTree, WorkingTree};

//! Where the palette and navigation commands can take the user, and the [`Router`] that turns
//! a target into a screen.

use super::component::Screen;
use super::context::AppContext;
use crate::config::Command;
use crate::domain::env::Environment;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Run a command on the current screen (palette actions), or open the screen a
    /// navigation command names (overview, triage, clusters...).
    Command(Command),
    /// An Application, `namespace/name`.
    App(String),
    Cluster(String),
    Environment(Environment),
}

/// Builds the screen for a target that the current screen did not handle itself.
pub trait Router {
    fn route(&self, target: &Target, app: &AppContext) -> Option<Box<dyn Screen>>;
}

/// Commands that name a screen rather than act on one: unhandled, they go to the router.
pub fn is_navigation(command: Command) -> bool {
    matches!(
        command,
        Command::Overview
            | Command::Triage
            | Command::Clusters
            | Command::AppDetail
            | Command::ClusterDetail
            | Command::Logs
    )
}

//! Opens the screen for a navigation target the current screen does not show itself.

use crate::app::component::Screen;
use crate::app::context::AppContext;
use crate::app::nav::{Router, Target};
use crate::app::views::apps::{qualified_key, split_qualified};
use crate::config::Command;

use super::{AppDetailScreen, ClusterDetailScreen, ClustersScreen, TriageScreen};

/// The console's router: Applications, clusters, triage and the clusters list.
#[derive(Debug, Default, Clone, Copy)]
pub struct ConsoleRouter;

impl Router for ConsoleRouter {
    fn route(&self, target: &Target, app: &AppContext) -> Option<Box<dyn Screen>> {
        let model = app.estate.as_ref()?;
        match target {
            Target::App(key) => {
                let qualified = qualified_key(key, &model.settings().argocd_namespace);
                let (namespace, name) = split_qualified(&qualified);
                model.app(namespace, name)?;
                Some(Box::new(AppDetailScreen::new(namespace, name)))
            }
            Target::Cluster(name) => {
                model.cluster(name)?;
                Some(Box::new(ClusterDetailScreen::new(name)))
            }
            Target::Command(Command::Triage) => Some(Box::new(TriageScreen::new())),
            Target::Command(Command::Clusters) => Some(Box::new(ClustersScreen::new())),
            _ => None,
        }
    }
}

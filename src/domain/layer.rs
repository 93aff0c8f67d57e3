//! The three K8TRE layers.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A K8TRE layer. Infrastructure is verified as prerequisites; Agnostics and Application are
/// ArgoCD Applications. Ordered bottom-up, which is also the display order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Layer {
    Infrastructure,
    Agnostics,
    Application,
}

impl Layer {
    pub const ALL: [Layer; 3] = [Layer::Infrastructure, Layer::Agnostics, Layer::Application];

    pub fn title(self) -> &'static str {
        match self {
            Layer::Infrastructure => "Infrastructure",
            Layer::Agnostics => "Agnostics",
            Layer::Application => "Application",
        }
    }

    /// The layer of a repository path's first segment (`agnostics/...`, `apps/...`).
    pub fn from_repo_path(path: &str) -> Option<Layer> {
        match path.trim_start_matches("./").split('/').next()? {
            "agnostics" => Some(Layer::Agnostics),
            "apps" => Some(Layer::Application),
            _ => None,
        }
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.title())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_from_path() {
        assert_eq!(
            Layer::from_repo_path("agnostics/gateway/k3s/envs/dev"),
            Some(Layer::Agnostics)
        );
        assert_eq!(
            Layer::from_repo_path("apps/jupyterhub/envs/prd"),
            Some(Layer::Application)
        );
        assert_eq!(Layer::from_repo_path("appsets/agnostics"), None);
        assert!(Layer::Infrastructure < Layer::Application);
    }
}

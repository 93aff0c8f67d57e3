//! K8TRE environments: dev, stg, prd (promotion order), and anything else seen in the wild.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An environment as named by a cluster label or an `envs/<env>` directory.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Environment {
    Dev,
    Stg,
    Prd,
    /// Any other name (`ci`, `test`, ...), kept verbatim.
    Other(String),
}

/// The result of reading an environment name, with a warning when it was not canonical.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedEnvironment {
    pub environment: Environment,
    pub warning: Option<String>,
}

impl Environment {
    /// The promotion order: dev → stg → prd.
    pub const PROMOTION_ORDER: [Environment; 3] =
        [Environment::Dev, Environment::Stg, Environment::Prd];

    /// Reads a label value or directory name. `prod`/`production` are read as prd with a warning.
    pub fn parse(name: &str) -> ParsedEnvironment {
        let lower = name.trim().to_ascii_lowercase();
        let (environment, warning) = match lower.as_str() {
            "dev" => (Environment::Dev, None),
            "stg" => (Environment::Stg, None),
            "prd" => (Environment::Prd, None),
            "prod" | "production" => (
                Environment::Prd,
                Some(format!(
                    "environment {name:?} is read as \"prd\"; K8TRE's canonical name is prd"
                )),
            ),
            "staging" | "stage" => (
                Environment::Stg,
                Some(format!(
                    "environment {name:?} is read as \"stg\"; K8TRE's canonical name is stg"
                )),
            ),
            _ => (Environment::Other(name.to_string()), None),
        };
        ParsedEnvironment {
            environment,
            warning,
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Environment::Dev => "dev",
            Environment::Stg => "stg",
            Environment::Prd => "prd",
            Environment::Other(name) => name,
        }
    }

    /// Position in the promotion order; other environments sort after prd.
    pub fn rank(&self) -> usize {
        match self {
            Environment::Dev => 0,
            Environment::Stg => 1,
            Environment::Prd => 2,
            Environment::Other(_) => 3,
        }
    }

    /// The environment a change is promoted to from this one.
    pub fn next(&self) -> Option<Environment> {
        match self {
            Environment::Dev => Some(Environment::Stg),
            Environment::Stg => Some(Environment::Prd),
            _ => None,
        }
    }

    pub fn is_production(&self) -> bool {
        matches!(self, Environment::Prd)
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Environment {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Environment {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Ok(Environment::parse(&name).environment)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_names_have_no_warning() {
        for name in ["dev", "stg", "prd"] {
            let parsed = Environment::parse(name);
            assert_eq!(parsed.warning, None);
            assert_eq!(parsed.environment.as_str(), name);
        }
    }

    #[test]
    fn prod_is_read_as_prd_with_a_warning() {
        let parsed = Environment::parse("prod");
        assert_eq!(parsed.environment, Environment::Prd);
        assert!(parsed.warning.expect("warns").contains("prd"));
    }

    #[test]
    fn promotion_order() {
        assert_eq!(Environment::Dev.next(), Some(Environment::Stg));
        assert_eq!(Environment::Stg.next(), Some(Environment::Prd));
        assert_eq!(Environment::Prd.next(), None);
        assert!(Environment::Dev.rank() < Environment::Prd.rank());
        assert_eq!(
            Environment::parse("ci").environment,
            Environment::Other("ci".into())
        );
    }
}

//! ArgoCD's string codes (sync, health, phases, hooks, conditions) as Rust enums.
//!
//! Real clusters can carry values this build does not know, so nothing here fails to
//! deserialize: `SyncStatus` and `HealthStatus` read unrecognised strings as `Unknown` (where
//! ArgoCD itself would rank them), every other code keeps the text in an `Other(String)` variant
//! so it round-trips unchanged.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// `status.sync.status` of an Application, and `status` of each managed resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum SyncStatus {
    Synced,
    OutOfSync,
    /// Not yet compared, comparison failed, or a value this build does not know.
    #[default]
    Unknown,
}

impl SyncStatus {
    /// Best to worst, which is also the index order used for counts.
    pub const ALL: [SyncStatus; 3] = [
        SyncStatus::Synced,
        SyncStatus::OutOfSync,
        SyncStatus::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SyncStatus::Synced => "Synced",
            SyncStatus::OutOfSync => "OutOfSync",
            SyncStatus::Unknown => "Unknown",
        }
    }

    /// Reads ArgoCD's string; anything unrecognised is `Unknown`.
    pub fn parse(text: &str) -> SyncStatus {
        match text {
            "Synced" => SyncStatus::Synced,
            "OutOfSync" => SyncStatus::OutOfSync,
            _ => SyncStatus::Unknown,
        }
    }

    /// Position in [`SyncStatus::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// ArgoCD health codes (`status.health.status`, resource health).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum HealthStatus {
    Healthy,
    Suspended,
    Progressing,
    Missing,
    Degraded,
    /// Assessment failed, not yet assessed, or a value this build does not know.
    #[default]
    Unknown,
}

impl HealthStatus {
    /// ArgoCD's severity order, best to worst (gitops-engine `healthOrder`).
    pub const ALL: [HealthStatus; 6] = [
        HealthStatus::Healthy,
        HealthStatus::Suspended,
        HealthStatus::Progressing,
        HealthStatus::Missing,
        HealthStatus::Degraded,
        HealthStatus::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            HealthStatus::Healthy => "Healthy",
            HealthStatus::Suspended => "Suspended",
            HealthStatus::Progressing => "Progressing",
            HealthStatus::Missing => "Missing",
            HealthStatus::Degraded => "Degraded",
            HealthStatus::Unknown => "Unknown",
        }
    }

    /// Reads ArgoCD's string; anything unrecognised is `Unknown`.
    pub fn parse(text: &str) -> HealthStatus {
        match text {
            "Healthy" => HealthStatus::Healthy,
            "Suspended" => HealthStatus::Suspended,
            "Progressing" => HealthStatus::Progressing,
            "Missing" => HealthStatus::Missing,
            "Degraded" => HealthStatus::Degraded,
            _ => HealthStatus::Unknown,
        }
    }

    /// 0 (Healthy) to 5 (Unknown): higher is worse. Also the index for counts.
    pub fn severity(self) -> usize {
        self as usize
    }

    /// ArgoCD's `IsWorse(self, other)`.
    pub fn is_worse_than(self, other: HealthStatus) -> bool {
        self.severity() > other.severity()
    }

    /// The worse of two codes.
    pub fn worst(self, other: HealthStatus) -> HealthStatus {
        if other.is_worse_than(self) {
            other
        } else {
            self
        }
    }

    /// The worst code of a collection; `None` when it is empty.
    pub fn worst_of(codes: impl IntoIterator<Item = HealthStatus>) -> Option<HealthStatus> {
        codes.into_iter().reduce(HealthStatus::worst)
    }
}

/// Phase of an operation (`status.operationState.phase`) and of a hook (`hookPhase`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum OperationPhase {
    Running,
    Terminating,
    Failed,
    Error,
    Succeeded,
    Other(String),
}

impl OperationPhase {
    /// Failed, Error and Succeeded are final (gitops-engine `Completed()`).
    pub fn is_completed(&self) -> bool {
        matches!(
            self,
            OperationPhase::Failed | OperationPhase::Error | OperationPhase::Succeeded
        )
    }

    /// Running or Terminating.
    pub fn is_running(&self) -> bool {
        matches!(self, OperationPhase::Running | OperationPhase::Terminating)
    }

    pub fn is_successful(&self) -> bool {
        matches!(self, OperationPhase::Succeeded)
    }

    pub fn is_failed(&self) -> bool {
        matches!(self, OperationPhase::Failed | OperationPhase::Error)
    }
}

/// Outcome of one resource in a sync (`syncResult.resources[].status`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ResultCode {
    Synced,
    SyncFailed,
    Pruned,
    PruneSkipped,
    Other(String),
}

/// Sync phase a resource or hook ran in.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SyncPhase {
    PreSync,
    Sync,
    PostSync,
    SyncFail,
    Other(String),
}

/// Value of the `argocd.argoproj.io/hook` annotation, and `hookType` in sync results.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HookType {
    PreSync,
    Sync,
    PostSync,
    SyncFail,
    Skip,
    PreDelete,
    PostDelete,
    Other(String),
}

/// `status.sourceType`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SourceType {
    Helm,
    Kustomize,
    Directory,
    Plugin,
    Other(String),
}

/// Type of an Application condition (`status.conditions[].type`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ConditionType {
    DeletionError,
    InvalidSpecError,
    ComparisonError,
    SyncError,
    UnknownError,
    SharedResourceWarning,
    RepeatedResourceWarning,
    ExcludedResourceWarning,
    OrphanedResourceWarning,
    Other(String),
}

/// How serious a condition is, by ArgoCD's naming convention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ConditionSeverity {
    Info,
    Warning,
    Error,
}

impl ConditionType {
    /// Suffix `Error` is an error, `Warning` a warning, anything else informational.
    pub fn severity(&self) -> ConditionSeverity {
        let text = self.as_str();
        if text.ends_with("Error") {
            ConditionSeverity::Error
        } else if text.ends_with("Warning") {
            ConditionSeverity::Warning
        } else {
            ConditionSeverity::Info
        }
    }
}

/// Implements `as_str`, `parse`, `Display` and string serde for an enum with an `Other(String)`
/// catch-all, from one table of variant ↔ wire text.
macro_rules! wire_strings {
    ($name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)+
                    $name::Other(text) => text,
                }
            }

            /// Reads the wire text; unknown text is kept in `Other`.
            pub fn parse(text: &str) -> $name {
                match text {
                    $($text => $name::$variant,)+
                    other => $name::Other(other.to_string()),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                Ok($name::parse(&text))
            }
        }
    };
}

wire_strings!(OperationPhase {
    Running => "Running",
    Terminating => "Terminating",
    Failed => "Failed",
    Error => "Error",
    Succeeded => "Succeeded",
});

wire_strings!(ResultCode {
    Synced => "Synced",
    SyncFailed => "SyncFailed",
    Pruned => "Pruned",
    PruneSkipped => "PruneSkipped",
});

wire_strings!(SyncPhase {
    PreSync => "PreSync",
    Sync => "Sync",
    PostSync => "PostSync",
    SyncFail => "SyncFail",
});

wire_strings!(HookType {
    PreSync => "PreSync",
    Sync => "Sync",
    PostSync => "PostSync",
    SyncFail => "SyncFail",
    Skip => "Skip",
    PreDelete => "PreDelete",
    PostDelete => "PostDelete",
});

wire_strings!(SourceType {
    Helm => "Helm",
    Kustomize => "Kustomize",
    Directory => "Directory",
    Plugin => "Plugin",
});

wire_strings!(ConditionType {
    DeletionError => "DeletionError",
    InvalidSpecError => "InvalidSpecError",
    ComparisonError => "ComparisonError",
    SyncError => "SyncError",
    UnknownError => "UnknownError",
    SharedResourceWarning => "SharedResourceWarning",
    RepeatedResourceWarning => "RepeatedResourceWarning",
    ExcludedResourceWarning => "ExcludedResourceWarning",
    OrphanedResourceWarning => "OrphanedResourceWarning",
});

/// String serde and `Display` for the two `Copy` enums that fold unknown text into `Unknown`.
macro_rules! lenient_strings {
    ($name:ident) => {
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                Ok($name::parse(&text))
            }
        }
    };
}

lenient_strings!(SyncStatus);
lenient_strings!(HealthStatus);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn health_severity_follows_argocd_order() {
        use HealthStatus::*;
        let order = [Healthy, Suspended, Progressing, Missing, Degraded, Unknown];
        for pair in order.windows(2) {
            assert!(
                pair[1].is_worse_than(pair[0]),
                "{:?} > {:?}",
                pair[1],
                pair[0]
            );
            assert_eq!(pair[0].worst(pair[1]), pair[1]);
            assert_eq!(pair[1].worst(pair[0]), pair[1]);
        }
        assert_eq!(HealthStatus::ALL, order);
        assert_eq!(
            HealthStatus::worst_of([Healthy, Degraded, Progressing]),
            Some(Degraded)
        );
        assert_eq!(HealthStatus::worst_of([]), None);
    }

    #[test]
    fn unknown_strings_do_not_fail() {
        let health: HealthStatus = serde_json::from_str("\"Sleepy\"").expect("lenient");
        assert_eq!(health, HealthStatus::Unknown);
        let sync: SyncStatus = serde_json::from_str("\"Drifting\"").expect("lenient");
        assert_eq!(sync, SyncStatus::Unknown);
        let phase: OperationPhase = serde_json::from_str("\"Paused\"").expect("lenient");
        assert_eq!(phase, OperationPhase::Other("Paused".into()));
        assert_eq!(serde_json::to_string(&phase).expect("ser"), "\"Paused\"");
        let cond: ConditionType = serde_json::from_str("\"NewFancyWarning\"").expect("lenient");
        assert_eq!(cond.severity(), ConditionSeverity::Warning);
    }

    #[test]
    fn operation_phase_completion() {
        assert!(OperationPhase::Succeeded.is_completed());
        assert!(OperationPhase::Failed.is_completed());
        assert!(OperationPhase::Error.is_completed());
        assert!(!OperationPhase::Running.is_completed());
        assert!(!OperationPhase::Terminating.is_completed());
        assert!(OperationPhase::Terminating.is_running());
        assert!(!OperationPhase::Other("x".into()).is_completed());
    }

    #[test]
    fn condition_severity_by_suffix() {
        assert_eq!(
            ConditionType::SyncError.severity(),
            ConditionSeverity::Error
        );
        assert_eq!(
            ConditionType::OrphanedResourceWarning.severity(),
            ConditionSeverity::Warning
        );
        assert_eq!(
            ConditionType::Other("SomethingInfo".into()).severity(),
            ConditionSeverity::Info
        );
    }

    proptest! {
        #[test]
        fn wire_codes_round_trip(text in "[A-Za-z]{0,12}") {
            for json in [
                serde_json::to_string(&OperationPhase::parse(&text)),
                serde_json::to_string(&ResultCode::parse(&text)),
                serde_json::to_string(&SyncPhase::parse(&text)),
                serde_json::to_string(&HookType::parse(&text)),
                serde_json::to_string(&ConditionType::parse(&text)),
                serde_json::to_string(&SourceType::parse(&text)),
            ] {
                prop_assert_eq!(json.expect("serializes"), format!("\"{text}\""));
            }
        }

        #[test]
        fn worst_is_commutative_and_never_better(a in 0usize..6, b in 0usize..6) {
            let (x, y) = (HealthStatus::ALL[a], HealthStatus::ALL[b]);
            prop_assert_eq!(x.worst(y), y.worst(x));
            prop_assert!(!x.is_worse_than(x.worst(y)));
        }
    }
}

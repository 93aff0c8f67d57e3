//! How estate values are written on screen: glyphs with the theme role that colours them
//! (every state is a glyph *and* a word, so colour is never the only signal), coarse ages, and
//! short revisions.

use chrono::{DateTime, Utc};

use crate::domain::argocd::{HealthStatus, OperationPhase, SyncStatus, parse_time};
use crate::domain::estate::{CellState, ConnectionState, DataState, Verdict};
use crate::domain::preflight::Outcome;
use crate::theme::Role;

pub fn health_role(health: HealthStatus) -> Role {
    match health {
        HealthStatus::Healthy => Role::Healthy,
        HealthStatus::Progressing => Role::Progressing,
        HealthStatus::Degraded => Role::Degraded,
        HealthStatus::Missing => Role::Missing,
        HealthStatus::Suspended => Role::Suspended,
        HealthStatus::Unknown => Role::Unknown,
    }
}

pub fn health_glyph(health: HealthStatus) -> &'static str {
    match health {
        HealthStatus::Healthy => "●",
        HealthStatus::Progressing => "◐",
        HealthStatus::Degraded => "✖",
        HealthStatus::Missing => "○",
        HealthStatus::Suspended => "‖",
        HealthStatus::Unknown => "?",
    }
}

pub fn sync_role(sync: SyncStatus) -> Role {
    match sync {
        SyncStatus::Synced => Role::Synced,
        SyncStatus::OutOfSync => Role::OutOfSync,
        SyncStatus::Unknown => Role::Unknown,
    }
}

pub fn sync_glyph(sync: SyncStatus) -> &'static str {
    match sync {
        SyncStatus::Synced => "✓",
        SyncStatus::OutOfSync => "≠",
        SyncStatus::Unknown => "?",
    }
}

/// `● Healthy`
pub fn health_text(health: HealthStatus) -> String {
    format!("{} {}", health_glyph(health), health.as_str())
}

/// `≠ OutOfSync`
pub fn sync_text(sync: SyncStatus) -> String {
    format!("{} {}", sync_glyph(sync), sync.as_str())
}

pub fn phase_role(phase: &OperationPhase) -> Role {
    match phase {
        OperationPhase::Running | OperationPhase::Terminating => Role::Progressing,
        OperationPhase::Succeeded => Role::Healthy,
        OperationPhase::Failed | OperationPhase::Error => Role::Danger,
        OperationPhase::Other(_) => Role::Unknown,
    }
}

pub fn phase_glyph(phase: &OperationPhase) -> &'static str {
    match phase {
        OperationPhase::Running => "⟳",
        OperationPhase::Terminating => "⏹",
        OperationPhase::Succeeded => "✓",
        OperationPhase::Failed | OperationPhase::Error => "✗",
        OperationPhase::Other(_) => "?",
    }
}

pub fn outcome_role(outcome: Outcome) -> Role {
    match outcome {
        Outcome::Pass => Role::Healthy,
        Outcome::Warn => Role::Warning,
        Outcome::Unknown => Role::Unknown,
        Outcome::Fail => Role::Degraded,
    }
}

pub fn outcome_glyph(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Pass => "✓",
        Outcome::Warn => "▲",
        Outcome::Unknown => "?",
        Outcome::Fail => "✗",
    }
}

pub fn verdict_role(verdict: Verdict) -> Role {
    match verdict {
        Verdict::Health(health) => health_role(health),
        Verdict::Warning => Role::Warning,
    }
}

pub fn verdict_glyph(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Health(health) => health_glyph(health),
        Verdict::Warning => "▲",
    }
}

/// The role a matrix cell is coloured with: stale and unknown data never look healthy.
pub fn cell_role(state: CellState) -> Role {
    match state {
        CellState::Empty => Role::Muted,
        CellState::Live(verdict) => verdict_role(verdict),
        CellState::Stale { .. } => Role::Stale,
        CellState::Unknown(_) => Role::Unknown,
    }
}

/// A connection state in a word or two, with its role.
pub fn connection_text(state: &ConnectionState) -> (&'static str, Role) {
    match state {
        ConnectionState::Connecting => ("◌ connecting", Role::Progressing),
        ConnectionState::Live => ("● live", Role::Healthy),
        ConnectionState::Reconnecting { .. } => ("◐ reconnecting", Role::Warning),
        ConnectionState::Unreachable { .. } => ("✗ unreachable", Role::Danger),
        ConnectionState::Forbidden { .. } => ("✗ forbidden", Role::Danger),
        ConnectionState::NoContext => ("- no context", Role::Muted),
    }
}

/// A data state in a word, with its role (`live`, `stale`, `unknown`).
pub fn data_text(state: DataState) -> (&'static str, Role) {
    match state {
        DataState::Live => ("current", Role::Healthy),
        DataState::Stale { .. } => ("stale", Role::Stale),
        DataState::Unavailable(_) => ("unknown", Role::Unknown),
    }
}

/// A coarse age: under a minute is `<1m`, then minutes, hours, days. Coarse on purpose: an
/// idle screen changes at most once a minute.
pub fn age(now: DateTime<Utc>, then: DateTime<Utc>) -> String {
    let seconds = now.signed_duration_since(then).num_seconds();
    match seconds {
        s if s < 60 => "<1m".to_string(),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

/// The age of an optional time, `-` when unknown.
pub fn age_of(now: DateTime<Utc>, then: Option<DateTime<Utc>>) -> String {
    then.map_or_else(|| "-".to_string(), |then| age(now, then))
}

/// The age of an RFC 3339 time as ArgoCD writes it, `-` when absent or unreadable.
pub fn age_of_text(now: DateTime<Utc>, then: Option<&str>) -> String {
    age_of(now, then.and_then(parse_time))
}

/// A revision as people quote them: seven characters of a SHA, anything else as it is.
pub fn short_revision(revision: &str) -> &str {
    let is_sha = revision.len() >= 12 && revision.bytes().all(|b| b.is_ascii_hexdigit());
    if is_sha { &revision[..7] } else { revision }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn ages_are_coarse() {
        let now = Utc
            .with_ymd_and_hms(2026, 8, 22, 12, 0, 0)
            .single()
            .expect("time");
        let ago = |s: i64| age(now, now - chrono::Duration::seconds(s));
        assert_eq!(ago(5), "<1m");
        assert_eq!(ago(59), "<1m");
        assert_eq!(ago(60), "1m");
        assert_eq!(ago(3599), "59m");
        assert_eq!(ago(7200), "2h");
        assert_eq!(ago(3 * 86_400), "3d");
        assert_eq!(age_of(now, None), "-");
        assert_eq!(age_of_text(now, Some("2026-08-22T11:00:00Z")), "1h");
    }

    #[test]
    fn revisions_shorten_only_shas() {
        assert_eq!(
            short_revision("4f2a9c81d0e2b7a6c5d4e3f2a1b0c9d8e7f6a5b4"),
            "4f2a9c8"
        );
        assert_eq!(short_revision("main"), "main");
        assert_eq!(short_revision("v1.2.3"), "v1.2.3");
    }

    #[test]
    fn every_state_has_a_glyph_and_never_only_colour() {
        for health in HealthStatus::ALL {
            assert!(health_text(health).contains(health.as_str()));
        }
        assert_eq!(
            cell_role(CellState::Stale {
                last_known: None,
                since: None
            }),
            Role::Stale
        );
    }
}

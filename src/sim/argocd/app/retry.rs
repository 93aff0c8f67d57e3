//! Sync retry timing and wording (ArgoCD `RetryStrategy.NextRetryAt` and the messages of
//! `processRequestedAppOperation`).

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::domain::argocd::RetryStrategy;
use crate::sim::clock;

/// ArgoCD's defaults when `backoff` (or one of its fields) is not set.
pub const DEFAULT_DURATION: Duration = Duration::from_secs(5);
pub const DEFAULT_FACTOR: i64 = 2;
pub const DEFAULT_MAX_DURATION: Duration = Duration::from_secs(180);

/// Why a retry strategy cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("time: invalid duration {0:?}")]
pub struct BadDuration(pub String);

/// Reads a Go duration (`5s`, `3m`, `1h30m`, `500ms`, `1.5s`); a bare number is seconds,
/// as ArgoCD accepts for backoff durations.
pub fn parse_go_duration(text: &str) -> Result<Duration, BadDuration> {
    if let Ok(seconds) = text.trim().parse::<u64>() {
        return Ok(Duration::from_secs(seconds));
    }
    clock::parse_go_duration(text).ok_or_else(|| BadDuration(text.to_string()))
}

/// The wait before retry number `retry_count` (0-based): `duration × factor^count`, capped by
/// `maxDuration`.
pub fn backoff(retry: &RetryStrategy, retry_count: i64) -> Result<Duration, BadDuration> {
    let mut duration = DEFAULT_DURATION;
    let mut factor = DEFAULT_FACTOR;
    let mut max = DEFAULT_MAX_DURATION;
    if let Some(b) = &retry.backoff {
        if !b.duration.is_empty() {
            duration = parse_go_duration(&b.duration)?;
        }
        if let Some(f) = b.factor {
            factor = f;
        }
        if !b.max_duration.is_empty() {
            max = parse_go_duration(&b.max_duration)?;
        }
    }
    let exponent = i32::try_from(retry_count.max(0)).unwrap_or(i32::MAX);
    let wait = duration.as_secs_f64() * (factor as f64).powi(exponent);
    let capped = if max > Duration::ZERO {
        wait.min(max.as_secs_f64())
    } else {
        wait
    };
    Ok(Duration::from_secs_f64(capped.clamp(0.0, 1e9)))
}

/// Whether another attempt is allowed after `retry_count` retries (`limit` -1: unlimited).
pub fn may_retry(retry: Option<&RetryStrategy>, retry_count: i64) -> bool {
    retry.is_some_and(|r| r.limit < 0 || retry_count < r.limit)
}

/// Go's `time.Kitchen` (`3:04PM`).
pub fn kitchen(time: DateTime<Utc>) -> String {
    time.format("%-I:%M%p").to_string()
}

/// `<message>. Retrying attempt #N at 3:04PM.`
pub fn retrying_message(message: &str, attempt: i64, at: DateTime<Utc>) -> String {
    format!("{message}. Retrying attempt #{attempt} at {}.", kitchen(at))
}

/// `<message> (retried N times).`
pub fn final_message(message: &str, retries: i64) -> String {
    format!("{message} (retried {retries} times).")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::argocd::Backoff;
    use chrono::TimeZone;

    fn strategy(duration: &str, factor: Option<i64>, max: &str) -> RetryStrategy {
        RetryStrategy {
            limit: 5,
            backoff: Some(Backoff {
                duration: duration.into(),
                factor,
                max_duration: max.into(),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn go_durations_parse() {
        assert_eq!(parse_go_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_go_duration("3m"), Ok(Duration::from_secs(180)));
        assert_eq!(parse_go_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_go_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_go_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_go_duration("20"), Ok(Duration::from_secs(20)));
        assert!(parse_go_duration("5 parsecs").is_err());
        assert!(parse_go_duration("").is_err());
        assert!(parse_go_duration("s").is_err());
    }

    #[test]
    fn backoff_grows_by_the_factor_and_is_capped() {
        let s = strategy("5s", Some(2), "3m");
        let waits: Vec<u64> = (0..8)
            .map(|n| backoff(&s, n).expect("valid").as_secs())
            .collect();
        assert_eq!(waits, vec![5, 10, 20, 40, 80, 160, 180, 180]);
        let defaults = RetryStrategy {
            limit: 1,
            ..Default::default()
        };
        assert_eq!(backoff(&defaults, 0), Ok(Duration::from_secs(5)));
        assert_eq!(backoff(&defaults, 1), Ok(Duration::from_secs(10)));
        assert!(backoff(&strategy("soon", None, ""), 0).is_err());
    }

    #[test]
    fn retry_limits() {
        let five = strategy("5s", None, "");
        assert!(may_retry(Some(&five), 4));
        assert!(!may_retry(Some(&five), 5));
        let unlimited = RetryStrategy {
            limit: -1,
            ..Default::default()
        };
        assert!(may_retry(Some(&unlimited), 1000));
        assert!(!may_retry(None, 0));
        assert!(!may_retry(Some(&RetryStrategy::default()), 0));
    }

    #[test]
    fn messages_use_argocd_wording() {
        let at = Utc
            .with_ymd_and_hms(2026, 8, 22, 15, 4, 5)
            .single()
            .expect("time");
        assert_eq!(kitchen(at), "3:04PM");
        assert_eq!(
            retrying_message("one or more objects failed to apply", 1, at),
            "one or more objects failed to apply. Retrying attempt #1 at 3:04PM."
        );
        assert_eq!(
            final_message("one or more objects failed to apply", 5),
            "one or more objects failed to apply (retried 5 times)."
        );
        let morning = Utc
            .with_ymd_and_hms(2026, 8, 22, 9, 30, 0)
            .single()
            .expect("time");
        assert_eq!(kitchen(morning), "9:30AM");
    }
}

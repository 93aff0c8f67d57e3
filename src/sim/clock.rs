//! Simulated time: timestamps stay wall-clock (so ages read true in kubectl), while every
//! simulated delay (a pod becoming ready, a sync wave, a retry backoff) is divided by the
//! estate's speed factor.

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};

/// A Go duration with units (`300ms`, `30s`, `2m`, `1h30m`, `1.5s`; `ns`, `us`/`µs`, `ms`,
/// `s`, `m`, `h`). Bare numbers are left to the caller: what they mean differs by field.
pub fn parse_go_duration(text: &str) -> Option<Duration> {
    let mut rest = text.trim();
    if rest.is_empty() {
        return None;
    }
    let mut total = 0.0f64;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number: f64 = rest[..number_len].parse().ok()?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total += number * scale;
    }
    Some(Duration::from_secs_f64(total))
}

/// The speed of one simulated estate. `speed` 2.0 makes everything happen twice as fast.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimClock {
    speed: f64,
}

impl Default for SimClock {
    fn default() -> Self {
        Self::new(1.0)
    }
}

impl SimClock {
    /// A clock at `speed` (clamped to 0.01–1000).
    pub fn new(speed: f64) -> Self {
        let speed = if speed.is_finite() {
            speed.clamp(0.01, 1000.0)
        } else {
            1.0
        };
        Self { speed }
    }

    pub fn speed(&self) -> f64 {
        self.speed
    }

    pub fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    /// RFC 3339 with seconds, as Kubernetes and ArgoCD write timestamps.
    pub fn timestamp(&self) -> String {
        self.now().to_rfc3339_opts(SecondsFormat::Secs, true)
    }

    /// The real duration a simulated duration takes at this speed.
    pub fn scaled(&self, simulated: Duration) -> Duration {
        simulated.div_f64(self.speed)
    }

    /// Sleeps for a simulated duration.
    pub async fn sleep(&self, simulated: Duration) {
        tokio::time::sleep(self.scaled(simulated)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_scale_with_speed() {
        let fast = SimClock::new(4.0);
        assert_eq!(fast.scaled(Duration::from_secs(8)), Duration::from_secs(2));
        assert_eq!(SimClock::new(f64::NAN).speed(), 1.0);
        assert_eq!(SimClock::new(0.0).speed(), 0.01);
        assert!(fast.timestamp().ends_with('Z'));
    }
}

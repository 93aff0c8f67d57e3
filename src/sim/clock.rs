//! Simulated time: timestamps stay wall-clock (so ages read true in kubectl), while every
//! simulated delay (a pod becoming ready, a sync wave, a retry backoff) is divided by the
//! estate's speed factor.

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};

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

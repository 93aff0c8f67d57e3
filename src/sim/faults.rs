//! Fault injection for one simulated cluster: refuse connections, hang, fail a share of
//! requests with 5xx, add latency, drop every watch, and expire resourceVersions.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::watch;

/// The faults in force on a cluster. All setters take effect immediately.
pub struct Faults {
    refuse: watch::Sender<bool>,
    hang: AtomicBool,
    /// Share of requests answered with 503, in parts per million.
    error_ppm: AtomicU32,
    latency_ms: AtomicU64,
    /// Bumped to end every open watch (and, for `refuse`, every connection).
    watch_epoch: watch::Sender<u64>,
    connection_epoch: watch::Sender<u64>,
}

impl Default for Faults {
    fn default() -> Self {
        Self::new()
    }
}

impl Faults {
    pub fn new() -> Self {
        Self {
            refuse: watch::channel(false).0,
            hang: AtomicBool::new(false),
            error_ppm: AtomicU32::new(0),
            latency_ms: AtomicU64::new(0),
            watch_epoch: watch::channel(0).0,
            connection_epoch: watch::channel(0).0,
        }
    }

    /// Close the listener and every open connection; new connections are refused.
    pub fn set_refuse(&self, on: bool) {
        self.refuse.send_replace(on);
        if on {
            self.connection_epoch.send_modify(|e| *e += 1);
        }
    }

    pub fn refusing(&self) -> bool {
        *self.refuse.borrow()
    }

    /// Changes of the refuse fault, for the listener.
    pub fn refuse_state(&self) -> watch::Receiver<bool> {
        self.refuse.subscribe()
    }

    /// Accept connections but never answer until cleared.
    pub fn set_hang(&self, on: bool) {
        self.hang.store(on, Ordering::SeqCst);
    }

    pub fn hanging(&self) -> bool {
        self.hang.load(Ordering::SeqCst)
    }

    /// Answer this share (0.0–1.0) of requests with 503 ServiceUnavailable.
    pub fn set_error_rate(&self, rate: f64) {
        let ppm = (rate.clamp(0.0, 1.0) * 1_000_000.0).round() as u32;
        self.error_ppm.store(ppm, Ordering::SeqCst);
    }

    /// Whether this request should fail, given a uniform random draw in [0, 1).
    pub fn should_fail(&self, draw: f64) -> bool {
        let ppm = self.error_ppm.load(Ordering::SeqCst);
        ppm > 0 && draw * 1_000_000.0 < f64::from(ppm)
    }

    pub fn set_latency(&self, latency: Duration) {
        self.latency_ms
            .store(latency.as_millis() as u64, Ordering::SeqCst);
    }

    pub fn latency(&self) -> Duration {
        Duration::from_millis(self.latency_ms.load(Ordering::SeqCst))
    }

    /// End every open watch stream now (clients see the stream close and re-watch).
    pub fn drop_watches(&self) {
        self.watch_epoch.send_modify(|e| *e += 1);
    }

    pub fn watch_epoch(&self) -> watch::Receiver<u64> {
        self.watch_epoch.subscribe()
    }

    pub fn connection_epoch(&self) -> watch::Receiver<u64> {
        self.connection_epoch.subscribe()
    }

    /// Clear every fault.
    pub fn recover(&self) {
        self.set_refuse(false);
        self.set_hang(false);
        self.set_error_rate(0.0);
        self.set_latency(Duration::ZERO);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_rate_is_a_share_of_draws() {
        let f = Faults::new();
        assert!(!f.should_fail(0.0));
        f.set_error_rate(0.25);
        assert!(f.should_fail(0.1));
        assert!(!f.should_fail(0.3));
        f.recover();
        assert!(!f.should_fail(0.0));
    }

    #[test]
    fn drop_watches_bumps_the_epoch() {
        let f = Faults::new();
        let rx = f.watch_epoch();
        f.drop_watches();
        assert!(rx.has_changed().expect("open"));
    }
}

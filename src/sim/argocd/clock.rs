//! The simulated ArgoCD's clock: a [`SimClock`] whose speed can change while it runs, shared
//! by every controller task.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use parking_lot::RwLock;

use crate::sim::clock::SimClock;

#[derive(Clone)]
pub struct Clock {
    inner: Arc<RwLock<SimClock>>,
}

impl Clock {
    pub fn new(clock: SimClock) -> Self {
        Self {
            inner: Arc::new(RwLock::new(clock)),
        }
    }

    pub fn speed(&self) -> f64 {
        self.inner.read().speed()
    }

    pub fn set_speed(&self, speed: f64) {
        *self.inner.write() = SimClock::new(speed);
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.inner.read().now()
    }

    /// RFC 3339, whole seconds (`metav1.Time`).
    pub fn timestamp(&self) -> String {
        self.inner.read().timestamp()
    }

    /// RFC 3339 with microseconds (`metav1.MicroTime`).
    pub fn now_micros(&self) -> String {
        self.now().to_rfc3339_opts(SecondsFormat::Micros, true)
    }

    /// The real duration a simulated one takes now.
    pub fn scaled(&self, simulated: Duration) -> Duration {
        self.inner.read().scaled(simulated)
    }
}

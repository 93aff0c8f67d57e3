//! Frame pacing: draw at once when the last frame is old enough, otherwise once the minimum
//! interval has passed, so any number of changes within an interval make one frame.

use std::time::{Duration, Instant};

/// ~30 frames a second at most.
pub const MIN_FRAME_INTERVAL: Duration = Duration::from_millis(33);

#[derive(Debug, Clone, Copy)]
pub struct FramePacer {
    interval: Duration,
    last: Option<Instant>,
}

impl FramePacer {
    pub fn new(interval: Duration) -> FramePacer {
        FramePacer {
            interval,
            last: None,
        }
    }

    /// When the next frame may be drawn (now or earlier: at once).
    pub fn next_allowed(&self) -> Option<Instant> {
        self.last.map(|last| last + self.interval)
    }

    pub fn ready(&self, now: Instant) -> bool {
        self.next_allowed().is_none_or(|at| now >= at)
    }

    pub fn drawn(&mut self, now: Instant) {
        self.last = Some(now);
    }
}

impl Default for FramePacer {
    fn default() -> Self {
        FramePacer::new(MIN_FRAME_INTERVAL)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_spaced_by_the_interval() {
        let start = Instant::now();
        let mut pacer = FramePacer::default();
        assert!(pacer.ready(start));
        pacer.drawn(start);
        assert!(!pacer.ready(start + Duration::from_millis(10)));
        assert_eq!(pacer.next_allowed(), Some(start + MIN_FRAME_INTERVAL));
        assert!(pacer.ready(start + Duration::from_millis(33)));
    }

    /// Under a steady stream of changes the pacer allows at most one frame per interval.
    #[test]
    fn churn_is_capped_at_thirty_frames_a_second() {
        let start = Instant::now();
        let mut pacer = FramePacer::default();
        let mut frames = 0;
        // A change every millisecond for one second.
        for ms in 0..1000 {
            let now = start + Duration::from_millis(ms);
            if pacer.ready(now) {
                pacer.drawn(now);
                frames += 1;
            }
        }
        assert!((29..=31).contains(&frames), "{frames}");
    }
}

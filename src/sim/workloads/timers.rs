//! One priority queue of delayed transitions for a whole cluster, instead of a task per pod:
//! a pod becoming ready, a container crashing, a back-off ending, a load balancer appearing.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use tokio::time::Instant;

struct Slot<T> {
    at: Instant,
    seq: u64,
    item: T,
}

impl<T> PartialEq for Slot<T> {
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at && self.seq == other.seq
    }
}

impl<T> Eq for Slot<T> {}

impl<T> PartialOrd for Slot<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<T> Ord for Slot<T> {
    /// Reversed, so the max-heap pops the earliest deadline (ties in insertion order).
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .at
            .cmp(&self.at)
            .then_with(|| other.seq.cmp(&self.seq))
    }
}

/// Deadlines with payloads; stale payloads are recognised by their owner (epochs), not removed.
pub struct TimerQueue<T> {
    heap: BinaryHeap<Slot<T>>,
    seq: u64,
}

impl<T> Default for TimerQueue<T> {
    fn default() -> Self {
        Self {
            heap: BinaryHeap::new(),
            seq: 0,
        }
    }
}

impl<T> TimerQueue<T> {
    pub fn schedule(&mut self, at: Instant, item: T) {
        self.seq += 1;
        self.heap.push(Slot {
            at,
            seq: self.seq,
            item,
        });
    }

    /// The earliest deadline, if any.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.heap.peek().map(|s| s.at)
    }

    /// Removes and returns the earliest item due at or before `now`.
    pub fn pop_due(&mut self, now: Instant) -> Option<T> {
        if self.heap.peek().is_some_and(|s| s.at <= now) {
            self.heap.pop().map(|s| s.item)
        } else {
            None
        }
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.heap.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn pops_in_deadline_order_then_insertion_order() {
        let t0 = Instant::now();
        let mut q = TimerQueue::default();
        q.schedule(t0 + Duration::from_secs(3), "c");
        q.schedule(t0 + Duration::from_secs(1), "a");
        q.schedule(t0 + Duration::from_secs(1), "b");
        q.schedule(t0 + Duration::from_secs(9), "late");
        assert_eq!(q.next_deadline(), Some(t0 + Duration::from_secs(1)));
        assert_eq!(q.pop_due(t0), None);
        let now = t0 + Duration::from_secs(5);
        let mut due = Vec::new();
        while let Some(item) = q.pop_due(now) {
            due.push(item);
        }
        assert_eq!(due, vec!["a", "b", "c"]);
        assert_eq!(q.len(), 1);
    }
}

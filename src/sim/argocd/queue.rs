//! A work queue in the manner of client-go's: a key is queued at most once, is never handed
//! to two workers at the same time (a key re-added while being processed is queued again
//! when it is done), and can be added after a delay (only the earliest delay per key is kept).

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::hash::Hash;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::Notify;
use tokio::time::Instant;

struct Inner<K> {
    ready: VecDeque<K>,
    queued: HashSet<K>,
    processing: HashSet<K>,
    /// Re-added while processing: queued again on `done`.
    dirty: HashSet<K>,
    delayed: BTreeMap<(Instant, u64), K>,
    due: HashMap<K, (Instant, u64)>,
    seq: u64,
    closed: bool,
}

pub struct WorkQueue<K> {
    inner: Mutex<Inner<K>>,
    notify: Notify,
}

impl<K: Clone + Eq + Hash> Default for WorkQueue<K> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: Clone + Eq + Hash> WorkQueue<K> {
    pub fn new() -> Self {
        Self {
            inner: Mutex::new(Inner {
                ready: VecDeque::new(),
                queued: HashSet::new(),
                processing: HashSet::new(),
                dirty: HashSet::new(),
                delayed: BTreeMap::new(),
                due: HashMap::new(),
                seq: 0,
                closed: false,
            }),
            notify: Notify::new(),
        }
    }

    /// Queues `key` now (a no-op if it is already queued).
    pub fn add(&self, key: K) {
        let mut inner = self.inner.lock();
        Self::push(&mut inner, key);
        drop(inner);
        self.notify.notify_one();
    }

    fn push(inner: &mut Inner<K>, key: K) {
        if inner.processing.contains(&key) {
            inner.dirty.insert(key);
        } else if inner.queued.insert(key.clone()) {
            inner.ready.push_back(key);
        }
    }

    /// Queues `key` once `delay` has passed, unless it is already due earlier.
    pub fn add_after(&self, key: K, delay: Duration) {
        if delay.is_zero() {
            self.add(key);
            return;
        }
        let at = Instant::now() + delay;
        let mut inner = self.inner.lock();
        if let Some(&(existing, _)) = inner.due.get(&key)
            && existing <= at
        {
            return;
        }
        if let Some(old) = inner.due.remove(&key) {
            inner.delayed.remove(&old);
        }
        inner.seq += 1;
        let slot = (at, inner.seq);
        inner.delayed.insert(slot, key.clone());
        inner.due.insert(key, slot);
        drop(inner);
        // A worker may be sleeping until a later deadline.
        self.notify.notify_one();
    }

    /// Waits for the next key; `None` once the queue is closed. Call [`WorkQueue::done`]
    /// when finished with it.
    pub async fn next(&self) -> Option<K> {
        loop {
            let notified = self.notify.notified();
            let wake_at = {
                let mut inner = self.inner.lock();
                if inner.closed {
                    return None;
                }
                Self::promote_due(&mut inner);
                if let Some(key) = inner.ready.pop_front() {
                    inner.queued.remove(&key);
                    inner.processing.insert(key.clone());
                    let more = !inner.ready.is_empty();
                    drop(inner);
                    if more {
                        self.notify.notify_one();
                    }
                    return Some(key);
                }
                inner.delayed.keys().next().map(|(at, _)| *at)
            };
            match wake_at {
                Some(at) => {
                    tokio::select! {
                        _ = notified => {}
                        _ = tokio::time::sleep_until(at) => {}
                    }
                }
                None => notified.await,
            }
        }
    }

    fn promote_due(inner: &mut Inner<K>) {
        let now = Instant::now();
        while let Some((&slot, _)) = inner.delayed.iter().next() {
            if slot.0 > now {
                break;
            }
            if let Some(key) = inner.delayed.remove(&slot) {
                inner.due.remove(&key);
                Self::push(inner, key);
            }
        }
    }

    /// Marks `key` as processed; queues it again if it was re-added meanwhile.
    pub fn done(&self, key: &K) {
        let mut inner = self.inner.lock();
        inner.processing.remove(key);
        if inner.dirty.remove(key) {
            Self::push(&mut inner, key.clone());
            drop(inner);
            self.notify.notify_one();
        }
    }

    /// Wakes every waiting worker with `None`.
    pub fn close(&self) {
        self.inner.lock().closed = true;
        self.notify.notify_waiters();
        self.notify.notify_one();
    }

    /// Keys ready or being processed.
    pub fn busy(&self) -> usize {
        let inner = self.inner.lock();
        inner.ready.len() + inner.processing.len() + inner.dirty.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn keys_are_deduplicated_and_never_processed_twice_at_once() {
        let queue = WorkQueue::new();
        queue.add("a");
        queue.add("a");
        queue.add("b");
        assert_eq!(queue.next().await, Some("a"));
        queue.add("a"); // re-added while processing
        assert_eq!(queue.next().await, Some("b"));
        queue.done(&"b");
        queue.done(&"a");
        assert_eq!(queue.next().await, Some("a"));
        queue.done(&"a");
        assert_eq!(queue.busy(), 0);
    }

    #[tokio::test]
    async fn delayed_keys_keep_the_earliest_deadline() {
        let queue = WorkQueue::new();
        queue.add_after("late", Duration::from_millis(60));
        // A later deadline for the same key does not postpone it.
        queue.add_after("late", Duration::from_secs(3600));
        queue.add_after("soon", Duration::from_millis(10));
        let within = |f| tokio::time::timeout(Duration::from_secs(30), f);
        assert_eq!(
            within(queue.next()).await.expect("soon is due"),
            Some("soon")
        );
        queue.done(&"soon");
        assert_eq!(
            within(queue.next()).await.expect("late is due"),
            Some("late")
        );
        queue.done(&"late");
        assert_eq!(queue.busy(), 0);
    }

    #[tokio::test]
    async fn close_wakes_workers() {
        let queue = std::sync::Arc::new(WorkQueue::<u32>::new());
        let worker = {
            let queue = queue.clone();
            tokio::spawn(async move { queue.next().await })
        };
        tokio::task::yield_now().await;
        queue.close();
        assert_eq!(worker.await.expect("joined"), None);
    }
}

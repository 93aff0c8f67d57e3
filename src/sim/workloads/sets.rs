//! Small collections the controllers need: a set that can be sampled uniformly in O(1)
//! (churn and log targets among tens of thousands of pods), and a de-duplicating work queue.

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::Hash;

/// A set with O(1) insert, remove, random pick and round-robin walk.
#[derive(Debug)]
pub struct SampleSet<K> {
    items: Vec<K>,
    index: HashMap<K, usize>,
    cursor: usize,
}

impl<K> Default for SampleSet<K> {
    fn default() -> Self {
        Self {
            items: Vec::new(),
            index: HashMap::new(),
            cursor: 0,
        }
    }
}

impl<K: Clone + Eq + Hash> SampleSet<K> {
    pub fn insert(&mut self, key: K) {
        if self.index.contains_key(&key) {
            return;
        }
        self.index.insert(key.clone(), self.items.len());
        self.items.push(key);
    }

    pub fn remove(&mut self, key: &K) {
        let Some(i) = self.index.remove(key) else {
            return;
        };
        self.items.swap_remove(i);
        if let Some(moved) = self.items.get(i) {
            self.index.insert(moved.clone(), i);
        }
    }

    #[cfg(test)]
    pub fn contains(&self, key: &K) -> bool {
        self.index.contains_key(key)
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The item at `i` (use with a random index in `0..len`).
    pub fn get(&self, i: usize) -> Option<&K> {
        self.items.get(i)
    }

    /// The next item in a round-robin walk (order changes as items come and go).
    pub fn next_round_robin(&mut self) -> Option<&K> {
        if self.items.is_empty() {
            return None;
        }
        if self.cursor >= self.items.len() {
            self.cursor = 0;
        }
        let i = self.cursor;
        self.cursor += 1;
        self.items.get(i)
    }
}

/// A FIFO of keys to reconcile, each queued at most once.
#[derive(Debug)]
pub struct WorkQueue<K> {
    queue: VecDeque<K>,
    queued: HashSet<K>,
}

impl<K> Default for WorkQueue<K> {
    fn default() -> Self {
        Self {
            queue: VecDeque::new(),
            queued: HashSet::new(),
        }
    }
}

impl<K: Clone + Eq + Hash> WorkQueue<K> {
    pub fn push(&mut self, key: K) {
        if self.queued.insert(key.clone()) {
            self.queue.push_back(key);
        }
    }

    pub fn pop(&mut self) -> Option<K> {
        let key = self.queue.pop_front()?;
        self.queued.remove(&key);
        Some(key)
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn work_queue_deduplicates_in_fifo_order() {
        let mut q = WorkQueue::default();
        for k in ["a", "b", "a", "c", "b"] {
            q.push(k);
        }
        assert_eq!(q.len(), 3);
        assert_eq!(q.pop(), Some("a"));
        q.push("a");
        assert_eq!(
            std::iter::from_fn(|| q.pop()).collect::<Vec<_>>(),
            vec!["b", "c", "a"]
        );
    }

    #[test]
    fn round_robin_visits_everything() {
        let mut s = SampleSet::default();
        for i in 0..4 {
            s.insert(i);
        }
        let mut seen: Vec<i32> = (0..4)
            .filter_map(|_| s.next_round_robin().copied())
            .collect();
        seen.sort();
        assert_eq!(seen, vec![0, 1, 2, 3]);
    }

    proptest! {
        /// The set behaves like a HashSet whatever the sequence of inserts and removes.
        #[test]
        fn sample_set_matches_a_hash_set(ops in proptest::collection::vec((any::<bool>(), 0u8..20), 0..200)) {
            let mut s = SampleSet::default();
            let mut model = HashSet::new();
            for (insert, k) in ops {
                if insert { s.insert(k); model.insert(k); } else { s.remove(&k); model.remove(&k); }
                prop_assert_eq!(s.len(), model.len());
            }
            let items: HashSet<u8> = (0..s.len()).filter_map(|i| s.get(i).copied()).collect();
            prop_assert_eq!(items, model.clone());
            for k in model { prop_assert!(s.contains(&k)); }
        }
    }
}

//! A keyed store that follows one watch incrementally, relists included.
//!
//! A watcher that relists (first start, 410 Gone, reconnect after a restart) sends `Init`,
//! every current object, then `InitDone`. Rather than rebuilding, the store stamps each object
//! it sees with the current list epoch and, at the end of the list, removes the objects the
//! list did not contain. Readers never see an empty store mid-relist: old objects stay until
//! the list proves them gone, new and changed ones apply at once.

use std::collections::HashMap;
use std::hash::Hash;

#[derive(Debug, Clone)]
struct Slot<T> {
    value: T,
    epoch: u32,
}

#[derive(Debug, Clone)]
pub struct Store<K, T> {
    items: HashMap<K, Slot<T>>,
    epoch: u32,
}

impl<K, T> Default for Store<K, T> {
    fn default() -> Self {
        Store {
            items: HashMap::new(),
            epoch: 0,
        }
    }
}

impl<K: Eq + Hash + Clone, T> Store<K, T> {
    /// A list starts: what it does not contain will be removed at [`Store::end_list`].
    pub fn begin_list(&mut self) {
        self.epoch = self.epoch.wrapping_add(1);
    }

    /// The list is complete; returns how many objects it proved gone.
    pub fn end_list(&mut self) -> usize {
        let epoch = self.epoch;
        let before = self.items.len();
        self.items.retain(|_, slot| slot.epoch == epoch);
        before - self.items.len()
    }

    /// Inserts or replaces; returns the previous value.
    pub fn upsert(&mut self, key: K, value: T) -> Option<T> {
        let slot = Slot {
            value,
            epoch: self.epoch,
        };
        self.items.insert(key, slot).map(|old| old.value)
    }

    pub fn remove(&mut self, key: &K) -> Option<T> {
        self.items.remove(key).map(|slot| slot.value)
    }

    pub fn get(&self, key: &K) -> Option<&T> {
        self.items.get(key).map(|slot| &slot.value)
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&K, &T)> {
        self.items.iter().map(|(k, slot)| (k, &slot.value))
    }

    pub fn values(&self) -> impl Iterator<Item = &T> {
        self.items.values().map(|slot| &slot.value)
    }

    /// Keeps at most `limit` objects, dropping the lowest by `rank` (a tenth at a time, so a
    /// full store does not sort on every insert).
    pub fn bound_by<R: Ord>(&mut self, limit: usize, rank: impl Fn(&T) -> R) {
        if self.items.len() <= limit {
            return;
        }
        let excess = self.items.len() - limit + limit / 10;
        let mut ranked: Vec<(R, K)> = self
            .items
            .iter()
            .map(|(k, slot)| (rank(&slot.value), k.clone()))
            .collect();
        ranked.sort_by(|a, b| a.0.cmp(&b.0));
        for (_, key) in ranked.into_iter().take(excess) {
            self.items.remove(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    #[test]
    fn relist_removes_what_the_list_lacks() {
        let mut store: Store<u32, &str> = Store::default();
        store.begin_list();
        store.upsert(1, "a");
        store.upsert(2, "b");
        assert_eq!(store.end_list(), 0);
        store.begin_list();
        store.upsert(2, "b2");
        assert_eq!(store.len(), 2, "old objects stay during the list");
        store.upsert(3, "c");
        assert_eq!(store.end_list(), 1);
        let mut keys: Vec<u32> = store.iter().map(|(k, _)| *k).collect();
        keys.sort_unstable();
        assert_eq!(keys, vec![2, 3]);
        assert_eq!(store.get(&2), Some(&"b2"));
    }

    #[test]
    fn bound_drops_the_lowest_ranked() {
        let mut store: Store<u32, u32> = Store::default();
        for i in 0..25 {
            store.upsert(i, i);
            store.bound_by(20, |v| *v);
        }
        assert!(store.len() <= 20);
        assert!(store.get(&24).is_some(), "newest kept");
        assert!(store.get(&0).is_none(), "oldest dropped");
    }

    #[derive(Debug, Clone)]
    enum Op {
        Put(u8, u8),
        Delete(u8),
        /// A relist of the truth, possibly interleaved with a change.
        Relist(Option<(u8, u8)>),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0u8..16, any::<u8>()).prop_map(|(k, v)| Op::Put(k, v)),
            (0u8..16).prop_map(Op::Delete),
            proptest::option::of((0u8..16, any::<u8>())).prop_map(Op::Relist),
        ]
    }

    proptest! {
        /// Whatever mix of changes, missed deletions and relists, after a final relist the
        /// store equals the truth: nothing lost, nothing duplicated, nothing stale.
        #[test]
        fn store_converges_to_the_list(ops in proptest::collection::vec(op(), 0..60), drop_mask in any::<u64>()) {
            let mut truth: BTreeMap<u8, u8> = BTreeMap::new();
            let mut store: Store<u8, u8> = Store::default();
            for (i, op) in ops.iter().enumerate() {
                let delivered = drop_mask & (1 << (i % 64)) == 0;
                match op {
                    Op::Put(k, v) => {
                        truth.insert(*k, *v);
                        if delivered { store.upsert(*k, *v); }
                    }
                    Op::Delete(k) => {
                        truth.remove(k);
                        if delivered { store.remove(k); }
                    }
                    Op::Relist(change) => {
                        store.begin_list();
                        for (k, v) in &truth {
                            store.upsert(*k, *v);
                        }
                        if let Some((k, v)) = change {
                            truth.insert(*k, *v);
                            store.upsert(*k, *v);
                        }
                        store.end_list();
                    }
                }
            }
            store.begin_list();
            for (k, v) in &truth {
                store.upsert(*k, *v);
            }
            store.end_list();
            let got: BTreeMap<u8, u8> = store.iter().map(|(k, v)| (*k, *v)).collect();
            prop_assert_eq!(got, truth);
        }
    }
}

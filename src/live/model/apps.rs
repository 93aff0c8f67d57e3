//! The Applications: summaries in one contiguous slice (what the roll-up reads), with an index
//! by key and the relist epochs of [`super::store::Store`].

use std::collections::HashMap;
use std::mem::size_of;

use crate::domain::estate::AppSummary;
use crate::live::event::ObjKey;
use crate::live::objects::{AppFacts, AppRecord, PackedBasis, WorkloadRef};

/// What the model keeps beside an Application's summary.
#[derive(Debug, Clone, PartialEq)]
pub struct AppDetail {
    pub key: ObjKey,
    pub workloads: Box<[WorkloadRef]>,
    pub parse_error: Option<Box<str>>,
    /// The fields actions are built from (`objects::action_basis`), packed.
    pub basis: PackedBasis,
    /// What rows and triage read.
    pub facts: AppFacts,
    epoch: u32,
}

#[derive(Debug, Default)]
pub struct AppTable {
    summaries: Vec<AppSummary>,
    details: Vec<AppDetail>,
    index: HashMap<ObjKey, usize>,
    epoch: u32,
}

/// What an upsert changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upsert {
    Added,
    Changed,
    Unchanged,
}

impl AppTable {
    pub fn begin_list(&mut self) {
        self.epoch = self.epoch.wrapping_add(1);
    }

    /// Removes the Applications the list did not contain; returns how many.
    pub fn end_list(&mut self) -> usize {
        let stale: Vec<ObjKey> = self
            .details
            .iter()
            .filter(|d| d.epoch != self.epoch)
            .map(|d| d.key.clone())
            .collect();
        for key in &stale {
            self.remove(key);
        }
        stale.len()
    }

    /// Inserts or replaces an Application (already placed by the caller).
    pub fn upsert(&mut self, record: AppRecord) -> Upsert {
        let AppRecord {
            key,
            summary,
            workloads,
            parse_error,
            basis,
            facts,
            full: _,
        } = record;
        let detail = AppDetail {
            key: key.clone(),
            workloads,
            parse_error,
            basis,
            facts,
            epoch: self.epoch,
        };
        match self.index.get(&key) {
            Some(&i) => {
                let same = self.summaries[i] == summary
                    && self.details[i].workloads == detail.workloads
                    && self.details[i].basis == detail.basis
                    && self.details[i].facts == detail.facts;
                self.summaries[i] = summary;
                self.details[i] = detail;
                if same {
                    Upsert::Unchanged
                } else {
                    Upsert::Changed
                }
            }
            None => {
                self.index.insert(key, self.summaries.len());
                self.summaries.push(summary);
                self.details.push(detail);
                Upsert::Added
            }
        }
    }

    pub fn remove(&mut self, key: &ObjKey) -> Option<AppSummary> {
        let i = self.index.remove(key)?;
        let summary = self.summaries.swap_remove(i);
        self.details.swap_remove(i);
        if let Some(moved) = self.details.get(i) {
            self.index.insert(moved.key.clone(), i);
        }
        Some(summary)
    }

    pub fn summaries(&self) -> &[AppSummary] {
        &self.summaries
    }

    pub fn summaries_mut(&mut self) -> &mut [AppSummary] {
        &mut self.summaries
    }

    pub fn get(&self, key: &ObjKey) -> Option<(&AppSummary, &AppDetail)> {
        let i = *self.index.get(key)?;
        Some((&self.summaries[i], &self.details[i]))
    }

    /// The Application at `index` of [`AppTable::summaries`] (indices move when one is
    /// removed: hold them only within one model revision).
    pub fn at(&self, index: usize) -> Option<(&AppSummary, &AppDetail)> {
        Some((self.summaries.get(index)?, self.details.get(index)?))
    }

    pub fn iter(&self) -> impl Iterator<Item = (&AppSummary, &AppDetail)> {
        self.summaries.iter().zip(&self.details)
    }

    pub fn len(&self) -> usize {
        self.summaries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.summaries.is_empty()
    }

    /// Approximate bytes owned (interned strings excluded), index included.
    pub fn owned_bytes(&self) -> usize {
        let rows: usize = self
            .iter()
            .map(|(s, d)| {
                s.owned_bytes()
                    + size_of::<AppDetail>()
                    + d.workloads.len() * size_of::<WorkloadRef>()
                    + d.parse_error.as_ref().map_or(0, |e| e.len())
                    + d.basis.len()
                    + d.facts.owned_bytes()
            })
            .sum();
        let index = self.index.capacity() * (size_of::<ObjKey>() + size_of::<usize>() + 1);
        rows + index
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::argocd::Application;
    use crate::domain::estate::Interner;
    use std::sync::Arc;

    fn record(name: &str, health: &str) -> AppRecord {
        let app: Application = serde_json::from_value(serde_json::json!({
            "metadata": {"name": name, "namespace": "argocd"},
            "spec": {"destination": {"name": "dev"}, "project": "default"},
            "status": {"health": {"status": health}}
        }))
        .expect("app");
        AppRecord {
            key: ObjKey::new(Arc::from("argocd"), Arc::from(name)),
            summary: AppSummary::from_application(&app, "mgmt", &mut Interner::default()),
            workloads: Box::new([]),
            parse_error: None,
            basis: PackedBasis::pack(&crate::live::objects::action_basis(&app)),
            facts: AppFacts::of(&app),
            full: None,
        }
    }

    #[test]
    fn upsert_remove_keep_the_index_right() {
        let mut table = AppTable::default();
        for name in ["a", "b", "c"] {
            assert_eq!(table.upsert(record(name, "Healthy")), Upsert::Added);
        }
        assert_eq!(table.upsert(record("b", "Healthy")), Upsert::Unchanged);
        assert_eq!(table.upsert(record("b", "Degraded")), Upsert::Changed);
        table.remove(&ObjKey::new(Arc::from("argocd"), Arc::from("a")));
        let names: Vec<&str> = table.summaries().iter().map(|s| &*s.name).collect();
        assert_eq!(names.len(), 2);
        for name in ["b", "c"] {
            let (summary, detail) = table
                .get(&ObjKey::new(Arc::from("argocd"), Arc::from(name)))
                .expect("indexed");
            assert_eq!(&*summary.name, name);
            assert_eq!(&*detail.key.name, name);
        }
    }

    #[test]
    fn relist_drops_missing_apps() {
        let mut table = AppTable::default();
        table.begin_list();
        table.upsert(record("a", "Healthy"));
        table.upsert(record("b", "Healthy"));
        assert_eq!(table.end_list(), 0);
        table.begin_list();
        table.upsert(record("b", "Healthy"));
        assert_eq!(table.end_list(), 1);
        assert_eq!(table.len(), 1);
        assert!(table.owned_bytes() > 0);
    }
}

//! One string interner shared by the watch tasks and the model, so a namespace, node, image
//! or reason is stored once however many objects name it.
//!
//! Only strings from a bounded vocabulary are interned (namespaces, nodes, owners, reasons,
//! Application names): the interner never forgets, so pod and event names, which churn, are
//! never put in it.

use std::sync::Arc;

use parking_lot::Mutex;

use crate::domain::estate::Interner;

#[derive(Debug, Clone, Default)]
pub struct SharedStrings(Arc<Mutex<Interner>>);

impl SharedStrings {
    pub fn intern(&self, text: &str) -> Arc<str> {
        self.0.lock().intern(text)
    }

    /// Runs `f` with the interner locked (one lock for a whole object's strings).
    pub fn with<R>(&self, f: impl FnOnce(&mut Interner) -> R) -> R {
        f(&mut self.0.lock())
    }

    /// Distinct strings held.
    pub fn len(&self) -> usize {
        self.0.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_one_interner() {
        let strings = SharedStrings::default();
        let other = strings.clone();
        let a = strings.intern("kube-system");
        let b = other.intern("kube-system");
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(strings.len(), 1);
    }
}

//! A detail view's reads of resources the model does not watch (Services, PVCs, custom
//! resources): asked for when the view opens, again when the set of resources changes or the
//! last answer is older than [`REREAD_AFTER`], never twice at once; answers are kept by
//! resource key for [`crate::app::views::detail::build`].

use chrono::{DateTime, Duration, Utc};

use crate::app::component::Cx;
use crate::app::effect::{Effect, ReadRequest, ResourceRef};
use crate::app::msg::ResourcesRead;
use crate::app::views::detail::{self, Reads};

/// How old a read may grow while the view is shown before it is read again.
pub const REREAD_AFTER: Duration = Duration::seconds(30);

#[derive(Debug, Default)]
pub struct ResourceReads {
    reads: Reads,
    /// Bumped with every answer, so the view knows to rebuild.
    generation: u64,
    /// The request in flight.
    pending: Option<u64>,
    /// What was last asked for, and when.
    asked: Option<(DateTime<Utc>, Vec<ResourceRef>)>,
}

impl ResourceReads {
    pub fn reads(&self) -> &Reads {
        &self.reads
    }

    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Asks for a read of `namespace/name`'s unwatched resources when one is due.
    pub fn request_if_due(&mut self, namespace: &str, name: &str, cx: &mut Cx<'_>) {
        if self.pending.is_some() {
            return;
        }
        let Some(model) = cx.app.estate.as_ref() else {
            return;
        };
        let Some(targets) = detail::read_targets(model, namespace, name) else {
            return;
        };
        let now = cx.app.wall;
        let due = match &self.asked {
            None => true,
            Some((at, resources)) => *resources != targets.resources || now - *at >= REREAD_AFTER,
        };
        if !due {
            return;
        }
        let id = cx.app.next_id();
        self.pending = Some(id);
        self.asked = Some((now, targets.resources.clone()));
        cx.effect(Effect::ReadResources(ReadRequest {
            id,
            context: targets.context,
            resources: targets.resources,
        }));
    }

    /// Takes the answer to this view's request; false for anybody else's.
    pub fn take(&mut self, answer: &ResourcesRead) -> bool {
        if self.pending != Some(answer.id) {
            return false;
        }
        self.pending = None;
        for (resource, outcome) in &answer.outcomes {
            self.reads.insert(resource.key(), outcome.clone());
        }
        self.generation += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::msg::ReadOutcome;

    fn service() -> ResourceRef {
        ResourceRef {
            group: String::new(),
            version: "v1".into(),
            kind: "Service".into(),
            namespace: "ns".into(),
            name: "web".into(),
        }
    }

    #[test]
    fn answers_to_other_requests_are_left_alone() {
        let mut reads = ResourceReads {
            pending: Some(7),
            ..ResourceReads::default()
        };
        let answer = |id| ResourcesRead {
            id,
            outcomes: vec![(service(), ReadOutcome::NotFound)],
        };
        assert!(!reads.take(&answer(8)));
        assert!(reads.reads().is_empty());
        assert!(reads.take(&answer(7)));
        assert_eq!(
            reads.reads().get("Service/ns/web"),
            Some(&ReadOutcome::NotFound)
        );
        assert_eq!(reads.generation(), 1);
        assert!(!reads.take(&answer(7)), "answered once");
    }
}

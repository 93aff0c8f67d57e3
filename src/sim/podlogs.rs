//! Container log lines of simulated pods, bounded per container, with a live feed for
//! `pods/log?follow=true`.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use tokio::sync::broadcast;

/// Lines kept per container; older lines are dropped.
pub const LINES_PER_CONTAINER: usize = 2_000;

/// (namespace, pod, container)
pub type ContainerKey = (String, String, String);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub time: DateTime<Utc>,
    pub text: String,
}

#[derive(Default)]
struct ContainerLog {
    current: VecDeque<LogLine>,
    /// The log of the previous container instance, after a restart.
    previous: Option<Vec<LogLine>>,
}

/// (namespace, pod)
type PodKey = (String, String);

/// One cluster's container logs, per pod so a deleted pod's logs go in one step.
pub struct PodLogs {
    pods: Mutex<HashMap<PodKey, HashMap<String, ContainerLog>>>,
    tx: broadcast::Sender<Arc<(ContainerKey, LogLine)>>,
}

impl Default for PodLogs {
    fn default() -> Self {
        Self::new()
    }
}

impl PodLogs {
    pub fn new() -> Self {
        let (tx, _) = broadcast::channel(4_096);
        Self {
            pods: Mutex::new(HashMap::new()),
            tx,
        }
    }

    pub fn append(&self, key: ContainerKey, time: DateTime<Utc>, text: impl Into<String>) {
        let line = LogLine {
            time,
            text: text.into(),
        };
        {
            let mut pods = self.pods.lock();
            let log = pods
                .entry((key.0.clone(), key.1.clone()))
                .or_default()
                .entry(key.2.clone())
                .or_default();
            log.current.push_back(line.clone());
            while log.current.len() > LINES_PER_CONTAINER {
                log.current.pop_front();
            }
        }
        // Followers may be absent; that is fine.
        let _ = self.tx.send(Arc::new((key, line)));
    }

    /// A container restarted: its current log becomes the previous one.
    pub fn restart(&self, key: &ContainerKey) {
        let mut pods = self.pods.lock();
        if let Some(log) = pods
            .get_mut(&(key.0.clone(), key.1.clone()))
            .and_then(|p| p.get_mut(&key.2))
        {
            log.previous = Some(log.current.drain(..).collect());
        }
    }

    /// The last `tail` lines (all if None), at or after `since`.
    pub fn read(
        &self,
        key: &ContainerKey,
        previous: bool,
        tail: Option<usize>,
        since: Option<DateTime<Utc>>,
    ) -> Option<Vec<LogLine>> {
        let pods = self.pods.lock();
        let log = pods
            .get(&(key.0.clone(), key.1.clone()))
            .and_then(|p| p.get(&key.2));
        let lines: Vec<LogLine> = if previous {
            log?.previous.clone()?
        } else {
            log.map(|l| l.current.iter().cloned().collect())
                .unwrap_or_default()
        };
        let lines: Vec<LogLine> = lines
            .into_iter()
            .filter(|l| since.is_none_or(|s| l.time >= s))
            .collect();
        let skip = tail.map_or(0, |t| lines.len().saturating_sub(t));
        Some(lines.into_iter().skip(skip).collect())
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<(ContainerKey, LogLine)>> {
        self.tx.subscribe()
    }

    /// Forget every container of a deleted pod.
    pub fn remove_pod(&self, namespace: &str, pod: &str) {
        self.pods
            .lock()
            .remove(&(namespace.to_string(), pod.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> ContainerKey {
        ("default".into(), "web-0".into(), "web".into())
    }

    #[test]
    fn tail_since_and_previous() {
        let logs = PodLogs::new();
        let t0 = Utc::now();
        for i in 0..5 {
            logs.append(
                key(),
                t0 + chrono::Duration::seconds(i),
                format!("line {i}"),
            );
        }
        let tail = logs.read(&key(), false, Some(2), None).expect("lines");
        assert_eq!(
            tail.iter().map(|l| l.text.as_str()).collect::<Vec<_>>(),
            vec!["line 3", "line 4"]
        );
        let since = logs
            .read(&key(), false, None, Some(t0 + chrono::Duration::seconds(3)))
            .expect("lines");
        assert_eq!(since.len(), 2);
        assert!(logs.read(&key(), true, None, None).is_none());
        logs.restart(&key());
        assert_eq!(
            logs.read(&key(), true, None, None).expect("previous").len(),
            5
        );
        assert!(
            logs.read(&key(), false, None, None)
                .expect("current")
                .is_empty()
        );
    }

    #[test]
    fn bounded_per_container() {
        let logs = PodLogs::new();
        for i in 0..(LINES_PER_CONTAINER + 10) {
            logs.append(key(), Utc::now(), format!("{i}"));
        }
        assert_eq!(
            logs.read(&key(), false, None, None).expect("lines").len(),
            LINES_PER_CONTAINER
        );
    }
}

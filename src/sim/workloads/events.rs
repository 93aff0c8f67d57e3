//! core/v1 Events as the components record them: a repeat of the same event increments its
//! `count` and `lastTimestamp` (client-go's event correlator), and memory stays bounded: a
//! rate budget per cluster (Normal events are dropped first), a TTL like the API server's
//! `--event-ttl`, and a cap per namespace.

use std::collections::{HashMap, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::time::Instant;

use super::pod::{Key, Stamp, render_stamp};
use super::writer::{Counters, Writer};
use crate::sim::api::Part;

/// What an event is about.
#[derive(Debug, Clone)]
pub struct Involved {
    pub api_version: &'static str,
    pub kind: &'static str,
    /// Empty for cluster-scoped objects (their events live in `default`).
    pub namespace: Arc<str>,
    pub name: Arc<str>,
    pub uid: Arc<str>,
    /// `spec.containers{web}` for container events.
    pub field_path: Option<String>,
}

impl Involved {
    /// A whole object (no field path), keyed `(namespace, name)`.
    pub fn object(
        api_version: &'static str,
        kind: &'static str,
        key: &Key,
        uid: &Arc<str>,
    ) -> Self {
        Involved {
            api_version,
            kind,
            namespace: key.0.clone(),
            name: key.1.clone(),
            uid: uid.clone(),
            field_path: None,
        }
    }
}

/// Who reports it: `source.component` / `reportingComponent`, and the node for the kubelet.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    pub component: &'static str,
    pub host: Option<&'a str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Severity {
    Normal,
    Warning,
}

impl Severity {
    fn as_str(self) -> &'static str {
        match self {
            Severity::Normal => "Normal",
            Severity::Warning => "Warning",
        }
    }
}

/// Limits on the events one cluster keeps.
#[derive(Debug, Clone)]
pub struct EventLimits {
    /// Event writes per real second, sustained.
    pub rate: f64,
    /// Event writes allowed in a burst.
    pub burst: f64,
    /// How long an event lives after its last occurrence (real time).
    pub ttl: Duration,
    /// Most events kept per namespace; the oldest go first.
    pub per_namespace: usize,
}

struct LiveEvent {
    namespace: Arc<str>,
    name: String,
    count: u32,
    last: Instant,
}

/// A token bucket: Warnings may use every token, Normal events leave a reserve for them.
struct Budget {
    tokens: f64,
    rate: f64,
    burst: f64,
    refilled: Instant,
}

impl Budget {
    fn take(&mut self, severity: Severity, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.refilled).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        self.refilled = now;
        let reserve = match severity {
            Severity::Warning => 0.0,
            Severity::Normal => self.burst * 0.2,
        };
        if self.tokens >= 1.0 + reserve {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Records, correlates and expires the events of one cluster.
pub struct EventRecorder {
    live: HashMap<u64, LiveEvent>,
    by_namespace: HashMap<Arc<str>, VecDeque<u64>>,
    budget: Budget,
    limits: EventLimits,
    serial: u64,
}

impl EventRecorder {
    pub fn new(limits: EventLimits) -> Self {
        Self {
            live: HashMap::new(),
            by_namespace: HashMap::new(),
            budget: Budget {
                tokens: limits.burst,
                rate: limits.rate,
                burst: limits.burst,
                refilled: Instant::now(),
            },
            limits,
            serial: 0,
        }
    }

    pub fn set_rate(&mut self, rate: f64) {
        self.budget.rate = rate.max(0.0);
    }

    /// Records one occurrence. Returns false when the budget dropped it.
    pub fn record(
        &mut self,
        writer: &Writer,
        involved: &Involved,
        severity: Severity,
        reason: &str,
        message: &str,
        source: Source<'_>,
    ) -> bool {
        let now = Instant::now();
        if !self.budget.take(severity, now) {
            Counters::add(&writer.counters.events_dropped, 1);
            return false;
        }
        let namespace: Arc<str> = if involved.namespace.is_empty() {
            Arc::from("default")
        } else {
            involved.namespace.clone()
        };
        let key = correlation_key(&namespace, involved, severity, reason, message, source);
        let stamp = super::pod::now_stamp();
        if let Some(live) = self.live.get_mut(&key) {
            let patch = json!({"count": live.count + 1, "lastTimestamp": render_stamp(stamp)});
            let updated = writer.merge(
                &writer.types.events,
                &live.namespace,
                &live.name,
                &patch,
                Part::Main,
                source.component,
            );
            if updated.is_ok() {
                live.count += 1;
                live.last = now;
                Counters::add(&writer.counters.events_recorded, 1);
                return true;
            }
            // Deleted behind our back: record it afresh.
            self.live.remove(&key);
        }
        self.serial += 1;
        let name = format!(
            "{}.{:x}",
            involved.name,
            (stamp as u64).wrapping_mul(1_000_000_000) + self.serial
        );
        let event = render_event(
            &name, &namespace, involved, severity, reason, message, source, stamp,
        );
        if writer
            .create(&writer.types.events, &namespace, event, source.component)
            .is_err()
        {
            return false;
        }
        Counters::add(&writer.counters.events_recorded, 1);
        self.live.insert(
            key,
            LiveEvent {
                namespace: namespace.clone(),
                name,
                count: 1,
                last: now,
            },
        );
        let queue = self.by_namespace.entry(namespace).or_default();
        queue.push_back(key);
        while queue.len() > self.limits.per_namespace {
            if let Some(old) = queue.pop_front()
                && let Some(gone) = self.live.remove(&old)
            {
                writer.expire_event(&gone.namespace, &gone.name);
            }
        }
        true
    }

    /// Deletes events not seen for longer than the TTL.
    pub fn expire(&mut self, writer: &Writer) {
        let now = Instant::now();
        let ttl = self.limits.ttl;
        for queue in self.by_namespace.values_mut() {
            // Each key is looked at once: recent ones rotate to the back.
            for _ in 0..queue.len() {
                let Some(key) = queue.front().copied() else {
                    break;
                };
                match self.live.get(&key) {
                    None => {
                        queue.pop_front();
                    }
                    Some(live) if now.saturating_duration_since(live.last) >= ttl => {
                        queue.pop_front();
                        if let Some(gone) = self.live.remove(&key) {
                            writer.expire_event(&gone.namespace, &gone.name);
                        }
                    }
                    Some(_) => {
                        queue.pop_front();
                        queue.push_back(key);
                    }
                }
            }
        }
        self.by_namespace.retain(|_, q| !q.is_empty());
    }
}

fn correlation_key(
    namespace: &str,
    involved: &Involved,
    severity: Severity,
    reason: &str,
    message: &str,
    source: Source<'_>,
) -> u64 {
    let mut h = DefaultHasher::new();
    (
        namespace,
        &*involved.uid,
        &*involved.name,
        involved.kind,
        &involved.field_path,
        severity,
        reason,
        message,
        source.component,
        source.host,
    )
        .hash(&mut h);
    h.finish()
}

#[allow(clippy::too_many_arguments)]
fn render_event(
    name: &str,
    namespace: &str,
    involved: &Involved,
    severity: Severity,
    reason: &str,
    message: &str,
    source: Source<'_>,
    stamp: Stamp,
) -> Value {
    let mut object = json!({
        "apiVersion": involved.api_version,
        "kind": involved.kind,
        "name": &*involved.name,
        "uid": &*involved.uid,
    });
    if !involved.namespace.is_empty() {
        object["namespace"] = json!(&*involved.namespace);
    }
    if let Some(path) = &involved.field_path {
        object["fieldPath"] = json!(path);
    }
    let mut source_json = json!({"component": source.component});
    if let Some(host) = source.host {
        source_json["host"] = json!(host);
    }
    let at = render_stamp(stamp);
    json!({
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": namespace},
        "involvedObject": object,
        "reason": reason,
        "message": message,
        "source": source_json,
        "firstTimestamp": at,
        "lastTimestamp": at,
        "count": 1,
        "type": severity.as_str(),
        "eventTime": null,
        "reportingComponent": source.component,
        "reportingInstance": source.host.unwrap_or(""),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_events_leave_a_reserve_for_warnings() {
        let now = Instant::now();
        let mut budget = Budget {
            tokens: 10.0,
            rate: 0.0,
            burst: 10.0,
            refilled: now,
        };
        let normal = (0..20)
            .filter(|_| budget.take(Severity::Normal, now))
            .count();
        assert_eq!(normal, 8);
        let warnings = (0..20)
            .filter(|_| budget.take(Severity::Warning, now))
            .count();
        assert_eq!(warnings, 2);
    }

    #[test]
    fn budget_refills_with_time() {
        let now = Instant::now();
        let mut budget = Budget {
            tokens: 0.0,
            rate: 10.0,
            burst: 10.0,
            refilled: now,
        };
        assert!(!budget.take(Severity::Warning, now));
        assert!(budget.take(Severity::Warning, now + Duration::from_millis(500)));
    }

    #[test]
    fn events_render_with_their_source_and_object() {
        let involved = Involved {
            api_version: "v1",
            kind: "Pod",
            namespace: Arc::from("ns"),
            name: Arc::from("web-1"),
            uid: Arc::from("u"),
            field_path: Some("spec.containers{web}".into()),
        };
        let source = Source {
            component: "kubelet",
            host: Some("n1"),
        };
        let event = render_event(
            "web-1.1",
            "ns",
            &involved,
            Severity::Warning,
            "BackOff",
            "Back-off restarting failed container web in pod web-1_ns(u)",
            source,
            1_700_000_000,
        );
        assert_eq!(event["involvedObject"]["fieldPath"], "spec.containers{web}");
        assert_eq!(event["source"]["host"], "n1");
        assert_eq!(event["reportingComponent"], "kubelet");
        assert_eq!(event["type"], "Warning");
        assert_eq!(event["count"], 1);
        let a = correlation_key("ns", &involved, Severity::Warning, "BackOff", "m", source);
        let b = correlation_key("ns", &involved, Severity::Warning, "BackOff", "m", source);
        let c = correlation_key("ns", &involved, Severity::Warning, "BackOff", "n", source);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}

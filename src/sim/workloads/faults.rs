//! Fault behaviours a scenario asks for through annotations on a pod template (copied onto
//! every pod) or on a Node, and how they are read.

use std::time::Duration;

use serde_json::Value;

/// Containers crash shortly after starting, forever: `"true"` for every container, or a
/// comma-separated list of container names. Gives CrashLoopBackOff with a growing
/// restartCount, `lastState.terminated`, Warning BackOff events and a crash log tail.
pub const CRASH_LOOP: &str = "sim.k8tre.io/crash-loop";
/// How long a crash-looping container runs before it dies (Go duration, default 3s).
pub const CRASH_AFTER: &str = "sim.k8tre.io/crash-after";
/// Exit code of a crashing container (default 1; 137 is reported as OOMKilled).
pub const EXIT_CODE: &str = "sim.k8tre.io/exit-code";
/// Image pulls fail: `"true"` or a comma-separated list of container names.
/// Gives ErrImagePull / ImagePullBackOff and Warning Failed events.
pub const IMAGE_PULL_ERROR: &str = "sim.k8tre.io/image-pull-error";
/// Containers become ready only this long after they start (Go duration, e.g. `"30s"`),
/// with Warning Unhealthy events meanwhile.
pub const READY_AFTER: &str = "sim.k8tre.io/ready-after";
/// Containers run but never become ready (any value except `"false"`).
pub const NEVER_READY: &str = "sim.k8tre.io/never-ready";
/// How long the containers of a `restartPolicy: Never/OnFailure` pod (a hook, a one-off
/// task) run before exiting 0 (Go duration; default `WorkloadOptions::run_to_completion`).
pub const RUN_FOR: &str = "sim.k8tre.io/run-for";
/// On a Node: the node goes NotReady (value `"true"`, or the message to report). Removing
/// the annotation makes it Ready again.
pub const NODE_NOT_READY: &str = "sim.k8tre.io/not-ready";

/// Which containers of a pod a fault applies to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Targets {
    #[default]
    None,
    All,
    Named(Vec<String>),
}

impl Targets {
    fn parse(value: Option<&str>) -> Targets {
        match value.map(str::trim) {
            None | Some("") | Some("false") => Targets::None,
            Some("true") => Targets::All,
            Some(list) => Targets::Named(
                list.split([',', '|'])
                    .map(str::trim)
                    .filter(|s| !s.is_empty() && *s != "true")
                    .map(str::to_string)
                    .collect(),
            ),
        }
    }

    pub fn includes(&self, container: &str) -> bool {
        match self {
            Targets::None => false,
            Targets::All => true,
            Targets::Named(names) => names.iter().any(|n| n == container),
        }
    }
}

/// The faults of one pod, read from its annotations.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PodFaults {
    pub crash: Targets,
    pub crash_after: Option<Duration>,
    pub exit_code: i32,
    pub image_pull_error: Targets,
    pub ready_after: Option<Duration>,
    pub never_ready: bool,
    pub run_for: Option<Duration>,
}

impl PodFaults {
    /// Reads the fault annotations of a pod object.
    pub fn of_pod(pod: &Value) -> PodFaults {
        let annotation = |key: &str| {
            pod.pointer("/metadata/annotations")
                .and_then(|a| a.get(key))
                .and_then(Value::as_str)
        };
        PodFaults {
            crash: Targets::parse(annotation(CRASH_LOOP)),
            crash_after: annotation(CRASH_AFTER).and_then(parse_duration),
            exit_code: annotation(EXIT_CODE)
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(1),
            image_pull_error: Targets::parse(annotation(IMAGE_PULL_ERROR)),
            ready_after: annotation(READY_AFTER).and_then(parse_duration),
            never_ready: annotation(NEVER_READY).is_some_and(|v| v.trim() != "false"),
            run_for: annotation(RUN_FOR).and_then(parse_duration),
        }
    }

    /// True when no annotation changes how this pod behaves (it may take part in churn).
    pub fn is_none(&self) -> bool {
        self.crash == Targets::None
            && self.image_pull_error == Targets::None
            && self.ready_after.is_none()
            && !self.never_ready
            && self.run_for.is_none()
    }
}

/// The NotReady message a node annotation asks for, if any.
pub fn node_not_ready(node: &Value) -> Option<String> {
    let value = node
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(NODE_NOT_READY))
        .and_then(Value::as_str)?
        .trim();
    match value {
        "false" => None,
        "" | "true" => Some(
            "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized"
                .to_string(),
        ),
        message => Some(message.to_string()),
    }
}

/// A Go duration: `300ms`, `30s`, `2m`, `1h30m`, `1.5s`. A bare number means seconds.
pub fn parse_duration(text: &str) -> Option<Duration> {
    if let Ok(seconds) = text.trim().parse::<f64>() {
        return (seconds >= 0.0 && seconds.is_finite()).then(|| Duration::from_secs_f64(seconds));
    }
    crate::sim::clock::parse_go_duration(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn durations_parse_like_go() {
        assert_eq!(parse_duration("30s"), Some(Duration::from_secs(30)));
        assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_duration("7"), Some(Duration::from_secs(7)));
        assert_eq!(parse_duration("soon"), None);
        assert_eq!(parse_duration("5x"), None);
        assert_eq!(parse_duration(""), None);
        assert_eq!(parse_duration("-3"), None);
    }

    #[test]
    fn pod_faults_read_their_annotations() {
        let pod = json!({"metadata": {"annotations": {
            CRASH_LOOP: "web|true", EXIT_CODE: "137", IMAGE_PULL_ERROR: "sidecar",
            READY_AFTER: "30s", NEVER_READY: "", RUN_FOR: "1m"
        }}});
        let faults = PodFaults::of_pod(&pod);
        assert!(faults.crash.includes("web"));
        assert!(!faults.crash.includes("sidecar"));
        assert!(faults.image_pull_error.includes("sidecar"));
        assert_eq!(faults.exit_code, 137);
        assert_eq!(faults.ready_after, Some(Duration::from_secs(30)));
        assert!(faults.never_ready);
        assert_eq!(faults.run_for, Some(Duration::from_secs(60)));
        assert!(!faults.is_none());

        let all = PodFaults::of_pod(&json!({"metadata": {"annotations": {CRASH_LOOP: "true"}}}));
        assert!(all.crash.includes("anything"));
        assert_eq!(all.exit_code, 1);
        assert!(PodFaults::of_pod(&json!({"metadata": {}})).is_none());
        let off = PodFaults::of_pod(
            &json!({"metadata": {"annotations": {NEVER_READY: "false", CRASH_LOOP: "false"}}}),
        );
        assert!(off.is_none());
    }

    #[test]
    fn node_annotation_gives_a_message() {
        let node = |v: &str| json!({"metadata": {"annotations": {NODE_NOT_READY: v}}});
        assert!(
            node_not_ready(&node("true"))
                .expect("not ready")
                .contains("NetworkReady=false")
        );
        assert_eq!(
            node_not_ready(&node("PLEG is not healthy")).as_deref(),
            Some("PLEG is not healthy")
        );
        assert_eq!(node_not_ready(&node("false")), None);
        assert_eq!(node_not_ready(&json!({"metadata": {}})), None);
    }
}

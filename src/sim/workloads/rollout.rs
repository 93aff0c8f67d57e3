//! The deployment controller's arithmetic, as in `pkg/controller/deployment`: how far the new
//! ReplicaSet may scale up (`maxSurge`) and the old ones down (`maxUnavailable`) in one step.

use serde_json::Value;

/// What the rollout needs to know about one ReplicaSet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RsCounts {
    /// `spec.replicas`
    pub spec: i64,
    /// `status.availableReplicas`
    pub available: i64,
}

/// Resolves an IntOrString (`3` or `"25%"`) against `total`; percentages round up or down.
pub fn int_or_percent(value: Option<&Value>, default: &str, total: i64, round_up: bool) -> i64 {
    let parse_percent = |s: &str| -> Option<i64> {
        let pct: f64 = s.strip_suffix('%')?.trim().parse().ok()?;
        let exact = pct * total as f64 / 100.0;
        Some(if round_up {
            exact.ceil() as i64
        } else {
            exact.floor() as i64
        })
    };
    match value {
        Some(Value::Number(n)) => n.as_i64().unwrap_or(0).max(0),
        Some(Value::String(s)) => parse_percent(s)
            .or_else(|| s.trim().parse().ok())
            .unwrap_or(0)
            .max(0),
        _ => parse_percent(default).unwrap_or(0),
    }
}

/// `(maxSurge, maxUnavailable)` of a Deployment's strategy for `replicas` desired pods
/// (`ResolveFenceposts`): both zero is not allowed, so unavailable becomes 1. A Recreate
/// strategy has neither.
pub fn fenceposts(strategy: Option<&Value>, replicas: i64) -> (i64, i64) {
    let kind = strategy
        .and_then(|s| s.get("type"))
        .and_then(Value::as_str)
        .unwrap_or("RollingUpdate");
    if kind != "RollingUpdate" {
        return (0, 0);
    }
    let rolling = strategy.and_then(|s| s.get("rollingUpdate"));
    let surge = int_or_percent(
        rolling.and_then(|r| r.get("maxSurge")),
        "25%",
        replicas,
        true,
    );
    let unavailable = int_or_percent(
        rolling.and_then(|r| r.get("maxUnavailable")),
        "25%",
        replicas,
        false,
    );
    if surge == 0 && unavailable == 0 {
        (0, 1)
    } else {
        (surge, unavailable.min(replicas))
    }
}

/// `NewRSNewReplicas` for a rolling update: the new ReplicaSet's next size.
pub fn new_rs_target(desired: i64, max_surge: i64, new_spec: i64, all_spec: i64) -> i64 {
    if new_spec >= desired {
        return desired;
    }
    let max_total = desired + max_surge;
    if all_spec >= max_total {
        return new_spec;
    }
    let scale_up = (max_total - all_spec).min(desired - new_spec);
    new_spec + scale_up
}

/// `reconcileOldReplicaSets`: new sizes for the old ReplicaSets (given oldest first). First
/// unhealthy replicas are cleaned up, then available ones are scaled down as far as
/// `maxUnavailable` allows.
pub fn old_rs_targets(
    desired: i64,
    max_unavailable: i64,
    new: &RsCounts,
    olds: &[RsCounts],
) -> Vec<i64> {
    let mut targets: Vec<i64> = olds.iter().map(|o| o.spec).collect();
    let old_pods: i64 = targets.iter().sum();
    if old_pods == 0 {
        return targets;
    }
    let all_pods = old_pods + new.spec;
    let min_available = desired - max_unavailable;
    let new_unavailable = (new.spec - new.available).max(0);
    let max_scaled_down = all_pods - min_available - new_unavailable;
    if max_scaled_down <= 0 {
        return targets;
    }
    // Cleanup of old replicas that are not available anyway.
    let mut cleaned = 0;
    for (target, old) in targets.iter_mut().zip(olds) {
        if cleaned >= max_scaled_down {
            break;
        }
        let unhealthy = (*target - old.available).max(0);
        if *target == 0 || unhealthy == 0 {
            continue;
        }
        let down = (max_scaled_down - cleaned).min(unhealthy);
        *target -= down;
        cleaned += down;
    }
    // Scale down of available old replicas, keeping minAvailable.
    let available: i64 = olds.iter().map(|o| o.available).sum::<i64>() + new.available;
    if available <= min_available {
        return targets;
    }
    let budget = available - min_available;
    let mut done = 0;
    for target in targets.iter_mut() {
        if done >= budget {
            break;
        }
        if *target == 0 {
            continue;
        }
        let down = (*target).min(budget - done);
        *target -= down;
        done += down;
    }
    targets
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn percentages_round_like_kubernetes() {
        assert_eq!(int_or_percent(Some(&json!("25%")), "0%", 3, true), 1);
        assert_eq!(int_or_percent(Some(&json!("25%")), "0%", 3, false), 0);
        assert_eq!(int_or_percent(Some(&json!(2)), "0%", 3, false), 2);
        assert_eq!(int_or_percent(None, "25%", 10, true), 3);
        assert_eq!(int_or_percent(Some(&json!("4")), "0%", 10, true), 4);
    }

    #[test]
    fn fenceposts_never_both_zero() {
        assert_eq!(fenceposts(None, 3), (1, 0));
        assert_eq!(
            fenceposts(Some(&json!({"type": "RollingUpdate"})), 4),
            (1, 1)
        );
        assert_eq!(
            fenceposts(
                Some(
                    &json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}})
                ),
                3
            ),
            (0, 1)
        );
        assert_eq!(fenceposts(Some(&json!({"type": "Recreate"})), 3), (0, 0));
    }

    #[test]
    fn one_step_of_a_three_replica_rollout() {
        // 3 desired, surge 1, unavailable 0: new scales to 1, old stays until it is available.
        assert_eq!(new_rs_target(3, 1, 0, 3), 1);
        let new = RsCounts {
            spec: 1,
            available: 0,
        };
        let old = [RsCounts {
            spec: 3,
            available: 3,
        }];
        assert_eq!(old_rs_targets(3, 0, &new, &old), vec![3]);
        let new = RsCounts {
            spec: 1,
            available: 1,
        };
        assert_eq!(old_rs_targets(3, 0, &new, &old), vec![2]);
    }

    #[test]
    fn unhealthy_old_replicas_go_first() {
        let new = RsCounts {
            spec: 2,
            available: 2,
        };
        let olds = [
            RsCounts {
                spec: 2,
                available: 0,
            },
            RsCounts {
                spec: 2,
                available: 2,
            },
        ];
        let targets = old_rs_targets(4, 1, &new, &olds);
        assert_eq!(targets[0], 0, "crash-looping old replicas are removed");
    }

    proptest! {
        /// A rollout with instantly available pods never exceeds desired + surge pods, never
        /// drops below desired - unavailable available pods, and finishes.
        #[test]
        fn rollouts_respect_fenceposts_and_finish(
            desired in 0i64..30,
            surge in 0i64..5,
            unavailable in 0i64..5,
            old_sizes in proptest::collection::vec(0i64..30, 1..4),
        ) {
            let (surge, unavailable) = if surge == 0 && unavailable == 0 { (0, 1) } else { (surge, unavailable.min(desired)) };
            let mut olds: Vec<RsCounts> = old_sizes.iter().map(|&s| RsCounts { spec: s, available: s }).collect();
            let mut new = RsCounts { spec: 0, available: 0 };
            let start_total: i64 = olds.iter().map(|o| o.spec).sum();
            for _ in 0..500 {
                let all: i64 = olds.iter().map(|o| o.spec).sum::<i64>() + new.spec;
                new.spec = new_rs_target(desired, surge, new.spec, all);
                let total: i64 = olds.iter().map(|o| o.spec).sum::<i64>() + new.spec;
                prop_assert!(total <= (desired + surge).max(start_total));
                let targets = old_rs_targets(desired, unavailable, &new, &olds);
                for (o, t) in olds.iter_mut().zip(targets) {
                    prop_assert!(t <= o.spec && t >= 0);
                    o.spec = t;
                }
                // Pods come up and go away instantly.
                new.available = new.spec;
                for o in olds.iter_mut() { o.available = o.spec; }
                let available: i64 = olds.iter().map(|o| o.available).sum::<i64>() + new.available;
                prop_assert!(available >= (desired - unavailable).min(start_total).min(desired));
                if new.spec == desired && olds.iter().all(|o| o.spec == 0) { break; }
            }
            prop_assert_eq!(new.spec, desired);
            prop_assert!(olds.iter().all(|o| o.spec == 0));
        }
    }
}

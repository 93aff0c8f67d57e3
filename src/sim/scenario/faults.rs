//! Fault specifications given on the command line: `CLUSTER=FAULT[:ARG]`.

use std::fmt;
use std::time::Duration;

use crate::sim::faults::Faults;

/// One fault to put on a cluster.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Close the listener: connections are refused.
    Refuse,
    /// Accept connections, never answer.
    Hang,
    /// Answer this share of requests with 503.
    ErrorRate(f64),
    /// Delay every answer.
    Latency(Duration),
}

/// A fault and the cluster it applies to.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultSpec {
    pub cluster: String,
    pub fault: Fault,
}

impl Fault {
    pub fn apply(&self, faults: &Faults) {
        match self {
            Fault::Refuse => faults.set_refuse(true),
            Fault::Hang => faults.set_hang(true),
            Fault::ErrorRate(rate) => faults.set_error_rate(*rate),
            Fault::Latency(d) => faults.set_latency(*d),
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Refuse => write!(f, "refuse"),
            Fault::Hang => write!(f, "hang"),
            Fault::ErrorRate(r) => write!(f, "error-rate:{r}"),
            Fault::Latency(d) => write!(f, "latency:{}ms", d.as_millis()),
        }
    }
}

fn parse_duration(text: &str) -> Option<Duration> {
    if let Some(ms) = text.strip_suffix("ms") {
        return ms.parse().ok().map(Duration::from_millis);
    }
    if let Some(s) = text.strip_suffix('s') {
        return s
            .parse::<f64>()
            .ok()
            .filter(|s| *s >= 0.0)
            .map(Duration::from_secs_f64);
    }
    text.parse().ok().map(Duration::from_millis)
}

impl std::str::FromStr for FaultSpec {
    type Err = String;

    /// `stg=refuse`, `dev=hang`, `prd=error-rate:0.1`, `dev=latency:200ms`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let usage = "expected CLUSTER=refuse|hang|error-rate:RATE|latency:DURATION";
        let (cluster, fault) = text
            .split_once('=')
            .ok_or_else(|| format!("{text:?}: {usage}"))?;
        let (name, arg) = match fault.split_once(':') {
            Some((n, a)) => (n, Some(a)),
            None => (fault, None),
        };
        let fault = match (name, arg) {
            ("refuse", None) => Fault::Refuse,
            ("hang", None) => Fault::Hang,
            ("error-rate", Some(a)) => Fault::ErrorRate(
                a.parse::<f64>()
                    .ok()
                    .filter(|r| (0.0..=1.0).contains(r))
                    .ok_or_else(|| format!("{text:?}: the error rate must be between 0 and 1"))?,
            ),
            ("latency", Some(a)) => Fault::Latency(
                parse_duration(a)
                    .ok_or_else(|| format!("{text:?}: bad duration {a:?} (e.g. 200ms, 2s)"))?,
            ),
            _ => return Err(format!("{text:?}: {usage}")),
        };
        if cluster.is_empty() {
            return Err(format!("{text:?}: {usage}"));
        }
        Ok(FaultSpec {
            cluster: cluster.to_string(),
            fault,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_fault() {
        let spec: FaultSpec = "stg=refuse".parse().expect("refuse");
        assert_eq!(
            (spec.cluster.as_str(), &spec.fault),
            ("stg", &Fault::Refuse)
        );
        assert_eq!(
            "dev=latency:200ms"
                .parse::<FaultSpec>()
                .expect("latency")
                .fault,
            Fault::Latency(Duration::from_millis(200))
        );
        assert_eq!(
            "dev=latency:2s"
                .parse::<FaultSpec>()
                .expect("latency")
                .fault,
            Fault::Latency(Duration::from_secs(2))
        );
        assert_eq!(
            "prd=error-rate:0.25"
                .parse::<FaultSpec>()
                .expect("rate")
                .fault,
            Fault::ErrorRate(0.25)
        );
        assert!("prd=error-rate:2".parse::<FaultSpec>().is_err());
        assert!("prd".parse::<FaultSpec>().is_err());
        assert!("=hang".parse::<FaultSpec>().is_err());
        assert!("dev=explode".parse::<FaultSpec>().is_err());
    }

    #[test]
    fn applying_sets_the_fault() {
        let faults = Faults::new();
        Fault::Refuse.apply(&faults);
        assert!(faults.refusing());
        Fault::Latency(Duration::from_millis(5)).apply(&faults);
        assert_eq!(faults.latency(), Duration::from_millis(5));
    }
}

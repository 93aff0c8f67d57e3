//! Services of type LoadBalancer get an external address from the (simulated) cloud
//! controller after a delay; a Service that stops being one loses it.

use std::net::Ipv4Addr;
use std::sync::Arc;

use serde_json::{Value, json};

use super::cache::text;
use super::controller::{Controller, ServiceState, Timer};
use super::events::Involved;
use super::pod::Key;
use super::writer::rv_of;
use crate::sim::store::Entry;

const SERVICE_CONTROLLER: &str = "service-controller";

/// The n-th load balancer address, from 172.18.255.1 downwards (a kind/MetalLB-like pool).
pub fn load_balancer_ip(n: u32) -> Ipv4Addr {
    Ipv4Addr::new(172, 18, (255 - (n / 254) % 200) as u8, (n % 254 + 1) as u8)
}

impl Controller {
    pub fn upsert_service(&mut self, entry: &Entry) {
        let key = self.key(&entry.namespace, &entry.name);
        if self.services.get(&key).is_some_and(|s| s.rv >= entry.rv) {
            return;
        }
        let Ok(obj) = entry.value() else { return };
        let load_balancer = text(&obj, "/spec/type") == "LoadBalancer";
        let has_ingress = obj
            .pointer("/status/loadBalancer/ingress")
            .and_then(Value::as_array)
            .is_some_and(|i| !i.is_empty());
        let uid: Arc<str> = Arc::from(entry.uid.as_str());
        let pending = self
            .services
            .get(&key)
            .is_some_and(|s| s.pending && s.uid == uid);
        self.services.insert(
            key.clone(),
            ServiceState {
                uid,
                rv: entry.rv,
                load_balancer,
                has_ingress,
                pending,
            },
        );
        if load_balancer != has_ingress {
            self.queues.services.push(key);
        }
    }

    fn service_event(&mut self, key: &Key, reason: &str, message: &str) {
        let Some(state) = self.services.get(key) else {
            return;
        };
        let involved = Involved::object("v1", "Service", key, &state.uid);
        self.controller_event(&involved, SERVICE_CONTROLLER, reason, message);
    }

    pub fn reconcile_service(&mut self, key: &Key) {
        let Some(state) = self.services.get(key) else {
            return;
        };
        match (state.load_balancer, state.has_ingress, state.pending) {
            (true, false, false) => {
                if let Some(s) = self.services.get_mut(key) {
                    s.pending = true;
                }
                self.service_event(key, "EnsuringLoadBalancer", "Ensuring load balancer");
                let delay = self.rng.jitter(self.opts.load_balancer_delay, 0.3);
                self.schedule(delay, Timer::LoadBalancer(key.clone()));
            }
            (false, true, _) => {
                let services = self.w.types.services.clone();
                if let Ok(written) = self.status_write(
                    &services,
                    key,
                    json!({"loadBalancer": {}}),
                    SERVICE_CONTROLLER,
                ) && let Some(s) = self.services.get_mut(key)
                {
                    s.has_ingress = false;
                    s.rv = s.rv.max(rv_of(&written));
                }
                self.service_event(key, "DeletedLoadBalancer", "Deleted load balancer");
            }
            _ => {}
        }
    }

    pub fn provision_load_balancer(&mut self, key: &Key) {
        let Some(state) = self.services.get_mut(key) else {
            return;
        };
        state.pending = false;
        if !state.load_balancer || state.has_ingress {
            return;
        }
        let ip = load_balancer_ip(self.next_lb_ip);
        self.next_lb_ip += 1;
        let status =
            json!({"loadBalancer": {"ingress": [{"ip": ip.to_string(), "ipMode": "VIP"}]}});
        let services = self.w.types.services.clone();
        match self.status_write(&services, key, status, SERVICE_CONTROLLER) {
            Ok(written) => {
                if let Some(s) = self.services.get_mut(key) {
                    s.has_ingress = true;
                    s.rv = s.rv.max(rv_of(&written));
                }
                self.service_event(key, "EnsuredLoadBalancer", "Ensured load balancer");
            }
            Err(e) if e.code == 404 => {
                self.services.remove(key);
            }
            Err(_) => self.queues.services.push(key.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_balancer_addresses_are_distinct() {
        assert_eq!(load_balancer_ip(0), Ipv4Addr::new(172, 18, 255, 1));
        assert_eq!(load_balancer_ip(253), Ipv4Addr::new(172, 18, 255, 254));
        assert_eq!(load_balancer_ip(254), Ipv4Addr::new(172, 18, 254, 1));
    }
}

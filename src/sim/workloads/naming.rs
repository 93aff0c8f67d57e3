//! Names and identifiers as Kubernetes makes them: the pod-template-hash, random name suffixes,
//! container and image IDs, and a small deterministic random source for the simulation.

use serde_json::Value;

/// The alphabet of Kubernetes' `rand.String` and `rand.SafeEncodeString` (no vowels, no 0/1/3).
const ALPHANUMS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// 32-bit FNV-1a, the hash the deployment controller uses for pod templates.
pub fn fnv32a(bytes: &[u8]) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for b in bytes {
        hash ^= u32::from(*b);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

/// 64-bit FNV-1a, for derived identifiers (image digests, container IDs).
pub fn fnv64a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// `rand.SafeEncodeString`: maps every character onto the safe alphabet.
pub fn safe_encode(s: &str) -> String {
    s.chars()
        .map(|c| ALPHANUMS[(c as usize) % ALPHANUMS.len()] as char)
        .collect()
}

/// JSON with object keys sorted at every level, so equal templates hash equally whatever
/// order a client sent their fields in.
fn canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String((*k).clone()).to_string());
                out.push(':');
                canonical(&map[k.as_str()], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The `pod-template-hash` of a pod template (and collision count), like
/// `controller.ComputeHash`: FNV-32a, printed in decimal, safe-encoded.
pub fn template_hash(template: &Value, collision_count: u32) -> String {
    let mut text = String::new();
    canonical(template, &mut text);
    if collision_count > 0 {
        text.push_str(&collision_count.to_string());
    }
    safe_encode(&fnv32a(text.as_bytes()).to_string())
}

/// 64 lowercase hex digits derived from `seed` (a sha256-shaped digest).
pub fn hex64(seed: &str) -> String {
    let mut out = String::with_capacity(64);
    let mut h = fnv64a(seed.as_bytes());
    for round in 0..4u64 {
        out.push_str(&format!("{h:016x}"));
        h = fnv64a(&(h ^ round.wrapping_mul(0x9e37_79b9_7f4a_7c15)).to_le_bytes());
    }
    out
}

/// The image reference as the container runtime reports it: `nginx:1.27` becomes
/// `docker.io/library/nginx:1.27`, an untagged image gets `:latest`.
pub fn normalize_image(image: &str) -> String {
    let (first, rest) = match image.split_once('/') {
        Some((first, rest)) => (first, Some(rest)),
        None => (image, None),
    };
    let has_registry =
        rest.is_some() && (first.contains('.') || first.contains(':') || first == "localhost");
    let mut full = match (has_registry, rest) {
        (true, _) => image.to_string(),
        (false, Some(_)) => format!("docker.io/{image}"),
        (false, None) => format!("docker.io/library/{image}"),
    };
    let last = full.rsplit('/').next().unwrap_or_default();
    if !last.contains(':') && !last.contains('@') {
        full.push_str(":latest");
    }
    full
}

/// `imageID` of a pulled image: the repository with a digest derived from the reference.
pub fn image_id(image: &str) -> String {
    let full = normalize_image(image);
    let repo = match full.split_once('@') {
        Some((repo, _)) => repo.to_string(),
        None => {
            let slash = full.rfind('/').map_or(0, |i| i + 1);
            match full[slash..].rfind(':') {
                Some(colon) => full[..slash + colon].to_string(),
                None => full.clone(),
            }
        }
    };
    format!("{repo}@sha256:{}", hex64(&full))
}

/// A small, fast, seedable random source (SplitMix64): the simulation is reproducible for a
/// given seed, and needs nothing cryptographic.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (0 when n is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        (self.next_u64() % n as u64) as usize
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// `base` scaled by a factor in `[1 - spread, 1 + spread]`.
    pub fn jitter(&mut self, base: std::time::Duration, spread: f64) -> std::time::Duration {
        let factor = 1.0 + spread * (2.0 * self.unit() - 1.0);
        base.mul_f64(factor.max(0.0))
    }

    /// `rand.String(n)`: n characters of the safe alphabet, as in generated pod names.
    pub fn suffix(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| ALPHANUMS[self.below(ALPHANUMS.len())] as char)
            .collect()
    }

    pub fn hex(&mut self, digits: usize) -> String {
        let mut out = String::with_capacity(digits + 16);
        while out.len() < digits {
            out.push_str(&format!("{:016x}", self.next_u64()));
        }
        out.truncate(digits);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn fnv_matches_reference_vectors() {
        assert_eq!(fnv32a(b""), 0x811c_9dc5);
        assert_eq!(fnv32a(b"a"), 0xe40c_292c);
        assert_eq!(fnv64a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn safe_encode_uses_the_kubernetes_alphabet() {
        // '0' is 48, 48 % 27 = 21 -> '4'; '9' is 57, 57 % 27 = 3 -> 'f'.
        assert_eq!(safe_encode("09"), "4f");
    }

    #[test]
    fn template_hash_ignores_key_order_and_sees_changes() {
        let a = json!({"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "web", "image": "nginx:1"}]}});
        let b = json!({"spec": {"containers": [{"image": "nginx:1", "name": "web"}]}, "metadata": {"labels": {"app": "web"}}});
        let c = json!({"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "web", "image": "nginx:2"}]}});
        assert_eq!(template_hash(&a, 0), template_hash(&b, 0));
        assert_ne!(template_hash(&a, 0), template_hash(&c, 0));
        assert_ne!(template_hash(&a, 0), template_hash(&a, 1));
        let h = template_hash(&a, 0);
        assert!(h.len() >= 8 && h.len() <= 10, "{h}");
        assert!(h.bytes().all(|b| ALPHANUMS.contains(&b)));
    }

    #[test]
    fn images_are_normalized_like_containerd_reports_them() {
        assert_eq!(
            normalize_image("nginx:1.27"),
            "docker.io/library/nginx:1.27"
        );
        assert_eq!(normalize_image("nginx"), "docker.io/library/nginx:latest");
        assert_eq!(
            normalize_image("bitnami/redis:7"),
            "docker.io/bitnami/redis:7"
        );
        assert_eq!(
            normalize_image("ghcr.io/k8tre/api:v1"),
            "ghcr.io/k8tre/api:v1"
        );
        assert_eq!(
            normalize_image("localhost:5000/app"),
            "localhost:5000/app:latest"
        );
        let id = image_id("nginx:1.27");
        assert!(id.starts_with("docker.io/library/nginx@sha256:"), "{id}");
        assert_eq!(id.len(), "docker.io/library/nginx@sha256:".len() + 64);
        assert_eq!(id, image_id("nginx:1.27"));
        assert_ne!(id, image_id("nginx:1.28"));
    }

    proptest! {
        #[test]
        fn rng_stays_in_range(seed in any::<u64>(), n in 1usize..1000) {
            let mut rng = super::Rng::new(seed);
            for _ in 0..50 {
                prop_assert!(rng.below(n) < n);
                let u = rng.unit();
                prop_assert!((0.0..1.0).contains(&u));
            }
            let s = rng.suffix(5);
            prop_assert_eq!(s.len(), 5);
            prop_assert!(s.bytes().all(|b| ALPHANUMS.contains(&b)));
        }
    }
}

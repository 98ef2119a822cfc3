//! Keyed pseudonymisation of customer ids for BI outputs: HMAC-SHA256 with a secret that only the
//! deployment knows, so dashboards can count and join on a stable id without seeing the real one,
//! and nobody without the key can reverse or recompute it.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

#[derive(Clone)]
pub struct Pseudonymizer {
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for Pseudonymizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.write_str("Pseudonymizer(..)")
    }
}

impl Pseudonymizer {
    /// `None` for an empty key: pseudonymisation is off.
    pub fn new(key: &[u8]) -> Option<Self> {
        if key.is_empty() {
            return None;
        }
        Some(Pseudonymizer {
            mac: Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts any key length"),
        })
    }

    /// `p_` + the first 16 bytes of HMAC-SHA256(key, id), hex: 128 bits, collision-free in practice.
    pub fn pseudonym(&self, id: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(id.as_bytes());
        let tag = mac.finalize().into_bytes();
        let mut out = String::with_capacity(34);
        out.push_str("p_");
        for b in &tag[..16] {
            out.push_str(&format!("{b:02x}"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_rfc_4231_test_case_2() {
        // Key "Jefe", data "what do ya want for nothing?": HMAC-SHA256 starts 5bdcc146bf60754e6a042426089575c7.
        let p = Pseudonymizer::new(b"Jefe").unwrap();
        assert_eq!(
            p.pseudonym("what do ya want for nothing?"),
            "p_5bdcc146bf60754e6a042426089575c7"
        );
    }

    #[test]
    fn stable_per_key_and_distinct_across_keys() {
        let a = Pseudonymizer::new(b"k1").unwrap();
        let b = Pseudonymizer::new(b"k2").unwrap();
        assert_eq!(a.pseudonym("12346"), a.pseudonym("12346"));
        assert_ne!(a.pseudonym("12346"), a.pseudonym("12347"));
        assert_ne!(a.pseudonym("12346"), b.pseudonym("12346"));
        assert!(Pseudonymizer::new(b"").is_none());
        assert_eq!(format!("{a:?}"), "Pseudonymizer(..)");
    }
}

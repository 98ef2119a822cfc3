//! Hashing helpers. Three different needs, three different hashes:
//! - integer keys of the big in-memory maps want speed ([`MixHasher`]);
//! - duplicate detection wants a collision risk low enough to ignore over ~10 M rows
//!   (128-bit [`content_hash`]) but only has to be consistent within one run;
//! - the k-means sample must be the same set of customers on every machine and every Rust
//!   release ([`stable_hash`]), so it uses SHA-256 rather than anything std may change.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, DefaultHasher, Hash, Hasher};

use sha2::{Digest, Sha256};

/// Multiply-xorshift hasher for integer keys. Plain Fx-style multiplication leaves the low bits
/// (which hashbrown uses for the bucket) depending only on the low bits of the key, which is bad
/// for `customer << 32 | product` keys; the finaliser mixes high bits down.
#[derive(Default, Clone, Copy)]
pub(super) struct MixHasher(u64);

const K: u64 = 0x9E37_79B9_7F4A_7C15;

impl Hasher for MixHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(b));
        }
    }

    fn write_u8(&mut self, x: u8) {
        self.write_u64(u64::from(x));
    }

    fn write_u32(&mut self, x: u32) {
        self.write_u64(u64::from(x));
    }

    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(26) ^ x).wrapping_mul(K);
    }

    fn write_usize(&mut self, x: usize) {
        self.write_u64(x as u64);
    }

    fn finish(&self) -> u64 {
        // splitmix64 finaliser
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

pub(super) type MixMap<K, V> = HashMap<K, V, BuildHasherDefault<MixHasher>>;

/// 64-bit SipHash of a string: order ids are arbitrary text, where a weak hash could collide on
/// structured ids of one customer and silently merge two orders.
pub(super) fn str_hash(s: &str) -> u64 {
    let mut h = DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

/// 128 bits from two differently-prefixed SipHash runs: at 10 M rows a 64-bit hash would still
/// leave a small but real chance of dropping a genuine line as a "duplicate".
pub(super) fn content_hash<T: Hash>(value: &T) -> u128 {
    let mut a = DefaultHasher::new();
    0u8.hash(&mut a);
    value.hash(&mut a);
    let mut b = DefaultHasher::new();
    1u8.hash(&mut b);
    value.hash(&mut b);
    (u128::from(a.finish()) << 64) | u128::from(b.finish())
}

pub(super) fn stable_hash(s: &str) -> u64 {
    let d = Sha256::digest(s.as_bytes());
    u64::from_be_bytes(d[..8].try_into().expect("sha256 has 32 bytes"))
}

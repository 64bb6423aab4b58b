//! The one non-cryptographic hash of the crate: FNV-1a, 64 bits.
//!
//! It names cache files and files member and distribution names in lookup tables: a few
//! nanoseconds for a short name, no allocation, a good enough spread for tables that compare
//! equal hashes by name. It is no defence against an attacker: the cache directory's
//! permissions are. Content checks use CRC-32 (`crc32fast`) and SHA-256 (`sha2`).
//!
//! <http://www.isthe.com/chongo/tech/comp/fnv/>

const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME: u64 = 0x0000_0100_0000_01b3;

/// An FNV-1a hash fed piece by piece. Ex) `Fnv64::new().write(b"six").finish()`
#[derive(Debug, Clone, Copy)]
pub struct Fnv64(u64);

impl Default for Fnv64 {
    fn default() -> Self {
        Self::new()
    }
}

impl Fnv64 {
    pub const fn new() -> Self {
        Self(OFFSET_BASIS)
    }

    /// Feeds `data`; returns `self` so calls chain.
    pub fn write(mut self, data: &[u8]) -> Self {
        for &byte in data {
            self.0 ^= u64::from(byte);
            self.0 = self.0.wrapping_mul(PRIME);
        }
        self
    }

    pub const fn finish(self) -> u64 {
        self.0
    }
}

/// FNV-1a of `data`. Ex) `fnv64(b"") == 0xcbf2_9ce4_8422_2325`
pub fn fnv64(data: &[u8]) -> u64 {
    Fnv64::new().write(data).finish()
}

#[cfg(test)]
mod tests {
    use super::{fnv64, Fnv64};

    #[test]
    fn ok_published_vectors() {
        // From the FNV reference test suite.
        assert_eq!(fnv64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn ok_pieces_equal_whole() {
        assert_eq!(
            Fnv64::new().write(b"foo").write(b"bar").finish(),
            fnv64(b"foobar")
        );
    }
}

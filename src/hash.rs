//! The crate's hashes: FNV-1a (64 bits) for lookup tables and cache names, SHA-256 for content.
//!
//! FNV-1a names cache files and files member and distribution names in lookup tables: a few
//! nanoseconds for a short name, no allocation, a good enough spread for tables that compare
//! equal hashes by name. It is no defence against an attacker: the cache directory's
//! permissions are. Content checks use CRC-32 (`crc32fast`, for ZIP members) and
//! [`sha256`] (`sha2`, for `RECORD` digests).
//!
//! <http://www.isthe.com/chongo/tech/comp/fnv/>

use sha2::{Digest as _, Sha256};

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
    /// A hash of nothing yet: the FNV offset basis.
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

    /// The hash of everything fed so far.
    pub const fn finish(self) -> u64 {
        self.0
    }
}

/// FNV-1a of `data`. Ex) `fnv64(b"") == 0xcbf2_9ce4_8422_2325`
pub fn fnv64(data: &[u8]) -> u64 {
    Fnv64::new().write(data).finish()
}

/// The SHA-256 digest of `data`, the hash `RECORD` rows carry for each wheel member.
///
/// <https://packaging.python.org/en/latest/specifications/recording-installed-packages/#the-record-file>
pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

#[cfg(test)]
mod tests {
    use super::{fnv64, sha256, Fnv64};

    fn hex(digest: &[u8]) -> String {
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn ok_sha256_fips_vectors() {
        assert_eq!(
            hex(&sha256(b"")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            hex(&sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

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

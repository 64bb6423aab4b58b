//! The bytecode cache: code compiled from archive sources, kept so a warm import unmarshals.
//!
//! One file per module under `<cache>/bytecode/<wheel file name>-<path hash>/<member hash>.whc`.
//! An entry is valid only for the interpreter's magic number and for the member's CRC-32 and size
//! as the archive's central directory gives them, so the wheel is never hashed; the payload
//! carries its own checksum, so a torn or corrupt entry is ignored (and rewritten), never trusted.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Identifies the file format; bumped when the layout changes.
const FORMAT: &[u8; 5] = b"WHBC2";

/// How old a temporary file must be before it is collected even if its writer seems alive.
const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(600);

/// What an entry must match to be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceStamp<'a> {
    /// The member's name inside the archive. Ex) `six.py`
    pub member: &'a str,
    /// CRC-32 and uncompressed size from the central directory.
    pub crc32: u32,
    pub size: u64,
}

/// The on-disk bytecode cache of one interpreter (one magic number).
#[derive(Debug, Clone)]
pub struct BytecodeCache {
    root: PathBuf,
    magic: [u8; 4],
}

/// The wheel directories one writer has written to. The first write into each collects the
/// temporary files that writers killed mid-write left there; a writer keeps its own record, so
/// no lock is shared between writers (one held across a `fork` would stay held in the child).
#[derive(Debug, Default)]
pub struct WheelDirs(HashSet<PathBuf>);

impl BytecodeCache {
    /// `root` is the private cache directory (already checked); `magic` is `importlib.util.MAGIC_NUMBER`.
    pub fn new(root: &Path, magic: [u8; 4]) -> Self {
        Self {
            root: root.join("bytecode"),
            magic,
        }
    }

    /// The directory of one wheel's entries.
    pub fn wheel_dir(&self, wheel: &Path) -> PathBuf {
        super::cache::wheel_dir(&self.root, wheel)
    }

    /// The file of `member`'s entry inside its wheel's directory.
    fn entry_path(dir: &Path, member: &str) -> PathBuf {
        dir.join(format!("{:016x}.whc", fnv64(member.as_bytes())))
    }

    /// The marshalled code for `stamp`, if a valid entry exists.
    pub fn load(&self, wheel: &Path, stamp: SourceStamp<'_>) -> Option<Vec<u8>> {
        let path = Self::entry_path(&self.wheel_dir(wheel), stamp.member);
        let data = std::fs::read(path).ok()?;
        decode(&data, &self.magic, stamp).map(<[u8]>::to_vec)
    }

    /// Writes an entry atomically (temporary file + rename; no fsync: a torn entry fails its
    /// checksum and is recompiled, so durability would only cost time). `dirs` is the writer's
    /// record of the wheel directories it has written to.
    pub fn store(
        &self,
        dirs: &mut WheelDirs,
        wheel: &Path,
        stamp: SourceStamp<'_>,
        code: &[u8],
    ) -> std::io::Result<()> {
        let dir = self.wheel_dir(wheel);
        let entry = Self::entry_path(&dir, stamp.member);
        if !dirs.0.contains(&dir) {
            super::cache::collect_stale(&dir, STALE_AFTER);
            dirs.0.insert(dir);
        }
        super::cache::write_atomic(&entry, &encode(&self.magic, stamp, code), false)
    }
}

/// Serialises an entry: format, magic, stamp, payload checksum and length, payload.
pub fn encode(magic: &[u8; 4], stamp: SourceStamp<'_>, code: &[u8]) -> Vec<u8> {
    let name = stamp.member.as_bytes();
    let mut out = Vec::with_capacity(40 + name.len() + code.len());
    out.extend_from_slice(FORMAT);
    out.extend_from_slice(magic);
    out.extend_from_slice(&stamp.crc32.to_le_bytes());
    out.extend_from_slice(&stamp.size.to_le_bytes());
    out.extend_from_slice(&(name.len() as u32).to_le_bytes());
    out.extend_from_slice(name);
    out.extend_from_slice(&checksum(code).to_le_bytes());
    out.extend_from_slice(&(code.len() as u64).to_le_bytes());
    out.extend_from_slice(code);
    out
}

/// The payload of a valid entry for `stamp` under `magic`; `None` for anything else.
pub fn decode<'d>(data: &'d [u8], magic: &[u8; 4], stamp: SourceStamp<'_>) -> Option<&'d [u8]> {
    let mut rest = data.strip_prefix(FORMAT.as_slice())?;
    let mut take = |n: usize| -> Option<&'d [u8]> {
        if rest.len() < n {
            return None;
        }
        let (head, tail) = rest.split_at(n);
        rest = tail;
        Some(head)
    };
    if take(4)? != magic {
        return None;
    }
    let crc = u32::from_le_bytes(take(4)?.try_into().ok()?);
    let size = u64::from_le_bytes(take(8)?.try_into().ok()?);
    let name_len = u32::from_le_bytes(take(4)?.try_into().ok()?) as usize;
    let name = take(name_len)?;
    let checksum = u64::from_le_bytes(take(8)?.try_into().ok()?);
    let len = u64::from_le_bytes(take(8)?.try_into().ok()?);
    let payload = take(usize::try_from(len).ok()?)?;
    let valid = crc == stamp.crc32
        && size == stamp.size
        && name == stamp.member.as_bytes()
        && rest.is_empty()
        && self::checksum(payload) == checksum;
    valid.then_some(payload)
}

/// The payload checksum: CRC-32 (SIMD-accelerated by `crc32fast`), since every warm import
/// checks every byte it unmarshals (byte-at-a-time FNV-1a over sympy's 17 MB cost ~5% of its warm
/// import).
fn checksum(payload: &[u8]) -> u64 {
    u64::from(crc32fast::hash(payload))
}

/// FNV-1a, 64 bits: names cache files (not a defence against an attacker:
/// the cache directory's permissions are).
pub fn fnv64(data: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in data {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAGIC: [u8; 4] = [0xa7, 0x0d, 0x0d, 0x0a];

    fn stamp() -> SourceStamp<'static> {
        SourceStamp {
            member: "pkg/mod.py",
            crc32: 0xdead_beef,
            size: 42,
        }
    }

    #[test]
    fn ok_round_trip() {
        let data = encode(&MAGIC, stamp(), b"marshalled code");
        assert_eq!(
            decode(&data, &MAGIC, stamp()),
            Some(&b"marshalled code"[..])
        );
    }

    #[test]
    fn err_stale_or_corrupt_entries_are_ignored() {
        let data = encode(&MAGIC, stamp(), b"marshalled code");
        assert_eq!(
            decode(&data, &[0, 0, 0, 0], stamp()),
            None,
            "other interpreter"
        );
        assert_eq!(
            decode(
                &data,
                &MAGIC,
                SourceStamp {
                    crc32: 1,
                    ..stamp()
                }
            ),
            None,
            "source changed"
        );
        assert_eq!(
            decode(
                &data,
                &MAGIC,
                SourceStamp {
                    size: 43,
                    ..stamp()
                }
            ),
            None,
            "size changed"
        );
        assert_eq!(
            decode(
                &data,
                &MAGIC,
                SourceStamp {
                    member: "pkg/other.py",
                    ..stamp()
                }
            ),
            None
        );
        for cut in 0..data.len() {
            assert_eq!(decode(&data[..cut], &MAGIC, stamp()), None, "torn at {cut}");
        }
        let mut flipped = data.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert_eq!(
            decode(&flipped, &MAGIC, stamp()),
            None,
            "bit flip in payload"
        );
        let mut longer = data.clone();
        longer.push(0);
        assert_eq!(decode(&longer, &MAGIC, stamp()), None, "trailing bytes");
    }

    #[test]
    fn ok_store_and_load() {
        let root = std::env::temp_dir().join(format!("wheelhook-bytecode-{}", std::process::id()));
        let cache = BytecodeCache::new(&root, MAGIC);
        let wheel = Path::new("/store/pkg-1.0-py3-none-any.whl");
        assert_eq!(cache.load(wheel, stamp()), None);
        cache
            .store(&mut WheelDirs::default(), wheel, stamp(), b"code")
            .unwrap();
        assert_eq!(cache.load(wheel, stamp()).as_deref(), Some(&b"code"[..]));
        assert_eq!(
            cache.load(
                wheel,
                SourceStamp {
                    crc32: 7,
                    ..stamp()
                }
            ),
            None
        );
        assert!(cache.wheel_dir(wheel).starts_with(root.join("bytecode")));
        std::fs::remove_dir_all(&root).unwrap();
    }
}

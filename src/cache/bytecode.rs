//! The bytecode cache: code compiled from archive sources, kept so a warm import unmarshals.
//!
//! One file per module under `<cache>/bytecode/<wheel file name>-<path hash>/<member hash>.whc`.
//! An entry is valid only for the interpreter's magic number and for the member's CRC-32 and size
//! as the archive's central directory gives them, so the wheel is never hashed; the payload
//! carries its own checksum, so a torn or corrupt entry is ignored (and rewritten), never trusted.
//!
//! The payload comes first and the fields that validate it last, so a warm import reads an entry
//! straight into the bytes object it hands to `marshal.loads` (which ignores what follows the
//! one object it reads): no copy of the code in user space.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Identifies the file format; bumped when the layout changes.
const FORMAT: &[u8; 5] = b"WHBC3";

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
        super::dir::wheel_dir(&self.root, wheel)
    }

    /// The file of `member`'s entry inside its wheel's directory.
    fn entry_path(dir: &Path, member: &str) -> PathBuf {
        dir.join(format!(
            "{:016x}.whc",
            crate::hash::fnv64(member.as_bytes())
        ))
    }

    /// The marshalled code for `stamp`, if a valid entry exists.
    pub fn load(&self, wheel: &Path, stamp: SourceStamp<'_>) -> Option<Vec<u8>> {
        let (mut data, len) = self.read(wheel, stamp, |len| Some(vec![0; len]))?;
        data.truncate(len);
        Some(data)
    }

    /// Reads the entry for `stamp` into the buffer `alloc(file length)` returns, and returns
    /// it with the payload's length when the entry is valid. The payload starts the buffer, so
    /// a caller can hand the buffer on whole, without a copy (see the module's doc).
    pub fn read<B: AsMut<[u8]>>(
        &self,
        wheel: &Path,
        stamp: SourceStamp<'_>,
        alloc: impl FnOnce(usize) -> Option<B>,
    ) -> Option<(B, usize)> {
        use std::io::Read;
        let path = Self::entry_path(&self.wheel_dir(wheel), stamp.member);
        let mut file = std::fs::File::open(path).ok()?;
        let len = usize::try_from(file.metadata().ok()?.len()).ok()?;
        let mut buffer = alloc(len)?;
        // An entry is replaced by rename, never rewritten in place: the open file is whole.
        file.read_exact(buffer.as_mut()).ok()?;
        let payload = decode(buffer.as_mut(), &self.magic, stamp)?.len();
        Some((buffer, payload))
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
            super::atomic::collect_stale(&dir, STALE_AFTER);
            dirs.0.insert(dir);
        }
        super::atomic::write_atomic(&entry, &encode(&self.magic, stamp, code), false)
    }
}

/// Serialises an entry: the payload, then the member's name, the magic number, the stamp, the
/// payload's checksum and length, and the format last.
pub fn encode(magic: &[u8; 4], stamp: SourceStamp<'_>, code: &[u8]) -> Vec<u8> {
    let name = stamp.member.as_bytes();
    let mut out = Vec::with_capacity(code.len() + name.len() + 41);
    out.extend_from_slice(code);
    out.extend_from_slice(name);
    out.extend_from_slice(magic);
    out.extend_from_slice(&stamp.crc32.to_le_bytes());
    out.extend_from_slice(&stamp.size.to_le_bytes());
    out.extend_from_slice(&(name.len() as u32).to_le_bytes());
    out.extend_from_slice(&checksum(code).to_le_bytes());
    out.extend_from_slice(&(code.len() as u64).to_le_bytes());
    out.extend_from_slice(FORMAT);
    out
}

/// The payload of a valid entry for `stamp` under `magic`; `None` for anything else.
pub fn decode<'d>(data: &'d [u8], magic: &[u8; 4], stamp: SourceStamp<'_>) -> Option<&'d [u8]> {
    let mut rest = data.strip_suffix(FORMAT.as_slice())?;
    // Fields are taken from the end, last first.
    let mut take = |n: usize| -> Option<&'d [u8]> {
        let at = rest.len().checked_sub(n)?;
        let (head, tail) = rest.split_at(at);
        rest = head;
        Some(tail)
    };
    let len = u64::from_le_bytes(take(8)?.try_into().ok()?);
    let checksum = u64::from_le_bytes(take(8)?.try_into().ok()?);
    let name_len = u32::from_le_bytes(take(4)?.try_into().ok()?) as usize;
    let size = u64::from_le_bytes(take(8)?.try_into().ok()?);
    let crc = u32::from_le_bytes(take(4)?.try_into().ok()?);
    if take(4)? != magic {
        return None;
    }
    let name = take(name_len)?;
    let payload = rest;
    let valid = crc == stamp.crc32
        && size == stamp.size
        && name == stamp.member.as_bytes()
        && u64::try_from(payload.len()).ok() == Some(len)
        && self::checksum(payload) == checksum;
    valid.then_some(payload)
}

/// The payload checksum: CRC-32 (SIMD-accelerated by `crc32fast`), since every warm import
/// checks every byte it unmarshals, and a byte-at-a-time hash shows in a warm import's cost
/// (see BENCHMARKS.md, "Measurements behind design choices").
fn checksum(payload: &[u8]) -> u64 {
    u64::from(crc32fast::hash(payload))
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
        // The payload starts the entry: a reader may hand the whole entry to `marshal.loads`.
        assert!(data.starts_with(b"marshalled code"));
        assert_eq!(
            decode(&encode(&MAGIC, stamp(), b""), &MAGIC, stamp()),
            Some(&b""[..])
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
        for at in 0..data.len() {
            let mut flipped = data.clone();
            flipped[at] ^= 1;
            assert_eq!(decode(&flipped, &MAGIC, stamp()), None, "bit flip at {at}");
        }
        let mut longer = data.clone();
        longer.push(0);
        assert_eq!(decode(&longer, &MAGIC, stamp()), None, "trailing bytes");
        let mut front = vec![0];
        front.extend_from_slice(&data);
        assert_eq!(decode(&front, &MAGIC, stamp()), None, "a byte in front");
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

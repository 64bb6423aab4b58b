//! Code packs: the compiled code of one wheel's modules for one interpreter, in one file.
//!
//! A process maps a wheel's pack once and finds each module's code by a binary search, so an
//! import costs one open per wheel, not one per module: the shape a shared store on a network
//! filesystem needs, where every metadata operation is a round trip. The same format serves the
//! packs a store's owner publishes beside the wheels and the private cache's.
//!
//! Layout, every integer little-endian:
//!
//! ```text
//! [payload]...   marshalled code objects, back to back
//! [name]...      the members' names, UTF-8, back to back
//! [record]...    RECORD_LEN bytes each, sorted by (name hash, name)
//! [trailer]      TRAILER_LEN bytes
//! record:  name hash u64 | name offset u64 | name length u32 | source CRC-32 u32 |
//!          source size u64 | payload offset u64 | payload length u64 | payload CRC-32 u32
//! trailer: interpreter magic [4] | record count u32 | names offset u64 | records offset u64 |
//!          CRC-32 of names and records u32 | FORMAT [8]
//! ```
//!
//! Nothing in a pack is trusted: opening checks the trailer, the bounds and the table's checksum;
//! a lookup checks the entry against the member's CRC-32 and size from the wheel's central
//! directory, and the payload against its own checksum. A pack that fails is ignored, and the
//! module is compiled from its source.

use std::path::{Path, PathBuf};

use memmap2::Mmap;
use thiserror::Error;

/// What an entry must match to be used: the member it was compiled from, as the wheel's central
/// directory describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceStamp<'a> {
    /// The member's name inside the archive. Ex) `six.py`
    pub member: &'a str,
    /// CRC-32 and uncompressed size from the central directory.
    pub crc32: u32,
    pub size: u64,
}

/// Identifies the file format; a new layout gets a new value.
const FORMAT: &[u8; 8] = b"WHCPACK1";
const TRAILER_LEN: usize = 36;
const RECORD_LEN: usize = 52;

/// The extension of a pack file.
pub const EXTENSION: &str = "whcp";

/// Everything a store's owner publishes lives in this folder of the store.
pub const PUBLISHED_ROOT: &str = ".wheelhook";

/// The packs a store's owner publishes live in this folder of the store.
pub const PUBLISHED_DIR: &str = ".wheelhook/code";

/// Where the pack published for `wheel` (a wheel file in a store directory) and an interpreter
/// with `cache_tag` lives. Ex) `/srv/store/.wheelhook/code/six-1.16.0-py2.py3-none-any.whl.cpython-311.whcp`
pub fn published_path(wheel: &Path, cache_tag: &str) -> Option<PathBuf> {
    let store = wheel.parent()?;
    let name = wheel.file_name()?.to_str()?;
    Some(
        store
            .join(PUBLISHED_DIR)
            .join(format!("{name}.{cache_tag}.{EXTENSION}")),
    )
}

/// Whose packs may be executed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trust {
    /// The private cache: only this user's own files.
    Owner(u32),
    /// A store's published packs: the store directory's owner's, or root's.
    Publisher(u32),
}

/// Why a pack cannot be used.
#[derive(Debug, Error)]
pub enum PackError {
    #[error("cannot read the code pack {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the code pack {path} is not trusted: {reason}")]
    Untrusted { path: PathBuf, reason: String },
    #[error("the code pack {path} is invalid: {reason}")]
    Invalid { path: PathBuf, reason: &'static str },
}

/// One module's compiled code, as a pack is written.
#[derive(Debug, Clone, Copy)]
pub struct PackEntry<'a> {
    pub stamp: SourceStamp<'a>,
    pub code: &'a [u8],
}

/// Serialises `entries` into a pack for the interpreter with `magic`. Of two entries for one
/// member, the later is kept.
pub fn encode<'a>(magic: &[u8; 4], entries: impl IntoIterator<Item = PackEntry<'a>>) -> Vec<u8> {
    let mut by_name: std::collections::HashMap<&str, PackEntry<'a>> =
        std::collections::HashMap::new();
    for entry in entries {
        by_name.insert(entry.stamp.member, entry);
    }
    let mut sorted: Vec<(u64, PackEntry<'a>)> = by_name
        .into_values()
        .map(|e| (crate::hash::fnv64(e.stamp.member.as_bytes()), e))
        .collect();
    sorted.sort_by(|a, b| (a.0, a.1.stamp.member).cmp(&(b.0, b.1.stamp.member)));

    let mut out = Vec::new();
    let mut payloads = Vec::with_capacity(sorted.len());
    for (_, entry) in &sorted {
        payloads.push(out.len() as u64);
        out.extend_from_slice(entry.code);
    }
    let names_offset = out.len() as u64;
    let mut names = Vec::with_capacity(sorted.len());
    for (_, entry) in &sorted {
        names.push(out.len() as u64);
        out.extend_from_slice(entry.stamp.member.as_bytes());
    }
    let records_offset = out.len() as u64;
    for (i, (hash, entry)) in sorted.iter().enumerate() {
        out.extend_from_slice(&hash.to_le_bytes());
        out.extend_from_slice(&names[i].to_le_bytes());
        out.extend_from_slice(&(entry.stamp.member.len() as u32).to_le_bytes());
        out.extend_from_slice(&entry.stamp.crc32.to_le_bytes());
        out.extend_from_slice(&entry.stamp.size.to_le_bytes());
        out.extend_from_slice(&payloads[i].to_le_bytes());
        out.extend_from_slice(&(entry.code.len() as u64).to_le_bytes());
        out.extend_from_slice(&crc32fast::hash(entry.code).to_le_bytes());
    }
    let table_crc = crc32fast::hash(&out[names_offset as usize..]);
    out.extend_from_slice(magic);
    out.extend_from_slice(&(sorted.len() as u32).to_le_bytes());
    out.extend_from_slice(&names_offset.to_le_bytes());
    out.extend_from_slice(&records_offset.to_le_bytes());
    out.extend_from_slice(&table_crc.to_le_bytes());
    out.extend_from_slice(FORMAT);
    out
}

/// The bytes of a pack: a map of its file, or a copy in memory.
#[derive(Debug)]
enum Bytes {
    Map(Mmap),
    Owned(Vec<u8>),
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Map(map) => map,
            Bytes::Owned(data) => data,
        }
    }
}

/// One record of a pack's table, decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Record {
    hash: u64,
    name: (usize, usize),
    crc32: u32,
    size: u64,
    payload: (usize, usize),
    checksum: u32,
}

/// A pack, opened and its table checked; lookups check each entry they return.
#[derive(Debug)]
pub struct Pack {
    path: PathBuf,
    bytes: Bytes,
    count: usize,
    names_offset: usize,
    records_offset: usize,
}

impl Pack {
    /// Maps the pack at `path`, after checking that `trust` allows its owner and mode, and its
    /// table. `Ok(None)` when there is no such file.
    pub fn open(path: &Path, magic: &[u8; 4], trust: Trust) -> Result<Option<Self>, PackError> {
        Self::open_trusting(path, magic, || Ok(trust))
    }

    /// As [`Pack::open`], with whose packs may be executed asked only once the file is found
    /// (`Err`: nobody's, and why): a published pack's trust needs its store directory's owner,
    /// which is then read only where a pack exists.
    pub fn open_trusting(
        path: &Path,
        magic: &[u8; 4],
        trust: impl FnOnce() -> Result<Trust, String>,
    ) -> Result<Option<Self>, PackError> {
        let io = |source| PackError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = match std::fs::File::open(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            other => other.map_err(io)?,
        };
        let meta = file.metadata().map_err(io)?;
        let trust = trust().map_err(|reason| PackError::Untrusted {
            path: path.to_path_buf(),
            reason,
        })?;
        check_trust(path, &meta, trust)?;
        let len = usize::try_from(meta.len()).map_err(|_| invalid(path, "too large"))?;
        if len < TRAILER_LEN {
            return Err(invalid(path, "shorter than its trailer"));
        }
        // SAFETY: the map is read-only, and a pack is replaced by rename, never rewritten in
        // place, by its trusted owner (checked above): its bytes cannot change under the map.
        // The length is the one the open file had, so no page of the map lies past its end.
        let map = unsafe { memmap2::MmapOptions::new().len(len).map(&file) }.map_err(io)?;
        Self::parse(path, Bytes::Map(map), magic).map(Some)
    }

    /// A pack held in memory, checked as [`Pack::open`] checks a file (for tests and fuzzing).
    pub fn from_bytes(path: &Path, data: Vec<u8>, magic: &[u8; 4]) -> Result<Self, PackError> {
        Self::parse(path, Bytes::Owned(data), magic)
    }

    fn parse(path: &Path, bytes: Bytes, magic: &[u8; 4]) -> Result<Self, PackError> {
        let data: &[u8] = &bytes;
        let Some(trailer) = data.len().checked_sub(TRAILER_LEN).map(|at| &data[at..]) else {
            return Err(invalid(path, "shorter than its trailer"));
        };
        if &trailer[28..] != FORMAT {
            return Err(invalid(path, "not a code pack of this format"));
        }
        if &trailer[..4] != magic {
            return Err(invalid(path, "compiled for another interpreter"));
        }
        let count = u32_at(trailer, 4) as usize;
        let names_offset = usize::try_from(u64_at(trailer, 8)).unwrap_or(usize::MAX);
        let records_offset = usize::try_from(u64_at(trailer, 16)).unwrap_or(usize::MAX);
        let table_end = data.len() - TRAILER_LEN;
        let fits = names_offset <= records_offset
            && count
                .checked_mul(RECORD_LEN)
                .and_then(|n| n.checked_add(records_offset))
                == Some(table_end);
        if !fits {
            return Err(invalid(path, "its table does not fit the file"));
        }
        if crc32fast::hash(&data[names_offset..table_end]) != u32_at(trailer, 24) {
            return Err(invalid(path, "its table fails its checksum"));
        }
        Ok(Self {
            path: path.to_path_buf(),
            bytes,
            count,
            names_offset,
            records_offset,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many entries the pack holds.
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    fn record(&self, index: usize) -> Record {
        let at = self.records_offset + index * RECORD_LEN;
        let r = &self.bytes[at..at + RECORD_LEN];
        let span = |offset: u64, len: u64| {
            (
                usize::try_from(offset).unwrap_or(usize::MAX),
                usize::try_from(len).unwrap_or(usize::MAX),
            )
        };
        Record {
            hash: u64_at(r, 0),
            name: span(u64_at(r, 8), u64::from(u32_at(r, 16))),
            crc32: u32_at(r, 20),
            size: u64_at(r, 24),
            payload: span(u64_at(r, 32), u64_at(r, 40)),
            checksum: u32_at(r, 48),
        }
    }

    /// The bytes `span` names inside `[start, end)` of the pack, if it lies there.
    fn slice(&self, (offset, len): (usize, usize), start: usize, end: usize) -> Option<&[u8]> {
        let stop = offset.checked_add(len)?;
        (offset >= start && stop <= end).then(|| &self.bytes[offset..stop])
    }

    fn name(&self, record: &Record) -> Option<&[u8]> {
        self.slice(record.name, self.names_offset, self.records_offset)
    }

    /// The marshalled code for `stamp`, when the pack holds an entry for that member whose
    /// source CRC-32 and size match and whose payload passes its checksum.
    pub fn get(&self, stamp: SourceStamp<'_>) -> Option<&[u8]> {
        let hash = crate::hash::fnv64(stamp.member.as_bytes());
        let first = self.lower_bound(hash);
        let record = (first..self.count)
            .map(|i| self.record(i))
            .take_while(|r| r.hash == hash)
            .find(|r| self.name(r) == Some(stamp.member.as_bytes()))?;
        if record.crc32 != stamp.crc32 || record.size != stamp.size {
            return None;
        }
        let payload = self.slice(record.payload, 0, self.names_offset)?;
        (crc32fast::hash(payload) == record.checksum).then_some(payload)
    }

    /// The first record whose hash is not below `hash`.
    fn lower_bound(&self, hash: u64) -> usize {
        let (mut low, mut high) = (0, self.count);
        while low < high {
            let mid = low + (high - low) / 2;
            if self.record(mid).hash < hash {
                low = mid + 1;
            } else {
                high = mid;
            }
        }
        low
    }

    /// Every entry that passes its own checks, with the stamp it was compiled from (to carry
    /// entries over into a new pack).
    pub fn entries(&self) -> impl Iterator<Item = PackEntry<'_>> + '_ {
        (0..self.count).filter_map(move |i| {
            let record = self.record(i);
            let member = std::str::from_utf8(self.name(&record)?).ok()?;
            let code = self.slice(record.payload, 0, self.names_offset)?;
            (crc32fast::hash(code) == record.checksum).then_some(PackEntry {
                stamp: SourceStamp {
                    member,
                    crc32: record.crc32,
                    size: record.size,
                },
                code,
            })
        })
    }
}

fn invalid(path: &Path, reason: &'static str) -> PackError {
    PackError::Invalid {
        path: path.to_path_buf(),
        reason,
    }
}

fn u32_at(data: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(data[at..at + 4].try_into().expect("four bytes"))
}

fn u64_at(data: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(data[at..at + 8].try_into().expect("eight bytes"))
}

/// A pack is executed only when it is a regular file that `trust`'s user (or, for a published
/// pack, root) owns and that neither group nor others may write.
fn check_trust(path: &Path, meta: &std::fs::Metadata, trust: Trust) -> Result<(), PackError> {
    let reason = if meta.is_file() {
        owner_and_mode(meta, trust)
    } else {
        Err("not a regular file".into())
    };
    reason.map_err(|reason| PackError::Untrusted {
        path: path.to_path_buf(),
        reason,
    })
}

/// The rule for anything executed or served from a cache or a store: `trust`'s user (or, for
/// what a store publishes, root) owns it, and neither group nor others may write it. The reason
/// when it does not hold. Ex) `writable by group or others (mode 664)`
#[cfg(unix)]
pub(super) fn owner_and_mode(meta: &std::fs::Metadata, trust: Trust) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let owner_ok = match trust {
        Trust::Owner(uid) => meta.uid() == uid,
        Trust::Publisher(uid) => meta.uid() == uid || meta.uid() == 0,
    };
    if !owner_ok {
        return Err(match trust {
            Trust::Owner(uid) => format!("owned by uid {}, not by uid {uid}", meta.uid()),
            Trust::Publisher(uid) => format!(
                "owned by uid {}, neither the store's owner (uid {uid}) nor root",
                meta.uid()
            ),
        });
    }
    if meta.mode() & 0o022 != 0 {
        return Err(format!(
            "writable by group or others (mode {:o})",
            meta.mode() & 0o777
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
pub(super) fn owner_and_mode(_meta: &std::fs::Metadata, _trust: Trust) -> Result<(), String> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAGIC: [u8; 4] = [0xa7, 0x0d, 0x0d, 0x0a];

    fn stamp(member: &str, crc32: u32) -> SourceStamp<'_> {
        SourceStamp {
            member,
            crc32,
            size: 100,
        }
    }

    fn sample() -> Vec<u8> {
        let names: Vec<String> = (0..50).map(|i| format!("pkg/mod{i}.py")).collect();
        let codes: Vec<Vec<u8>> = (0..50).map(|i| vec![i as u8; i * 3]).collect();
        encode(
            &MAGIC,
            names.iter().zip(&codes).map(|(n, c)| PackEntry {
                stamp: stamp(n, 7),
                code: c,
            }),
        )
    }

    fn pack(data: Vec<u8>) -> Result<Pack, PackError> {
        Pack::from_bytes(Path::new("t.whcp"), data, &MAGIC)
    }

    #[test]
    fn ok_every_entry_is_found() {
        let pack = pack(sample()).unwrap();
        assert_eq!(pack.len(), 50);
        for i in 0..50 {
            let name = format!("pkg/mod{i}.py");
            assert_eq!(pack.get(stamp(&name, 7)), Some(&vec![i as u8; i * 3][..]));
        }
        assert_eq!(pack.entries().count(), 50);
        assert_eq!(pack.get(stamp("pkg/absent.py", 7)), None);
    }

    #[test]
    fn ok_empty_and_duplicates() {
        let empty = pack(encode(&MAGIC, [])).unwrap();
        assert!(empty.is_empty());
        assert_eq!(empty.get(stamp("a.py", 1)), None);
        let twice = encode(
            &MAGIC,
            [
                PackEntry {
                    stamp: stamp("a.py", 1),
                    code: b"old",
                },
                PackEntry {
                    stamp: stamp("a.py", 2),
                    code: b"new",
                },
            ],
        );
        let twice = pack(twice).unwrap();
        assert_eq!(twice.len(), 1);
        assert_eq!(twice.get(stamp("a.py", 2)), Some(&b"new"[..]));
        assert_eq!(twice.get(stamp("a.py", 1)), None, "stale source");
    }

    #[test]
    fn err_stale_entries_are_misses() {
        let pack = pack(sample()).unwrap();
        assert_eq!(pack.get(stamp("pkg/mod3.py", 8)), None, "source changed");
        let other_size = SourceStamp {
            size: 101,
            ..stamp("pkg/mod3.py", 7)
        };
        assert_eq!(pack.get(other_size), None, "size changed");
    }

    #[test]
    fn err_other_interpreter_or_format() {
        let data = sample();
        assert!(matches!(
            Pack::from_bytes(Path::new("t"), data.clone(), &[0; 4]),
            Err(PackError::Invalid { reason, .. }) if reason.contains("another interpreter")
        ));
        let mut other = data;
        let at = other.len() - 1;
        other[at] ^= 1;
        assert!(matches!(pack(other), Err(PackError::Invalid { .. })));
    }

    /// Every torn pack is refused at open; every flipped bit is refused at open or makes the
    /// entries it touches misses, never a wrong payload.
    #[test]
    fn err_torn_or_flipped_never_yields_wrong_code() {
        let data = sample();
        for cut in 0..data.len() {
            assert!(pack(data[..cut].to_vec()).is_err(), "torn at {cut}");
        }
        let good = pack(data.clone()).unwrap();
        for at in (0..data.len()).step_by(3) {
            let mut flipped = data.clone();
            flipped[at] ^= 0x10;
            let Ok(bad) = pack(flipped) else { continue };
            for entry in good.entries() {
                let got = bad.get(entry.stamp);
                assert!(got.is_none() || got == Some(entry.code), "bit flip at {at}");
            }
        }
    }

    #[cfg(unix)]
    #[test]
    fn err_untrusted_files_are_refused() {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let dir = super::super::scratch_dir("pack", "trust");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("p.whcp");
        std::fs::write(&path, sample()).unwrap();
        let me = std::fs::metadata(&path).unwrap().uid();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(Pack::open(&path, &MAGIC, Trust::Owner(me))
            .unwrap()
            .is_some());
        assert!(Pack::open(&path, &MAGIC, Trust::Publisher(me))
            .unwrap()
            .is_some());
        let other = me.wrapping_add(12345);
        assert!(matches!(
            Pack::open(&path, &MAGIC, Trust::Owner(other)),
            Err(PackError::Untrusted { .. })
        ));
        // Root may publish for any store owner.
        let by_root = Pack::open(&path, &MAGIC, Trust::Publisher(other));
        assert_eq!(by_root.is_ok(), me == 0);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o664)).unwrap();
        let err = Pack::open(&path, &MAGIC, Trust::Owner(me)).unwrap_err();
        assert!(err
            .to_string()
            .contains("writable by group or others (mode 664)"));
        assert!(
            Pack::open(&dir.join("absent.whcp"), &MAGIC, Trust::Owner(me))
                .unwrap()
                .is_none()
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn ok_published_path() {
        assert_eq!(
            published_path(
                Path::new("/s/six-1.16.0-py2.py3-none-any.whl"),
                "cpython-311"
            ),
            Some(PathBuf::from(
                "/s/.wheelhook/code/six-1.16.0-py2.py3-none-any.whl.cpython-311.whcp"
            ))
        );
    }
}

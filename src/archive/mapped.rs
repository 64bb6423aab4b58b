//! [`Archive`]: a wheel mapped into memory, its central directory indexed for lookups by name.
//!
//! Opening runs at import time for every activated wheel, so it parses the end
//! record and central directory itself (one pass, no reads of member data) and
//! checks only what is cheap and would otherwise crash or mislead: bounds,
//! Zip64, truncation, duplicate names. The drop-time ZIP checks are in `validate.rs`.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use memmap2::{Mmap, MmapOptions};

use super::error::ArchiveError;
use super::format::{self, FLAG_UTF8, LOCAL_LEN};

/// A `.whl` (ZIP) file mapped into memory, its central directory indexed.
///
/// `Send + Sync`: everything is immutable after [`Archive::open`], so one
/// archive is shared across threads behind an `Arc`.
#[derive(Debug)]
pub struct Archive {
    pub(crate) path: PathBuf,
    pub(crate) map: Mmap,
    pub(crate) members: Vec<MemberInfo>,
    /// Every member filed under the hash of its name, sorted: a binary search finds a
    /// name without a second copy of every name.
    slots: Vec<NameSlot>,
    /// Members whose CRC-32 a previous read already verified.
    pub(crate) verified: Box<[AtomicBool]>,
    pub(crate) end: format::EndRecord,
    /// The file's metadata as [`Archive::open`] read it from the open file; `None` for an
    /// archive held in memory.
    file: Option<std::fs::Metadata>,
}

/// What the central directory says of one member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberInfo {
    /// The name as the central directory spells it; directories end with `/`. Ex) `six.py`
    pub name: String,
    /// The CRC-32 of the member's bytes, checked when they are read.
    pub crc32: u32,
    /// The length of the member's data in the archive.
    pub compressed_size: u64,
    /// The length of the member's bytes once inflated.
    pub size: u64,
    /// The name ends with `/`.
    pub is_dir: bool,
    /// 0 stored, 8 deflated; other methods are refused when read.
    pub compression_method: u16,
    /// The general purpose bit flags (bit 0 encrypted, bit 3 data descriptor, bit 11 UTF-8).
    pub flags: u16,
    /// Where the member's local file header begins.
    pub local_header_offset: u64,
    /// The "version made by" field: its high byte is the host system (3 is Unix).
    pub made_by: u16,
    /// External file attributes: for Unix hosts, the `st_mode` in the high 16 bits.
    pub external_attributes: u32,
}

impl MemberInfo {
    /// The Unix `st_mode`, when the member was made on a Unix host and records one.
    pub fn unix_mode(&self) -> Option<u32> {
        let mode = self.external_attributes >> 16;
        (self.made_by >> 8 == 3 && mode != 0).then_some(mode)
    }

    /// The name was flagged as UTF-8 (general purpose bit 11).
    pub fn utf8_flag(&self) -> bool {
        self.flags & FLAG_UTF8 != 0
    }
}

/// One entry of the lookup table: a member, filed under the hash of its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct NameSlot {
    hash: u64,
    /// The member's position in [`Archive::members`].
    member: u32,
}

/// The key a member name is filed under in the sorted lookup table.
fn name_hash(name: &[u8]) -> u64 {
    crate::hash::fnv64(name)
}

impl Archive {
    /// Maps `path` and indexes its central directory.
    pub fn open(path: &Path) -> Result<Self, ArchiveError> {
        let io = |source| ArchiveError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(io)?;
        let meta = file.metadata().map_err(io)?;
        if !meta.is_file() {
            return Err(ArchiveError::invalid(path, "not a regular file"));
        }
        if meta.len() < format::EOCD_LEN as u64 {
            return Err(ArchiveError::invalid(
                path,
                format!(
                    "file is too small to be a zip archive ({} bytes)",
                    meta.len()
                ),
            ));
        }
        // The length just read: without it memmap2 would `fstat` the file a second time
        // (one more metadata call per wheel on the store, which may be a network file system).
        let len = usize::try_from(meta.len())
            .map_err(|_| ArchiveError::invalid(path, "file is too large to map"))?;
        // SAFETY: the map is read-only and wheels are immutable once published:
        // replacements are new files renamed into place, never truncated or
        // rewritten (DESIGN §2, ANCHORS "Memory maps"), so the bytes cannot
        // change or vanish under the map while this process holds it.
        let map = unsafe { MmapOptions::new().len(len).map(&file) }.map_err(io)?;
        Ok(Self {
            file: Some(meta),
            ..Self::index(path.to_path_buf(), map)?
        })
    }

    /// Indexes an archive held in memory (a private anonymous map of a copy of `data`),
    /// exactly as [`Archive::open`] would the same bytes in a file at `path`. For fuzzing
    /// and tests: no file is read. Ex) `Archive::from_bytes("t.whl".as_ref(), &bytes)`
    pub fn from_bytes(path: &Path, data: &[u8]) -> Result<Self, ArchiveError> {
        if data.len() < format::EOCD_LEN {
            return Err(ArchiveError::invalid(
                path,
                format!(
                    "file is too small to be a zip archive ({} bytes)",
                    data.len()
                ),
            ));
        }
        let io = |source| ArchiveError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut map = memmap2::MmapMut::map_anon(data.len()).map_err(io)?;
        map.copy_from_slice(data);
        Self::index(path.to_path_buf(), map.make_read_only().map_err(io)?)
    }

    /// Parses the end record and central directory of `map` and files every member by name.
    fn index(path: PathBuf, map: Mmap) -> Result<Self, ArchiveError> {
        let data: &[u8] = &map;
        let end = format::find_end(data).map_err(|r| ArchiveError::invalid(&path, r))?;
        let cd = central_directory(data, &end).map_err(|r| ArchiveError::invalid(&path, r))?;
        let members = read_members(&path, cd, &end)?;
        let slots = name_slots(&members);
        check_unique(&members, &slots)
            .map_err(|name| ArchiveError::member(&path, name, "duplicate member name"))?;
        let verified = (0..members.len()).map(|_| AtomicBool::new(false)).collect();
        Ok(Self {
            path,
            map,
            members,
            slots,
            verified,
            end,
            file: None,
        })
    }

    /// The file this archive was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The metadata of the file as it was when opened (read from the open file, so it is the
    /// metadata of the mapped bytes: no second look-up by path); `None` for
    /// [`Archive::from_bytes`].
    pub fn file_metadata(&self) -> Option<&std::fs::Metadata> {
        self.file.as_ref()
    }

    /// Every member, in central-directory order.
    pub fn members(&self) -> &[MemberInfo] {
        &self.members
    }

    /// The member called `name` (exact bytes; directories end with `/`).
    pub fn member(&self, name: &str) -> Option<&MemberInfo> {
        self.index_of(name).map(|i| &self.members[i])
    }

    /// The position of `name` in [`Archive::members`].
    pub fn index_of(&self, name: &str) -> Option<usize> {
        let hash = name_hash(name.as_bytes());
        let start = self.slots.partition_point(|slot| slot.hash < hash);
        self.slots[start..]
            .iter()
            .take_while(|slot| slot.hash == hash)
            .map(|slot| slot.member as usize)
            .find(|&i| self.members[i].name == name)
    }

    /// The whole mapped file.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.map
    }
}

/// The central directory's bytes: it must end where the end records begin, and hold at
/// least the fixed part of every entry the end record counts.
fn central_directory<'a>(data: &'a [u8], end: &format::EndRecord) -> Result<&'a [u8], String> {
    if end.cd_offset.checked_add(end.cd_size) != Some(end.end_start) {
        return Err(format!(
            "the central directory (offset {}, size {}) does not end where the end of central \
             directory record begins (offset {})",
            end.cd_offset, end.cd_size, end.end_start
        ));
    }
    // cd_end == end_start, which lies inside the file.
    let cd = format::slice(data, end.cd_offset, end.cd_size)
        .ok_or("central directory is out of bounds")?;
    if end.entries > (cd.len() / format::CENTRAL_LEN) as u64 || end.entries > u64::from(u32::MAX) {
        return Err(format!(
            "the central directory ({} bytes) is too small for {} entries",
            cd.len(),
            end.entries
        ));
    }
    Ok(cd)
}

/// Every central directory entry, in order; the entries must fill `cd` exactly.
fn read_members(
    path: &Path,
    cd: &[u8],
    end: &format::EndRecord,
) -> Result<Vec<MemberInfo>, ArchiveError> {
    // Bounded by `central_directory`: at most one entry per 46 bytes of the file.
    let count = end.entries as usize;
    let mut members = Vec::with_capacity(count);
    let mut pos = 0;
    for i in 0..count {
        let entry = format::parse_central(cd, pos).map_err(|r| {
            ArchiveError::invalid(path, format!("central directory entry {i}: {r}"))
        })?;
        pos = entry.next;
        members.push(member_info(path, entry, end.cd_offset)?);
    }
    if pos != cd.len() {
        return Err(ArchiveError::invalid(
            path,
            format!(
                "{} bytes of unexpected data at the end of the central directory",
                cd.len() - pos
            ),
        ));
    }
    Ok(members)
}

/// One entry as a [`MemberInfo`]: its name must be UTF-8 and its data (at least a local
/// header and the compressed bytes) must end before the central directory.
fn member_info(
    path: &Path,
    entry: format::CentralEntry<'_>,
    cd_offset: u64,
) -> Result<MemberInfo, ArchiveError> {
    let name = std::str::from_utf8(entry.name).map_err(|_| {
        ArchiveError::member(
            path,
            &String::from_utf8_lossy(entry.name),
            "member name is not valid utf-8",
        )
    })?;
    let data_min_end = entry
        .local_header_offset
        .checked_add(LOCAL_LEN as u64)
        .and_then(|n| n.checked_add(entry.compressed_size));
    if data_min_end.is_none_or(|n| n > cd_offset) {
        return Err(ArchiveError::member(
            path,
            name,
            "member data extends past the start of the central directory",
        ));
    }
    Ok(MemberInfo {
        is_dir: name.ends_with('/'),
        name: name.to_owned(),
        crc32: entry.crc32,
        compressed_size: entry.compressed_size,
        size: entry.size,
        compression_method: entry.method,
        flags: entry.flags,
        local_header_offset: entry.local_header_offset,
        made_by: entry.made_by,
        external_attributes: entry.external_attributes,
    })
}

/// The lookup table of `members`, sorted by name hash.
fn name_slots(members: &[MemberInfo]) -> Vec<NameSlot> {
    let mut slots: Vec<NameSlot> = members
        .iter()
        .enumerate()
        // At most u32::MAX entries: checked by `central_directory`.
        .map(|(i, m)| NameSlot {
            hash: name_hash(m.name.as_bytes()),
            member: i as u32,
        })
        .collect();
    slots.sort_unstable();
    slots
}

/// The first name that two members share, if any. Equal hashes sit together in `slots`,
/// so names are compared only within such a run.
fn check_unique<'a>(members: &'a [MemberInfo], slots: &[NameSlot]) -> Result<(), &'a str> {
    for run in slots.chunk_by(|a, b| a.hash == b.hash) {
        for (k, a) in run.iter().enumerate() {
            let name = &members[a.member as usize].name;
            if run[k + 1..]
                .iter()
                .any(|b| members[b.member as usize].name == *name)
            {
                return Err(name);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn ok_archive_is_send_and_sync() {
        assert_send_sync::<Archive>();
    }

    #[test]
    fn ok_unix_mode() {
        let mut info = MemberInfo {
            name: "a".into(),
            crc32: 0,
            compressed_size: 0,
            size: 0,
            is_dir: false,
            compression_method: 0,
            flags: 0,
            local_header_offset: 0,
            made_by: 3 << 8 | 20,
            external_attributes: 0o100644 << 16,
        };
        assert_eq!(info.unix_mode(), Some(0o100644));
        info.made_by = 20;
        assert_eq!(info.unix_mode(), None);
    }

    #[test]
    fn err_missing_file() {
        let err = Archive::open(Path::new("/nonexistent/x.whl")).unwrap_err();
        assert!(matches!(err, ArchiveError::Io { .. }));
        assert!(err.to_string().starts_with("/nonexistent/x.whl: "));
    }

    #[test]
    fn ok_from_bytes_empty_archive() {
        let mut eocd = vec![0x50, 0x4b, 0x05, 0x06];
        eocd.resize(format::EOCD_LEN, 0);
        let archive = Archive::from_bytes(Path::new("empty.whl"), &eocd).unwrap();
        assert!(archive.members().is_empty());
        assert_eq!(archive.path(), Path::new("empty.whl"));
    }

    #[test]
    fn err_from_bytes_too_small() {
        let err = Archive::from_bytes(Path::new("x.whl"), b"PK").unwrap_err();
        assert_eq!(
            err.to_string(),
            "x.whl: file is too small to be a zip archive (2 bytes)"
        );
    }
}

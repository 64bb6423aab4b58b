//! Drop-time validation: everything a wheel must satisfy before it enters a
//! store (DESIGN §7). Slower than [`Archive::open`]: it reads every local
//! header and inflates and hashes every member.
//!
//! Refused: unsafe or colliding names, local headers that disagree with the
//! central directory, data before, between, overlapping or after the entries
//! (stacked or prefixed archives), methods other than stored and deflate,
//! encryption, symlinks and other non-regular files, members past the size
//! limits, a missing or ambiguous `.dist-info` directory, and any member that
//! `RECORD` does not describe exactly.
//! <https://packaging.python.org/en/latest/specifications/binary-distribution-format/>

use std::collections::HashMap;

use super::error::ArchiveError;
use super::format::{
    self, FLAG_DESCRIPTOR, FLAG_ENCRYPTED, FLAG_STRONG_ENCRYPTION, METHOD_DEFLATED, METHOD_STORED,
};
use super::mapped::{Archive, MemberInfo};
use super::names::{check_name, collision_key};
use super::read::MAX_MEMBER_SIZE;
use crate::hash::sha256;
use crate::wheel::{Record, RecordEntry};

/// Size limits for [`validate`]: absolute budgets on what a wheel inflates to, so a bomb is
/// refused while a wheel that merely compresses well is not.
///
/// A compression ratio alone does not tell a bomb from a real wheel: a 2 MB shared library
/// that is mostly zero padding (`pillow.libs/libXau-*.so` in pillow 13.0.0) deflates at 223:1,
/// and pip and uv install it. What a bomb costs is the bytes it inflates to, so those have a
/// budget per member and in total. The defaults sit far above real wheels: the largest on PyPI
/// (torch, tensorflow, the CUDA libraries) inflate to a few GB in all, their largest member
/// (`libtorch_cuda.so`, `libcublasLt.so`) to 1-2 GB; `--max-member-size` and
/// `--max-total-size` on `drop`, `add` and `verify` change them.
///
/// A ratio is checked only where the inflated size is itself large (past [`Self::ratio_floor`],
/// 256 MiB): deflate cannot exceed 1032:1, so a member past 1000:1 is more than 99.9% one
/// repeated byte. No real member that large is (compiled code and data of that size deflate at
/// 2-10:1); a wheel that is, costs seconds of CPU and hundreds of MB of memory per member to
/// check for nothing. The same rule applies to the archive as a whole, against many members
/// each just under the floor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest member, inflated; at most [`MAX_MEMBER_SIZE`], the most a read holds in
    /// memory. Ex) 4 GiB
    pub max_member_size: u64,
    /// The sum of all members' inflated sizes. Ex) 16 GiB
    pub max_total_size: u64,
    /// The largest `size / compressed_size` accepted past `ratio_floor`. Ex) 1000
    pub max_ratio: u64,
    /// A member (or the whole archive) inflating to at most this many bytes is never refused
    /// for its ratio. Ex) 256 MiB
    pub ratio_floor: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_member_size: MAX_MEMBER_SIZE,
            max_total_size: 16 << 30,
            max_ratio: 1000,
            ratio_floor: 256 << 20,
        }
    }
}

impl Limits {
    /// The ratio a member (or the archive) of `size` bytes stored in `compressed_size` bytes
    /// is refused for, if any: only past the floor. Ex) `Some(1028)`
    fn excess_ratio(&self, size: u64, compressed_size: u64) -> Option<u64> {
        let ratio = size / compressed_size.max(1);
        (size > self.ratio_floor && ratio > self.max_ratio).then_some(ratio)
    }
}

/// What a valid wheel holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validated {
    /// The one `.dist-info` directory, without the trailing slash. Ex) `six-1.15.0.dist-info`
    pub dist_info: String,
    /// Every regular file member, in central-directory order.
    pub members: Vec<String>,
    /// Directory entries (names ending with `/`).
    pub directories: Vec<String>,
    /// Compiled bytecode (`.pyc` files, anything under `__pycache__/`): valid
    /// members, but the importer ignores them and compiles the sources itself.
    pub bytecode: Vec<String>,
    /// The parsed `RECORD`.
    pub record: Record,
}

/// The `RECORD` signature files, which `RECORD` cannot hash.
const SIGNATURES: [&str; 2] = ["RECORD.jws", "RECORD.p7s"];

/// Validates `archive` with the default [`Limits`].
pub fn validate(archive: &Archive) -> Result<Validated, ArchiveError> {
    validate_with(archive, &Limits::default())
}

/// Validates `archive` for a drop; the first problem found is the error.
pub fn validate_with(archive: &Archive, limits: &Limits) -> Result<Validated, ArchiveError> {
    let path = archive.path();
    let members = archive.members();
    for info in members {
        check_member(info, limits).map_err(|r| ArchiveError::member(path, &info.name, r))?;
    }
    check_collisions(archive)?;
    check_layout(archive)?;
    check_totals(archive, limits)?;
    let dist_info = find_dist_info(archive)?;
    check_record(archive, dist_info)
}

/// The central-directory facts about one member: name, method, flags, type, size.
fn check_member(info: &MemberInfo, limits: &Limits) -> Result<(), String> {
    check_name(&info.name, info.utf8_flag())?;
    if info.flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION) != 0 {
        return Err("encrypted members are not supported".into());
    }
    if !matches!(info.compression_method, METHOD_STORED | METHOD_DEFLATED) {
        return Err(format!(
            "compression method {} is not supported",
            info.compression_method
        ));
    }
    if let Some(mode) = info.unix_mode() {
        match mode & 0o170000 {
            0o120000 => return Err("symbolic links are not allowed".into()),
            0 | 0o100000 => {}
            // Some writers give directory entries a file mode; the name decides.
            0o040000 if info.is_dir => {}
            kind => return Err(format!("file type {kind:#o} is not allowed")),
        }
    }
    if info.is_dir && info.size != 0 {
        return Err(format!("directory entry has size {}", info.size));
    }
    if info.size > limits.max_member_size {
        return Err(format!(
            "inflates to {} bytes, past the {}-byte limit for one member (--max-member-size)",
            info.size, limits.max_member_size
        ));
    }
    if let Some(ratio) = limits.excess_ratio(info.size, info.compressed_size) {
        return Err(format!(
            "inflates to {} bytes at a compression ratio of {ratio}:1, past the {}:1 limit for \
             members over {} bytes (a likely zip bomb)",
            info.size, limits.max_ratio, limits.ratio_floor
        ));
    }
    Ok(())
}

/// The members' inflated sizes together: within the total budget, and not a bomb spread over
/// many members each under the ratio floor.
fn check_totals(archive: &Archive, limits: &Limits) -> Result<(), ArchiveError> {
    let (mut size, mut compressed) = (0u64, 0u64);
    for m in archive.members() {
        size = size.saturating_add(m.size);
        compressed = compressed.saturating_add(m.compressed_size);
    }
    if size > limits.max_total_size {
        return Err(ArchiveError::invalid(
            archive.path(),
            format!(
                "members inflate to {size} bytes in all, past the {}-byte limit \
                 (--max-total-size)",
                limits.max_total_size
            ),
        ));
    }
    if let Some(ratio) = limits.excess_ratio(size, compressed) {
        return Err(ArchiveError::invalid(
            archive.path(),
            format!(
                "members inflate to {size} bytes in all at a compression ratio of {ratio}:1, \
                 past the {}:1 limit for archives over {} bytes (a likely zip bomb)",
                limits.max_ratio, limits.ratio_floor
            ),
        ));
    }
    Ok(())
}

/// Names that one filesystem would store as one file: equal after case
/// folding, or a file that is also another member's directory.
fn check_collisions(archive: &Archive) -> Result<(), ArchiveError> {
    let members = archive.members();
    let mut seen: HashMap<String, &str> = HashMap::with_capacity(members.len());
    for info in members {
        if let Some(other) = seen.insert(collision_key(&info.name), &info.name) {
            let reason = if other.trim_end_matches('/') == info.name.trim_end_matches('/') {
                format!("member name collides with \"{other}\" (a file and a directory)")
            } else {
                format!("member name collides with \"{other}\" when case is ignored")
            };
            return Err(ArchiveError::member(archive.path(), &info.name, reason));
        }
    }
    for info in members.iter().filter(|m| !m.is_dir) {
        let key = collision_key(&info.name);
        let mut parent = key.as_str();
        while let Some((dir, _)) = parent.rsplit_once('/') {
            if let Some(file) = seen.get(dir).filter(|f| !f.ends_with('/')) {
                return Err(ArchiveError::member(
                    archive.path(),
                    &info.name,
                    format!("its parent directory collides with the file \"{file}\""),
                ));
            }
            parent = dir;
        }
    }
    Ok(())
}

/// Local headers agree with the central directory, and the entries tile the
/// file exactly: the first at offset 0, each starting where the previous one
/// (with its data descriptor) ends, the central directory right after the last.
fn check_layout(archive: &Archive) -> Result<(), ArchiveError> {
    let path = archive.path();
    let data = archive.bytes();
    let cd_offset = archive.end.cd_offset;
    let members = archive.members();
    let mut order: Vec<&MemberInfo> = members.iter().collect();
    order.sort_by_key(|m| m.local_header_offset);
    let mut expected = 0u64;
    let mut previous: Option<&MemberInfo> = None;
    for info in order {
        let fail = |reason: String| ArchiveError::member(path, &info.name, reason);
        if info.local_header_offset < expected {
            // previous is set: expected > 0 only after a member.
            let other = previous.map_or("", |p| p.name.as_str());
            return Err(fail(format!("member overlaps member \"{other}\"")));
        }
        if info.local_header_offset > expected {
            let gap = info.local_header_offset - expected;
            return Err(match previous {
                None => ArchiveError::invalid(
                    path,
                    format!("{gap} bytes of unexpected data before the first member"),
                ),
                Some(_) => fail(format!("{gap} bytes of unexpected data before the member")),
            });
        }
        let local =
            format::parse_local(data, info.local_header_offset, cd_offset).map_err(&fail)?;
        if local.name != info.name.as_bytes() {
            return Err(fail(format!(
                "local file header names \"{}\"",
                String::from_utf8_lossy(local.name)
            )));
        }
        let mismatch = |field: &str, local: String, central: String| {
            fail(format!(
                "local file header {field} {local} differs from the central directory's {central}"
            ))
        };
        if local.flags != info.flags {
            return Err(mismatch(
                "flags",
                format!("{:#06x}", local.flags),
                format!("{:#06x}", info.flags),
            ));
        }
        if local.method != info.compression_method {
            return Err(mismatch(
                "compression method",
                local.method.to_string(),
                info.compression_method.to_string(),
            ));
        }
        let descriptor = info.flags & FLAG_DESCRIPTOR != 0;
        // With a data descriptor the local fields may be zero; otherwise they must agree.
        let agrees = |local: u64, central: u64| local == central || (descriptor && local == 0);
        if !agrees(local.crc32.into(), info.crc32.into()) {
            return Err(mismatch(
                "crc-32",
                format!("{:#010x}", local.crc32),
                format!("{:#010x}", info.crc32),
            ));
        }
        if !agrees(local.compressed_size, info.compressed_size) {
            return Err(mismatch(
                "compressed size",
                local.compressed_size.to_string(),
                info.compressed_size.to_string(),
            ));
        }
        if !agrees(local.size, info.size) {
            return Err(mismatch(
                "size",
                local.size.to_string(),
                info.size.to_string(),
            ));
        }
        let data_end = local
            .data_start
            .checked_add(info.compressed_size)
            .filter(|&end| end <= cd_offset)
            .ok_or_else(|| {
                fail("member data extends past the start of the central directory".into())
            })?;
        let mut end = data_end;
        if descriptor {
            let found =
                format::parse_descriptor(data, data_end, cd_offset, local.zip64).map_err(&fail)?;
            if found.crc32 != info.crc32
                || found.compressed_size != info.compressed_size
                || found.size != info.size
            {
                return Err(fail(
                    "data descriptor differs from the central directory".into(),
                ));
            }
            end += found.len;
        }
        expected = end;
        previous = Some(info);
    }
    if expected != cd_offset {
        return Err(ArchiveError::invalid(
            path,
            format!(
                "{} bytes of unexpected data before the central directory",
                cd_offset - expected
            ),
        ));
    }
    Ok(())
}

/// The one top-level `*.dist-info` directory, which must hold `WHEEL`, `METADATA` and `RECORD`.
fn find_dist_info(archive: &Archive) -> Result<&str, ArchiveError> {
    let mut found: Vec<&str> = Vec::new();
    for info in archive.members() {
        if let Some((top, _)) = info.name.split_once('/') {
            if top.ends_with(".dist-info") && !found.contains(&top) {
                found.push(top);
            }
        }
    }
    let [dist_info] = found[..] else {
        return Err(ArchiveError::invalid(
            archive.path(),
            format!(
                "expected exactly one .dist-info directory, found {}{}",
                found.len(),
                if found.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", found.join(", "))
                }
            ),
        ));
    };
    for required in ["WHEEL", "METADATA", "RECORD"] {
        let name = format!("{dist_info}/{required}");
        if archive.member(&name).is_none_or(|m| m.is_dir) {
            return Err(ArchiveError::member(
                archive.path(),
                &name,
                "required file is missing",
            ));
        }
    }
    Ok(dist_info)
}

fn is_bytecode(name: &str) -> bool {
    name.ends_with(".pyc") || name.starts_with("__pycache__/") || name.contains("/__pycache__/")
}

/// `RECORD` lists every file but itself and its signatures, each with the
/// sha256 and size of the bytes in the archive, and nothing else.
fn check_record(archive: &Archive, dist_info: &str) -> Result<Validated, ArchiveError> {
    let path = archive.path();
    let record_name = format!("{dist_info}/RECORD");
    let record_bytes = archive.read(&record_name)?;
    let record_text = std::str::from_utf8(&record_bytes)
        .map_err(|_| ArchiveError::member(path, &record_name, "RECORD is not valid utf-8"))?;
    let record = Record::parse(record_text)
        .map_err(|e| ArchiveError::member(path, &record_name, e.to_string()))?;
    let mut rows: HashMap<&str, &RecordEntry> = HashMap::with_capacity(record.entries.len());
    for entry in &record.entries {
        if rows.insert(entry.path.as_str(), entry).is_some() {
            return Err(ArchiveError::member(
                path,
                &entry.path,
                "listed more than once in RECORD",
            ));
        }
    }
    if rows
        .get(record_name.as_str())
        .is_some_and(|r| r.hash.is_some())
    {
        return Err(ArchiveError::member(
            path,
            &record_name,
            "RECORD lists a hash for itself",
        ));
    }
    let unhashed: Vec<String> = SIGNATURES
        .iter()
        .map(|s| format!("{dist_info}/{s}"))
        .chain([record_name.clone()])
        .collect();

    let mut validated = Validated {
        dist_info: dist_info.to_string(),
        members: Vec::new(),
        directories: Vec::new(),
        bytecode: Vec::new(),
        record: Record::default(),
    };
    for (index, info) in archive.members().iter().enumerate() {
        if info.is_dir {
            if rows.contains_key(info.name.as_str())
                || rows.contains_key(info.name.trim_end_matches('/'))
            {
                return Err(ArchiveError::member(
                    path,
                    &info.name,
                    "RECORD lists a directory",
                ));
            }
            validated.directories.push(info.name.clone());
            continue;
        }
        validated.members.push(info.name.clone());
        if is_bytecode(&info.name) {
            validated.bytecode.push(info.name.clone());
        }
        let fail = |reason: String| ArchiveError::member(path, &info.name, reason);
        // Every byte is read, so bad deflate data or a CRC mismatch surfaces here too.
        let bytes = archive.read_index(index)?;
        if unhashed.contains(&info.name) {
            if info.name != record_name
                && rows
                    .get(info.name.as_str())
                    .is_some_and(|r| r.hash.is_some())
            {
                return Err(fail("RECORD lists a hash for a signature file".into()));
            }
            continue;
        }
        let row = rows
            .get(info.name.as_str())
            .ok_or_else(|| fail("not listed in RECORD".into()))?;
        let (algorithm, digest) = row
            .hash
            .as_ref()
            .ok_or_else(|| fail("RECORD has no hash for it".into()))?;
        if algorithm != "sha256" {
            return Err(fail(format!(
                "RECORD hash algorithm \"{algorithm}\" is not supported (sha256 expected)"
            )));
        }
        let size = row
            .size
            .ok_or_else(|| fail("RECORD has no size for it".into()))?;
        if size != bytes.len() as u64 {
            return Err(fail(format!(
                "member is {} bytes, RECORD says {size}",
                bytes.len()
            )));
        }
        if digest.as_slice() != sha256(&bytes) {
            return Err(fail("sha256 does not match RECORD".into()));
        }
    }
    for entry in &record.entries {
        if archive.member(&entry.path).is_none() {
            return Err(ArchiveError::member(
                path,
                &entry.path,
                "listed in RECORD but not in the archive",
            ));
        }
    }
    validated.record = record;
    Ok(validated)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(name: &str, size: u64, compressed_size: u64) -> MemberInfo {
        MemberInfo {
            name: name.into(),
            crc32: 0,
            compressed_size,
            size,
            is_dir: name.ends_with('/'),
            compression_method: METHOD_DEFLATED,
            flags: 0,
            local_header_offset: 0,
            made_by: 3 << 8 | 20,
            external_attributes: if name.ends_with('/') {
                0o40755
            } else {
                0o100644
            } << 16,
        }
    }

    #[test]
    fn ok_bytecode_names() {
        assert!(is_bytecode("pkg/__pycache__/mod.cpython-311.pyc"));
        assert!(is_bytecode("__pycache__/x.txt"));
        assert!(is_bytecode("legacy.pyc"));
        assert!(!is_bytecode("pkg/mod.py"));
        assert!(!is_bytecode("pkg/not__pycache__/x.py"));
    }

    #[test]
    fn ok_member_within_limits() {
        let limits = Limits::default();
        assert_eq!(check_member(&info("pkg/a.py", 10, 5), &limits), Ok(()));
        // Small members may compress as well as they like.
        assert_eq!(
            check_member(&info("pkg/zeros", 1 << 20, 1), &limits),
            Ok(())
        );
        assert_eq!(check_member(&info("pkg/", 0, 0), &limits), Ok(()));
    }

    #[test]
    fn ok_compresses_well_but_within_budgets() {
        let limits = Limits::default();
        // pillow 13.0.0's `pillow.libs/libXau-154567c4.so.6.0.0`: 223:1.
        let xau = info("pillow.libs/libXau-154567c4.so.6.0.0", 2_100_545, 9_389);
        assert_eq!(check_member(&xau, &limits), Ok(()));
        // 200 MiB of one byte, at deflate's best: under the ratio floor, within the budget.
        assert_eq!(
            check_member(
                &info("pkg.libs/zeros.so", 200 << 20, (200 << 20) / 1030),
                &limits
            ),
            Ok(())
        );
        // A large member at an ordinary ratio: a 1.5 GB CUDA library at 3:1.
        assert_eq!(
            check_member(
                &info("torch/lib/libtorch_cuda.so", 1_500_000_000, 500_000_000),
                &limits
            ),
            Ok(())
        );
        // Past the floor, a high but possible ratio for real data.
        assert_eq!(
            check_member(&info("pkg/data.bin", 512 << 20, (512 << 20) / 900), &limits),
            Ok(())
        );
    }

    #[test]
    fn ok_excess_ratio_only_past_the_floor() {
        let limits = Limits::default();
        assert_eq!(limits.excess_ratio(limits.ratio_floor, 1), None);
        assert_eq!(
            limits.excess_ratio(limits.ratio_floor + 1, 1),
            Some(limits.ratio_floor + 1)
        );
        assert_eq!(limits.excess_ratio(1 << 30, (1 << 30) / 1000), None);
        assert_eq!(limits.excess_ratio(1 << 30, 0), Some(1 << 30));
    }

    #[test]
    fn err_member_limits() {
        let limits = Limits {
            max_member_size: 100,
            ..Limits::default()
        };
        assert_eq!(
            check_member(&info("pkg/a.py", 101, 101), &limits),
            Err(
                "inflates to 101 bytes, past the 100-byte limit for one member (--max-member-size)"
                    .to_string()
            )
        );
        assert_eq!(
            check_member(&info("pkg/", 3, 3), &limits),
            Err("directory entry has size 3".to_string())
        );
        let mut dir_as_file = info("pkg/x", 0, 0);
        dir_as_file.external_attributes = 0o40755 << 16;
        assert_eq!(
            check_member(&dir_as_file, &limits),
            Err("file type 0o40000 is not allowed".to_string())
        );
    }

    #[test]
    fn err_member_bomb() {
        // 1 GiB of zeros in 1 MiB: deflate's best ratio, past the floor.
        assert_eq!(
            check_member(&info("pkg/z", 1 << 30, 1 << 20), &Limits::default()),
            Err(
                "inflates to 1073741824 bytes at a compression ratio of 1024:1, past the \
                 1000:1 limit for members over 268435456 bytes (a likely zip bomb)"
                    .to_string()
            )
        );
        // The default member budget is the most a read holds in memory.
        assert_eq!(
            check_member(
                &info("pkg/huge", MAX_MEMBER_SIZE + 1, MAX_MEMBER_SIZE),
                &Limits::default()
            ),
            Err(format!(
                "inflates to {} bytes, past the {MAX_MEMBER_SIZE}-byte limit for one member \
                 (--max-member-size)",
                MAX_MEMBER_SIZE + 1
            ))
        );
    }
}

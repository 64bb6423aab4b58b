//! Drop-time validation of the ZIP container: everything an archive must satisfy
//! before a wheel enters a store (DESIGN §7). Slower than [`Archive::open`]: it
//! reads every local header. The wheel-level checks (`.dist-info`, `RECORD`)
//! build on this in `wheel/verify.rs`.
//!
//! Refused: unsafe or colliding names, local headers that disagree with the
//! central directory, data before, between, overlapping or after the entries
//! (stacked or prefixed archives), methods other than stored and deflate,
//! encryption, symlinks and other non-regular files, and members past the size
//! limits. <https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT>

use std::collections::HashMap;

use super::error::ArchiveError;
use super::format::{
    self, FLAG_DESCRIPTOR, FLAG_ENCRYPTED, FLAG_STRONG_ENCRYPTION, METHOD_DEFLATED, METHOD_STORED,
};
use super::mapped::{Archive, MemberInfo};
use super::names::{check_name, collision_key};
use super::read::MAX_MEMBER_SIZE;

/// Size limits for [`Archive::validate`]: absolute budgets on what a wheel inflates to, so a
/// bomb is refused while a wheel that merely compresses well is not.
///
/// A compression ratio alone does not tell a bomb from a real wheel: shared libraries that
/// are mostly zero padding deflate at hundreds to one, and pip and uv install them. What a
/// bomb costs is the bytes it inflates to, so those have a budget per member and in total.
/// The defaults sit far above the largest real wheels; `--max-member-size` and
/// `--max-total-size` on `drop`, `add` and `verify` change them.
///
/// A ratio is checked only where the inflated size is itself large (past [`Self::ratio_floor`],
/// 256 MiB): deflate cannot exceed 1032:1, so a member past 1000:1 is more than 99.9% one
/// repeated byte. No real member that large is, and checking one costs CPU and memory for
/// nothing. The same rule applies to the archive as a whole, against many members each just
/// under the floor. The figures from real wheels behind these defaults: see BENCHMARKS.md
/// ("Measurements behind design choices").
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

impl Archive {
    /// Checks the whole container for a drop; the first problem found is the error. Every
    /// local header is read, no member is inflated: reading the members (which checks their
    /// deflate data and CRC-32) is the caller's part.
    pub fn validate(&self, limits: &Limits) -> Result<(), ArchiveError> {
        for info in self.members() {
            check_member(info, limits)
                .map_err(|r| ArchiveError::member(&self.path, &info.name, r))?;
        }
        check_collisions(self)?;
        check_layout(self)?;
        check_totals(self, limits)
    }
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

/// The entries tile the file exactly: the first at offset 0, each starting where the
/// previous one (with its data descriptor) ends, the central directory right after the last.
fn check_layout(archive: &Archive) -> Result<(), ArchiveError> {
    let path = archive.path();
    let cd_offset = archive.end.cd_offset;
    let mut order: Vec<&MemberInfo> = archive.members().iter().collect();
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
        expected = entry_end(archive.bytes(), info, cd_offset).map_err(fail)?;
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

/// Where the entry of `info` ends (local header, data and data descriptor), once its local
/// header and data descriptor are found to agree with the central directory.
fn entry_end(data: &[u8], info: &MemberInfo, cd_offset: u64) -> Result<u64, String> {
    let local = format::parse_local(data, info.local_header_offset, cd_offset)?;
    check_local_header(&local, info)?;
    let data_end = local
        .data_start
        .checked_add(info.compressed_size)
        .filter(|&end| end <= cd_offset)
        .ok_or("member data extends past the start of the central directory")?;
    if info.flags & FLAG_DESCRIPTOR == 0 {
        return Ok(data_end);
    }
    let found = format::parse_descriptor(data, data_end, cd_offset, local.zip64)?;
    if found.crc32 != info.crc32
        || found.compressed_size != info.compressed_size
        || found.size != info.size
    {
        return Err("data descriptor differs from the central directory".into());
    }
    Ok(data_end + found.len)
}

/// The local header says what the central directory says: name, flags, method, and, unless
/// a data descriptor follows (then they may be zero), CRC-32 and sizes.
fn check_local_header(local: &format::LocalHeader<'_>, info: &MemberInfo) -> Result<(), String> {
    if local.name != info.name.as_bytes() {
        return Err(format!(
            "local file header names \"{}\"",
            String::from_utf8_lossy(local.name)
        ));
    }
    let mismatch = |field: &str, local: String, central: String| {
        Err(format!(
            "local file header {field} {local} differs from the central directory's {central}"
        ))
    };
    if local.flags != info.flags {
        return mismatch(
            "flags",
            format!("{:#06x}", local.flags),
            format!("{:#06x}", info.flags),
        );
    }
    if local.method != info.compression_method {
        return mismatch(
            "compression method",
            local.method.to_string(),
            info.compression_method.to_string(),
        );
    }
    let descriptor = info.flags & FLAG_DESCRIPTOR != 0;
    let agrees = |local: u64, central: u64| local == central || (descriptor && local == 0);
    if !agrees(local.crc32.into(), info.crc32.into()) {
        return mismatch(
            "crc-32",
            format!("{:#010x}", local.crc32),
            format!("{:#010x}", info.crc32),
        );
    }
    if !agrees(local.compressed_size, info.compressed_size) {
        return mismatch(
            "compressed size",
            local.compressed_size.to_string(),
            info.compressed_size.to_string(),
        );
    }
    if !agrees(local.size, info.size) {
        return mismatch("size", local.size.to_string(), info.size.to_string());
    }
    Ok(())
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

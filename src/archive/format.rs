//! The ZIP records wheelhook parses itself: the end of central directory record
//! (plain and Zip64), central directory entries, local file headers, data descriptors.
//!
//! Parsing is over byte slices of the map, with every offset and length checked,
//! so no input can index out of bounds. Errors are reason fragments; callers add
//! the archive and member names.
//! <https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT> §4.3.

pub(crate) const LOCAL_SIG: u32 = 0x0403_4b50;
pub(crate) const CENTRAL_SIG: u32 = 0x0201_4b50;
pub(crate) const EOCD_SIG: u32 = 0x0605_4b50;
pub(crate) const EOCD_SIG_BYTES: &[u8; 4] = b"PK\x05\x06";
pub(crate) const ZIP64_EOCD_SIG: u32 = 0x0606_4b50;
pub(crate) const ZIP64_LOCATOR_SIG: u32 = 0x0706_4b50;
pub(crate) const DESCRIPTOR_SIG: u32 = 0x0807_4b50;

pub(crate) const LOCAL_LEN: usize = 30;
pub(crate) const CENTRAL_LEN: usize = 46;
pub(crate) const EOCD_LEN: usize = 22;
const ZIP64_LOCATOR_LEN: usize = 20;
const ZIP64_EOCD_LEN: usize = 56;
const ZIP64_EXTRA_ID: u16 = 0x0001;

/// Flag bit 0: the member is encrypted.
pub(crate) const FLAG_ENCRYPTED: u16 = 0x0001;
/// Flag bit 3: CRC and sizes follow the data in a data descriptor.
pub(crate) const FLAG_DESCRIPTOR: u16 = 0x0008;
/// Flag bit 6: strong encryption.
pub(crate) const FLAG_STRONG_ENCRYPTION: u16 = 0x0040;
/// Flag bit 11: the name is UTF-8.
pub(crate) const FLAG_UTF8: u16 = 0x0800;

pub(crate) const METHOD_STORED: u16 = 0;
pub(crate) const METHOD_DEFLATED: u16 = 8;

fn u16_le(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_le(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn u64_le(b: &[u8], at: usize) -> u64 {
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(bytes)
}

/// `data[start..start + len]`, or `None` when that runs past the end (or overflows).
pub(crate) fn slice(data: &[u8], start: u64, len: u64) -> Option<&[u8]> {
    let start = usize::try_from(start).ok()?;
    let len = usize::try_from(len).ok()?;
    data.get(start..start.checked_add(len)?)
}

/// Offsets of every `P` byte in `data`, found eight bytes at a time: this scan
/// covers up to 64 KiB on every open, and `P` is rare in compressed data.
fn find_p_positions(data: &[u8]) -> impl Iterator<Item = usize> + '_ {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    const PS: u64 = ONES * b'P' as u64;
    data.chunks(8).enumerate().flat_map(|(i, chunk)| {
        let maybe = match <[u8; 8]>::try_from(chunk) {
            Ok(word) => {
                // A zero byte in x marks a 'P' (the classic has-zero-byte test;
                // it may flag a false positive, never miss one).
                let x = u64::from_le_bytes(word) ^ PS;
                x.wrapping_sub(ONES) & !x & HIGHS != 0
            }
            Err(_) => true,
        };
        let hits = if maybe { chunk } else { &[][..] };
        hits.iter()
            .enumerate()
            .filter(|&(_, &b)| b == b'P')
            .map(move |(j, _)| i * 8 + j)
    })
}

/// Where the central directory is, from the end of central directory record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EndRecord {
    pub entries: u64,
    pub cd_offset: u64,
    pub cd_size: u64,
    /// Where the end records begin (the Zip64 record when there is one): the
    /// central directory must end exactly here.
    pub end_start: u64,
    pub zip64: bool,
}

/// Finds the end of central directory record, then the Zip64 record when its
/// locator sits right before it.
pub(crate) fn find_end(data: &[u8]) -> Result<EndRecord, String> {
    let pos = find_eocd(data)?;
    let eocd = &data[pos..pos + EOCD_LEN];
    let disk = u16_le(eocd, 4);
    let cd_disk = u16_le(eocd, 6);
    let disk_entries = u16_le(eocd, 8);
    let entries = u16_le(eocd, 10);
    let cd_size = u32_le(eocd, 12);
    let cd_offset = u32_le(eocd, 16);

    let has_locator =
        pos >= ZIP64_LOCATOR_LEN && u32_le(data, pos - ZIP64_LOCATOR_LEN) == ZIP64_LOCATOR_SIG;
    if has_locator {
        return read_zip64(data, pos - ZIP64_LOCATOR_LEN);
    }
    if disk_entries == u16::MAX
        || entries == u16::MAX
        || cd_size == u32::MAX
        || cd_offset == u32::MAX
    {
        return Err("zip64 end of central directory locator is missing".into());
    }
    if disk != 0 || cd_disk != 0 || disk_entries != entries {
        return Err("multi-disk archives are not supported".into());
    }
    Ok(EndRecord {
        entries: entries.into(),
        cd_offset: cd_offset.into(),
        cd_size: cd_size.into(),
        end_start: pos as u64,
        zip64: false,
    })
}

/// Where the end of central directory record begins: the last `PK\x05\x06` whose comment
/// length reaches exactly to the end of the file, refusing a comment that holds another.
fn find_eocd(data: &[u8]) -> Result<usize, String> {
    if data.len() < EOCD_LEN {
        return Err(format!(
            "file is too small to be a zip archive ({} bytes)",
            data.len()
        ));
    }
    let ends_at_eof = |at: usize| at + EOCD_LEN + usize::from(u16_le(data, at + 20)) == data.len();
    let last = data.len() - EOCD_LEN;
    let first = last.saturating_sub(usize::from(u16::MAX));
    let pos = (first..=last)
        .rev()
        .find(|&pos| u32_le(data, pos) == EOCD_SIG && ends_at_eof(pos))
        .ok_or("no end of central directory record")?;
    // A second record whose comment reaches the end of the file would hide this
    // one in its comment: a zip inside the comment of another. Readers that scan
    // differently would see different archives, so refuse.
    let hidden = find_p_positions(&data[first..pos]).any(|at| {
        let at = first + at;
        u32_le(data, at) == EOCD_SIG && ends_at_eof(at)
    });
    let in_comment = data[pos + EOCD_LEN..]
        .windows(4)
        .any(|w| w == EOCD_SIG_BYTES);
    if hidden || in_comment {
        return Err("the archive comment contains an end of central directory signature".into());
    }
    Ok(pos)
}

/// The Zip64 end of central directory record, through its locator at `locator_pos`: on
/// one disk, and ending exactly where the locator begins.
fn read_zip64(data: &[u8], locator_pos: usize) -> Result<EndRecord, String> {
    let locator = &data[locator_pos..locator_pos + ZIP64_LOCATOR_LEN];
    let record_disk = u32_le(locator, 4);
    let record_offset = u64_le(locator, 8);
    let disks = u32_le(locator, 16);
    if record_disk != 0 || disks > 1 {
        return Err("multi-disk archives are not supported".into());
    }
    let record = slice(data, record_offset, ZIP64_EOCD_LEN as u64)
        .filter(|_| record_offset + (ZIP64_EOCD_LEN as u64) <= locator_pos as u64)
        .ok_or("zip64 end of central directory record is out of bounds")?;
    if u32_le(record, 0) != ZIP64_EOCD_SIG {
        return Err("zip64 end of central directory record signature is missing".into());
    }
    // The record's own size field counts the bytes after its first 12.
    let record_len = u64_le(record, 4);
    if record_len
        .checked_add(12)
        .and_then(|n| n.checked_add(record_offset))
        != Some(locator_pos as u64)
    {
        return Err("zip64 end of central directory record does not end at its locator".into());
    }
    let disk = u32_le(record, 16);
    let cd_disk = u32_le(record, 20);
    let disk_entries = u64_le(record, 24);
    let entries = u64_le(record, 32);
    if disk != 0 || cd_disk != 0 || disk_entries != entries {
        return Err("multi-disk archives are not supported".into());
    }
    Ok(EndRecord {
        entries,
        cd_size: u64_le(record, 40),
        cd_offset: u64_le(record, 48),
        end_start: record_offset,
        zip64: true,
    })
}

/// One central directory entry, sizes and offset already resolved through Zip64.
#[derive(Debug, Clone)]
pub(crate) struct CentralEntry<'a> {
    pub made_by: u16,
    pub flags: u16,
    pub method: u16,
    pub crc32: u32,
    pub compressed_size: u64,
    pub size: u64,
    pub external_attributes: u32,
    pub local_header_offset: u64,
    pub name: &'a [u8],
    /// Offset of the entry after this one, within the central directory.
    pub next: usize,
}

/// Parses the central directory entry at `pos` of `cd` (the central directory alone).
pub(crate) fn parse_central(cd: &[u8], pos: usize) -> Result<CentralEntry<'_>, String> {
    let fixed = cd
        .get(pos..pos.saturating_add(CENTRAL_LEN))
        .ok_or_else(|| "central directory is truncated".to_string())?;
    if u32_le(fixed, 0) != CENTRAL_SIG {
        return Err("central directory entry signature is missing".into());
    }
    let name_len = usize::from(u16_le(fixed, 28));
    let extra_len = usize::from(u16_le(fixed, 30));
    let comment_len = usize::from(u16_le(fixed, 32));
    let name_start = pos + CENTRAL_LEN;
    let extra_start = name_start + name_len;
    let next = extra_start + extra_len + comment_len;
    if next > cd.len() {
        return Err("central directory is truncated".into());
    }
    let name = &cd[name_start..extra_start];
    let extra = &cd[extra_start..extra_start + extra_len];
    check_extra(extra)?;
    let sizes = central_sizes(fixed, extra)?;
    Ok(CentralEntry {
        made_by: u16_le(fixed, 4),
        flags: u16_le(fixed, 8),
        method: u16_le(fixed, 10),
        crc32: u32_le(fixed, 16),
        compressed_size: sizes.compressed_size,
        size: sizes.size,
        external_attributes: u32_le(fixed, 38),
        local_header_offset: sizes.local_header_offset,
        name,
        next,
    })
}

/// The 64-bit values of a central directory entry, whichever field holds them.
struct CentralSizes {
    size: u64,
    compressed_size: u64,
    local_header_offset: u64,
}

/// The sizes and local header offset of the central entry whose fixed part is `fixed`:
/// its 32-bit fields, or, where a field is saturated, the next value of the Zip64 extra
/// field (size, compressed size, offset, then a 4-byte disk number, in that order).
fn central_sizes(fixed: &[u8], extra: &[u8]) -> Result<CentralSizes, String> {
    let disk_start = u16_le(fixed, 34);
    let mut sizes = CentralSizes {
        compressed_size: u64::from(u32_le(fixed, 20)),
        size: u64::from(u32_le(fixed, 24)),
        local_header_offset: u64::from(u32_le(fixed, 42)),
    };
    let saturated = u64::from(u32::MAX);
    let need_size = sizes.size == saturated;
    let need_csize = sizes.compressed_size == saturated;
    let need_offset = sizes.local_header_offset == saturated;
    let need_disk = disk_start == u16::MAX;
    if !(need_size || need_csize || need_offset || need_disk) {
        if disk_start != 0 {
            return Err("multi-disk archives are not supported".into());
        }
        return Ok(sizes);
    }
    let field = find_extra(extra, ZIP64_EXTRA_ID).ok_or("zip64 extra field is missing")?;
    let mut values = field.chunks_exact(8).map(|c| u64_le(c, 0));
    for (wanted, what, slot) in [
        (need_size, "size", &mut sizes.size),
        (need_csize, "compressed size", &mut sizes.compressed_size),
        (
            need_offset,
            "local header offset",
            &mut sizes.local_header_offset,
        ),
    ] {
        if wanted {
            *slot = values
                .next()
                .ok_or_else(|| format!("zip64 extra field has no {what}"))?;
        }
    }
    if need_disk {
        // The disk number is 4 bytes, after the 8-byte values present.
        let used =
            8 * (usize::from(need_size) + usize::from(need_csize) + usize::from(need_offset));
        if field.len() < used + 4 || u32_le(field, used) != 0 {
            return Err("multi-disk archives are not supported".into());
        }
    }
    Ok(sizes)
}

/// Checks that an extra-field block is a well-formed sequence of `(id, len, data)`.
fn check_extra(extra: &[u8]) -> Result<(), String> {
    let mut pos = 0;
    while pos < extra.len() {
        if pos + 4 > extra.len() {
            return Err("extra field is truncated".into());
        }
        pos += 4 + usize::from(u16_le(extra, pos + 2));
        if pos > extra.len() {
            return Err("extra field is truncated".into());
        }
    }
    Ok(())
}

/// The data of the first extra field with `id`; `extra` must have passed [`check_extra`].
fn find_extra(extra: &[u8], id: u16) -> Option<&[u8]> {
    let mut pos = 0;
    while pos + 4 <= extra.len() {
        let len = usize::from(u16_le(extra, pos + 2));
        let data = extra.get(pos + 4..pos + 4 + len)?;
        if u16_le(extra, pos) == id {
            return Some(data);
        }
        pos += 4 + len;
    }
    None
}

/// A local file header, sizes resolved through its Zip64 extra field.
#[derive(Debug, Clone)]
pub(crate) struct LocalHeader<'a> {
    pub flags: u16,
    pub method: u16,
    pub crc32: u32,
    pub compressed_size: u64,
    pub size: u64,
    pub name: &'a [u8],
    /// The header carries a Zip64 extra field, so a data descriptor has 8-byte sizes.
    pub zip64: bool,
    /// Where the member's data begins.
    pub data_start: u64,
}

/// Parses the local file header at `offset`; it must end at or before `limit`.
pub(crate) fn parse_local(data: &[u8], offset: u64, limit: u64) -> Result<LocalHeader<'_>, String> {
    let fixed = slice(data, offset, LOCAL_LEN as u64)
        .filter(|_| offset + LOCAL_LEN as u64 <= limit)
        .ok_or_else(|| "local file header is out of bounds".to_string())?;
    if u32_le(fixed, 0) != LOCAL_SIG {
        return Err("local file header signature is missing".into());
    }
    let name_len = u64::from(u16_le(fixed, 26));
    let extra_len = u64::from(u16_le(fixed, 28));
    let name_start = offset + LOCAL_LEN as u64;
    let data_start = name_start + name_len + extra_len;
    if data_start > limit {
        return Err("local file header is out of bounds".into());
    }
    let name = slice(data, name_start, name_len)
        .ok_or_else(|| "local file header is out of bounds".to_string())?;
    let extra = slice(data, name_start + name_len, extra_len)
        .ok_or_else(|| "local file header is out of bounds".to_string())?;
    check_extra(extra).map_err(|e| format!("local file header {e}"))?;
    let mut compressed_size = u64::from(u32_le(fixed, 18));
    let mut size = u64::from(u32_le(fixed, 22));
    let zip64_field = find_extra(extra, ZIP64_EXTRA_ID);
    if let Some(field) = zip64_field {
        // In a local header the Zip64 field holds the values whose 32-bit field is saturated.
        let mut values = field.chunks_exact(8).map(|c| u64_le(c, 0));
        if size == u64::from(u32::MAX) {
            size = values
                .next()
                .ok_or_else(|| "local zip64 extra field has no size".to_string())?;
        }
        if compressed_size == u64::from(u32::MAX) {
            compressed_size = values
                .next()
                .ok_or_else(|| "local zip64 extra field has no compressed size".to_string())?;
        }
    }
    Ok(LocalHeader {
        flags: u16_le(fixed, 6),
        method: u16_le(fixed, 8),
        crc32: u32_le(fixed, 14),
        compressed_size,
        size,
        name,
        zip64: zip64_field.is_some(),
        data_start,
    })
}

/// A data descriptor: what follows a member's data when flag bit 3 is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Descriptor {
    pub crc32: u32,
    pub compressed_size: u64,
    pub size: u64,
    /// Its length in bytes (12 to 24).
    pub len: u64,
}

/// Parses the data descriptor at `offset` (optional signature; 8-byte sizes when `zip64`).
pub(crate) fn parse_descriptor(
    data: &[u8],
    offset: u64,
    limit: u64,
    zip64: bool,
) -> Result<Descriptor, String> {
    let out_of_bounds = || "data descriptor is out of bounds".to_string();
    let head = slice(data, offset, 4).ok_or_else(out_of_bounds)?;
    let signed = u32_le(head, 0) == DESCRIPTOR_SIG;
    let start = if signed { 4 } else { 0 };
    let len = start + if zip64 { 20 } else { 12 };
    let bytes = slice(data, offset, len)
        .filter(|_| offset + len <= limit)
        .ok_or_else(out_of_bounds)?;
    let at = start as usize;
    let (compressed_size, size) = if zip64 {
        (u64_le(bytes, at + 4), u64_le(bytes, at + 12))
    } else {
        (u32_le(bytes, at + 4).into(), u32_le(bytes, at + 8).into())
    };
    Ok(Descriptor {
        crc32: u32_le(bytes, at),
        compressed_size,
        size,
        len,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eocd(entries: u16, cd_size: u32, cd_offset: u32, comment: &[u8]) -> Vec<u8> {
        let mut out = EOCD_SIG.to_le_bytes().to_vec();
        out.extend_from_slice(&[0, 0, 0, 0]);
        out.extend_from_slice(&entries.to_le_bytes());
        out.extend_from_slice(&entries.to_le_bytes());
        out.extend_from_slice(&cd_size.to_le_bytes());
        out.extend_from_slice(&cd_offset.to_le_bytes());
        out.extend_from_slice(&(comment.len() as u16).to_le_bytes());
        out.extend_from_slice(comment);
        out
    }

    #[test]
    fn ok_empty_archive() {
        let end = find_end(&eocd(0, 0, 0, b"")).unwrap();
        assert_eq!(end.entries, 0);
        assert_eq!(end.end_start, 0);
        assert!(!end.zip64);
    }

    #[test]
    fn ok_comment_is_skipped() {
        let mut data = vec![0u8; 10];
        data.extend(eocd(0, 0, 10, b"hello"));
        let end = find_end(&data).unwrap();
        assert_eq!(end.end_start, 10);
        assert_eq!(end.cd_offset, 10);
    }

    #[test]
    fn ok_find_p_positions() {
        let mut data = vec![0u8; 40];
        for at in [0, 7, 8, 9, 31, 39] {
            data[at] = b'P';
        }
        data[20] = b'Q';
        assert_eq!(
            find_p_positions(&data).collect::<Vec<_>>(),
            [0, 7, 8, 9, 31, 39]
        );
        assert_eq!(find_p_positions(b"xxPxx").collect::<Vec<_>>(), [2]);
    }

    #[test]
    fn err_no_end_record() {
        assert_eq!(
            find_end(&[0u8; 10]).unwrap_err(),
            "file is too small to be a zip archive (10 bytes)"
        );
        assert_eq!(
            find_end(&[0u8; 100]).unwrap_err(),
            "no end of central directory record"
        );
        // A comment length that does not reach the end of the file.
        let mut data = eocd(0, 0, 0, b"abc");
        data.push(0);
        assert_eq!(
            find_end(&data).unwrap_err(),
            "no end of central directory record"
        );
    }

    #[test]
    fn err_end_record_in_comment() {
        let inner = eocd(0, 0, 0, b"");
        let data = eocd(0, 0, 0, &inner);
        assert_eq!(
            find_end(&data).unwrap_err(),
            "the archive comment contains an end of central directory signature"
        );
    }

    #[test]
    fn err_zip64_without_locator() {
        assert_eq!(
            find_end(&eocd(u16::MAX, 0, 0, b"")).unwrap_err(),
            "zip64 end of central directory locator is missing"
        );
    }

    #[test]
    fn err_truncated_central_entry() {
        let mut cd = CENTRAL_SIG.to_le_bytes().to_vec();
        cd.resize(CENTRAL_LEN, 0);
        cd[28] = 5; // a 5-byte name that is not there
        assert_eq!(
            parse_central(&cd, 0).unwrap_err(),
            "central directory is truncated"
        );
        assert_eq!(
            parse_central(&cd[..20], 0).unwrap_err(),
            "central directory is truncated"
        );
    }

    #[test]
    fn err_malformed_extra() {
        assert_eq!(
            check_extra(&[1, 0, 9, 0, 1]).unwrap_err(),
            "extra field is truncated"
        );
        assert_eq!(
            check_extra(&[1, 0]).unwrap_err(),
            "extra field is truncated"
        );
        assert!(check_extra(&[1, 0, 1, 0, 7, 2, 0, 0, 0]).is_ok());
    }
}

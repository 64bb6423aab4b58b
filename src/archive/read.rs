//! Reading a member: stored members are slices of the map, deflated ones are
//! inflated; either way the bytes are checked against the central directory's
//! size and CRC-32 before anyone sees them.

use std::borrow::Cow;
use std::io::{Cursor, Read};
use std::sync::atomic::Ordering;

use zip::read::{read_zipfile_from_stream_with_options, ZipReadOptions};

use super::error::ArchiveError;
use super::format::{
    self, FLAG_DESCRIPTOR, FLAG_ENCRYPTED, FLAG_STRONG_ENCRYPTION, LOCAL_LEN, LOCAL_SIG,
    METHOD_DEFLATED, METHOD_STORED,
};
use super::mapped::{Archive, MemberInfo};

/// The largest member [`Archive::read`] returns: bigger ones are refused
/// before anything is allocated. Ex) the largest `.so` in a CUDA wheel is under this.
pub const MAX_MEMBER_SIZE: u64 = 4 << 30;

/// Deflate cannot expand one input byte to more than 1032 output bytes
/// (a 258-byte match coded in 2 bits), so a larger declared size is a lie.
pub(crate) const DEFLATE_MAX_RATIO: u64 = 1032;

impl Archive {
    /// The member's bytes: a slice of the map when stored, inflated when deflated.
    pub fn read(&self, name: &str) -> Result<Cow<'_, [u8]>, ArchiveError> {
        let index = self
            .index_of(name)
            .ok_or_else(|| ArchiveError::member(&self.path, name, "no such member"))?;
        self.read_index(index)
    }

    /// The bytes of the member at `index` in [`Archive::members`].
    pub fn read_index(&self, index: usize) -> Result<Cow<'_, [u8]>, ArchiveError> {
        self.read_checked(index, true)
    }

    /// As [`Self::read`], checking the CRC-32 without remembering that it matched: for reads
    /// that serve no import (choosing how to serve a wheel, unpacking it), so that the import
    /// of a member still checks the bytes it gets, even if someone broke the rule that a
    /// published wheel never changes in place in between.
    pub fn read_unmarked(&self, name: &str) -> Result<Cow<'_, [u8]>, ArchiveError> {
        let index = self
            .index_of(name)
            .ok_or_else(|| ArchiveError::member(&self.path, name, "no such member"))?;
        self.read_checked(index, false)
    }

    fn read_checked(&self, index: usize, mark: bool) -> Result<Cow<'_, [u8]>, ArchiveError> {
        let info = self.members.get(index).ok_or_else(|| {
            ArchiveError::invalid(&self.path, format!("no member at index {index}"))
        })?;
        let fail = |reason: String| ArchiveError::member(&self.path, &info.name, reason);
        let bytes = self.read_unverified(info).map_err(fail)?;
        // The verified flag only skips recomputing a CRC that already matched:
        // the map is immutable, so the answer cannot change.
        if !self.verified[index].load(Ordering::Relaxed) {
            let actual = crc32fast::hash(&bytes);
            if actual != info.crc32 {
                return Err(fail(format!(
                    "crc-32 mismatch (central directory says {:#010x}, data has {actual:#010x})",
                    info.crc32
                )));
            }
            if mark {
                self.verified[index].store(true, Ordering::Relaxed);
            }
        }
        Ok(bytes)
    }

    /// Where the member's data begins and its compressed bytes, after the cheap
    /// local-header checks: signature, same name, in bounds.
    pub(crate) fn raw_data(&self, info: &MemberInfo) -> Result<(u64, &[u8]), String> {
        let data = self.bytes();
        let limit = self.end.cd_offset;
        let offset = info.local_header_offset;
        let header = format::slice(data, offset, LOCAL_LEN as u64)
            .ok_or_else(|| "local file header is out of bounds".to_string())?;
        if header[..4] != LOCAL_SIG.to_le_bytes() {
            return Err("local file header signature is missing".into());
        }
        let name_len = u64::from(u16::from_le_bytes([header[26], header[27]]));
        let extra_len = u64::from(u16::from_le_bytes([header[28], header[29]]));
        let name_start = offset + LOCAL_LEN as u64;
        if format::slice(data, name_start, name_len) != Some(info.name.as_bytes()) {
            return Err("local file header names a different member".into());
        }
        let data_start = name_start + name_len + extra_len;
        let raw = format::slice(data, data_start, info.compressed_size)
            .filter(|_| data_start + info.compressed_size <= limit)
            .ok_or_else(|| {
                "member data extends past the start of the central directory".to_string()
            })?;
        Ok((data_start, raw))
    }

    fn read_unverified(&self, info: &MemberInfo) -> Result<Cow<'_, [u8]>, String> {
        if info.flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION) != 0 {
            return Err("encrypted members are not supported".into());
        }
        if info.size > MAX_MEMBER_SIZE || usize::try_from(info.size).is_err() {
            return Err(format!(
                "member size {} exceeds the {MAX_MEMBER_SIZE}-byte limit",
                info.size
            ));
        }
        let (_, raw) = self.raw_data(info)?;
        match info.compression_method {
            METHOD_STORED => {
                if info.compressed_size != info.size {
                    return Err(format!(
                        "stored member has compressed size {} but size {}",
                        info.compressed_size, info.size
                    ));
                }
                Ok(Cow::Borrowed(raw))
            }
            METHOD_DEFLATED => inflate(raw, info.size).map(Cow::Owned),
            method => Err(format!("compression method {method} is not supported")),
        }
    }
}

/// Inflates raw deflate data that must produce exactly `size` bytes.
///
/// The zip crate's stream reader does the inflating; it is fed a synthetic
/// local header carrying our sizes, chained before the mapped data, so it never
/// sees (or trusts) the archive's own headers. Its CRC check is off: the caller
/// checks against the central directory.
pub(crate) fn inflate(raw: &[u8], size: u64) -> Result<Vec<u8>, String> {
    if size > (raw.len() as u64 + 1).saturating_mul(DEFLATE_MAX_RATIO) {
        return Err(format!(
            "declared size {size} is impossible for {} bytes of deflate data",
            raw.len()
        ));
    }
    let mut header = [0u8; LOCAL_LEN];
    header[..4].copy_from_slice(&LOCAL_SIG.to_le_bytes());
    // Flag bit 3 makes the reader take the compressed size from the options below.
    header[6..8].copy_from_slice(&FLAG_DESCRIPTOR.to_le_bytes());
    header[8..10].copy_from_slice(&METHOD_DEFLATED.to_le_bytes());
    let mut stream = Cursor::new(header).chain(raw);
    // One byte more than declared may come out, so an overlong stream is caught here.
    let options = ZipReadOptions::new()
        .ignore_crc32(true)
        .override_compressed_size(raw.len() as u64)
        .override_uncompressed_size(size.saturating_add(1));
    let bad = |e: &dyn std::fmt::Display| format!("member data is not valid deflate data ({e})");
    let file = read_zipfile_from_stream_with_options(&mut stream, options)
        .map_err(|e| bad(&e))?
        .ok_or_else(|| bad(&"no local header"))?;
    // size <= MAX_MEMBER_SIZE and fits usize: checked by the caller.
    let mut out = Vec::with_capacity(size as usize);
    file.take(size.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| bad(&e))?;
    if out.len() as u64 != size {
        return Err(if out.len() as u64 > size {
            format!("member inflates past its declared size {size}")
        } else {
            format!(
                "member inflates to {} bytes, not its declared size {size}",
                out.len()
            )
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fixed-Huffman deflate stream of "hello" (what zlib emits for it, raw).
    const HELLO: &[u8] = &[0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];

    #[test]
    fn ok_inflate() {
        assert_eq!(inflate(HELLO, 5).unwrap(), b"hello");
        // An empty final stored block.
        assert_eq!(inflate(&[0x03, 0x00], 0).unwrap(), b"");
    }

    #[test]
    fn err_inflate_size_lies() {
        assert_eq!(
            inflate(HELLO, 4).unwrap_err(),
            "member inflates past its declared size 4"
        );
        assert_eq!(
            inflate(HELLO, 6).unwrap_err(),
            "member inflates to 5 bytes, not its declared size 6"
        );
        assert_eq!(
            inflate(HELLO, 1 << 30).unwrap_err(),
            "declared size 1073741824 is impossible for 7 bytes of deflate data"
        );
    }

    #[test]
    fn err_inflate_garbage() {
        assert_eq!(
            inflate(&[0xff, 0xff, 0xff], 3).unwrap_err(),
            "member data is not valid deflate data (corrupt deflate stream)"
        );
    }
}

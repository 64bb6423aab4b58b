//! A test-only ZIP writer: builds good wheels and, through its overrides, every
//! hostile variant the archive checks must refuse.
//!
//! It writes the records byte by byte (APPNOTE §4.3) so each field can be made
//! to lie; deflate data comes from the zip crate's writer.

use std::io::{Cursor, Write};

use _native::hash::sha256;
use _native::wheel::encode_digest;

/// How one member is written. `None` overrides write the true value.
#[derive(Debug, Clone, Default)]
pub struct Member {
    pub name: Vec<u8>,
    pub data: Vec<u8>,
    pub deflate: bool,
    /// General purpose flags; bit 11 (UTF-8) is added for non-ASCII names unless `no_utf8_flag`.
    pub flags: u16,
    pub no_utf8_flag: bool,
    /// Unix `st_mode`; `None` means 0o100644 (0o40755 for names ending in `/`).
    pub mode: Option<u32>,
    pub local_extra: Vec<u8>,
    pub central_extra: Vec<u8>,
    pub comment: Vec<u8>,
    /// Write a data descriptor (flag bit 3), with or without its signature.
    pub descriptor: Option<bool>,
    /// Saturate the 32-bit sizes and offset and carry them in Zip64 extra fields.
    pub zip64: bool,
    pub local_name: Option<Vec<u8>>,
    pub local_method: Option<u16>,
    pub local_flags: Option<u16>,
    pub local_crc: Option<u32>,
    pub local_size: Option<u32>,
    pub central_crc: Option<u32>,
    pub central_size: Option<u64>,
    pub central_compressed_size: Option<u64>,
    pub central_method: Option<u16>,
    pub central_offset: Option<u64>,
    /// Replaces the compressed bytes written (the central sizes still describe `data`).
    pub raw_override: Option<Vec<u8>>,
    /// Bytes written after this member (and its descriptor), before the next.
    pub trailing: Vec<u8>,
}

impl Member {
    pub fn new(name: &str, data: &[u8]) -> Self {
        Self {
            name: name.as_bytes().to_vec(),
            data: data.to_vec(),
            ..Self::default()
        }
    }

    pub fn deflated(name: &str, data: &[u8]) -> Self {
        Self {
            deflate: true,
            ..Self::new(name, data)
        }
    }

    pub fn dir(name: &str) -> Self {
        Self::new(name, b"")
    }
}

/// A whole archive.
#[derive(Debug, Clone, Default)]
pub struct Zip {
    pub members: Vec<Member>,
    pub comment: Vec<u8>,
    /// Bytes before the first member; offsets are written as if they were not there.
    pub prefix: Vec<u8>,
    /// Bytes before the first member, with offsets that account for them.
    pub prefix_absolute: Vec<u8>,
    /// Bytes between the central directory and the end record(s).
    pub before_end: Vec<u8>,
    /// Write Zip64 end records (saturating the plain end record's fields).
    pub zip64_end: bool,
    /// Override the entry count in the end record.
    pub entries_override: Option<u16>,
}

/// Raw deflate data for `data`, taken out of a one-member archive written by the zip crate.
pub fn deflate(data: &[u8]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    writer.start_file("x", options).unwrap();
    writer.write_all(data).unwrap();
    let bytes = writer.finish().unwrap().into_inner();
    let u16_at = |at: usize| usize::from(u16::from_le_bytes([bytes[at], bytes[at + 1]]));
    let csize = u32::from_le_bytes(bytes[18..22].try_into().unwrap()) as usize;
    let start = 30 + u16_at(26) + u16_at(28);
    bytes[start..start + csize].to_vec()
}

fn push16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn push32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn push64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn sat32(v: u64, zip64: bool) -> u32 {
    if zip64 {
        u32::MAX
    } else {
        u32::try_from(v).unwrap()
    }
}

impl Zip {
    pub fn new(members: Vec<Member>) -> Self {
        Self {
            members,
            ..Self::default()
        }
    }

    /// A wheel for `name-1.0`: the given files, `WHEEL`, `METADATA`, then a correct `RECORD`.
    pub fn wheel(files: Vec<Member>) -> Self {
        let mut zip = Self::new(files);
        zip.members.push(Member::new(
            "demo-1.0.dist-info/WHEEL",
            b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        ));
        zip.members.push(Member::deflated(
            "demo-1.0.dist-info/METADATA",
            b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n",
        ));
        zip.add_record();
        zip
    }

    /// The `RECORD` a correct wheel would carry for the current members.
    pub fn record_text(&self) -> String {
        let mut text = String::new();
        for m in &self.members {
            let name = String::from_utf8_lossy(&m.name).into_owned();
            if name.ends_with('/') || name.ends_with("/RECORD") {
                continue;
            }
            let quoted = if name.contains([',', '"']) {
                format!("\"{}\"", name.replace('"', "\"\""))
            } else {
                name
            };
            text.push_str(&format!(
                "{quoted},sha256={},{}\n",
                encode_digest(&sha256(&m.data)),
                m.data.len()
            ));
        }
        text.push_str("demo-1.0.dist-info/RECORD,,\n");
        text
    }

    /// Appends (or replaces) `demo-1.0.dist-info/RECORD`, computed from the members.
    pub fn add_record(&mut self) {
        self.members
            .retain(|m| m.name != b"demo-1.0.dist-info/RECORD");
        let text = self.record_text();
        self.members.push(Member::deflated(
            "demo-1.0.dist-info/RECORD",
            text.as_bytes(),
        ));
    }

    /// The member called `name`, for a test to tamper with.
    pub fn member(&mut self, name: &str) -> &mut Member {
        self.members
            .iter_mut()
            .find(|m| m.name == name.as_bytes())
            .unwrap_or_else(|| panic!("no member {name}"))
    }

    pub fn build(&self) -> Vec<u8> {
        let mut out = self.prefix.clone();
        out.extend_from_slice(&self.prefix_absolute);
        let base = self.prefix.len() as u64;
        let mut central = Vec::new();
        for m in &self.members {
            let offset = out.len() as u64 - base;
            let is_dir = m.name.ends_with(b"/");
            let compressed = match (&m.raw_override, m.deflate) {
                (Some(raw), _) => raw.clone(),
                (None, true) => deflate(&m.data),
                (None, false) => m.data.clone(),
            };
            let method: u16 = if m.deflate { 8 } else { 0 };
            let crc = crc32fast::hash(&m.data);
            let mut flags = m.flags;
            if !m.name.is_ascii() && !m.no_utf8_flag {
                flags |= 0x0800;
            }
            if m.descriptor.is_some() {
                flags |= 0x0008;
            }
            let csize = compressed.len() as u64;
            let size = m.data.len() as u64;

            // Local file header.
            let local_name = m.local_name.clone().unwrap_or_else(|| m.name.clone());
            let mut local_extra = Vec::new();
            if m.zip64 {
                push16(&mut local_extra, 1);
                push16(&mut local_extra, 16);
                let (s, c) = if m.descriptor.is_some() {
                    (0, 0)
                } else {
                    (size, csize)
                };
                push64(&mut local_extra, s);
                push64(&mut local_extra, c);
            }
            local_extra.extend_from_slice(&m.local_extra);
            push32(&mut out, 0x0403_4b50);
            push16(&mut out, if m.zip64 { 45 } else { 20 });
            push16(&mut out, m.local_flags.unwrap_or(flags));
            push16(&mut out, m.local_method.unwrap_or(method));
            push16(&mut out, 0); // time
            push16(&mut out, 0x21); // date: 1980-01-01
            let (l_crc, l_csize, l_size) = if m.descriptor.is_some() {
                (0, 0, 0)
            } else {
                (crc, sat32(csize, m.zip64), sat32(size, m.zip64))
            };
            push32(&mut out, m.local_crc.unwrap_or(l_crc));
            push32(&mut out, l_csize);
            push32(&mut out, m.local_size.unwrap_or(l_size));
            push16(&mut out, local_name.len() as u16);
            push16(&mut out, local_extra.len() as u16);
            out.extend_from_slice(&local_name);
            out.extend_from_slice(&local_extra);
            out.extend_from_slice(&compressed);
            if let Some(signed) = m.descriptor {
                if signed {
                    push32(&mut out, 0x0807_4b50);
                }
                push32(&mut out, crc);
                if m.zip64 {
                    push64(&mut out, csize);
                    push64(&mut out, size);
                } else {
                    push32(&mut out, csize as u32);
                    push32(&mut out, size as u32);
                }
            }
            out.extend_from_slice(&m.trailing);

            // Central directory entry.
            let c_size = m.central_size.unwrap_or(size);
            let c_csize = m.central_compressed_size.unwrap_or(csize);
            let c_offset = m.central_offset.unwrap_or(offset);
            let mut extra = Vec::new();
            if m.zip64 {
                push16(&mut extra, 1);
                push16(&mut extra, 24);
                push64(&mut extra, c_size);
                push64(&mut extra, c_csize);
                push64(&mut extra, c_offset);
            }
            extra.extend_from_slice(&m.central_extra);
            let mode = m.mode.unwrap_or(if is_dir { 0o40755 } else { 0o100644 });
            push32(&mut central, 0x0201_4b50);
            push16(&mut central, 3 << 8 | if m.zip64 { 45 } else { 20 });
            push16(&mut central, if m.zip64 { 45 } else { 20 });
            push16(&mut central, flags);
            push16(&mut central, m.central_method.unwrap_or(method));
            push16(&mut central, 0);
            push16(&mut central, 0x21);
            push32(&mut central, m.central_crc.unwrap_or(crc));
            push32(&mut central, sat32(c_csize, m.zip64));
            push32(&mut central, sat32(c_size, m.zip64));
            push16(&mut central, m.name.len() as u16);
            push16(&mut central, extra.len() as u16);
            push16(&mut central, m.comment.len() as u16);
            push16(&mut central, 0); // disk
            push16(&mut central, 0); // internal attributes
            push32(&mut central, mode << 16 | if is_dir { 0x10 } else { 0 });
            push32(&mut central, sat32(c_offset, m.zip64));
            central.extend_from_slice(&m.name);
            central.extend_from_slice(&extra);
            central.extend_from_slice(&m.comment);
        }
        let cd_offset = out.len() as u64 - base;
        out.extend_from_slice(&central);
        out.extend_from_slice(&self.before_end);
        let entries = self.members.len() as u64;
        let cd_size = central.len() as u64;
        if self.zip64_end {
            let record_offset = out.len() as u64 - base;
            push32(&mut out, 0x0606_4b50);
            push64(&mut out, 44);
            push16(&mut out, 45);
            push16(&mut out, 45);
            push32(&mut out, 0);
            push32(&mut out, 0);
            push64(&mut out, entries);
            push64(&mut out, entries);
            push64(&mut out, cd_size);
            push64(&mut out, cd_offset);
            push32(&mut out, 0x0706_4b50);
            push32(&mut out, 0);
            push64(&mut out, record_offset);
            push32(&mut out, 1);
        }
        let count = self.entries_override.unwrap_or(if self.zip64_end {
            u16::MAX
        } else {
            entries as u16
        });
        push32(&mut out, 0x0605_4b50);
        push16(&mut out, 0);
        push16(&mut out, 0);
        push16(&mut out, count);
        push16(&mut out, count);
        push32(&mut out, sat32(cd_size, self.zip64_end));
        push32(&mut out, sat32(cd_offset, self.zip64_end));
        push16(&mut out, self.comment.len() as u16);
        out.extend_from_slice(&self.comment);
        out
    }
}

/// A fresh directory under the system temp dir for one test, removed when dropped.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(label: &str) -> Self {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("wheelhook-test-{}-{n}-{label}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    /// Writes `bytes` to `name` in the directory and returns its path.
    pub fn write(&self, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

//! Native extensions: materialised once into the private cache, their layout kept, verified
//! against `RECORD` before every load.
//!
//! The dynamic loader cannot read from a ZIP, so an extension module, and every shared library a
//! wheel bundles beside it (auditwheel's `<name>.libs/`, delocate's `.dylibs/`), is written out
//! under `<cache>/native/<wheel file name>-<path hash>/` at its member path. Keeping the relative
//! layout keeps `$ORIGIN`-relative RPATHs (`$ORIGIN/../numpy.libs`) resolving.
//!
//! Resources a caller needs by path (`wheelhook.resource_filename`) are extracted the same way,
//! verified against `RECORD`, under `<cache>/resources/<wheel file name>-<RECORD hash>/`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use thiserror::Error;

use super::atomic::{collect_stale, read_small, write_atomic};
use crate::archive::{check_name, Archive, MemberInfo};
use crate::hash::sha256;
use crate::import::ActiveDist;
use crate::wheel::{is_native, Record};

/// Why a native member cannot be loaded. Always names the wheel and the member.
#[derive(Debug, Error)]
pub enum NativeError {
    #[error("{wheel}: member \"{member}\": {reason}")]
    Member {
        wheel: PathBuf,
        member: String,
        reason: String,
    },
    #[error("{wheel}: {reason}")]
    Wheel { wheel: PathBuf, reason: String },
}

impl NativeError {
    /// The wheel the error is about.
    pub fn wheel(&self) -> &Path {
        match self {
            Self::Member { wheel, .. } | Self::Wheel { wheel, .. } => wheel,
        }
    }
}

/// The native part of the cache.
#[derive(Debug, Clone)]
pub struct NativeCache {
    root: PathBuf,
    /// Where resources are extracted to (see [`NativeCache::extract`]).
    resources: PathBuf,
}

impl NativeCache {
    /// `cache_dir` is the private cache directory (already checked).
    pub fn new(cache_dir: &Path) -> Self {
        Self {
            root: cache_dir.join("native"),
            resources: cache_dir.join("resources"),
        }
    }

    /// Where a wheel's native members go.
    pub fn wheel_dir(&self, wheel: &Path) -> PathBuf {
        super::dir::wheel_dir(&self.root, wheel)
    }

    /// Writes out every native member of `dist` that is missing or does not match `RECORD`, then
    /// checks all of them against `RECORD`; returns the directory to load from.
    pub fn materialise(&self, dist: &ActiveDist) -> Result<PathBuf, NativeError> {
        let wheel = dist.path().to_path_buf();
        let wheel_err = |reason: String| NativeError::Wheel {
            wheel: wheel.clone(),
            reason,
        };
        let (record, _) = read_record(dist).map_err(wheel_err)?;
        let dir = self.wheel_dir(&wheel);
        // Each directory that receives files: collect what killed writers left there, once.
        let mut collected = HashSet::new();
        let mut written = Vec::new();
        for member in dist
            .archive
            .members()
            .iter()
            .filter(|m| !m.is_dir && is_native(&m.name))
        {
            let member_err = |reason: String| NativeError::Member {
                wheel: wheel.clone(),
                member: member.name.clone(),
                reason,
            };
            let target = target_for(&dir, member).map_err(member_err)?;
            let expected = expected_digest(&record, &member.name).map_err(member_err)?;
            if file_digest(&target).is_some_and(|d| d == expected) {
                continue; // checked against RECORD in this process: loaded as it is
            }
            let data = dist
                .read(&member.name)
                .map_err(|e| member_err(e.to_string()))?;
            if sha256(&data) != expected {
                return Err(member_err("the bytes do not match the RECORD hash".into()));
            }
            collect_before_writing(&target, &mut collected);
            write_atomic(&target, &data, true)
                .map_err(|e| member_err(format!("cannot write {}: {e}", target.display())))?;
            set_executable(&target);
            written.push(member);
        }
        // What was written is read back and checked like a file found in place; a file found in
        // place was checked above (reading it twice, as this once did, doubled the opens, the
        // `fstat`s and the hashing of every native file of a warm start).
        self.verify(dist, &record, &dir, &written)?;
        Ok(dir)
    }

    /// Unpacks the whole wheel (but its `.data/scripts|headers|data`) into the directory native
    /// members go to, for packages that open their own files by path; returns the directory.
    ///
    /// A marker written last records the archive's members (names, CRC-32s, sizes): while it
    /// matches, a later process reuses the copy without writing. The copy lives in the private
    /// cache, trusted like the bytecode cache; native members are still checked against
    /// `RECORD` before they are loaded.
    pub fn unpack(&self, archive: &Archive) -> Result<PathBuf, NativeError> {
        let dir = self.wheel_dir(archive.path());
        let marker = dir.join(UNPACKED_MARKER);
        let fingerprint = fingerprint_text(archive);
        if read_small(&marker).is_ok_and(|m| m == fingerprint) {
            return Ok(dir);
        }
        write_tree(archive, &dir, false)?;
        write_atomic(&marker, fingerprint.as_bytes(), true)
            .map_err(|e| cannot_write(archive, &marker, &e))?;
        Ok(dir)
    }

    /// Extracts `member` of `dist` (a file, or a directory with everything under it) into the
    /// resource part of the cache and returns its path there, which lasts.
    ///
    /// The copy is content-addressed: its directory is named by the wheel's file name and the
    /// SHA-256 of its `RECORD`, which holds the hash of every member, so processes share it, it
    /// is reused while the wheel is unchanged, and a changed wheel gets a new directory while
    /// the old one stays for whoever holds its paths. Every file is checked against `RECORD`:
    /// one that already matches is kept (another process wrote it), one that does not is
    /// written again from the archive, whose bytes must match too.
    pub fn extract(&self, dist: &ActiveDist, member: &str) -> Result<PathBuf, NativeError> {
        let wheel = dist.path().to_path_buf();
        let member_err = |member: &str, reason: String| NativeError::Member {
            wheel: wheel.clone(),
            member: member.to_owned(),
            reason,
        };
        let member = member.trim_end_matches('/');
        let (record, record_digest) = read_record(dist).map_err(|reason| NativeError::Wheel {
            wheel: wheel.clone(),
            reason,
        })?;
        let file_name = wheel
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let key: String = record_digest[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let dir = self.resources.join(format!("{file_name}-{key}"));
        let prefix = format!("{member}/");
        let files: Vec<&MemberInfo> = dist
            .archive
            .members()
            .iter()
            .filter(|m| !m.is_dir && (m.name == member || m.name.starts_with(&prefix)))
            .collect();
        if files.is_empty() {
            return Err(member_err(
                member,
                "no such file or directory in the wheel".into(),
            ));
        }
        let mut collected = HashSet::new();
        for info in files {
            let name = info.name.as_str();
            let target = target_for(&dir, info).map_err(|r| member_err(name, r))?;
            let expected = expected_digest(&record, name).map_err(|r| member_err(name, r))?;
            if file_digest(&target).is_some_and(|d| d == expected) {
                continue;
            }
            let data = dist
                .read(name)
                .map_err(|e| member_err(name, e.to_string()))?;
            if sha256(&data) != expected {
                return Err(member_err(
                    name,
                    "the bytes do not match the RECORD hash".into(),
                ));
            }
            collect_before_writing(&target, &mut collected);
            write_atomic(&target, &data, false)
                .map_err(|e| member_err(name, format!("cannot write {}: {e}", target.display())))?;
        }
        Ok(dir.join(member))
    }

    /// Checks the materialised copies of `members` (native members of `dist`) against `RECORD`:
    /// a file changed on disk since it was written is never executed.
    fn verify(
        &self,
        dist: &ActiveDist,
        record: &Record,
        dir: &Path,
        members: &[&MemberInfo],
    ) -> Result<(), NativeError> {
        for member in members {
            let expected =
                expected_digest(record, &member.name).map_err(|reason| NativeError::Member {
                    wheel: dist.path().to_path_buf(),
                    member: member.name.clone(),
                    reason,
                })?;
            if file_digest(&dir.join(&member.name)) != Some(expected) {
                return Err(NativeError::Member {
                    wheel: dist.path().to_path_buf(),
                    member: member.name.clone(),
                    reason: format!(
                        "the materialised copy in {} does not match the RECORD hash (changed on disk?)",
                        dir.display()
                    ),
                });
            }
        }
        Ok(())
    }
}

/// Where `member` is written under `dir`, once its name is known to be safe (a wheel put into a
/// store by hand was never validated: `../../x.so` must not write outside the cache).
fn target_for(dir: &Path, member: &MemberInfo) -> Result<PathBuf, String> {
    check_name(&member.name, member.utf8_flag())
        .map_err(|reason| format!("unsafe member name: {reason}"))?;
    Ok(dir.join(&member.name))
}

/// Before the first file a call writes into `target`'s directory: collects the temporary files
/// killed writers left there. Only a directory about to receive a file is listed (a warm start,
/// which writes nothing, lists none).
fn collect_before_writing(target: &Path, collected: &mut HashSet<PathBuf>) {
    if let Some(parent) = target.parent() {
        if collected.insert(parent.to_path_buf()) {
            collect_stale(parent, STALE_AFTER);
        }
    }
}

/// Writes every member of `archive` (but its `.data/scripts|headers|data`) under `dir`, at its
/// member path. `shared`: for every user of a store (files 0644, folders 0755, whatever the
/// umask, each file fsynced), rather than for this user alone.
pub(super) fn write_tree(archive: &Archive, dir: &Path, shared: bool) -> Result<(), NativeError> {
    let excluded = |name: &str| {
        name.split_once(".data/").is_some_and(|(head, rest)| {
            !head.contains('/')
                && ["scripts/", "headers/", "data/"]
                    .iter()
                    .any(|d| rest.starts_with(d))
        })
    };
    let mut collected = HashSet::new();
    for member in archive
        .members()
        .iter()
        .filter(|m| !m.is_dir && !excluded(&m.name))
    {
        let member_err = |reason: String| NativeError::Member {
            wheel: archive.path().to_path_buf(),
            member: member.name.clone(),
            reason,
        };
        let target = target_for(dir, member).map_err(member_err)?;
        let data = archive
            .read_unmarked(&member.name)
            .map_err(|e| member_err(e.to_string()))?;
        collect_before_writing(&target, &mut collected);
        // A shared copy is written to a store, durably, as everything written to a store is:
        // its marker is fsynced last, and must never outlive a file that a crash lost.
        write_atomic(&target, &data, shared)
            .map_err(|e| member_err(format!("cannot write {}: {e}", target.display())))?;
        if is_native(&member.name) {
            set_executable(&target);
        } else if shared {
            set_mode(&target, 0o644);
        }
    }
    if shared {
        for folder in collected.iter().chain([&dir.to_path_buf()]) {
            let mut at = folder.as_path();
            while at.starts_with(dir) {
                set_mode(at, 0o755);
                match at.parent() {
                    Some(parent) => at = parent,
                    None => break,
                }
            }
        }
    }
    Ok(())
}

fn cannot_write(archive: &Archive, path: &Path, e: &std::io::Error) -> NativeError {
    NativeError::Wheel {
        wheel: archive.path().to_path_buf(),
        reason: format!("cannot write {}: {e}", path.display()),
    }
}

/// The marker's text for `archive`: its members' fingerprint.
pub(super) fn fingerprint_text(archive: &Archive) -> String {
    format!("{:016x}\n", members_fingerprint(archive))
}

#[cfg(unix)]
pub(super) fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode));
}

#[cfg(not(unix))]
pub(super) fn set_mode(_path: &Path, _mode: u32) {}

/// How old a temporary file must be to be collected even if its writer seems alive.
const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(600);

/// The file that marks a complete unpacked copy.
pub(super) const UNPACKED_MARKER: &str = ".wheelhook-unpacked";

/// A digest of what the central directory says of every member: a changed wheel (even one
/// replaced under the same name) gets a new copy.
fn members_fingerprint(archive: &Archive) -> u64 {
    let mut text = Vec::new();
    for m in archive.members() {
        text.extend_from_slice(m.name.as_bytes());
        text.extend_from_slice(&m.crc32.to_le_bytes());
        text.extend_from_slice(&m.size.to_le_bytes());
    }
    crate::hash::fnv64(&text)
}

/// The parsed `RECORD` of `dist`, and the SHA-256 of its bytes.
fn read_record(dist: &ActiveDist) -> Result<(Record, [u8; 32]), String> {
    let record_member = format!("{}/RECORD", dist.dist_info);
    let bytes = dist.read(&record_member).map_err(|e| e.to_string())?;
    let text = std::str::from_utf8(&bytes).map_err(|_| "RECORD is not UTF-8".to_owned())?;
    let record = Record::parse(text).map_err(|e| e.to_string())?;
    Ok((record, sha256(&bytes)))
}

fn expected_digest(record: &Record, member: &str) -> Result<[u8; 32], String> {
    let entry = record
        .get(member)
        .ok_or("not listed in RECORD, so it cannot be verified")?;
    match &entry.hash {
        Some(hash) if hash.algorithm == "sha256" => hash
            .digest
            .as_slice()
            .try_into()
            .map_err(|_| "the RECORD sha256 digest is not 32 bytes".to_owned()),
        Some(hash) => Err(format!(
            "RECORD hashes it with {}, not sha256",
            hash.algorithm
        )),
        None => Err("RECORD has no hash for it, so it cannot be verified".to_owned()),
    }
}

fn file_digest(path: &Path) -> Option<[u8; 32]> {
    std::fs::read(path).ok().map(|d| sha256(&d))
}

#[cfg(unix)]
fn set_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700));
}

#[cfg(not(unix))]
fn set_executable(_path: &Path) {}

#[cfg(test)]
mod tests {
    use super::is_native;

    #[test]
    fn ok_native_members() {
        for yes in [
            "pkg/_c.cpython-311-x86_64-linux-gnu.so",
            "pkg/_c.abi3.so",
            "numpy.libs/libopenblas64_p-r0-0cf96a72.3.23.dev.so",
            "pillow.libs/libjpeg-1.so.62.4.0",
            "pkg/.dylibs/libz.1.dylib",
            "pkg/_c.pyd",
            "x-1.0.data/platlib/pkg/_c.so",
        ] {
            assert!(is_native(yes), "{yes}");
        }
        for no in [
            "pkg/__init__.py",
            "pkg/data.sofa",
            "pkg/so/x.py",
            "pkg.libs/",
            "README.so.md.txt",
        ] {
            assert!(!is_native(no), "{no}");
        }
    }
}

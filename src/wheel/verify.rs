//! Drop-time verification of a wheel: its `.dist-info` directory and `RECORD`, on top of the
//! ZIP-level checks of [`Archive::validate`] (DESIGN §7). Every member is read, so bad deflate
//! data and CRC-32 mismatches surface here too.
//!
//! Refused, besides what the archive refuses: a missing or ambiguous `.dist-info`
//! directory, a missing `WHEEL`, `METADATA` or `RECORD`, and any member that `RECORD`
//! does not describe exactly (sha256 and size).
//! <https://packaging.python.org/en/latest/specifications/binary-distribution-format/>

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use thiserror::Error;

use super::locate::{find_dist_info, LocateError};
use super::record::{Record, RecordEntry, RecordError};
use crate::archive::{Archive, ArchiveError, Limits};
use crate::hash::sha256;

/// Why a wheel failed verification. Always names the wheel; `Member` also names the member.
/// Ex) `six.whl: member "six.py": sha256 does not match RECORD`
#[derive(Debug, Error)]
pub enum VerifyError {
    /// The ZIP container is refused, or a member could not be read.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    /// Ex) `six.whl: expected exactly one .dist-info directory, found 0`
    #[error("{path}: {reason}")]
    DistInfo { path: PathBuf, reason: LocateError },
    /// Ex) `six.whl: member "six.py": not listed in RECORD`
    #[error("{path}: member \"{member}\": {reason}")]
    Member {
        path: PathBuf,
        member: String,
        reason: MemberProblem,
    },
}

/// What is wrong with one member or its `RECORD` row.
#[derive(Debug, Error)]
pub enum MemberProblem {
    /// `WHEEL`, `METADATA` or `RECORD` is absent from the `.dist-info` directory.
    #[error("required file is missing")]
    Missing,
    #[error("RECORD is not valid utf-8")]
    RecordNotUtf8,
    /// Ex) `RECORD line 3: expected 3 fields, found 2`
    #[error(transparent)]
    RecordSyntax(#[from] RecordError),
    #[error("listed more than once in RECORD")]
    ListedTwice,
    #[error("RECORD lists a hash for itself")]
    RecordHashesItself,
    #[error("RECORD lists a hash for a signature file")]
    SignatureHashed,
    #[error("RECORD lists a directory")]
    DirectoryListed,
    #[error("not listed in RECORD")]
    NotListed,
    #[error("listed in RECORD but not in the archive")]
    NotInArchive,
    #[error("RECORD has no hash for it")]
    NoHash,
    /// Ex) `RECORD hash algorithm "md5" is not supported (sha256 expected)`
    #[error("RECORD hash algorithm \"{0}\" is not supported (sha256 expected)")]
    Algorithm(String),
    #[error("RECORD has no size for it")]
    NoSize,
    /// Ex) `member is 12 bytes, RECORD says 10`
    #[error("member is {actual} bytes, RECORD says {recorded}")]
    Size { actual: u64, recorded: u64 },
    #[error("sha256 does not match RECORD")]
    Digest,
}

impl VerifyError {
    fn member(path: &Path, member: &str, reason: MemberProblem) -> Self {
        Self::Member {
            path: path.to_path_buf(),
            member: member.to_owned(),
            reason,
        }
    }
}

/// What a verified wheel holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedWheel {
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

/// The files every `.dist-info` directory of a wheel holds.
const REQUIRED: [&str; 3] = ["WHEEL", "METADATA", "RECORD"];

/// Verifies `archive` with the default [`Limits`].
pub fn verify(archive: &Archive) -> Result<VerifiedWheel, VerifyError> {
    verify_with(archive, &Limits::default())
}

/// Verifies `archive` for a drop: the container, then the wheel; the first problem found is
/// the error.
pub fn verify_with(archive: &Archive, limits: &Limits) -> Result<VerifiedWheel, VerifyError> {
    archive.validate(limits)?;
    let dist_info = find_dist_info(archive).map_err(|reason| VerifyError::DistInfo {
        path: archive.path().to_path_buf(),
        reason,
    })?;
    for required in REQUIRED {
        let name = format!("{dist_info}/{required}");
        if archive.member(&name).is_none_or(|m| m.is_dir) {
            return Err(VerifyError::member(
                archive.path(),
                &name,
                MemberProblem::Missing,
            ));
        }
    }
    let record = read_record(archive, &dist_info)?;
    let verified = check_members(archive, &dist_info, &record)?;
    Ok(VerifiedWheel { record, ..verified })
}

fn is_bytecode(name: &str) -> bool {
    name.ends_with(".pyc") || name.starts_with("__pycache__/") || name.contains("/__pycache__/")
}

/// Reads and parses `RECORD`, which may not list a path twice nor a hash for itself.
fn read_record(archive: &Archive, dist_info: &str) -> Result<Record, VerifyError> {
    let path = archive.path();
    let record_name = format!("{dist_info}/RECORD");
    let fail = |reason| VerifyError::member(path, &record_name, reason);
    let bytes = archive.read(&record_name)?;
    let text = std::str::from_utf8(&bytes).map_err(|_| fail(MemberProblem::RecordNotUtf8))?;
    let record = Record::parse(text).map_err(|e| fail(e.into()))?;
    let mut seen = HashMap::with_capacity(record.entries.len());
    for entry in &record.entries {
        if seen.insert(entry.path.as_str(), ()).is_some() {
            return Err(VerifyError::member(
                path,
                &entry.path,
                MemberProblem::ListedTwice,
            ));
        }
    }
    if record.get(&record_name).is_some_and(|r| r.hash.is_some()) {
        return Err(fail(MemberProblem::RecordHashesItself));
    }
    Ok(record)
}

/// `RECORD` lists every file but itself and its signatures, each with the sha256 and size
/// of the bytes in the archive, and nothing else. `record` comes back empty in the result.
fn check_members(
    archive: &Archive,
    dist_info: &str,
    record: &Record,
) -> Result<VerifiedWheel, VerifyError> {
    let path = archive.path();
    let rows: HashMap<&str, &RecordEntry> = record
        .entries
        .iter()
        .map(|entry| (entry.path.as_str(), entry))
        .collect();
    let unhashed: Vec<String> = SIGNATURES
        .iter()
        .chain(&["RECORD"])
        .map(|s| format!("{dist_info}/{s}"))
        .collect();
    let mut verified = VerifiedWheel {
        dist_info: dist_info.to_owned(),
        members: Vec::new(),
        directories: Vec::new(),
        bytecode: Vec::new(),
        record: Record::default(),
    };
    for (index, info) in archive.members().iter().enumerate() {
        let fail = |reason| VerifyError::member(path, &info.name, reason);
        if info.is_dir {
            if rows.contains_key(info.name.as_str())
                || rows.contains_key(info.name.trim_end_matches('/'))
            {
                return Err(fail(MemberProblem::DirectoryListed));
            }
            verified.directories.push(info.name.clone());
            continue;
        }
        verified.members.push(info.name.clone());
        if is_bytecode(&info.name) {
            verified.bytecode.push(info.name.clone());
        }
        // Every byte is read, so bad deflate data or a CRC mismatch surfaces here too.
        let bytes = archive.read_index(index)?;
        let row = rows.get(info.name.as_str()).copied();
        check_file(row, unhashed.contains(&info.name), &bytes).map_err(fail)?;
    }
    if let Some(ghost) = record
        .entries
        .iter()
        .find(|e| archive.member(&e.path).is_none())
    {
        return Err(VerifyError::member(
            path,
            &ghost.path,
            MemberProblem::NotInArchive,
        ));
    }
    Ok(verified)
}

/// One file member against its `RECORD` row, if any: `RECORD` and its signatures
/// (`unhashed`) carry no hash, every other file a sha256 digest and the size of `bytes`.
fn check_file(
    row: Option<&RecordEntry>,
    unhashed: bool,
    bytes: &[u8],
) -> Result<(), MemberProblem> {
    if unhashed {
        // RECORD hashing itself was refused when it was read.
        return match row {
            Some(row) if row.hash.is_some() => Err(MemberProblem::SignatureHashed),
            _ => Ok(()),
        };
    }
    let row = row.ok_or(MemberProblem::NotListed)?;
    let hash = row.hash.as_ref().ok_or(MemberProblem::NoHash)?;
    if hash.algorithm != "sha256" {
        return Err(MemberProblem::Algorithm(hash.algorithm.clone()));
    }
    let recorded = row.size.ok_or(MemberProblem::NoSize)?;
    let actual = bytes.len() as u64;
    if recorded != actual {
        return Err(MemberProblem::Size { actual, recorded });
    }
    if hash.digest.as_slice() != sha256(bytes) {
        return Err(MemberProblem::Digest);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ok_bytecode_names() {
        assert!(is_bytecode("pkg/__pycache__/mod.cpython-311.pyc"));
        assert!(is_bytecode("__pycache__/x.txt"));
        assert!(is_bytecode("legacy.pyc"));
        assert!(!is_bytecode("pkg/mod.py"));
        assert!(!is_bytecode("pkg/not__pycache__/x.py"));
    }

    #[test]
    fn ok_messages_name_wheel_and_member() {
        let path = Path::new("six.whl");
        let err = VerifyError::member(
            path,
            "six.py",
            MemberProblem::Size {
                actual: 12,
                recorded: 10,
            },
        );
        assert_eq!(
            err.to_string(),
            "six.whl: member \"six.py\": member is 12 bytes, RECORD says 10"
        );
        let err = VerifyError::DistInfo {
            path: path.to_path_buf(),
            reason: LocateError::Missing,
        };
        assert_eq!(
            err.to_string(),
            "six.whl: expected exactly one .dist-info directory, found 0"
        );
    }
}

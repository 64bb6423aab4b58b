//! Memory-mapped wheel archives: the central-directory index, member reads, drop-time validation. STUB.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use thiserror::Error;

/// Why an archive could not be opened or a member read. Always names the archive.
#[derive(Debug, Error)]
pub enum ArchiveError {
    #[error("{path}: {reason}")]
    Invalid { path: PathBuf, reason: String },
    #[error("{path}: member \"{member}\": {reason}")]
    Member {
        path: PathBuf,
        member: String,
        reason: String,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A `.whl` (ZIP) file mapped into memory, its central directory indexed.
#[derive(Debug)]
pub struct Archive {
    path: PathBuf,
}

/// What the central directory says of one member.
#[derive(Debug, Clone)]
pub struct MemberInfo {
    pub name: String,
    pub crc32: u32,
    pub compressed_size: u64,
    pub size: u64,
    pub is_dir: bool,
}

impl Archive {
    /// Maps `path` and indexes its central directory.
    pub fn open(path: &Path) -> Result<Self, ArchiveError> {
        let _ = path;
        todo!()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every member, in central-directory order.
    pub fn members(&self) -> &[MemberInfo] {
        todo!()
    }

    pub fn member(&self, _name: &str) -> Option<&MemberInfo> {
        todo!()
    }

    /// The member's bytes: a slice of the map when stored, inflated when deflated.
    pub fn read(&self, _name: &str) -> Result<Cow<'_, [u8]>, ArchiveError> {
        todo!()
    }
}

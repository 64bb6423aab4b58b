//! [`ArchiveError`]: every failure to open, read or validate a wheel archive names the file.

use std::path::{Path, PathBuf};

use thiserror::Error;

/// Why an archive could not be opened, a member read, or the archive validated.
/// Always names the archive; `Member` also names the member. Reasons are
/// lowercase fragments. Ex) `six.whl: member "six.py": crc-32 mismatch (...)`
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

impl ArchiveError {
    pub(crate) fn invalid(path: &Path, reason: impl Into<String>) -> Self {
        Self::Invalid {
            path: path.to_path_buf(),
            reason: reason.into(),
        }
    }

    pub(crate) fn member(path: &Path, member: &str, reason: impl Into<String>) -> Self {
        Self::Member {
            path: path.to_path_buf(),
            member: member.to_string(),
            reason: reason.into(),
        }
    }

    /// The archive the error is about.
    pub fn path(&self) -> &Path {
        match self {
            Self::Invalid { path, .. } | Self::Member { path, .. } | Self::Io { path, .. } => path,
        }
    }

    /// The member the error is about, if it is about one.
    pub fn member_name(&self) -> Option<&str> {
        match self {
            Self::Member { member, .. } => Some(member),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ok_messages_name_archive_and_member() {
        let path = Path::new("six-1.15.0-py2.py3-none-any.whl");
        assert_eq!(
            ArchiveError::invalid(path, "no end of central directory record").to_string(),
            "six-1.15.0-py2.py3-none-any.whl: no end of central directory record"
        );
        let err = ArchiveError::member(path, "six.py", "encrypted members are not supported");
        assert_eq!(
            err.to_string(),
            "six-1.15.0-py2.py3-none-any.whl: member \"six.py\": encrypted members are not supported"
        );
        assert_eq!(err.member_name(), Some("six.py"));
        assert_eq!(err.path(), path);
    }
}

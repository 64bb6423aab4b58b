//! The crate-wide error: each module has its own `thiserror` enum, gathered here, so that one
//! conversion (in the pyo3 layer) turns any of them into the exception a caller expects.

use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::archive::ArchiveError;
use crate::cache::{CacheError, NativeError};
use crate::import::ImportError;
use crate::lock::LockError;
use crate::resolve::ResolveError;
use crate::script::ScriptError;
use crate::session::SessionError;
use crate::wheel::{DistInfoError, FilenameError, RecordError, RequirementError};

/// Any failure of the wheelhook core.
#[derive(Debug, Error)]
pub enum Error {
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    #[error(transparent)]
    Filename(#[from] FilenameError),
    #[error(transparent)]
    DistInfo(#[from] DistInfoError),
    #[error(transparent)]
    Record(#[from] RecordError),
    #[error(transparent)]
    Requirement(#[from] RequirementError),
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    #[error(transparent)]
    Script(#[from] ScriptError),
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error(transparent)]
    Native(#[from] NativeError),
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A wheel refused before it is dropped into a store: the message names the file and the
    /// reason. Ex) `six-1.15.0-py3-none-any.whl: the filename says version 1.15.0 but METADATA says 1.16.0`
    #[error("{message}")]
    InvalidWheel { wheel: PathBuf, message: String },
}

impl Error {
    /// A wheel refused by the checks before a drop, for any reason `cause` gives.
    pub fn invalid_wheel(wheel: &Path, cause: impl std::fmt::Display) -> Self {
        Self::InvalidWheel {
            wheel: wheel.to_path_buf(),
            message: cause.to_string(),
        }
    }
}

/// `Result` with the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

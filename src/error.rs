//! The crate-wide error: each module has its own `thiserror` enum, gathered here.

use thiserror::Error;

/// Any failure of the wheelhook core.
#[derive(Debug, Error)]
pub enum Error {
    #[error(transparent)]
    Filename(#[from] crate::wheel::FilenameError),
    #[error(transparent)]
    DistInfo(#[from] crate::wheel::DistInfoError),
    #[error(transparent)]
    Archive(#[from] crate::archive::ArchiveError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// `Result` with the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

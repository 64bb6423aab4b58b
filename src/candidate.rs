//! A candidate: one usable version of a distribution, where it comes from, and the files that
//! looked like candidates but cannot be used.

use std::path::{Path, PathBuf};

use pep440_rs::Version;

use crate::wheel::{PackageName, WheelFilename};

/// Where a candidate comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A `.whl` file in a store directory.
    Wheel {
        path: PathBuf,
        filename: WheelFilename,
    },
    /// A normally installed distribution: its `.dist-info` or `.egg-info` directory.
    Default { dist_info: PathBuf },
}

/// One usable version of a distribution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub name: PackageName,
    pub version: Version,
    pub origin: Origin,
    /// Tag priority of a wheel (0 is best); 0 for defaults.
    pub rank: usize,
}

impl Candidate {
    pub fn is_default(&self) -> bool {
        matches!(self.origin, Origin::Default { .. })
    }
}

/// A file that looked like a candidate but cannot be used, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub path: PathBuf,
    pub version: Option<Version>,
    pub reason: String,
}

impl Origin {
    /// The wheel file or the `.dist-info` directory.
    pub fn path(&self) -> &Path {
        match self {
            Origin::Wheel { path, .. } => path,
            Origin::Default { dist_info } => dist_info,
        }
    }
}

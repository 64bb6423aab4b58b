//! A candidate: one usable version of a distribution, where it comes from, and the files that
//! looked like candidates but cannot be used.

use std::fmt;
use std::path::{Path, PathBuf};

use pep440_rs::Version;

use crate::wheel::{PackageName, WheelFilename};

/// Where a candidate comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A `.whl` file in a store directory.
    Wheel {
        /// The wheel file. Ex) `/store/six-1.16.0-py2.py3-none-any.whl`
        path: PathBuf,
        /// Its parsed file name.
        filename: WheelFilename,
    },
    /// A normally installed distribution: its `.dist-info` or `.egg-info` directory.
    Default {
        /// Ex) `/usr/lib/python3/dist-packages/six-1.16.0.dist-info`
        dist_info: PathBuf,
    },
}

/// One usable version of a distribution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The normalised distribution name. Ex) `zope-interface`
    pub name: PackageName,
    /// Ex) `1.16.0`
    pub version: Version,
    /// The file or directory it is read from.
    pub origin: Origin,
    /// Tag priority of a wheel (0 is best); 0 for defaults.
    pub rank: usize,
}

impl Candidate {
    /// Whether it is a normally installed distribution rather than a wheel.
    pub fn is_default(&self) -> bool {
        matches!(self.origin, Origin::Default { .. })
    }
}

/// A candidate as error messages show it.
/// Ex) `six 1.16.0 (installed)`, `six 1.15.0 (wheel /store/six-1.15.0-py2.py3-none-any.whl)`
impl fmt::Display for Candidate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.origin {
            Origin::Default { .. } => write!(f, "{} {} (installed)", self.name, self.version),
            Origin::Wheel { path, .. } => {
                write!(
                    f,
                    "{} {} (wheel {})",
                    self.name,
                    self.version,
                    path.display()
                )
            }
        }
    }
}

/// A file that looked like a candidate but cannot be used, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// The file. Ex) `/store/six-1.17.0-cp27-cp27m-win32.whl`
    pub path: PathBuf,
    /// Its version, when its name could be parsed.
    pub version: Option<Version>,
    /// Why it cannot be used, a lowercase fragment. Ex) `incompatible tags (cp27-cp27m-win32)`
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

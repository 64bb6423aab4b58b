//! Wheel filenames (PEP 427). STUB: to be implemented.

use std::fmt;
use std::str::FromStr;

use pep440_rs::Version;
use thiserror::Error;

use super::{PackageName, Tag};

/// A parsed wheel filename: `{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl`.
///
/// <https://packaging.python.org/en/latest/specifications/binary-distribution-format/#file-name-convention>
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WheelFilename {
    pub name: PackageName,
    pub version: Version,
    /// The build tag: a number and an optional string suffix. Ex) `1` in `six-1.0-1-py3-none-any.whl`
    pub build_tag: Option<(u64, String)>,
    /// Compressed tag sets, split on `.`. Ex) `["py2", "py3"]`
    pub python_tags: Vec<String>,
    pub abi_tags: Vec<String>,
    pub platform_tags: Vec<String>,
}

/// Why a wheel filename is invalid.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum FilenameError {
    #[error("The wheel filename \"{0}\" is invalid: {1}")]
    Invalid(String, String),
}

impl WheelFilename {
    /// Every tag the compressed tag sets expand to.
    pub fn tags(&self) -> impl Iterator<Item = Tag> + '_ {
        self.python_tags.iter().flat_map(move |py| {
            self.abi_tags.iter().flat_map(move |abi| {
                self.platform_tags.iter().map(move |plat| Tag {
                    interpreter: py.clone(),
                    abi: abi.clone(),
                    platform: plat.clone(),
                })
            })
        })
    }
}

impl FromStr for WheelFilename {
    type Err = FilenameError;

    fn from_str(_s: &str) -> Result<Self, Self::Err> {
        todo!("wheel filename parsing")
    }
}

impl fmt::Display for WheelFilename {
    fn fmt(&self, _f: &mut fmt::Formatter<'_>) -> fmt::Result {
        todo!("wheel filename display")
    }
}

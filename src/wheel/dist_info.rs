//! The `WHEEL` and `METADATA` files of a `.dist-info` directory. STUB.

use pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::{ExtraName, Requirement};
use thiserror::Error;

/// Why a `WHEEL` or `METADATA` file could not be read.
#[derive(Debug, Error)]
pub enum DistInfoError {
    #[error("{file}: {reason}")]
    Invalid { file: String, reason: String },
}

/// The `WHEEL` file. <https://packaging.python.org/en/latest/specifications/binary-distribution-format/#the-dist-info-directory>
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WheelInfo {
    /// `Wheel-Version`. Ex) `(1, 0)`
    pub wheel_version: (u32, u32),
    /// `Root-Is-Purelib`.
    pub root_is_purelib: bool,
    /// `Tag` lines.
    pub tags: Vec<String>,
}

impl WheelInfo {
    pub fn parse(_text: &str) -> Result<Self, DistInfoError> {
        todo!()
    }
}

/// The core metadata fields wheelhook uses. <https://packaging.python.org/en/latest/specifications/core-metadata/>
#[derive(Debug, Clone)]
pub struct Metadata {
    pub name: String,
    pub version: Version,
    pub requires_dist: Vec<Requirement>,
    pub requires_python: Option<VersionSpecifiers>,
    pub provides_extra: Vec<ExtraName>,
}

impl Metadata {
    pub fn parse(_text: &str) -> Result<Self, DistInfoError> {
        todo!()
    }
}

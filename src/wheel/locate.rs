//! Finding a wheel's `.dist-info` directory among its members: the one rule for it.
//!
//! <https://packaging.python.org/en/latest/specifications/binary-distribution-format/#the-dist-info-directory>

use thiserror::Error;

use crate::archive::Archive;

/// Why an archive has no single `.dist-info` directory.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LocateError {
    #[error("expected exactly one .dist-info directory, found 0")]
    Missing,
    /// Every top-level `.dist-info` directory, in member order.
    /// Ex) `expected exactly one .dist-info directory, found 2 (a-1.dist-info, b-2.dist-info)`
    #[error("expected exactly one .dist-info directory, found {} ({})", .0.len(), .0.join(", "))]
    Several(Vec<String>),
}

/// The single top-level `*.dist-info/` directory of an archive, without the trailing
/// slash. Ex) `six-1.15.0.dist-info`
pub fn find_dist_info(archive: &Archive) -> Result<String, LocateError> {
    let mut found: Vec<&str> = Vec::new();
    for member in archive.members() {
        if let Some((top, _)) = member.name.split_once('/') {
            if top.ends_with(".dist-info") && !found.contains(&top) {
                found.push(top);
            }
        }
    }
    match found[..] {
        [dist_info] => Ok(dist_info.to_owned()),
        [] => Err(LocateError::Missing),
        _ => Err(LocateError::Several(
            found.into_iter().map(str::to_owned).collect(),
        )),
    }
}

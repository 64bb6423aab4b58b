//! Why a set of requirements cannot be met, as data, with the sentences a user reads.

use std::fmt;

use pep440_rs::Version;
use thiserror::Error;

use super::environment::FactsError;
use crate::candidate::{Candidate, Rejected};
use crate::wheel::PackageName;

/// Why a set of requirements cannot be met.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ResolveError {
    /// A requirement names nothing usable: every candidate of the distribution, and why each
    /// was refused.
    /// Ex) `No distribution satisfies "six==9.0" (required by the program): found six 1.16.0 ...`
    #[error(
        "No distribution satisfies \"{requirement}\" (required by {required_by}): {candidates}"
    )]
    NotFound {
        /// The requirement as written, without its marker. Ex) `six==9.0`
        requirement: String,
        /// Who asked for it. Ex) `the program`, `app 1.2`
        required_by: String,
        /// What exists of the distribution it names.
        candidates: Listing,
    },
    /// Candidates exist but no consistent choice does.
    #[error("{reason}")]
    Conflict {
        /// The clash with an active version, or the derivation.
        reason: ConflictReason,
    },
    /// A direct URL requirement: wheelhook resolves only from the wheels in its store.
    /// Ex) `six @ https://example.com/six-1.0-py3-none-any.whl`
    #[error("The requirement \"{requirement}\" names a URL: wheelhook resolves from the wheels in its store, drop the wheel there and require it by name")]
    Url {
        /// The requirement as written, marker included.
        requirement: String,
    },
    /// The interpreter facts cannot be read as a marker environment.
    #[error(transparent)]
    Facts(#[from] FactsError),
}

/// Why no consistent choice exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConflictReason {
    /// A requirement excludes the version already active in the process.
    Active {
        /// The requirement as written, without its marker. Ex) `six>=1.16`
        requirement: String,
        /// Who asked for it. Ex) `the program`, `app 1.2`
        required_by: String,
        /// The distribution whose version is in use. Ex) `six`
        name: PackageName,
        /// The version in use. Ex) `1.15.0`
        version: Version,
    },
    /// pubgrub's proof, as the "because ..." sentences of the PubGrub paper.
    Derivation {
        /// One sentence a line, ending with its number where a later line refers to it.
        lines: Vec<String>,
        /// The candidates of each distribution some of whose versions could not be used.
        short_of: Vec<Listing>,
    },
}

impl fmt::Display for ConflictReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Active {
                requirement,
                required_by,
                name,
                version,
            } => write!(
                f,
                "\"{requirement}\" (required by {required_by}) conflicts with {name} {version}, which is already active in this process: a version cannot change once it is in use"
            ),
            Self::Derivation { lines, short_of } => {
                f.write_str("The requirements cannot be met together:")?;
                for line in lines {
                    write!(f, "\n  {line}")?;
                }
                for listing in short_of {
                    write!(f, "\n  Candidates of {}: {listing}", listing.name)?;
                }
                Ok(())
            }
        }
    }
}

/// Every candidate and skipped file of one distribution, grouped by why it cannot serve.
/// Ex) `found six 1.16.0 (installed): the version does not match ==9.0; skipped ...: incompatible tags`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    /// The distribution. Ex) `six`
    pub name: PackageName,
    /// Runs of candidates refused for the same reason, best version first.
    pub groups: Vec<Refusal>,
    /// Files of the distribution that are not candidates at all.
    pub skipped: Vec<Rejected>,
}

/// Candidates that cannot serve a requirement for one reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// In the order they are listed: highest version first, a default before wheels.
    pub candidates: Vec<Candidate>,
    /// Ex) `the version does not match ==9.0`, `usable`, `not tried`
    pub reason: String,
}

impl fmt::Display for Listing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.groups.is_empty() && self.skipped.is_empty() {
            return write!(
                f,
                "no wheel or installed distribution named \"{}\" was found",
                self.name
            );
        }
        let mut separator = "";
        for (i, group) in self.groups.iter().enumerate() {
            f.write_str(separator)?;
            separator = "; ";
            if i == 0 {
                f.write_str("found ")?;
            }
            for (j, candidate) in group.candidates.iter().enumerate() {
                if j > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{candidate}")?;
            }
            write!(f, ": {}", group.reason)?;
        }
        for rejected in &self.skipped {
            write!(
                f,
                "{separator}skipped {}: {}",
                rejected.path.display(),
                rejected.reason
            )?;
            separator = "; ";
        }
        Ok(())
    }
}

//! Requirement resolution: environment markers, the backtracking resolver, explanations. STUB.

use std::collections::HashMap;
use std::sync::Arc;

use pep440_rs::Version;
use pep508_rs::Requirement;
use thiserror::Error;

use crate::store::{Candidate, Rejected};
use crate::wheel::{Metadata, PackageName};

/// What the resolver asks of the store.
pub trait Provider {
    /// The usable candidates of a distribution, any order.
    fn candidates(&self, name: &PackageName) -> &[Candidate];
    /// Files of that distribution that cannot be used, with the reason (for error messages).
    fn rejected(&self, name: &PackageName) -> &[Rejected];
    /// A candidate's core metadata, read lazily (only for candidates the resolver considers).
    fn metadata(&self, candidate: &Candidate) -> Result<Arc<Metadata>, String>;
}

/// The running interpreter's marker values, keyed by PEP 508 marker name.
/// Ex) `{"python_version": "3.11", "sys_platform": "linux", ...}`
pub type EnvironmentFacts = HashMap<String, String>;

/// Why a set of requirements cannot be met.
#[derive(Debug, Error)]
pub enum ResolveError {
    /// A requirement names nothing usable; the message lists every candidate and why it was rejected.
    #[error("{0}")]
    NotFound(String),
    /// Candidates exist but no consistent choice does; the message is the derivation.
    #[error("{0}")]
    Conflict(String),
    /// The facts or a requirement could not be understood.
    #[error("{0}")]
    Invalid(String),
}

/// Picks one candidate per distribution for `requirements` and everything they need.
///
/// `locked` are versions already fixed in this process (already active or imported): the
/// result keeps them or fails with a conflict.
pub fn resolve<P: Provider>(
    _provider: &P,
    _requirements: &[Requirement],
    _facts: &EnvironmentFacts,
    _locked: &HashMap<PackageName, Version>,
) -> Result<Vec<Candidate>, ResolveError> {
    todo!()
}

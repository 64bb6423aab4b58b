//! Requirement resolution: environment markers, the backtracking resolver, explanations.
//!
//! [`resolve`] picks one candidate per distribution for a set of PEP 508 requirements and
//! everything they need, transitively, with pubgrub. Markers are evaluated for the running
//! interpreter ([`Environment`]), extras are honoured, `Requires-Python` is checked, and
//! metadata is read lazily: only for the versions the resolver actually tries.

pub(crate) mod environment;
mod error;
mod package;
mod report;
mod resolver;
mod specifier;
mod version_set;

use std::collections::HashMap;
use std::sync::Arc;

use pep440_rs::Version;
use pep508_rs::{Requirement, VersionOrUrl};
use pubgrub::PubGrubError;

pub use environment::{Environment, FactsError, MARKER_NAMES};
pub use error::{ConflictReason, Listing, Refusal, ResolveError};
pub use specifier::{admitted, contains, matches, names_prerelease};

use crate::candidate::{Candidate, Rejected};
use crate::wheel::{Metadata, PackageName};
use package::Node;
use resolver::{root_version, Resolver};

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

/// Picks one candidate per distribution for `requirements` and everything they need.
///
/// `locked` are versions already fixed in this process (already active or imported): the
/// result keeps them or fails with a conflict. The result is sorted by name.
///
/// Preference, per distribution: a default (installed) version that the requirements admit;
/// otherwise the highest admitted version; among files of one version, the default, then the
/// wheel with the best tag rank. Pre-releases follow pip (see `specifier.rs`).
pub fn resolve<P: Provider>(
    provider: &P,
    requirements: &[Requirement],
    facts: &EnvironmentFacts,
    locked: &HashMap<PackageName, Version>,
) -> Result<Vec<Candidate>, ResolveError> {
    let env = Environment::from_facts(facts)?;
    resolve_in(provider, requirements, &env, locked)
}

/// Resolves in a built environment; a URL requirement is refused before pubgrub starts.
fn resolve_in<P: Provider>(
    provider: &P,
    requirements: &[Requirement],
    env: &Environment,
    locked: &HashMap<PackageName, Version>,
) -> Result<Vec<Candidate>, ResolveError> {
    if let Some(direct) = requirements
        .iter()
        .find(|r| matches!(r.version_or_url, Some(VersionOrUrl::Url(_))))
    {
        return Err(ResolveError::Url {
            requirement: direct.to_string(),
        });
    }
    let resolver = Resolver::new(provider, env, locked, requirements);
    match pubgrub::resolve(&resolver, Node::Root, root_version()) {
        Ok(selected) => {
            let mut chosen: Vec<Candidate> = selected
                .iter()
                .filter_map(|(node, version)| match node {
                    Node::Dist(name) => resolver.chosen(name, version),
                    _ => None,
                })
                .collect();
            chosen.sort_by(|a, b| a.name.cmp(&b.name));
            Ok(chosen)
        }
        Err(PubGrubError::NoSolution(tree)) => Err(report::explain(tree, &resolver)),
        // The resolver's own errors are `Infallible`: pubgrub cannot fail any other way.
        Err(
            PubGrubError::ErrorRetrievingDependencies { source, .. }
            | PubGrubError::ErrorChoosingVersion { source, .. }
            | PubGrubError::ErrorInShouldCancel(source),
        ) => match source {},
    }
}

//! The pubgrub `DependencyProvider` over a [`Provider`]: candidates, lazy metadata, preferences.

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::HashMap;
use std::convert::Infallible;
use std::fmt;
use std::rc::Rc;
use std::sync::Arc;

use pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::{ExtraName, Requirement, VersionOrUrl};
use pubgrub::{
    Dependencies, DependencyConstraints, DependencyProvider, PackageResolutionStatistics,
    VersionSet,
};

use super::environment::Environment;
use super::package::Node;
use super::specifier::admitted;
use super::version_set::Versions;
use super::Provider;
use crate::candidate::Candidate;
use crate::wheel::{Metadata, PackageName};

/// The version the root node is given (it has only one).
pub fn root_version() -> Version {
    Version::new([0u64])
}

/// Why a version that exists cannot be used (pubgrub's custom incompatibility).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unusable {
    /// Its `Requires-Python` excludes the running interpreter.
    RequiresPython {
        /// The specifier set. Ex) `>=3.12`
        requires: String,
        /// The running interpreter's full version. Ex) `3.11.7`
        python: String,
    },
    /// No candidate of that version has readable metadata; the reasons, one per file.
    Unreadable(Vec<String>),
}

impl fmt::Display for Unusable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::RequiresPython { requires, python } => {
                write!(f, "requires Python {requires} (this is Python {python})")
            }
            Self::Unreadable(reasons) => {
                write!(f, "its metadata cannot be read: {}", reasons.join("; "))
            }
        }
    }
}

/// The usable versions of one distribution, as the resolver sees them.
#[derive(Debug)]
pub struct Catalog {
    /// Distinct versions, ascending (only the locked one when the name is locked).
    pub versions: Vec<Version>,
    /// For each version, indices into `Provider::candidates` in preference order: a default
    /// first, then wheels by tag rank.
    pub candidates: Vec<Vec<usize>>,
    /// The version already active in the process, if any.
    pub locked: Option<Version>,
}

impl Catalog {
    fn new(candidates: &[Candidate], locked: Option<&Version>) -> Self {
        let mut order: Vec<usize> = (0..candidates.len())
            .filter(|&i| locked.is_none_or(|l| candidates[i].version == *l))
            .collect();
        order.sort_by(|&a, &b| {
            let (a, b) = (&candidates[a], &candidates[b]);
            a.version
                .cmp(&b.version)
                .then_with(|| b.is_default().cmp(&a.is_default()))
                .then_with(|| a.rank.cmp(&b.rank))
        });
        let mut versions: Vec<Version> = Vec::new();
        let mut grouped: Vec<Vec<usize>> = Vec::new();
        for i in order {
            if versions.last() == Some(&candidates[i].version) {
                // Just pushed alongside its version, so the last group exists.
                grouped
                    .last_mut()
                    .expect("group of the last version")
                    .push(i);
            } else {
                versions.push(candidates[i].version.clone());
                grouped.push(vec![i]);
            }
        }
        Self {
            versions,
            candidates: grouped,
            locked: locked.cloned(),
        }
    }

    fn index(&self, version: &Version) -> Option<usize> {
        self.versions.binary_search(version).ok()
    }
}

/// Metadata of a version, and which of its candidates it came from.
type Read = Result<(usize, Arc<Metadata>), Unusable>;

/// The state of one resolution: the provider, the environment and what was learnt so far.
pub struct Resolver<'a, P: Provider> {
    provider: &'a P,
    env: &'a Environment,
    locked: &'a HashMap<PackageName, Version>,
    root: &'a [Requirement],
    catalogs: RefCell<HashMap<PackageName, Rc<Catalog>>>,
    reads: RefCell<HashMap<(PackageName, Version), Read>>,
    /// Why a candidate's metadata could not be read, by index into `Provider::candidates`.
    failures: RefCell<HashMap<(PackageName, usize), String>>,
    /// Requirements as written, per dependency edge `(dependent, its version, dependency)`.
    edges: RefCell<HashMap<(Node, Version, Node), Vec<Requirement>>>,
}

impl<'a, P: Provider> Resolver<'a, P> {
    /// A resolution of `root` (the program's requirements) over `provider`'s candidates.
    pub fn new(
        provider: &'a P,
        env: &'a Environment,
        locked: &'a HashMap<PackageName, Version>,
        root: &'a [Requirement],
    ) -> Self {
        Self {
            provider,
            env,
            locked,
            root,
            catalogs: RefCell::default(),
            reads: RefCell::default(),
            failures: RefCell::default(),
            edges: RefCell::default(),
        }
    }

    /// The store resolved from.
    pub fn provider(&self) -> &P {
        self.provider
    }

    /// The version of `name` already active in the process.
    pub fn locked(&self, name: &PackageName) -> Option<&Version> {
        self.locked.get(name)
    }

    /// The catalog of `name`, built on first use from the provider's candidates.
    pub fn catalog(&self, name: &PackageName) -> Rc<Catalog> {
        if let Some(catalog) = self.catalogs.borrow().get(name) {
            return Rc::clone(catalog);
        }
        let catalog = Rc::new(Catalog::new(
            self.provider.candidates(name),
            self.locked.get(name),
        ));
        self.catalogs
            .borrow_mut()
            .insert(name.clone(), Rc::clone(&catalog));
        catalog
    }

    /// The requirements written on the edge from `dependent` at `version` to `dependency`.
    pub fn edge(&self, dependent: &Node, version: &Version, dependency: &Node) -> Vec<Requirement> {
        self.edges
            .borrow()
            .get(&(dependent.clone(), version.clone(), dependency.clone()))
            .cloned()
            .unwrap_or_default()
    }

    /// Every edge into `dependency`: `(dependent, version, requirements)`.
    pub fn edges_into(&self, dependency: &Node) -> Vec<(Node, Version, Vec<Requirement>)> {
        let mut out: Vec<_> = self
            .edges
            .borrow()
            .iter()
            .filter(|((_, _, to), _)| to == dependency)
            .map(|((from, v, _), reqs)| (from.clone(), v.clone(), reqs.clone()))
            .collect();
        out.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        out
    }

    /// What is known about `name` at `version`: not tried yet (`None`), or read.
    pub fn read_outcome(&self, name: &PackageName, version: &Version) -> Option<Read> {
        self.reads
            .borrow()
            .get(&(name.clone(), version.clone()))
            .cloned()
    }

    /// Why the metadata of candidate `index` of `name` could not be read, if it was tried.
    pub fn failure(&self, name: &PackageName, index: usize) -> Option<String> {
        self.failures.borrow().get(&(name.clone(), index)).cloned()
    }

    /// The candidate chosen for `name` at `version`: the one whose metadata was used.
    pub fn chosen(&self, name: &PackageName, version: &Version) -> Option<Candidate> {
        let catalog = self.catalog(name);
        let index = match self.read_outcome(name, version) {
            Some(Ok((index, _))) => index,
            _ => *catalog.candidates.get(catalog.index(version)?)?.first()?,
        };
        self.provider.candidates(name).get(index).cloned()
    }

    /// Reads the metadata of `name` at `version`, trying its candidates in preference order,
    /// once; checks `Requires-Python`.
    fn read(&self, name: &PackageName, version: &Version) -> Read {
        let key = (name.clone(), version.clone());
        if let Some(read) = self.reads.borrow().get(&key) {
            return read.clone();
        }
        let catalog = self.catalog(name);
        let all = self.provider.candidates(name);
        let mut reasons = Vec::new();
        let mut found = None;
        for &index in catalog
            .index(version)
            .map_or(&[][..], |i| &catalog.candidates[i])
        {
            match self.provider.metadata(&all[index]) {
                Ok(metadata) => {
                    found = Some((index, metadata));
                    break;
                }
                Err(reason) => {
                    reasons.push(format!("{}: {reason}", all[index]));
                    self.failures
                        .borrow_mut()
                        .insert((name.clone(), index), reason);
                }
            }
        }
        let read = match found {
            None => Err(Unusable::Unreadable(reasons)),
            Some((_, metadata))
                if metadata
                    .requires_python
                    .as_ref()
                    .is_some_and(|spec| !spec.contains(self.env.python())) =>
            {
                Err(Unusable::RequiresPython {
                    requires: metadata
                        .requires_python
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                    python: self.env.python().to_string(),
                })
            }
            Some(found) => Ok(found),
        };
        self.reads.borrow_mut().insert(key, read.clone());
        read
    }

    /// The versions of `name` that `requirement` admits, as a set.
    fn admitted_set(&self, name: &PackageName, requirement: &Requirement) -> Versions {
        let catalog = self.catalog(name);
        match &requirement.version_or_url {
            Some(VersionOrUrl::VersionSpecifier(specifiers)) => Versions::from_versions(
                admitted(specifiers, catalog.versions.iter(), catalog.locked.as_ref())
                    .into_iter()
                    .cloned(),
            ),
            // A direct URL names no version: any candidate of the name serves it.
            None | Some(VersionOrUrl::Url(_)) => Versions::from_versions(
                admitted(
                    &VersionSpecifiers::empty(),
                    catalog.versions.iter(),
                    catalog.locked.as_ref(),
                )
                .into_iter()
                .cloned(),
            ),
        }
    }

    /// Turns the requirements that apply into pubgrub dependencies of `node` at `version`,
    /// recording each edge's requirements for explanations.
    fn constraints<'r>(
        &self,
        node: &Node,
        version: &Version,
        requirements: impl Iterator<Item = &'r Requirement>,
    ) -> DependencyConstraints<Node, Versions> {
        let mut deps: Vec<(Node, Versions)> = Vec::new();
        let mut edges = self.edges.borrow_mut();
        let own = node.name();
        let mut add = |dep: Node, set: Versions, requirement: &Requirement| {
            edges
                .entry((node.clone(), version.clone(), dep.clone()))
                .or_default()
                .push(requirement.clone());
            match deps.iter_mut().find(|(n, _)| *n == dep) {
                Some((_, existing)) => *existing = existing.intersection(&set),
                None => deps.push((dep, set)),
            }
        };
        for requirement in requirements {
            let name = PackageName::new(requirement.name.as_ref());
            if own == Some(&name) {
                // A distribution asking for its own extras (`pkg[all]` -> `pkg[a]`): same version.
                for extra in &requirement.extras {
                    add(
                        Node::Extra(name.clone(), extra.clone()),
                        Versions::singleton(version.clone()),
                        requirement,
                    );
                }
                continue;
            }
            let set = self.admitted_set(&name, requirement);
            for extra in &requirement.extras {
                add(
                    Node::Extra(name.clone(), extra.clone()),
                    set.clone(),
                    requirement,
                );
            }
            add(Node::Dist(name), set, requirement);
        }
        deps.into_iter().collect()
    }
}

impl<P: Provider> DependencyProvider for Resolver<'_, P> {
    type P = Node;
    type V = Version;
    type VS = Versions;
    type M = Unusable;
    type Err = Infallible;
    /// Decide first what has fewest options (a dead end is found at once), and what has been in
    /// conflicts most (so backtracking revisits it early).
    type Priority = (bool, u32, Reverse<usize>);

    fn prioritize(
        &self,
        package: &Node,
        range: &Versions,
        statistics: &PackageResolutionStatistics,
    ) -> Self::Priority {
        let Some(name) = package.name() else {
            return (true, u32::MAX, Reverse(0));
        };
        let catalog = self.catalog(name);
        let count = range.among(&catalog.versions).count();
        (count == 0, statistics.conflict_count(), Reverse(count))
    }

    fn choose_version(
        &self,
        package: &Node,
        range: &Versions,
    ) -> Result<Option<Version>, Infallible> {
        let Some(name) = package.name() else {
            return Ok(Some(root_version()));
        };
        let catalog = self.catalog(name);
        let candidates = self.provider.candidates(name);
        let in_range = catalog
            .versions
            .iter()
            .enumerate()
            .rev()
            .filter(|(_, v)| range.contains(v));
        // A default (installed) version that fits wins: nothing gets shadowed needlessly.
        let default = in_range.clone().find(|(i, _)| {
            catalog.candidates[*i]
                .iter()
                .any(|&c| candidates[c].is_default())
        });
        Ok(default.or(in_range.clone().next()).map(|(_, v)| v.clone()))
    }

    fn get_dependencies(
        &self,
        package: &Node,
        version: &Version,
    ) -> Result<Dependencies<Node, Versions, Unusable>, Infallible> {
        let (name, extra): (&PackageName, Option<&ExtraName>) = match package {
            Node::Root => {
                let none: &[ExtraName] = &[];
                let applicable = self.root.iter().filter(|r| self.env.applies(r, none));
                return Ok(Dependencies::Available(
                    self.constraints(package, version, applicable),
                ));
            }
            Node::Dist(name) => (name, None),
            Node::Extra(name, extra) => (name, Some(extra)),
        };
        let metadata = match self.read(name, version) {
            Ok((_, metadata)) => metadata,
            Err(unusable) => return Ok(Dependencies::Unavailable(unusable)),
        };
        let constraints = match extra {
            None => self.constraints(
                package,
                version,
                metadata
                    .requires_dist
                    .iter()
                    .filter(|r| self.env.applies(r, &[])),
            ),
            Some(extra) => {
                let extras = std::slice::from_ref(extra);
                let added = metadata
                    .requires_dist
                    .iter()
                    .filter(|r| self.env.applies(r, extras) && !self.env.applies(r, &[]));
                let mut constraints: Vec<_> = self
                    .constraints(package, version, added)
                    .into_iter()
                    .collect();
                constraints.push((
                    Node::Dist(name.clone()),
                    Versions::singleton(version.clone()),
                ));
                constraints.into_iter().collect()
            }
        };
        Ok(Dependencies::Available(constraints))
    }
}
